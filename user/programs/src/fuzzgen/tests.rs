use abi::{KernelError as E, Lease, MAX_TASKS, Sysnum, TaskId};
use libsock::proto::{PROTOCOL_VERSION, Request, encode_request};
use urt::proto::{console, init};

use super::requests::{self, Answer, NetdAnswer, Server};
use super::syscalls::{HUGE_MAP, HUGE_MAPS, IdClass, Planner, Tasks, result_registers};
use super::*;

const ROUNDS: usize = 200_000;

fn tasks() -> Tasks {
    Tasks {
        me: Some(TaskId::new(5, 0)),
        live: vec![TaskId::new(1, 0), TaskId::new(2, 0), TaskId::new(3, 1), TaskId::new(4, 0)],
        dead: vec![TaskId::new(6, 2)],
        empty_slots: vec![7, 8, 9],
    }
}

#[test]
fn the_memory_model_follows_the_layout() {
    assert_eq!(access(SCRATCH, PAGE), Access::Writable);
    assert_eq!(access(SCRATCH_RO_PAGE - 8, 16), Access::ReadOnly, "writable into read-only");
    assert_eq!(access(SCRATCH_GUARD - 8, 16), Access::Invalid, "into the guard page");
    assert_eq!(access(USER_START + 8, 8), Access::ReadOnly);
    assert_eq!(access(USER_START - 8, 16), Access::Invalid);
    assert_eq!(access(0, 0), Access::Writable, "empty ranges are valid below USER_END");
    assert_eq!(access(KERNEL_ADDRESSES[0], 0), Access::Invalid);
    assert_eq!(access(USER_END - 8, 9), Access::Invalid);
    assert_eq!(access(u64::MAX, 2), Access::Invalid, "overflow");
    assert_eq!(access(UNMAPPED_ZONE + 5, 1), Access::Invalid);
    assert_eq!(access(SANDBOX, 8), Access::Unknown);
    assert!(overlaps_own_pages(SCRATCH - PAGE, 2 * PAGE));
    assert!(touches_program(USER_START + 8, 1 << 20) && !touches_program(USER_START + 8, 64));
    assert!(touches_program(abi::STACK_TOP - 64, 8) && !touches_program(SCRATCH, 1 << 20));
    assert!(!overlaps_own_pages(SANDBOX, abi::MAX_MAP));
}

#[test]
fn expectations_admit_only_what_they_name() {
    assert!(Expect::OK.admits(0) && Expect::OK.admits(7) && !Expect::OK.admits(-2));
    assert!(Expect::value(1).admits(1) && !Expect::value(1).admits(0));
    let denied = Expect::error(E::Denied);
    assert!(denied.admits(-5) && !denied.admits(-3) && !denied.admits(0));
    assert!(Expect::ANY.admits(-11) && !Expect::ANY.admits(-12) && !Expect::ANY.admits(-100));
    assert!(!Expect::is_known_result(-12) && Expect::is_known_result(-1) && Expect::is_known_result(5));
}

#[test]
fn the_first_certain_failure_decides() {
    let mut c = Checks::default();
    c.maybe(E::NotFound);
    c.fail(E::BadAddress);
    c.fail(E::PeerDied);
    let expect = c.finish(Expect::OK);
    assert!(!expect.ok && expect.admits(-9) && expect.admits(-2) && !expect.admits(-4));
    let mut c = Checks::unordered();
    c.fail(E::PeerDied);
    c.fail(E::BadAddress);
    let expect = c.finish(Expect::OK);
    assert!(!expect.ok && expect.admits(-4) && expect.admits(-2), "without an order, any failing check");
    let mut c = Checks::default();
    c.readable(SANDBOX, 8);
    let expect = c.finish(Expect::value(3));
    assert!(expect.admits(3) && expect.admits(-2) && !expect.admits(2));
}

