# Turns benchmark logs into one table: metric, this system (median [min..max]
# over its runs), Linux's closest equivalent, Linux (median [min..max]), and
# the ratio of the medians (this system / Linux).
#
# usage: awk -v format=text|markdown -f table.awk sockbench-*.log [linux-*.log]
# A file whose name ends in linux-N.log is a Linux run; any other is one of
# ours (bench/boot-once.sh logs: host time first on each line, HOST lines).
# Every "RESULT name k=v ..." line gives keys "name.k", or "name:CHUNK.k" when
# the line has a chunk=CHUNK field.

function add(side, key, value) {
    values[side, key] = values[side, key] " " value
}

# Sorted numeric values of one side's key into sorted[1..n]; returns n.
function collect(side, key,    n, i, j, v, parts) {
    n = split(values[side, key], parts, " ")
    for (i = 1; i <= n; i++) {
        v = parts[i] + 0
        for (j = i - 1; j >= 1 && sorted[j] > v; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = v
    }
    return n
}

function median(n) {
    return (n % 2) ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
}

function num(v) {
    if (v >= 1000) return sprintf("%.0f", v)
    if (v >= 10) return sprintf("%.1f", v)
    return sprintf("%.3f", v)
}

# "median [min..max]" of a key scaled by `scale`, or "-"; sets last_median.
function summary(side, key, scale,    n) {
    n = collect(side, key)
    if (n == 0) { last_median = ""; return "-" }
    last_median = median(n) * scale
    if (n == 1) return num(last_median)
    return num(last_median) " [" num(sorted[1] * scale) ".." num(sorted[n] * scale) "]"
}

function row(label, unit, ours_key, ours_scale, peer_label, peer_side, peer_key, peer_scale,
             ours, ours_med, peer, ratio) {
    ours = summary("ours", ours_key, ours_scale); ours_med = last_median
    peer = (peer_key == "") ? "-" : summary(peer_side, peer_key, peer_scale)
    ratio = (ours_med != "" && last_median != "" && peer_key != "" && last_median != 0) \
        ? sprintf("%.2f", ours_med / last_median) : "-"
    if (format == "markdown")
        printf "| %s | %s | %s | %s | %s | %s |\n", label, unit, ours, peer_label, peer, ratio
    else
        printf "%-32s %-9s %-28s %-22s %-28s %s\n", label, unit, ours, peer_label, peer, ratio
}

FNR == 1 { side = (FILENAME ~ /linux-[0-9]+\.log$/) ? "linux" : "ours" }
side == "ours" && $1 == "HOST" && $2 == "start" { started = $3 }
side == "ours" && $1 == "HOST" && $2 == "prompt" { add("ours", "wall_prompt.s", $3 - started) }
{
    at = index($0, "RESULT ")
    if (at == 0) next
    fields = split(substr($0, at + 7), f, " ")
    name = f[1]
    for (i = 2; i <= fields; i++) if (f[i] ~ /^chunk=/) name = name ":" substr(f[i], 7)
    for (i = 2; i <= fields; i++) {
        eq = index(f[i], "=")
        if (eq > 1) add(side, name "." substr(f[i], 1, eq - 1), substr(f[i], eq + 1))
    }
}

END {
    if (format == "markdown") {
        print "| metric | unit | this system, median [min..max] | Linux equivalent | Linux, median [min..max] | ratio |"
        print "|---|---|---|---|---|---|"
    } else {
        printf "%-32s %-9s %-28s %-22s %-28s %s\n", "metric", "unit", "this system med [min..max]", \
            "Linux equivalent", "Linux med [min..max]", "ratio"
    }
    row("null syscall", "ns/call", "sys.ns_per_call", 1, "getppid", "linux", "sys.ns_per_call", 1)
    row("null IPC round trip", "ns/RT", "ipc.ns_per_rt", 1, "pipe ping-pong", "linux", "pp-pipe.ns_per_rt", 1)
    row("socket ping-pong, 1 byte", "ns/RT", "pp-sock.ns_per_rt", 1, "AF_UNIX", "linux", "pp-unix.ns_per_rt", 1)
    row("socket ping-pong, 1 byte", "ns/RT", "pp-sock.ns_per_rt", 1, "pipe", "linux", "pp-pipe.ns_per_rt", 1)
    row("socket ping-pong, 1 byte", "ns/RT", "pp-sock.ns_per_rt", 1, "TCP (NODELAY)", "linux", "pp-tcp.ns_per_rt", 1)
    row("socket ping-pong, 1 byte", "RT/s", "pp-sock.rt_per_s", 1, "AF_UNIX", "linux", "pp-unix.rt_per_s", 1)
    row("ping-pong, 64 pairs at once", "ns/RT", "pp-sock-64.ns_per_rt", 1, "this system, 1 pair", "ours", "pp-sock.ns_per_rt", 1)
    row("fan-in, 64 clients of one echod", "ns/RT", "fan-in.ns_per_rt", 1, "this system, 1 pair", "ours", "pp-sock.ns_per_rt", 1)
    row("bulk, 4 KiB messages", "MB/s", "bulk-sock:4096.MBps", 1, "AF_UNIX", "linux", "bulk-unix:4096.MBps", 1)
    row("bulk, 4 KiB messages", "MB/s", "bulk-sock:4096.MBps", 1, "TCP", "linux", "bulk-tcp:4096.MBps", 1)
    row("bulk, 64 KiB messages", "MB/s", "bulk-sock:65536.MBps", 1, "AF_UNIX", "linux", "bulk-unix:65536.MBps", 1)
    row("bulk, 64 KiB messages", "MB/s", "bulk-sock:65536.MBps", 1, "TCP", "linux", "bulk-tcp:65536.MBps", 1)
    row("listen/connect/disconnect", "cycles/s", "conn.cycles_per_s", 1, "AF_UNIX conn/accept", "linux", "conn-unix.cycles_per_s", 1)
    row("boot to shell prompt (guest)", "ms", "boot.ns", 1e-6, "uptime at /init", "linux", "boot-linux.s", 1e3)
    row("machine reset to prompt (guest)", "ms", "boot.reset_ns", 1e-6, "", "", "", 1)
    row("QEMU start to prompt (host)", "s", "wall_prompt.s", 1, "", "", "", 1)
}
