//! `poll`: one request over many ports, woken exactly by the ready ones, by
//! its timeout, or by a console signal it has not seen.

use abi::{TaskId, lease_flags};
use libsock::SockError;
use libsock::poll::{ENTRY_LEN, PollEntry, encode, flags};
use libsock::proto::{Request, Response, Wait};

use crate::ext_tests::{accept, listen_queue};
use crate::fake_kernel::{FakeLease, Reply, World};
use crate::rule_tests::{RESET_BY_CLOSE, connect, disconnect, link, piece, recv, send};

fn lease(entries: &[PollEntry]) -> FakeLease {
    let mut data = vec![0u8; entries.len() * ENTRY_LEN];
    encode(entries, &mut data);
    FakeLease { flags: lease_flags::READ | lease_flags::WRITE, data, unmapped_from: None }
}

fn poll(w: &mut World, task: TaskId, entries: &[PollEntry], wait: Wait, console: Option<u32>) -> Option<Reply> {
    let request = Request::Poll { count: entries.len() as u32, wait, console };
    w.call(task, &request, vec![lease(entries)])
}

/// (ready count, console flag, each entry's ready flags).
fn result(reply: Reply) -> (u32, bool, Vec<u8>) {
    match reply.response() {
        Response::Polled { ready, console, .. } => {
            (ready, console, reply.leases[0].data.chunks(ENTRY_LEN).map(|e| e[3]).collect())
        }
        other => panic!("expected a poll result, got {other:?}"),
    }
}

/// `server` holds 32 connections, ports 100..132, each with its own client.
fn thirty_two(w: &mut World) -> (TaskId, Vec<(TaskId, u32)>) {
    let server = w.spawn();
    let clients = (0..32)
        .map(|i| {
            let client = w.spawn();
            let link = link(w, server, client, 100 + i);
            (client, link.client_port)
        })
        .collect();
    (server, clients)
}

fn readable(first: u16, count: u16) -> Vec<PollEntry> {
    (first..first + count).map(|port| PollEntry::new(port, flags::READABLE)).collect()
}

#[test]
fn poll_over_32_ports_wakes_on_exactly_the_ready_ones() {
    let mut w = World::new();
    let (server, clients) = thirty_two(&mut w);
    let entries = readable(100, 32);
    assert!(poll(&mut w, server, &entries, Wait::Forever, None).is_none(), "nothing ready: it waits");
    let (client, port) = clients[17];
    assert_eq!(send(&mut w, client, port, b"x"), Some(Response::Ok(0)));
    let (ready, _, flags_of) = result(w.reply_for(server).expect("woken by the message"));
    assert_eq!(ready, 1);
    let woken: Vec<usize> = flags_of.iter().enumerate().filter(|(_, f)| **f != 0).map(|(i, _)| i).collect();
    assert_eq!(woken, [17]);
    assert_eq!(flags_of[17], flags::READABLE);
    // Two ready at once, found at once; the message stays for recv.
    send(&mut w, clients[3].0, clients[3].1, b"y");
    let (ready, _, flags_of) = result(poll(&mut w, server, &entries, Wait::Forever, None).unwrap());
    assert_eq!((ready, flags_of[3], flags_of[17]), (2, flags::READABLE, flags::READABLE));
    assert_eq!(piece(recv(&mut w, server, 117, 4).unwrap()).0, b"x");
}

#[test]
fn writable_acceptable_reset_and_closed_are_reported() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    let link = link(&mut w, server, client, 10);
    listen_queue(&mut w, server, 7, 2);
    send(&mut w, server, 10, b"full");
    let entries = [
        PollEntry::new(10, flags::WRITABLE),
        PollEntry::new(7, flags::ACCEPTABLE),
        PollEntry::new(9999, flags::READABLE),
    ];
    let (ready, _, flags_of) = result(poll(&mut w, server, &entries, Wait::Forever, None).unwrap());
    assert_eq!((ready, flags_of), (1, vec![0, 0, flags::CLOSED]), "no socket there: reported at once");
    let entries = &entries[..2];
    assert!(poll(&mut w, server, entries, Wait::Forever, None).is_none());
    piece(recv(&mut w, client, link.client_port, 8).unwrap());
    let (_, _, flags_of) = result(w.reply_for(server).expect("room wakes it"));
    assert_eq!(flags_of, [flags::WRITABLE, 0]);
    let other = w.spawn();
    send(&mut w, server, 10, b"full");
    assert!(poll(&mut w, server, entries, Wait::Forever, None).is_none());
    connect(&mut w, other, 7, "localhost");
    let (_, _, flags_of) = result(w.reply_for(server).expect("a connection wakes it"));
    assert_eq!(flags_of, [0, flags::ACCEPTABLE]);
    accept(&mut w, server, 7, Wait::Forever).unwrap();
    assert!(poll(&mut w, server, entries, Wait::Forever, None).is_none());
    disconnect(&mut w, client, link.client_port);
    let (_, _, flags_of) = result(w.reply_for(server).expect("a reset wakes it"));
    assert_eq!(flags_of, [flags::RESET, 0], "reset is reported though not asked for");
    assert_eq!(recv(&mut w, server, 10, 8).map(|r| r.0), Some(Response::Error(RESET_BY_CLOSE)));
}

