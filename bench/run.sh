#!/bin/bash
# `make bench` and `make bench-quick`: boots the OS under QEMU with
# `-icount shift=0` (guest time advances 1 ns per instruction, so figures do
# not depend on host load), runs `sockbench` once per boot, prints every
# RESULT line, then one table of medians [min..max].
#
#   bench/run.sh full    3 boots, then the Linux peer (bench/linux/run.sh) in
#                        the same machine; the tables also go into
#                        docs/benchmarks.md with the commands and QEMU version,
#                        and the chart into docs/benchmarks.svg (gnuplot,
#                        installed with apt-get when missing)
#   bench/run.sh quick   1 boot, no Linux peer, nothing written to docs
#
# env: KERNEL, INITRD (default build/kernel.bin, build/boot.img), RUNS (3),
#      SOCKBENCH (the command typed, default "sockbench"), OUT (build/bench).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
mode=${1:-quick}
case $mode in
    full) runs=${RUNS:-3} ;;
    quick) runs=1 ;;
    *) echo "usage: $0 full|quick" >&2; exit 2 ;;
esac
kernel=${KERNEL:-$top/build/kernel.bin}
initrd=${INITRD:-$top/build/boot.img}
command=${SOCKBENCH:-sockbench}
out=${OUT:-$top/build/bench}
rm -rf "$out" && mkdir -p "$out"

machine="-machine pc -cpu qemu64 -smp 1 -m 256M -icount shift=0"
export QEMU_CMD="qemu-system-x86_64 -accel tcg $machine -display none -serial mon:stdio \
-device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel $kernel -initrd $initrd"
qemu_version=$(qemu-system-x86_64 --version | head -n1)
echo "$qemu_version; $runs boot(s), typing '$command' at the prompt"

failed=0
for i in $(seq "$runs"); do
    log=$out/sockbench-$i.log
    if ! BOOT_TIMEOUT=${BOOT_TIMEOUT:-300} "$here/boot-once.sh" "$log" "$command"; then
        echo "boot $i did not power off cleanly; its log: $log" >&2
        failed=1
    fi
    grep -o 'RESULT .*' "$log" || true
    grep -E 'sockbench[ a-z-]*: ' "$log" | grep -v ' clock: ' >&2 || true
done

logs=("$out"/sockbench-*.log)
if [ "$mode" = full ]; then
    N=${N:-20000} BYTES=${BYTES:-16777216} RUNS=$runs "$here/linux/run.sh" "$out"
    for log in "$out"/linux-*.log; do grep -o 'RESULT .*' "$log"; done
    logs+=("$out"/linux-*.log)
fi

echo
awk -v format=text -f "$here/table.awk" "${logs[@]}" | tee "$out/table.txt"

if [ "$mode" = full ]; then
    if ! command -v gnuplot >/dev/null 2>&1; then
        echo "installing gnuplot-nox (apt-get) for the chart" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null
    fi
    awk -v format=chart -f "$here/table.awk" "${logs[@]}" > "$out/chart.dat"
    gnuplot -e "data='$out/chart.dat'; out='$top/docs/benchmarks.svg'" "$here/chart.gp"
    echo "chart written to docs/benchmarks.svg"
    # Paths in the repository are shown relative to it.
    {
        echo "Measured $(date -u +%Y-%m-%d) with $qemu_version on $(nproc) host CPU(s);"
        echo "$runs boots of each system. Ratio = this system / Linux (medians)."
        echo
        echo "![This system against Linux: times faster, measured and estimated](benchmarks.svg)"
        echo
        awk -v format=markdown -f "$here/table.awk" "${logs[@]}"
        echo
        echo "This system: \`$QEMU_CMD\`, typing \`$command\` then \`poweroff\`."
        echo
        echo "Linux ($(grep -ho 'linux [0-9][^ ]* clocksource [a-z-]*' "$out"/linux-1.log | head -n1)):"
        echo "\`$(cat "$out/linux-command.txt")\`"
    } | sed "s|$top/||g" > "$out/table.md"
    "$here/update-doc.sh" "$top/docs/benchmarks.md" "$out/table.md"
    echo "table written to docs/benchmarks.md"
fi
exit "$failed"
