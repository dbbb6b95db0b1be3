//! The company's queues as data. Every company has its operator queue
//! (taken by its operators and supervisors) and may have named queues
//! (taken by their listed members), which the voice menu sends callers to
//! by name (`{"queue": "complaints"}`). Each queue has its settings: how
//! long agents' phones ring, the wrap-up after a call, the longest wait and
//! where callers go then (a message, a callback, or another queue of the
//! company, keeping their seniority), how often waiting callers hear their
//! position and estimated wait, and the "press 1 to be called back" offer.
//! Stored per company; the ACD applies them at start and whenever they
//! change.

use crate::auth::{Allowed, Auditors, Planners};
use crate::{
    error::{ApiError, ApiJson, ApiPath, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_center::acd::OPERATORS;
use centrala_center::settings::{self, check_all, valid_name, StoredOverflow, StoredQueue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Where a caller goes after the longest wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverflowDef {
    /// "All operators are still busy, please call later", then hang-up.
    Message,
    /// The caller is told it will be called back and keeps its place.
    Callback,
    /// Into another queue of the company (`operators` or a named one),
    /// keeping its seniority: `{"queue": "operators"}`.
    Queue(String),
}

/// A queue's settings on the wire. Every field has its default, so a
/// partial body sets the rest to the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct QueueDef {
    /// How long an agent's phone rings before the next agent's (5–120).
    pub ring_timeout_seconds: u32,
    /// After a call, before the agent gets the next (0–600).
    pub wrap_up_seconds: u32,
    /// The longest a caller waits (10–7200); `null`: no limit.
    pub max_wait_seconds: Option<u32>,
    pub overflow: OverflowDef,
    /// How often a waiting caller hears its position and estimated wait
    /// (10–600; the first time 5 s after "please wait"); 0: never.
    pub announce_every_seconds: u32,
    /// Whether waiting callers may press 1 to be called back.
    pub callback_offer: bool,
    /// Usernames of the staff who take this queue's calls when ready (for
    /// the operator queue: besides its operators and supervisors).
    pub members: Vec<String>,
    /// How many times a callback dials the client before it is given up as
    /// failed (1–5).
    pub callback_attempts: u32,
    /// How long after a try that did not reach the client the callback
    /// joins the queue again (10–86400).
    pub callback_retry_seconds: u32,
    /// Answered within this counts as in service level (5–600; default 20).
    pub service_level_seconds: u32,
}

impl Default for QueueDef {
    fn default() -> Self {
        StoredQueue::default().into()
    }
}

impl From<QueueDef> for StoredQueue {
    fn from(d: QueueDef) -> Self {
        StoredQueue {
            ring_timeout_seconds: d.ring_timeout_seconds,
            wrap_up_seconds: d.wrap_up_seconds,
            max_wait_seconds: d.max_wait_seconds,
            overflow: match d.overflow {
                OverflowDef::Message => StoredOverflow::Message,
                OverflowDef::Callback => StoredOverflow::Callback,
                OverflowDef::Queue(q) => StoredOverflow::Queue(q),
            },
            announce_every_seconds: d.announce_every_seconds,
            callback_offer: d.callback_offer,
            members: d.members,
            callback_attempts: d.callback_attempts,
            callback_retry_seconds: d.callback_retry_seconds,
            service_level_seconds: d.service_level_seconds,
        }
    }
}

impl From<StoredQueue> for QueueDef {
    fn from(d: StoredQueue) -> Self {
        QueueDef {
            ring_timeout_seconds: d.ring_timeout_seconds,
            wrap_up_seconds: d.wrap_up_seconds,
            max_wait_seconds: d.max_wait_seconds,
            overflow: match d.overflow {
                StoredOverflow::Message => OverflowDef::Message,
                StoredOverflow::Callback => OverflowDef::Callback,
                StoredOverflow::Queue(q) => OverflowDef::Queue(q),
            },
            announce_every_seconds: d.announce_every_seconds,
            callback_offer: d.callback_offer,
            members: d.members,
            callback_attempts: d.callback_attempts,
            callback_retry_seconds: d.callback_retry_seconds,
            service_level_seconds: d.service_level_seconds,
        }
    }
}

/// The company's queues on the wire, by name.
pub(crate) async fn wire_queues(
    state: &AppState,
    s: &centrala_store::Scoped<'_>,
) -> ApiResult<BTreeMap<String, QueueDef>> {
    let stored = settings::company_queues(s, &state.center.problems).await?;
    Ok(stored.into_iter().map(|(n, q)| (n, q.into())).collect())
}

fn stored(queues: &BTreeMap<String, QueueDef>) -> BTreeMap<String, StoredQueue> {
    queues.iter().map(|(n, q)| (n.clone(), q.clone().into())).collect()
}

/// The operator queue's settings (supervisors, heads and admins).
#[utoipa::path(get, path = "/api/v1/queues/settings", tag = "agents", responses((status = 200, body = QueueDef)))]
pub async fn get(State(state): State<AppState>, auth: Allowed<Planners>) -> ApiResult<Json<QueueDef>> {
    let mut queues = wire_queues(&state, &state.store.company(auth.company)).await?;
    Ok(Json(queues.remove(OPERATORS).unwrap_or_default()))
}

/// Replace the operator queue's settings (supervisors and admins); the
/// same as `PUT /api/v1/queues/operators`.
#[utoipa::path(put, path = "/api/v1/queues/settings", tag = "agents", request_body = QueueDef,
    responses((status = 200, body = QueueDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
    ApiJson(def): ApiJson<QueueDef>,
) -> ApiResult<Json<QueueDef>> {
    put_queue(State(state), auth, ApiPath(OPERATORS.to_owned()), ApiJson(def)).await
}

/// Every queue of the company by name, `operators` among them
/// (supervisors, heads and admins).
#[utoipa::path(get, path = "/api/v1/queues", tag = "agents", responses((status = 200, body = BTreeMap<String, QueueDef>)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
) -> ApiResult<Json<BTreeMap<String, QueueDef>>> {
    Ok(Json(wire_queues(&state, &state.store.company(auth.company)).await?))
}

/// Create or replace a queue (supervisors and admins): checked with the
/// company's other queues, stored, audited, and applied by the ACD to what
/// happens next (callers already waiting keep their place).
#[utoipa::path(put, path = "/api/v1/queues/{name}", tag = "agents", request_body = QueueDef,
    params(("name" = String, Path, description = "`operators`, or a-z, 0-9, - and _, up to 32")),
    responses((status = 200, body = QueueDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_queue(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
    ApiPath(name): ApiPath<String>,
    ApiJson(def): ApiJson<QueueDef>,
) -> ApiResult<Json<QueueDef>> {
    if !valid_name(&name) {
        return Err(ApiError::invalid(format!("{name:?} is no queue name: 1 to 32 of a-z, 0-9, - and _")));
    }
    let s = state.store.company(auth.company);
    let mut queues = wire_queues(&state, &s).await?;
    queues.insert(name.clone(), def.clone());
    let queues = stored(&queues);
    let settings = check_all(&queues, &s.staff_list().await?).map_err(ApiError::invalid)?;
    let text = serde_json::to_string(&def).map_err(|_| ApiError::internal())?;
    settings::store_queues(&s, &queues, &state.center.problems).await?;
    s.audit(&auth.username, "update", "queue", &name, &text).await?;
    state.center.acd.configure(auth.company, settings).await;
    Ok(Json(def))
}

/// Delete a named queue (supervisors and admins). Refused while callers
/// wait in it, while another queue overflows into it, or while the voice
/// menu sends callers to it; the operator queue cannot be deleted.
#[utoipa::path(delete, path = "/api/v1/queues/{name}", tag = "agents",
    params(("name" = String, Path, description = "A named queue")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Allowed<Auditors>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    if name == OPERATORS {
        return Err(ApiError::invalid("the operator queue cannot be deleted"));
    }
    let s = state.store.company(auth.company);
    let mut queues = wire_queues(&state, &s).await?;
    if queues.remove(&name).is_none() {
        return Err(ApiError::not_found("queue"));
    }
    if let Some((from, _)) =
        queues.iter().find(|(_, d)| d.max_wait_seconds.is_some() && d.overflow == OverflowDef::Queue(name.clone()))
    {
        return Err(ApiError::conflict(format!("queue {from} overflows into {name}")));
    }
    let menu = settings::company_ivr(&s, &state.center.problems).await?;
    if !menu.default && menu.cfg.queues().any(|q| q == name) {
        return Err(ApiError::conflict(format!("the voice menu sends callers to {name}")));
    }
    let (views, _) = state.center.acd.stats(auth.company).await.ok_or_else(ApiError::internal)?;
    if let Some(v) = views.iter().find(|v| v.name == name && v.stats.waiting > 0) {
        return Err(ApiError::conflict(format!("{} callers wait in {name}", v.stats.waiting)));
    }
    let queues = stored(&queues);
    settings::store_queues(&s, &queues, &state.center.problems).await?;
    s.audit(&auth.username, "delete", "queue", &name, "").await?;
    state.center.acd.configure(auth.company, settings::applicable(&queues, &s.staff_list().await?)).await;
    Ok(StatusCode::NO_CONTENT)
}