#[test]
fn a_poll_times_out_with_nothing_ready_and_a_zero_wait_answers_at_once() {
    let mut w = World::new();
    let (server, _) = thirty_two(&mut w);
    let entries = readable(100, 4);
    let (ready, _, _) = result(poll(&mut w, server, &entries, Wait::NonBlocking, None).unwrap());
    assert_eq!(ready, 0);
    assert!(poll(&mut w, server, &entries, Wait::Ms(200), None).is_none());
    w.advance_ms(199);
    assert!(w.reply_for(server).is_none());
    w.advance_ms(1);
    assert_eq!(result(w.reply_for(server).unwrap()).0, 0);
    assert_eq!(w.netd.next_deadline(), None);
}

#[test]
fn an_answered_poll_leaves_no_mark_that_wakes_a_later_call() {
    let mut w = World::new();
    let (server, clients) = thirty_two(&mut w);
    assert!(poll(&mut w, server, &readable(100, 2), Wait::Ms(50), None).is_none());
    send(&mut w, clients[0].0, clients[0].1, b"a");
    result(w.reply_for(server).unwrap());
    assert_eq!(w.netd.next_deadline(), None);
    // Now the server waits in a poll of other ports: port 101 is no longer watched.
    assert!(poll(&mut w, server, &readable(110, 2), Wait::Forever, None).is_none());
    send(&mut w, clients[1].0, clients[1].1, b"b");
    assert!(w.reply_for(server).is_none());
    w.advance_ms(100);
    assert_eq!(w.kernel.stray_replies, 0);
}

#[test]
fn a_console_signal_wakes_a_poll_that_has_not_seen_it() {
    let mut w = World::new();
    let (server, _) = thirty_two(&mut w);
    let entries = readable(100, 2);
    let seen = match poll(&mut w, server, &entries, Wait::NonBlocking, None).unwrap().response() {
        Response::Polled { console_signals, .. } => console_signals,
        other => panic!("{other:?}"),
    };
    assert!(poll(&mut w, server, &entries, Wait::Forever, Some(seen)).is_none());
    w.console_signal();
    let (ready, console, _) = result(w.reply_for(server).expect("the console woke it"));
    assert_eq!((ready, console), (0, true));
    // A signal that came before the poll (between the program asking the
    // console and polling) is not lost: the count differs at once.
    w.console_signal();
    let (_, console, _) = result(poll(&mut w, server, &entries, Wait::Forever, Some(seen + 1)).unwrap());
    assert!(console);
    // Without console interest a signal wakes nobody.
    assert!(poll(&mut w, server, &entries, Wait::Forever, None).is_none());
    w.console_signal();
    assert!(w.reply_for(server).is_none());
}

#[test]
fn bad_poll_requests_are_invalid_arg_and_a_dead_poller_is_forgotten() {
    let mut w = World::new();
    let (server, _) = thirty_two(&mut w);
    let too_many = Request::Poll { count: 129, wait: Wait::NonBlocking, console: None };
    let invalid = Some(Response::Error(SockError::InvalidArg));
    assert_eq!(w.call(server, &too_many, vec![]).map(|r| r.response()), invalid);
    let short = Request::Poll { count: 3, wait: Wait::NonBlocking, console: None };
    assert_eq!(w.call(server, &short, vec![lease(&readable(100, 2))]).map(|r| r.response()), invalid);
    let read_only = FakeLease::read(&[0; 8]);
    let request = Request::Poll { count: 2, wait: Wait::NonBlocking, console: None };
    assert_eq!(w.call(server, &request, vec![read_only]).map(|r| r.response()), invalid);
    assert!(poll(&mut w, server, &readable(100, 2), Wait::Ms(10), None).is_none());
    w.kill(server);
    w.advance_ms(10);
    assert_eq!(w.kernel.stray_replies, 0, "nobody answers a dead poller");
    assert_eq!(w.netd.next_deadline(), None);
}
