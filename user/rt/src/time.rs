//! Time: the clock and sleeping on the one per-task timer.

use abi::{KernelError, notify};

use crate::ipc::recv_notifications;
use crate::sys::{now_ns, set_timer};

/// Nanoseconds in a millisecond.
pub const NS_PER_MS: u64 = 1_000_000;

/// Blocks for at least `ms` milliseconds. Messages that arrive meanwhile stay
/// queued, and other notification bits stay pending.
pub fn sleep(ms: u64) -> Result<(), KernelError> {
    if ms == 0 {
        return Ok(());
    }
    let deadline = now_ns().saturating_add(ms.saturating_mul(NS_PER_MS));
    set_timer(deadline)?;
    // A TIMER bit left over from an earlier timer may wake us early: the
    // deadline decides, and the timer we set is still armed.
    loop {
        recv_notifications(notify::TIMER)?;
        if now_ns() >= deadline {
            return Ok(());
        }
    }
}
