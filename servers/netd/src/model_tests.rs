//! Property test: random calls from several tasks, and task deaths, checked
//! against a simple model of the contract.
//!
//! The model keeps, per socket, its owner, state, peer and the queue of
//! messages sent to it. After every step it checks each reply netd gave
//! (pieces arrive in order, whole, never twice; resets only where the model
//! has one) and that no caller is left waiting whose condition already holds.
//! At the end everyone disconnects or dies, and no socket or port may remain.

use std::collections::{BTreeMap, VecDeque};

use abi::TaskId;
use libsock::limits::SMALL_MESSAGE_MAX;
use libsock::proto::{Request, Response};
use libsock::{ResetReason, SockError};
use proptest::prelude::*;

use crate::fake_kernel::{FakeLease, Reply, World};

const TASKS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Listen { task: usize, port: u16 },
    Connect { task: usize, port: u16 },
    Send { task: usize, which: usize, len: usize },
    Recv { task: usize, which: usize, cap: u32 },
    Disconnect { task: usize, which: usize },
    Kill { task: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let task = 0..TASKS;
    let len = prop_oneof![0usize..8, 4090usize..4100, 5000usize..9000];
    let cap = prop_oneof![1u32..16, 4000u32..5000, Just(70_000u32)];
    prop_oneof![
        2 => (task.clone(), 1u16..4).prop_map(|(task, port)| Op::Listen { task, port }),
        2 => (task.clone(), 1u16..4).prop_map(|(task, port)| Op::Connect { task, port }),
        3 => (task.clone(), 0usize..4, len).prop_map(|(task, which, len)| Op::Send { task, which, len }),
        3 => (task.clone(), 0usize..4, cap).prop_map(|(task, which, cap)| Op::Recv { task, which, cap }),
        1 => (task.clone(), 0usize..4).prop_map(|(task, which)| Op::Disconnect { task, which }),
        1 => task.prop_map(|task| Op::Kill { task }),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MState {
    Listening,
    Connected { peer: u16 },
    Reset(ResetReason),
}

#[derive(Debug)]
struct MSock {
    owner: TaskId,
    state: MState,
    /// Messages sent to this socket and not yet wholly received, oldest first.
    inbox: VecDeque<Vec<u8>>,
    /// Bytes of the front message already received.
    taken: usize,
}

#[derive(Clone, Debug)]
enum Blocked {
    Listen { port: u16 },
    Recv { port: u16, cap: u32 },
    Send { port: u16, data: Vec<u8> },
}

struct Harness {
    w: World,
    tasks: Vec<TaskId>,
    blocked: BTreeMap<TaskId, Blocked>,
    sockets: BTreeMap<u16, MSock>,
    /// Replies collected but not yet checked.
    arrived: BTreeMap<TaskId, Reply>,
    messages_sent: u32,
}

impl Harness {
    fn new() -> Self {
        let mut w = World::new();
        let tasks = (0..TASKS).map(|_| w.spawn()).collect();
        Harness {
            w,
            tasks,
            blocked: BTreeMap::new(),
            sockets: BTreeMap::new(),
            arrived: BTreeMap::new(),
            messages_sent: 0,
        }
    }

    fn owned(&self, task: TaskId) -> Vec<u16> {
        self.sockets.iter().filter(|(_, s)| s.owner == task).map(|(p, _)| *p).collect()
    }

    fn pick(&self, task: TaskId, which: usize) -> Option<u16> {
        let owned = self.owned(task);
        (!owned.is_empty()).then(|| owned[which % owned.len()])
    }

    fn step(&mut self, op: Op) {
        let task_of = |t: usize| t % TASKS;
        match op {
            Op::Kill { task } => {
                let id = self.tasks[task_of(task)];
                self.w.kill(id);
                self.blocked.remove(&id);
                for port in self.owned(id) {
                    self.close(port, ResetReason::PeerDied);
                }
                self.tasks[task_of(task)] = self.w.spawn();
            }
            op => {
                let task = self.tasks[task_of(match op {
                    Op::Listen { task, .. }
                    | Op::Connect { task, .. }
                    | Op::Send { task, .. }
                    | Op::Recv { task, .. }
                    | Op::Disconnect { task, .. } => task,
                    Op::Kill { .. } => unreachable!(),
                })];
                if !self.blocked.contains_key(&task) {
                    self.call(task, op);
                }
            }
        }
        self.settle();
    }

    fn call(&mut self, task: TaskId, op: Op) {
        match op {
            Op::Listen { port, .. } => {
                let reply = self.w.call(task, &Request::Listen { port: port.into() }, vec![]);
                if let std::collections::btree_map::Entry::Vacant(e) = self.sockets.entry(port) {
                    assert!(reply.is_none(), "listen must block");
                    let sock = MSock { owner: task, state: MState::Listening, inbox: VecDeque::new(), taken: 0 };
                    e.insert(sock);
                    self.blocked.insert(task, Blocked::Listen { port });
                } else {
                    assert_eq!(reply.map(|r| r.response()), Some(Response::Error(SockError::AccessDenied)));
                }
            }
            Op::Connect { port, .. } => {
                let request = Request::Connect { port: port.into(), host: "localhost" };
                let response = self.w.call(task, &request, vec![]).expect("connect never blocks").response();
                match self.sockets.get(&port).map(|s| s.state) {
                    None => assert_eq!(response, Response::Error(SockError::NotFound)),
                    Some(MState::Listening) => {
                        let local = (0..=u16::MAX).rev().find(|p| !self.sockets.contains_key(p)).unwrap();
                        assert_eq!(response, Response::Ok(local.into()), "highest free port");
                        let sock = MSock {
                            owner: task,
                            state: MState::Connected { peer: port },
                            inbox: VecDeque::new(),
                            taken: 0,
                        };
                        self.sockets.insert(local, sock);
                        self.sockets.get_mut(&port).unwrap().state = MState::Connected { peer: local };
                    }
                    Some(_) => assert_eq!(response, Response::Error(SockError::WrongState)),
                }
            }
            Op::Send { which, len, .. } => {
                let Some(port) = self.pick(task, which) else {
                    return;
                };
                self.messages_sent += 1;
                let n = self.messages_sent;
                let data: Vec<u8> = (0..len).map(|i| (n as usize * 31 + i * 7) as u8).collect();
                let request = Request::Send { port: port.into(), len: len as u32 };
                let reply = self.w.call(task, &request, vec![FakeLease::read(&data)]);
                if let MState::Connected { peer } = self.sockets[&port].state {
                    self.sockets.get_mut(&peer).unwrap().inbox.push_back(data.clone());
                }
                self.blocked.insert(task, Blocked::Send { port, data });
                self.arrived.extend(reply.map(|reply| (task, reply)));
            }
            Op::Recv { which, cap, .. } => {
                let Some(port) = self.pick(task, which) else {
                    return;
                };
                let request = Request::Recv { port: port.into(), len: cap };
                let reply = self.w.call(task, &request, vec![FakeLease::write(cap as usize)]);
                self.blocked.insert(task, Blocked::Recv { port, cap });
                self.arrived.extend(reply.map(|reply| (task, reply)));
            }
            Op::Disconnect { which, .. } => {
                let Some(port) = self.pick(task, which) else {
                    return;
                };
                let reply = self.w.call(task, &Request::Disconnect { port: port.into() }, vec![]);
                assert_eq!(reply.map(|r| r.response()), Some(Response::Ok(0)));
                self.close(port, ResetReason::PeerDisconnected);
            }
            Op::Kill { .. } => unreachable!(),
        }
    }

    /// The model's disconnect: the peer is reset and keeps only a small
    /// message already in its inbox (later ones were never accepted, and a
    /// large one lived in the closer's lease).
    fn close(&mut self, port: u16, reason: ResetReason) {
        let sock = self.sockets.remove(&port).expect("model socket");
        if let MState::Connected { peer } = sock.state {
            let survivor = self.sockets.get_mut(&peer).unwrap();
            survivor.state = MState::Reset(reason);
            let keep = survivor.inbox.front().filter(|m| m.len() <= SMALL_MESSAGE_MAX as usize).cloned();
            survivor.inbox.clear();
            survivor.inbox.extend(keep);
            if survivor.inbox.is_empty() {
                survivor.taken = 0;
            }
        }
    }

    /// Checks the reply to `task`'s blocked call against the model.
    fn check_reply(&mut self, task: TaskId, reply: Reply) {
        let blocked = self.blocked.remove(&task).expect("a reply goes to a waiting caller");
        let response = reply.response();
        match blocked {
            Blocked::Listen { port } => {
                assert_eq!(response, Response::Ok(0));
                assert!(matches!(self.sockets[&port].state, MState::Connected { .. }), "woken only once connected");
            }
            Blocked::Recv { port, cap } => match response {
                Response::Received { len, more } => {
                    let sock = self.sockets.get_mut(&port).unwrap();
                    let front = sock.inbox.front().expect("data only when a message waits");
                    let expected = (front.len() - sock.taken).min(cap as usize);
                    assert_eq!(len as usize, expected);
                    assert_eq!(&reply.leases[0].data[..expected], &front[sock.taken..sock.taken + expected]);
                    sock.taken += expected;
                    assert_eq!(more, sock.taken < front.len());
                    if !more {
                        sock.inbox.pop_front();
                        sock.taken = 0;
                    }
                }
                Response::Error(error) => self.check_reset(port, error),
                other => panic!("recv answered {other:?}"),
            },
            Blocked::Send { port, data } => match response {
                Response::Ok(0) => {
                    let MState::Connected { peer } = self.sockets[&port].state else {
                        panic!("sent on a dead connection")
                    };
                    let inbox = &self.sockets[&peer].inbox;
                    if data.len() > SMALL_MESSAGE_MAX as usize {
                        assert!(inbox.is_empty(), "a large send returns once received");
                    } else {
                        assert!(inbox.len() <= 1, "a small send returns once in the peer's inbox");
                    }
                }
                Response::Error(error) => self.check_reset(port, error),
                other => panic!("send answered {other:?}"),
            },
        }
    }

    fn check_reset(&mut self, port: u16, error: SockError) {
        let sock = &self.sockets[&port];
        let MState::Reset(reason) = sock.state else { panic!("{error:?} on a live socket") };
        assert_eq!(error, SockError::ConnectionReset(reason));
        if sock.inbox.is_empty() {
            self.sockets.remove(&port);
        }
    }

    /// Collects every reply given since, then checks nobody waits in vain.
    fn settle(&mut self) {
        let waiting: Vec<TaskId> = self.blocked.keys().copied().collect();
        for task in waiting {
            if let Some(reply) = self.w.reply_for(task) {
                self.arrived.insert(task, reply);
            }
        }
        // Replies given in one step are checked receivers first: a large send
        // completes only through the recv that took its last byte.
        let arrived = std::mem::take(&mut self.arrived);
        let (sends, others): (Vec<_>, Vec<_>) =
            arrived.into_iter().partition(|(task, _)| matches!(self.blocked[task], Blocked::Send { .. }));
        for (task, reply) in others.into_iter().chain(sends) {
            self.check_reply(task, reply);
        }
        for (task, blocked) in &self.blocked {
            assert!(self.w.kernel.is_waiting(*task));
            match blocked {
                Blocked::Listen { port } => assert_eq!(self.sockets[port].state, MState::Listening),
                Blocked::Recv { port, .. } => {
                    let sock = &self.sockets[port];
                    assert!(matches!(sock.state, MState::Connected { .. }), "a reset wakes recv");
                    assert!(sock.inbox.is_empty(), "a waiting message wakes recv");
                }
                Blocked::Send { port, data } => {
                    let MState::Connected { peer } = self.sockets[port].state else { panic!("a reset wakes send") };
                    let inbox = &self.sockets[&peer].inbox;
                    let is_front = inbox.len() == 1;
                    assert!(!(is_front && data.len() <= SMALL_MESSAGE_MAX as usize), "room wakes a small send");
                }
            }
        }
        assert_eq!(self.w.kernel.stray_replies, 0, "one reply per call");
        assert_eq!(self.w.netd.socket_count(), self.sockets.len());
    }

    /// Everyone disconnects; tasks that stay blocked die. Nothing may remain.
    fn wind_down(&mut self) {
        for round in 0..2 * TASKS {
            for slot in 0..TASKS {
                let task = self.tasks[slot];
                if self.blocked.contains_key(&task) {
                    if round >= TASKS {
                        self.step(Op::Kill { task: slot });
                    }
                    continue;
                }
                for _ in self.owned(task) {
                    self.step(Op::Disconnect { task: slot, which: 0 });
                }
            }
        }
        assert!(self.sockets.is_empty() && self.blocked.is_empty());
        assert_eq!(self.w.netd.socket_count(), 0);
        assert_eq!(self.w.netd.rows().count(), 0);
        // No port leaked: a fresh client gets the top of the range again.
        let (server, client) = (self.tasks[0], self.tasks[1]);
        assert!(self.w.call(server, &Request::Listen { port: 1 }, vec![]).is_none());
        let reply = self.w.call(client, &Request::Connect { port: 1, host: "localhost" }, vec![]);
        assert_eq!(reply.unwrap().response(), Response::Ok(65_535));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn netd_matches_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut harness = Harness::new();
        for op in ops {
            harness.step(op);
        }
        harness.wind_down();
    }
}
