//! The entries of a `poll`: which port, what the caller waits for, and what
//! netd found ready.
//!
//! The entries travel in lease 0 of the `Poll` request (READ and WRITE), four
//! bytes each: the port (little-endian `u16`), the interest flags, and the
//! ready flags netd writes back. One request covers every entry, however
//! many (up to `limits::MAX_POLL_PORTS`).

/// Flags of `interest` and `ready`. `RESET` and `CLOSED` are reported
/// whether asked for or not.
pub mod flags {
    /// A message waits: `recv` would not block.
    pub const READABLE: u8 = 1 << 0;
    /// The peer's inbox has room: `send` would not wait for it.
    pub const WRITABLE: u8 = 1 << 1;
    /// A connection waits on a `listen_queue` socket: `accept` would not block.
    pub const ACCEPTABLE: u8 = 1 << 2;
    /// The connection was reset (after any data left for `recv`).
    pub const RESET: u8 = 1 << 3;
    /// No socket of the caller's on that port (closed meanwhile, or never).
    pub const CLOSED: u8 = 1 << 4;
    /// Every flag.
    pub const ALL: u8 = READABLE | WRITABLE | ACCEPTABLE | RESET | CLOSED;
}

/// Bytes of one entry in the lease.
pub const ENTRY_LEN: usize = 4;

/// One port watched by `poll`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollEntry {
    pub port: u16,
    /// What the caller waits for (`flags`).
    pub interest: u8,
    /// What netd found (`flags`); 0 when the entry is not ready.
    pub ready: u8,
}

impl PollEntry {
    pub const fn new(port: u16, interest: u8) -> Self {
        PollEntry { port, interest, ready: 0 }
    }

    pub fn to_bytes(self) -> [u8; ENTRY_LEN] {
        let [low, high] = self.port.to_le_bytes();
        [low, high, self.interest, self.ready]
    }

    pub fn from_bytes(bytes: [u8; ENTRY_LEN]) -> Self {
        PollEntry { port: u16::from_le_bytes([bytes[0], bytes[1]]), interest: bytes[2], ready: bytes[3] }
    }
}

/// Writes `entries` into `out` (whose length must be `entries.len() * ENTRY_LEN`).
pub fn encode(entries: &[PollEntry], out: &mut [u8]) {
    for (entry, chunk) in entries.iter().zip(out.chunks_exact_mut(ENTRY_LEN)) {
        chunk.copy_from_slice(&entry.to_bytes());
    }
}

/// Reads back the `ready` bytes netd wrote.
pub fn decode_ready(bytes: &[u8], entries: &mut [PollEntry]) {
    for (entry, chunk) in entries.iter_mut().zip(bytes.chunks_exact(ENTRY_LEN)) {
        entry.ready = chunk[3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_their_bytes() {
        let entries = [PollEntry::new(65_535, flags::READABLE), PollEntry::new(7, flags::ALL)];
        let mut bytes = [0u8; 2 * ENTRY_LEN];
        encode(&entries, &mut bytes);
        assert_eq!(bytes[..4], [0xff, 0xff, flags::READABLE, 0]);
        bytes[7] = flags::RESET;
        let mut back = entries;
        decode_ready(&bytes, &mut back);
        assert_eq!(back[1].ready, flags::RESET);
        assert_eq!(PollEntry::from_bytes(bytes[4..8].try_into().unwrap()).port, 7);
    }
}
