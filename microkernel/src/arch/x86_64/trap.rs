//! Kernel entry and exit: interrupt, exception and `syscall` stubs.
//!
//! Every entry from ring 3 builds the same [`TrapFrame`] straight in the
//! running task's control block: `syscall_entry` points the stack at the end
//! of that frame, and the TSS sends interrupts and exceptions there too (see
//! [`set_current`]), so the registers are stored once and never copied. An
//! interrupt that arrives while the idle task halts in ring 0 builds its frame
//! on the idle stack instead. The stubs save the FPU/SSE state of the running
//! task (the kernel's own Rust code may use SSE registers), move to the kernel
//! stack and call [`trap_entry`]. That returns the frame to resume, which may
//! belong to another task; the common exit restores that task's FPU state and
//! registers and `iretq`s into it. The kernel never blocks inside a call, so a
//! single kernel stack serves every entry.

use abi::FaultInfo;
use core::arch::global_asm;
use core::ptr::addr_of;

/// The vector number stored in frames built by `syscall`.
pub const SYSCALL_VECTOR: u64 = 0x100;
/// First vector of the remapped legacy PIC (IRQ 0).
pub const IRQ_BASE: u8 = 32;
/// Vectors with a stub: 32 exceptions and 16 IRQs.
pub const STUB_COUNT: usize = 48;

/// Registers of an interrupted task, in the order the stubs push them. The
/// CPU aligns the stack to 16 bytes before it pushes an interrupt frame, so
/// the frame's end (where pushing starts) must be 16-byte aligned.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// RFLAGS.IF: interrupts enabled.
const RFLAGS_INTERRUPTS: u64 = 1 << 9;
const PAGE_FAULT: u8 = 14;

mod entry;
pub use entry::Entry;

/// The kernel-exception report: one line, whose shape the tests know.
fn report(out: &mut dyn core::fmt::Write, frame: &TrapFrame, vector: u8) -> core::fmt::Result {
    write!(
        out,
        "\nEXCEPTION: {} (vector {}) error={:#x} rip={:#x} rsp={:#x}",
        abi::exception_name(vector),
        vector,
        frame.error_code,
        frame.rip,
        frame.rsp
    )?;
    if vector == PAGE_FAULT {
        write!(out, " cr2={:#x}", fault_address())?;
    }
    writeln!(out, " in kernel mode")
}

/// The address a page fault was about (CR2).
fn fault_address() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

impl TrapFrame {
    /// The first frame of a user task: ring 3 at `entry` on `stack_top`,
    /// with `arg0` and `arg1` in its first two argument registers and
    /// interrupts on.
    pub fn user_entry(entry: u64, stack_top: u64, arg0: u64, arg1: u64) -> Self {
        TrapFrame {
            rip: entry,
            rsp: stack_top,
            rdi: arg0,
            rsi: arg1,
            cs: super::gdt::USER_CODE as u64,
            ss: super::gdt::USER_DATA as u64,
            rflags: RFLAGS_INTERRUPTS,
            ..TrapFrame::default()
        }
    }

    /// The idle task's frame: ring 0 in [`idle_loop`] on `stack_top`, with
    /// interrupts on.
    pub fn idle(stack_top: u64) -> Self {
        TrapFrame {
            rip: idle_loop as *const () as u64,
            rsp: stack_top,
            cs: super::gdt::KERNEL_CODE as u64,
            ss: super::gdt::KERNEL_DATA as u64,
            rflags: RFLAGS_INTERRUPTS,
            ..TrapFrame::default()
        }
    }

    pub fn came_from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// Whether this entry was a `syscall` (what [`TrapFrame::entry`] says,
    /// in one compare).
    #[inline(always)]
    pub fn is_syscall(&self) -> bool {
        self.vector == SYSCALL_VECTOR
    }

    /// What this entry was.
    #[inline]
    pub fn entry(&self) -> Entry {
        match self.vector {
            SYSCALL_VECTOR => Entry::Syscall,
            vector if vector < IRQ_BASE as u64 => Entry::Exception(vector as u8),
            vector => Entry::Interrupt((vector - IRQ_BASE as u64) as u8),
        }
    }

    /// Where the task resumes: its instruction and stack pointers.
    #[inline]
    pub fn resume_point(&self) -> (u64, u64) {
        (self.rip, self.rsp)
    }

