//! The parent: starts the children, answers their reports with the roster,
//! kills one at random moments and starts a new one in its place, watches
//! that every child keeps reporting, and at the end kills the rest and
//! checks that every frame came back.

use alloc::string::ToString;
use alloc::vec::Vec;

use abi::{MAX_MESSAGE, MAX_TASKS, Received, TaskId, notify, task_state};
use programs::fuzzgen::Rng;
use programs::ipcmesh::wire::{MAX_KILLED, OP_REPORT, Roster, decode_report};
use programs::ipcmesh::{CHILD_ARG, Counts, Role};
use urt::ipc::{recv, reply};
use urt::proto::init::Ended;
use urt::{println, supervisor, sys};

const NS_PER_MS: u64 = 1_000_000;
/// The parent wakes at least this often to kill and to watch.
const TICK_NS: u64 = 5 * NS_PER_MS;
/// A child that has not reported for this long is stuck, and so is a mesh
/// in which no call was answered for this long.
const WATCHDOG_NS: u64 = 2_000 * NS_PER_MS;
/// Children run this long, without kills, before the frame count is taken.
const WARM_UP_NS: u64 = 200 * NS_PER_MS;
/// Unexpected ends are asked of init this often.
const POLL_EVERY_NS: u64 = 50 * NS_PER_MS;

/// What the run was asked to do.
pub struct Plan {
    pub seed: u64,
    pub ms: u64,
    /// Children of each role (clients, relays, servers).
    pub children: [usize; 3],
    /// Mean time between kills.
    pub kill_every_ms: u64,
}

struct Member {
    id: TaskId,
    role: Role,
    last_seen_ns: u64,
}

struct Parent {
    me: TaskId,
    rng: Rng,
    seed: u64,
    members: Vec<Member>,
    killed: Vec<TaskId>,
    totals: Counts,
    kills: u64,
    spawned: u64,
    /// Failures seen by the parent itself (watchdog, ends, frames).
    failures: u64,
    stuck: bool,
    /// When a report last told of an answered call.
    last_answer_ns: u64,
}

pub fn run(plan: Plan) -> i32 {
    let Some(me) = find_myself() else {
        println!("ipcmesh: another ipcmesh runs; cannot tell which task is this one, FAILED");
        return 1;
    };
    let mut parent = Parent {
        me,
        rng: Rng::new(plan.seed),
        seed: plan.seed,
        members: Vec::with_capacity(64),
        killed: Vec::with_capacity(MAX_KILLED + 1),
        totals: Counts::default(),
        kills: 0,
        spawned: 0,
        failures: 0,
        stuck: false,
        last_answer_ns: 0,
    };
    // Heaps (init's, ours) grow on first use and never shrink: a short run
    // first, then the frame count every later frame must come back to.
    parent.start_children(plan.children);
    parent.run_until(sys::now_ns() + WARM_UP_NS, None);
    parent.stop_children();
    let before = sys::stats();
    parent.totals = Counts::default();
    (parent.kills, parent.spawned) = (0, 0);

    parent.start_children(plan.children);
    parent.run_until(sys::now_ns() + plan.ms * NS_PER_MS, Some(plan.kill_every_ms.max(1)));
    parent.stop_children();
    let after = sys::stats();

    let (frames_before, frames_after, tasks_before, tasks_after) = match (before, after) {
        (Ok(b), Ok(a)) => (b.free_frames, a.free_frames, b.tasks, a.tasks),
        _ => (0, 1, 0, 0),
    };
    let leaked = frames_before as i64 - frames_after as i64;
    if leaked != 0 || tasks_before != tasks_after {
        parent.failures += 1;
        println!(
            "ipcmesh: {frames_before} free frames and {tasks_before} tasks before, {frames_after} and {tasks_after} after, FAILED"
        );
    }
    let t = parent.totals;
    let failures = t.failures + parent.failures;
    let [c, r, s] = plan.children;
    println!(
        "ipcmesh: seed={} ms={} tasks={c}+{r}+{s} calls={} replies={} lease_ops={} lease_copies={} kills={} spawned={} \
         errors_ok={} peer_died={} frames_leaked={leaked} failures={failures}",
        plan.seed,
        plan.ms,
        t.calls,
        t.replies,
        t.lease_ops,
        t.lease_copies,
        parent.kills,
        parent.spawned,
        t.errors_ok,
        t.peer_died
    );
    if failures == 0 { 0 } else { 1 }
}

/// This task's id: the one task named ipcmesh before any child starts.
fn find_myself() -> Option<TaskId> {
    for _ in 0..40 {
        let mine: Vec<TaskId> = (1..MAX_TASKS)
            .filter_map(|index| sys::task_info(index).ok())
            .filter(|info| info.state != task_state::DEAD && sys::task_name(info) == "ipcmesh")
            .map(|info| TaskId::from_raw(info.id))
            .collect();
        if let [me] = mine[..] {
            return Some(me);
        }
        // Children of an earlier run end once they find their parent gone.
        let _ = urt::time::sleep(50);
    }
    None
}

impl Parent {
    fn start_children(&mut self, counts: [usize; 3]) {
        for (role, &n) in Role::ALL.iter().zip(&counts) {
            for _ in 0..n {
                self.spawn(*role);
            }
        }
    }

