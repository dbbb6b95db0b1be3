//! Who may start a call now.
//!
//! - One source: a token bucket per source address (pure: the time is
//!   passed in). A flood from one address is refused with 503 before
//!   anything is registered, recorded or routed; trunks and trusted peers,
//!   which carry many callers, are not limited here (the per-company cap of
//!   concurrent calls still holds for them).
//! - The whole server (admission control): beyond a configured ceiling of
//!   calls at once, while the media legs' clocks run late, or while the
//!   signalling runtime's own timers run late (the machine is full: media
//!   comes first, so signalling is where a full machine shows), or while
//!   the calls already taken wait on their set-up (the brain's and the
//!   database's work for a caller's arrival and for routing it), a new
//!   call gets 503 with Retry-After, so that the calls in progress keep clean
//!   media and are still put through, instead of sharing the shortage.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Calls refused since the process started, by why (for `/metrics`).
static RATE_LIMITED: AtomicU64 = AtomicU64::new(0);
static OVER_CAP: AtomicU64 = AtomicU64::new(0);

/// Calls refused so far: (over a source's rate, over a company's cap).
pub fn refused() -> [(&'static str, u64); 6] {
    [
        ("rate_limit", RATE_LIMITED.load(Ordering::Relaxed)),
        ("company_cap", OVER_CAP.load(Ordering::Relaxed)),
        ("ceiling", OVER_CEILING.load(Ordering::Relaxed)),
        ("media_late", MEDIA_LATE.load(Ordering::Relaxed)),
        ("signalling_late", SIGNALLING_LATE.load(Ordering::Relaxed)),
        ("setup_late", SETUP_LATE.load(Ordering::Relaxed)),
    ]
}

static OVER_CEILING: AtomicU64 = AtomicU64::new(0);
static MEDIA_LATE: AtomicU64 = AtomicU64::new(0);
static SIGNALLING_LATE: AtomicU64 = AtomicU64::new(0);
static SETUP_LATE: AtomicU64 = AtomicU64::new(0);

/// The server's limits on calls at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The most inbound calls at once (0: no ceiling).
    pub max_calls: u32,
    /// How late the media legs' 20 ms clocks may run, in ms, before new
    /// calls are refused (0: not checked).
    pub max_media_lag_ms: u64,
    /// How late the signalling runtime's timers may run, in ms, before new
    /// calls are refused (0: not checked): calls already taken would wait
    /// that long for every step of their set-up.
    pub max_signalling_lag_ms: u64,
    /// How long a step of a call's set-up (its arrival registered, its
    /// route decided) may take, in ms, before new calls are refused (0:
    /// not checked): the callers already taken would wait longer for an
    /// agent.
    pub max_setup_ms: u64,
}

/// Why a new call is refused by [`admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    Ceiling,
    MediaLate,
    SignallingLate,
    SetupLate,
}

/// How late the media and the signalling run now, at worst over the last
/// second or so, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lateness {
    pub media_ms: u64,
    pub signalling_ms: u64,
    /// The longest set-up step lately, finished or still under way.
    pub setup_ms: u64,
    /// Set-up steps under way now, and how many finished in the last
    /// second: the queue in front of the brain and the database, and how
    /// fast it goes.
    pub setup_waiting: u64,
    pub setup_done_per_s: u64,
}

impl Lateness {
    pub fn now() -> Lateness {
        Lateness {
            media_ms: media_lag_ms(),
            signalling_ms: signalling_lag_ms(),
            setup_ms: setup_ms(),
            setup_waiting: SETUP_WAITING.load(Ordering::Relaxed),
            setup_done_per_s: SETUP_DONE_LAST.load(Ordering::Relaxed),
        }
    }
}

