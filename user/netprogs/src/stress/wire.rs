//! The messages sockstress sends: a 40-byte header, then the payload.
//!
//! ```text
//! offset  0  magic "SStr"
//!         4  stream   u32  which connection and direction it belongs to
//!         8  seq      u64  1, 2, 3, ... per stream; the end marker takes the next
//!        16  len      u32  payload bytes (0 only for the end marker)
//!        20  flags    u32  REPLY_WANTED, END
//!        24  sum      u64  checksum of the payload
//!        32  head_sum u64  checksum of bytes 0..32
//! ```
//!
//! All little-endian. The header's own checksum lets a receiver tell a
//! damaged header (the stream can no longer be framed) from a damaged
//! payload (that one message is corrupted).

use alloc::vec::Vec;

use super::rng::{MAX_PAYLOAD, Rng};

pub const HEADER_LEN: usize = 40;
pub const MAGIC: [u8; 4] = *b"SStr";
/// The largest message on the wire: more than one `send` carries.
pub const MAX_WIRE_LEN: usize = HEADER_LEN + MAX_PAYLOAD;

pub mod flags {
    /// The receiver answers this message with one of its own.
    pub const REPLY_WANTED: u32 = 1 << 0;
    /// The stream ends here: no payload, and no message follows.
    pub const END: u32 = 1 << 1;
    pub const ALL: u32 = REPLY_WANTED | END;
}

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub stream: u32,
    pub seq: u64,
    pub len: u32,
    pub flags: u32,
    pub sum: u64,
}

/// Why a header is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadHeader {
    Magic,
    HeaderSum,
    Length(u32),
    Flags(u32),
}

/// A 64-bit checksum, a word at a time. Every step is a bijection of the
/// running value for a fixed word, so a change confined to any one 8-byte
/// word always changes the result; the length is mixed in first, so
/// trailing zero bytes count.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64 ^ 0x5354_5245_5353_0001).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        h = (h.rotate_left(23) ^ w).wrapping_mul(K);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut last = [0u8; 8];
        last[..tail.len()].copy_from_slice(tail);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4..8].copy_from_slice(&self.stream.to_le_bytes());
        out[8..16].copy_from_slice(&self.seq.to_le_bytes());
        out[16..20].copy_from_slice(&self.len.to_le_bytes());
        out[20..24].copy_from_slice(&self.flags.to_le_bytes());
        out[24..32].copy_from_slice(&self.sum.to_le_bytes());
        let head_sum = checksum(&out[..32]);
        out[32..40].copy_from_slice(&head_sum.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Header, BadHeader> {
        let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let u64_at = |at: usize| u64::from(u32_at(at)) | u64::from(u32_at(at + 4)) << 32;
        if bytes[0..4] != MAGIC {
            return Err(BadHeader::Magic);
        }
        if checksum(&bytes[..32]) != u64_at(32) {
            return Err(BadHeader::HeaderSum);
        }
        let header = Header { stream: u32_at(4), seq: u64_at(8), len: u32_at(16), flags: u32_at(20), sum: u64_at(24) };
        if header.flags & !flags::ALL != 0 {
            return Err(BadHeader::Flags(header.flags));
        }
        let end = header.flags & flags::END != 0;
        if header.len as usize > MAX_PAYLOAD || (header.len == 0) != end {
            return Err(BadHeader::Length(header.len));
        }
        Ok(header)
    }
}

/// The sending half of one stream: numbers the messages and builds them.
#[derive(Clone, Debug)]
pub struct Outgoing {
    stream: u32,
    /// The last sequence number used (0 before the first message).
    pub seq: u64,
}

impl Outgoing {
    pub const fn new(stream: u32) -> Self {
        Outgoing { stream, seq: 0 }
    }

    /// Builds the next message into `wire` (cleared first): a random
    /// payload of `len` bytes (1..=64 KiB).
    pub fn next_message(&mut self, rng: &mut Rng, len: usize, reply_wanted: bool, wire: &mut Vec<u8>) {
        debug_assert!((1..=MAX_PAYLOAD).contains(&len));
        wire.clear();
        wire.resize(HEADER_LEN + len, 0);
        rng.fill(&mut wire[HEADER_LEN..]);
        self.seq += 1;
        let header = Header {
            stream: self.stream,
            seq: self.seq,
            len: len as u32,
            flags: if reply_wanted { flags::REPLY_WANTED } else { 0 },
            sum: checksum(&wire[HEADER_LEN..]),
        };
        wire[..HEADER_LEN].copy_from_slice(&header.encode());
    }

