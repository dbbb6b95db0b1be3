//! A browser's media: the WebRTC side of a leg (the desk's softphone).
//!
//! The protocol work — ICE (we are ICE-lite: the browser checks, we
//! answer), DTLS-SRTP, RTP, RTCP — is `str0m`'s, sans-IO; this is only its
//! socket. We offer G.711 (µ-law, then A-law), which every browser has, so
//! the relay neither transcodes nor mixes at another rate; Opus is not
//! negotiated (BENCHMARKS.md says what it would cost).
//!
//! A [`WebWire`] is pumped by its leg's 20 ms tick, as an RTP leg's socket
//! is: every datagram waiting goes into `str0m`, every audio frame that
//! comes out goes to the leg, and one frame of ours goes out per tick.

use centrala_media::g711::Law;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig};
use tracing::{debug, warn};

/// Why a browser's offer cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebRtcError {
    #[error("the offer is not SDP: {0}")]
    Sdp(String),
    #[error("the offer has no audio stream")]
    NoAudio,
    #[error("no common codec: the browser offered neither PCMU nor PCMA")]
    NoCommonCodec,
    #[error("the offer cannot be answered: {0}")]
    Refused(String),
}

/// Where the browser stands: connecting, up, or gone (ICE lost, DTLS
/// closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Connecting,
    Up,
    Gone,
}

pub struct WebWire {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Mid,
    pt: str0m::format::PayloadParams,
    law: Law,
    /// Our stream's RTP time, in samples.
    sent: u64,
    state: Liveness,
}

/// One audio frame the browser sent.
pub struct Heard<'a> {
    pub law: Law,
    pub timestamp: u32,
    pub payload: &'a [u8],
}

impl WebWire {
    /// Answers a browser's offer on `socket` (a port of the RTP range):
    /// the wire and the SDP answer.
    pub fn accept(socket: UdpSocket, offer: &str, now: Instant) -> Result<(WebWire, String), WebRtcError> {
        let text = offer;
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| WebRtcError::Sdp(e.to_string()))?;
        let local = socket.local_addr().map_err(|e| WebRtcError::Refused(e.to_string()))?;
        let mut rtc = RtcConfig::new().set_ice_lite(true).clear_codecs().enable_pcmu(true).enable_pcma(true).build(now);
        let candidate = Candidate::host(local, "udp").map_err(|e| WebRtcError::Refused(e.to_string()))?;
        rtc.add_local_candidate(candidate)
            .ok_or_else(|| WebRtcError::Refused(format!("{local} cannot be a candidate")))?;
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| WebRtcError::Refused(e.to_string()))?;
        let answer = answer.to_sdp_string();
        // An audio stream offered but refused in the answer had no codec
        // of ours.
        let offered_audio = text.lines().any(|l| l.starts_with("m=audio "));
        let mid =
            audio_mid(&answer).ok_or(if offered_audio { WebRtcError::NoCommonCodec } else { WebRtcError::NoAudio })?;
        let pt = rtc
            .writer(mid)
            .and_then(|w| w.payload_params().find(|p| matches!(p.spec().codec, Codec::PCMU | Codec::PCMA)).cloned())
            .ok_or(WebRtcError::NoCommonCodec)?;
        let law = if pt.spec().codec == Codec::PCMA { Law::A } else { Law::Mu };
        let wire = WebWire { rtc, socket, local, mid, pt, law, sent: 0, state: Liveness::Connecting };
        Ok((wire, answer))
    }

    /// The law both sides speak.
    pub fn law(&self) -> Law {
        self.law
    }

    pub fn local(&self) -> SocketAddr {
        self.local
    }

    pub fn liveness(&self) -> Liveness {
        self.state
    }

    /// Takes at most `max` datagrams waiting on the socket into the
    /// session, lets its timers run, sends what it has to send, and hands
    /// every audio frame received to `heard`. Datagrams that are not this
    /// session's are dropped: the count of those comes back.
    pub fn receive(&mut self, buf: &mut [u8], max: usize, mut heard: impl FnMut(Heard<'_>)) -> u64 {
        let mut strangers = 0;
        for _ in 0..max {
            let Ok((n, source)) = self.socket.recv_from(buf) else { break };
            let Ok(contents) = buf[..n].try_into() else {
                strangers += 1;
                continue;
            };
            let input = Input::Receive(
                Instant::now(),
                Receive { proto: Protocol::Udp, source, destination: self.local, contents },
            );
            if !self.rtc.accepts(&input) {
                strangers += 1;
                continue;
            }
            if let Err(e) = self.rtc.handle_input(input) {
                debug!(error = %e, "a datagram the WebRTC session refused");
            }
            self.pump(&mut heard);
        }
        if let Err(e) = self.rtc.handle_input(Input::Timeout(Instant::now())) {
            debug!(error = %e, "WebRTC timers");
        }
        self.pump(&mut heard);
        strangers
    }

    /// Sends one 20 ms frame (G.711 in the negotiated law); whether it went
    /// out (not before the browser is connected).
    pub fn send(&mut self, payload: &[u8]) -> bool {
        if self.state != Liveness::Up {
            return false;
        }
        let time = MediaTime::new(self.sent, Frequency::new(8000).unwrap_or(Frequency::FORTY_EIGHT_KHZ));
        self.sent += payload.len() as u64;
        let written = match self.rtc.writer(self.mid) {
            Some(w) => w.write(self.pt.pt(), Instant::now(), time, payload.to_vec()).is_ok(),
            None => false,
        };
        self.pump(&mut |_| {});
        written
    }

    /// Everything the session has to say now: datagrams out, events.
    fn pump(&mut self, heard: &mut impl FnMut(Heard<'_>)) {
        while self.rtc.is_alive() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(_)) => break,
                Ok(Output::Transmit(t)) => {
                    if let Err(e) = self.socket.send_to(&t.contents, t.destination) {
                        debug!(error = %e, to = %t.destination, "WebRTC datagram not sent");
                    }
                }
                Ok(Output::Event(e)) => match e {
                    Event::Connected => self.state = Liveness::Up,
                    Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                        self.state = Liveness::Gone;
                    }
                    Event::MediaData(d) if d.mid == self.mid => {
                        let law = match d.params.spec().codec {
                            Codec::PCMU => Law::Mu,
                            Codec::PCMA => Law::A,
                            _ => continue,
                        };
                        heard(Heard { law, timestamp: d.time.numer() as u32, payload: &d.data });
                    }
                    _ => {}
                },
                Err(e) => {
                    warn!(error = %e, "the WebRTC session failed");
                    self.state = Liveness::Gone;
                    self.rtc.disconnect();
                }
            }
        }
        if !self.rtc.is_alive() {
            self.state = Liveness::Gone;
        }
    }
}

