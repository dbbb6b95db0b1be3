//! What the reports read: the facts of a period, as stored, and the days
//! kept from them (`desk_days`, `request_days`). The figures are
//! `centrala_desk::report`'s; this file reads and writes rows.

use crate::{Result, Scoped};
use centrala_desk::report::{RequestFact, Row};
use centrala_domain::{ClientId, StaffId};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};

/// A call an operator answered (instants RFC 3339 UTC, as stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCall {
    pub staff: StaffId,
    pub intent: String,
    pub client: Option<ClientId>,
    pub answered_at: String,
    pub ended_at: Option<String>,
}

/// An order confirmed by whoever took it, with when it was confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOrder {
    pub staff: StaffId,
    pub client: ClientId,
    pub confirmed_at: String,
    pub total_cents: i64,
    pub lines: i64,
    pub status: String,
}

/// An item offered, and the client's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOffer {
    pub staff: StaffId,
    pub reason: String,
    pub answer: String,
    pub at: String,
}

/// The order desk's facts of a period: from `from` (included) to `until`
/// (excluded), both instants RFC 3339 UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderDeskFacts {
    pub calls: Vec<RawCall>,
    pub orders: Vec<RawOrder>,
    pub offers: Vec<RawOffer>,
    /// Orders refused by the debt gate: who (username), when.
    pub debt_stops: Vec<(String, String)>,
}

#[derive(sqlx::FromRow)]
struct CallRow {
    handled_by: i64,
    intent: String,
    client_id: Option<i64>,
    answered_at: String,
    ended_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    created_by: i64,
    client_id: i64,
    confirmed_at: String,
    total: i64,
    lines: i64,
    status: String,
}

/// A call that came in: when, why (the menu's intent), the wrap-up code,
/// its client's type (none: not a client) and the queue it waited in
/// (none: it left in the menu).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RawRequest {
    pub arrived_at: String,
    pub intent: String,
    pub wrap_up: String,
    pub client_type: Option<String>,
    pub queue: Option<String>,
}

