//! The fast path against a model of the general path: from any state of a
//! few tasks, a `call` or `reply_recv` taken through the kernel's general
//! steps (deliver or queue, receive or block, hand-off, make runnable, then
//! `choose_next` at the end of the entry) and the same call taken through
//! the fast path where the rule allows it (the direct switch) must leave
//! the same task states, the same running task, the same run queues in the
//! same order and the same queues of callers.

use super::*;
use crate::ipc::SenderQueues;
use crate::next_task::{Outgoing, choose_next, preempts};
use crate::sched::RunQueues;
use crate::task_index::TaskIndex;
use crate::user_memory::UserSliceWo;
use abi::TaskId;
use proptest::prelude::*;

/// Tasks 1..TASKS (0 is idle).
const TASKS: usize = 8;

fn ix(slot: usize) -> TaskIndex {
    TaskIndex::new(slot as u16)
}

fn id(slot: usize) -> TaskId {
    ix(slot).id(1)
}

fn wait(mask: u32, notifications_only: bool) -> RecvWait {
    RecvWait { buf: UserSliceWo::EMPTY, mask, notifications_only }
}

/// What one task is doing before the call.
#[derive(Clone, Copy, Debug)]
enum Role {
    /// Runnable, in the run queue.
    Queued,
    /// In `call`, queued on this server (if it is a task other than itself).
    SendBlocked(usize),
    /// In `call`, the server took it.
    ReplyBlocked(usize),
    /// In `recv`.
    Receiving {
        mask: u32,
        notifications_only: bool,
    },
    Created,
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Queued),
        (1..TASKS).prop_map(Role::SendBlocked),
        (1..TASKS).prop_map(Role::ReplyBlocked),
        (0u32..4, any::<bool>()).prop_map(|(mask, notifications_only)| Role::Receiving { mask, notifications_only }),
        Just(Role::Created),
    ]
}

/// A state of the machine, as the model builds it twice (one for each path).
#[derive(Clone, Debug)]
struct Spec {
    roles: Vec<Role>,
    priorities: Vec<u8>,
    pending: Vec<u32>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(role(), TASKS),
        proptest::collection::vec(0u8..4, TASKS),
        proptest::collection::vec(0u32..4, TASKS),
    )
        .prop_map(|(roles, priorities, pending)| Spec { roles, priorities, pending })
}

/// The IPC and scheduling state the general path and the fast path change.
struct Model {
    states: Vec<State>,
    priorities: Vec<u8>,
    pending: Vec<u32>,
    queues: Box<RunQueues>,
    senders: Box<SenderQueues<TASKS>>,
    current: TaskIndex,
    /// A reschedule asked for earlier in the entry (`make_runnable`).
    need_resched: bool,
}

impl Model {
    /// The state `spec` describes, with `current` running (its own role is
    /// ignored: it runs).
    fn new(spec: &Spec, current: usize) -> Model {
        let mut model = Model {
            states: vec![State::Runnable; TASKS],
            priorities: spec.priorities.clone(),
            pending: spec.pending.clone(),
            queues: Box::new(RunQueues::new()),
            senders: Box::new(SenderQueues::new()),
            current: ix(current),
            need_resched: false,
        };
        for slot in 1..TASKS {
            if slot == current {
                continue;
            }
            model.states[slot] = match spec.roles[slot] {
                Role::Queued => {
                    model.queues.push_back(ix(slot), model.priorities[slot]).unwrap();
                    State::Runnable
                }
                Role::SendBlocked(server) if server != slot => {
                    model.senders.push_back(ix(server), ix(slot));
                    State::SendBlocked(id(server))
                }
                Role::SendBlocked(_) => State::Created,
                Role::ReplyBlocked(server) => State::ReplyBlocked(id(server)),
                Role::Receiving { mask, notifications_only } => State::RecvBlocked(wait(mask, notifications_only)),
                Role::Created => State::Created,
            };
        }
        model
    }

