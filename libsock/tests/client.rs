//! The client calls against the real netd core, one thread per task.

mod support;

use std::thread;

use libsock::proto::op;
use libsock::{E_CONNECTION_RESET_BY_REMOTE, E_INVALID_ARG, E_NOTFOUND, ResetReason, SockError, Sockets, Wait};
use support::{FakeTransport, Shared};

const NETD_RESTARTED: SockError = SockError::ConnectionReset(ResetReason::NetdRestarted);

#[test]
fn the_seed_demo_round_trip_with_the_integer_api() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let mut client = Sockets::new(system.task());
    let serving = thread::spawn(move || {
        let mut api = server.seed();
        assert_eq!(api.listen(10), 0);
        let mut buf = [0xffu8; 128];
        assert_eq!(api.recv(10, &mut buf, 128), 0);
        let text = &buf[..buf.iter().position(|&b| b == 0).unwrap()];
        assert_eq!(text, b"hello");
        let answer = [text, b" OK"].concat();
        assert_eq!(api.send(10, &answer, answer.len() as i32), 0);
        assert_eq!(api.recv(10, &mut buf, 128), E_CONNECTION_RESET_BY_REMOTE);
    });
    let mut api = client.seed();
    let port = loop {
        match api.connect(10, "localhost") {
            E_NOTFOUND => thread::yield_now(),
            port => break port,
        }
    };
    assert_eq!(port, 65_535, "the first client gets the top port");
    assert_eq!(api.send(port, b"hello", 5), 0);
    let mut buf = [0xffu8; 64];
    assert_eq!(api.recv(port, &mut buf, 64), 0);
    assert_eq!(&buf[..9], b"hello OK\0", "a short piece is followed by a zero byte");
    assert_eq!(api.disconnect(port), 0);
    serving.join().unwrap();
}

/// One 2-byte message each way between a server and a client made with
/// `make`; returns the operation codes of the client's data calls to netd.
fn client_operations(make: fn(FakeTransport) -> Sockets<FakeTransport>) -> Vec<u32> {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let mut client = make(system.task());
    let serving = thread::spawn(move || {
        server.listen(10).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(server.recv(10, &mut buf).unwrap(), (2, false));
        server.send(10, &buf[..2]).unwrap();
    });
    let port = loop {
        match client.connect(10, "localhost") {
            Err(SockError::NotFound) => thread::yield_now(),
            other => break other.unwrap(),
        }
    };
    client.send(port, b"hi").unwrap();
    let mut buf = [0xffu8; 8];
    assert_eq!(client.recv(port, &mut buf).unwrap(), (2, false));
    assert_eq!(&buf[..4], b"hi\0\xff", "the piece, its zero byte, and the rest untouched");
    serving.join().unwrap();
    let me = client.transport().me;
    // Connect may be tried until the server listens: its calls are left out.
    let ops = system.lock().operations.clone();
    ops.into_iter().filter(|&(task, op)| task == me && op != op::CONNECT).map(|(_, op)| op).collect()
}

#[test]
fn lease_only_sockets_never_carry_data_in_the_messages() {
    assert_eq!(client_operations(Sockets::lease_only), [op::SEND, op::RECV]);
    assert_eq!(client_operations(Sockets::new), [op::SEND_INLINE, op::RECV_INLINE]);
}

#[test]
fn send_and_recv_each_wait_as_their_own_side_of_the_socket_says() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || server.listen(7).unwrap());
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    let port = client.connect(7, "localhost").unwrap();
    serving.join().unwrap();
    client.set_read_wait(port, Wait::NonBlocking).unwrap();
    client.set_write_wait(port, Wait::Ms(0)).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(client.recv(port, &mut buf), Err(SockError::WouldBlock));
    client.send(port, b"unread").unwrap();
    assert_eq!(client.send(port, b"more"), Err(SockError::Timeout), "the write wait, not the read wait");
    // An explicit wait overrides the socket's.
    assert_eq!(client.recv_wait(port, &mut buf, Wait::Ms(0)), Err(SockError::Timeout));
    assert_eq!(client.send_wait(port, b"more", Wait::NonBlocking), Err(SockError::WouldBlock));
}

#[test]
fn recv_reports_pieces_and_whether_more_remains() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || {
        server.listen(7).unwrap();
        let mut piece = [0xffu8; 4];
        assert_eq!(server.recv(7, &mut piece), Ok((4, true)));
        assert_eq!(&piece, b"abcd", "a full piece has no zero byte");
        let mut rest = [0xffu8; 8];
        assert_eq!(server.recv(7, &mut rest), Ok((2, false)));
        assert_eq!(&rest[..3], b"ef\0");
    });
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    let port = client.connect(7, "127.0.0.1").unwrap();
    client.send(port, b"abcdef").unwrap();
    serving.join().unwrap();
}

#[test]
fn a_64_kib_message_crosses_whole() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let message: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    let expected = message.clone();
    let serving = thread::spawn(move || {
        server.listen(1).unwrap();
        let mut buf = vec![0u8; 70_000];
        assert_eq!(server.recv(1, &mut buf), Ok((65_536, false)));
        assert_eq!(buf[..65_536], expected[..]);
    });
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    let port = client.connect(1, "localhost").unwrap();
    client.send(port, &message).unwrap();
    serving.join().unwrap();
}

