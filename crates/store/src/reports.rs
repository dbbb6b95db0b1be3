//! What the reports read: the facts of a period, as stored. The figures are
//! `centrala_desk::report`'s; this file only reads.

use crate::{Result, Scoped};
use centrala_domain::{ClientId, StaffId};

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
    /// Dormant clients called in a reactivation campaign: who called,
    /// whom, when (the target's last call).
    pub reactivation_calls: Vec<(StaffId, ClientId, String)>,
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
        .fetch_all(self.pool())
        .await?)
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
        .fetch_all(self.pool())
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
        .fetch_all(self.pool())
        .await?;
        let offers: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT staff_id, reason, answer, at FROM order_offers WHERE company_id = $1 AND at >= $2 AND at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let debt_stops: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor, at FROM audit_log WHERE company_id = $1 AND action = 'refused' AND entity = 'order'
             AND detail = 'debt_blocked' AND at >= $2 AND at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let reactivation_calls: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT t.last_staff_id, t.client_id, t.last_at FROM campaign_targets t
             JOIN campaigns c ON c.company_id = t.company_id AND c.id = t.campaign_id
             WHERE t.company_id = $1 AND c.kind = 'reactivation' AND t.attempts > 0 AND t.last_staff_id IS NOT NULL
             AND t.last_at >= $2 AND t.last_at < $3",
        )
        .bind(company)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        Ok(OrderDeskFacts {
            reactivation_calls: reactivation_calls
                .into_iter()
                .map(|(staff, client, at)| (StaffId(staff), ClientId(client), at))
                .collect(),
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
