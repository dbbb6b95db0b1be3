//! SDP offer/answer (RFC 3264) for audio calls: G.711 µ-law or A-law, and
//! RFC 4733 telephone-events when offered. Parsing is the `sdp` crate's;
//! the choice and the answer are ours.

use crate::{g711::Law, MediaError};
use std::io::Cursor;

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
}

/// The negotiated audio stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub law: Law,
    pub telephone_event: Option<u8>,
}

pub fn parse_offer(text: &str) -> Result<Offer, MediaError> {
    let desc =
        sdp::SessionDescription::unmarshal(&mut Cursor::new(text)).map_err(|e| MediaError::Sdp(e.to_string()))?;
    let audio: Vec<_> = desc.media_descriptions.iter().filter(|m| m.media_name.media == "audio").collect();
    // Plain RTP only: a stream that asks for SRTP (RTP/SAVP, …/SAVPF,
    // UDP/TLS/RTP/SAVP) must not get an unencrypted answer; an offer that
    // has only such streams is refused (488).
    let plain = |m: &&&sdp::description::media::MediaDescription| m.media_name.protos.join("/") == "RTP/AVP";
    let media = match audio.iter().find(plain) {
        Some(m) => *m,
        None => match audio.first() {
            Some(m) => return Err(MediaError::Encrypted(m.media_name.protos.join("/"))),
            None => return Err(MediaError::NoAudio),
        },
    };
    let address = media
        .connection_information
        .as_ref()
        .or(desc.connection_information.as_ref())
        .and_then(|c| c.address.as_ref())
        .map(|a| a.address.split('/').next().unwrap_or("").to_owned())
        .ok_or_else(|| MediaError::Sdp("no connection address (c=)".into()))?;
    let port = u16::try_from(media.media_name.port.value).map_err(|_| MediaError::Sdp("bad port".into()))?;
    let payload_types: Vec<u8> = media.media_name.formats.iter().filter_map(|f| f.parse().ok()).collect();
    let telephone_event = media.attributes.iter().find_map(|a| {
        let v = a.value.as_deref()?;
        if a.key != "rtpmap" || !v.to_ascii_lowercase().contains("telephone-event/8000") {
            return None;
        }
        v.split_whitespace().next()?.parse().ok()
    });
    Ok(Offer { address, port, payload_types, telephone_event })
}

/// Picks the first offered G.711 law; 488 Not Acceptable Here if none.
pub fn choose(offer: &Offer) -> Result<Chosen, MediaError> {
    let law = offer
        .payload_types
        .iter()
        .find_map(|pt| Law::from_payload_type(*pt))
        .ok_or_else(|| MediaError::NoCommonCodec(offer.payload_types.clone()))?;
    Ok(Chosen { law, telephone_event: offer.telephone_event })
}

/// Our answer: one audio stream at `address:port` with the chosen codec.
pub fn answer(session_id: u64, address: &str, port: u16, chosen: &Chosen) -> String {
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
    format!(
        "v=0\r\no=centrala {session_id} {session_id} IN IP4 {address}\r\ns=centrala\r\nc=IN IP4 {address}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {formats}\r\n{attrs}a=ptime:20\r\na=sendrecv\r\n"
    )
}

/// The payload type we offer telephone-events on.
pub const OFFERED_TELEPHONE_EVENT: u8 = 101;

/// Our offer for a call we place: PCMU and PCMA, and telephone-events.
pub fn offer(session_id: u64, address: &str, port: u16) -> String {
    let te = OFFERED_TELEPHONE_EVENT;
    format!(
        "v=0\r\no=centrala {session_id} {session_id} IN IP4 {address}\r\ns=centrala\r\nc=IN IP4 {address}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 8 {te}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
    )
}

/// Reads the answer to [`offer`]: where to send, and the codec the answerer
/// took (its first G.711). An answer without one is an error.
pub fn read_answer(text: &str) -> Result<(Offer, Chosen), MediaError> {
    let a = parse_offer(text)?;
    let c = choose(&a)?;
    Ok((a, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 6000 RTP/AVP 9 8 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n";

    #[test]
    fn the_first_g711_in_the_offerers_order_wins() {
        let o = parse_offer(OFFER).unwrap();
        assert_eq!(
            (o.address.as_str(), o.port, o.payload_types.clone(), o.telephone_event),
            ("127.0.0.1", 6000, vec![9, 8, 0, 101], Some(101))
        );
        let c = choose(&o).unwrap();
        assert_eq!(c, Chosen { law: Law::A, telephone_event: Some(101) });
        let a = answer(1, "127.0.0.1", 20000, &c);
        assert!(a.contains("m=audio 20000 RTP/AVP 8 101\r\n") && a.contains("a=rtpmap:8 PCMA/8000"), "{a}");
        // Our answer parses as an offer would.
        let back = parse_offer(&a).unwrap();
        assert_eq!((back.port, back.payload_types, back.telephone_event), (20000, vec![8, 101], Some(101)));
    }

    #[test]
    fn our_offer_and_its_answers() {
        let o = offer(7, "127.0.0.1", 30000);
        let parsed = parse_offer(&o).unwrap();
        assert_eq!(
            (parsed.port, parsed.payload_types.clone(), parsed.telephone_event),
            (30000, vec![0, 8, 101], Some(101))
        );
        // A phone that answers A-law only, then one that answers with nothing we sent.
        let a = answer(9, "127.0.0.1", 5004, &Chosen { law: Law::A, telephone_event: None });
        let (where_to, chosen) = read_answer(&a).unwrap();
        assert_eq!(
            (where_to.address.as_str(), where_to.port, chosen.law, chosen.telephone_event),
            ("127.0.0.1", 5004, Law::A, None)
        );
        let g722 = a.replace("RTP/AVP 8", "RTP/AVP 9");
        assert!(matches!(read_answer(&g722), Err(MediaError::NoCommonCodec(_))));
    }

    #[test]
    fn nothing_in_common_is_a_488_and_garbage_is_an_error() {
        let opus = OFFER.replace("9 8 0 101", "111").replace("a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n", "");
        let o = parse_offer(&opus).unwrap();
        assert_eq!(choose(&o), Err(MediaError::NoCommonCodec(vec![111])));
        assert!(matches!(parse_offer("this is not sdp"), Err(MediaError::Sdp(_))));
        let video =
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n";
        assert_eq!(parse_offer(video), Err(MediaError::NoAudio));
    }

    /// An SRTP offer is refused, never answered with plain RTP (before: the
    /// phone that demanded encryption got an unencrypted call); an offer
    /// with an SRTP and a plain audio stream gets the plain one.
    #[test]
    fn an_offer_that_asks_for_srtp_is_refused_not_answered_in_clear() {
        let crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
        for proto in ["RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP"] {
            let srtp = OFFER.replace("RTP/AVP", proto) + crypto;
            assert_eq!(parse_offer(&srtp), Err(MediaError::Encrypted(proto.to_owned())));
        }
        let both = OFFER
            .replace("m=audio 6000 RTP/AVP", "m=audio 7000 RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\nm=audio 6000 RTP/AVP");
        assert_eq!(parse_offer(&both).unwrap().port, 6000);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = parse_offer(&text);
        }
    }
}
