//! The kernel log: a ring buffer `dmesg` reads, echoed to COM1 while the
//! kernel still owns the serial port (until init grants it to the console
//! server).

use crate::arch::serial;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use kcore::klog::LogRing;
use spin::Mutex;

const LOG_BYTES: usize = 64 * 1024;

static LOG: Mutex<LogRing<LOG_BYTES>> = Mutex::new(LogRing::new());
static KERNEL_OWNS_SERIAL: AtomicBool = AtomicBool::new(true);

/// After this the kernel writes to COM1 only in a panic report.
pub fn release_serial() {
    KERNEL_OWNS_SERIAL.store(false, Ordering::Relaxed);
}

pub fn write(bytes: &[u8]) {
    LOG.lock().push(bytes);
    if KERNEL_OWNS_SERIAL.load(Ordering::Relaxed) {
        serial::write_bytes(bytes);
    }
}

/// Copies log bytes from an absolute offset; returns (copied, next offset).
pub fn read(offset: u64, out: &mut [u8]) -> (usize, u64) {
    LOG.lock().read(offset, out)
}

/// Formats into a line buffer first so that one call is one log write.
pub struct LineBuffer {
    bytes: [u8; 256],
    len: usize,
}

impl LineBuffer {
    pub const fn new() -> Self {
        LineBuffer { bytes: [0; 256], len: 0 }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl Write for LineBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let take = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

pub fn print_fmt(args: fmt::Arguments) {
    let mut line = LineBuffer::new();
    let _ = line.write_fmt(args);
    write(line.as_bytes());
}

/// Prints one line to the kernel log.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {
        $crate::klog::print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
