//! Orders at the desk: open (behind the gates), lines priced from the
//! column the rules give, recommendations and the offer rule, delivery
//! terms, confirmation pushed live to the heads (OD-5 … OD-14).

use super::parse_id;
use crate::auth::{Allowed, OrderTakers};
use crate::{
    auth::Auth,
    desk::{self, OrderBrief},
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    events::Event,
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_desk::{
    order::{check_confirm, may_open, ConfirmFacts, Delivery, OrderStatus},
    pricing::{price_order, AmountError, MAX_LINE_QUANTITY, MAX_ORDER_TOTAL},
    routing::Intent,
};
use centrala_domain::{OrderId, ProductId, Quantity};
use centrala_store::{
    desk::{Client, Order, OrderFilter},
    Scoped,
};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct LineOut {
    pub sku: String,
    pub name: String,
    /// The unit it is sold in, and the stock of it now.
    pub unit: String,
    pub stock: String,
    pub quantity: String,
    pub unit_price: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct OfferOut {
    pub sku: String,
    /// The recommendation's reason, or `other` for an item not recommended.
    pub reason: String,
    /// `accepted` or `declined`.
    pub answer: String,
    pub at: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DeliveryIO {
    pub date: Option<NaiveDate>,
    /// `HH:MM`
    pub window_from: Option<String>,
    /// `HH:MM`
    pub window_to: Option<String>,
    /// Names of the client's contacts who receive the goods (authorized ones).
    #[serde(default)]
    pub receivers: Vec<String>,
    pub payment_form: Option<String>,
    /// Regional clients: arrival time at the central warehouse.
    pub pickup_at: Option<String>,
    /// Regional clients: shipping details.
    pub shipping_details: Option<String>,
    /// Documents to sign.
    pub documents: Option<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryOut {
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderOut {
    pub id: i64,
    pub order_no: String,
    pub client: String,
    pub client_name: String,
    pub status: String,
    pub date: NaiveDate,
    pub price_column: u8,
    /// The price rule that chose the column ("" when none: list price).
    pub price_rule: String,
    pub override_reason: Option<String>,
    pub total: String,
    pub lines: Vec<LineOut>,
    pub offers: Vec<OfferOut>,
    /// Recommended items offered with the answer recorded.
    pub offers_done: usize,
    pub offers_required: usize,
    pub delivery: DeliveryIO,
    pub history: Vec<HistoryOut>,
    /// On confirmation: the people told of it at once (full names).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notified: Vec<String>,
}

fn hhmm(t: Option<NaiveTime>) -> Option<String> {
    t.map(|t| t.format("%H:%M").to_string())
}

fn offers_done(o: &Order) -> usize {
    o.offers.iter().filter(|f| f.reason != "other").count()
}

async fn order_out(s: &Scoped<'_>, o: Order, client: &Client) -> ApiResult<OrderOut> {
    let history = s.order_events(o.summary.id).await?;
    Ok(OrderOut {
        id: o.summary.id.0,
        order_no: o.summary.order_no.clone(),
        client: client.code.clone(),
        client_name: client.name.clone(),
        status: o.summary.status.as_str().into(),
        date: o.summary.date,
        price_column: o.price_column,
        price_rule: o.price_rule.clone(),
        override_reason: o.override_reason.clone(),
        total: o.summary.total.to_string(),
        offers_done: offers_done(&o),
        offers_required: centrala_desk::offers::MIN_OFFERS,
        lines: o
            .lines
            .iter()
            .map(|l| LineOut {
                sku: l.sku.clone(),
                name: l.name.clone(),
                unit: l.unit.clone(),
                stock: l.stock.to_string(),
                quantity: l.quantity.to_string(),
                unit_price: l.unit_price.to_string(),
                amount: l.unit_price.times(l.quantity).to_string(),
            })
            .collect(),
        offers: o
            .offers
            .iter()
            .map(|f| OfferOut {
                sku: f.sku.clone(),
                reason: f.reason.clone(),
                answer: f.answer.clone(),
                at: f.at.clone(),
            })
            .collect(),
        notified: vec![],
        delivery: DeliveryIO {
            date: o.delivery.date,
            window_from: hhmm(o.delivery.window_from),
            window_to: hhmm(o.delivery.window_to),
            receivers: o.delivery.receivers.clone(),
            payment_form: o.delivery.payment_form.clone(),
            pickup_at: o.delivery.pickup_at.clone(),
            shipping_details: o.delivery.shipping_details.clone(),
            documents: o.delivery.documents.clone(),
            notes: o.notes.clone(),
        },
        history: history
            .into_iter()
            .map(|e| HistoryOut { actor: e.actor, kind: e.kind, detail: e.detail, at: e.at })
            .collect(),
    })
}

/// The order and its client, or 404: also for an operator's look at an
/// order they did not take, of a client they do not serve now.
async fn load(state: &AppState, auth: &Auth, s: &Scoped<'_>, raw_id: &str) -> ApiResult<(Order, Client)> {
    let id = OrderId(parse_id(raw_id, "order")?);
    let o = s.order(id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if auth.sees_own_only()
        && o.created_by != Some(auth.staff)
        && !super::interactions::serves(state, auth, Some(o.summary.client)).await?
    {
        return Err(ApiError::not_found("order"));
    }
    let c = s.client(o.summary.client).await?.ok_or_else(|| ApiError::not_found("order"))?;
    Ok((o, c))
}

fn require_draft(o: &Order) -> ApiResult<()> {
    if o.summary.status == OrderStatus::Draft {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_draft",
            format!("the order is {}; only a draft can change", o.summary.status.as_str()),
        )
        .param("status", o.summary.status.as_str()))
    }
}

/// Prices `lines` from the column the rules give for this client and the
/// order's volume at list price, and stores them.
async fn reprice_and_save(
    state: &AppState,
    s: &Scoped<'_>,
    order: &Order,
    client: &Client,
    lines: &[(ProductId, Quantity)],
    actor: &str,
    event: (&str, &str),
) -> ApiResult<()> {
    let mut products = Vec::with_capacity(lines.len());
    for (p, q) in lines {
        let product =
            s.product_by_id(*p).await?.ok_or_else(|| ApiError::invalid(format!("product {p} does not exist")))?;
        products.push((product.id, product.prices, *q));
    }
    let rules = s.price_rules().await?;
    let today = state.center.today(s.company_id()).await;
    let priced = price_order(&rules, &client.client_type, &products, today).map_err(|e| match e {
        AmountError::Quantity { line } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity_too_large",
            format!("a line may hold at most {MAX_LINE_QUANTITY} of a product"),
        )
        .field("quantity")
        .param("max", MAX_LINE_QUANTITY.to_string())
        .with_details(serde_json::json!({ "line": line, "max": MAX_LINE_QUANTITY.to_string() })),
        AmountError::Total => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "total_too_large",
            format!("an order may be worth at most {MAX_ORDER_TOTAL}"),
        )
        .param("max", MAX_ORDER_TOTAL.to_string())
        .with_details(serde_json::json!({ "max": MAX_ORDER_TOTAL.to_string() })),
    })?;
    let (column, rule, priced) = (priced.column, priced.rule, priced.lines);
    s.save_lines(order.summary.id, &priced, column, rule.map_or("", |r| r.name.as_str()), actor, event).await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenIn {
    /// The client's code.
    pub client: String,
    /// A manager or finance overriding a debt block must say why (OD-5, OD-9).
    pub override_reason: Option<String>,
}

/// Open a draft order. Operators cannot for key clients, new clients or
/// blocked clients (422 `key_client`, `new_client`, `debt_blocked`, with the
/// amounts and whom to transfer to).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OpenIn,
    responses((status = 201, body = OrderOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiJson(body): ApiJson<OpenIn>,
) -> ApiResult<(StatusCode, Json<OrderOut>)> {
    let s = state.store.company(auth.company);
    let today = state.center.today(s.company_id()).await;
    let client = desk::client_by_code(&s, &body.client).await?;
    let facts = desk::client_facts(&s, client, today).await?;
    let c = &facts.client;
    let reason = body.override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let overriding = match may_open(auth.role, &c.client_type, c.manager.is_some(), &facts.debt, reason) {
        Ok(o) => o,
        Err(refusal) => {
            let staffing = state.center.caches.staffing(&s).await?;
            let d = desk::route(Some(&facts), Intent::Order, today, &staffing);
            let message = match &refusal {
                centrala_desk::order::OpenRefusal::KeyClient => {
                    "a key client orders through its manager: transfer the call".to_owned()
                }
                centrala_desk::order::OpenRefusal::NewClient => {
                    "a new client first gets a manager from a department head: transfer the call".to_owned()
                }
                centrala_desk::order::OpenRefusal::DebtBlocked { override_allowed } => format!(
                    "the client is blocked: {}. Tell the client{}",
                    facts.debt.explain().unwrap_or_default(),
                    if *override_allowed {
                        "; you may override with a written override_reason (at least 10 characters)"
                    } else {
                        " and transfer the call"
                    }
                ),
            };
            s.audit(&auth.username, "refused", "order", &c.code, refusal.code()).await?;
            let override_allowed =
                matches!(refusal, centrala_desk::order::OpenRefusal::DebtBlocked { override_allowed: true });
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, refusal.code(), message)
                .param("client", c.name.clone())
                .param("overdue", facts.debt.overdue.to_string())
                .param("over_limit", facts.debt.over_limit.to_string())
                .param("override_allowed", override_allowed)
                .with_details(serde_json::json!({
                    "overdue": facts.debt.overdue.to_string(),
                    "over_limit": facts.debt.over_limit.to_string(),
                    "transfer_to": desk::TargetOut::from(&d.target),
                    "reasons": d.reasons,
                })));
        }
    };
    let id = s.create_order(c.id, auth.staff, &auth.username, today, if overriding { reason } else { None }).await?;
    s.audit(&auth.username, "create", "order", &id.to_string(), &c.code).await?;
    let o = s.order(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(order_out(&s, o, c).await?)))
}

/// One order with lines, offers, delivery and its history.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<OrderOut>> {
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    Ok(Json(order_out(&s, o, &c).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// A client's code.
    pub client: Option<String>,
    /// draft, confirmed, shipped, delivered or cancelled.
    pub status: Option<String>,
    pub limit: Option<i64>,
}

/// Orders, newest first. Operators list those they took, or a client's
/// (`client=`) while they serve it.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery), responses((status = 200, body = [OrderBrief])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Vec<OrderBrief>>> {
    let s = state.store.company(auth.company);
    let client = match &q.client {
        Some(code) => Some(desk::client_by_code(&s, code).await?.id),
        None => None,
    };
    let status = match &q.status {
        Some(st) => Some(OrderStatus::parse(st).ok_or_else(|| ApiError::invalid(format!("unknown status {st:?}")))?),
        None => None,
    };
    let mut f = OrderFilter { client, status, taken_by: None, limit: q.limit.unwrap_or(50).clamp(1, 500) };
    // Operators list the orders they took, or a client's while they serve it.
    if auth.sees_own_only() && !super::interactions::serves(&state, &auth, client).await? {
        f.taken_by = Some(auth.staff);
    }
    let rows = s.orders(&f).await?;
    Ok(Json(rows.iter().map(Into::into).collect()))
}

/// A JSON number or a decimal string.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Amount {
    Text(String),
    Number(serde_json::Number),
}

