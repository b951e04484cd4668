//! Fuzzing where the other fuzzers do not reach: IPC between live tasks
//! that are killed mid-conversation (`ipcmesh`), and netd killed or crashed
//! at random moments while socket clients run (`sockloop --reconnect`
//! pairs, with `kill netd` and `crash netd` typed at the shell).
//!
//! Short runs are part of `make test`; the ignored long runs are `make
//! stress`, which prints their figures as `FIGURE` lines. Each test is one
//! QEMU boot of the artifacts named by `MK_KERNEL` / `MK_INITRD` (the image
//! needs ipcmesh, sockloop and netd).

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{PsRow, STEP, Shell, figure};

const SERVICES: [&str; 4] = ["init", "console", "netd", "shell"];

/// The tasks `ps` lists, by id and name (states change with what runs).
fn task_names(rows: &[PsRow]) -> Vec<(u32, String)> {
    rows.iter().map(|row| (row.id, row.name.clone())).collect()
}

/// The number after `key=` in `line`.
fn field(line: &str, key: &str) -> Option<i64> {
    let needle = format!(" {key}=");
    let at = line.find(&needle)? + needle.len();
    line[at..].split_whitespace().next()?.parse().ok()
}

/// One `ipcmesh` run: SEED MS CLIENTS RELAYS SERVERS KILL_EVERY_MS.
type MeshRun = (u64, u64, u32, u32, u32, u64);

/// Runs `ipcmesh` and checks its verdict; returns its IPC operations and kills.
fn mesh(shell: &mut Shell, (seed, ms, c, r, s, kill): MeshRun) -> (i64, i64) {
    let command = format!("ipcmesh {seed} {ms} {c} {r} {s} {kill}");
    let answer = shell.run_within(&command, STEP + Duration::from_millis(ms));
    let verdict = answer.last().cloned().unwrap_or_default();
    let ok = verdict.starts_with(&format!("ipcmesh: seed={seed} "))
        && field(&verdict, "failures") == Some(0)
        && field(&verdict, "frames_leaked") == Some(0);
    shell.check(ok && answer.len() == 1, &format!("`{command}` printed {answer:?}"));
    let count = |key| field(&verdict, key).unwrap_or(0);
    let operations = count("calls") + count("replies") + count("lease_ops") + count("lease_copies");
    shell.check(
        count("calls") > 0 && count("lease_copies") > 0 && count("peer_died") > 0,
        &format!("`{command}`: the mesh should call, copy and see killed peers: {verdict}"),
    );
    (operations, count("kills"))
}

/// Boots, warms the heaps up, runs the meshes; the shell's `mem` and `ps`
/// must be as before. Returns the operations and kills of all runs.
fn meshes(runs: &[MeshRun], limit: Duration) -> (i64, i64) {
    let mut shell = Shell::boot_for(limit);
    // Init's heap grows the first time a program spawns children.
    mesh(&mut shell, (0, 300, 2, 1, 1, 50));
    let tasks_before = task_names(&shell.ps());
    let (free_before, _, _) = shell.mem();
    let (mut operations, mut kills) = (0, 0);
    for &run in runs {
        let (ops, killed) = mesh(&mut shell, run);
        operations += ops;
        kills += killed;
    }
    let tasks_after = task_names(&shell.ps());
    shell.check(tasks_after == tasks_before, &format!("ps: {tasks_before:?} before, {tasks_after:?} after"));
    let (free_after, _, _) = shell.mem();
    shell.check(free_after == free_before, &format!("free frames: {free_before} before, {free_after} after"));
    (operations, kills)
}

#[test]
fn ipc_between_tasks_killed_mid_conversation() {
    meshes(&[(1, 3000, 4, 2, 3, 30), (2, 2000, 2, 2, 2, 5)], Duration::from_secs(240));
}

#[test]
#[ignore = "long: run by `make stress`"]
fn ipc_mesh_for_minutes() {
    let runs: [MeshRun; 4] =
        [(10, 30_000, 4, 2, 3, 30), (11, 30_000, 2, 2, 2, 5), (12, 30_000, 8, 4, 6, 50), (13, 30_000, 3, 1, 2, 300)];
    let (operations, kills) = meshes(&runs, Duration::from_secs(900));
    let command = "cargo test --release --test fuzz_ipc -- --ignored ipc_mesh_for_minutes";
    figure("IPC-mesh operations: calls, replies, lease calls (ipcmesh 10..13, 30 s each)", operations, command);
    figure("IPC-mesh children killed mid-conversation", kills, command);
    figure("frames leaked", 0, command);
}

/// A seeded xorshift for the moments of the injected faults.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Space between crashes: init stops restarting a service that crashes more
/// than 5 times in 10 s; kills do not count. Init counts guest time, which
/// falls behind the host's when the host is loaded (timer ticks are lost),
/// so the spacing leaves room for that: at 2.5 s, init once counted six
/// crashes within its 10 s on a heavily loaded host.
const CRASH_SPACING: Duration = Duration::from_millis(3500);

/// What a fault-injection run did.
struct Injected {
    kills: u64,
    crashes: u64,
    messages: u64,
}

