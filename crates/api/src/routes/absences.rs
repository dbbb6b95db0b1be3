//! Staff absences (vacation, business trip, sick leave) with an optional
//! substitute. The order desk's routing asks who is present today.

use super::parse_id;
use crate::auth::{Allowed, Planners};
use crate::{
    auth::Auth,
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_desk::staffing::{check_substitution, SubstituteError};
use centrala_domain::{AbsenceId, AbsenceKind, StaffId};
use centrala_store::AbsenceRecord;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AbsenceOut {
    pub id: i64,
    pub staff: i64,
    /// First day away (inclusive).
    pub from: NaiveDate,
    /// Last day away (inclusive).
    pub to: NaiveDate,
    /// `vacation`, `business_trip` or `sick_leave`.
    pub kind: String,
    pub substitute: Option<i64>,
}

impl From<AbsenceRecord> for AbsenceOut {
    fn from(a: AbsenceRecord) -> Self {
        AbsenceOut {
            id: a.id.0,
            staff: a.staff.0,
            from: a.from,
            to: a.to,
            kind: a.kind.to_string(),
            substitute: a.substitute.map(|s| s.0),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceIn {
    pub staff: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: String,
    pub substitute: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AbsenceQuery {
    /// Only this staff member's absences.
    pub staff: Option<i64>,
}

/// Whether the caller may see `a`: an operator, only their own absences
/// and those they stand in for; everyone else, the company's.
fn may_see(auth: &Auth, a: &AbsenceRecord) -> bool {
    !auth.sees_own_only() || a.staff == auth.staff || a.substitute == Some(auth.staff)
}

/// Absences of the caller's company (an operator's: their own, and those
/// they stand in for).
#[utoipa::path(get, path = "/api/v1/absences", tag = "staff", params(AbsenceQuery), responses((status = 200, body = [AbsenceOut])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AbsenceQuery>,
) -> ApiResult<Json<Vec<AbsenceOut>>> {
    let rows = state.store.company(auth.company).absences(q.staff.map(StaffId)).await?;
    Ok(Json(rows.into_iter().filter(|a| may_see(&auth, a)).map(Into::into).collect()))
}

/// One absence.
#[utoipa::path(get, path = "/api/v1/absences/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, body = AbsenceOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AbsenceOut>> {
    let id = AbsenceId(parse_id(&id, "absence")?);
    let a = state.store.company(auth.company).absence(id).await?.ok_or_else(|| ApiError::not_found("absence"))?;
    if !may_see(&auth, &a) {
        return Err(ApiError::not_found("absence"));
    }
    Ok(Json(a.into()))
}

/// Record an absence (admins, supervisors, heads).
#[utoipa::path(post, path = "/api/v1/absences", tag = "staff", request_body = AbsenceIn,
    responses((status = 201, body = AbsenceOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiJson(body): ApiJson<AbsenceIn>,
) -> ApiResult<(StatusCode, Json<AbsenceOut>)> {
    let kind: AbsenceKind = body.kind.parse().map_err(ApiError::invalid)?;
    let s = state.store.company(auth.company);
    if let Some(sub) = body.substitute {
        // OD-25: a substitute for at most one calendar month; an operator by an operator.
        let absent = s.staff(StaffId(body.staff)).await?.ok_or_else(|| ApiError::invalid("no such staff member"))?;
        let substitute = s.staff(StaffId(sub)).await?.ok_or_else(|| ApiError::invalid("no such substitute"))?;
        if let Err(e) = check_substitution(absent.role, substitute.role, body.from, body.to) {
            let code = match e {
                SubstituteError::LongerThanAMonth { .. } => "substitute_too_long",
                SubstituteError::NotAnOperator => "invalid_substitute",
            };
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string()));
        }
    }
    let a = s.create_absence(StaffId(body.staff), body.from, body.to, kind, body.substitute.map(StaffId)).await?;
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(
        &auth.username,
        "create",
        "absence",
        &a.id.to_string(),
        &format!("staff {} {}..{} {}", a.staff, a.from, a.to, a.kind),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Delete an absence (admins, supervisors, heads).
#[utoipa::path(delete, path = "/api/v1/absences/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = AbsenceId(parse_id(&id, "absence")?);
    let s = state.store.company(auth.company);
    s.delete_absence(id).await?;
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(&auth.username, "delete", "absence", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}
