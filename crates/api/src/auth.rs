//! Authentication (login, sessions, the `Auth` extractor), role checks and
//! the failed-login limiter.

use crate::{
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{
    extract::{ConnectInfo, FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use centrala_domain::{CompanyId, Role, StaffId};
use centrala_store::password;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::Duration,
};
use tokio::time::Instant;
use utoipa::ToSchema;

pub const COOKIE: &str = "centrala_session";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub company: CompanyId,
    pub staff: StaffId,
    pub username: String,
    pub role: Role,
    pub full_name: String,
    /// UI language: `en`, `bs` or `ru`.
    pub locale: String,
    /// The session's token hash (what a logout ends).
    pub(crate) session: String,
}

/// A session, or every session of a staff member, has ended: open event
/// streams of it end too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// This session (by its token hash) logged out.
    Session(String),
    /// Every session of this staff member (deactivated, role changed,
    /// password set).
    Staff(CompanyId, StaffId),
}

impl SessionEnd {
    pub fn ends(&self, auth: &Auth) -> bool {
        match self {
            SessionEnd::Session(hash) => *hash == auth.session,
            SessionEnd::Staff(company, staff) => *company == auth.company && *staff == auth.staff,
        }
    }
}

impl Auth {
    /// Operators see only what they work on: their own calls and orders,
    /// and a client's history only while they serve the client (least
    /// privilege). Every other role sees what its routes allow.
    pub fn sees_own_only(&self) -> bool {
        self.role == Role::Operator
    }

    /// Notes marked internal are for supervisors, heads and admins.
    pub fn reads_internal_notes(&self) -> bool {
        roles::PLANNERS.contains(&self.role)
    }

    /// Refuses (403) unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// Who may do what, named once so that routes read as policy.
pub mod roles {
    use centrala_domain::Role::{self, *};
    pub const ADMIN: &[Role] = &[Admin];
    /// Plan absences and substitutes: admins, supervisors and heads.
    pub const PLANNERS: &[Role] = &[Admin, Supervisor, HeadOfSales, HeadOfWholesale];
    /// Read the audit log.
    pub const AUDITORS: &[Role] = &[Admin, Supervisor];
    /// Take orders (each role then meets the desk's gates).
    pub const ORDER_TAKERS: &[Role] =
        &[Operator, Supervisor, Manager, KeyAccountManager, HeadOfSales, HeadOfWholesale, Finance];
    /// Assign new clients to managers (OD-15).
    pub const ASSIGNERS: &[Role] = &[Admin, HeadOfSales, HeadOfWholesale];
    /// Edit the price-list column rules.
    pub const PRICING: &[Role] = &[Admin, HeadOfSales, HeadOfWholesale];
    /// Write the knowledge base and answer its questions.
    pub const EDITORS: &[Role] = &[Admin, Supervisor, HeadOfSales, HeadOfWholesale];
    /// Watch the queues and the agents live.
    pub const WATCHERS: &[Role] = &[Supervisor, Admin, HeadOfSales, HeadOfWholesale];
}

/// A route's roles as a type, for [`Allowed`].
pub trait Policy {
    const ROLES: &'static [Role];
}

macro_rules! policies {
    ($($(#[$doc:meta])* $name:ident => $roles:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = $roles;
        }
    )*};
}

policies! {
    /// [`roles::ADMIN`].
    Admins => roles::ADMIN;
    /// [`roles::PLANNERS`].
    Planners => roles::PLANNERS;
    /// [`roles::AUDITORS`].
    Auditors => roles::AUDITORS;
    /// [`roles::ORDER_TAKERS`].
    OrderTakers => roles::ORDER_TAKERS;
    /// [`roles::ASSIGNERS`].
    Assigners => roles::ASSIGNERS;
    /// [`roles::PRICING`].
    Pricing => roles::PRICING;
    /// [`roles::WATCHERS`].
    Watchers => roles::WATCHERS;
}

/// The caller, checked against the route's policy `P` as an extractor: it
/// runs before the body is read, so a role that may not use the route gets
/// 403 whatever it sent (never a 422 that tells it what the route takes).
#[derive(Debug)]
pub struct Allowed<P>(Auth, std::marker::PhantomData<P>);

impl<P> std::ops::Deref for Allowed<P> {
    type Target = Auth;
    fn deref(&self) -> &Auth {
        &self.0
    }
}

impl<P: Policy + Send> FromRequestParts<AppState> for Allowed<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.require(P::ROLES)?;
        Ok(Allowed(auth, std::marker::PhantomData))
    }
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where the session token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Bearer,
    Cookie,
}

