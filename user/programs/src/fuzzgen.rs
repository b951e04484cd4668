//! The pure half of the fuzzers `sysfuzz` and `ipcfuzz`: their seeded random
//! source ([`Rng`], `urt::rng`), pools of interesting values, addresses and lengths, a model of
//! which of the fuzzer's own addresses are mapped, and the result oracle.
//!
//! Both fuzzers lay out their memory the same way (see the constants below),
//! so the model can tell, for a range, whether the kernel must accept it,
//! must refuse it, or may do either (memory the model does not track). The
//! oracle is an [`Expect`]: the set of results the ABI allows for one call.
//! [`syscalls`] plans kernel calls; [`requests`] plans malformed requests to
//! the servers; [`leases`] plans lease calls on a caller that waits.
//! Nothing here makes a syscall.
//!
//! Limits: the model knows only the fuzzer's scratch pages, the first page
//! of its program text, its argument page and regions that are never mapped;
//! any other user address is "unknown", so calls on it are only checked for
//! returning a known result.

mod call_args;
pub mod leases;
pub mod requests;
pub mod syscalls;
mod task_ids;

use abi::{ARGS_VADDR, KernelError, PAGE_SIZE, USER_END, USER_START};
pub use urt::rng::Rng;

const PAGE: u64 = PAGE_SIZE as u64;

/// Scratch memory the fuzzers map: [`SCRATCH_RW_PAGES`] writable pages, then
/// one read-only page, then an unmapped guard page. The kernel may write
/// anywhere in it; the fuzzer keeps nothing there that it trusts.
pub const SCRATCH: u64 = 0x0000_6000_0000_0000;
pub const SCRATCH_RW_PAGES: u64 = 4;
pub const SCRATCH_RO_PAGE: u64 = SCRATCH + SCRATCH_RW_PAGES * PAGE;
pub const SCRATCH_GUARD: u64 = SCRATCH_RO_PAGE + PAGE;
/// Where planned bytes (lease tables, names) are written before a call.
pub const STAGING: u64 = SCRATCH + 2 * PAGE;

/// The window in which `sysfuzz` maps and unmaps at will. Nothing else of
/// the fuzzer lives within [`SANDBOX_RESERVED`] bytes of it, so an unmap of
/// up to 1 GiB from inside the window never touches the program.
pub const SANDBOX: u64 = 0x0000_5000_0000_0000;
pub const SANDBOX_LEN: u64 = 64 << 20;
pub const SANDBOX_RESERVED: u64 = 2 << 30;

/// A region no fuzzer ever keeps mapped.
pub const UNMAPPED_ZONE: u64 = 0x0000_3000_0000_0000;
pub const UNMAPPED_ZONE_LEN: u64 = 1 << 30;

/// Kernel-half addresses: the start of the higher half and the kernel image.
pub const KERNEL_ADDRESSES: [u64; 3] = [0xffff_8000_0000_0000, 0xffff_ffff_8010_0000, 0xffff_ffff_ffff_f000];

/// Values at the edges of the usual ranges.
pub const INTERESTING: [u64; 31] = [
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    15,
    16,
    31,
    32,
    255,
    256,
    257,
    1023,
    1024,
    4095,
    4096,
    4097,
    65535,
    65536,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    (1 << 32) + 1,
    i64::MAX as u64,
    1 << 63,
    u64::MAX - 1,
    u64::MAX,
];

/// Any register value, biased toward edges.
pub fn value(rng: &mut Rng) -> u64 {
    match rng.below(10) {
        0..=4 => rng.pick(&INTERESTING),
        5 | 6 => rng.below(64),
        7 => rng.pick(&INTERESTING).wrapping_add(rng.below(8)).wrapping_sub(4),
        _ => rng.next_u64(),
    }
}

/// A length, biased toward page, message, lease and map limits.
pub fn length(rng: &mut Rng) -> u64 {
    const LENGTHS: [u64; 20] = [
        0,
        1,
        8,
        16,
        24,
        32,
        255,
        256,
        257,
        1024,
        1025,
        4095,
        4096,
        4097,
        8192,
        1 << 20,
        (1 << 20) + 1,
        1 << 30,
        (1 << 30) + PAGE,
        u64::MAX - PAGE + 1,
    ];
    match rng.below(4) {
        0 | 1 => rng.pick(&LENGTHS),
        2 => rng.below(300),
        _ => value(rng),
    }
}