#[test]
fn ids_are_classified_as_the_kernel_resolves_them() {
    let t = tasks();
    assert_eq!(t.classify(0), IdClass::NoSuchTask);
    assert_eq!(t.classify(u32::MAX), IdClass::NoSuchTask);
    assert_eq!(t.classify(TaskId::new(MAX_TASKS as u16 + 44, 0).raw()), IdClass::NoSuchTask);
    assert_eq!(t.classify(TaskId::new(5, 0).raw()), IdClass::Me);
    assert_eq!(t.classify(TaskId::new(3, 1).raw()), IdClass::Live);
    assert_eq!(t.classify(TaskId::new(3, 0).raw()), IdClass::Dead, "stale generation");
    assert_eq!(t.classify(TaskId::new(6, 2).raw()), IdClass::Dead);
    assert_eq!(t.classify(TaskId::new(8, 0).raw()), IdClass::Unknown);
}

#[test]
fn planned_syscalls_never_end_stall_or_unmap_the_fuzzer() {
    let mut planner = Planner::new(tasks());
    let mut rng = Rng::new(7);
    let (mut huge, mut seen) = (0, vec![0u32; Sysnum::ALL.len()]);
    for _ in 0..ROUNDS {
        let plan = planner.plan(&mut rng);
        assert_ne!(plan.number, Sysnum::Exit as u64);
        let Ok(sysnum) = Sysnum::try_from(plan.number) else {
            assert_eq!(plan.expect, Expect::error(E::NoSuchCall));
            continue;
        };
        seen[sysnum as usize] += 1;
        let [a0, a1, a2, ..] = plan.args;
        match sysnum {
            Sysnum::Recv if plan.expect.ok => {
                assert!(plan.arm_timer && a2 & notify_timer() != 0, "{plan:?}");
            }
            Sysnum::ReplyRecv => {
                assert!(!plan.expect.ok && plan.arm_timer && plan.args[4] & notify_timer() != 0);
            }
            Sysnum::Reply2Recv => {
                assert!(!plan.expect.ok && plan.arm_timer && plan.args[5] & notify_timer() != 0);
            }
            Sysnum::Unmap if plan.expect.ok => {
                assert!(a0 >= SANDBOX && a0 + a1 <= SANDBOX + SANDBOX_RESERVED, "{a0:#x} {a1:#x}");
            }
            Sysnum::Map if plan.expect.ok => {
                assert_eq!(plan.maps, Some((a0, a1)));
                huge += (a1 > HUGE_MAP) as u32;
            }
            Sysnum::Call => {
                let class = planner.tasks.classify(a0 as u32);
                if matches!(class, IdClass::Live | IdClass::Unknown) {
                    assert!(!plan.expect.ok, "a call that could reach {class:?}: {plan:?}");
                }
            }
            Sysnum::TaskKill | Sysnum::Poweroff | Sysnum::TaskCreate | Sysnum::TaskFork | Sysnum::TaskFault => {
                assert_eq!(plan.expect, Expect::error(E::Denied));
            }
            _ => {}
        }
    }
    assert!(huge <= HUGE_MAPS, "{huge} huge maps");
    assert!(seen[1..].iter().all(|&n| n > 1000), "every call is planned: {seen:?}");
}

fn notify_timer() -> u64 {
    abi::notify::TIMER as u64
}

#[test]
fn calls_to_live_tasks_are_planned_and_always_refused() {
    let mut planner = Planner::new(tasks());
    let mut rng = Rng::new(11);
    let mut to_live = 0;
    for _ in 0..ROUNDS {
        let plan = planner.plan(&mut rng);
        let call = abi::CallArgs::from_regs(plan.args);
        if plan.number == Sysnum::Call as u64 && planner.tasks.classify(call.dest.raw()) == IdClass::Live {
            to_live += 1;
            assert!(!plan.expect.ok && plan.expect.errors != 0, "{plan:?}");
            assert!(call.operation >= 0xfff0_0000, "an operation no server knows");
        }
    }
    assert!(to_live > 1000, "{to_live}");
}

/// The program `init` would start for a `SPAWN` blob (after the flags byte).
fn spawned_program(blob: &[u8]) -> &str {
    blob.split(|&b| b == 0).find_map(|arg| core::str::from_utf8(arg).ok()).unwrap_or("")
}

