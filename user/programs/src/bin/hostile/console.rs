//! Attacks on the console server.
//!
//! `console-flood BYTES` writes BYTES of numbered lines in calls of up to
//! 1 MiB (the longest lease) each. The console must keep serving everyone
//! else while it shows them: the shell still answers what is typed, and
//! each flood line still comes out whole. A line is
//! `flood NNNNNN <filler>` and its end, `LINE` bytes in all, with `NNNNNN`
//! counting from 0 and the filler `abc…xyzabc…` up to the line end, so a
//! line cut by other text is easy to spot. At the end it prints
//! `console-flood: N lines written`.

use alloc::vec::Vec;

use abi::MAX_LEASE_LEN;

use crate::Attack;

pub const ATTACKS: &[Attack] = &[Attack {
    name: "console-flood",
    about: "BYTES: numbered lines to the console in writes of up to 1 MiB",
    run: flood,
}];

/// Bytes of one flood line, its end included.
const LINE: usize = 128;
/// `flood NNNNNN `.
const HEADER: usize = 13;
/// Most lines per write: a whole number of lines in one lease.
const LINES_PER_WRITE: usize = MAX_LEASE_LEN as usize / LINE;

fn flood(args: &mut dyn Iterator<Item = &'static str>) -> i32 {
    let Some(total) = args.next().and_then(|bytes| bytes.parse::<usize>().ok()) else {
        urt::println!("usage: hostile console-flood BYTES");
        return 2;
    };
    let lines = total / LINE;
    let mut buffer = Vec::new();
    if buffer.try_reserve_exact(lines.min(LINES_PER_WRITE) * LINE).is_err() {
        urt::println!("console-flood: no memory for the lines");
        return 1;
    }
    let mut written = 0;
    while written < lines {
        let batch = (lines - written).min(LINES_PER_WRITE);
        buffer.clear();
        for number in written..written + batch {
            push_line(&mut buffer, number);
        }
        urt::io::write_bytes(&buffer);
        written += batch;
    }
    urt::println!("console-flood: {written} lines written");
    0
}

fn push_line(buffer: &mut Vec<u8>, number: usize) {
    buffer.extend_from_slice(b"flood ");
    let mut digits = [b'0'; 6];
    let mut rest = number;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buffer.extend_from_slice(&digits);
    buffer.push(b' ');
    for i in 0..LINE - HEADER - 1 {
        buffer.push(b'a' + (i % 26) as u8);
    }
    buffer.push(b'\n');
}