fn bearer_or_cookie(headers: &HeaderMap) -> Option<(String, Carrier)> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some((t.trim().to_owned(), Carrier::Bearer));
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| (v.to_owned(), Carrier::Cookie))
}

/// A change made with the session cookie must come from our own pages: an
/// `Origin` (or, without one, a `Referer`) naming another site is refused,
/// whatever the cookie's SameSite (defence in depth against cross-site
/// requests). Reads and bearer-token calls are not browsers' forms.
fn same_origin(parts: &Parts) -> bool {
    if matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS) {
        return true;
    }
    let Some(host) = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return true };
    let from =
        parts.headers.get(header::ORIGIN).or_else(|| parts.headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match from {
        // No header at all: not a browser's cross-site request.
        None => true,
        Some(url) => {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            rest.split('/').next() == Some(host)
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, carrier) = bearer_or_cookie(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        if carrier == Carrier::Cookie && !same_origin(parts) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "cross_origin",
                "a change with the session cookie must come from Centrala's own pages",
            ));
        }
        let (company, staff) = state
            .store
            .session(&token_hash(&token), chrono::Utc::now())
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let member = state.store.company(company).staff(staff).await?.ok_or_else(ApiError::unauthenticated)?;
        tracing::Span::current().record("user", member.username.as_str());
        Ok(Auth {
            company,
            staff,
            username: member.username,
            role: member.role,
            full_name: member.full_name,
            locale: member.locale,
            session: token_hash(&token),
        })
    }
}

// ---- failed-login limiter -------------------------------------------------

/// Counts failed logins per key (a user, an address) in a sliding window;
/// a key with too many failures is refused until the window has passed.
pub struct LoginLimiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// How many more failures an address may make than one user from it
/// before every login from it is refused (a whole office behind NAT).
pub const ADDRESS_FACTOR: u32 = 5;

/// The first delay before answering a failed login once a user has failed
/// `max` times in the window (from any addresses); it doubles with each
/// further failure, up to [`MAX_DELAY`]. It slows guessing spread over
/// many addresses without locking the real user out.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
pub const MAX_DELAY: Duration = Duration::from_secs(4);

