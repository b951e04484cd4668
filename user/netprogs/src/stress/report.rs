//! What a pair's tasks tell the sockstress task that started them: one IPC
//! call ([`REPORT`]) carrying what their verifier counted since the last
//! report, how many more messages the client wants to send, and, last, how
//! their connection ended. The answer is 4 bytes: the messages granted.
//!
//! Layout (little-endian, [`REPORT_LEN`] bytes): pair u32, side u8, ending
//! kind u8, reset reason u8, end marker seen u8, failed call u8, 3 bytes
//! zero, error code i32, verified u32, lost u32, duplicated u32, corrupted
//! u32, payload bytes u64, wanted u32, 4 bytes zero.

use core::fmt;

use libsock::{ResetReason, SockError};

use super::verify::Counts;

/// The operation code of a report.
pub const REPORT: u32 = 1;
pub const REPORT_LEN: usize = 48;
/// Bytes of the answer: the grant, u32.
pub const GRANT_LEN: usize = 4;

/// Which task of the pair is reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// The socket call that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Listen,
    Connect,
    Send,
    Recv,
    Disconnect,
}

impl Call {
    const ALL: [Call; 5] = [Call::Listen, Call::Connect, Call::Send, Call::Recv, Call::Disconnect];

    pub fn name(self) -> &'static str {
        match self {
            Call::Listen => "listen",
            Call::Connect => "connect",
            Call::Send => "send",
            Call::Recv => "recv",
            Call::Disconnect => "disconnect",
        }
    }
}

const REASONS: [ResetReason; 3] = [ResetReason::PeerDisconnected, ResetReason::PeerDied, ResetReason::NetdRestarted];

/// How a task's connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A call answered E_CONNECTION_RESET_BY_REMOTE; `saw_end`: the peer's
    /// end marker had come before.
    Reset { call: Call, reason: ResetReason, saw_end: bool },
    /// A call failed otherwise.
    Failed { call: Call, error: SockError },
    /// A damaged header ended the stream (counted as corrupted).
    Unframed,
    /// The client sent its end marker and disconnected.
    Closed,
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Reset { call, reason, saw_end } => {
                let after = if *saw_end { "after" } else { "before" };
                write!(f, "{}: E_CONNECTION_RESET_BY_REMOTE (-1030), {reason}, {after} the end marker", call.name())
            }
            Ending::Failed { call, error } => write!(f, "{}: {error}", call.name()),
            Ending::Unframed => f.write_str("a damaged header"),
            Ending::Closed => f.write_str("closed in order"),
        }
    }
}

/// One report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub pair: u32,
    pub side: Side,
    /// Counted since the previous report.
    pub counts: Counts,
    /// Messages the client asks to send next (0 for none).
    pub wanted: u32,
    /// Set in a task's last report.
    pub ending: Option<Ending>,
}

fn index_of<T: PartialEq>(all: &[T], item: &T) -> u8 {
    all.iter().position(|x| x == item).unwrap_or(0) as u8
}

impl Report {
    pub fn encode(&self) -> [u8; REPORT_LEN] {
        let mut out = [0u8; REPORT_LEN];
        out[0..4].copy_from_slice(&self.pair.to_le_bytes());
        out[4] = match self.side {
            Side::Client => 0,
            Side::Server => 1,
        };
        let (kind, reason, saw_end, call, code) = match self.ending {
            None => (0, 0, false, 0, 0),
            Some(Ending::Reset { call, reason, saw_end }) => {
                (1, index_of(&REASONS, &reason), saw_end, index_of(&Call::ALL, &call), -1030)
            }
            Some(Ending::Failed { call, error }) => (2, 0, false, index_of(&Call::ALL, &call), error.code()),
            Some(Ending::Unframed) => (3, 0, false, 0, 0),
            Some(Ending::Closed) => (4, 0, false, 0, 0),
        };
        out[5] = kind;
        out[6] = reason;
        out[7] = u8::from(saw_end);
        out[8] = call;
        out[12..16].copy_from_slice(&code.to_le_bytes());
        let counts = &self.counts;
        for (at, value) in [(16, counts.verified), (20, counts.lost), (24, counts.duplicated), (28, counts.corrupted)] {
            out[at..at + 4].copy_from_slice(&(value.min(u64::from(u32::MAX)) as u32).to_le_bytes());
        }
        out[32..40].copy_from_slice(&counts.bytes.to_le_bytes());
        out[40..44].copy_from_slice(&self.wanted.to_le_bytes());
        out
    }

