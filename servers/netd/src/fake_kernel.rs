//! An in-memory stand-in for the kernel's side of netd, for host tests.
//!
//! [`FakeKernel`] keeps which tasks live and in which job, which are blocked
//! in a call to netd with which leases, and the replies netd gave, and
//! implements [`Effects`] with the kernel's rules: lease calls only reach a
//! caller still blocked, within the lease and with its flags; a reply goes
//! only to a blocked live caller (anything else is counted in
//! `stray_replies`, which a correct netd keeps at zero except for replies to
//! tasks that died).
//! [`World`] (`fake_kernel/world.rs`) pairs it with a [`Netd`] and offers
//! calls as a client makes them.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use abi::{CopySide, JobId, KernelError, LeaseCopyError, MessageHeader, TaskId, lease_flags};
use libsock::proto::{self, Response};
use urt::ipc::{FirstLease, LeaseAt};

use crate::effects::Effects;
use crate::{Handled, Message};

mod world;
pub use world::World;

/// A lent buffer, held by the fake kernel while its caller waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeLease {
    pub flags: u64,
    pub data: Vec<u8>,
    /// Bytes from this offset on are not mapped: a copy that reaches them
    /// fails with `BadAddress` after the bytes before them, as the kernel's
    /// page-by-page copies do.
    pub unmapped_from: Option<usize>,
}

impl FakeLease {
    pub fn read(data: &[u8]) -> Self {
        FakeLease { flags: lease_flags::READ, data: data.to_vec(), unmapped_from: None }
    }

    pub fn write(len: usize) -> Self {
        FakeLease { flags: lease_flags::WRITE, data: alloc::vec![0; len], unmapped_from: None }
    }

    /// The same lease with its memory unmapped from `offset` on.
    pub fn unmapped_from(self, offset: usize) -> Self {
        FakeLease { unmapped_from: Some(offset), ..self }
    }

    /// How many bytes of `range` lie before the unmapped part.
    fn mapped_part(&self, range: &core::ops::Range<usize>) -> usize {
        let end = self.unmapped_from.map_or(range.end, |from| range.end.min(from));
        end.saturating_sub(range.start)
    }
}

/// What a blocked caller got back: the reply and its leases as netd left them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u32,
    pub bytes: Vec<u8>,
    pub leases: Vec<FakeLease>,
}

impl Reply {
    pub fn response(&self) -> Response {
        self.decoded().0
    }

    /// The bytes a `recv` got: those after its answer (`ReceivedInline`),
    /// else the first `len` of its lease (`Received`); none otherwise.
    pub fn received_bytes(&self) -> Vec<u8> {
        match self.decoded() {
            (Response::ReceivedInline { .. }, data) => data.to_vec(),
            (Response::Received { len, .. }, _) => self.leases[0].data[..len as usize].to_vec(),
            _ => Vec::new(),
        }
    }

    fn decoded(&self) -> (Response, &[u8]) {
        proto::decode_response_with_data(self.code, &self.bytes).expect("netd sent a malformed reply")
    }
}

#[derive(Default)]
pub struct FakeKernel {
    alive: BTreeSet<TaskId>,
    next_index: u16,
    /// The job of each task ever started.
    jobs: BTreeMap<TaskId, JobId>,
    /// The last job handed out (0 is the system job).
    last_job: u32,
    /// Callers blocked in a call to netd, with their leases.
    waiting: BTreeMap<TaskId, Vec<FakeLease>>,
    /// Replies netd gave and the caller has not collected yet.
    replies: BTreeMap<TaskId, Reply>,
    /// Replies to a task that was not waiting (a bug unless it had died).
    pub stray_replies: usize,
    /// The clock, in ns: moved only by the tests.
    pub now_ns: u64,
}

