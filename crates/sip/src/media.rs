//! One call leg's RTP session: a UDP socket on a random port of the
//! configured range, a 20 ms clock that sends what the call logic asked for
//! (prompts, music on hold, silence) and takes what arrived since the last
//! tick from the leg's own far end only (strict-source latching, see
//! `centrala_media::latch`; everything else is dropped and counted): RFC
//! 4733 digits to the call task, the caller's audio to the recording. RTCP
//! on the same port is tolerated and skipped.
//!
//! A leg keyed for SRTP protects every packet it sends and takes only
//! packets that pass their authentication (a forged or replayed one is
//! dropped and counted; the leg latches only to a packet that passed).
//!
//! The packet work (G.711, RTP framing, SRTP, DTMF, WAV) is
//! `centrala-media`'s; this is only the socket and the clock.

use crate::webrtc::{Liveness, WebWire};
use centrala_media::record::{Anchor, Recorder};
use centrala_media::srtp::Srtp;
use centrala_media::{dtmf, g711::Law, latch::Latch, rtp, sdp_neg::Chosen};
use std::collections::VecDeque;
use std::io::BufWriter;
use std::net::UdpSocket;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::warn;

/// 20 ms of 8 kHz audio.
pub const FRAME: usize = 160;
/// Packets of another leg's audio waiting to be sent (a full channel drops
/// the newest: the far end is not keeping up).
const FEED_DEPTH: usize = 32;
/// The most of another leg's audio buffered before the oldest is dropped:
/// 200 ms, so a bridge never builds up delay.
const MAX_BRIDGE_DELAY: usize = 1600;
/// Every this many frames (5 s) the recording's header is brought up to
/// date, so a crash leaves a playable file.
const CHECKPOINT_TICKS: u64 = 250;
/// The most packets a leg takes from its socket per tick (a far end
/// sending faster than this is not a phone; the rest wait for the next).
const MAX_PACKETS_PER_TICK: usize = 16;
/// How far behind the leg's clock its recording is written (200 ms): the
/// room a late packet has to land in its place.
const JITTER: u64 = 1600;
/// No RTP at all for this long means the far end is gone.
pub const SILENT_AFTER: Duration = Duration::from_secs(60);

/// Audio, decoded: 8 kHz mono 16-bit samples.
pub type Audio = Arc<[i16]>;