impl Amount {
    fn quantity(&self) -> ApiResult<Quantity> {
        let text = match self {
            Amount::Text(t) => t.clone(),
            Amount::Number(n) => n.to_string(),
        };
        let q: Quantity = text.parse().map_err(|e: centrala_domain::MoneyError| {
            ApiError::invalid(format!("quantity: {e}")).field("quantity").param("value", text.clone())
        })?;
        if q.0 < 0 {
            return Err(ApiError::invalid("quantity must not be negative").field("quantity").param("value", text));
        }
        Ok(q)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    pub sku: String,
    /// The quantity to order, a number or a decimal string; 0 removes the line.
    #[schema(value_type = String)]
    pub quantity: Amount,
}

/// Set a line's quantity (adds the product, or changes or removes its line);
/// every line is repriced from the column the rules give.
#[utoipa::path(post, path = "/api/v1/orders/{id}/lines", tag = "orders", params(("id" = i64, Path)), request_body = LineIn,
    responses((status = 200, body = OrderOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_line(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LineIn>,
) -> ApiResult<Json<OrderOut>> {
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    require_draft(&o)?;
    let qty = body.quantity.quantity()?;
    let product = s.product_by_sku(&body.sku).await?.ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_product", format!("no product {:?}", body.sku))
            .field("sku")
            .param("sku", body.sku.clone())
    })?;
    // (Beyond the most a line may hold, that is the error to give.)
    if centrala_desk::order::whole_units(&product.unit) && qty.0 % 1000 != 0 && qty <= MAX_LINE_QUANTITY {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity_not_whole",
            format!("{} is sold in whole units ({}): {qty} is not one", product.sku, product.unit),
        )
        .field("quantity")
        .param("unit", product.unit.clone())
        .param("value", qty.to_string()));
    }
    let mut lines: Vec<(ProductId, Quantity)> = o.lines.iter().map(|l| (l.product, l.quantity)).collect();
    match lines.iter_mut().find(|(p, _)| *p == product.id) {
        Some(l) => l.1 = qty,
        None => lines.push((product.id, qty)),
    }
    lines.retain(|(_, q)| q.0 > 0);
    reprice_and_save(&state, &s, &o, &c, &lines, &auth.username, ("line", &format!("{} × {qty}", product.sku))).await?;
    let o = s.order(o.summary.id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(order_out(&s, o, &c).await?))
}