/// An address, from the fuzzer's own pages (writable scratch, read-only
/// text, argument and scratch pages, ends that cross into unmapped pages),
/// the sandbox, never-mapped space, the null page, the top of user space,
/// non-canonical and kernel addresses. Never the program's data, heap or
/// stack: the kernel may write through any of these.
pub fn address(rng: &mut Rng) -> u64 {
    let near_end = |rng: &mut Rng, end: u64| end - 1 - rng.below(64);
    match rng.below(16) {
        0..=3 => SCRATCH + rng.below(SCRATCH_RW_PAGES * PAGE),
        4 => near_end(rng, SCRATCH_RO_PAGE),
        5 => SCRATCH_RO_PAGE + rng.below(PAGE),
        6 => near_end(rng, SCRATCH_GUARD),
        7 => USER_START + rng.below(PAGE),
        8 => ARGS_VADDR + rng.below(PAGE),
        9 => SANDBOX + rng.below(SANDBOX_LEN),
        10 => UNMAPPED_ZONE + rng.below(UNMAPPED_ZONE_LEN),
        11 => rng.below(USER_START),
        12 => rng.pick(&[USER_START - 1, USER_START - 8, USER_END - 8, USER_END - 1, USER_END, USER_END + PAGE]),
        13 => rng.pick(&KERNEL_ADDRESSES) + rng.below(16),
        14 => rng.pick(&[0x1234_5678_9abc_def0, 1 << 63, u64::MAX, u64::MAX - 7]),
        _ => rng.next_u64(),
    }
}

/// Whether `[addr, addr + len)` may reach memory a program uses for its
/// own data: its image past the first text page, its heap or its stack.
/// The pool of [`address`] only starts ranges outside these; callers that
/// let the kernel write long ranges keep them clear with this check.
pub fn touches_program(addr: u64, len: u64) -> bool {
    let end = addr.saturating_add(len.max(1));
    let image = (USER_START + PAGE, 256 << 20);
    let heap = (urt::heap::HEAP_BASE, urt::heap::HEAP_MAX as u64);
    let stack = (abi::STACK_TOP - abi::STACK_SIZE - (16 << 20), (16 << 20) + abi::STACK_SIZE);
    [image, heap, stack].iter().any(|&(start, len)| overlaps(addr, end, start, len))
}

/// What a user range allows, as far as the fuzzer's model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Writable,
    /// Readable, not writable.
    ReadOnly,
    /// The kernel must refuse it.
    Invalid,
    /// Not modelled: the kernel may accept or refuse.
    Unknown,
}

fn within(addr: u64, end: u64, start: u64, len: u64) -> bool {
    addr >= start && end <= start + len
}

fn overlaps(addr: u64, end: u64, start: u64, len: u64) -> bool {
    addr < start + len && end > start
}

/// The ABI's rule for `[addr, addr + len)` applied to the fuzzer's layout.
pub fn access(addr: u64, len: u64) -> Access {
    if len == 0 {
        return if addr <= USER_END { Access::Writable } else { Access::Invalid };
    }
    let Some(end) = addr.checked_add(len).filter(|&end| end <= USER_END) else {
        return Access::Invalid;
    };
    let never_mapped = [(0, USER_START), (SCRATCH_GUARD, PAGE), (UNMAPPED_ZONE, UNMAPPED_ZONE_LEN)];
    if never_mapped.iter().any(|&(start, len)| overlaps(addr, end, start, len)) {
        return Access::Invalid;
    }
    if within(addr, end, SCRATCH, SCRATCH_RW_PAGES * PAGE) {
        return Access::Writable;
    }
    let read_only = [(SCRATCH, (SCRATCH_RW_PAGES + 1) * PAGE), (USER_START, PAGE), (ARGS_VADDR, PAGE)];
    if read_only.iter().any(|&(start, len)| within(addr, end, start, len)) {
        return Access::ReadOnly;
    }
    Access::Unknown
}

/// Whether `[addr, addr + len)` overlaps a page the fuzzer certainly has mapped.
pub fn overlaps_own_pages(addr: u64, len: u64) -> bool {
    let end = addr.saturating_add(len);
    let mapped = [(SCRATCH, (SCRATCH_RW_PAGES + 1) * PAGE), (USER_START, PAGE), (ARGS_VADDR, PAGE)];
    mapped.iter().any(|&(start, len)| overlaps(addr, end, start, len))
}

