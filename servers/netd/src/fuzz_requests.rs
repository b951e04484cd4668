//! The requests of netd's host fuzzing, and the contract's rule for which of
//! them are malformed.

use abi::{MAX_MESSAGE, lease_flags};
use libsock::limits::{INLINE_MAX, MAX_BACKLOG, MAX_MESSAGE_LEN, MAX_PORT, is_local_host};
use libsock::proto::{self, Request, Wait, op};
use urt::rng::Rng;

use crate::fake_kernel::FakeLease;

/// One request as netd receives it.
#[derive(Clone, Debug)]
pub struct Shape {
    pub op: u32,
    pub bytes: Vec<u8>,
    pub leases: Vec<FakeLease>,
}

/// Whether the contract calls the request malformed (`E_INVALID_ARG` at
/// once): it does not decode exactly, its operation code disagrees, a field
/// is out of range, or its leases are not the ones the table asks for.
pub fn is_malformed(op: u32, bytes: &[u8], leases: &[FakeLease]) -> bool {
    let request = match proto::decode_request_with_data(bytes) {
        Ok((request, _)) if request.operation() == op => request,
        _ => return true,
    };
    let bad_port = |port: u32| port > MAX_PORT;
    let lease_fits = |flag: u64, len: u32| match leases {
        [] => len == 0,
        [lease] => lease.flags & flag != 0 && lease.data.len() as u64 >= u64::from(len),
        _ => false,
    };
    match request {
        Request::Listen { port } | Request::Disconnect { port } => !leases.is_empty() || bad_port(port),
        Request::Connect { port, host } => !leases.is_empty() || bad_port(port) || !is_local_host(host),
        Request::Send { port, len } => bad_port(port) || len > MAX_MESSAGE_LEN || !lease_fits(lease_flags::READ, len),
        Request::Recv { port, len } => bad_port(port) || len == 0 || !lease_fits(lease_flags::WRITE, len),
        Request::List { .. } => !leases.is_empty(),
        Request::ListenWait { port, .. } | Request::Accept { port, .. } => !leases.is_empty() || bad_port(port),
        Request::ListenQueue { port, backlog } => {
            !leases.is_empty() || bad_port(port) || backlog == 0 || backlog > MAX_BACKLOG
        }
        Request::SendWait { port, len, .. } => {
            bad_port(port) || len > MAX_MESSAGE_LEN || !lease_fits(lease_flags::READ, len)
        }
        Request::RecvWait { port, len, .. } => bad_port(port) || len == 0 || !lease_fits(lease_flags::WRITE, len),
        // Its lease must hold `count` entries; not generated here, so never
        // called malformed (nothing is asserted about it).
        Request::Poll { .. } => false,
        Request::SendInline { port, len, .. } => {
            bad_port(port) || len > INLINE_MAX || !lease_fits(lease_flags::READ, len)
        }
        Request::RecvInline { port, len, .. } => bad_port(port) || len == 0 || !lease_fits(lease_flags::WRITE, len),
    }
}

const HOSTS: [&str; 6] = ["localhost", "127.0.0.1", "", "LOCALHOST", "127.0.0.2", "localhost\0"];
const LENGTHS: [u32; 12] = [0, 1, 7, 100, 4095, 4096, 4097, 6000, 65_535, 65_536, 65_537, u32::MAX];

fn port(rng: &mut Rng, ports: &[u32]) -> u32 {
    match rng.below(10) {
        0..=7 => rng.pick(ports),
        8 => rng.pick(&[0, MAX_PORT, MAX_PORT + 1, u32::MAX]),
        _ => rng.next_u64() as u32,
    }
}

fn length(rng: &mut Rng) -> u32 {
    if rng.chance(60) { rng.below(200) as u32 } else { rng.pick(&LENGTHS) }
}

fn wait(rng: &mut Rng) -> Wait {
    match rng.below(10) {
        0 => Wait::NonBlocking,
        1 => Wait::Ms(rng.below(50) as u32),
        _ => Wait::Forever,
    }
}

fn request<'h>(rng: &mut Rng, ports: &[u32]) -> Request<'h> {
    let port = port(rng, ports);
    match rng.below(16) {
        0 | 1 => Request::Listen { port },
        2 | 3 => Request::Connect { port, host: if rng.chance(85) { "localhost" } else { rng.pick(&HOSTS) } },
        4..=6 => Request::Send { port, len: length(rng) },
        7..=9 => Request::Recv { port, len: length(rng) },
        10 => Request::Disconnect { port },
        12 | 13 => Request::SendInline { port, len: length(rng), wait: wait(rng) },
        14 | 15 => Request::RecvInline { port, len: length(rng), wait: wait(rng) },
        _ => Request::List { start_index: rng.below(20) as u32 },
    }
}

/// Leases as a client would lend them for `request`, usually right.
fn leases(rng: &mut Rng, request: &Request<'_>) -> Vec<FakeLease> {
    let data = |rng: &mut Rng, len: usize| (0..len).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>();
    let lend = |len: u32| (len as usize).min(MAX_MESSAGE_LEN as usize + 8);
    let mut leases = match *request {
        Request::Send { len, .. } | Request::SendInline { len, .. } if len > 0 || rng.chance(30) => {
            vec![FakeLease::read(&data(rng, lend(len)))]
        }
        Request::Recv { len, .. } | Request::RecvInline { len, .. } => vec![FakeLease::write(lend(len))],
        _ => vec![],
    };
    if rng.chance(10) {
        match rng.below(4) {
            0 => leases.clear(),
            1 => leases.push(FakeLease::read(&data(rng, 8))),
            2 => {
                for lease in &mut leases {
                    lease.flags = rng.below(4);
                }
            }
            _ => {
                for lease in &mut leases {
                    lease.data.truncate(rng.below(lease.data.len() as u64 + 1) as usize);
                }
            }
        }
    }
    leases
}

