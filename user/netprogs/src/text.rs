//! The exact wording of the socket programs' output.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libsock::SockError;

/// `PROGRAM: CALL: E_NAME (code)`, the contract's form for a failed call.
pub fn failure(program: &str, call: &str, error: SockError) -> String {
    format!("{program}: {call}: {error}")
}

/// What the socktest server answers to `text`.
pub fn socktest_reply(text: &[u8]) -> Vec<u8> {
    let mut reply = Vec::with_capacity(text.len() + 3);
    reply.extend_from_slice(text);
    reply.extend_from_slice(b" OK");
    reply
}

/// The line that ends the socktest conversation.
pub const SOCKTEST_EXIT: &[u8] = b"exit";

/// A message as a line of text (invalid UTF-8 shown as U+FFFD).
pub fn shown(message: &[u8]) -> String {
    String::from_utf8_lossy(message).into_owned()
}

/// What `nc` prints when the peer closed the connection in order.
pub const NC_CLOSED: &str = "nc: connection closed by peer";

#[cfg(test)]
mod tests {
    use super::*;
    use libsock::ResetReason;

    #[test]
    fn failures_read_like_the_contract() {
        let reset = SockError::ConnectionReset(ResetReason::PeerDied);
        assert_eq!(failure("nc", "recv", reset), "nc: recv: E_CONNECTION_RESET_BY_REMOTE (-1030)");
        assert_eq!(failure("client", "connect", SockError::NotFound), "client: connect: E_NOTFOUND (-1025)");
    }

    #[test]
    fn replies_append_ok_and_keep_bytes() {
        assert_eq!(socktest_reply(b"hello"), b"hello OK");
        assert_eq!(socktest_reply(b""), b" OK");
        assert_eq!(socktest_reply(b"a\0b"), b"a\0b OK");
        assert_eq!(shown(b"caf\xc3\xa9"), "café");
        assert_eq!(shown(b"\xff"), "\u{fffd}");
    }
}
