use super::*;
use crate::{KernelError, Register};
use proptest::prelude::*;

fn task_id() -> impl Strategy<Value = TaskId> {
    any::<u32>().prop_map(TaskId::from_raw)
}

fn lease_ref() -> impl Strategy<Value = LeaseRef> {
    (task_id(), any::<u32>()).prop_map(|(caller, index)| LeaseRef { caller, index })
}

fn header() -> impl Strategy<Value = MessageHeader> {
    (task_id(), any::<u32>(), any::<u32>(), 0usize..=256, 0usize..=4).prop_filter_map(
        "a notification's sender",
        |(sender, job, operation, len, leases)| {
            (sender != TaskId::KERNEL).then_some(MessageHeader { sender, job: JobId::new(job), operation, len, leases })
        },
    )
}

#[test]
fn call_packs_as_docs_abi_says() {
    let call = CallArgs {
        dest: TaskId::new(5, 1),
        operation: 7,
        request: 0x1000,
        request_len: 3,
        lease_count: 2,
        reply: 0x2000,
        reply_cap: 64,
        lease_table: 0x3000,
    };
    let dest = TaskId::new(5, 1).raw() as u64;
    assert_eq!(call.to_regs(), [dest | 7 << 32, 0x1000, 3 | 2 << 32, 0x2000, 64, 0x3000]);
}

#[test]
fn reply_recv_packs_as_docs_abi_says() {
    let args =
        ReplyRecvArgs { caller: TaskId::new(9, 0), code: 4, data: 1, len: 10, cap: 256, buf: 2, mask: 3, flags: 1 };
    assert_eq!(args.to_regs(), [9 | 4 << 32, 1, 10 | 256 << 32, 2, 3, 1]);
    assert_eq!(args.reply(), ReplyArgs { caller: TaskId::new(9, 0), code: 4, data: 1, len: 10 });
    assert_eq!(args.recv(), RecvArgs { buf: 2, cap: 256, mask: 3, flags: 1 });
}

#[test]
fn reply2_recv_packs_as_docs_abi_says() {
    let args = Reply2RecvArgs {
        earlier: 0x5000,
        caller: TaskId::new(9, 0),
        code: 4,
        data: 1,
        len: 10,
        cap: 256,
        buf: 2,
        mask: 3,
    };
    assert_eq!(args.to_regs(), [0x5000, 9 | 4 << 32, 1, 10 | 256 << 32, 2, 3]);
    assert_eq!(args.later(), ReplyArgs { caller: TaskId::new(9, 0), code: 4, data: 1, len: 10 });
    assert_eq!(args.recv(), RecvArgs { buf: 2, cap: 256, mask: 3, flags: 0 });
    let message = crate::ReplyMessage { caller: TaskId::new(7, 2).raw(), code: 5, data: 0x10, len: 3 };
    assert_eq!(ReplyArgs::from(message), ReplyArgs { caller: TaskId::new(7, 2), code: 5, data: 0x10, len: 3 });
}

#[test]
fn a_notification_writes_two_registers_and_a_message_six() {
    assert_eq!(RecvResult::notification(0b101).to_results().written(), &[TaskId::KERNEL.raw() as u64, 0b101]);
    let header = MessageHeader { sender: TaskId::new(3, 1), job: JobId::new(2), operation: 9, len: 5, leases: 0 };
    let message = RecvResult { received: Received::Message(header), first_lease: None };
    let written = message.to_results();
    assert_eq!(written.rax(), 0);
    assert_eq!(written.written(), &[TaskId::new(3, 1).raw() as u64, 5, 9 | 2 << 32, 0, 0, 0]);
}

