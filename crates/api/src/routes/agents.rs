//! Agent state from the desk, and the queues' real-time statistics for the
//! wallboard (CC-4, CC-5).

use crate::auth::{Allowed, Auditors, Watchers};
use crate::{
    auth::Auth,
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::http::StatusCode;
use axum::{extract::State, Json};
use centrala_acd::AgentState;
use centrala_center::acd::{is_agent, Wanted};
use centrala_domain::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct StateOut {
    /// offline, available, offered, on_contact, wrap_up or not_ready
    pub state: String,
    /// For not_ready: why (break, training, no answer, …).
    pub reason: Option<String>,
    /// Seconds in this state.
    pub in_state_s: u64,
    /// The call the agent is on (`GET /agents/me/state` only): what the
    /// desk restores after a reload or on another computer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactNow>,
    /// In wrap-up: seconds left before the agent is ready again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_left_s: Option<u64>,
    /// The agent's phone and whether it can ring now (`GET
    /// /agents/me/state` only; absent: no phone at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNow>,
}

#[derive(Serialize, ToSchema)]
pub struct PhoneNow {
    /// Its SIP username.
    pub user: String,
    /// Registered now: a call can ring it.
    pub registered: bool,
}

/// The call an agent is on now.
#[derive(Serialize, ToSchema)]
pub struct ContactNow {
    pub interaction: i64,
    /// `talking`, or `ringing` (offered to the agent's phone).
    pub phase: String,
    pub caller: String,
    pub client: Option<String>,
    pub client_name: Option<String>,
    /// The queue it came through (none when put straight through).
    pub queue: Option<String>,
}

fn out(state: &AgentState, secs: u64) -> StateOut {
    let reason = match state {
        AgentState::NotReady(r) => Some(r.clone()),
        _ => None,
    };
    StateOut {
        state: state.as_str().into(),
        reason,
        in_state_s: secs,
        contact: None,
        wrap_up_left_s: None,
        phone: None,
    }
}

/// The caller's agent state, with the call it is on and what is left of its
/// wrap-up (the desk renders it, and restores it after a reload).
#[utoipa::path(get, path = "/api/v1/agents/me/state", tag = "agents", responses((status = 200, body = StateOut)))]
pub async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<StateOut>> {
    let phone = state
        .store
        .company(auth.company)
        .sip_username(auth.staff)
        .await?
        .map(|user| PhoneNow { registered: state.center.is_registered(&user), user });
    let Some(now) = state.center.acd.state(auth.staff).await else {
        let mut o = out(&AgentState::Offline, 0);
        o.phone = phone;
        return Ok(Json(o));
    };
    let mut o = out(&now.state, now.in_state.as_secs());
    o.phone = phone;
    o.wrap_up_left_s = now.wrap_left.map(|d| d.as_secs());
    if let Some((id, talking)) = now.contact {
        let s = state.store.company(auth.company);
        let i = s.interaction(id).await?;
        let client = match i.as_ref().and_then(|i| i.client_id) {
            Some(c) => s.client(c).await?,
            None => None,
        };
        o.contact = Some(ContactNow {
            interaction: id.0,
            phase: if talking { "talking" } else { "ringing" }.into(),
            caller: i.map(|i| i.caller).unwrap_or_default(),
            client: client.as_ref().map(|c| c.code.clone()),
            client_name: client.map(|c| c.name),
            queue: now.queue,
        });
    }
    Ok(Json(o))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateIn {
    /// ready, not_ready, offline or wrap_up_done
    pub state: String,
    /// For not_ready: the reason code.
    pub reason: Option<String>,
}

/// Become ready, not ready (with a reason), offline, or end wrap-up.
#[utoipa::path(put, path = "/api/v1/agents/me/state", tag = "agents", request_body = StateIn,
    responses((status = 200, body = StateOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<StateIn>,
) -> ApiResult<Json<StateOut>> {
    if !is_agent(auth.role) {
        return Err(ApiError::forbidden());
    }
    let now = apply(&state, auth.company, auth.staff, &auth.username, auth.role, &auth.username, &body).await?;
    Ok(Json(out(&now, 0)))
}

/// Set an agent's state for them (supervisors and admins: an agent who
/// forgot to log out, a break called from the floor).
#[utoipa::path(put, path = "/api/v1/agents/{id}/state", tag = "agents", params(("id" = i64, Path)), request_body = StateIn,
    responses((status = 200, body = StateOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_other(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
    ApiJson(body): ApiJson<StateIn>,
) -> ApiResult<Json<StateOut>> {
    let id = super::parse_id(&id, "staff member")?;
    let member = state
        .store
        .company(auth.company)
        .staff(centrala_domain::StaffId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("staff member"))?;
    if !is_agent(member.role) || !member.active {
        return Err(ApiError::invalid(format!("{} takes no contacts", member.username)));
    }
    let now = apply(&state, auth.company, member.id, &member.username, member.role, &auth.username, &body).await?;
    Ok(Json(out(&now, 0)))
}

/// The reasons an agent (or a supervisor for them) gives for not being
/// ready; each is worded in every language (`nr-<reason>`).
pub const CHOSEN_REASONS: [&str; 5] = ["break", "lunch", "training", "meeting", "coaching"];

/// Every not-ready reason a page may show: the chosen ones, `phone` (set
/// from the phone, `*2`), and the ACD's own after an offer was declined or
/// rang out.
pub const NOT_READY_REASONS: [&str; 9] =
    ["break", "lunch", "training", "meeting", "coaching", "phone", "declined", "no_answer", "connection_lost"];

/// Asks the ACD for the state `body` names, and audits it.
async fn apply(
    state: &AppState,
    company: centrala_domain::CompanyId,
    staff: centrala_domain::StaffId,
    username: &str,
    role: Role,
    actor: &str,
    body: &StateIn,
) -> ApiResult<AgentState> {
    let wanted = match body.state.as_str() {
        "ready" => Wanted::Ready,
        "not_ready" => {
            let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("break");
            if !CHOSEN_REASONS.contains(&reason) {
                return Err(ApiError::invalid(format!(
                    "reason {reason:?} is not one of {}",
                    CHOSEN_REASONS.join(", ")
                ))
                .field("reason")
                .param("value", reason.to_owned()));
            }
            Wanted::NotReady(reason.to_owned())
        }
        "offline" => Wanted::Offline,
        "wrap_up_done" => Wanted::WrapUpDone,
        other => {
            return Err(ApiError::invalid(format!("state {other:?} is not ready, not_ready, offline or wrap_up_done")))
        }
    };
    // Their phone goes to the ACD with their state: an offer rings it.
    let phone = state.store.company(company).sip_username(staff).await?;
    // Ready means "ring me": refused, saying why, while no phone of theirs
    // can ring (else every call would ring out and leave them not ready).
    if matches!(wanted, Wanted::Ready) && state.center.telephony_runs() {
        match phone.as_deref() {
            None => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "no_sip_account",
                    format!("{username} has no phone to ring: an admin gives them a SIP account"),
                ))
            }
            Some(user) if !state.center.is_registered(user) => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "phone_not_registered",
                    format!("{username}'s phone ({user}) is not registered: it cannot ring"),
                )
                .param("phone", user.to_owned()))
            }
            Some(_) => {}
        }
    }
    let now =
        state.center.acd.set(company, staff, username, role, phone, wanted).await.ok_or_else(ApiError::internal)?;
    state.store.company(company).audit(actor, "agent_state", "staff", &staff.to_string(), now.as_str()).await?;
    Ok(now)
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AgentOut {
    /// The staff member's id (for `PUT /agents/{id}/state`).
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub state: String,
    pub reason: Option<String>,
    pub in_state_s: u64,
    pub handled_today: u32,
    /// The interaction it is talking in (a supervisor may listen in).
    pub talking: Option<i64>,
    /// Who it is talking with: the client's name, or the number.
    pub talking_with: Option<String>,
    /// The queue the call came through (none when put straight through).
    pub queue: Option<String>,
    /// Who listens in on the call (full names).
    pub listeners: Vec<String>,
    /// Seconds since the agent raised a hand for help, while it is up.
    pub hand_raised_s: Option<u64>,
}

