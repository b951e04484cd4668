//! `fan-in`: 64 clients at once against one `echod`, the server that serves
//! every client from one task with `poll`. Timed as `pp-sock-64` is (a gate
//! releases the clients together and times until the last is done), so the
//! two figures compare one busy server with 64 one-client servers.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use abi::TaskId;
use bench::plan::{PAIRS, Plan};
use bench::report::ResultLine;
use urt::supervisor;

use crate::pairs::{end_helpers, start_clients_and_time};
use crate::{Bencher, emit, spawn};

/// The port echod serves.
const FAN_IN_PORT: u16 = 7300;

pub fn fan_in(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let per_client = plan.pair_round_trips();
    let server =
        supervisor::spawn(&["echod", &FAN_IN_PORT.to_string()], false).map_err(|err| format!("spawn echod: {err}"))?;
    let mut helpers: Vec<(TaskId, &'static str)> = Vec::new();
    let measured = spawn(&["sockbench", "gate", &PAIRS.to_string()]).and_then(|gate| {
        helpers.push((gate, "gate"));
        let ports = core::iter::repeat_n(FAN_IN_PORT, PAIRS as usize);
        start_clients_and_time(gate, ports, per_client, &mut helpers)
    });
    let first_failure = end_helpers(&helpers, measured.is_err());
    // echod serves until it is killed.
    let _ = supervisor::kill(server);
    let _ = supervisor::wait(server);
    let measured = bencher.measured(measured?);
    first_failure?;
    let n = u64::from(per_client) * u64::from(PAIRS);
    emit(ResultLine::new("fan-in").field("clients", PAIRS).round_trips(n, &measured));
    Ok(())
}