#[test]
fn bad_arguments_are_refused_before_any_ipc() {
    let system = Shared::new();
    let mut sockets = Sockets::new(system.task());
    let mut api = sockets.seed();
    let mut buf = [0u8; 8];
    assert_eq!(api.listen(-1), E_INVALID_ARG);
    assert_eq!(api.listen(65_536), E_INVALID_ARG);
    assert_eq!(api.connect(10, ""), E_INVALID_ARG);
    assert_eq!(api.connect(10, "local"), E_INVALID_ARG);
    assert_eq!(api.connect(-5, "localhost"), E_INVALID_ARG);
    assert_eq!(api.send(1, &buf, 9), E_INVALID_ARG);
    assert_eq!(api.send(1, &buf, -1), E_INVALID_ARG);
    assert_eq!(api.recv(1, &mut buf, 0), E_INVALID_ARG);
    assert_eq!(api.recv(1, &mut buf, 9), E_INVALID_ARG);
    assert_eq!(api.disconnect(70_000), E_INVALID_ARG);
    assert_eq!(sockets.send(1, &vec![0; 65_537]), Err(SockError::InvalidArg));
    assert_eq!(system.lock().calls_to_netd, 0);
    assert_eq!(sockets.seed().disconnect(3), E_NOTFOUND);
    assert_eq!(system.lock().calls_to_netd, 1);
}

#[test]
fn a_peer_death_is_told_apart_from_a_close() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || {
        server.listen(5).unwrap();
        let mut buf = [0u8; 8];
        let died = server.recv(5, &mut buf);
        (died, server)
    });
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    client.connect(5, "localhost").unwrap();
    // Wait for the server's recv, then kill the idle client.
    while !system.lock().kernel.is_waiting(server_task) || system.lock().calls_to_netd < 3 {
        thread::yield_now();
    }
    system.kill(client.transport().me);
    let (died, _server) = serving.join().unwrap();
    assert_eq!(died, Err(SockError::ConnectionReset(ResetReason::PeerDied)));
}

#[test]
fn a_netd_restart_resets_a_blocked_listen_and_listen_works_at_once_after() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || {
        let first = server.listen(10);
        (first, server)
    });
    system.wait_until_blocked(server_task);
    system.stop_netd();
    system.start_netd();
    let (first, mut server) = serving.join().unwrap();
    assert_eq!(first, Err(NETD_RESTARTED));
    let serving = thread::spawn(move || server.listen(10));
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    assert_eq!(client.connect(10, "localhost"), Ok(65_535));
    assert_eq!(serving.join().unwrap(), Ok(()));
}

#[test]
fn sockets_of_an_old_netd_reset_without_reaching_the_new_one() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || server.listen(10).map(|()| server));
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    let port = client.connect(10, "localhost").unwrap();
    let _server = serving.join().unwrap().unwrap();
    system.stop_netd();
    system.start_netd();
    let calls = system.lock().calls_to_netd;
    assert_eq!(client.send(port, b"lost"), Err(NETD_RESTARTED));
    assert_eq!(client.seed().recv(port as i32, &mut [0; 4], 4), E_NOTFOUND, "forgotten: the new netd answers");
    assert_eq!(system.lock().calls_to_netd, calls + 1, "only the second call reached the new netd");
}

#[test]
fn listen_waits_two_seconds_for_netd_then_fails() {
    let system = Shared::new();
    system.stop_netd();
    let mut sockets = Sockets::new(system.task());
    assert_eq!(sockets.listen(10), Err(SockError::Fail));
    let waited = system.lock().clock_ms;
    assert!((2_000..2_100).contains(&waited), "waited {waited} ms");
}

#[test]
fn connect_reaches_a_netd_that_appears_while_waiting() {
    let system = Shared::new();
    system.stop_netd();
    system.lock().netd_starts_at = Some(500);
    let mut sockets = Sockets::new(system.task());
    assert_eq!(sockets.connect(10, "localhost"), Err(SockError::NotFound));
    let clock = system.lock().clock_ms;
    assert!((500..1_000).contains(&clock));
    assert_eq!(system.lock().calls_to_netd, 1);
}

#[test]
fn netstat_lists_sockets_through_the_client() {
    let system = Shared::new();
    let mut server = Sockets::new(system.task());
    let server_task = server.transport().me;
    let serving = thread::spawn(move || server.listen(10));
    system.wait_until_blocked(server_task);
    let mut client = Sockets::new(system.task());
    let page = client.list(0).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.iter().next().unwrap().port, 10);
    client.connect(10, "localhost").unwrap();
    serving.join().unwrap().unwrap();
    assert_eq!(client.list(0).unwrap().total, 2);
}

#[test]
fn connect_gives_up_when_the_registry_names_a_dead_netd_for_two_seconds() {
    let system = Shared::new();
    let dead = system.netd_id();
    system.stop_netd();
    system.lock().stale_name = dead;
    let mut sockets = Sockets::new(system.task());
    assert_eq!(sockets.connect(10, "localhost"), Err(SockError::Fail));
    assert!(system.lock().clock_ms >= 2_000);
    // Once netd is back, the same client reaches it.
    system.start_netd();
    assert_eq!(sockets.connect(10, "localhost"), Err(SockError::NotFound));
}