#[test]
fn planned_requests_are_all_answered_at_once() {
    let mut rng = Rng::new(5);
    let mut answers = [0u32; 4];
    for _ in 0..ROUNDS {
        let p = requests::plan(&mut rng);
        let delivered = p.answer != Answer::Kernel;
        assert_eq!(delivered, !requests::kernel_refuses(&p));
        answers[match p.answer {
            Answer::Kernel => 0,
            Answer::Netd(NetdAnswer::InvalidArg) => 1,
            Answer::Netd(_) => 2,
            Answer::Codes(_) => 3,
        }] += 1;
        if !delivered {
            continue;
        }
        match p.server {
            Server::Netd => assert!(!requests::netd_may_defer(p.op, &p.bytes, p.lease_count), "{p:?}"),
            Server::Init => {
                assert!(!requests::INIT_FORBIDDEN.contains(&p.op));
                if p.op == init::SPAWN && !p.bytes.is_empty() {
                    let program = spawned_program(&p.bytes[1..]);
                    assert!(program.is_empty() || program.starts_with('~'), "{program:?}");
                }
            }
            Server::Console => match p.op {
                console::READ_LINE => assert_eq!(p.lease_count, 0),
                console::WAIT_FOREGROUND if p.bytes.len() >= 4 => {
                    let id = u32::from_le_bytes(p.bytes[..4].try_into().unwrap());
                    assert!(TaskId::from_raw(id).index() >= MAX_TASKS);
                }
                console::WRITE if p.lease_count == 0 => assert!(p.bytes.is_empty()),
                console::WRITE => {
                    let l = p.leases[0];
                    let shown = l.flags & 1 != 0 && l.len > 0 && access(l.addr, l.len.min(1024)) != Access::Invalid;
                    assert!(!shown, "{l:?}");
                }
                _ => {}
            },
        }
    }
    assert!(answers.iter().all(|&n| n > 1000), "{answers:?}");
}

#[test]
fn netd_shapes_that_could_wait_are_recognised() {
    let mut buf = [0u8; 256];
    let listen = encode_request(&Request::Listen { port: 10 }, &mut buf).unwrap().to_vec();
    assert!(requests::netd_may_defer(1, &listen, 0));
    assert!(!requests::netd_may_defer(1, &listen, 1), "a lease makes it invalid");
    assert!(!requests::netd_may_defer(2, &listen, 0), "the wrong operation");
    let far = encode_request(&Request::Listen { port: 70_000 }, &mut buf).unwrap().to_vec();
    assert!(!requests::netd_may_defer(1, &far, 0));
    let connect = encode_request(&Request::Connect { port: 10, host: "localhost" }, &mut buf).unwrap().to_vec();
    assert!(requests::netd_may_defer(2, &connect, 0));
    let elsewhere = encode_request(&Request::Connect { port: 10, host: "x" }, &mut buf).unwrap().to_vec();
    assert!(!requests::netd_may_defer(2, &elsewhere, 0));
    assert_eq!(requests::netd_answer(1, &listen[..1], 0), NetdAnswer::InvalidArg);
    let list = encode_request(&Request::List { start_index: 0 }, &mut buf).unwrap().to_vec();
    assert_eq!(requests::netd_answer(6, &list, 0), NetdAnswer::ListPage);
    assert_eq!(requests::netd_answer(6, &list, 1), NetdAnswer::InvalidArg);
    // 7 is no operation: these bytes once asked netd to fault.
    assert_eq!(requests::netd_answer(7, &[PROTOCOL_VERSION, 6], 0), NetdAnswer::InvalidArg);
}

#[test]
fn the_tally_counts_by_kind() {
    let mut tally = Tally::default();
    for rax in [0, 3, -2, -2, -11] {
        tally.record(rax);
    }
    assert_eq!(tally.ok, 2);
    assert_eq!(tally.errors(), 3);
    assert_eq!(tally.by_kind().collect::<Vec<_>>(), vec![(E::BadAddress, 2), (E::NoSuchTask, 1)]);
}

#[test]
fn only_calls_with_extra_results_may_change_argument_registers() {
    assert_eq!(result_registers(Sysnum::Call as u64), 0b11);
    assert_eq!(result_registers(Sysnum::ReadLog as u64), 0b1);
    assert_eq!(result_registers(Sysnum::LeaseCopy as u64), 0b1);
    assert_eq!(result_registers(Sysnum::Recv as u64), 0b11_1111);
    assert_eq!(result_registers(Sysnum::Map as u64), 0);
    assert_eq!(result_registers(u64::MAX), 0);
}

