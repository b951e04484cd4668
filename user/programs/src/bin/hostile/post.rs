//! Attacks with `post`, the kernel call any task may use to wake another.

use abi::{KernelError, TaskId, notify};
use libsock::NETD_NAME;
use libsock::proto::CONSOLE_SIGNAL;
use urt::{println, sys};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[Attack {
    name: "post-flood",
    about: "posts every postable bit to netd, init and the console, 100,000 times each",
    run: post_flood,
}];

const ROUNDS: u32 = 100_000;

/// Wakes netd (its console bit wakes every `poll` waiting for the console),
/// init and the console over and over, and tries the bits only the kernel
/// may post. The servers must go on serving, a poll woken for nothing must
/// go back to waiting, and every kernel bit must be refused.
fn post_flood(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let targets = [NETD_NAME, urt::proto::init::NAME, urt::proto::console::NAME].map(sys::lookup);
    let mut posted = 0u64;
    for _ in 0..ROUNDS {
        for target in targets.iter().flatten() {
            if sys::post(*target, notify::POSTABLE).is_ok() {
                posted += 1;
            }
        }
        if let Ok(netd) = targets[0] {
            let _ = sys::post(netd, CONSOLE_SIGNAL);
        }
    }
    let refused = [notify::TIMER, notify::TASK_EXIT, 1 << notify::FIRST_IRQ_BIT]
        .iter()
        .all(|&bits| targets.iter().flatten().all(|&t| sys::post(t, bits) == Err(KernelError::BadArgument)));
    let no_one = sys::post(TaskId::KERNEL, notify::POSTABLE) == Err(KernelError::NoSuchTask);
    println!("hostile: posted {posted} times; kernel bits refused: {refused}; the kernel id refused: {no_one}");
    if refused && no_one { 0 } else { 1 }
}
