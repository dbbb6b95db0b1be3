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

use crate::chan;
use crate::webrtc::{Liveness, WebWire};
use centrala_media::record::{Anchor, Recorder};
use centrala_media::srtp::Srtp;
use centrala_media::{dtmf, g711::Law, latch::Latch, rtp, sdp_neg::Chosen};
use std::collections::VecDeque;
use std::io::BufWriter;
use std::net::UdpSocket;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tracing::warn;

/// 20 ms of 8 kHz audio.
pub const FRAME: usize = 160;
/// The most of another leg's audio buffered before the oldest is dropped:
/// 200 ms, so a bridge never builds up delay.
const MAX_BRIDGE_DELAY: usize = 1600;
/// What a bridge holds before it plays (and again after it ran dry): two
/// frames, so that a frame that comes a little late (its packet just
/// missed the other leg's tick, or the other leg is on another pacing
/// loop) is not a silent frame: 20 ms more delay, no gap.
const PRIME: usize = 2 * FRAME;
/// Every this many frames (5 s) the recording's header is brought up to
/// date, so a crash leaves a playable file.
const CHECKPOINT_TICKS: u64 = 250;
/// The most packets a leg takes from its socket per tick (a far end
/// sending faster than this is not a phone; the rest wait for the next).
const MAX_PACKETS_PER_TICK: usize = 16;
/// How far behind the leg's clock its recording is written (200 ms): the
/// room a late packet has to land in its place.
const JITTER: u64 = 1600;
/// The recording's window, made once: [`JITTER`] behind the clock, this
/// tick's frame, and a few frames for the caller's audio ahead of it (its
/// clock runs a little apart from ours).
const WINDOW: usize = JITTER as usize + 4 * FRAME;
/// The recording's file buffer (see `open_recording`).
const RECORDING_BUFFER: usize = 4 * 1024;
/// No RTP at all for this long means the far end is gone.
pub const SILENT_AFTER: Duration = Duration::from_secs(60);
/// The media clock's period: one frame.
const TICK: Duration = Duration::from_millis(20);

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

/// Media legs in progress now (for `/metrics`): each [`Leg`] holds one
/// place ([`crate::limits::Place`]), given back as it ends.
static LEGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Media legs in progress now: callers', agents', listeners', browsers'.
pub fn legs_in_progress() -> usize {
    LEGS.load(Ordering::Relaxed)
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
    Bridge(Option<Feed>),
    /// Also send what this leg receives here (a listener's `feed` or
    /// `side`); `None` stops. The leg's own bridge is not affected.
    Tap(Option<Feed>),
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
    /// The call ended at this moment (sent as soon as it is known, and
    /// by [`Media::stop_at`]): the recording ends there, not at the tick
    /// the leg is stopped at, however long the call's teardown takes.
    End(Instant),
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
    /// When the call ended as its caller lived it (their BYE, or the
    /// agent's), if the call said so: the legs' teardown after it (a BYE
    /// round trip to a slow phone) is not part of the call.
    pub ended_at: Option<std::time::SystemTime>,
}

/// The pacing loops: one thread per core, each owning its share of the
/// legs and ticking all of them every 20 ms, one after another. A leg is
/// no task and no timer of its own: a thousand legs cost one wake-up per
/// tick per core, not a thousand, and the scratch buffers a tick needs are
/// the loop's, not each leg's. (Hand-written because no crate paces many
/// RTP streams on one clock; tokio's timers are one per task.)
///
/// The threads are apart from signalling, the API and the database: the
/// operating system gives them their share of the CPU, so a busy database
/// does not delay a packet, and a thousand legs do not queue ahead of a
/// call's database work.
struct Pacers {
    loops: Vec<std::sync::mpsc::Sender<ToPacer>>,
    next: std::sync::atomic::AtomicUsize,
    /// Every loop runs at [`PACING_NICE`] (the process may raise them).
    raised: bool,
}

/// What a pacing loop is sent.
enum ToPacer {
    /// A new leg, to tick from the next round.
    Leg(Box<Leg>),
    /// A leg of this loop was stopped: take the commands now, between
    /// rounds, so that its call's end does not wait for the next round.
    Wake,
}

fn pacers() -> &'static Pacers {
    static PACERS: std::sync::OnceLock<Pacers> = std::sync::OnceLock::new();
    PACERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (raised_tx, raised_rx) = std::sync::mpsc::channel();
        let loops: Vec<_> = (0..cores)
            .filter_map(|k| {
                let (tx, rx) = std::sync::mpsc::channel();
                let raised = raised_tx.clone();
                std::thread::Builder::new()
                    .name(format!("media-{k}"))
                    .spawn(move || {
                        let _ = raised.send(first_in_line(k));
                        drop(raised);
                        pace(&rx)
                    })
                    .map_err(|e| warn!(error = %e, "a media pacing thread could not start"))
                    .ok()
                    .map(|_| tx)
            })
            .collect();
        drop(raised_tx);
        // Each thread says at once whether it could rise.
        let raised = !loops.is_empty() && raised_rx.iter().take(loops.len()).all(|r| r);
        Pacers { loops, next: std::sync::atomic::AtomicUsize::new(0), raised }
    })
}

