//! `sysfuzz [SEED] [COUNT]`: issues COUNT (default 20,000) random syscalls
//! through the raw `syscall` instruction and checks each result against what
//! `docs/abi.md` allows for those arguments (`programs::fuzzgen`).
//!
//! Arguments lean toward edges: 0, 1, -1, page and message limits, unaligned
//! and page-crossing ranges, the null page, kernel and non-canonical
//! addresses, stale and never-valid task ids, lease tables with bad flags and
//! lengths. Every result must be non-negative or a defined `KernelError`, and
//! within the set the oracle allows, and the kernel must give back every
//! register that is not one of the call's results. Progress is printed every 5,000 calls;
//! the last line is `sysfuzz: N calls, M errors by kind (...), ok`, or ends
//! in `FAILED` after listing the unexpected results (exit status 1).
//!
//! The fuzzer never ends or stalls itself: no `exit`, `recv` always waits on
//! an armed timer, unmaps that can succeed stay in its sandbox, and calls
//! that could reach a live task carry an argument the kernel must refuse.
//! Memory it maps is unmapped again (at the latest when it exits).
#![no_std]
#![no_main]

extern crate alloc;

use core::arch::asm;

use abi::{KernelError, MAX_TASKS, PAGE_SIZE, Sysnum, TaskId, map_flags, task_state};
use programs::fuzzgen::syscalls::{Plan, Planner, Tasks, result_registers};
use programs::fuzzgen::{Rng, SANDBOX, SANDBOX_LEN, SCRATCH, SCRATCH_RO_PAGE, SCRATCH_RW_PAGES, STAGING, Tally};
use urt::{println, sys};

urt::entry!(main);

const DEFAULT_SEED: u64 = 1;
const DEFAULT_COUNT: u64 = 20_000;
const PROGRESS_EVERY: u64 = 5_000;
/// Unexpected results printed in full; later ones are only counted.
const MAX_REPORTS: u64 = 20;
/// Sandbox maps kept (so later calls find memory there) up to this many
/// bytes; then the whole sandbox is unmapped.
const SANDBOX_KEEP: u64 = 4 << 20;
/// Largest map kept in the sandbox rather than unmapped at once.
const KEPT_MAP_MAX: u64 = 1 << 20;
const PAGE: u64 = PAGE_SIZE as u64;
const NS_PER_MS: u64 = 1_000_000;

fn main() -> i32 {
    let mut args = urt::args().skip(1);
    let (Some(seed), Some(count)) = (number_arg(args.next(), DEFAULT_SEED), number_arg(args.next(), DEFAULT_COUNT))
    else {
        println!("usage: sysfuzz [SEED] [COUNT]");
        return 2;
    };
    if let Err(err) = map_scratch() {
        println!("sysfuzz: cannot map scratch memory: {err}");
        return 1;
    }
    let mut planner = Planner::new(survey_tasks());
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    let mut unexpected = 0;
    let mut kept = 0;
    let started = sys::now_ns();
    for done in 1..=count {
        let plan = planner.plan(&mut rng);
        prepare(&plan);
        // An unmap that can succeed lies in the sandbox, where nothing of the
        // program lives; `exit` is never planned and `recv` waits on an
        // armed timer.
        // SAFETY: the planner names only memory the program does not use
        // (scratch, sandbox, read-only, unmapped, null and kernel addresses).
        let after = unsafe { raw_syscall(plan.number, plan.args) };
        let rax = after.rax;
        tally.record(rax);
        let disturbed = disturbed_registers(plan.number, &plan.args, &after);
        if !plan.expect.admits(rax) || !disturbed.is_empty() {
            unexpected += 1;
            if unexpected <= MAX_REPORTS {
                report(&plan, rax, &disturbed);
            }
        }
        if rax >= 0
            && let Some((addr, len)) = plan.maps
        {
            kept = dispose_of_map(addr, len, kept);
        }
        if done % PROGRESS_EVERY == 0 && done < count {
            println!("sysfuzz: {done} calls");
        }
    }
    clear_sandbox();
    let elapsed_ms = (sys::now_ns() - started) / NS_PER_MS;
    println!("sysfuzz: seed {seed}: {count} calls in {elapsed_ms} ms, {} succeeded", tally.ok);
    let mut kinds = alloc::string::String::new();
    for (err, n) in tally.by_kind() {
        let sep = if kinds.is_empty() { "" } else { ", " };
        kinds.push_str(&alloc::format!("{sep}{err:?} {n}"));
    }
    let summary = alloc::format!("sysfuzz: {count} calls, {} errors by kind ({kinds})", tally.errors());
    if unexpected > 0 {
        println!("{summary}, {unexpected} unexpected results, FAILED");
        return 1;
    }
    println!("{summary}, ok");
    0
}

fn number_arg(arg: Option<&str>, default: u64) -> Option<u64> {
    arg.map_or(Some(default), |text| text.parse().ok())
}

/// The scratch pages: writable ones, then a read-only one (so that ranges
/// can cross from writable into read-only and then into unmapped memory).
fn map_scratch() -> Result<(), KernelError> {
    sys::map(SCRATCH, SCRATCH_RW_PAGES * PAGE, map_flags::WRITE)?;
    sys::map(SCRATCH_RO_PAGE, PAGE, 0)
}

