#!/bin/bash
# The Linux peer of `make bench`: boots a stock Debian kernel in the same QEMU
# machine as the OS (-machine pc -cpu qemu64 -smp 1 -m 256M, TCG, -icount
# shift=0) with a busybox initramfs whose /init runs linuxbench (the closest
# Linux equivalents of sockbench), RUNS times, one log per boot.
#
# usage: bench/linux/run.sh OUT_DIR
# env:   RUNS (3), N round trips (20000), BYTES per bulk run (16777216),
#        LINUX_DIR for the kernel and initramfs (build/linux-peer),
#        KPKG to pin the kernel package (default: what linux-image-amd64 names),
#        LINUX_TIMEOUT seconds per boot (300).
# Needs root on a fresh machine: missing packages are installed with apt-get;
# the kernel package is only downloaded and unpacked (dpkg-deb -x), never installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: $0 OUT_DIR}
runs=${RUNS:-3} n=${N:-20000} bytes=${BYTES:-16777216}
dir=$(realpath -m "${LINUX_DIR:-$here/../../build/linux-peer}")
limit=${LINUX_TIMEOUT:-300}
mkdir -p "$out" "$dir"

missing=$(for p in qemu-system-x86 busybox-static gcc libc6-dev cpio gzip; do
          dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
    echo "linux peer: installing $(echo $missing) (apt-get)" >&2
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The kernel: a Debian package, unpacked once and kept in $dir.
if ! ls "$dir"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
    pkg=${KPKG:-$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')}
    [ -n "$pkg" ] || { echo "linux peer: no linux-image package found (apt-get update?)" >&2; exit 1; }
    echo "linux peer: downloading $pkg" >&2
    rm -rf "$dir/deb" && mkdir -p "$dir/deb"
    (cd "$dir/deb" && apt-get download "$pkg" >/dev/null)
    dpkg-deb -x "$dir"/deb/"$pkg"_*.deb "$dir/kernel"
fi
vmlinuz=$(ls "$dir"/kernel/boot/vmlinuz-* | head -n1)

# The initramfs: busybox, the static benchmark and an /init that runs it.
root=$dir/rootfs
rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,sys,tmp}
gcc -O2 -static -Wall -o "$root/linuxbench" "$here/linuxbench.c"
cp "$(command -v busybox)" "$root/bin/busybox"
mknod "$root/dev/console" c 5 1 2>/dev/null || true
cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
read up idle </proc/uptime; echo "RESULT boot-linux s=\$up"
ip link set lo up
# Measure on the final TSC clocksource, not the early one.
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
i=0; while [ "\$(cat \$cs)" = tsc-early ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done
echo "linux \$(uname -r) clocksource \$(cat \$cs)"
/linuxbench all $n $bytes || echo "linuxbench failed"
poweroff -f
INIT
chmod 755 "$root/init"
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible 2>/dev/null) |
    gzip -9 -n > "$dir/initrd.gz"

qemu=(qemu-system-x86_64 -accel tcg -machine pc -cpu qemu64 -smp 1 -m 256M -icount shift=0
      -display none -serial mon:stdio -no-reboot -nic none
      -kernel "$vmlinuz" -initrd "$dir/initrd.gz" -append "console=ttyS0 quiet panic=-1")
echo "linux peer: $(basename "$vmlinuz"), $runs boots, N=$n BYTES=$bytes" >&2
printf '%q ' "${qemu[@]}" > "$out/linux-command.txt"
for i in $(seq "$runs"); do
    log=$out/linux-$i.log
    start=$EPOCHREALTIME
    timeout -k 5 "$limit" "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' > "$log" || true
    echo "HOST wall $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')" >> "$log"
    grep -q '^RESULT conn-unix' "$log" || { echo "linux peer: boot $i did not finish; see $log" >&2; exit 1; }
    echo "  linux boot $i: $(grep -c '^RESULT' "$log") results, $(tail -n1 "$log" | cut -d' ' -f3)s" >&2
done