/// The nice value a pacing thread asks for: ahead of every other process
/// of the machine at the default priority (a load generator, the
/// database), as Asterisk's `-p` and FreeSWITCH's `-rp` put their media
/// first. Needs `CAP_SYS_NICE` (or root, or `LimitNICE=` in a systemd
/// unit); without it the thread keeps the process's priority, and the rest
/// of Centrala goes below it instead (`media_first` in the binary).
const PACING_NICE: i32 = -10;

/// Raises this pacing thread to [`PACING_NICE`], if the process may;
/// whether it did.
fn first_in_line(k: usize) -> bool {
    match rustix::process::setpriority_process(None, PACING_NICE) {
        Ok(()) => {
            tracing::debug!(thread = k, nice = PACING_NICE, "media pacing thread raised");
            true
        }
        Err(e) => {
            // Said once: the other threads meet the same refusal.
            if k == 0 {
                tracing::info!(
                    error = %e,
                    "the media keeps the process's priority (raising it to nice {PACING_NICE} needs CAP_SYS_NICE)"
                );
            }
            false
        }
    }
}

/// Starts the pacing threads now (else with the first leg): the binary
/// starts them before it sets the priority of every later thread. True
/// when they run at [`PACING_NICE`], ahead of the process's own priority.
pub fn start_pacing() -> bool {
    pacers().raised
}

/// The pacing loop for a new leg: each in turn, so that the loops share
/// the legs.
fn next_pacer() -> usize {
    let p = pacers();
    p.next.fetch_add(1, Ordering::Relaxed) % p.loops.len().max(1)
}

/// Hands a leg to its pacing loop.
fn pace_leg(leg: Leg) {
    match pacers().loops.get(leg.pacer) {
        Some(pacer) => {
            if let Err(back) = pacer.send(ToPacer::Leg(Box::new(leg))) {
                if let ToPacer::Leg(leg) = back.0 {
                    leg.end();
                }
            }
        }
        // No thread could start: the leg ends at once, its call hears
        // nothing (logged above).
        None => leg.end(),
    }
}

