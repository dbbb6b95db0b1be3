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

use crate::{
    acd::{OverflowTo, QueueSettings, OPERATORS},
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiPath, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_domain::{CompanyId, Role};
use centrala_store::{Scoped, Staff};
use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, time::Duration};
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
}

impl Default for QueueDef {
    fn default() -> Self {
        let s = QueueSettings::default();
        QueueDef {
            ring_timeout_seconds: secs(s.ring_timeout),
            wrap_up_seconds: secs(s.wrap_up),
            max_wait_seconds: None,
            overflow: OverflowDef::Message,
            announce_every_seconds: s.announce_every.map_or(0, secs),
            callback_offer: s.callback_offer,
            members: Vec::new(),
            callback_attempts: s.callback_attempts,
            callback_retry_seconds: secs(s.callback_retry),
        }
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

impl QueueDef {
    /// The settings (members by staff id, among `staff`), or what is wrong
    /// with them.
    pub fn to_settings(&self, staff: &[Staff]) -> Result<QueueSettings, String> {
        let within = |name: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(Duration::from_secs(u64::from(v)))
            } else {
                Err(format!("{name} must be {lo} to {hi} seconds, not {v}"))
            }
        };
        let overflow = match &self.overflow {
            OverflowDef::Message => OverflowTo::Message,
            OverflowDef::Callback => OverflowTo::Callback,
            OverflowDef::Queue(q) => OverflowTo::Queue(q.clone()),
        };
        let mut members = Vec::new();
        for name in &self.members {
            match staff.iter().find(|m| &m.username == name) {
                Some(m) if m.role == Role::Admin => return Err(format!("{name} is an admin and takes no calls")),
                Some(m) if !members.contains(&m.id) => members.push(m.id),
                Some(_) => {}
                None => return Err(format!("no staff member {name:?} in this company")),
            }
        }
        Ok(QueueSettings {
            ring_timeout: within("ring_timeout_seconds", self.ring_timeout_seconds, 5, 120)?,
            wrap_up: within("wrap_up_seconds", self.wrap_up_seconds, 0, 600)?,
            max_wait: match self.max_wait_seconds {
                Some(s) => Some((within("max_wait_seconds", s, 10, 7200)?, overflow)),
                None => None,
            },
            announce_every: match self.announce_every_seconds {
                0 => None,
                s => Some(within("announce_every_seconds", s, 10, 600)?),
            },
            callback_offer: self.callback_offer,
            members,
            callback_attempts: if (1..=5).contains(&self.callback_attempts) {
                self.callback_attempts
            } else {
                return Err(format!("callback_attempts must be 1 to 5, not {}", self.callback_attempts));
            },
            callback_retry: within("callback_retry_seconds", self.callback_retry_seconds, 10, 86_400)?,
        })
    }
}

/// Whether `name` may name a queue: 1–32 of a–z, 0–9, `-`, `_`.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks a company's queues as a whole: each one's settings, and that
/// every overflow goes to another queue that exists.
fn check_all(queues: &BTreeMap<String, QueueDef>, staff: &[Staff]) -> Result<Vec<(String, QueueSettings)>, String> {
    let mut out = Vec::new();
    for (name, def) in queues {
        let settings = def.to_settings(staff).map_err(|e| format!("queue {name}: {e}"))?;
        if let (Some(_), OverflowDef::Queue(to)) = (def.max_wait_seconds, &def.overflow) {
            if to == name {
                return Err(format!("queue {name} cannot overflow into itself"));
            }
            if !queues.contains_key(to) {
                return Err(format!("queue {name} overflows into {to:?}, which is not a queue of this company"));
            }
        }
        out.push((name.clone(), settings));
    }
    Ok(out)
}

/// The company's queues as stored: the operator queue (its own settings or
/// the defaults) and the named ones. Stored settings that no longer read
/// are replaced by the defaults, with a warning.
pub async fn company_queues(s: &Scoped<'_>) -> ApiResult<BTreeMap<String, QueueDef>> {
    let mut out: BTreeMap<String, QueueDef> = match s.named_queues().await? {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the stored named queues no longer read; there are none");
            BTreeMap::new()
        }),
        None => BTreeMap::new(),
    };
    let operators = match s.queue_settings().await? {
        Some(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the stored queue settings no longer read; using the defaults");
            QueueDef::default()
        }),
        None => QueueDef::default(),
    };
    out.insert(OPERATORS.to_owned(), operators);
    Ok(out)
}

/// Gives the ACD the company's queues as stored (at start).
async fn configure(state: &AppState, s: &Scoped<'_>) -> ApiResult<()> {
    apply(state, s.company_id(), &company_queues(s).await?, &s.staff_list().await?).await;
    Ok(())
}

