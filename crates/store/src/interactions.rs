//! Interactions (CC-1, OD-14): every call, inbound and outbound, answered,
//! abandoned or failed, with what the caller did and who handled it; and
//! the numbers that tell which company an inbound call is for.

use crate::error::found;
use crate::intervals::stamp;
use crate::{now_rfc3339, Result, Scoped, Store, StoreError};
use centrala_desk::routing::Rule;
use centrala_domain::{ClientId, CompanyId, Intent, InteractionId, StaffId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Inbound, Direction::Outbound].into_iter().find(|d| d.as_str() == s)
    }
}

/// What sent an interaction where it went: one of the order desk's routing
/// rules, or the menu naming a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutingRule {
    Desk(Rule),
    /// The voice menu sent the caller to a named queue.
    Queue,
}

impl RoutingRule {
    pub const ALL: [RoutingRule; 6] = [
        RoutingRule::Desk(Rule::NewClient),
        RoutingRule::Desk(Rule::KeyClient),
        RoutingRule::Desk(Rule::DebtBlocked),
        RoutingRule::Desk(Rule::OtherMatter),
        RoutingRule::Desk(Rule::Operators),
        RoutingRule::Queue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoutingRule::Desk(r) => r.as_str(),
            RoutingRule::Queue => "queue",
        }
    }

    pub fn parse(s: &str) -> Option<RoutingRule> {
        RoutingRule::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl From<Rule> for RoutingRule {
    fn from(r: Rule) -> Self {
        RoutingRule::Desk(r)
    }
}

/// A call's routing as decided when its menu ended: written with the call's
/// answer or its end, whichever comes first, rather than in a write of its
/// own (issue 17: database trips per call). `at`: when it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub path: String,
    pub digits: String,
    pub intent: Intent,
    pub rule: RoutingRule,
    pub reasons: Vec<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The columns a [`Routing`] sets, from parameters `$6`…`$11`; each keeps
/// its value when its parameter is NULL (no routing given), and an earlier
/// routing's time is kept. (A macro, so the statements are constants.)
macro_rules! routing_sets {
    () => {
        "ivr_path = COALESCE($6, ivr_path), digits = COALESCE($7, digits), intent = COALESCE($8, intent),
         routing_rule = COALESCE($9, routing_rule), routing_reasons = COALESCE($10, routing_reasons),
         routed_at = COALESCE(routed_at, $11)"
    };
}

/// The six parameters of `routing_sets!`, all NULL for no routing.
fn routing_params(r: Option<&Routing>) -> [Option<String>; 6] {
    match r {
        Some(r) => [
            Some(r.path.clone()),
            Some(r.digits.clone()),
            Some(r.intent.as_str().to_owned()),
            Some(r.rule.as_str().to_owned()),
            Some(r.reasons.join("\n")),
            Some(stamp(r.at)),
        ],
        None => Default::default(),
    }
}

/// One step of an interaction's story, to write ([`Scoped::add_interaction_events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: chrono::DateTime<chrono::Utc>,
    pub kind: StoryKind,
    pub staff: Option<StaffId>,
    pub detail: String,
}

/// One step of an interaction's story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryKind {
    /// Someone the routing named could not ring (no phone registered).
    Skipped,
    /// Their phone rang.
    Offered,
    /// It rang out or was declined.
    Missed,
    Answered,
    /// Put through to someone else (by the API or a REFER).
    Transferred,
    TransferFailed,
    /// The caller heard its place and wait.
    Announced,
    /// It waits in a named queue.
    Queued,
    /// It left its queue after the longest wait (into another, or out).
    Overflowed,
    /// Someone listens in.
    Listening,
    /// The one listening in speaks to the agent only (a coach's whisper).
    Whispering,
    /// The one listening in joined the conversation (barge-in).
    BargedIn,
    /// The agent consulted a colleague (who answered) while the caller held.
    Consulted,
    /// The colleague the agent wanted to consult did not answer.
    ConsultMissed,
    /// The caller joined the consultation: a conference of three.
    Conference,
    /// The consulted colleague left the call.
    ConsultEnded,
    /// The agent paused the recording (a sensitive moment).
    RecordingPaused,
    /// The agent resumed the recording.
    RecordingResumed,
    /// The agent's phone was lost mid-call (a browser's network went): the
    /// caller held with music.
    AgentLost,
    /// The lost agent's phone came back and answered within the grace time.
    AgentBack,
    /// The lost agent's grace time passed: the caller went back to its
    /// queue at its old place.
    Requeued,
    CallbackRequested,
    CallbackReached,
    CallbackUnreached,
    CallbackRetry,
    /// A promised callback joined its queue again after a restart.
    CallbackRestored,
    /// The server stopped during the call; closed at the next start.
    Interrupted,
    /// A campaign's call: the client answered (the number dialled).
    Reached,
    /// A campaign's call: the client did not answer, was busy or the call
    /// failed (the result, and the SIP status when there was one).
    Unreached,
    /// Reference information went to the client by e-mail (what, to whom).
    ReferenceSent,
}

