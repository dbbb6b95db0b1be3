//! Outbound campaigns (OD-16, OD-17, CC-6): built from the order history
//! (dormant clients) or a head's list, worked by named operators, each
//! result recorded as the rules say (`centrala_desk::campaign`), reported
//! back to who asked (JSON or CSV); and the company's do-not-call list.
//! Admins, supervisors and heads create and run campaigns; an operator
//! sees only those assigned to them.

use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{
    extract::State,
    http::{header, HeaderName, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use centrala_desk::campaign::{
    after_result, dormant_since, Hours, Kind, Mode, Problem, Retry, State as TargetState, DEFAULT_RESULTS, WEEKDAYS,
};
use centrala_domain::{normalize_phone, OrderId};
use centrala_store::campaigns::{Campaign, CampaignInput, Status, Target, TargetCount};
use centrala_store::Scoped;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::{IntoParams, ToSchema};

fn runs(auth: &Auth) -> bool {
    roles::PLANNERS.contains(&auth.role)
}

/// The company's local time now (campaign hours and call-backs are in it).
async fn local_now(state: &AppState, auth: &Auth) -> NaiveDateTime {
    let zone = state.center.zone(auth.company).await;
    state.center.clock().local(zone)
}

/// A campaign's target by its client's code.
async fn target_by_code(s: &centrala_store::Scoped<'_>, campaign: i64, code: &str) -> ApiResult<Target> {
    s.target_by_code(campaign, code).await?.ok_or_else(|| ApiError::not_found("target"))
}

/// Who the caller is, and the company's queues: whether they work a
/// campaign (`centrala_center::campaigns::works`).
struct Worker {
    me: Option<centrala_store::Staff>,
    queues: BTreeMap<String, centrala_center::settings::StoredQueue>,
}

impl Worker {
    async fn load(state: &AppState, auth: &Auth) -> ApiResult<Worker> {
        let s = state.store.company(auth.company);
        let queues = centrala_center::settings::company_queues(&s, &state.center.problems).await?;
        Ok(Worker { me: s.staff(auth.staff).await?, queues })
    }

    fn works(&self, c: &Campaign) -> bool {
        self.me.as_ref().is_some_and(|m| centrala_center::campaigns::works(&c.input, &self.queues, m))
    }
}

/// The campaign, if the caller may see it (operators: when they work it).
async fn visible(state: &AppState, auth: &Auth, raw: &str) -> ApiResult<Campaign> {
    let id = super::parse_id(raw, "campaign")?;
    let c = state.store.company(auth.company).campaign(id).await?.ok_or_else(|| ApiError::not_found("campaign"))?;
    if runs(auth) {
        return Ok(c);
    }
    // The company's queues are read only when the campaign names one.
    let s = state.store.company(auth.company);
    let me = s.staff(auth.staff).await?;
    let works = match me {
        Some(m) => centrala_center::campaigns::works_it(&state.center, &s, &c.input, &m).await?,
        None => false,
    };
    if !works {
        return Err(ApiError::not_found("campaign"));
    }
    Ok(c)
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct HoursIo {
    /// `mon` … `sun`.
    pub days: Vec<String>,
    /// `HH:MM`, the company's time.
    pub from: String,
    pub to: String,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct RetryIo {
    pub interval_minutes: u32,
    pub max_attempts: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFilter {
    pub client_type: Option<String>,
    pub region: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignIn {
    /// `reactivation`, `instruction`, `promotion` or `survey`.
    pub kind: String,
    pub name: String,
    /// The instruction or script shown to the operator.
    #[serde(default)]
    pub script: String,
    /// Result codes (default: ordered, call_later, not_interested,
    /// wrong_number, not_reached, do_not_call).
    #[serde(default)]
    pub results: Vec<String>,
    /// Usernames of the operators who work it.
    #[serde(default)]
    pub agents: Vec<String>,
    /// And (or instead) the members of this queue of the company
    /// (`operators`: every operator and supervisor).
    pub queue: Option<String>,
    /// `preview` (default) or `progressive`.
    pub mode: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// When the results are due back (instructions, OD-17).
    pub due_on: Option<NaiveDate>,
    /// Default: weekdays 08:00–20:00.
    pub hours: Option<HoursIo>,
    /// Default: every 60 minutes, 3 attempts.
    pub retry: Option<RetryIo>,
    /// Reactivation: which dormant clients (no order for more than six
    /// months).
    pub filter: Option<TargetFilter>,
    /// The other kinds: the clients, by code.
    #[serde(default)]
    pub clients: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Progress {
    pub targets: usize,
    pub done: usize,
    pub pending: usize,
    /// Targets per outcome so far.
    pub outcomes: BTreeMap<String, usize>,
    pub orders: usize,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignOut {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub script: String,
    pub results: Vec<String>,
    pub agents: Vec<String>,
    /// The queue whose members also work it.
    pub queue: Option<String>,
    pub mode: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub hours: HoursIo,
    pub retry: RetryIo,
    /// `draft`, `running`, `paused` or `done`.
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub progress: Progress,
}

fn progress(counts: &[TargetCount]) -> Progress {
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    let mut p = Progress { targets: 0, done: 0, pending: 0, outcomes: BTreeMap::new(), orders: 0 };
    for c in counts {
        p.targets += n(c.targets);
        p.orders += n(c.orders);
        if c.state == TargetState::Done {
            p.done += n(c.targets);
        } else {
            p.pending += n(c.targets);
        }
        if !c.outcome.is_empty() {
            *p.outcomes.entry(c.outcome.clone()).or_insert(0) += n(c.targets);
        }
    }
    p
}

/// The campaign as the API shows it, with its progress counted in the store.
async fn with_progress(s: &Scoped<'_>, c: Campaign) -> ApiResult<CampaignOut> {
    let counts = s.campaign_counts(c.id).await?;
    Ok(out(c, &counts))
}

fn hours_out(h: &Hours) -> HoursIo {
    HoursIo {
        days: WEEKDAYS.iter().zip(h.days).filter(|(_, on)| *on).map(|(d, _)| d.to_string().to_lowercase()).collect(),
        from: h.from.format("%H:%M").to_string(),
        to: h.to.format("%H:%M").to_string(),
    }
}

fn out(c: Campaign, counts: &[TargetCount]) -> CampaignOut {
    let i = c.input;
    CampaignOut {
        id: c.id,
        kind: i.kind.as_str().into(),
        name: i.name,
        script: i.script,
        results: i.results,
        agents: i.agents,
        queue: i.queue,
        mode: i.mode.as_str().into(),
        starts_on: i.starts_on,
        ends_on: i.ends_on,
        due_on: i.due_on,
        hours: hours_out(&i.hours),
        retry: RetryIo { interval_minutes: i.retry.interval_minutes, max_attempts: i.retry.max_attempts },
        status: c.status.as_str().into(),
        created_by: c.created_by,
        created_at: c.created_at,
        progress: progress(counts),
    }
}

fn problem(p: &Problem, field: &'static str) -> ApiError {
    let (code, message) = match p {
        Problem::NoDays => ("invalid_input", "the calling hours have no day".to_owned()),
        Problem::Inverted => ("invalid_input", "the calling hours end before they start".to_owned()),
        Problem::InThePast => ("in_the_past", "that time is already past".to_owned()),
        Problem::OutsideHours => ("outside_hours", "that time is outside the campaign's calling hours".to_owned()),
        Problem::UnknownResult(r) => ("unknown_result", format!("the campaign has no result {r:?}")),
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).field(field)
}

fn hours_in(h: Option<HoursIo>) -> ApiResult<Hours> {
    let Some(h) = h else { return Ok(Hours::default()) };
    let mut days = [false; 7];
    for d in &h.days {
        let i = WEEKDAYS
            .iter()
            .position(|w| w.to_string().eq_ignore_ascii_case(d))
            .ok_or_else(|| ApiError::invalid(format!("day {d:?}: mon … sun")).field("hours"))?;
        days[i] = true;
    }
    let t = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M")
            .map_err(|_| ApiError::invalid(format!("time {s:?}: HH:MM")).field("hours"))
    };
    let hours = Hours { days, from: t(&h.from)?, to: t(&h.to)? };
    hours.check().map_err(|p| problem(&p, "hours"))?;
    Ok(hours)
}

/// Create a campaign with its targets (admins, supervisors, heads): all of
/// it or nothing.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignIn,
    responses((status = 201, body = CampaignOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<CampaignIn>,
) -> ApiResult<(StatusCode, Json<CampaignOut>)> {
    auth.require(roles::PLANNERS)?;
    let kind = Kind::parse(&b.kind).ok_or_else(|| {
        ApiError::invalid(format!("kind {:?}: reactivation, instruction, promotion or survey", b.kind)).field("kind")
    })?;
    let name = b.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(ApiError::invalid("the campaign needs a name of up to 120 characters").field("name"));
    }
    let mode = match b.mode.as_deref() {
        None => Mode::Preview,
        Some(m) => Mode::parse(m)
            .ok_or_else(|| ApiError::invalid(format!("mode {m:?}: preview or progressive")).field("mode"))?,
    };
    let hours = hours_in(b.hours)?;
    let retry = match b.retry {
        None => Retry::default(),
        Some(r) if (1..=10_080).contains(&r.interval_minutes) && (1..=20).contains(&r.max_attempts) => {
            Retry { interval_minutes: r.interval_minutes, max_attempts: r.max_attempts }
        }
        Some(_) => return Err(ApiError::invalid("retry: 1 to 10080 minutes, 1 to 20 attempts").field("retry")),
    };
    if let (Some(s), Some(e)) = (b.starts_on, b.ends_on) {
        if e < s {
            return Err(ApiError::invalid("the campaign ends before it starts").field("ends_on"));
        }
    }
    let mut results: Vec<String> = b.results.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect();
    if results.is_empty() {
        results = DEFAULT_RESULTS.iter().map(|r| (*r).to_owned()).collect();
    }
    if results.iter().any(|r| r.len() > 40 || !r.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
        return Err(ApiError::invalid("result codes are lower-case words with _").field("results"));
    }
    let s = state.store.company(auth.company);
    let queue = b.queue.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned);
    if let Some(q) = &queue {
        let queues = centrala_center::settings::company_queues(&s, &state.center.problems).await?;
        if !queues.contains_key(q) {
            return Err(ApiError::invalid(format!("no queue {q:?}")).field("queue").param("queue", q.as_str()));
        }
    }
    if b.agents.is_empty() && queue.is_none() {
        return Err(ApiError::invalid("name the operators who work it, or a queue").field("agents"));
    }
    for a in &b.agents {
        if s.staff_by_username(a).await?.is_none_or(|m| !m.active) {
            return Err(ApiError::invalid(format!("no active staff member {a}"))
                .field("agents")
                .param("username", a.as_str()));
        }
    }
    let targets: Vec<(centrala_domain::ClientId, Option<NaiveDate>)> = match kind {
        Kind::Reactivation => {
            let today = state.center.today(auth.company).await;
            let f = b.filter.unwrap_or(TargetFilter { client_type: None, region: None });
            s.reactivation_candidates(dormant_since(today), f.client_type.as_deref(), f.region.as_deref())
                .await?
                .into_iter()
                .map(|(c, last)| (c, Some(last)))
                .collect()
        }
        _ => {
            let mut found = Vec::new();
            let mut unknown = Vec::new();
            for code in b.clients.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
                match s.client_by_code(code).await? {
                    Some(c) if !found.iter().any(|(id, _)| *id == c.id) => found.push((c.id, None)),
                    Some(_) => {}
                    None => unknown.push(code.to_owned()),
                }
            }
            if !unknown.is_empty() {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_clients",
                    format!("no clients {}", unknown.join(", ")),
                )
                .field("clients")
                .param("codes", unknown.join(", ")));
            }
            found
        }
    };
    if targets.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_targets", "the campaign has nobody to call"));
    }
    let input = CampaignInput {
        kind,
        name,
        script: b.script.chars().take(10_000).collect(),
        results,
        agents: b.agents,
        queue,
        mode,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        due_on: b.due_on,
        hours,
        retry,
    };
    let c = s.create_campaign(&input, &targets, &auth.username).await?;
    s.audit(&auth.username, "create", "campaign", &c.id.to_string(), &c.input.name).await?;
    Ok((StatusCode::CREATED, Json(with_progress(&s, c).await?)))
}

/// The campaigns the caller runs or works, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", responses((status = 200, body = [CampaignOut])))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<CampaignOut>>> {
    let s = state.store.company(auth.company);
    let worker = Worker::load(&state, &auth).await?;
    let mut rows = Vec::new();
    for c in s.campaigns().await? {
        if runs(&auth) || worker.works(&c) {
            rows.push(with_progress(&s, c).await?);
        }
    }
    Ok(Json(rows))
}

/// One campaign with its progress.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CampaignOut>> {
    let c = visible(&state, &auth, &id).await?;
    Ok(Json(with_progress(&state.store.company(auth.company), c).await?))
}