#[derive(Serialize, ToSchema)]
pub struct RecommendationOut {
    pub sku: String,
    pub name: String,
    /// new, special, traditional, usual or complementary.
    pub reason: String,
    /// Other reasons that also apply.
    pub also: Vec<String>,
    pub explanation: String,
    /// The values the explanation names (`type`; `n`, `of`; `with`, `n`),
    /// for the UI to word it in its reader's language.
    pub params: std::collections::BTreeMap<String, String>,
    /// The product's unit, and how many the client usually takes (the
    /// most it took in one of its recent orders; 1 when never).
    pub unit: String,
    pub usual_quantity: String,
    /// At the order's price-list column.
    pub price: String,
    /// Already offered on this order, with this answer.
    pub offered: Option<String>,
}

/// What to offer the client, best first, each with its reason (OD-7, OD-8):
/// in-stock items not in the order.
#[utoipa::path(get, path = "/api/v1/orders/{id}/recommendations", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = [RecommendationOut]), (status = 404, body = crate::error::ErrorBody)))]
pub async fn recommendations(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<RecommendationOut>>> {
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    let catalog = state.center.caches.catalog(&s).await?;
    let recos = desk::recommendations(&s, &catalog, &o, &c, desk::RECOMMENDATIONS).await?;
    let idx = usize::from(o.price_column.clamp(1, 5)) - 1;
    let usual = s.usual_quantities(c.id).await?;
    let mut out = Vec::with_capacity(recos.len());
    for (r, sku, name) in recos {
        let price = catalog.facts(r.product).map(|p| p.prices[idx].to_string()).unwrap_or_default();
        out.push(RecommendationOut {
            offered: o.offers.iter().find(|f| f.product == r.product).map(|f| f.answer.clone()),
            sku,
            name,
            reason: r.reason.as_str().into(),
            also: r.also.iter().map(|a| a.as_str().to_owned()).collect(),
            explanation: r.explanation,
            params: r.params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            unit: catalog.facts(r.product).map(|p| p.unit.clone()).unwrap_or_default(),
            usual_quantity: usual.get(&r.product).copied().unwrap_or(Quantity::units(1)).to_string(),
            price,
        })
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferIn {
    pub sku: String,
    /// `accepted` or `declined`.
    pub answer: String,
    /// For an accepted offer: how much (default 1), a number or a decimal string.
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Amount>,
}

/// Record an item offered and the client's answer; an accepted item becomes
/// a line. Offers of recommended items count toward the three an order needs.
#[utoipa::path(post, path = "/api/v1/orders/{id}/offers", tag = "orders", params(("id" = i64, Path)), request_body = OfferIn,
    responses((status = 200, body = OrderOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn offer(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<OfferIn>,
) -> ApiResult<Json<OrderOut>> {
    if body.answer != "accepted" && body.answer != "declined" {
        return Err(ApiError::invalid(format!("answer {:?} is not accepted or declined", body.answer)));
    }
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    require_draft(&o)?;
    let product = s.product_by_sku(&body.sku).await?.ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_product", format!("no product {:?}", body.sku))
    })?;
    if o.lines.iter().any(|l| l.product == product.id) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "already_in_order",
            "offer items beyond what the client ordered (OD-7)",
        ));
    }
    let catalog = state.center.caches.catalog(&s).await?;
    let recos = desk::recommendations(&s, &catalog, &o, &c, 200).await?;
    let reason = recos.iter().find(|(r, _, _)| r.product == product.id).map_or("other", |(r, _, _)| r.reason.as_str());
    s.record_offer(o.summary.id, product.id, reason, &body.answer, auth.staff, &auth.username).await?;
    if body.answer == "accepted" {
        let qty = match &body.quantity {
            Some(q) => q.quantity()?,
            None => Quantity::units(1),
        };
        let mut lines: Vec<(ProductId, Quantity)> = o.lines.iter().map(|l| (l.product, l.quantity)).collect();
        if qty.0 > 0 {
            lines.push((product.id, qty));
        }
        reprice_and_save(
            &state,
            &s,
            &o,
            &c,
            &lines,
            &auth.username,
            ("line", &format!("{} × {qty} (offer accepted)", product.sku)),
        )
        .await?;
    }
    let o = s.order(o.summary.id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(order_out(&s, o, &c).await?))
}