impl StoryKind {
    pub const ALL: [StoryKind; 30] = [
        StoryKind::Skipped,
        StoryKind::Offered,
        StoryKind::Missed,
        StoryKind::Answered,
        StoryKind::Transferred,
        StoryKind::TransferFailed,
        StoryKind::Announced,
        StoryKind::Queued,
        StoryKind::Overflowed,
        StoryKind::Listening,
        StoryKind::Whispering,
        StoryKind::BargedIn,
        StoryKind::Consulted,
        StoryKind::ConsultMissed,
        StoryKind::Conference,
        StoryKind::ConsultEnded,
        StoryKind::RecordingPaused,
        StoryKind::RecordingResumed,
        StoryKind::AgentLost,
        StoryKind::AgentBack,
        StoryKind::Requeued,
        StoryKind::CallbackRequested,
        StoryKind::CallbackReached,
        StoryKind::CallbackUnreached,
        StoryKind::CallbackRetry,
        StoryKind::CallbackRestored,
        StoryKind::Interrupted,
        StoryKind::Reached,
        StoryKind::Unreached,
        StoryKind::ReferenceSent,
    ];

    /// As stored (and shown by the API).
    pub fn as_str(self) -> &'static str {
        match self {
            StoryKind::Skipped => "skipped",
            StoryKind::Offered => "offered",
            StoryKind::Missed => "missed",
            StoryKind::Answered => "answered",
            StoryKind::Transferred => "transferred",
            StoryKind::TransferFailed => "transfer_failed",
            StoryKind::Announced => "announced",
            StoryKind::Queued => "queued",
            StoryKind::Overflowed => "overflowed",
            StoryKind::Listening => "listening",
            StoryKind::Whispering => "whispering",
            StoryKind::BargedIn => "barged_in",
            StoryKind::Consulted => "consulted",
            StoryKind::ConsultMissed => "consult_missed",
            StoryKind::Conference => "conference",
            StoryKind::ConsultEnded => "consult_ended",
            StoryKind::RecordingPaused => "recording_paused",
            StoryKind::RecordingResumed => "recording_resumed",
            StoryKind::AgentLost => "agent_lost",
            StoryKind::AgentBack => "agent_back",
            StoryKind::Requeued => "requeued",
            StoryKind::CallbackRequested => "callback_requested",
            StoryKind::CallbackReached => "callback_reached",
            StoryKind::CallbackUnreached => "callback_unreached",
            StoryKind::CallbackRetry => "callback_retry",
            StoryKind::CallbackRestored => "callback_restored",
            StoryKind::Interrupted => "interrupted",
            StoryKind::Reached => "reached",
            StoryKind::Unreached => "unreached",
            StoryKind::ReferenceSent => "reference_sent",
        }
    }

    pub fn parse(s: &str) -> Option<StoryKind> {
        StoryKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How an interaction ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    InProgress,
    Answered,
    Abandoned,
    Failed,
    Closed,
    /// Nobody could take it in time: the queue sent it to a message.
    Overflowed,
    /// The caller was promised a callback, which has not reached it yet.
    Callback,
    /// The server stopped during the call (a crash, a power cut): closed at
    /// the next start, at the last moment known of it.
    Interrupted,
}

impl Disposition {
    pub const ALL: [Disposition; 8] = [
        Disposition::InProgress,
        Disposition::Answered,
        Disposition::Abandoned,
        Disposition::Failed,
        Disposition::Closed,
        Disposition::Overflowed,
        Disposition::Callback,
        Disposition::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::InProgress => "in_progress",
            Disposition::Answered => "answered",
            Disposition::Abandoned => "abandoned",
            Disposition::Failed => "failed",
            Disposition::Closed => "closed",
            Disposition::Overflowed => "overflowed",
            Disposition::Callback => "callback",
            Disposition::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// An interaction as stored, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub id: InteractionId,
    /// `voice` (chat, e-mail and forms come later).
    pub channel: String,
    pub direction: Direction,
    pub caller: String,
    pub called: String,
    pub client_id: Option<ClientId>,
    pub arrived_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    pub ivr_path: String,
    pub digits: String,
    /// Why the caller called, once the menu is done.
    pub intent: Option<Intent>,
    /// What sent it where it went, once routed.
    pub routing_rule: Option<RoutingRule>,
    pub routing_reasons: String,
    pub disposition: Disposition,
    pub handled_by: Option<StaffId>,
    pub recording: Option<String>,
    pub notes: String,
    /// The notes are for supervisors, heads and admins only.
    pub notes_internal: bool,
    pub wrap_up: String,
    /// The caller's number came from a trusted peer (or the call is ours).
    pub caller_verified: bool,
    /// The outbound campaign it was placed for, if any.
    pub campaign: Option<i64>,
}

/// The row as the database holds it.
#[derive(sqlx::FromRow)]
struct InteractionRow {
    id: i64,
    channel: String,
    direction: String,
    caller: String,
    called: String,
    client_id: Option<i64>,
    arrived_at: String,
    answered_at: Option<String>,
    ended_at: Option<String>,
    ivr_path: String,
    digits: String,
    intent: String,
    routing_rule: String,
    routing_reasons: String,
    disposition: String,
    handled_by: Option<i64>,
    recording: Option<String>,
    notes: String,
    notes_internal: i64,
    wrap_up: String,
    caller_verified: i64,
    campaign_id: Option<i64>,
}

impl TryFrom<InteractionRow> for Interaction {
    type Error = StoreError;

