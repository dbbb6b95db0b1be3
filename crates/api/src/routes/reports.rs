//! Reports: the order desk's figures per period and operator (OD-26).

use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiQuery, ApiResult},
    AppState,
};
use axum::{
    extract::State,
    http::{header, HeaderName},
    response::{IntoResponse, Response},
    Json,
};
use centrala_desk::report::{Interval, Row, MAX_DAYS};
use centrala_domain::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// The first local day (YYYY-MM-DD).
    pub from: String,
    /// The last local day, included.
    pub to: String,
    /// `day` (default), `week` (Monday to Sunday) or `month`.
    pub interval: Option<String>,
    /// One operator (username); operators always get their own.
    pub agent: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One period's figures of one operator, or of the company (`agent` null).
#[derive(Serialize, ToSchema)]
pub struct OrderFiguresOut {
    /// The period's first day.
    pub period: NaiveDate,
    pub agent: Option<String>,
    pub calls: u64,
    pub order_calls: u64,
    /// Order calls that ended in an order (the same operator, the same
    /// client, confirmed from the answer to 30 minutes after the end).
    pub converted: u64,
    pub conversion: Option<f64>,
    /// Orders taken (confirmed) and their value and lines.
    pub orders: u64,
    pub value: String,
    pub lines: i64,
    pub offers: u64,
    pub accepted: u64,
    /// Accepted of offered.
    pub attach_rate: Option<f64>,
    pub offers_per_order: Option<f64>,
    /// new, special, traditional, usual, complementary.
    pub offers_by_reason: BTreeMap<String, u64>,
    /// Orders the debt gate refused.
    pub debt_stops: u64,
    /// Orders cancelled after they were confirmed.
    pub cancelled: u64,
    /// Dormant clients called in a reactivation campaign who ordered
    /// within 30 days after the call.
    pub reactivated: u64,
}

fn day(raw: &str, field: &'static str) -> ApiResult<NaiveDate> {
    raw.trim().parse().map_err(|_| ApiError::invalid(format!("{raw:?}: YYYY-MM-DD")).field(field))
}

/// The period and interval asked for, checked: not inverted, at most
/// `MAX_DAYS`, an interval that exists.
fn period(from: &str, to: &str, interval: Option<&str>) -> ApiResult<(NaiveDate, NaiveDate, Interval)> {
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if to < from {
        return Err(ApiError::invalid("the period ends before it starts").field("to"));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(ApiError::invalid(format!("at most {MAX_DAYS} days")).field("to").param("limit", MAX_DAYS));
    }
    let interval = match interval {
        None => Interval::Day,
        Some(i) => Interval::parse(i)
            .ok_or_else(|| ApiError::invalid(format!("{i:?}: day, week or month")).field("interval"))?,
    };
    Ok((from, to, interval))
}

fn csv_response(w: csv::Writer<Vec<u8>>, name: &str) -> ApiResult<Response> {
    let body = w.into_inner().map_err(|_| ApiError::internal())?;
    let headers: [(HeaderName, String); 2] = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".into()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
    ];
    Ok((headers, body).into_response())
}