/// `pairs` sockloop pairs with `--reconnect` exchange for `seconds` while
/// netd is killed or crashed every 50..450 ms: every side must see the
/// resets, reconnect and end with `ok`, with no wrong data; afterwards netd
/// runs, sockets work and the free frames are those of before.
fn netd_faults(seed: u64, pairs: u16, seconds: u64, limit: Duration) -> Injected {
    let mut shell = Shell::boot_for(limit);
    let mut moments = Moments(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    // Warm-up: the shell and init grow their heaps with the first programs.
    let from = shell.mark();
    shell.run("sockloop server 7999 --reconnect &");
    shell.run("sockloop client 7999 50 --reconnect");
    shell.wait_reports(from, "sockloop exited (status 0)", 1);
    let tasks_before = task_names(&shell.ps());
    let (free_before, _, _) = shell.mem();

    let from = shell.mark();
    let run_ms = seconds * 1000 + 1000;
    for pair in 0..pairs {
        shell.run(&format!("sockloop server {} --reconnect &", 8000 + pair));
        shell.run(&format!("sockloop client {} 100000000 --reconnect {run_ms} &", 8000 + pair));
    }
    shell.wait_printed(from, "sockloop: connected to port ", pairs as usize, STEP);
    let started = Instant::now();
    let mut injected = Injected { kills: 0, crashes: 0, messages: 0 };
    let mut last_crash: Option<Instant> = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        sleep(Duration::from_millis(50 + moments.below(400)));
        let may_crash = last_crash.is_none_or(|at| at.elapsed() > CRASH_SPACING);
        let action = if may_crash && moments.below(3) == 0 { "crash netd" } else { "kill netd" };
        let answer = shell.run(action);
        shell.check(
            answer.iter().any(|line| line.starts_with("init: netd restarted as task ")),
            &format!(
                "`{action}` (after {} kills, {} crashes): netd was not restarted: {answer:?}",
                injected.kills, injected.crashes
            ),
        );
        if action == "crash netd" {
            injected.crashes += 1;
            last_crash = Some(Instant::now());
        } else {
            injected.kills += 1;
        }
    }

    // Every side ends by itself once its client's time is up.
    shell.wait_printed(from, "sockloop: ok ", 2 * pairs as usize, STEP);
    shell.wait_reports(from, "sockloop exited (status 0)", 2 * pairs as usize);
    let text = shell.since(from);
    let outcomes: Vec<&str> = text.lines().map(str::trim_end).filter(|l| l.starts_with("sockloop: ")).collect();
    let endings: Vec<&str> = outcomes.iter().copied().filter(|l| l.starts_with("sockloop: ok ")).collect();
    shell.check(
        outcomes.len() == pairs as usize + endings.len() && endings.len() == 2 * pairs as usize,
        &format!("each side ends with one `ok` line and nothing else: {outcomes:?}"),
    );
    for line in &endings {
        let numbers: Vec<u64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        let [messages, resets] = numbers[..] else { shell.fail(&format!("ending {line:?}")) };
        shell.check(resets >= 1 && messages > 0, &format!("every side exchanges and sees resets: {line:?}"));
        injected.messages += messages;
    }

    let rows = shell.ps();
    let netd = rows.iter().find(|row| row.name == "netd");
    shell.check(netd.is_some_and(|row| row.state == "recv"), &format!("netd should run and wait for calls: {rows:?}"));
    shell.check(task_names(&rows) == tasks_before, &format!("ps: {tasks_before:?} before, {rows:?} after"));
    let from = shell.mark();
    shell.run("sockloop server 7300 &");
    let answer = shell.run("sockloop client 7300 100");
    shell.check(answer.iter().any(|l| l == "sockloop: ok 100"), &format!("sockets after the faults: {answer:?}"));
    shell.wait_reports(from, "sockloop exited (status 0)", 1);
    let (free_after, _, _) = shell.mem();
    shell.check(free_after == free_before, &format!("free frames: {free_before} before, {free_after} after"));
    let services: Vec<&str> = SERVICES.iter().copied().filter(|s| rows.iter().any(|row| row.name == *s)).collect();
    shell.check(services.len() == SERVICES.len(), &format!("services after the faults: {rows:?}"));
    injected
}

#[test]
fn netd_killed_and_crashed_at_random_while_clients_run() {
    let injected = netd_faults(1, 2, 6, Duration::from_secs(240));
    assert!(injected.kills + injected.crashes >= 10, "too few faults injected");
}

#[test]
#[ignore = "long: run by `make stress`"]
fn netd_faults_for_minutes() {
    let injected = netd_faults(7, 3, 120, Duration::from_secs(900));
    let command = "cargo test --release --test fuzz_ipc -- --ignored netd_faults_for_minutes";
    figure("netd kills injected while 3 sockloop pairs ran (120 s)", injected.kills as i64, command);
    figure("netd crashes injected while 3 sockloop pairs ran (120 s)", injected.crashes as i64, command);
    figure("socket messages checked across netd restarts (both ends)", injected.messages as i64, command);
    figure("frames leaked", 0, command);
}
