//! Outbound campaigns' records: the campaign, its targets, and the
//! company's do-not-call list. The rules (dormancy, hours, what a result
//! does, the next target) are `centrala_desk::campaign`'s; this file only
//! reads and writes.

use crate::error::found;
use crate::records::{fmt_date, parse_date};
use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_desk::campaign::{After, Hours, Kind, Mode, Retry, State};
use centrala_domain::{ClientId, OrderId, StaffId};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// What a campaign is while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Draft,
    Running,
    Paused,
    Done,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Draft, Status::Running, Status::Paused, Status::Done].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignInput {
    pub kind: Kind,
    pub name: String,
    pub script: String,
    pub results: Vec<String>,
    /// Usernames of the operators who work it.
    pub agents: Vec<String>,
    /// And the members of this queue of the company (`operators`: every
    /// operator and supervisor, and its members).
    pub queue: Option<String>,
    pub mode: Mode,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// When an instruction's results are due back (OD-17).
    pub due_on: Option<NaiveDate>,
    pub hours: Hours,
    pub retry: Retry,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub input: CampaignInput,
    pub created_by: String,
    pub status: Status,
    pub created_at: String,
}

/// A target with its client's code and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: i64,
    pub client: ClientId,
    pub code: String,
    pub name: String,
    pub state: State,
    pub attempts: u32,
    pub outcome: String,
    pub notes: String,
    pub next_at: Option<NaiveDateTime>,
    pub preferred: Option<StaffId>,
    pub last_staff: Option<StaffId>,
    pub last_at: Option<String>,
    pub order: Option<OrderId>,
    /// The client's last order before the campaign was built.
    pub last_order: Option<NaiveDate>,
}

/// Targets of one state and outcome, counted (`Scoped::campaign_counts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetCount {
    pub state: State,
    /// Empty before the first result.
    pub outcome: String,
    pub targets: i64,
    /// Of them, with an order linked.
    pub orders: i64,
}

/// One number or client nobody may call.
#[derive(Debug, Clone, PartialEq)]
pub struct DoNotCall {
    pub number: String,
    pub client: Option<ClientId>,
    pub added_by: String,
    pub added_at: String,
}

const LOCAL: &str = "%Y-%m-%d %H:%M";

fn list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

fn time(s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| StoreError::Corrupt(format!("time {s:?}")))
}

fn local(s: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, LOCAL).map_err(|_| StoreError::Corrupt(format!("local time {s:?}")))
}

const CAMPAIGN_COLS: &str =
    "id, kind, name, created_by, script, results, agents, mode, starts_on, ends_on, due_on, days,
    hours_from, hours_to, retry_minutes, max_attempts, status, created_at, queue";

#[derive(sqlx::FromRow)]
struct CampaignRow {
    id: i64,
    kind: String,
    name: String,
    created_by: String,
    script: String,
    results: String,
    agents: String,
    mode: String,
    starts_on: Option<String>,
    ends_on: Option<String>,
    due_on: Option<String>,
    days: String,
    hours_from: String,
    hours_to: String,
    retry_minutes: i64,
    max_attempts: i64,
    status: String,
    created_at: String,
    queue: String,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = StoreError;
    fn try_from(r: CampaignRow) -> Result<Self> {
        let bad = |what: &str, v: &str| StoreError::Corrupt(format!("campaign {} {what} {v:?}", r.id));
        let date = |v: &Option<String>| v.as_deref().map(parse_date).transpose();
        Ok(Campaign {
            id: r.id,
            input: CampaignInput {
                kind: Kind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
                name: r.name.clone(),
                script: r.script.clone(),
                results: list(&r.results),
                agents: list(&r.agents),
                queue: (!r.queue.is_empty()).then(|| r.queue.clone()),
                mode: Mode::parse(&r.mode).ok_or_else(|| bad("mode", &r.mode))?,
                starts_on: date(&r.starts_on)?,
                ends_on: date(&r.ends_on)?,
                due_on: date(&r.due_on)?,
                hours: Hours {
                    days: Hours::days_from_text(&r.days).ok_or_else(|| bad("days", &r.days))?,
                    from: time(&r.hours_from)?,
                    to: time(&r.hours_to)?,
                },
                retry: Retry {
                    interval_minutes: u32::try_from(r.retry_minutes).unwrap_or(60),
                    max_attempts: u32::try_from(r.max_attempts).unwrap_or(1),
                },
            },
            created_by: r.created_by,
            status: Status::parse(&r.status).ok_or_else(|| bad("status", &r.status))?,
            created_at: r.created_at,
        })
    }
}