/// Gives the ACD these queues of the company. A queue whose settings no
/// longer check (a member left the company, or became an admin) keeps its
/// timings and loses what no longer holds.
async fn apply(state: &AppState, company: CompanyId, queues: &BTreeMap<String, QueueDef>, staff: &[Staff]) {
    let settings = check_all(queues, staff).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the stored queues no longer check; applying what does");
        queues
            .iter()
            .map(|(name, def)| {
                let present = |u: &&String| staff.iter().any(|m| &m.username == *u && m.role != Role::Admin);
                let def = QueueDef { members: def.members.iter().filter(present).cloned().collect(), ..def.clone() };
                (name.clone(), def.to_settings(staff).unwrap_or_default())
            })
            .collect()
    });
    state.acd.configure(company, settings).await;
}

/// At start, for every company: its queues to the ACD, then the callbacks
/// promised before the restart back into them (one listing of companies).
pub async fn start_all(state: AppState) {
    let companies = match state.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "queues: cannot list companies; the defaults apply");
            return;
        }
    };
    for c in companies {
        if let Err(e) = configure(&state, &state.store.company(c.id)).await {
            tracing::warn!(error = ?e, company = c.id.0, "queues: cannot read them");
        }
        crate::telephony::restore_callbacks(&state, c.id).await;
    }
}

/// The operator queue's settings (supervisors, heads and admins).
#[utoipa::path(get, path = "/api/v1/queues/settings", tag = "agents", responses((status = 200, body = QueueDef)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<QueueDef>> {
    auth.require(roles::PLANNERS)?;
    let mut queues = company_queues(&state.store.company(auth.company)).await?;
    Ok(Json(queues.remove(OPERATORS).unwrap_or_default()))
}

/// Replace the operator queue's settings (supervisors and admins); the
/// same as `PUT /api/v1/queues/operators`.
#[utoipa::path(put, path = "/api/v1/queues/settings", tag = "agents", request_body = QueueDef,
    responses((status = 200, body = QueueDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(def): ApiJson<QueueDef>,
) -> ApiResult<Json<QueueDef>> {
    put_queue(State(state), auth, ApiPath(OPERATORS.to_owned()), ApiJson(def)).await
}

/// Every queue of the company by name, `operators` among them
/// (supervisors, heads and admins).
#[utoipa::path(get, path = "/api/v1/queues", tag = "agents", responses((status = 200, body = BTreeMap<String, QueueDef>)))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<BTreeMap<String, QueueDef>>> {
    auth.require(roles::PLANNERS)?;
    Ok(Json(company_queues(&state.store.company(auth.company)).await?))
}

