use super::*;
use crate::screen::Screen;

const A: TaskId = TaskId::new(5, 0);
const B: TaskId = TaskId::new(6, 0);
const C: TaskId = TaskId::new(7, 1);

/// Numbered lines of `width` bytes each (line end included), `tag` first.
fn lines(tag: &str, count: usize, width: usize) -> Vec<u8> {
    let mut text = Vec::new();
    for n in 0..count {
        let head = format!("{tag}{n:04}");
        text.extend_from_slice(head.as_bytes());
        text.extend(std::iter::repeat_n(b'.', width - head.len() - 1));
        text.push(b'\n');
    }
    text
}

/// Takes the next piece as the server would: reads what the queue asks for.
fn next_piece<const N: usize>(queue: &mut OutputQueue<N>, texts: &[(TaskId, &[u8])]) -> (TaskId, Vec<u8>, Next) {
    let write = queue.turn().expect("a write is pending");
    let text = texts.iter().find(|(writer, _)| *writer == write.writer).expect("a known writer").1;
    let read = &text[write.offset..write.offset + write.next_read()];
    let piece = queue.take_piece(read).expect("a piece");
    (write.writer, read[..piece.len].to_vec(), piece.next)
}

#[test]
fn pieces_end_after_the_last_line_end_and_turns_go_round() {
    let a = lines("a", 20, 100);
    let b = lines("b", 20, 100);
    let mut queue = OutputQueue::<4>::new();
    queue.add(A, a.len()).unwrap();
    queue.add(B, b.len()).unwrap();
    let texts = [(A, &a[..]), (B, &b[..])];

    let (writer, piece, next) = next_piece(&mut queue, &texts);
    assert_eq!((writer, piece.len(), next), (A, 1000, Next::PassesTurn), "ten whole lines of 100");
    assert_eq!(piece, a[..1000]);
    assert!(!queue.holds_line());
    let (writer, piece, _) = next_piece(&mut queue, &texts);
    assert_eq!((writer, piece.len()), (B, 1000));
    let (writer, piece, next) = next_piece(&mut queue, &texts);
    assert_eq!((writer, &piece[..], next), (A, &a[1000..], Next::Finished(A)));
    assert_eq!(queue.len(), 1);
    let (writer, _, next) = next_piece(&mut queue, &texts);
    assert_eq!((writer, next), (B, Next::Finished(B)));
    assert!(queue.is_empty() && queue.turn().is_none());
}

#[test]
fn the_rest_of_a_write_is_shown_as_it_is() {
    let mut queue = OutputQueue::<2>::new();
    let text = b"last line without an end";
    queue.add(A, text.len()).unwrap();
    assert_eq!(queue.take_piece(text), Some(Piece { len: text.len(), next: Next::Finished(A) }));
    assert!(!queue.holds_line());

    queue.add(B, 0).unwrap();
    assert_eq!(queue.turn().unwrap().next_read(), 0);
    assert_eq!(queue.take_piece(&[]), Some(Piece { len: 0, next: Next::Finished(B) }), "an empty write ends at once");
    assert_eq!(queue.take_piece(&[]), None, "nothing pending");
}

#[test]
fn a_line_longer_than_a_chunk_keeps_the_turn_until_it_ends() {
    let mut long = vec![b'x'; 2 * CHUNK + 10];
    long.push(b'\n');
    long.extend_from_slice(&lines("a", 30, 100));
    let b = lines("b", 30, 100);
    let mut queue = OutputQueue::<4>::new();
    queue.add(A, long.len()).unwrap();
    queue.add(B, b.len()).unwrap();
    let texts = [(A, &long[..]), (B, &b[..])];

    for _ in 0..2 {
        let (writer, piece, next) = next_piece(&mut queue, &texts);
        assert_eq!((writer, piece.len(), next), (A, CHUNK, Next::KeepsTurn));
        assert!(queue.holds_line());
    }
    let (writer, piece, next) = next_piece(&mut queue, &texts);
    assert_eq!((writer, next), (A, Next::PassesTurn));
    assert_eq!(piece.last(), Some(&b'\n'));
    assert!(!queue.holds_line());
    assert_eq!(queue.turn().unwrap().writer, B);
}

