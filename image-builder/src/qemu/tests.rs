//! The harness driven against small shell scripts standing in for QEMU.

use std::time::{Duration, Instant};

use super::*;

const SECOND: Duration = Duration::from_secs(1);

fn script(text: &str) -> Machine {
    Machine::spawn("sh", &["-c".into(), text.into()], Duration::from_secs(30), None).unwrap()
}

#[test]
fn expects_proceed_past_each_match() {
    let mut machine = script("printf 'boot\\nnot memory: x\\nmemory: 1 MiB\\r\\nok ok\\n'; exec sleep 30");
    assert_eq!(machine.expect("boot", SECOND).unwrap(), "boot");
    assert_eq!(machine.expect_line("memory: ", SECOND).unwrap(), "memory: 1 MiB");
    assert_eq!(machine.expect("ok", SECOND).unwrap(), "ok");
    assert_eq!(machine.expect("ok", SECOND).unwrap(), " ok");
    assert_eq!(machine.expect_any(&["absent", "\n"], SECOND).unwrap(), (1, "\n".into()));
    assert!(machine.output().starts_with("boot\nnot memory"));
}

#[test]
fn expect_any_picks_the_earliest_needle() {
    let mut machine = script("printf 'kernel: idle\\n$ '; exec sleep 30");
    let (index, text) = machine.expect_any(&["$ ", "kernel: idle"], SECOND).unwrap();
    assert_eq!((index, text.as_str()), (1, "kernel: idle"));
}

#[test]
fn timeout_error_carries_the_whole_log() {
    let mut machine = script("printf 'hello from the guest\\n'; exec sleep 30");
    let started = Instant::now();
    let error = machine.expect("never printed", Duration::from_millis(200)).unwrap_err();
    assert!(started.elapsed() < 5 * SECOND);
    assert!(matches!(error, HarnessError::Timeout { .. }));
    let message = error.to_string();
    assert!(message.contains("timed out after 200ms waiting for \"never printed\""), "{message}");
    assert!(message.contains("hello from the guest"), "{message}");
}

#[test]
fn exit_while_waiting_is_reported_with_status_and_log() {
    let mut machine = script("printf 'partial'; echo 'qemu: bad kernel' >&2; exit 3");
    let error = machine.expect("complete", 10 * SECOND).unwrap_err();
    assert!(matches!(error, HarnessError::Exited { status: Some(3), .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("partial") && message.contains("qemu: bad kernel"), "{message}");
}

#[test]
fn exit_status_is_returned() {
    let mut machine = script("printf 'selftest: all passed\\n'; exit 33");
    machine.expect("all passed", 10 * SECOND).unwrap();
    assert_eq!(machine.expect_exit(10 * SECOND).unwrap(), 33);
    assert_eq!(machine.expect_exit(SECOND).unwrap(), 33, "status is remembered");
}

#[test]
fn waiting_for_exit_times_out() {
    let mut machine = script("exec sleep 30");
    let error = machine.expect_exit(Duration::from_millis(100)).unwrap_err();
    assert!(error.to_string().contains("waiting for QEMU to exit"), "{error}");
}

#[test]
fn overall_time_limit_caps_every_wait() {
    let mut machine =
        Machine::spawn("sh", &["-c".into(), "exec sleep 30".into()], Duration::from_millis(200), None).unwrap();
    let started = Instant::now();
    let error = machine.expect("x", 60 * SECOND).unwrap_err();
    assert!(started.elapsed() < 5 * SECOND);
    assert!(error.to_string().contains("overall time limit"), "{error}");
}

#[test]
fn send_types_bytes_and_doubles_ctrl_a() {
    let mut machine = script("exec cat");
    machine.send("echo \u{1}x\n").unwrap();
    assert_eq!(machine.expect("x\n", 5 * SECOND).unwrap(), "echo \u{1}\u{1}x\n");
}

#[test]
fn drop_kills_the_process() {
    let machine = script("exec sleep 30");
    let pid = machine.child.id();
    drop(machine);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "process {pid} survived");
}

#[test]
fn missing_artifacts_fail_at_once_with_a_hint() {
    let options = BootOptions {
        kernel: "/nonexistent/kernel.bin".into(),
        initrd: "/nonexistent/boot.img".into(),
        append: None,
        extra_args: Vec::new(),
        timeout: SECOND,
    };
    let error = Machine::boot(options).err().unwrap();
    assert_eq!(
        error.to_string(),
        "kernel image not found at /nonexistent/kernel.bin: build it first (`make`), or point MK_KERNEL at it"
    );
}

#[test]
fn qemu_arguments_follow_the_contract() {
    let options = BootOptions {
        kernel: "k.bin".into(),
        initrd: "b.img".into(),
        append: Some("test=page-fault".into()),
        extra_args: vec!["-icount".into(), "shift=0".into()],
        timeout: SECOND,
    };
    let args = options.qemu_args().join(" ");
    assert_eq!(
        args,
        "-machine pc -accel tcg -cpu qemu64 -m 256M -display none -serial mon:stdio \
         -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot -kernel k.bin -initrd b.img \
         -append test=page-fault -icount shift=0"
    );
}
