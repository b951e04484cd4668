//! The IPC protocols of the system servers, defined once for both sides.
//!
//! Convention for every server here: reply code 0 means success; a code from
//! 1 to 11 carries an `abi::KernelError` (its number negated), so clients get
//! typed errors; other codes are protocol-specific outcomes.

pub mod console;
pub mod init;

use abi::KernelError;

/// The reply code that reports `err`.
pub const fn error_code(err: KernelError) -> u32 {
    (-err.code()) as u32
}

/// Decodes a reply code: `Ok(code)` for success and protocol outcomes, the
/// error for codes in the error range.
pub fn check_code(code: u32) -> Result<u32, KernelError> {
    match KernelError::from_code(-(code as i64)) {
        Some(err) if code != 0 => Err(err),
        _ => Ok(code),
    }
}

/// Reads a little-endian u32 at `at`.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let field = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(field.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip_and_leave_outcomes_alone() {
        for err in KernelError::ALL {
            assert_eq!(check_code(error_code(err)), Err(err));
        }
        assert_eq!(check_code(0), Ok(0));
        assert_eq!(check_code(100), Ok(100));
    }
}
