//! Host fuzzing of netd's request handling: random, mutated and well-formed
//! requests from several tasks, task deaths and netd restarts (netd dies and
//! a new one starts), through the real core and the fake kernel.
//!
//! Checked on every request: netd never panics; a request the contract calls
//! malformed (undecodable, other version, operation code that disagrees,
//! wrong leases, a field out of range: `docs/sockets.md`, "The protocol") is
//! answered at once with `E_INVALID_ARG` and changes no socket; every reply
//! decodes and goes to a caller that waits (one reply per call). At the end
//! every task dies and no socket may remain.
//!
//! `NETD_FUZZ_REQUESTS` sets the count (default [`DEFAULT_REQUESTS`]);
//! `make stress` runs the ignored test with a million.

#[path = "fuzz_requests.rs"]
mod requests;

use abi::TaskId;
use libsock::SockError;
use libsock::proto::{self, PROTOCOL_VERSION, Request, Response, SocketRow};
use urt::rng::Rng;

use crate::fake_kernel::World;
use requests::Shape;

const DEFAULT_REQUESTS: u64 = 20_000;
const LONG_REQUESTS: u64 = 1_000_000;
const TASKS: usize = 8;

/// What one run did, for the summary line.
#[derive(Debug, Default)]
struct Counts {
    requests: u64,
    malformed: u64,
    well_formed: u64,
    answered_at_once: u64,
    deferred_answers: u64,
    kills: u64,
    netd_restarts: u64,
}

struct Fuzz {
    w: World,
    rng: Rng,
    tasks: Vec<TaskId>,
    /// Local ports netd gave out, so that later requests name them.
    ports: Vec<u32>,
    counts: Counts,
}

impl Fuzz {
    fn new(seed: u64) -> Self {
        let mut w = World::new();
        let tasks = (0..TASKS).map(|_| w.spawn()).collect();
        Fuzz { w, rng: Rng::new(seed), tasks, ports: vec![1, 2, 3], counts: Counts::default() }
    }

    fn step(&mut self) {
        match self.rng.below(100) {
            0..=2 => self.kill_one(),
            3 => self.restart_netd(),
            _ => self.request(),
        }
    }

    /// A task that is not blocked in a call; kills a blocked one if all are.
    fn idle_task(&mut self) -> TaskId {
        let start = self.rng.below(TASKS as u64) as usize;
        for k in 0..TASKS {
            let task = self.tasks[(start + k) % TASKS];
            if !self.w.kernel.is_waiting(task) {
                return task;
            }
        }
        self.kill_one();
        self.idle_task()
    }

    fn request(&mut self) {
        let caller = self.idle_task();
        let shape = requests::plan(&mut self.rng, &self.ports);
        let malformed = requests::is_malformed(shape.op, &shape.bytes, &shape.leases);
        let rows_before: Vec<SocketRow> = if malformed { self.w.netd.rows().collect() } else { Vec::new() };
        let waiting_before = self.w.kernel.waiting_tasks();
        self.counts.requests += 1;
        let reply = self.w.call_raw(caller, shape.op, &shape.bytes, shape.leases.clone());
        if malformed {
            self.counts.malformed += 1;
            let reply = reply.unwrap_or_else(|| panic!("no answer at once to malformed {shape:?}"));
            assert_eq!(
                proto::decode_response(reply.code, &reply.bytes),
                Ok(Response::Error(SockError::InvalidArg)),
                "malformed {shape:?}"
            );
            let rows_after: Vec<SocketRow> = self.w.netd.rows().collect();
            assert_eq!(rows_before, rows_after, "a malformed request changed the sockets: {shape:?}");
            assert_eq!(
                self.w.kernel.waiting_tasks(),
                waiting_before,
                "a malformed request answered someone: {shape:?}"
            );
        } else {
            self.counts.well_formed += 1;
            if let Some(reply) = reply {
                self.counts.answered_at_once += 1;
                self.check_reply(&shape, &reply.code, &reply.bytes);
            }
        }
        self.collect_deferred_replies();
        assert_eq!(self.w.kernel.stray_replies, 0, "a reply to a task that did not wait: {shape:?}");
    }

