//! The six socket error codes of the seed, and the two of the extensions, as
//! one enum.
//!
//! The integer API returns the seed's numbers (-1025..-1030) unchanged; the Rust
//! API returns [`SockError`], whose reset variant also says why the connection
//! ended. All three reset reasons share the code -1030, as in the seed. Only
//! the calls of the extensions (waits, non-blocking calls) can end with
//! [`E_TIMEOUT`] or [`E_WOULD_BLOCK`]: a program using the seed's five calls
//! sees the six codes alone.

use serde::{Deserialize, Serialize};

/// No socket on that port.
pub const E_NOTFOUND: i32 = -1025;
/// The socket belongs to another task, or the port is taken.
pub const E_ACCESS_DENIED: i32 = -1026;
/// The socket is not in a state that allows the call.
pub const E_WRONG_STATE: i32 = -1027;
/// Out of resources, or netd cannot be reached.
pub const E_FAIL: i32 = -1028;
/// A bad port, length, buffer or host.
pub const E_INVALID_ARG: i32 = -1029;
/// The connection ended: the peer closed or died, or netd restarted.
pub const E_CONNECTION_RESET_BY_REMOTE: i32 = -1030;
/// The call's timeout passed first (extensions only).
pub const E_TIMEOUT: i32 = -1031;
/// A non-blocking call would have had to wait (extensions only).
pub const E_WOULD_BLOCK: i32 = -1032;

/// Why a connection was reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResetReason {
    /// The peer called `disconnect`: an orderly close.
    PeerDisconnected,
    /// The peer's task ended without disconnecting.
    PeerDied,
    /// netd restarted, losing every socket it held.
    NetdRestarted,
}

/// A failed socket call: one variant per error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SockError {
    NotFound,
    AccessDenied,
    WrongState,
    Fail,
    InvalidArg,
    ConnectionReset(ResetReason),
    /// `E_TIMEOUT`: only calls made with a timeout.
    Timeout,
    /// `E_WOULD_BLOCK`: only non-blocking calls.
    WouldBlock,
}

impl SockError {
    /// The codes of the extensions' calls, besides the seed's.
    pub const EXTENDED: [SockError; 2] = [SockError::Timeout, SockError::WouldBlock];

    /// Every seed code in order, with the reset code represented by a peer disconnect.
    pub const ALL: [SockError; 8] = [
        SockError::NotFound,
        SockError::AccessDenied,
        SockError::WrongState,
        SockError::Fail,
        SockError::InvalidArg,
        SockError::ConnectionReset(ResetReason::PeerDisconnected),
        SockError::ConnectionReset(ResetReason::PeerDied),
        SockError::ConnectionReset(ResetReason::NetdRestarted),
    ];

    /// The seed's integer code.
    pub const fn code(self) -> i32 {
        match self {
            SockError::NotFound => E_NOTFOUND,
            SockError::AccessDenied => E_ACCESS_DENIED,
            SockError::WrongState => E_WRONG_STATE,
            SockError::Fail => E_FAIL,
            SockError::InvalidArg => E_INVALID_ARG,
            SockError::ConnectionReset(_) => E_CONNECTION_RESET_BY_REMOTE,
            SockError::Timeout => E_TIMEOUT,
            SockError::WouldBlock => E_WOULD_BLOCK,
        }
    }

    /// Decodes a seed integer code. The reason of a reset is not in the code,
    /// so -1030 decodes as a peer disconnect.
    pub const fn from_code(code: i32) -> Option<SockError> {
        Some(match code {
            E_NOTFOUND => SockError::NotFound,
            E_ACCESS_DENIED => SockError::AccessDenied,
            E_WRONG_STATE => SockError::WrongState,
            E_FAIL => SockError::Fail,
            E_INVALID_ARG => SockError::InvalidArg,
            E_CONNECTION_RESET_BY_REMOTE => SockError::ConnectionReset(ResetReason::PeerDisconnected),
            E_TIMEOUT => SockError::Timeout,
            E_WOULD_BLOCK => SockError::WouldBlock,
            _ => return None,
        })
    }

    /// The seed's name for the code, e.g. `E_NOTFOUND`.
    pub const fn name(self) -> &'static str {
        match self {
            SockError::NotFound => "E_NOTFOUND",
            SockError::AccessDenied => "E_ACCESS_DENIED",
            SockError::WrongState => "E_WRONG_STATE",
            SockError::Fail => "E_FAIL",
            SockError::InvalidArg => "E_INVALID_ARG",
            SockError::ConnectionReset(_) => "E_CONNECTION_RESET_BY_REMOTE",
            SockError::Timeout => "E_TIMEOUT",
            SockError::WouldBlock => "E_WOULD_BLOCK",
        }
    }
}

impl From<SockError> for i32 {
    fn from(error: SockError) -> i32 {
        error.code()
    }
}

impl core::fmt::Display for SockError {
    /// `E_NAME (code)`, the form every program prints after `PROGRAM: CALL: `.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

impl core::error::Error for SockError {}

impl core::fmt::Display for ResetReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ResetReason::PeerDisconnected => "the peer disconnected",
            ResetReason::PeerDied => "the peer task died",
            ResetReason::NetdRestarted => "netd restarted",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_seed() {
        assert_eq!(SockError::NotFound.code(), -1025);
        assert_eq!(SockError::AccessDenied.code(), -1026);
        assert_eq!(SockError::WrongState.code(), -1027);
        assert_eq!(SockError::Fail.code(), -1028);
        assert_eq!(SockError::InvalidArg.code(), -1029);
        for reason in [ResetReason::PeerDisconnected, ResetReason::PeerDied, ResetReason::NetdRestarted] {
            assert_eq!(SockError::ConnectionReset(reason).code(), -1030);
        }
    }

    #[test]
    fn the_extensions_codes_follow_the_seeds() {
        assert_eq!(SockError::Timeout.code(), -1031);
        assert_eq!(SockError::WouldBlock.code(), -1032);
        assert_eq!(SockError::Timeout.to_string(), "E_TIMEOUT (-1031)");
        assert_eq!(SockError::WouldBlock.to_string(), "E_WOULD_BLOCK (-1032)");
    }

    #[test]
    fn codes_round_trip() {
        for error in SockError::ALL.into_iter().chain(SockError::EXTENDED) {
            let back = SockError::from_code(error.code()).unwrap();
            assert_eq!(back.code(), error.code());
            assert_eq!(back.name(), error.name());
        }
        assert_eq!(SockError::from_code(0), None);
        assert_eq!(SockError::from_code(-1024), None);
        assert_eq!(SockError::from_code(-1033), None);
    }

    #[test]
    fn display_is_name_then_code() {
        let reset = SockError::ConnectionReset(ResetReason::PeerDied);
        assert_eq!(reset.to_string(), "E_CONNECTION_RESET_BY_REMOTE (-1030)");
        assert_eq!(SockError::NotFound.to_string(), "E_NOTFOUND (-1025)");
        assert_eq!(SockError::InvalidArg.to_string(), "E_INVALID_ARG (-1029)");
    }
}
