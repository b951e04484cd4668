//! The helper roles: copies of sockbench that the benchmarks talk to. Each
//! socket helper listens and ends with status 0 once its peer has
//! disconnected; any failure is printed as `sockbench ROLE: ...` and ends it
//! with status 1 (the benchmark then reports it).

use alloc::format;
use alloc::string::String;
use alloc::vec;

use bench::pattern;
use bench::plan::Role;
use libsock::SockError;
use urt::println;

use crate::net::{Net, sockets};
use crate::{kernel, pairs};

pub fn run(role: Role) -> i32 {
    let outcome = match role {
        Role::IpcServer => return kernel::serve_null_calls(),
        Role::Echo { port } => echo(port),
        Role::BulkSender { port, bytes, chunk } => send_stream(port, bytes, chunk),
        Role::ConnServer { port, cycles } => accept_cycles(port, cycles),
        Role::Gate { parties } => return pairs::gate(parties),
        Role::PairClient { port, gate, round_trips } => return pairs::pair_client(port, gate, round_trips),
    };
    match outcome {
        Ok(()) => 0,
        Err(why) => {
            println!("sockbench {}: {why}", role.name());
            1
        }
    }
}

fn failed(call: &'static str) -> impl Fn(SockError) -> String {
    move |err| format!("{call}: {err}")
}

/// Whether a receive ended because the peer closed: the normal end.
fn peer_closed(result: &Result<(usize, bool), SockError>) -> bool {
    matches!(result, Err(SockError::ConnectionReset(_)))
}

/// Listens on `port`, then echoes each message back until the peer leaves.
fn echo(port: u16) -> Result<(), String> {
    let mut net = sockets();
    net.listen(port).map_err(failed("listen"))?;
    echo_until_closed(&mut net, port)
}

/// Sends every message on `port` back to where it came from.
pub fn echo_until_closed(net: &mut Net, port: u16) -> Result<(), String> {
    let mut message = [0u8; 64];
    loop {
        let received = net.recv(port, &mut message);
        if peer_closed(&received) {
            // Frees our end of the reset connection.
            let _ = net.disconnect(port);
            return Ok(());
        }
        let (len, _) = received.map_err(failed("recv"))?;
        net.send(port, &message[..len]).map_err(failed("send"))?;
    }
}

/// Prepares the stream, listens, waits for the start byte, then sends the
/// stream in `chunk`-sized messages and waits for the receiver to close.
fn send_stream(port: u16, bytes: u32, chunk: u32) -> Result<(), String> {
    if chunk == 0 || chunk > libsock::limits::MAX_MESSAGE_LEN {
        return Err(format!("chunk {chunk} is not a message size"));
    }
    let mut stream = vec![0u8; bytes as usize];
    pattern::fill(&mut stream);
    let mut net = sockets();
    net.listen(port).map_err(failed("listen"))?;
    let mut start = [0u8; 1];
    net.recv(port, &mut start).map_err(failed("recv start"))?;
    for piece in stream.chunks(chunk as usize) {
        net.send(port, piece).map_err(failed("send"))?;
    }
    // Closing before the receiver has everything could cost it the last
    // message; its disconnect says it is done.
    let mut ignored = [0u8; 1];
    loop {
        let received = net.recv(port, &mut ignored);
        if peer_closed(&received) {
            let _ = net.disconnect(port);
            return Ok(());
        }
        received.map_err(failed("recv end"))?;
    }
}

/// Listens on `port` and closes the connection at once, `cycles` times.
fn accept_cycles(port: u16, cycles: u32) -> Result<(), String> {
    let mut net = sockets();
    for _ in 0..cycles {
        net.listen(port).map_err(failed("listen"))?;
        net.disconnect(port).map_err(failed("disconnect"))?;
    }
    Ok(())
}
