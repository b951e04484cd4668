//! `hostile` attacks on the kernel and on netd, started from the shell: each must
//! end no further than the attacker's own job, with an honest report, and leave the
//! shell working.
//!
//! Each test is one boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`, typed at
//! like a person would; see `common` for how prompts and answers are read.

mod common;

use common::Shell;

/// The page just below the canonical limit 0x8000_0000_0000: never mappable.
const TOP_PAGE: u64 = 0x7fff_ffff_f000;

/// Checks that `line` is init's report of a fault of task `hostile`:
/// `fault: task N (hostile) REPORT`.
fn is_hostile_fault(line: &str, report: &str) -> bool {
    line.strip_prefix("fault: task ")
        .and_then(|rest| rest.split_once(" (hostile) "))
        .is_some_and(|(task, rest)| task.parse::<u32>().is_ok() && rest == report)
}

#[test]
fn syscall_in_the_last_bytes_of_user_space_faults_in_the_task_only() {
    let mut shell = Shell::boot();
    let highest = TOP_PAGE - 0x1000;
    let expected = [
        format!("hostile: the top page {TOP_PAGE:#x} cannot be mapped: bad address"),
        format!("hostile: syscall at {:#x}, returning to {TOP_PAGE:#x}", highest + 0xffe),
    ];
    // The return address is user space's end: canonical, unmapped, so the task
    // page-faults there in ring 3, and the report says exactly that.
    let fault = format!("page fault at {TOP_PAGE:#x}, rip {TOP_PAGE:#x}, killed");
    // Twice: the first run also warms up init's and the console's heaps.
    let mut frames = Vec::new();
    for _ in 0..2 {
        let answer = shell.run("hostile syscall-at-top");
        shell.check(
            answer.len() == 4
                && answer[..2] == expected
                && is_hostile_fault(&answer[2], &fault)
                && common::is_exit_report(&answer[3], "hostile", "fault"),
            &format!(
                "`hostile syscall-at-top` answered {answer:?}, expected {expected:?}, `{fault}` and the shell's report"
            ),
        );
        frames.push(shell.mem());
    }
    shell.check(
        frames[0] == frames[1],
        &format!("the attack changed (free frames, used frames, tasks) from {:?} to {:?}", frames[0], frames[1]),
    );
    // A stack pointer the task cannot use is not handed back to iretq either.
    let answer = shell.run("hostile noncanonical-rsp");
    let kind = "stack-segment fault, rip 0x";
    shell.check(
        answer.len() == 3
            && common::is_exit_report(&answer[2], "hostile", "fault")
            && answer[0] == "hostile: syscall with rsp 0x800000000000"
            && answer[1]
                .strip_prefix("fault: task ")
                .and_then(|rest| rest.split_once(" (hostile) "))
                .is_some_and(|(_, report)| report.starts_with(kind) && report.ends_with(", killed")),
        &format!("`hostile noncanonical-rsp` answered {answer:?}, expected a `{kind}...` report"),
    );
    let alive = shell.run("echo still here");
    shell.check(alive == ["still here"], &format!("after the attack: {alive:?}"));
    shell.machine.kill();
}

#[test]
fn a_send_from_a_half_mapped_buffer_fails_the_sender_only() {
    let mut shell = Shell::boot();
    // The receiver blocks in recv first; the sender's bad message must fail its own
    // send (E_INVALID_ARG) and leave the receiver waiting for the good one after it.
    let expected = [
        "hostile: send of 8192 bytes, second page unmapped: E_INVALID_ARG (-1029)",
        "receiver: got 18 bytes (more: false): after the bad send",
        "hostile: then a good send: ok; receiver Ok(Exited(0))",
    ];
    // Twice: the first attack left nothing behind that stops the second.
    for _ in 0..2 {
        let answer = shell.run("hostile half-mapped-send");
        shell.check(
            answer == expected,
            &format!("`hostile half-mapped-send` answered {answer:?}, expected {expected:?}"),
        );
    }
    let sockets = shell.run("netstat");
    shell.check(
        !sockets.iter().any(|row| row.contains("4100")),
        &format!("`netstat` still lists the attack's sockets: {sockets:?}"),
    );
    shell.machine.kill();
}

#[test]
fn a_reply_with_unreadable_data_is_refused_even_when_the_caller_takes_none_of_it() {
    let mut shell = Shell::boot();
    let answer = shell.run("hostile reply-unreadable");
    shell.check(
        answer.iter().any(|l| l == "hostile: reply-unreadable: refused with BadAddress; the real reply came"),
        &format!("`hostile reply-unreadable` answered {answer:?}"),
    );
}
