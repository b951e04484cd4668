//! The lines init prints about tasks that ended.

use core::fmt;

use abi::{FaultInfo, exception_name};

const PAGE_FAULT: u8 = 14;

/// `fault: task 7 (fault) page fault at 0x0, rip 0x401a2c, killed`; the
/// address is shown for page faults only (other exceptions have none).
pub struct FaultLine<'a> {
    pub task_index: usize,
    pub name: &'a str,
    pub fault: FaultInfo,
}

impl fmt::Display for FaultLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fault: task {} ({}) {}", self.task_index, self.name, exception_name(self.fault.vector))?;
        if self.fault.vector == PAGE_FAULT {
            write!(f, " at {:#x}", self.fault.address)?;
        }
        write!(f, ", rip {:#x}, killed", self.fault.rip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(vector: u8, address: u64) -> String {
        let fault = FaultInfo { vector, address, rip: 0x401a2c, error_code: 4 };
        FaultLine { task_index: 7, name: "fault", fault }.to_string()
    }

    #[test]
    fn page_faults_name_the_address() {
        assert_eq!(line(14, 0), "fault: task 7 (fault) page fault at 0x0, rip 0x401a2c, killed");
    }

    #[test]
    fn other_exceptions_do_not() {
        assert_eq!(line(13, 0), "fault: task 7 (fault) general protection fault, rip 0x401a2c, killed");
        assert_eq!(line(0, 0), "fault: task 7 (fault) divide error, rip 0x401a2c, killed");
    }
}
