SHELL := /bin/bash
# make run | make test | make check | make image | make debug | make stress | make bench | make bench-quick
#
# C programs (docs/c-programs.md): every user/c/programs/*.c is packed into
# the image; `make run C_PROGRAMS="a.c b/c.c"` (or `make image ...`) adds C
# files from anywhere for that build. BUILD=DIR puts the build's outputs there.
#
# Guest code (kernel, servers, programs) is always built in release mode with
# debug info. The image builder and QEMU test harness are a separate cargo
# workspace under image-builder/.

CARGO        ?= cargo
BUILD        ?= build
GUEST_DIR    := target/release
KERNEL_BIN   := $(BUILD)/kernel.bin
BOOT_IMAGE   := $(BUILD)/boot.img
TOOL         := image-builder/target/release/image-builder
STRIP        ?= strip

# Packages of the guest build, and the programs packed into the boot image
# (init first: it is the one program the kernel starts itself).
GUEST_PACKAGES := microkernel init console netd programs netprogs bench xv6rt
PROGRAMS       := console netd shell fault spin ipctest socktest nc echod echoload netstat sockcheck sockstress sockbench sockloop sysfuzz ipcfuzz ipcmesh ipcdigest hostile
# Host-tested pure logic: libraries, and the library half of binary crates
# (whose no_std binaries cannot be built as host test harnesses).
HOST_LIBS      := abi kcore bootimg elfload libsock
HOST_BIN_LIBS  := netd urt init console programs netprogs bench xv6rt

