//! C programs written for xv6's user library (`user/c`, docs/c-programs.md):
//! the fork-based echo client and server typed at the shell, in the
//! foreground and in the background; a hundred forks that leave no frame
//! behind; a forked child that faults alone; every socket code from C; and,
//! on the host, that the headers are clean under `-Wall -Werror` and that a
//! C file with a syntax error stops `make image` with gcc's message.
//!
//! The QEMU tests boot the artifacts named by `MK_KERNEL` / `MK_INITRD`; the
//! host tests run the repository's Makefile with a build directory of their
//! own, so the image the other tests use is never touched.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Shell, job_id};

const CTRL_D: &str = "\u{4}";

/// The repository: the parent of the image builder's crate.
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("image-builder has a parent").to_path_buf()
}

/// A fresh empty directory for one host test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("c-programs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Runs `make ARGS` in the repository, as a person would, without the
/// outer make's job server (`make test` runs these tests under make).
fn make(args: &[&str]) -> Output {
    Command::new("make")
        .arg("-C")
        .arg(repository())
        .args(args)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .expect("make runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn the_fork_echo_client_and_server_run_at_the_shell() {
    let mut shell = Shell::boot();
    // Foreground: the forked child reads the console and prints each echo.
    shell.send("forkecho\r");
    shell.expect_line("client: connected to port 7");
    for line in ["hello", "a line with  spaces", "exit is just a word"] {
        shell.send(&format!("{line}\r"));
        let echo = shell.expect_line("echo: ");
        shell.check(echo == format!("echo: {line}"), &format!("{line:?} came back as {echo:?}"));
    }
    shell.send(CTRL_D);
    let summary = shell.expect_line("server: ");
    shell.check(summary == "server: echoed 3 messages", &format!("the server said {summary:?}"));
    let rest = shell.expect("$ ");
    shell.check(!rest.contains("failed"), &format!("a call failed: {rest:?}"));

    // Background: the job holds no console, so the client reads end of input
    // at once, disconnects, and the shell reports the program's end.
    let started = shell.run_one_line("forkecho 9 &");
    let id = job_id(&started).unwrap_or_else(|| shell.fail(&format!("`forkecho 9 &` answered {started:?}")));
    shell.check(started == format!("[{id}] forkecho"), &format!("`forkecho 9 &` answered {started:?}"));
    // The client is told once why it reads nothing.
    shell.expect_line("forkecho: no console input in the background");
    // The shell reports the job's end as it happens, at its prompt.
    shell.expect_line(&format!("[{id}] forkecho exited (status 0)"));
    let log = shell.machine.output();
    shell.check(log.contains("server: echoed 0 messages"), "the background server did not end as expected");
    shell.check(
        log.matches("forkecho: ").count() == 1,
        "a call of the background forkecho failed, or it was told twice that it reads in the background",
    );
}

#[test]
fn a_hundred_forks_leave_free_frames_where_they_were() {
    let mut shell = Shell::boot();
    // Copy semantics, getpid, kill, sbrk; also the warm-up of anything that
    // grows once (init's replies).
    let basics = shell.run("forktest basics");
    let failed: Vec<&String> = basics.iter().filter(|l| l.contains("FAILED")).collect();
    shell.check(failed.is_empty() && basics.len() >= 12, &format!("forktest basics: {basics:?}"));
    shell.check(
        basics.iter().any(|l| l.starts_with("forktest: child ") && l.ends_with(" sees 2 and child")),
        &format!("the child did not see its own copy: {basics:?}"),
    );

    let (free_before, _, tasks_before) = shell.mem();
    let answer = shell.run("forktest loop 100");
    shell.check(
        answer
            == [
                "forktest: 100 children forked, 100 reaped",
                "forktest: ok: every child was forked and reaped",
                "forktest: ok: wait without children returns -1",
            ],
        &format!("forktest loop 100 answered {answer:?}"),
    );
    let (free_after, _, tasks_after) = shell.mem();
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!(
            "100 forks: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"
        ),
    );
}

