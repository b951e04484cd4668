//! netstat's table: one line per socket.

use alloc::format;
use alloc::string::String;

use abi::TaskId;
use libsock::proto::{RowState, SocketRow};

/// The column titles, aligned with [`line`].
pub const HEADER: &str = "PORT   STATE      OWNER  NAME             PEER   QUEUED";

/// What netstat prints when netd holds no socket.
pub const EMPTY: &str = "no sockets";

pub fn state_name(state: RowState) -> &'static str {
    match state {
        RowState::Listening => "listening",
        RowState::Connected => "connected",
        RowState::Reset => "reset",
    }
}

/// One socket: local port, state, owner (task number and name; `?` when
/// the task is gone or unknown), peer port (`-` when not connected), bytes
/// waiting to be received.
pub fn line(row: &SocketRow, owner_name: Option<&str>) -> String {
    let peer = row.peer_port.map_or(String::from("-"), |port| format!("{port}"));
    format!(
        "{:<6} {:<10} {:<6} {:<16} {:<6} {}",
        row.port,
        state_name(row.state),
        TaskId::from_raw(row.owner).index(),
        owner_name.unwrap_or("?"),
        peer,
        row.queued
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_line_up_with_the_header() {
        let row = SocketRow {
            port: 5000,
            state: RowState::Connected,
            owner: TaskId::new(6, 3).raw(),
            peer_port: Some(65535),
            queued: 12,
        };
        let text = line(&row, Some("nc"));
        assert_eq!(text, "5000   connected  6      nc               65535  12");
        assert_eq!(text.find("connected"), HEADER.find("STATE"));
        assert_eq!(text.find("nc"), HEADER.find("NAME"));
        assert_eq!(text.find("65535"), HEADER.find("PEER"));
        assert_eq!(text.find("12"), HEADER.find("QUEUED"));
    }

    #[test]
    fn missing_peer_and_owner_are_marked() {
        let row = SocketRow { port: 10, state: RowState::Listening, owner: 9, peer_port: None, queued: 0 };
        assert_eq!(line(&row, None), "10     listening  9      ?                -      0");
        assert_eq!(state_name(RowState::Reset), "reset");
    }
}
