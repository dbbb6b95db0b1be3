//! G.711 (ITU-T): µ-law (PCMU, payload type 0) and A-law (PCMA, 8), 8 kHz.
//!
//! Hand-written: each direction is a dozen lines of the Recommendation's
//! segment arithmetic, on the media hot path, and no maintained crate does
//! just this. Decoding goes through 256-entry tables built at compile time,
//! encoding through 64 kB tables (one entry per 16-bit sample) built on
//! first use: the segment search per sample was 6 % of a loaded server's
//! CPU (every leg encodes 8,000 samples a second).

use std::sync::OnceLock;

/// A G.711 variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// µ-law, payload type 0.
    Mu,
    /// A-law, payload type 8.
    A,
}

impl Law {
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Mu),
            8 => Some(Law::A),
            _ => None,
        }
    }

    pub fn encode(self, sample: i16) -> u8 {
        self.encoder()[usize::from(sample as u16)]
    }

    /// Encodes `samples` into `out` (as many as the shorter holds).
    pub fn encode_into(self, samples: &[i16], out: &mut [u8]) {
        let table = self.encoder();
        for (o, s) in out.iter_mut().zip(samples) {
            *o = table[usize::from(*s as u16)];
        }
    }

    /// The code of every 16-bit sample, indexed by its bits.
    fn encoder(self) -> &'static [u8; 65536] {
        static MU: OnceLock<[u8; 65536]> = OnceLock::new();
        static A: OnceLock<[u8; 65536]> = OnceLock::new();
        let (cell, f): (_, fn(i16) -> u8) = match self {
            Law::Mu => (&MU, linear_to_ulaw),
            Law::A => (&A, linear_to_alaw),
        };
        cell.get_or_init(|| {
            let mut t = [0u8; 65536];
            for (bits, code) in t.iter_mut().enumerate() {
                *code = f(bits as u16 as i16);
            }
            t
        })
    }

    pub fn decode(self, byte: u8) -> i16 {
        match self {
            Law::Mu => ULAW_TABLE[byte as usize],
            Law::A => ALAW_TABLE[byte as usize],
        }
    }

    /// The code of silence (the decoded value closest to 0).
    pub fn silence(self) -> u8 {
        match self {
            Law::Mu => 0xFF,
            Law::A => 0xD5,
        }
    }
}

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && s & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) | mantissa) as u8
}

const fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let sign = u & 0x80;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s >= 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s - 1;
    }
    s = s.min(32767) >> 3;
    let (exponent, mantissa) = if s < 32 {
        (0, s >> 1)
    } else {
        let mut e = 1;
        while s >= 64 << (e - 1) && e < 7 {
            e += 1;
        }
        (e, (s >> e) & 0x0F)
    };
    ((sign | (exponent << 4) | mantissa) ^ 0x55) as u8
}

const fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let sign = a & 0x80;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0F) as i32;
    let magnitude = if exponent == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (exponent - 1) };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw { alaw_to_linear(i as u8) } else { ulaw_to_linear(i as u8) };
        i += 1;
    }
    t
}

static ULAW_TABLE: [i16; 256] = table(false);
static ALAW_TABLE: [i16; 256] = table(true);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // Values from the G.711 tables.
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(Law::Mu.decode(0x00), -32124);
        assert_eq!(Law::Mu.decode(0x80), 32124);
        assert_eq!(Law::Mu.decode(0xFF), 0);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(Law::A.decode(0xD5), 8);
        assert_eq!(Law::A.decode(0x55), -8);
        assert_eq!(Law::A.decode(0xAA), 32256);
        assert_eq!(Law::A.decode(0x2A), -32256);
    }

    #[test]
    fn the_tables_encode_every_sample_as_the_segment_arithmetic_does() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(Law::Mu.encode(s), linear_to_ulaw(s), "µ-law {s}");
            assert_eq!(Law::A.encode(s), linear_to_alaw(s), "A-law {s}");
        }
        let frame: Vec<i16> = (0..160).map(|k| (k * 411 - 30_000) as i16).collect();
        let mut out = [0u8; 160];
        Law::A.encode_into(&frame, &mut out);
        assert!(frame.iter().zip(out).all(|(s, o)| linear_to_alaw(*s) == o));
    }

    #[test]
    fn every_code_survives_decode_then_encode() {
        for law in [Law::Mu, Law::A] {
            for code in 0..=255u8 {
                let back = law.encode(law.decode(code));
                // µ-law has two codes for zero (0x7F and 0xFF).
                if law == Law::Mu && code == 0x7F {
                    assert_eq!(back, 0xFF);
                } else {
                    assert_eq!(back, code, "{law:?} {code:#04x}");
                }
            }
        }
    }

    #[test]
    fn quantization_error_stays_within_the_segment_step() {
        for law in [Law::Mu, Law::A] {
            for s in (-32768i32..32768).step_by(7) {
                let s = s as i16;
                let back = law.decode(law.encode(s));
                let err = (i32::from(back) - i32::from(s)).abs();
                // The largest step of either law is 1024 (µ) / 1024 (A) at full scale.
                assert!(err <= 1100, "{law:?}: {s} came back as {back}");
                if s.unsigned_abs() < 64 {
                    assert!(err <= 16, "{law:?}: small {s} came back as {back}");
                }
            }
        }
    }
}