    /// A stored word this release does not know is corrupt data, named.
    fn try_from(r: InteractionRow) -> Result<Interaction> {
        let bad = |what: &str, v: &str| StoreError::Corrupt(format!("interaction {}: {what} {v:?}", r.id));
        fn optional(v: &str) -> Option<&str> {
            (!v.is_empty()).then_some(v)
        }
        Ok(Interaction {
            direction: Direction::parse(&r.direction).ok_or_else(|| bad("direction", &r.direction))?,
            intent: optional(&r.intent).map(|v| Intent::parse(v).ok_or_else(|| bad("intent", v))).transpose()?,
            routing_rule: optional(&r.routing_rule)
                .map(|v| RoutingRule::parse(v).ok_or_else(|| bad("routing rule", v)))
                .transpose()?,
            disposition: Disposition::parse(&r.disposition).ok_or_else(|| bad("disposition", &r.disposition))?,
            id: InteractionId(r.id),
            channel: r.channel,
            caller: r.caller,
            called: r.called,
            client_id: r.client_id.map(ClientId),
            arrived_at: r.arrived_at,
            answered_at: r.answered_at,
            ended_at: r.ended_at,
            ivr_path: r.ivr_path,
            digits: r.digits,
            routing_reasons: r.routing_reasons,
            handled_by: r.handled_by.map(StaffId),
            recording: r.recording,
            notes: r.notes,
            notes_internal: r.notes_internal != 0,
            wrap_up: r.wrap_up,
            caller_verified: r.caller_verified != 0,
            campaign: r.campaign_id,
        })
    }
}

/// A filter for listing interactions; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct InteractionFilter {
    pub phone: Option<String>,
    pub client: Option<ClientId>,
    pub staff: Option<StaffId>,
    /// Arrived at or after this instant (RFC 3339 UTC, or a UTC day
    /// `YYYY-MM-DD`; compared as text, as stored).
    pub from: Option<String>,
    /// Arrived before this instant (exclusive; the same forms).
    pub until: Option<String>,
    pub disposition: Option<Disposition>,
    /// The routing rule that sent it.
    pub rule: Option<RoutingRule>,
    pub limit: i64,
}

const COLS: &str =
    "id, channel, direction, caller, called, client_id, arrived_at, answered_at, ended_at, ivr_path, digits, \
                    intent, routing_rule, routing_reasons, disposition, handled_by, recording, notes, notes_internal, wrap_up, caller_verified, campaign_id";

impl Store {
    /// The company an inbound call to `number` (E.164) is for.
    pub async fn company_for_number(&self, number: &str) -> Result<Option<(CompanyId, String)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT company_id, purpose FROM company_numbers WHERE number = $1")
                .bind(number)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(c, p)| (CompanyId(c), p)))
    }
}

