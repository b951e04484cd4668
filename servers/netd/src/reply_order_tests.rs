//! The order in which one event answers its callers: everyone the event woke,
//! in the order it woke them, then the sender of the request; but a `send`
//! answered at once answers its sender first. The netd
//! binary sends them in exactly this order (the last with `reply_recv`), so
//! these tests see what the running system does.

use abi::TaskId;
use libsock::SockError;
use libsock::proto::{Request, Response};

use crate::Answers;
use crate::fake_kernel::{FakeLease, World};
use crate::rule_tests::{RESET_BY_CLOSE, RESET_BY_DEATH, connected_pair, recv, send};

fn order(replies: &[(TaskId, Response)]) -> Vec<(TaskId, Response)> {
    replies.to_vec()
}

fn answered(answers: Answers<'_>) -> Vec<(TaskId, Response)> {
    answers.as_slice().iter().map(|reply| (reply.to, answers.response(reply))).collect()
}

#[test]
fn connect_answers_the_waiting_listener_before_the_client() {
    let mut w = World::new();
    let (server, client) = (w.spawn(), w.spawn());
    assert!(w.call(server, &Request::Listen { port: 10 }, vec![]).is_none());
    let replies = w.call_for_replies(client, &Request::Connect { port: 10, host: "localhost" }, vec![]);
    assert_eq!(order(&replies), [(server, Response::Ok(0)), (client, Response::Ok(65_535))]);
}

/// The sender goes on first, as when a receiver takes a message: it is
/// then usually waiting for the reply by the time the receiver sends it.
#[test]
fn a_send_answers_its_sender_before_the_waiting_receiver() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 16), None);
    let replies = w.call_for_replies(client, &Request::Send { port, len: 2 }, vec![FakeLease::read(b"hi")]);
    assert_eq!(order(&replies), [(client, Response::Ok(0)), (server, Response::Received { len: 2, more: false })]);
}

#[test]
fn an_inline_send_answers_its_sender_before_the_waiting_receiver() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 16), None);
    let inline = Request::SendInline { port, len: 2, wait: libsock::proto::Wait::Forever };
    let replies = w.call_for_replies_with_data(client, &inline, b"hi", vec![FakeLease::read(b"hi")]);
    let order: Vec<TaskId> = replies.iter().map(|(to, _)| *to).collect();
    assert_eq!(order, [client, server]);
}

#[test]
fn a_large_send_to_a_waiting_receiver_answers_only_the_receiver() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 5000), None);
    let message = vec![7u8; 6000];
    let replies = w.call_for_replies(client, &Request::Send { port, len: 6000 }, vec![FakeLease::read(&message)]);
    assert_eq!(order(&replies), [(server, Response::Received { len: 5000, more: true })]);
    // The last piece answers the sender first, then the receiver.
    let replies = w.call_for_replies(server, &Request::Recv { port: 10, len: 5000 }, vec![FakeLease::write(5000)]);
    assert_eq!(order(&replies), [(client, Response::Ok(0)), (server, Response::Received { len: 1000, more: false })]);
}

#[test]
fn taking_a_message_lets_the_blocked_sender_in_and_answers_it_before_the_receiver() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(send(&mut w, client, port, b"one"), Some(Response::Ok(0)));
    assert_eq!(send(&mut w, client, port, b"two"), None, "the inbox is full");
    let replies = w.call_for_replies(server, &Request::Recv { port: 10, len: 8 }, vec![FakeLease::write(8)]);
    assert_eq!(order(&replies), [(client, Response::Ok(0)), (server, Response::Received { len: 3, more: false })]);
}

#[test]
fn disconnect_answers_the_blocked_peer_before_the_caller() {
    let mut w = World::new();
    let (server, client, port) = connected_pair(&mut w);
    assert_eq!(recv(&mut w, server, 10, 8), None);
    let replies = w.call_for_replies(client, &Request::Disconnect { port }, vec![]);
    assert_eq!(order(&replies), [(server, Response::Error(RESET_BY_CLOSE)), (client, Response::Ok(0))]);
}

#[test]
fn an_exit_answers_each_blocked_peer_once_in_socket_order() {
    let mut w = World::new();
    let (first, second, doomed) = (w.spawn(), w.spawn(), w.spawn());
    for (server, port) in [(first, 10), (second, 11)] {
        assert!(w.call(server, &Request::Listen { port }, vec![]).is_none());
        w.call(doomed, &Request::Connect { port, host: "localhost" }, vec![]).unwrap();
        w.reply_for(server).unwrap();
    }
    assert_eq!(recv(&mut w, second, 11, 8), None);
    assert_eq!(recv(&mut w, first, 10, 8), None);
    w.kernel.kill(doomed);
    let handled = w.netd.task_exit_notified(&mut w.kernel);
    assert_eq!(
        answered(handled.replies),
        [(first, Response::Error(RESET_BY_DEATH)), (second, Response::Error(RESET_BY_DEATH))]
    );
}

#[test]
fn a_refused_request_answers_only_its_sender() {
    let mut w = World::new();
    let (task, other) = (w.spawn(), w.spawn());
    assert!(w.call(other, &Request::Listen { port: 10 }, vec![]).is_none());
    let replies = w.call_for_replies(task, &Request::Disconnect { port: 10 }, vec![]);
    assert_eq!(order(&replies), [(task, Response::Error(SockError::AccessDenied))]);
}
