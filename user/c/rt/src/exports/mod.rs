//! The runtime under its C names. Built for the guest only: on the host
//! these symbols would clash with libc's.

mod console;
mod memory;
mod process;
mod sockets;
mod start;
mod unsupported;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    urt::rt::panic(info)
}

#[global_allocator]
static HEAP: urt::heap::GrowingHeap = urt::heap::GrowingHeap::new();

/// The precompiled `alloc` has unwinding paths that name this; with
/// panic=abort no unwinding ever starts, so it cannot be reached.
#[unsafe(no_mangle)]
pub extern "C" fn _Unwind_Resume() -> ! {
    urt::exit(urt::rt::PANIC_STATUS)
}

/// The precompiled `core` refers to this even with panic=abort.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