    /// The end marker: a header alone, numbered after the last message.
    pub fn end_marker(&mut self) -> [u8; HEADER_LEN] {
        self.seq += 1;
        Header { stream: self.stream, seq: self.seq, len: 0, flags: flags::END, sum: checksum(&[]) }.encode()
    }
}

/// The stream number of a pair's direction: the client's messages to the
/// server, or the server's replies.
pub fn stream_id(pair: u32, from_server: bool) -> u32 {
    pair << 1 | u32::from(from_server)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u32, flags: u32) -> Header {
        Header { stream: 9, seq: 77, len, flags, sum: 0x1234 }
    }

    #[test]
    fn headers_round_trip() {
        let h = header(65_536, flags::REPLY_WANTED);
        assert_eq!(Header::decode(&h.encode()), Ok(h));
        let end = header(0, flags::END);
        assert_eq!(Header::decode(&end.encode()), Ok(end));
    }

    #[test]
    fn damaged_headers_are_told_apart() {
        let good = header(10, 0).encode();
        let mut bad = good;
        bad[0] = b'x';
        assert_eq!(Header::decode(&bad), Err(BadHeader::Magic));
        for at in 4..HEADER_LEN {
            let mut bad = good;
            bad[at] ^= 0x10;
            assert_eq!(Header::decode(&bad), Err(BadHeader::HeaderSum), "byte {at}");
        }
        assert_eq!(Header::decode(&header(65_537, 0).encode()), Err(BadHeader::Length(65_537)));
        assert_eq!(Header::decode(&header(0, 0).encode()), Err(BadHeader::Length(0)));
        assert_eq!(Header::decode(&header(5, flags::END).encode()), Err(BadHeader::Length(5)));
        assert_eq!(Header::decode(&header(5, 4).encode()), Err(BadHeader::Flags(4)));
    }

    #[test]
    fn any_change_within_one_word_changes_the_checksum() {
        let mut rng = Rng::new(1);
        let mut data = vec![0u8; 1003];
        rng.fill(&mut data);
        let sum = checksum(&data);
        for at in (0..data.len()).step_by(7) {
            for bit in [0x01, 0x80, 0xff] {
                data[at] ^= bit;
                assert_ne!(checksum(&data), sum, "byte {at} ^ {bit:#x}");
                data[at] ^= bit;
            }
        }
        // Length counts, even for zero bytes; swapped words are noticed.
        assert_ne!(checksum(&[0; 8]), checksum(&[0; 9]));
        assert_ne!(checksum(&[]), checksum(&[0]));
        let mut swapped = data.clone();
        swapped[0..8].copy_from_slice(&data[8..16]);
        swapped[8..16].copy_from_slice(&data[0..8]);
        assert_ne!(checksum(&swapped), sum);
    }

    #[test]
    fn messages_are_numbered_and_checksummed() {
        let mut out = Outgoing::new(stream_id(3, true));
        let mut rng = Rng::new(2);
        let mut wire = Vec::new();
        out.next_message(&mut rng, 100, true, &mut wire);
        assert_eq!(wire.len(), HEADER_LEN + 100);
        let h = Header::decode(wire[..HEADER_LEN].try_into().unwrap()).unwrap();
        assert_eq!((h.stream, h.seq, h.len, h.flags), (7, 1, 100, flags::REPLY_WANTED));
        assert_eq!(h.sum, checksum(&wire[HEADER_LEN..]));
        let first_payload = wire[HEADER_LEN..].to_vec();
        out.next_message(&mut rng, 100, false, &mut wire);
        assert_ne!(wire[HEADER_LEN..], first_payload[..], "payloads repeat");
        let end = Header::decode(&out.end_marker()).unwrap();
        assert_eq!((end.seq, end.len, end.flags), (3, 0, flags::END));
    }
}
