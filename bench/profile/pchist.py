#!/usr/bin/env python3
"""pchist.py LOG START END NRT ELF: instructions per source line (addr2line) in log lines [START,END), per round trip."""
import sys, collections, subprocess
log, start, end, nrt, elf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
kernel = elf.endswith("microkernel")
h = collections.Counter()
with open(log, "rb") as f:
    for i, line in enumerate(f, 1):
        if i < start: continue
        if i >= end: break
        if not line.startswith(b"Trace"): continue
        k = line.find(b"[")
        pc = int(line[k+18:k+34], 16)
        if (pc >= 0xffff800000000000) == kernel: h[pc] += 1
pcs = sorted(h)
out = subprocess.run(["addr2line", "-i", "-f", "-C", "-e", elf] + [hex(p) for p in pcs], capture_output=True, text=True).stdout.splitlines()
# addr2line -i prints variable count per address; use -a to delimit
out = subprocess.run(["addr2line", "-a", "-i", "-f", "-C", "-e", elf] + [hex(p) for p in pcs], capture_output=True, text=True).stdout.splitlines()
inner = collections.Counter(); outer2 = collections.Counter(); lines = collections.Counter()
cur = None; frames = []
def done():
    if cur is None: return
    names = frames[0::2]; locs = frames[1::2]
    inner[names[0] if names else "?"] += h[cur]
    chain = " < ".join(n.split("::")[-1] for n in names[:4])
    outer2[chain] += h[cur]
    lines[locs[0].split("/")[-1] if locs else "?"] += h[cur]
for l in out:
    if l.startswith("0x"):
        done(); cur = int(l, 16); frames = []
    else: frames.append(l)
done()
tot = sum(h.values())
print("total", tot / nrt)
for n, c in inner.most_common(60): print(f"{c/nrt:8.1f} {n[:110]}")
print("---- chains")
for n, c in outer2.most_common(80): print(f"{c/nrt:8.1f} {n[:150]}")
