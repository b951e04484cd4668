//! `pp-sock-64`: 64 ping-pong pairs at once. Each pair is an echo task and a
//! client task; a gate task releases all clients together and times from
//! the release to the last client's finish, so the figure is the cost of one
//! round trip while 64 connections are busy (compare with `pp-sock`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use abi::{CostCounters, Received, TaskId};
use bench::plan::{PAIRS, Plan, gate_op};
use bench::report::ResultLine;
use urt::ipc::{call, recv, reply};
use urt::{println, supervisor};

use crate::clock::{Lap, counters, since, ticks};
use crate::net::{connect_retrying, sockets};
use crate::socket::round_trips;
use crate::{Bencher, emit, spawn, wait_ok};

/// Ports of the pairs: this one and the next `PAIRS - 1`.
pub const FIRST_PAIR_PORT: u16 = 7100;
/// Untimed round trips of each pair before it reports ready.
const PAIR_WARM_UP: u32 = 10;

pub fn ping_pong_pairs(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let per_pair = plan.pair_round_trips();
    let mut helpers = Vec::new();
    let measured = start_and_time(per_pair, &mut helpers);
    let first_failure = end_helpers(&helpers, measured.is_err());
    let measured = bencher.measured(measured?);
    first_failure?;
    let n = u64::from(per_pair) * u64::from(PAIRS);
    emit(ResultLine::new("pp-sock-64").field("pairs", PAIRS).round_trips(n, &measured));
    Ok(())
}

/// Collects the helpers of a run, killing them first if the run failed
/// (they may wait for a party that never comes); the first one that did not
/// end with status 0 is the error.
pub fn end_helpers(helpers: &[(TaskId, &'static str)], run_failed: bool) -> Result<(), String> {
    if run_failed {
        for &(task, _) in helpers {
            let _ = supervisor::kill(task);
        }
    }
    let mut first_failure = Ok(());
    for &(task, what) in helpers {
        let ended = wait_ok(task, what);
        if first_failure.is_ok() {
            first_failure = ended;
        }
    }
    first_failure
}

/// Starts the gate and the pairs (recording each task), then asks the gate
/// for the ticks and kernel costs of the timed part.
fn start_and_time(per_pair: u32, helpers: &mut Vec<(TaskId, &'static str)>) -> Result<Lap, String> {
    let gate = spawn(&["sockbench", "gate", &PAIRS.to_string()])?;
    helpers.push((gate, "gate"));
    for pair in 0..PAIRS as u16 {
        let port = (FIRST_PAIR_PORT + pair).to_string();
        helpers.push((spawn(&["sockbench", "echo", &port])?, "echo"));
    }
    let ports = (0..PAIRS as u16).map(|pair| FIRST_PAIR_PORT + pair);
    start_clients_and_time(gate, ports, per_pair, helpers)
}

/// Starts a `pair-client` for each port, then asks `gate` for the ticks
/// and kernel costs of the timed part.
pub fn start_clients_and_time(
    gate: TaskId,
    ports: impl Iterator<Item = u16>,
    per_pair: u32,
    helpers: &mut Vec<(TaskId, &'static str)>,
) -> Result<Lap, String> {
    let (gate_arg, count_arg) = (gate.raw().to_string(), per_pair.to_string());
    for port in ports {
        let port = port.to_string();
        helpers.push((spawn(&["sockbench", "pair-client", &port, &gate_arg, &count_arg])?, "pair-client"));
    }
    let mut elapsed = [0u8; gate_op::ELAPSED_LEN];
    let answer = call(gate, gate_op::ELAPSED, &[], &mut elapsed, &[]).map_err(|err| format!("gate: {err}"))?;
    match gate_op::decode_elapsed(&elapsed[..answer.len.min(elapsed.len())]) {
        Some((ticks, costs)) if answer.code == 0 => Ok(Lap { ticks, costs }),
        _ => Err(String::from("gate: no elapsed time")),
    }
}

/// The `pair-client` role: connects to its echo task, reports ready, makes
/// `count` round trips and reports done. It reports both even after a
/// failure, so the gate never waits for it in vain.
pub fn pair_client(port: u16, gate: u32, count: u32) -> i32 {
    let gate = TaskId::from_raw(gate);
    let mut net = sockets();
    let connected = connect_retrying(&mut net, port)
        .map_err(|err| format!("connect: {err}"))
        .and_then(|(local, _)| round_trips(&mut net, local, PAIR_WARM_UP).map(|()| local));
    let _ = call(gate, gate_op::READY, &[], &mut [], &[]);
    let timed = connected.and_then(|local| round_trips(&mut net, local, count).map(|()| local));
    let _ = call(gate, gate_op::DONE, &[], &mut [], &[]);
    match timed {
        Ok(local) => {
            let _ = net.disconnect(local);
            0
        }
        Err(why) => {
            println!("sockbench pair-client: {why}");
            1
        }
    }
}

/// The `gate` role: holds `READY` calls until `parties` arrived, answers
/// them all and starts the clock; stops it at the last `DONE`; answers
/// `ELAPSED` with the ticks and kernel costs once known, then ends.
pub fn gate(parties: u32) -> i32 {
    let mut ready: Vec<TaskId> = Vec::new();
    let mut done = 0;
    let mut start = 0;
    let mut start_counters = CostCounters::default();
    let mut elapsed: Option<[u8; gate_op::ELAPSED_LEN]> = None;
    let mut asker: Option<TaskId> = None;
    let mut request = [0u8; 16];
    loop {
        let message = match recv(&mut request, 0) {
            Ok(Received::Message(message)) => message,
            Ok(Received::Notification(_)) => continue,
            Err(_) => return 1,
        };
        match message.operation {
            gate_op::READY => {
                ready.push(message.sender);
                if ready.len() == parties as usize {
                    start_counters = counters();
                    start = ticks();
                    for party in ready.drain(..) {
                        let _ = reply(party, 0, &[]);
                    }
                }
            }
            gate_op::DONE => {
                let _ = reply(message.sender, 0, &[]);
                done += 1;
                if done == parties {
                    let ticks = ticks().wrapping_sub(start);
                    elapsed = Some(gate_op::encode_elapsed(ticks, &since(&start_counters)));
                }
            }
            gate_op::ELAPSED => asker = Some(message.sender),
            _ => {
                let _ = reply(message.sender, 1, &[]);
            }
        }
        if let (Some(asker), Some(elapsed)) = (asker, elapsed) {
            let _ = reply(asker, 0, &elapsed);
            return 0;
        }
    }
}
