//! The assortment: products with their five price-list columns.

use crate::{
    auth::Auth,
    error::{ApiError, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, Json};
use centrala_store::Product;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ProductOut {
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    /// Price-list columns 1 to 5, as decimal strings.
    pub prices: Vec<String>,
    pub is_new: bool,
    pub is_special: bool,
    pub alcohol: bool,
    /// In the product's unit, as a decimal string.
    pub stock: String,
}

impl From<Product> for ProductOut {
    fn from(p: Product) -> Self {
        ProductOut {
            sku: p.sku,
            name: p.name,
            category: p.category,
            unit: p.unit,
            prices: p.prices.iter().map(ToString::to_string).collect(),
            is_new: p.is_new,
            is_special: p.is_special,
            alcohol: p.alcohol,
            stock: p.stock.to_string(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    /// Part of the sku, name or category.
    pub q: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Search the assortment.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ProductQuery), responses((status = 200, body = [ProductOut])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Json<Vec<ProductOut>>> {
    let rows = state
        .store
        .company(auth.company)
        .products(
            q.q.as_deref().unwrap_or("").trim(),
            q.limit.unwrap_or(50).clamp(1, 500),
            q.offset.unwrap_or(0).max(0),
        )
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// One product by sku.
#[utoipa::path(get, path = "/api/v1/products/{sku}", tag = "catalog", params(("sku" = String, Path)),
    responses((status = 200, body = ProductOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(sku): ApiPath<String>,
) -> ApiResult<Json<ProductOut>> {
    let p =
        state.store.company(auth.company).product_by_sku(&sku).await?.ok_or_else(|| ApiError::not_found("product"))?;
    Ok(Json(p.into()))
}
