//! SRTP with keys exchanged in SDP (SDES, RFC 4568): the `a=crypto`
//! attribute, and the protection of one leg's packets in both directions
//! (RFC 3711). The ciphers, the rollover counter and the replay window are
//! `rtc-srtp`'s (webrtc-rs, sans-IO, on `ring`); what is ours is reading
//! and writing the attribute and which suites we take.
//!
//! The keys travel in the SDP: they are as secret as the signalling, so a
//! phone that requires SRTP should register over SIP TLS.

use crate::MediaError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rtc_srtp::context::Context;
use rtc_srtp::option::srtp_replay_protection;
use rtc_srtp::protection_profile::ProtectionProfile;

/// Master key (16 bytes) and master salt (14 bytes), the AES-128 suites'.
pub const KEY_LEN: usize = 30;

/// The crypto suites we take, in our order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `AES_CM_128_HMAC_SHA1_80`: every SDES phone has it.
    Aes128Sha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`: a shorter tag, offered by some phones.
    Aes128Sha1_32,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Aes128Sha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::Aes128Sha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    fn from_name(name: &str) -> Option<Suite> {
        [Suite::Aes128Sha1_80, Suite::Aes128Sha1_32].into_iter().find(|s| s.name().eq_ignore_ascii_case(name))
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            Suite::Aes128Sha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            Suite::Aes128Sha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        }
    }
}

/// One side's keying material. Its `Debug` does not show it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Keys(pub [u8; KEY_LEN]);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// The `inline:` form (base64 of key and salt).
    pub fn inline(&self) -> String {
        format!("inline:{}", STANDARD.encode(self.0))
    }
}

/// One `a=crypto` line: tag, suite and the sender's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crypto {
    pub tag: u32,
    pub suite: Suite,
    pub keys: Keys,
}

impl Crypto {
    /// The attribute's value (after `a=crypto:`).
    pub fn attribute(&self) -> String {
        format!("{} {} {}", self.tag, self.suite.name(), self.keys.inline())
    }

    /// Reads an attribute's value. `None` for a line we cannot use: another
    /// suite, several keys (MKI), or session parameters (a stream that is
    /// partly unencrypted or rekeyed is not what its offerer may count on
    /// from us). A lifetime is taken: ours never reaches 2^31 packets.
    pub fn parse(value: &str) -> Option<Crypto> {
        let mut words = value.split_whitespace();
        let tag = words.next()?.parse().ok()?;
        let suite = Suite::from_name(words.next()?)?;
        let params = words.next()?;
        if words.next().is_some() || params.contains(';') {
            return None;
        }
        let inline = params.strip_prefix("inline:")?;
        let mut parts = inline.split('|');
        let key = STANDARD.decode(parts.next()?).ok()?;
        for extra in parts {
            // `|2^20` or `|1048576` is a lifetime; `|1:4` an MKI.
            if extra.contains(':') {
                return None;
            }
        }
        Some(Crypto { tag, suite, keys: Keys(key.try_into().ok()?) })
    }
}

/// A leg's SRTP: what we send is protected with our keys, what we receive
/// is checked and decrypted with theirs (a forged, altered or replayed
/// packet is an error, and dropped by the caller).
pub struct Srtp {
    out: Context,
    inbound: Context,
}

impl std::fmt::Debug for Srtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Srtp(..)")
    }
}

/// Packets a replayed one is remembered among (the RFC's minimum is 64).
const REPLAY_WINDOW: usize = 128;

impl Srtp {
    pub fn new(suite: Suite, ours: &Keys, theirs: &Keys) -> Result<Srtp, MediaError> {
        let provider = rtc_srtp::crypto::default_provider().map_err(|e| MediaError::Srtp(e.to_string()))?;
        let context = |k: &Keys, replay| {
            Context::new(&k.0[..16], &k.0[16..], suite.profile(), replay, None, provider.crypto())
                .map_err(|e| MediaError::Srtp(e.to_string()))
        };
        Ok(Srtp { out: context(ours, None)?, inbound: context(theirs, Some(srtp_replay_protection(REPLAY_WINDOW)))? })
    }

    /// A leg's SRTP when both sides gave keys (`theirs` from the far end's
    /// SDP, `ours` from ours, in its suite); `None`: the leg is plain RTP.
    pub fn between(theirs: Option<Crypto>, ours: Option<&Keys>) -> Result<Option<Srtp>, MediaError> {
        match (theirs, ours) {
            (Some(theirs), Some(ours)) => Srtp::new(theirs.suite, ours, &theirs.keys).map(Some),
            _ => Ok(None),
        }
    }

    /// An RTP packet, protected (the crate's buffer handed over, not
    /// copied: this runs for every packet sent).
    pub fn protect(&mut self, rtp: &[u8]) -> Result<Vec<u8>, MediaError> {
        self.out.encrypt_rtp(rtp).map(Vec::from).map_err(|e| MediaError::Srtp(e.to_string()))
    }

    /// An SRTP packet, checked and decrypted.
    pub fn unprotect(&mut self, srtp: &[u8]) -> Result<Vec<u8>, MediaError> {
        self.inbound.decrypt_rtp(srtp).map(Vec::from).map_err(|e| MediaError::Srtp(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp;

    fn packet(seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut s = rtp::Sender::new(0x1234, seq, 160 * u32::from(seq), 0);
        let mut out = Vec::new();
        s.next(payload, &mut out);
        out
    }

    #[test]
    fn the_attribute_reads_back_and_what_we_cannot_honour_is_skipped() {
        let k = Keys(core::array::from_fn(|i| i as u8));
        let c = Crypto { tag: 1, suite: Suite::Aes128Sha1_80, keys: k };
        let line = c.attribute();
        assert_eq!(line, "1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
        assert_eq!(Crypto::parse(&line), Some(c));
        assert_eq!(format!("{k:?}"), "Keys(..)", "keys never reach a log");
        let with_lifetime = format!("{}|2^31", line);
        assert_eq!(Crypto::parse(&with_lifetime), Some(c));
        let short = "2 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
        assert_eq!(Crypto::parse(short).map(|c| (c.tag, c.suite)), Some((2, Suite::Aes128Sha1_32)));
        for bad in [
            format!("{line}|1:4"),
            format!("{line} UNENCRYPTED_SRTP"),
            line.replace("AES_CM_128_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_80"),
            line.replace("inline:", "outline:"),
            "1 AES_CM_128_HMAC_SHA1_80 inline:AAEC".into(),
            "x AES_CM_128_HMAC_SHA1_80".into(),
            String::new(),
        ] {
            assert_eq!(Crypto::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn both_ends_talk_and_a_forgery_or_a_replay_is_refused() {
        let (a_keys, b_keys) = (Keys([7; KEY_LEN]), Keys([9; KEY_LEN]));
        let mut a = Srtp::new(Suite::Aes128Sha1_80, &a_keys, &b_keys).unwrap();
        let mut b = Srtp::new(Suite::Aes128Sha1_80, &b_keys, &a_keys).unwrap();
        let plain = packet(1, &[0x55; 160]);
        let sealed = a.protect(&plain).unwrap();
        assert_eq!(sealed.len(), plain.len() + 10, "an 80-bit tag");
        assert_eq!(sealed[..12], plain[..12], "the header stays readable");
        assert_ne!(sealed[12..172], plain[12..], "the payload does not");
        assert_eq!(b.unprotect(&sealed).unwrap(), plain);
        assert!(b.unprotect(&sealed).is_err(), "the same packet twice is a replay");
        let mut forged = a.protect(&packet(2, &[0x55; 160])).unwrap();
        forged[20] ^= 1;
        assert!(b.unprotect(&forged).is_err(), "an altered packet fails its tag");
        // The other way, and a stranger's keys get nowhere.
        let back = packet(5, &[1; 160]);
        assert_eq!(a.unprotect(&b.protect(&back).unwrap()).unwrap(), back);
        let mut stranger = Srtp::new(Suite::Aes128Sha1_80, &Keys([1; KEY_LEN]), &a_keys).unwrap();
        assert!(b.unprotect(&stranger.protect(&packet(3, &[2; 160])).unwrap()).is_err());
    }

    #[test]
    fn the_sequence_number_wraps_without_losing_the_stream() {
        let (ka, kb) = (Keys([3; KEY_LEN]), Keys([4; KEY_LEN]));
        let mut a = Srtp::new(Suite::Aes128Sha1_32, &ka, &kb).unwrap();
        let mut b = Srtp::new(Suite::Aes128Sha1_32, &kb, &ka).unwrap();
        let mut s = rtp::Sender::new(0x99, 65_530, 0, 8);
        let mut p = Vec::new();
        for i in 0..12u8 {
            p.clear();
            s.next(&[i; 160], &mut p);
            let sealed = a.protect(&p).unwrap();
            assert_eq!(sealed.len(), p.len() + 4, "a 32-bit tag");
            assert_eq!(b.unprotect(&sealed).unwrap(), p, "packet {i} across the rollover");
        }
    }
}
