//! Task control blocks: one address space, one thread, saved registers and
//! FPU state, IPC state.
//!
//! The fields are private to the `kernel` module: a task's scheduling and
//! IPC state changes only through the kernel's named transitions, which
//! keep it in step with the run queues and the queues of callers. What
//! the rest of the kernel may change is named here (its results, its
//! notifications, its call block, its memory).

use crate::arch::paging::AddressSpace;
use crate::arch::trap::{FpuState, TrapFrame};
use abi::{JobId, MAX_LEASES, MAX_MESSAGE, Results, TASK_NAME_MAX, TaskId};
use kcore::grants::PortRange;
use kcore::lease::LentLease;
use kcore::user_memory::UserSliceWo;

pub use kcore::ipc::{RecvWait, State};

/// A `call` in progress: the request (copied into the kernel at call time,
/// so a server never sees a half-valid message) and the caller's leases.
/// The `call` handler fills it while the caller runs; it is read while the
/// caller waits.
pub struct Call {
    pub operation: u32,
    pub message: [u8; MAX_MESSAGE],
    pub len: usize,
    /// The caller's reply buffer, its length capped at `MAX_MESSAGE`; its
    /// pages were found writable at call time.
    pub reply_buf: UserSliceWo,
    pub leases: [LentLease; MAX_LEASES],
    pub lease_count: usize,
}

impl Call {
    /// The leases of the call, as many as it carries.
    pub fn leases(&self) -> &[LentLease] {
        &self.leases[..self.lease_count]
    }
}

pub struct Task {
    pub(super) id: TaskId,
    name: [u8; TASK_NAME_MAX],
    name_len: usize,
    pub(super) priority: u8,
    /// Set by init at creation: whose frames this task's memory counts
    /// against, and what the kernel stamps on its messages.
    job: JobId,
    pub(super) state: State,
    pub(super) frame: TrapFrame,
    pub(super) fpu: FpuState,
    /// The idle task, which runs in the kernel half, and a task that has
    /// ended hold a view of the kernel's own tables, which no user copy can
    /// reach through and which is never freed.
    pub(super) space: AddressSpace,
    /// Holds task-control rights (init alone).
    pub(super) is_supervisor: bool,
    pub(super) pending: u32,
    /// Absolute deadline in nanoseconds for `notify::TIMER`; 0 = none.
    pub(super) timer_deadline: u64,
    pub(super) wants_exit_notifications: bool,
    /// I/O ports this task may use.
    pub(super) ports: Option<PortRange>,
    call: Call,
}

impl Task {
    pub fn new(id: TaskId, name: &[u8], priority: u8, job: JobId, space: AddressSpace) -> Self {
        let mut stored = [0u8; TASK_NAME_MAX];
        let name_len = name.len().min(TASK_NAME_MAX);
        stored[..name_len].copy_from_slice(&name[..name_len]);
        Task {
            id,
            name: stored,
            name_len,
            priority,
            job,
            state: State::Created,
            frame: TrapFrame::default(),
            fpu: FpuState::initial(),
            space,
            is_supervisor: false,
            pending: 0,
            timer_deadline: 0,
            wants_exit_notifications: false,
            ports: None,
            call: Call {
                operation: 0,
                message: [0; MAX_MESSAGE],
                len: 0,
                reply_buf: UserSliceWo::EMPTY,
                leases: [LentLease::EMPTY; MAX_LEASES],
                lease_count: 0,
            },
        }
    }

    /// The idle task: runnable from the start, in the kernel half, with
    /// the frame it starts from.
    pub fn idle(id: TaskId, name: &[u8], priority: u8, frame: TrapFrame) -> Self {
        let mut idle = Task::new(id, name, priority, JobId::SYSTEM, AddressSpace::kernel_view());
        idle.frame = frame;
        idle.state = State::Runnable;
        idle
    }

    /// The same task with the task-control rights (init).
    pub fn supervisor(mut self) -> Self {
        self.is_supervisor = true;
        self
    }

    #[inline]
    pub fn id(&self) -> TaskId {
        self.id
    }

    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    pub fn name_bytes(&self) -> &[u8] {
        &self.name[..self.name_len]
    }

    #[inline]
    pub fn priority(&self) -> u8 {
        self.priority
    }

    #[inline]
    pub fn job(&self) -> JobId {
        self.job
    }

    #[inline]
    pub fn state(&self) -> State {
        self.state
    }

    pub fn is_dead(&self) -> bool {
        matches!(self.state, State::Dead(_))
    }

    pub fn is_supervisor(&self) -> bool {
        self.is_supervisor
    }

    /// Notification bits posted and not yet received.
    #[inline]
    pub fn pending(&self) -> u32 {
        self.pending
    }

    /// Clears notification bits a `recv` is delivering.
    #[inline]
    pub fn take_pending(&mut self, bits: u32) {
        self.pending &= !bits;
    }

    /// From now on the task gets `notify::TASK_EXIT` when any task ends.
    pub fn subscribe_exits(&mut self) {
        self.wants_exit_notifications = true;
    }

    #[inline]
    pub fn frame(&self) -> &TrapFrame {
        &self.frame
    }

    /// Whether the saved registers can be resumed as they are (else the
    /// kernel ends the task with the fault they stand for).
    #[inline(always)]
    pub fn resumable(&self) -> bool {
        self.unresumable().is_none()
    }

    /// The fault vector the saved registers stand for when they cannot be
    /// resumed (a user `rip` or `rsp` that `iretq` would fault on in ring 0).
    #[inline(always)]
    pub fn unresumable(&self) -> Option<u8> {
        let (rip, rsp) = self.frame.resume_point();
        if self.frame.came_from_user() { kcore::resume::unresumable(rip, rsp) } else { None }
    }

    /// Stores registers saved elsewhere (on the idle or boot stack) as the
    /// task's own.
    pub fn store_frame(&mut self, frame: TrapFrame) {
        self.frame = frame;
    }

    /// Writes what the task's pending syscall returns.
    #[inline]
    pub fn set_results(&mut self, results: &Results) {
        self.frame.set_results(results);
    }

    #[inline]
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// The address space and the call block at once (a call fills the one
    /// from the other).
    #[inline]
    pub fn space_and_call(&mut self) -> (&AddressSpace, &mut Call) {
        (&self.space, &mut self.call)
    }

    #[inline]
    pub fn space(&self) -> &AddressSpace {
        &self.space
    }

    pub fn space_mut(&mut self) -> &mut AddressSpace {
        &mut self.space
    }

    /// Takes the address space of a task that ends, leaving it the kernel's
    /// tables (no user half). Taken again, it is that view, which
    /// [`AddressSpace::destroy`] leaves alone.
    pub(super) fn take_space_at_end(&mut self) -> AddressSpace {
        core::mem::replace(&mut self.space, AddressSpace::kernel_view())
    }

    pub fn state_code(&self) -> u32 {
        use abi::task_state::*;
        match self.state {
            State::Created | State::Runnable => RUNNABLE,
            State::SendBlocked(_) => SEND_BLOCKED,
            State::ReplyBlocked(_) => REPLY_BLOCKED,
            State::RecvBlocked(_) => RECV_BLOCKED,
            State::Dead(_) => DEAD,
        }
    }
}