/// Whether a new call may come in (pure): `live` calls now, media and
/// signalling running `late`.
pub fn admit(limits: Admission, live: usize, late: Lateness) -> Result<(), Overload> {
    if limits.max_calls > 0 && live >= limits.max_calls as usize {
        return Err(Overload::Ceiling);
    }
    if limits.max_media_lag_ms > 0 && late.media_ms > limits.max_media_lag_ms {
        return Err(Overload::MediaLate);
    }
    if limits.max_signalling_lag_ms > 0 && late.signalling_ms > limits.max_signalling_lag_ms {
        return Err(Overload::SignallingLate);
    }
    if limits.max_setup_ms > 0 {
        // The steps waiting now take about waiting / done-per-second to
        // get through: beyond the limit, a new caller would wait longer.
        // (A burst at once, before the first step finishes, is bounded by
        // the floor.)
        let room = (late.setup_done_per_s * limits.max_setup_ms / 1000).max(SETUP_ROOM_FLOOR);
        if late.setup_ms > limits.max_setup_ms || late.setup_waiting >= room {
            return Err(Overload::SetupLate);
        }
    }
    Ok(())
}

pub(crate) fn count_overload(why: Overload) -> u64 {
    let counter = match why {
        Overload::Ceiling => &OVER_CEILING,
        Overload::MediaLate => &MEDIA_LATE,
        Overload::SignallingLate => &SIGNALLING_LATE,
        Overload::SetupLate => &SETUP_LATE,
    };
    counter.fetch_add(1, Ordering::Relaxed) + 1
}

