//! Jobs: a program the shell starts and every task it starts, at any depth.
//!
//! Init gives each task a job when it creates it; the kernel stamps the
//! caller's job on every message, as it stamps the caller's id, so a server
//! can count what each job holds (netd's sockets) and the console can tell
//! the foreground job from the rest. The kernel itself counts memory frames
//! per job.

/// Names one job. Init chooses the numbers; the kernel only compares them.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(u32);

impl JobId {
    /// Init, the console, netd and the shell: the tasks the system needs to
    /// stay usable. Their memory may come from the reserve no other job can
    /// take ([`SYSTEM_RESERVE_FRAMES`]).
    pub const SYSTEM: JobId = JobId(0);

    pub const fn new(raw: u32) -> Self {
        JobId(raw)
    }

    pub const fn raw(self) -> u32 {
        self.0
    }

    pub const fn is_system(self) -> bool {
        self.0 == 0
    }
}

impl core::fmt::Display for JobId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Frames that only the system job may take: when no more than this many
/// are free, a map request of any other job fails with `NoMemory`, so init,
/// the console and netd can still grow (16 MiB).
pub const SYSTEM_RESERVE_FRAMES: u64 = 4096;

/// The share of the frames outside the reserve that one job may hold, as a
/// divisor: with 4, no job holds more than a quarter, so a single program
/// can never take the memory another job needs.
pub const JOB_FRAME_SHARE: u64 = 4;