    /// The exception `vector` the task raised with these registers, as init
    /// learns it (for a page fault, with the faulting address).
    pub fn fault(&self, vector: u8) -> FaultInfo {
        let address = if vector == PAGE_FAULT { fault_address() } else { 0 };
        FaultInfo { vector, address, rip: self.rip, error_code: self.error_code }
    }

    /// Writes the report of an exception the kernel itself raised.
    pub fn report_kernel_exception(&self, out: &mut dyn core::fmt::Write, vector: u8) {
        let _ = report(out, self, vector);
    }

    /// The syscall number a task passed (in `rax`).
    #[inline]
    pub fn syscall_number(&self) -> u64 {
        self.rax
    }

    /// The syscall arguments, in `abi::ArgRegs` order.
    #[inline]
    pub fn syscall_args(&self) -> abi::ArgRegs {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }

    /// Writes a call's results: `rax`, then as many result registers as it
    /// has, in `abi::ResultRegs` order (`rdi, rsi, rdx, r8, r9, r10`). The
    /// one place the kernel writes a task's result registers.
    #[inline(always)]
    pub fn set_results(&mut self, results: &abi::Results) {
        self.rax = results.rax() as u64;
        // One arm per count, each writing a fixed set of registers.
        match *results.written() {
            [] => {}
            [rdi] => self.rdi = rdi,
            [rdi, rsi] => (self.rdi, self.rsi) = (rdi, rsi),
            [rdi, rsi, rdx] => (self.rdi, self.rsi, self.rdx) = (rdi, rsi, rdx),
            [rdi, rsi, rdx, r8] => (self.rdi, self.rsi, self.rdx, self.r8) = (rdi, rsi, rdx, r8),
            [rdi, rsi, rdx, r8, r9] => (self.rdi, self.rsi, self.rdx, self.r8, self.r9) = (rdi, rsi, rdx, r8, r9),
            [rdi, rsi, rdx, r8, r9, r10, ..] => {
                (self.rdi, self.rsi, self.rdx, self.r8, self.r9, self.r10) = (rdi, rsi, rdx, r8, r9, r10)
            }
        }
    }
}

/// 512-byte FXSAVE area.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct FpuState(pub [u8; 512]);

impl FpuState {
    /// The state `fninit` leaves plus MXCSR's default (all exceptions masked).
    pub const fn initial() -> Self {
        let mut area = [0u8; 512];
        area[0] = 0x7f; // FCW = 0x037f
        area[1] = 0x03;
        area[24] = 0x80; // MXCSR = 0x1f80
        area[25] = 0x1f;
        FpuState(area)
    }
}

const _: () = assert!(core::mem::size_of::<TrapFrame>().is_multiple_of(16));

// The stubs name these statics as `sym` operands, so they stay private to
// the kernel and Rust writes them directly, not through the GOT.
/// Where the stubs save and restore FPU state: the running task's area.
static mut CURRENT_FPU: *mut FpuState = core::ptr::null_mut();
/// One past the running task's frame: `syscall_entry` pushes down from here.
static mut CURRENT_FRAME_END: u64 = 0;
static mut BOOT_FPU: FpuState = FpuState::initial();
/// `syscall` leaves the user stack pointer in rsp; it waits here while the
/// stub switches stacks (one CPU, interrupts masked by SFMASK).
static mut SYSCALL_USER_RSP: u64 = 0;

unsafe extern "C" {
    static isr_table: [u64; STUB_COUNT];
    fn syscall_entry();
    fn trap_exit(frame: *const TrapFrame) -> !;
}

/// Addresses of the per-vector stubs, for the IDT.
pub fn stub_addresses() -> &'static [u64; STUB_COUNT] {
    // SAFETY: isr_table is a read-only table emitted by the assembly below.
    unsafe { &*addr_of!(isr_table) }
}

pub fn syscall_entry_address() -> u64 {
    syscall_entry as *const () as u64
}

/// Points the stubs at the frame and FPU area of the task about to run: the
/// next entry from ring 3 saves its registers there.
///
/// # Safety
/// Both stay valid until the next call (the task control block that owns
/// them is not freed while it is current).
pub unsafe fn set_current(frame: *mut TrapFrame, fpu: *mut FpuState) {
    let frame_end = frame as u64 + core::mem::size_of::<TrapFrame>() as u64;
    // SAFETY: single CPU, interrupts off in the kernel: no concurrent access.
    unsafe {
        CURRENT_FPU = fpu;
        CURRENT_FRAME_END = frame_end;
    }
    super::gdt::set_ring3_entry_stack(frame_end);
}