    fn check_reply(&mut self, shape: &Shape, code: &u32, bytes: &[u8]) {
        assert_eq!(*code, u32::from(PROTOCOL_VERSION), "reply code to {shape:?}");
        let (response, _) = proto::decode_response_with_data(*code, bytes)
            .unwrap_or_else(|err| panic!("undecodable reply {bytes:?} ({err:?}) to {shape:?}"));
        if let (Ok(Request::Connect { .. }), Response::Ok(port)) = (proto::decode_request(&shape.bytes), response)
            && !self.ports.contains(&port)
        {
            self.ports.push(port);
            if self.ports.len() > 16 {
                self.ports.remove(3);
            }
        }
    }

    /// Replies netd gave to callers blocked earlier: each must decode.
    fn collect_deferred_replies(&mut self) {
        for task in self.tasks.clone() {
            if let Some(reply) = self.w.reply_for(task) {
                self.counts.deferred_answers += 1;
                let response = proto::decode_response_with_data(reply.code, &reply.bytes);
                assert!(response.is_ok(), "undecodable deferred reply {reply:?}");
            }
        }
    }

    /// A task dies (any time, perhaps blocked in netd); a new one takes its place.
    fn kill_one(&mut self) {
        let index = self.rng.below(TASKS as u64) as usize;
        self.w.kill(self.tasks[index]);
        self.tasks[index] = self.w.spawn();
        self.counts.kills += 1;
        self.collect_deferred_replies();
        assert_eq!(self.w.kernel.stray_replies, 0, "a reply to a dead task");
    }

    /// netd dies (`kill netd`, `crash netd`): a new netd starts empty and
    /// every caller blocked in the old one is dropped (PeerDied).
    fn restart_netd(&mut self) {
        self.w.restart_netd();
        self.counts.netd_restarts += 1;
        self.ports.truncate(3);
    }

    /// Every task dies: no socket may remain.
    fn wind_down(&mut self) {
        for task in self.tasks.clone() {
            self.w.kill(task);
        }
        self.collect_deferred_replies();
        assert_eq!(self.w.netd.socket_count(), 0, "sockets left after every owner died");
        assert_eq!(self.w.kernel.stray_replies, 0);
    }
}

fn requests_from_env(default: u64) -> u64 {
    std::env::var("NETD_FUZZ_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn run(requests: u64, seed: u64) -> Counts {
    let mut fuzz = Fuzz::new(seed);
    while fuzz.counts.requests < requests {
        fuzz.step();
    }
    fuzz.wind_down();
    fuzz.counts
}

fn fuzz_and_report(requests: u64, command: &str) {
    let started = std::time::Instant::now();
    let seeds = [1u64, 2, 3, 4];
    let mut total = Counts::default();
    for seed in seeds {
        let c = run(requests / seeds.len() as u64, seed);
        total.requests += c.requests;
        total.malformed += c.malformed;
        total.well_formed += c.well_formed;
        total.answered_at_once += c.answered_at_once;
        total.deferred_answers += c.deferred_answers;
        total.kills += c.kills;
        total.netd_restarts += c.netd_restarts;
    }
    println!("netd host fuzz: {total:?} in {} ms", started.elapsed().as_millis());
    assert!(total.malformed > total.requests / 4, "too few malformed requests: {total:?}");
    assert!(
        total.deferred_answers > 0 && total.netd_restarts > 0,
        "the run never blocked or restarted netd: {total:?}"
    );
    // Rows of docs/robustness.md's figures (collected by `make stress`).
    println!(
        "FIGURE | netd requests fuzzed on the host (random, mutated, well-formed) | {} | {command}",
        total.requests
    );
    println!("FIGURE | of those, malformed: answered E_INVALID_ARG at once | {} | {command}", total.malformed);
}

#[test]
fn netd_answers_fuzzed_requests_and_never_panics() {
    fuzz_and_report(requests_from_env(DEFAULT_REQUESTS), "cargo test -p netd --lib fuzz");
}

#[test]
#[ignore = "long: run by `make stress`"]
fn netd_answers_a_million_fuzzed_requests() {
    fuzz_and_report(
        requests_from_env(LONG_REQUESTS),
        "cargo test -p netd --lib --release -- --ignored netd_answers_a_million_fuzzed_requests",
    );
}
