//! The run: starts pairs, answers their reports, kills clients on
//! schedule, collects ended tasks from init and watches for a stall. The
//! books themselves (`netprogs::stress::ledger`) are pure.

use alloc::format;
use alloc::string::{String, ToString};

use abi::{MAX_MESSAGE, Received, TaskId, notify};
use netprogs::stress::args::Config;
use netprogs::stress::ledger::Ledger;
use netprogs::stress::report::{REPORT, Report};
use urt::ipc::{call, recv, reply};
use urt::sys::{now_ns, set_timer};
use urt::time::NS_PER_MS;
use urt::{println, supervisor};

/// How often ended tasks are collected and the watchdog looks.
const TICK_MS: u64 = 50;
/// No progress for this long fails the run.
const WATCHDOG_MS: u64 = 10_000;
/// How long a failed run waits for the tasks it killed to be reported.
const DRAIN_MS: u64 = 5_000;
/// Failure lines printed at most (the rest are counted).
const MAX_FAILURE_LINES: usize = 20;

fn now_ms() -> u64 {
    now_ns() / NS_PER_MS
}

/// The `whoami` role: answers the first call with the caller's task id,
/// which the kernel stamps on every message. There is no other way for a
/// task to learn its own id, and the pairs need the run's.
pub fn tell_caller_its_id() -> i32 {
    let mut request = [0u8; 8];
    match recv(&mut request, 0) {
        Ok(Received::Message(header)) => {
            let _ = reply(header.sender, 0, &header.sender.raw().to_le_bytes());
            0
        }
        _ => 1,
    }
}

fn own_id() -> Result<TaskId, String> {
    let helper = supervisor::spawn(&["sockstress", "whoami"], false).map_err(|err| format!("spawn whoami: {err}"))?;
    let mut id = [0u8; 4];
    let answer = call(helper, 0, &[], &mut id, &[]).map_err(|err| format!("whoami: {err}"));
    let _ = supervisor::wait(helper);
    match answer? {
        reply if reply.len == id.len() => Ok(TaskId::from_raw(u32::from_le_bytes(id))),
        _ => Err(String::from("whoami: no id")),
    }
}

pub fn run(config: Config) -> i32 {
    let me = match own_id() {
        Ok(me) => me,
        Err(why) => {
            println!("sockstress: {why}");
            return 1;
        }
    };
    let mut run = Run { config, me, ledger: Ledger::new(config), aborted_at: None };
    run.go();
    let failures = run.ledger.failures();
    for why in failures.iter().take(MAX_FAILURE_LINES) {
        println!("sockstress: {why}");
    }
    if failures.len() > MAX_FAILURE_LINES {
        println!("sockstress: {} more failures", failures.len() - MAX_FAILURE_LINES);
    }
    println!("{}", run.ledger.summary());
    run.ledger.status()
}

struct Run {
    config: Config,
    me: TaskId,
    ledger: Ledger,
    /// When the run gave up on its pairs (a failure or a stall).
    aborted_at: Option<u64>,
}

impl Run {
    fn go(&mut self) {
        let mut request = [0u8; MAX_MESSAGE];
        let mut next_tick = 0;
        let mut progress = (self.ledger.progress(), now_ms());
        while !self.ledger.done() {
            self.start_pairs();
            self.kill_on_schedule();
            self.abort_if_failed();
            let now = now_ms();
            if now >= next_tick {
                self.collect_ended();
                if self.ledger.progress() != progress.0 {
                    progress = (self.ledger.progress(), now);
                } else if now - progress.1 >= WATCHDOG_MS && self.aborted_at.is_none() {
                    self.stalled();
                }
                if self.aborted_at.is_some_and(|at| now - at >= DRAIN_MS) {
                    let left = self.ledger.live_pairs().len();
                    self.ledger.fail(format!("{left} pairs did not end after being killed"));
                    return;
                }
                next_tick = now + TICK_MS;
                let _ = set_timer(next_tick * NS_PER_MS);
            }
            match recv(&mut request, notify::TIMER) {
                Ok(Received::Message(header)) => {
                    let len = header.len.min(request.len());
                    self.answer(header.sender, header.operation, &request[..len]);
                }
                Ok(Received::Notification(_)) => {}
                Err(err) => {
                    self.ledger.fail(format!("recv: {err}"));
                    return;
                }
            }
        }
    }

    fn answer(&mut self, sender: TaskId, operation: u32, request: &[u8]) {
        let report = match Report::decode(request) {
            Some(report) if operation == REPORT => report,
            _ => {
                self.ledger.fail(format!("task {sender} sent a malformed report"));
                let _ = reply(sender, 1, &[]);
                return;
            }
        };
        let granted = self.ledger.report(sender, &report);
        // The sender may have been killed meanwhile: nobody to answer then.
        let _ = reply(sender, 0, &granted.to_le_bytes());
    }

    fn start_pairs(&mut self) {
        while self.ledger.wants_pair() {
            let (id, port) = self.ledger.plan_pair();
            let args = [id.to_string(), port.to_string(), self.config.seed.to_string(), self.me.raw().to_string()];
            let spawn = |role: &str| {
                let argv = ["sockstress", role, &args[0], &args[1], &args[2], &args[3]];
                supervisor::spawn(&argv, false).map_err(|err| format!("spawn sockstress {role} for pair {id}: {err}"))
            };
            let server = match spawn("server") {
                Ok(server) => server,
                Err(why) => return self.ledger.fail(why),
            };
            match spawn("client") {
                Ok(client) => self.ledger.add_pair(id, port, server, client),
                Err(why) => {
                    let _ = supervisor::kill(server);
                    return self.ledger.fail(why);
                }
            }
        }
    }

    fn kill_on_schedule(&mut self) {
        if let Some((id, client)) = self.ledger.victim() {
            // A client that ended on its own just now is not killed: the
            // kill is tried again on another pair.
            if supervisor::kill(client).is_ok() {
                self.ledger.client_killed(id);
            }
        }
    }

    fn abort_if_failed(&mut self) {
        if !self.ledger.failures().is_empty() && self.aborted_at.is_none() {
            self.aborted_at = Some(now_ms());
            self.ledger.abort_all();
        }
        for task in self.ledger.take_kills() {
            // It may have ended already; its end is collected all the same.
            let _ = supervisor::kill(task);
        }
    }

    fn collect_ended(&mut self) {
        while let Some(finish) = supervisor::poll() {
            self.ledger.exited(finish.task, finish.ended);
        }
    }

    fn stalled(&mut self) {
        let stuck: alloc::vec::Vec<String> = self.ledger.live_pairs().iter().map(|pair| pair.describe()).collect();
        self.ledger.fail(format!("no progress for {} s", WATCHDOG_MS / 1000));
        for line in stuck {
            self.ledger.fail(format!("stuck: {line}"));
        }
    }
}
