//! The link arguments every user program needs, for its build script:
//! freestanding (no C start files, no libc), static, not position
//! independent, laid out by the runtime's linker script at
//! `abi::USER_START`. A crate's library half stays an ordinary crate (the
//! arguments apply to binaries only), so its pure parts test on the host.

use std::path::PathBuf;

/// Prints the `cargo:` lines that link this package's binaries as user
/// programs. Call it from `build.rs`.
pub fn freestanding_program() {
    let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../rt/user.ld"));
    let script = script.canonicalize().expect("user/rt/user.ld exists");
    for arg in ["-nostartfiles", "-nostdlib", "-static", "-no-pie"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
}
