//! sockstress's pure parts: the message format, the per-stream verifier,
//! the random sizes, the command line, the reports a pair's tasks send to
//! the run and the run's books.
//!
//! A run starts PAIRS client/server pairs (copies of sockstress, spawned
//! through init) and keeps PAIRS of them busy until MESSAGES messages have
//! been verified. A client sends bursts of messages of random size (1 byte
//! to 64 KiB of payload, so some need two sends); the server checks each
//! and answers the last of a burst with a message of its own, which the
//! client checks. Both report what they checked to the run, which kills a
//! random client every KILL_EVERY messages and starts a new pair in its place.

pub mod args;
pub mod ledger;
pub mod pair;
pub mod report;
pub mod rng;
pub mod verify;
pub mod wire;

#[cfg(test)]
mod ledger_tests;
#[cfg(test)]
mod verify_tests;
