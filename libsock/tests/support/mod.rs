//! A fake kernel shared by threads: each thread is one task calling the real
//! netd core through [`FakeTransport`]. Time is virtual (`sleep_ms` advances
//! a shared clock), so waits for netd cost nothing real.

// Each test binary uses its own part of this.
#![allow(dead_code)]

use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use abi::{KernelError, TaskId};
use libsock::{LeaseBuf, Transport};
use netd::Netd;
use netd::fake_kernel::{FakeKernel, FakeLease};

pub struct System {
    pub kernel: FakeKernel,
    /// The running netd and its id.
    pub netd: Option<(TaskId, Netd)>,
    /// Virtual milliseconds since boot.
    pub clock_ms: u64,
    /// When netd (re)starts by itself, if it is down.
    pub netd_starts_at: Option<u64>,
    /// Requests that reached any netd.
    pub calls_to_netd: usize,
    /// The caller and operation code of every call to netd, in order.
    pub operations: Vec<(TaskId, u32)>,
    /// What the registry names while netd is down (a dead id, until rebound).
    pub stale_name: Option<TaskId>,
    /// A console line waits to be read.
    pub console_input: bool,
    /// The netd the console posts to when a line comes, if a task watches.
    pub console_watch: Option<TaskId>,
}

#[derive(Clone)]
pub struct Shared(Arc<(Mutex<System>, Condvar)>);

impl Shared {
    /// A system with a running netd.
    pub fn new() -> Self {
        let system = System {
            kernel: FakeKernel::new(),
            netd: None,
            clock_ms: 0,
            netd_starts_at: None,
            calls_to_netd: 0,
            operations: Vec::new(),
            stale_name: None,
            console_input: false,
            console_watch: None,
        };
        let shared = Shared(Arc::new((Mutex::new(system), Condvar::new())));
        shared.start_netd();
        shared
    }

    pub fn lock(&self) -> MutexGuard<'_, System> {
        self.0.0.lock().unwrap()
    }

    /// A new task and its transport.
    pub fn task(&self) -> FakeTransport {
        let me = self.lock().kernel.spawn();
        FakeTransport { shared: self.clone(), me }
    }

    /// Ends netd: every call blocked in it fails as the kernel fails it.
    pub fn stop_netd(&self) {
        let mut system = self.lock();
        kill_netd(&mut system);
        self.0.1.notify_all();
    }

    pub fn netd_id(&self) -> Option<TaskId> {
        self.lock().netd.as_ref().map(|(id, _)| *id)
    }

    pub fn start_netd(&self) {
        let mut system = self.lock();
        start_netd(&mut system);
    }

    /// Kills a task that is not in a call, and tells netd.
    pub fn kill(&self, task: TaskId) {
        let mut guard = self.lock();
        let system = &mut *guard;
        system.kernel.kill(task);
        if let Some((_, netd)) = system.netd.as_mut() {
            let handled = netd.task_exit_notified(&mut system.kernel);
            system.kernel.deliver(&handled);
        }
        self.0.1.notify_all();
    }

    /// Moves the clock on and rings netd's timer if a deadline passed.
    pub fn advance_ms(&self, ms: u64) {
        let mut guard = self.lock();
        let system = &mut *guard;
        system.clock_ms += ms;
        system.kernel.now_ns = system.clock_ms * 1_000_000;
        let now = system.kernel.now_ns;
        if let Some((_, netd)) = system.netd.as_mut()
            && netd.next_deadline().is_some_and(|at| at <= now)
        {
            let handled = netd.timer_fired(&mut system.kernel, now);
            system.kernel.deliver(&handled);
        }
        self.0.1.notify_all();
    }

    /// A line is typed at the console: a watcher's netd gets the signal.
    pub fn type_line(&self) {
        let mut guard = self.lock();
        let system = &mut *guard;
        system.console_input = true;
        if let Some(watched) = system.console_watch.take()
            && let Some((id, netd)) = system.netd.as_mut()
            && *id == watched
        {
            let handled = netd.console_signalled(&mut system.kernel);
            system.kernel.deliver(&handled);
        }
        self.0.1.notify_all();
    }

    /// Waits until `task` is blocked in a call.
    pub fn wait_until_blocked(&self, task: TaskId) {
        let mut system = self.lock();
        while !system.kernel.is_waiting(task) {
            system = self.0.1.wait(system).unwrap();
        }
    }
}

