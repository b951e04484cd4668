//! xv6 calls that need a file system, pipes or `exec`, which this system
//! does not have: they link, so programs that mention them build, and
//! return -1 as xv6's do when they fail. The arguments are not touched.

use crate::FAILED;

/// Defines each function under its C name, returning -1.
macro_rules! unsupported {
    ($($name:ident($($arg:ty),*);)*) => {
        $(
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($(_: $arg),*) -> i32 {
                FAILED
            }
        )*
    };
}

unsupported! {
    pipe(*mut i32);
    exec(*const u8, *const *const u8);
    open(*const u8, i32);
    mknod(*const u8, i16, i16);
    unlink(*const u8);
    fstat(i32, *mut u8);
    link(*const u8, *const u8);
    mkdir(*const u8);
    chdir(*const u8);
    dup(i32);
    stat(*const u8, *mut u8);
}
