//! Every fixed limit of the socket service, in one place.
//!
//! The client checks what it can before calling netd, and netd checks again,
//! since any task can send it any bytes.

/// Highest port number; ports are `0..=MAX_PORT`.
pub const MAX_PORT: u32 = 65_535;

/// Sockets netd holds at once, system-wide: room for several jobs at their
/// quota, so the quota, not the table, is what a busy program meets.
pub const MAX_SOCKETS: usize = 2048;

/// Sockets one task may own at once.
pub const MAX_SOCKETS_PER_TASK: usize = 64;

/// Sockets the tasks of one job (a program and every task it starts) may own
/// at once, so one program cannot exhaust the table by starting children.
/// Room for `sockbench`'s 64 connected pairs and their listener.
pub const MAX_SOCKETS_PER_JOB: usize = 256;

/// Small messages (up to [`SMALL_MESSAGE_MAX`]) netd holds in its own memory
/// at once, system-wide: their buffers are most of netd's memory (4 MiB).
/// A small `send` that finds none free, and no receiver already waiting,
/// fails with `E_FAIL`.
pub const MAX_BUFFERED_MESSAGES: usize = 1024;

/// Largest message one `send` may carry (64 KiB).
pub const MAX_MESSAGE_LEN: u32 = 64 * 1024;

/// Messages up to this length (4 KiB) are copied into netd and their `send`
/// returns at once; longer ones stay in the sender's lease until received.
pub const SMALL_MESSAGE_MAX: u32 = 4 * 1024;

/// Messages up to this length (224 bytes) travel inside the IPC messages
/// themselves: a `send` carries them after its request and a `recv` gets
/// them after its answer, so netd moves them without a lease copy. The
/// request of a send and the answer of a recv fit in `abi::MAX_MESSAGE` with
/// them.
pub const INLINE_MAX: u32 = 224;

/// Most connections a `listen_queue` socket holds waiting to be accepted.
pub const MAX_BACKLOG: u32 = 64;

/// Most ports one `poll` watches.
pub const MAX_POLL_PORTS: usize = 128;

/// The only host names `connect` accepts (matched exactly).
pub const LOCAL_HOSTS: [&str; 2] = ["localhost", "127.0.0.1"];

/// How long `listen` and `connect` wait for netd to appear before `E_FAIL`.
pub const NETD_WAIT_MS: u64 = 2_000;

/// How often the client looks netd up again while waiting for it.
pub const NETD_POLL_MS: u64 = 10;

/// Socket rows in one `List` page. One: every answer is a `Response` moved
/// by value on each socket call, and a page of many rows would make all of
/// them (and every `send` and `recv`) several times larger; netstat asks
/// once per socket instead.
pub const LIST_PAGE_ROWS: usize = 1;

/// Whether `host` names this machine.
pub fn is_local_host(host: &str) -> bool {
    LOCAL_HOSTS.contains(&host)
}

/// Whether a port number sent over the wire is in range.
pub fn port_in_range(port: u32) -> bool {
    port <= MAX_PORT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_must_match_exactly() {
        assert!(is_local_host("localhost"));
        assert!(is_local_host("127.0.0.1"));
        for bad in ["", "local", "localhost ", "LOCALHOST", "127.0.0.", "127.0.0.10", "localhostx"] {
            assert!(!is_local_host(bad), "{bad:?}");
        }
    }

    #[test]
    fn limits_meet_the_contract() {
        const { assert!(MAX_SOCKETS >= 1024) };
        assert_eq!(MAX_SOCKETS_PER_TASK, 64);
        // sockbench: 64 pairs and a listener in one job, with room to spare.
        const { assert!(MAX_SOCKETS_PER_JOB >= 2 * 64 + 2 + 64) };
        const { assert!(MAX_SOCKETS_PER_JOB >= MAX_SOCKETS_PER_TASK) };
        // Several jobs at their quota still leave room for others.
        const { assert!(MAX_SOCKETS >= 4 * MAX_SOCKETS_PER_JOB + MAX_SOCKETS_PER_JOB) };
        // netd names a table slot by a u16 and keeps u16::MAX for "none".
        const { assert!(MAX_SOCKETS < u16::MAX as usize) };
        const { assert!(MAX_BUFFERED_MESSAGES <= MAX_SOCKETS) };
        assert_eq!(MAX_MESSAGE_LEN, 65_536);
        assert_eq!(SMALL_MESSAGE_MAX, 4096);
        assert!(port_in_range(0) && port_in_range(65_535) && !port_in_range(65_536));
    }
}
