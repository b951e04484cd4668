//! One call to netd: encode the request (and the data after it), call,
//! decode the answer (and the data after it). Kernel errors become socket
//! errors here, and a dead netd is forgotten.

use core::ops::Range;

use abi::{KernelError, TaskId};

use super::{LeaseBuf, NETD_RESTARTED, Sockets, Transport};
use crate::error::SockError;
use crate::proto::{self, Request, Response};

impl<T: Transport> Sockets<T> {
    /// Encodes, calls netd and decodes. Kernel errors become socket errors.
    pub(crate) fn exchange(
        &mut self,
        netd: TaskId,
        request: &Request<'_>,
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<Response, SockError> {
        match self.exchange_any(netd, request, leases)? {
            (response, data) if data.is_empty() => Ok(response),
            _ => Err(SockError::Fail),
        }
    }

    /// The one out-of-line copy of [`Sockets::exchange_with_data`], for
    /// the calls whose request is not known where they are made.
    #[inline(never)]
    fn exchange_any(
        &mut self,
        netd: TaskId,
        request: &Request<'_>,
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(Response, Range<usize>), SockError> {
        self.exchange_with_data(netd, request, &[], leases)
    }

    /// [`Sockets::exchange`] for a request followed by `data`; the answer
    /// comes with where its own data lies in `self.reply`.
    ///
    /// Always inlined: in each socket call the kind of request and of the
    /// answers it expects are known, so only their branches of the
    /// encoding and decoding remain, with no request or answer passed
    /// through memory.
    #[inline(always)]
    pub(crate) fn exchange_with_data(
        &mut self,
        netd: TaskId,
        request: &Request<'_>,
        data: &[u8],
        leases: &mut [LeaseBuf<'_>],
    ) -> Result<(Response, Range<usize>), SockError> {
        let bytes =
            proto::encode_request_with_data(request, data, &mut self.request).map_err(|_| SockError::InvalidArg)?;
        match self.transport.call(netd, request.operation(), bytes, &mut self.reply, leases) {
            Ok((code, len)) => {
                let bytes = self.reply.get(..len).ok_or(SockError::Fail)?;
                let (response, data) = proto::decode_response_with_data(code, bytes).map_err(|_| SockError::Fail)?;
                Ok((response, len - data.len()..len))
            }
            Err(KernelError::PeerDied | KernelError::NoSuchTask) => {
                if self.netd == Some(netd) {
                    self.netd = None;
                }
                Err(NETD_RESTARTED)
            }
            Err(KernelError::BadAddress | KernelError::LeaseBounds) => Err(SockError::InvalidArg),
            Err(_) => Err(SockError::Fail),
        }
    }
}