#[test]
fn lease_copy_results_name_the_failing_side() {
    assert_eq!(check_lease_copy(4096, 0), Ok(4096));
    let bad = KernelError::BadAddress;
    for side in [CopySide::Source, CopySide::Destination] {
        assert_eq!(check_lease_copy(bad.code(), side.register()), Err(LeaseCopyError { side, error: bad }));
        let results = lease_copy_results(Err(LeaseCopyError { side, error: bad }));
        assert_eq!(results.written(), &[side.register()]);
        assert_eq!(check_lease_copy(results.rax(), results.written()[0]), Err(LeaseCopyError { side, error: bad }));
    }
    let done = lease_copy_results(Ok(12));
    assert_eq!(check_lease_copy(done.rax(), done.written()[0]), Ok(12));
}

proptest! {
    /// Every bit of a call's six registers means something: decoding and
    /// encoding again gives the same registers.
    #[test]
    fn call_registers_round_trip(regs in any::<[u64; 6]>()) {
        prop_assert_eq!(CallArgs::from_regs(regs).to_regs(), regs);
    }

    #[test]
    fn reply_recv_round_trips(regs in any::<[u64; 6]>()) {
        let args = ReplyRecvArgs::from_regs(regs);
        prop_assert_eq!(ReplyRecvArgs::from_regs(args.to_regs()), args);
        let mut expected = regs;
        expected[4] &= 0xffff_ffff;
        prop_assert_eq!(args.to_regs(), expected);
    }

    #[test]
    fn reply2_recv_round_trips(regs in any::<[u64; 6]>()) {
        let args = Reply2RecvArgs::from_regs(regs);
        prop_assert_eq!(Reply2RecvArgs::from_regs(args.to_regs()), args);
        let mut expected = regs;
        expected[5] &= 0xffff_ffff;
        prop_assert_eq!(args.to_regs(), expected);
    }

    #[test]
    fn lease_refs_round_trip(lease in lease_ref(), raw in any::<u64>()) {
        prop_assert_eq!(LeaseRef::from_reg(lease.to_reg()), lease);
        prop_assert_eq!(LeaseRef::from_reg(raw).to_reg(), raw);
    }

    #[test]
    fn lease_calls_round_trip(src in lease_ref(), dst in lease_ref(), values in any::<[u64; 4]>()) {
        let access = LeaseAccessArgs { lease: src, offset: values[0], buf: values[1], len: values[2] };
        prop_assert_eq!(LeaseAccessArgs::from_regs(access.to_regs()), access);
        let copy = LeaseCopyArgs { src, src_offset: values[0], dst, dst_offset: values[1], len: values[3] };
        prop_assert_eq!(LeaseCopyArgs::from_regs(copy.to_regs()), copy);
    }

    #[test]
    fn call_results_round_trip(code in any::<u32>(), len in 0usize..=256, before in any::<[u64; 6]>()) {
        let result = CallResult { code, len };
        let (rax, regs) = result.to_results().applied_to(before);
        prop_assert_eq!(rax, 0);
        prop_assert_eq!(CallResult::from_regs(&regs), result);
        prop_assert_eq!(&regs[2..], &before[2..]);
    }

    #[test]
    fn messages_round_trip(header in header(), lease in (0usize..=1 << 20, 0u64..4), before in any::<[u64; 6]>()) {
        let first_lease = (header.leases > 0).then_some(LeaseInfo { len: lease.0, flags: lease.1 });
        let result = RecvResult { received: Received::Message(header), first_lease };
        let (_, regs) = result.to_results().applied_to(before);
        prop_assert_eq!(RecvResult::from_regs(&regs), result);
    }

    #[test]
    fn notifications_round_trip_and_leave_the_rest(bits in any::<u32>(), before in any::<[u64; 6]>()) {
        let (_, regs) = RecvResult::notification(bits).to_results().applied_to(before);
        prop_assert_eq!(RecvResult::from_regs(&regs), RecvResult::notification(bits));
        prop_assert_eq!(&regs[2..], &before[2..]);
    }

    #[test]
    fn lease_info_round_trips(len in 0usize..=1 << 20, flags in 0u64..4) {
        let info = LeaseInfo { len, flags };
        let (rax, regs) = info.to_results().applied_to([0; 6]);
        prop_assert_eq!(LeaseInfo::from_regs(rax as u64, &regs), info);
    }
}