/// Create or replace a queue (supervisors and admins): checked with the
/// company's other queues, stored, audited, and applied by the ACD to what
/// happens next (callers already waiting keep their place).
#[utoipa::path(put, path = "/api/v1/queues/{name}", tag = "agents", request_body = QueueDef,
    params(("name" = String, Path, description = "`operators`, or a-z, 0-9, - and _, up to 32")),
    responses((status = 200, body = QueueDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_queue(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(name): ApiPath<String>,
    ApiJson(def): ApiJson<QueueDef>,
) -> ApiResult<Json<QueueDef>> {
    auth.require(roles::AUDITORS)?;
    if !valid_name(&name) {
        return Err(ApiError::invalid(format!("{name:?} is no queue name: 1 to 32 of a-z, 0-9, - and _")));
    }
    let s = state.store.company(auth.company);
    let mut queues = company_queues(&s).await?;
    queues.insert(name.clone(), def.clone());
    let settings = check_all(&queues, &s.staff_list().await?).map_err(ApiError::invalid)?;
    let text = serde_json::to_string(&def).map_err(|_| ApiError::internal())?;
    store(&s, &queues).await?;
    s.audit(&auth.username, "update", "queue", &name, &text).await?;
    state.acd.configure(auth.company, settings).await;
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
    auth: Auth,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<StatusCode> {
    auth.require(roles::AUDITORS)?;
    if name == OPERATORS {
        return Err(ApiError::invalid("the operator queue cannot be deleted"));
    }
    let s = state.store.company(auth.company);
    let mut queues = company_queues(&s).await?;
    if queues.remove(&name).is_none() {
        return Err(ApiError::not_found("queue"));
    }
    if let Some((from, _)) =
        queues.iter().find(|(_, d)| d.max_wait_seconds.is_some() && d.overflow == OverflowDef::Queue(name.clone()))
    {
        return Err(ApiError::conflict(format!("queue {from} overflows into {name}")));
    }
    let menu = crate::routes::ivr::company_ivr(&s).await?;
    if !menu.default && menu.cfg.queues().any(|q| q == name) {
        return Err(ApiError::conflict(format!("the voice menu sends callers to {name}")));
    }
    let (views, _) = state.acd.stats(auth.company).await.ok_or_else(ApiError::internal)?;
    if let Some(v) = views.iter().find(|v| v.name == name && v.stats.waiting > 0) {
        return Err(ApiError::conflict(format!("{} callers wait in {name}", v.stats.waiting)));
    }
    store(&s, &queues).await?;
    s.audit(&auth.username, "delete", "queue", &name, "").await?;
    apply(&state, auth.company, &queues, &s.staff_list().await?).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Stores the company's queues: the operator queue's settings apart (as
/// before named queues), the named ones together.
async fn store(s: &Scoped<'_>, queues: &BTreeMap<String, QueueDef>) -> ApiResult<()> {
    let named: BTreeMap<&String, &QueueDef> = queues.iter().filter(|(n, _)| *n != OPERATORS).collect();
    let text =
        serde_json::to_string(&queues.get(OPERATORS).cloned().unwrap_or_default()).map_err(|_| ApiError::internal())?;
    let named_text = serde_json::to_string(&named).map_err(|_| ApiError::internal())?;
    s.set_queue_settings(Some(&text)).await?;
    s.set_named_queues((!named.is_empty()).then_some(named_text.as_str())).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use centrala_domain::StaffId;

    fn member(id: i64, username: &str, role: Role) -> Staff {
        Staff {
            id: StaffId(id),
            username: username.into(),
            full_name: username.into(),
            role,
            department: None,
            active: true,
            locale: "en".into(),
            has_password: true,
        }
    }

    #[test]
    fn settings_check_and_bad_ones_are_refused_with_the_reason() {
        let staff = [member(1, "op.ana", Role::Operator), member(2, "admin", Role::Admin)];
        let def = QueueDef::default();
        assert_eq!(def.to_settings(&staff).unwrap(), QueueSettings::default());
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["ring_timeout_seconds"], 15);
        assert_eq!(json["max_wait_seconds"], serde_json::Value::Null);
        // A partial body: the rest are defaults.
        let d: QueueDef =
            serde_json::from_value(serde_json::json!({"max_wait_seconds": 120, "overflow": "callback"})).unwrap();
        let s = d.to_settings(&staff).unwrap();
        assert_eq!(s.max_wait, Some((Duration::from_secs(120), OverflowTo::Callback)));
        let d: QueueDef = serde_json::from_value(
            serde_json::json!({"max_wait_seconds": 30, "overflow": {"queue": "operators"}, "members": ["op.ana", "op.ana"]}),
        )
        .unwrap();
        let s = d.to_settings(&staff).unwrap();
        assert_eq!(s.max_wait, Some((Duration::from_secs(30), OverflowTo::Queue("operators".into()))));
        assert_eq!(s.members, [StaffId(1)], "members by id, once");
        assert_eq!(serde_json::to_value(&d).unwrap()["overflow"], serde_json::json!({"queue": "operators"}));
        let never = QueueDef { announce_every_seconds: 0, ..QueueDef::default() };
        assert_eq!(never.to_settings(&staff).unwrap().announce_every, None);
        for (bad, says) in [
            (QueueDef { ring_timeout_seconds: 2, ..QueueDef::default() }, "ring_timeout_seconds must be 5 to 120"),
            (QueueDef { max_wait_seconds: Some(3), ..QueueDef::default() }, "max_wait_seconds must be 10 to 7200"),
            (QueueDef { announce_every_seconds: 5, ..QueueDef::default() }, "announce_every_seconds must be 10"),
            (QueueDef { wrap_up_seconds: 601, ..QueueDef::default() }, "wrap_up_seconds must be 0 to 600"),
            (QueueDef { members: vec!["nobody".into()], ..QueueDef::default() }, "no staff member \"nobody\""),
            (QueueDef { members: vec!["admin".into()], ..QueueDef::default() }, "admin is an admin"),
            (QueueDef { callback_attempts: 0, ..QueueDef::default() }, "callback_attempts must be 1 to 5"),
            (QueueDef { callback_retry_seconds: 5, ..QueueDef::default() }, "callback_retry_seconds must be 10"),
        ] {
            let e = bad.to_settings(&staff).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        assert!(serde_json::from_value::<QueueDef>(serde_json::json!({"ring": 5})).is_err(), "unknown fields refused");
        assert!(serde_json::from_value::<QueueDef>(serde_json::json!({"overflow": "queue"})).is_err());
    }

    #[test]
    fn queues_are_checked_together_and_names_are_plain() {
        let staff = [member(1, "op.ana", Role::Operator)];
        let into = |to: &str| QueueDef {
            max_wait_seconds: Some(60),
            overflow: OverflowDef::Queue(to.into()),
            ..QueueDef::default()
        };
        let mut queues =
            BTreeMap::from([(OPERATORS.to_owned(), QueueDef::default()), ("complaints".to_owned(), into("operators"))]);
        let checked = check_all(&queues, &staff).unwrap();
        assert_eq!(checked.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["complaints", "operators"]);
        queues.insert("vip".into(), into("vip"));
        assert!(check_all(&queues, &staff).unwrap_err().contains("vip cannot overflow into itself"));
        queues.insert("vip".into(), into("billing"));
        assert!(check_all(&queues, &staff).unwrap_err().contains("\"billing\", which is not a queue"));
        // Without a longest wait the overflow is not used, so not checked.
        queues.insert("vip".into(), QueueDef { max_wait_seconds: None, ..into("billing") });
        assert!(check_all(&queues, &staff).is_ok());
        for good in ["complaints", "b2b-north", "x_1"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Complaints", "a b", "č", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