const TARGET_COLS: &str = "t.id, t.client_id, c.code, c.name, t.state, t.attempts, t.outcome, t.notes, t.next_at,
    t.preferred_staff_id, t.last_staff_id, t.last_at, t.order_id, t.last_order";

#[derive(sqlx::FromRow)]
struct TargetRow {
    id: i64,
    client_id: i64,
    code: String,
    name: String,
    state: String,
    attempts: i64,
    outcome: String,
    notes: String,
    next_at: Option<String>,
    preferred_staff_id: Option<i64>,
    last_staff_id: Option<i64>,
    last_at: Option<String>,
    order_id: Option<i64>,
    last_order: Option<String>,
}

impl TryFrom<TargetRow> for Target {
    type Error = StoreError;
    fn try_from(r: TargetRow) -> Result<Self> {
        Ok(Target {
            id: r.id,
            client: ClientId(r.client_id),
            code: r.code,
            name: r.name,
            state: State::parse(&r.state).ok_or_else(|| StoreError::Corrupt(format!("target state {:?}", r.state)))?,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            outcome: r.outcome,
            notes: r.notes,
            next_at: r.next_at.as_deref().map(local).transpose()?,
            preferred: r.preferred_staff_id.map(StaffId),
            last_staff: r.last_staff_id.map(StaffId),
            last_at: r.last_at,
            order: r.order_id.map(OrderId),
            last_order: r.last_order.as_deref().map(parse_date).transpose()?,
        })
    }
}

