# Turns benchmark logs into one table: metric, this system (median [min..max]
# over its runs), Linux's closest equivalent, Linux (median [min..max]), and
# the ratio of the medians (this system / Linux). A second table gives each
# side's kernel entries, context switches and CR3 writes per operation and a
# hardware estimate made from them (see `estimate`); format=chart prints, per
# metric, how many times faster this system is measured and estimated, for
# bench/chart.gp.
#
# usage: awk -v format=text|markdown|chart -f table.awk sockbench-*.log [linux-*.log]
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

# The hardware estimate (docs/benchmarks.md, with its sources): under -icount
# every instruction is 1 ns; on a 3 GHz core retiring one instruction per
# cycle that is 1/3 ns, and every kernel entry adds the measured cost of a
# whole null system call on a current x86-64 core (ENTRY_NS, ~60 ns: its own
# instructions are counted twice, against the side with more entries) and
# every CR3 write ~100 cycles (CR3_NS, as Linux's pti.rst gives it); the TLB
# refills after a CR3 write are left out.
function estimate(ns, entries, cr3) {
    return ns / IPNS + entries * ENTRY_NS + cr3 * CR3_NS
}

# ns per operation of `base` (a RESULT name, with :CHUNK for bulk) from the
# median of its figure `key` in unit `kind` (ns, MBps or per_s).
function op_ns(side, base, key, kind, chunk,    n) {
    n = collect(side, base "." key)
    if (n == 0) return ""
    if (kind == "ns") return median(n)
    if (kind == "MBps") return chunk * 1000 / median(n)
    return 1e9 / median(n)
}

function cost_median(side, base, key,    n) {
    n = collect(side, base "." key)
    return n == 0 ? "" : median(n)
}

# Costs and estimate of one side: sets est_ns; returns "E / S / C" or "-".
function costs(side, base, key, kind, chunk,    ns, e, s, c) {
    ns = op_ns(side, base, key, kind, chunk)
    e = cost_median(side, base, "entries_per_op")
    s = cost_median(side, base, "switches_per_op")
    c = cost_median(side, base, "cr3_per_op")
    if (ns == "" || e == "") { est_ns = ""; return "-" }
    est_ns = estimate(ns, e, c)
    return sprintf("%.2f / %.2f / %.2f", e, s, c)
}

# A figure in its unit from ns per operation.
function in_unit(ns, kind, chunk) {
    if (kind == "ns") return ns
    if (kind == "MBps") return chunk * 1000 / ns
    return 1e9 / ns
}

function cost_row(label, unit, kind, chunk, ours, ours_key, peer_label, peer, peer_key,
                  oc, ours_est, pc, peer_est, oe, pe, ratio) {
    oc = costs("ours", ours, ours_key, kind, chunk); ours_est = est_ns
    pc = costs("linux", peer, peer_key, kind, chunk); peer_est = est_ns
    oe = (ours_est == "") ? "-" : num(in_unit(ours_est, kind, chunk))
    pe = (peer_est == "") ? "-" : num(in_unit(peer_est, kind, chunk))
    ratio = (ours_est != "" && peer_est != "") ? sprintf("%.2f", in_unit(ours_est, kind, chunk) / in_unit(peer_est, kind, chunk)) : "-"
    if (format == "markdown")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, unit, oc, oe, peer_label, pc, pe, ratio
    else if (format == "text")
        printf "%-28s %-9s %-20s %-9s %-20s %-20s %-9s %s\n", label, unit, oc, oe, peer_label, pc, pe, ratio
}

# One bar pair of the chart: how many times faster this system is than Linux,
# measured and estimated (ns: Linux / ours; rates: ours / Linux).
function chart_row(label, kind, chunk, ours, ours_key, peer, peer_key,
                   o, p, oe, pe) {
    o = op_ns("ours", ours, ours_key, kind, chunk)
    p = op_ns("linux", peer, peer_key, kind, chunk)
    costs("ours", ours, ours_key, kind, chunk); oe = est_ns
    costs("linux", peer, peer_key, kind, chunk); pe = est_ns
    if (o == "" || p == "" || oe == "" || pe == "") return
    printf "\"%s\" %.3f %.3f\n", label, p / o, pe / oe
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

BEGIN { IPNS = 3; ENTRY_NS = 60; CR3_NS = 33.3 }

END {
    if (format == "chart") {
        chart_row("null syscall\\n(getppid)", "ns", 0, "sys", "ns_per_call", "sys", "ns_per_call")
        chart_row("null IPC RT\\n(pipe)", "ns", 0, "ipc", "ns_per_rt", "pp-pipe", "ns_per_rt")
        chart_row("ping-pong\\n(AF_UNIX)", "ns", 0, "pp-sock", "ns_per_rt", "pp-unix", "ns_per_rt")
        chart_row("ping-pong\\n(TCP)", "ns", 0, "pp-sock", "ns_per_rt", "pp-tcp", "ns_per_rt")
        chart_row("bulk 4 KiB\\n(AF_UNIX)", "MBps", 4096, "bulk-sock:4096", "MBps", "bulk-unix:4096", "MBps")
        chart_row("bulk 64 KiB\\n(AF_UNIX)", "MBps", 65536, "bulk-sock:65536", "MBps", "bulk-unix:65536", "MBps")
        chart_row("connect cycle\\n(AF_UNIX)", "ns", 0, "conn", "ns_per_cycle", "conn-unix", "ns_per_cycle")
        exit
    }
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

    print ""
    if (format == "markdown") {
        print "Kernel costs per operation (entries / task switches / CR3 writes, medians) and the hardware estimate made from them:"
        print ""
        print "| metric | unit | this system: E / S / C | estimate | Linux equivalent | Linux: E / S / C | estimate | ratio |"
        print "|---|---|---|---|---|---|---|---|"
    } else {
        printf "%-28s %-9s %-20s %-9s %-20s %-20s %-9s %s\n", "costs, hardware estimate", "unit", "ours E / S / C", \
            "estimate", "Linux equivalent", "Linux E / S / C", "estimate", "ratio"
    }
    cost_row("null syscall", "ns/call", "ns", 0, "sys", "ns_per_call", "getppid", "sys", "ns_per_call")
    cost_row("null IPC round trip", "ns/RT", "ns", 0, "ipc", "ns_per_rt", "pipe ping-pong", "pp-pipe", "ns_per_rt")
    cost_row("socket ping-pong, 1 byte", "ns/RT", "ns", 0, "pp-sock", "ns_per_rt", "AF_UNIX", "pp-unix", "ns_per_rt")
    cost_row("socket ping-pong, 1 byte", "ns/RT", "ns", 0, "pp-sock", "ns_per_rt", "TCP (NODELAY)", "pp-tcp", "ns_per_rt")
    cost_row("ping-pong, 64 pairs", "ns/RT", "ns", 0, "pp-sock-64", "ns_per_rt", "-", "", "")
    cost_row("bulk, 4 KiB messages", "MB/s", "MBps", 4096, "bulk-sock:4096", "MBps", "AF_UNIX", "bulk-unix:4096", "MBps")
    cost_row("bulk, 64 KiB messages", "MB/s", "MBps", 65536, "bulk-sock:65536", "MBps", "AF_UNIX", "bulk-unix:65536", "MBps")
    cost_row("listen/connect/disconnect", "ns/cycle", "ns", 0, "conn", "ns_per_cycle", "AF_UNIX conn/accept", "conn-unix", "ns_per_cycle")
}
