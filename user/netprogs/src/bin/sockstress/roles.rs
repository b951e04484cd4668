//! The two tasks of a pair. The client connects, then repeatedly asks the
//! run for credits and sends a burst of that many messages less one, the
//! last asking for a reply; it checks the reply. Granted nothing, it sends
//! its end marker and disconnects. The server listens, checks every
//! message, answers those that ask, and ends at the first reset. Each
//! reports every message it checked, and finally how its connection ended.

use alloc::vec;
use alloc::vec::Vec;

use abi::TaskId;
use libsock::{KernelTransport, SockError, Sockets};
use netprogs::net::connect_retrying;
use netprogs::stress::args::PairArgs;
use netprogs::stress::report::{Call, Ending, GRANT_LEN, REPORT, Report, Side};
use netprogs::stress::rng::{MAX_PAYLOAD, Rng, payload_len, recv_len, send_pieces};
use netprogs::stress::verify::{Counts, Verdict, Verifier};
use netprogs::stress::wire::{HEADER_LEN, MAX_WIRE_LEN, Outgoing, stream_id};
use urt::ipc::call;
use urt::println;

/// Most messages a client sends before it waits for a reply.
const MAX_BURST: u64 = 8;
/// How long a client waits for its server to listen.
const CONNECT_PATIENCE_MS: u64 = 5_000;
/// Purposes of the pair's random streams (see `Rng::derived`).
const CLIENT_CHOICES: u32 = 1;
const SERVER_CHOICES: u32 = 2;
/// Exit status when the run cannot be told anything: it has gone.
const RUN_GONE: i32 = 3;

/// Talks to the run on behalf of one end of a pair.
struct Reporter {
    run: TaskId,
    pair: u32,
    side: Side,
    reported: Counts,
}

impl Reporter {
    fn new(args: &PairArgs, side: Side) -> Self {
        Reporter { run: TaskId::from_raw(args.coordinator), pair: args.pair, side, reported: Counts::default() }
    }

    /// Reports what `counts` gained since last time; returns the grant.
    fn report(&mut self, counts: &Counts, wanted: u32, ending: Option<Ending>) -> u32 {
        let report = Report { pair: self.pair, side: self.side, counts: counts.since(&self.reported), wanted, ending };
        self.reported = *counts;
        let mut grant = [0u8; GRANT_LEN];
        match call(self.run, REPORT, &report.encode(), &mut grant, &[]) {
            Ok(answer) if answer.len == GRANT_LEN => u32::from_le_bytes(grant),
            _ => {
                println!("sockstress {}: the run has gone", self.side.name());
                urt::exit(RUN_GONE)
            }
        }
    }

    /// The last report: how the connection ended. Returns the exit status.
    fn end(&mut self, counts: &Counts, ending: Ending) -> i32 {
        self.report(counts, 0, Some(ending));
        match ending {
            Ending::Reset { .. } | Ending::Closed => 0,
            Ending::Failed { .. } | Ending::Unframed => 1,
        }
    }
}

/// A failed socket call as an ending.
fn ending(call: Call, error: SockError, verifier: &Verifier) -> Ending {
    match error {
        SockError::ConnectionReset(reason) => Ending::Reset { call, reason, saw_end: verifier.ended() },
        error => Ending::Failed { call, error },
    }
}

/// One end's socket and buffers.
struct Endpoint {
    sockets: Sockets<KernelTransport>,
    port: u16,
    rng: Rng,
    scratch: Vec<u8>,
    wire: Vec<u8>,
    pieces: Vec<usize>,
    verdicts: Vec<Verdict>,
}

impl Endpoint {
    fn new(args: &PairArgs, purpose: u32) -> Self {
        Endpoint {
            sockets: libsock::system(),
            port: args.port,
            rng: Rng::derived(args.seed, args.pair, purpose),
            scratch: vec![0; MAX_PAYLOAD],
            wire: Vec::with_capacity(MAX_WIRE_LEN),
            pieces: Vec::new(),
            verdicts: Vec::new(),
        }
    }

    /// Builds the next message of `out` and sends it, cut into pieces.
    fn send_message(&mut self, out: &mut Outgoing, reply_wanted: bool) -> Result<(), SockError> {
        let len = payload_len(&mut self.rng, HEADER_LEN);
        out.next_message(&mut self.rng, len, reply_wanted, &mut self.wire);
        send_pieces(&mut self.rng, self.wire.len(), &mut self.pieces);
        let mut at = 0;
        for &piece in &self.pieces {
            self.sockets.send(self.port, &self.wire[at..at + piece])?;
            at += piece;
        }
        Ok(())
    }