impl Scoped<'_> {
    /// Clients who ordered before and not since `cutoff` (dormant: see
    /// `centrala_desk::campaign::dormant_since`), of this type and region
    /// when given, with their last order date; the longest dormant first.
    pub async fn reactivation_candidates(
        &self,
        cutoff: NaiveDate,
        client_type: Option<&str>,
        region: Option<&str>,
    ) -> Result<Vec<(ClientId, NaiveDate)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT c.id, MAX(o.order_date) AS last_order FROM clients c
             JOIN orders o ON o.company_id = c.company_id AND o.client_id = c.id AND o.status NOT IN ('cancelled', 'draft')
             WHERE c.company_id = $1 AND ($2 = '' OR c.client_type = $2) AND ($3 = '' OR c.region = $3)
             GROUP BY c.id HAVING MAX(o.order_date) < $4 ORDER BY last_order, c.id",
        )
        .bind(self.company_id().0)
        .bind(client_type.unwrap_or(""))
        .bind(region.unwrap_or(""))
        .bind(fmt_date(cutoff))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(|(id, d)| Ok((ClientId(id), parse_date(&d)?))).collect()
    }

    /// Creates a campaign (a draft) with its targets, in one transaction.
    pub async fn create_campaign(
        &self,
        c: &CampaignInput,
        targets: &[(ClientId, Option<NaiveDate>)],
        by: &str,
    ) -> Result<Campaign> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO campaigns (company_id, kind, name, created_by, script, results, agents, mode, starts_on, ends_on,
             due_on, days, hours_from, hours_to, retry_minutes, max_attempts, status, created_at, queue)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'draft', $17, $18) RETURNING id",
        )
        .bind(company)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(by)
        .bind(&c.script)
        .bind(c.results.join(","))
        .bind(c.agents.join(","))
        .bind(c.mode.as_str())
        .bind(c.starts_on.map(fmt_date))
        .bind(c.ends_on.map(fmt_date))
        .bind(c.due_on.map(fmt_date))
        .bind(c.hours.days_text())
        .bind(c.hours.from.format("%H:%M").to_string())
        .bind(c.hours.to.format("%H:%M").to_string())
        .bind(i64::from(c.retry.interval_minutes))
        .bind(i64::from(c.retry.max_attempts))
        .bind(now_rfc3339())
        .bind(c.queue.as_deref().unwrap_or(""))
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        for (n, (client, last)) in targets.iter().enumerate() {
            sqlx::query(
                "INSERT INTO campaign_targets (company_id, campaign_id, client_id, position, state, attempts, outcome, notes, last_order)
                 VALUES ($1, $2, $3, $4, 'pending', 0, '', '', $5) ON CONFLICT (campaign_id, client_id) DO NOTHING",
            )
            .bind(company)
            .bind(id)
            .bind(client.0)
            .bind(i64::try_from(n).unwrap_or(i64::MAX))
            .bind(last.map(fmt_date))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.campaign(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn campaign(&self, id: i64) -> Result<Option<Campaign>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE company_id = $1 AND id = $2");
        let row: Option<CampaignRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id).fetch_optional(self.pool()).await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The company's campaigns, newest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>> {
        let sql = format!("SELECT {CAMPAIGN_COLS} FROM campaigns WHERE company_id = $1 ORDER BY id DESC");
        let rows: Vec<CampaignRow> = sqlx::query_as(&sql).bind(self.company_id().0).fetch_all(self.pool()).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn set_campaign_status(&self, id: i64, status: Status) -> Result<()> {
        let r = sqlx::query("UPDATE campaigns SET status = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .bind(status.as_str())
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// The campaign's targets, in their order.
    pub async fn campaign_targets(&self, campaign: i64) -> Result<Vec<Target>> {
        self.targets_where(campaign, "").await
    }

    /// How far the campaign is, without reading its targets: per state and
    /// outcome, how many targets and how many with an order.
    pub async fn campaign_counts(&self, campaign: i64) -> Result<Vec<TargetCount>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT state, outcome, COUNT(*), COUNT(order_id) FROM campaign_targets
             WHERE company_id = $1 AND campaign_id = $2 GROUP BY state, outcome",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(state, outcome, targets, orders)| {
                Ok(TargetCount {
                    state: State::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("target state {state:?}")))?,
                    outcome,
                    targets,
                    orders,
                })
            })
            .collect()
    }

    async fn targets_where(&self, campaign: i64, filter: &str) -> Result<Vec<Target>> {
        let sql = format!(
            "SELECT {TARGET_COLS} FROM campaign_targets t JOIN clients c ON c.company_id = t.company_id AND c.id = t.client_id
             WHERE t.company_id = $1 AND t.campaign_id = $2 {filter} ORDER BY t.position"
        );
        let rows: Vec<TargetRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(campaign).fetch_all(self.pool()).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Puts a target `staff` holds back in line until `next_at`, with the
    /// reason in its notes; not an attempt.
    pub async fn skip_target(
        &self,
        campaign: i64,
        client: ClientId,
        staff: StaffId,
        next_at: NaiveDateTime,
        reason: &str,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = 'pending', next_at = $5, notes = $6, preferred_staff_id = NULL
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state = 'calling' AND last_staff_id = $4",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .bind(staff.0)
        .bind(next_at.format(LOCAL).to_string())
        .bind(reason)
        .execute(self.pool())
        .await?;
        found(r)
    }

    /// Writes a result on a target: one more attempt, by `staff`, with the
    /// state, next time and outcome the rules gave (`after`), the notes and
    /// the order taken, if one was.
    pub async fn record_outcome(
        &self,
        campaign: i64,
        client: ClientId,
        after: &After,
        staff: StaffId,
        notes: &str,
        order: Option<OrderId>,
    ) -> Result<()> {
        let preferred = (after.outcome == "call_later").then_some(staff.0);
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = $4, attempts = attempts + 1, outcome = $5, notes = $6, next_at = $7,
             preferred_staff_id = $8, last_staff_id = $9, last_at = $10, order_id = COALESCE($11, order_id)
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .bind(after.state.as_str())
        .bind(&after.outcome)
        .bind(notes)
        .bind(after.next_at.map(|t| t.format(LOCAL).to_string()))
        .bind(preferred)
        .bind(staff.0)
        .bind(now_rfc3339())
        .bind(order.map(|o| o.0))
        .execute(self.pool())
        .await?;
        found(r)
    }

    /// Reserves a pending target for `staff` (state `calling`); false when
    /// somebody else took it first.
    pub async fn claim_target(&self, campaign: i64, client: ClientId, staff: StaffId) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = 'calling', last_staff_id = $4
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state = 'pending'",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .bind(staff.0)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The targets due at local time `now` for `staff`, best first, at most
    /// `limit` (what `centrala_desk::campaign::next_target` chooses from,
    /// without reading the whole list): call-backs agreed with `staff`,
    /// then agreed call-backs and retries by when they are due, then fresh
    /// targets in the list's order.
    pub async fn due_targets(
        &self,
        campaign: i64,
        now: NaiveDateTime,
        staff: Option<StaffId>,
        limit: i64,
    ) -> Result<Vec<Target>> {
        // Three reads along the index (campaign, state, next_at, position)
        // rather than one sort of every pending target: call-backs agreed
        // with `staff`, then the call-backs and retries due, then the fresh
        // targets in order.
        let now = now.format(LOCAL).to_string();
        let base = format!(
            "SELECT {TARGET_COLS} FROM campaign_targets t JOIN clients c ON c.company_id = t.company_id AND c.id = t.client_id
             WHERE t.company_id = $1 AND t.campaign_id = $2 AND t.state = 'pending'"
        );
        let read = |filter: &'static str, order: &'static str, bind_staff: bool| {
            let sql = format!("{base} {filter} ORDER BY {order} LIMIT $3");
            let now = now.clone();
            async move {
                let mut q = sqlx::query_as::<_, TargetRow>(&sql).bind(self.company_id().0).bind(campaign).bind(limit);
                if filter.contains("$4") {
                    q = q.bind(now);
                }
                if bind_staff {
                    q = q.bind(staff.map_or(0, |s| s.0));
                }
                q.fetch_all(self.pool()).await
            }
        };
        let mut rows = Vec::new();
        if staff.is_some() {
            rows.extend(
                read("AND t.next_at <= $4 AND t.preferred_staff_id = $5", "t.next_at, t.position", true).await?,
            );
        }
        rows.extend(read("AND t.next_at <= $4", "t.next_at, t.position", false).await?);
        rows.extend(read("AND t.next_at IS NULL", "t.position", false).await?);
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert(r.id));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Reserves a pending target for the dialler (state `calling`, nobody
    /// on it yet); false when somebody else took it first.
    pub async fn reserve_target(&self, campaign: i64, client: ClientId) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = 'calling', last_staff_id = NULL
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state = 'pending'",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The operator the dialler reserved for a target: it is theirs to
    /// record a result on from now.
    pub async fn target_to(&self, campaign: i64, client: ClientId, staff: StaffId) -> Result<()> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET last_staff_id = $4, last_at = $5
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state = 'calling'",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .bind(staff.0)
        .bind(now_rfc3339())
        .execute(self.pool())
        .await?;
        found(r)
    }

    /// A target being called goes back in line as it was (not dialled: no
    /// attempt counted).
    pub async fn release_target(&self, campaign: i64, client: ClientId) -> Result<()> {
        sqlx::query(
            "UPDATE campaign_targets SET state = 'pending'
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state = 'calling'",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Targets the dialler had reserved and no operator took (a restart cut
    /// them off) go back in line; how many.
    pub async fn release_unanswered_targets(&self) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = 'pending' WHERE company_id = $1 AND state = 'calling' AND last_staff_id IS NULL",
        )
        .bind(self.company_id().0)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends a target that is never to be dialled (its number is on the
    /// do-not-call list, or it has none), with that outcome; no attempt.
    pub async fn close_target(&self, campaign: i64, client: ClientId, outcome: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE campaign_targets SET state = 'done', outcome = $4, next_at = NULL
             WHERE company_id = $1 AND campaign_id = $2 AND client_id = $3 AND state <> 'done'",
        )
        .bind(self.company_id().0)
        .bind(campaign)
        .bind(client.0)
        .bind(outcome)
        .execute(self.pool())
        .await?;
        found(r)
    }

    /// The campaign's target whose client has this code.
    pub async fn target_by_code(&self, campaign: i64, code: &str) -> Result<Option<Target>> {
        let sql = format!(
            "SELECT {TARGET_COLS} FROM campaign_targets t JOIN clients c ON c.company_id = t.company_id AND c.id = t.client_id
             WHERE t.company_id = $1 AND t.campaign_id = $2 AND c.code = $3"
        );
        let row: Option<TargetRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(campaign)
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The campaign's target of this client.
    pub async fn target_of(&self, campaign: i64, client: ClientId) -> Result<Option<Target>> {
        let sql = format!(
            "SELECT {TARGET_COLS} FROM campaign_targets t JOIN clients c ON c.company_id = t.company_id AND c.id = t.client_id
             WHERE t.company_id = $1 AND t.campaign_id = $2 AND t.client_id = $3"
        );
        let row: Option<TargetRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(campaign)
            .bind(client.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The target `staff` holds (is calling) in a campaign, if any.
    pub async fn held_target(&self, campaign: i64, staff: StaffId) -> Result<Option<Target>> {
        let sql = format!(
            "SELECT {TARGET_COLS} FROM campaign_targets t JOIN clients c ON c.company_id = t.company_id AND c.id = t.client_id
             WHERE t.company_id = $1 AND t.campaign_id = $2 AND t.state = 'calling' AND t.last_staff_id = $3
             ORDER BY t.position LIMIT 1"
        );
        let row: Option<TargetRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(campaign)
            .bind(staff.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// Whether the client placed an order (any channel, not a draft nor
    /// cancelled) dated from `from` to `to`, both included.
    pub async fn client_ordered_between(&self, client: ClientId, from: NaiveDate, to: NaiveDate) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM orders WHERE company_id = $1 AND client_id = $2 AND status NOT IN ('cancelled', 'draft')
             AND order_date >= $3 AND order_date <= $4",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .bind(fmt_date(from))
        .bind(fmt_date(to))
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// The do-not-call list, by number.
    pub async fn dnc(&self) -> Result<Vec<DoNotCall>> {
        let rows: Vec<(String, Option<i64>, String, String)> = sqlx::query_as(
            "SELECT number, client_id, added_by, added_at FROM dnc WHERE company_id = $1 ORDER BY number",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(number, client, added_by, added_at)| DoNotCall {
                number,
                client: client.map(ClientId),
                added_by,
                added_at,
            })
            .collect())
    }

    pub async fn add_dnc(&self, number: &str, client: Option<ClientId>, by: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO dnc (company_id, number, client_id, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, number) DO UPDATE SET client_id = COALESCE(excluded.client_id, dnc.client_id)",
        )
        .bind(self.company_id().0)
        .bind(number)
        .bind(client.map(|c| c.0))
        .bind(by)
        .bind(now_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn remove_dnc(&self, number: &str) -> Result<()> {
        let r = sqlx::query("DELETE FROM dnc WHERE company_id = $1 AND number = $2")
            .bind(self.company_id().0)
            .bind(number)
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// Whether this number, or this client, may not be called.
    pub async fn is_dnc(&self, number: &str, client: Option<ClientId>) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM dnc WHERE company_id = $1 AND (number = $2 OR ($3 <> 0 AND client_id = $3))",
        )
        .bind(self.company_id().0)
        .bind(number)
        .bind(client.map_or(0, |c| c.0))
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }
}
