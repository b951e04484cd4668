//! The messages of the mesh: a call's request (its arena and leases, and a
//! payload), the server's reply (the hash of its model of the arena, and a
//! padding), and a child's report to the parent with the roster it gets back.
//!
//! Payload and padding are patterns derived from the call's seed, so the
//! receiving side checks every byte that arrived.

use alloc::vec::Vec;
use core::ops::Range;

use abi::{MAX_LEASES, MAX_MESSAGE, TaskId};

use super::arena::{MAX_UNKNOWN, pattern_byte};
use super::{Counts, Role};

/// Operation of a call from one child to another.
pub const OP_MESH: u32 = 1;
/// Operation of a child's report to the parent.
pub const OP_REPORT: u32 = 2;

const PAYLOAD_SALT: u64 = 0x7061_796c_6f61_6400;
const PADDING_SALT: u64 = 0x7061_6464_696e_6700;
const REPLY_MAGIC: u32 = 0x6d65_7368;

/// A lease as the request describes it: offset in the arena, length, flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseSpec {
    pub start: u32,
    pub len: u32,
    pub flags: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshRequest {
    pub seed: u64,
    /// Mapped pages of the caller's arena, one bit each.
    pub mapped: u8,
    /// How long the reply must be (at least [`REPLY_HEADER_LEN`]).
    pub reply_len: u16,
    /// How many reply bytes the caller takes (its reply buffer's capacity).
    pub capacity: u16,
    pub payload_len: u8,
    pub leases: Vec<LeaseSpec>,
}

const REQUEST_HEADER_LEN: usize = 15;
const LEASE_SPEC_LEN: usize = 9;
/// Longest payload that fits beside four lease descriptions.
pub const MAX_PAYLOAD: usize = MAX_MESSAGE - REQUEST_HEADER_LEN - MAX_LEASES * LEASE_SPEC_LEN;

impl MeshRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_MESSAGE);
        out.extend_from_slice(&self.seed.to_le_bytes());
        out.push(self.mapped);
        out.extend_from_slice(&self.reply_len.to_le_bytes());
        out.extend_from_slice(&self.capacity.to_le_bytes());
        out.push(self.payload_len);
        out.push(self.leases.len() as u8);
        for lease in &self.leases {
            out.extend_from_slice(&lease.start.to_le_bytes());
            out.extend_from_slice(&lease.len.to_le_bytes());
            out.push(lease.flags);
        }
        out.extend((0..self.payload_len as usize).map(|at| pattern_byte(self.seed ^ PAYLOAD_SALT, at)));
        out
    }

    /// Decodes a request and checks its payload byte for byte.
    pub fn decode(bytes: &[u8]) -> Result<MeshRequest, &'static str> {
        let header = bytes.get(..REQUEST_HEADER_LEN).ok_or("request shorter than its header")?;
        let word = |at: usize, n: usize| header[at..at + n].iter().rev().fold(0u64, |v, &b| v << 8 | b as u64);
        let (seed, mapped, reply_len, capacity) = (word(0, 8), header[8], word(9, 2) as u16, word(11, 2) as u16);
        let (payload_len, count) = (header[13], header[14] as usize);
        if count > MAX_LEASES {
            return Err("more than four leases described");
        }
        let table_end = REQUEST_HEADER_LEN + count * LEASE_SPEC_LEN;
        let table = bytes.get(REQUEST_HEADER_LEN..table_end).ok_or("lease descriptions cut")?;
        let leases = table
            .chunks(LEASE_SPEC_LEN)
            .map(|c| LeaseSpec {
                start: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                len: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                flags: c[8],
            })
            .collect();
        let payload = &bytes[table_end..];
        if payload.len() != payload_len as usize {
            return Err("payload length differs from the one announced");
        }
        if payload.iter().enumerate().any(|(at, &b)| b != pattern_byte(seed ^ PAYLOAD_SALT, at)) {
            return Err("payload bytes differ from the pattern");
        }
        Ok(MeshRequest { seed, mapped, reply_len, capacity, payload_len, leases })
    }
}

/// Magic, hash, count of unknown ranges, the ranges, then zeros.
pub const REPLY_HEADER_LEN: usize = 64;

/// The reply code of the call with `seed`.
pub fn reply_code(seed: u64) -> u32 {
    (seed >> 32) as u32 ^ 0x5a5a_5a5a
}

/// The server's account of the caller's arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeshReply {
    pub hash: u64,
    pub unknown: Vec<Range<usize>>,
}

