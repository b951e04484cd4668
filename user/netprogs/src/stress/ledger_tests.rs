//! The run's books: credits add up to exactly MESSAGES, kills come on
//! schedule and only to running pairs, and every way a pair can end is
//! judged right.

use abi::TaskId;
use libsock::{ResetReason, SockError};
use urt::proto::init::Ended;

use super::args::Config;
use super::ledger::Ledger;
use super::pair::{FIRST_PORT, Phase};
use super::report::{Call, Ending, Report, Side};
use super::verify::Counts;

fn config(pairs: u32, messages: u64, kill_every: u64) -> Config {
    Config { pairs, messages, kill_every, seed: 5 }
}

fn server_of(id: u32) -> TaskId {
    TaskId::new(10 + 2 * id as u16, 1)
}

fn client_of(id: u32) -> TaskId {
    TaskId::new(11 + 2 * id as u16, 1)
}

/// Starts the pairs the ledger asks for; returns their ids.
fn start_pairs(ledger: &mut Ledger) -> Vec<u32> {
    let mut ids = Vec::new();
    while ledger.wants_pair() {
        let (id, port) = ledger.plan_pair();
        ledger.add_pair(id, port, server_of(id), client_of(id));
        ids.push(id);
    }
    ids
}

fn report(pair: u32, side: Side, verified: u64, wanted: u32, ending: Option<Ending>) -> Report {
    let counts = Counts { verified, bytes: verified * 10, ..Counts::default() };
    Report { pair, side, counts, wanted, ending }
}

fn ask(ledger: &mut Ledger, id: u32, verified: u64, wanted: u32) -> u32 {
    ledger.report(client_of(id), &report(id, Side::Client, verified, wanted, None))
}

fn server_verified(ledger: &mut Ledger, id: u32, verified: u64) {
    assert_eq!(ledger.report(server_of(id), &report(id, Side::Server, verified, 0, None)), 0);
}

const DIED: Ending = Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDied, saw_end: false };
const CLOSED_AFTER_END: Ending =
    Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDisconnected, saw_end: true };

/// A pair that closes in order: its client's last ask gets nothing.
fn close_in_order(ledger: &mut Ledger, id: u32, verified_by_client: u64) {
    assert_eq!(ask(ledger, id, verified_by_client, 3), 0);
    ledger.report(client_of(id), &report(id, Side::Client, 0, 0, Some(Ending::Closed)));
    ledger.report(server_of(id), &report(id, Side::Server, 0, 0, Some(CLOSED_AFTER_END)));
    ledger.exited(client_of(id), Ended::Exited(0));
    ledger.exited(server_of(id), Ended::Exited(0));
}

#[test]
fn credits_add_up_to_exactly_the_messages_asked_for() {
    let mut ledger = Ledger::new(config(2, 10, 0));
    assert_eq!(start_pairs(&mut ledger), [1, 2]);
    assert_eq!(ask(&mut ledger, 1, 0, 6), 6);
    assert_eq!(ask(&mut ledger, 2, 0, 6), 4);
    assert!(!ledger.wants_pair(), "every credit is assigned");
    server_verified(&mut ledger, 1, 5);
    server_verified(&mut ledger, 2, 3);
    close_in_order(&mut ledger, 1, 1);
    close_in_order(&mut ledger, 2, 1);
    assert!(ledger.done());
    assert_eq!(ledger.totals().verified, 10);
    assert_eq!(ledger.summary(), "sockstress: pairs=2 messages=10 bytes=100 lost=0 duplicated=0 corrupted=0 resets=0");
    assert_eq!(ledger.status(), 0);
}

#[test]
fn a_killed_pairs_unverified_credits_go_to_its_replacement() {
    let mut ledger = Ledger::new(config(1, 8, 3));
    assert_eq!(start_pairs(&mut ledger), [1]);
    assert_eq!(ask(&mut ledger, 1, 0, 6), 6);
    assert_eq!(ledger.victim(), None, "not running yet");
    server_verified(&mut ledger, 1, 3);
    assert_eq!(ledger.live_pairs()[0].phase, Phase::Running);
    let (victim, task) = ledger.victim().expect("a kill is due after 3 messages");
    assert_eq!((victim, task), (1, client_of(1)));
    ledger.client_killed(1);
    assert_eq!(ledger.victim(), None, "the only pair is no longer running");
    // The replacement has to wait for the credits: 3 of 6 were used.
    assert!(ledger.wants_pair());
    assert_eq!(start_pairs(&mut ledger), [2]);
    assert_eq!(ask(&mut ledger, 2, 0, 6), 2);
    ledger.report(server_of(1), &report(1, Side::Server, 0, 0, Some(DIED)));
    ledger.exited(server_of(1), Ended::Exited(0));
    ledger.exited(client_of(1), Ended::Killed);
    assert_eq!(ledger.resets(), 1);
    assert_eq!(ask(&mut ledger, 2, 0, 6), 3, "the killed pair's 3 came back");
    server_verified(&mut ledger, 2, 4);
    close_in_order(&mut ledger, 2, 1);
    assert!(ledger.done());
    assert_eq!((ledger.totals().verified, ledger.status()), (8, 0));
    assert!(ledger.summary().ends_with("resets=1"));
}

