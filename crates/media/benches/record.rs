//! What recording costs a call: one second of a two-sided call (50 frames
//! of the caller's audio and 50 of ours placed on the timeline, and the
//! timeline written 200 ms behind, as a leg's tick does) into a WAV in
//! memory.
//!
//!     cargo bench -p centrala-media --bench record
#![allow(clippy::unwrap_used, clippy::expect_used)]

use centrala_media::g711::Law;
use centrala_media::record::Recorder;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::io::Cursor;

fn record(c: &mut Criterion) {
    let frame: Vec<u8> = (0..160).map(|k| Law::Mu.encode((k * 97 % 2000) as i16 - 1000)).collect();
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one second of a call, both sides", |bench| {
        // A minute's file, reused: each iteration records one more second.
        let mut r = Recorder::new(Cursor::new(Vec::with_capacity(2_000_000)), Law::Mu).unwrap();
        let mut at = 0u64;
        bench.iter(|| {
            for _ in 0..50 {
                r.caller(at, Law::Mu, &frame);
                r.staff(at, &frame);
                r.write_until(at.saturating_sub(1600)).unwrap();
                at += 160;
            }
            if at > 8000 * 60 {
                r = Recorder::new(Cursor::new(Vec::with_capacity(2_000_000)), Law::Mu).unwrap();
                at = 0;
            }
        })
    });
    g.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
