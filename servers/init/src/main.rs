//! Init, the first task: the kernel starts it from the boot image's "init"
//! entry with the whole image mapped read-only and passed in `rdi`/`rsi`.
//!
//! It binds "init" to itself, starts the console (granting it COM1's ports
//! and IRQ 4), netd when the image has it, and the shell in the foreground,
//! then serves spawn, wait, poll, kill, restart, crash and poweroff
//! (`urt::proto::init`) and supervises: it reaps every task that ends, prints
//! one line for each fault, and restarts the servers it started.
#![no_std]
#![no_main]

extern crate alloc;

mod loader;
mod server;
mod services;

use abi::TaskId;
use bootimg::BootImage;

urt::entry!(main);

fn main() -> i32 {
    urt::rt::set_program_name("init");
    let (addr, len) = urt::rt::start_registers();
    if addr != abi::BOOT_IMAGE_VADDR {
        urt::println!("init: started without a boot image");
        return 1;
    }
    // SAFETY: the kernel maps the boot image read-only at BOOT_IMAGE_VADDR,
    // `len` bytes long, for init's whole life, and init never unmaps it.
    let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) };
    let image = match BootImage::parse(bytes) {
        Ok(image) => image,
        Err(err) => {
            urt::println!("init: bad boot image: {err:?}");
            return 1;
        }
    };
    // The kernel starts init with its own id in rdx.
    let me = TaskId::from_raw(urt::rt::start_rdx() as u32);
    if let Err(err) = urt::task::bind(urt::proto::init::NAME, me) {
        urt::println!("init: cannot bind its name: {err}");
    }
    server::Init::new(image, me).run()
}