fn parse_time(field: &'static str, v: &Option<String>) -> ApiResult<Option<NaiveTime>> {
    v.as_deref()
        .map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                ApiError::invalid(format!("{field} {t:?} is not HH:MM")).field(field).param("value", t.to_owned())
            })
        })
        .transpose()
}

/// Set the delivery terms (OD-12, OD-13): date and time window, who receives
/// the goods, payment form, documents; for regional clients pickup time or
/// shipping details.
#[utoipa::path(put, path = "/api/v1/orders/{id}/delivery", tag = "orders", params(("id" = i64, Path)), request_body = DeliveryIO,
    responses((status = 200, body = OrderOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn delivery(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DeliveryIO>,
) -> ApiResult<Json<OrderOut>> {
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    require_draft(&o)?;
    let d = Delivery {
        date: body.date,
        window_from: parse_time("window_from", &body.window_from)?,
        window_to: parse_time("window_to", &body.window_to)?,
        receivers: body.receivers.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect(),
        payment_form: body.payment_form.clone(),
        pickup_at: body.pickup_at.clone(),
        shipping_details: body.shipping_details.clone(),
        documents: body.documents.clone(),
    };
    s.set_delivery(o.summary.id, &d, &body.notes, &auth.username).await?;
    let o = s.order(o.summary.id).await?.ok_or_else(ApiError::internal)?;
    Ok(Json(order_out(&s, o, &c).await?))
}

/// Confirm the order: it needs lines, three answered offers (OD-7), full
/// delivery terms (OD-12, OD-13) and a client not blocked by debt unless
/// the block was overridden. Pushed at once to the client's manager and
/// the heads of its department (OD-14).
#[utoipa::path(post, path = "/api/v1/orders/{id}/confirm", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderOut), (status = 422, body = crate::error::ErrorBody,
        description = "offers_required, delivery_incomplete (every missing field at once), debt_blocked, no_lines")))]
