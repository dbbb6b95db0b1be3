//! SDP offer/answer (RFC 3264) for audio calls: G.711 µ-law or A-law,
//! RFC 4733 telephone-events when offered, SRTP keyed in the SDP (SDES,
//! RFC 4568) when offered or required, and the stream's direction (hold).
//!
//! Parsing is `sdp-types`' (RFC 8866, and lenient where the RFC is open:
//! media types and transports it does not know are kept, not refused, so
//! an offer with video or BFCP beside its audio still gets an answer). The
//! choice and the answer are ours: one answer m-line per offer m-line, the
//! streams we do not take refused with port 0 (RFC 3264 §6).

use crate::srtp::{Crypto, Keys, Suite};
use crate::{g711::Law, MediaError};

/// The transport profile of an audio stream (the `m=` line's proto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `RTP/AVP`: plain RTP (or best-effort SRTP when it carries `a=crypto`).
    Avp,
    /// `RTP/SAVP`: SRTP required.
    Savp,
    /// `RTP/SAVPF`: SRTP required, with RTCP feedback (which we do not send).
    Savpf,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Avp => "RTP/AVP",
            Profile::Savp => "RTP/SAVP",
            Profile::Savpf => "RTP/SAVPF",
        }
    }

    fn from_name(name: &str) -> Option<Profile> {
        [Profile::Avp, Profile::Savp, Profile::Savpf].into_iter().find(|p| p.name() == name)
    }
}

/// Which way a stream's media flows, from the side that wrote it
/// (RFC 3264 §5.1, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    /// The writer sends only: it put the other side on hold.
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_attributes(attributes: &[sdp_types::Attribute]) -> Option<Direction> {
        attributes.iter().find_map(|a| {
            [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
                .into_iter()
                .find(|d| a.attribute == d.name())
        })
    }

    /// The direction of the answer to an offer in this one: sendonly is
    /// answered recvonly and the other way round.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Whether the side in this direction sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }
}

/// One m-line of an offer, as an answer echoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub media: String,
    pub proto: String,
    pub fmt: String,
}

/// What an offer asks for, once understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Where to send media (c= and m= of the audio stream).
    pub address: String,
    pub port: u16,
    /// Payload types in the offerer's order of preference.
    pub payload_types: Vec<u8>,
    /// The payload type of telephone-event/8000, if offered.
    pub telephone_event: Option<u8>,
    pub profile: Profile,
    /// The stream's `a=crypto` lines we can use, in the offerer's order.
    pub crypto: Vec<Crypto>,
    /// The offerer's direction for the stream.
    pub direction: Direction,
    /// Every m-line of the offer, in order.
    pub lines: Vec<Line>,
    /// The one we take.
    pub index: usize,
}

impl Offer {
    /// Where the stream's media goes: its address and port, when the
    /// address is an IP address (no DNS lookups here).
    pub fn remote(&self) -> Option<std::net::SocketAddr> {
        self.address.parse::<std::net::IpAddr>().ok().map(|ip| std::net::SocketAddr::new(ip, self.port))
    }
}

/// The negotiated audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub law: Law,
    pub telephone_event: Option<u8>,
    pub profile: Profile,
    /// The far end's SRTP keys (the `a=crypto` line taken); `None`: plain
    /// RTP.
    pub srtp: Option<Crypto>,
    /// Our direction: whether we send (and receive) on the stream.
    pub direction: Direction,
}

