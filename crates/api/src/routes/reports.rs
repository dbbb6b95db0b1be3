//! Reports: the order desk's figures per period and operator (OD-26).

use crate::routes::wrap_up::Naming;
use crate::ui::i18n::Tr;
use crate::{
    auth::{roles, Admins, Allowed, Auth},
    error::{ApiError, ApiJson, ApiQuery, ApiResult},
    AppState,
};
use axum::{
    extract::State,
    http::{header, HeaderName},
    response::{IntoResponse, Response},
    Json,
};
use centrala_center::reports::{Cut, Period};
use centrala_desk::intervals::{AgentSlot, QueueSlot};
use centrala_desk::report::{Interval, Row, MAX_DAYS};
use centrala_domain::{Money, StaffId};
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
    /// One team (a department's code): its members, and their total in the
    /// row without an operator.
    pub team: Option<String>,
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

/// The days asked for, checked: not inverted, at most `max` days.
fn days(from: &str, to: &str, max: i64) -> ApiResult<(NaiveDate, NaiveDate)> {
    let (from, to) = (day(from, "from")?, day(to, "to")?);
    if to < from {
        return Err(ApiError::invalid("the period ends before it starts").field("to"));
    }
    if (to - from).num_days() + 1 > max {
        return Err(ApiError::invalid(format!("at most {max} days")).field("to").param("limit", max));
    }
    Ok((from, to))
}

/// The period and interval asked for, checked: not inverted, at most
/// `MAX_DAYS`, an interval that exists.
fn period(from: &str, to: &str, interval: Option<&str>) -> ApiResult<(NaiveDate, NaiveDate, Interval)> {
    let (from, to) = days(from, to, MAX_DAYS)?;
    let interval = match interval {
        None => Interval::Day,
        Some(i) => Interval::parse(i)
            .ok_or_else(|| ApiError::invalid(format!("{i:?}: day, week or month")).field("interval"))?,
    };
    Ok((from, to, interval))
}

/// The cut and days of a queue or agent report, checked: the cut exists,
/// the period is not inverted and not longer than the cut allows.
fn cut_period(from: &str, to: &str, interval: Option<&str>) -> ApiResult<(NaiveDate, NaiveDate, Cut)> {
    let cut = match interval {
        None => Cut::Days(Interval::Day),
        Some(i) => Cut::parse(i)
            .ok_or_else(|| ApiError::invalid(format!("{i:?}: 15m, hour, day, week or month")).field("interval"))?,
    };
    let (from, to) = days(from, to, cut.max_days())?;
    Ok((from, to, cut))
}

/// The staff member a planner asked for by username (none: everyone);
/// anyone else gets themselves.
async fn agent_asked(state: &AppState, auth: &Auth, agent: Option<&str>) -> ApiResult<Option<StaffId>> {
    if !roles::PLANNERS.contains(&auth.role) {
        return Ok(Some(auth.staff));
    }
    match agent {
        None | Some("") => Ok(None),
        Some(u) => Ok(Some(
            state
                .store
                .company(auth.company)
                .staff_by_username(u)
                .await?
                .ok_or_else(|| ApiError::invalid(format!("no staff member {u:?}")).field("agent").param("username", u))?
                .id,
        )),
    }
}

/// A 422 unless the company has a queue of this name.
async fn known_queue(state: &AppState, s: &centrala_store::Scoped<'_>, name: &str) -> ApiResult<()> {
    let known = centrala_center::settings::company_queues(s, &state.center.problems).await?;
    if known.contains_key(name) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("no queue {name:?}")).field("queue").param("queue", name))
    }
}