/// A call waiting in a queue.
#[derive(Serialize, ToSchema, Clone)]
pub struct WaitingOut {
    pub interaction: i64,
    /// The caller's number, and the client's name when known.
    pub caller: String,
    pub client_name: Option<String>,
    pub wait_s: u64,
}

/// The caller's number and client name of a call (for the wallboard).
async fn who(
    s: &centrala_store::Scoped<'_>,
    id: centrala_domain::InteractionId,
) -> ApiResult<(String, Option<String>)> {
    let Some(i) = s.interaction(id).await? else { return Ok((String::new(), None)) };
    let name = match i.client_id {
        Some(c) => s.client(c).await?.map(|c| c.name),
        None => None,
    };
    Ok((i.caller, name))
}

#[derive(Serialize, ToSchema)]
pub struct QueueStatsOut {
    pub queue: String,
    pub waiting: usize,
    pub longest_wait_s: u64,
    /// Answered within 20 s ÷ (answered + abandoned after 20 s), today.
    pub service_level: Option<f64>,
    pub asa_s: Option<u64>,
    pub arrived_today: u64,
    pub answered_today: u64,
    pub abandoned_today: u64,
    /// Sent on after the longest wait (to a message, a callback or another
    /// queue), today.
    pub overflowed_today: u64,
    pub abandon_rate: Option<f64>,
    pub agents_available: usize,
    pub agents_busy: usize,
    pub agents_not_ready: usize,
    /// The calls waiting now, next first (at most 20).
    pub waiting_calls: Vec<WaitingOut>,
    /// The operator queue's entry lists every agent the ACD knows (reached
    /// through a queue or by name); a named queue's, its members.
    pub agents: Vec<AgentOut>,
}

