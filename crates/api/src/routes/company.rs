//! The caller's own company, the caller, and the audit log.

use crate::{
    auth::{roles, Auth},
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
}

/// The caller's company.
#[utoipa::path(get, path = "/api/v1/company", tag = "company", responses((status = 200, body = CompanyOut)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<CompanyOut>> {
    let c =
        state.store.company_by_id(auth.company).await?.ok_or_else(|| crate::error::ApiError::not_found("company"))?;
    Ok(Json(CompanyOut { code: c.code, name: c.name }))
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
    auth: Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditOut>>> {
    auth.require(roles::AUDITORS)?;
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
