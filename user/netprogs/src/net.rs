//! Socket helpers the programs share, over any `libsock::Transport`.

use alloc::vec::Vec;

use libsock::proto::SocketRow;
use libsock::{SockError, Sockets, Transport, Wait};

/// Receives one whole message into `message` (cleared first), piece by piece
/// through `scratch`.
pub fn recv_message<T: Transport>(
    sockets: &mut Sockets<T>,
    port: u16,
    scratch: &mut [u8],
    message: &mut Vec<u8>,
) -> Result<(), SockError> {
    message.clear();
    loop {
        let (len, more) = sockets.recv(port, scratch)?;
        message.extend_from_slice(&scratch[..len]);
        if !more {
            return Ok(());
        }
    }
}

/// [`recv_message`], waiting for its first piece as `wait` says (the rest
/// of a message is in netd already, so the other pieces never wait).
pub fn recv_message_wait<T: Transport>(
    sockets: &mut Sockets<T>,
    port: u16,
    scratch: &mut [u8],
    message: &mut Vec<u8>,
    wait: Wait,
) -> Result<(), SockError> {
    message.clear();
    let mut wait = wait;
    loop {
        let (len, more) = sockets.recv_wait(port, scratch, wait)?;
        message.extend_from_slice(&scratch[..len]);
        if !more {
            return Ok(());
        }
        wait = Wait::Forever;
    }
}

/// Every socket netd holds, in table order, page by page.
pub fn all_rows<T: Transport>(sockets: &mut Sockets<T>) -> Result<Vec<SocketRow>, SockError> {
    let mut rows = Vec::new();
    let mut cursor = Some(0);
    while let Some(start) = cursor {
        let page = sockets.list(start)?;
        rows.extend(page.iter().copied());
        // A cursor that does not move on would loop for ever.
        cursor = page.next_index.filter(|&next| next > start);
    }
    Ok(rows)
}

/// The socket on `port`, if any.
pub fn find_row<T: Transport>(sockets: &mut Sockets<T>, port: u16) -> Result<Option<SocketRow>, SockError> {
    Ok(all_rows(sockets)?.into_iter().find(|row| row.port == port))
}

/// `connect`, retried while nothing listens on `port` yet (the listener may
/// start after us), for up to `within_ms`.
pub fn connect_retrying<T: Transport>(
    sockets: &mut Sockets<T>,
    port: u16,
    host: &str,
    within_ms: u64,
) -> Result<u16, SockError> {
    let start = sockets.transport().now_ms();
    loop {
        match sockets.connect(port, host) {
            Err(SockError::NotFound) if sockets.transport().now_ms().saturating_sub(start) < within_ms => {
                sockets.transport().sleep_ms(RETRY_MS);
            }
            other => return other,
        }
    }
}

/// Pause between connection attempts.
pub const RETRY_MS: u64 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use abi::{KernelError, TaskId};
    use libsock::LeaseBuf;
    use libsock::proto::{self, ListPage, Request, Response, RowState};
    use std::collections::VecDeque;

    /// Answers each call with the next scripted response; a `Received`
    /// response writes `fill` bytes into the receive lease.
    struct Scripted {
        answers: VecDeque<Response>,
        fill: u8,
        clock: u64,
        requests: Vec<u32>,
    }

    impl Transport for Scripted {
        fn lookup_netd(&mut self) -> Option<TaskId> {
            Some(TaskId::new(2, 0))
        }

        fn call(
            &mut self,
            _dest: TaskId,
            operation: u32,
            request: &[u8],
            reply: &mut [u8],
            leases: &mut [LeaseBuf<'_>],
        ) -> Result<(u32, usize), KernelError> {
            self.requests.push(operation);
            if let Ok(Request::List { start_index }) = proto::decode_request(request) {
                self.requests.push(1000 + start_index);
            }
            let answer = self.answers.pop_front().ok_or(KernelError::PeerDied)?;
            if let (Response::Received { len, .. }, Some(LeaseBuf::Write(buf))) = (answer, leases.first_mut()) {
                buf[..len as usize].fill(self.fill);
                self.fill += 1;
            }
            let len = proto::encode_response(&answer, reply).unwrap().len();
            Ok((proto::PROTOCOL_VERSION as u32, len))
        }

        fn now_ms(&mut self) -> u64 {
            self.clock
        }

        fn sleep_ms(&mut self, ms: u64) {
            self.clock += ms;
        }
    }

    fn sockets(answers: Vec<Response>) -> Sockets<Scripted> {
        Sockets::new(Scripted { answers: answers.into(), fill: b'a', clock: 0, requests: Vec::new() })
    }

    fn row(port: u16) -> SocketRow {
        SocketRow { port, state: RowState::Listening, owner: 7, peer_port: None, queued: 0 }
    }

    fn page(ports: &[u16], next_index: Option<u32>) -> Response {
        let mut page = ListPage::empty(ports.len() as u32);
        for (slot, &port) in page.rows.iter_mut().zip(ports) {
            *slot = Some(row(port));
        }
        page.next_index = next_index;
        Response::ListPage(page)
    }

    #[test]
    fn rows_follow_the_cursor_to_the_end() {
        let mut s = sockets(vec![page(&[1], Some(9)), page(&[2], Some(12)), page(&[3], None)]);
        let ports: Vec<u16> = all_rows(&mut s).unwrap().iter().map(|r| r.port).collect();
        assert_eq!(ports, [1, 2, 3]);
        assert_eq!(s.transport().requests, [6, 1000, 6, 1009, 6, 1012]);
    }

    #[test]
    fn a_cursor_that_goes_back_ends_the_walk() {
        let mut s = sockets(vec![page(&[1], Some(4)), page(&[2], Some(4))]);
        assert_eq!(all_rows(&mut s).unwrap().len(), 2);
        let mut s = sockets(vec![page(&[5], None)]);
        assert_eq!(find_row(&mut s, 5).unwrap(), Some(row(5)));
    }

    #[test]
    fn a_message_is_assembled_from_its_pieces() {
        let mut s =
            sockets(vec![Response::Received { len: 4, more: true }, Response::Received { len: 2, more: false }]);
        let mut scratch = [0u8; 4];
        let mut message = vec![9];
        recv_message(&mut s, 10, &mut scratch, &mut message).unwrap();
        assert_eq!(message, b"aaaabb");
    }

    #[test]
    fn connect_retries_only_while_nothing_listens() {
        let not_found = Response::Error(SockError::NotFound);
        let mut s = sockets(vec![not_found, not_found, Response::Ok(65535)]);
        assert_eq!(connect_retrying(&mut s, 10, "localhost", 1000), Ok(65535));
        assert_eq!(s.transport().clock, 2 * RETRY_MS);

        let mut s = sockets(vec![Response::Error(SockError::WrongState)]);
        assert_eq!(connect_retrying(&mut s, 10, "localhost", 1000), Err(SockError::WrongState));

        let mut s = sockets(vec![not_found; 3]);
        assert_eq!(connect_retrying(&mut s, 10, "localhost", 2 * RETRY_MS), Err(SockError::NotFound));
    }
}
