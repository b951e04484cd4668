//! Program arguments: how init passes them and how a program reads them.
//!
//! The blob is the arguments one after another, each followed by a zero byte;
//! the first is the program's name. Init copies it to the page at
//! `abi::ARGS_VADDR` and starts the task with `rdi = ARGS_VADDR` and
//! `rsi = blob length`. An argument cannot contain a zero byte, and the whole
//! blob fits in [`ARGS_MAX`] bytes.

/// Largest blob: one page.
pub const ARGS_MAX: usize = abi::PAGE_SIZE;

/// Why arguments could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// The blob would not fit in the output buffer.
    TooLong,
    /// An argument contains a zero byte.
    ZeroByte,
    /// There is no program name.
    Empty,
}

/// Writes `args` into `out` as a blob; returns its length.
pub fn encode<'s>(args: impl IntoIterator<Item = &'s str>, out: &mut [u8]) -> Result<usize, ArgsError> {
    let mut len = 0;
    for arg in args {
        if arg.bytes().any(|b| b == 0) {
            return Err(ArgsError::ZeroByte);
        }
        let end = len + arg.len();
        if end >= out.len() {
            return Err(ArgsError::TooLong);
        }
        out[len..end].copy_from_slice(arg.as_bytes());
        out[end] = 0;
        len = end + 1;
    }
    if len == 0 { Err(ArgsError::Empty) } else { Ok(len) }
}

/// The arguments in a blob, program name first. Arguments that are not UTF-8
/// are skipped rather than trusted.
#[derive(Clone, Debug)]
pub struct Args<'a> {
    rest: &'a [u8],
}

impl<'a> Args<'a> {
    pub const fn new(blob: &'a [u8]) -> Self {
        Args { rest: blob }
    }

    /// The first argument: the program name (empty if there is none).
    pub fn program(&self) -> &'a str {
        self.clone().next().unwrap_or("")
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while !self.rest.is_empty() {
            let end = self.rest.iter().position(|&b| b == 0).unwrap_or(self.rest.len());
            let (arg, tail) = self.rest.split_at(end);
            self.rest = tail.get(1..).unwrap_or(&[]);
            if let Ok(text) = core::str::from_utf8(arg) {
                return Some(text);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_arguments_in_order() {
        let mut buf = [0u8; 64];
        let len = encode(["echo", "a b", "", "c"], &mut buf).unwrap();
        assert_eq!(&buf[..len], b"echo\0a b\0\0c\0");
        let args: Vec<&str> = Args::new(&buf[..len]).collect();
        assert_eq!(args, ["echo", "a b", "", "c"]);
        assert_eq!(Args::new(&buf[..len]).program(), "echo");
    }

    #[test]
    fn refuses_what_cannot_be_decoded() {
        let mut buf = [0u8; 8];
        assert_eq!(encode(["12345678"], &mut buf), Err(ArgsError::TooLong));
        assert_eq!(encode(["1234567"], &mut buf), Ok(8));
        assert_eq!(encode(["a\0b"], &mut buf), Err(ArgsError::ZeroByte));
        assert_eq!(encode([], &mut buf), Err(ArgsError::Empty));
    }

    #[test]
    fn decoding_tolerates_bad_blobs() {
        assert_eq!(Args::new(b"").program(), "");
        let args: Vec<&str> = Args::new(b"ok\0\xff\xfe\0last").collect();
        assert_eq!(args, ["ok", "last"]);
    }
}
