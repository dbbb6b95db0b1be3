//! The state every handler shares: the store, the API's settings, and a
//! handle on the running contact center (`centrala_center::Center`).

use crate::{auth::LoginLimiter, metrics::Metrics};
use centrala_center::Center;
pub use centrala_center::Clock;
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
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The folder of SMTP passwords (`smtp-<company>.password`); `None`:
    /// only the environment's.
    pub mail_secrets: Option<std::path::PathBuf>,
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
            trusted_proxies: Vec::new(),
            mail_secrets: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ApiConfig>,
    pub limiter: Arc<LoginLimiter>,
    pub metrics: Arc<Metrics>,
    /// The running contact center: ACD, calls, desk services, events.
    pub center: Center,
    /// Cancelled when the server stops: long-lived responses (the event
    /// streams) end then.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Sessions that ended (logout, deactivation, a role change, a new
    /// password): their open event streams end.
    pub ended: tokio::sync::broadcast::Sender<crate::auth::SessionEnd>,
}

impl AppState {
    /// The API's state over a started contact center.
    pub fn new(center: Center, config: ApiConfig) -> Self {
        let limiter = Arc::new(LoginLimiter::new(config.max_failed_logins, config.lockout));
        AppState {
            store: center.store.clone(),
            center,
            shutdown: tokio_util::sync::CancellationToken::new(),
            ended: tokio::sync::broadcast::channel(256).0,
            config: Arc::new(config),
            limiter,
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Ends the open event streams of these sessions.
    pub fn end_sessions(&self, end: crate::auth::SessionEnd) {
        // Nobody streaming is not an error.
        let _ = self.ended.send(end);
    }

    /// "Now", from the center's one clock.
    pub fn clock(&self) -> Clock {
        self.center.clock()
    }
}
