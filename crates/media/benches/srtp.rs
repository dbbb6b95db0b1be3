//! What SRTP costs a call leg: one 20 ms G.711 packet (172 bytes)
//! protected on the way out, and one checked and decrypted on the way in.
//!
//!     cargo bench -p centrala-media --bench srtp
//!
//! A bridged call has two legs, each protecting 50 packets a second and
//! unprotecting 50: 200 operations a second per encrypted call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use centrala_media::rtp::Sender;
use centrala_media::srtp::{Keys, Srtp, Suite, KEY_LEN};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn srtp(c: &mut Criterion) {
    let (a_keys, b_keys) = (Keys([7; KEY_LEN]), Keys([9; KEY_LEN]));
    let mut a = Srtp::new(Suite::Aes128Sha1_80, &a_keys, &b_keys).unwrap();
    let mut b = Srtp::new(Suite::Aes128Sha1_80, &b_keys, &a_keys).unwrap();
    let mut sender = Sender::new(0x1234, 1, 0, 0);
    let mut packet = Vec::with_capacity(200);
    let mut g = c.benchmark_group("srtp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("protect then unprotect one 20 ms packet", |bench| {
        bench.iter(|| {
            packet.clear();
            sender.next(&[0x55; 160], &mut packet);
            let sealed = a.protect(&packet).unwrap();
            b.unprotect(&sealed).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, srtp);
criterion_main!(benches);
