//! x86_64: boot, descriptor tables, traps, paging, interrupt controller.

pub mod boot;
pub mod cpu;
pub mod gdt;
pub mod idt;
pub mod io_ports;
pub mod paging;
pub mod pic;
pub mod serial;
pub mod trap;

/// Loads descriptor tables and configures `syscall`.
pub fn init_cpu() {
    gdt::init(boot::stack_top());
    idt::init();
    trap::use_boot_fpu_area();
    use x86_64::PrivilegeLevel::{Ring0, Ring3};
    use x86_64::VirtAddr;
    use x86_64::registers::model_specific::{LStar, SFMask, Star};
    use x86_64::registers::rflags::RFlags;
    use x86_64::structures::gdt::SegmentSelector;
    LStar::write(VirtAddr::new(trap::syscall_entry_address()));
    // Interrupts stay off in the kernel; direction and trap flags are reset
    // (the syscall stub relies on the cleared direction flag: no `cld`).
    // A task can set NT with popf; left set, the kernel's own iretq would
    // raise #GP in long mode, so it is cleared on entry too.
    SFMask::write(
        RFlags::INTERRUPT_FLAG
            | RFlags::DIRECTION_FLAG
            | RFlags::TRAP_FLAG
            | RFlags::ALIGNMENT_CHECK
            | RFlags::NESTED_TASK,
    );
    Star::write(
        SegmentSelector::new(gdt::USER_CODE >> 3, Ring3),
        SegmentSelector::new(gdt::USER_DATA >> 3, Ring3),
        SegmentSelector::new(gdt::KERNEL_CODE >> 3, Ring0),
        SegmentSelector::new(gdt::KERNEL_DATA >> 3, Ring0),
    )
    .expect("GDT layout matches what syscall/sysret expect");
    pic::init(trap::IRQ_BASE);
}
