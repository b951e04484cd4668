//! The 16550 UART at COM1, programmed directly through the I/O ports init
//! granted: 38400 baud, 8 data bits, no parity, one stop bit, FIFOs off, an
//! interrupt when received data is available.

use x86_64::instructions::port::Port;

const DATA: u16 = 0;
const INTERRUPT_ENABLE: u16 = 1;
const FIFO_CONTROL: u16 = 2;
const LINE_CONTROL: u16 = 3;
const MODEM_CONTROL: u16 = 4;
const LINE_STATUS: u16 = 5;

const DIVISOR_LATCH: u8 = 0x80;
const EIGHT_N_ONE: u8 = 0x03;
/// 115200 / 3.
const DIVISOR_38400: u16 = 3;
/// FIFOs stay off. Turning them on clears what was already received, and
/// with them off the UART holds one byte and the host side keeps the rest
/// queued: input piped in before boot (a whole scripted session) is never
/// dropped, only taken one byte per interrupt.
const FIFO_OFF: u8 = 0x00;
/// DTR, RTS, and OUT2 (which gates the interrupt line on PCs).
const MODEM_READY: u8 = 0x0b;
const RX_AVAILABLE_IRQ: u8 = 0x01;
const LSR_DATA_READY: u8 = 0x01;
const LSR_TX_EMPTY: u8 = 0x20;

pub struct Uart {
    base: u16,
}

impl Uart {
    /// Programs the UART at `base`.
    ///
    /// # Safety
    /// This task must have been granted ports `base..base + 8`, and `base`
    /// must be a 16550-compatible UART that nothing else drives.
    pub unsafe fn init(base: u16) -> Uart {
        let uart = Uart { base };
        let [divisor_low, divisor_high] = DIVISOR_38400.to_le_bytes();
        uart.out(INTERRUPT_ENABLE, 0);
        uart.out(LINE_CONTROL, DIVISOR_LATCH);
        uart.out(DATA, divisor_low);
        uart.out(INTERRUPT_ENABLE, divisor_high);
        uart.out(LINE_CONTROL, EIGHT_N_ONE);
        uart.out(FIFO_CONTROL, FIFO_OFF);
        uart.out(MODEM_CONTROL, MODEM_READY);
        uart.out(INTERRUPT_ENABLE, RX_AVAILABLE_IRQ);
        uart
    }

    fn out(&self, register: u16, value: u8) {
        // SAFETY: `init`'s contract: the ports are granted and ours alone.
        unsafe { Port::new(self.base + register).write(value) }
    }

    fn read(&self, register: u16) -> u8 {
        // SAFETY: as in `out`; reading these registers has no effect beyond
        // the UART's own state.
        unsafe { Port::new(self.base + register).read() }
    }

    /// Sends `bytes`, waiting for room in the transmitter before each.
    pub fn send(&self, bytes: &[u8]) {
        for &byte in bytes {
            while self.read(LINE_STATUS) & LSR_TX_EMPTY == 0 {
                core::hint::spin_loop();
            }
            self.out(DATA, byte);
        }
    }

    /// The next received byte, if one is waiting.
    pub fn receive(&self) -> Option<u8> {
        (self.read(LINE_STATUS) & LSR_DATA_READY != 0).then(|| self.read(DATA))
    }
}

impl console::screen::Sink for Uart {
    fn put(&mut self, bytes: &[u8]) {
        self.send(bytes);
    }
}
