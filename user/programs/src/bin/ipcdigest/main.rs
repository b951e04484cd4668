//! `ipcdigest [SEED] [CALLS]`: a seeded script of IPC between copies of
//! itself, whose outcome is a digest (defaults: seed 1, 1,000 calls per
//! client). The same seed gives the same digest on every kernel that keeps
//! the ABI, whichever way it carries the calls: the QEMU tests run it with
//! the kernel's IPC fast path on and off and compare (`programs::ipcdigest`
//! has the script).
//!
//! The parent starts `SERVERS` servers and `CLIENTS` clients. The clients
//! wait at server 0 until the parent, after a pause that lets the console
//! finish printing (nothing timed may run during the script), lets them go
//! in a fixed order. While they run, the parent keeps asking every server
//! to answer the callers it holds, so no caller waits forever; once every
//! client has reported its digest to server 0, the parent collects the
//! servers' digests and prints
//!
//! `ipcdigest: seed=S calls=N digest=D (clients C0 C1 ... servers S0 ...)`
//!
//! and, apart (it differs with the fast path on and off),
//! `ipcdigest: fast path: F calls, R replies`.
#![no_std]
#![no_main]

extern crate alloc;

mod client;
mod server;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use abi::TaskId;
use programs::ipcdigest::{CLIENT_ARG, CLIENTS, Digest, SERVER_ARG, SERVERS, op};
use urt::ipc::call;
use urt::{println, supervisor, sys};

urt::entry!(main);

const USAGE: &str = "usage: ipcdigest [SEED] [CALLS]";
/// How long the parent lets the machine settle before the script starts.
const SETTLE_MS: u64 = 100;

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    match args.first().copied() {
        Some(SERVER_ARG) => return server::run(&args[1..]),
        Some(CLIENT_ARG) => return client::run(&args[1..]),
        _ => {}
    }
    let number = |at: usize, default: u64| args.get(at).map_or(Some(default), |text| text.parse().ok());
    let (true, Some(seed), Some(calls)) = (args.len() <= 2, number(0, 1), number(1, 1000)) else {
        println!("{USAGE}");
        return 2;
    };
    match run(seed, calls) {
        Ok(()) => 0,
        Err(why) => {
            println!("ipcdigest: {why}");
            1
        }
    }
}

fn spawn(argv: &[&str]) -> Result<TaskId, String> {
    supervisor::spawn(argv, false).map_err(|err| alloc::format!("spawn {}: {err}", argv.join(" ")))
}

fn run(seed: u64, calls: u64) -> Result<(), String> {
    let seed_arg = alloc::format!("{seed}");
    let mut servers = Vec::new();
    for index in 0..SERVERS {
        servers.push(spawn(&["ipcdigest", SERVER_ARG, &alloc::format!("{index}"), &seed_arg])?);
    }
    let server_ids: Vec<String> = servers.iter().map(|id| alloc::format!("{}", id.raw())).collect();
    let mut clients = Vec::new();
    for index in 0..CLIENTS {
        let (index, calls) = (alloc::format!("{index}"), alloc::format!("{calls}"));
        let mut argv = alloc::vec!["ipcdigest", CLIENT_ARG, &index, &seed_arg, &calls];
        argv.extend(server_ids.iter().map(String::as_str));
        clients.push(spawn(&argv)?);
    }
    let _ = urt::sleep(SETTLE_MS);
    let before = sys::counters().unwrap_or_default();
    call(servers[0], op::GO, &[], &mut [], &[]).map_err(|err| alloc::format!("go: {err}"))?;
    // Every server answers the callers it holds, until all clients are done.
    loop {
        let mut done = false;
        for (index, &server) in servers.iter().enumerate() {
            let mut answer = [0u8; 1];
            call(server, op::TICK, &[], &mut answer, &[]).map_err(|err| alloc::format!("tick: {err}"))?;
            done |= index == 0 && answer[0] == 1;
        }
        if done {
            break;
        }
    }
    let costs = sys::counters().unwrap_or_default().since(&before);
    let mut digests = [0u64; CLIENTS + SERVERS];
    for (index, &server) in servers.iter().enumerate() {
        let mut answer = [0u8; 8 * (CLIENTS + 1)];
        let reply = call(server, op::QUIT, &[], &mut answer, &[]).map_err(|err| alloc::format!("quit: {err}"))?;
        let words: Vec<u64> =
            answer[..reply.len].chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))).collect();
        digests[CLIENTS + index] = words.first().copied().unwrap_or(0);
        if index == 0 {
            digests[..CLIENTS].copy_from_slice(words.get(1..=CLIENTS).ok_or("server 0 sent no client digests")?);
        }
    }
    for task in clients.into_iter().chain(servers) {
        let _ = supervisor::wait(task);
    }
    let mut all = Digest::default();
    let mut parts = String::new();
    for (index, digest) in digests.iter().enumerate() {
        all.word(*digest);
        let label = if index == 0 {
            "clients "
        } else if index == CLIENTS {
            " servers "
        } else {
            " "
        };
        let _ = write!(parts, "{label}{digest:016x}");
    }
    println!("ipcdigest: seed={seed} calls={calls} digest={:016x} ({parts})", all.value());
    println!("ipcdigest: fast path: {} calls, {} replies", costs.fast_calls, costs.fast_replies);
    Ok(())
}
