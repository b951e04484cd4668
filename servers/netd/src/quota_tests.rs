//! The per-job socket quota: the tasks of one job share
//! `MAX_SOCKETS_PER_JOB` sockets on top of each task's own
//! `MAX_SOCKETS_PER_TASK`, so a program cannot take the table by starting
//! children; other jobs, the system job included, keep theirs.

use abi::JobId;
use libsock::SockError;
use libsock::limits::{MAX_SOCKETS_PER_JOB, MAX_SOCKETS_PER_TASK};
use libsock::proto::Response;

use crate::fake_kernel::World;
use crate::rule_tests::{connect, disconnect, error, fill_job, listen};

#[test]
fn a_job_past_its_quota_gets_e_fail_whichever_of_its_tasks_asks() {
    let mut w = World::new();
    let greedy = w.new_job();
    fill_job(&mut w, greedy, 0);
    // A new task of the job owns nothing yet, but its job is full.
    let child = w.spawn_in(greedy);
    assert_eq!(listen(&mut w, child, 5_000), Some(error(SockError::Fail)));
    let stranger = w.spawn();
    assert_eq!(listen(&mut w, stranger, 5_001), None);
    assert_eq!(connect(&mut w, child, 5_001, "localhost"), error(SockError::Fail));
    // The order of checks holds: a used port is still E_ACCESS_DENIED.
    assert_eq!(listen(&mut w, child, 5_001), Some(error(SockError::AccessDenied)));
    assert_eq!(w.netd.job_socket_count(greedy), MAX_SOCKETS_PER_JOB);

    // Another job is not affected.
    let other = w.spawn();
    assert!(matches!(connect(&mut w, other, 5_001, "localhost"), Response::Ok(_)));
    assert_eq!(w.reply_for(stranger).unwrap().response(), Response::Ok(0));
    let server = w.spawn();
    assert_eq!(listen(&mut w, server, 5_002), None);
}

#[test]
fn the_quota_comes_back_when_sockets_close_and_when_tasks_die() {
    let mut w = World::new();
    let job = w.new_job();
    let links = fill_job(&mut w, job, 0);
    let child = w.spawn_in(job);
    assert_eq!(listen(&mut w, child, 5_000), Some(error(SockError::Fail)));

    // Closing a socket gives its place back (its peer, reset, still counts
    // until its owner learns of the reset).
    let first = links[0];
    assert_eq!(disconnect(&mut w, first.client, first.client_port), Response::Ok(0));
    assert_eq!(w.netd.job_socket_count(job), MAX_SOCKETS_PER_JOB - 1);
    assert_eq!(listen(&mut w, child, 5_000), None);
    let sibling = w.spawn_in(job);
    assert_eq!(listen(&mut w, sibling, 5_001), Some(error(SockError::Fail)));

    // A task's death gives back every socket it owned; its peers in the
    // job stay until their owners learn of the reset.
    let last = links[links.len() - 1];
    w.kill(last.client);
    assert_eq!(w.netd.job_socket_count(job), MAX_SOCKETS_PER_JOB - MAX_SOCKETS_PER_TASK);
    assert_eq!(listen(&mut w, sibling, 5_001), None);
    w.kill(last.server);
    assert_eq!(
        w.netd.job_socket_count(job),
        MAX_SOCKETS_PER_JOB - MAX_SOCKETS_PER_TASK - MAX_SOCKETS_PER_TASK + 1,
        "the first pair's sockets, less the one closed, and the two listens"
    );
    for task in [child, sibling, first.server, first.client] {
        w.kill(task);
    }
    assert_eq!(w.netd.job_socket_count(job), 0);
    assert_eq!(w.netd.socket_count(), 0);
}

#[test]
fn system_job_callers_count_against_their_own_quota() {
    let mut w = World::new();
    fill_job(&mut w, JobId::SYSTEM, 0);
    let service = w.spawn_in(JobId::SYSTEM);
    assert_eq!(listen(&mut w, service, 5_000), Some(error(SockError::Fail)));
    let user = w.spawn();
    assert_eq!(listen(&mut w, user, 5_000), None);
}

#[test]
fn a_task_meets_its_own_limit_before_its_jobs() {
    let mut w = World::new();
    let job = w.new_job();
    let (server, client) = (w.spawn_in(job), w.spawn());
    for port in 0..MAX_SOCKETS_PER_TASK as u32 {
        crate::rule_tests::link(&mut w, server, client, port);
    }
    assert_eq!(listen(&mut w, server, 5_000), Some(error(SockError::Fail)));
    let sibling = w.spawn_in(job);
    assert_eq!(listen(&mut w, sibling, 5_000), None);
}