/// One pacing loop: every 20 ms, each leg takes its commands, then ticks.
/// A late round is followed by the next at once (the legs catch up, as a
/// phone's jitter buffer expects); its lateness feeds admission control.
fn pace(new: &std::sync::mpsc::Receiver<ToPacer>) {
    let mut legs: Vec<Box<Leg>> = Vec::new();
    let mut scratch = Scratch::default();
    let mut due = Instant::now();
    loop {
        while legs.is_empty() {
            // Nothing to pace: sleep until a leg comes.
            match new.recv() {
                Ok(ToPacer::Leg(leg)) => legs.push(leg),
                Ok(ToPacer::Wake) => {}
                Err(_) => return,
            }
            due = Instant::now();
        }
        let now = Instant::now();
        crate::limits::note_lag(u64::try_from(now.saturating_duration_since(due).as_millis()).unwrap_or(u64::MAX));
        for leg in &mut legs {
            if leg.commands() {
                leg.tick(&mut scratch, now);
            } else {
                leg.over = true;
            }
        }
        end_over(&mut legs);
        due += TICK;
        // Until the next round: new legs join, stopped legs end at once.
        loop {
            let now = Instant::now();
            if now >= due {
                break;
            }
            match new.recv_timeout(due - now) {
                Ok(ToPacer::Leg(leg)) => legs.push(leg),
                Ok(ToPacer::Wake) => {
                    for leg in &mut legs {
                        leg.over = !leg.commands();
                    }
                    end_over(&mut legs);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Ends the legs whose calls let go of them. In order: a bridge's two legs
/// keep their places in the round, so the one that feeds the other does
/// not move behind it.
// Boxed: a leg that ends moves the pointers behind it, not the legs.
#[allow(clippy::vec_box)]
fn end_over(legs: &mut Vec<Box<Leg>>) {
    for leg in legs.extract_if(.., |leg| leg.over) {
        leg.end();
    }
}

/// What a tick needs for a moment only, shared by a loop's legs.
struct Scratch {
    buf: Vec<u8>,
    batch: crate::batch::Batch,
    packet: Vec<u8>,
    frame: [i16; FRAME],
    payload: [u8; FRAME],
    decoded: Vec<i16>,
}

impl Default for Scratch {
    fn default() -> Scratch {
        Scratch {
            buf: vec![0; 2048],
            batch: crate::batch::Batch::default(),
            packet: Vec::with_capacity(200),
            frame: [0; FRAME],
            payload: [0; FRAME],
            decoded: Vec::with_capacity(FRAME * 2),
        }
    }
}

/// Creating and completing recordings' files: the file system's own work
/// (an inode, a header rewritten) can take milliseconds, so it is done
/// here, never on a pacing thread. Two threads, so that one slow file does
/// not hold up every new call's start.
fn files() -> &'static std::sync::mpsc::Sender<FileJob> {
    static FILES: std::sync::OnceLock<std::sync::mpsc::Sender<FileJob>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<FileJob>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for k in 0..2 {
            let rx = rx.clone();
            let started = std::thread::Builder::new().name(format!("recordings-{k}")).spawn(move || loop {
                let job = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job.run(),
                    Err(_) => return,
                }
            });
            if let Err(e) = started {
                warn!(error = %e, "a recordings thread could not start");
            }
        }
        tx
    })
}

type File = Recorder<BufWriter<std::fs::File>>;

/// Gives a job to the recordings' threads (or, should none be there, does
/// it here).
fn to_files(job: FileJob) {
    if let Err(back) = files().send(job) {
        back.0.run();
    }
}

enum FileJob {
    /// Create the recording, then hand the leg to a pacing loop.
    Open(PathBuf, Box<Leg>),
    /// Complete the recording at this position, then report the leg's
    /// stats.
    Finish(Box<File>, u64, MediaStats, tokio::sync::oneshot::Sender<MediaStats>),
}

impl FileJob {
    fn run(self) {
        match self {
            FileJob::Open(path, mut leg) => {
                leg.recorder = open_recording(&path, leg.how.law);
                pace_leg(*leg);
            }
            FileJob::Finish(r, end, mut stats, done) => {
                stats.recorded = complete(*r, end);
                let _ = done.send(stats);
            }
        }
    }
}

pub struct Media {
    pub cmd: Commands,
    /// Audio for this leg to send while bridged (another leg's sound).
    pub feed: Feed,
    /// The second input, mixed with `feed`: the other side of a call a
    /// listening leg hears, or a coach's voice beside the bridged one.
    pub side: Feed,
    pub events: chan::Receiver<MediaEvent>,
    pub local: SocketAddr,
    /// What the leg did, when it is over, and its pacing loop; `None` for
    /// a view of a leg that outlives the call (a browser's: `Media::view`).
    done: Option<(tokio::sync::oneshot::Receiver<MediaStats>, usize)>,
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
        let (leg, media) = Media::wire_up(wire, how, local);
        match recording {
            // The leg is paced once its file is there; the time that took
            // is silence at the recording's start (its timeline starts
            // with the leg: `Leg::tick`).
            Some(path) => to_files(FileJob::Open(path, Box::new(leg))),
            None => pace_leg(leg),
        }
        media
    }

    /// A new leg, not yet paced, and the call's handles on it.
    fn wire_up(wire: Wire, how: How, local: SocketAddr) -> (Leg, Media) {
        let (events, events_rx) = chan::unbounded();
        let inbox = Inbox::new();
        let cmd = Commands::new(inbox.clone());
        let feed = Feed { to: inbox.clone(), side: false };
        let side = Feed { to: inbox.clone(), side: true };
        let (done, done_rx) = tokio::sync::oneshot::channel();
        let leg = Leg::new(wire, how, events, Taker(inbox), done);
        let done = Some((done_rx, leg.pacer));
        (leg, Media { cmd, feed, side, events: events_rx, local, done })
    }

    /// A call's view of a leg that runs on after it (a browser's softphone):
    /// stopping it makes the leg idle.
    pub(crate) fn view(
        cmd: Commands,
        feed: Feed,
        side: Feed,
        events: chan::Receiver<MediaEvent>,
        local: SocketAddr,
    ) -> Media {
        Media { cmd, feed, side, events, local, done: None }
    }

    pub fn send(&self, c: MediaCmd) {
        self.cmd.send(c);
    }

    /// Stops the leg and completes the recording (a view: the leg goes
    /// idle); what it did comes back.
    pub async fn stop(self) -> MediaStats {
        self.stop_at(Instant::now()).await
    }

    /// [`Media::stop`] for a call that ended at `at`, before its legs were
    /// torn down: the recording ends there, not after the round trips.
    pub async fn stop_at(self, at: Instant) -> MediaStats {
        match self.done {
            Some((done, pacer)) => {
                self.cmd.send(MediaCmd::End(at));
                drop(self.cmd);
                if let Some(p) = pacers().loops.get(pacer) {
                    let _ = p.send(ToPacer::Wake);
                }
                done.await.unwrap_or_default()
            }
            None => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                self.cmd.send(MediaCmd::Idle(tx));
                rx.await.unwrap_or_default()
            }
        }
    }
}

