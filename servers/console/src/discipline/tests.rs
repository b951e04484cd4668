use super::*;

/// Feeds `input`; returns the echo and the signals raised.
fn feed_all(d: &mut Discipline, input: &[u8], reader_waiting: bool) -> (Vec<u8>, Vec<Signal>) {
    let mut echo = Vec::new();
    let signals = input.iter().filter_map(|&b| d.feed(b, reader_waiting, &mut echo)).collect();
    (echo, signals)
}

fn take_all(d: &mut Discipline) -> (Vec<Event>, Vec<u8>) {
    let mut echo = Vec::new();
    let mut events = Vec::new();
    while let Some(e) = d.take(&mut echo) {
        events.push(e);
    }
    (events, echo)
}

fn line(text: &str) -> Event {
    Event::Line(text.as_bytes().to_vec())
}

#[test]
fn cr_lf_and_crlf_each_end_one_line() {
    let mut d = Discipline::new();
    feed_all(&mut d, b"a\rb\nc\r\nd\n\re\r\r", false);
    let (events, _) = take_all(&mut d);
    // LF CR is two line ends; CR CR is two as well.
    let expected = [line("a"), line("b"), line("c"), line("d"), line(""), line("e"), line("")];
    assert_eq!(events, expected);
}

#[test]
fn live_reader_sees_characters_as_typed() {
    let mut d = Discipline::new();
    let (echo, _) = feed_all(&mut d, b"ls", true);
    assert_eq!(echo, b"ls");
    let (echo, _) = feed_all(&mut d, b"\r", true);
    assert_eq!(echo, b"\n");
    let (events, echo) = take_all(&mut d);
    assert_eq!(events, [line("ls")]);
    assert!(echo.is_empty(), "already shown: {echo:?}");
}

#[test]
fn typed_ahead_lines_are_echoed_when_taken() {
    let mut d = Discipline::new();
    let (echo, _) = feed_all(&mut d, b"echo hi\nps\n", false);
    assert!(echo.is_empty());
    let mut echo = Vec::new();
    assert_eq!(d.take(&mut echo), Some(line("echo hi")));
    assert_eq!(echo, b"echo hi\n");
    // A reader waits but a line is queued: no live echo yet.
    let (echo, _) = feed_all(&mut d, b"x", true);
    assert!(echo.is_empty());
    let (events, echo) = take_all(&mut d);
    assert_eq!(events, [line("ps")]);
    assert_eq!(echo, b"ps\n");
    let mut echo = Vec::new();
    d.catch_up(&mut echo);
    assert_eq!(echo, b"x");
}

#[test]
fn backspace_erases_characters_and_their_echo() {
    let mut d = Discipline::new();
    let (echo, _) = feed_all(&mut d, b"lx\x7fs\x08\x08\x08l", true);
    assert_eq!(echo, b"lx\x08 \x08s\x08 \x08\x08 \x08l");
    feed_all(&mut d, b"s\n", true);
    assert_eq!(take_all(&mut d).0, [line("ls")]);
    // Multi-byte characters go at once.
    feed_all(&mut d, "aé\x7f\n".as_bytes(), false);
    assert_eq!(take_all(&mut d).0, [line("a")]);
}

#[test]
fn ctrl_c_interrupts_and_drops_the_line() {
    let mut d = Discipline::new();
    let (echo, signals) = feed_all(&mut d, b"sle\x03", true);
    assert_eq!(signals, [Signal::Interrupt]);
    assert!(echo.ends_with(b"^C\n"));
    feed_all(&mut d, b"ok\n", false);
    assert_eq!(take_all(&mut d).0, [line("ok")]);
}

#[test]
fn ctrl_d_ends_input_or_hands_over_the_text() {
    let mut d = Discipline::new();
    feed_all(&mut d, b"\x04abc\x04\x04", false);
    let (events, _) = take_all(&mut d);
    assert_eq!(events, [Event::EndOfInput, line("abc"), Event::EndOfInput]);
}

#[test]
fn escape_sequences_and_control_bytes_are_ignored() {
    let mut d = Discipline::new();
    feed_all(&mut d, b"a\x1b[A\x1b[1;5Cb\x01\x1bxc\tz\n", false);
    // ESC followed by anything but [ drops that one byte (Alt-x).
    assert_eq!(take_all(&mut d).0, [line("abc\tz")]);
}

#[test]
fn long_lines_are_cut() {
    let mut d = Discipline::new();
    let long = vec![b'q'; MAX_LINE + 10];
    feed_all(&mut d, &long, false);
    feed_all(&mut d, b"\n", false);
    match &take_all(&mut d).0[..] {
        [Event::Line(l)] => assert_eq!(l.len(), MAX_LINE),
        other => panic!("{other:?}"),
    }
}

#[test]
fn broken_echo_is_repeated() {
    let mut d = Discipline::new();
    let (echo, _) = feed_all(&mut d, b"ec", true);
    assert_eq!(echo, b"ec");
    assert!(d.is_echoing());
    d.forget_echo();
    let mut echo = Vec::new();
    d.catch_up(&mut echo);
    assert_eq!(echo, b"ec");
}