#[test]
fn kills_follow_the_schedule() {
    let mut ledger = Ledger::new(config(4, 100_000, 10));
    let ids = start_pairs(&mut ledger);
    for &id in &ids {
        assert_eq!(ask(&mut ledger, id, 0, 200), 200);
    }
    let mut kills = 0;
    for step in 0..100 {
        server_verified(&mut ledger, ids[step % 4], 1);
        if let Some((id, task)) = ledger.victim() {
            assert_eq!(task, client_of(id));
            assert_eq!(ledger.live_pairs().iter().find(|p| p.id == id).unwrap().phase, Phase::Running);
            ledger.client_killed(id);
            kills += 1;
            // Revive the pair for the count's sake: a new one would take its place.
            start_pairs(&mut ledger);
            let fresh = ledger.live_pairs().last().unwrap().id;
            ask(&mut ledger, fresh, 0, 200);
            server_verified(&mut ledger, fresh, 1);
        }
    }
    // One kill in every window of 10 messages verified.
    let verified = ledger.totals().verified;
    assert!(kills >= verified / 10 - 1 && kills <= verified / 10, "{kills} kills in {verified} messages");

    let mut never = Ledger::new(config(1, 100, 0));
    start_pairs(&mut never);
    ask(&mut never, 1, 0, 50);
    server_verified(&mut never, 1, 50);
    assert_eq!(never.victim(), None);
}

#[test]
fn a_killed_clients_server_must_see_it_die() {
    for (ending, ok) in [
        (DIED, true),
        (Ending::Reset { call: Call::Send, reason: ResetReason::PeerDied, saw_end: false }, true),
        (CLOSED_AFTER_END, false),
        (Ending::Failed { call: Call::Recv, error: SockError::WrongState }, false),
    ] {
        let mut ledger = Ledger::new(config(1, 100, 1));
        start_pairs(&mut ledger);
        ask(&mut ledger, 1, 0, 9);
        server_verified(&mut ledger, 1, 1);
        ledger.victim().unwrap();
        ledger.client_killed(1);
        ledger.report(server_of(1), &report(1, Side::Server, 0, 0, Some(ending)));
        assert_eq!(ledger.failures().is_empty(), ok, "{ending:?}: {:?}", ledger.failures());
        if !ok {
            assert!(ledger.failures()[0].starts_with("the server saw "), "{:?}", ledger.failures());
            assert_eq!(ledger.take_kills(), [server_of(1)], "the server is given up");
            assert!(!ledger.wants_pair());
        }
    }
}

#[test]
fn an_unplanned_end_fails_the_run() {
    // The client faults: its server sees a death nobody asked for.
    let mut ledger = Ledger::new(config(1, 100, 0));
    start_pairs(&mut ledger);
    ask(&mut ledger, 1, 0, 9);
    ledger.exited(client_of(1), Ended::Fault);
    assert!(ledger.failures()[0].starts_with("the client ended with fault: pair 1 (port 30001"));
    assert_eq!(ledger.take_kills(), [server_of(1)]);
    ledger.exited(server_of(1), Ended::Killed);
    assert!(ledger.done());
    assert_eq!(ledger.status(), 1);

    // A closing client's server sees the close before the end marker.
    let mut ledger = Ledger::new(config(1, 2, 0));
    start_pairs(&mut ledger);
    ask(&mut ledger, 1, 0, 2);
    server_verified(&mut ledger, 1, 2);
    ask(&mut ledger, 1, 0, 2);
    let early = Ending::Reset { call: Call::Recv, reason: ResetReason::PeerDisconnected, saw_end: false };
    ledger.report(server_of(1), &report(1, Side::Server, 0, 0, Some(early)));
    assert_eq!(ledger.failures().len(), 1);
}

#[test]
fn a_damaged_stream_is_counted_not_failed() {
    let mut ledger = Ledger::new(config(1, 10, 0));
    start_pairs(&mut ledger);
    ask(&mut ledger, 1, 0, 5);
    let counts = Counts { verified: 2, bytes: 20, corrupted: 1, ..Counts::default() };
    let broken = Report { pair: 1, side: Side::Server, counts, wanted: 0, ending: Some(Ending::Unframed) };
    ledger.report(server_of(1), &broken);
    assert!(ledger.failures().is_empty());
    assert_eq!(ledger.take_kills(), [server_of(1), client_of(1)]);
    ledger.exited(server_of(1), Ended::Killed);
    ledger.exited(client_of(1), Ended::Killed);
    assert!(ledger.wants_pair(), "the rest of the messages still have to come");
    assert_eq!(ledger.status(), 1);
    assert!(ledger.summary().contains("corrupted=1"));
}

#[test]
fn reports_must_come_from_the_pairs_own_tasks() {
    let mut ledger = Ledger::new(config(1, 10, 0));
    start_pairs(&mut ledger);
    assert_eq!(ledger.report(server_of(1), &report(1, Side::Client, 0, 5, None)), 0);
    assert_eq!(ledger.report(client_of(1), &report(7, Side::Client, 0, 5, None)), 0);
    assert_eq!(ledger.failures().len(), 2);
    assert_eq!(ledger.totals().verified, 0);
}

#[test]
fn live_pairs_never_share_a_port() {
    let mut ledger = Ledger::new(config(3, 1000, 0));
    ledger.add_pair(10_001, FIRST_PORT + 2, server_of(0), client_of(0));
    let ids = start_pairs(&mut ledger);
    let ports: Vec<u16> = ledger.live_pairs().iter().map(|p| p.port).collect();
    assert_eq!(ids, [1, 2]);
    assert_eq!(ports, [FIRST_PORT + 2, FIRST_PORT + 1, FIRST_PORT + 3]);
}
