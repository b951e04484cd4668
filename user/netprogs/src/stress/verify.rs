//! The receiving half of one stream: reassembles messages from whatever
//! pieces `recv` returns (by the length in each header) and judges each.
//!
//! Message `seq` must come right after `seq - 1`. A higher number means the
//! ones between were lost (the message itself still counts if intact); a
//! lower one is a duplicate; a payload that fails its checksum is corrupted.
//! A header that fails its own checks (or names another stream) is
//! corrupted too, and ends the stream: without a trusted length nothing
//! after it can be framed.

use alloc::vec::Vec;

use super::wire::{BadHeader, HEADER_LEN, Header, checksum, flags};

/// What a stream's receiver counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages that arrived intact, in order, once.
    pub verified: u64,
    /// Their payload bytes.
    pub bytes: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub corrupted: u64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.verified += other.verified;
        self.bytes += other.bytes;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.corrupted += other.corrupted;
    }

    /// What changed since `earlier` (counts only grow).
    pub fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            verified: self.verified - earlier.verified,
            bytes: self.bytes - earlier.bytes,
            lost: self.lost - earlier.lost,
            duplicated: self.duplicated - earlier.duplicated,
            corrupted: self.corrupted - earlier.corrupted,
        }
    }

    pub fn is_clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.corrupted == 0
    }
}

/// The judgement on one complete message (or on a header that is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Intact and new; `skipped` messages before it never came.
    Verified {
        seq: u64,
        len: u32,
        reply_wanted: bool,
        skipped: u64,
    },
    /// The end marker; `skipped` messages before it never came.
    End {
        seq: u64,
        skipped: u64,
    },
    Duplicate {
        seq: u64,
    },
    /// The payload failed its checksum.
    Corrupted {
        seq: u64,
    },
    /// The header is damaged or belongs to another stream; the stream is over.
    Unframed(Unframed),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unframed {
    Header(BadHeader),
    Stream(u32),
}

/// One stream's receiver.
#[derive(Clone, Debug)]
pub struct Verifier {
    stream: u32,
    /// The sequence number that must come next.
    next_seq: u64,
    header: [u8; HEADER_LEN],
    header_filled: usize,
    /// The header of the message whose payload is being collected.
    current: Option<Header>,
    payload: Vec<u8>,
    ended: bool,
    unframed: bool,
    pub counts: Counts,
}

impl Verifier {
    pub fn new(stream: u32) -> Self {
        Verifier {
            stream,
            next_seq: 1,
            header: [0; HEADER_LEN],
            header_filled: 0,
            current: None,
            payload: Vec::new(),
            ended: false,
            unframed: false,
            counts: Counts::default(),
        }
    }

    /// Whether the end marker has come.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Whether a damaged header ended the stream.
    pub fn unframed(&self) -> bool {
        self.unframed
    }

    /// Whether part of a message has come and the rest has not.
    pub fn mid_message(&self) -> bool {
        self.header_filled > 0 || self.current.is_some()
    }

    /// Takes the next bytes of the stream; calls `judged` once per message
    /// they complete. Bytes after a damaged header are ignored.
    pub fn feed(&mut self, mut bytes: &[u8], mut judged: impl FnMut(Verdict)) {
        while !bytes.is_empty() && !self.unframed {
            let Some(header) = self.current else {
                let take = (HEADER_LEN - self.header_filled).min(bytes.len());
                self.header[self.header_filled..self.header_filled + take].copy_from_slice(&bytes[..take]);
                self.header_filled += take;
                bytes = &bytes[take..];
                if self.header_filled == HEADER_LEN {
                    self.header_filled = 0;
                    self.start_message(&mut judged);
                }
                continue;
            };
            let take = (header.len as usize - self.payload.len()).min(bytes.len());
            self.payload.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.payload.len() == header.len as usize {
                self.current = None;
                judged(self.judge(header));
            }
        }
    }

    fn start_message(&mut self, judged: &mut impl FnMut(Verdict)) {
        let unframed = match Header::decode(&self.header) {
            Ok(header) if header.stream != self.stream => Unframed::Stream(header.stream),
            Ok(header) if header.len == 0 => {
                judged(self.judge(header));
                return;
            }
            Ok(header) => {
                self.current = Some(header);
                self.payload.clear();
                return;
            }
            Err(bad) => Unframed::Header(bad),
        };
        self.unframed = true;
        self.counts.corrupted += 1;
        judged(Verdict::Unframed(unframed));
    }

    fn judge(&mut self, header: Header) -> Verdict {
        let seq = header.seq;
        if self.ended || seq < self.next_seq {
            // Nothing may follow the end marker: whatever does repeats the stream.
            self.counts.duplicated += 1;
            return Verdict::Duplicate { seq };
        }
        let skipped = seq - self.next_seq;
        self.next_seq = seq + 1;
        if checksum(&self.payload[..header.len as usize]) != header.sum {
            // The header is intact, so the number is: only this message is bad.
            self.counts.corrupted += 1;
            self.counts.lost += skipped;
            return Verdict::Corrupted { seq };
        }
        self.counts.lost += skipped;
        if header.flags & flags::END != 0 {
            self.ended = true;
            return Verdict::End { seq, skipped };
        }
        self.counts.verified += 1;
        self.counts.bytes += u64::from(header.len);
        Verdict::Verified { seq, len: header.len, reply_wanted: header.flags & flags::REPLY_WANTED != 0, skipped }
    }

    /// The sender closed the connection in order: whatever never came (the
    /// end marker at least, if it is missing) was lost.
    pub fn closed_in_order(&mut self) {
        if !self.ended && !self.unframed {
            self.counts.lost += 1;
        }
    }
}
