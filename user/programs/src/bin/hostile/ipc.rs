//! Attacks through IPC itself.
//!
//! `reply-unreadable`: a server answers a caller that takes no reply bytes
//! (capacity 0) with data from an unmapped address. `docs/abi.md` says the
//! reply's data is checked in full before anything is copied, so the kernel
//! must refuse it with `BadAddress` and the caller keeps waiting for a real
//! reply; the attack exits 0 when it does, 1 when the reply was delivered.

use abi::{KernelError, MAX_MESSAGE, Received, Sysnum};
use urt::ipc::{call, recv, reply};
use urt::{println, supervisor};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[Attack {
    name: "reply-unreadable",
    about: "reply from unmapped memory to a caller taking 0 bytes",
    run: reply_unreadable,
}];

const SERVER_ARG: &str = "--server";
/// Never mapped in this program.
const UNMAPPED: u64 = 0x0000_4400_0000_0000;
/// The code of the reply the kernel should refuse.
const BAD_CODE: u32 = 7;

fn reply_unreadable(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    if args.next() == Some(SERVER_ARG) {
        return serve_unreadable();
    }
    let server = match supervisor::spawn(&["hostile", "reply-unreadable", SERVER_ARG], false) {
        Ok(server) => server,
        Err(err) => {
            println!("hostile: reply-unreadable: spawn: {err}");
            return 2;
        }
    };
    let answer = call(server, 1, &[], &mut [], &[]);
    let _ = supervisor::kill(server);
    let _ = supervisor::wait(server);
    match answer {
        Ok(reply) if reply.code == BAD_CODE => {
            println!("hostile: reply-unreadable: the kernel delivered a reply whose data is unmapped");
            1
        }
        Ok(_) => {
            println!("hostile: reply-unreadable: refused with BadAddress; the real reply came");
            0
        }
        Err(err) => {
            println!("hostile: reply-unreadable: call: {err}");
            2
        }
    }
}

/// Answers the first call from unmapped memory, then, if that was
/// refused, properly.
fn serve_unreadable() -> i32 {
    let mut request = [0u8; MAX_MESSAGE];
    let Ok(Received::Message(header)) = recv(&mut request, 0) else { return 2 };
    let args = [header.sender.raw() as u64, BAD_CODE as u64, UNMAPPED, 16, 0, 0];
    // SAFETY: the data pointer is unmapped; the kernel only reads through it.
    let regs = unsafe { urt::arch::syscall(Sysnum::Reply, args) };
    if abi::check(regs.rax) == Err(KernelError::BadAddress) {
        let _ = reply(header.sender, 0, &[]);
    }
    0
}
