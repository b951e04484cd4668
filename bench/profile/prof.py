#!/usr/bin/env python3
"""prof.py LOG START END NRT KERNEL_ELF name=ELF ... : per-function instruction counts in lines [START,END)."""
import sys, bisect, subprocess, collections, struct
log, start, end, nrt, kelf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
bins = [a.split("=", 1) for a in sys.argv[6:]]
def syms(path):
    out = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True, text=True).stdout
    s = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 3 or parts[1] not in "tTwW": continue
        s.append((int(parts[0], 16), parts[2]))
    s.sort(); return s
def load(path):
    data = open(path, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20); phnum, = struct.unpack_from("<H", data, 0x38)
    segs = []
    for i in range(phnum):
        t, fl, off, va, pa, fsz, msz, al = struct.unpack_from("<IIQQQQQQ", data, phoff + i*56)
        if t == 1: segs.append((va, data[off:off+fsz]))
    return segs
def byte_at(segs, addr, n):
    for va, b in segs:
        if va <= addr and addr + n <= va + len(b): return b[addr-va:addr-va+n]
    return None
class Sym:
    def __init__(s, path): s.s = syms(path); s.a = [a for a, _ in s.s]
    def name(s, pc):
        j = bisect.bisect_right(s.a, pc) - 1
        return s.s[j][1] if j >= 0 else "?"
K = Sym(kelf)
B = [(n, Sym(p), load(p)) for n, p in bins]
cnt = collections.Counter(); total = 0; kern = 0
seg = []; prev_kernel = True
def flush():
    global seg
    if not seg: return
    first = seg[0]
    owner = None
    cands = [b for b in B if byte_at(b[2], first - 2, 2) == b"\x0f\x05"]
    if len(cands) == 1: owner = cands[0]
    else:
        votes = collections.Counter()
        for pc in seg:
            for b in B:
                nm = b[1].name(pc)
                if b[0] in nm: votes[b[0]] += 1
        owner = next((b for b in B if b[0] == (votes.most_common(1)[0][0] if votes else B[0][0])), B[0])
    for pc in seg:
        cnt["U " + owner[0] + " " + owner[1].name(pc)[:100]] += 1
    seg = []
with open(log, "rb") as f:
    for i, line in enumerate(f, 1):
        if i < start: continue
        if i >= end: break
        if not line.startswith(b"Trace"): continue
        k = line.find(b"[")
        if k < 0: continue
        pc = int(line[k+18:k+34], 16)
        total += 1
        if pc >= 0xffff800000000000:
            flush(); kern += 1
            cnt["K " + K.name(pc)[:100]] += 1
        else:
            seg.append(pc)
    flush()
print(f"total {total} instr, {total/nrt:.0f} per rt; kernel {kern/nrt:.0f} per rt")
for name, c in cnt.most_common(120):
    print(f"{c/nrt:9.1f} {100*c/total:5.1f}% {name}")
