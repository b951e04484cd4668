//! At most [`SLOT_COUNT`] QEMUs at once, across the threads of one test binary and across
//! concurrent test processes: each running QEMU holds an exclusive lock on one of
//! `SLOT_COUNT` lock files in the temporary directory. The lock dies with its file handle,
//! so a crashed test never leaves a slot taken.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::HarnessError;

/// Two cores, two QEMUs: more would only slow every guest and make timeouts flaky.
pub const SLOT_COUNT: usize = 2;

/// How often a waiting test checks for a free slot.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct QemuSlot {
    _lock: File,
}

fn slot_path(directory: &Path, index: usize) -> PathBuf {
    directory.join(format!("microkernel-qemu-slot-{index}.lock"))
}

impl QemuSlot {
    /// Takes a free slot, waiting at most `patience`.
    pub fn acquire(patience: Duration) -> Result<QemuSlot, HarnessError> {
        QemuSlot::acquire_in(&std::env::temp_dir(), patience)
    }

    fn acquire_in(directory: &Path, patience: Duration) -> Result<QemuSlot, HarnessError> {
        let give_up = Instant::now() + patience;
        loop {
            for index in 0..SLOT_COUNT {
                // A slot file that cannot be opened is treated as busy; the wait is bounded.
                let Ok(file) = OpenOptions::new().create(true).append(true).open(slot_path(directory, index)) else {
                    continue;
                };
                match file.try_lock() {
                    Ok(()) => return Ok(QemuSlot { _lock: file }),
                    Err(TryLockError::WouldBlock) => {}
                    // No file locking here (odd file system): run unthrottled rather than not at all.
                    Err(TryLockError::Error(_)) => return Ok(QemuSlot { _lock: file }),
                }
            }
            if Instant::now() >= give_up {
                return Err(HarnessError::NoFreeSlot { waited: patience });
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_holder_waits_until_a_slot_is_free() {
        // A directory of our own, so QEMUs of concurrent test runs do not interfere.
        let directory = std::env::temp_dir().join(format!("qemu-slot-test-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let first = QemuSlot::acquire_in(&directory, Duration::from_secs(5)).unwrap();
        let second = QemuSlot::acquire_in(&directory, Duration::from_secs(5)).unwrap();
        let third = QemuSlot::acquire_in(&directory, Duration::from_millis(120));
        assert!(matches!(third, Err(HarnessError::NoFreeSlot { .. })));
        drop(first);
        let third = QemuSlot::acquire_in(&directory, Duration::from_secs(5));
        assert!(third.is_ok());
        drop((second, third));
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