impl LoginLimiter {
    pub fn new(max: u32, window: Duration) -> Self {
        LoginLimiter { max: max.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    /// Seconds until `key` may try again after `max` failures, or None
    /// when it may now.
    fn blocked_at(&self, key: &str, max: u32, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().ok()?;
        let list = map.get_mut(key)?;
        list.retain(|t| now.duration_since(*t) < self.window);
        if list.len() >= max as usize {
            let oldest = list.first().copied().unwrap_or(now);
            let left = self.window.saturating_sub(now.duration_since(oldest));
            Some(left.as_secs().max(1))
        } else {
            None
        }
    }

    /// Seconds until this user may try again from this address (after
    /// `max` failures of the pair, or `max` × [`ADDRESS_FACTOR`] of the
    /// address), or None when they may now.
    pub fn blocked(&self, pair: &str, address: &str, now: Instant) -> Option<u64> {
        self.blocked_at(pair, self.max, now)
            .or_else(|| self.blocked_at(address, self.max.saturating_mul(ADDRESS_FACTOR), now))
    }

    /// Failures of `key` within the window.
    fn count(&self, key: &str, now: Instant) -> usize {
        self.failures
            .lock()
            .ok()
            .and_then(|m| m.get(key).map(|l| l.iter().filter(|t| now.duration_since(**t) < self.window).count()))
            .unwrap_or(0)
    }

    /// How long to wait before answering a failure of `user` (from any
    /// address): nothing until `max` failures, then doubling.
    pub fn delay(&self, user: &str, now: Instant) -> Duration {
        let n = self.count(user, now);
        let over = n.saturating_sub(self.max as usize);
        if n < self.max as usize {
            return Duration::ZERO;
        }
        FIRST_DELAY.saturating_mul(1u32 << over.min(8)).min(MAX_DELAY)
    }

    pub fn fail(&self, key: &str, now: Instant) {
        if let Ok(mut map) = self.failures.lock() {
            // Bound the memory an attacker can make us hold.
            if map.len() > 100_000 {
                let window = self.window;
                map.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            }
            map.entry(key.to_owned()).or_default().push(now);
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

/// The address a request came from (see [`client_addr`]): the peer as the
/// server saw it (or as a test's `MockConnectInfo` says), `unknown`
/// without one.
pub fn request_addr(state: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> String {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>().map(|m| m.0));
    match peer {
        Some(p) => client_addr(p.ip(), headers, &state.config.trusted_proxies).to_string(),
        None => "unknown".to_owned(),
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not one (read from the
/// right, as each proxy appends; addresses a client wrote itself further
/// left are never believed).
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    hops.into_iter().rev().find(|h| !trusted.contains(h)).unwrap_or(peer)
}

// ---- handlers -------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The company's code, e.g. `demo`.
    pub company: String,
    pub username: String,
    pub password: String,
    /// The language chosen on the login page (`bs`, `sr`, `en`, `ru`):
    /// it becomes the member's own for every page.
    #[serde(default)]
    pub locale: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token: send as `Authorization: Bearer <token>`.
    pub token: String,
    pub username: String,
    pub role: String,
    /// Seconds until the session expires.
    pub expires_in: u64,
}

/// A hash to verify against when the user does not exist, so that a
/// missing user takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password::hash_password("not a real password").unwrap_or_default())
}

/// Log in with company, username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse, description = "Logged in; also sets the session cookie"),
              (status = 401, body = crate::error::ErrorBody, description = "invalid_credentials"),
              (status = 429, body = crate::error::ErrorBody, description = "too_many_attempts")))]
pub async fn login(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let now = Instant::now();
    let addr = request_addr(&state, &extensions, &headers);
    // Lockout per user and address (the real user elsewhere, and the rest
    // of an office behind one address, are not locked out), and per
    // address at a higher threshold; the user's failures from anywhere
    // only slow the answers down.
    let user_key = format!("user:{}/{}", req.company, req.username);
    let pair_key = format!("pair:{}/{}@{addr}", req.company, req.username);
    let addr_key = format!("addr:{addr}");
    if let Some(secs) = state.limiter.blocked(&pair_key, &addr_key, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many failed logins; try again in {secs} s"),
        )
        .retry_after(secs));
    }
    let company = state.store.company_by_code(&req.company).await?;
    let member = match &company {
        Some(c) => state.store.company(c.id).staff_login(&req.username).await?,
        None => None,
    };
    let hash = member.as_ref().and_then(|(m, h)| if m.active { h.clone() } else { None });
    let candidate = req.password.clone();
    let verified = tokio::task::spawn_blocking(move || {
        let h = hash.as_deref().unwrap_or_else(|| dummy_hash());
        password::verify_password(&candidate, h) && hash.is_some()
    })
    .await
    .map_err(|_| ApiError::internal())?;

