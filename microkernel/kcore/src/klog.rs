//! The kernel log ring that `dmesg` reads once the console server owns the
//! serial port.
//!
//! Offsets are absolute byte positions since boot, so a reader keeps its
//! place across calls and notices when it fell behind: an offset older than
//! the retained window reads from the oldest byte still held. When full, new
//! bytes overwrite the oldest ones. `N` bytes are held; nothing allocates.

pub struct LogRing<const N: usize> {
    bytes: [u8; N],
    total: u64,
}

impl<const N: usize> LogRing<N> {
    const NOT_EMPTY: () = assert!(N > 0, "a log ring needs room for at least one byte");

    pub const fn new() -> Self {
        let () = Self::NOT_EMPTY;
        LogRing { bytes: [0; N], total: 0 }
    }

    /// Appends `data`, overwriting the oldest bytes when the ring is full.
    pub fn push(&mut self, data: &[u8]) {
        // Only the last N bytes can survive this call.
        let kept = &data[data.len().saturating_sub(N)..];
        let skipped = (data.len() - kept.len()) as u64;
        let start = ((self.total + skipped) % N as u64) as usize;
        let first = kept.len().min(N - start);
        self.bytes[start..start + first].copy_from_slice(&kept[..first]);
        self.bytes[..kept.len() - first].copy_from_slice(&kept[first..]);
        self.total += data.len() as u64;
    }

    /// Bytes pushed since boot, including those overwritten since.
    pub fn total_written(&self) -> u64 {
        self.total
    }

    /// Absolute offset of the oldest byte still held.
    pub fn oldest_offset(&self) -> u64 {
        self.total.saturating_sub(N as u64)
    }

    /// Copies bytes from absolute `offset` into `out`. Returns how many were
    /// copied and the offset to read from next. An offset that was already
    /// overwritten starts at the oldest held byte; one past the end copies
    /// nothing and returns the current end.
    pub fn read(&self, offset: u64, out: &mut [u8]) -> (usize, u64) {
        let start = offset.clamp(self.oldest_offset(), self.total);
        let available = (self.total - start) as usize;
        let copied = available.min(out.len());
        let ring_start = (start % N as u64) as usize;
        let first = copied.min(N - ring_start);
        out[..first].copy_from_slice(&self.bytes[ring_start..ring_start + first]);
        out[first..copied].copy_from_slice(&self.bytes[..copied - first]);
        (copied, start + copied as u64)
    }
}

impl<const N: usize> Default for LogRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for LogRing<N> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        self.push(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all<const N: usize>(ring: &LogRing<N>, offset: u64) -> (Vec<u8>, u64) {
        let mut out = vec![0; 4 * N];
        let (copied, next) = ring.read(offset, &mut out);
        out.truncate(copied);
        (out, next)
    }

    #[test]
    fn reads_back_what_was_pushed() {
        let mut ring = LogRing::<16>::new();
        ring.push(b"hello ");
        ring.push(b"world");
        assert_eq!(ring.total_written(), 11);
        assert_eq!(read_all(&ring, 0), (b"hello world".to_vec(), 11));
        assert_eq!(read_all(&ring, 6), (b"world".to_vec(), 11));
        assert_eq!(read_all(&ring, 11), (vec![], 11));
        assert_eq!(read_all(&ring, 99), (vec![], 11));
    }

    #[test]
    fn wraparound_keeps_the_newest_bytes() {
        let mut ring = LogRing::<8>::new();
        ring.push(b"abcdef");
        ring.push(b"ghij");
        assert_eq!(ring.oldest_offset(), 2);
        assert_eq!(read_all(&ring, 0), (b"cdefghij".to_vec(), 10));
        assert_eq!(read_all(&ring, 5), (b"fghij".to_vec(), 10));
        ring.push(b"0123456789ABC");
        assert_eq!(ring.total_written(), 23);
        assert_eq!(read_all(&ring, 3), (b"56789ABC".to_vec(), 23));
    }

    #[test]
    fn small_reader_buffer_pages_through() {
        let mut ring = LogRing::<8>::new();
        ring.push(b"abcdefghijk");
        let mut out = [0u8; 3];
        let mut offset = 0;
        let mut seen = Vec::new();
        loop {
            let (copied, next) = ring.read(offset, &mut out);
            if copied == 0 {
                break;
            }
            seen.extend_from_slice(&out[..copied]);
            offset = next;
        }
        assert_eq!(seen, b"defghijk");
        assert_eq!(offset, 11);
    }

    #[test]
    fn formats_through_write() {
        use core::fmt::Write;
        let mut ring = LogRing::<32>::new();
        write!(ring, "task {} exited", 3).unwrap();
        assert_eq!(read_all(&ring, 0).0, b"task 3 exited");
    }

    proptest! {
        /// The ring always holds exactly the last N bytes of everything pushed.
        #[test]
        fn holds_the_tail_of_the_stream(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..30), 0..20),
            offset in 0u64..400,
        ) {
            let mut ring = LogRing::<13>::new();
            let mut stream = Vec::new();
            for chunk in &chunks {
                ring.push(chunk);
                stream.extend_from_slice(chunk);
            }
            let start = (offset as usize).clamp(stream.len().saturating_sub(13), stream.len());
            let (bytes, next) = read_all(&ring, offset);
            prop_assert_eq!(&bytes[..], &stream[start..]);
            prop_assert_eq!(next, stream.len() as u64);
        }
    }
}