const fn bit(err: KernelError) -> u16 {
    1 << (-err.code()) as u16
}

/// The results the ABI allows for one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// Whether success is allowed.
    pub ok: bool,
    /// The exact success value required, if any.
    pub value: Option<u64>,
    /// Allowed errors, one bit per code.
    pub errors: u16,
}

impl Expect {
    /// Success, or any error the ABI defines.
    pub const ANY: Expect = Expect { ok: true, value: None, errors: 0xffe };
    pub const OK: Expect = Expect { ok: true, value: None, errors: 0 };

    pub const fn error(err: KernelError) -> Expect {
        Expect { ok: false, value: None, errors: bit(err) }
    }

    pub const fn value(value: u64) -> Expect {
        Expect { ok: true, value: Some(value), errors: 0 }
    }

    /// Whether the raw `rax` is one of the allowed results.
    pub fn admits(&self, rax: i64) -> bool {
        if rax >= 0 {
            return self.ok && self.value.is_none_or(|v| v == rax as u64);
        }
        KernelError::from_code(rax).is_some_and(|err| self.errors & bit(err) != 0)
    }

    /// Whether `rax` is a result at all: non-negative or a defined error.
    pub fn is_known_result(rax: i64) -> bool {
        rax >= 0 || KernelError::from_code(rax).is_some()
    }
}

/// The checks of one call. In the documented order (`Checks::default`, for
/// `call`), the first certain failure decides and possible failures before
/// it are allowed too. Where `docs/abi.md` gives no order
/// ([`Checks::unordered`]), any failing check may be the one reported.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checks {
    errors: u16,
    decided: bool,
    unordered: bool,
}

impl Checks {
    pub fn unordered() -> Checks {
        Checks { unordered: true, ..Checks::default() }
    }

    /// The call certainly fails here with `err` (unless it failed earlier).
    pub fn fail(&mut self, err: KernelError) {
        if !self.decided || self.unordered {
            self.errors |= bit(err);
            self.decided = true;
        }
    }

    /// The call may fail here with `err`.
    pub fn maybe(&mut self, err: KernelError) {
        if !self.decided || self.unordered {
            self.errors |= bit(err);
        }
    }

    pub fn fail_if(&mut self, condition: bool, err: KernelError) {
        if condition {
            self.fail(err);
        }
    }

    /// `BadAddress` unless the range is readable.
    pub fn readable(&mut self, addr: u64, len: u64) {
        match access(addr, len) {
            Access::Writable | Access::ReadOnly => {}
            Access::Invalid => self.fail(KernelError::BadAddress),
            Access::Unknown => self.maybe(KernelError::BadAddress),
        }
    }

    /// `BadAddress` unless the range is writable.
    pub fn writable(&mut self, addr: u64, len: u64) {
        match access(addr, len) {
            Access::Writable => {}
            Access::ReadOnly | Access::Invalid => self.fail(KernelError::BadAddress),
            Access::Unknown => self.maybe(KernelError::BadAddress),
        }
    }

    /// Whether a failure is certain by now.
    pub fn decided(&self) -> bool {
        self.decided
    }

    /// The allowed results; `success` is what the call returns if it passes.
    pub fn finish(self, success: Expect) -> Expect {
        if self.decided {
            Expect { ok: false, value: None, errors: self.errors }
        } else {
            Expect { ok: true, value: success.value, errors: self.errors | success.errors }
        }
    }
}

/// Results counted by kind.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub ok: u64,
    errors: [u64; KernelError::ALL.len()],
}

impl Tally {
    pub fn record(&mut self, rax: i64) {
        match KernelError::ALL.iter().position(|e| e.code() == rax) {
            Some(index) => self.errors[index] += 1,
            None => self.ok += 1,
        }
    }

    pub fn record_error(&mut self, err: KernelError) {
        self.record(err.code());
    }

    pub fn errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Each error seen, with its count, in code order.
    pub fn by_kind(&self) -> impl Iterator<Item = (KernelError, u64)> + '_ {
        KernelError::ALL.iter().zip(self.errors).filter(|(_, n)| *n > 0).map(|(e, n)| (*e, n))
    }
}

#[cfg(test)]
mod tests;
