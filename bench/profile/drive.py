#!/usr/bin/env python3
"""Boot the image, run shell commands, optionally log exec of one command.
usage: drive.py BUILD_DIR [--prof LOG] CMD [CMD...]"""
import subprocess, sys, os, time, select
args = sys.argv[1:]
build = args.pop(0)
prof = None
if args and args[0] == "--prof":
    args.pop(0); prof = args.pop(0)
cmds = args
q = ["qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu", "qemu64", "-smp", "1", "-m", "256M",
     "-icount", "shift=0", "-display", "none", "-serial", "mon:stdio",
     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
     "-kernel", build + "/kernel.bin", "-initrd", build + "/boot.img"]
if prof:
    q += ["-singlestep", "-D", prof]
p = subprocess.Popen(q, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf = b""
def wait_for(pat, timeout=1200):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], 1)
        if r:
            d = os.read(p.stdout.fileno(), 65536)
            if not d: break
            sys.stdout.write(d.decode("utf-8", "replace")); sys.stdout.flush()
            buf += d
            if pat in buf:
                i = buf.index(pat) + len(pat); buf = buf[i:]; return True
    return False
def send(b):
    p.stdin.write(b); p.stdin.flush()
assert wait_for(b"$ "), "no prompt"
for c in cmds:
    if prof:
        send(b"\x01c"); time.sleep(0.3); send(b"log exec,nochain\n"); time.sleep(0.3); send(b"\x01c"); time.sleep(0.3)
    send(c.encode() + b"\n")
    wait_for(b"$ ")
    if prof:
        send(b"\x01c"); time.sleep(0.3); send(b"log none\n"); time.sleep(0.3); send(b"\x01c"); time.sleep(0.3)
send(b"poweroff\n")
try: p.wait(60)
except Exception: p.kill()
