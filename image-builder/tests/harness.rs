//! The `kernel` and `pack` commands and the QEMU harness, end to end, against a tiny
//! Multiboot kernel assembled from `fixtures/echo_kernel.s` (so they are tested even
//! without the real kernel): it greets, echoes serial input, and exits on 'q'.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use bootimg::{BootImage, EntryKind, FlatProgram};
use image_builder::cli::{self, Member};
use image_builder::commands::run;
use image_builder::qemu::{BootOptions, HarnessError, Machine};

const STEP: Duration = Duration::from_secs(30);

struct Artifacts {
    elf: PathBuf,
    kernel: PathBuf,
    initrd: PathBuf,
}

fn tool(program: &str, args: &[&Path]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|error| panic!("cannot run {program} (binutils installed?): {error}"));
    assert!(status.success(), "{program} {args:?} failed: {status}");
}

/// Assembles and links the echo kernel, then runs `kernel` and `pack` on it (once).
fn artifacts() -> &'static Artifacts {
    static ARTIFACTS: OnceLock<Artifacts> = OnceLock::new();
    ARTIFACTS.get_or_init(|| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("echo-kernel");
        std::fs::create_dir_all(&dir).unwrap();
        let object = dir.join("echo_kernel.o");
        let elf = dir.join("echo_kernel.elf");
        tool("as", &[Path::new("--64"), Path::new("-o"), &object, &fixtures.join("echo_kernel.s")]);
        let script = fixtures.join("echo_kernel.ld");
        let script_arg = PathBuf::from(format!("-T{}", script.display()));
        let options = ["-n", "-static", "--no-warn-rwx-segments", "-o"].map(Path::new);
        tool("ld", &[options[0], options[1], options[2], &script_arg, options[3], &elf, &object]);

        let kernel = dir.join("kernel.bin");
        let initrd = dir.join("boot.img");
        run(&cli::Command::Kernel { elf: elf.clone(), out: kernel.clone() }).unwrap();
        let members = vec![
            Member { name: "init".into(), kind: EntryKind::Flat, elf: elf.clone() },
            Member { name: "echo".into(), kind: EntryKind::Elf, elf: elf.clone() },
        ];
        run(&cli::Command::Pack { out: initrd.clone(), members }).unwrap();
        Artifacts { elf, kernel, initrd }
    })
}

fn ok<T>(result: Result<T, HarnessError>) -> T {
    result.unwrap_or_else(|error| panic!("{error}"))
}

fn boot_echo_kernel() -> Machine {
    let artifacts = artifacts();
    ok(Machine::boot(BootOptions {
        kernel: artifacts.kernel.clone(),
        initrd: artifacts.initrd.clone(),
        append: Some("ignored by this kernel".into()),
        extra_args: Vec::new(),
        timeout: Duration::from_secs(60),
    }))
}

#[test]
fn flat_kernel_mirrors_the_elf_load_segment() {
    let artifacts = artifacts();
    let kernel = std::fs::read(&artifacts.kernel).unwrap();
    assert_eq!(&kernel[..4], &0x1bad_b002u32.to_le_bytes(), "multiboot header comes first");
    assert!(kernel.windows(15).any(|window| window == b"mini kernel up\n"));

    let image_bytes = std::fs::read(&artifacts.initrd).unwrap();
    let image = BootImage::parse(&image_bytes).unwrap();
    let init = FlatProgram::parse(image.find("init").unwrap().data).unwrap();
    assert_eq!(init.load_addr, 0x10_0000);
    assert_eq!(init.bytes, kernel.as_slice(), "program and kernel flatten the same segment");
    assert_eq!(image.find("echo").unwrap().data, std::fs::read(&artifacts.elf).unwrap());
}

#[test]
fn guest_greets_echoes_input_and_exits_with_its_status() {
    let mut machine = boot_echo_kernel();
    ok(machine.expect("mini kernel up\n", STEP));
    ok(machine.send("hello\n"));
    assert_eq!(ok(machine.expect("hello\n", STEP)), "hello\n");
    // Ctrl-A followed by x would quit QEMU if it were not escaped.
    ok(machine.send("\u{1}x!"));
    ok(machine.expect("\u{1}x!", STEP));
    ok(machine.send("q"));
    assert_eq!(ok(machine.expect_exit(STEP)), 33);
}

#[test]
fn failure_shows_the_guest_log() {
    let mut machine = boot_echo_kernel();
    let error = machine.expect("text the guest never prints", Duration::from_secs(2)).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("timed out after 2s"), "{message}");
    assert!(message.contains("----- guest serial log -----\nmini kernel up\n"), "{message}");
}
