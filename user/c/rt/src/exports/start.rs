//! `_start`: the program's arguments as C's `argc`/`argv`, then `main`, then
//! `exit` with what `main` returned.

use alloc::vec::Vec;

use crate::argv::c_strings;

unsafe extern "C" {
    /// The C program's `main`.
    fn main(argc: i32, argv: *mut *mut u8) -> i32;
}

/// Reached by a jump with RSP 16-byte aligned: `call` leaves it as the ABI
/// expects at a function's start.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    core::arch::naked_asm!("xor ebp, ebp", "call {start}", "ud2", start = sym start)
}

extern "C" fn start(arg0: u64, arg1: u64, arg2: u64) -> ! {
    urt::rt::start(arg0, arg1, arg2, run_main)
}

fn run_main() -> i32 {
    let mut blob = Vec::new();
    for arg in urt::args() {
        blob.extend_from_slice(arg.as_bytes());
        blob.push(0);
    }
    let (strings, starts) = c_strings(&blob);
    // Both live as long as the program: C keeps `argv` pointers anywhere.
    let strings = strings.leak();
    let mut argv: Vec<*mut u8> = starts.iter().map(|&at| strings[at..].as_mut_ptr()).collect();
    argv.push(core::ptr::null_mut());
    let argc = starts.len() as i32;
    let argv = argv.leak();
    // SAFETY: `main` is the C program's, with the standard signature; argv
    // holds argc zero-terminated strings and a null, all leaked above.
    unsafe { main(argc, argv.as_mut_ptr()) }
}