/// Reads the task table: which ids are live, dead, empty, and ours. When
/// the fuzzer cannot tell itself apart (two of them run), it counts itself
/// as live, which only makes the plans more careful.
fn survey_tasks() -> Tasks {
    let mut tasks = Tasks::default();
    let mut named_like_me = alloc::vec::Vec::new();
    for index in 1..MAX_TASKS {
        match sys::task_info(index) {
            Ok(info) if info.state == task_state::DEAD => tasks.dead.push(TaskId::from_raw(info.id)),
            Ok(info) if sys::task_name(&info) == "sysfuzz" => named_like_me.push(TaskId::from_raw(info.id)),
            Ok(info) => tasks.live.push(TaskId::from_raw(info.id)),
            Err(_) => tasks.empty_slots.push(index as u16),
        }
    }
    match named_like_me[..] {
        [me] => tasks.me = Some(me),
        _ => tasks.live.extend(named_like_me),
    }
    tasks
}

/// Writes the plan's staged bytes and arms the timer it waits on.
fn prepare(plan: &Plan) {
    if !plan.staging.is_empty() {
        // SAFETY: STAGING lies in the scratch pages mapped writable at start,
        // which no planned call can unmap; the staged bytes (at most four
        // leases) fit in the page; no Rust reference points into scratch.
        unsafe { core::ptr::copy_nonoverlapping(plan.staging.as_ptr(), STAGING as *mut u8, plan.staging.len()) };
    }
    if plan.arm_timer {
        let _ = sys::set_timer(sys::now_ns() + NS_PER_MS);
    }
}

/// A successful map either stays (small, in the sandbox) or goes at once;
/// returns the bytes now kept in the sandbox.
fn dispose_of_map(addr: u64, len: u64, kept: u64) -> u64 {
    let in_sandbox = addr >= SANDBOX && addr + len <= SANDBOX + SANDBOX_LEN;
    if in_sandbox && len <= KEPT_MAP_MAX {
        if kept + len <= SANDBOX_KEEP {
            return kept + len;
        }
        clear_sandbox();
        return 0;
    }
    // SAFETY: map refuses ranges with any page already mapped, so the range
    // held nothing of the program: only the fresh pages go.
    let _ = unsafe { sys::unmap(addr, len) };
    kept
}

fn clear_sandbox() {
    // SAFETY: nothing of the program lives in the sandbox.
    let _ = unsafe { sys::unmap(SANDBOX, SANDBOX_LEN) };
}

fn report(plan: &Plan, rax: i64, disturbed: &[&str]) {
    let name =
        Sysnum::try_from(plan.number).map_or_else(|_| alloc::format!("#{}", plan.number), |s| alloc::format!("{s:?}"));
    let result =
        KernelError::from_code(rax).map_or_else(|| alloc::format!("{rax}"), |e| alloc::format!("{rax} ({e:?})"));
    let [a0, a1, a2, a3, a4, a5] = plan.args;
    let allowed = plan.expect;
    println!(
        "sysfuzz: unexpected: {name}({a0:#x}, {a1:#x}, {a2:#x}, {a3:#x}, {a4:#x}, {a5:#x}) = {result}; \
         allowed: ok {} value {:?} errors {:#x}; registers changed: {disturbed:?}",
        allowed.ok, allowed.value, allowed.errors
    );
}

/// What the registers held after a `syscall`.
struct After {
    rax: i64,
    /// `rdi, rsi, rdx, r10, r8, r9`.
    args: [u64; 6],
    /// `r12..r15`, loaded with [`KEPT`] before the call.
    kept: [u64; 4],
}

/// Values put in registers no call uses, to see that the kernel restores them.
const KEPT: [u64; 4] = [0x1212_3434_5656_7878, 0x1313_0000_ffff_1313, 0xdead_beef_0bad_f00d, 0x7fff_ffff_ffff_ffff];
const ARG_REGISTERS: [&str; 6] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];

/// Executes `syscall` with any number and arguments, as a task's own code
/// could, and returns every register a kernel could disturb.
///
/// # Safety
/// The kernel may read or write whatever the arguments name; the caller
/// must make sure that cannot touch memory Rust uses.
unsafe fn raw_syscall(number: u64, args: [u64; 6]) -> After {
    let rax: i64;
    let mut out = args;
    let mut kept = KEPT;
    // SAFETY: forwarded to the caller. Every register the kernel could
    // write is an output, so the compiler assumes nothing about them.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number => rax,
            inout("rdi") out[0],
            inout("rsi") out[1],
            inout("rdx") out[2],
            inout("r10") out[3],
            inout("r8") out[4],
            inout("r9") out[5],
            inout("r12") kept[0],
            inout("r13") kept[1],
            inout("r14") kept[2],
            inout("r15") kept[3],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    After { rax, args: out, kept }
}

/// The registers the kernel changed though the call has no result there.
fn disturbed_registers(number: u64, args: &[u64; 6], after: &After) -> alloc::vec::Vec<&'static str> {
    let may_write = result_registers(number);
    let mut changed: alloc::vec::Vec<&'static str> =
        (0..6).filter(|&i| may_write & (1 << i) == 0 && after.args[i] != args[i]).map(|i| ARG_REGISTERS[i]).collect();
    changed.extend(
        ["r12", "r13", "r14", "r15"]
            .iter()
            .zip(after.kept.iter().zip(KEPT))
            .filter(|(_, (a, b))| **a != *b)
            .map(|(name, _)| *name),
    );
    changed
}
