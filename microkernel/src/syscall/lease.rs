//! Lease access: a server reads or writes memory a waiting caller lent it,
//! within the lease's bounds and rights, or copies from one caller's lease
//! straight into another's.

use super::ipc::waiting_caller;
use super::SysResult;
use crate::kernel::Kernel;
use crate::usercopy::{copy_between, CopyFault};
use abi::{lease_copy_results, CopySide, KernelError, LeaseAccessArgs, LeaseCopyArgs, LeaseCopyError, LeaseRef};
use kcore::lease::LentLease;
use kcore::user_memory::{UserSliceRo, UserSliceWo};

/// The waiting caller's slot and lease named by a lease reference.
fn lease_of(k: &Kernel, lease: LeaseRef) -> Result<(usize, LentLease), KernelError> {
    let LeaseRef { caller, index } = lease;
    let slot = waiting_caller(k, caller)?;
    let call = &k.task(slot).call;
    if index as usize >= call.lease_count {
        return Err(KernelError::BadArgument);
    }
    Ok((slot, call.leases[index as usize]))
}

pub fn read(k: &mut Kernel, args: LeaseAccessArgs) -> SysResult {
    let LeaseAccessArgs { lease, offset, buf, len } = args;
    let (caller, lease) = lease_of(k, lease)?;
    let src = lease.readable(offset, len)?;
    copy_between(k.task(caller).space(), src, k.task(k.current).space(), UserSliceWo::new(buf, len)?)?;
    Ok(Some(len))
}

pub fn write(k: &mut Kernel, args: LeaseAccessArgs) -> SysResult {
    let LeaseAccessArgs { lease, offset, buf, len } = args;
    let (caller, lease) = lease_of(k, lease)?;
    let dst = lease.writable(offset, len)?;
    copy_between(k.task(k.current).space(), UserSliceRo::new(buf, len)?, k.task(caller).space(), dst)?;
    Ok(Some(len))
}

/// `lease_copy`: besides the result, `rdi` names the side an error is
/// about (0 on success), so a server knows whose buffer failed without
/// probing the leases again.
pub fn copy(k: &mut Kernel, args: LeaseCopyArgs) -> SysResult {
    let result = copy_between_leases(k, args).map(|()| args.len);
    k.current().frame.set_results(&lease_copy_results(result));
    Ok(None)
}

fn copy_between_leases(k: &mut Kernel, args: LeaseCopyArgs) -> Result<(), LeaseCopyError> {
    let LeaseCopyArgs { src: src_ref, src_offset, dst: dst_ref, dst_offset, len } = args;
    let source = |error| LeaseCopyError { side: CopySide::Source, error };
    let destination = |error| LeaseCopyError { side: CopySide::Destination, error };
    let (src_caller, src_lease) = lease_of(k, src_ref).map_err(source)?;
    let (dst_caller, dst_lease) = lease_of(k, dst_ref).map_err(destination)?;
    let src = src_lease.readable(src_offset, len).map_err(source)?;
    let dst = dst_lease.writable(dst_offset, len).map_err(destination)?;
    copy_between(k.task(src_caller).space(), src, k.task(dst_caller).space(), dst)
        .map_err(|CopyFault(side)| LeaseCopyError { side, error: KernelError::BadAddress })
}

pub fn info(k: &mut Kernel, lease: LeaseRef) -> SysResult {
    let (_, lease) = lease_of(k, lease)?;
    k.current().frame.set_results(&lease.info().to_results());
    Ok(None)
}