#[test]
fn a_forked_child_that_faults_dies_alone() {
    let mut shell = Shell::boot();
    let (free_before, _, tasks_before) = shell.mem();
    let answer = shell.run("forktest fault");
    let faults: Vec<&String> = answer.iter().filter(|l| l.starts_with("fault: ")).collect();
    let well_formed = faults.len() == 1
        && faults[0]
            .strip_prefix("fault: task ")
            .and_then(|rest| rest.split_once(" (forktest) page fault at 0x0, rip 0x"))
            .is_some_and(|(task, rest)| task.parse::<u32>().is_ok() && rest.ends_with(", killed"));
    shell.check(well_formed, &format!("not one fault line for the child: {answer:?}"));
    for line in ["forktest: ok: wait returns the child that faulted", "forktest: the parent lives on"] {
        shell.check(answer.iter().any(|l| l == line), &format!("no {line:?} in {answer:?}"));
    }
    shell.check(!answer.iter().any(|l| l.contains("survived")), "the child ran on after its fault");
    let (free_after, _, tasks_after) = shell.mem();
    shell.check(
        (free_after, tasks_after) == (free_before, tasks_before),
        &format!("after the fault: {free_before} free frames and {tasks_before} tasks before, {free_after} and {tasks_after} after"),
    );
}

#[test]
fn every_socket_code_comes_back_to_c() {
    let mut shell = Shell::boot();
    let answer = shell.run("sockerrs");
    for expected in [
        "listen(-1) -> E_INVALID_ARG",
        "connect(PORT, \"example.org\") -> E_INVALID_ARG",
        "connect(PORT) with nobody listening -> E_NOTFOUND",
        "send(PORT) without a socket -> E_NOTFOUND",
        "connect(PORT) again: the listener is connected -> E_WRONG_STATE",
        "listen(PORT): the port is taken -> E_ACCESS_DENIED",
        "send(local) in a forked child: the parent's socket -> E_ACCESS_DENIED",
        "recv(local) after the child disconnected -> E_CONNECTION_RESET_BY_REMOTE",
        "listen for a 65th socket -> E_FAIL",
        "send(local, unmapped buffer, 10) -> E_INVALID_ARG",
        "recv(local, unmapped buffer, 10) -> E_INVALID_ARG",
        "recv(local) after that: the message stayed whole -> 0",
    ] {
        let line = format!("sockerrs: ok: {expected}");
        shell.check(answer.contains(&line), &format!("no {line:?} in {answer:?}"));
    }
    let failed: Vec<&String> = answer.iter().filter(|l| l.contains("FAILED")).collect();
    shell.check(failed.is_empty(), &format!("failed checks: {failed:?}"));
    shell.check(
        answer.last().is_some_and(|l| l == "sockerrs: 28 passed, 0 failed"),
        &format!("sockerrs ended with {:?}", answer.last()),
    );
}

/// Builds every C program, and a file that calls every declared function,
/// with `-Wall -Werror`: the headers agree with the compiler and with
/// themselves, our own programs are clean, and each declared function links.
#[test]
fn the_headers_and_programs_build_with_wall_werror() {
    let dir = scratch("werror");
    let fixture = repository().join("image-builder/tests/fixtures/every_call.c");
    let build = dir.join("build");
    let output = make(&[
        "c-programs",
        &format!("BUILD={}", build.display()),
        &format!("C_PROGRAMS={}", fixture.display()),
        "C_WARNINGS=-Wall -Wextra -Werror",
    ]);
    assert!(output.status.success(), "make c-programs with -Wall -Werror failed:\n{}", text(&output));
    for program in ["every_call", "forkecho", "forktest", "sockerrs"] {
        assert!(build.join("c").join(program).is_file(), "{program} was not built:\n{}", text(&output));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_syntax_error_stops_make_image_with_gccs_message() {
    let dir = scratch("syntax");
    let broken = dir.join("broken.c");
    std::fs::write(
        &broken,
        "#include \"user.h\"\nint\nmain(void)\n{\n  printf(1, \"no semicolon\\n\")\n  exit();\n}\n",
    )
    .expect("write broken.c");
    let build = dir.join("build");
    let output = make(&["image", &format!("BUILD={}", build.display()), &format!("C_PROGRAMS={}", broken.display())]);
    let said = text(&output);
    assert!(!output.status.success(), "make image succeeded with a syntax error:\n{said}");
    // gcc quotes with ASCII or typographic marks, depending on the locale.
    let gcc_said = said.lines().any(|line| line.contains("broken.c:5:30: error: expected") && line.contains("before"));
    assert!(gcc_said, "gcc's message is not in make's output:\n{said}");
    assert!(!build.join("boot.img").exists(), "an image was packed anyway");
    let _ = std::fs::remove_dir_all(&dir);
}
