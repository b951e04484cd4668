//! Multiboot header and the 32-bit entry stub.
//!
//! QEMU's `-kernel` loads the flat kernel image at 1 MiB and jumps to
//! `_start32` in 32-bit protected mode without paging. The stub builds
//! temporary page tables (the first GiB identity-mapped, mirrored at the
//! direct-map base and at the kernel's higher-half base), enables SSE, PAE,
//! long mode, NX and `syscall`, and enters `kernel_main` on the boot stack.
//! `paging::init` replaces these tables with the kernel's own.

use core::arch::global_asm;

/// Size of the stack `kernel_main` starts on (it later serves every kernel
/// entry). Boot is its deepest use: `start::run` alone takes about 48 KiB.
pub const BOOT_STACK_SIZE: usize = 128 * 1024;

const GUARD_SIZE: usize = 4096;

/// Offset of the top of the kernel stack from `KERNEL_STACK`.
pub const STACK_TOP_OFFSET: usize = GUARD_SIZE + BOOT_STACK_SIZE;

/// The kernel stack above a guard page that `paging::init_kernel` leaves
/// unmapped: an overflow faults (a double fault, reported on its own stack)
/// instead of overwriting the statics below it.
#[repr(C, align(4096))]
pub struct Stack {
    guard: [u8; GUARD_SIZE],
    bytes: [u8; BOOT_STACK_SIZE],
}

/// The kernel stack: boot, then every syscall and interrupt from user mode.
#[unsafe(no_mangle)]
pub static mut KERNEL_STACK: Stack = Stack { guard: [0; GUARD_SIZE], bytes: [0; BOOT_STACK_SIZE] };

/// The address of the kernel stack's guard page.
pub fn stack_guard_page() -> u64 {
    core::ptr::addr_of!(KERNEL_STACK) as u64
}

/// One past the top of the kernel stack.
pub fn stack_top() -> u64 {
    core::ptr::addr_of!(KERNEL_STACK) as u64 + STACK_TOP_OFFSET as u64
}

global_asm!(
    r#"
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00010003          /* page-align modules, memory map, address fields */
    .set KERNEL_VMA, 0xFFFFFFFF80000000

    .section .multiboot, "a"
    .p2align 2
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long multiboot_header             /* header_addr */
    .long __kernel_phys_start          /* load_addr */
    .long __load_end_phys              /* load_end_addr */
    .long __bss_end_phys               /* bss_end_addr */
    .long _start32                     /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov $boot_stack32_top, %esp
    mov %eax, %edi                     /* Multiboot magic */
    mov %ebx, %esi                     /* Multiboot info, physical */

    /* Page directory: 512 x 2 MiB pages = the first GiB. */
    mov $boot_pd, %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                     /* present, writable, huge */
    mov %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jne 1b

    mov $boot_pd, %eax
    or $0x3, %eax
    mov %eax, boot_pdpt_low
    mov %eax, boot_pdpt_high + 510 * 8
    mov $boot_pdpt_low, %eax
    or $0x3, %eax
    mov %eax, boot_pml4                /* identity, for the jump below */
    mov %eax, boot_pml4 + 256 * 8      /* direct map of physical memory */
    mov $boot_pdpt_high, %eax
    or $0x3, %eax
    mov %eax, boot_pml4 + 511 * 8      /* kernel image at -2 GiB */

    /* SSE: the precompiled core uses it (CR0.EM=0, MP=1; CR4.OSFXSR, OSXMMEXCPT).
       CR0.NE: an x87 error raises #MF in the task that caused it, instead of
       the legacy IRQ 13 (masked, so the error would be lost). */
    mov %cr0, %eax
    and $~(1 << 2), %eax
    or $((1 << 1) | (1 << 5)), %eax
    mov %eax, %cr0
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax   /* PAE, OSFXSR, OSXMMEXCPT */
    mov %eax, %cr4

    mov $boot_pml4, %eax
    mov %eax, %cr3

    mov $0xC0000080, %ecx              /* EFER: syscall, long mode, no-execute */
    rdmsr
    or $((1 << 0) | (1 << 8) | (1 << 11)), %eax
    wrmsr

    mov %cr0, %eax
    or $((1 << 31) | (1 << 16)), %eax  /* paging, write-protect in ring 0 */
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $0x08, $long_mode_low

    .code64
long_mode_low:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $(KERNEL_STACK + {stack_top}), %rsp
    movabs $kernel_main, %rax
    call *%rax
2:  hlt
    jmp 2b

    .section .boot.data, "aw"
    .p2align 12
boot_pml4:      .fill 4096, 1, 0
boot_pdpt_low:  .fill 4096, 1, 0
boot_pdpt_high: .fill 4096, 1, 0
boot_pd:        .fill 4096, 1, 0
boot_stack32:   .fill 256, 1, 0
boot_stack32_top:
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF           /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF           /* 0x10: data */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .text
"#,
    stack_top = const STACK_TOP_OFFSET,
    options(att_syntax)
);
