//! Which I/O ports ring 3 may use: the running task's grant, opened and
//! closed in the TSS's I/O permission bitmap as tasks switch.

use kcore::grants::PortRange;

/// Lets ring 3 use `ports` (the running task holds them).
pub fn allow(ports: PortRange) {
    super::gdt::set_io_access(ports.first(), ports.count(), true);
}

/// Takes `ports` from ring 3 again.
pub fn deny(ports: PortRange) {
    super::gdt::set_io_access(ports.first(), ports.count(), false);
}
