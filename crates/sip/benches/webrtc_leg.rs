//! What a browser's leg costs against a SIP phone's, per 20 ms frame, on
//! the server's side only: one frame out (our sending) and one frame in
//! (our receiving and decoding), over real loopback sockets. The far end
//! (a `str0m` client standing in for the browser, or a bare RTP sender)
//! runs between the timed parts and is not counted. Run with
//! `cargo bench -p centrala-sip --bench webrtc_leg`; it also prints the
//! memory of 100 connected WebRTC pairs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_media::{g711::Law, rtp};
use centrala_sip::webrtc::{Liveness, WebWire};
use criterion::{criterion_group, criterion_main, Criterion};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_nonblocking(true).unwrap();
    s
}

/// The browser's side: a full-ICE `str0m` peer offering PCMU.
struct Browser {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Mid,
    sent: u64,
    heard: u64,
}

impl Browser {
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
        while let Ok((n, source)) = self.socket.recv_from(&mut buf) {
            let contents = buf[..n].try_into().unwrap();
            let input = Input::Receive(
                Instant::now(),
                Receive { proto: Protocol::Udp, source, destination: self.local, contents },
            );
            self.rtc.handle_input(input).unwrap();
            self.drain();
        }
        self.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
        self.drain();
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(_) => break,
                Output::Transmit(t) => {
                    self.socket.send_to(&t.contents, t.destination).unwrap();
                }
                Output::Event(Event::MediaData(_)) => self.heard += 1,
                Output::Event(_) => {}
            }
        }
    }

    fn say(&mut self, payload: &[u8]) {
        let w = self.rtc.writer(self.mid).unwrap();
        let pt = w.payload_params().next().unwrap().pt();
        let time = MediaTime::new(self.sent, Frequency::new(8000).unwrap());
        w.write(pt, Instant::now(), time, payload.to_vec()).unwrap();
        self.sent += payload.len() as u64;
        self.drain();
    }
}

/// A browser and our wire, connected (ICE, DTLS, SRTP keys).
fn connected() -> (WebWire, Browser) {
    let client = socket();
    let local = client.local_addr().unwrap();
    let mut rtc = RtcConfig::new().clear_codecs().enable_pcmu(true).build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp").unwrap()).unwrap();
    let mut api = rtc.sdp_api();
    let mid = api.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
    let (offer, pending) = api.apply().unwrap();
    let (mut wire, answer) = WebWire::accept(socket(), &offer.to_sdp_string(), Instant::now()).unwrap();
    rtc.sdp_api().accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap()).unwrap();
    let mut browser = Browser { rtc, socket: client, local, mid, sent: 0, heard: 0 };
    let mut buf = [0u8; 2048];
    let began = Instant::now();
    while wire.liveness() != Liveness::Up || !browser.rtc.is_connected() {
        browser.pump();
        wire.receive(&mut buf, 64, |_| {});
        assert!(began.elapsed() < Duration::from_secs(5), "no connection");
        std::thread::sleep(Duration::from_millis(1));
    }
    (wire, browser)
}

/// Resident memory of this process, in kB.
fn rss_kb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

fn bench(c: &mut Criterion) {
    let payload = [0x55u8; 160];
    let mut decoded = Vec::with_capacity(160);
    let mut buf = vec![0u8; 2048];

    // A browser's leg: SRTP on every packet, str0m's RTP and RTCP.
    let (mut wire, mut browser) = connected();
    c.bench_function("WebRTC leg: one frame out and one in (server side)", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                assert!(wire.send(&payload));
                spent += t.elapsed();
                browser.pump();
                browser.say(&payload);
                let t = Instant::now();
                wire.receive(&mut buf, 16, |h| {
                    decoded.clear();
                    decoded.extend(h.payload.iter().map(|b| h.law.decode(*b)));
                });
                spent += t.elapsed();
            }
            spent
        })
    });
    assert!(browser.heard > 0, "the browser heard nothing");

    // A SIP phone's leg: plain RTP on a socket.
    let (ours, theirs) = (socket(), socket());
    let (our_addr, their_addr) = (ours.local_addr().unwrap(), theirs.local_addr().unwrap());
    let mut sender = rtp::Sender::new(1, 1, 1, 0);
    let mut phone = rtp::Sender::new(2, 1, 1, 0);
    let (mut packet, mut theirs_packet) = (Vec::with_capacity(200), Vec::with_capacity(200));
    c.bench_function("RTP leg: one frame out and one in (server side)", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                packet.clear();
                sender.next(&payload, &mut packet);
                ours.send_to(&packet, their_addr).unwrap();
                spent += t.elapsed();
                while theirs.recv_from(&mut buf).is_ok() {}
                theirs_packet.clear();
                phone.next(&payload, &mut theirs_packet);
                theirs.send_to(&theirs_packet, our_addr).unwrap();
                let t = Instant::now();
                while let Ok((n, _)) = ours.recv_from(&mut buf) {
                    let p = rtp::parse(&buf[..n]).unwrap();
                    decoded.clear();
                    decoded.extend(p.payload.iter().map(|b| Law::Mu.decode(*b)));
                }
                spent += t.elapsed();
            }
            spent
        })
    });

    // What a conference adds to each of its legs per frame: what the leg
    // received goes to a second leg too (a copy into its channel), and the
    // leg mixes a second input into what it sends (as `media::run` does).
    let (feed_tx, mut feed_rx) = tokio::sync::mpsc::channel::<Vec<i16>>(32);
    let (side_tx, mut side_rx) = tokio::sync::mpsc::channel::<Vec<i16>>(32);
    let heard: Vec<i16> = (0..160).map(|i| (i * 37 % 2000) as i16).collect();
    let (mut bridged, mut side_buf) = (std::collections::VecDeque::new(), std::collections::VecDeque::new());
    let mut frame = [0i16; 160];
    c.bench_function("conference: the second copy and the mix, per leg and frame", |b| {
        b.iter(|| {
            feed_tx.try_send(heard.clone()).unwrap();
            side_tx.try_send(heard.clone()).unwrap();
            while let Ok(chunk) = feed_rx.try_recv() {
                bridged.extend(chunk);
            }
            while let Ok(chunk) = side_rx.try_recv() {
                side_buf.extend(chunk);
            }
            frame.fill(0);
            for (o, s) in frame.iter_mut().zip(bridged.drain(..160)) {
                *o = s;
            }
            for (o, s) in frame.iter_mut().zip(side_buf.drain(..160)) {
                *o = o.saturating_add(s);
            }
            std::hint::black_box(&frame);
        })
    });

    // Memory: 100 connected pairs, both sides str0m (the same library), so
    // half of what they add is one server-side session.
    let before = rss_kb();
    let pairs: Vec<_> = (0..100).map(|_| connected()).collect();
    let after = rss_kb();
    println!(
        "memory: 100 connected WebRTC pairs add {} kB: about {} kB per server-side session",
        after - before,
        (after - before) / 200
    );
    drop(pairs);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