/// What reaches a leg from outside its pacing loop: its call's commands
/// (a queue, and a flag that says something came), and the audio other
/// legs gave it to send (`feed`: the leg it is bridged to; `side`: a second
/// voice mixed in).
///
/// The leg looks at its inbox 50 times a second whether or not anything
/// came: three channels per leg (commands, feed, side) polled every tick,
/// and an allocation and a channel's bookkeeping per packet of audio, were
/// a tenth of a loaded server's CPU. Now an idle tick reads one flag and
/// takes one lock, and a packet of audio is one copy. The audio's lock is
/// taken only by pacing threads (the legs that feed, the leg that plays);
/// the call's tasks, at a lower priority, only queue commands under a lock
/// of their own and set the flag, so a pacing thread never waits for one of
/// them while it has audio to move; it takes the commands' lock only when
/// the flag says something came.
///
/// The commands are a plain queue, not a tokio channel: a channel costs
/// about 1.5 kB as it opens (a cache-padded head and a first block of 32
/// slots), a queue nothing until a command comes; two legs a call (issue
/// 17's heap profile).
struct Inbox {
    /// Set when a command was sent or a [`Commands`] dropped.
    pending: AtomicBool,
    audio: Mutex<Inputs>,
    commands: Mutex<Orders>,
}

/// The call's commands not yet taken, and who may still send them.
#[derive(Default)]
struct Orders {
    queue: VecDeque<MediaCmd>,
    /// The [`Commands`] alive: none, and the leg is over once it has taken
    /// what they sent.
    holds: usize,
    /// The leg ended: what is sent now is dropped.
    ended: bool,
}

#[derive(Default)]
struct Inputs {
    feed: VecDeque<i16>,
    side: VecDeque<i16>,
    /// The leg ended: what comes now is dropped.
    closed: bool,
}

impl Inputs {
    fn clear(&mut self) {
        self.feed.clear();
        self.side.clear();
    }
}

impl Inbox {
    fn new() -> Arc<Inbox> {
        Arc::new(Inbox {
            pending: AtomicBool::new(false),
            audio: Mutex::new(Inputs::default()),
            commands: Mutex::new(Orders::default()),
        })
    }
}

/// The leg's own hold on its inbox: as it goes (the leg ended, or was
/// dropped), the commands sent from then on are dropped and its
/// [`Commands`] say it is closed.
struct Taker(Arc<Inbox>);

impl std::ops::Deref for Taker {
    type Target = Inbox;
    fn deref(&self) -> &Inbox {
        &self.0
    }
}

impl Drop for Taker {
    fn drop(&mut self) {
        let mut orders = lock(&self.0.commands);
        orders.ended = true;
        orders.queue.clear();
    }
}

/// A call's hold on its leg: what the call tells the leg goes through it,
/// and the leg ends once every hold on it is dropped.
pub struct Commands {
    inbox: Arc<Inbox>,
}

impl Commands {
    fn new(inbox: Arc<Inbox>) -> Commands {
        lock(&inbox.commands).holds += 1;
        Commands { inbox }
    }

    /// Tells the leg `c` (taken at its next tick; dropped if it ended).
    pub fn send(&self, c: MediaCmd) {
        {
            let mut orders = lock(&self.inbox.commands);
            if orders.ended {
                return;
            }
            orders.queue.push_back(c);
        }
        self.inbox.pending.store(true, Ordering::Release);
    }

    /// Whether the leg has ended (its far end hung up, or it was stopped).
    pub fn is_closed(&self) -> bool {
        lock(&self.inbox.commands).ended
    }
}

impl Clone for Commands {
    fn clone(&self) -> Commands {
        Commands::new(self.inbox.clone())
    }
}

impl Drop for Commands {
    fn drop(&mut self) {
        // The count first: when the leg looks, it finds no hold left if
        // this was the last.
        lock(&self.inbox.commands).holds -= 1;
        self.inbox.pending.store(true, Ordering::Release);
    }
}

/// Where one leg's audio goes for another to send: that leg's `feed` or
/// its `side` ([`Media`]). Cloned freely; the newest 200 ms are kept
/// ([`MAX_BRIDGE_DELAY`]), so a leg that is not keeping up never builds up
/// delay, and nothing is kept once the leg has ended.
#[derive(Clone)]
pub struct Feed {
    to: Arc<Inbox>,
    side: bool,
}

impl Feed {
    fn push(&self, samples: &[i16]) {
        let mut inputs = lock(&self.to.audio);
        if inputs.closed {
            return;
        }
        let q = if self.side { &mut inputs.side } else { &mut inputs.feed };
        q.extend(samples);
        let excess = q.len().saturating_sub(MAX_BRIDGE_DELAY);
        q.drain(..excess);
    }
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").field("side", &self.side).finish_non_exhaustive()
    }
}

