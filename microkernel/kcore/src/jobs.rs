//! Memory frames counted per job, and the rule that decides whether a job
//! may take one more.
//!
//! Every frame a task's address space holds (its pages and its page tables)
//! is charged to the task's job when it is allocated and credited back when
//! it is freed. A job other than the system job may take a frame only while
//! it stays within its share and the free frames stay above the system
//! reserve; the system job (init, console, netd, shell) may take any free
//! frame. So no group of programs, however they cooperate, can leave the
//! servers without memory, and no one program can take what another job
//! needs. The table has a fixed size: a job holds frames only through a live
//! task, so there are never more charged jobs than task slots.

use abi::JobId;

/// Why a frame was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The job holds its whole share.
    JobLimit,
    /// Only the system reserve is left.
    Reserve,
    /// No frame is free at all.
    Exhausted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Account {
    job: JobId,
    frames: u64,
}

/// Frames held per job, with the limit that applies to each.
#[derive(Debug)]
pub struct JobAccounts<const N: usize> {
    accounts: [Option<Account>; N],
    reserve: u64,
    job_limit: u64,
}

impl<const N: usize> JobAccounts<N> {
    /// Accounts for a machine with `usable` frames once the kernel took its
    /// own: each job may hold `1/share` of what lies outside the reserve.
    pub const fn new(usable: u64, reserve: u64, share: u64) -> Self {
        let outside = usable.saturating_sub(reserve);
        let share = if share == 0 { 1 } else { share };
        JobAccounts { accounts: [None; N], reserve, job_limit: outside / share }
    }

    /// Most frames one job other than the system job may hold.
    pub const fn job_limit(&self) -> u64 {
        self.job_limit
    }

    /// Frames `job` holds now.
    pub fn held(&self, job: JobId) -> u64 {
        self.accounts.iter().flatten().find(|a| a.job == job).map_or(0, |a| a.frames)
    }

    /// Whether `job` may take `frames` more frames, one by one, while `free`
    /// frames are free (what [`JobAccounts::charge`] would allow).
    pub fn has_room(&self, job: JobId, frames: u64, free: u64) -> bool {
        if job.is_system() {
            return frames <= free;
        }
        let within_share = self.held(job).saturating_add(frames) <= self.job_limit;
        let above_reserve = free.saturating_sub(frames) >= self.reserve;
        within_share && above_reserve && frames <= free
    }

    /// Whether `job` may take one more frame while `free` frames are free;
    /// if so, the frame is charged to it.
    pub fn charge(&mut self, job: JobId, free: u64) -> Result<(), Refusal> {
        if free == 0 {
            return Err(Refusal::Exhausted);
        }
        let held = self.held(job);
        if !job.is_system() {
            if free <= self.reserve {
                return Err(Refusal::Reserve);
            }
            if held >= self.job_limit {
                return Err(Refusal::JobLimit);
            }
        }
        if let Some(account) = self.accounts.iter_mut().flatten().find(|a| a.job == job) {
            account.frames += 1;
            return Ok(());
        }
        // A job holds frames only through a live task, so a slot is free
        // unless more jobs than task slots are charged, which cannot happen.
        let slot = self.accounts.iter_mut().find(|a| a.is_none()).ok_or(Refusal::Exhausted)?;
        *slot = Some(Account { job, frames: 1 });
        Ok(())
    }

    /// Gives one frame of `job` back. Crediting a job that holds nothing is
    /// a kernel bug, reported as `false` rather than wrapping the count.
    pub fn credit(&mut self, job: JobId) -> bool {
        let Some(slot) = self.accounts.iter_mut().find(|a| a.is_some_and(|a| a.job == job)) else {
            return false;
        };
        let account = slot.as_mut().expect("found above");
        account.frames -= 1;
        if account.frames == 0 {
            *slot = None;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const USER_A: JobId = JobId::new(7);
    const USER_B: JobId = JobId::new(8);

    #[test]
    fn a_job_stops_at_its_share() {
        let mut jobs = JobAccounts::<4>::new(1100, 100, 4);
        assert_eq!(jobs.job_limit(), 250);
        for _ in 0..250 {
            assert_eq!(jobs.charge(USER_A, 900), Ok(()));
        }
        assert_eq!(jobs.charge(USER_A, 900), Err(Refusal::JobLimit));
        assert_eq!(jobs.charge(USER_B, 900), Ok(()), "another job is not affected");
        assert!(jobs.credit(USER_A));
        assert_eq!(jobs.charge(USER_A, 900), Ok(()));
    }

    #[test]
    fn only_the_system_job_takes_the_reserve() {
        let mut jobs = JobAccounts::<4>::new(1100, 100, 4);
        assert_eq!(jobs.charge(USER_A, 100), Err(Refusal::Reserve));
        assert_eq!(jobs.charge(USER_A, 101), Ok(()));
        assert_eq!(jobs.charge(JobId::SYSTEM, 1), Ok(()));
        assert_eq!(jobs.charge(JobId::SYSTEM, 0), Err(Refusal::Exhausted));
        assert_eq!(jobs.held(JobId::SYSTEM), 1);
    }

    #[test]
    fn an_account_goes_when_its_last_frame_does() {
        let mut jobs = JobAccounts::<1>::new(1100, 100, 4);
        jobs.charge(USER_A, 500).unwrap();
        assert_eq!(jobs.charge(USER_B, 500), Err(Refusal::Exhausted), "the one account is taken");
        assert!(jobs.credit(USER_A));
        assert_eq!(jobs.held(USER_A), 0);
        assert!(!jobs.credit(USER_A), "nothing left to credit");
        assert_eq!(jobs.charge(USER_B, 500), Ok(()));
    }

    #[test]
    fn room_is_what_charging_one_by_one_would_allow() {
        let mut jobs = JobAccounts::<4>::new(1100, 100, 4);
        for _ in 0..200 {
            jobs.charge(USER_A, 900).unwrap();
        }
        assert!(jobs.has_room(USER_A, 50, 900));
        assert!(!jobs.has_room(USER_A, 51, 900), "past the share");
        assert!(!jobs.has_room(USER_B, 10, 105), "into the reserve");
        assert!(jobs.has_room(USER_B, 5, 105));
        assert!(jobs.has_room(JobId::SYSTEM, 105, 105));
        assert!(!jobs.has_room(JobId::SYSTEM, 106, 105));
    }

    proptest! {
        /// Against a model: held counts match, no user job passes its
        /// limit, and a user job never takes a frame from the reserve.
        #[test]
        fn counts_follow_a_model(ops in proptest::collection::vec((0u32..4, any::<bool>(), 0u64..300), 1..400)) {
            let mut jobs = JobAccounts::<8>::new(400, 50, 3);
            let mut model = [0u64; 4];
            for (job, take, free) in ops {
                let id = JobId::new(job);
                if take {
                    let allowed = free > 0 && (job == 0 || (free > 50 && model[job as usize] < jobs.job_limit()));
                    prop_assert_eq!(jobs.charge(id, free).is_ok(), allowed);
                    if allowed { model[job as usize] += 1; }
                } else {
                    prop_assert_eq!(jobs.credit(id), model[job as usize] > 0);
                    model[job as usize] = model[job as usize].saturating_sub(1);
                }
                prop_assert_eq!(jobs.held(id), model[job as usize]);
            }
        }
    }
}
