//! RFC 4733 telephone-events (DTMF as RTP payload). A digit is counted
//! once, on its end packet; the end packet is sent three times and later
//! events of the same tone share its timestamp, so the timestamp is the key.

/// The digit of an event code 0–15 (`0`–`9`, `*`, `#`, `A`–`D`).
pub fn digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The event code of a digit (`0`–`9`, `*`, `#`, `A`–`D`).
pub fn code(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(digit as u8 - b'A' + 12),
        _ => None,
    }
}

/// The payloads that send one digit as RFC 4733 events, one per 20 ms
/// packet: `packets` packets of the tone (its duration growing by 160
/// samples each), then the end packet three times, as senders do.
pub fn tone(code: u8, packets: u16) -> Vec<[u8; 4]> {
    const VOLUME: u8 = 10;
    let mut out = Vec::with_capacity(usize::from(packets) + 3);
    let mut duration = 0u16;
    for _ in 0..packets {
        duration = duration.saturating_add(160);
        let [hi, lo] = duration.to_be_bytes();
        out.push([code, VOLUME, hi, lo]);
    }
    let [hi, lo] = duration.to_be_bytes();
    for _ in 0..3 {
        out.push([code, 0x80 | VOLUME, hi, lo]);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub code: u8,
    pub end: bool,
    pub volume: u8,
    pub duration: u16,
}

/// Parses the 4-byte event payload.
pub fn parse(payload: &[u8]) -> Option<Event> {
    if payload.len() < 4 {
        return None;
    }
    Some(Event {
        code: payload[0],
        end: payload[1] & 0x80 != 0,
        volume: payload[1] & 0x3F,
        duration: u16::from_be_bytes([payload[2], payload[3]]),
    })
}

/// Turns a stream of telephone-event packets into digits, each once.
#[derive(Debug, Default)]
pub struct Detector {
    last_end: Option<(u32, u8)>,
}

impl Detector {
    /// Feeds one telephone-event packet (its RTP timestamp and payload);
    /// returns the digit when this is the first end packet of a tone.
    pub fn feed(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let e = parse(payload)?;
        // The end packet comes three times; a tone is its timestamp and
        // event (a replayed capture may reuse a timestamp for another key).
        if !e.end || self.last_end == Some((timestamp, e.code)) {
            return None;
        }
        self.last_end = Some((timestamp, e.code));
        digit(e.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digit_counts_once_on_its_end_packet() {
        let mut d = Detector::default();
        let start = [5, 0x0A, 0, 160];
        let cont = [5, 0x0A, 1, 64];
        let end = [5, 0x8A, 3, 32];
        assert_eq!(d.feed(1000, &start), None);
        assert_eq!(d.feed(1000, &cont), None);
        assert_eq!(d.feed(1000, &end), Some('5'));
        assert_eq!(d.feed(1000, &end), None, "the end is repeated three times");
        assert_eq!(d.feed(1000, &end), None);
        // The same digit again is a new tone: a new timestamp.
        assert_eq!(d.feed(2600, &end), Some('5'));
        assert_eq!(d.feed(4000, &[11, 0x80, 3, 32]), Some('#'));
        assert_eq!(d.feed(4000, &[1, 0x80, 3, 32]), Some('1'), "another key, though the same timestamp");
        assert_eq!(d.feed(5000, &[1, 0x80]), None, "short payloads are ignored");
        assert_eq!(d.feed(6000, &[200, 0x80, 0, 0]), None, "non-DTMF events are ignored");
        assert_eq!((digit(10), digit(12), digit(15)), (Some('*'), Some('A'), Some('D')));
    }
}

#[cfg(test)]
mod tone_tests {
    use super::*;

    #[test]
    fn a_digit_sent_is_a_digit_detected_once() {
        for d in ['0', '5', '9', '*', '#', 'A', 'D'] {
            let mut det = Detector::default();
            let got: Vec<char> = tone(code(d).unwrap(), 5).iter().filter_map(|p| det.feed(48_000, p)).collect();
            assert_eq!(got, [d]);
        }
        assert_eq!(code('x'), None);
        let t = tone(1, 5);
        assert_eq!((t.len(), parse(&t[4]).unwrap().duration, parse(&t[7]).unwrap().end), (8, 800, true));
    }
}