impl Scoped<'_> {
    /// Assigns a number to this company; a number of another company is
    /// refused (numbers are global: they decide the company).
    pub async fn set_number(&self, number: &str, purpose: &str) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO company_numbers (number, company_id, purpose) VALUES ($1, $2, $3)
             ON CONFLICT (number) DO UPDATE SET purpose = excluded.purpose WHERE company_numbers.company_id = excluded.company_id",
        )
        .bind(number)
        .bind(self.company_id().0)
        .bind(purpose)
        .execute(self.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("{number} belongs to another company")));
        }
        Ok(())
    }

    pub async fn numbers(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT number, purpose FROM company_numbers WHERE company_id = $1 ORDER BY number")
            .bind(self.company_id().0)
            .fetch_all(self.pool())
            .await?)
    }

    /// The number the company's outbound calls present (CC-14): the one
    /// whose purpose is `outbound`, else its first number; none when it has
    /// no number.
    pub async fn outbound_number(&self) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT number FROM company_numbers WHERE company_id = $1
             ORDER BY CASE WHEN purpose = 'outbound' THEN 0 ELSE 1 END, number LIMIT 1",
        )
        .bind(self.company_id().0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(n,)| n))
    }

    pub async fn delete_number(&self, number: &str) -> Result<()> {
        let r = sqlx::query("DELETE FROM company_numbers WHERE company_id = $1 AND number = $2")
            .bind(self.company_id().0)
            .bind(number)
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// Registers an interaction as it starts (before anything can be lost).
    pub async fn start_interaction(
        &self,
        direction: Direction,
        caller: &str,
        called: &str,
        client: Option<ClientId>,
    ) -> Result<InteractionId> {
        self.start_call(direction, caller, called, client, true).await
    }

    /// Registers a call whose caller's number is `verified` or not (an
    /// inbound call from an untrusted source), in one write.
    pub async fn start_call(
        &self,
        direction: Direction,
        caller: &str,
        called: &str,
        client: Option<ClientId>,
        verified: bool,
    ) -> Result<InteractionId> {
        self.insert_call(direction, caller, called, client, verified, None).await
    }

    /// Registers an outbound call of campaign `campaign` to `called`,
    /// presenting `caller`.
    pub async fn start_campaign_call(
        &self,
        campaign: i64,
        caller: &str,
        called: &str,
        client: ClientId,
    ) -> Result<InteractionId> {
        self.insert_call(Direction::Outbound, caller, called, Some(client), true, Some(campaign)).await
    }

    async fn insert_call(
        &self,
        direction: Direction,
        caller: &str,
        called: &str,
        client: Option<ClientId>,
        verified: bool,
        campaign: Option<i64>,
    ) -> Result<InteractionId> {
        // One statement: no row is written for a client that is not this
        // company's.
        let rows: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO interactions (company_id, channel, direction, caller, called, client_id, arrived_at, disposition,
             caller_verified, campaign_id) SELECT $1, 'voice', $2, $3, $4, $5, $6, 'in_progress', $7, $8
             WHERE $5 IS NULL OR EXISTS (SELECT 1 FROM clients WHERE company_id = $1 AND id = $5) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(direction.as_str())
        .bind(caller)
        .bind(called)
        .bind(client.map(|c| c.0))
        .bind(now_rfc3339())
        .bind(crate::b(verified))
        .bind(campaign)
        .fetch_all(self.pool())
        .await?;
        match (rows.first(), client) {
            (Some((id,)), _) => Ok(InteractionId(*id)),
            (None, Some(c)) => Err(StoreError::Invalid(format!("client {c} does not exist"))),
            (None, None) => Err(StoreError::Corrupt("an INSERT … RETURNING gave no row".into())),
        }
    }

    /// Records the IVR's result and the routing decision.
    pub async fn route_interaction(
        &self,
        id: InteractionId,
        path: &str,
        digits: &str,
        intent: Intent,
        rule: RoutingRule,
        reasons: &[String],
    ) -> Result<()> {
        self.touch(
            "UPDATE interactions SET ivr_path = $3, digits = $4, intent = $5, routing_rule = $6, routing_reasons = $7,
             routed_at = COALESCE(routed_at, $8) WHERE company_id = $1 AND id = $2",
            id,
            &[path, digits, intent.as_str(), rule.as_str(), &reasons.join("\n"), &now_rfc3339()],
        )
        .await
    }

    pub async fn answer_interaction(&self, id: InteractionId, staff: StaffId, recording: Option<&str>) -> Result<()> {
        self.answer(id, staff, recording, None).await
    }

    /// Marks a call answered by `staff` and writes its routing, if not yet
    /// written, in one statement.
    pub async fn answer_routed(&self, id: InteractionId, staff: StaffId, routing: Option<&Routing>) -> Result<()> {
        self.answer(id, staff, None, routing).await
    }

    async fn answer(
        &self,
        id: InteractionId,
        staff: StaffId,
        recording: Option<&str>,
        routing: Option<&Routing>,
    ) -> Result<()> {
        let sql = concat!(
            "UPDATE interactions SET answered_at = COALESCE(answered_at, $3), handled_by = $4,
             recording = COALESCE($5, recording), ",
            routing_sets!(),
            " WHERE company_id = $1 AND id = $2"
        );
        let mut q = sqlx::query(sql)
            .bind(self.company_id().0)
            .bind(id.0)
            .bind(now_rfc3339())
            .bind(staff.0)
            .bind(recording.map(str::to_owned));
        for p in routing_params(routing) {
            q = q.bind(p);
        }
        found(q.execute(self.pool()).await?)
    }

    pub async fn end_interaction(&self, id: InteractionId, disposition: Disposition) -> Result<()> {
        let now = now_rfc3339();
        self.touch(
            "UPDATE interactions SET ended_at = $3, disposition = $4 WHERE company_id = $1 AND id = $2",
            id,
            &[&now, disposition.as_str()],
        )
        .await
    }

    /// Ends a call and links its finished recording (a path under the
    /// recordings folder), if it has one, and writes its routing, if not
    /// yet written, in one write. `ended_at`: when the call ended, if
    /// before now (its legs torn down since).
    pub async fn end_call(
        &self,
        id: InteractionId,
        disposition: Disposition,
        recording: Option<&str>,
        ended_at: Option<chrono::DateTime<chrono::Utc>>,
        routing: Option<&Routing>,
    ) -> Result<()> {
        let at = ended_at.map_or_else(now_rfc3339, stamp);
        let sql = concat!(
            "UPDATE interactions SET ended_at = $3, disposition = $4, recording = COALESCE($5, recording), ",
            routing_sets!(),
            " WHERE company_id = $1 AND id = $2"
        );
        let mut q = sqlx::query(sql)
            .bind(self.company_id().0)
            .bind(id.0)
            .bind(at)
            .bind(disposition.as_str())
            .bind(recording.map(str::to_owned));
        for p in routing_params(routing) {
            q = q.bind(p);
        }
        found(q.execute(self.pool()).await?)
    }

    /// Links the finished recording (a path under the recordings folder).
    pub async fn record_interaction(&self, id: InteractionId, recording: &str) -> Result<()> {
        self.touch("UPDATE interactions SET recording = $3 WHERE company_id = $1 AND id = $2", id, &[recording]).await
    }

    /// The handler's wrap-up code (what the call was about in the end).
    pub async fn wrap_up_interaction(&self, id: InteractionId, code: &str) -> Result<()> {
        let now = now_rfc3339();
        self.touch(
            "UPDATE interactions SET wrap_up = $3, wrapped_at = $4 WHERE company_id = $1 AND id = $2",
            id,
            &[code, &now],
        )
        .await
    }

    /// The handler's notes, `internal` when only supervisors, heads and
    /// admins may read them.
    pub async fn note_interaction(&self, id: InteractionId, notes: &str, internal: bool) -> Result<()> {
        let r =
            sqlx::query("UPDATE interactions SET notes = $3, notes_internal = $4 WHERE company_id = $1 AND id = $2")
                .bind(self.company_id().0)
                .bind(id.0)
                .bind(notes)
                .bind(crate::b(internal))
                .execute(self.pool())
                .await?;
        found(r)
    }

    /// Whether `staff` is serving `client` now: handling a call of the
    /// client that is in progress or ended within `recent` (its wrap-up),
    /// or holding a draft order of the client. An operator reads a client's
    /// history only then.
    pub async fn serves(&self, staff: StaffId, client: ClientId, recent: chrono::Duration) -> Result<bool> {
        let since = (chrono::Utc::now() - recent).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (n,): (i64,) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM interactions WHERE company_id = $1 AND handled_by = $2 AND client_id = $3
                       AND (ended_at IS NULL OR ended_at >= $4))
                  + (SELECT COUNT(*) FROM orders WHERE company_id = $1 AND created_by = $2 AND client_id = $3
                       AND status = 'draft')",
        )
        .bind(self.company_id().0)
        .bind(staff.0)
        .bind(client.0)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    async fn touch(&self, sql: &str, id: InteractionId, texts: &[&str]) -> Result<()> {
        let mut q = sqlx::query(sql).bind(self.company_id().0).bind(id.0);
        for t in texts {
            q = q.bind((*t).to_owned());
        }
        found(q.execute(self.pool()).await?)
    }

    pub async fn interaction(&self, id: InteractionId) -> Result<Option<Interaction>> {
        let sql = format!("SELECT {COLS} FROM interactions WHERE company_id = $1 AND id = $2");
        let row: Option<InteractionRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id.0).fetch_optional(self.pool()).await?;
        row.map(Interaction::try_from).transpose()
    }

    /// Interactions, newest first.
    pub async fn interactions(&self, f: &InteractionFilter) -> Result<Vec<Interaction>> {
        let sql = format!(
            "SELECT {COLS} FROM interactions WHERE company_id = $1
             AND ($2 = '' OR caller = $2 OR called = $2)
             AND ($3 = 0 OR client_id = $3)
             AND ($4 = 0 OR handled_by = $4)
             AND ($5 = '' OR arrived_at >= $5)
             AND ($6 = '' OR arrived_at < $6)
             AND ($7 = '' OR disposition = $7)
             AND ($8 = '' OR routing_rule = $8)
             ORDER BY arrived_at DESC, id DESC LIMIT $9"
        );
        let rows: Vec<InteractionRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(f.phone.clone().unwrap_or_default())
            .bind(f.client.map_or(0, |c| c.0))
            .bind(f.staff.map_or(0, |s| s.0))
            .bind(f.from.clone().unwrap_or_default())
            .bind(f.until.clone().unwrap_or_default())
            .bind(f.disposition.map_or("", Disposition::as_str))
            .bind(f.rule.map_or("", RoutingRule::as_str))
            .bind(if f.limit > 0 { f.limit } else { 100 })
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(Interaction::try_from).collect()
    }
}

