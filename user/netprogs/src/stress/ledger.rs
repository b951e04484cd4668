//! The run's books, kept by the task that started the pairs: how many
//! messages each client may still send (so that exactly MESSAGES are
//! verified in the end), which client to kill next, and whether every pair
//! ended the way the run left it: a killed client's server sees the
//! reset, a closing client's server sees its end marker and the close.
//!
//! Message credits: a client asks before each burst; the run grants no
//! more than remain unassigned. Credits a pair was granted but never
//! verified (its client was killed mid-burst, or messages were lost) come
//! back when the pair is over, and another pair uses them.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use abi::TaskId;
use urt::proto::init::Ended;

use super::args::Config;
use super::pair::{FIRST_PORT, PORT_SPAN, Pair, Phase};
use super::report::{Ending, Report, Side};
use super::rng::Rng;
use super::verify::Counts;

/// The purpose number of the run's own random choices (pairs use others).
const VICTIMS: u32 = 0;

pub struct Ledger {
    config: Config,
    victims: Rng,
    pairs: Vec<Pair>,
    next_id: u32,
    totals: Counts,
    /// Credits granted to live pairs and not yet verified.
    outstanding: u64,
    resets: u64,
    next_kill_at: u64,
    kill_window: u64,
    failures: Vec<String>,
    progress: u64,
    to_kill: Vec<TaskId>,
}

impl Ledger {
    pub fn new(config: Config) -> Self {
        let mut victims = Rng::derived(config.seed, u32::MAX, VICTIMS);
        let next_kill_at = if config.kill_every == 0 { 0 } else { victims.between(1, config.kill_every) };
        Ledger {
            config,
            victims,
            pairs: Vec::new(),
            next_id: 1,
            totals: Counts::default(),
            outstanding: 0,
            resets: 0,
            next_kill_at,
            kill_window: 0,
            failures: Vec::new(),
            progress: 0,
            to_kill: Vec::new(),
        }
    }

    pub fn totals(&self) -> &Counts {
        &self.totals
    }

    pub fn resets(&self) -> u64 {
        self.resets
    }

    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// Changes whenever something moved: a message verified, a pair
    /// started, ended or lost its client. The watchdog looks at it.
    pub fn progress(&self) -> u64 {
        self.progress
    }

    pub fn live_pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// Credits nobody holds yet.
    fn unassigned(&self) -> u64 {
        self.config.messages.saturating_sub(self.totals.verified + self.outstanding)
    }

    /// Whether another pair should start now: fewer than PAIRS exchange
    /// messages and credits are left for it.
    pub fn wants_pair(&self) -> bool {
        let active = self.pairs.iter().filter(|p| matches!(p.phase, Phase::Starting | Phase::Running)).count();
        self.failures.is_empty() && active < self.config.pairs as usize && self.unassigned() > 0
    }

    /// The number and port of the next pair.
    pub fn plan_pair(&mut self) -> (u32, u16) {
        let id = self.next_id;
        self.next_id += 1;
        let mut offset = (id % u32::from(PORT_SPAN)) as u16;
        while self.pairs.iter().any(|p| p.port == FIRST_PORT + offset) {
            offset = (offset + 1) % PORT_SPAN;
        }
        (id, FIRST_PORT + offset)
    }

    pub fn add_pair(&mut self, id: u32, port: u16, server: TaskId, client: TaskId) {
        self.pairs.push(Pair::new(id, port, server, client));
        self.progress += 1;
    }

    /// Records a failure that ends the run.
    pub fn fail(&mut self, why: String) {
        self.failures.push(why);
    }

    /// Takes one report from `sender`; returns the credits granted.
    pub fn report(&mut self, sender: TaskId, report: &Report) -> u32 {
        let Some(index) = self.pairs.iter().position(|p| p.id == report.pair) else {
            self.fail(format!("task {sender} reported for pair {}, which is not running", report.pair));
            return 0;
        };
        let side = report.side;
        if self.pairs[index].side_of(sender) != Some(side) {
            let why = format!("task {sender} reported as the {} of {}", side.name(), self.pairs[index].describe());
            self.fail(why);
            return 0;
        }
        self.count(index, side, &report.counts);
        if report.ending.is_some() {
            self.progress += 1;
        }
        let unassigned = self.unassigned();
        let pair = &mut self.pairs[index];
        let mut granted = 0;
        if side == Side::Client && report.wanted > 0 && matches!(pair.phase, Phase::Starting | Phase::Running) {
            granted = u64::from(report.wanted).min(unassigned);
            if granted == 0 {
                pair.phase = Phase::Closing;
            }
            pair.granted += granted;
            self.outstanding += granted;
        }
        if let Some(ending) = report.ending {
            pair.end_mut(side).ending = Some(ending);
            if pair.phase != Phase::Aborted && !pair.ending_expected(side, &ending) {
                // A damaged stream is already counted as corrupted.
                if ending != Ending::Unframed {
                    let why = format!("the {} saw {ending}: {}", side.name(), pair.describe());
                    self.fail(why);
                }
                self.abort(index);
            }
        }
        granted as u32
    }