/// Breaks a valid encoding: cut, extended, a byte changed, another version.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(rng.next_u64() as u8);
        return;
    }
    match rng.below(4) {
        0 => bytes.truncate(rng.below(bytes.len() as u64) as usize),
        1 => bytes.extend((0..1 + rng.below(4)).map(|_| rng.next_u64() as u8)),
        2 => {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        _ => bytes[0] = rng.pick(&[0, 2, 0x7f, 0xff]),
    }
}

/// The next request: a well-formed one on the known ports, or one broken on
/// purpose (random bytes, a mutated encoding, a wrong operation code, wrong
/// leases, fields out of range).
pub fn plan(rng: &mut Rng, ports: &[u32]) -> Shape {
    if rng.chance(8) {
        let len = if rng.chance(90) { rng.below(40) } else { rng.below(MAX_MESSAGE as u64 + 1) };
        let bytes = (0..len).map(|_| rng.next_u64() as u8).collect();
        let op = if rng.chance(80) { rng.below(9) as u32 } else { rng.next_u64() as u32 };
        return Shape { op, bytes, leases: vec![] };
    }
    let request = request(rng, ports);
    let leases = leases(rng, &request);
    // An inline send's data is its lease's, as libsock sends it; a request
    // too long for one message is no message (empty bytes, malformed).
    let len = request.data_len() as usize;
    let data = match leases.first() {
        _ if len > MAX_MESSAGE => Vec::new(),
        Some(lease) if lease.data.len() >= len => lease.data[..len].to_vec(),
        _ => vec![0x5a; len],
    };
    let mut buf = [0u8; MAX_MESSAGE];
    let mut bytes = proto::encode_request_with_data(&request, &data, &mut buf).map(<[u8]>::to_vec).unwrap_or_default();
    let mut op = request.operation();
    match rng.below(10) {
        0 | 1 => mutate(rng, &mut bytes),
        2 => {
            op = if rng.chance(70) {
                rng.pick(&[0, op::LISTEN, op::SEND, op::RECV, op::LIST, 8, 0x8000_0003])
            } else {
                rng.next_u64() as u32
            }
        }
        _ => {}
    }
    Shape { op, bytes, leases }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(request: &Request<'_>) -> Vec<u8> {
        let mut buf = [0u8; MAX_MESSAGE];
        proto::encode_request(request, &mut buf).unwrap().to_vec()
    }

    #[test]
    fn the_malformed_rule_follows_the_protocol_table() {
        let send = Request::Send { port: 1, len: 4 };
        let bytes = encoded(&send);
        assert!(!is_malformed(op::SEND, &bytes, &[FakeLease::read(b"abcd")]));
        assert!(is_malformed(op::RECV, &bytes, &[FakeLease::read(b"abcd")]), "operation code disagrees");
        assert!(is_malformed(op::SEND, &bytes, &[FakeLease::read(b"abc")]), "lease too short");
        assert!(is_malformed(op::SEND, &bytes, &[FakeLease::write(4)]), "no READ right");
        assert!(is_malformed(op::SEND, &bytes, &[]), "no lease for data");
        assert!(is_malformed(op::SEND, &bytes[..bytes.len() - 1], &[FakeLease::read(b"abcd")]), "cut");
        assert!(!is_malformed(op::SEND, &encoded(&Request::Send { port: 1, len: 0 }), &[]));
        assert!(is_malformed(op::RECV, &encoded(&Request::Recv { port: 1, len: 0 }), &[FakeLease::write(4)]));
        assert!(is_malformed(op::LISTEN, &encoded(&Request::Listen { port: 65_536 }), &[]));
        assert!(is_malformed(op::LIST, &encoded(&Request::List { start_index: 0 }), &[FakeLease::write(1)]));
        assert!(is_malformed(op::CONNECT, &encoded(&Request::Connect { port: 1, host: "example" }), &[]));
        let inline = Request::SendInline { port: 1, len: 2, wait: Wait::Forever };
        let mut buf = [0u8; MAX_MESSAGE];
        let bytes = proto::encode_request_with_data(&inline, b"hi", &mut buf).unwrap().to_vec();
        assert!(!is_malformed(op::SEND_INLINE, &bytes, &[FakeLease::read(b"hi")]));
        assert!(is_malformed(op::SEND_INLINE, &bytes[..bytes.len() - 1], &[FakeLease::read(b"hi")]), "data cut");
        assert!(is_malformed(op::SEND_INLINE, &bytes, &[]), "no lease for a send that may wait");
        assert!(is_malformed(7, &[proto::PROTOCOL_VERSION, 6], &[]), "7 is no operation");
    }

    #[test]
    fn plans_mix_malformed_and_well_formed_requests() {
        let mut rng = Rng::new(7);
        let shapes: Vec<Shape> = (0..2000).map(|_| plan(&mut rng, &[1, 2, 3])).collect();
        let malformed = shapes.iter().filter(|s| is_malformed(s.op, &s.bytes, &s.leases)).count();
        assert!((500..1500).contains(&malformed), "{malformed} of 2000 malformed");
    }
}