pub async fn confirm(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<OrderOut>> {
    let s = state.store.company(auth.company);
    let today = state.center.today(s.company_id()).await;
    let (o, c) = load(&state, &auth, &s, &id).await?;
    let facts = desk::client_facts(&s, c.clone(), today).await?;
    let authorized: Vec<String> =
        s.contacts(c.id).await?.into_iter().filter(|k| k.authorized_to_receive).map(|k| k.name).collect();
    let check = ConfirmFacts {
        status: o.summary.status,
        client_type: &c.client_type,
        lines: o.lines.len(),
        offers_answered: offers_done(&o),
        debt_blocked: facts.debt.blocked() && o.override_reason.is_none(),
        delivery: &o.delivery,
        authorized: &authorized,
        today,
    };
    if let Err(e) = check_confirm(&check) {
        let status = if matches!(e, centrala_desk::order::ConfirmError::NotDraft(_)) {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let details = match &e {
            centrala_desk::order::ConfirmError::DeliveryIncomplete(problems) => serde_json::json!({
                "missing": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "problems": problems.iter().map(|p| serde_json::json!({
                    "field": p.field, "problem": p.problem, "value": p.value,
                })).collect::<Vec<_>>(),
            }),
            centrala_desk::order::ConfirmError::OffersRequired { done, required } => {
                serde_json::json!({ "offers_done": done, "offers_required": required })
            }
            centrala_desk::order::ConfirmError::DebtBlocked => serde_json::json!({
                "overdue": facts.debt.overdue.to_string(), "over_limit": facts.debt.over_limit.to_string()
            }),
            _ => serde_json::json!({}),
        };
        let mut err = ApiError::new(status, e.code(), e.message()).with_details(details);
        match &e {
            centrala_desk::order::ConfirmError::OffersRequired { done, required } => {
                err = err.param("done", *done as u64).param("required", *required as u64);
            }
            centrala_desk::order::ConfirmError::DebtBlocked => {
                err = err
                    .param("client", c.name.clone())
                    .param("overdue", facts.debt.overdue.to_string())
                    .param("over_limit", facts.debt.over_limit.to_string())
                    .param("override_allowed", false);
            }
            centrala_desk::order::ConfirmError::NotDraft(st) => err = err.param("status", st.as_str()),
            _ => {}
        }
        return Err(err);
    }
    if !s.move_order(o.summary.id, OrderStatus::Draft, OrderStatus::Confirmed, &auth.username, "").await? {
        let now = s.order(o.summary.id).await?.map_or(OrderStatus::Confirmed, |o| o.summary.status);
        return Err(ApiError::new(StatusCode::CONFLICT, "not_draft", "the order changed meanwhile; reload it")
            .param("status", now.as_str()));
    }
    s.audit(&auth.username, "confirm", "order", &o.summary.order_no, &c.code).await?;
    let o = s.order(o.summary.id).await?.ok_or_else(ApiError::internal)?;
    let mut out = order_out(&s, o, &c).await?;
    out.notified = publish_confirmed(&state, &s, &auth, &c, &out).await?;
    Ok(Json(out))
}

/// OD-14: the client's manager, the head of the manager's department and,
/// for key clients, the heads of wholesale learn of the order at once.
async fn publish_confirmed(
    state: &AppState,
    s: &Scoped<'_>,
    auth: &Auth,
    c: &Client,
    o: &OrderOut,
) -> ApiResult<Vec<String>> {
    let staffing = state.center.caches.staffing(s).await?;
    let staff = centrala_desk::order::confirmation_recipients(&c.client_type, c.manager, &staffing);
    let names = staff.iter().filter_map(|id| staffing.member(*id)).map(|m| m.full_name.clone()).collect();
    state.center.events.publish(Event {
        company: auth.company,
        staff,
        roles: vec![],
        kind: "order_confirmed",
        data: serde_json::json!({
            "id": o.id, "order_no": o.order_no, "client": o.client, "client_name": o.client_name,
            "total": o.total, "lines": o.lines.len(), "delivery_date": o.delivery.date,
            "taken_by": auth.username,
        }),
    });
    Ok(names)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// shipped, delivered or cancelled.
    pub status: String,
    pub reason: Option<String>,
}

/// Move an order along: confirmed → shipped → delivered, or cancel a draft
/// or confirmed order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/status", tag = "orders", params(("id" = i64, Path)), request_body = StatusIn,
    responses((status = 200, body = OrderOut), (status = 409, body = crate::error::ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<StatusIn>,
) -> ApiResult<Json<OrderOut>> {
    let to = OrderStatus::parse(&body.status)
        .filter(|s| *s != OrderStatus::Draft && *s != OrderStatus::Confirmed)
        .ok_or_else(|| ApiError::invalid(format!("status {:?} is not shipped, delivered or cancelled", body.status)))?;
    let s = state.store.company(auth.company);
    let (o, c) = load(&state, &auth, &s, &id).await?;
    if !centrala_desk::order::may_move(auth.role, to, o.created_by == Some(auth.staff)) {
        return Err(ApiError::forbidden());
    }
    let from = o.summary.status;
    if !from.can_move_to(to)
        || !s.move_order(o.summary.id, from, to, &auth.username, body.reason.as_deref().unwrap_or("")).await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_transition",
            format!("an order that is {} cannot become {}", from.as_str(), to.as_str()),
        )
        .param("from", from.as_str())
        .param("to", to.as_str()));
    }
    s.audit(&auth.username, to.as_str(), "order", &o.summary.order_no, body.reason.as_deref().unwrap_or("")).await?;
    let o = s.order(o.summary.id).await?.ok_or_else(ApiError::internal)?;
    // Whoever heard of its confirmation hears where it went (OD-14).
    let staffing = state.center.caches.staffing(&s).await?;
    state.center.events.publish(Event {
        company: auth.company,
        staff: centrala_desk::order::confirmation_recipients(&c.client_type, c.manager, &staffing),
        roles: vec![],
        kind: "order_status",
        data: serde_json::json!({ "id": o.summary.id.0, "order_no": o.summary.order_no, "status": to.as_str() }),
    });
    Ok(Json(order_out(&s, o, &c).await?))
}
