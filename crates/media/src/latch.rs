//! Whose RTP a call leg takes: strict-source latching, as RTPengine's
//! `strict-source` does.
//!
//! A leg's port is public: anyone who finds it can send RTP there. Before
//! this, the leg answered to whoever sent last, so a stranger could take a
//! call's audio and press keys in the caller's menu. Now:
//!
//! - until media flows, the leg sends to the address the far end's SDP
//!   names, and takes packets only from a host the call expects — the SDP's
//!   connection address, or the host that signalled the call (a phone
//!   behind NAT writes its private address in the SDP but sends from its
//!   public one, the same as its SIP);
//! - the first such packet latches the leg to its exact source (address
//!   and port): symmetric RTP, so NAT works;
//! - from then on, only that source is taken; everything else is dropped
//!   (and counted), and the leg never moves again;
//! - a packet from port 0 (which no answer can reach: SIPp's pcap playback
//!   sends so) is taken from the host the leg expects or is latched to, but
//!   never latched to.

use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latch {
    /// Where the leg sends: the SDP's address until latched, then the
    /// latched source.
    remote: SocketAddr,
    /// The hosts a first packet may come from.
    expected: [Option<IpAddr>; 2],
    latched: bool,
}

impl Latch {
    /// A leg whose far end announced `sdp` in its SDP, over a call
    /// signalled from `signalling` (if known).
    pub fn new(sdp: SocketAddr, signalling: Option<IpAddr>) -> Latch {
        // An unspecified SDP address (0.0.0.0, "on hold" in old phones)
        // names no host.
        let from_sdp = Some(sdp.ip()).filter(|ip| !ip.is_unspecified());
        let signalling = signalling.filter(|ip| Some(*ip) != from_sdp && !ip.is_unspecified());
        Latch { remote: sdp, expected: [from_sdp, signalling], latched: false }
    }

    /// Whether a packet from `from` may belong to this leg, without
    /// latching: an SRTP leg asks this first, and latches ([`Latch::admit`])
    /// only once the packet has passed its authentication, so that a
    /// stranger on the expected host cannot take the leg with a forgery.
    pub fn accepts(&self, from: SocketAddr) -> bool {
        match (self.latched, from.port()) {
            (true, 0) => from.ip() == self.remote.ip(),
            (true, _) => from == self.remote,
            (false, _) => self.expected.contains(&Some(from.ip())),
        }
    }

    /// Whether a packet from `from` belongs to this leg (latching to it if
    /// it is the first from an expected host).
    pub fn admit(&mut self, from: SocketAddr) -> bool {
        if !self.accepts(from) {
            return false;
        }
        if !self.latched && from.port() != 0 {
            self.remote = from;
            self.latched = true;
        }
        true
    }

    /// Where to send this leg's packets now.
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }

    pub fn is_latched(&self) -> bool {
        self.latched
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_stranger_before_media_is_dropped_and_does_not_move_the_leg() {
        let mut l = Latch::new(at("10.0.0.5:4000"), Some("10.0.0.5".parse().unwrap()));
        assert!(!l.admit(at("10.9.9.9:4000")));
        assert_eq!(l.remote(), at("10.0.0.5:4000"));
        assert!(!l.is_latched());
    }

    #[test]
    fn the_first_packet_from_the_sdp_host_latches_to_its_port() {
        let mut l = Latch::new(at("10.0.0.5:4000"), None);
        // Asking does not latch (an SRTP leg asks before authenticating).
        assert!(l.accepts(at("10.0.0.5:4020")) && !l.accepts(at("10.9.9.9:4020")));
        assert!(!l.is_latched() && l.remote() == at("10.0.0.5:4000"));
        assert!(l.admit(at("10.0.0.5:4010")), "symmetric RTP: the port may differ");
        assert_eq!(l.remote(), at("10.0.0.5:4010"));
        assert!(l.admit(at("10.0.0.5:4010")));
        // The same host from another port, after media flows: dropped.
        assert!(!l.admit(at("10.0.0.5:4000")));
        assert!(!l.admit(at("10.9.9.9:4010")));
        assert!(!l.accepts(at("10.0.0.5:4020")));
        assert_eq!(l.remote(), at("10.0.0.5:4010"), "latched once");
    }

    #[test]
    fn a_phone_behind_nat_latches_from_its_signalling_address() {
        let mut l = Latch::new(at("192.168.1.20:7078"), Some("203.0.113.7".parse().unwrap()));
        assert!(!l.admit(at("198.51.100.1:7078")));
        assert!(l.admit(at("203.0.113.7:31000")));
        assert_eq!(l.remote(), at("203.0.113.7:31000"));
        assert!(!l.admit(at("192.168.1.20:7078")), "not the private address either, once latched");
    }

    #[test]
    fn a_port_0_source_is_heard_from_its_host_but_never_latched_to() {
        let mut l = Latch::new(at("127.0.0.1:4000"), None);
        assert!(l.admit(at("127.0.0.1:0")), "the expected host");
        assert!(!l.is_latched());
        assert!(l.admit(at("127.0.0.1:20278")), "the real source latches after it");
        assert_eq!(l.remote(), at("127.0.0.1:20278"));
        assert!(l.admit(at("127.0.0.1:0")));
        assert!(!l.admit(at("10.9.9.9:0")), "not from another host");
    }

    #[test]
    fn an_unspecified_sdp_address_expects_only_the_signalling_host() {
        let mut l = Latch::new(at("0.0.0.0:4000"), Some("10.0.0.5".parse().unwrap()));
        assert!(!l.admit(at("0.0.0.0:4000")));
        assert!(l.admit(at("10.0.0.5:4000")));
        let mut nobody = Latch::new(at("0.0.0.0:4000"), None);
        assert!(!nobody.admit(at("10.0.0.5:4000")), "no expected host: nothing latches");
    }
}
