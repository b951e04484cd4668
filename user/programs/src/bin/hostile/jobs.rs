//! Attacks on what a job shares with other jobs: memory, task slots, init's
//! bookkeeping and the console's input.

use abi::{KernelError, PAGE_SIZE, map_flags};
use urt::io::Input;
use urt::println;
use urt::supervisor;

use crate::Attack;

pub const ATTACKS: &[Attack] = &[
    Attack { name: "memory-hog", about: "map memory until refused; --hold keeps it", run: memory_hog },
    Attack {
        name: "spawn-storm",
        about: "take the job's memory, then spawn N children never waited for",
        run: spawn_storm,
    },
    Attack { name: "zombies", about: "spawn N short-lived children and never collect them", run: zombies },
    Attack { name: "task-flood", about: "start tasks until refused and hold them MS milliseconds", run: task_flood },
    Attack { name: "console-thief", about: "leave a child reading the console and exit", run: console_thief },
    Attack { name: "console-reader", about: "(the thief's child) print every line it reads", run: console_reader },
    Attack { name: "ctrl-c-thief", about: "wait on the console for the shell's Ctrl-C", run: ctrl_c_thief },
    Attack { name: "sleeper", about: "(a flood's child) live MS milliseconds", run: sleeper },
    Attack { name: "exit-at-once", about: "end at once", run: |_| 0 },
];

/// Where the hog maps: far above the heap, below the argument page.
const HOG_BASE: u64 = 0x0000_5000_0000_0000;
/// Bytes asked for per map call; the tail is taken a page at a time.
const HOG_STEP: u64 = 1 << 20;

/// Maps memory until the kernel refuses; returns the frames mapped.
fn take_all_memory() -> Result<u64, KernelError> {
    // Grow the heap first (it never shrinks), so that printing the outcome
    // still finds room once no frame is left.
    drop(core::hint::black_box(alloc::vec![0u8; 16 * 1024]));
    let mut at = HOG_BASE;
    let mut step = HOG_STEP;
    loop {
        match urt::sys::map(at, step, map_flags::WRITE) {
            Ok(()) => at += step,
            Err(KernelError::NoMemory) if step > PAGE_SIZE as u64 => step = PAGE_SIZE as u64,
            Err(KernelError::NoMemory) => return Ok((at - HOG_BASE) / PAGE_SIZE as u64),
            Err(err) => return Err(err),
        }
    }
}

fn memory_hog(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let hold = core::iter::from_fn(|| args.next()).any(|a| a == "--hold");
    let frames = match take_all_memory() {
        Ok(frames) => frames,
        Err(err) => {
            println!("memory-hog: map failed: {err}");
            return 1;
        }
    };
    let Ok(stats) = urt::sys::stats() else { return 1 };
    let within = stats.job_frames <= stats.job_frame_limit;
    println!(
        "memory-hog: mapped {frames} frames; job holds {} of {} ({}), {} free",
        stats.job_frames,
        stats.job_frame_limit,
        if within { "within its share" } else { "OVER its share" },
        stats.free_frames
    );
    if hold {
        println!("memory-hog: holding");
        sleep_forever();
    }
    if within { 0 } else { 1 }
}

fn count_arg(args: &mut dyn Iterator<Item = &'static str>, default: u32) -> u32 {
    args.next().and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Spawns `count` children that end at once and never collects them.
fn spawn_uncollected(count: u32) -> (u32, u32, Option<KernelError>) {
    let (mut spawned, mut refused, mut first_error) = (0, 0, None);
    for _ in 0..count {
        match supervisor::spawn(&["hostile", "exit-at-once"], false) {
            Ok(_) => spawned += 1,
            Err(err) => {
                refused += 1;
                first_error.get_or_insert(err);
            }
        }
    }
    (spawned, refused, first_error)
}

fn report(attack: &str, (spawned, refused, first_error): (u32, u32, Option<KernelError>)) {
    match first_error {
        Some(err) => println!("{attack}: spawned {spawned}, refused {refused} (first: {err})"),
        None => println!("{attack}: spawned {spawned}, refused 0"),
    }
}

fn spawn_storm(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let count = count_arg(args, 3000);
    let frames = take_all_memory().unwrap_or(0);
    println!("spawn-storm: holding {frames} frames");
    report("spawn-storm", spawn_uncollected(count));
    0
}

fn zombies(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let count = count_arg(args, 3000);
    report("zombies", spawn_uncollected(count));
    0
}

fn task_flood(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let hold_ms = count_arg(args, 10_000);
    let hold = alloc::format!("{hold_ms}");
    let mut held = 0u32;
    let refusal = loop {
        match supervisor::spawn(&["hostile", "sleeper", &hold], false) {
            Ok(_) => held += 1,
            Err(err) => break err,
        }
    };
    println!("task-flood: holding {held} tasks (then: {refusal})");
    let _ = urt::time::sleep(hold_ms as u64);
    0
}

/// A flood's child: lives for the given milliseconds.
fn sleeper(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let _ = urt::time::sleep(count_arg(args, 10_000) as u64);
    0
}

fn console_thief(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    match supervisor::spawn(&["hostile", "console-reader"], false) {
        Ok(child) => println!("console-thief: left task {child} reading"),
        Err(err) => println!("console-thief: spawn failed: {err}"),
    }
    0
}

fn console_reader(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    loop {
        match urt::io::read_line() {
            Input::Line(line) => println!("console-reader: stole {line:?}"),
            Input::Interrupted => println!("console-reader: interrupted"),
            Input::EndOfInput => {
                println!("console-reader: end of input");
                return 0;
            }
        }
    }
}

/// Asks the console to wait for a task's end or Ctrl-C, as the shell does
/// for its foreground program: a program that could would take the
/// person's Ctrl-C from the shell.
fn ctrl_c_thief(_: &mut dyn Iterator<Item = &'static str>) -> i32 {
    match urt::io::wait_foreground(abi::TaskId::new(1, 0)) {
        Err(err) => {
            println!("ctrl-c-thief: refused: {err}");
            0
        }
        Ok(how) => {
            println!("ctrl-c-thief: the console waited for it: {how:?}");
            1
        }
    }
}

fn sleep_forever() -> ! {
    loop {
        let _ = urt::time::sleep(1000);
    }
}
