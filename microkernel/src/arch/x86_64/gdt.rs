//! Segment descriptors, the task-state segment and its I/O permission map.
//!
//! Long mode ignores segmentation except for privilege levels, so the GDT
//! holds flat kernel and user segments in the order `syscall`/`sysret`
//! expect, plus the TSS. The TSS gives the CPU the kernel stack for entries
//! from ring 3, an IST stack for double faults, and the I/O bitmap through
//! which a user-space driver gets exactly the ports it was granted.

use core::mem::size_of;
use core::ptr::addr_of_mut;
use x86_64::instructions::tables::{lgdt, load_tss};
use x86_64::structures::DescriptorTablePointer;
use x86_64::structures::gdt::SegmentSelector;
use x86_64::{PrivilegeLevel, VirtAddr};

pub const KERNEL_CODE: u16 = 0x08;
pub const KERNEL_DATA: u16 = 0x10;
pub const USER_DATA: u16 = 0x20 | 3;
pub const USER_CODE: u16 = 0x28 | 3;
const TSS_SELECTOR: u16 = 0x30;

/// IST slot (1-based, as in the IDT) of the double-fault stack.
pub const DOUBLE_FAULT_IST: u8 = 1;
const IO_PORTS: usize = 65536;
const IO_BITMAP_BYTES: usize = IO_PORTS / 8;

#[repr(C, packed(4))]
struct TaskStateSegment {
    reserved0: u32,
    privilege_stacks: [u64; 3],
    reserved1: u64,
    interrupt_stacks: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    io_map_base: u16,
}

/// The TSS followed by its I/O bitmap (a set bit denies the port) and the
/// all-ones byte the CPU requires after it.
#[repr(C, align(16))]
struct TssWithIoMap {
    tss: TaskStateSegment,
    io_map: [u8; IO_BITMAP_BYTES + 1],
}

static mut TSS: TssWithIoMap = TssWithIoMap {
    tss: TaskStateSegment {
        reserved0: 0,
        privilege_stacks: [0; 3],
        reserved1: 0,
        interrupt_stacks: [0; 7],
        reserved2: 0,
        reserved3: 0,
        io_map_base: size_of::<TaskStateSegment>() as u16,
    },
    io_map: [0xff; IO_BITMAP_BYTES + 1],
};

static mut GDT: [u64; 8] = [
    0,
    0x00AF_9A00_0000_FFFF, // 0x08 kernel code, 64-bit
    0x00CF_9200_0000_FFFF, // 0x10 kernel data
    0x00CF_FA00_0000_FFFF, // 0x18 user code, 32-bit (unused; sysret's layout needs it)
    0x00CF_F200_0000_FFFF, // 0x20 user data
    0x00AF_FA00_0000_FFFF, // 0x28 user code, 64-bit
    0,                     // 0x30 TSS, low half
    0,                     // 0x38 TSS, high half
];

#[repr(C, align(16))]
struct IstStack([u8; 16 * 1024]);
static mut DOUBLE_FAULT_STACK: IstStack = IstStack([0; 16 * 1024]);

/// Loads the GDT and TSS. `kernel_stack_top` is where the CPU switches on
/// every interrupt from ring 3.
pub fn init(kernel_stack_top: u64) {
    // SAFETY: runs once on the boot CPU before interrupts are enabled; no
    // other reference to TSS or GDT exists yet.
    unsafe {
        let tss = &mut *addr_of_mut!(TSS);
        tss.tss.privilege_stacks[0] = kernel_stack_top;
        let ist_top = addr_of_mut!(DOUBLE_FAULT_STACK) as u64 + size_of::<IstStack>() as u64;
        tss.tss.interrupt_stacks[DOUBLE_FAULT_IST as usize - 1] = ist_top;

        let base = tss as *const TssWithIoMap as u64;
        let limit = (size_of::<TssWithIoMap>() - 1) as u64;
        let gdt = &mut *addr_of_mut!(GDT);
        gdt[6] = (limit & 0xffff)
            | ((base & 0xff_ffff) << 16)
            | (0x89 << 40) // present, 64-bit available TSS
            | (((limit >> 16) & 0xf) << 48)
            | (((base >> 24) & 0xff) << 56);
        gdt[7] = base >> 32;

        lgdt(&DescriptorTablePointer {
            limit: (size_of::<[u64; 8]>() - 1) as u16,
            base: VirtAddr::new(gdt.as_ptr() as u64),
        });
        use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
        CS::set_reg(SegmentSelector::new(KERNEL_CODE >> 3, PrivilegeLevel::Ring0));
        SS::set_reg(SegmentSelector::new(KERNEL_DATA >> 3, PrivilegeLevel::Ring0));
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
        load_tss(SegmentSelector::new(TSS_SELECTOR >> 3, PrivilegeLevel::Ring0));
    }
}

/// Where the CPU pushes the frame of an interrupt or exception from ring 3:
/// the scheduler points it at the end of the running task's saved frame.
pub fn set_ring3_entry_stack(top: u64) {
    // SAFETY: the kernel runs with interrupts disabled on one CPU, so no
    // other code touches the TSS concurrently; the field is written whole
    // through a raw pointer (the struct is packed).
    unsafe { core::ptr::addr_of_mut!((*addr_of_mut!(TSS)).tss.privilege_stacks[0]).write_unaligned(top) };
}

/// Allows (`allow = true`) or denies ring-3 access to a range of I/O ports.
/// The scheduler calls this when it switches to or away from a task holding
/// port grants, so only the running grantee can touch its ports.
pub(super) fn set_io_access(first: u16, count: u16, allow: bool) {
    // SAFETY: the kernel runs with interrupts disabled on one CPU, so no
    // other code touches the bitmap concurrently.
    let map = unsafe { &mut (*addr_of_mut!(TSS)).io_map };
    for port in first as usize..(first as usize + count as usize).min(IO_PORTS) {
        let (byte, bit) = (port / 8, port % 8);
        if allow {
            map[byte] &= !(1 << bit);
        } else {
            map[byte] |= 1 << bit;
        }
    }
}
