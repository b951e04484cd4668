SHELL := /bin/bash
# make run | make test | make image | make debug | make stress | make bench | make bench-quick
#
# Guest code (kernel, servers, programs) is always built in release mode with
# debug info. The image builder and QEMU test harness are a separate cargo
# workspace under image-builder/.

CARGO        ?= cargo
BUILD        := build
GUEST_DIR    := target/release
KERNEL_BIN   := $(BUILD)/kernel.bin
BOOT_IMAGE   := $(BUILD)/boot.img
TOOL         := image-builder/target/release/image-builder
STRIP        ?= strip

# Packages of the guest build, and the programs packed into the boot image
# (init first: it is the one program the kernel starts itself).
GUEST_PACKAGES := microkernel init console netd programs netprogs bench
PROGRAMS       := console netd shell fault spin ipctest socktest nc netstat sockcheck sockbench sockloop sysfuzz ipcfuzz ipcmesh hostile
# Host-tested pure logic: libraries, and the library half of binary crates
# (whose no_std binaries cannot be built as host test harnesses).
HOST_LIBS      := abi kcore bootimg elfload libsock
HOST_BIN_LIBS  := netd urt init console programs netprogs bench

QEMU      := qemu-system-x86_64
QEMU_ARGS := -machine pc -cpu qemu64 -m 256M -display none -serial mon:stdio \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot \
             -kernel $(KERNEL_BIN) -initrd $(BOOT_IMAGE)

.PHONY: all run test image debug guest tool qemu host-test qemu-test stress bench bench-quick clean

all: image

# QEMU is not on a fresh machine: install it (as root) when it is missing.
qemu:
	@command -v $(QEMU) >/dev/null 2>&1 || { \
	  echo "installing qemu-system-x86 (apt-get)..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null; } \
	  || { echo "error: could not install qemu-system-x86; install it and retry" >&2; exit 1; }; }

guest:
	$(CARGO) build --release $(addprefix -p ,$(GUEST_PACKAGES))

tool:
	cd image-builder && $(CARGO) build --release --bin image-builder

# Programs go into the image without their debug info (gdb reads it from
# $(GUEST_DIR)); that keeps the image, and the checksum work at boot, small.
image: guest tool
	@mkdir -p $(BUILD)/programs
	$(TOOL) kernel $(GUEST_DIR)/microkernel $(KERNEL_BIN)
	@for p in init $(PROGRAMS); do \
	  if [ -f $(GUEST_DIR)/$$p ]; then \
	    $(STRIP) --strip-debug -o $(BUILD)/programs/$$p $(GUEST_DIR)/$$p 2>/dev/null \
	      || cp $(GUEST_DIR)/$$p $(BUILD)/programs/$$p; \
	  fi; \
	done
	$(TOOL) pack $(BOOT_IMAGE) --flat init=$(BUILD)/programs/init \
	  $(foreach p,$(PROGRAMS),$(if $(wildcard $(GUEST_DIR)/$(p)),$(p)=$(BUILD)/programs/$(p)))

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
	cd image-builder && MK_KERNEL=$(CURDIR)/$(KERNEL_BIN) MK_INITRD=$(CURDIR)/$(BOOT_IMAGE) \
	  $(CARGO) test --release

test: image
	$(MAKE) host-test
	$(MAKE) qemu-test

# Long runs kept out of `make test` (stress/run.sh): a million malformed and
# random requests through netd's core on the host; in QEMU seeds 10..29 of
# sysfuzz and ipcfuzz (100,000 syscalls and 50,000 requests each), ipcmesh
# for two minutes, and netd killed and crashed for two minutes under socket
# clients. Writes the figures into docs/robustness.md.
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