impl Scoped<'_> {
    /// The calls that came in from `from` (included) to `until`
    /// (excluded), RFC 3339 UTC.
    pub async fn request_facts(&self, from: &str, until: &str) -> Result<Vec<RawRequest>> {
        Ok(sqlx::query_as(
            "SELECT i.arrived_at, i.intent, i.wrap_up, c.client_type,
             CASE WHEN i.routing_rule = '' THEN NULL ELSE COALESCE((SELECT e.detail FROM interaction_events e
                 WHERE e.company_id = i.company_id AND e.interaction_id = i.id AND e.kind IN ('queued', 'overflowed')
                 AND e.detail <> '' ORDER BY e.id LIMIT 1), 'operators') END AS queue
             FROM interactions i
             LEFT JOIN clients c ON c.company_id = i.company_id AND c.id = i.client_id
             WHERE i.company_id = $1 AND i.direction = 'inbound' AND i.arrived_at >= $2 AND i.arrived_at < $3
             ORDER BY i.arrived_at, i.id",
        )
        .bind(self.company_id().0)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?)
    }

    /// Dormant clients called in a reactivation campaign from `from`
    /// (included) to `until` (excluded): who called, whom, when (the
    /// target's last call).
    pub async fn reactivation_calls(&self, from: &str, until: &str) -> Result<Vec<(StaffId, ClientId, String)>> {
        let company = self.company_id().0;
        let reactivation_calls: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT t.last_staff_id, t.client_id, t.last_at FROM campaign_targets t
             JOIN campaigns c ON c.company_id = t.company_id AND c.id = t.campaign_id
             WHERE t.company_id = $1 AND c.kind = 'reactivation' AND t.attempts > 0 AND t.last_staff_id IS NOT NULL
             AND t.last_at >= $2 AND t.last_at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        Ok(reactivation_calls.into_iter().map(|(staff, client, at)| (StaffId(staff), ClientId(client), at)).collect())
    }

    pub async fn order_desk_facts(&self, from: &str, until: &str) -> Result<OrderDeskFacts> {
        let company = self.company_id().0;
        let calls: Vec<CallRow> = sqlx::query_as(
            "SELECT handled_by, intent, client_id, answered_at, ended_at FROM interactions
             WHERE company_id = $1 AND handled_by IS NOT NULL AND answered_at >= $2 AND answered_at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        let orders: Vec<OrderRow> = sqlx::query_as(
            "SELECT o.created_by, o.client_id, e.at AS confirmed_at, o.total,
             (SELECT COUNT(*) FROM order_lines l WHERE l.company_id = o.company_id AND l.order_id = o.id) AS lines, o.status
             FROM orders o JOIN order_events e ON e.company_id = o.company_id AND e.order_id = o.id AND e.kind = 'confirmed'
             WHERE o.company_id = $1 AND o.created_by IS NOT NULL AND e.at >= $2 AND e.at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        let offers: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT staff_id, reason, answer, at FROM order_offers WHERE company_id = $1 AND at >= $2 AND at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        let debt_stops: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor, at FROM audit_log WHERE company_id = $1 AND action = 'refused' AND entity = 'order'
             AND detail = 'debt_blocked' AND at >= $2 AND at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        Ok(OrderDeskFacts {
            calls: calls
                .into_iter()
                .map(|r| RawCall {
                    staff: StaffId(r.handled_by),
                    intent: r.intent,
                    client: r.client_id.map(ClientId),
                    answered_at: r.answered_at,
                    ended_at: r.ended_at,
                })
                .collect(),
            orders: orders
                .into_iter()
                .map(|r| RawOrder {
                    staff: StaffId(r.created_by),
                    client: ClientId(r.client_id),
                    confirmed_at: r.confirmed_at,
                    total_cents: r.total,
                    lines: r.lines,
                    status: r.status,
                })
                .collect(),
            offers: offers
                .into_iter()
                .map(|(staff, reason, answer, at)| RawOffer { staff: StaffId(staff), reason, answer, at })
                .collect(),
            debt_stops,
        })
    }
}

/// A confirmed order of the past, as a bulk writer takes it (the
/// benchmarks' history): who took it for whom, when it was confirmed, its
/// lines (product, whole units, unit price in cents) and the offers made
/// (product, reason, answer).
#[derive(Debug, Clone)]
pub struct PastOrder {
    pub order_no: String,
    pub client: centrala_domain::ClientId,
    pub staff: centrala_domain::StaffId,
    pub confirmed: chrono::DateTime<chrono::Utc>,
    pub lines: Vec<(i64, i64, i64)>,
    pub offers: Vec<(i64, String, String)>,
}

impl Scoped<'_> {
    /// Writes confirmed orders of the past with their lines, offers and
    /// confirmation, all or none (one transaction).
    pub async fn record_past_orders(&self, orders: &[PastOrder]) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        for o in orders {
            let at = crate::intervals::stamp(o.confirmed);
            let total: i64 = o.lines.iter().map(|(_, q, p)| q * p).sum();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO orders (company_id, order_no, client_id, order_date, status, total, created_by, created_at)
                 VALUES ($1, $2, $3, $4, 'confirmed', $5, $6, $7) RETURNING id",
            )
            .bind(company)
            .bind(&o.order_no)
            .bind(o.client.0)
            .bind(o.confirmed.date_naive().to_string())
            .bind(total)
            .bind(o.staff.0)
            .bind(&at)
            .fetch_one(&mut *tx)
            .await?;
            for (n, (product, qty, price)) in o.lines.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO order_lines (company_id, order_id, line_no, product_id, quantity, unit_price)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(company)
                .bind(id)
                .bind(n as i64 + 1)
                .bind(product)
                .bind(qty.saturating_mul(1000))
                .bind(price)
                .execute(&mut *tx)
                .await?;
            }
            for (product, reason, answer) in &o.offers {
                sqlx::query(
                    "INSERT INTO order_offers (company_id, order_id, product_id, reason, answer, staff_id, at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(company)
                .bind(id)
                .bind(product)
                .bind(reason)
                .bind(answer)
                .bind(o.staff.0)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO order_events (company_id, order_id, actor, kind, detail, at) VALUES ($1, $2, '', 'confirmed', '', $3)",
            )
            .bind(company)
            .bind(id)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// How far before its mark a round looks again: a change stamped just
/// before the mark may commit just after the round read.
const MARK_OVERLAP: chrono::Duration = chrono::Duration::seconds(10);

/// '' stored for none.
fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

impl Scoped<'_> {
    /// The instants whose local day's order-desk figures or requests may
    /// have changed from `since` (a little before, see `MARK_OVERLAP`) to
    /// `until`: the calls that arrived, were answered, ended or wrapped
    /// up; the orders confirmed, changed or cancelled (with the calls of
    /// the same operator and client that such an order may convert); the
    /// offers made; the orders the debt gate refused.
    pub async fn desk_changes(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        let company = self.company_id().0;
        let (a, b) = (crate::intervals::stamp(since - MARK_OVERLAP), crate::intervals::stamp(until));
        let calls: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT arrived_at, answered_at FROM interactions WHERE company_id = $1 AND (
             (arrived_at > $2 AND arrived_at <= $3) OR (answered_at > $2 AND answered_at <= $3)
             OR (ended_at > $2 AND ended_at <= $3) OR (wrapped_at > $2 AND wrapped_at <= $3))",
        )
        .bind(company)
        .bind(&a)
        .bind(&b)
        .fetch_all(self.reads())
        .await?;
        let orders: Vec<(String,)> = sqlx::query_as(
            "SELECT c.at FROM order_events e
             JOIN order_events c ON c.company_id = e.company_id AND c.order_id = e.order_id AND c.kind = 'confirmed'
             WHERE e.company_id = $1 AND e.at > $2 AND e.at <= $3",
        )
        .bind(company)
        .bind(&a)
        .bind(&b)
        .fetch_all(self.reads())
        .await?;
        // An order confirmed now converts a call answered up to a day
        // before (a call across midnight keeps its first day).
        let converted: Vec<(String,)> = sqlx::query_as(
            "SELECT i.answered_at FROM order_events e
             JOIN orders o ON o.company_id = e.company_id AND o.id = e.order_id
             JOIN interactions i ON i.company_id = o.company_id AND i.client_id = o.client_id AND i.handled_by = o.created_by
             WHERE e.company_id = $1 AND e.kind = 'confirmed' AND e.at > $2 AND e.at <= $3
             AND i.answered_at >= $4 AND i.answered_at <= $3",
        )
        .bind(company)
        .bind(&a)
        .bind(&b)
        .bind(crate::intervals::stamp(since - MARK_OVERLAP - chrono::Duration::days(1)))
        .fetch_all(self.reads())
        .await?;
        let offers: Vec<(String,)> =
            sqlx::query_as("SELECT at FROM order_offers WHERE company_id = $1 AND at > $2 AND at <= $3")
                .bind(company)
                .bind(&a)
                .bind(&b)
                .fetch_all(self.reads())
                .await?;
        let stops: Vec<(String,)> = sqlx::query_as(
            "SELECT at FROM audit_log WHERE company_id = $1 AND at > $2 AND at <= $3
             AND action = 'refused' AND entity = 'order'",
        )
        .bind(company)
        .bind(&a)
        .bind(&b)
        .fetch_all(self.reads())
        .await?;
        let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc());
        let mut out = Vec::new();
        for (arrived, answered) in &calls {
            out.extend(parse(arrived));
            out.extend(answered.as_deref().and_then(parse));
        }
        for (at,) in orders.iter().chain(&converted).chain(&offers).chain(&stops) {
            out.extend(parse(at));
        }
        Ok(out)
    }

    /// Replaces what is kept of local day `day`: the order desk's rows of
    /// its operators (`centrala_desk::report::day_rows`, reactivation
    /// aside) and its requests (`tally`'s, categories aside), all or none.
    pub async fn replace_report_day(&self, day: NaiveDate, desk: &[Row], requests: &[RequestFact]) -> Result<()> {
        let company = self.company_id().0;
        let d = day.to_string();
        let mut tx = self.begin().await?;
        for table in ["desk_days", "desk_day_offers", "request_days"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1 AND day = $2"))
                .bind(company)
                .bind(&d)
                .execute(&mut *tx)
                .await?;
        }
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for r in desk {
            let Some(staff) = r.staff else { continue };
            sqlx::query(
                "INSERT INTO desk_days (company_id, day, staff_id, calls, order_calls, converted, orders, value_cents,
                 lines, offers, accepted, debt_stops, cancelled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(company)
            .bind(&d)
            .bind(staff)
            .bind(n(r.calls))
            .bind(n(r.order_calls))
            .bind(n(r.converted))
            .bind(n(r.orders))
            .bind(r.value_cents)
            .bind(r.lines)
            .bind(n(r.offers))
            .bind(n(r.accepted))
            .bind(n(r.debt_stops))
            .bind(n(r.cancelled))
            .execute(&mut *tx)
            .await?;
            for (reason, offers) in &r.offers_by_reason {
                sqlx::query(
                    "INSERT INTO desk_day_offers (company_id, day, staff_id, reason, offers) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(company)
                .bind(&d)
                .bind(staff)
                .bind(reason)
                .bind(n(*offers))
                .execute(&mut *tx)
                .await?;
            }
        }
        for f in requests {
            sqlx::query(
                "INSERT INTO request_days (company_id, day, intent, wrap_up, client_type, queue, contacts)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(company)
            .bind(&d)
            .bind(f.intent.as_deref().unwrap_or(""))
            .bind(f.wrap_up.as_deref().unwrap_or(""))
            .bind(f.client_type.as_deref().unwrap_or(""))
            .bind(f.queue.as_deref().unwrap_or(""))
            .bind(n(f.count))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The kept order-desk rows of the local days `from` to `to` (both
    /// included), of `staff` alone when given: one per operator and day.
    pub async fn desk_days(&self, from: NaiveDate, to: NaiveDate, staff: Option<StaffId>) -> Result<Vec<Row>> {
        let company = self.company_id().0;
        let who = staff.map_or(0, |s| s.0);
        let rows: Vec<DeskDayRow> = sqlx::query_as(
            "SELECT day, staff_id, calls, order_calls, converted, orders, value_cents, lines, offers, accepted,
             debt_stops, cancelled FROM desk_days
             WHERE company_id = $1 AND day >= $2 AND day <= $3 AND ($4 = 0 OR staff_id = $4) ORDER BY day, staff_id",
        )
        .bind(company)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(who)
        .fetch_all(self.reads())
        .await?;
        let reasons: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT day, staff_id, reason, offers FROM desk_day_offers
             WHERE company_id = $1 AND day >= $2 AND day <= $3 AND ($4 = 0 OR staff_id = $4)",
        )
        .bind(company)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(who)
        .fetch_all(self.reads())
        .await?;
        let mut by_reason: HashMap<(String, i64), BTreeMap<String, u64>> = HashMap::new();
        for (day, staff, reason, offers) in reasons {
            by_reason.entry((day, staff)).or_default().insert(reason, u(offers));
        }
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let offers_by_reason = by_reason.remove(&(r.day.clone(), r.staff_id)).unwrap_or_default();
                Some(Row {
                    period: r.day.parse().ok()?,
                    staff: Some(r.staff_id),
                    calls: u(r.calls),
                    order_calls: u(r.order_calls),
                    converted: u(r.converted),
                    orders: u(r.orders),
                    value_cents: r.value_cents,
                    lines: r.lines,
                    offers: u(r.offers),
                    accepted: u(r.accepted),
                    offers_by_reason,
                    debt_stops: u(r.debt_stops),
                    cancelled: u(r.cancelled),
                    reactivated: 0,
                })
            })
            .collect())
    }

    /// The kept requests of the local days `from` to `to` (both included),
    /// each with its number of contacts (categories not told).
    pub async fn request_days(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<RequestFact>> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT day, intent, wrap_up, client_type, queue, contacts FROM request_days
             WHERE company_id = $1 AND day >= $2 AND day <= $3",
        )
        .bind(self.company_id().0)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.reads())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(day, intent, wrap_up, client_type, queue, contacts)| {
                Some(RequestFact {
                    day: day.parse().ok()?,
                    intent: none_if_empty(intent),
                    wrap_up: none_if_empty(wrap_up),
                    category: None,
                    client_type: none_if_empty(client_type),
                    queue: none_if_empty(queue),
                    count: u(contacts),
                })
            })
            .collect())
    }

    /// Up to when the company's days are kept (none: never yet).
    pub async fn desk_mark(&self) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT done_until FROM desk_marks WHERE company_id = $1")
            .bind(self.company_id().0)
            .fetch_optional(self.reads())
            .await?;
        Ok(row.and_then(|(m,)| DateTime::parse_from_rfc3339(&m).ok()).map(|m| m.to_utc()))
    }

    pub async fn set_desk_mark(&self, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO desk_marks (company_id, done_until) VALUES ($1, $2)
             ON CONFLICT (company_id) DO UPDATE SET done_until = excluded.done_until",
        )
        .bind(self.company_id().0)
        .bind(crate::intervals::stamp(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[derive(sqlx::FromRow)]
struct DeskDayRow {
    day: String,
    staff_id: i64,
    calls: i64,
    order_calls: i64,
    converted: i64,
    orders: i64,
    value_cents: i64,
    lines: i64,
    offers: i64,
    accepted: i64,
    debt_stops: i64,
    cancelled: i64,
}