/// Reads an offer (or an answer) and picks its audio stream: of the audio
/// streams with G.711, one with SRTP keys we can use first, then a plain
/// one. A stream that requires SRTP (RTP/SAVP, …/SAVPF, UDP/TLS/RTP/SAVP)
/// is never answered unencrypted: an offer that has only such streams,
/// without keys we can use (DTLS, a suite we lack), is refused (488).
pub fn parse_offer(text: &str) -> Result<Offer, MediaError> {
    let desc = sdp_types::Session::parse(text.as_bytes()).map_err(|e| MediaError::Sdp(e.to_string()))?;
    let session_direction = Direction::from_attributes(&desc.attributes).unwrap_or(Direction::SendRecv);
    let mut refused = None;
    let mut codecs = None;
    let mut best: Option<Offer> = None;
    for (index, media) in desc.medias.iter().enumerate() {
        // Port 0: a stream the offerer has already refused.
        if media.media != "audio" || media.port == 0 {
            continue;
        }
        let payload_types: Vec<u8> = media.fmt.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        if !payload_types.iter().any(|pt| Law::from_payload_type(*pt).is_some()) {
            codecs.get_or_insert(payload_types);
            continue;
        }
        let crypto: Vec<Crypto> = media
            .attributes
            .iter()
            .filter(|a| a.attribute == "crypto")
            .filter_map(|a| a.value.as_deref().and_then(Crypto::parse))
            .collect();
        let profile = match Profile::from_name(&media.proto) {
            Some(Profile::Avp) => Profile::Avp,
            Some(p) if !crypto.is_empty() => p,
            _ => {
                refused.get_or_insert(media.proto.clone());
                continue;
            }
        };
        if best.as_ref().is_some_and(|b| !b.crypto.is_empty() || crypto.is_empty()) {
            continue;
        }
        let address = media
            .connections
            .first()
            .or(desc.connection.as_ref())
            .map(|c| c.connection_address.split('/').next().unwrap_or("").to_owned())
            .ok_or_else(|| MediaError::Sdp("no connection address (c=)".into()))?;
        let telephone_event = media.attributes.iter().find_map(|a| {
            let v = a.value.as_deref()?;
            if a.attribute != "rtpmap" || !v.to_ascii_lowercase().contains("telephone-event/8000") {
                return None;
            }
            v.split_whitespace().next()?.parse().ok()
        });
        let direction = Direction::from_attributes(&media.attributes).unwrap_or(session_direction);
        best = Some(Offer {
            address,
            port: media.port,
            payload_types,
            telephone_event,
            profile,
            crypto,
            direction,
            lines: Vec::new(),
            index,
        });
    }
    match (best, refused, codecs) {
        (Some(mut o), _, _) => {
            o.lines = desc
                .medias
                .iter()
                .map(|m| Line { media: m.media.clone(), proto: m.proto.clone(), fmt: m.fmt.clone() })
                .collect();
            Ok(o)
        }
        (None, Some(proto), _) => Err(MediaError::Encrypted(proto)),
        (None, None, Some(types)) => Err(MediaError::NoCommonCodec(types)),
        (None, None, None) => Err(MediaError::NoAudio),
    }
}

/// Picks the first offered G.711 law (488 Not Acceptable Here if none),
/// the first usable `a=crypto` line, if any, and our direction.
pub fn choose(offer: &Offer) -> Result<Chosen, MediaError> {
    let law = offer
        .payload_types
        .iter()
        .find_map(|pt| Law::from_payload_type(*pt))
        .ok_or_else(|| MediaError::NoCommonCodec(offer.payload_types.clone()))?;
    Ok(Chosen {
        law,
        telephone_event: offer.telephone_event,
        profile: offer.profile,
        srtp: offer.crypto.first().copied(),
        direction: offer.direction.answer(),
    })
}

/// Who we are in an SDP: the session id, and the version, which goes up
/// with every new description of the same session (RFC 3264 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub id: u64,
    pub version: u64,
}

/// A session description from us: our address, then `media` (its m-lines).
fn describe(origin: Origin, address: &str, media: &str) -> String {
    let Origin { id, version } = origin;
    format!("v=0\r\no=centrala {id} {version} IN IP4 {address}\r\ns=centrala\r\nc=IN IP4 {address}\r\nt=0 0\r\n{media}")
}

/// Our audio stream's m-line and attributes.
fn audio(port: u16, profile: Profile, formats: &str, attrs: &str, direction: Direction) -> String {
    format!("m=audio {port} {} {formats}\r\n{attrs}a=ptime:20\r\na={}\r\n", profile.name(), direction.name())
}

/// Our answer: the offer's m-lines in its order, the audio stream we took
/// at `address:port` with the chosen codec (and, when the offer's keys
/// were taken, our own keys under its tag), every other one refused with
/// port 0.
pub fn answer(origin: Origin, address: &str, port: u16, offer: &Offer, chosen: &Chosen, ours: Option<&Keys>) -> String {
    let pt = chosen.law.payload_type();
    let name = match chosen.law {
        Law::Mu => "PCMU",
        Law::A => "PCMA",
    };
    let mut formats = pt.to_string();
    let mut attrs = format!("a=rtpmap:{pt} {name}/8000\r\n");
    if let Some(te) = chosen.telephone_event {
        formats.push_str(&format!(" {te}"));
        attrs.push_str(&format!("a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\n"));
    }
    if let (Some(theirs), Some(keys)) = (chosen.srtp, ours) {
        attrs.push_str(&format!("a=crypto:{}\r\n", Crypto { keys: *keys, ..theirs }.attribute()));
    }
    let mut media = String::new();
    for (i, line) in offer.lines.iter().enumerate() {
        if i == offer.index {
            media.push_str(&audio(port, chosen.profile, &formats, &attrs, chosen.direction));
        } else {
            media.push_str(&format!("m={} 0 {} {}\r\n", line.media, line.proto, line.fmt));
        }
    }
    describe(origin, address, &media)
}

