//! What reading one SIP request costs: the stack's parse, and the check
//! our rsipstack patch adds before it (`transport::malformed::answer`,
//! which answers a request that is not sound SIP). Run with
//! `cargo bench -p centrala-sip --bench sip_parse`.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// An INVITE as SIPp's callers send it in the load runs.
fn invite() -> Vec<u8> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    format!(
        "INVITE sip:38733555000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-0\r\n\
         From: \"Caller\" <sip:38761000001@127.0.0.1:5070>;tag=1SIPpTag001\r\nTo: <sip:38733555000@127.0.0.1>\r\n\
         Call-ID: 1-1234@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@127.0.0.1:5070>\r\nMax-Forwards: 70\r\n\
         Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let msg = invite();
    assert!(rsipstack::transport::malformed::answer(&msg).is_none(), "a sound INVITE passes");
    c.bench_function("parse an INVITE", |b| {
        b.iter(|| rsipstack::sip::SipMessage::try_from(black_box(&msg[..])).unwrap())
    });
    c.bench_function("check an INVITE (malformed::answer)", |b| {
        b.iter(|| rsipstack::transport::malformed::answer(black_box(&msg[..])))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
