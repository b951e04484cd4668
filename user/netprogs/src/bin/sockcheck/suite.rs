//! What every check needs: this task's sockets, the tally, free ports,
//! helper tasks (spawned through init, waited for with a timeout, killed),
//! and netd's socket table.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use abi::TaskId;
use libsock::limits::MAX_PORT;
use libsock::proto::{RowState, SocketRow};
use libsock::{KernelTransport, SockError, Sockets};
use netprogs::net::{all_rows, connect_retrying};
use netprogs::tally::Tally;
use urt::proto::init::Ended;
use urt::supervisor::{self, Finish};
use urt::{println, sleep};

/// What one check found: `Err` says what was wrong.
pub type Outcome = Result<(), String>;

/// Ports the suite may use, all free when it starts.
const PORT_BLOCK: u16 = 400;
/// Where to look for such a block, far from the ports `connect` hands out
/// (counting down from 65535) and from the ports the demos use.
const BLOCK_STARTS: [u16; 6] = [20000, 24000, 28000, 32000, 36000, 40000];
/// How long a helper may take to get where a check needs it.
pub const PATIENCE_MS: u64 = 3000;
const POLL_MS: u64 = 5;

pub struct Suite {
    pub sockets: Sockets<KernelTransport>,
    tally: Tally,
    first_port: u16,
    next_port: u16,
    /// Helpers spawned and not yet seen to end.
    helpers: Vec<TaskId>,
    /// Ended helpers `poll` returned before anyone asked for them.
    ended: Vec<Finish>,
    /// This task's id as netd records it, learned from the first connection.
    pub me: Option<u32>,
}

impl Suite {
    /// A suite on a block of ports that no socket uses now.
    pub fn new() -> Result<Suite, String> {
        let mut sockets = libsock::system();
        let rows = all_rows(&mut sockets).map_err(|err| format!("list: {err}"))?;
        let start = BLOCK_STARTS
            .iter()
            .copied()
            .find(|&start| !rows.iter().any(|r| (start..start + PORT_BLOCK).contains(&r.port)))
            .ok_or_else(|| String::from("no free block of ports"))?;
        Ok(Suite {
            sockets,
            tally: Tally::new(),
            first_port: start,
            next_port: start,
            helpers: Vec::new(),
            ended: Vec::new(),
            me: None,
        })
    }

    /// Prints the check's line and counts it.
    pub fn check(&mut self, name: &str, outcome: Outcome) {
        println!("{}", self.tally.record(name, &outcome));
    }

    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// A port of the suite's block not used by an earlier check.
    pub fn port(&mut self) -> u16 {
        self.ports(1)
    }

    /// `count` consecutive unused ports of the block; returns the first.
    /// The suite needs far fewer than [`PORT_BLOCK`]; should it ever run
    /// out, it starts the block again (ports are freed after each check).
    pub fn ports(&mut self, count: u16) -> u16 {
        if self.next_port + count > self.first_port + PORT_BLOCK {
            self.next_port = self.first_port;
        }
        let first = self.next_port;
        self.next_port += count;
        first
    }

    /// Starts `sockcheck peer ROLE ARGS...` in the background.
    pub fn spawn(&mut self, role: &[&str]) -> Result<TaskId, String> {
        let mut argv: Vec<&str> = Vec::from(["sockcheck", "peer"]);
        argv.extend_from_slice(role);
        let task = supervisor::spawn(&argv, false).map_err(|err| format!("spawn {}: {err}", argv.join(" ")))?;
        self.helpers.push(task);
        Ok(task)
    }

    /// Starts helper `role` on `port` and connects to it; returns (helper, our local port).
    pub fn connect_helper(&mut self, role: &str, port: u16, extra: &[&str]) -> Result<(TaskId, u16), String> {
        let port_text = format!("{port}");
        let mut args = Vec::from([role, port_text.as_str()]);
        args.extend_from_slice(extra);
        let helper = self.spawn(&args)?;
        let local = connect_retrying(&mut self.sockets, port, "localhost", PATIENCE_MS)
            .map_err(|err| format!("connect to helper {role}: {err}"))?;
        Ok((helper, local))
    }

    /// Starts helper `hold` on `port` and waits until it listens.
    pub fn spawn_listener(&mut self, port: u16) -> Result<TaskId, String> {
        let helper = self.spawn(&["hold", &format!("{port}")])?;
        self.wait_listening(port)?;
        Ok(helper)
    }

