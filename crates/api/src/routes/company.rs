//! The caller's own company, the caller, and the audit log.

use crate::auth::{Admins, Allowed, Auditors};
use crate::{
    auth::Auth,
    error::{ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CompanyOut {
    pub code: String,
    pub name: String,
    /// The IANA time zone its opening hours, "today" and the times shown
    /// to people are in.
    pub time_zone: String,
    /// True when the company has not set its own (the configured default).
    pub time_zone_default: bool,
    /// The local date and time there now (RFC 3339, with the offset).
    pub local_now: String,
    /// The currency its prices and debts are in (ISO 4217; BAM unless set).
    pub currency: String,
}

async fn company_out(state: &AppState, company: centrala_domain::CompanyId) -> ApiResult<CompanyOut> {
    let c = state.store.company_by_id(company).await?.ok_or_else(|| crate::error::ApiError::not_found("company"))?;
    let zone = state.center.zone(company).await;
    let local_now = state.center.clock().now().with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    Ok(CompanyOut {
        code: c.code,
        name: c.name,
        time_zone: zone.name().to_owned(),
        time_zone_default: c.time_zone.is_empty(),
        local_now,
        currency: state.store.company_currency(company).await?,
    })
}

/// The caller's company.
#[utoipa::path(get, path = "/api/v1/company", tag = "company", responses((status = 200, body = CompanyOut)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<CompanyOut>> {
    Ok(Json(company_out(&state, auth.company).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyIn {
    /// An IANA time zone such as `Europe/Sarajevo`; `null` for the
    /// configured default.
    pub time_zone: Option<String>,
    /// An ISO 4217 currency code such as `BAM` or `EUR`; absent: unchanged.
    #[serde(default)]
    pub currency: Option<String>,
}

/// Set the company's time zone (admins): opening hours, "today" on every
/// page and report, and the midnight at which the wallboard's day starts
/// again follow it at once.
#[utoipa::path(put, path = "/api/v1/company", tag = "company", request_body = CompanyIn,
    responses((status = 200, body = CompanyOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    crate::error::ApiJson(body): crate::error::ApiJson<CompanyIn>,
) -> ApiResult<Json<CompanyOut>> {
    let zone = match body.time_zone.as_deref() {
        None => None,
        Some(name) => Some(centrala_center::clock::parse_zone(name).map_err(crate::error::ApiError::invalid)?),
    };
    if let Some(cur) = body.currency.as_deref() {
        let cur = cur.trim().to_ascii_uppercase();
        state.store.set_company_currency(auth.company, &cur).await.map_err(|e| match e {
            centrala_store::StoreError::Invalid(m) => {
                crate::error::ApiError::invalid(m).field("currency").param("value", cur.clone())
            }
            other => other.into(),
        })?;
        state.store.company(auth.company).audit(&auth.username, "update", "company", "currency", &cur).await?;
    }
    let set = state.center.set_zone(auth.company, zone).await?;
    state.store.company(auth.company).audit(&auth.username, "update", "company", "time_zone", set.name()).await?;
    Ok(Json(company_out(&state, auth.company).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipHostsIO {
    /// Host names or IPv4 addresses a click-to-call `sip:` address may
    /// name (none: phone numbers only, through the trunk).
    pub hosts: Vec<String>,
}

/// The SIP hosts the company's click-to-call may dial (admins).
#[utoipa::path(get, path = "/api/v1/company/sip-hosts", tag = "company", responses((status = 200, body = SipHostsIO)))]
pub async fn sip_hosts(State(state): State<AppState>, auth: Allowed<Admins>) -> ApiResult<Json<SipHostsIO>> {
    Ok(Json(SipHostsIO { hosts: state.store.company_dial_hosts(auth.company).await? }))
}

/// Replace them (admins; audited).
#[utoipa::path(put, path = "/api/v1/company/sip-hosts", tag = "company", request_body = SipHostsIO,
    responses((status = 200, body = SipHostsIO), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_sip_hosts(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    crate::error::ApiJson(body): crate::error::ApiJson<SipHostsIO>,
) -> ApiResult<Json<SipHostsIO>> {
    let mut hosts: Vec<String> = body.hosts.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    if let Some(bad) = hosts.iter().find(|h| !super::calls::valid_host(h)) {
        return Err(crate::error::ApiError::invalid(format!("{bad:?} is not a host name or address")));
    }
    hosts.sort();
    hosts.dedup();
    state.store.set_company_dial_hosts(auth.company, &hosts).await?;
    state.store.company(auth.company).audit(&auth.username, "update", "company", "sip_hosts", &hosts.join(" ")).await?;
    Ok(Json(SipHostsIO { hosts }))
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub company: String,
    pub locale: String,
}

/// The logged-in staff member.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = MeOut), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<MeOut>> {
    let c = state.store.company_by_id(auth.company).await?.ok_or_else(crate::error::ApiError::unauthenticated)?;
    Ok(Json(MeOut {
        id: auth.staff.0,
        username: auth.username,
        full_name: auth.full_name,
        role: auth.role.to_string(),
        company: c.code,
        locale: auth.locale,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeIn {
    /// The member's language for every page: `bs`, `sr` (Serbian,
    /// Cyrillic), `en` or `ru`.
    pub locale: String,
}

/// Choose one's own language (every member, for themselves).
#[utoipa::path(put, path = "/api/v1/auth/me", tag = "auth", request_body = MeIn,
    responses((status = 200, body = MeOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_me(
    State(state): State<AppState>,
    mut auth: Auth,
    crate::error::ApiJson(body): crate::error::ApiJson<MeIn>,
) -> ApiResult<Json<MeOut>> {
    if !crate::ui::i18n::known(&body.locale) {
        return Err(crate::error::ApiError::invalid(format!(
            "locale {:?} is not one of {}",
            body.locale,
            crate::ui::i18n::languages().join(", ")
        ))
        .field("locale")
        .param("value", body.locale.clone()));
    }
    let s = state.store.company(auth.company);
    s.set_staff_locale(auth.staff, &body.locale).await?;
    s.audit(&auth.username, "update", "staff", &auth.staff.to_string(), &format!("locale {}", body.locale)).await?;
    auth.locale = body.locale;
    me(State(state), auth).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// How many of the newest entries (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    pub at: String,
}

/// The company's audit log, newest first (admins and supervisors).
#[utoipa::path(get, path = "/api/v1/audit", tag = "company", params(AuditQuery),
    responses((status = 200, body = [AuditOut]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditOut>>> {
    let s = state.store.company(auth.company);
    let entries = s.audit_entries(q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    s.audit(&auth.username, "view", "audit_log", "", "").await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditOut {
                id: e.id,
                actor: e.actor,
                action: e.action,
                entity: e.entity,
                entity_id: e.entity_id,
                detail: e.detail,
                at: e.at,
            })
            .collect(),
    ))
}