async fn set_status(state: &AppState, auth: &Auth, raw: &str, to: Status) -> ApiResult<Json<CampaignOut>> {
    auth.require(roles::PLANNERS)?;
    let c = visible(state, auth, raw).await?;
    if c.status == Status::Done {
        return Err(ApiError::conflict("the campaign is done"));
    }
    let s = state.store.company(auth.company);
    s.set_campaign_status(c.id, to).await?;
    s.audit(&auth.username, to.as_str(), "campaign", &c.id.to_string(), "").await?;
    // A progressive campaign's dialling follows at once.
    centrala_center::campaigns::changed(&state.center, auth.company).await;
    let c = s.campaign(c.id).await?.ok_or_else(|| ApiError::not_found("campaign"))?;
    Ok(Json(with_progress(&s, c).await?))
}

/// Start (or resume) a campaign: its targets reach its operators (in
/// preview on their desks; progressive: the ACD dials them when one of its
/// operators is ready and no caller waits for them).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/start", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignOut)))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CampaignOut>> {
    set_status(&state, &auth, &id, Status::Running).await
}

/// Pause a campaign: no target is offered until it starts again (a
/// progressive call not yet dialled is withdrawn, its target back in line).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/pause", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignOut)))]
pub async fn pause(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CampaignOut>> {
    set_status(&state, &auth, &id, Status::Paused).await
}

#[derive(Serialize, ToSchema)]
pub struct TargetOut {
    pub client: String,
    pub name: String,
    /// `pending`, `calling` or `done`.
    pub state: String,
    pub attempts: u32,
    pub outcome: String,
    pub notes: String,
    /// The next call, the company's local time.
    pub next_at: Option<String>,
    pub last_by: Option<String>,
    pub last_at: Option<String>,
    pub order: Option<i64>,
    /// The client's last order when the campaign was built.
    pub last_order: Option<NaiveDate>,
    /// On the do-not-call list: never dialled.
    pub do_not_call: bool,
}

/// What showing targets needs besides them, read once per request: who
/// is who, and the clients on the do-not-call list.
struct Shown {
    staffing: std::sync::Arc<centrala_desk::staffing::Staffing>,
    blocked: HashSet<i64>,
}

impl Shown {
    async fn load(state: &AppState, s: &Scoped<'_>) -> ApiResult<Shown> {
        let staffing = state.center.caches.staffing(s).await?;
        let blocked = s.dnc().await?.into_iter().filter_map(|d| d.client.map(|c| c.0)).collect();
        Ok(Shown { staffing, blocked })
    }

    fn target(&self, t: Target) -> TargetOut {
        let last_by = t.last_staff.and_then(|id| self.staffing.member(id)).map(|m| m.username.clone());
        let do_not_call = self.blocked.contains(&t.client.0);
        target_out(t, last_by, do_not_call)
    }
}

fn target_out(t: Target, last_by: Option<String>, do_not_call: bool) -> TargetOut {
    TargetOut {
        client: t.code,
        name: t.name,
        state: t.state.as_str().into(),
        attempts: t.attempts,
        outcome: t.outcome,
        notes: t.notes,
        next_at: t.next_at.map(|x| x.format("%Y-%m-%dT%H:%M").to_string()),
        last_by,
        last_at: t.last_at,
        order: t.order.map(|o| o.0),
        last_order: t.last_order,
        do_not_call,
    }
}

/// The campaign's targets, in order.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/targets", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = [TargetOut])))]
pub async fn targets(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<TargetOut>>> {
    let c = visible(&state, &auth, &id).await?;
    let s = state.store.company(auth.company);
    let shown = Shown::load(&state, &s).await?;
    Ok(Json(s.campaign_targets(c.id).await?.into_iter().map(|t| shown.target(t)).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeIn {
    /// One of the campaign's results (or `busy`, `not_reached`, `failed`
    /// for an attempt that did not get through).
    pub result: String,
    pub notes: Option<String>,
    /// For `call_later`: when, the company's local time (`YYYY-MM-DDTHH:MM`).
    pub call_at: Option<String>,
    /// The order taken on the call (`ordered`).
    pub order: Option<i64>,
}

/// Record the result of a call to a target: done, retried after the
/// interval, or called back at the agreed time (by the same operator when
/// possible); `do_not_call` puts the client's numbers on the list.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/targets/{client_code}/outcome", tag = "campaigns",
    params(("id" = i64, Path), ("client_code" = String, Path)), request_body = OutcomeIn,
    responses((status = 200, body = TargetOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn outcome(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((id, code)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<OutcomeIn>,
) -> ApiResult<Json<TargetOut>> {
    auth.require(roles::ORDER_TAKERS)?;
    let c = visible(&state, &auth, &id).await?;
    let s = state.store.company(auth.company);
    let target = target_by_code(&s, c.id, &code).await?;
    if target.state == TargetState::Done {
        return Err(ApiError::conflict("this target is done"));
    }
    let order = match b.order {
        Some(o) => {
            let order = s.order(OrderId(o)).await?.ok_or_else(|| ApiError::not_found("order"))?;
            if order.summary.client != target.client {
                return Err(ApiError::invalid("that order is another client's").field("order"));
            }
            Some(order.summary.id)
        }
        None => None,
    };
    let call_at = match b.call_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| ApiError::invalid(format!("{t:?}: YYYY-MM-DDTHH:MM")).field("call_at"))?,
        ),
    };
    let now = local_now(&state, &auth).await;
    let after =
        after_result(&c.input.results, &b.result, target.attempts + 1, now, c.input.retry, &c.input.hours, call_at)
            .map_err(|p| problem(&p, if matches!(p, Problem::UnknownResult(_)) { "result" } else { "call_at" }))?;
    let notes: String = b.notes.unwrap_or_default().chars().take(2_000).collect();
    s.record_outcome(c.id, target.client, &after, auth.staff, &notes, order).await?;
    if b.result == "do_not_call" {
        for p in s.client_phones(target.client).await? {
            s.add_dnc(&p, Some(target.client), &auth.username).await?;
        }
    }
    s.audit(&auth.username, "outcome", "campaign", &c.id.to_string(), &format!("{code}: {}", b.result)).await?;
    // Who runs campaigns sees the progress at once (OD-17).
    state.center.events.publish(centrala_center::bus::Event {
        company: auth.company,
        staff: Vec::new(),
        roles: roles::PLANNERS.to_vec(),
        kind: "campaign_outcome",
        data: serde_json::json!({"campaign": c.id, "client": code, "result": b.result}),
    });
    let t = target_by_code(&s, c.id, &code).await?;
    Ok(Json(Shown::load(&state, &s).await?.target(t)))
}

#[derive(Serialize, ToSchema)]
pub struct NextOut {
    pub campaign: i64,
    pub name: String,
    pub kind: String,
    /// The instruction or script for the operator.
    pub script: String,
    pub results: Vec<String>,
    pub target: TargetOut,
    /// The number to call (the client's first), unless on the do-not-call
    /// list.
    pub phone: Option<String>,
}

/// The caller's next campaign call (preview): the target they hold, or the
/// next one due in a running campaign of theirs, within its dates and
/// calling hours, never one on the do-not-call list; reserved for them
/// until they record its result. 204 when there is none.
#[utoipa::path(get, path = "/api/v1/campaigns/next", tag = "campaigns",
    responses((status = 200, body = NextOut), (status = 204)))]
pub async fn next(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    auth.require(roles::ORDER_TAKERS)?;
    let s = state.store.company(auth.company);
    let now = local_now(&state, &auth).await;
    // Who is who and the do-not-call list: read once, not per target.
    let shown = Shown::load(&state, &s).await?;
    let worker = Worker::load(&state, &auth).await?;
    for c in s.campaigns().await? {
        if c.status != Status::Running || !worker.works(&c) {
            continue;
        }
        let today = now.date();
        if c.input.starts_on.is_some_and(|d| today < d) || c.input.ends_on.is_some_and(|d| today > d) {
            continue;
        }
        let mut held = s.held_target(c.id, auth.staff).await?;
        // Progressive campaigns are dialled by the ACD: only the target
        // one is calling (or just called) is shown, never one taken here.
        if held.is_none() && c.input.mode == Mode::Preview {
            let targets = s.due_targets(c.id, now, Some(auth.staff), 50).await?;
            let candidates: Vec<_> = targets
                .iter()
                .map(|t| centrala_desk::campaign::Candidate {
                    state: if shown.blocked.contains(&t.client.0) { TargetState::Done } else { t.state },
                    next_at: t.next_at,
                    preferred: t.preferred.map(|p| p.0),
                })
                .collect();
            if let Some(i) = centrala_desk::campaign::next_target(&candidates, now, &c.input.hours, auth.staff.0) {
                if s.claim_target(c.id, targets[i].client, auth.staff).await? {
                    held = s.held_target(c.id, auth.staff).await?;
                }
            }
        }
        if let Some(t) = held {
            let phone = s.client_phones(t.client).await?.into_iter().next();
            let phone = match phone {
                Some(p) if !s.is_dnc(&p, Some(t.client)).await? => Some(p),
                _ => None,
            };
            let target = shown.target(t);
            let i = c.input;
            let body = NextOut {
                campaign: c.id,
                name: i.name,
                kind: i.kind.as_str().into(),
                script: i.script,
                results: i.results,
                target,
                phone,
            };
            return Ok(Json(body).into_response());
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipIn {
    /// Why it is skipped now (kept in the target's notes).
    pub reason: String,
}

/// Skip the target one holds (preview): back in line after the retry
/// interval, within the calling hours; not an attempt.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/targets/{client_code}/skip", tag = "campaigns",
    params(("id" = i64, Path), ("client_code" = String, Path)), request_body = SkipIn,
    responses((status = 200, body = TargetOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn skip(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((id, code)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<SkipIn>,
) -> ApiResult<Json<TargetOut>> {
    auth.require(roles::ORDER_TAKERS)?;
    let c = visible(&state, &auth, &id).await?;
    let reason: String = b.reason.trim().chars().take(500).collect();
    if reason.is_empty() {
        return Err(ApiError::invalid("say why it is skipped").field("skip_reason"));
    }
    let s = state.store.company(auth.company);
    let held = s.held_target(c.id, auth.staff).await?.filter(|t| t.code == code);
    let t = held.ok_or_else(|| ApiError::not_found("target you hold"))?;
    let now = local_now(&state, &auth).await;
    let later = now + chrono::Duration::minutes(i64::from(c.input.retry.interval_minutes));
    let at = c.input.hours.next_open(later).unwrap_or(later);
    s.skip_target(c.id, t.client, auth.staff, at, &reason).await?;
    s.audit(&auth.username, "skip", "campaign", &c.id.to_string(), &format!("{code}: {reason}")).await?;
    let t = target_by_code(&s, c.id, &code).await?;
    Ok(Json(Shown::load(&state, &s).await?.target(t)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    pub campaign: CampaignOut,
    pub targets: Vec<TargetOut>,
    /// Reactivation: contacted targets who ordered (by any channel) within
    /// 30 days after the contact, of those contacted.
    pub reactivated: Option<usize>,
    pub contacted: usize,
}

/// The results, per target, for who asked (OD-17): JSON, or CSV with
/// `?format=csv`.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/report", tag = "campaigns", params(("id" = i64, Path), ReportQuery),
    responses((status = 200, body = ReportOut), (status = 200, content_type = "text/csv")))]
pub async fn report(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    auth.require(roles::PLANNERS)?;
    let c = visible(&state, &auth, &id).await?;
    let s = state.store.company(auth.company);
    let targets = s.campaign_targets(c.id).await?;
    let contacted: Vec<&Target> = targets.iter().filter(|t| t.attempts > 0).collect();
    let reactivated = if c.input.kind == Kind::Reactivation {
        let mut n = 0;
        for t in &contacted {
            let Some(at) = t.last_at.as_deref().and_then(|x| chrono::DateTime::parse_from_rfc3339(x).ok()) else {
                continue;
            };
            let from = at.date_naive();
            if s.client_ordered_between(t.client, from, from + chrono::Duration::days(30)).await? {
                n += 1;
            }
        }
        Some(n)
    } else {
        None
    };
    let contacted = contacted.len();
    let shown = Shown::load(&state, &s).await?;
    let rows: Vec<TargetOut> = targets.into_iter().map(|t| shown.target(t)).collect();
    s.audit(&auth.username, "report", "campaign", &c.id.to_string(), "").await?;
    if q.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        let head =
            ["client", "name", "state", "outcome", "attempts", "notes", "last_by", "last_at", "next_at", "order"];
        w.write_record(head).map_err(|_| ApiError::internal())?;
        for r in &rows {
            w.write_record([
                r.client.as_str(),
                &r.name,
                &r.state,
                &r.outcome,
                &r.attempts.to_string(),
                &r.notes,
                r.last_by.as_deref().unwrap_or(""),
                r.last_at.as_deref().unwrap_or(""),
                r.next_at.as_deref().unwrap_or(""),
                &r.order.map(|o| o.to_string()).unwrap_or_default(),
            ])
            .map_err(|_| ApiError::internal())?;
        }
        let body = w.into_inner().map_err(|_| ApiError::internal())?;
        let headers: [(HeaderName, String); 2] = [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".into()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"campaign-{}.csv\"", c.id)),
        ];
        return Ok((headers, body).into_response());
    }
    let campaign = with_progress(&s, c).await?;
    Ok(Json(ReportOut { campaign, targets: rows, reactivated, contacted }).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct DncOut {
    pub number: String,
    pub client: Option<String>,
    pub added_by: String,
    pub added_at: String,
}

/// The do-not-call list.
#[utoipa::path(get, path = "/api/v1/dnc", tag = "campaigns", responses((status = 200, body = [DncOut])))]
pub async fn dnc_list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<DncOut>>> {
    auth.require(roles::PLANNERS)?;
    let s = state.store.company(auth.company);
    let mut rows = Vec::new();
    for d in s.dnc().await? {
        let client = match d.client {
            Some(c) => s.client(c).await?.map(|c| c.code),
            None => None,
        };
        rows.push(DncOut { number: d.number, client, added_by: d.added_by, added_at: d.added_at });
    }
    Ok(Json(rows))
}

fn number(state: &AppState, raw: &str) -> ApiResult<String> {
    normalize_phone(raw, &state.config.default_country_code)
        .map(|p| p.as_str().to_owned())
        .map_err(|_| ApiError::invalid(format!("{raw:?} is not a phone number")).field("number"))
}

/// Whether a number is on the list (404 when not).
#[utoipa::path(get, path = "/api/v1/dnc/{number}", tag = "campaigns", params(("number" = String, Path)),
    responses((status = 200, body = DncOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dnc_get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(raw): ApiPath<String>,
) -> ApiResult<Json<DncOut>> {
    auth.require(roles::ORDER_TAKERS.iter().chain(roles::PLANNERS).copied().collect::<Vec<_>>().as_slice())?;
    let n = number(&state, &raw)?;
    let d = state.store.company(auth.company).dnc().await?.into_iter().find(|d| d.number == n);
    let d = d.ok_or_else(|| ApiError::not_found("number on the do-not-call list"))?;
    Ok(Json(DncOut { number: d.number, client: None, added_by: d.added_by, added_at: d.added_at }))
}

/// Put a number on the list.
#[utoipa::path(put, path = "/api/v1/dnc/{number}", tag = "campaigns", params(("number" = String, Path)),
    responses((status = 204)))]
pub async fn dnc_put(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(raw): ApiPath<String>,
) -> ApiResult<StatusCode> {
    auth.require(roles::PLANNERS)?;
    let n = number(&state, &raw)?;
    let s = state.store.company(auth.company);
    let client = s.client_by_phone(&n).await?.map(|c| c.id);
    s.add_dnc(&n, client, &auth.username).await?;
    s.audit(&auth.username, "add", "dnc", &n, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a number off the list.
#[utoipa::path(delete, path = "/api/v1/dnc/{number}", tag = "campaigns", params(("number" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dnc_delete(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(raw): ApiPath<String>,
) -> ApiResult<StatusCode> {
    auth.require(roles::PLANNERS)?;
    let n = number(&state, &raw)?;
    let s = state.store.company(auth.company);
    s.remove_dnc(&n).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("number on the do-not-call list"),
        e => e.into(),
    })?;
    s.audit(&auth.username, "remove", "dnc", &n, "").await?;
    Ok(StatusCode::NO_CONTENT)
}
