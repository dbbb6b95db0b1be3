//! The price-list column rules (OD-10, OD-21): data, edited through the API.

use super::parse_id;
use crate::auth::{Allowed, Pricing};
use crate::{
    auth::Auth,
    error::{ApiError, ApiJson, ApiPath, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_desk::pricing::PriceRule;
use centrala_domain::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceRuleIO {
    #[serde(default, skip_deserializing)]
    pub id: i64,
    pub name: String,
    /// Higher wins; on a tie the higher column (bigger discount).
    pub priority: i64,
    /// Only for this client type; absent: every type.
    pub client_type: Option<String>,
    /// Only when the order's volume at list price reaches this (decimal).
    pub min_volume: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// Price-list column 1 to 5.
    pub column: u8,
}

impl From<PriceRule> for PriceRuleIO {
    fn from(r: PriceRule) -> Self {
        PriceRuleIO {
            id: r.id,
            name: r.name,
            priority: r.priority,
            client_type: r.client_type,
            min_volume: r.min_volume.map(|m| m.to_string()),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            column: r.column,
        }
    }
}

impl PriceRuleIO {
    fn to_rule(&self, id: i64) -> ApiResult<PriceRule> {
        let min_volume = self
            .min_volume
            .as_deref()
            .map(|m| Money::parse_non_negative(m).map_err(|e| ApiError::invalid(format!("min_volume: {e}"))))
            .transpose()?;
        Ok(PriceRule {
            id,
            name: self.name.clone(),
            priority: self.priority,
            client_type: self.client_type.clone().filter(|t| !t.trim().is_empty()),
            min_volume,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            column: self.column,
        })
    }
}

/// The company's price rules, highest priority first.
#[utoipa::path(get, path = "/api/v1/price-rules", tag = "orders", responses((status = 200, body = [PriceRuleIO])))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<PriceRuleIO>>> {
    Ok(Json(state.store.company(auth.company).price_rules().await?.into_iter().map(Into::into).collect()))
}

/// Add a rule (admins and heads).
#[utoipa::path(post, path = "/api/v1/price-rules", tag = "orders", request_body = PriceRuleIO,
    responses((status = 201, body = PriceRuleIO), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Allowed<Pricing>,
    ApiJson(body): ApiJson<PriceRuleIO>,
) -> ApiResult<(StatusCode, Json<PriceRuleIO>)> {
    let s = state.store.company(auth.company);
    let r = s.save_price_rule(&body.to_rule(0)?).await?;
    s.audit(&auth.username, "create", "price_rule", &r.id.to_string(), &format!("{} → column {}", r.name, r.column))
        .await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// Replace a rule (admins and heads).
#[utoipa::path(put, path = "/api/v1/price-rules/{id}", tag = "orders", params(("id" = i64, Path)), request_body = PriceRuleIO,
    responses((status = 200, body = PriceRuleIO), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Allowed<Pricing>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PriceRuleIO>,
) -> ApiResult<Json<PriceRuleIO>> {
    let id = parse_id(&id, "price rule")?;
    let s = state.store.company(auth.company);
    let r = s.save_price_rule(&body.to_rule(id)?).await?;
    s.audit(&auth.username, "update", "price_rule", &r.id.to_string(), &format!("{} → column {}", r.name, r.column))
        .await?;
    Ok(Json(r.into()))
}

/// Delete a rule (admins and heads).
#[utoipa::path(delete, path = "/api/v1/price-rules/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Allowed<Pricing>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, "price rule")?;
    let s = state.store.company(auth.company);
    s.delete_price_rule(id).await?;
    s.audit(&auth.username, "delete", "price_rule", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}
