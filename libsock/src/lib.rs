//! The localhost socket calls of the xv6 socket assignment, as IPC stubs to
//! netd, and the wire protocol netd shares.
//!
//! - [`proto`]: the request and response encodings (postcard, versioned).
//! - [`Sockets`]: the five calls, `Result<_, SockError>` style, over a
//!   [`Transport`] that the user runtime implements with kernel syscalls.
//! - [`SeedApi`] (from [`Sockets::seed`]): the same calls with the seed's `i32`
//!   results and codes -1025..-1030.
//! - The extensions, on [`Sockets`] too (`extensions.rs`): `listen_queue`
//!   and `accept`, timeouts and non-blocking mode, `poll` over many ports
//!   and the console ([`poll`] has its entries).
//! - [`Listener`] and [`Stream`]: the same calls shaped like `std::net`'s
//!   types, closing their socket when dropped, with `embedded-io`'s `Read`
//!   and `Write` for generic no_std code.
//! - [`limits`]: every fixed limit of the service.
//! - [`system`]: the sockets of the running task, over the kernel's syscalls
//!   ([`KernelTransport`]).
//!
//! `docs/sockets.md` describes the protocol and the behaviour of each call.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod client;
mod error;
mod extensions;
pub mod limits;
mod net;
mod origins;
pub mod poll;
pub mod proto;
mod seed;
mod system;

pub use client::{LeaseBuf, Sockets, Transport};
pub use error::{
    E_ACCESS_DENIED, E_CONNECTION_RESET_BY_REMOTE, E_FAIL, E_INVALID_ARG, E_NOTFOUND, E_TIMEOUT, E_WOULD_BLOCK,
    E_WRONG_STATE, ResetReason, SockError,
};
pub use net::{Incoming, Listener, Stream};
pub use proto::Wait;
pub use seed::SeedApi;
pub use system::{KernelTransport, NETD_NAME, system};
