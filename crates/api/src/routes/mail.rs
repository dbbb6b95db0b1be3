//! The company's SMTP server and daily report (admins), and what was
//! mailed: each report, its recipient, its attempts and the last error.

use crate::auth::{Admins, Allowed};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::AppState;
use axum::{extract::State, Json};
use centrala_desk::mailing::parse_time;
use centrala_store::mail::{MailSettings, Tls};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The SMTP server and the daily report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsIO {
    pub host: String,
    /// 1–65535 (25, 465 for `tls`, 587 for `starttls`).
    pub port: u16,
    /// `none`, `starttls` (must succeed) or `tls` (from the first byte).
    pub tls: String,
    /// Empty: no login. The password is never sent here: it is read from
    /// `CENTRALA_SMTP_PASSWORD_<COMPANY>` or the secrets folder's
    /// `smtp-<company>.password`.
    #[serde(default)]
    pub username: String,
    pub from_address: String,
    /// Local `HH:MM` when yesterday's report goes out.
    pub report_at: String,
    #[serde(default = "yes")]
    pub daily_report: bool,
}

fn yes() -> bool {
    true
}

/// One report mailed, or being retried, or given up.
#[derive(Serialize, ToSchema)]
pub struct MailingOut {
    pub day: chrono::NaiveDate,
    /// Username of the recipient.
    pub staff: String,
    pub address: String,
    /// `pending` (waiting, or to be tried again), `sent`, `failed` (given up).
    pub state: String,
    pub attempts: u32,
    pub last_error: String,
    pub next_at: String,
    pub sent_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MailOut {
    /// `null` until set.
    pub settings: Option<MailSettingsIO>,
    /// Where the password is read from: `environment`, `file` or `none`.
    pub password_source: String,
    /// Who gets the daily report: active supervisors and heads with an
    /// e-mail address (usernames).
    pub recipients: Vec<String>,
    /// The last 14 days' reports, newest first.
    pub mailings: Vec<MailingOut>,
}

fn settings_out(m: MailSettings) -> MailSettingsIO {
    MailSettingsIO {
        host: m.host,
        port: m.port,
        tls: m.tls.as_str().to_owned(),
        username: m.username,
        from_address: m.from_address,
        report_at: m.report_at,
        daily_report: m.daily_report,
    }
}

/// The SMTP settings, the recipients and what was mailed (admins).
#[utoipa::path(get, path = "/api/v1/company/mail", tag = "company", responses((status = 200, body = MailOut)))]
pub async fn get(State(state): State<AppState>, auth: Allowed<Admins>) -> ApiResult<Json<MailOut>> {
    let s = state.store.company(auth.company);
    let code = state.store.company_by_id(auth.company).await?.map(|c| c.code).unwrap_or_default();
    let people = s.staff_list().await?;
    let since = state.center.clock().today(state.center.zone(auth.company).await) - chrono::Duration::days(14);
    let name = |id: centrala_domain::StaffId| people.iter().find(|m| m.id == id).map(|m| m.username.clone());
    Ok(Json(MailOut {
        settings: s.mail_settings().await?.map(settings_out),
        password_source: crate::mail::password_source(state.config.mail_secrets.as_deref(), &code).to_owned(),
        recipients: people.iter().filter(|m| crate::mail::receives_report(m)).map(|m| m.username.clone()).collect(),
        mailings: s
            .mailings(since)
            .await?
            .into_iter()
            .map(|m| MailingOut {
                day: m.day,
                staff: name(m.staff).unwrap_or_default(),
                address: m.address,
                state: m.state,
                attempts: m.attempts,
                last_error: m.last_error,
                next_at: m.next_at,
                sent_at: m.sent_at,
            })
            .collect(),
    }))
}

/// Sets the SMTP server and the daily report (admins).
#[utoipa::path(put, path = "/api/v1/company/mail", tag = "company", request_body = MailSettingsIO,
    responses((status = 200, body = MailSettingsIO), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<MailSettingsIO>,
) -> ApiResult<Json<MailSettingsIO>> {
    let host = body.host.trim();
    if host.is_empty() || host.len() > 253 || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) {
        return Err(ApiError::invalid(format!("{host:?} is not a host name")).field("host"));
    }
    if body.port == 0 {
        return Err(ApiError::invalid("the port is 1 to 65535").field("port"));
    }
    let tls = Tls::parse(&body.tls)
        .ok_or_else(|| ApiError::invalid(format!("tls {:?} is not none, starttls or tls", body.tls)).field("tls"))?;
    let from = crate::routes::staff::email(&body.from_address, "from_address")?;
    if from.is_empty() {
        return Err(ApiError::invalid("the sender's address is missing").field("from_address"));
    }
    let at = parse_time(&body.report_at)
        .ok_or_else(|| ApiError::invalid(format!("{:?} is not a time HH:MM", body.report_at)).field("report_at"))?;
    let settings = MailSettings {
        host: host.to_owned(),
        port: body.port,
        tls,
        username: body.username.trim().to_owned(),
        from_address: from,
        report_at: at.format("%H:%M").to_string(),
        daily_report: body.daily_report,
    };
    let s = state.store.company(auth.company);
    s.put_mail_settings(&settings).await?;
    s.audit(
        &auth.username,
        "put",
        "mail_settings",
        "",
        &format!("{}:{} {}", settings.host, settings.port, tls.as_str()),
    )
    .await?;
    Ok(Json(settings_out(settings)))
}
