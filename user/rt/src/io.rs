//! Console output and input for programs.
//!
//! Output goes to the console server as one `WRITE` per `print!`, so a line
//! printed at once is never mixed with another task's text. Before the
//! console exists, or once it is gone, text goes to the kernel log instead
//! (which reaches COM1 while no console owns it). Input is line by line.

use alloc::string::String;
use alloc::vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use abi::{JobId, KernelError, MAX_MESSAGE, TaskId};

use crate::ipc::{Loan, call};
use crate::proto::console::{HandBack, HandedBack, ReadRequest};
use crate::proto::{check_code, console as proto};
use crate::sys;

/// The console's id once looked up; `TaskId::KERNEL` means not known.
static CONSOLE: AtomicU32 = AtomicU32::new(TaskId::KERNEL.raw());

/// The console server, looking it up if it is not known yet.
pub fn console() -> Result<TaskId, KernelError> {
    let known = TaskId::from_raw(CONSOLE.load(Ordering::Relaxed));
    if known != TaskId::KERNEL {
        return Ok(known);
    }
    let found = sys::lookup(proto::NAME)?;
    CONSOLE.store(found.raw(), Ordering::Relaxed);
    Ok(found)
}

/// Calls the console; if the id is stale (the console was restarted), looks
/// it up again once.
fn call_console(
    op: u32,
    request: &[u8],
    reply: &mut [u8],
    loans: &[Loan<'_>],
) -> Result<crate::ipc::Reply, KernelError> {
    let first = call(console()?, op, request, reply, loans);
    if first != Err(KernelError::PeerDied) {
        return first;
    }
    CONSOLE.store(TaskId::KERNEL.raw(), Ordering::Relaxed);
    call(console()?, op, request, reply, loans)
}

/// Writes `text` to the console (or the kernel log without one).
pub fn write_bytes(text: &[u8]) {
    let sent = if text.len() <= MAX_MESSAGE {
        call_console(proto::WRITE, text, &mut [], &[])
    } else {
        call_console(proto::WRITE, &[], &mut [], &[Loan::read(text)])
    };
    if sent.is_err() {
        let _ = sys::log(text);
    }
}

/// `print!` and `println!` land here: the text is formatted first, then
/// written in one piece.
pub fn print_fmt(args: fmt::Arguments<'_>) {
    match args.as_str() {
        Some(text) => write_bytes(text.as_bytes()),
        None => write_bytes(alloc::fmt::format(args).as_bytes()),
    }
}

/// What reading a console line gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A line, without its end.
    Line(String),
    /// Ctrl-D, or this task is not in the foreground, or there is no console.
    EndOfInput,
    /// Ctrl-C was pressed while this task was reading.
    Interrupted,
}

/// Set once this task was told it reads in the background.
static TOLD_BACKGROUND: AtomicBool = AtomicBool::new(false);

/// Reads one line from the console, blocking until it is complete. A task
/// whose job does not hold the console gets end of input; the first time,
/// it also says so (`NAME: no console input in the background`).
pub fn read_line() -> Input {
    let mut buf = vec![0u8; proto::MAX_LINE];
    let mut len_bytes = [0u8; 4];
    let reply = call_console(proto::READ_LINE, &[], &mut len_bytes, &[Loan::write(&mut buf)]);
    match reply.map(|r| check_code(r.code)) {
        Ok(Ok(proto::LINE)) => {
            let len = (u32::from_le_bytes(len_bytes) as usize).min(buf.len());
            buf.truncate(len);
            Input::Line(String::from_utf8_lossy(&buf).into_owned())
        }
        Ok(Ok(proto::INTERRUPTED)) => Input::Interrupted,
        Ok(Ok(proto::NOT_FOREGROUND)) => {
            if !TOLD_BACKGROUND.swap(true, Ordering::Relaxed) {
                crate::println!("{}: no console input in the background", crate::program_name());
            }
            Input::EndOfInput
        }
        _ => Input::EndOfInput,
    }
}

/// A line to edit at the console: the console draws `prompt` and `text`
/// (the cursor at byte `cursor`) and keeps them drawn below other output.
#[derive(Clone, Copy, Debug, Default)]
pub struct LineEdit<'a> {
    pub prompt: &'a str,
    pub text: &'a str,
    pub cursor: usize,
    /// Up, Down and Tab end the read ([`Edited::HandedBack`]).
    pub keys: bool,
    /// Init's report of an ended background job of this task ends the read.
    pub wake: bool,
}

