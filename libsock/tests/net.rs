//! The `std::net`-shaped types and the extensions' calls against the real
//! netd core, one thread per task (see `support`).

mod support;

use std::thread;
use std::time::Duration;

use libsock::poll::{PollEntry, flags};
use libsock::{Listener, ResetReason, SockError, Sockets, Stream, Wait};
use support::{FakeTransport, Shared};

const NETD_RESTARTED: SockError = SockError::ConnectionReset(ResetReason::NetdRestarted);

/// A listener on `port` in its own task, echoing `clients` connections one
/// message each, in the order they were accepted.
fn echo_server(system: &Shared, port: u16, clients: usize) -> thread::JoinHandle<Vec<u16>> {
    let mut listener = Listener::bind_with(system.task(), port, 8).unwrap();
    thread::spawn(move || {
        let mut streams: Vec<Stream<FakeTransport>> = listener.incoming().take(clients).map(Result::unwrap).collect();
        let mut buf = [0u8; 64];
        for stream in streams.iter_mut() {
            let len = stream.read(&mut buf).unwrap();
            stream.write_all(&buf[..len]).unwrap();
        }
        streams.iter().map(Stream::peer_port).collect()
    })
}

#[test]
fn a_listener_serves_many_streams_each_gets_its_own_echo() {
    let system = Shared::new();
    let server = echo_server(&system, 7, 3);
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let transport = system.task();
            thread::spawn(move || {
                let mut stream = Stream::connect_with(transport, "localhost", 7).unwrap();
                let message = format!("client {i}");
                stream.write_all(message.as_bytes()).unwrap();
                let mut buf = [0u8; 64];
                let len = stream.read(&mut buf).unwrap();
                assert_eq!(&buf[..len], message.as_bytes());
                stream.local_port()
            })
        })
        .collect();
    let mut locals: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let mut remotes = server.join().unwrap();
    locals.sort();
    remotes.sort();
    assert_eq!(locals, remotes, "each accepted stream names its client's port");
}

#[test]
fn a_dropped_stream_is_the_end_of_its_peers_stream() {
    let system = Shared::new();
    let mut listener = Listener::bind_with(system.task(), 7, 1).unwrap();
    let client = Stream::connect_with(system.task(), "localhost", 7).unwrap();
    let (mut accepted, _) = listener.accept().unwrap();
    drop(client);
    let mut buf = [0u8; 8];
    assert_eq!(accepted.read(&mut buf), Ok(0));
    assert_eq!(accepted.read(&mut buf), Ok(0), "and stays ended");
    drop(accepted);
    drop(listener);
    assert_eq!(Sockets::new(system.task()).list(0).unwrap().total, 0, "nothing left behind");
}

#[test]
fn read_timeouts_and_non_blocking_mode() {
    let system = Shared::new();
    let mut listener = Listener::bind_with(system.task(), 7, 1).unwrap();
    let mut client = Stream::connect_with(system.task(), "localhost", 7).unwrap();
    let (mut accepted, _) = listener.accept().unwrap();
    let mut buf = [0u8; 8];
    accepted.set_nonblocking(true).unwrap();
    assert_eq!(accepted.read(&mut buf), Err(SockError::WouldBlock));
    listener.set_nonblocking(true).unwrap();
    assert_eq!(listener.accept().err(), Some(SockError::WouldBlock));
    accepted.set_nonblocking(false).unwrap();
    assert_eq!(accepted.set_read_timeout(Some(Duration::ZERO)), Err(SockError::InvalidArg));
    accepted.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let me = system.lock().kernel.waiting_tasks().len();
    let reader = thread::spawn(move || {
        let mut buf = [0u8; 8];
        let timed_out = accepted.read(&mut buf);
        (timed_out, accepted)
    });
    while system.lock().kernel.waiting_tasks().len() == me {
        thread::yield_now();
    }
    system.advance_ms(99);
    assert!(!reader.is_finished());
    system.advance_ms(1);
    let (timed_out, mut accepted) = reader.join().unwrap();
    assert_eq!(timed_out, Err(SockError::Timeout));
    client.write_all(b"late").unwrap();
    assert_eq!(accepted.read(&mut buf), Ok(4), "nothing was lost");
}