# C programs for xv6's user library: compiled freestanding with the headers
# of user/c/include, linked like the Rust programs (user/rt/user.ld) with the
# C part of the runtime (user/c/lib) and its Rust part (xv6rt). A C program
# replaces a Rust program of the same name; the services' names are refused.
C_PROGRAMS     ?=
C_SOURCES      := $(wildcard user/c/programs/*.c) $(C_PROGRAMS)
C_NAMES        := $(basename $(notdir $(C_SOURCES)))
C_BUILD        := $(BUILD)/c
C_LIB_SOURCES  := $(wildcard user/c/lib/*.c)
C_LIB_OBJECTS  := $(patsubst user/c/lib/%.c,$(C_BUILD)/lib/%.o,$(C_LIB_SOURCES))
C_RUNTIME      := $(GUEST_DIR)/libxv6rt.a
XV6_CC         ?= gcc
# No warning is made an error: code that built on xv6 must build here.
# C_WARNINGS adds flags (the tests build with C_WARNINGS="-Wall -Werror").
C_WARNINGS     ?=
C_CFLAGS       := -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
                  -fno-strict-aliasing -fno-omit-frame-pointer -O2 -g -Iuser/c/include $(C_WARNINGS)
C_LDFLAGS      := -nostdlib -static -no-pie -Wl,-T,user/rt/user.ld -Wl,--gc-sections \
                  -Wl,-u,_start -Wl,--build-id=none
RUST_PROGRAMS  := $(filter-out $(C_NAMES),$(PROGRAMS))

QEMU      := qemu-system-x86_64
QEMU_ARGS := -machine pc -cpu qemu64 -m 256M -display none -serial mon:stdio \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot \
             -kernel $(KERNEL_BIN) -initrd $(BOOT_IMAGE)

.PHONY: check all run test image debug guest tool qemu cc c-programs host-test qemu-test stress bench bench-quick clean

all: image

# QEMU is not on a fresh machine: install it (as root) when it is missing.
qemu:
	@command -v $(QEMU) >/dev/null 2>&1 || { \
	  echo "installing qemu-system-x86 (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null; } \
	  || { echo "error: could not install qemu-system-x86; install it and retry" >&2; exit 1; }; }

# Neither is a C compiler on every fresh machine: install gcc the same way.
cc:
	@command -v $(XV6_CC) >/dev/null 2>&1 || { \
	  echo "installing gcc (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc >/dev/null; } \
	  || { echo "error: could not install gcc; install it and retry" >&2; exit 1; }; }

guest: cc
	$(CARGO) build --release $(addprefix -p ,$(GUEST_PACKAGES))

# A compile error stops the build with the compiler's message.
c-programs: cc guest
	@if [ -n "$(filter init console netd shell,$(C_NAMES))" ]; then \
	  echo "error: C programs may not be named like a service: $(filter init console netd shell,$(C_NAMES))" >&2; exit 1; fi
	@if [ "$(words $(C_NAMES))" != "$(words $(sort $(C_NAMES)))" ]; then \
	  echo "error: two C programs have the same name: $(C_SOURCES)" >&2; exit 1; fi
	@mkdir -p $(C_BUILD)/lib
	@for src in $(C_LIB_SOURCES); do \
	  $(XV6_CC) $(C_CFLAGS) -c $$src -o $(C_BUILD)/lib/$$(basename $$src .c).o || exit 1; \
	done
	@for src in $(C_SOURCES); do \
	  name=$$(basename $$src .c); \
	  echo "  CC $$src"; \
	  $(XV6_CC) $(C_CFLAGS) -c $$src -o $(C_BUILD)/$$name.o || exit 1; \
	  $(XV6_CC) $(C_LDFLAGS) -o $(C_BUILD)/$$name $(C_BUILD)/$$name.o $(C_LIB_OBJECTS) $(C_RUNTIME) || exit 1; \
	done

tool:
	cd image-builder && $(CARGO) build --release --bin image-builder

# Programs go into the image without their debug info (gdb reads it from
# $(GUEST_DIR)); that keeps the image, and the checksum work at boot, small.
image: guest tool c-programs
	@mkdir -p $(BUILD)/programs
	$(TOOL) kernel $(GUEST_DIR)/microkernel $(KERNEL_BIN)
	@for p in init $(RUST_PROGRAMS); do \
	  if [ ! -f $(GUEST_DIR)/$$p ]; then \
	    echo "error: $$p is in PROGRAMS but cargo built no $(GUEST_DIR)/$$p (see README: adding a program)" >&2; \
	    exit 1; \
	  fi; \
	  $(STRIP) --strip-debug -o $(BUILD)/programs/$$p $(GUEST_DIR)/$$p || exit 1; \
	done
	@for p in $(C_NAMES); do \
	  $(STRIP) --strip-debug -o $(BUILD)/programs/$$p $(C_BUILD)/$$p || exit 1; \
	done
	$(TOOL) pack $(BOOT_IMAGE) --flat init=$(BUILD)/programs/init \
	  $(foreach p,$(RUST_PROGRAMS),$(p)=$(BUILD)/programs/$(p)) \
	  $(foreach p,$(C_NAMES),$(p)=$(BUILD)/programs/$(p))

run: qemu image
	$(QEMU) $(QEMU_ARGS)

debug: qemu image
	@echo "QEMU waits for gdb on :1234. In another terminal:"
	@echo "  gdb $(GUEST_DIR)/microkernel -ex 'target remote :1234'"
	$(QEMU) $(QEMU_ARGS) -s -S

host-test:
	$(CARGO) test $(addprefix -p ,$(HOST_LIBS))
	$(CARGO) test $(addprefix -p ,$(HOST_BIN_LIBS)) --lib

qemu-test: qemu image
	cd image-builder && MK_KERNEL=$(abspath $(KERNEL_BIN)) MK_INITRD=$(abspath $(BOOT_IMAGE)) \
	  $(CARGO) test --release

test: image
	$(MAKE) host-test
	$(MAKE) qemu-test

# Formatting (rustfmt.toml) and lints: clippy refuses an unsafe block
# without a `// SAFETY:` comment (`[workspace.lints]` in Cargo.toml).
check:
	$(CARGO) fmt --all --check
	cd image-builder && $(CARGO) fmt --all --check
	$(CARGO) clippy --release --quiet $(addprefix -p ,$(GUEST_PACKAGES))
	$(CARGO) clippy --quiet $(addprefix -p ,$(HOST_LIBS) $(HOST_BIN_LIBS)) --lib

# Long runs kept out of `make test` (stress/run.sh): a million malformed and
# random requests through netd's core on the host; in QEMU seeds 10..29 of
# sysfuzz and ipcfuzz (100,000 syscalls and 50,000 requests each), ipcmesh
# for two minutes, and netd killed and crashed for two minutes under socket
# clients; `sockstress 16 100000` then `sockstress 16 900000` (a million
# checked messages, 10,000 clients killed); twenty memory-exhaustion rounds.
# About 20 minutes. Writes the figures into docs/robustness.md.
stress: qemu image
	KERNEL=$(abspath $(KERNEL_BIN)) INITRD=$(abspath $(BOOT_IMAGE)) stress/run.sh

clean:
	$(CARGO) clean
	cd image-builder && $(CARGO) clean
	rm -rf $(BUILD)

# Benchmarks under -icount shift=0 (see docs/benchmarks.md): `bench` boots
# three times and runs the Linux peer too (needs root on a fresh machine to
# apt-get its packages) and rewrites the table in docs/benchmarks.md;
# `bench-quick` boots once, without the peer.
bench: qemu image
	KERNEL=$(abspath $(KERNEL_BIN)) INITRD=$(abspath $(BOOT_IMAGE)) bench/run.sh full

bench-quick: qemu image
	KERNEL=$(abspath $(KERNEL_BIN)) INITRD=$(abspath $(BOOT_IMAGE)) bench/run.sh quick