/// A staff phone's SIP account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAccount {
    pub username: String,
    pub company_id: i64,
    pub staff_id: StaffId,
    pub ha1: String,
    /// Its media must be encrypted (SRTP): calls to it offer only SRTP.
    pub srtp_required: bool,
}

#[derive(sqlx::FromRow)]
struct SipAccountRow {
    username: String,
    company_id: i64,
    staff_id: i64,
    ha1: String,
    srtp_required: i64,
}

impl From<SipAccountRow> for SipAccount {
    fn from(r: SipAccountRow) -> Self {
        SipAccount {
            username: r.username,
            company_id: r.company_id,
            staff_id: StaffId(r.staff_id),
            ha1: r.ha1,
            srtp_required: r.srtp_required != 0,
        }
    }
}

const SIP_ACCOUNT: &str = "SELECT username, company_id, staff_id, ha1, srtp_required FROM sip_accounts";

impl Store {
    /// The account of a SIP username, in any company (the registrar's
    /// question: it learns the company from the account).
    pub async fn sip_account(&self, username: &str) -> Result<Option<SipAccount>> {
        let row: Option<SipAccountRow> = sqlx::query_as(&format!("{SIP_ACCOUNT} WHERE username = $1"))
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(SipAccount::from))
    }

    /// Replaces the stored registrations of `username` with `bindings`
    /// (contact, source address, expiry in Unix seconds), in one
    /// transaction.
    pub async fn save_sip_bindings(&self, username: &str, bindings: &[(String, String, i64)]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sip_bindings WHERE username = $1").bind(username).execute(&mut *tx).await?;
        for (contact, source, expires_at) in bindings {
            sqlx::query("INSERT INTO sip_bindings (username, contact, source, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(username)
                .bind(contact)
                .bind(source)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored registrations not expired at `now` (Unix seconds), of
    /// accounts that still exist: (username, contact, source, expiry,
    /// whether the account requires SRTP). Expired ones are deleted.
    pub async fn sip_bindings(&self, now: i64) -> Result<Vec<(String, String, String, i64, bool)>> {
        sqlx::query("DELETE FROM sip_bindings WHERE expires_at <= $1").bind(now).execute(self.pool()).await?;
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT b.username, b.contact, b.source, b.expires_at, a.srtp_required FROM sip_bindings b
             JOIN sip_accounts a ON a.username = b.username ORDER BY b.username, b.expires_at",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(u, c, s, e, srtp)| (u, c, s, e, srtp != 0)).collect())
    }
}

impl Scoped<'_> {
    /// Gives `staff` the SIP account `username` (replacing the one it had).
    /// A username taken by anyone else, in any company, is refused.
    pub async fn set_sip_account(&self, staff: StaffId, username: &str, ha1: &str) -> Result<()> {
        if self.staff(staff).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let taken: Option<(i64,)> = sqlx::query_as("SELECT staff_id FROM sip_accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some_and(|(s,)| s != staff.0) {
            return Err(StoreError::Conflict(format!("the SIP username {username:?} is taken")));
        }
        sqlx::query("DELETE FROM sip_accounts WHERE staff_id = $1").bind(staff.0).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sip_accounts (username, company_id, staff_id, ha1) VALUES ($1, $2, $3, $4)")
            .bind(username)
            .bind(self.company_id().0)
            .bind(staff.0)
            .bind(ha1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_sip_account(&self, staff: StaffId) -> Result<()> {
        let r = sqlx::query("DELETE FROM sip_accounts WHERE company_id = $1 AND staff_id = $2")
            .bind(self.company_id().0)
            .bind(staff.0)
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// This company's SIP accounts, by username.
    pub async fn sip_accounts(&self) -> Result<Vec<SipAccount>> {
        let rows: Vec<SipAccountRow> =
            sqlx::query_as(&format!("{SIP_ACCOUNT} WHERE company_id = $1 ORDER BY username"))
                .bind(self.company_id().0)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(SipAccount::from).collect())
    }

    /// Whether a staff member's phone must use SRTP (they must have an
    /// account).
    pub async fn set_sip_srtp_required(&self, staff: StaffId, required: bool) -> Result<()> {
        let r = sqlx::query("UPDATE sip_accounts SET srtp_required = $1 WHERE company_id = $2 AND staff_id = $3")
            .bind(i64::from(required))
            .bind(self.company_id().0)
            .bind(staff.0)
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// The SIP username of one staff member's phone, if they have one.
    pub async fn sip_username(&self, staff: StaffId) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT username FROM sip_accounts WHERE company_id = $1 AND staff_id = $2")
                .bind(self.company_id().0)
                .bind(staff.0)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(u,)| u))
    }
}

impl Scoped<'_> {
    /// One JSON column of the company's call settings (`ivr`, `queue`).
    async fn call_setting(&self, column: JsonSetting) -> Result<Option<String>> {
        let sql = format!("SELECT {} FROM call_settings WHERE company_id = $1", column.name());
        let row: Option<(Option<String>,)> =
            sqlx::query_as(&sql).bind(self.company_id().0).fetch_optional(self.pool()).await?;
        Ok(row.and_then(|(v,)| v))
    }

    async fn set_call_setting(&self, column: JsonSetting, value: Option<&str>) -> Result<()> {
        let c = column.name();
        let sql = format!(
            "INSERT INTO call_settings (company_id, {c}) VALUES ($1, $2)
             ON CONFLICT (company_id) DO UPDATE SET {c} = excluded.{c}"
        );
        sqlx::query(&sql).bind(self.company_id().0).bind(value.map(str::to_owned)).execute(self.pool()).await?;
        Ok(())
    }

    /// The company's own IVR definition (JSON), if it has one.
    pub async fn ivr(&self) -> Result<Option<String>> {
        self.call_setting(JsonSetting::Ivr).await
    }

    /// Sets (or, with `None`, removes) the company's IVR definition.
    pub async fn set_ivr(&self, definition: Option<&str>) -> Result<()> {
        self.set_call_setting(JsonSetting::Ivr, definition).await
    }

    /// The company's queue settings (JSON as the API takes it), if set.
    pub async fn queue_settings(&self) -> Result<Option<String>> {
        self.call_setting(JsonSetting::Queue).await
    }

    /// Sets (or, with `None`, removes) the company's queue settings.
    pub async fn set_queue_settings(&self, settings: Option<&str>) -> Result<()> {
        self.set_call_setting(JsonSetting::Queue, settings).await
    }

    /// The company's named queues (JSON as the API takes it), if any.
    pub async fn named_queues(&self) -> Result<Option<String>> {
        self.call_setting(JsonSetting::Queues).await
    }

    /// Sets (or, with `None`, removes) the company's named queues.
    pub async fn set_named_queues(&self, queues: Option<&str>) -> Result<()> {
        self.set_call_setting(JsonSetting::Queues, queues).await
    }

    /// Days recordings are kept; 0 for forever.
    pub async fn recording_retention(&self) -> Result<i64> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT recording_retention_days FROM call_settings WHERE company_id = $1")
                .bind(self.company_id().0)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map_or(0, |(d,)| d))
    }

    /// Whether the company lets an operator pause a call's recording for a
    /// sensitive moment (no, unless an admin said so).
    pub async fn recording_pause_allowed(&self) -> Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT recording_pause_allowed FROM call_settings WHERE company_id = $1")
                .bind(self.company_id().0)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some_and(|(v,)| v != 0))
    }

    pub async fn set_recording_pause_allowed(&self, allowed: bool) -> Result<()> {
        sqlx::query(
            "INSERT INTO call_settings (company_id, recording_pause_allowed) VALUES ($1, $2)
             ON CONFLICT (company_id) DO UPDATE SET recording_pause_allowed = excluded.recording_pause_allowed",
        )
        .bind(self.company_id().0)
        .bind(i64::from(allowed))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn set_recording_retention(&self, days: i64) -> Result<()> {
        if days < 0 {
            return Err(StoreError::Invalid("retention days cannot be negative".into()));
        }
        sqlx::query(
            "INSERT INTO call_settings (company_id, recording_retention_days) VALUES ($1, $2)
             ON CONFLICT (company_id) DO UPDATE SET recording_retention_days = excluded.recording_retention_days",
        )
        .bind(self.company_id().0)
        .bind(days)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Interactions that arrived before `cutoff` (RFC 3339) and still have
    /// a recording: (id, recording path).
    pub async fn recordings_before(&self, cutoff: &str) -> Result<Vec<(InteractionId, String)>> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, recording FROM interactions
             WHERE company_id = $1 AND recording IS NOT NULL AND arrived_at < $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(cutoff)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().filter_map(|(id, r)| r.map(|r| (InteractionId(id), r))).collect())
    }

    /// Interactions the last run left open (a crash cut them off), with
    /// the last moment known of each: its newest story step, or its answer
    /// or arrival.
    pub async fn open_interactions(&self) -> Result<Vec<(Interaction, String)>> {
        let sql = format!("SELECT {COLS} FROM interactions WHERE company_id = $1 AND ended_at IS NULL ORDER BY id");
        let rows: Vec<InteractionRow> = sqlx::query_as(&sql).bind(self.company_id().0).fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let i = Interaction::try_from(r)?;
            let (newest,): (Option<String>,) =
                sqlx::query_as("SELECT MAX(at) FROM interaction_events WHERE company_id = $1 AND interaction_id = $2")
                    .bind(self.company_id().0)
                    .bind(i.id.0)
                    .fetch_one(self.pool())
                    .await?;
            let last = [Some(i.arrived_at.clone()), i.answered_at.clone(), newest].into_iter().flatten().max();
            out.push((i, last.unwrap_or_default()));
        }
        Ok(out)
    }

    /// Closes an interaction a crash cut off: `interrupted`, ended at
    /// `ended_at`, its recording linked when one was found, and a story
    /// step saying so, in one transaction.
    pub async fn interrupt_interaction(
        &self,
        id: InteractionId,
        ended_at: &str,
        recording: Option<&str>,
        detail: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE interactions SET ended_at = $3, disposition = 'interrupted', recording = COALESCE($4, recording)
             WHERE company_id = $1 AND id = $2 AND ended_at IS NULL",
        )
        .bind(self.company_id().0)
        .bind(id.0)
        .bind(ended_at)
        .bind(recording)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO interaction_events (company_id, interaction_id, at, kind, staff_id, detail)
             VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(self.company_id().0)
        .bind(id.0)
        .bind(ended_at)
        .bind(StoryKind::Interrupted.as_str())
        .bind(detail)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets an interaction's recording (its file was deleted).
    pub async fn clear_recording(&self, id: InteractionId) -> Result<()> {
        let r = sqlx::query("UPDATE interactions SET recording = NULL WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id.0)
            .execute(self.pool())
            .await?;
        found(r)
    }
}

