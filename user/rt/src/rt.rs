//! Program start and end: what `urt::entry!` wires into every binary.
//!
//! The kernel jumps to `_start` with `rdi`, `rsi` set by whoever started the
//! task (init: the argument blob; the kernel, for init: the boot image).
//! `_start` calls [`start`], which records them, runs `main` and exits with
//! its status. A panic prints `NAME: panic: MESSAGE` and exits with
//! [`PANIC_STATUS`].

use core::fmt::{self, Write};
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use crate::args::{ARGS_MAX, Args};
use crate::fmtbuf::FixedBuf;
use crate::{io, sys};

/// Exit status of a task that panicked.
pub const PANIC_STATUS: i32 = 101;
/// Exit status of a `main` that returned an error.
pub const FAILURE_STATUS: i32 = 1;

static START_ARG0: AtomicU64 = AtomicU64::new(0);
static START_ARG1: AtomicU64 = AtomicU64::new(0);
static START_ARG2: AtomicU64 = AtomicU64::new(0);
static NAME_PTR: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static NAME_LEN: AtomicUsize = AtomicUsize::new(0);

/// Runs `main` and exits with its status. Called by `_start` only.
pub fn start(arg0: u64, arg1: u64, arg2: u64, main: impl FnOnce() -> i32) -> ! {
    START_ARG0.store(arg0, Ordering::Relaxed);
    START_ARG1.store(arg1, Ordering::Relaxed);
    START_ARG2.store(arg2, Ordering::Relaxed);
    let status = main();
    sys::exit(status)
}

/// The raw `rdi`, `rsi` the task was started with.
pub fn start_registers() -> (u64, u64) {
    (START_ARG0.load(Ordering::Relaxed), START_ARG1.load(Ordering::Relaxed))
}

/// The raw `rdx` the task was started with: the kernel passes init its own
/// task id there; a program init starts gets 0.
pub fn start_rdx() -> u64 {
    START_ARG2.load(Ordering::Relaxed)
}

/// The program's arguments, name first; empty if it was not started with an
/// argument page (init is started by the kernel with the boot image instead).
pub fn args() -> Args<'static> {
    let (addr, len) = start_registers();
    if addr != abi::ARGS_VADDR || len as usize > ARGS_MAX {
        return Args::new(&[]);
    }
    // SAFETY: the starter mapped the argument page at ARGS_VADDR with the blob
    // of `len` <= one page bytes, and nothing in this task unmaps it.
    Args::new(unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) })
}

/// Overrides the name used in panic messages (for tasks without arguments).
pub fn set_program_name(name: &'static str) {
    NAME_LEN.store(name.len(), Ordering::Relaxed);
    NAME_PTR.store(name.as_ptr() as *mut u8, Ordering::Relaxed);
}

/// The program's name: set explicitly, else its first argument, else "task".
pub fn program_name() -> &'static str {
    let ptr = NAME_PTR.load(Ordering::Relaxed);
    if !ptr.is_null() {
        let len = NAME_LEN.load(Ordering::Relaxed);
        // SAFETY: ptr and len were stored together from a `&'static str`.
        let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
        return core::str::from_utf8(bytes).unwrap_or("task");
    }
    match args().program() {
        "" => "task",
        name => name,
    }
}

/// What `main` may return.
pub trait Termination {
    fn status(self) -> i32;
}

impl Termination for () {
    fn status(self) -> i32 {
        0
    }
}

impl Termination for i32 {
    fn status(self) -> i32 {
        self
    }
}

impl<E: fmt::Display> Termination for Result<(), E> {
    /// An error is printed as `NAME: error: ERROR` and ends with status 1.
    fn status(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(err) => {
                crate::println!("{}: error: {}", program_name(), err);
                FAILURE_STATUS
            }
        }
    }
}

/// The panic handler's body: one line on the console (no allocation), the
/// location in the kernel log, then exit.
pub fn panic(info: &PanicInfo<'_>) -> ! {
    static PANICKING: AtomicBool = AtomicBool::new(false);
    if PANICKING.swap(true, Ordering::Relaxed) {
        sys::exit(PANIC_STATUS);
    }
    let mut line = FixedBuf::<256>::new();
    let _ = write!(line, "{}: panic: {}", program_name(), info.message());
    line.end_line();
    io::write_bytes(line.as_bytes());
    if let Some(place) = info.location() {
        let mut at = FixedBuf::<128>::new();
        let _ = write!(at, "{}: panicked at {}:{}", program_name(), place.file(), place.line());
        at.end_line();
        let _ = sys::log(at.as_bytes());
    }
    sys::exit(PANIC_STATUS)
}

/// Defines a program's entry point, panic handler, allocator and C memory
/// functions. Use once, in the binary crate: `urt::entry!(main);` where
/// `main` returns `()`, `i32` or `Result<(), impl Display>`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// Reached by a jump with RSP 16-byte aligned: `call` leaves it as
        /// the ABI expects at a function's start.
        #[unsafe(naked)]
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() -> ! {
            core::arch::naked_asm!(
                "xor ebp, ebp",
                "call {start}",
                "ud2",
                start = sym __urt_start,
            )
        }

        extern "C" fn __urt_start(arg0: u64, arg1: u64, arg2: u64) -> ! {
            $crate::rt::start(arg0, arg1, arg2, || $crate::rt::Termination::status($main()))
        }

        #[panic_handler]
        fn __urt_panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::rt::panic(info)
        }

        #[global_allocator]
        static __URT_HEAP: $crate::heap::GrowingHeap = $crate::heap::GrowingHeap::new();

        $crate::memops::export!();

        /// The precompiled `alloc` has unwinding paths that name this; with
        /// panic=abort no unwinding ever starts, so it cannot be reached.
        #[unsafe(no_mangle)]
        pub extern "C" fn _Unwind_Resume() -> ! {
            $crate::sys::exit($crate::rt::PANIC_STATUS)
        }
    };
}