impl MeshReply {
    /// `len` bytes (at least the header): the account, then the padding.
    pub fn encode(&self, seed: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len.max(REPLY_HEADER_LEN));
        out.extend_from_slice(&(REPLY_MAGIC ^ seed as u32).to_le_bytes());
        out.extend_from_slice(&self.hash.to_le_bytes());
        out.push(self.unknown.len().min(MAX_UNKNOWN) as u8);
        for range in self.unknown.iter().take(MAX_UNKNOWN) {
            out.extend_from_slice(&(range.start as u32).to_le_bytes());
            out.extend_from_slice(&(range.end as u32).to_le_bytes());
        }
        out.resize(REPLY_HEADER_LEN, 0);
        out.extend((REPLY_HEADER_LEN..len).map(|at| pattern_byte(seed ^ PADDING_SALT, at)));
        out
    }

    /// Checks the bytes that arrived of the reply to the call with `seed`;
    /// the account, if the header arrived whole.
    pub fn decode(seed: u64, bytes: &[u8]) -> Result<Option<MeshReply>, &'static str> {
        if bytes.iter().enumerate().skip(REPLY_HEADER_LEN).any(|(at, &b)| b != pattern_byte(seed ^ PADDING_SALT, at)) {
            return Err("reply padding differs from the pattern");
        }
        let Some(header) = bytes.get(..REPLY_HEADER_LEN) else { return Ok(None) };
        let u32_at = |at: usize| u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
        if u32_at(0) != REPLY_MAGIC ^ seed as u32 {
            return Err("reply magic is not that of this call");
        }
        let mut hash = [0u8; 8];
        hash.copy_from_slice(&header[4..12]);
        let count = header[12] as usize;
        if count > MAX_UNKNOWN {
            return Err("reply names too many unknown ranges");
        }
        let unknown = (0..count).map(|k| u32_at(13 + 8 * k) as usize..u32_at(17 + 8 * k) as usize).collect();
        Ok(Some(MeshReply { hash: u64::from_le_bytes(hash), unknown }))
    }
}

/// A child's report: its role and counts since the last report.
pub fn encode_report(role: Role, counts: Counts) -> Vec<u8> {
    let mut out = alloc::vec![role.code()];
    out.extend(counts.to_array().iter().flat_map(|n| n.to_le_bytes()));
    out
}

pub fn decode_report(bytes: &[u8]) -> Option<(Role, Counts)> {
    let (&role, rest) = bytes.split_first()?;
    if rest.len() != Counts::FIELDS * 8 {
        return None;
    }
    let mut fields = [0u64; Counts::FIELDS];
    for (field, chunk) in fields.iter_mut().zip(rest.chunks(8)) {
        *field = u64::from_le_bytes(chunk.try_into().ok()?);
    }
    Some((Role::from_code(role)?, Counts::from_array(fields)))
}

/// The reporting child's own id, who is in the mesh now, and ids of
/// children that were killed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    pub you: TaskId,
    pub members: Vec<(TaskId, Role)>,
    pub killed: Vec<TaskId>,
}

/// Members and killed ids a roster carries at most (it fits one message).
pub const MAX_MEMBERS: usize = 32;
pub const MAX_KILLED: usize = 8;

impl Roster {
    pub fn encode(&self) -> Vec<u8> {
        let members = &self.members[..self.members.len().min(MAX_MEMBERS)];
        let killed = &self.killed[..self.killed.len().min(MAX_KILLED)];
        let mut out = self.you.raw().to_le_bytes().to_vec();
        out.push(members.len() as u8);
        for (id, role) in members {
            out.extend_from_slice(&id.raw().to_le_bytes());
            out.push(role.code());
        }
        out.push(killed.len() as u8);
        out.extend(killed.iter().flat_map(|id| id.raw().to_le_bytes()));
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Roster> {
        let id_at = |at: usize| Some(TaskId::from_raw(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?)));
        let you = id_at(0)?;
        let count = *bytes.get(4)? as usize;
        let mut members = Vec::with_capacity(count);
        for k in 0..count {
            let at = 5 + 5 * k;
            members.push((id_at(at)?, Role::from_code(*bytes.get(at + 4)?)?));
        }
        let killed_at = 5 + 5 * count;
        let killed =
            (0..*bytes.get(killed_at)? as usize).map(|k| id_at(killed_at + 1 + 4 * k)).collect::<Option<Vec<_>>>()?;
        (bytes.len() == killed_at + 1 + 4 * killed.len()).then_some(Roster { you, members, killed })
    }
}
