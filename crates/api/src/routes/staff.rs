//! Staff members and their roles.

use super::parse_id;
use crate::auth::{Admins, Allowed, Auditors};
use crate::{
    auth::{set_password, Auth},
    error::{ApiError, ApiJson, ApiPath, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_domain::{DepartmentId, Role, StaffId};
use centrala_store::{Staff, StaffInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct StaffOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    /// One of operator, manager, key_account_manager, head_of_sales,
    /// head_of_wholesale, finance, supervisor, admin.
    pub role: String,
    pub department: Option<i64>,
    pub active: bool,
    pub locale: String,
    /// Whether a password is set (staff without one cannot log in).
    pub has_password: bool,
    /// Where the daily report goes (heads and supervisors); empty: none.
    pub email: String,
}

impl From<Staff> for StaffOut {
    fn from(s: Staff) -> Self {
        StaffOut {
            id: s.id.0,
            username: s.username,
            full_name: s.full_name,
            role: s.role.to_string(),
            department: s.department.map(|d| d.0),
            active: s.active,
            locale: s.locale,
            has_password: s.has_password,
            email: s.email,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffIn {
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub department: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
    /// UI language: `en`, `bs` or `ru`.
    #[serde(default = "en")]
    pub locale: String,
    /// Initial password (at least 8 characters); without one the member
    /// cannot log in until an admin sets it.
    pub password: Option<String>,
    /// E-mail address (for the daily report); empty removes it; absent
    /// leaves it as it is.
    pub email: Option<String>,
}

/// A well-formed e-mail address, trimmed; empty stays empty.
pub(crate) fn email(raw: &str, field: &'static str) -> ApiResult<String> {
    let e = raw.trim();
    if e.is_empty() || e.parse::<lettre::Address>().is_ok() {
        Ok(e.to_owned())
    } else {
        Err(ApiError::invalid(format!("{e:?} is not an e-mail address")).field(field).param("value", e))
    }
}

fn yes() -> bool {
    true
}
fn en() -> String {
    "en".into()
}

impl StaffIn {
    fn to_input(&self) -> ApiResult<StaffInput> {
        let role: Role =
            self.role.parse().map_err(|e: centrala_domain::RoleParseError| ApiError::invalid(e.to_string()))?;
        if !crate::ui::i18n::known(&self.locale) {
            return Err(ApiError::invalid(format!(
                "locale {:?} is not one of {}",
                self.locale,
                crate::ui::i18n::languages().join(", ")
            ))
            .field("locale")
            .param("value", self.locale.clone()));
        }
        Ok(StaffInput {
            username: self.username.trim().to_owned(),
            full_name: self.full_name.clone(),
            role,
            department: self.department.map(DepartmentId),
            active: self.active,
            locale: self.locale.clone(),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    pub password: String,
}

/// All staff of the caller's company.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", responses((status = 200, body = [StaffOut])))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<StaffOut>>> {
    Ok(Json(state.store.company(auth.company).staff_list().await?.into_iter().map(Into::into).collect()))
}

/// One staff member.
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, body = StaffOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<StaffOut>> {
    let id = StaffId(parse_id(&id, "staff member")?);
    let s = state.store.company(auth.company).staff(id).await?.ok_or_else(|| ApiError::not_found("staff member"))?;
    Ok(Json(s.into()))
}

/// Add a staff member (admins).
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = StaffIn,
    responses((status = 201, body = StaffOut), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<StaffIn>,
) -> ApiResult<(StatusCode, Json<StaffOut>)> {
    let input = body.to_input()?;
    if let Some(p) = &body.password {
        centrala_store::password::check_policy(p)?;
    }
    let address = email(body.email.as_deref().unwrap_or(""), "email")?;
    let s = state.store.company(auth.company);
    let mut member = s.create_staff_with_email(&input, &address).await?;
    if let Some(p) = body.password {
        set_password(&state, auth.company, member.id, p).await?;
        member.has_password = true;
    }
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(
        &auth.username,
        "create",
        "staff",
        &member.id.to_string(),
        &format!("{} as {}", member.username, member.role),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(member.into())))
}

/// Change a staff member (admins). Deactivating ends their sessions.
#[utoipa::path(put, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)), request_body = StaffIn,
    responses((status = 200, body = StaffOut), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<StaffIn>,
) -> ApiResult<Json<StaffOut>> {
    let id = StaffId(parse_id(&id, "staff member")?);
    if body.password.is_some() {
        return Err(ApiError::invalid("set passwords with PUT /api/v1/staff/{id}/password"));
    }
    let input = body.to_input()?;
    let address = body.email.as_deref().map(|e| email(e, "email")).transpose()?;
    let s = state.store.company(auth.company);
    let before = s.staff(id).await?;
    let member = s.update_staff_and_email(id, &input, address.as_deref()).await?;
    // A deactivated member, or one whose role changed, sees nothing more
    // through the streams opened before (their sessions end, or their
    // rights changed under them: they log in again).
    if !member.active || before.is_some_and(|b| b.role != member.role) {
        state.end_sessions(crate::auth::SessionEnd::Staff(auth.company, member.id));
    }
    state.center.caches.staffing.invalidate(&auth.company);
    state.center.acd.staff_changed(member.id, member.role, member.active).await;
    s.audit(
        &auth.username,
        "update",
        "staff",
        &member.id.to_string(),
        &format!("{} as {}", member.username, member.role),
    )
    .await?;
    Ok(Json(member.into()))
}

/// Set a staff member's password (admins); ends their sessions.
#[utoipa::path(put, path = "/api/v1/staff/{id}/password", tag = "staff", params(("id" = i64, Path)), request_body = PasswordIn,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn password(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PasswordIn>,
) -> ApiResult<StatusCode> {
    let id = StaffId(parse_id(&id, "staff member")?);
    let s = state.store.company(auth.company);
    s.staff(id).await?.ok_or_else(|| ApiError::not_found("staff member"))?;
    set_password(&state, auth.company, id, body.password).await?;
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(&auth.username, "set_password", "staff", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SipAccountIn {
    /// The phone's SIP username (unique in the whole instance: letters,
    /// digits, `.`, `-`, `_`).
    pub username: String,
    /// At least 8 characters. Only MD5(username:realm:password) is kept.
    pub password: String,
    /// The phone's media must be encrypted (SRTP keyed in the SDP): calls
    /// to it offer only SRTP, from its next registration. Default false:
    /// SRTP when the phone offers it, plain RTP otherwise.
    #[serde(default)]
    pub srtp_required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SipAccountOut {
    pub staff_id: i64,
    pub username: String,
    pub srtp_required: bool,
    /// The phone's registered contacts now (empty: not registered).
    pub registered: Vec<String>,
}

/// Give a staff member a SIP account for their phone (admins).
#[utoipa::path(put, path = "/api/v1/staff/{id}/sip", tag = "staff", params(("id" = i64, Path)), request_body = SipAccountIn,
    responses((status = 200, body = SipAccountOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_sip(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SipAccountIn>,
) -> ApiResult<Json<SipAccountOut>> {
    let id = StaffId(parse_id(&id, "staff member")?);
    let name = body.username.trim();
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)) {
        return Err(ApiError::invalid("a SIP username is 1–64 letters, digits, '.', '-' or '_'"));
    }
    if body.password.chars().count() < 8 {
        return Err(ApiError::invalid("a SIP password has at least 8 characters"));
    }
    let ha1 = centrala_sip::registrar::ha1(name, &state.config.sip_realm, &body.password);
    let s = state.store.company(auth.company);
    s.set_sip_account(id, name, &ha1).await?;
    s.set_sip_srtp_required(id, body.srtp_required).await?;
    state.center.acd.phone(id, Some(name.to_owned())).await;
    let detail = if body.srtp_required { format!("{name} srtp_required") } else { name.to_owned() };
    s.audit(&auth.username, "set_sip_account", "staff", &id.to_string(), &detail).await?;
    Ok(Json(SipAccountOut {
        staff_id: id.0,
        username: name.to_owned(),
        srtp_required: body.srtp_required,
        registered: Vec::new(),
    }))
}

/// Remove a staff member's SIP account (admins).
#[utoipa::path(delete, path = "/api/v1/staff/{id}/sip", tag = "staff", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_sip(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = StaffId(parse_id(&id, "staff member")?);
    let s = state.store.company(auth.company);
    s.delete_sip_account(id).await?;
    state.center.acd.phone(id, None).await;
    s.audit(&auth.username, "delete_sip_account", "staff", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The company's SIP accounts (admins and supervisors).
#[utoipa::path(get, path = "/api/v1/sip/accounts", tag = "staff", responses((status = 200, body = [SipAccountOut])))]
pub async fn sip_accounts(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
) -> ApiResult<Json<Vec<SipAccountOut>>> {
    let list = state.store.company(auth.company).sip_accounts().await?;
    Ok(Json(
        list.into_iter()
            .map(|a| SipAccountOut {
                staff_id: a.staff_id.0,
                registered: state.center.dialer.get().map(|d| d.registered(&a.username)).unwrap_or_default(),
                srtp_required: a.srtp_required,
                username: a.username,
            })
            .collect(),
    ))
}
