//! RTP packets, RFC 4733 events and SDP bodies as they arrive from anyone.
#![no_main]

use centrala_media::{dtmf, rtp, sdp_neg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rtp::is_rtcp(data);
    if let Ok(p) = rtp::parse(data) {
        let mut d = dtmf::Detector::default();
        let _ = d.feed(p.timestamp, p.payload);
    }
    let _ = dtmf::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(o) = sdp_neg::parse_offer(text) {
            let _ = sdp_neg::choose(&o);
        }
        let _ = sdp_neg::read_answer(text);
    }
});
