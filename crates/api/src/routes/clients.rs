//! Clients: the card by phone or code, search, dormant clients, and the
//! routing decision for a caller.

use crate::auth::{Allowed, Assigners, OrderTakers};
use crate::{
    auth::Auth,
    desk::{self, CardOut, DecisionOut},
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_desk::routing::Intent;
use centrala_domain::normalize_phone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// Any phone of the client or of one of its contacts, in any common notation.
    pub phone: String,
}

/// The client card of a caller, by phone number.
#[utoipa::path(get, path = "/api/v1/clients/lookup", tag = "clients", params(LookupQuery),
    responses((status = 200, body = CardOut), (status = 404, body = crate::error::ErrorBody, description = "unknown_caller")))]
pub async fn lookup(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<Json<CardOut>> {
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_caller", "no client or contact has this number");
    let phone = normalize_phone(&q.phone, &state.config.default_country_code).map_err(|_| unknown())?;
    let s = state.store.company(auth.company);
    let client = s.client_by_phone(phone.as_str()).await?.ok_or_else(unknown)?;
    let today = state.center.today(s.company_id()).await;
    let card = desk::card(&s, client, today, &*state.center.caches.staffing(&s).await?).await?;
    s.audit(&auth.username, "view", "client", &card.code, "card by phone").await?;
    Ok(Json(card))
}

/// The client card, by client code.
#[utoipa::path(get, path = "/api/v1/clients/{code}", tag = "clients", params(("code" = String, Path)),
    responses((status = 200, body = CardOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<CardOut>> {
    let s = state.store.company(auth.company);
    let client = desk::client_by_code(&s, &code).await?;
    let card =
        desk::card(&s, client, state.center.today(s.company_id()).await, &*state.center.caches.staffing(&s).await?)
            .await?;
    s.audit(&auth.username, "view", "client", &card.code, "card").await?;
    Ok(Json(card))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ClientQuery {
    /// Part of the name or code, or a phone number.
    pub q: Option<String>,
    /// Only dormant clients: no order in the last 6 months (OD-16).
    pub dormant: Option<bool>,
    /// Only new clients: no manager assigned yet (OD-15).
    pub new: Option<bool>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientRow {
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub client_type: String,
    pub manager: Option<String>,
    pub region: String,
    /// With `dormant=true`: the last order's date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_order_date: Option<chrono::NaiveDate>,
    /// With `dormant=true`: what the client usually bought, to offer again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub usual_products: Vec<UsualOut>,
}

#[derive(Serialize, ToSchema)]
pub struct UsualOut {
    pub sku: String,
    pub name: String,
    /// In how many of its last orders.
    pub orders: u32,
}

/// Search clients, or list the dormant ones.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(ClientQuery), responses((status = 200, body = [ClientRow])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<Json<Vec<ClientRow>>> {
    let s = state.store.company(auth.company);
    let staffing = state.center.caches.staffing(&s).await?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let manager = |c: &centrala_store::desk::Client| c.manager.map(|m| desk::member_name(&staffing, m));
    if q.dormant == Some(true) {
        let cutoff = desk::dormant_cutoff(state.center.today(s.company_id()).await);
        // Product names from the cached catalog, not a query per product.
        let catalog = state.center.caches.catalog(&s).await?;
        let mut out = Vec::new();
        for (c, last) in s.dormant_clients(cutoff, limit).await? {
            let (mut usual, _) = s.usual_products(c.id, desk::USUAL_OVER_ORDERS).await?;
            usual.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let usual_products = usual
                .into_iter()
                .filter_map(|(p, n)| {
                    catalog.facts(p).map(|f| UsualOut { sku: f.sku.clone(), name: f.name.clone(), orders: n })
                })
                .take(5)
                .collect();
            out.push(ClientRow {
                manager: manager(&c),
                code: c.code,
                name: c.name,
                client_type: c.client_type,
                region: c.region,
                last_order_date: last,
                usual_products,
            });
        }
        return Ok(Json(out));
    }
    if q.new == Some(true) {
        let rows = s.clients_without_manager(limit).await?;
        return Ok(Json(
            rows.into_iter()
                .map(|c| ClientRow {
                    manager: None,
                    code: c.code,
                    name: c.name,
                    client_type: c.client_type,
                    region: c.region,
                    last_order_date: None,
                    usual_products: vec![],
                })
                .collect(),
        ));
    }
    let text = q.q.unwrap_or_default();
    let phone = normalize_phone(&text, &state.config.default_country_code).ok();
    let rows = s.search_clients(&text, phone.as_ref().map(|p| p.as_str()), limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| ClientRow {
                manager: manager(&c),
                code: c.code,
                name: c.name,
                client_type: c.client_type,
                region: c.region,
                last_order_date: None,
                usual_products: vec![],
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideIn {
    /// The caller's number, in any common notation.
    pub phone: String,
    /// `order`, `reference`, `other` or `complaint`.
    pub intent: String,
}

/// Who serves this caller (OD-3, OD-4, OD-6, OD-15, OD-19).
#[utoipa::path(post, path = "/api/v1/routing/decide", tag = "clients", request_body = DecideIn,
    responses((status = 200, body = DecisionOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<DecideIn>,
) -> ApiResult<Json<DecisionOut>> {
    let intent = Intent::parse(&body.intent).ok_or_else(|| {
        ApiError::invalid(format!("intent {:?} is not order, reference, other or complaint", body.intent))
    })?;
    let s = state.store.company(auth.company);
    let today = state.center.today(s.company_id()).await;
    let client = match normalize_phone(&body.phone, &state.config.default_country_code) {
        Ok(p) => s.client_by_phone(p.as_str()).await?,
        Err(e) => return Err(ApiError::invalid(e.to_string())),
    };
    let facts = match client {
        Some(c) => Some(desk::client_facts(&s, c, today).await?),
        None => None,
    };
    let d = desk::route(facts.as_ref(), intent, today, &*state.center.caches.staffing(&s).await?);
    Ok(Json(DecisionOut::new(&d, facts.as_ref().map(|f| &f.client))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterIn {
    /// The business's name, as it says it.
    pub name: String,
    /// Its phone, in any common notation.
    pub phone: String,
    #[serde(default)]
    pub region: String,
    /// Its e-mail address, if it gave one: a message from it then
    /// identifies the client, and reference information goes to it.
    #[serde(default)]
    pub email: String,
    /// A client type's code (default `retail`).
    #[serde(rename = "type", default)]
    pub client_type: Option<String>,
}

/// Register a caller who is not a client yet (OD-15): it gets a code and
/// no manager, so it is a new client — the heads see it at once and
/// assign it a manager. Order takers; audited.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = RegisterIn,
    responses((status = 201, body = CardOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiJson(body): ApiJson<RegisterIn>,
) -> ApiResult<(StatusCode, Json<CardOut>)> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name is 1 to 200 characters").field("name"));
    }
    let phone = normalize_phone(&body.phone, &state.config.default_country_code)
        .map_err(|e| ApiError::invalid(format!("phone: {e}")).field("phone").param("value", body.phone.clone()))?;
    let email = email_field(&body.email, "email")?;
    let kind = body.client_type.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("retail");
    let s = state.store.company(auth.company);
    if !s.client_types().await?.iter().any(|t| t.code == kind) {
        return Err(ApiError::invalid(format!("{kind:?} is not a client type of this company"))
            .field("type")
            .param("value", kind.to_owned()));
    }
    let client = s.register_client(name, kind, &body.region, phone.as_str(), email).await.map_err(|e| match e {
        centrala_store::StoreError::Conflict(m) => {
            ApiError::new(StatusCode::CONFLICT, "known_number", m).field("phone").param("value", phone.to_string())
        }
        other => other.into(),
    })?;
    s.audit(&auth.username, "create", "client", &client.code, name).await?;
    let today = state.center.today(s.company_id()).await;
    let card = desk::card(&s, client, today, &*state.center.caches.staffing(&s).await?).await?;
    Ok((StatusCode::CREATED, Json(card)))
}

/// An optional e-mail address as typed: empty, or one that looks like one.
fn email_field<'a>(v: &'a str, field: &'static str) -> ApiResult<&'a str> {
    let v = v.trim();
    if v.is_empty() || (v.len() <= 254 && centrala_desk::forms::is_email(v)) {
        Ok(v)
    } else {
        Err(ApiError::invalid(format!("{v:?} is not an e-mail address")).field(field).param("value", v.to_owned()))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailIn {
    /// The address; empty clears it.
    pub email: String,
}

/// Set the e-mail address on a client's card (order takers; audited).
/// Mail from it then joins this client's card, and reference information
/// goes to it by default.
#[utoipa::path(put, path = "/api/v1/clients/{code}/email", tag = "clients", params(("code" = String, Path)), request_body = EmailIn,
    responses((status = 200, body = CardOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_email(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<EmailIn>,
) -> ApiResult<Json<CardOut>> {
    let email = email_field(&body.email, "email")?;
    let s = state.store.company(auth.company);
    let client = desk::client_by_code(&s, &code).await?;
    s.set_client_email(client.id, email).await?;
    s.audit(&auth.username, "set_email", "client", &client.code, email).await?;
    card_of(&state, &s, &code).await
}

/// A contact person as an order taker adds or changes it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    pub name: String,
    /// In any common notation; may be empty when `email` is given.
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// May take delivered goods for the client.
    #[serde(default)]
    pub authorized_to_receive: bool,
}

fn contact_input<'a>(
    state: &AppState,
    body: &'a ContactIn,
    phone: &'a mut String,
) -> ApiResult<centrala_store::desk::ContactInput<'a>> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("name is 1 to 200 characters").field("name"));
    }
    let email = email_field(&body.email, "email")?;
    if !body.phone.trim().is_empty() {
        *phone = normalize_phone(&body.phone, &state.config.default_country_code)
            .map_err(|e| ApiError::invalid(format!("phone: {e}")).field("phone").param("value", body.phone.clone()))?
            .to_string();
    } else if email.is_empty() {
        return Err(ApiError::invalid("a contact needs a phone or an e-mail address").field("phone"));
    }
    Ok(centrala_store::desk::ContactInput { name, phone, email, authorized_to_receive: body.authorized_to_receive })
}

fn contact_conflict(e: centrala_store::StoreError) -> ApiError {
    match e {
        centrala_store::StoreError::Conflict(m) => ApiError::conflict(m).field("name"),
        other => other.into(),
    }
}

/// Add a contact person to a client (order takers; audited).
#[utoipa::path(post, path = "/api/v1/clients/{code}/contacts", tag = "clients", params(("code" = String, Path)), request_body = ContactIn,
    responses((status = 201, body = CardOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_contact(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<ContactIn>,
) -> ApiResult<(StatusCode, Json<CardOut>)> {
    let mut phone = String::new();
    let input = contact_input(&state, &body, &mut phone)?;
    let s = state.store.company(auth.company);
    let client = desk::client_by_code(&s, &code).await?;
    let contact = s.add_contact(client.id, &input).await.map_err(contact_conflict)?;
    s.audit(&auth.username, "add_contact", "client", &client.code, &contact.name).await?;
    Ok((StatusCode::CREATED, card_of(&state, &s, &code).await?))
}

/// Change one of a client's contact persons (order takers; audited).
#[utoipa::path(put, path = "/api/v1/clients/{code}/contacts/{id}", tag = "clients",
    params(("code" = String, Path), ("id" = i64, Path)), request_body = ContactIn,
    responses((status = 200, body = CardOut), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_contact(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath((code, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<ContactIn>,
) -> ApiResult<Json<CardOut>> {
    let mut phone = String::new();
    let input = contact_input(&state, &body, &mut phone)?;
    let s = state.store.company(auth.company);
    let client = desk::client_by_code(&s, &code).await?;
    let contact =
        s.update_contact(client.id, centrala_domain::ContactId(id), &input).await.map_err(contact_conflict)?;
    s.audit(&auth.username, "update_contact", "client", &client.code, &contact.name).await?;
    card_of(&state, &s, &code).await
}

async fn card_of(state: &AppState, s: &centrala_store::Scoped<'_>, code: &str) -> ApiResult<Json<CardOut>> {
    let client = desk::client_by_code(s, code).await?;
    let today = state.center.today(s.company_id()).await;
    Ok(Json(desk::card(s, client, today, &*state.center.caches.staffing(s).await?).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The manager's username.
    pub username: String,
}

/// Assign a client to a manager (heads and admins; OD-15).
#[utoipa::path(put, path = "/api/v1/clients/{code}/manager", tag = "clients", params(("code" = String, Path)), request_body = AssignIn,
    responses((status = 200, body = CardOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    auth: Allowed<Assigners>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<AssignIn>,
) -> ApiResult<Json<CardOut>> {
    let s = state.store.company(auth.company);
    let client = desk::client_by_code(&s, &code).await?;
    let manager = s
        .staff_by_username(&body.username)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("no staff member {:?}", body.username)))?;
    s.assign_manager(client.id, manager.id).await?;
    s.audit(&auth.username, "assign_manager", "client", &client.code, &manager.username).await?;
    card_of(&state, &s, &code).await
}

/// A client type on the wire.
#[derive(Serialize, ToSchema)]
pub struct ClientTypeOut {
    pub code: String,
    pub name: String,
    /// How many clients have it.
    pub clients: i64,
    /// SKUs of its traditional products, offered to every client of the type.
    pub traditional: Vec<String>,
}

/// The company's client types, with how many clients each has and its
/// traditional products (any staff member; they come with the import).
#[utoipa::path(get, path = "/api/v1/client-types", tag = "clients", responses((status = 200, body = [ClientTypeOut])))]
pub async fn types(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ClientTypeOut>>> {
    let types = state.store.company(auth.company).client_types().await?;
    Ok(Json(
        types
            .into_iter()
            .map(|t| ClientTypeOut { code: t.code, name: t.name, clients: t.clients, traditional: t.traditional })
            .collect(),
    ))
}
