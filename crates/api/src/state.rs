//! The state every handler shares.

use crate::{auth::LoginLimiter, events::Bus, metrics::Metrics};
use centrala_store::Store;
use std::{sync::Arc, time::Duration};

/// Settings of the API that come from the configuration.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Failed logins per user or per address before a lockout.
    pub max_failed_logins: u32,
    /// How long failures are remembered and a lockout lasts.
    pub lockout: Duration,
    /// Country code for phone numbers written without one.
    pub default_country_code: String,
    /// Demo mode: demo passwords are allowed.
    pub demo: bool,
    /// The SIP registrar's digest realm (SIP accounts store HA1 with it).
    pub sip_realm: String,
    /// Where call recordings are written.
    pub recordings: std::path::PathBuf,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            max_body_bytes: 1024 * 1024,
            secure_cookies: false,
            max_failed_logins: 5,
            lockout: Duration::from_secs(300),
            default_country_code: "387".into(),
            demo: false,
            sip_realm: "centrala".into(),
            recordings: std::env::temp_dir().join("centrala-recordings"),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ApiConfig>,
    pub limiter: Arc<LoginLimiter>,
    pub metrics: Arc<Metrics>,
    pub events: Arc<Bus>,
    pub clock: Clock,
    pub caches: Arc<crate::cache::Caches>,
    pub acd: crate::acd::AcdService,
    /// Places outbound calls once the telephony runs (set by the binary).
    pub dialer: Arc<std::sync::OnceLock<centrala_sip::dial::Dialer>>,
    /// Cancelled when the server stops: long-lived responses (the event
    /// streams) end then.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Where "today" comes from: the system clock, or a fixed day in tests.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(chrono::NaiveDate),
}

impl Clock {
    pub fn today(self) -> chrono::NaiveDate {
        match self {
            Clock::System => chrono::Local::now().date_naive(),
            Clock::Fixed(d) => d,
        }
    }
}

impl AppState {
    /// Builds the state; starts the ACD task, the callbacks' dialler and the
    /// loading of every company's queue settings, so call it inside a runtime.
    pub fn new(store: Store, config: ApiConfig) -> Self {
        let limiter = Arc::new(LoginLimiter::new(config.max_failed_logins, config.lockout));
        let events = Arc::new(Bus::new());
        let (acd, callbacks) = crate::acd::AcdService::start(events.clone());
        let state = AppState {
            acd,
            dialer: Arc::new(std::sync::OnceLock::new()),
            shutdown: tokio_util::sync::CancellationToken::new(),
            store: store.clone(),
            config: Arc::new(config),
            limiter,
            metrics: Arc::new(Metrics::new()),
            events,
            clock: Clock::System,
            caches: Arc::new(crate::cache::Caches::new(store.clone())),
        };
        tokio::spawn(crate::telephony::run_callbacks(state.clone(), callbacks));
        tokio::spawn(crate::routes::queues::start_all(state.clone()));
        state
    }

    /// The same state with "today" fixed (tests, demos of a given day).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}
