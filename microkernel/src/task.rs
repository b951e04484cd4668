//! Task control blocks: one address space, one thread, saved registers and
//! FPU state, IPC state.

use crate::arch::paging::AddressSpace;
use crate::arch::trap::{FpuState, TrapFrame};
use abi::{JobId, TaskId, MAX_LEASES, MAX_MESSAGE, TASK_NAME_MAX};
use kcore::lease::LentLease;
use kcore::user_memory::UserSliceWo;

pub use kcore::ipc::{RecvWait, State};

/// A `call` in progress: the request (copied into the kernel at call time,
/// so a server never sees a half-valid message) and the caller's leases.
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

pub struct Task {
    pub id: TaskId,
    name: [u8; TASK_NAME_MAX],
    name_len: usize,
    pub priority: u8,
    /// Set by init at creation: whose frames this task's memory counts
    /// against, and what the kernel stamps on its messages.
    pub job: JobId,
    pub state: State,
    pub frame: TrapFrame,
    pub fpu: FpuState,
    /// None only for the idle task, which runs in the kernel half.
    pub space: Option<AddressSpace>,
    /// Holds task-control rights (init alone).
    pub is_supervisor: bool,
    pub pending: u32,
    /// Absolute deadline in nanoseconds for `notify::TIMER`; 0 = none.
    pub timer_deadline: u64,
    pub wants_exit_notifications: bool,
    /// I/O ports this task may use.
    pub ports: Option<kcore::grants::PortRange>,
    pub call: Call,
}

impl Task {
    pub fn new(id: TaskId, name: &[u8], priority: u8, job: JobId, space: Option<AddressSpace>) -> Self {
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

    pub fn name(&self) -> &str {
        core::str::from_utf8(&self.name[..self.name_len]).unwrap_or("?")
    }

    pub fn name_bytes(&self) -> &[u8] {
        &self.name[..self.name_len]
    }

    pub fn is_dead(&self) -> bool {
        matches!(self.state, State::Dead(_))
    }

    pub fn space(&self) -> &AddressSpace {
        self.space.as_ref().expect("only the idle task has no address space, and it makes no syscalls")
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
