//! Devices init grants to drivers: a range of I/O ports, and interrupt
//! lines that arrive as notification bits.

use abi::{KernelError, TaskId, notify};

/// Legacy interrupt lines (two cascaded 8259s).
pub const IRQ_LINES: usize = 16;
/// The scheduler's timer.
const TIMER_LINE: u64 = 0;
/// Where the second controller cascades into the first.
const CASCADE_LINE: u64 = 2;

/// I/O ports `first .. first + count`, at least one, all below 0x1_0000.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    first: u16,
    count: u16,
}

impl PortRange {
    /// `BadArgument` for a count of 0 or one the kernel cannot keep as a
    /// `u16`, or a range past the last port.
    pub fn new(first: u64, count: u64) -> Result<Self, KernelError> {
        if count == 0 || count > u16::MAX as u64 || first.checked_add(count).is_none_or(|end| end > 0x1_0000) {
            return Err(KernelError::BadArgument);
        }
        Ok(PortRange { first: first as u16, count: count as u16 })
    }

    pub const fn first(&self) -> u16 {
        self.first
    }

    pub const fn count(&self) -> u16 {
        self.count
    }

    /// Whether any port of `first .. first + count` is in the range.
    pub const fn overlaps(&self, first: u16, count: u16) -> bool {
        (self.first as u32) < first as u32 + count as u32 && (first as u32) < self.first as u32 + self.count as u32
    }
}

/// An interrupt line and the notification bit it posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqGrant {
    line: u8,
    bits: u32,
}

impl IrqGrant {
    /// `BadArgument` for the timer line, the cascade line, a line past 15,
    /// or a bit outside `FIRST_IRQ_BIT..32`.
    pub fn new(irq: u64, bit: u64) -> Result<Self, KernelError> {
        let usable_line = irq < IRQ_LINES as u64 && irq != TIMER_LINE && irq != CASCADE_LINE;
        if !usable_line || !(notify::FIRST_IRQ_BIT as u64..32).contains(&bit) {
            return Err(KernelError::BadArgument);
        }
        Ok(IrqGrant { line: irq as u8, bits: 1 << bit })
    }

    pub const fn line(&self) -> u8 {
        self.line
    }
}

/// Which task owns each interrupt line, and the bits it gets.
#[derive(Clone, Debug, Default)]
pub struct IrqLines {
    owners: [Option<(TaskId, u32)>; IRQ_LINES],
}

impl IrqLines {
    pub const fn new() -> Self {
        IrqLines { owners: [None; IRQ_LINES] }
    }

    /// Gives the line to `owner`, replacing any earlier owner.
    pub fn grant(&mut self, grant: IrqGrant, owner: TaskId) {
        self.owners[grant.line as usize] = Some((owner, grant.bits));
    }

    /// The owner of `line` and the bits to post to it.
    pub fn owner(&self, line: u8) -> Option<(TaskId, u32)> {
        self.owners.get(line as usize).copied().flatten()
    }

    /// The line `caller` acknowledges: `BadArgument` past line 15,
    /// `Denied` for a line it does not own.
    pub fn acknowledged_by(&self, irq: u64, caller: TaskId) -> Result<u8, KernelError> {
        match self.owners.get(irq as usize) {
            Some(Some((owner, _))) if *owner == caller => Ok(irq as u8),
            Some(_) => Err(KernelError::Denied),
            None => Err(KernelError::BadArgument),
        }
    }

    /// Takes every line from `owner` (it ended); calls `released` with each.
    pub fn release(&mut self, owner: TaskId, mut released: impl FnMut(u8)) {
        for (line, slot) in self.owners.iter_mut().enumerate() {
            if matches!(slot, Some((task, _)) if *task == owner) {
                *slot = None;
                released(line as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn port_ranges_stay_below_the_last_port() {
        assert!(PortRange::new(0x3f8, 8).is_ok());
        assert!(PortRange::new(0xffff, 1).is_ok());
        assert!(PortRange::new(0, 0xffff).is_ok());
        assert_eq!(PortRange::new(0xffff, 2), Err(KernelError::BadArgument));
        assert_eq!(PortRange::new(0, 0x1_0000), Err(KernelError::BadArgument), "count must fit a u16");
        assert_eq!(PortRange::new(0x3f8, 0), Err(KernelError::BadArgument));
        assert_eq!(PortRange::new(u64::MAX, 1), Err(KernelError::BadArgument));
    }

    #[test]
    fn overlap_is_any_shared_port() {
        let com1 = PortRange::new(0x3f8, 8).unwrap();
        assert!(com1.overlaps(0x3f0, 9));
        assert!(com1.overlaps(0x3ff, 1));
        assert!(!com1.overlaps(0x3f0, 8));
        assert!(!com1.overlaps(0x400, 4));
    }

    #[test]
    fn the_timer_and_cascade_lines_are_never_granted() {
        assert_eq!(IrqGrant::new(4, 8).map(|g| (g.line(), g.bits)), Ok((4, 1 << 8)));
        for (irq, bit) in [(0, 8), (2, 8), (16, 8), (4, 7), (4, 32), (u64::MAX, 9)] {
            assert_eq!(IrqGrant::new(irq, bit), Err(KernelError::BadArgument), "{irq} {bit}");
        }
    }

    #[test]
    fn only_the_owner_acknowledges_and_an_ended_owner_loses_its_lines() {
        let (console, other) = (TaskId::new(2, 1), TaskId::new(3, 1));
        let mut lines = IrqLines::new();
        lines.grant(IrqGrant::new(4, 8).unwrap(), console);
        lines.grant(IrqGrant::new(3, 9).unwrap(), console);
        assert_eq!(lines.owner(4), Some((console, 1 << 8)));
        assert_eq!(lines.acknowledged_by(4, console), Ok(4));
        assert_eq!(lines.acknowledged_by(4, other), Err(KernelError::Denied));
        assert_eq!(lines.acknowledged_by(5, console), Err(KernelError::Denied));
        assert_eq!(lines.acknowledged_by(16, console), Err(KernelError::BadArgument));
        let mut released = Vec::new();
        lines.release(console, |line| released.push(line));
        assert_eq!(released, [3, 4]);
        assert_eq!(lines.owner(4), None);
        assert_eq!(lines.owner(200), None);
    }

    proptest! {
        /// An accepted port range lies inside the 65,536 ports.
        #[test]
        fn accepted_port_ranges_lie_inside_the_port_space(first in 0u64..0x1_0010, count in 0u64..0x1_0010) {
            let range = PortRange::new(first, count);
            prop_assert_eq!(range.is_ok(), count > 0 && first + count <= 0x1_0000);
            if let Ok(range) = range {
                prop_assert_eq!((range.first() as u64, range.count() as u64), (first, count));
            }
        }

        #[test]
        fn overlap_matches_sets_of_ports(a in 0u16..64, n in 1u16..16, b in 0u16..64, m in 1u16..16) {
            let range = PortRange::new(a as u64, n as u64).unwrap();
            let shared = (a..a + n).any(|port| (b..b + m).contains(&port));
            prop_assert_eq!(range.overlaps(b, m), shared);
        }
    }
}