#[test]
fn a_line_past_the_whole_line_limit_passes_the_turn() {
    let endless = vec![b'x'; 3 * LONGEST_WHOLE_LINE];
    let b = lines("b", 5, 100);
    let mut queue = OutputQueue::<4>::new();
    queue.add(A, endless.len()).unwrap();
    queue.add(B, b.len()).unwrap();
    let texts = [(A, &endless[..]), (B, &b[..])];

    let mut held = 0;
    loop {
        let (writer, piece, next) = next_piece(&mut queue, &texts);
        assert_eq!(writer, A);
        held += piece.len();
        if next == Next::PassesTurn {
            break;
        }
        assert_eq!(next, Next::KeepsTurn);
    }
    assert_eq!(held, LONGEST_WHOLE_LINE);
    assert!(!queue.holds_line());
    assert_eq!(next_piece(&mut queue, &texts).0, B, "the other writer gets its turn");
    assert_eq!(next_piece(&mut queue, &texts).2, Next::KeepsTurn, "the long line holds again");
}

#[test]
fn writers_that_end_leave_the_queue_in_order() {
    let mut queue = OutputQueue::<3>::new();
    queue.add(A, 5000).unwrap();
    queue.add(B, 5000).unwrap();
    queue.add(C, 5000).unwrap();
    assert_eq!(queue.add(TaskId::new(8, 0), 1), Err(QueueFull), "one write per task, no more than N");

    // A holds a line, then ends: the hold ends with it.
    assert_eq!(queue.take_piece(&[b'x'; CHUNK]).unwrap().next, Next::KeepsTurn);
    assert!(queue.remove(A));
    assert!(!queue.holds_line());
    assert!(!queue.remove(A), "already gone");
    assert_eq!(queue.turn().unwrap().writer, B);

    queue.retain(|writer| writer != C);
    assert_eq!(queue.len(), 1);
    queue.add(A, 7).unwrap();
    queue.retain(|writer| writer != B);
    assert_eq!(queue.turn(), Some(PendingWrite { writer: A, offset: 0, len: 7 }));
}

/// The server's loop in miniature: pieces of two long writes, and whenever
/// no line is held, a short write from a third task. On screen, no line of a
/// long write is cut and each shows all its lines in order.
#[test]
fn other_output_lands_only_between_lines() {
    // Lines of 300 bytes do not divide a chunk; 1500 is longer than one.
    let mut a = lines("a", 40, 300);
    a.extend(lines("A", 3, 1500));
    a.extend_from_slice(b"a-prompt ");
    let b = lines("b", 70, 77);
    let mut queue = OutputQueue::<4>::new();
    queue.add(A, a.len()).unwrap();
    queue.add(B, b.len()).unwrap();
    let texts = [(A, &a[..]), (B, &b[..])];
    let mut screen = Screen::new();
    let mut out = Vec::new();
    let mut finished = Vec::new();
    while !queue.is_empty() {
        if !queue.holds_line() {
            screen.write(C, b"c\n", &mut out);
        }
        let (writer, piece, next) = next_piece(&mut queue, &texts);
        screen.write(writer, &piece, &mut out);
        if let Next::Finished(writer) = next {
            finished.push(writer);
        }
    }
    assert_eq!(finished, [B, A], "the shorter write ends first");

    let shown = String::from_utf8(out).unwrap();
    let shown_lines: Vec<&str> = shown.split("\r\n").collect();
    for (tag, text) in [("a", &a), ("b", &b)] {
        let expected: Vec<&str> = std::str::from_utf8(text).unwrap().lines().collect();
        let got: Vec<&str> = shown_lines
            .iter()
            .copied()
            .filter(|line| line.starts_with(tag) || line.starts_with(&tag.to_uppercase()))
            .collect();
        assert_eq!(got, expected, "every line of {tag} whole and in order");
    }
    assert!(shown_lines.iter().all(|line| line.len() <= 1 || line.starts_with(['a', 'A', 'b'])));
    assert!(shown_lines.iter().filter(|line| **line == "c").count() > 10, "the short writes went between");
}
