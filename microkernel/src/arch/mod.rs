//! The one door to architecture code: everything machine-specific lives
//! under `arch::x86_64` and is used through this re-export.

mod x86_64;
pub use self::x86_64::*;
