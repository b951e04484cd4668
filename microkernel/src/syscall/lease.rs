//! Lease access: a server reads or writes memory a waiting caller lent it,
//! within the lease's bounds and rights (`kcore::lease`), or copies from one
//! caller's lease straight into another's.

use super::{Handled, Next};
use crate::kernel::Kernel;
use crate::usercopy::{CopyFault, copy_between};
use abi::{CopySide, KernelError, LeaseAccessArgs, LeaseCopyArgs, LeaseCopyError, LeaseRef, lease_copy_results};
use kcore::lease::LentLease;
use kcore::task_index::TaskIndex;
use kcore::user_memory::{UserSliceRo, UserSliceWo};

/// The slot of the caller a lease reference names, which must wait for
/// `server`'s reply, and the lease.
#[inline(always)]
fn lease_of(k: &Kernel, server: TaskIndex, lease: LeaseRef) -> Result<(TaskIndex, LentLease), KernelError> {
    let caller = k.waiting_caller(server, lease.caller)?;
    match k.task(caller).call().leases().get(lease.index as usize) {
        Some(lent) => Ok((caller, *lent)),
        None => Err(KernelError::BadArgument),
    }
}

#[inline(always)]
pub fn read(k: &mut Kernel, server: TaskIndex, args: LeaseAccessArgs) -> Handled {
    let (caller, lease) = lease_of(k, server, args.lease)?;
    let src = lease.readable(args.offset, args.len)?;
    let dst = UserSliceWo::new(args.buf, args.len)?;
    copy_between(k.task(caller).space(), src, k.task(server).space(), dst)?;
    Ok(Next::value(args.len))
}

#[inline(always)]
pub fn write(k: &mut Kernel, server: TaskIndex, args: LeaseAccessArgs) -> Handled {
    let (caller, lease) = lease_of(k, server, args.lease)?;
    let dst = lease.writable(args.offset, args.len)?;
    let src = UserSliceRo::new(args.buf, args.len)?;
    copy_between(k.task(server).space(), src, k.task(caller).space(), dst)?;
    Ok(Next::value(args.len))
}

/// `lease_copy`: besides the result, `rdi` names the side an error is
/// about (0 on success), so a server knows whose buffer failed without
/// probing the leases again.
#[inline(always)]
pub fn copy(k: &mut Kernel, server: TaskIndex, args: LeaseCopyArgs) -> Handled {
    let copied = copy_between_leases(k, server, args).map(|()| args.len);
    Ok(Next::Same(lease_copy_results(copied)))
}

#[inline(always)]
fn copy_between_leases(k: &mut Kernel, server: TaskIndex, args: LeaseCopyArgs) -> Result<(), LeaseCopyError> {
    let source = |error| LeaseCopyError { side: CopySide::Source, error };
    let destination = |error| LeaseCopyError { side: CopySide::Destination, error };
    let (src_caller, src_lease) = lease_of(k, server, args.src).map_err(source)?;
    let (dst_caller, dst_lease) = lease_of(k, server, args.dst).map_err(destination)?;
    let src = src_lease.readable(args.src_offset, args.len).map_err(source)?;
    let dst = dst_lease.writable(args.dst_offset, args.len).map_err(destination)?;
    copy_between(k.task(src_caller).space(), src, k.task(dst_caller).space(), dst)
        .map_err(|CopyFault(side)| LeaseCopyError { side, error: KernelError::BadAddress })
}

pub fn info(k: &mut Kernel, server: TaskIndex, lease: LeaseRef) -> Handled {
    let (_, lease) = lease_of(k, server, lease)?;
    Ok(Next::Same(lease.info().to_results()))
}