    /// Waits up to `ms` for helper `task` to end.
    pub fn wait_end(&mut self, task: TaskId, ms: u64) -> Result<Ended, String> {
        let start = now_ms();
        loop {
            while let Some(finish) = supervisor::poll() {
                self.ended.push(finish);
            }
            if let Some(at) = self.ended.iter().position(|f| f.task == task) {
                self.helpers.retain(|&h| h != task);
                return Ok(self.ended.swap_remove(at).ended);
            }
            if now_ms() - start >= ms {
                return Err(format!("helper {task} still running after {ms} ms"));
            }
            let _ = sleep(POLL_MS);
        }
    }

    /// Kills helper `task` through init and waits for it to end.
    pub fn kill(&mut self, task: TaskId) -> Result<Ended, String> {
        supervisor::kill(task).map_err(|err| format!("kill {task}: {err}"))?;
        self.wait_end(task, PATIENCE_MS)
    }

    /// Kills every helper still running.
    pub fn kill_helpers(&mut self) {
        for task in self.helpers.clone() {
            // A helper that already ended refuses the kill; its end is
            // collected all the same.
            let _ = supervisor::kill(task);
            let _ = self.wait_end(task, PATIENCE_MS);
        }
        self.helpers.clear();
    }

    pub fn rows(&mut self) -> Result<Vec<SocketRow>, String> {
        all_rows(&mut self.sockets).map_err(|err| format!("list: {err}"))
    }

    pub fn row(&mut self, port: u16) -> Result<Option<SocketRow>, String> {
        Ok(self.rows()?.into_iter().find(|r| r.port == port))
    }

    /// Waits up to [`PATIENCE_MS`] until the socket on `port` satisfies `ready`
    /// (`None`: no socket there).
    pub fn wait_row(&mut self, port: u16, what: &str, ready: impl Fn(Option<&SocketRow>) -> bool) -> Outcome {
        let start = now_ms();
        loop {
            let row = self.row(port)?;
            if ready(row.as_ref()) {
                return Ok(());
            }
            if now_ms() - start >= PATIENCE_MS {
                return Err(format!("port {port}: {what}: still {row:?} after {PATIENCE_MS} ms"));
            }
            let _ = sleep(POLL_MS);
        }
    }

    pub fn wait_listening(&mut self, port: u16) -> Outcome {
        self.wait_row(port, "waiting for a listener", |r| r.is_some_and(|r| r.state == RowState::Listening))
    }

    /// This task's sockets, as netd lists them.
    pub fn my_rows(&mut self) -> Result<Vec<SocketRow>, String> {
        let me = self.me.ok_or_else(|| String::from("own task id unknown"))?;
        Ok(self.rows()?.into_iter().filter(|r| r.owner == me).collect())
    }

    /// Disconnects every socket this task owns (resets included).
    pub fn drop_all(&mut self) {
        if let Ok(rows) = self.my_rows() {
            for row in rows {
                let _ = self.sockets.disconnect(row.port);
            }
        }
    }

    /// The highest port no socket uses now: what `connect` should pick.
    pub fn highest_free(&mut self) -> Result<u16, String> {
        let rows = self.rows()?;
        (0..=MAX_PORT as u16)
            .rev()
            .find(|p| !rows.iter().any(|r| r.port == *p))
            .ok_or_else(|| String::from("no free port"))
    }
}

pub fn now_ms() -> u64 {
    urt::now_ns() / 1_000_000
}

/// `got` must be the seed code `want`.
pub fn code(got: i32, want: i32) -> Outcome {
    if got == want { Ok(()) } else { Err(format!("got {got}, expected {want}")) }
}

/// `got` must be the error `want`.
pub fn error<T: core::fmt::Debug>(got: Result<T, SockError>, want: SockError) -> Outcome {
    match got {
        Err(err) if err == want => Ok(()),
        other => Err(format!("got {other:?}, expected Err({want:?})")),
    }
}

/// `got` must have succeeded.
pub fn success<T>(got: Result<T, SockError>, call: &str) -> Result<T, String> {
    got.map_err(|err| format!("{call}: {err}"))
}

/// Fails unless `ok`, saying `what`.
pub fn ensure(ok: bool, what: impl FnOnce() -> String) -> Outcome {
    if ok { Ok(()) } else { Err(what()) }
}
