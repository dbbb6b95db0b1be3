//! Interval statistics' records: the agents' state changes, the facts of a
//! span as `centrala_desk::intervals` takes them, and the 15-minute rows
//! it derives, kept per queue and per agent and read back summed per
//! interval, hour or local day. The figures are the desk crate's; this
//! file only reads and writes.

use crate::interactions::{Direction, Disposition, RoutingRule, StoryKind};
use crate::{Result, Returned, Scoped};
use centrala_desk::intervals::{AgentSlot, Contact, Facts, OfferEvent, QueueSlot, StateChange};
use centrala_domain::{ClientId, Intent, StaffId};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::collections::HashMap;

/// An instant as the store writes them (RFC 3339 UTC, milliseconds), so
/// that text order is time order.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// How long before a span a call may have arrived and still enter its
/// queue in the span (the menu's time).
const MENU_LOOKBACK: Duration = Duration::hours(1);

/// The name of a call's queue when its story names none.
pub const OPERATORS: &str = "operators";

/// How stored intervals are summed when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Each 15 minutes on its own (key: the start).
    Slot,
    /// Per UTC hour (key: `YYYY-MM-DDTHH`).
    Hour,
    /// Per local day of the company (key: `YYYY-MM-DD`).
    Day,
}

impl Group {
    fn key(self) -> &'static str {
        match self {
            Group::Slot => "start",
            Group::Hour => "substr(start, 1, 13)",
            Group::Day => "day",
        }
    }
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    direction: String,
    arrived_at: String,
    routed_at: Option<String>,
    answered_at: Option<String>,
    ended_at: Option<String>,
    handled_by: Option<i64>,
    disposition: String,
    routing_rule: String,
}

#[derive(sqlx::FromRow)]
struct QueueRow {
    k: String,
    queue: String,
    offered: i64,
    answered: i64,
    answered_within: i64,
    abandoned: i64,
    abandoned_after: i64,
    abandon_wait_ms: i64,
    wait_ms: i64,
    longest_wait_ms: i64,
    talk_ms: i64,
    wrap_ms: i64,
    transfers: i64,
    callbacks_requested: i64,
    callbacks_made: i64,
    callbacks_unreached: i64,
    overflowed: i64,
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    k: String,
    staff_id: i64,
    offered: i64,
    missed: i64,
    answered: i64,
    outbound: i64,
    talk_ms: i64,
    wrap_ms: i64,
    transfers: i64,
    ready_ms: i64,
    ringing_ms: i64,
    talking_ms: i64,
    wrap_up_ms: i64,
    not_ready_ms: i64,
    offline_ms: i64,
}

/// A finished call of the past, whole: the history an import or the demo
/// brings, with its own instants (the live path stamps them as they
/// happen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastCall {
    pub direction: Direction,
    pub caller: String,
    pub called: String,
    pub client: Option<ClientId>,
    pub arrived: DateTime<Utc>,
    /// When it entered its queue (none: it left in the menu).
    pub routed: Option<DateTime<Utc>>,
    pub answered: Option<DateTime<Utc>>,
    pub ended: DateTime<Utc>,
    pub intent: Option<Intent>,
    pub rule: Option<RoutingRule>,
    pub disposition: Disposition,
    pub handler: Option<StaffId>,
    pub wrap_up: String,
    /// Its story: when, what, who, the detail.
    pub story: Vec<(DateTime<Utc>, StoryKind, Option<StaffId>, String)>,
}

