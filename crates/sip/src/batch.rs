//! Taking a leg's waiting datagrams from its socket in one system call
//! (`recvmmsg`, through nix; std has no batch receive). A phone sends a
//! packet per 20 ms tick: one `recv` per packet and one more to learn
//! the socket is empty were two calls per leg per tick; a batch that
//! comes back short of full says the socket is empty, so it is one.

use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

/// Datagrams per system call.
pub(crate) const BATCH: usize = 4;
/// Room for one datagram (RTP from a phone is about 200 bytes; SRTP and
/// header extensions stay well under this).
const SLOT: usize = 2048;

/// A pacing loop's receive buffers, reused for every leg it ticks (the
/// headers hold raw pointers: not `Send`, made on the loop's thread).
pub(crate) struct Batch {
    headers: MultiHeaders<SockaddrStorage>,
    bufs: Vec<u8>,
    got: [(usize, Option<SocketAddr>); BATCH],
}

impl Default for Batch {
    fn default() -> Batch {
        Batch { headers: MultiHeaders::preallocate(BATCH, None), bufs: vec![0; BATCH * SLOT], got: [(0, None); BATCH] }
    }
}

impl Batch {
    /// Takes at most `max` (and [`BATCH`]) waiting datagrams from
    /// `socket` without waiting: how many came (0 when none waits, or on
    /// an error, which the next tick meets again).
    pub(crate) fn receive(&mut self, socket: &UdpSocket, max: usize) -> usize {
        let n = max.min(BATCH);
        if n == 0 {
            return 0;
        }
        let Batch { headers, bufs, got } = self;
        let mut chunks = bufs.chunks_exact_mut(SLOT);
        let mut slices: [[IoSliceMut<'_>; 1]; BATCH] =
            std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())]);
        let Ok(results) = recvmmsg(socket.as_raw_fd(), headers, slices[..n].iter_mut(), MsgFlags::MSG_DONTWAIT, None)
        else {
            return 0;
        };
        let mut k = 0;
        for (r, slot) in results.zip(got.iter_mut()) {
            *slot = (r.bytes.min(SLOT), r.address.as_ref().and_then(std_addr));
            k += 1;
        }
        k
    }

    /// Datagram `k` of the last [`Batch::receive`], and where it came from.
    pub(crate) fn packet(&self, k: usize) -> (&[u8], Option<SocketAddr>) {
        let (len, from) = self.got[k];
        (&self.bufs[k * SLOT..k * SLOT + len], from)
    }
}

fn std_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_takes_what_waits_in_order_and_says_when_the_socket_is_empty() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut batch = Batch::default();
        assert_eq!(batch.receive(&rx, 16), 0, "nothing waits");
        for i in 0..6u8 {
            tx.send_to(&[i; 172], rx.local_addr().unwrap()).unwrap();
        }
        // Loopback delivers at once; six wait: four, then two (short: the
        // socket is empty), then none.
        let mut seen = Vec::new();
        for want in [BATCH, 2, 0] {
            let got = batch.receive(&rx, 16);
            assert_eq!(got, want);
            for k in 0..got {
                let (bytes, from) = batch.packet(k);
                assert_eq!(bytes.len(), 172);
                assert_eq!(from, Some(tx.local_addr().unwrap()));
                seen.push(bytes[0]);
            }
        }
        assert_eq!(seen, [0, 1, 2, 3, 4, 5]);
        // A limit below the batch is kept.
        tx.send_to(&[9; 10], rx.local_addr().unwrap()).unwrap();
        tx.send_to(&[9; 10], rx.local_addr().unwrap()).unwrap();
        assert_eq!(batch.receive(&rx, 1), 1);
        assert_eq!(batch.receive(&rx, 0), 0);
        assert_eq!(batch.receive(&rx, 16), 1);
    }
}
