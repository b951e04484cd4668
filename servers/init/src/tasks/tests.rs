use super::*;

const SHELL: TaskId = TaskId::new(3, 0);
const A: TaskId = TaskId::new(4, 0);
const B: TaskId = TaskId::new(5, 0);
const C: TaskId = TaskId::new(6, 0);
const JOB: JobId = JobId::new(1);

fn record(id: TaskId, parent: Option<TaskId>, background: bool) -> Record {
    let job = if parent.is_some() { JOB } else { JobId::SYSTEM };
    Record { id, name: Name::new("prog"), parent, job, leads_job: parent == Some(SHELL), background, ended: None }
}

fn table() -> Tasks {
    let mut t = Tasks::new();
    t.add(record(SHELL, None, false)).unwrap();
    t
}

#[test]
fn a_waiter_is_answered_when_the_child_ends() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    assert_eq!(t.wait(SHELL, A), Ok(None));
    assert_eq!(t.ended(A, Ended::Exited(3)).waiter, Some(SHELL));
    assert!(t.get(A).is_none());
    assert_eq!(t.wait(SHELL, A), Err(KernelError::NotFound));
}

#[test]
fn an_ended_child_waits_to_be_collected() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    assert_eq!(t.ended(A, Ended::Killed).waiter, None);
    assert_eq!(t.wait(SHELL, A), Ok(Some(Ended::Killed)));
    assert!(t.get(A).is_none());
}

#[test]
fn only_the_parent_may_wait() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    assert_eq!(t.wait(SHELL, B), Err(KernelError::NotFound));
    assert_eq!(t.wait(A, B), Ok(None));
    assert_eq!(t.wait(A, B), Err(KernelError::BadArgument));
}

#[test]
fn poll_reports_background_children_once_in_order() {
    let mut t = table();
    t.add(record(A, Some(SHELL), true)).unwrap();
    t.add(record(B, Some(SHELL), true)).unwrap();
    t.add(record(C, Some(SHELL), false)).unwrap();
    assert!(t.poll(SHELL).is_none());
    t.ended(B, Ended::Fault);
    t.ended(A, Ended::Exited(0));
    t.ended(C, Ended::Exited(1));
    let first = t.poll(SHELL).unwrap();
    assert_eq!((first.id, first.ended), (A, Some(Ended::Exited(0))));
    assert_eq!(t.poll(SHELL).unwrap().id, B);
    assert!(t.poll(SHELL).is_none(), "foreground children are waited for, not polled");
}

#[test]
fn orphans_and_init_started_tasks_are_dropped_when_they_end() {
    let mut t = table();
    t.add(record(A, Some(SHELL), true)).unwrap();
    t.add(record(B, Some(A), true)).unwrap();
    t.add(record(C, Some(A), true)).unwrap();
    t.ended(C, Ended::Exited(0));
    assert!(t.get(C).is_some());
    t.ended(A, Ended::Exited(0));
    assert!(t.get(C).is_none(), "its parent died before collecting it");
    t.ended(B, Ended::Exited(0));
    assert!(t.get(B).is_none());
    assert_eq!(t.ended(SHELL, Ended::Exited(0)), AfterEnd::default());
    assert!(t.get(SHELL).is_none());
}

#[test]
fn a_dead_waiter_is_forgotten() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    assert_eq!(t.wait(A, B), Ok(None));
    t.ended(A, Ended::Killed);
    assert_eq!(t.ended(B, Ended::Exited(0)).waiter, None);
}

#[test]
fn the_console_goes_back_when_the_foreground_job_leader_ends() {
    let mut t = table();
    t.set_foreground(JOB);
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    assert_eq!(t.ended(B, Ended::Exited(0)).console_back, false, "a child's end changes nothing");
    assert_eq!(t.foreground(), JOB);
    t.add(record(C, Some(A), false)).unwrap();
    assert!(t.ended(A, Ended::Exited(0)).console_back);
    assert_eq!(t.foreground(), JobId::SYSTEM, "C still runs, but without the console");
    assert_eq!(t.job_of(C), Some(JOB));
}

#[test]
fn a_background_job_never_takes_the_console_back() {
    let mut t = table();
    let background = JobId::new(9);
    t.set_foreground(JOB);
    t.add(Record { job: background, ..record(A, Some(SHELL), true) }).unwrap();
    assert!(!t.ended(A, Ended::Exited(0)).console_back);
    assert_eq!(t.foreground(), JOB);
}

#[test]
fn a_job_has_at_most_its_quota_of_tasks_even_uncollected() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    let mut index = 10;
    while t.admit(JOB).is_ok() {
        let child = TaskId::new(index, 0);
        t.add(record(child, Some(A), true)).unwrap();
        // Ended but never collected: still counts.
        t.ended(child, Ended::Exited(0));
        index += 1;
    }
    assert_eq!(t.job_tasks(JOB), JOB_TASKS_MAX);
    assert_eq!(t.admit(JOB), Err(KernelError::NoMemory));
    assert_eq!(t.admit(JobId::new(2)), Ok(()), "another job is not affected");
    assert_eq!(t.admit(JobId::SYSTEM), Ok(()));
    t.ended(A, Ended::Exited(0));
    assert_eq!(t.job_tasks(JOB), 1, "the parent's end drops what it never collected");
}

#[test]
fn the_table_never_grows_past_its_first_allocation() {
    let mut t = table();
    let capacity = t.records.capacity();
    let mut added = 1;
    for job in 1..=(RECORDS_MAX as u32) {
        let job = JobId::new(job);
        if t.admit(job).is_err() {
            break;
        }
        let id = TaskId::new(added as u16, 1);
        t.add(Record { job, ..record(id, Some(SHELL), true) }).unwrap();
        // Ended and never collected: the record stays, the task slot does not.
        t.ended(id, Ended::Exited(0));
        added += 1;
    }
    assert_eq!(added, RECORDS_MAX);
    assert_eq!(t.add(record(TaskId::new(999, 0), Some(SHELL), true)), Err(KernelError::NoMemory));
    assert_eq!(t.records.capacity(), capacity);
}