#[test]
fn lease_requests_round_trip_and_plans_follow_the_leases() {
    use super::leases::{decode_request, encode_request, plan_op, random_leases};
    let mut rng = Rng::new(9);
    let caller = TaskId::new(6, 1);
    let (mut allowed, mut refused) = (0, 0);
    for _ in 0..20_000 {
        let leases = random_leases(&mut rng);
        assert!(leases.iter().all(|l| l.flags <= 3 && l.len <= abi::MAX_LEASE_LEN && l.addr + l.len <= USER_END));
        assert!(leases.iter().all(|l| !touches_program(l.addr, l.len)), "{leases:?}");
        let bytes = encode_request(42, &leases);
        assert!(bytes.len() <= abi::MAX_MESSAGE);
        assert_eq!(decode_request(&bytes), Some((42, leases.clone())));
        let op = plan_op(&mut rng, caller, &leases);
        assert_eq!(op.args[0] as u32, caller.raw());
        if op.number == Sysnum::Reply {
            assert!(!op.expect.ok, "a reply that could pass: {op:?}");
        }
        if op.expect.ok { allowed += 1 } else { refused += 1 }
    }
    assert!(allowed > 2000 && refused > 2000, "{allowed} {refused}");
    assert_eq!(decode_request(&[1, 2, 3]), None);
}

#[test]
fn a_lease_read_is_checked_against_the_lease() {
    use super::leases::plan_op;
    let lease = Lease { addr: SCRATCH, len: 100, flags: 1 };
    let mut rng = Rng::new(1);
    for _ in 0..5_000 {
        let op = plan_op(&mut rng, TaskId::new(6, 1), &[lease]);
        let access_args = abi::LeaseAccessArgs::from_regs(op.args);
        let first = access_args.lease.index == 0;
        let in_lease = access_args.offset.checked_add(access_args.len).is_some_and(|end| end <= 100);
        if op.number == Sysnum::LeaseRead && first && in_lease {
            let buf_refused = matches!(access(access_args.buf, access_args.len), Access::ReadOnly | Access::Invalid);
            assert_eq!(op.expect.ok, !buf_refused, "{op:?}");
        }
        if op.number == Sysnum::LeaseWrite && first {
            assert!(!op.expect.ok, "the lease has no WRITE right: {op:?}");
        }
    }
}

#[test]
fn a_lease_copy_must_blame_the_side_that_fails() {
    use super::leases::plan_op;
    use abi::CopySide;
    // Lease 0 may be read, lease 1 written; lease 1 is the read-only page's
    // end and the unmapped guard page after it: never writable.
    let readable = Lease { addr: SCRATCH, len: 100, flags: 1 };
    let guarded = Lease { addr: SCRATCH_GUARD - 50, len: 100, flags: 2 };
    let mut rng = Rng::new(3);
    let mut copies = 0;
    for _ in 0..20_000 {
        let op = plan_op(&mut rng, TaskId::new(6, 1), &[readable, guarded]);
        let abi::LeaseCopyArgs { src, src_offset, dst, dst_offset, len } = abi::LeaseCopyArgs::from_regs(op.args);
        let end = |offset: u64| offset.checked_add(len).unwrap_or(u64::MAX);
        let in_bounds = end(src_offset) <= 100 && end(dst_offset) <= 100;
        if op.number != Sysnum::LeaseCopy || src.index != 0 || dst.index != 1 || !in_bounds || len == 0 {
            continue;
        }
        copies += 1;
        // Only the destination's memory fails.
        let bad = E::BadAddress.code();
        assert!(op.admits(bad, CopySide::Destination.register()), "{op:?}");
        assert!(!op.admits(bad, CopySide::Source.register()), "{op:?}");
        assert!(!op.admits(bad, 0), "{op:?}");
        assert!(!op.admits(len as i64, 0), "{op:?}");
    }
    assert!(copies > 10, "{copies}");
    let fine = super::leases::LeaseOp {
        number: Sysnum::LeaseCopy,
        args: [0; 6],
        expect: Expect::value(8),
        copy_sides: Some((Expect::OK, Expect::OK)),
    };
    assert!(fine.admits(8, 0));
    assert!(!fine.admits(8, CopySide::Source.register()), "success names no side");
}
