//! The checks, one line each.

use abi::{KernelError, TaskId};
use urt::ipc::{Loan, call};
use urt::proto::init::Ended;
use urt::{println, supervisor, task};

use crate::roles::{self, BOUNDS, COPY_DST, COPY_TEXT, COPY_WITHIN, QUIT};

/// Tasks created and destroyed by the frame-leak check.
const CHURN: usize = 100;

struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn check(&mut self, name: &str, outcome: Result<(), alloc::string::String>) {
        match outcome {
            Ok(()) => {
                self.passed += 1;
                println!("ok - {name}");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL - {name}: {why}");
            }
        }
    }
}

fn spawn(argv: &[&str]) -> Result<TaskId, alloc::string::String> {
    supervisor::spawn(argv, false).map_err(|e| alloc::format!("spawn {}: {e}", argv.join(" ")))
}

fn expect(what: &str, got: impl core::fmt::Debug, ok: bool) -> Result<(), alloc::string::String> {
    if ok { Ok(()) } else { Err(alloc::format!("{what}: got {got:?}")) }
}

pub fn run_all() -> i32 {
    let mut tally = Tally { passed: 0, failed: 0 };
    let server = match spawn(&["ipctest", "server"]) {
        Ok(server) => server,
        Err(why) => {
            println!("FAIL - start the test server: {why}");
            return 1;
        }
    };
    let raw = alloc::format!("{}", server.raw());
    tally.check("deferred replies answered out of order", out_of_order(&raw));
    tally.check("lease access past bounds refused with LeaseBounds", bounds(server));
    tally.check("lease-to-lease copy", lease_copy(server, &raw));
    tally.check("overlapping leases copy like memmove", overlapping_copy(server));
    tally.check("caller of a killed server wakes with PeerDied", killed_server());
    tally.check("call to a stale task id fails with PeerDied", stale_id());
    tally.check("a non-init task cannot bind a name", expect_denied(task::bind("ipctest", server)));
    tally.check("a program cannot kill init", cannot_kill_init());
    tally.check("a program cannot power off", cannot_power_off());
    tally.check("100 tasks created and destroyed leave free frames unchanged", churn());
    let _ = call(server, QUIT, &[], &mut [], &[]);
    let _ = supervisor::wait(server);
    println!("{} passed, {} failed", tally.passed, tally.failed);
    tally.failed as i32
}

fn out_of_order(server: &str) -> Result<(), alloc::string::String> {
    let first = spawn(&["ipctest", "client", server, "first-token"])?;
    let second = spawn(&["ipctest", "client", server, "second-token"])?;
    let mut statuses = [supervisor::wait(first), supervisor::wait(second)];
    statuses.sort_by_key(|s| alloc::format!("{s:?}"));
    let ok = statuses == [Ok(Ended::Exited(1)), Ok(Ended::Exited(2))];
    expect("client statuses (reply order 1 and 2, own tokens)", statuses, ok)
}

fn bounds(server: TaskId) -> Result<(), alloc::string::String> {
    let lent = [7u8; 16];
    let mut target = [0u8; 16];
    let mut allowed = [0xffu8; 1];
    let reply = call(server, BOUNDS, &[], &mut allowed, &[Loan::read(&lent), Loan::write(&mut target)]);
    expect("accesses the kernel allowed", allowed[0], reply.is_ok() && allowed[0] == 0)?;
    expect("bytes written by refused accesses", target, target == [0u8; 16])
}

fn lease_copy(server: TaskId, raw: &str) -> Result<(), alloc::string::String> {
    let source = spawn(&["ipctest", "copysrc", raw])?;
    let mut target = [0u8; 32];
    let reply = call(server, COPY_DST, &[], &mut [], &[Loan::write(&mut target)]);
    let status = supervisor::wait(source);
    expect("copy reply", reply, matches!(reply, Ok(r) if r.code == 0))?;
    expect("copied bytes", &target[..COPY_TEXT.len()], &target[..COPY_TEXT.len()] == COPY_TEXT)?;
    expect("source status", status, status == Ok(Ended::Exited(0)))
}