    /// `None` for anything [`Report::encode`] could not have made.
    pub fn decode(bytes: &[u8]) -> Option<Report> {
        let bytes: &[u8; REPORT_LEN] = bytes.try_into().ok()?;
        let u32_at = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let side = match bytes[4] {
            0 => Side::Client,
            1 => Side::Server,
            _ => return None,
        };
        let call = *Call::ALL.get(usize::from(bytes[8]))?;
        let code = u32_at(12) as i32;
        let ending = match bytes[5] {
            0 => None,
            1 => Some(Ending::Reset {
                call,
                reason: *REASONS.get(usize::from(bytes[6]))?,
                saw_end: match bytes[7] {
                    0 => false,
                    1 => true,
                    _ => return None,
                },
            }),
            2 => match SockError::from_code(code)? {
                SockError::ConnectionReset(_) => return None,
                error => Some(Ending::Failed { call, error }),
            },
            3 => Some(Ending::Unframed),
            4 => Some(Ending::Closed),
            _ => return None,
        };
        let counts = Counts {
            verified: u64::from(u32_at(16)),
            lost: u64::from(u32_at(20)),
            duplicated: u64::from(u32_at(24)),
            corrupted: u64::from(u32_at(28)),
            bytes: u64::from(u32_at(32)) | u64::from(u32_at(36)) << 32,
        };
        Some(Report { pair: u32_at(0), side, counts, wanted: u32_at(40), ending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(ending: Option<Ending>) -> Report {
        Report {
            pair: 70_000,
            side: Side::Server,
            counts: Counts { verified: 3, bytes: 5_000_000_000, lost: 1, duplicated: 2, corrupted: 4 },
            wanted: 9,
            ending,
        }
    }

    #[test]
    fn reports_round_trip() {
        let endings = [
            None,
            Some(Ending::Reset { call: Call::Send, reason: ResetReason::PeerDied, saw_end: false }),
            Some(Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDisconnected, saw_end: true }),
            Some(Ending::Failed { call: Call::Connect, error: SockError::NotFound }),
            Some(Ending::Failed { call: Call::Disconnect, error: SockError::WrongState }),
            Some(Ending::Unframed),
            Some(Ending::Closed),
        ];
        for ending in endings {
            let r = report(ending);
            assert_eq!(Report::decode(&r.encode()), Some(r));
        }
        let client = Report { side: Side::Client, ..report(None) };
        assert_eq!(Report::decode(&client.encode()), Some(client));
    }

    #[test]
    fn malformed_reports_are_refused() {
        let good = report(Some(Ending::Closed)).encode();
        assert_eq!(Report::decode(&good[..REPORT_LEN - 1]), None);
        for (at, value) in [(4, 2), (5, 5), (8, 5)] {
            let mut bad = good;
            bad[at] = value;
            assert_eq!(Report::decode(&bad), None, "byte {at} = {value}");
        }
        let mut reset =
            report(Some(Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDied, saw_end: false })).encode();
        reset[7] = 2;
        assert_eq!(Report::decode(&reset), None);
        let mut failed = report(Some(Ending::Failed { call: Call::Send, error: SockError::Fail })).encode();
        failed[12..16].copy_from_slice(&(-1030i32).to_le_bytes());
        assert_eq!(Report::decode(&failed), None);
    }

    #[test]
    fn endings_read_as_sentences() {
        let reset = Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDied, saw_end: false };
        assert_eq!(
            reset.to_string(),
            "recv: E_CONNECTION_RESET_BY_REMOTE (-1030), the peer task died, before the end marker"
        );
        let failed = Ending::Failed { call: Call::Send, error: SockError::WrongState };
        assert_eq!(failed.to_string(), "send: E_WRONG_STATE (-1027)");
    }
}
