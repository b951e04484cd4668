//! `sockloop`'s pure parts: its arguments and the messages it exchanges.
//!
//! `sockloop server PORT` listens and echoes every message back;
//! `sockloop client PORT N` connects and sends N numbered messages, checking
//! that each comes back unchanged. With `--reconnect` both survive netd
//! restarts: after each reset (-1030) the server listens again and the
//! client connects again and starts a new numbered exchange; the client
//! stops after N messages in all or after MS ms (`--reconnect MS`).
//! Message `seq` is [`message`]`(port, seq)`:
//! the port and number as text, then filler derived from both, and every
//! eighth message is longer than netd's 4 KiB copy limit, so both of netd's
//! data paths carry it. Each side knows exactly which message must come
//! next, so a lost, repeated, reordered or foreign message is caught.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Length of every eighth message: over netd's 4 KiB limit for copied messages.
pub const LONG_MESSAGE_LEN: usize = 6000;

/// The flag that makes both sides reconnect after a netd restart.
pub const RECONNECT: &str = "--reconnect";

/// What the program was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Server {
        port: u16,
        reconnect: bool,
    },
    /// `reconnect`: `Some(ms)` to reconnect after resets, for at most `ms`.
    Client {
        port: u16,
        count: u64,
        reconnect: Option<u64>,
    },
}

pub const USAGE: &str = "usage: sockloop server PORT [--reconnect] | sockloop client PORT COUNT [--reconnect [MS]]";

/// Parses the arguments after the program name.
pub fn parse(args: &[&str]) -> Option<Role> {
    let client = |port: &str, count: &str, reconnect| {
        Some(Role::Client { port: port.parse().ok()?, count: count.parse().ok()?, reconnect })
    };
    match *args {
        ["server", port] => Some(Role::Server { port: port.parse().ok()?, reconnect: false }),
        ["server", port, RECONNECT] => Some(Role::Server { port: port.parse().ok()?, reconnect: true }),
        ["client", port, count] => client(port, count, None),
        ["client", port, count, RECONNECT] => client(port, count, Some(u64::MAX)),
        ["client", port, count, RECONNECT, ms] => client(port, count, Some(ms.parse().ok()?)),
        _ => None,
    }
}

/// Message number `seq` (from 1) of the connection to `port`.
pub fn message(port: u16, seq: u64) -> Vec<u8> {
    let mut bytes = format!("{port}:{seq}:").into_bytes();
    let filler = if seq.is_multiple_of(8) { LONG_MESSAGE_LEN - bytes.len() } else { (seq % 40) as usize };
    bytes.extend((0..filler).map(|k| b'a' + ((seq as usize + k) % 26) as u8));
    bytes
}

/// The start of a message as printable text, for error lines.
pub fn shown(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(24)];
    let mut text: String = head.iter().map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }).collect();
    if bytes.len() > head.len() {
        text.push_str("...");
    }
    format!("{text:?} ({} bytes)", bytes.len())
}

/// The messages one side expects, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    port: u16,
    /// Messages checked so far.
    pub done: u64,
}

impl Expected {
    pub const fn new(port: u16) -> Self {
        Expected { port, done: 0 }
    }

    /// The message that must come (or be sent) next.
    pub fn next(&self) -> Vec<u8> {
        message(self.port, self.done + 1)
    }

    /// Checks `got` against the next message; on success moves on, else
    /// returns the error line's text.
    pub fn check(&mut self, got: &[u8]) -> Result<(), String> {
        let want = self.next();
        if got != want.as_slice() {
            return Err(format!("wrong data: expected {} got {}", shown(&want), shown(got)));
        }
        self.done += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(parse(&["server", "7000"]), Some(Role::Server { port: 7000, reconnect: false }));
        assert_eq!(parse(&["server", "7000", "--reconnect"]), Some(Role::Server { port: 7000, reconnect: true }));
        assert_eq!(parse(&["client", "7000", "50"]), Some(Role::Client { port: 7000, count: 50, reconnect: None }));
        assert_eq!(
            parse(&["client", "7000", "50", "--reconnect"]),
            Some(Role::Client { port: 7000, count: 50, reconnect: Some(u64::MAX) })
        );
        assert_eq!(
            parse(&["client", "7000", "50", "--reconnect", "3000"]),
            Some(Role::Client { port: 7000, count: 50, reconnect: Some(3000) })
        );
        assert_eq!(parse(&["client", "7000", "50", "--again"]), None);
        assert_eq!(parse(&["server", "7000", "--reconnect", "1"]), None);
        assert_eq!(parse(&["client", "7000"]), None);
        assert_eq!(parse(&["server", "70000"]), None);
        assert_eq!(parse(&["echo", "1"]), None);
    }

    #[test]
    fn messages_differ_by_port_and_number_and_some_are_long() {
        assert_eq!(message(7000, 1), b"7000:1:b".to_vec());
        assert_ne!(message(7000, 2), message(7001, 2));
        assert_eq!(message(7000, 8).len(), LONG_MESSAGE_LEN);
        assert!(message(7000, 39).len() < 64);
        let all: Vec<_> = (1..=100).map(|seq| message(7000, seq)).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| b != a), "message {} repeats", i + 1);
        }
    }

    #[test]
    fn only_the_next_message_passes() {
        let mut expected = Expected::new(7000);
        assert!(expected.check(&message(7000, 1)).is_ok());
        // A repeat, a skip, another connection's message, a cut one.
        assert!(expected.check(&message(7000, 1)).is_err());
        assert!(expected.check(&message(7000, 3)).is_err());
        assert!(expected.check(&message(7001, 2)).is_err());
        let mut cut = message(7000, 2);
        cut.pop();
        let error = expected.check(&cut).unwrap_err();
        assert!(error.starts_with("wrong data: expected \"7000:2:"), "{error}");
        assert_eq!(expected.done, 1);
        assert!(expected.check(&message(7000, 2)).is_ok());
        assert_eq!(expected.next(), message(7000, 3));
    }

    #[test]
    fn long_messages_are_shown_cut() {
        let text = shown(&message(1, 8));
        assert!(text.ends_with("...\" (6000 bytes)"), "{text}");
        assert_eq!(shown(b"a\0b"), "\"a.b\" (3 bytes)");
    }
}
