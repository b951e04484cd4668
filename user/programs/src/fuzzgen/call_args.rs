//! The arguments of a planned `call` besides its destination, and how to
//! break one of them so that the kernel must refuse the call.

use alloc::vec::Vec;

use abi::{ArgRegs, CallArgs, Lease, MAX_LEASE_LEN, MAX_LEASES, MAX_MESSAGE, TaskId, USER_END};

use super::{KERNEL_ADDRESSES, PAGE, Rng, SCRATCH, SCRATCH_RO_PAGE, STAGING, UNMAPPED_ZONE, address, length, value};

/// The arguments of one planned `call` besides its destination.
#[derive(Clone, Debug)]
pub struct PlannedCall {
    pub request: u64,
    pub request_len: u32,
    pub lease_count: u32,
    pub reply: u64,
    pub reply_cap: u64,
    /// The lease table: [`STAGING`] (then `leases` is what it holds) or any address.
    pub table: u64,
    pub leases: [Lease; MAX_LEASES],
}

impl PlannedCall {
    pub fn random(rng: &mut Rng) -> PlannedCall {
        let mut leases = [Lease::default(); MAX_LEASES];
        for lease in &mut leases {
            *lease = Lease { addr: address(rng), len: length(rng), flags: lease_flags(rng) };
        }
        PlannedCall {
            request: address(rng),
            request_len: if rng.chance(70) { rng.below(MAX_MESSAGE as u64 + 2) as u32 } else { value(rng) as u32 },
            lease_count: if rng.chance(80) { rng.below(MAX_LEASES as u64 + 1) as u32 } else { value(rng) as u32 },
            reply: address(rng),
            reply_cap: length(rng),
            table: if rng.chance(70) { STAGING } else { address(rng) },
            leases,
        }
    }

    /// The call's registers, sent to `dest` with operation `operation`.
    pub fn registers(&self, dest: u32, operation: u32) -> ArgRegs {
        CallArgs {
            dest: TaskId::from_raw(dest),
            operation,
            request: self.request,
            request_len: self.request_len,
            lease_count: self.lease_count,
            reply: self.reply,
            reply_cap: self.reply_cap,
            lease_table: self.table,
        }
        .to_regs()
    }

    /// The bytes of `leases` as a lease table, for [`STAGING`].
    pub fn lease_table(&self) -> Vec<u8> {
        self.leases.iter().flat_map(Lease::to_bytes).collect()
    }

    /// Makes one argument certainly wrong, so that the kernel must refuse
    /// the call before it reaches the destination.
    pub fn break_one(&mut self, rng: &mut Rng) {
        let kernel = rng.pick(&KERNEL_ADDRESSES);
        let index = rng.below(MAX_LEASES as u64) as usize;
        let use_lease = |call: &mut PlannedCall| {
            call.table = STAGING;
            call.lease_count = call.lease_count.clamp(index as u32 + 1, MAX_LEASES as u32);
        };
        match rng.below(8) {
            0 => self.request_len = rng.pick(&[MAX_MESSAGE as u32 + 1, 4096, u32::MAX]),
            1 => self.lease_count = rng.pick(&[MAX_LEASES as u32 + 1, 64, u32::MAX]),
            2 => {
                self.reply = rng.pick(&[SCRATCH_RO_PAGE, kernel, UNMAPPED_ZONE + 8]);
                self.reply_cap = 1 + rng.below(MAX_MESSAGE as u64);
            }
            3 => {
                self.table = rng.pick(&[kernel, UNMAPPED_ZONE, 8]);
                self.lease_count = 1 + rng.below(MAX_LEASES as u64) as u32;
            }
            4 => {
                use_lease(self);
                self.leases[index].flags |= 4 << rng.below(60);
            }
            5 => {
                use_lease(self);
                self.leases[index].len = MAX_LEASE_LEN + 1 + rng.below(1 << 20);
            }
            6 => {
                use_lease(self);
                self.leases[index] = Lease { addr: rng.pick(&[USER_END - 8, kernel, u64::MAX - 4]), len: 16, flags: 1 };
            }
            _ => {
                self.request = rng.pick(&[kernel, UNMAPPED_ZONE, 0, SCRATCH + 5 * PAGE]);
                self.request_len = 1 + rng.below(MAX_MESSAGE as u64) as u32;
            }
        }
    }
}

fn lease_flags(rng: &mut Rng) -> u64 {
    let any = value(rng);
    rng.pick(&[0, 1, 2, 3, 1, 2, 3, 4, 7, 1 << 63, any])
}
