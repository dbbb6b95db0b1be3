//! Prometheus metrics at `GET /metrics` (OpenMetrics text), from a registry
//! owned by the app rather than a global one, so tests can build many apps.

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::sync::Mutex;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    /// `rate_limit` (too many new calls from one address) or `company_cap`
    /// (the company's lines are full).
    pub reason: &'static str,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_seconds: Histogram,
    pub logins_failed: Counter,
    /// Stored settings that do not read now (company and setting in `/healthz`).
    pub settings_unreadable: Gauge,
    /// RTP packets dropped by call legs: not from the leg's far end.
    pub rtp_dropped: Counter,
    /// Call legs whose media was encrypted (SRTP).
    pub srtp_legs: Counter,
    /// SRTP packets refused: failed authentication, or replayed.
    pub srtp_rejected: Counter,
    /// Inbound calls refused before they were registered, by why.
    pub calls_refused: Family<RefusedLabels, Counter>,
    /// 1 when the database took the last probe write (`/healthz`, each
    /// scrape), 0 when it refused it (a full disk).
    pub store_writable: Gauge,
    /// Calls not recorded because the recordings' disk was below its floor.
    pub recordings_skipped: Counter,
    /// Free bytes on the recordings' disk, at the last look.
    pub recordings_free_bytes: Gauge,
    /// Seconds spent keeping the statistics up to date (the 30 s rounds).
    pub statistics_keeping: Counter<f64, std::sync::atomic::AtomicU64>,
    /// Inbound calls in progress, and media legs (callers', agents',
    /// listeners', browsers'), at the scrape.
    pub calls_in_progress: Gauge,
    pub media_legs: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("centrala");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_seconds = Histogram::new([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0]);
        let logins_failed = Counter::default();
        let settings_unreadable = Gauge::default();
        let rtp_dropped = Counter::default();
        let srtp_legs = Counter::default();
        let srtp_rejected = Counter::default();
        let calls_refused = Family::<RefusedLabels, Counter>::default();
        let store_writable = Gauge::default();
        let recordings_skipped = Counter::default();
        let recordings_free_bytes = Gauge::default();
        registry.register("http_requests", "HTTP requests by method, route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", http_seconds.clone());
        registry.register("logins_failed", "Failed login attempts", logins_failed.clone());
        registry.register(
            "settings_unreadable",
            "Stored settings that do not read (see /healthz); the defaults apply until they are set again",
            settings_unreadable.clone(),
        );
        registry.register(
            "rtp_dropped",
            "RTP packets dropped because they came from somewhere other than the call leg's far end",
            rtp_dropped.clone(),
        );
        registry.register(
            "srtp_legs",
            "Call legs whose media was encrypted (SRTP, keyed in the SDP)",
            srtp_legs.clone(),
        );
        registry.register(
            "srtp_rejected",
            "SRTP packets refused from a leg's far end: failed authentication, or replayed",
            srtp_rejected.clone(),
        );
        registry.register(
            "calls_refused",
            "Inbound calls refused before they were registered: over one address's rate, over the company's cap, over the server's ceiling, or while media ran late",
            calls_refused.clone(),
        );
        registry.register(
            "store_writable",
            "1 when the database took the last probe write, 0 when it refused it (a full disk)",
            store_writable.clone(),
        );
        registry.register(
            "recordings_skipped",
            "Calls or parts of calls not recorded because the recordings' disk was below recordings_min_free_mb",
            recordings_skipped.clone(),
        );
        registry.register(
            "recordings_free_bytes",
            "Free bytes on the disk of the recordings, at the last look",
            recordings_free_bytes.clone(),
        );
        let statistics_keeping = Counter::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "statistics_keeping_seconds",
            "Seconds spent keeping the interval statistics and the order desk's days up to date (rounds every 30 s)",
            statistics_keeping.clone(),
        );
        let calls_in_progress = Gauge::default();
        registry.register(
            "calls_in_progress",
            "Inbound calls admitted and not yet ended (the ceiling sip.max_calls counts these)",
            calls_in_progress.clone(),
        );
        let media_legs = Gauge::default();
        registry.register(
            "media_legs",
            "Media legs in progress: callers', agents', listeners' and browsers' audio streams",
            media_legs.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            http_requests,
            http_seconds,
            logins_failed,
            settings_unreadable,
            rtp_dropped,
            srtp_legs,
            srtp_rejected,
            calls_refused,
            store_writable,
            recordings_skipped,
            recordings_free_bytes,
            statistics_keeping,
            calls_in_progress,
            media_legs,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Ok(reg) = self.registry.lock() {
            // The legs count in the SIP crate; the counter catches up at
            // each scrape (under the lock, so two scrapes add it once).
            let dropped = centrala_sip::media::rtp_dropped();
            catch_up(&self.rtp_dropped, dropped);
            let (legs, rejected) = centrala_sip::media::srtp_counts();
            catch_up(&self.srtp_legs, legs);
            catch_up(&self.srtp_rejected, rejected);
            let (free, skipped) = centrala_center::recordings::space();
            if free != u64::MAX {
                self.recordings_free_bytes.set(i64::try_from(free).unwrap_or(i64::MAX));
            }
            catch_up(&self.recordings_skipped, skipped);
            let kept = centrala_center::intervals::keeping_seconds();
            self.statistics_keeping.inc_by((kept - self.statistics_keeping.get()).max(0.0));
            self.calls_in_progress.set(i64::try_from(centrala_sip::limits::live_calls()).unwrap_or(i64::MAX));
            self.media_legs.set(i64::try_from(centrala_sip::media::legs_in_progress()).unwrap_or(i64::MAX));
            for (reason, n) in centrala_sip::limits::refused() {
                catch_up(&self.calls_refused.get_or_create(&RefusedLabels { reason }), n);
            }
            let _ = encode(&mut out, &reg);
        }
        out
    }
}

/// Brings a counter up to a total kept elsewhere (the drivers count in
/// plain atomics; the registry's counter follows at each scrape).
fn catch_up(counter: &Counter, total: u64) {
    counter.inc_by(total.saturating_sub(counter.get()));
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts and times every request by its route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    state.metrics.http_seconds.observe(start.elapsed().as_secs_f64());
    state.metrics.http_requests.get_or_create(&HttpLabels { method, route, status: res.status().as_u16() }).inc();
    res
}

pub async fn handler(State(state): State<AppState>) -> impl IntoResponse {
    state.metrics.store_writable.set(i64::from(state.store.probe_write().await.is_ok()));
    state.metrics.settings_unreadable.set(i64::try_from(state.center.problems.list().len()).unwrap_or(i64::MAX));
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
}