/// Copies within one buffer lent twice (READ and WRITE) across several
/// pages, forwards and backwards, and compares with `copy_within`.
fn overlapping_copy(server: TaskId) -> Result<(), alloc::string::String> {
    const LEN: usize = 3 * 4096;
    let pattern = |i: usize| (i * 7 + i / 251) as u8;
    let mut lent: alloc::vec::Vec<u8> = (0..LEN).map(pattern).collect();
    let mut model = lent.clone();
    // Destination above the source, then below it; neither offset is page
    // aligned, so the kernel's page pieces end at different places.
    for (from, to, len) in [(100, 1_300, 2 * 4096 + 500), (2_000, 30, 2 * 4096 + 900)] {
        let request = roles::copy_within_request(from, to, len);
        let reply = call(server, COPY_WITHIN, &request, &mut [], &Loan::read_and_write(&mut lent));
        expect("copy reply", reply, matches!(reply, Ok(r) if r.code == 0))?;
        model.copy_within(from..from + len, to);
        let first_wrong = lent.iter().zip(&model).position(|(a, b)| a != b);
        expect(
            &alloc::format!("first wrong byte after copying {len} bytes from {from} to {to}"),
            first_wrong,
            first_wrong.is_none(),
        )?;
    }
    Ok(())
}

/// The server of the PeerDied checks, killed by `killed_server` and then
/// called again by `stale_id`.
static DOOMED: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(u32::MAX);

fn killed_server() -> Result<(), alloc::string::String> {
    let doomed = spawn(&["ipctest", "server"])?;
    DOOMED.store(doomed.raw(), core::sync::atomic::Ordering::Relaxed);
    let caller = spawn(&["ipctest", "caller", &alloc::format!("{}", doomed.raw())])?;
    // Give the caller time to block in its call.
    let _ = urt::sleep(50);
    supervisor::kill(doomed).map_err(|e| alloc::format!("kill: {e}"))?;
    let killed = supervisor::wait(doomed);
    let status = supervisor::wait(caller);
    expect("server end", killed, killed == Ok(Ended::Killed))?;
    expect("caller status (0 = PeerDied)", status, status == Ok(Ended::Exited(0)))
}

fn stale_id() -> Result<(), alloc::string::String> {
    let doomed = TaskId::from_raw(DOOMED.load(core::sync::atomic::Ordering::Relaxed));
    let result = call(doomed, roles::HOLD, b"x", &mut [], &[]);
    expect("call result", result, result == Err(KernelError::PeerDied))
}

fn expect_denied(result: Result<(), KernelError>) -> Result<(), alloc::string::String> {
    expect("result", result, result == Err(KernelError::Denied))
}

fn cannot_kill_init() -> Result<(), alloc::string::String> {
    let init = urt::sys::lookup(urt::proto::init::NAME).map_err(|e| alloc::format!("lookup init: {e}"))?;
    expect_denied(supervisor::kill(init))?;
    expect_denied(task::task_kill(init))
}

fn cannot_power_off() -> Result<(), alloc::string::String> {
    let asked = supervisor::poweroff();
    expect("init's answer", asked, asked == KernelError::Denied)?;
    let direct = task::poweroff();
    expect("the kernel's answer", direct, direct == KernelError::Denied)
}

fn churn() -> Result<(), alloc::string::String> {
    let run_one = || -> Result<(), alloc::string::String> {
        let id = spawn(&["ipctest", "exit"])?;
        let ended = supervisor::wait(id);
        expect("helper end", ended, ended == Ok(Ended::Exited(0)))
    };
    // Warm up first: init's and the console's heaps grow once, then stay.
    for _ in 0..5 {
        run_one()?;
    }
    let before = urt::sys::stats().map_err(|e| alloc::format!("stats: {e}"))?;
    for _ in 0..CHURN {
        run_one()?;
    }
    let after = urt::sys::stats().map_err(|e| alloc::format!("stats: {e}"))?;
    expect(
        "free frames before and after",
        (before.free_frames, after.free_frames),
        before.free_frames == after.free_frames,
    )
}