/// The `mid` of the answer's first audio stream that is not refused.
fn audio_mid(answer: &str) -> Option<Mid> {
    let mut audio = false;
    for line in answer.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            audio = m.starts_with("audio ") && !m.starts_with("audio 0 ");
        } else if let Some(mid) = line.strip_prefix("a=mid:").filter(|_| audio) {
            return Some(Mid::from(mid.trim()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM: &str = include_str!("../tests/data/chromium-offer.sdp");

    fn socket() -> UdpSocket {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_nonblocking(true).unwrap();
        s
    }

    #[test]
    fn a_browsers_offer_is_answered_with_g711_and_our_candidate() {
        let s = socket();
        let port = s.local_addr().unwrap().port();
        let (wire, answer) = WebWire::accept(s, CHROMIUM, Instant::now()).unwrap();
        assert_eq!(wire.law(), Law::Mu, "µ-law first");
        assert!(answer.contains("a=rtpmap:0 PCMU/8000"), "{answer}");
        assert!(!answer.to_lowercase().contains("opus"), "{answer}");
        assert!(answer.contains(&format!("127.0.0.1 {port} typ host")), "{answer}");
        assert!(answer.contains("a=ice-lite"), "{answer}");
        assert!(answer.contains("a=fingerprint:sha-256"), "{answer}");
        assert_eq!(wire.liveness(), Liveness::Connecting);
    }

    #[test]
    fn a_law_only_is_taken_and_no_g711_is_refused_with_the_reason() {
        let alaw = CHROMIUM.replace(" 111 63 9 0 8 13 110 126", " 8 126").replace("a=rtpmap:0 PCMU/8000\r\n", "");
        let (wire, _) = WebWire::accept(socket(), &alaw, Instant::now()).unwrap();
        assert_eq!(wire.law(), Law::A);
        let opus = CHROMIUM
            .replace(" 111 63 9 0 8 13 110 126", " 111 126")
            .replace("a=rtpmap:0 PCMU/8000\r\n", "")
            .replace("a=rtpmap:8 PCMA/8000\r\n", "");
        let err = WebWire::accept(socket(), &opus, Instant::now()).err().unwrap();
        assert_eq!(err, WebRtcError::NoCommonCodec);
        let video = CHROMIUM.replace("m=audio", "m=video");
        let err = WebWire::accept(socket(), &video, Instant::now()).err().unwrap();
        assert_eq!(err, WebRtcError::NoAudio, "a video stream is no call");
        let err = WebWire::accept(socket(), "hello", Instant::now()).err().unwrap();
        assert!(matches!(err, WebRtcError::Sdp(_)), "{err:?}");
    }

    #[test]
    fn nothing_is_sent_before_the_browser_connects_and_strangers_are_counted() {
        let (mut wire, _) = WebWire::accept(socket(), CHROMIUM, Instant::now()).unwrap();
        assert!(!wire.send(&[0xff; 160]));
        let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
        stranger.send_to(b"\x80\x00\x00\x01hello", wire.local()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut heard = 0;
        let dropped = wire.receive(&mut [0u8; 2048], 16, |_| heard += 1);
        assert_eq!((dropped, heard), (1, 0));
        assert_eq!(wire.liveness(), Liveness::Connecting);
    }
}
