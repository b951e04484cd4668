//! Boot scenarios: the kernel's boot report, its self tests, and its exception reports.
//!
//! Each test is one QEMU boot of the artifacts named by `MK_KERNEL` / `MK_INITRD`
//! (default `../build/kernel.bin`, `../build/boot.img`). Exit statuses come from the
//! isa-debug-exit device: the kernel writes 0x10 for "passed" (status 33) and 0x11 for
//! "failed / fault" (status 35).

use std::time::Duration;

use bootimg::BootImage;
use image_builder::qemu::{BootOptions, HarnessError, Machine, boot_default, boot_with_append};

const STEP: Duration = Duration::from_secs(60);
const PASSED: i32 = (0x10 << 1) | 1;
const FAILED: i32 = (0x11 << 1) | 1;

/// Unwraps with the error's Display (which holds the guest log) instead of its Debug form.
fn ok<T>(result: Result<T, HarnessError>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
}

/// Waits for a line containing `needle` and returns the whole line.
fn expect_line_containing(machine: &mut Machine, needle: &str) -> String {
    let before = ok(machine.expect(needle, STEP));
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let rest = ok(machine.expect("\n", STEP));
    format!("{}{}", &before[line_start..], rest).trim_end().to_string()
}

#[test]
fn normal_boot_reports_memory_and_modules() {
    let mut machine = ok(boot_default());
    ok(machine.expect("microkernel 0.1.0", STEP));
    let memory = ok(machine.expect_line("memory: ", STEP));
    let boot_image = ok(machine.expect_line("boot image: ", STEP));
    let (outcome, module_lines) = ok(machine.expect_any(&["kernel: idle", "$ "], STEP));

    let image_bytes = std::fs::read(BootOptions::from_env().initrd).expect("boot image readable");
    let image = BootImage::parse(&image_bytes).unwrap_or_else(|error| panic!("{error}"));
    for entry in image.iter() {
        assert!(
            module_lines.contains(entry.name),
            "module '{}' not listed after '{boot_image}' ({memory}); log:\n{}",
            entry.name,
            machine.output()
        );
    }
    assert!(!machine.output().contains("EXCEPTION"), "log:\n{}", machine.output());
    if outcome == 0 {
        // An idle kernel never exits by itself.
        machine.kill();
    }
}

#[test]
fn self_tests_pass_and_exit_with_success_status() {
    let mut machine = ok(boot_with_append("test"));
    ok(machine.expect("selftest: all passed", STEP));
    let status = ok(machine.expect_exit(STEP));
    assert_eq!(status, PASSED, "log:\n{}", machine.output());
}

#[test]
fn page_fault_is_reported_with_its_address() {
    let mut machine = ok(boot_with_append("test=page-fault"));
    let line = expect_line_containing(&mut machine, "EXCEPTION: page fault");
    assert!(line.contains("cr2="), "no cr2 in '{line}'; log:\n{}", machine.output());
    let status = ok(machine.expect_exit(STEP));
    assert_eq!(status, FAILED, "log:\n{}", machine.output());
}

/// The page below the kernel stack is unmapped: an overflow stops with a
/// report instead of overwriting the statics below the stack.
#[test]
fn kernel_stack_overflow_is_caught_by_its_guard_page() {
    let mut machine = ok(boot_with_append("test=stack-overflow"));
    let announced = expect_line_containing(&mut machine, "guard page at 0x");
    let guard = hex_after(&announced, "guard page at 0x");
    let report = expect_line_containing(&mut machine, "EXCEPTION: double fault");
    // The fault comes at the guard page, not further down after the stack
    // ran over whatever lies below it.
    let rsp = hex_after(&report, "rsp=0x");
    assert!((guard..guard + 4096 + 64).contains(&rsp), "rsp {rsp:#x} not at the guard page {guard:#x}: '{report}'");
    let status = ok(machine.expect_exit(STEP));
    assert_eq!(status, FAILED, "log:\n{}", machine.output());
}

/// The hex number right after `label` in `line`.
fn hex_after(line: &str, label: &str) -> u64 {
    let start = line.find(label).expect("label in line") + label.len();
    let digits: String = line[start..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    u64::from_str_radix(&digits, 16).expect("a hex number")
}

#[test]
fn divide_error_is_reported() {
    let mut machine = ok(boot_with_append("test=divide-error"));
    expect_line_containing(&mut machine, "EXCEPTION: divide error");
    let status = ok(machine.expect_exit(STEP));
    assert_eq!(status, FAILED, "log:\n{}", machine.output());
}