/// A lock that a panic elsewhere did not make unusable: what it guards is
/// whole after any push.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
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
fn open_recording(p: &std::path::Path, law: Law) -> Option<File> {
    let file = p.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::File::create(p));
    // The header goes to disk at once: from its first moment the file is a
    // (short) WAV that a crash leaves playable and a backup copies whole.
    //
    // 4 kB: an eighth of a second of the call's stereo audio per write(2).
    // The buffer is memory every call in progress holds (64 kB was a fifth
    // of a call's, 16 kB an eighth), and a larger one saves a few writes a
    // second, each a few microseconds against the leg's 100 packets a
    // second.
    match file.map(|f| {
        Recorder::new(BufWriter::with_capacity(RECORDING_BUFFER, f), law).and_then(|mut r| {
            r.reserve(WINDOW);
            r.checkpoint().map(|()| r)
        })
    }) {
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

/// One leg between ticks: what its task's locals were.
struct Leg {
    wire: Wire,
    how: How,
    recorder: Option<File>,
    events: chan::Sender<MediaEvent>,
    /// The commands that came, and what other legs gave it to send.
    inbox: Taker,
    done: tokio::sync::oneshot::Sender<MediaStats>,
    stats: MediaStats,
    began: Instant,
    /// What the leg had done at the last `Idle` (a browser's leg between
    /// calls), and when.
    idle_at: (MediaStats, Instant),
    gone: bool,
    detector: dtmf::Detector,
    player: Player,
    /// The leg's clock: ticks since it began. Each tick is a 20 ms slot of
    /// the recording's timeline, at `clock * FRAME` samples.
    clock: u64,
    /// Where the caller's RTP timestamps fall on that timeline.
    anchor: Anchor,
    forward: Option<Feed>,
    tap: Option<Feed>,
    listening: bool,
    muted: bool,
    /// Keys to send as telephone-events: the packets of the digit being
    /// sent (and when its event began), then the digits waiting.
    keys: VecDeque<char>,
    key_packets: VecDeque<[u8; 4]>,
    key_start: Option<u32>,
    key_gap: u8,
    /// Not when the far end's SDP says it will not take media (hold).
    sending: bool,
    /// The bridge holds [`PRIME`] and plays; and whether any audio came
    /// since it began (until then the prompt or music goes on: the caller
    /// hears no dead air between the music and the agent's first word).
    primed: bool,
    heard: bool,
    last_rx: Instant,
    /// The call let go of the leg: it ends after this round.
    over: bool,
    /// When the call ended, if it said so (`MediaCmd::End`).
    end_at: Option<Instant>,
    /// Its pacing loop.
    pacer: usize,
    /// Its place among the legs in progress (given back as it ends, before
    /// its call hears that it did).
    place: Option<crate::limits::Place>,
}

impl Leg {
    fn new(
        wire: Wire,
        how: How,
        events: chan::Sender<MediaEvent>,
        inbox: Taker,
        done: tokio::sync::oneshot::Sender<MediaStats>,
    ) -> Leg {
        let now = Instant::now();
        Leg {
            wire,
            sending: how.sends,
            how,
            recorder: None,
            events,
            inbox,
            done,
            stats: MediaStats::default(),
            began: now,
            idle_at: (MediaStats::default(), now),
            gone: false,
            detector: dtmf::Detector::default(),
            player: Player::default(),
            clock: 0,
            anchor: Anchor::default(),
            forward: None,
            tap: None,
            listening: false,
            muted: false,
            keys: VecDeque::new(),
            key_packets: VecDeque::new(),
            key_start: None,
            key_gap: 0,
            primed: false,
            heard: false,
            last_rx: now,
            over: false,
            end_at: None,
            pacer: next_pacer(),
            place: Some(crate::limits::Place::take(&LEGS)),
        }
    }

    /// Takes the commands that came since the last tick: `false` once the
    /// call has let go of the leg (it is over).
    fn commands(&mut self) -> bool {
        // Cleared before the queue is read: whatever is sent after this
        // sets it again for the next look.
        if !self.inbox.pending.swap(false, Ordering::Acquire) {
            return true;
        }
        loop {
            // (The lock is let go before the command is carried out.)
            let next = {
                let mut orders = lock(&self.inbox.commands);
                orders.queue.pop_front().ok_or(orders.holds > 0)
            };
            match next {
                Ok(c) => self.command(c),
                Err(held) => return held,
            }
        }
    }

    fn command(&mut self, c: MediaCmd) {
        match c {
            MediaCmd::Play(list) => {
                self.player.queue = list.into_iter().filter(|a| !a.is_empty()).collect();
                self.player.pos = 0;
                if self.player.queue.is_empty() {
                    let _ = self.events.send(MediaEvent::PlayDone);
                }
            }
            MediaCmd::Stop => {
                self.player.queue.clear();
                self.player.pos = 0;
            }
            MediaCmd::Hold(h) => {
                self.player.hold = h;
                self.player.hold_pos = 0;
            }
            MediaCmd::Bridge(to) => {
                self.forward = to;
                lock(&self.inbox.audio).feed.clear();
                (self.primed, self.heard) = (false, false);
            }
            MediaCmd::Tap(to) => self.tap = to,
            MediaCmd::Send(on) => self.sending = on,
            MediaCmd::Listen => {
                self.listening = true;
                self.forward = None;
                (self.primed, self.heard) = (false, false);
            }
            MediaCmd::Mute(on) => self.muted = on,
            MediaCmd::Keys(k) => {
                if self.how.telephone_event.is_some() {
                    self.keys.extend(k);
                }
            }
            MediaCmd::RecordPause(on) => {
                if let Some(r) = self.recorder.as_mut() {
                    r.pause(on, self.clock * FRAME as u64);
                }
            }
            MediaCmd::Idle(done) => {
                (self.forward, self.tap, self.listening, self.muted) = (None, None, false, false);
                self.player = Player::default();
                lock(&self.inbox.audio).clear();
                self.keys.clear();
                let (before, when) = self.idle_at;
                let stats = self.stats;
                let call = MediaStats {
                    packets_in: stats.packets_in - before.packets_in,
                    packets_out: stats.packets_out - before.packets_out,
                    dropped: stats.dropped - before.dropped,
                    duration_ms: u64::try_from(when.elapsed().as_millis()).unwrap_or(u64::MAX),
                    ..MediaStats::default()
                };
                self.idle_at = (stats, Instant::now());
                let _ = done.send(call);
            }
            MediaCmd::End(at) => self.end_at = Some(at),
        }
    }

    /// One 20 ms slot: takes what arrived since the last (the far end's
    /// audio to the bridge, a listener and the recording; its digits to the
    /// call), and what the other legs fed this one; sends one frame.
    fn tick(&mut self, s: &mut Scratch, now: Instant) {
        if self.clock == 0 {
            // The leg's timeline starts when it was made (the call was
            // answered then), not at its first tick, which waited for the
            // recording's file and the round: that moment is silence.
            self.clock = self.slots_until(now).saturating_sub(1);
        }
        self.receive(s, now);
        self.mix_or_play(s);
        // The frame as the far end hears it: sent, and recorded.
        self.how.law.encode_into(&s.frame, &mut s.payload);
        let sent = self.sending && self.send(s);
        if sent {
            self.stats.packets_out += 1;
        }
        let at = self.clock * FRAME as u64;
        self.clock += 1;
        self.record(at, &s.payload);
        if now.saturating_duration_since(self.last_rx) >= SILENT_AFTER {
            let _ = self.events.send(MediaEvent::Silent);
            self.last_rx = now;
        }
    }

    fn receive(&mut self, s: &mut Scratch, now: Instant) {
        let at = self.clock * FRAME as u64;
        let Leg { forward, muted, tap, recorder, anchor, stats, .. } = self;
        let decoded = &mut s.decoded;
        let mut take = |their_law: Law, timestamp: u32, payload: &[u8]| {
            // Decoded by the law the packet says (a phone may switch
            // between the two it was offered); re-encoded on sending.
            decoded.clear();
            decoded.extend(payload.iter().map(|b| their_law.decode(*b)));
            if let Some(f) = forward.as_ref().filter(|_| !*muted) {
                f.push(decoded);
            }
            if let Some(t) = &tap {
                t.push(decoded);
            }
            if let Some(r) = recorder.as_mut() {
                r.caller(anchor.position(timestamp, at), their_law, payload);
            }
        };
        match &mut self.wire {
            Wire::Rtp { socket, latch, srtp, .. } => {
                let mut left = MAX_PACKETS_PER_TICK;
                while left > 0 {
                    let got = s.batch.receive(socket, left);
                    left -= got;
                    for k in 0..got {
                        let (bytes, from) = s.batch.packet(k);
                        let Some(from) = from else { continue };
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
                        self.last_rx = now;
                        if Some(p.payload_type) == self.how.telephone_event {
                            if let Some(d) = self.detector.feed(p.timestamp, p.payload) {
                                stats.digits += 1;
                                let _ = self.events.send(MediaEvent::Digit(d));
                            }
                        } else if let Some(their_law) = Law::from_payload_type(p.payload_type) {
                            take(their_law, p.timestamp, p.payload);
                        }
                    }
                    // A batch short of full emptied the socket.
                    if got < crate::batch::BATCH {
                        break;
                    }
                }
            }
            Wire::Web(web) => {
                let mut heard = 0;
                let strangers = web.receive(&mut s.buf, MAX_PACKETS_PER_TICK, |h| {
                    heard += 1;
                    take(h.law, h.timestamp, h.payload);
                });
                if heard > 0 {
                    stats.packets_in += heard;
                    self.last_rx = now;
                }
                stats.dropped += strangers;
                DROPPED.fetch_add(strangers, Ordering::Relaxed);
                if web.liveness() == Liveness::Gone && !self.gone {
                    self.gone = true;
                    let _ = self.events.send(MediaEvent::Gone);
                }
            }
        }
    }

    /// The frame to send: the mix of what the other legs fed (bridged,
    /// listening), else the prompt or music playing.
    fn mix_or_play(&mut self, s: &mut Scratch) {
        let fed = self.forward.is_some() || self.listening;
        let frame = &mut s.frame;
        let mut inputs = lock(&self.inbox.audio);
        if !fed {
            // Not bridged or listening: what came is not for this leg.
            inputs.clear();
        }
        let Inputs { feed, side, .. } = &mut *inputs;
        let have = feed.len().max(side.len());
        if fed && !self.primed && have >= PRIME {
            (self.primed, self.heard) = (true, true);
        }
        if fed && self.primed {
            // Ran dry: what there is goes out, then the bridge fills to
            // PRIME again before it plays on.
            self.primed = have >= FRAME;
            frame.fill(0);
            let n = feed.len().min(FRAME);
            for (o, v) in frame.iter_mut().zip(feed.drain(..n)) {
                *o = v;
            }
            let n = side.len().min(FRAME);
            for (o, v) in frame.iter_mut().zip(side.drain(..n)) {
                *o = o.saturating_add(v);
            }
        } else if fed && self.heard {
            frame.fill(0);
        } else {
            drop(inputs);
            if self.player.frame(frame) {
                let _ = self.events.send(MediaEvent::PlayDone);
            }
        }
    }

    /// Sends the slot's payload (the frame, encoded) or its
    /// telephone-event: whether it went out.
    fn send(&mut self, s: &mut Scratch) -> bool {
        match &mut self.wire {
            Wire::Web(web) => web.send(&s.payload),
            Wire::Rtp { socket, latch, srtp, sender } => {
                let packet = &mut s.packet;
                packet.clear();
                // A key being sent takes this slot's packet (time goes
                // on); between keys, 60 ms of ordinary audio.
                if self.key_packets.is_empty() && self.key_gap == 0 {
                    if let Some(code) = self.keys.pop_front().and_then(dtmf::code) {
                        self.key_packets.extend(dtmf::tone(code, 5));
                        self.key_start = None;
                    }
                }
                match (self.key_packets.pop_front(), self.how.telephone_event) {
                    (Some(event), Some(pt)) => {
                        let first = self.key_start.is_none();
                        let start = *self.key_start.get_or_insert(sender.timestamp());
                        sender.next_event(&event, pt, first, start, packet);
                        if self.key_packets.is_empty() {
                            self.key_gap = 3;
                        }
                    }
                    _ => {
                        self.key_gap = self.key_gap.saturating_sub(1);
                        sender.next(&s.payload, packet);
                    }
                }
                match srtp.as_mut() {
                    None => socket.send_to(packet, latch.remote()).is_ok(),
                    Some(sr) => match sr.protect(packet) {
                        Ok(sealed) => socket.send_to(&sealed, latch.remote()).is_ok(),
                        Err(e) => {
                            warn!(error = %e, "SRTP could not protect a packet; not sent");
                            false
                        }
                    },
                }
            }
        }
    }

    /// Our side's frame at slot `at` into the recording (its codes, as
    /// the far end hears it), and the timeline written a jitter window
    /// behind the clock (a late packet still lands in its place).
    fn record(&mut self, at: u64, codes: &[u8]) {
        // Nothing past the call's end is written while the leg waits to
        // be stopped (the other legs' teardown).
        let end = self.end_at.map_or(u64::MAX, |e| self.slots_until(e) * FRAME as u64);
        let Some(r) = self.recorder.as_mut() else { return };
        r.staff(at, codes);
        let checkpoint = self.clock.is_multiple_of(CHECKPOINT_TICKS);
        let written = r.write_until(at.saturating_sub(JITTER).min(end)).and_then(|()| {
            if checkpoint {
                r.checkpoint()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            warn!(error = %e, "recording failed; going on without it");
            self.recorder = None;
        } else if checkpoint && !recording_allowed() {
            // The disk is below its floor: the file is complete up to
            // here, and the call goes on unrecorded.
            if let Some(r) = self.recorder.take() {
                RECORDINGS_STOPPED.fetch_add(1, Ordering::Relaxed);
                warn!("recording stopped: the recordings' disk is below its free-space floor");
                self.stats.recorded = complete(r, at + FRAME as u64);
            }
        }
    }

    /// The 20 ms slots of the leg's timeline from its start to `at`
    /// (rounded to the nearest).
    fn slots_until(&self, at: Instant) -> u64 {
        let ms = at.saturating_duration_since(self.began).as_micros();
        u64::try_from((ms + TICK.as_micros() / 2) / TICK.as_micros()).unwrap_or(u64::MAX)
    }

    /// The leg is over: its recording is completed (off the pacing thread)
    /// as long as the call, from the leg's start to the moment the call
    /// ended (else to its last tick); then what it did goes to whoever
    /// stopped it.
    fn end(mut self) {
        self.place = None;
        *lock(&self.inbox.audio) = Inputs { closed: true, ..Inputs::default() };
        let over = self.end_at.unwrap_or_else(Instant::now);
        self.stats.duration_ms =
            u64::try_from(over.saturating_duration_since(self.began).as_millis()).unwrap_or(u64::MAX);
        self.stats.ended_at = self.end_at.and_then(|at| std::time::SystemTime::now().checked_sub(at.elapsed()));
        let slots = self.end_at.map_or(self.clock, |at| self.slots_until(at).min(self.clock));
        let end = slots * FRAME as u64;
        match self.recorder.take() {
            Some(r) => to_files(FileJob::Finish(Box::new(r), end, self.stats, self.done)),
            None => {
                let _ = self.done.send(self.stats);
            }
        }
    }
}

/// Completes a recording's file at timeline position `end`: whether it was.
fn complete(r: File, end: u64) -> bool {
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

    /// A leg on a loopback socket, not paced: the test ticks it.
    fn leg() -> (Leg, Media) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let far = "127.0.0.1:9".parse().unwrap();
        let wire = Wire::Rtp { socket, latch: Latch::new(far, None), srtp: None, sender: rtp::Sender::new(1, 1, 1, 8) };
        let how = How { law: Law::A, telephone_event: None, sends: true };
        Media::wire_up(wire, how, "127.0.0.1:0".parse().unwrap())
    }

    #[test]
    fn a_leg_takes_its_calls_commands_and_ends_when_every_hold_is_dropped() {
        let (mut leg, media) = leg();
        let other = media.cmd.clone();
        media.send(MediaCmd::Mute(true));
        assert!(leg.commands(), "held");
        assert!(leg.muted, "the command was taken");
        drop(media);
        other.send(MediaCmd::Mute(false));
        assert!(leg.commands(), "still held by the clone");
        assert!(!leg.muted);
        assert!(!other.is_closed());
        other.send(MediaCmd::Listen);
        drop(other);
        assert!(!leg.commands(), "let go: over");
        assert!(leg.listening, "what came before the last hold was dropped is taken");
    }

    #[test]
    fn a_bridged_leg_plays_what_is_fed_after_priming_and_keeps_only_the_newest_200_ms() {
        let (mut leg, media) = leg();
        let mut s = Scratch::default();
        // Not bridged: what comes is dropped, the prompt (silence) plays.
        media.feed.push(&[5; FRAME]);
        leg.mix_or_play(&mut s);
        assert!(lock(&leg.inbox.audio).feed.is_empty());
        let (other, other_media) = self::leg();
        leg.command(MediaCmd::Bridge(Some(other_media.feed.clone())));
        drop(other);
        // One frame is not enough to play (priming: two).
        media.feed.push(&[1; FRAME]);
        leg.mix_or_play(&mut s);
        assert!(s.frame.iter().all(|v| *v == 0));
        media.feed.push(&[2; FRAME]);
        media.side.push(&[10; FRAME]);
        leg.mix_or_play(&mut s);
        assert!(s.frame.iter().all(|v| *v == 11), "the feed's first frame, the side mixed in: {}", s.frame[0]);
        leg.mix_or_play(&mut s);
        assert!(s.frame.iter().all(|v| *v == 2));
        // A far end that sends faster than the leg plays: the newest 200 ms.
        for k in 0..20 {
            media.feed.push(&[100 + k; FRAME]);
        }
        assert_eq!(lock(&leg.inbox.audio).feed.len(), MAX_BRIDGE_DELAY);
        leg.mix_or_play(&mut s);
        assert!(s.frame.iter().all(|v| *v == 110), "{}", s.frame[0]);
        // The leg ends: nothing is kept for it any more.
        let inbox = leg.inbox.0.clone();
        leg.end();
        media.feed.push(&[1; FRAME]);
        assert!(media.cmd.is_closed());
        assert!(lock(&inbox.audio).feed.is_empty());
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

    /// The nice values of this process's pacing threads (`media-*`), from
    /// /proc (field 19 of a thread's stat).
    fn pacing_nice() -> Vec<i32> {
        let mut nice = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let dir = task.unwrap().path();
            let (Ok(comm), Ok(stat)) =
                (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("stat")))
            else {
                continue; // a thread that ended meanwhile
            };
            if comm.trim().starts_with("media-") {
                let after = &stat[stat.rfind(')').unwrap() + 2..];
                nice.push(after.split(' ').nth(16).unwrap().parse().unwrap());
            }
        }
        nice
    }

    #[test]
    fn pacing_threads_go_ahead_of_the_machine_where_the_process_may_and_keep_its_priority_where_not() {
        // Returns once every thread has tried to rise.
        let raised = start_pacing();
        // Whether this process may raise a thread's priority, asked on a
        // thread of the test's own.
        let may =
            std::thread::spawn(|| rustix::process::setpriority_process(None, PACING_NICE).is_ok()).join().unwrap();
        assert_eq!(raised, may, "start_pacing tells the binary whether the media rose");
        let want = |n: &i32| (*n == PACING_NICE) == may;
        let nice = pacing_nice();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert_eq!(nice.len(), cores, "one pacing thread per core");
        assert!(nice.iter().all(want), "nice {nice:?}, raising allowed: {may}");
    }
}