impl Scoped<'_> {
    /// Writes finished calls of the past with their stories, all or none
    /// (one transaction); the intervals they fall in are to be rebuilt.
    pub async fn record_past_calls(&self, calls: &[PastCall]) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        for c in calls {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO interactions (company_id, channel, direction, caller, called, client_id, arrived_at,
                 routed_at, answered_at, ended_at, intent, routing_rule, disposition, handled_by, wrap_up)
                 VALUES ($1, 'voice', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(company)
            .bind(c.direction.as_str())
            .bind(&c.caller)
            .bind(&c.called)
            .bind(c.client.map(|x| x.0))
            .bind(stamp(c.arrived))
            .bind(c.routed.map(stamp))
            .bind(c.answered.map(stamp))
            .bind(stamp(c.ended))
            .bind(c.intent.map_or("", |i| i.as_str()))
            .bind(c.rule.map_or("", |r| r.as_str()))
            .bind(c.disposition.as_str())
            .bind(c.handler.map(|h| h.0))
            .bind(&c.wrap_up)
            .fetch_all(&mut *tx)
            .await?
            .returned()?;
            for (at, kind, staff, detail) in &c.story {
                sqlx::query(
                    "INSERT INTO interaction_events (company_id, interaction_id, at, kind, staff_id, detail)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(company)
                .bind(id)
                .bind(stamp(*at))
                .bind(kind.as_str())
                .bind(staff.map(|s| s.0))
                .bind(detail)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Agents' state changes, as the ACD made them: who, when (RFC 3339
    /// UTC), the state and its reason. One transaction, a statement per
    /// hundred rows (a round trip to the database each: issue 17).
    pub async fn record_agent_states(&self, changes: &[(StaffId, String, String, String)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for chunk in changes.chunks(100) {
            // ($1 the company; $2… four per row.) Numbered by hand: the
            // `Any` driver's QueryBuilder writes `?`, which PostgreSQL
            // does not read.
            let rows: Vec<String> = (0..chunk.len())
                .map(|k| {
                    let n = 2 + 4 * k;
                    format!("($1, ${}, ${}, ${}, ${})", n, n + 1, n + 2, n + 3)
                })
                .collect();
            let sql = format!(
                "INSERT INTO agent_states (company_id, staff_id, at, state, reason) VALUES {}",
                rows.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(self.company_id().0);
            for (staff, at, state, reason) in chunk {
                q = q.bind(staff.0).bind(at.as_str()).bind(state.as_str()).bind(reason.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The staff whose last recorded state is not offline (the server
    /// stopped while they were logged in).
    pub async fn agents_left_logged_in(&self) -> Result<Vec<StaffId>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT s.staff_id, s.state FROM staff st JOIN agent_states s ON s.company_id = st.company_id
             AND s.staff_id = st.id AND s.id = (SELECT x.id FROM agent_states x
                 WHERE x.company_id = st.company_id AND x.staff_id = st.id ORDER BY x.at DESC, x.id DESC LIMIT 1)
             WHERE st.company_id = $1",
        )
        .bind(self.company_id().0)
        .fetch_all(self.reads())
        .await?;
        Ok(rows.into_iter().filter(|(_, s)| s != "offline").map(|(id, _)| StaffId(id)).collect())
    }

    /// Up to when the intervals are up to date (RFC 3339 UTC).
    /// The instant the company's intervals were last brought up to date.
    pub async fn report_mark(&self) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT done_until FROM report_marks WHERE company_id = $1")
            .bind(self.company_id().0)
            .fetch_optional(self.reads())
            .await?;
        Ok(row.and_then(|(m,)| DateTime::parse_from_rfc3339(&m).ok()).map(|m| m.to_utc()))
    }

    pub async fn set_report_mark(&self, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_marks (company_id, done_until) VALUES ($1, $2)
             ON CONFLICT (company_id) DO UPDATE SET done_until = excluded.done_until",
        )
        .bind(self.company_id().0)
        .bind(stamp(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The instants whose intervals changed from `since` (excluded) to
    /// `until` (included): where the calls that ended then entered their
    /// queue and were answered, and every agent state change.
    pub async fn changed_between(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        let (a, b) = (stamp(since), stamp(until));
        let calls: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT arrived_at, routed_at, answered_at FROM interactions
             WHERE company_id = $1 AND ended_at > $2 AND ended_at <= $3",
        )
        .bind(self.company_id().0)
        .bind(&a)
        .bind(&b)
        .fetch_all(self.reads())
        .await?;
        let states: Vec<(String,)> =
            sqlx::query_as("SELECT at FROM agent_states WHERE company_id = $1 AND at > $2 AND at <= $3")
                .bind(self.company_id().0)
                .bind(&a)
                .bind(&b)
                .fetch_all(self.reads())
                .await?;
        let mut out = Vec::new();
        for (arrived, routed, answered) in calls {
            out.extend(routed.as_deref().or(Some(arrived.as_str())).and_then(instant));
            out.extend(answered.as_deref().and_then(instant));
        }
        out.extend(states.iter().filter_map(|(at,)| instant(at)));
        Ok(out)
    }

    /// The facts of the intervals from `from` to `until`: the calls that
    /// entered a queue or were answered in it, with their stories; the
    /// offers and transfers made in it; each agent's state at `from` and
    /// every change after, until `until`.
    pub async fn interval_facts(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Facts> {
        let company = self.company_id().0;
        let (f, u, look) = (stamp(from), stamp(until), stamp(from - MENU_LOOKBACK));
        let span = "i.company_id = $1 AND ((i.arrived_at >= $2 AND i.arrived_at < $3)
                    OR (i.answered_at >= $4 AND i.answered_at < $3))";
        let rows: Vec<ContactRow> = sqlx::query_as(&format!(
            "SELECT i.id, i.direction, i.arrived_at, i.routed_at, i.answered_at, i.ended_at, i.handled_by,
             i.disposition, i.routing_rule FROM interactions i WHERE {span}"
        ))
        .bind(company)
        .bind(&look)
        .bind(&u)
        .bind(&f)
        .fetch_all(self.reads())
        .await?;
        let story: Vec<(i64, String, String)> = sqlx::query_as(&format!(
            "SELECT e.interaction_id, e.kind, e.detail FROM interactions i JOIN interaction_events e
             ON e.company_id = i.company_id AND e.interaction_id = i.id
             WHERE {span} AND e.kind IN ('queued', 'overflowed', 'transferred', 'callback_requested',
             'callback_reached', 'callback_unreached') ORDER BY e.id"
        ))
        .bind(company)
        .bind(&look)
        .bind(&u)
        .bind(&f)
        .fetch_all(self.reads())
        .await?;
        let mut stories: HashMap<i64, Vec<(StoryKind, String)>> = HashMap::new();
        for (id, kind, detail) in story {
            if let Some(k) = StoryKind::parse(&kind) {
                stories.entry(id).or_default().push((k, detail));
            }
        }
        let mut facts = Facts::default();
        for r in rows {
            let Some(arrived) = instant(&r.arrived_at) else { continue };
            let story = stories.remove(&r.id).unwrap_or_default();
            let count = |k: StoryKind| story.iter().filter(|(x, _)| *x == k).count() as u64;
            let queue = story
                .iter()
                .find(|(k, d)| matches!(k, StoryKind::Queued | StoryKind::Overflowed) && !d.is_empty())
                .map_or_else(|| OPERATORS.to_owned(), |(_, d)| d.clone());
            facts.contacts.push(Contact {
                queue,
                // A caller who reached a queue (not one who left in the menu).
                inbound: r.direction == "inbound" && !r.routing_rule.is_empty(),
                entered: r.routed_at.as_deref().and_then(instant).unwrap_or(arrived),
                answered: r.answered_at.as_deref().and_then(instant),
                ended: r.ended_at.as_deref().and_then(instant),
                handler: r.handled_by,
                abandoned: r.disposition == "abandoned",
                overflowed: count(StoryKind::Overflowed) > 0 || r.disposition == "overflowed",
                transfers: count(StoryKind::Transferred),
                callbacks_requested: count(StoryKind::CallbackRequested),
                callbacks_made: count(StoryKind::CallbackReached),
                callbacks_unreached: count(StoryKind::CallbackUnreached),
            });
        }
        let events: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT staff_id, kind, at FROM interaction_events WHERE company_id = $1 AND at >= $2 AND at < $3
             AND kind IN ('offered', 'missed', 'transferred') AND staff_id IS NOT NULL ORDER BY id",
        )
        .bind(company)
        .bind(&f)
        .bind(&u)
        .fetch_all(self.reads())
        .await?;
        for (staff, kind, at) in events {
            let Some(at) = instant(&at) else { continue };
            match kind.as_str() {
                "transferred" => facts.transfers.push((staff, at)),
                k => facts.offers.push(OfferEvent { staff, at, missed: k == "missed" }),
            }
        }
        let before: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT s.staff_id, s.at, s.state, s.reason FROM staff st JOIN agent_states s
             ON s.company_id = st.company_id AND s.staff_id = st.id AND s.id = (SELECT x.id FROM agent_states x
                 WHERE x.company_id = st.company_id AND x.staff_id = st.id AND x.at < $2
                 ORDER BY x.at DESC, x.id DESC LIMIT 1)
             WHERE st.company_id = $1",
        )
        .bind(company)
        .bind(&f)
        .fetch_all(self.reads())
        .await?;
        let during: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT staff_id, at, state, reason FROM agent_states WHERE company_id = $1 AND at >= $2 AND at < $3
             ORDER BY at, id",
        )
        .bind(company)
        .bind(&f)
        .bind(&u)
        .fetch_all(self.reads())
        .await?;
        for (staff, at, state, reason) in before.into_iter().chain(during) {
            let Some(at) = instant(&at) else { continue };
            facts.states.push(StateChange { staff, at, state, reason });
        }
        Ok(facts)
    }

    /// Replaces the stored intervals from `from` to `until` with these
    /// (each with its local day), in one transaction.
    pub async fn replace_intervals(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        queues: &[(String, QueueSlot)],
        agents: &[(String, AgentSlot)],
    ) -> Result<()> {
        let company = self.company_id().0;
        let (f, u) = (stamp(from), stamp(until));
        let mut tx = self.begin().await?;
        for table in ["queue_intervals", "agent_intervals", "agent_interval_reasons"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1 AND start >= $2 AND start < $3"))
                .bind(company)
                .bind(&f)
                .bind(&u)
                .execute(&mut *tx)
                .await?;
        }
        for (day, q) in queues {
            sqlx::query(
                "INSERT INTO queue_intervals (company_id, start, day, queue, offered, answered, answered_within,
                 abandoned, abandoned_after, abandon_wait_ms, wait_ms, longest_wait_ms, talk_ms, wrap_ms, transfers,
                 callbacks_requested, callbacks_made, callbacks_unreached, overflowed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
            )
            .bind(company)
            .bind(stamp(q.start))
            .bind(day)
            .bind(&q.queue)
            .bind(q.offered)
            .bind(q.answered)
            .bind(q.answered_within)
            .bind(q.abandoned)
            .bind(q.abandoned_after)
            .bind(q.abandon_wait_ms)
            .bind(q.wait_ms)
            .bind(q.longest_wait_ms)
            .bind(q.talk_ms)
            .bind(q.wrap_ms)
            .bind(q.transfers)
            .bind(q.callbacks_requested)
            .bind(q.callbacks_made)
            .bind(q.callbacks_unreached)
            .bind(q.overflowed)
            .execute(&mut *tx)
            .await?;
        }
        for (day, a) in agents {
            sqlx::query(
                "INSERT INTO agent_intervals (company_id, start, day, staff_id, offered, missed, answered, outbound,
                 talk_ms, wrap_ms, transfers, ready_ms, ringing_ms, talking_ms, wrap_up_ms, not_ready_ms, offline_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(company)
            .bind(stamp(a.start))
            .bind(day)
            .bind(a.staff)
            .bind(a.offered)
            .bind(a.missed)
            .bind(a.answered)
            .bind(a.outbound)
            .bind(a.talk_ms)
            .bind(a.wrap_ms)
            .bind(a.transfers)
            .bind(a.ready_ms)
            .bind(a.ringing_ms)
            .bind(a.talking_ms)
            .bind(a.wrap_up_ms)
            .bind(a.not_ready_ms)
            .bind(a.offline_ms)
            .execute(&mut *tx)
            .await?;
            for (reason, ms) in &a.not_ready {
                sqlx::query(
                    "INSERT INTO agent_interval_reasons (company_id, start, day, staff_id, reason, ms)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(company)
                .bind(stamp(a.start))
                .bind(day)
                .bind(a.staff)
                .bind(reason)
                .bind(ms)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored queue intervals from `from` to `until`, summed per
    /// `group` and queue (only `queue` when given): the key, then the sums.
    pub async fn queue_intervals(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        group: Group,
        queue: Option<&str>,
    ) -> Result<Vec<(String, QueueSlot)>> {
        let rows: Vec<QueueRow> = sqlx::query_as(&format!(
            "SELECT {k} AS k, queue, CAST(SUM(offered) AS BIGINT) AS offered, CAST(SUM(answered) AS BIGINT) AS answered,
             CAST(SUM(answered_within) AS BIGINT) AS answered_within, CAST(SUM(abandoned) AS BIGINT) AS abandoned,
             CAST(SUM(abandoned_after) AS BIGINT) AS abandoned_after, CAST(SUM(abandon_wait_ms) AS BIGINT) AS abandon_wait_ms,
             CAST(SUM(wait_ms) AS BIGINT) AS wait_ms, MAX(longest_wait_ms) AS longest_wait_ms, CAST(SUM(talk_ms) AS BIGINT) AS talk_ms,
             CAST(SUM(wrap_ms) AS BIGINT) AS wrap_ms, CAST(SUM(transfers) AS BIGINT) AS transfers, CAST(SUM(callbacks_requested) AS BIGINT) AS callbacks_requested,
             CAST(SUM(callbacks_made) AS BIGINT) AS callbacks_made, CAST(SUM(callbacks_unreached) AS BIGINT) AS callbacks_unreached,
             CAST(SUM(overflowed) AS BIGINT) AS overflowed
             FROM queue_intervals WHERE company_id = $1 AND start >= $2 AND start < $3 AND ($4 = '' OR queue = $4)
             GROUP BY {k}, queue ORDER BY {k}, queue",
            k = group.key()
        ))
        .bind(self.company_id().0)
        .bind(stamp(from))
        .bind(stamp(until))
        .bind(queue.unwrap_or(""))
        .fetch_all(self.reads())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let slot = QueueSlot {
                    start: from,
                    queue: r.queue,
                    offered: r.offered,
                    answered: r.answered,
                    answered_within: r.answered_within,
                    abandoned: r.abandoned,
                    abandoned_after: r.abandoned_after,
                    abandon_wait_ms: r.abandon_wait_ms,
                    wait_ms: r.wait_ms,
                    longest_wait_ms: r.longest_wait_ms,
                    talk_ms: r.talk_ms,
                    wrap_ms: r.wrap_ms,
                    transfers: r.transfers,
                    callbacks_requested: r.callbacks_requested,
                    callbacks_made: r.callbacks_made,
                    callbacks_unreached: r.callbacks_unreached,
                    overflowed: r.overflowed,
                };
                (r.k, slot)
            })
            .collect())
    }

    /// The stored agent intervals from `from` to `until`, summed per
    /// `group` and agent (only `staff` when given), with the time not
    /// ready by reason.
    pub async fn agent_intervals(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        group: Group,
        staff: Option<StaffId>,
    ) -> Result<Vec<(String, AgentSlot)>> {
        let k = group.key();
        let rows: Vec<AgentRow> = sqlx::query_as(&format!(
            "SELECT {k} AS k, staff_id, CAST(SUM(offered) AS BIGINT) AS offered, CAST(SUM(missed) AS BIGINT) AS missed, CAST(SUM(answered) AS BIGINT) AS answered,
             CAST(SUM(outbound) AS BIGINT) AS outbound, CAST(SUM(talk_ms) AS BIGINT) AS talk_ms, CAST(SUM(wrap_ms) AS BIGINT) AS wrap_ms,
             CAST(SUM(transfers) AS BIGINT) AS transfers, CAST(SUM(ready_ms) AS BIGINT) AS ready_ms, CAST(SUM(ringing_ms) AS BIGINT) AS ringing_ms,
             CAST(SUM(talking_ms) AS BIGINT) AS talking_ms, CAST(SUM(wrap_up_ms) AS BIGINT) AS wrap_up_ms, CAST(SUM(not_ready_ms) AS BIGINT) AS not_ready_ms,
             CAST(SUM(offline_ms) AS BIGINT) AS offline_ms
             FROM agent_intervals WHERE company_id = $1 AND start >= $2 AND start < $3 AND ($4 = 0 OR staff_id = $4)
             GROUP BY {k}, staff_id ORDER BY {k}, staff_id"
        ))
        .bind(self.company_id().0)
        .bind(stamp(from))
        .bind(stamp(until))
        .bind(staff.map_or(0, |s| s.0))
        .fetch_all(self.reads())
        .await?;
        let reasons: Vec<(String, i64, String, i64)> = sqlx::query_as(&format!(
            "SELECT {k} AS k, staff_id, reason, CAST(SUM(ms) AS BIGINT) FROM agent_interval_reasons
             WHERE company_id = $1 AND start >= $2 AND start < $3 AND ($4 = 0 OR staff_id = $4)
             GROUP BY {k}, staff_id, reason"
        ))
        .bind(self.company_id().0)
        .bind(stamp(from))
        .bind(stamp(until))
        .bind(staff.map_or(0, |s| s.0))
        .fetch_all(self.reads())
        .await?;
        let mut by: HashMap<(String, i64), Vec<(String, i64)>> = HashMap::new();
        for (k, staff, reason, ms) in reasons {
            by.entry((k, staff)).or_default().push((reason, ms));
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let not_ready = by.remove(&(r.k.clone(), r.staff_id)).unwrap_or_default().into_iter().collect();
                let slot = AgentSlot {
                    start: from,
                    staff: r.staff_id,
                    offered: r.offered,
                    missed: r.missed,
                    answered: r.answered,
                    outbound: r.outbound,
                    talk_ms: r.talk_ms,
                    wrap_ms: r.wrap_ms,
                    transfers: r.transfers,
                    ready_ms: r.ready_ms,
                    ringing_ms: r.ringing_ms,
                    talking_ms: r.talking_ms,
                    wrap_up_ms: r.wrap_up_ms,
                    not_ready_ms: r.not_ready_ms,
                    offline_ms: r.offline_ms,
                    not_ready,
                };
                (r.k, slot)
            })
            .collect())
    }
}
