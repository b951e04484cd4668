#!/usr/bin/env python3
"""Per kernel entry: classify by syscall handler, count instructions; user segments by binary."""
import sys, subprocess, collections, bisect
log, start, end, nrt = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
import os
kelf = os.environ.get('KELF', 'target/release/microkernel')
pcs = []
with open(log, 'rb') as f:
    for i, line in enumerate(f, 1):
        if i < start: continue
        if i >= end: break
        if not line.startswith(b'Trace'): continue
        k = line.find(b'[')
        pcs.append(int(line[k+18:k+34], 16))
kp = sorted(set(p for p in pcs if p >= 0xffff800000000000))
out = subprocess.run(['addr2line', '-a', '-i', '-f', '-C', '-e', kelf] + [hex(p) for p in kp], capture_output=True, text=True).stdout.splitlines()
chain = {}; cur = None
for l in out:
    if l.startswith('0x'): cur = int(l, 16); chain[cur] = []
    elif not l.startswith('/') and not l.startswith('??:'): chain[cur].append(l)
HANDLERS = ['fastpath::reply2_recv', 'fastpath::reply_recv', 'fastpath::call', 'fastpath::recv', 'syscall::ipc::reply_recv', 'syscall::ipc::call', 'syscall::ipc::recv', 'syscall::ipc::reply', 'syscall::lease::read', 'syscall::lease::write', 'syscall::lease::copy', 'syscall::lease::info']
PHASES = [('entry/exit stubs', ['syscall_entry', 'isr_common', 'trap_exit']),
          ('page-table walk', ['AddressSpace::translate']),
          ('copy loop', ['memops::', 'memmove', 'memcpy', 'copy_nonoverlapping', 'ptr::copy']),
          ('usercopy checks', ['usercopy::']),
          ('schedule/switch', ['finish_entry', 'Kernel::switch', 'run_woken_next', 'hand_off_to', 'make_runnable', 'sched::', 'set_current', 'activate']),
          ('task table lookups', ['Kernel::task', 'Kernel::current', 'Kernel::pair_mut', 'Kernel::resolve', 'waiting_caller']),
          ('trap/dispatch', ['trap::handle', 'trap_entry', 'syscall::dispatch', 'syscall::call', 'try_lock', 'atomic']),
          ('syscall logic', ['syscall::ipc::', 'syscall::lease::', 'kcore::ipc']),
          ]
def phase(ch):
    for fn in ch:  # innermost inlined frame first
        for name, keys in PHASES:
            if any(k in fn for k in keys): return name
    return 'other'
per_kind = collections.Counter(); kinds = collections.Counter(); phases = collections.Counter(); phase_by_kind = collections.defaultdict(collections.Counter)
seg = []
user = 0
def flush():
    global seg
    if not seg: return
    kind = '?'
    for h in HANDLERS:
        if any(any(h in fn for fn in chain[p]) for p in seg): kind = h.split('::')[-1]; break
    kinds[kind] += 1; per_kind[kind] += len(seg)
    for p in seg:
        ph = phase(chain[p]); phases[ph] += 1; phase_by_kind[kind][ph] += 1
    seg = []
for p in pcs:
    if p >= 0xffff800000000000: seg.append(p)
    else:
        flush(); user += 1
flush()
total = len(pcs)
print(f'total {total/nrt:.0f} per rt; user {user/nrt:.0f}; kernel {(total-user)/nrt:.0f}; entries {sum(kinds.values())/nrt:.1f}')
for k, c in per_kind.most_common():
    print(f'  {k:12s} {kinds[k]/nrt:5.1f} entries/rt  {c/kinds[k]:6.0f} instr/entry  {c/nrt:7.0f} per rt')
print('kernel by phase (per rt):')
for k, c in phases.most_common(): print(f'  {k:20s} {c/nrt:7.0f}')