/// Real-time statistics of the company's queues (the operator queue first,
/// then the named ones by name), with agents' states and time in state
/// (supervisors, admins, heads).
#[utoipa::path(get, path = "/api/v1/queues/stats", tag = "agents",
    responses((status = 200, body = [QueueStatsOut]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn stats(State(state): State<AppState>, auth: Allowed<Watchers>) -> ApiResult<Json<Vec<QueueStatsOut>>> {
    let (queues, agents) = state.center.acd.stats(auth.company).await.ok_or_else(ApiError::internal)?;
    let s = state.store.company(auth.company);
    let staff = s.staff_list().await?;
    let mut shown = Vec::with_capacity(agents.len());
    for a in agents {
        let Some(m) = staff.iter().find(|m| m.id == a.staff) else { continue };
        let o = out(&a.state, a.in_state.as_secs());
        let (talking_with, listeners) = match a.talking {
            Some(i) => {
                let (caller, name) = who(&s, i).await?;
                let listening: Vec<String> = s
                    .interaction_events(i)
                    .await?
                    .into_iter()
                    .filter(|e| e.kind == centrala_store::interactions::StoryKind::Listening)
                    .filter_map(|e| e.staff_id)
                    .filter_map(|id| staff.iter().find(|m| m.id == id).map(|m| m.full_name.clone()))
                    .collect();
                (Some(name.unwrap_or(caller)), listening)
            }
            None => (None, Vec::new()),
        };
        shown.push((
            a.staff,
            AgentOut {
                id: m.id.0,
                username: m.username.clone(),
                full_name: m.full_name.clone(),
                state: o.state,
                reason: o.reason,
                in_state_s: o.in_state_s,
                handled_today: a.handled_today,
                talking: a.talking.map(|i| i.0),
                talking_with,
                queue: a.queue,
                listeners,
                hand_raised_s: state
                    .center
                    .hands
                    .get(auth.company, a.staff)
                    .map(|h| u64::try_from((state.center.clock().now() - h.since).num_seconds()).unwrap_or(0)),
            },
        ));
    }
    let agents = shown;
    let mut waiting = Vec::with_capacity(queues.len());
    for v in &queues {
        let mut calls = Vec::new();
        for (id, wait) in v.waiting.iter().take(20) {
            let (caller, client_name) = who(&s, *id).await?;
            calls.push(WaitingOut { interaction: id.0, caller, client_name, wait_s: wait.as_secs() });
        }
        waiting.push(calls);
    }
    let out = queues
        .into_iter()
        .zip(waiting)
        .map(|(v, waiting_calls)| {
            let q = v.stats;
            let all = v.name == centrala_center::acd::OPERATORS;
            QueueStatsOut {
                agents: agents.iter().filter(|(s, _)| all || v.members.contains(s)).map(|(_, a)| a.clone()).collect(),
                queue: v.name,
                waiting: q.waiting,
                longest_wait_s: q.longest_wait.as_secs(),
                service_level: q.service_level,
                asa_s: q.asa.map(|d| d.as_secs()),
                arrived_today: q.arrived_today,
                answered_today: q.answered_today,
                abandoned_today: q.abandoned_today,
                overflowed_today: q.overflowed_today,
                abandon_rate: q.abandon_rate,
                agents_available: q.agents_available,
                agents_busy: q.agents_busy,
                agents_not_ready: q.agents_not_ready,
                waiting_calls,
            }
        })
        .collect();
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandIn {
    /// `true` asks a supervisor for help; `false` lowers the hand.
    pub raised: bool,
}

#[derive(Serialize, ToSchema)]
pub struct HandOut {
    pub raised: bool,
    /// The call it is about, when the agent is on one.
    pub interaction: Option<i64>,
}

/// Raise a hand for help (CC-9), or lower it: the supervisors' wallboard
/// shows it at once, with the call the agent is on.
#[utoipa::path(post, path = "/api/v1/agents/me/hand", tag = "agents", request_body = HandIn,
    responses((status = 200, body = HandOut)))]
pub async fn hand(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<HandIn>,
) -> ApiResult<Json<HandOut>> {
    let bus = &state.center.events;
    if !body.raised {
        state.center.hands.lower(bus, auth.company, auth.staff);
        return Ok(Json(HandOut { raised: false, interaction: None }));
    }
    let interaction = state.center.acd.state(auth.staff).await.and_then(|now| now.contact).map(|(i, _)| i);
    let since = state.center.clock().now();
    state.center.hands.raise(bus, auth.company, auth.staff, centrala_center::hands::Hand { since, interaction });
    let s = state.store.company(auth.company);
    s.audit(&auth.username, "raise_hand", "staff", &auth.staff.to_string(), "").await?;
    let up = state.center.hands.get(auth.company, auth.staff);
    Ok(Json(HandOut { raised: true, interaction: up.and_then(|h| h.interaction).map(|i| i.0) }))
}

/// A supervisor answered an agent's raised hand (supervisors, admins,
/// heads): it goes down.
#[utoipa::path(delete, path = "/api/v1/agents/{id}/hand", tag = "agents", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn answer_hand(
    State(state): State<AppState>,
    auth: Allowed<Watchers>,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = centrala_domain::StaffId(super::parse_id(&id, "staff member")?);
    if !state.center.hands.lower(&state.center.events, auth.company, id) {
        return Err(ApiError::not_found("raised hand"));
    }
    state.store.company(auth.company).audit(&auth.username, "answer_hand", "staff", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Raise a hand about this call (CC-9): the same as
/// `POST /api/v1/agents/me/hand`, for the call the agent is on.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/raise-hand", tag = "agents", params(("id" = i64, Path)),
    responses((status = 200, body = HandOut), (status = 409, body = crate::error::ErrorBody)))]
pub async fn raise_hand_on(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<Json<HandOut>> {
    let id = super::parse_id(&id, "interaction")?;
    let on = state.center.acd.state(auth.staff).await.and_then(|now| now.contact).map(|(i, _)| i.0);
    if on != Some(id) {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_talking", "you are not on this call"));
    }
    hand(State(state), auth, crate::error::ApiJson(HandIn { raised: true })).await
}
