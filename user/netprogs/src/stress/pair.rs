//! One client/server pair as the run sees it, and what each of its ends is
//! expected to report, given what the run did to it.

use abi::TaskId;
use alloc::format;
use alloc::string::String;
use libsock::ResetReason;
use urt::proto::init::Ended;

use super::report::{Call, Ending, Side};

/// First server port; pair `n` listens on the first free port from
/// `FIRST_PORT + n % PORT_SPAN` on, far below the ports `connect` hands
/// out (from 65535 down).
pub const FIRST_PORT: u16 = 30_000;
pub const PORT_SPAN: u16 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Started; the server has verified nothing yet.
    Starting,
    /// Messages flow: its client may be killed.
    Running,
    /// Its client was granted nothing more: it sends the end marker and closes.
    Closing,
    /// Its client was killed: the server must see the reset.
    ClientKilled,
    /// Something went wrong: both tasks are being killed.
    Aborted,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Running => "running",
            Phase::Closing => "closing",
            Phase::ClientKilled => "client killed",
            Phase::Aborted => "aborted",
        }
    }
}

/// One end of a pair: its task, its last report's ending, how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    pub task: TaskId,
    pub ending: Option<Ending>,
    pub exit: Option<Ended>,
}

impl End {
    fn new(task: TaskId) -> Self {
        End { task, ending: None, exit: None }
    }

    fn describe(&self) -> String {
        let ending = self.ending.map_or(String::from("no ending reported"), |e| format!("{e}"));
        let exit = self.exit.map_or(String::from("running"), |e| format!("{e}"));
        format!("{ending}; {exit}")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub id: u32,
    pub port: u16,
    pub phase: Phase,
    pub server: End,
    pub client: End,
    /// Messages granted to the client (its own and the server's replies).
    pub granted: u64,
    /// Messages verified at either end.
    pub verified: u64,
}

impl Pair {
    pub fn new(id: u32, port: u16, server: TaskId, client: TaskId) -> Self {
        Pair {
            id,
            port,
            phase: Phase::Starting,
            server: End::new(server),
            client: End::new(client),
            granted: 0,
            verified: 0,
        }
    }

    pub fn end(&self, side: Side) -> &End {
        match side {
            Side::Server => &self.server,
            Side::Client => &self.client,
        }
    }

    pub fn end_mut(&mut self, side: Side) -> &mut End {
        match side {
            Side::Server => &mut self.server,
            Side::Client => &mut self.client,
        }
    }

    /// Which end `task` is.
    pub fn side_of(&self, task: TaskId) -> Option<Side> {
        if task == self.server.task {
            Some(Side::Server)
        } else if task == self.client.task {
            Some(Side::Client)
        } else {
            None
        }
    }

    /// Whether `ending` is what `side` should report in this phase: the
    /// server of a killed client sees it die (in `send` or `recv`), the
    /// server of a closing client sees its end marker, then the close.
    pub fn ending_expected(&self, side: Side, ending: &Ending) -> bool {
        matches!(
            (self.phase, side, ending),
            (Phase::ClientKilled, Side::Server, Ending::Reset { reason: ResetReason::PeerDied, saw_end: false, .. })
                | (
                    Phase::Closing,
                    Side::Server,
                    Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDisconnected, saw_end: true }
                )
                | (Phase::Closing, Side::Client, Ending::Closed)
        )
    }

    /// Whether `ended` is how `side`'s task should have ended now.
    pub fn exit_expected(&self, side: Side, ended: Ended) -> bool {
        match (self.phase, side) {
            (Phase::Aborted, _) => true,
            (Phase::ClientKilled, Side::Client) => ended == Ended::Killed,
            (Phase::ClientKilled | Phase::Closing, _) => {
                ended == Ended::Exited(0) && self.end(side).ending.is_some_and(|e| self.ending_expected(side, &e))
            }
            _ => false,
        }
    }

    /// Both tasks have ended, and the server reported how (or the pair was
    /// given up): nothing more will come from it.
    pub fn complete(&self) -> bool {
        self.server.exit.is_some() && self.client.exit.is_some()
    }

    /// A line for reports: `pair 3 (port 30003, running, 120 verified): server ...; client ...`.
    pub fn describe(&self) -> String {
        format!(
            "pair {} (port {}, {}, {} verified): server {}; client {}",
            self.id,
            self.port,
            self.phase.name(),
            self.verified,
            self.server.describe(),
            self.client.describe()
        )
    }
}