fn start_netd(system: &mut System) {
    let id = system.kernel.spawn();
    system.netd = Some((id, Netd::new()));
}

fn kill_netd(system: &mut System) {
    if let Some((id, _)) = system.netd.take() {
        system.kernel.kill(id);
        for task in system.kernel.waiting_tasks() {
            system.kernel.abandon_call(task);
        }
    }
}

#[derive(Clone)]
pub struct FakeTransport {
    shared: Shared,
    pub me: TaskId,
}

impl Transport for FakeTransport {
    fn lookup_netd(&mut self) -> Option<TaskId> {
        let mut system = self.shared.lock();
        if system.netd.is_none() && system.netd_starts_at.is_some_and(|at| system.clock_ms >= at) {
            start_netd(&mut system);
        }
        system.netd.as_ref().map(|(id, _)| *id).or(system.stale_name)
    }

    fn call(
        &mut self,
        dest: TaskId,
        operation: u32,
        request: &[u8],
        reply: &mut [u8],
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(u32, usize), KernelError> {
        let (lock, wakeup) = &*self.shared.0;
        let mut guard = lock.lock().unwrap();
        let system = &mut *guard;
        let Some((_, netd)) = system.netd.as_mut().filter(|(id, _)| *id == dest) else {
            return Err(KernelError::PeerDied);
        };
        let lent = leases
            .iter()
            .map(|lease| match lease {
                LeaseBuf::Read(bytes) => FakeLease::read(bytes),
                // The lease is the caller's memory: what netd does not
                // write keeps its bytes.
                LeaseBuf::Write(bytes) => FakeLease { flags: abi::lease_flags::WRITE, ..FakeLease::read(bytes) },
                LeaseBuf::ReadWrite(bytes) => {
                    FakeLease { flags: abi::lease_flags::READ | abi::lease_flags::WRITE, ..FakeLease::read(bytes) }
                }
            })
            .collect();
        system.calls_to_netd += 1;
        system.operations.push((self.me, operation));
        system.kernel.begin_call(self.me, lent);
        let message = system.kernel.message(self.me, operation, request);
        let handled = netd.handle(&mut system.kernel, &message);
        system.kernel.deliver(&handled);
        wakeup.notify_all();
        loop {
            if let Some(answer) = guard.kernel.take_reply(self.me) {
                for (lease, lent) in leases.iter_mut().zip(&answer.leases) {
                    if let LeaseBuf::Write(bytes) | LeaseBuf::ReadWrite(bytes) = lease {
                        bytes.copy_from_slice(&lent.data);
                    }
                }
                reply[..answer.bytes.len()].copy_from_slice(&answer.bytes);
                return Ok((answer.code, answer.bytes.len()));
            }
            if !guard.kernel.is_waiting(self.me) {
                return Err(KernelError::PeerDied);
            }
            guard = wakeup.wait(guard).unwrap();
        }
    }

    fn now_ms(&mut self) -> u64 {
        self.shared.lock().clock_ms
    }

    fn sleep_ms(&mut self, ms: u64) {
        {
            let mut system = self.shared.lock();
            system.clock_ms += ms;
            system.kernel.now_ns = system.clock_ms * 1_000_000;
        }
        std::thread::yield_now();
    }

    fn watch_console(&mut self, netd: TaskId) -> Result<bool, KernelError> {
        let mut system = self.shared.lock();
        if system.console_input {
            return Ok(true);
        }
        system.console_watch = Some(netd);
        Ok(false)
    }
}
