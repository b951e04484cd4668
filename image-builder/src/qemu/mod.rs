//! Booting the OS in QEMU and talking to it over the serial console, for integration tests.
//!
//! [`Machine::boot`] starts `qemu-system-x86_64` (TCG, never KVM) with the serial port on
//! stdin/stdout. The test types with [`Machine::send`] and reads with the `expect_*`
//! methods, each of which waits for text that appears after the previous match, up to a
//! timeout. Guarantees: every wait ends (per-call timeout and the machine's overall time
//! limit); QEMU is killed when the [`Machine`] is dropped, including during a panic, and,
//! on Linux, when the thread that booted it dies; every error shows the whole serial log;
//! at most [`SLOT_COUNT`] QEMUs run at once. Limit: `send` is for typing short input: the
//! guest must read it (QEMU stops taking input while the guest's UART is full).

mod error;
mod output;
mod slots;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

pub use error::{HarnessError, Transcript};
use output::{OutputLog, WaitOutcome, find_after, find_line_after};
pub use slots::{QemuSlot, SLOT_COUNT};

/// Environment variable naming the flat kernel (default `../build/kernel.bin`).
pub const KERNEL_ENV: &str = "MK_KERNEL";
/// Environment variable naming the boot image (default `../build/boot.img`).
pub const INITRD_ENV: &str = "MK_INITRD";
/// Environment variable naming the QEMU binary (default `qemu-system-x86_64`).
pub const QEMU_ENV: &str = "MK_QEMU";
/// Overall time limit of a machine booted by [`boot_default`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a boot waits for one of the [`SLOT_COUNT`] QEMU slots.
const SLOT_PATIENCE: Duration = Duration::from_secs(600);
/// How long to wait for the last output after QEMU has exited.
const DRAIN_TIME: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// The machine: TCG (KVM is unreliable on the build hosts), serial console and monitor on
/// stdio, and the exit device the kernel uses to report test results.
const FIXED_QEMU_ARGS: &str = "-machine pc -accel tcg -cpu qemu64 -m 256M -display none \
    -serial mon:stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot";

/// What to boot, and for how long at most.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootOptions {
    /// The flat kernel (`image-builder kernel`), passed as `-kernel`.
    pub kernel: PathBuf,
    /// The boot image (`image-builder pack`), passed as `-initrd`.
    pub initrd: PathBuf,
    /// Kernel command line, passed as `-append`.
    pub append: Option<String>,
    /// Further QEMU arguments, appended last.
    pub extra_args: Vec<String>,
    /// Overall time limit: no wait on this machine runs past boot time plus this.
    pub timeout: Duration,
}

