//! What encoding a leg's 20 ms frame costs: the segment arithmetic per
//! sample against the 64 kB table `Law::encode_into` uses.
//!
//!     cargo bench -p centrala-media --bench g711
#![allow(clippy::unwrap_used, clippy::expect_used)]

use centrala_media::g711::{linear_to_alaw, linear_to_ulaw, Law};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn encode(c: &mut Criterion) {
    // Speech-like levels: most samples small, some loud.
    let frame: Vec<i16> =
        (0..160).map(|k: i32| ((k * 2_654_435) % 20_000 - 10_000) as i16 / ((k % 7) as i16 + 1)).collect();
    let mut out = [0u8; 160];
    let mut g = c.benchmark_group("g711 encode, one 20 ms frame");
    g.throughput(Throughput::Elements(1));
    // Each arm calls its function directly, so both inline as in a leg.
    g.bench_function("A-law, segment arithmetic", |b| {
        b.iter(|| {
            for (o, s) in out.iter_mut().zip(black_box(&frame)) {
                *o = linear_to_alaw(*s);
            }
            black_box(&out);
        })
    });
    g.bench_function("A-law, table", |b| {
        b.iter(|| {
            Law::A.encode_into(black_box(&frame), &mut out);
            black_box(&out);
        })
    });
    g.bench_function("µ-law, segment arithmetic", |b| {
        b.iter(|| {
            for (o, s) in out.iter_mut().zip(black_box(&frame)) {
                *o = linear_to_ulaw(*s);
            }
            black_box(&out);
        })
    });
    g.bench_function("µ-law, table", |b| {
        b.iter(|| {
            Law::Mu.encode_into(black_box(&frame), &mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
