//! `argv` for C's `main`: the argument blob (each argument followed by a
//! zero byte, see `urt::args`) is already a row of C strings; a program may
//! write to its arguments, so it gets them in a writable copy.

use alloc::vec::Vec;

/// The offsets of the C strings in `blob`, and the blob with a zero byte
/// after every string (even a last one the blob cut short).
pub fn c_strings(blob: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut copy = Vec::with_capacity(blob.len() + 1);
    copy.extend_from_slice(blob);
    if copy.last().is_some_and(|&b| b != 0) {
        copy.push(0);
    }
    let mut starts = Vec::new();
    let mut start = 0;
    for (at, &byte) in copy.iter().enumerate() {
        if byte == 0 {
            starts.push(start);
            start = at + 1;
        }
    }
    (copy, starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_argument_becomes_one_string() {
        let (copy, starts) = c_strings(b"echo\0hello\0\0x\0");
        assert_eq!(starts, [0, 5, 11, 12]);
        assert_eq!(&copy[5..11], b"hello\0");
        assert_eq!(&copy[11..12], b"\0");
    }

    #[test]
    fn a_cut_blob_still_ends_its_last_string() {
        let (copy, starts) = c_strings(b"prog\0ar");
        assert_eq!(starts, [0, 5]);
        assert_eq!(copy, b"prog\0ar\0");
        assert_eq!(c_strings(b""), (Vec::new(), Vec::new()));
    }
}
