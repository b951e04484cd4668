//! `socktest`: the seed's socket demo with two tasks (docs/socket-contract.md, section 3).
//!
//! - `socktest server PORT`: listens, then answers each message `TEXT` with
//!   `TEXT OK` until the client says `exit`.
//! - `socktest client PORT`: connects (retrying for up to a second while
//!   nothing listens), sends each console line and prints the answer; `exit`
//!   or Ctrl-D sends `exit` and ends.
//! - `socktest`: starts `socktest server 10` through init and runs the client
//!   half itself, then waits for the server. The task reading the console is
//!   the one the shell waits for, so Ctrl-C ends the client, and the server
//!   then fails with a reset and ends too; no task is left behind.
//!
//! Each half exits 0 after `exit`, or prints the failed call as
//! `server: CALL: E_NAME (code)` / `client: ...` and exits 1.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::MAX_MESSAGE_LEN;
use libsock::{KernelTransport, SockError, Sockets};
use netprogs::cli::{self, DEMO_PORT, SOCKTEST_USAGE, Socktest};
use netprogs::net::{connect_retrying, recv_message};
use netprogs::text::{SOCKTEST_EXIT, failure, shown, socktest_reply};
use urt::io::Input;
use urt::proto::init::Ended;
use urt::{print, println, supervisor};

urt::entry!(main);

/// How long the client retries `connect` while nothing listens yet.
const CONNECT_PATIENCE_MS: u64 = 1000;

fn main() -> i32 {
    let args: Vec<&str> = urt::args().skip(1).collect();
    match cli::socktest(&args) {
        Some(Socktest::Demo) => demo(),
        Some(Socktest::Server(port)) => with_port(port, ("server", "listen"), server),
        Some(Socktest::Client(port)) => with_port(port, ("client", "connect"), client),
        None => {
            println!("{SOCKTEST_USAGE}");
            1
        }
    }
}

/// Runs one half on port `arg`; a number out of range fails as the half's
/// first call (`listen` or `connect`) would.
fn with_port(arg: &str, (half, first_call): (&str, &str), run: fn(u16) -> i32) -> i32 {
    match cli::port(arg) {
        Ok(port) => run(port),
        Err(true) => {
            println!("{}", failure(half, first_call, SockError::InvalidArg));
            1
        }
        Err(false) => {
            println!("{SOCKTEST_USAGE}");
            1
        }
    }
}

fn demo() -> i32 {
    let port = alloc::format!("{DEMO_PORT}");
    let server = match supervisor::spawn(&["socktest", "server", &port], true) {
        Ok(server) => server,
        Err(err) => {
            println!("socktest: cannot start the server: {err}");
            return 1;
        }
    };
    let client_status = client(DEMO_PORT);
    let server_status = match supervisor::wait(server) {
        Ok(Ended::Exited(status)) => status,
        Ok(other) => {
            println!("socktest: server ended: {other}");
            1
        }
        Err(err) => {
            println!("socktest: wait: {err}");
            1
        }
    };
    i32::from(client_status != 0 || server_status != 0)
}

/// Buffers for one whole message of any allowed size.
struct Buffers {
    scratch: Vec<u8>,
    message: Vec<u8>,
}

impl Buffers {
    fn new() -> Self {
        Buffers { scratch: vec![0u8; MAX_MESSAGE_LEN as usize], message: Vec::new() }
    }
}

fn server(port: u16) -> i32 {
    let mut sockets = libsock::system();
    // `listen` answers once a client connected, or at once with its error:
    // only its success says the port was ours to listen on.
    if let Err(err) = sockets.listen(port) {
        println!("{}", failure("server", "listen", err));
        return 1;
    }
    println!("server: listening on port {port}\nserver: client connected");
    match serve(&mut sockets, port, &mut Buffers::new()) {
        Ok(()) => 0,
        Err((call, err)) => {
            println!("{}", failure("server", call, err));
            let _ = sockets.disconnect(port);
            1
        }
    }
}

fn serve(
    sockets: &mut Sockets<KernelTransport>,
    port: u16,
    buffers: &mut Buffers,
) -> Result<(), (&'static str, SockError)> {
    loop {
        recv_message(sockets, port, &mut buffers.scratch, &mut buffers.message).map_err(|err| ("recv", err))?;
        println!("server: received \"{}\"", shown(&buffers.message));
        if buffers.message == SOCKTEST_EXIT {
            println!("server: client said exit, disconnecting");
            return sockets.disconnect(port).map_err(|err| ("disconnect", err));
        }
        let reply = socktest_reply(&buffers.message);
        sockets.send(port, &reply).map_err(|err| ("send", err))?;
    }
}

fn client(port: u16) -> i32 {
    let mut sockets = libsock::system();
    let local = match connect_retrying(&mut sockets, port, "localhost", CONNECT_PATIENCE_MS) {
        Ok(local) => local,
        Err(err) => {
            println!("{}", failure("client", "connect", err));
            return 1;
        }
    };
    println!("client: connected to port {port} from port {local}");
    match converse(&mut sockets, local, &mut Buffers::new()) {
        Ok(()) => 0,
        Err((call, err)) => {
            println!("{}", failure("client", call, err));
            let _ = sockets.disconnect(local);
            1
        }
    }
}

/// Sends console lines until `exit` or the end of input, printing replies.
fn converse(
    sockets: &mut Sockets<KernelTransport>,
    local: u16,
    buffers: &mut Buffers,
) -> Result<(), (&'static str, SockError)> {
    loop {
        print!("client> ");
        let line = match urt::read_line() {
            Input::Line(line) => line.into_bytes(),
            // Ctrl-D, Ctrl-C or no console: end the conversation properly.
            Input::EndOfInput | Input::Interrupted => SOCKTEST_EXIT.to_vec(),
        };
        sockets.send(local, &line).map_err(|err| ("send", err))?;
        if line == SOCKTEST_EXIT {
            return sockets.disconnect(local).map_err(|err| ("disconnect", err));
        }
        recv_message(sockets, local, &mut buffers.scratch, &mut buffers.message).map_err(|err| ("recv", err))?;
        println!("client: received \"{}\"", shown(&buffers.message));
    }
}