/// Generic no_std code over `embedded-io`: works on a stream.
fn greet<S: embedded_io::Read + embedded_io::Write>(stream: &mut S) -> Result<usize, S::Error> {
    stream.write_all(b"hello")?;
    let mut buf = [0u8; 16];
    stream.read(&mut buf)
}

#[test]
fn streams_serve_generic_embedded_io_code() {
    let system = Shared::new();
    let server = echo_server(&system, 9, 1);
    let mut stream = Stream::connect_with(system.task(), "127.0.0.1", 9).unwrap();
    assert_eq!(embedded_io::ReadReady::read_ready(&mut stream), Ok(false));
    assert_eq!(greet(&mut stream), Ok(5));
    server.join().unwrap();
    // The server's stream was dropped: the end of ours is ready to read.
    assert_eq!(embedded_io::ReadReady::read_ready(&mut stream), Ok(true));
    assert_eq!(embedded_io::Read::read(&mut stream, &mut [0; 4]), Ok(0));
}

#[test]
fn poll_wakes_for_the_console_or_a_socket() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    server.listen_queue(7, 4).unwrap();
    let mut client = Sockets::new(system.task());
    let local = client.connect(7, "localhost").unwrap();
    let (conn, _) = server.accept(7).unwrap();
    let poll_in_thread = |mut server: Sockets<FakeTransport>| {
        thread::spawn(move || {
            let mut entries = [PollEntry::new(conn, flags::READABLE)];
            let result = server.poll_console(&mut entries, Wait::Forever).unwrap();
            (result, entries[0].ready, server)
        })
    };
    let polling = poll_in_thread(server);
    // Blocked in netd's poll (its first, non-blocking poll learnt the count).
    while system.lock().console_watch.is_none() || !system.lock().kernel.is_waiting(server_task) {
        thread::yield_now();
    }
    system.type_line();
    let (result, ready, server) = polling.join().unwrap();
    assert_eq!((result, ready), ((0, true), 0), "the console woke it");
    // The line is read; now a message wakes the same kind of poll.
    system.lock().console_input = false;
    let polling = poll_in_thread(server);
    while system.lock().console_watch.is_none() || !system.lock().kernel.is_waiting(server_task) {
        thread::yield_now();
    }
    client.send(local, b"x").unwrap();
    let (result, ready, _) = polling.join().unwrap();
    assert_eq!((result, ready), ((1, false), flags::READABLE));
}

#[test]
fn a_netd_restart_during_accept_or_poll_is_minus_1030_and_the_next_calls_work() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    server.listen_queue(7, 4).unwrap();
    let accepting = thread::spawn(move || (server.accept(7), server));
    system.wait_until_blocked(server_task);
    system.stop_netd();
    system.start_netd();
    let (accepted, mut server) = accepting.join().unwrap();
    assert_eq!(accepted, Err(NETD_RESTARTED));
    server.listen_queue(7, 4).unwrap();
    let polling = thread::spawn(move || {
        let mut entries = [PollEntry::new(7, flags::ACCEPTABLE)];
        (server.poll(&mut entries, Wait::Forever), server)
    });
    system.wait_until_blocked(server_task);
    system.stop_netd();
    system.start_netd();
    let (polled, mut server) = polling.join().unwrap();
    assert_eq!(polled, Err(NETD_RESTARTED));
    let mut entries = [PollEntry::new(7, flags::ACCEPTABLE)];
    assert_eq!(server.poll(&mut entries, Wait::NonBlocking), Ok(1));
    assert_eq!(entries[0].ready, flags::CLOSED, "the old socket is gone");
    server.listen_queue(7, 4).unwrap();
    let mut client = Sockets::new(system.task());
    client.connect(7, "localhost").unwrap();
    assert_eq!(server.poll(&mut entries, Wait::Forever), Ok(1));
    assert!(server.accept(7).is_ok());
}