/// Inbound calls in progress now.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A place counted in `count` while held, given back when dropped: an
/// inbound call's among the live ones (`Place::take(&LIVE)`), a media
/// leg's among the legs in progress.
pub(crate) struct Place(&'static std::sync::atomic::AtomicUsize);

impl Place {
    pub(crate) fn take(count: &'static std::sync::atomic::AtomicUsize) -> Place {
        count.fetch_add(1, Ordering::Relaxed);
        Place(count)
    }

    /// An inbound call's place among the live ones.
    pub(crate) fn call() -> Place {
        Place::take(&LIVE)
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Inbound calls in progress now (admitted, not yet ended).
pub fn live_calls() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The media legs' lateness: the worst in the second under way, and in
/// the one before (`rotate_lag` turns the page every second).
static LAG_NOW: AtomicU64 = AtomicU64::new(0);
static LAG_LAST: AtomicU64 = AtomicU64::new(0);

/// A leg's tick came `ms` late (legs report once a second each).
pub(crate) fn note_lag(ms: u64) {
    LAG_NOW.fetch_max(ms, Ordering::Relaxed);
}

pub(crate) fn rotate_lag() {
    LAG_LAST.store(LAG_NOW.swap(0, Ordering::Relaxed), Ordering::Relaxed);
    SIG_LAST.store(SIG_NOW.swap(0, Ordering::Relaxed), Ordering::Relaxed);
    SETUP_LAST.store(SETUP_NOW.swap(0, Ordering::Relaxed), Ordering::Relaxed);
    SETUP_DONE_LAST.store(SETUP_DONE_NOW.swap(0, Ordering::Relaxed), Ordering::Relaxed);
}

/// How late the media clocks ran at worst, over the last second or so.
pub fn media_lag_ms() -> u64 {
    LAG_NOW.load(Ordering::Relaxed).max(LAG_LAST.load(Ordering::Relaxed))
}

/// The signalling runtime's lateness, kept as the media's is.
static SIG_NOW: AtomicU64 = AtomicU64::new(0);
static SIG_LAST: AtomicU64 = AtomicU64::new(0);

/// A signalling timer (the server's 100 ms probe) fired `ms` late.
pub(crate) fn note_signalling_lag(ms: u64) {
    SIG_NOW.fetch_max(ms, Ordering::Relaxed);
}

/// How late the signalling runtime ran at worst, over the last second or so.
pub fn signalling_lag_ms() -> u64 {
    SIG_NOW.load(Ordering::Relaxed).max(SIG_LAST.load(Ordering::Relaxed))
}

/// The longest set-up step, kept as the media's lateness is.
static SETUP_NOW: AtomicU64 = AtomicU64::new(0);
static SETUP_LAST: AtomicU64 = AtomicU64::new(0);
/// Set-up steps under way; steps finished in the second under way and in
/// the one before.
static SETUP_WAITING: AtomicU64 = AtomicU64::new(0);
static SETUP_DONE_NOW: AtomicU64 = AtomicU64::new(0);
static SETUP_DONE_LAST: AtomicU64 = AtomicU64::new(0);
/// Set-up steps that may wait at once whatever the pace (an idle server
/// takes a burst of this many callers).
const SETUP_ROOM_FLOOR: u64 = 50;

/// One step of a call's set-up under way (the brain registering its
/// arrival from the moment it was admitted, or routing it): counted while
/// it lasts, its length noted when it ends (dropped).
pub(crate) struct SetupStep(Instant);

impl SetupStep {
    pub(crate) fn begin() -> SetupStep {
        SETUP_WAITING.fetch_add(1, Ordering::Relaxed);
        SetupStep(Instant::now())
    }
}

impl Drop for SetupStep {
    fn drop(&mut self) {
        SETUP_WAITING.fetch_sub(1, Ordering::Relaxed);
        SETUP_DONE_NOW.fetch_add(1, Ordering::Relaxed);
        note_setup(self.0.elapsed());
    }
}

/// A step of a call's set-up took `took`.
fn note_setup(took: Duration) {
    SETUP_NOW.fetch_max(u64::try_from(took.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// The longest set-up step, over the last second or so, in ms.
pub fn setup_ms() -> u64 {
    SETUP_NOW.load(Ordering::Relaxed).max(SETUP_LAST.load(Ordering::Relaxed))
}

pub(crate) fn count_rate_limited() -> u64 {
    RATE_LIMITED.fetch_add(1, Ordering::Relaxed) + 1
}

pub(crate) fn count_over_cap() {
    OVER_CAP.fetch_add(1, Ordering::Relaxed);
}

/// New calls per source: `per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InviteLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for InviteLimit {
    fn default() -> Self {
        InviteLimit { per_second: 5.0, burst: 20.0 }
    }
}

/// The buckets, one per source seen lately.
#[derive(Debug)]
pub struct SourceLimiter {
    limit: InviteLimit,
    /// Tokens left and when they were counted.
    buckets: HashMap<IpAddr, (f64, Instant)>,
}

/// Sources idle this long are forgotten (their bucket is full again anyway).
const FORGET_AFTER: Duration = Duration::from_secs(60);

impl SourceLimiter {
    pub fn new(limit: InviteLimit) -> SourceLimiter {
        SourceLimiter { limit, buckets: HashMap::new() }
    }

    /// Whether `source` may start a call at `now` (taking a token if so).
    pub fn allow(&mut self, source: IpAddr, now: Instant) -> bool {
        let InviteLimit { per_second, burst } = self.limit;
        if per_second <= 0.0 {
            return true;
        }
        let (tokens, at) = self.buckets.entry(source).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*at).as_secs_f64();
        *tokens = (*tokens + elapsed * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Forgets sources idle for a minute (called now and then).
    pub fn sweep(&mut self, now: Instant) {
        self.buckets.retain(|_, (_, at)| now.saturating_duration_since(*at) < FORGET_AFTER);
    }

    pub fn sources(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_refuses_beyond_the_ceiling_or_while_media_signalling_or_set_up_runs_late() {
        let limits = Admission { max_calls: 3, max_media_lag_ms: 40, max_signalling_lag_ms: 250, max_setup_ms: 500 };
        let late = |media_ms, signalling_ms, setup_ms| Lateness {
            media_ms,
            signalling_ms,
            setup_ms,
            setup_waiting: 0,
            setup_done_per_s: 100,
        };
        assert_eq!(admit(limits, 2, late(5, 5, 5)), Ok(()));
        assert_eq!(admit(limits, 3, late(5, 5, 5)), Err(Overload::Ceiling));
        assert_eq!(admit(limits, 0, late(41, 5, 5)), Err(Overload::MediaLate));
        assert_eq!(admit(limits, 0, late(5, 251, 5)), Err(Overload::SignallingLate));
        assert_eq!(admit(limits, 0, late(5, 5, 501)), Err(Overload::SetupLate));
        assert_eq!(admit(limits, 2, late(40, 250, 500)), Ok(()), "at the limits is still in time");
        let off = Admission { max_calls: 0, max_media_lag_ms: 0, max_signalling_lag_ms: 0, max_setup_ms: 0 };
        assert_eq!(admit(off, 100_000, late(10_000, 10_000, 10_000)), Ok(()));
        let waiting = |setup_waiting, setup_done_per_s| Lateness { setup_waiting, setup_done_per_s, ..late(5, 5, 5) };
        // 400 steps a second: 200 may wait (half a second's worth).
        assert_eq!(admit(limits, 0, waiting(199, 400)), Ok(()));
        assert_eq!(admit(limits, 0, waiting(200, 400)), Err(Overload::SetupLate));
        // Idle until now: a burst of up to the floor is taken at once.
        assert_eq!(admit(limits, 0, waiting(SETUP_ROOM_FLOOR - 1, 0)), Ok(()));
        assert_eq!(admit(limits, 0, waiting(SETUP_ROOM_FLOOR, 0)), Err(Overload::SetupLate));
        assert_eq!(admit(off, 0, waiting(100_000, 0)), Ok(()));
    }

    #[test]
    fn set_up_steps_are_counted_while_under_way_and_the_longest_kept_for_a_second_or_two() {
        // (Process-wide counters: this is the only test that notes set-up.)
        let (a, b) = (SetupStep::begin(), SetupStep::begin());
        assert_eq!(Lateness::now().setup_waiting, 2);
        drop((a, b));
        rotate_lag();
        assert_eq!((Lateness::now().setup_waiting, Lateness::now().setup_done_per_s), (0, 2));
        rotate_lag();
        note_setup(Duration::from_millis(120));
        note_setup(Duration::from_millis(80));
        assert_eq!(setup_ms(), 120);
        rotate_lag();
        note_setup(Duration::from_millis(30));
        assert_eq!(setup_ms(), 120, "the last second's worst still counts");
        rotate_lag();
        assert_eq!(setup_ms(), 30);
        rotate_lag();
        rotate_lag();
        assert_eq!(setup_ms(), 0);
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_burst_then_the_rate_per_source() {
        let mut l = SourceLimiter::new(InviteLimit { per_second: 2.0, burst: 3.0 });
        let t = Instant::now();
        assert_eq!((0..5).map(|_| l.allow(A, t)).collect::<Vec<_>>(), [true, true, true, false, false]);
        assert!(l.allow(B, t), "another source has its own bucket");
        assert!(!l.allow(A, t + Duration::from_millis(400)), "0.8 of a token");
        assert!(l.allow(A, t + Duration::from_millis(500)), "one token after half a second");
        assert!(!l.allow(A, t + Duration::from_millis(500)));
        // A long pause refills the burst, not more.
        let later = t + Duration::from_secs(100);
        assert_eq!((0..4).filter(|_| l.allow(A, later)).count(), 3);
    }

    #[test]
    fn a_zero_rate_limits_nothing_and_idle_sources_are_forgotten() {
        let mut off = SourceLimiter::new(InviteLimit { per_second: 0.0, burst: 0.0 });
        let t = Instant::now();
        assert!((0..1000).all(|_| off.allow(A, t)));
        let mut l = SourceLimiter::new(InviteLimit::default());
        l.allow(A, t);
        l.allow(B, t + Duration::from_secs(50));
        l.sweep(t + Duration::from_secs(70));
        assert_eq!(l.sources(), 1);
    }
}
