//! `spin`: loops forever, using its whole time slice; for trying `kill`,
//! Ctrl-C and the scheduler.
#![no_std]
#![no_main]

urt::entry!(main);

fn main() {
    loop {
        core::hint::spin_loop();
    }
}
