//! What brought the CPU into the kernel, as the stubs record it.

/// Exceptions that are the machine's events, not the running code's fault.
const NMI: u8 = 2;
const MACHINE_CHECK: u8 = 18;

/// What brought the CPU into the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The `syscall` instruction.
    Syscall,
    /// A CPU exception, by vector.
    Exception(u8),
    /// An interrupt line of the interrupt controller.
    Interrupt(u8),
}

impl Entry {
    /// An exception that is the machine's event (NMI, machine check), which
    /// no task may be blamed (killed) for.
    pub fn is_machine_event(self) -> bool {
        matches!(self, Entry::Exception(NMI | MACHINE_CHECK))
    }
}
