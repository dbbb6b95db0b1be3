//! Departments (sales, wholesale, finance, …), each with a head.

use super::parse_id;
use crate::auth::{Admins, Allowed};
use crate::{
    auth::Auth,
    error::{ApiError, ApiJson, ApiPath, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_domain::{DepartmentId, StaffId};
use centrala_store::{Department, DepartmentKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DepartmentOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `sales`, `wholesale`, `finance` or `other`.
    pub kind: String,
    /// Staff id of the head, if any.
    pub head: Option<i64>,
}

impl From<Department> for DepartmentOut {
    fn from(d: Department) -> Self {
        DepartmentOut {
            id: d.id.0,
            code: d.code,
            name: d.name,
            kind: d.kind.as_str().into(),
            head: d.head.map(|h| h.0),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentIn {
    /// Unique within the company; ignored on update.
    pub code: Option<String>,
    pub name: String,
    pub kind: String,
    pub head: Option<i64>,
}

fn kind(s: &str) -> ApiResult<DepartmentKind> {
    DepartmentKind::parse(s)
        .ok_or_else(|| ApiError::invalid(format!("kind {s:?} is not sales, wholesale, finance or other")))
}

/// All departments of the caller's company.
#[utoipa::path(get, path = "/api/v1/departments", tag = "staff", responses((status = 200, body = [DepartmentOut])))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<DepartmentOut>>> {
    Ok(Json(state.store.company(auth.company).departments().await?.into_iter().map(Into::into).collect()))
}

/// One department.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "staff", params(("id" = i64, Path)),
    responses((status = 200, body = DepartmentOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DepartmentOut>> {
    let id = DepartmentId(parse_id(&id, "department")?);
    let d = state.store.company(auth.company).department(id).await?.ok_or_else(|| ApiError::not_found("department"))?;
    Ok(Json(d.into()))
}

/// Create a department (admins).
#[utoipa::path(post, path = "/api/v1/departments", tag = "staff", request_body = DepartmentIn,
    responses((status = 201, body = DepartmentOut), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<DepartmentIn>,
) -> ApiResult<(StatusCode, Json<DepartmentOut>)> {
    let code = body.code.as_deref().ok_or_else(|| ApiError::invalid("code is required"))?;
    let s = state.store.company(auth.company);
    let d = s.create_department(code, body.name.trim(), kind(&body.kind)?, body.head.map(StaffId)).await?;
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(&auth.username, "create", "department", &d.id.to_string(), &d.code).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// Change a department's name, kind or head (admins).
#[utoipa::path(put, path = "/api/v1/departments/{id}", tag = "staff", params(("id" = i64, Path)), request_body = DepartmentIn,
    responses((status = 200, body = DepartmentOut), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DepartmentIn>,
) -> ApiResult<Json<DepartmentOut>> {
    let id = DepartmentId(parse_id(&id, "department")?);
    let s = state.store.company(auth.company);
    let d = s.update_department(id, body.name.trim(), kind(&body.kind)?, body.head.map(StaffId)).await?;
    state.center.caches.staffing.invalidate(&auth.company);
    s.audit(&auth.username, "update", "department", &d.id.to_string(), &d.code).await?;
    Ok(Json(d.into()))
}
