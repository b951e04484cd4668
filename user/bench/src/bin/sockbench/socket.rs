//! The socket benchmarks measured from this task: one-byte ping-pong, bulk
//! transfer, and connection set-up. The peer is a helper task that listens;
//! this task connects, so a helper that fails shows up as a refused or reset
//! connection here instead of a wait that never ends.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;

use abi::TaskId;
use bench::pattern;
use bench::plan::{BULK_CHUNKS, Plan};
use bench::report::{Measured, ResultLine, megabytes_per_second, per_second};
use libsock::SockError;
use urt::supervisor;

use crate::clock::Stopwatch;
use crate::net::{Net, connect_retrying, sockets};
use crate::{Bencher, emit, spawn, wait_ok};

pub const PING_PONG_PORT: u16 = 7001;
pub const BULK_PORT: u16 = 7002;
pub const CONN_PORT: u16 = 7003;

fn sock_err(call: &str) -> impl Fn(SockError) -> String + '_ {
    move |err| format!("{call}: {err}")
}

/// Ends a helper that may still wait for us, and collects it.
fn finish_helper(task: TaskId, what: &str, measured: &Result<Measured, String>) -> Result<(), String> {
    if measured.is_err() {
        let _ = supervisor::kill(task);
        let _ = supervisor::wait(task);
        return Ok(());
    }
    wait_ok(task, what)
}

/// `pp-sock`: 1-byte messages back and forth with an echoing task.
pub fn ping_pong(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let echo = spawn(&["sockbench", "echo", &PING_PONG_PORT.to_string()])?;
    let mut net = sockets();
    let measured = connect_retrying(&mut net, PING_PONG_PORT).map_err(sock_err("connect")).and_then(|(local, _)| {
        let timed = time_ping_pong(bencher, plan, &mut net, local);
        // The echo task sees the reset and ends.
        net.disconnect(local).map_err(sock_err("disconnect"))?;
        timed
    });
    finish_helper(echo, "echo", &measured)?;
    emit(ResultLine::new("pp-sock").round_trips(plan.round_trips.into(), &measured?));
    Ok(())
}

fn time_ping_pong(bencher: &Bencher, plan: &Plan, net: &mut Net, local: u16) -> Result<Measured, String> {
    round_trips(net, local, plan.warm_up())?;
    let watch = Stopwatch::start();
    round_trips(net, local, plan.round_trips)?;
    Ok(bencher.measured(watch.lap()))
}

/// `count` round trips of one byte on the connected socket `local`.
pub fn round_trips(net: &mut Net, local: u16, count: u32) -> Result<(), String> {
    let ping = [b'p'];
    let mut pong = [0u8; 1];
    for _ in 0..count {
        net.send(local, &ping).map_err(sock_err("send"))?;
        match net.recv(local, &mut pong).map_err(sock_err("recv"))? {
            (1, false) if pong == ping => {}
            _ => return Err(String::from("the echo was not the byte sent")),
        }
    }
    Ok(())
}

/// `bulk-sock`: the pattern stream one way, once per chunk size, checked.
pub fn bulk(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    for chunk in BULK_CHUNKS {
        bulk_run(bencher, plan.bulk_bytes, chunk)?;
    }
    Ok(())
}

fn bulk_run(bencher: &Bencher, bytes: u32, chunk: u32) -> Result<(), String> {
    // The whole stream is kept, so it can be checked after the clock stops.
    let mut stream = vec![0u8; bytes as usize];
    let args = [u32::from(BULK_PORT), bytes, chunk].map(|n| n.to_string());
    let sender = spawn(&["sockbench", "bulk-sender", &args[0], &args[1], &args[2]])?;
    let mut net = sockets();
    let measured = connect_retrying(&mut net, BULK_PORT).map_err(sock_err("connect")).and_then(|(local, _)| {
        let timed = receive_stream(bencher, &mut net, local, &mut stream, chunk as usize);
        net.disconnect(local).map_err(sock_err("disconnect"))?;
        timed
    });
    finish_helper(sender, "bulk-sender", &measured)?;
    let Measured { ns, costs } = measured?;

    let watch = Stopwatch::start();
    let sum = pattern::checksum(&stream);
    let matches = sum == pattern::stream_checksum(stream.len());
    let check_ns = bencher.ns(watch.ticks());
    emit(
        ResultLine::new("bulk-sock")
            .field("chunk", chunk)
            .field("bytes", bytes)
            .field("ns", ns)
            .field("MBps", megabytes_per_second(bytes.into(), ns))
            .field("check", if matches { "ok" } else { "BAD" })
            .field("sum", format!("{sum:#018x}"))
            .field("check_ns", check_ns)
            .costs(&costs, u64::from(bytes.div_ceil(chunk))),
    );
    if !matches {
        return Err(format!("chunk {chunk}: the data that arrived is not what was sent"));
    }
    Ok(())
}

/// Sends the start byte and receives the whole stream; ns from the start
/// byte to the last byte received.
fn receive_stream(
    bencher: &Bencher,
    net: &mut Net,
    local: u16,
    stream: &mut [u8],
    chunk: usize,
) -> Result<Measured, String> {
    let watch = Stopwatch::start();
    net.send(local, b"g").map_err(sock_err("send"))?;
    let mut got = 0;
    while got < stream.len() {
        let end = (got + chunk).min(stream.len());
        let (len, _) = net.recv(local, &mut stream[got..end]).map_err(sock_err("recv"))?;
        if len == 0 {
            return Err(String::from("an empty message in the stream"));
        }
        got += len;
    }
    Ok(bencher.measured(watch.lap()))
}

/// `conn`: connect and disconnect against a task that listens again after
/// each connection.
pub fn connections(bencher: &Bencher, plan: &Plan) -> Result<(), String> {
    let cycles = plan.conn_cycles();
    let args = [u32::from(CONN_PORT), cycles].map(|n| n.to_string());
    let server = spawn(&["sockbench", "conn-server", &args[0], &args[1]])?;
    let mut net = sockets();
    let mut refused = 0u64;
    let measured = time_cycles(bencher, &mut net, cycles, &mut refused);
    finish_helper(server, "conn-server", &measured)?;
    let measured = measured?;
    let n = u64::from(cycles);
    emit(
        ResultLine::new("conn")
            .timed("cycle", n, &measured)
            .field("cycles_per_s", per_second(n, measured.ns))
            .field("refused", refused)
            .costs(&measured.costs, n),
    );
    Ok(())
}

fn time_cycles(bencher: &Bencher, net: &mut Net, cycles: u32, refused: &mut u64) -> Result<Measured, String> {
    let watch = Stopwatch::start();
    for _ in 0..cycles {
        let (local, tries) = connect_retrying(net, CONN_PORT).map_err(sock_err("connect"))?;
        *refused += u64::from(tries);
        match net.disconnect(local) {
            Ok(()) | Err(SockError::ConnectionReset(_)) => {}
            Err(err) => return Err(format!("disconnect: {err}")),
        }
    }
    Ok(bencher.measured(watch.lap()))
}
