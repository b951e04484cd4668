//! File descriptors 0, 1 and 2: the console, as on xv6 when the shell
//! starts a program. Output goes out in one console write per `write`;
//! input comes a line at a time (see `crate::lines`).

use spin::Mutex;
use urt::io::Input;

use crate::FAILED;
use crate::lines::LineReader;

static INPUT: Mutex<LineReader> = Mutex::new(LineReader::new());

fn is_console(fd: i32) -> bool {
    (0..=2).contains(&fd)
}

/// xv6 `int write(int fd, const void*, int n)`: `n` once written.
///
/// # Safety
/// `buf` is readable for `n` bytes.
#[unsafe(export_name = "write")]
pub unsafe extern "C" fn write(fd: i32, buf: *const u8, n: i32) -> i32 {
    if !is_console(fd) || n < 0 || (buf.is_null() && n > 0) {
        return FAILED;
    }
    if n > 0 {
        // SAFETY: the caller lends `n` readable bytes at `buf`.
        urt::io::write_bytes(unsafe { core::slice::from_raw_parts(buf, n as usize) });
    }
    n
}

/// xv6 `int read(int fd, void*, int n)`: at most `n` bytes of the current
/// console line (its `\n` included), waiting for a line if none is left;
/// 0 at end of input (Ctrl-D, or a job that does not hold the console).
///
/// # Safety
/// `buf` is writable for `n` bytes.
#[unsafe(export_name = "read")]
pub unsafe extern "C" fn read(fd: i32, buf: *mut u8, n: i32) -> i32 {
    if !is_console(fd) || n < 0 || (buf.is_null() && n > 0) {
        return FAILED;
    }
    if n == 0 {
        return 0;
    }
    let mut input = INPUT.lock();
    if input.is_empty() {
        match urt::read_line() {
            Input::Line(line) => input.push_line(line.as_bytes()),
            Input::EndOfInput | Input::Interrupted => return 0,
        }
    }
    // SAFETY: the caller lends `n` writable bytes at `buf`.
    let out = unsafe { core::slice::from_raw_parts_mut(buf, n as usize) };
    input.take(out) as i32
}

/// xv6 `int close(int fd)`: 0 for the console's descriptors (which stay
/// usable), -1 for any other.
#[unsafe(export_name = "close")]
pub extern "C" fn close(fd: i32) -> i32 {
    if is_console(fd) { 0 } else { FAILED }
}