    fn count(&mut self, index: usize, side: Side, counts: &Counts) {
        let pair = &mut self.pairs[index];
        let verified = counts.verified;
        self.outstanding -= verified.min(pair.granted.saturating_sub(pair.verified));
        pair.verified += verified;
        self.totals.add(counts);
        if verified > 0 {
            self.progress += 1;
            if side == Side::Server && pair.phase == Phase::Starting {
                pair.phase = Phase::Running;
            }
        }
    }

    /// A child ended (as init's POLL reported it).
    pub fn exited(&mut self, task: TaskId, ended: Ended) {
        let Some((index, side)) = self.pairs.iter().enumerate().find_map(|(i, p)| Some((i, p.side_of(task)?))) else {
            return;
        };
        self.progress += 1;
        let pair = &mut self.pairs[index];
        pair.end_mut(side).exit = Some(ended);
        if !pair.exit_expected(side, ended) {
            let why = format!("the {} ended with {ended}: {}", side.name(), pair.describe());
            self.fail(why);
            self.abort(index);
        }
        let pair = &self.pairs[index];
        if pair.complete() {
            self.outstanding -= pair.granted.saturating_sub(pair.verified);
            if pair.phase == Phase::ClientKilled {
                self.resets += 1;
            }
            self.pairs.remove(index);
        }
    }

    /// Gives up on a pair: both its tasks are to be killed.
    fn abort(&mut self, index: usize) {
        let pair = &mut self.pairs[index];
        if pair.phase == Phase::Aborted {
            return;
        }
        // A killed client needs no second kill.
        let client_alive = pair.phase != Phase::ClientKilled;
        pair.phase = Phase::Aborted;
        for (end, alive) in [(pair.server, true), (pair.client, client_alive)] {
            if alive && end.exit.is_none() {
                self.to_kill.push(end.task);
            }
        }
    }

    /// Gives up on every pair (the run failed).
    pub fn abort_all(&mut self) {
        for index in 0..self.pairs.len() {
            self.abort(index);
        }
    }

    /// Tasks to kill now.
    pub fn take_kills(&mut self) -> Vec<TaskId> {
        core::mem::take(&mut self.to_kill)
    }

    /// When a kill is due: a random running pair, and its client's task.
    pub fn victim(&mut self) -> Option<(u32, TaskId)> {
        let due = self.config.kill_every != 0
            && self.failures.is_empty()
            && self.totals.verified >= self.next_kill_at
            && self.totals.verified < self.config.messages;
        if !due {
            return None;
        }
        let running: Vec<&Pair> = self.pairs.iter().filter(|p| p.phase == Phase::Running).collect();
        if running.is_empty() {
            return None;
        }
        let pair = running[self.victims.below(running.len() as u64) as usize];
        Some((pair.id, pair.client.task))
    }

    /// The victim's client is dead; the next kill is due somewhere in the
    /// next KILL_EVERY messages.
    pub fn client_killed(&mut self, id: u32) {
        if let Some(pair) = self.pairs.iter_mut().find(|p| p.id == id) {
            pair.phase = Phase::ClientKilled;
        }
        self.progress += 1;
        self.kill_window += self.config.kill_every;
        self.next_kill_at = self.kill_window + self.victims.between(1, self.config.kill_every);
    }

    /// Whether the run is over: no pair left, and every message verified
    /// (or the run failed).
    pub fn done(&self) -> bool {
        self.pairs.is_empty() && (!self.failures.is_empty() || self.totals.verified >= self.config.messages)
    }

    /// The one line a run ends with.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        format!(
            "sockstress: pairs={} messages={} bytes={} lost={} duplicated={} corrupted={} resets={}",
            self.config.pairs, t.verified, t.bytes, t.lost, t.duplicated, t.corrupted, self.resets
        )
    }

    /// 0 only when every message was verified and nothing went wrong.
    pub fn status(&self) -> i32 {
        let whole = self.totals.verified >= self.config.messages;
        i32::from(!(whole && self.totals.is_clean() && self.failures.is_empty()))
    }
}
