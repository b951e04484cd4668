//! Collecting a child's output in the background and waiting for text in it.
//!
//! A reader thread appends everything the pipe delivers to a shared buffer and wakes
//! waiters; waits are bounded by a deadline, so nothing waits on a silent guest forever.

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Instant;

#[derive(Default)]
struct State {
    bytes: Vec<u8>,
    /// The writer closed the pipe (the process ended) or reading failed.
    closed: bool,
}

/// Output of one pipe, shared between its reader thread and the waiting side.
#[derive(Default)]
pub(crate) struct OutputLog {
    state: Mutex<State>,
    changed: Condvar,
}

/// What a wait ended with.
pub(crate) enum WaitOutcome<T> {
    Found(T),
    Closed,
    TimedOut,
}

impl OutputLog {
    /// Starts a thread that copies `pipe` into a new log until end of file.
    pub(crate) fn collect(pipe: impl Read + Send + 'static) -> (Arc<OutputLog>, JoinHandle<()>) {
        let log = Arc::new(OutputLog::default());
        let writer = Arc::clone(&log);
        let handle = thread::spawn(move || writer.copy_from(pipe));
        (log, handle)
    }

    fn copy_from(&self, mut pipe: impl Read) {
        let mut buffer = [0u8; 4096];
        loop {
            let read = pipe.read(&mut buffer);
            let mut state = self.lock();
            match read {
                Ok(0) | Err(_) => {
                    state.closed = true;
                    self.changed.notify_all();
                    return;
                }
                Ok(count) => state.bytes.extend_from_slice(&buffer[..count]),
            }
            self.changed.notify_all();
        }
    }

    /// A poisoned lock only means a waiting test panicked; the bytes are still good.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Everything received so far, decoded lossily.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// Text of `bytes[from..to]`.
    pub(crate) fn text_between(&self, from: usize, to: usize) -> String {
        let state = self.lock();
        let end = to.min(state.bytes.len());
        String::from_utf8_lossy(&state.bytes[from.min(end)..end]).into_owned()
    }

    /// Re-runs `matcher` on the whole buffer each time it grows until it returns a
    /// result, the pipe closes, or `deadline` passes.
    pub(crate) fn wait_for<T>(&self, deadline: Instant, mut matcher: impl FnMut(&[u8]) -> Option<T>) -> WaitOutcome<T> {
        let mut state = self.lock();
        loop {
            if let Some(found) = matcher(&state.bytes) {
                return WaitOutcome::Found(found);
            }
            if state.closed {
                return WaitOutcome::Closed;
            }
            let now = Instant::now();
            if now >= deadline {
                return WaitOutcome::TimedOut;
            }
            state = match self.changed.wait_timeout(state, deadline - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Waits (bounded) until the reader has seen end of file, so late output is included.
    pub(crate) fn wait_closed(&self, deadline: Instant) -> bool {
        let closed = |_: &[u8]| None::<()>;
        !matches!(self.wait_for(deadline, closed), WaitOutcome::TimedOut)
    }
}

/// First occurrence of `needle` in `haystack` at or after `from`: (start, end).
pub(crate) fn find_after(haystack: &[u8], needle: &[u8], from: usize) -> Option<(usize, usize)> {
    let tail = haystack.get(from..)?;
    if needle.is_empty() {
        return Some((from, from));
    }
    tail.windows(needle.len()).position(|window| window == needle).map(|at| (from + at, from + at + needle.len()))
}

/// First complete line (ended by `\n`) that starts at or after `from` and begins with
/// `prefix`: (line start, end after the `\n`). A line starts at offset 0 or after `\n`.
pub(crate) fn find_line_after(haystack: &[u8], prefix: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut search = from;
    loop {
        let (start, _) = find_after(haystack, prefix, search)?;
        let at_line_start = start == 0 || haystack[start - 1] == b'\n';
        if at_line_start {
            let (newline, _) = find_after(haystack, b"\n", start)?;
            return Some((start, newline + 1));
        }
        search = start + 1;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn find_after_respects_the_start_position() {
        let text = b"abc abc";
        assert_eq!(find_after(text, b"abc", 0), Some((0, 3)));
        assert_eq!(find_after(text, b"abc", 1), Some((4, 7)));
        assert_eq!(find_after(text, b"abc", 5), None);
        assert_eq!(find_after(text, b"x", 100), None);
    }

    #[test]
    fn find_line_needs_line_start_and_line_end() {
        let text = b"no memory: here\nmemory: 255 MiB\r\nmemory: partial";
        assert_eq!(find_line_after(text, b"memory: ", 0), Some((16, 33)));
        assert_eq!(find_line_after(text, b"memory: ", 17), None, "unterminated line");
        assert_eq!(find_line_after(b"memory: x\n", b"memory: ", 0), Some((0, 10)));
    }

    #[test]
    fn waits_see_output_from_the_reader_thread_and_its_end() {
        let (log, handle) = OutputLog::collect(&b"hello\nworld\n"[..]);
        let deadline = Instant::now() + Duration::from_secs(5);
        let found = log.wait_for(deadline, |bytes| find_after(bytes, b"world", 0));
        assert!(matches!(found, WaitOutcome::Found((6, 11))));
        assert!(log.wait_closed(deadline));
        let missing = log.wait_for(deadline, |bytes| find_after(bytes, b"absent", 0));
        assert!(matches!(missing, WaitOutcome::Closed));
        handle.join().unwrap();
        assert_eq!(log.text(), "hello\nworld\n");
        assert_eq!(log.text_between(6, 100), "world\n");
    }

    #[test]
    fn waits_end_at_the_deadline() {
        let log = OutputLog::default();
        let start = Instant::now();
        let outcome = log.wait_for(start + Duration::from_millis(50), |_| None::<()>);
        assert!(matches!(outcome, WaitOutcome::TimedOut));
        assert!(start.elapsed() >= Duration::from_millis(50));
    }
}