impl FakeKernel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new task in a job of its own (a program the shell starts)
    /// and returns its id.
    pub fn spawn(&mut self) -> TaskId {
        let job = self.new_job();
        self.spawn_in(job)
    }

    /// A job no task belongs to yet.
    pub fn new_job(&mut self) -> JobId {
        self.last_job += 1;
        JobId::new(self.last_job)
    }

    /// Starts a new task in `job` (a task another task of the job starts).
    pub fn spawn_in(&mut self, job: JobId) -> TaskId {
        self.next_index += 1;
        // Slots 1..MAX_TASKS, as the kernel's; a later round is a later
        // generation, so every id stays new.
        let round = usize::from(self.next_index - 1) / (abi::MAX_TASKS - 1);
        let slot = usize::from(self.next_index - 1) % (abi::MAX_TASKS - 1) + 1;
        let id = TaskId::new(slot as u16, round as u16 + 1);
        self.alive.insert(id);
        self.jobs.insert(id, job);
        id
    }

    /// Starts a task with a given id (e.g. a task slot's next generation),
    /// in a job of its own.
    pub fn spawn_as(&mut self, id: TaskId) {
        let job = self.new_job();
        self.alive.insert(id);
        self.jobs.insert(id, job);
    }

    /// The job the kernel stamps on `task`'s messages.
    pub fn job_of(&self, task: TaskId) -> JobId {
        self.jobs.get(&task).copied().unwrap_or(JobId::SYSTEM)
    }

    /// Ends a task; a call it was blocked in vanishes with its leases.
    pub fn kill(&mut self, task: TaskId) {
        self.alive.remove(&task);
        self.waiting.remove(&task);
        self.replies.remove(&task);
    }

    /// Records that `caller` now waits in a call with these leases.
    pub fn begin_call(&mut self, caller: TaskId, leases: Vec<FakeLease>) {
        assert!(self.alive.contains(&caller), "a dead task cannot call");
        assert!(!self.waiting.contains_key(&caller), "a task waits in one call at a time");
        self.waiting.insert(caller, leases);
    }

    pub fn is_waiting(&self, caller: TaskId) -> bool {
        self.waiting.contains_key(&caller)
    }

    /// Collects the reply to `caller`'s call, if netd gave it.
    pub fn take_reply(&mut self, caller: TaskId) -> Option<Reply> {
        self.replies.remove(&caller)
    }

    /// Every task blocked in a call, e.g. to fail them when netd dies.
    pub fn waiting_tasks(&self) -> Vec<TaskId> {
        self.waiting.keys().copied().collect()
    }

    /// Forgets a blocked call without a reply (netd died under it).
    pub fn abandon_call(&mut self, caller: TaskId) -> Option<Vec<FakeLease>> {
        self.waiting.remove(&caller)
    }

    /// Delivers netd's answer to a blocked caller, as the kernel's `reply`
    /// does: only a caller still waiting gets it.
    pub fn reply(&mut self, to: TaskId, code: u32, bytes: &[u8]) {
        #[cfg(test)]
        let _bookkeeping = crate::rationed_alloc::lift();
        match self.waiting.remove(&to) {
            Some(leases) => {
                self.replies.insert(to, Reply { code, bytes: bytes.to_vec(), leases });
            }
            None => self.stray_replies += 1,
        }
    }

    /// Sends the answers of one event in their order, as the netd binary does.
    pub fn deliver(&mut self, handled: &Handled<'_>) {
        let answers = handled.replies;
        for reply in answers.as_slice() {
            self.reply(reply.to, crate::Answers::CODE, answers.message(reply));
        }
    }

    /// Lease 0 of a blocked caller as the kernel describes it with the message.
    pub fn first_lease(&self, caller: TaskId) -> Option<FirstLease> {
        let lease = self.waiting.get(&caller)?.first()?;
        Some(FirstLease { len: lease.data.len(), flags: lease.flags })
    }

    /// The message `caller`, now waiting in its call, sent to netd.
    pub fn message<'a>(&self, caller: TaskId, operation: u32, bytes: &'a [u8]) -> Message<'a> {
        let leases = self.waiting.get(&caller).map_or(0, Vec::len);
        Message {
            header: MessageHeader { sender: caller, job: self.job_of(caller), operation, len: bytes.len(), leases },
            buffer: bytes,
            first_lease: self.first_lease(caller),
        }
    }

    fn lease(&mut self, caller: TaskId, index: usize, flag: u64) -> Result<&mut FakeLease, KernelError> {
        let leases = self.waiting.get_mut(&caller).ok_or(KernelError::NotWaiting)?;
        let lease = leases.get_mut(index).ok_or(KernelError::LeaseBounds)?;
        if lease.flags & flag == 0 {
            return Err(KernelError::LeaseBounds);
        }
        Ok(lease)
    }
}