    fn priority(&self) -> impl Fn(TaskIndex) -> u8 + '_ {
        |index| self.priorities[index.get()]
    }

    /// `Kernel::make_runnable`; returns whether it asks for a reschedule.
    fn make_runnable(&mut self, index: TaskIndex) -> bool {
        self.states[index.get()] = State::Runnable;
        if index == self.current {
            return false;
        }
        let priority = self.priorities[index.get()];
        self.queues.push_back(index, priority).unwrap();
        let running = (self.current != TaskIndex::IDLE).then(|| self.priorities[self.current.get()]);
        let reschedule = preempts(priority, running);
        self.need_resched |= reschedule;
        reschedule
    }

    /// `Kernel::finish_entry`'s choice.
    fn finish(&mut self, handoff: Option<TaskIndex>, reschedule: bool) {
        let outgoing = Outgoing { index: self.current, runnable: self.states[self.current.get()] == State::Runnable };
        let priorities = self.priorities.clone();
        let reschedule = reschedule || self.need_resched;
        let next = choose_next(&mut self.queues, outgoing, handoff, reschedule, |i| priorities[i.get()]).unwrap();
        self.current = next;
        self.need_resched = false;
    }

    /// `syscall::ipc::call` after its checks, then the end of the entry.
    fn call_general(&mut self, caller: usize, server: usize) {
        match call_step(&self.states[server]) {
            CallStep::Deliver(_) => {
                self.states[caller] = State::ReplyBlocked(id(server));
                self.states[server] = State::Runnable;
                self.finish(Some(ix(server)), false);
            }
            CallStep::Queue => {
                self.states[caller] = State::SendBlocked(id(server));
                self.senders.push_back(ix(server), ix(caller));
                self.finish(None, false);
            }
        }
    }

    /// The fast path where it applies, else the general path; whether it
    /// went fast.
    fn call_fast(&mut self, caller: usize, server: usize) -> bool {
        if call_goes_fast(&self.states[server]).is_none() {
            self.call_general(caller, server);
            return false;
        }
        self.states[caller] = State::ReplyBlocked(id(server));
        self.states[server] = State::Runnable;
        self.current = ix(server);
        true
    }

    /// `syscall::ipc::reply_recv` after its checks, then the end of the entry.
    fn reply_recv_general(&mut self, server: usize, caller: usize, wait: RecvWait) {
        let caller = ix(caller);
        let (handoff, reschedule) = match recv_step(self.pending[server], &wait, self.senders.has_callers(ix(server))) {
            RecvStep::Notify(bits) => {
                self.pending[server] &= !bits;
                (None, self.make_runnable(caller))
            }
            RecvStep::TakeCaller => {
                let taken = self.senders.pop_front(ix(server)).unwrap();
                self.states[taken.get()] = State::ReplyBlocked(id(server));
                (None, self.make_runnable(caller))
            }
            RecvStep::Block => {
                self.states[server] = State::RecvBlocked(wait);
                if woken_runs_next(self.queues.highest_priority(), self.priorities[caller.get()]) {
                    self.states[caller.get()] = State::Runnable;
                    (Some(caller), false)
                } else {
                    (None, self.make_runnable(caller))
                }
            }
        };
        self.finish(handoff, reschedule);
    }

    fn reply_recv_fast(&mut self, server: usize, caller: usize, wait: RecvWait) -> bool {
        let waiting = Waiting {
            pending: self.pending[server],
            has_callers: self.senders.has_callers(ix(server)),
            most_urgent_queued: self.queues.highest_priority(),
        };
        let Some(after) = reply_recv_goes_fast(&wait, &waiting, self.priority()(ix(caller))) else {
            self.reply_recv_general(server, caller, wait);
            return false;
        };
        self.states[server] = State::RecvBlocked(wait);
        self.states[caller] = State::Runnable;
        self.need_resched = false;
        self.current = match after {
            AfterReply::Caller => ix(caller),
            AfterReply::QueueHead => {
                let head = self.queues.peek().unwrap();
                self.queues.push_back(ix(caller), self.priorities[caller]).unwrap();
                assert_eq!(self.queues.pop(), Some(head), "the caller never goes ahead of the head");
                head
            }
        };
        true
    }

    /// `syscall::ipc::recv` after its checks, then the end of the entry.
    fn recv_general(&mut self, receiver: usize, wait: RecvWait) {
        match recv_step(self.pending[receiver], &wait, self.senders.has_callers(ix(receiver))) {
            RecvStep::Notify(bits) => self.pending[receiver] &= !bits,
            RecvStep::TakeCaller => {
                let taken = self.senders.pop_front(ix(receiver)).unwrap();
                self.states[taken.get()] = State::ReplyBlocked(id(receiver));
            }
            RecvStep::Block => self.states[receiver] = State::RecvBlocked(wait),
        }
        self.finish(None, false);
    }

    fn recv_fast(&mut self, receiver: usize, wait: RecvWait) -> bool {
        let waiting = Waiting {
            pending: self.pending[receiver],
            has_callers: self.senders.has_callers(ix(receiver)),
            most_urgent_queued: self.queues.highest_priority(),
        };
        if !recv_goes_fast(&wait, &waiting) {
            self.recv_general(receiver, wait);
            return false;
        }
        self.states[receiver] = State::RecvBlocked(wait);
        self.need_resched = false;
        self.current = self.queues.pop().unwrap();
        true
    }

    /// `reply2_recv`: the earlier caller woken as by `reply`, then the later
    /// one as by `reply_recv`, on either path.
    fn reply2_recv(&mut self, server: usize, earlier: usize, later: usize, wait: RecvWait, fast: bool) -> bool {
        if !fast {
            self.make_runnable(ix(earlier));
            self.reply_recv_general(server, later, wait);
            return false;
        }
        let waiting = Waiting {
            pending: self.pending[server],
            has_callers: self.senders.has_callers(ix(server)),
            most_urgent_queued: self.queues.highest_priority(),
        };
        let after = reply2_recv_goes_fast(&wait, &waiting, self.priorities[earlier], self.priorities[later]);
        if after != Some(AfterReply2::Earlier) {
            self.make_runnable(ix(earlier));
            return self.reply_recv_fast(server, later, wait);
        }
        self.states[server] = State::RecvBlocked(wait);
        self.states[later] = State::Runnable;
        self.queues.push_back(ix(later), self.priorities[later]).unwrap();
        self.states[earlier] = State::Runnable;
        self.need_resched = false;
        self.current = ix(earlier);
        true
    }

    /// Everything the two paths must agree on, the queues drained in order.
    fn outcome(mut self) -> (Vec<State>, Vec<u32>, TaskIndex, Vec<TaskIndex>, Vec<Vec<TaskIndex>>) {
        let run_order = core::iter::from_fn(|| self.queues.pop()).collect();
        let senders = (0..TASKS).map(|s| core::iter::from_fn(|| self.senders.pop_front(ix(s))).collect()).collect();
        (self.states, self.pending, self.current, run_order, senders)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_call_ends_where_the_general_path_ends(spec in spec(), caller in 1..TASKS, server in 1..TASKS) {
        prop_assume!(caller != server);
        let mut general = Model::new(&spec, caller);
        let mut fast = Model::new(&spec, caller);
        general.call_general(caller, server);
        fast.call_fast(caller, server);
        prop_assert_eq!(general.outcome(), fast.outcome());
    }

    #[test]
    fn a_reply_recv_ends_where_the_general_path_ends(
        spec in spec(),
        server in 1..TASKS,
        caller in 1..TASKS,
        mask in 0u32..4,
        notifications_only in any::<bool>(),
    ) {
        prop_assume!(caller != server);
        let mut spec = spec;
        // The caller waits for this server's reply (the checks passed).
        spec.roles[caller] = Role::ReplyBlocked(server);
        let receive = wait(mask, notifications_only);
        let mut general = Model::new(&spec, server);
        let mut fast = Model::new(&spec, server);
        general.reply_recv_general(server, caller, receive);
        fast.reply_recv_fast(server, caller, receive);
        prop_assert_eq!(general.outcome(), fast.outcome());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_recv_ends_where_the_general_path_ends(
        spec in spec(),
        receiver in 1..TASKS,
        mask in 0u32..4,
        notifications_only in any::<bool>(),
    ) {
        let receive = wait(mask, notifications_only);
        let mut general = Model::new(&spec, receiver);
        let mut fast = Model::new(&spec, receiver);
        general.recv_general(receiver, receive);
        fast.recv_fast(receiver, receive);
        prop_assert_eq!(general.outcome(), fast.outcome());
    }

    #[test]
    fn a_reply2_recv_ends_where_the_general_path_ends(
        spec in spec(),
        tasks in Just((1..TASKS).collect::<Vec<usize>>()).prop_shuffle(),
        mask in 0u32..4,
        notifications_only in any::<bool>(),
    ) {
        let (server, earlier, later) = (tasks[0], tasks[1], tasks[2]);
        let mut spec = spec;
        spec.roles[earlier] = Role::ReplyBlocked(server);
        spec.roles[later] = Role::ReplyBlocked(server);
        let receive = wait(mask, notifications_only);
        let mut general = Model::new(&spec, server);
        let mut fast = Model::new(&spec, server);
        general.reply2_recv(server, earlier, later, receive, false);
        fast.reply2_recv(server, earlier, later, receive, true);
        prop_assert_eq!(general.outcome(), fast.outcome());
    }
}

#[test]
fn the_common_cases_go_fast_and_the_others_do_not() {
    let quiet = Spec { roles: vec![Role::Created; TASKS], priorities: vec![3; TASKS], pending: vec![0; TASKS] };
    // A server waiting in an open receive takes a call at once; one that
    // waits only for notifications, or does not receive, does not.
    let mut spec = quiet.clone();
    spec.roles[2] = Role::Receiving { mask: 1, notifications_only: false };
    spec.roles[3] = Role::Receiving { mask: 1, notifications_only: true };
    assert!(Model::new(&spec, 1).call_fast(1, 2));
    assert!(!Model::new(&spec, 1).call_fast(1, 3));
    assert!(!Model::new(&spec, 1).call_fast(1, 4));

    // A server that answers and finds nothing runs its caller next, unless
    // a notification or a call waits for it, or a task as urgent as the
    // caller waits for the CPU.
    let mut spec = quiet.clone();
    spec.roles[1] = Role::ReplyBlocked(2);
    let open = wait(1, false);
    assert!(Model::new(&spec, 2).reply_recv_fast(2, 1, open));
    let mut notified = spec.clone();
    notified.pending[2] = 1;
    assert!(!Model::new(&notified, 2).reply_recv_fast(2, 1, open));
    let mut called = spec.clone();
    called.roles[4] = Role::SendBlocked(2);
    assert!(!Model::new(&called, 2).reply_recv_fast(2, 1, open));
    // With a task as urgent as the caller waiting, that task runs and the
    // caller queues behind it, still on the fast path.
    let mut busy = spec.clone();
    busy.roles[5] = Role::Queued;
    let mut model = Model::new(&busy, 2);
    assert!(model.reply_recv_fast(2, 1, open));
    assert_eq!((model.current, model.queues.pop()), (ix(5), Some(ix(1))));
    busy.priorities[1] = 2;
    let mut model = Model::new(&busy, 2);
    assert!(model.reply_recv_fast(2, 1, open), "the caller is more urgent than the queue");
    assert_eq!((model.current, model.queues.pop()), (ix(1), Some(ix(5))));

    // Two answers with nothing queued: the earlier caller runs at once and
    // the later one queues, unless the later one is more urgent.
    let mut spec = quiet.clone();
    spec.roles[1] = Role::ReplyBlocked(2);
    spec.roles[3] = Role::ReplyBlocked(2);
    let mut model = Model::new(&spec, 2);
    assert!(model.reply2_recv(2, 1, 3, open, true));
    assert_eq!((model.current, model.queues.pop()), (ix(1), Some(ix(3))));
    let waiting = Waiting { pending: 0, has_callers: false, most_urgent_queued: None };
    assert_eq!(reply2_recv_goes_fast(&open, &waiting, 3, 3), Some(AfterReply2::Earlier));
    assert_eq!(reply2_recv_goes_fast(&open, &waiting, 3, 2), Some(AfterReply2::AsReplyRecv(AfterReply::Caller)));
    let busy = Waiting { most_urgent_queued: Some(3), ..waiting };
    assert_eq!(reply2_recv_goes_fast(&open, &busy, 3, 3), Some(AfterReply2::AsReplyRecv(AfterReply::QueueHead)));

    // A receiver that blocks hands the CPU to the head of the queues; with
    // nothing queued (idle runs) or something to receive it goes the
    // general way.
    let mut spec = quiet.clone();
    spec.roles[5] = Role::Queued;
    let mut model = Model::new(&spec, 2);
    assert!(model.recv_fast(2, open));
    assert_eq!(model.current, ix(5));
    assert!(!Model::new(&quiet, 2).recv_fast(2, open));
    spec.pending[2] = 1;
    assert!(!Model::new(&spec, 2).recv_fast(2, open));
}
