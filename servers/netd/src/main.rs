//! netd, the socket server: one thread looping on the kernel's `recv`.
//!
//! Each request goes to the pure core ([`netd::Netd::handle`]); each task-exit
//! notification to [`netd::Netd::task_exit_notified`]. The core reaches the
//! kernel only through [`Syscalls`], the [`netd::Effects`] implementation
//! below. A call that must block is simply not answered yet, so this loop
//! never waits on anything but `recv`.
//!
//! The request buffer lives on the stack and the core allocates nothing per
//! request once a socket slot has its message buffer, so the data path does
//! not touch the heap. Init (the supervisor) may ask netd to crash; netd then
//! faults for real, and init restarts it.
#![no_std]
#![no_main]

extern crate alloc;

use abi::{KernelError, Received, TaskId, notify};
use netd::{Action, Effects, LeaseInfo, Netd};
use urt::ipc::{self, LeaseAt};
use urt::sys;

urt::entry!(main);

fn main() -> i32 {
    urt::rt::set_program_name("netd");
    // Init passes this while `crash netd always` is in force, to test its
    // restart budget with a server that faults as soon as it starts.
    if urt::args().skip(1).any(|arg| arg == urt::proto::init::CRASH_AT_START) {
        crash();
    }
    if let Err(err) = sys::subscribe_exits() {
        // Without exit notices the sockets of dead tasks would never close.
        urt::println!("netd: cannot follow task exits: {err}");
        return 1;
    }
    let mut netd = Netd::new();
    match sys::lookup(urt::proto::init::NAME) {
        Ok(init) => netd.set_supervisor(init),
        Err(err) => urt::println!("netd: no supervisor ({err}); crash requests are refused"),
    }
    serve(&mut netd)
}

fn serve(netd: &mut Netd) -> ! {
    let mut fx = Syscalls;
    let mut request = [0u8; abi::MAX_MESSAGE];
    loop {
        match ipc::recv(&mut request, notify::TASK_EXIT) {
            Ok(Received::Message(header)) => {
                let len = header.len.min(request.len());
                let action = netd.handle(
                    &mut fx,
                    header.sender,
                    header.operation,
                    &request[..len],
                    header.leases,
                );
                if action == Action::Crash {
                    crash();
                }
            }
            Ok(Received::Notification(bits)) => {
                if bits & notify::TASK_EXIT != 0 {
                    netd.task_exit_notified(&mut fx);
                }
            }
            // recv fails only on a bad buffer, which ours is not; yield
            // rather than spin if the kernel ever says otherwise.
            Err(_) => sys::yield_now(),
        }
    }
}

/// A real CPU fault, so that the supervisor's crash test exercises the same
/// path as a genuine bug: the kernel kills netd with a page fault, every
/// blocked caller gets `PeerDied`, and init restarts it.
fn crash() -> ! {
    // SAFETY: deliberately invalid. Page zero is never mapped in user space
    // (abi::USER_START is 4 MiB), so this write faults and the task ends
    // before anything is written; no Rust object lives at address 0.
    unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 0xdead) };
    // Not reached: the fault ends the task.
    sys::exit(1)
}

/// The core's view of the kernel, one syscall per method.
struct Syscalls;

impl Effects for Syscalls {
    fn reply(&mut self, to: TaskId, code: u32, bytes: &[u8]) {
        // A caller that died meanwhile cannot be answered; nothing to do.
        let _ = ipc::reply(to, code, bytes);
    }

    fn lease_info(&mut self, caller: TaskId, index: usize) -> Option<LeaseInfo> {
        ipc::lease_info(caller, index)
            .ok()
            .map(|(len, flags)| LeaseInfo {
                len: len as u64,
                flags,
            })
    }

    fn lease_read(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, KernelError> {
        ipc::lease_read(caller, index, lease_offset(offset)?, buf)
    }

    fn lease_write(
        &mut self,
        caller: TaskId,
        index: usize,
        offset: u64,
        bytes: &[u8],
    ) -> Result<usize, KernelError> {
        ipc::lease_write(caller, index, lease_offset(offset)?, bytes)
    }

    fn lease_copy(
        &mut self,
        src: TaskId,
        src_index: usize,
        src_offset: u64,
        dst: TaskId,
        dst_index: usize,
        dst_offset: u64,
        len: u64,
    ) -> Result<usize, KernelError> {
        let from = LeaseAt {
            caller: src,
            index: src_index,
            offset: lease_offset(src_offset)?,
        };
        let to = LeaseAt {
            caller: dst,
            index: dst_index,
            offset: lease_offset(dst_offset)?,
        };
        ipc::lease_copy(
            from,
            to,
            usize::try_from(len).map_err(|_| KernelError::LeaseBounds)?,
        )
    }

    fn task_alive(&mut self, task: TaskId) -> bool {
        sys::task_alive(task)
    }
}

/// Lease offsets are bounded by abi::MAX_LEASE_LEN; one that does not fit a
/// `usize` is past any lease.
fn lease_offset(offset: u64) -> Result<usize, KernelError> {
    usize::try_from(offset).map_err(|_| KernelError::LeaseBounds)
}
