//! `echoload PORT CLIENTS MESSAGES`: checks an echo server with many clients
//! at once.
//!
//! Starts CLIENTS copies of itself (`echoload client PORT ID MESSAGES`)
//! through init; each connects to PORT with libsock's `Stream` and, one
//! after another, sends MESSAGES messages naming its ID and their number,
//! each time checking that the next thing it reads is exactly its own
//! message back. Then it prints one line:
//! `echoload: CLIENTS clients, MESSAGES messages each, all echoed in order`,
//! or, before it, a line per client that failed and why. The exit status is
//! the number of clients that failed.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use libsock::{SockError, Stream};
use urt::println;
use urt::proto::init::Ended;
use urt::supervisor;

urt::entry!(main);

const USAGE: &str = "usage: echoload PORT CLIENTS MESSAGES";
/// How long a client keeps trying to reach a server that is not there yet.
const CONNECT_PATIENCE_MS: u64 = 3000;

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    match args[..] {
        ["client", port, id, count] => match (port.parse(), count.parse()) {
            (Ok(port), Ok(count)) => match client(port, id, count) {
                Ok(()) => 0,
                Err(why) => {
                    println!("echoload client {id}: {why}");
                    1
                }
            },
            _ => 2,
        },
        [port, clients, count] => match (port.parse::<u16>(), clients.parse::<u32>(), count.parse::<u32>()) {
            (Ok(_), Ok(clients), Ok(_)) => run(port, clients, count),
            _ => {
                println!("{USAGE}");
                2
            }
        },
        _ => {
            println!("{USAGE}");
            2
        }
    }
}

fn run(port: &str, clients: u32, count: &str) -> i32 {
    let mut started = Vec::new();
    let mut failed = 0;
    for id in 0..clients {
        let id = id.to_string();
        match supervisor::spawn(&["echoload", "client", port, &id, count], false) {
            Ok(task) => started.push(task),
            Err(err) => {
                println!("echoload: cannot start client {id}: {err}");
                failed += 1;
            }
        }
    }
    for task in started {
        match supervisor::wait(task) {
            Ok(Ended::Exited(0)) => {}
            _ => failed += 1,
        }
    }
    if failed == 0 {
        println!("echoload: {clients} clients, {count} messages each, all echoed in order");
    } else {
        println!("echoload: {failed} of {clients} clients failed");
    }
    failed
}

fn client(port: u16, id: &str, count: u32) -> Result<(), String> {
    let mut stream = connect(port)?;
    let mut buf = [0u8; 128];
    for number in 0..count {
        let message = format!("client {id} message {number}");
        stream.write_all(message.as_bytes()).map_err(|err| format!("send: {err}"))?;
        let len = stream.read(&mut buf).map_err(|err| format!("recv: {err}"))?;
        if &buf[..len] != message.as_bytes() {
            let got = String::from_utf8_lossy(&buf[..len]).into_owned();
            return Err(format!("sent {message:?}, got {got:?}"));
        }
    }
    // Dropping the stream disconnects.
    Ok(())
}

fn connect(port: u16) -> Result<Stream<libsock::KernelTransport>, String> {
    let start = urt::now_ns() / 1_000_000;
    loop {
        match Stream::connect("localhost", port) {
            Err(SockError::NotFound) if urt::now_ns() / 1_000_000 - start < CONNECT_PATIENCE_MS => {
                let _ = urt::sleep(5);
            }
            other => return other.map_err(|err| format!("connect: {err}")),
        }
    }
}