/// Milliseconds as whole seconds, rounded.
pub(crate) fn secs(ms: i64) -> i64 {
    (ms + 500).div_euclid(1000)
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
/// and operator, then the company (or the team, with `team`); conversion, attach rate and offers per
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
    let staff = agent_asked(&state, &auth, q.agent.as_deref()).await?;
    let mut who: Option<Vec<StaffId>> = staff.map(|s| vec![s]);
    if let Some(code) = q.team.as_deref().filter(|t| !t.is_empty()) {
        let staffing = state.center.caches.staffing(&s).await?;
        let team = staffing
            .departments
            .iter()
            .find(|d| d.code == code)
            .ok_or_else(|| ApiError::invalid(format!("no team {code:?}")).field("team").param("team", code))?;
        let members: Vec<StaffId> =
            staffing.members.iter().filter(|m| m.department == Some(team.id)).map(|m| m.id).collect();
        who = Some(match who {
            Some(one) => one.into_iter().filter(|s| members.contains(s)).collect(),
            None => members,
        });
    }
    centrala_center::reports::fresh(&state.center, auth.company).await?;
    let out = order_rows(&state, auth.company, from, to, interval, who.as_deref()).await?;
    s.audit(&auth.username, "report", "orders", &format!("{from}..{to}"), q.agent.as_deref().unwrap_or("")).await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        orders_csv(&mut w, &out)?;
        return csv_response(w, &format!("orders-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

/// The order desk's figures as CSV: one line per row, offers by reason
/// in a column each.
pub(crate) fn orders_csv(w: &mut csv::Writer<Vec<u8>>, out: &[OrderFiguresOut]) -> ApiResult<()> {
    let ratio = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let reasons = centrala_desk::offers::Reason::ALL.map(|r| r.as_str());
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
    for r in out {
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
    Ok(())
}

/// The order desk's figures of `from` to `to` as the wire has them.
pub(crate) async fn order_rows(
    state: &AppState,
    company: centrala_domain::CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
    staff: Option<&[StaffId]>,
) -> ApiResult<Vec<OrderFiguresOut>> {
    let rows = centrala_center::reports::order_desk(&state.center, company, from, to, interval, staff).await?;
    let people = state.store.company(company).staff_list().await?;
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
    Ok(out)
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
    /// Only the calls that waited in this queue (`operators` or a named
    /// one).
    pub queue: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// How often one request came in, in one period.
#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    /// The period's first day.
    pub period: NaiveDate,
    /// `intent` (what the caller chose in the menu), `wrap_up` (the
    /// operator's code for the call) or `category` (the request category
    /// of that code, `GET /api/v1/wrap-up-codes`).
    pub kind: String,
    pub code: String,
    /// The code's name in the reader's language.
    pub name: String,
    pub count: u64,
    /// Per client type (`unknown`: callers who are no client).
    pub by_client_type: BTreeMap<String, u64>,
    /// Per queue the calls waited in (`menu`: they left in the menu).
    pub by_queue: BTreeMap<String, u64>,
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
    let s = state.store.company(auth.company);
    let queue = q.queue.as_deref().filter(|q| !q.is_empty());
    if let Some(name) = queue {
        known_queue(&state, &s, name).await?;
    }
    centrala_center::reports::fresh(&state.center, auth.company).await?;
    let rows = centrala_center::reports::requests(&state.center, auth.company, from, to, interval, queue).await?;
    let (naming, tr) = (Naming::of(&s).await?, Tr::new(&auth.locale));
    let out: Vec<RequestOut> = rows
        .into_iter()
        .map(|r| RequestOut {
            period: r.period,
            kind: r.kind.to_owned(),
            name: match r.kind {
                "wrap_up" => naming.code(&r.code, tr),
                "category" => naming.category(&r.code, tr),
                _ => tr.t(&format!("intent-{}", r.code)),
            },
            code: r.code,
            count: r.count,
            by_client_type: r
                .by_client_type
                .into_iter()
                .map(|(t, n)| (t.unwrap_or_else(|| "unknown".to_owned()), n))
                .collect(),
            by_queue: r.by_queue.into_iter().map(|(q, n)| (q.unwrap_or_else(|| "menu".to_owned()), n)).collect(),
        })
        .collect();
    state.store.company(auth.company).audit(&auth.username, "report", "requests", &format!("{from}..{to}"), "").await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["period", "kind", "code", "name", "count"]).map_err(|_| ApiError::internal())?;
        for r in &out {
            w.write_record([r.period.to_string(), r.kind.clone(), r.code.clone(), r.name.clone(), r.count.to_string()])
                .map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("requests-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    /// The first local day (YYYY-MM-DD) the cases were raised.
    pub from: String,
    /// The last local day, included.
    pub to: String,
    /// `day` (default), `week`, `month`, or `span` (the whole period as
    /// one row per category).
    pub interval: Option<String>,
    /// Only the cases of this department (its code).
    pub department: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The cases raised in one period, of one category or all together, and
/// how they stand now.
#[derive(Serialize, ToSchema)]
pub struct CaseFiguresOut {
    /// The period's first day.
    pub period: NaiveDate,
    /// `comment`, `wish`, `complaint`, `claim`; `null`: all together.
    pub category: Option<String>,
    /// The category's name (or "all") in the reader's language.
    pub name: String,
    pub raised: u64,
    /// Resolved or closed by now.
    pub resolved: u64,
    /// Of those, by their due time.
    pub resolved_in_time: u64,
    /// `resolved_in_time / resolved` (`null`: none resolved).
    pub in_time: Option<f64>,
    /// Still open or in progress.
    pub open: u64,
    /// Of those, past their due time now.
    pub overdue: u64,
    /// Hours from raised to resolved.
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    /// Raised per department's code (`none`: no department).
    pub by_department: BTreeMap<String, u64>,
    /// Raised per client type (`none`: raised for no client).
    pub by_client_type: BTreeMap<String, u64>,
}

/// Case statistics (OD-20, CC-15): the comments, wishes, complaints and
/// claims raised per period and category — how many, how many resolved and
/// in time, still open and overdue now, the hours to resolve them (mean and
/// median), per department and client type. Planners; audited.
#[utoipa::path(get, path = "/api/v1/reports/cases", tag = "reports", params(CasesQuery),
    responses((status = 200, body = [CaseFiguresOut]), (status = 200, content_type = "text/csv"),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Response> {
    auth.require(roles::PLANNERS)?;
    let whole = q.interval.as_deref() == Some("span");
    let (from, to, interval) = period(&q.from, &q.to, q.interval.as_deref().filter(|_| !whole))?;
    let s = state.store.company(auth.company);
    let departments: BTreeMap<i64, String> = s.departments().await?.into_iter().map(|d| (d.id.0, d.code)).collect();
    let department = match q.department.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(code) => Some(departments.iter().find(|(_, c)| *c == code).map(|(id, _)| *id).ok_or_else(|| {
            ApiError::invalid(format!("no department {code:?}")).field("department").param("value", code.to_owned())
        })?),
    };
    let rows = centrala_center::reports::cases(
        &state.center,
        auth.company,
        from,
        to,
        (!whole).then_some(interval),
        department,
    )
    .await?;
    let tr = Tr::new(&auth.locale);
    let out: Vec<CaseFiguresOut> = rows
        .into_iter()
        .map(|r| CaseFiguresOut {
            period: r.period,
            category: r.category.map(|c| c.as_str().to_owned()),
            name: r.category.map_or_else(|| tr.t("rp-cases-all"), |c| tr.t(&format!("case-category-{}", c.as_str()))),
            in_time: r.in_time(),
            raised: r.raised,
            resolved: r.resolved,
            resolved_in_time: r.resolved_in_time,
            open: r.open,
            overdue: r.overdue,
            mean_hours: r.mean_hours,
            median_hours: r.median_hours,
            by_department: r
                .by_department
                .into_iter()
                .map(|(d, n)| (d.and_then(|d| departments.get(&d).cloned()).unwrap_or_else(|| "none".to_owned()), n))
                .collect(),
            by_client_type: r
                .by_client_type
                .into_iter()
                .map(|(t, n)| (t.unwrap_or_else(|| "none".to_owned()), n))
                .collect(),
        })
        .collect();
    s.audit(&auth.username, "report", "cases", &format!("{from}..{to}"), "").await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "period",
            "category",
            "name",
            "raised",
            "resolved",
            "resolved_in_time",
            "open",
            "overdue",
            "mean_hours",
            "median_hours",
        ])
        .map_err(|_| ApiError::internal())?;
        let hours = |h: Option<f64>| h.map_or_else(String::new, |h| format!("{h:.1}"));
        for r in &out {
            w.write_record([
                r.period.to_string(),
                r.category.clone().unwrap_or_default(),
                r.name.clone(),
                r.raised.to_string(),
                r.resolved.to_string(),
                r.resolved_in_time.to_string(),
                r.open.to_string(),
                r.overdue.to_string(),
                hours(r.mean_hours),
                hours(r.median_hours),
            ])
            .map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("cases-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueuesQuery {
    /// The first local day (YYYY-MM-DD).
    pub from: String,
    /// The last local day, included.
    pub to: String,
    /// `15m` (at most 7 days), `hour` (at most 31), `day` (default),
    /// `week` (Monday to Sunday) or `month` (at most 366 days).
    pub interval: Option<String>,
    /// One queue (`operators` or a named one).
    pub queue: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One period of one queue, or of every queue together (`queue` null).
/// Contacts count in the period they entered the queue; durations are in
/// seconds.
#[derive(Serialize, ToSchema)]
pub struct QueueFiguresOut {
    /// The period's start: a local time with its offset for `15m` and
    /// `hour`, else the first local day.
    pub period: String,
    pub queue: Option<String>,
    pub offered: i64,
    pub answered: i64,
    /// Answered within the queue's service-level threshold (at it counts).
    pub answered_within: i64,
    pub abandoned: i64,
    /// Abandoned after the threshold (they count against the service level).
    pub abandoned_after: i64,
    /// Answered within ÷ (answered + abandoned after the threshold).
    pub service_level: Option<f64>,
    /// Abandoned ÷ (answered + abandoned).
    pub abandon_rate: Option<f64>,
    /// Average speed of answer.
    pub asa: Option<i64>,
    /// How long the abandoned waited, on average.
    pub average_abandon_wait: Option<i64>,
    pub longest_wait: i64,
    pub average_talk: Option<i64>,
    pub average_wrap_up: Option<i64>,
    /// Average handle time (talk and wrap-up).
    pub average_handle: Option<i64>,
    pub transfers: i64,
    pub callbacks_requested: i64,
    /// Callbacks that reached the client, and tries that did not.
    pub callbacks_made: i64,
    pub callbacks_unreached: i64,
    /// Left the queue after its longest wait.
    pub overflowed: i64,
}

pub(crate) fn queue_out(p: Period, r: &QueueSlot) -> QueueFiguresOut {
    let avg = r.averages_ms();
    QueueFiguresOut {
        period: p.label,
        queue: (!r.queue.is_empty()).then(|| r.queue.clone()),
        offered: r.offered,
        answered: r.answered,
        answered_within: r.answered_within,
        abandoned: r.abandoned,
        abandoned_after: r.abandoned_after,
        service_level: r.service_level(),
        abandon_rate: r.abandon_rate(),
        asa: r.asa_ms().map(secs),
        average_abandon_wait: (r.abandoned > 0).then(|| secs(r.abandon_wait_ms / r.abandoned)),
        longest_wait: secs(r.longest_wait_ms),
        average_talk: avg.map(|a| secs(a.0)),
        average_wrap_up: avg.map(|a| secs(a.1)),
        average_handle: avg.map(|a| secs(a.2)),
        transfers: r.transfers,
        callbacks_requested: r.callbacks_requested,
        callbacks_made: r.callbacks_made,
        callbacks_unreached: r.callbacks_unreached,
        overflowed: r.overflowed,
    }
}

/// The queues' interval statistics (CC-12, OD-23): per period and queue,
/// then every queue together — offered, answered, abandoned, service level,
/// ASA, talk, wrap-up and handle time, longest wait, transfers, callbacks,
/// overflow. Kept per 15 minutes and summed; planners only. JSON, or CSV
/// with `?format=csv`.
#[utoipa::path(get, path = "/api/v1/reports/queues", tag = "reports", params(QueuesQuery),
    responses((status = 200, body = [QueueFiguresOut]), (status = 200, content_type = "text/csv"),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn queues(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<QueuesQuery>,
) -> ApiResult<Response> {
    auth.require(roles::PLANNERS)?;
    let (from, to, cut) = cut_period(&q.from, &q.to, q.interval.as_deref())?;
    let queue = q.queue.as_deref().filter(|q| !q.is_empty());
    if let Some(name) = queue {
        known_queue(&state, &state.store.company(auth.company), name).await?;
    }
    centrala_center::reports::fresh(&state.center, auth.company).await?;
    let rows = centrala_center::reports::queues(&state.center, auth.company, from, to, cut, queue).await?;
    let out: Vec<QueueFiguresOut> = rows.into_iter().map(|(p, r)| queue_out(p, &r)).collect();
    state.store.company(auth.company).audit(&auth.username, "report", "queues", &format!("{from}..{to}"), "").await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        for r in &out {
            w.serialize(r).map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("queues-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AgentsQuery {
    /// The first local day (YYYY-MM-DD).
    pub from: String,
    /// The last local day, included.
    pub to: String,
    /// `15m` (at most 7 days), `hour` (at most 31), `day` (default),
    /// `week` (Monday to Sunday) or `month` (at most 366 days).
    pub interval: Option<String>,
    /// One agent (username); anyone but a planner always gets their own.
    pub agent: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One period of one agent. Durations in seconds.
#[derive(Serialize, ToSchema)]
pub struct AgentFiguresOut {
    /// The period's start: a local time with its offset for `15m` and
    /// `hour`, else the first local day.
    pub period: String,
    pub agent: String,
    /// Offers that rang their phone, and of those the missed.
    pub offered: i64,
    pub missed: i64,
    /// Callers answered.
    pub answered: i64,
    /// Calls placed (campaigns, callbacks, click-to-call) that were talked.
    pub outbound: i64,
    pub average_talk: Option<i64>,
    pub average_wrap_up: Option<i64>,
    pub average_handle: Option<i64>,
    pub transfers: i64,
    /// Time in each state.
    pub ready: i64,
    pub ringing: i64,
    pub talking: i64,
    pub wrap_up: i64,
    pub not_ready: i64,
    pub offline: i64,
    /// Not ready, by reason.
    pub not_ready_by_reason: BTreeMap<String, i64>,
    /// Talking and wrapping up of the time ready, ringing, talking and
    /// wrapping up.
    pub occupancy: Option<f64>,
}

fn agent_out(p: Period, name: String, r: &AgentSlot) -> AgentFiguresOut {
    let handled = r.answered + r.outbound;
    let avg = |ms: i64| (handled > 0).then(|| secs(ms / handled));
    AgentFiguresOut {
        period: p.label,
        agent: name,
        offered: r.offered,
        missed: r.missed,
        answered: r.answered,
        outbound: r.outbound,
        average_talk: avg(r.talk_ms),
        average_wrap_up: avg(r.wrap_ms),
        average_handle: avg(r.talk_ms + r.wrap_ms),
        transfers: r.transfers,
        ready: secs(r.ready_ms),
        ringing: secs(r.ringing_ms),
        talking: secs(r.talking_ms),
        wrap_up: secs(r.wrap_up_ms),
        not_ready: secs(r.not_ready_ms),
        offline: secs(r.offline_ms),
        not_ready_by_reason: r.not_ready.iter().map(|(k, v)| (k.clone(), secs(*v))).collect(),
        occupancy: r.occupancy(),
    }
}

/// The agents' interval statistics (CC-12, CC-13): per period and agent —
/// offers and misses, calls answered and placed, average talk, wrap-up and
/// handle time, transfers, time in each state (not ready by reason) and
/// occupancy. Planners see everyone; anyone else only themselves. JSON, or
/// CSV with `?format=csv` (one column per reason not ready).
#[utoipa::path(get, path = "/api/v1/reports/agents", tag = "reports", params(AgentsQuery),
    responses((status = 200, body = [AgentFiguresOut]), (status = 200, content_type = "text/csv"),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn agents(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AgentsQuery>,
) -> ApiResult<Response> {
    let (from, to, cut) = cut_period(&q.from, &q.to, q.interval.as_deref())?;
    let staff = agent_asked(&state, &auth, q.agent.as_deref()).await?;
    centrala_center::reports::fresh(&state.center, auth.company).await?;
    let rows = centrala_center::reports::agents(&state.center, auth.company, from, to, cut, staff).await?;
    let s = state.store.company(auth.company);
    let people = s.staff_list().await?;
    let name = |id: i64| people.iter().find(|m| m.id.0 == id).map_or_else(|| id.to_string(), |m| m.username.clone());
    let out: Vec<AgentFiguresOut> = rows.into_iter().map(|(p, r)| agent_out(p, name(r.staff), &r)).collect();
    s.audit(&auth.username, "report", "agents", &format!("{from}..{to}"), q.agent.as_deref().unwrap_or("")).await?;
    if q.format.as_deref() == Some("csv") {
        let reasons: std::collections::BTreeSet<&String> =
            out.iter().flat_map(|r| r.not_ready_by_reason.keys()).collect();
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<String> = [
            "period",
            "agent",
            "offered",
            "missed",
            "answered",
            "outbound",
            "average_talk",
            "average_wrap_up",
            "average_handle",
            "transfers",
            "ready",
            "ringing",
            "talking",
            "wrap_up",
            "not_ready",
            "offline",
            "occupancy",
        ]
        .map(str::to_owned)
        .to_vec();
        head.extend(reasons.iter().map(|r| format!("not_ready:{r}")));
        w.write_record(&head).map_err(|_| ApiError::internal())?;
        for r in &out {
            let mut rec = vec![
                r.period.clone(),
                r.agent.clone(),
                r.offered.to_string(),
                r.missed.to_string(),
                r.answered.to_string(),
                r.outbound.to_string(),
                opt(r.average_talk),
                opt(r.average_wrap_up),
                opt(r.average_handle),
                r.transfers.to_string(),
                r.ready.to_string(),
                r.ringing.to_string(),
                r.talking.to_string(),
                r.wrap_up.to_string(),
                r.not_ready.to_string(),
                r.offline.to_string(),
                r.occupancy.map(|x| format!("{x:.4}")).unwrap_or_default(),
            ];
            rec.extend(reasons.iter().map(|k| r.not_ready_by_reason.get(*k).copied().unwrap_or(0).to_string()));
            w.write_record(&rec).map_err(|_| ApiError::internal())?;
        }
        return csv_response(w, &format!("agents-{from}-{to}.csv"));
    }
    Ok(Json(out).into_response())
}

/// A span of local days to rebuild.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebuildIn {
    /// The first local day (YYYY-MM-DD).
    pub from: String,
    /// The last local day, included (at most 366 days).
    pub to: String,
}

/// What a rebuild wrote.
#[derive(Serialize, ToSchema)]
pub struct RebuildOut {
    pub queue_intervals: usize,
    pub agent_intervals: usize,
    /// Local days of the order desk's figures and requests kept.
    pub days: usize,
}

/// Rebuilds the 15-minute statistics, the order desk's figures and the
/// requests of these local days from the stored calls, agent states,
/// orders and offers (after history was imported, or a queue's
/// service-level threshold changed). Admins only. The same as `centrala
/// reports rebuild`.
#[utoipa::path(post, path = "/api/v1/reports/rebuild", tag = "reports", request_body = RebuildIn,
    responses((status = 200, body = RebuildOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn rebuild(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<RebuildIn>,
) -> ApiResult<Json<RebuildOut>> {
    let (from, to) = days(&body.from, &body.to, MAX_DAYS)?;
    let done = centrala_center::reports::rebuild(&state.center, auth.company, from, to).await?;
    state.store.company(auth.company).audit(&auth.username, "rebuild", "reports", &format!("{from}..{to}"), "").await?;
    Ok(Json(RebuildOut { queue_intervals: done.queue_rows, agent_intervals: done.agent_rows, days: done.days }))
}
