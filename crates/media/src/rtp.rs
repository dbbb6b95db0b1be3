//! RTP (RFC 3550 §5.1) framing, and telling RTCP apart on a shared port.
//!
//! Hand-written: the fixed header is 12 bytes and we read it, without
//! copying the payload, for every packet of every leg (50 per second per
//! leg); the full RTP stacks on crates.io bring a runtime along.

use crate::MediaError;

/// A parsed RTP packet borrowing its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtp<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: &'a [u8],
}

/// RTCP packet types are 200–204 (RFC 3550 §12.1), so on a shared port
/// (RFC 5761) the second byte tells RTCP apart from RTP.
pub fn is_rtcp(packet: &[u8]) -> bool {
    packet.len() >= 8 && packet[0] >> 6 == 2 && (200..=204).contains(&packet[1])
}

pub fn parse(packet: &[u8]) -> Result<Rtp<'_>, MediaError> {
    if packet.len() < 12 {
        return Err(MediaError::Short(packet.len()));
    }
    let version = packet[0] >> 6;
    if version != 2 {
        return Err(MediaError::Version(version));
    }
    let padding = packet[0] & 0x20 != 0;
    let extension = packet[0] & 0x10 != 0;
    let csrcs = usize::from(packet[0] & 0x0F);
    let mut start = 12 + 4 * csrcs;
    if extension {
        if packet.len() < start + 4 {
            return Err(MediaError::Truncated(start + 4, packet.len()));
        }
        let words = usize::from(u16::from_be_bytes([packet[start + 2], packet[start + 3]]));
        start += 4 + 4 * words;
    }
    let mut end = packet.len();
    if padding {
        let pad = usize::from(*packet.last().unwrap_or(&0));
        if pad == 0 || pad > end.saturating_sub(start) {
            return Err(MediaError::Truncated(start + pad, packet.len()));
        }
        end -= pad;
    }
    if start > end {
        return Err(MediaError::Truncated(start, packet.len()));
    }
    Ok(Rtp {
        marker: packet[1] & 0x80 != 0,
        payload_type: packet[1] & 0x7F,
        sequence: u16::from_be_bytes([packet[2], packet[3]]),
        timestamp: u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]),
        ssrc: u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
        payload: &packet[start..end],
    })
}

/// Writes a packet with the fixed header only (no CSRC, no extension).
pub fn write(
    out: &mut Vec<u8>,
    marker: bool,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) {
    out.clear();
    out.reserve(12 + payload.len());
    out.push(0x80);
    out.push((u8::from(marker) << 7) | (payload_type & 0x7F));
    out.extend_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// The sending side of one stream: sequence numbers and timestamps for
/// 20 ms packets of 8 kHz audio (160 samples).
#[derive(Debug, Clone)]
pub struct Sender {
    pub ssrc: u32,
    pub sequence: u16,
    pub timestamp: u32,
    pub payload_type: u8,
}

pub const SAMPLES_PER_PACKET: u32 = 160;

impl Sender {
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32, payload_type: u8) -> Sender {
        Sender { ssrc, sequence: first_sequence, timestamp: first_timestamp, payload_type }
    }

    /// The next 20 ms packet carrying a telephone-event `payload` of the
    /// event that began at `event_start` (every packet of one event bears
    /// that timestamp; `marker` on its first): time goes on meanwhile.
    pub fn next_event(&mut self, payload: &[u8], payload_type: u8, marker: bool, event_start: u32, out: &mut Vec<u8>) {
        write(out, marker, payload_type, self.sequence, event_start, self.ssrc, payload);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(SAMPLES_PER_PACKET);
    }

    /// The timestamp the next packet will bear.
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The next 20 ms packet carrying `payload`.
    pub fn next(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        write(out, false, self.payload_type, self.sequence, self.timestamp, self.ssrc, payload);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(SAMPLES_PER_PACKET);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_and_fields() {
        let mut buf = Vec::new();
        write(&mut buf, true, 8, 65535, 0xDEAD_BEEF, 42, &[1, 2, 3]);
        let p = parse(&buf).unwrap();
        assert_eq!(
            (p.marker, p.payload_type, p.sequence, p.timestamp, p.ssrc, p.payload),
            (true, 8, 65535, 0xDEAD_BEEF, 42, &[1u8, 2, 3][..])
        );
        let mut s = Sender::new(7, 65535, 4294967200, 0);
        s.next(&[0; 160], &mut buf);
        s.next(&[0; 160], &mut buf);
        let p = parse(&buf).unwrap();
        assert_eq!((p.sequence, p.timestamp), (0, 4294967200u32.wrapping_add(160)), "both wrap around");
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut p = vec![0x80 | 0x20 | 0x10 | 0x01, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 7, 7, 7, 7]); // extension of one word
        p.extend_from_slice(&[0xAA, 0xBB]); // payload
        p.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        assert_eq!(parse(&p).unwrap().payload, &[0xAA, 0xBB]);
    }

    #[test]
    fn broken_packets_are_errors() {
        assert_eq!(parse(&[0x80, 0]), Err(MediaError::Short(2)));
        assert_eq!(parse(&[0x40; 12]), Err(MediaError::Version(1)));
        let mut p = vec![0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // 15 CSRCs claimed
        p.push(0);
        assert!(matches!(parse(&p), Err(MediaError::Truncated(..))));
        assert!(matches!(parse(&[0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]), Err(MediaError::Truncated(..))));
        // RTCP sender report on the same port.
        assert!(is_rtcp(&[0x80, 200, 0, 6, 0, 0, 0, 1]));
        assert!(!is_rtcp(&[0x80, 0, 0, 6, 0, 0, 0, 1]));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
            let _ = is_rtcp(&bytes);
        }
    }
}