#[test]
fn new_jobs_skip_the_system_job_and_jobs_in_use() {
    let mut t = table();
    t.next_job = u32::MAX;
    assert_eq!(t.new_job(), JobId::new(u32::MAX));
    t.add(record(A, Some(SHELL), false)).unwrap();
    assert_eq!(t.new_job(), JobId::new(2), "job 1 is in use and 0 is the system's");
}

#[test]
fn names_are_cut_on_a_character_boundary() {
    assert_eq!(Name::new("socktest").as_str(), "socktest");
    assert_eq!(Name::new("abcdefghijklmnopqrstuvwxyz").as_str(), "abcdefghijklmnop");
    assert_eq!(Name::new("aaaaaaaaaaaaaaé").as_str(), "aaaaaaaaaaaaaaé");
    assert_eq!(Name::new("aaaaaaaaaaaaaaaé").as_str(), "aaaaaaaaaaaaaaa");
}

#[test]
fn a_jobs_running_tasks_are_listed_for_kill() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    t.add(record(C, Some(A), true)).unwrap();
    t.ended(C, Ended::Exited(0));
    let mut out = [TaskId::KERNEL; 4];
    assert_eq!(t.running_in(JOB, &mut out), 2);
    assert_eq!(&out[..2], &[A, B]);
    assert_eq!(t.running_in(JobId::new(5), &mut out), 0);
}

#[test]
fn wait_any_collects_an_ended_child_or_waits_for_the_next() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    t.add(record(C, Some(A), false)).unwrap();
    t.ended(C, Ended::Exited(2));
    assert_eq!(t.wait_any(A), Ok(Some((C, Ended::Exited(2)))));
    assert_eq!(t.wait_any(A), Ok(None));
    let after = t.ended(B, Ended::Fault);
    assert_eq!((after.waiter, after.any_child), (Some(A), true));
    assert!(t.get(B).is_none());
    assert_eq!(t.wait_any(A), Err(KernelError::NotFound));
}

#[test]
fn wait_any_is_answered_only_for_the_callers_own_children() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    t.add(record(C, Some(B), false)).unwrap();
    assert_eq!(t.wait_any(A), Ok(None));
    assert_eq!(t.ended(C, Ended::Exited(0)).waiter, None);
    let after = t.ended(B, Ended::Exited(1));
    assert_eq!((after.waiter, after.any_child), (Some(A), true));
}

#[test]
fn wait_any_without_children_is_not_found() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    assert_eq!(t.wait_any(A), Err(KernelError::NotFound));
}

#[test]
fn a_task_is_a_descendant_of_every_ancestor_init_knows() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    t.add(record(C, Some(B), false)).unwrap();
    assert!(t.is_descendant(C, B));
    assert!(t.is_descendant(C, A));
    assert!(t.is_descendant(C, SHELL));
    assert!(!t.is_descendant(A, C));
    assert!(!t.is_descendant(B, C));
    assert!(!t.is_descendant(SHELL, A));
}

#[test]
fn jobs_together_leave_the_system_its_task_slots() {
    let mut t = table();
    let mut index = 10;
    let mut job = 1;
    loop {
        let id = JobId::new(job);
        if t.admit(id).is_err() {
            // A full job: try the next one, until the reserve is reached.
            if t.job_tasks(id) < JOB_TASKS_MAX {
                break;
            }
            job += 1;
            continue;
        }
        t.add(Record { job: id, ..record(TaskId::new(index, 0), Some(SHELL), true) }).unwrap();
        index += 1;
    }
    assert_eq!(index as usize - 10, USER_TASKS_MAX);
    assert_eq!(t.admit(JobId::new(99)), Err(KernelError::NoMemory));
    assert_eq!(t.admit(JobId::SYSTEM), Ok(()), "the system job may still start its services");
}

#[test]
fn an_orphan_is_nobodys_child() {
    let mut t = table();
    t.add(record(A, Some(SHELL), false)).unwrap();
    t.add(record(B, Some(A), false)).unwrap();
    t.ended(A, Ended::Killed);
    assert_eq!(t.get(B).unwrap().parent, None);
    // A later task that happens to get A's id has no claim on B.
    let reused = A;
    t.add(record(reused, Some(SHELL), false)).unwrap();
    assert_eq!(t.wait(reused, B), Err(KernelError::NotFound));
    assert!(!t.is_descendant(B, reused));
}

#[test]
fn a_background_childs_end_names_the_parent_that_polls_for_it() {
    let mut t = table();
    t.add(record(A, Some(SHELL), true)).unwrap();
    t.add(record(B, Some(SHELL), false)).unwrap();
    t.add(record(C, Some(A), true)).unwrap();
    assert_eq!(t.ended(A, Ended::Exited(0)).to_poll, Some(SHELL));
    // A foreground child is collected by `wait`, not `poll`.
    assert_eq!(t.ended(B, Ended::Exited(0)).to_poll, None);
    // Nobody is left to collect a child whose parent ended.
    assert_eq!(t.ended(C, Ended::Exited(0)).to_poll, None);
    // A waiter already has the answer.
    let d = TaskId::new(7, 0);
    t.add(record(d, Some(SHELL), true)).unwrap();
    assert_eq!(t.wait(SHELL, d), Ok(None));
    assert_eq!(t.ended(d, Ended::Killed).to_poll, None);
}