/// The JSON columns of `call_settings` (a closed set: column names are
/// never taken from input).
#[derive(Clone, Copy)]
enum JsonSetting {
    Ivr,
    Queue,
    Queues,
}

impl JsonSetting {
    fn name(self) -> &'static str {
        match self {
            JsonSetting::Ivr => "ivr",
            JsonSetting::Queue => "queue",
            JsonSetting::Queues => "queues",
        }
    }
}

/// One step of an interaction's story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionEvent {
    pub at: String,
    pub kind: StoryKind,
    pub staff_id: Option<StaffId>,
    pub detail: String,
}

impl Scoped<'_> {
    /// Adds a step to an interaction's story.
    pub async fn add_interaction_event(
        &self,
        id: InteractionId,
        kind: StoryKind,
        staff: Option<StaffId>,
        detail: &str,
    ) -> Result<()> {
        let step = Step { at: chrono::Utc::now(), kind, staff, detail: detail.to_owned() };
        self.add_interaction_events(id, std::slice::from_ref(&step)).await
    }

    /// Adds steps to an interaction's story, in their order, in one
    /// statement (none when `steps` is empty).
    pub async fn add_interaction_events(&self, id: InteractionId, steps: &[Step]) -> Result<()> {
        if steps.is_empty() {
            return Ok(());
        }
        // One statement: written only if the interaction is this company's.
        let rows: Vec<String> = (0..steps.len())
            .map(|i| {
                let n = 3 + 4 * i;
                format!(
                    "SELECT $1, $2, ${n}, ${}, ${}, ${} WHERE EXISTS
                     (SELECT 1 FROM interactions WHERE company_id = $1 AND id = $2)",
                    n + 1,
                    n + 2,
                    n + 3
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO interaction_events (company_id, interaction_id, at, kind, staff_id, detail) {}",
            rows.join(" UNION ALL ")
        );
        let mut q = sqlx::query(&sql).bind(self.company_id().0).bind(id.0);
        for step in steps {
            q = q.bind(stamp(step.at)).bind(step.kind.as_str()).bind(step.staff.map(|s| s.0)).bind(step.detail.clone());
        }
        found(q.execute(self.pool()).await?)
    }

    /// An interaction's story, oldest first.
    pub async fn interaction_events(&self, id: InteractionId) -> Result<Vec<InteractionEvent>> {
        let rows: Vec<(String, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT at, kind, staff_id, detail FROM interaction_events
             WHERE company_id = $1 AND interaction_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(at, kind, staff, detail)| {
                let kind = StoryKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("interaction {id}: story kind {kind:?}")))?;
                Ok(InteractionEvent { at, kind, staff_id: staff.map(StaffId), detail })
            })
            .collect()
    }
}