/// The payload type we offer telephone-events on.
pub const OFFERED_TELEPHONE_EVENT: u8 = 101;
/// The tag of the one `a=crypto` line we offer.
const OFFERED_CRYPTO_TAG: u32 = 1;

/// Our offer for a call we place: PCMU and PCMA, and telephone-events; with
/// `srtp`, as RTP/SAVP with these keys (AES_CM_128_HMAC_SHA1_80).
pub fn offer(origin: Origin, address: &str, port: u16, srtp: Option<&Keys>) -> String {
    let te = OFFERED_TELEPHONE_EVENT;
    let mut attrs = format!(
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\n"
    );
    let profile = match srtp {
        Some(keys) => {
            let line = Crypto { tag: OFFERED_CRYPTO_TAG, suite: Suite::Aes128Sha1_80, keys: *keys };
            attrs.push_str(&format!("a=crypto:{}\r\n", line.attribute()));
            Profile::Savp
        }
        None => Profile::Avp,
    };
    describe(origin, address, &audio(port, profile, &format!("0 8 {te}"), &attrs, Direction::SendRecv))
}

/// Reads the answer to [`offer`]: where to send, and the codec the answerer
/// took (its first G.711). An answer without one is an error; so is one
/// that does not take our SRTP offer (`secure`), or answers a plain offer
/// with SRTP.
pub fn read_answer(text: &str, secure: bool) -> Result<(Offer, Chosen), MediaError> {
    let a = parse_offer(text)?;
    let mut c = choose(&a)?;
    if secure {
        let took = c.srtp.is_some_and(|k| k.tag == OFFERED_CRYPTO_TAG && k.suite == Suite::Aes128Sha1_80);
        if c.profile == Profile::Avp || !took {
            return Err(MediaError::Unencrypted);
        }
    } else if c.profile != Profile::Avp {
        return Err(MediaError::Sdp(format!("an {} answer to a plain RTP offer", c.profile.name())));
    } else {
        c.srtp = None;
    }
    Ok((a, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 6000 RTP/AVP 9 8 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n";

    const ORIGIN: Origin = Origin { id: 1, version: 1 };

    #[test]
    fn the_first_g711_in_the_offerers_order_wins() {
        let o = parse_offer(OFFER).unwrap();
        assert_eq!(
            (o.address.as_str(), o.port, o.payload_types.clone(), o.telephone_event),
            ("127.0.0.1", 6000, vec![9, 8, 0, 101], Some(101))
        );
        let c = choose(&o).unwrap();
        let want = Chosen {
            law: Law::A,
            telephone_event: Some(101),
            profile: Profile::Avp,
            srtp: None,
            direction: Direction::SendRecv,
        };
        assert_eq!(c, want);
        let a = answer(ORIGIN, "127.0.0.1", 20000, &o, &c, None);
        assert!(a.contains("m=audio 20000 RTP/AVP 8 101\r\n") && a.contains("a=rtpmap:8 PCMA/8000"), "{a}");
        // Our answer parses as an offer would.
        let back = parse_offer(&a).unwrap();
        assert_eq!((back.port, back.payload_types, back.telephone_event), (20000, vec![8, 101], Some(101)));
    }

    #[test]
    fn our_offer_and_its_answers() {
        let o = offer(ORIGIN, "127.0.0.1", 30000, None);
        let parsed = parse_offer(&o).unwrap();
        assert_eq!(
            (parsed.port, parsed.payload_types.clone(), parsed.telephone_event),
            (30000, vec![0, 8, 101], Some(101))
        );
        // A phone that answers A-law only, then one that answers with nothing we sent.
        let plain = Chosen { law: Law::A, telephone_event: None, ..choose(&parsed).unwrap() };
        let a = answer(ORIGIN, "127.0.0.1", 5004, &parsed, &plain, None);
        let (where_to, chosen) = read_answer(&a, false).unwrap();
        assert_eq!(
            (where_to.address.as_str(), where_to.port, chosen.law, chosen.telephone_event),
            ("127.0.0.1", 5004, Law::A, None)
        );
        let g722 = a.replace("RTP/AVP 8", "RTP/AVP 9");
        assert!(matches!(read_answer(&g722, false), Err(MediaError::NoCommonCodec(_))));
    }

    #[test]
    fn nothing_in_common_is_a_488_and_garbage_is_an_error() {
        let opus = OFFER.replace("9 8 0 101", "111").replace("a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n", "");
        assert_eq!(parse_offer(&opus), Err(MediaError::NoCommonCodec(vec![111])));
        assert!(matches!(parse_offer("this is not sdp"), Err(MediaError::Sdp(_))));
        let video =
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";
        assert_eq!(parse_offer(video), Err(MediaError::NoAudio));
    }

    const KEY: &str = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    /// An SDES offer is answered with SRTP under its tag and our own keys,
    /// in its own profile; a best-effort one (RTP/AVP with `a=crypto`) too.
    /// Before: every SRTP offer was refused (488).
    #[test]
    fn an_sdes_offer_is_answered_with_our_keys_under_its_tag() {
        let ours = Keys([5; crate::srtp::KEY_LEN]);
        for proto in ["RTP/SAVP", "RTP/SAVPF", "RTP/AVP"] {
            let crypto = format!(
                "a=crypto:3 AES_CM_128_HMAC_SHA1_32 {KEY}\r\na=crypto:4 AES_CM_128_HMAC_SHA1_80 {KEY}|2^20\r\n"
            );
            let o = parse_offer(&(OFFER.replace("RTP/AVP", proto) + &crypto)).unwrap();
            assert_eq!(o.crypto.len(), 2, "{proto}");
            let c = choose(&o).unwrap();
            let theirs = c.srtp.expect("the offer's first usable line");
            assert_eq!((theirs.tag, theirs.suite, c.profile.name()), (3, Suite::Aes128Sha1_32, proto));
            let a = answer(ORIGIN, "127.0.0.1", 20000, &o, &c, Some(&ours));
            assert!(a.contains(&format!("m=audio 20000 {proto} 8 101\r\n")), "{a}");
            assert!(a.contains(&format!("a=crypto:3 AES_CM_128_HMAC_SHA1_32 {}\r\n", ours.inline())), "{a}");
            assert!(!a.contains(KEY), "never their key back");
        }
    }

    /// A stream that requires SRTP without keys we can use (DTLS, another
    /// suite, none) is refused, never answered in clear; an offer with such
    /// a stream and a plain one gets the plain one, and one with a plain
    /// and an SDES stream gets the SDES one.
    #[test]
    fn an_offer_we_cannot_encrypt_as_asked_is_refused_not_answered_in_clear() {
        let aes256 = format!("a=crypto:1 AES_256_CM_HMAC_SHA1_80 {KEY}\r\n");
        for (proto, crypto) in
            [("RTP/SAVP", aes256.as_str()), ("RTP/SAVPF", ""), ("UDP/TLS/RTP/SAVP", "a=fingerprint:sha-256 AB\r\n")]
        {
            let srtp = OFFER.replace("RTP/AVP", proto) + crypto;
            assert_eq!(parse_offer(&srtp), Err(MediaError::Encrypted(proto.to_owned())));
        }
        let both = OFFER
            .replace("m=audio 6000 RTP/AVP", "m=audio 7000 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\nm=audio 6000 RTP/AVP");
        assert_eq!(parse_offer(&both).unwrap().port, 6000);
        let sdes = OFFER.replace(
            "m=audio 6000 RTP/AVP 9 8 0 101",
            &format!("m=audio 6000 RTP/AVP 0\r\nm=audio 7000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 {KEY}\r\nm=audio 8000 RTP/AVP 0"),
        );
        let o = parse_offer(&sdes).unwrap();
        assert_eq!((o.port, o.profile, o.crypto.len()), (7000, Profile::Savp, 1));
    }

    /// What we offer when SRTP is required, and the answers we take to it.
    #[test]
    fn our_srtp_offer_takes_only_an_srtp_answer() {
        let ours = Keys([1; crate::srtp::KEY_LEN]);
        let theirs = Keys([2; crate::srtp::KEY_LEN]);
        let o = offer(ORIGIN, "127.0.0.1", 30000, Some(&ours));
        let parsed = parse_offer(&o).unwrap();
        assert_eq!(parsed.profile, Profile::Savp);
        assert_eq!(parsed.crypto, vec![Crypto { tag: 1, suite: Suite::Aes128Sha1_80, keys: ours }]);
        // A phone answers with its own keys under our tag.
        let mut c = choose(&parsed).unwrap();
        let a = answer(ORIGIN, "127.0.0.1", 5004, &parsed, &c, Some(&theirs));
        let (_, took) = read_answer(&a, true).unwrap();
        assert_eq!(took.srtp.map(|k| k.keys), Some(theirs));
        // A plain answer to it is refused, and so is an SRTP answer to a plain offer.
        c.srtp = None;
        c.profile = Profile::Avp;
        let plain = answer(ORIGIN, "127.0.0.1", 5004, &parsed, &c, None);
        assert_eq!(read_answer(&plain, true), Err(MediaError::Unencrypted));
        assert!(matches!(read_answer(&a, false), Err(MediaError::Sdp(_))));
        // A best-effort answer (AVP with a=crypto) to a plain offer is plain.
        let best_effort = a.replace("RTP/SAVP", "RTP/AVP");
        assert_eq!(read_answer(&best_effort, false).unwrap().1.srtp, None);
    }

    /// RFC 3264 §6 and §5.1 over offers as phones, PBXs and carriers send
    /// them: (offer's m-lines and attributes, the answer's m-lines). Before:
    /// an unknown media type or transport got 488, and every answer had one
    /// m-line, sendrecv.
    #[test]
    fn the_answer_mirrors_every_offered_line_and_the_direction() {
        let head = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n";
        let cases: &[(&str, &[&str], &str)] = &[
            // Audio beside video: the video refused with port 0, in its place.
            (
                "m=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 5000 RTP/AVP 0\r\n",
                &["m=video 0 RTP/AVP 96", "m=audio 20000 RTP/AVP 0"],
                "sendrecv",
            ),
            // Media types and transports we do not use are kept and refused.
            (
                "m=audio 5000 RTP/AVP 8\r\nm=application 5010 UDP/BFCP *\r\nm=image 5020 udptl t38\r\n\
                 m=message 5030 TCP/MSRP *\r\n",
                &[
                    "m=audio 20000 RTP/AVP 8",
                    "m=application 0 UDP/BFCP *",
                    "m=image 0 udptl t38",
                    "m=message 0 TCP/MSRP *",
                ],
                "sendrecv",
            ),
            // The first audio stream has no G.711; the second has.
            (
                "m=audio 5000 RTP/AVP 9\r\nm=audio 5004 RTP/AVP 18 0\r\n",
                &["m=audio 0 RTP/AVP 9", "m=audio 20000 RTP/AVP 0"],
                "sendrecv",
            ),
            // An already refused stream stays refused.
            (
                "m=audio 0 RTP/AVP 0\r\nm=audio 5004 RTP/AVP 0\r\n",
                &["m=audio 0 RTP/AVP 0", "m=audio 20000 RTP/AVP 0"],
                "sendrecv",
            ),
            // Hold: sendonly is answered recvonly; inactive inactive;
            // recvonly sendonly; the session level applies to its streams.
            ("m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n", &["m=audio 20000 RTP/AVP 0"], "recvonly"),
            ("m=audio 5000 RTP/AVP 0\r\na=inactive\r\n", &["m=audio 20000 RTP/AVP 0"], "inactive"),
            ("a=recvonly\r\nm=audio 5000 RTP/AVP 0\r\n", &["m=audio 20000 RTP/AVP 0"], "sendonly"),
            ("a=sendonly\r\nm=audio 5000 RTP/AVP 0\r\na=sendrecv\r\n", &["m=audio 20000 RTP/AVP 0"], "sendrecv"),
        ];
        for (body, lines, direction) in cases {
            let text = format!("{head}{body}");
            let o = parse_offer(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            let c = choose(&o).unwrap();
            assert_eq!(c.direction.sends(), *direction != "recvonly" && *direction != "inactive", "{text}");
            let a = answer(ORIGIN, "127.0.0.1", 20000, &o, &c, None);
            let got: Vec<&str> = a.lines().filter(|l| l.starts_with("m=")).collect();
            assert_eq!(&got, lines, "{text}\n{a}");
            assert!(a.contains(&format!("a={direction}\r\n")), "{text}\n{a}");
            let said = ["sendrecv", "sendonly", "recvonly", "inactive"]
                .iter()
                .filter(|d| a.contains(&format!("a={d}")))
                .count();
            assert_eq!(said, 1, "one direction, for the one stream we take: {a}");
        }
        // The answer's version is ours to raise for a new description.
        let o = parse_offer(&format!("{head}m=audio 5000 RTP/AVP 0\r\n")).unwrap();
        let later = answer(Origin { id: 4, version: 9 }, "127.0.0.1", 1, &o, &choose(&o).unwrap(), None);
        assert!(later.contains("o=centrala 4 9 IN IP4 127.0.0.1"), "{later}");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = parse_offer(&text);
        }
    }
}