/// RTP packets dropped because they came from somewhere other than the
/// leg's far end, since the process started (for `/metrics`).
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Legs started with SRTP, and SRTP packets refused (failed
/// authentication or replayed), since the start.
static SRTP_LEGS: AtomicU64 = AtomicU64::new(0);
static SRTP_REJECTED: AtomicU64 = AtomicU64::new(0);

/// (legs started with SRTP, SRTP packets refused) so far.
pub fn srtp_counts() -> (u64, u64) {
    (SRTP_LEGS.load(Ordering::Relaxed), SRTP_REJECTED.load(Ordering::Relaxed))
}

/// Whether recordings may be written now: off while the recordings' disk
/// is below its floor (`set_recording_allowed`, from the runtime's watch).
static RECORDING_ALLOWED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
/// Recordings stopped mid-call for want of space, since the start.
static RECORDINGS_STOPPED: AtomicU64 = AtomicU64::new(0);

/// Lets recordings be written, or stops them: a leg recording now completes
/// its file at its next checkpoint (within 5 s) and records no more, so
/// that the database, on the same disk, is not starved.
pub fn set_recording_allowed(allowed: bool) {
    RECORDING_ALLOWED.store(allowed, Ordering::Relaxed);
}

pub fn recording_allowed() -> bool {
    RECORDING_ALLOWED.load(Ordering::Relaxed)
}

/// Recordings stopped mid-call for want of space so far.
pub fn recordings_stopped() -> u64 {
    RECORDINGS_STOPPED.load(Ordering::Relaxed)
}

/// RTP packets dropped by every leg so far: sent by a source other than
/// the one the leg latched to (or expected, before media flowed).
pub fn rtp_dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// The RTP port range (even ports, RTCP would be the odd one above).
#[derive(Debug)]
pub struct PortPool {
    low: u16,
    high: u16,
}

impl PortPool {
    pub fn new(low: u16, high: u16) -> PortPool {
        let low = low + low % 2;
        PortPool { low, high: high.max(low) }
    }

    /// Binds a free even port of the range, picked at random (a port in
    /// sequence tells a stranger where the next call's audio is), on `ip`:
    /// a plain non-blocking socket, which its leg reads at its tick (no
    /// reactor watches it, so no packet costs an epoll event).
    pub fn bind(&self, ip: IpAddr) -> std::io::Result<UdpSocket> {
        let slots = u32::from((self.high - self.low) / 2 + 1);
        // From a random slot, every slot once, in a random stride that is
        // coprime with their number (odd strides over a power of two, or
        // stride one): a full range is still searched to its end.
        let start = rand::random::<u32>() % slots;
        let stride = if slots.is_power_of_two() { (rand::random::<u32>() % slots) | 1 } else { 1 };
        let mut last = None;
        for k in 0..slots {
            let i = (start + k.wrapping_mul(stride)) % slots;
            let port = self.low + (i * 2) as u16;
            match UdpSocket::bind((ip, port)) {
                Ok(s) => return s.set_nonblocking(true).map(|()| s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("the RTP port range is empty")))
    }
}

#[derive(Debug)]
pub enum MediaCmd {
    /// Play these one after another, then report `PlayDone`.
    Play(Vec<Audio>),
    /// Stop playing (no `PlayDone`).
    Stop,
    /// Loop this when nothing else plays (music on hold); `None` for silence.
    Hold(Option<Audio>),
    /// Bridge to another leg: what this leg receives goes to that leg's
    /// `feed`, and this leg sends only what its own `feed` brings (the other
    /// side's audio), not prompts. `None` ends the bridge.
    Bridge(Option<mpsc::Sender<Vec<i16>>>),
    /// Also send what this leg receives here (a listener's `feed` or
    /// `side`); `None` stops. The leg's own bridge is not affected.
    Tap(Option<mpsc::Sender<Vec<i16>>>),
    /// Whether to send at all (the far end put us on hold: `false`); the
    /// leg still receives, records and relays.
    Send(bool),
    /// Listening in: this leg sends the mix of what its `feed` and its
    /// `side` bring (the two sides of another call), and what it receives
    /// goes only where a later `Bridge` or `Tap` says (a whisper, a
    /// barge-in).
    Listen,
    /// Muted (`true`): what this leg receives is no longer sent on to its
    /// bridge (a listener's tap still hears it).
    Mute(bool),
    /// Send these keys to the far end as RFC 4733 telephone-events (when it
    /// offered them; else nothing is sent), 100 ms each with 60 ms between.
    Keys(Vec<char>),
    /// Pause (`true`) or resume this leg's recording: silence on both
    /// channels meanwhile, the file as long as the call.
    RecordPause(bool),
    /// The call on this leg is over but the leg lives on (a browser's
    /// softphone, between calls): no bridge, tap, listening, mute, prompt
    /// or music; what the leg did since the last `Idle` comes back.
    Idle(tokio::sync::oneshot::Sender<MediaStats>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaEvent {
    PlayDone,
    Digit(char),
    /// No RTP for [`SILENT_AFTER`].
    Silent,
    /// A browser's connection is lost (ICE, DTLS): nothing more will flow.
    Gone,
}

/// What the leg did, for the interaction and the benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MediaStats {
    pub packets_in: u64,
    pub packets_out: u64,
    pub digits: u32,
    /// How long the leg ran, in milliseconds.
    pub duration_ms: u64,
    /// Whether the recording was written completely.
    pub recorded: bool,
    /// Packets dropped: not from the leg's far end.
    pub dropped: u64,
    /// SRTP packets from the far end that failed authentication or were
    /// replays.
    pub rejected: u64,
}

/// The runtime every RTP leg runs on, apart from signalling, the API and
/// the database: its threads get their share of the CPU from the operating
/// system, so a thousand legs ticking every 20 ms do not queue ahead of a
/// call's database work (and a busy database does not delay a packet).
fn media_runtime() -> tokio::runtime::Handle {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .thread_name("media")
            .enable_all()
            .build()
            .map_err(|e| warn!(error = %e, "no media runtime; RTP legs share the main one"))
            .ok()
    });
    match built {
        Some(rt) => rt.handle().clone(),
        None => tokio::runtime::Handle::current(),
    }
}

pub struct Media {
    pub cmd: mpsc::UnboundedSender<MediaCmd>,
    /// Audio for this leg to send while bridged (another leg's sound).
    pub feed: mpsc::Sender<Vec<i16>>,
    /// The second input, mixed with `feed`: the other side of a call a
    /// listening leg hears, or a coach's voice beside the bridged one.
    pub side: mpsc::Sender<Vec<i16>>,
    pub events: mpsc::UnboundedReceiver<MediaEvent>,
    pub local: SocketAddr,
    /// The leg's task; `None` for a view of a leg that outlives the call
    /// (a browser's: `Media::view`).
    task: Option<JoinHandle<MediaStats>>,
}

/// What a leg's packets travel on: RTP (SRTP when keyed) to a phone, or a
/// browser's WebRTC session. (One per leg, made once and never moved on
/// a hot path: the sizes of its variants do not matter.)
#[allow(clippy::large_enum_variant)]
enum Wire {
    Rtp { socket: UdpSocket, latch: Latch, srtp: Option<Srtp>, sender: rtp::Sender },
    Web(Box<WebWire>),
}

impl Media {
    /// Starts the leg: takes RTP only from its far end (`latch`), protected
    /// by `srtp` if given, and records to `recording` if given.
    pub fn start(
        socket: UdpSocket,
        latch: Latch,
        chosen: Chosen,
        srtp: Option<Srtp>,
        recording: Option<PathBuf>,
    ) -> Media {
        if srtp.is_some() {
            SRTP_LEGS.fetch_add(1, Ordering::Relaxed);
        }
        let local = socket.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let sender = rtp::Sender::new(rand::random(), rand::random(), rand::random(), chosen.law.payload_type());
        let wire = Wire::Rtp { socket, latch, srtp, sender };
        let how = How { law: chosen.law, telephone_event: chosen.telephone_event, sends: chosen.direction.sends() };
        Media::spawn(wire, how, recording, local)
    }

    /// Starts a browser's leg on its answered WebRTC session (never
    /// recorded itself: the call's other leg records both sides).
    pub fn start_web(wire: WebWire) -> Media {
        let local = wire.local();
        let how = How { law: wire.law(), telephone_event: None, sends: true };
        Media::spawn(Wire::Web(Box::new(wire)), how, None, local)
    }

    fn spawn(wire: Wire, how: How, recording: Option<PathBuf>, local: SocketAddr) -> Media {
        let (cmd, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, events) = mpsc::unbounded_channel();
        let (feed, feed_rx) = mpsc::channel(FEED_DEPTH);
        let (side, side_rx) = mpsc::channel(FEED_DEPTH);
        let feeds = [feed_rx, side_rx];
        // The leg runs on the media runtime (its socket is watched by no
        // reactor: see `PortPool::bind`).
        let task = media_runtime().spawn(run(wire, how, recording, cmd_rx, ev_tx, feeds));
        Media { cmd, feed, side, events, local, task: Some(task) }
    }

    /// A call's view of a leg that runs on after it (a browser's softphone):
    /// stopping it makes the leg idle.
    pub(crate) fn view(
        cmd: mpsc::UnboundedSender<MediaCmd>,
        feed: mpsc::Sender<Vec<i16>>,
        side: mpsc::Sender<Vec<i16>>,
        events: mpsc::UnboundedReceiver<MediaEvent>,
        local: SocketAddr,
    ) -> Media {
        Media { cmd, feed, side, events, local, task: None }
    }

    pub fn send(&self, c: MediaCmd) {
        let _ = self.cmd.send(c);
    }

    /// Stops the leg and completes the recording (a view: the leg goes
    /// idle); what it did comes back.
    pub async fn stop(self) -> MediaStats {
        match self.task {
            Some(task) => {
                drop(self.cmd);
                task.await.unwrap_or_default()
            }
            None => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let _ = self.cmd.send(MediaCmd::Idle(tx));
                rx.await.unwrap_or_default()
            }
        }
    }
}