/// The order desk's figures (OD-26): per period (`day`, `week`, `month`)
/// and operator, then the company; conversion, attach rate and offers per
/// order by reason, orders stopped by the debt gate, orders cancelled after
/// confirmation. At most 366 days. Planners see everyone, operators only
/// themselves. JSON, or CSV with `?format=csv`.
#[utoipa::path(get, path = "/api/v1/reports/orders", tag = "reports", params(OrdersQuery),
    responses((status = 200, body = [OrderFiguresOut]), (status = 200, content_type = "text/csv"),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn orders(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> ApiResult<Response> {
    auth.require(roles::ORDER_TAKERS)?;
    let (from, to, interval) = period(&q.from, &q.to, q.interval.as_deref())?;
    let s = state.store.company(auth.company);
    let staff = if !roles::PLANNERS.contains(&auth.role) {
        Some(auth.staff)
    } else {
        match q.agent.as_deref() {
            None | Some("") => None,
            Some(u) => Some(
                s.staff_by_username(u)
                    .await?
                    .ok_or_else(|| {
                        ApiError::invalid(format!("no staff member {u:?}")).field("agent").param("username", u)
                    })?
                    .id,
            ),
        }
    };
    let rows = centrala_center::reports::order_desk(&state.center, auth.company, from, to, interval, staff).await?;
    let people = s.staff_list().await?;
    let name = |r: &Row| r.staff.and_then(|id| people.iter().find(|m| m.id.0 == id)).map(|m| m.username.clone());
    let out: Vec<OrderFiguresOut> = rows
        .iter()
        .map(|r| OrderFiguresOut {
            period: r.period,
            agent: name(r),
            calls: r.calls,
            order_calls: r.order_calls,
            converted: r.converted,
            conversion: r.conversion(),
            orders: r.orders,
            value: Money(r.value_cents).to_string(),
            lines: r.lines,
            offers: r.offers,
            accepted: r.accepted,
            attach_rate: r.attach_rate(),
            offers_per_order: r.offers_per_order(),
            offers_by_reason: r.offers_by_reason.clone(),
            debt_stops: r.debt_stops,
            cancelled: r.cancelled,
            reactivated: r.reactivated,
        })
        .collect();
    s.audit(&auth.username, "report", "orders", &format!("{from}..{to}"), q.agent.as_deref().unwrap_or("")).await?;
    if q.format.as_deref() == Some("csv") {
        let ratio = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
        let reasons = centrala_desk::offers::Reason::ALL.map(|r| r.as_str());
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head = vec![
            "period",
            "agent",
            "calls",
            "order_calls",
            "converted",
            "conversion",
            "orders",
            "value",
            "lines",
            "offers",
            "accepted",
            "attach_rate",
            "offers_per_order",
            "debt_stops",
            "cancelled",
            "reactivated",
        ];
        head.extend(reasons.iter().copied());
        w.write_record(&head).map_err(|_| ApiError::internal())?;
        for r in &out {
            let mut rec = vec![
                r.period.to_string(),
                r.agent.clone().unwrap_or_default(),
                r.calls.to_string(),
                r.order_calls.to_string(),
                r.converted.to_string(),
                ratio(r.conversion),
                r.orders.to_string(),
                r.value.clone(),
                r.lines.to_string(),
                r.offers.to_string(),
                r.accepted.to_string(),
                ratio(r.attach_rate),
                ratio(r.offers_per_order),
                r.debt_stops.to_string(),
                r.cancelled.to_string(),
                r.reactivated.to_string(),
            ];
            rec.extend(reasons.iter().map(|k| r.offers_by_reason.get(*k).copied().unwrap_or(0).to_string()));
            w.write_record(&rec).map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("orders-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// The first local day (YYYY-MM-DD).
    pub from: String,
    /// The last local day, included.
    pub to: String,
    /// `day` (default), `week` (Monday to Sunday) or `month`.
    pub interval: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// How often one request came in, in one period.
#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    /// The period's first day.
    pub period: NaiveDate,
    /// `intent` (what the caller chose in the menu) or `wrap_up` (the
    /// operator's code for the call).
    pub kind: String,
    pub code: String,
    pub count: u64,
    /// Per client type (`unknown`: callers who are no client).
    pub by_client_type: BTreeMap<String, u64>,
}

/// Frequent requests (CC-8): the calls that came in per period, by the
/// menu's intent and by the operator's wrap-up code, the most frequent
/// first, each per client type. For the sales and marketing heads.
#[utoipa::path(get, path = "/api/v1/reports/requests", tag = "reports", params(RequestsQuery),
    responses((status = 200, body = [RequestOut]), (status = 200, content_type = "text/csv"),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn requests(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> ApiResult<Response> {
    auth.require(roles::PLANNERS)?;
    let (from, to, interval) = period(&q.from, &q.to, q.interval.as_deref())?;
    let rows = centrala_center::reports::requests(&state.center, auth.company, from, to, interval).await?;
    let out: Vec<RequestOut> = rows
        .into_iter()
        .map(|r| RequestOut {
            period: r.period,
            kind: r.kind.to_owned(),
            code: r.code,
            count: r.count,
            by_client_type: r
                .by_client_type
                .into_iter()
                .map(|(t, n)| (t.unwrap_or_else(|| "unknown".to_owned()), n))
                .collect(),
        })
        .collect();
    state.store.company(auth.company).audit(&auth.username, "report", "requests", &format!("{from}..{to}"), "").await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["period", "kind", "code", "count"]).map_err(|_| ApiError::internal())?;
        for r in &out {
            w.write_record([r.period.to_string(), r.kind.clone(), r.code.clone(), r.count.to_string()])
                .map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("requests-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}
