//! The interrupt descriptor table: every vector that can fire has a stub.

use super::gdt::{DOUBLE_FAULT_IST, KERNEL_CODE};
use super::trap::{STUB_COUNT, stub_addresses};
use core::mem::size_of;
use core::ptr::addr_of;
use x86_64::VirtAddr;
use x86_64::structures::DescriptorTablePointer;

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const EMPTY: Gate =
    Gate { offset_low: 0, selector: 0, ist: 0, attributes: 0, offset_mid: 0, offset_high: 0, reserved: 0 };

static mut IDT: [Gate; 256] = [EMPTY; 256];

fn gate(handler: u64, ist: u8) -> Gate {
    Gate {
        offset_low: handler as u16,
        selector: KERNEL_CODE,
        ist,
        attributes: 0x8e, // present, ring 0 only, 64-bit interrupt gate (IF cleared)
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        reserved: 0,
    }
}

pub fn init() {
    // SAFETY: runs once at boot before interrupts are enabled.
    let idt = unsafe { &mut *core::ptr::addr_of_mut!(IDT) };
    for (vector, &handler) in stub_addresses().iter().enumerate().take(STUB_COUNT) {
        let ist = if vector == 8 { DOUBLE_FAULT_IST } else { 0 };
        idt[vector] = gate(handler, ist);
    }
    // SAFETY: the table is a static that lives forever and is fully built.
    unsafe {
        x86_64::instructions::tables::lidt(&DescriptorTablePointer {
            limit: (size_of::<[Gate; 256]>() - 1) as u16,
            base: VirtAddr::new(addr_of!(IDT) as u64),
        });
    }
}