/// How editing a line ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edited {
    Line(String),
    /// Ctrl-D on an empty line, no console, or not in the foreground.
    EndOfInput,
    Interrupted,
    /// A key or event for this task; `text` and `cursor` are the line so
    /// far, which stays on screen until this task writes or reads again.
    HandedBack {
        why: HandBack,
        text: String,
        cursor: usize,
    },
}

/// Longest prefix of `text` of at most `max` bytes that ends on a
/// character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut len = text.len().min(max);
    while !text.is_char_boundary(len) {
        len -= 1;
    }
    &text[..len]
}

/// Reads a line, edited from `edit.text` (see [`LineEdit`]).
pub fn edit_line(edit: &LineEdit<'_>) -> Edited {
    let prompt = cut(edit.prompt, proto::MAX_PROMPT);
    let text = cut(edit.text, proto::MAX_LINE);
    let mut buf = vec![0u8; proto::MAX_PROMPT + proto::MAX_LINE];
    buf[..prompt.len()].copy_from_slice(prompt.as_bytes());
    buf[prompt.len()..prompt.len() + text.len()].copy_from_slice(text.as_bytes());
    let flags = if edit.keys { proto::READ_KEYS } else { 0 } | if edit.wake { proto::READ_WAKE } else { 0 };
    let request = ReadRequest {
        flags,
        prompt_len: prompt.len() as u16,
        text_len: text.len() as u16,
        cursor: edit.cursor.min(text.len()) as u16,
    };
    let mut answer = [0u8; proto::HANDED_BACK_LEN];
    let reply = call_console(proto::READ_LINE, &request.encode(), &mut answer, &[Loan::read_write(&mut buf)]);
    let text_of = |len: u32, buf: &[u8]| String::from_utf8_lossy(&buf[..(len as usize).min(buf.len())]).into_owned();
    match reply.map(|r| (check_code(r.code), r.len)) {
        Ok((Ok(proto::LINE), 4)) => {
            Edited::Line(text_of(u32::from_le_bytes([answer[0], answer[1], answer[2], answer[3]]), &buf))
        }
        Ok((Ok(proto::INTERRUPTED), _)) => Edited::Interrupted,
        Ok((Ok(proto::HANDED_BACK), _)) => match HandedBack::decode(&answer) {
            Some(back) => {
                let text = text_of(back.len, &buf);
                let cursor = cut(&text, back.cursor as usize).len();
                Edited::HandedBack { why: back.why, text, cursor }
            }
            None => Edited::EndOfInput,
        },
        _ => Edited::EndOfInput,
    }
}

/// Asks the console to post `bits` to `notify` once a line waits for this
/// task; `Ok(true)` when one waits already (nothing will be posted).
pub fn watch_input(notify: TaskId, bits: u32) -> Result<bool, KernelError> {
    let reply = call_console(proto::WATCH_INPUT, &proto::encode_watch(notify, bits), &mut [], &[])?;
    Ok(check_code(reply.code)? == proto::INPUT_READY)
}

/// How waiting for a foreground task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForegroundWait {
    Ended,
    Interrupted,
}

/// Blocks until `task` has ended or Ctrl-C is pressed.
pub fn wait_foreground(task: TaskId) -> Result<ForegroundWait, KernelError> {
    let reply = call_console(proto::WAIT_FOREGROUND, &task.raw().to_le_bytes(), &mut [], &[])?;
    match check_code(reply.code)? {
        proto::INTERRUPTED => Ok(ForegroundWait::Interrupted),
        _ => Ok(ForegroundWait::Ended),
    }
}

/// Tells the console that a background job of `task` ended (init only):
/// a read of `task` that asked to be woken ends.
pub fn job_ended(task: TaskId) -> Result<(), KernelError> {
    let reply = call_console(proto::JOB_ENDED, &task.raw().to_le_bytes(), &mut [], &[])?;
    check_code(reply.code).map(|_| ())
}

/// Gives the console's input to the tasks of `job` (init only).
pub fn set_foreground(job: JobId) -> Result<(), KernelError> {
    let reply = call_console(proto::SET_FOREGROUND, &job.raw().to_le_bytes(), &mut [], &[])?;
    check_code(reply.code).map(|_| ())
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::print_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console; the line and its end go out in one write.
#[macro_export]
macro_rules! println {
    () => { $crate::io::write_bytes(b"\n") };
    ($($arg:tt)*) => {
        $crate::io::print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