fn range(lease: &FakeLease, start: usize, len: usize) -> Result<core::ops::Range<usize>, KernelError> {
    let end = start.checked_add(len).filter(|&end| end <= lease.data.len()).ok_or(KernelError::LeaseBounds)?;
    Ok(start..end)
}

impl Effects for FakeKernel {
    fn lease_read(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: usize,
        buf: &mut [u8],
    ) -> Result<usize, KernelError> {
        #[cfg(test)]
        let _bookkeeping = crate::rationed_alloc::lift();
        let lease = self.lease(caller, index, lease_flags::READ)?;
        let range = range(lease, offset, buf.len())?;
        let mapped = lease.mapped_part(&range);
        buf[..mapped].copy_from_slice(&lease.data[range.start..range.start + mapped]);
        if mapped < buf.len() {
            return Err(KernelError::BadAddress);
        }
        Ok(buf.len())
    }

    fn lease_write(&mut self, caller: TaskId, index: usize, offset: usize, bytes: &[u8]) -> Result<usize, KernelError> {
        #[cfg(test)]
        let _bookkeeping = crate::rationed_alloc::lift();
        let lease = self.lease(caller, index, lease_flags::WRITE)?;
        let range = range(lease, offset, bytes.len())?;
        let mapped = lease.mapped_part(&range);
        lease.data[range.start..range.start + mapped].copy_from_slice(&bytes[..mapped]);
        if mapped < bytes.len() {
            return Err(KernelError::BadAddress);
        }
        Ok(bytes.len())
    }

    /// Checks in the kernel's order (source caller and lease, destination
    /// caller and lease, source range, destination range, then the memory
    /// piece by piece, source first) and names the side of the first failure.
    fn lease_copy(&mut self, src: LeaseAt, dst: LeaseAt, len: usize) -> Result<usize, LeaseCopyError> {
        #[cfg(test)]
        let _bookkeeping = crate::rationed_alloc::lift();
        let source = |error| LeaseCopyError { side: CopySide::Source, error };
        let destination = |error| LeaseCopyError { side: CopySide::Destination, error };
        let from = self.lease(src.caller, src.index, lease_flags::READ).map_err(source)?.clone();
        let to = self.lease(dst.caller, dst.index, lease_flags::WRITE).map_err(destination)?;
        let from_range = range(&from, src.offset, len).map_err(source)?;
        let to_range = range(to, dst.offset, len).map_err(destination)?;
        let (readable, writable) = (from.mapped_part(&from_range), to.mapped_part(&to_range));
        let copied = readable.min(writable);
        to.data[to_range.start..to_range.start + copied]
            .copy_from_slice(&from.data[from_range.start..from_range.start + copied]);
        match copied < len {
            true if readable <= writable => Err(source(KernelError::BadAddress)),
            true => Err(destination(KernelError::BadAddress)),
            false => Ok(len),
        }
    }

    fn task_alive(&mut self, task: TaskId) -> bool {
        #[cfg(test)]
        let _bookkeeping = crate::rationed_alloc::lift();
        self.alive.contains(&task)
    }

    fn now_ns(&mut self) -> u64 {
        self.now_ns
    }
}