impl BootOptions {
    /// The artifacts named by `MK_KERNEL` and `MK_INITRD` (or the default build paths), no
    /// command line, [`DEFAULT_TIMEOUT`].
    pub fn from_env() -> BootOptions {
        BootOptions {
            kernel: artifact_path(KERNEL_ENV, "../build/kernel.bin"),
            initrd: artifact_path(INITRD_ENV, "../build/boot.img"),
            append: None,
            extra_args: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The full QEMU argument list.
    pub fn qemu_args(&self) -> Vec<String> {
        let mut args: Vec<String> = FIXED_QEMU_ARGS.split_whitespace().map(String::from).collect();
        args.extend(["-kernel".into(), self.kernel.display().to_string()]);
        args.extend(["-initrd".into(), self.initrd.display().to_string()]);
        if let Some(append) = &self.append {
            args.extend(["-append".into(), append.clone()]);
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// `$env_var` if set, else `default` relative to the image-builder directory.
pub fn artifact_path(env_var: &str, default: &str) -> PathBuf {
    match std::env::var_os(env_var) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(default),
    }
}

/// Boots the default artifacts with no kernel command line.
pub fn boot_default() -> Result<Machine, HarnessError> {
    Machine::boot(BootOptions::from_env())
}

/// Boots the default artifacts with kernel command line `append`.
pub fn boot_with_append(append: &str) -> Result<Machine, HarnessError> {
    Machine::boot(BootOptions { append: Some(append.into()), ..BootOptions::from_env() })
}

/// A running QEMU and everything it has printed.
pub struct Machine {
    child: Child,
    stdin: Option<ChildStdin>,
    serial: Arc<OutputLog>,
    qemu_stderr: Arc<OutputLog>,
    /// End of the previous match in the serial log; the next expect searches after it.
    cursor: usize,
    time_limit: Duration,
    deadline: Instant,
    status: Option<ExitStatus>,
    _slot: Option<QemuSlot>,
}

impl Machine {
    /// Checks the artifacts exist, waits for a QEMU slot, and starts QEMU.
    pub fn boot(options: BootOptions) -> Result<Machine, HarnessError> {
        for (what, path, env_var) in
            [("kernel image", &options.kernel, KERNEL_ENV), ("boot image", &options.initrd, INITRD_ENV)]
        {
            if !path.is_file() {
                return Err(HarnessError::MissingArtifact { what, path: path.clone(), env_var });
            }
        }
        let program = std::env::var(QEMU_ENV).unwrap_or_else(|_| "qemu-system-x86_64".into());
        let slot = QemuSlot::acquire(SLOT_PATIENCE)?;
        Machine::spawn(&program, &options.qemu_args(), options.timeout, Some(slot))
    }

    /// Starts `program` with piped stdio; the machinery under [`Machine::boot`].
    fn spawn(
        program: &str,
        args: &[String],
        time_limit: Duration,
        slot: Option<QemuSlot>,
    ) -> Result<Machine, HarnessError> {
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // SAFETY: the closure runs in the forked child before exec and only calls prctl,
        // which is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                // Kill QEMU if the test process dies without running Drop (SIGKILL, abort).
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|source| HarnessError::Spawn { program: program.into(), source })?;
        let stdin = child.stdin.take();
        let (serial, _) = OutputLog::collect(child.stdout.take().expect("piped stdout"));
        let (qemu_stderr, _) = OutputLog::collect(child.stderr.take().expect("piped stderr"));
        Ok(Machine {
            child,
            stdin,
            serial,
            qemu_stderr,
            cursor: 0,
            time_limit,
            deadline: Instant::now() + time_limit,
            status: None,
            _slot: slot,
        })
    }

    /// Types `text` into the serial console. Ctrl-A is QEMU's monitor escape under
    /// `-serial mon:stdio`, so it is doubled to reach the guest as itself.
    pub fn send(&mut self, text: &str) -> Result<(), HarnessError> {
        let mut bytes = Vec::with_capacity(text.len());
        for &byte in text.as_bytes() {
            bytes.push(byte);
            if byte == 0x01 {
                bytes.push(0x01);
            }
        }
        let result = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(&bytes).and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin already closed")),
        };
        result.map_err(|source| HarnessError::Io {
            action: "write to QEMU's stdin",
            source,
            transcript: self.transcript(),
        })
    }

    /// Waits for `needle` after the previous match; returns the output from the previous
    /// match up to and including `needle`.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> Result<String, HarnessError> {
        let what = format!("{needle:?}");
        let needle = needle.as_bytes();
        self.wait(what, timeout, |bytes, from| find_after(bytes, needle, from).map(|(_, end)| (end, ())))
            .map(|((), text)| text)
    }

    /// Waits for whichever of `needles` appears first after the previous match; returns its
    /// index and the output up to and including it.
    pub fn expect_any(&mut self, needles: &[&str], timeout: Duration) -> Result<(usize, String), HarnessError> {
        let what = format!("any of {needles:?}");
        self.wait(what, timeout, |bytes, from| {
            needles
                .iter()
                .enumerate()
                .filter_map(|(index, needle)| {
                    find_after(bytes, needle.as_bytes(), from).map(|(start, end)| (start, end, index))
                })
                .min_by_key(|&(start, _, _)| start)
                .map(|(_, end, index)| (end, index))
        })
    }

    /// Waits for a whole line starting with `prefix` after the previous match; returns
    /// that line without its line end.
    pub fn expect_line(&mut self, prefix: &str, timeout: Duration) -> Result<String, HarnessError> {
        let what = format!("a line starting with {prefix:?}");
        let prefix_bytes = prefix.as_bytes();
        let (line_start, _) = self.wait(what, timeout, |bytes, from| {
            find_line_after(bytes, prefix_bytes, from).map(|(start, end)| (end, start))
        })?;
        Ok(self.serial.text_between(line_start, self.cursor).trim_end().to_string())
    }

    /// Waits until `matcher(log, cursor)` finds (match end, value); moves the cursor there.
    fn wait<T>(
        &mut self,
        waiting_for: String,
        timeout: Duration,
        matcher: impl Fn(&[u8], usize) -> Option<(usize, T)>,
    ) -> Result<(T, String), HarnessError> {
        let from = self.cursor;
        let (deadline, limited) = self.deadline_for(timeout);
        match self.serial.wait_for(deadline, |bytes| matcher(bytes, from)) {
            WaitOutcome::Found((end, value)) => {
                self.cursor = end;
                Ok((value, self.serial.text_between(from, end)))
            }
            WaitOutcome::Closed => {
                self.reap(Instant::now() + DRAIN_TIME);
                // Both pipes close when QEMU exits, but stderr's reader may not
                // have read its last words yet; they usually say why it exited.
                self.qemu_stderr.wait_closed(Instant::now() + DRAIN_TIME);
                let status = self.status.and_then(|status| status.code());
                Err(HarnessError::Exited { waiting_for, status, transcript: self.transcript() })
            }
            WaitOutcome::TimedOut => Err(self.timeout_error(waiting_for, timeout, limited)),
        }
    }

    /// Waits for QEMU to exit; returns its exit status (`(v << 1) | 1` for a guest that
    /// wrote `v` to the isa-debug-exit port).
    pub fn expect_exit(&mut self, timeout: Duration) -> Result<i32, HarnessError> {
        let (deadline, limited) = self.deadline_for(timeout);
        let Some(status) = self.reap(deadline) else {
            return Err(self.timeout_error("QEMU to exit".into(), timeout, limited));
        };
        self.serial.wait_closed(Instant::now() + DRAIN_TIME);
        self.qemu_stderr.wait_closed(Instant::now() + DRAIN_TIME);
        status.code().ok_or_else(|| HarnessError::NoExitStatus { transcript: self.transcript() })
    }

    /// Ends QEMU now (for scenarios that never exit by themselves).
    pub fn kill(&mut self) {
        if self.status.is_none() {
            // Fails only if the process already exited; wait() below collects it either way.
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// The whole serial log so far.
    pub fn output(&self) -> String {
        self.serial.text()
    }

    /// Serial log and QEMU's stderr so far.
    pub fn transcript(&self) -> Transcript {
        Transcript { serial: self.serial.text(), qemu_stderr: self.qemu_stderr.text() }
    }

    /// The earlier of now + `timeout` and the machine's deadline, and whether the latter won.
    fn deadline_for(&self, timeout: Duration) -> (Instant, bool) {
        let requested = Instant::now() + timeout;
        if requested > self.deadline { (self.deadline, true) } else { (requested, false) }
    }

    fn timeout_error(&self, waiting_for: String, timeout: Duration, limited: bool) -> HarnessError {
        let (waiting_for, timeout) = if limited {
            (format!("{waiting_for} (the machine's overall time limit ran out)"), self.time_limit)
        } else {
            (waiting_for, timeout)
        };
        HarnessError::Timeout { waiting_for, timeout, transcript: self.transcript() }
    }

    /// Polls for QEMU's exit until `deadline`; records and returns the status.
    fn reap(&mut self, deadline: Instant) -> Option<ExitStatus> {
        while self.status.is_none() {
            match self.child.try_wait() {
                Ok(Some(status)) => self.status = Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(POLL_INTERVAL),
                _ => break,
            }
        }
        self.status
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.stdin.take();
        self.kill();
        // The reader threads end by themselves at end of file; joining them here could
        // wait on a grandchild that inherited the pipes.
    }
}

#[cfg(test)]
mod tests;
