//! A `fmt::Write` into a fixed buffer that cuts instead of failing: used
//! where allocating is not an option (the panic handler).

use core::fmt;

pub struct FixedBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FixedBuf<N> {
    pub const fn new() -> Self {
        FixedBuf { bytes: [0; N], len: 0 }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Appends as much of `bytes` as fits.
    pub fn push(&mut self, bytes: &[u8]) {
        let take = bytes.len().min(N - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&bytes[..take]);
        self.len += take;
    }

    /// Makes sure the text ends with a line end, even if it was cut.
    pub fn end_line(&mut self) {
        if self.as_bytes().last() != Some(&b'\n') {
            if self.len == N {
                self.len -= 1;
            }
            self.push(b"\n");
        }
    }
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for FixedBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn cuts_long_text_and_still_ends_the_line() {
        let mut buf = FixedBuf::<8>::new();
        let (name, value) = ('a', 12345);
        write!(buf, "{name}: {value}").unwrap();
        assert_eq!(buf.as_bytes(), b"a: 12345");
        buf.end_line();
        assert_eq!(buf.as_bytes(), b"a: 1234\n");
        let mut short = FixedBuf::<8>::new();
        short.push(b"ok");
        short.end_line();
        short.end_line();
        assert_eq!(short.as_bytes(), b"ok\n");
    }
}
