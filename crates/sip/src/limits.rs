//! How many new calls one source may start: a token bucket per source
//! address (pure: the time is passed in). A flood from one address is
//! refused with 503 before anything is registered, recorded or routed;
//! trunks and trusted peers, which carry many callers, are not limited
//! here (the per-company cap of concurrent calls still holds for them).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Calls refused since the process started, by why (for `/metrics`).
static RATE_LIMITED: AtomicU64 = AtomicU64::new(0);
static OVER_CAP: AtomicU64 = AtomicU64::new(0);

/// Calls refused so far: (over a source's rate, over a company's cap).
pub fn refused() -> (u64, u64) {
    (RATE_LIMITED.load(Ordering::Relaxed), OVER_CAP.load(Ordering::Relaxed))
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