    fn spawn(&mut self, role: Role) {
        let seed = (self.seed * 1_000_003 + self.spawned).to_string();
        let parent = self.me.raw().to_string();
        match supervisor::spawn(&["ipcmesh", CHILD_ARG, role.name(), &parent, &seed], false) {
            Ok(id) => {
                self.spawned += 1;
                self.members.push(Member { id, role, last_seen_ns: sys::now_ns() });
            }
            Err(err) => {
                self.failures += 1;
                println!("ipcmesh: cannot start a {}: {err}", role.name());
            }
        }
    }

    /// Answers reports, kills (every `kill_every_ms` on average) and
    /// watches until `until` (or until a child is stuck).
    fn run_until(&mut self, until: u64, kill_every_ms: Option<u64>) {
        let mut buf = [0u8; MAX_MESSAGE];
        let mut next_kill = kill_every_ms.map(|ms| sys::now_ns() + self.rng.below(2 * ms * NS_PER_MS));
        let mut next_poll = sys::now_ns() + POLL_EVERY_NS;
        self.last_answer_ns = sys::now_ns();
        loop {
            let now = sys::now_ns();
            if now >= until || self.stuck {
                return;
            }
            let wake = (now + TICK_NS).min(until).min(next_kill.unwrap_or(u64::MAX));
            let _ = sys::set_timer(wake);
            match recv(&mut buf, notify::TIMER) {
                Ok(Received::Message(header)) => {
                    let len = header.len.min(MAX_MESSAGE);
                    self.take_report(header.sender, header.operation, &buf[..len]);
                }
                Ok(Received::Notification(_)) => {}
                Err(err) => {
                    self.failures += 1;
                    println!("ipcmesh: recv: {err}");
                }
            }
            let now = sys::now_ns();
            if let (Some(at), Some(ms)) = (next_kill, kill_every_ms)
                && now >= at
            {
                self.kill_one();
                next_kill = Some(now + self.rng.below(2 * ms * NS_PER_MS));
            }
            if now >= next_poll {
                self.collect_unexpected_ends();
                next_poll = now + POLL_EVERY_NS;
            }
            self.watch(now);
        }
    }

    fn take_report(&mut self, sender: TaskId, op: u32, bytes: &[u8]) {
        let report = (op == OP_REPORT).then(|| decode_report(bytes)).flatten();
        let member = self.members.iter_mut().find(|m| m.id == sender);
        match (report, member) {
            (Some((role, counts)), Some(member)) if role == member.role => {
                member.last_seen_ns = sys::now_ns();
                if counts.calls > 0 {
                    self.last_answer_ns = member.last_seen_ns;
                }
                self.totals.add(counts);
            }
            _ => {
                self.failures += 1;
                println!("ipcmesh: a report from task {sender} that is not one of the children's (operation {op})");
            }
        }
        let roster = Roster {
            you: sender,
            members: self.members.iter().map(|m| (m.id, m.role)).collect(),
            killed: self.killed.clone(),
        };
        let _ = reply(sender, 0, &roster.encode());
    }

    fn kill_one(&mut self) {
        if self.members.is_empty() {
            return;
        }
        let index = self.rng.below(self.members.len() as u64) as usize;
        let role = self.members[index].role;
        self.end_member(index);
        self.spawn(role);
    }

    /// Kills member `index`, checks that it is gone and collects its end.
    fn end_member(&mut self, index: usize) {
        let member = self.members.swap_remove(index);
        let (id, name) = (member.id, member.role.name());
        let killed = supervisor::kill(id);
        if killed.is_ok() && sys::task_alive(id) {
            self.failures += 1;
            println!("ipcmesh: the {name} task {id} is alive after init killed it");
        }
        match supervisor::wait(id) {
            Ok(Ended::Killed) if killed.is_ok() => self.kills += 1,
            ended => {
                self.failures += 1;
                println!("ipcmesh: the {name} task {id}: kill {killed:?}, then it ended {ended:?}");
            }
        }
        if self.killed.len() == MAX_KILLED {
            self.killed.remove(0);
        }
        self.killed.push(id);
    }

    /// Children only end when killed: any other end is a failure.
    fn collect_unexpected_ends(&mut self) {
        while let Some(finish) = supervisor::poll() {
            self.failures += 1;
            println!("ipcmesh: task {} ({}) ended by itself: {}", finish.task, finish.name, finish.ended);
            if let Some(index) = self.members.iter().position(|m| m.id == finish.task) {
                let role = self.members.swap_remove(index).role;
                self.spawn(role);
            }
        }
    }

    /// Every child must report within [`WATCHDOG_NS`], and some call must
    /// be answered within it.
    fn watch(&mut self, now: u64) {
        let quiet = now.saturating_sub(self.last_answer_ns);
        if quiet > WATCHDOG_NS {
            println!("ipcmesh: watchdog: no call was answered for {} ms, FAILED", quiet / NS_PER_MS);
            self.failures += 1;
            self.stuck = true;
            return;
        }
        for member in &self.members {
            let silent = now.saturating_sub(member.last_seen_ns);
            if silent > WATCHDOG_NS {
                let state = sys::task_info(member.id.index()).map_or("gone", |info| task_state::name(info.state));
                println!(
                    "ipcmesh: watchdog: the {} task {} made no progress for {} ms (state {state}), FAILED",
                    member.role.name(),
                    member.id,
                    silent / NS_PER_MS
                );
                self.failures += 1;
                self.stuck = true;
                return;
            }
        }
    }

    fn stop_children(&mut self) {
        self.collect_unexpected_ends();
        while !self.members.is_empty() {
            self.end_member(self.members.len() - 1);
        }
        self.collect_unexpected_ends();
        self.killed.clear();
    }
}