    let (Some(company), Some((member, _)), true) = (&company, member, verified) else {
        for key in [&user_key, &pair_key, &addr_key] {
            state.limiter.fail(key, now);
        }
        state.metrics.logins_failed.inc();
        tokio::time::sleep(state.limiter.delay(&user_key, now)).await;
        if let Some(c) = &company {
            state
                .store
                .company(c.id)
                .audit(&req.username, "login_failed", "session", "", &format!("from {addr}"))
                .await?;
        }
        tracing::warn!(company = %req.company, user = %req.username, %addr, "failed login");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong company, username or password",
        ));
    };
    // A success wipes the slate of this user here and of the address.
    for key in [&user_key, &pair_key, &addr_key] {
        state.limiter.clear(key);
    }
    if let Some(lang) = req.locale.as_deref().filter(|l| crate::ui::i18n::known(l) && *l != member.locale) {
        let s = state.store.company(company.id);
        s.set_staff_locale(member.id, lang).await?;
        s.audit(&member.username, "update", "staff", &member.id.to_string(), &format!("locale {lang}")).await?;
    }

    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let ttl = state.config.session_ttl;
    let now_utc = chrono::Utc::now();
    let expires = now_utc + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
    state.store.create_session(&token_hash(&token), company.id, member.id, now_utc, expires).await?;
    state
        .store
        .company(company.id)
        .audit(&member.username, "login", "session", &member.id.to_string(), &format!("from {addr}"))
        .await?;

    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ttl.as_secs(),
        if state.config.secure_cookies { "; Secure" } else { "" }
    );
    let body =
        LoginResponse { token, username: member.username, role: member.role.to_string(), expires_in: ttl.as_secs() };
    let mut res = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out; the cookie is cleared"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, auth: Auth, headers: HeaderMap) -> ApiResult<Response> {
    if let Some((token, _)) = bearer_or_cookie(&headers) {
        state.store.delete_session(&token_hash(&token)).await?;
        state.end_sessions(SessionEnd::Session(token_hash(&token)));
    }
    state.store.company(auth.company).audit(&auth.username, "logout", "session", &auth.staff.to_string(), "").await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("centrala_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password (ends your other sessions).
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    let scoped = state.store.company(auth.company);
    let (_, hash) = scoped.staff_login(&auth.username).await?.ok_or_else(ApiError::unauthenticated)?;
    let current = req.current_password.clone();
    let ok = tokio::task::spawn_blocking(move || hash.is_some_and(|h| password::verify_password(&current, &h)))
        .await
        .map_err(|_| ApiError::internal())?;
    if !ok {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "the current password is wrong"));
    }
    set_password(&state, auth.company, auth.staff, req.new_password).await?;
    scoped.audit(&auth.username, "change_password", "staff", &auth.staff.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the policy, hashes off the async threads, stores.
pub async fn set_password(state: &AppState, company: CompanyId, staff: StaffId, new: String) -> ApiResult<()> {
    password::check_policy(&new)?;
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&new))
        .await
        .map_err(|_| ApiError::internal())??;
    state.store.company(company).set_password_hash(staff, &hash).await?;
    // Setting a password ends the member's sessions, and so their streams.
    state.end_sessions(SessionEnd::Staff(company, staff));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn limiter_blocks_after_max_failures_until_the_window_passes() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let blocked = |k: &str, now| l.blocked(k, "addr", now);
        for _ in 0..2 {
            l.fail("k", t0);
        }
        assert_eq!(blocked("k", t0), None);
        l.fail("k", t0);
        assert_eq!(blocked("k", t0), Some(60));
        tokio::time::advance(Duration::from_secs(45)).await;
        assert_eq!(blocked("k", Instant::now()), Some(15));
        assert_eq!(blocked("other", Instant::now()), None);
        tokio::time::advance(Duration::from_secs(15)).await;
        assert_eq!(blocked("k", Instant::now()), None);
        l.fail("k", Instant::now());
        l.clear("k");
        assert_eq!(blocked("k", Instant::now()), None);
        // The address is blocked after max × ADDRESS_FACTOR failures.
        let now = Instant::now();
        for _ in 0..(3 * ADDRESS_FACTOR - 1) {
            l.fail("addr", now);
        }
        assert_eq!(l.blocked("fresh", "addr", now), None);
        l.fail("addr", now);
        assert_eq!(l.blocked("fresh", "addr", now), Some(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_users_failures_from_anywhere_slow_the_answers_down() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let now = Instant::now();
        let mut delays = Vec::new();
        for _ in 0..9 {
            l.fail("u", now);
            delays.push(l.delay("u", now).as_millis());
        }
        assert_eq!(delays, [0, 0, 100, 200, 400, 800, 1600, 3200, 4000]);
    }

    #[test]
    fn the_client_is_read_from_forwarded_for_only_behind_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.5");
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.9, 10.0.0.4"));
        // (peer, trusted) -> client
        for (peer, trusted, want) in [
            (proxy, vec![proxy, ip("10.0.0.4")], "203.0.113.9"), // the spoofed 6.6.6.6 further left is ignored
            (proxy, vec![proxy], "10.0.0.4"),
            (ip("198.51.100.1"), vec![proxy], "198.51.100.1"), // not a proxy: its header is not believed
            (proxy, vec![], "10.0.0.5"),
        ] {
            assert_eq!(client_addr(peer, &h, &trusted), ip(want), "{peer} {trusted:?}");
        }
        h.insert("x-forwarded-for", HeaderValue::from_static("not an address"));
        assert_eq!(client_addr(proxy, &h, &[proxy]), proxy, "a broken header: the proxy itself");
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; centrala_session=tok123; c=d"));
        assert_eq!(bearer_or_cookie(&h), Some(("tok123".into(), Carrier::Cookie)));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer xyz"));
        assert_eq!(bearer_or_cookie(&h), Some(("xyz".into(), Carrier::Bearer)));
        assert_eq!(bearer_or_cookie(&HeaderMap::new()), None);
    }
}
