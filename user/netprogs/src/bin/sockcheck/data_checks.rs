//! Checks on messages, against an echo helper: boundaries, empty messages,
//! zero bytes, pieces for short buffers and the zero byte after a short
//! piece, the 4 KiB copy limit on both sides, 64 KiB, and the bytes netstat
//! shows waiting.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use libsock::limits::{MAX_MESSAGE_LEN, SMALL_MESSAGE_MAX};
use netprogs::net::recv_message;
use urt::sleep;

use crate::suite::{Outcome, PATIENCE_MS, Suite, code, ensure, now_ms, success};

pub fn run(suite: &mut Suite) {
    let server = suite.port();
    let local = match suite.connect_helper("echo", server, &[]) {
        Ok((_, local)) => local,
        Err(why) => {
            suite.check("connect to an echo helper", Err(why));
            return;
        }
    };
    let outcome = boundaries(suite, local);
    suite.check("each send is one message: boundaries kept", outcome);
    let outcome = round_trip(suite, local, &[]);
    suite.check("a zero-length message arrives as an empty message", outcome);
    let outcome = round_trip(suite, local, b"a\0b\0\0c");
    suite.check("zero bytes inside a message arrive intact", outcome);
    let outcome = pieces(suite, local);
    suite.check("a short buffer gets the message in pieces, in order", outcome);
    let outcome = zero_after_short_piece(suite, local);
    suite.check("a piece shorter than len is followed by a zero byte", outcome);
    let outcome = no_zero_after_exact_piece(suite, local);
    suite.check("a piece of exactly len bytes has no zero byte after it", outcome);
    for (name, len) in [
        ("a 4 KiB message (copied into netd) round trip", SMALL_MESSAGE_MAX as usize),
        ("a 4 KiB + 1 message (handed over) round trip", SMALL_MESSAGE_MAX as usize + 1),
        ("a 64 KiB message round trip", MAX_MESSAGE_LEN as usize),
    ] {
        let message: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        let outcome = round_trip(suite, local, &message);
        suite.check(name, outcome);
    }
    let outcome = queued_shown(suite, local);
    suite.check("netstat shows the bytes waiting to be received", outcome);
    let outcome = success(suite.sockets.disconnect(local), "disconnect")
        .and_then(|()| suite.wait_row(server, "the peer's reset socket is freed", |row| row.is_none()));
    suite.check("the peer of a closed socket is freed once told (no port leaks)", outcome);
}

/// Sends `message` and expects it back whole.
fn round_trip(suite: &mut Suite, local: u16, message: &[u8]) -> Outcome {
    success(suite.sockets.send(local, message), "send")?;
    let mut scratch = vec![0u8; MAX_MESSAGE_LEN as usize];
    let mut back = Vec::new();
    success(recv_message(&mut suite.sockets, local, &mut scratch, &mut back), "recv")?;
    ensure(back == message, || {
        format!("sent {} bytes, got {} bytes back (or different ones)", message.len(), back.len())
    })
}

fn boundaries(suite: &mut Suite, local: u16) -> Outcome {
    for message in [&b"a"[..], b"bc", b"def"] {
        success(suite.sockets.send(local, message), "send")?;
        let mut buf = [0u8; 64];
        let (len, more) = success(suite.sockets.recv(local, &mut buf), "recv")?;
        ensure(&buf[..len] == message && !more, || format!("sent {message:?}, got {:?} (more: {more})", &buf[..len]))?;
    }
    Ok(())
}

fn pieces(suite: &mut Suite, local: u16) -> Outcome {
    success(suite.sockets.send(local, b"0123456789"), "send")?;
    let mut got = Vec::new();
    for expected_more in [true, true, false] {
        let mut buf = [0u8; 4];
        let (len, more) = success(suite.sockets.recv(local, &mut buf), "recv")?;
        ensure(more == expected_more, || format!("piece {:?}: more = {more}", &buf[..len]))?;
        got.extend_from_slice(&buf[..len]);
    }
    ensure(got == b"0123456789", || format!("pieces joined: {got:?}"))
}

fn zero_after_short_piece(suite: &mut Suite, local: u16) -> Outcome {
    let mut seed = suite.sockets.seed();
    code(seed.send(local.into(), b"abc", 3), 0)?;
    let mut buf = [0xffu8; 8];
    code(seed.recv(local.into(), &mut buf, 8), 0)?;
    ensure(&buf[..4] == b"abc\0", || format!("buffer {buf:?}"))
}

fn no_zero_after_exact_piece(suite: &mut Suite, local: u16) -> Outcome {
    let mut seed = suite.sockets.seed();
    code(seed.send(local.into(), b"abcd", 4), 0)?;
    let mut buf = [0xffu8; 8];
    code(seed.recv(local.into(), &mut buf, 4), 0)?;
    ensure(&buf[..5] == b"abcd\xff", || format!("buffer {buf:?}"))
}

fn queued_shown(suite: &mut Suite, local: u16) -> Outcome {
    const MESSAGE: &[u8] = b"waiting";
    success(suite.sockets.send(local, MESSAGE), "send")?;
    let start = now_ms();
    let shown = loop {
        let queued = suite.row(local)?.map_or(0, |r| r.queued);
        if queued != 0 || now_ms() - start > PATIENCE_MS {
            break queued;
        }
        let _ = sleep(5);
    };
    let mut buf = [0u8; 16];
    let got = suite.sockets.recv(local, &mut buf);
    ensure(shown as usize == MESSAGE.len(), || format!("netstat showed {shown} bytes"))?;
    ensure(got.is_ok_and(|(len, _)| &buf[..len] == MESSAGE), || format!("recv: {got:?}"))
}