#[derive(Default)]
struct Player {
    queue: VecDeque<Audio>,
    pos: usize,
    hold: Option<Audio>,
    hold_pos: usize,
}

impl Player {
    /// The next 20 ms to send, and whether the queued prompts just ended.
    fn frame(&mut self, out: &mut [i16; FRAME]) -> bool {
        out.fill(0);
        let mut filled = 0;
        let mut ended = false;
        while filled < FRAME {
            let Some(cur) = self.queue.front() else { break };
            let n = (cur.len() - self.pos).min(FRAME - filled);
            out[filled..filled + n].copy_from_slice(&cur[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
            if self.pos >= cur.len() {
                self.queue.pop_front();
                self.pos = 0;
                ended = self.queue.is_empty();
            }
        }
        if filled == 0 && !ended {
            if let Some(h) = self.hold.as_ref().filter(|h| !h.is_empty()) {
                for s in out.iter_mut() {
                    *s = h[self.hold_pos];
                    self.hold_pos = (self.hold_pos + 1) % h.len();
                }
            }
        }
        ended
    }
}

/// The recording's file, created with its folder, and its writer.
fn open_recording(p: &std::path::Path) -> Option<Recorder<BufWriter<std::fs::File>>> {
    let file = p.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::File::create(p));
    // The header goes to disk at once: from its first moment the file is a
    // (short) WAV that a crash leaves playable and a backup copies whole.
    match file
        .map(|f| Recorder::new(BufWriter::with_capacity(64 * 1024, f)).and_then(|mut r| r.checkpoint().map(|()| r)))
    {
        Ok(Ok(r)) => Some(r),
        Ok(Err(e)) => {
            warn!(path = %p.display(), error = %e, "cannot start the recording");
            None
        }
        Err(e) => {
            warn!(path = %p.display(), error = %e, "cannot create the recording");
            None
        }
    }
}

/// What a leg speaks: its law, the telephone-event payload type (if the
/// far end takes RFC 4733), and whether it sends at first.
struct How {
    law: Law,
    telephone_event: Option<u8>,
    sends: bool,
}

async fn run(
    mut wire: Wire,
    how: How,
    recording: Option<PathBuf>,
    mut cmds: mpsc::UnboundedReceiver<MediaCmd>,
    events: mpsc::UnboundedSender<MediaEvent>,
    [mut feed, mut side]: [mpsc::Receiver<Vec<i16>>; 2],
) -> MediaStats {
    let mut stats = MediaStats::default();
    let began = tokio::time::Instant::now();
    // Creating a file can take milliseconds (the file system's own work):
    // not on a thread that paces packets.
    let mut recorder = match recording {
        Some(p) => tokio::task::spawn_blocking(move || open_recording(&p)).await.ok().flatten(),
        None => None,
    };
    let law = how.law;
    // What the leg had done at the last `Idle` (a browser's leg between
    // calls), and when.
    let mut idle_at = (stats, tokio::time::Instant::now());
    let mut gone = false;
    let mut detector = dtmf::Detector::default();
    let mut player = Player::default();
    // The leg's clock: ticks since it began. Each tick is a 20 ms slot of
    // the recording's timeline, at `clock * FRAME` samples.
    let mut clock: u64 = 0;
    // Where the caller's RTP timestamps fall on that timeline.
    let mut anchor = Anchor::default();
    let mut forward: Option<mpsc::Sender<Vec<i16>>> = None;
    let mut bridged = VecDeque::<i16>::new();
    let mut tap: Option<mpsc::Sender<Vec<i16>>> = None;
    let mut listening = false;
    let mut muted = false;
    // Keys to send as telephone-events: the packets of the digit being
    // sent (and when its event began), then the digits waiting.
    let mut keys: VecDeque<char> = VecDeque::new();
    let mut key_packets: VecDeque<[u8; 4]> = VecDeque::new();
    let mut key_start: Option<u32> = None;
    let mut key_gap = 0u8;
    // Not when the far end's SDP says it will not take media (hold).
    let mut sending = how.sends;
    let mut side_buf = VecDeque::<i16>::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut buf = vec![0u8; 2048];
    let mut packet = Vec::with_capacity(200);
    let mut frame = [0i16; FRAME];
    let mut payload = [0u8; FRAME];
    let mut decoded = Vec::with_capacity(FRAME * 2);
    let mut last_rx = tokio::time::Instant::now();
    // The leg wakes for two things only: a command, and its 20 ms tick.
    // At each tick it takes every packet the socket holds (non-blocking)
    // and every chunk the other legs fed it, then sends one frame. Waking
    // once per tick, rather than for every packet received and every
    // chunk fed, is what lets a thousand legs share two cores; it delays a
    // received packet by under 20 ms.
    loop {
        tokio::select! {
            c = cmds.recv() => match c {
                None => break,
                Some(MediaCmd::Play(list)) => {
                    player.queue = list.into_iter().filter(|a| !a.is_empty()).collect();
                    player.pos = 0;
                    if player.queue.is_empty() {
                        let _ = events.send(MediaEvent::PlayDone);
                    }
                }
                Some(MediaCmd::Stop) => {
                    player.queue.clear();
                    player.pos = 0;
                }
                Some(MediaCmd::Hold(h)) => {
                    player.hold = h;
                    player.hold_pos = 0;
                }
                Some(MediaCmd::Bridge(to)) => {
                    forward = to;
                    bridged.clear();
                }
                Some(MediaCmd::Tap(to)) => tap = to,
                Some(MediaCmd::Send(on)) => sending = on,
                Some(MediaCmd::Listen) => {
                    listening = true;
                    forward = None;
                }
                Some(MediaCmd::Mute(on)) => muted = on,
                Some(MediaCmd::Keys(k)) => {
                    if how.telephone_event.is_some() {
                        keys.extend(k);
                    }
                }
                Some(MediaCmd::RecordPause(on)) => {
                    if let Some(r) = recorder.as_mut() {
                        r.pause(on, clock * FRAME as u64);
                    }
                }
                Some(MediaCmd::Idle(done)) => {
                    (forward, tap, listening, muted) = (None, None, false, false);
                    player = Player::default();
                    bridged.clear();
                    side_buf.clear();
                    keys.clear();
                    let (before, when) = idle_at;
                    let call = MediaStats {
                        packets_in: stats.packets_in - before.packets_in,
                        packets_out: stats.packets_out - before.packets_out,
                        dropped: stats.dropped - before.dropped,
                        duration_ms: u64::try_from(when.elapsed().as_millis()).unwrap_or(u64::MAX),
                        ..MediaStats::default()
                    };
                    idle_at = (stats, tokio::time::Instant::now());
                    let _ = done.send(call);
                }
            },
            due = tick.tick() => {
                // Once a second, how late this tick came (admission
                // control reads the worst of all legs).
                if clock.is_multiple_of(50) {
                    crate::limits::note_lag(u64::try_from(due.elapsed().as_millis()).unwrap_or(u64::MAX));
                }
                // What arrived since the last tick: the far end's audio
                // goes to the bridge, a listener and the recording.
                let at = clock * FRAME as u64;
                let mut take = |their_law: Law, timestamp: u32, payload: &[u8]| {
                    // Decoded by the law the packet says (a phone may switch
                    // between the two it was offered); re-encoded on sending.
                    decoded.clear();
                    decoded.extend(payload.iter().map(|b| their_law.decode(*b)));
                    if let Some(f) = forward.as_ref().filter(|_| !muted) {
                        let _ = f.try_send(decoded.clone());
                    }
                    if let Some(t) = &tap {
                        let _ = t.try_send(decoded.clone());
                    }
                    if let Some(r) = recorder.as_mut() {
                        r.caller(anchor.position(timestamp, at), &decoded);
                    }
                };
                match &mut wire {
                    Wire::Rtp { socket, latch, srtp, .. } => for _ in 0..MAX_PACKETS_PER_TICK {
                        let Ok((n, from)) = socket.recv_from(&mut buf) else { break };
                        let bytes = &buf[..n];
                        if rtp::is_rtcp(bytes) {
                            continue;
                        }
                        if !latch.accepts(from) {
                            if stats.dropped == 0 {
                                warn!(source = %from, far_end = %latch.remote(), "RTP from a stranger dropped");
                            }
                            stats.dropped += 1;
                            DROPPED.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        let clear;
                        let bytes = match srtp.as_mut().map(|s| s.unprotect(bytes)) {
                            None => bytes,
                            Some(Ok(c)) => {
                                clear = c;
                                &clear[..]
                            }
                            Some(Err(e)) => {
                                if stats.rejected == 0 {
                                    warn!(source = %from, error = %e, "SRTP packet refused");
                                }
                                stats.rejected += 1;
                                SRTP_REJECTED.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                        };
                        latch.admit(from);
                        let Ok(p) = rtp::parse(bytes) else { continue };
                        stats.packets_in += 1;
                        last_rx = tokio::time::Instant::now();
                        if Some(p.payload_type) == how.telephone_event {
                            if let Some(d) = detector.feed(p.timestamp, p.payload) {
                                stats.digits += 1;
                                let _ = events.send(MediaEvent::Digit(d));
                            }
                        } else if let Some(their_law) = Law::from_payload_type(p.payload_type) {
                            take(their_law, p.timestamp, p.payload);
                        }
                    },
                    Wire::Web(web) => {
                        let strangers = web.receive(&mut buf, MAX_PACKETS_PER_TICK, |h| {
                            stats.packets_in += 1;
                            last_rx = tokio::time::Instant::now();
                            take(h.law, h.timestamp, h.payload);
                        });
                        stats.dropped += strangers;
                        DROPPED.fetch_add(strangers, Ordering::Relaxed);
                        if web.liveness() == Liveness::Gone && !gone {
                            gone = true;
                            let _ = events.send(MediaEvent::Gone);
                        }
                    }
                }
                // What the other legs fed this one.
                while let Ok(chunk) = feed.try_recv() {
                    if forward.is_some() || listening {
                        bridged.extend(chunk);
                    }
                }
                let excess = bridged.len().saturating_sub(MAX_BRIDGE_DELAY);
                bridged.drain(..excess);
                while let Ok(chunk) = side.try_recv() {
                    if forward.is_some() || listening {
                        side_buf.extend(chunk);
                    }
                }
                let excess = side_buf.len().saturating_sub(MAX_BRIDGE_DELAY);
                side_buf.drain(..excess);
                // One frame out.
                if forward.is_some() || listening {
                    frame.fill(0);
                    let n = bridged.len().min(FRAME);
                    for (o, s) in frame.iter_mut().zip(bridged.drain(..n)) {
                        *o = s;
                    }
                    let n = side_buf.len().min(FRAME);
                    for (o, s) in frame.iter_mut().zip(side_buf.drain(..n)) {
                        *o = o.saturating_add(s);
                    }
                } else if player.frame(&mut frame) {
                    let _ = events.send(MediaEvent::PlayDone);
                }
                for (o, s) in payload.iter_mut().zip(frame.iter()) {
                    *o = law.encode(*s);
                }
                let sent = match &mut wire {
                    _ if !sending => false,
                    Wire::Web(web) => web.send(&payload),
                    Wire::Rtp { socket, latch, srtp, sender } => {
                        packet.clear();
                        // A key being sent takes this slot's packet (time
                        // goes on); between keys, 60 ms of ordinary audio.
                        if key_packets.is_empty() && key_gap == 0 {
                            if let Some(code) = keys.pop_front().and_then(dtmf::code) {
                                key_packets.extend(dtmf::tone(code, 5));
                                key_start = None;
                            }
                        }
                        match (key_packets.pop_front(), how.telephone_event) {
                            (Some(event), Some(pt)) => {
                                let first = key_start.is_none();
                                let start = *key_start.get_or_insert(sender.timestamp());
                                sender.next_event(&event, pt, first, start, &mut packet);
                                if key_packets.is_empty() {
                                    key_gap = 3;
                                }
                            }
                            _ => {
                                key_gap = key_gap.saturating_sub(1);
                                sender.next(&payload, &mut packet);
                            }
                        }
                        match srtp.as_mut() {
                            None => socket.send_to(&packet, latch.remote()).is_ok(),
                            Some(s) => match s.protect(&packet) {
                                Ok(sealed) => socket.send_to(&sealed, latch.remote()).is_ok(),
                                Err(e) => {
                                    warn!(error = %e, "SRTP could not protect a packet; not sent");
                                    false
                                }
                            },
                        }
                    }
                };
                if sent {
                    stats.packets_out += 1;
                }
                let now = clock * FRAME as u64;
                clock += 1;
                if let Some(r) = recorder.as_mut() {
                    r.staff(now, &frame);
                    // The timeline is written a jitter window behind the
                    // clock: a late packet still lands in its place.
                    let written = r.write_until(now.saturating_sub(JITTER)).and_then(|()| {
                        if clock.is_multiple_of(CHECKPOINT_TICKS) { r.checkpoint() } else { Ok(()) }
                    });
                    if let Err(e) = written {
                        warn!(error = %e, "recording failed; going on without it");
                        recorder = None;
                    } else if clock.is_multiple_of(CHECKPOINT_TICKS) && !recording_allowed() {
                        // The disk is below its floor: the file is complete
                        // up to here, and the call goes on unrecorded.
                        if let Some(r) = recorder.take() {
                            RECORDINGS_STOPPED.fetch_add(1, Ordering::Relaxed);
                            warn!("recording stopped: the recordings' disk is below its free-space floor");
                            stats.recorded = complete(r, now + FRAME as u64);
                        }
                    }
                }
                if last_rx.elapsed() >= SILENT_AFTER {
                    let _ = events.send(MediaEvent::Silent);
                    last_rx = tokio::time::Instant::now();
                }
            },
        }
    }
    stats.duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Some(r) = recorder {
        // As long as the leg: every tick it lived, one 20 ms slot.
        stats.recorded = complete(r, clock * FRAME as u64);
    }
    stats
}

/// Completes a recording's file at timeline position `end`: whether it was.
fn complete(r: Recorder<BufWriter<std::fs::File>>, end: u64) -> bool {
    r.finish(end).map_err(|e| warn!(error = %e, "the recording could not be completed")).is_ok()
}

/// Music on hold: a calm, quiet four-chord loop (8 s), synthesised so that
/// no copyrighted file ships with the product.
pub fn hold_music() -> Audio {
    const CHORDS: [[f64; 3]; 4] =
        [[261.63, 329.63, 392.00], [220.00, 261.63, 329.63], [174.61, 220.00, 261.63], [196.00, 246.94, 293.66]];
    let per = 16_000usize;
    let mut out = Vec::with_capacity(per * CHORDS.len());
    for chord in CHORDS {
        for i in 0..per {
            let t = i as f64 / 8000.0;
            // A soft attack and release so that chords do not click.
            let env = (i.min(per - i) as f64 / 800.0).min(1.0);
            let v: f64 = chord.iter().map(|f| (2.0 * std::f64::consts::PI * f * t).sin()).sum::<f64>() / 3.0;
            out.push((v * env * 3000.0) as i16);
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(n: usize, v: i16) -> Audio {
        vec![v; n].into()
    }

    #[test]
    fn the_player_plays_prompts_in_order_then_holds() {
        let mut p =
            Player { queue: [audio(200, 1), audio(100, 2)].into(), hold: Some(audio(50, 9)), ..Player::default() };
        let mut f = [0i16; FRAME];
        assert!(!p.frame(&mut f));
        assert!(f.iter().all(|s| *s == 1));
        assert!(p.frame(&mut f), "the queue ends within the second frame");
        assert_eq!((f[0], f[39], f[40], f[139], f[140]), (1, 1, 2, 2, 0), "padded with silence, not hold");
        assert!(!p.frame(&mut f));
        assert!(f.iter().all(|s| *s == 9), "then the music on hold");
        let mut empty = Player::default();
        assert!(!empty.frame(&mut f));
        assert!(f.iter().all(|s| *s == 0));
    }

    #[test]
    fn hold_music_is_quiet_but_audible() {
        let m = hold_music();
        assert_eq!(m.len(), 64_000);
        let rms = (m.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / m.len() as f64).sqrt();
        assert!((300.0..3000.0).contains(&rms), "{rms}");
    }

    #[tokio::test]
    async fn ports_come_from_the_range_at_random_are_even_and_fill_it() {
        let ip = IpAddr::from([127, 0, 0, 1]);
        let pool = PortPool::new(41_001, 41_999);
        let socks: Vec<_> = (0..10).map(|_| pool.bind(ip).unwrap()).collect();
        let ports: Vec<u16> = socks.iter().map(|s| s.local_addr().unwrap().port()).collect();
        for port in &ports {
            assert!((41_002..=41_998).contains(port) && port % 2 == 0, "{port}");
        }
        // In sequence, a stranger knows the next call's port; at random
        // (one in 499 per step), ten in a row two apart does not happen.
        assert!(ports.windows(2).any(|w| w[1] != w[0] + 2), "{ports:?}");
        // A small range is used to its last port, whatever order it takes.
        let small = PortPool::new(42_000, 42_007);
        let held: Vec<_> = (0..4).map(|_| small.bind(ip).unwrap()).collect();
        let taken: std::collections::BTreeSet<u16> = held.iter().map(|s| s.local_addr().unwrap().port()).collect();
        assert_eq!(taken.into_iter().collect::<Vec<_>>(), [42_000, 42_002, 42_004, 42_006]);
        assert!(small.bind(ip).is_err(), "the range is full");
    }
}