/// Points the stubs at the FPU area of the task about to run.
///
/// # Safety
/// `area` stays valid until the next call.
unsafe fn set_current_fpu(area: *mut FpuState) {
    // SAFETY: single CPU, interrupts off in the kernel: no concurrent access.
    unsafe { CURRENT_FPU = area };
}

pub fn use_boot_fpu_area() {
    // SAFETY: BOOT_FPU is a static that lives forever.
    unsafe { set_current_fpu(core::ptr::addr_of_mut!(BOOT_FPU)) };
}

/// Enters a task for the first time (or after the boot stack was used).
///
/// # Safety
/// `frame` is a complete, valid frame, and `set_current` names its task.
pub unsafe fn enter(frame: *const TrapFrame) -> ! {
    // SAFETY: forwarded to the caller.
    unsafe { trap_exit(frame) }
}

/// The idle task's body: halt until an interrupt, forever. It runs in
/// ring 0 with interrupts enabled, on its own stack.
#[unsafe(naked)]
pub extern "C" fn idle_loop() -> ! {
    core::arch::naked_asm!("2:", "hlt", "jmp 2b")
}

/// Called by every stub with the frame it built (in the running task's
/// control block, or on the idle or boot stack); returns the frame to resume.
#[unsafe(no_mangle)]
extern "C" fn trap_entry(frame: *mut TrapFrame) -> *const TrapFrame {
    crate::trap::handle(frame)
}

global_asm!(
    r#"
    .macro isr_stub n
    isr_\n:
    .if (\n == 8) || (\n >= 10 && \n <= 14) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
        push \n
    .else
        push 0
        push \n
    .endif
        jmp isr_common
    .endm

    .text
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        isr_stub \n
    .endr

    .section .rodata
    .global isr_table
    .p2align 3
isr_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        .quad isr_\n
    .endr

    // The registers every entry saves after the CPU's (or the syscall
    // stub's) part of the frame, then the FPU state.
    .macro save_registers
        push rax
        push rbx
        push rcx
        push rdx
        push rsi
        push rdi
        push rbp
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        push r14
        push r15
        mov rax, [rip + {current_fpu}]
        fxsave64 [rax]
    .endm

    .text
isr_common:
    save_registers
    // Interrupt gates keep the task's direction flag, and the kernel's
    // memcpy/memset (rep movs/stos) need it clear; iretq restores the task's.
    cld
    mov rdi, rsp
    // From ring 3 the frame is in the task's control block: run the kernel
    // on its own stack. From ring 0 (the idle task, or boot) stay where the
    // CPU pushed the frame.
    test qword ptr [rsp + {cs_offset}], 3
    jz 2f
    lea rsp, [rip + KERNEL_STACK + {stack_top}]
2:
    call trap_entry
    mov rdi, rax
    jmp trap_exit

    // The most frequent entry falls through into the exit, and needs
    // neither `cld` (SFMASK clears the direction flag on `syscall`) nor the
    // ring test (a syscall always comes from ring 3).
    .global syscall_entry
syscall_entry:
    mov [rip + {syscall_user_rsp}], rsp
    mov rsp, [rip + {current_frame_end}]
    push {user_ss}
    push qword ptr [rip + {syscall_user_rsp}]
    push r11
    push {user_cs}
    push rcx
    push 0
    push {syscall_vector}
    save_registers
    mov rdi, rsp
    lea rsp, [rip + KERNEL_STACK + {stack_top}]
    call trap_entry
    mov rdi, rax

    .global trap_exit
trap_exit:
    mov rsp, rdi
    mov rax, [rip + {current_fpu}]
    fxrstor64 [rax]
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq
"#,
    stack_top = const super::boot::STACK_TOP_OFFSET,
    user_ss = const super::gdt::USER_DATA,
    user_cs = const super::gdt::USER_CODE,
    syscall_vector = const SYSCALL_VECTOR,
    cs_offset = const core::mem::offset_of!(TrapFrame, cs),
    current_fpu = sym CURRENT_FPU,
    current_frame_end = sym CURRENT_FRAME_END,
    syscall_user_rsp = sym SYSCALL_USER_RSP,
);
