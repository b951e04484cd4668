#!/bin/bash
# `make stress`: the long fuzzing runs kept out of `make test`, then their
# figures into docs/robustness.md (between its results markers, under
# "## Figures"). Every step's output goes to build/stress/*.log; each
# `FIGURE | what | value | command` line in them becomes a row of the table
# (stress/figures.awk), so a new step or a guest program that prints such
# lines adds rows without changes here.
#
# env: KERNEL, INITRD (default build/kernel.bin, build/boot.img), OUT
# (build/stress), NETD_FUZZ_REQUESTS (1000000), UPDATE_DOC (1: write the doc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
export MK_KERNEL=${KERNEL:-$top/build/kernel.bin}
export MK_INITRD=${INITRD:-$top/build/boot.img}
export NETD_FUZZ_REQUESTS=${NETD_FUZZ_REQUESTS:-1000000}
out=${OUT:-$top/build/stress}
rm -rf "$out" && mkdir -p "$out"

started=$(date +%s)
timings=()
# step NAME DIR COMMAND...: runs the command in DIR, output to NAME.log.
step() {
    local name=$1 dir=$2
    shift 2
    local begin
    begin=$(date +%s)
    echo "== $name: $*"
    (cd "$dir" && "$@") 2>&1 | tee "$out/$name.log"
    timings+=("$name $(( $(date +%s) - begin )) s")
}

step netd-host "$top" cargo test -p netd --lib --release -- --ignored --nocapture netd_answers_a_million_fuzzed_requests
step qemu "$top/image-builder" cargo test --release --test fuzz --test fuzz_ipc --test sockstress --test hostile_jobs --test ipc_fast_path -- --ignored --nocapture

total=$(( $(date +%s) - started ))
echo
awk -f "$here/figures.awk" "$out"/*.log | tee "$out/table.md"
echo "steps: ${timings[*]}; total $total s"

if [ "${UPDATE_DOC:-1}" = 1 ]; then
    {
        echo "Written by \`make stress\` on $(date -u +%Y-%m-%d) ($(nproc) host CPU(s),"
        echo "$(qemu-system-x86_64 --version | head -n1)); it took $(( total / 60 )) min $(( total % 60 )) s,"
        echo "build excluded. Every run passed its checks, so each figure is also a count of"
        echo "checked outcomes."
        echo
        cat "$out/table.md"
    } > "$out/section.md"
    "$top/bench/update-doc.sh" "$top/docs/robustness.md" "$out/section.md"
    echo "figures written to docs/robustness.md"
fi
