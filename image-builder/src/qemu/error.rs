//! Harness failures. Every failure after QEMU started carries the guest's whole serial log
//! (and QEMU's own stderr), so a failing test shows what the guest said.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Output collected up to the failure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub serial: String,
    pub qemu_stderr: String,
}

#[derive(Debug)]
pub enum HarnessError {
    /// A build artifact is missing: nothing was started.
    MissingArtifact { what: &'static str, path: PathBuf, env_var: &'static str },
    /// QEMU could not be started.
    Spawn { program: String, source: io::Error },
    /// Both QEMU slots stayed busy for too long.
    NoFreeSlot { waited: Duration },
    /// The awaited text or exit did not come in time.
    Timeout { waiting_for: String, timeout: Duration, transcript: Transcript },
    /// QEMU ended while text was still awaited.
    Exited { waiting_for: String, status: Option<i32>, transcript: Transcript },
    /// QEMU ended without an exit status (killed by a signal).
    NoExitStatus { transcript: Transcript },
    /// Talking to QEMU failed.
    Io { action: &'static str, source: io::Error, transcript: Transcript },
}

impl HarnessError {
    /// The collected output, if QEMU got as far as starting.
    pub fn transcript(&self) -> Option<&Transcript> {
        match self {
            HarnessError::Timeout { transcript, .. }
            | HarnessError::Exited { transcript, .. }
            | HarnessError::NoExitStatus { transcript }
            | HarnessError::Io { transcript, .. } => Some(transcript),
            _ => None,
        }
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::MissingArtifact { what, path, env_var } => {
                write!(f, "{what} not found at {}: build it first (`make`), or point {env_var} at it", path.display())?
            }
            HarnessError::Spawn { program, source } => {
                write!(f, "cannot start {program}: {source} (is QEMU installed?)")?
            }
            HarnessError::NoFreeSlot { waited } => {
                write!(f, "no QEMU slot became free in {waited:?}: other test runs hold both slots")?
            }
            HarnessError::Timeout { waiting_for, timeout, .. } => {
                write!(f, "timed out after {timeout:?} waiting for {waiting_for}")?
            }
            HarnessError::Exited { waiting_for, status, .. } => match status {
                Some(code) => write!(f, "QEMU exited with status {code} while waiting for {waiting_for}")?,
                None => write!(f, "QEMU ended (no exit status) while waiting for {waiting_for}")?,
            },
            HarnessError::NoExitStatus { .. } => write!(f, "QEMU ended without an exit status (killed by a signal)")?,
            HarnessError::Io { action, source, .. } => write!(f, "cannot {action}: {source}")?,
        }
        if let Some(transcript) = self.transcript() {
            write!(f, "\n----- guest serial log -----\n{}", transcript.serial)?;
            if !transcript.serial.ends_with('\n') {
                writeln!(f)?;
            }
            write!(f, "----- end of serial log -----")?;
            if !transcript.qemu_stderr.is_empty() {
                write!(f, "\n----- QEMU stderr -----\n{}", transcript.qemu_stderr.trim_end())?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Spawn { source, .. } | HarnessError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