    /// Receives one piece (of a random length) into the verifier; its
    /// verdicts are left in `self.verdicts`.
    fn receive(&mut self, verifier: &mut Verifier) -> Result<(), SockError> {
        let len = recv_len(&mut self.rng);
        let (got, _) = self.sockets.recv(self.port, &mut self.scratch[..len])?;
        self.verdicts.clear();
        let verdicts = &mut self.verdicts;
        verifier.feed(&self.scratch[..got], |verdict| verdicts.push(verdict));
        Ok(())
    }
}

pub fn server(args: PairArgs) -> i32 {
    let mut reporter = Reporter::new(&args, Side::Server);
    let mut end = Endpoint::new(&args, SERVER_CHOICES);
    let mut verifier = Verifier::new(stream_id(args.pair, false));
    let mut replies = Outgoing::new(stream_id(args.pair, true));
    if let Err(error) = end.sockets.listen(args.port) {
        return reporter.end(&verifier.counts, Ending::Failed { call: Call::Listen, error });
    }
    loop {
        if let Err(error) = end.receive(&mut verifier) {
            if error == SockError::ConnectionReset(libsock::ResetReason::PeerDisconnected) {
                verifier.closed_in_order();
            }
            return reporter.end(&verifier.counts, ending(Call::Recv, error, &verifier));
        }
        for index in 0..end.verdicts.len() {
            match end.verdicts[index] {
                Verdict::Unframed(_) => return reporter.end(&verifier.counts, Ending::Unframed),
                Verdict::Verified { reply_wanted: true, .. } => {
                    reporter.report(&verifier.counts, 0, None);
                    if let Err(error) = end.send_message(&mut replies, false) {
                        return reporter.end(&verifier.counts, ending(Call::Send, error, &verifier));
                    }
                }
                _ => {
                    reporter.report(&verifier.counts, 0, None);
                }
            }
        }
    }
}

pub fn client(args: PairArgs) -> i32 {
    let mut reporter = Reporter::new(&args, Side::Client);
    let mut end = Endpoint::new(&args, CLIENT_CHOICES);
    let mut verifier = Verifier::new(stream_id(args.pair, true));
    let mut messages = Outgoing::new(stream_id(args.pair, false));
    match connect_retrying(&mut end.sockets, args.port, "localhost", CONNECT_PATIENCE_MS) {
        Ok(local) => end.port = local,
        Err(error) => {
            return reporter.end(&verifier.counts, ending(Call::Connect, error, &verifier));
        }
    }
    loop {
        let burst = end.rng.between(1, MAX_BURST);
        let granted = u64::from(reporter.report(&verifier.counts, burst as u32 + 1, None));
        if granted == 0 {
            return close(&mut end, &mut messages, &mut reporter, &verifier);
        }
        // The reply is a message too: `granted` counts it.
        let (count, reply_wanted) = if granted >= 2 { (granted - 1, true) } else { (1, false) };
        for sent in 1..=count {
            if let Err(error) = end.send_message(&mut messages, reply_wanted && sent == count) {
                return reporter.end(&verifier.counts, ending(Call::Send, error, &verifier));
            }
        }
        if reply_wanted && let Err(ending) = await_reply(&mut end, &mut verifier) {
            return reporter.end(&verifier.counts, ending);
        }
    }
}

/// Receives until the reply has come (intact or not); duplicates before it
/// are counted and passed over.
fn await_reply(end: &mut Endpoint, verifier: &mut Verifier) -> Result<(), Ending> {
    loop {
        end.receive(verifier).map_err(|error| ending(Call::Recv, error, verifier))?;
        for verdict in &end.verdicts {
            match verdict {
                Verdict::Unframed(_) => return Err(Ending::Unframed),
                Verdict::Duplicate { .. } => {}
                Verdict::Verified { .. } | Verdict::Corrupted { .. } | Verdict::End { .. } => {
                    return Ok(());
                }
            }
        }
    }
}

/// The client's orderly end: the end marker, then `disconnect`.
fn close(end: &mut Endpoint, messages: &mut Outgoing, reporter: &mut Reporter, verifier: &Verifier) -> i32 {
    let marker = messages.end_marker();
    if let Err(error) = end.sockets.send(end.port, &marker) {
        return reporter.end(&verifier.counts, ending(Call::Send, error, verifier));
    }
    if let Err(error) = end.sockets.disconnect(end.port) {
        return reporter.end(&verifier.counts, ending(Call::Disconnect, error, verifier));
    }
    reporter.end(&verifier.counts, Ending::Closed)
}
