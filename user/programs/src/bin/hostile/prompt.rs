//! Attacks on the console's line editing: reads that lie about their
//! prompt and text, a forged job-end notice, and a reader killed while its
//! prompt is drawn and a person types into it.
//!
//! - `read-lies`: `READ_LINE` requests the console must refuse at once, and
//!   init's `JOB_ENDED` and `SET_FOREGROUND` sent by a program. Prints one
//!   line per case (`read-lies: CASE: ERROR`) and then
//!   `read-lies: N of M refused`; the status is the number not refused as
//!   they should be.
//! - `reader-killed MS`: starts `prompt-reader` (same job, so it reads the
//!   console), which edits `pre` after the prompt `child> `, and kills it
//!   after MS milliseconds. Whatever was typed for it must go with it.

use abi::{KernelError, TaskId};
use urt::io::{Edited, LineEdit, edit_line};
use urt::ipc::{Loan, call};
use urt::proto::check_code;
use urt::proto::console::{JOB_ENDED, MAX_PROMPT, READ_KEYS, READ_LINE, ReadRequest, SET_FOREGROUND};
use urt::{println, supervisor};

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack { name: "read-lies", about: "line reads with lying lengths, forged notices to the console", run: read_lies },
    Attack { name: "reader-killed", about: "MS: kill a child reading at its own prompt", run: reader_killed },
    Attack { name: "prompt-reader", about: "(reader-killed's child) edit lines at `child> `", run: prompt_reader },
];

/// One call to the console; its error, or `None` if it was answered.
fn refusal(op: u32, request: &[u8], loans: &[Loan<'_>]) -> Option<KernelError> {
    let console = urt::io::console().ok()?;
    let mut reply = [0u8; 16];
    match call(console, op, request, &mut reply, loans) {
        Ok(answer) => check_code(answer.code).err(),
        Err(err) => Some(err),
    }
}

fn read_lies(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let mut buf = [0u8; 64];
    let request = |prompt_len: u16, text_len: u16, cursor: u16| {
        ReadRequest { flags: READ_KEYS, prompt_len, text_len, cursor }.encode()
    };
    let cases: [(&str, u32, &[u8], bool, KernelError); 7] = [
        ("short request", READ_LINE, &[1, 2, 3], true, KernelError::BadArgument),
        ("prompt too long", READ_LINE, &request(MAX_PROMPT as u16 + 1, 0, 0), true, KernelError::BadArgument),
        ("cursor past the text", READ_LINE, &request(2, 3, 4), true, KernelError::BadArgument),
        ("lengths past the lease", READ_LINE, &request(40, 40, 0), true, KernelError::BadArgument),
        ("prompt in a lease it cannot read", READ_LINE, &request(2, 0, 0), false, KernelError::BadAddress),
        ("forged job end", JOB_ENDED, &TaskId::KERNEL.raw().to_le_bytes(), false, KernelError::Denied),
        ("forged foreground", SET_FOREGROUND, &0u32.to_le_bytes(), false, KernelError::Denied),
    ];
    let mut refused = 0;
    for (name, op, bytes, readable, expected) in cases {
        // A lease the console may write; readable too where the case says so.
        let loan = if readable { Loan::read_write(&mut buf) } else { Loan::write(&mut buf) };
        let loans = if op == READ_LINE { core::slice::from_ref(&loan) } else { &[] };
        let got = refusal(op, bytes, loans);
        match got {
            Some(err) => println!("read-lies: {name}: {err}"),
            None => println!("read-lies: {name}: answered"),
        }
        refused += i32::from(got == Some(expected));
    }
    println!("read-lies: {refused} of {} refused", cases.len());
    cases.len() as i32 - refused
}

fn reader_killed(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let wait_ms = args.next().and_then(|ms| ms.parse().ok()).unwrap_or(500);
    let child = match supervisor::spawn(&["hostile", "prompt-reader"], false) {
        Ok(child) => child,
        Err(err) => {
            println!("reader-killed: spawn failed: {err}");
            return 1;
        }
    };
    let _ = urt::sleep(wait_ms);
    match supervisor::kill(child) {
        Ok(()) => println!("reader-killed: killed task {child} at its prompt"),
        Err(err) => println!("reader-killed: kill failed: {err}"),
    }
    let _ = supervisor::wait(child);
    0
}

fn prompt_reader(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    loop {
        let edit = LineEdit { prompt: "child> ", text: "pre", cursor: 3, keys: true, wake: false };
        match edit_line(&edit) {
            Edited::Line(line) => println!("prompt-reader: read {line:?}"),
            Edited::EndOfInput => return 0,
            Edited::Interrupted | Edited::HandedBack { .. } => {}
        }
    }
}
