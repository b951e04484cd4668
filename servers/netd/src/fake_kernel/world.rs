//! A netd and its fake kernel, driven the way clients drive them.

use alloc::vec::Vec;

use abi::{JobId, TaskId};
use libsock::proto::{self, Request, Response};

use super::{FakeKernel, FakeLease, Reply};
use crate::Netd;

/// A netd and its fake kernel, driven the way clients drive them.
#[derive(Default)]
pub struct World {
    pub netd: Netd,
    pub kernel: FakeKernel,
    /// netd's own tests: allocations netd may make per request or exit
    /// notification (`None`: any number); the fake kernel is not rationed.
    #[cfg(test)]
    pub allocations_allowed: Option<usize>,
    /// How many allocations netd asked for under that ration, in all.
    #[cfg(test)]
    pub allocations_asked: usize,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn spawn(&mut self) -> TaskId {
        self.kernel.spawn()
    }

    pub fn new_job(&mut self) -> JobId {
        self.kernel.new_job()
    }

    pub fn spawn_in(&mut self, job: JobId) -> TaskId {
        self.kernel.spawn_in(job)
    }

    /// Sends a raw request; returns the reply if it came at once.
    pub fn call_raw(&mut self, caller: TaskId, operation: u32, bytes: &[u8], leases: Vec<FakeLease>) -> Option<Reply> {
        self.kernel.begin_call(caller, leases);
        let message = self.kernel.message(caller, operation, bytes);
        self.in_netd(|netd, kernel| {
            let handled = netd.handle(kernel, &message);
            kernel.deliver(&handled);
        });
        self.kernel.take_reply(caller)
    }

    /// Sends a raw request and returns the answers it produced, in the
    /// order netd gave them (for the tests of that order).
    pub fn call_for_replies(
        &mut self,
        caller: TaskId,
        request: &Request<'_>,
        leases: Vec<FakeLease>,
    ) -> Vec<(TaskId, Response)> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = proto::encode_request(request, &mut buf).expect("request fits");
        self.replies_to(caller, request.operation(), bytes, leases)
    }

    /// [`World::call_for_replies`] for a request followed by `data`
    /// (`SendInline`).
    pub fn call_for_replies_with_data(
        &mut self,
        caller: TaskId,
        request: &Request<'_>,
        data: &[u8],
        leases: Vec<FakeLease>,
    ) -> Vec<(TaskId, Response)> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = proto::encode_request_with_data(request, data, &mut buf).expect("request and data fit");
        self.replies_to(caller, request.operation(), bytes, leases)
    }

    fn replies_to(
        &mut self,
        caller: TaskId,
        operation: u32,
        bytes: &[u8],
        leases: Vec<FakeLease>,
    ) -> Vec<(TaskId, Response)> {
        self.kernel.begin_call(caller, leases);
        let message = self.kernel.message(caller, operation, bytes);
        self.in_netd(|netd, kernel| {
            let handled = netd.handle(kernel, &message);
            kernel.deliver(&handled);
            let answers = handled.replies;
            answers.as_slice().iter().map(|reply| (reply.to, answers.response(reply))).collect()
        })
    }

    /// Sends `request`; returns the reply if netd answered at once.
    pub fn call(&mut self, caller: TaskId, request: &Request<'_>, leases: Vec<FakeLease>) -> Option<Reply> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = proto::encode_request(request, &mut buf).expect("request fits");
        self.call_raw(caller, request.operation(), bytes, leases)
    }

    /// Sends `request` followed by `data` (`SendInline`); returns the reply
    /// if netd answered at once.
    pub fn call_with_data(
        &mut self,
        caller: TaskId,
        request: &Request<'_>,
        data: &[u8],
        leases: Vec<FakeLease>,
    ) -> Option<Reply> {
        let mut buf = [0u8; abi::MAX_MESSAGE];
        let bytes = proto::encode_request_with_data(request, data, &mut buf).expect("request and data fit");
        self.call_raw(caller, request.operation(), bytes, leases)
    }

    /// The reply a blocked caller got since, if any.
    pub fn reply_for(&mut self, caller: TaskId) -> Option<Reply> {
        self.kernel.take_reply(caller)
    }

    /// Kills a task and lets netd learn of it, as the notification would.
    pub fn kill(&mut self, task: TaskId) {
        self.kernel.kill(task);
        self.in_netd(|netd, kernel| {
            let handled = netd.task_exit_notified(kernel);
            kernel.deliver(&handled);
        });
    }

    /// netd dies and a new one starts with no socket: every call blocked in
    /// the old one fails as the kernel fails it (`PeerDied`). Requests sent
    /// after go to the new one.
    pub fn restart_netd(&mut self) {
        for task in self.kernel.waiting_tasks() {
            self.kernel.abandon_call(task);
        }
        self.netd = Netd::new();
    }

    /// Moves the clock on by `ms` and rings netd's timer if a deadline
    /// passed, as the kernel's timer notification would.
    pub fn advance_ms(&mut self, ms: u64) {
        self.kernel.now_ns += ms * 1_000_000;
        let now = self.kernel.now_ns;
        if self.netd.next_deadline().is_some_and(|at| at <= now) {
            self.in_netd(|netd, kernel| {
                let handled = netd.timer_fired(kernel, now);
                kernel.deliver(&handled);
            });
        }
    }

    /// The console signals netd (`proto::CONSOLE_SIGNAL`).
    pub fn console_signal(&mut self) {
        self.in_netd(|netd, kernel| {
            let handled = netd.console_signalled(kernel);
            kernel.deliver(&handled);
        });
    }

    /// Runs one event in netd, under the allocation ration in netd's tests.
    fn in_netd<R>(&mut self, event: impl FnOnce(&mut Netd, &mut FakeKernel) -> R) -> R {
        #[cfg(test)]
        {
            let (result, asked) =
                crate::rationed_alloc::rationed(self.allocations_allowed, || event(&mut self.netd, &mut self.kernel));
            self.allocations_asked += asked;
            result
        }
        #[cfg(not(test))]
        event(&mut self.netd, &mut self.kernel)
    }
}
