//! The company's queue settings as data: how long agents' phones ring, the
//! wrap-up after a call, the longest wait and where callers go then, how
//! often waiting callers hear their position and estimated wait, and the
//! "press 1 to be called back" offer. Stored per company; the ACD applies
//! them at start and whenever they change.

use crate::{
    acd::QueueSettings,
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{extract::State, Json};
use centrala_acd::Overflow;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// Where a caller goes after the longest wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverflowDef {
    /// "All operators are still busy, please call later", then hang-up.
    Message,
    /// The caller is told it will be called back and keeps its place.
    Callback,
}

/// The queue settings on the wire. Every field has its default, so a
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
}

impl Default for QueueDef {
    fn default() -> Self {
        QueueDef::from_settings(&QueueSettings::default())
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

impl QueueDef {
    pub fn from_settings(s: &QueueSettings) -> QueueDef {
        QueueDef {
            ring_timeout_seconds: secs(s.ring_timeout),
            wrap_up_seconds: secs(s.wrap_up),
            max_wait_seconds: s.max_wait.map(|(d, _)| secs(d)),
            overflow: match s.max_wait {
                Some((_, Overflow::Callback)) => OverflowDef::Callback,
                _ => OverflowDef::Message,
            },
            announce_every_seconds: s.announce_every.map_or(0, secs),
            callback_offer: s.callback_offer,
        }
    }

    /// The settings, or what is wrong with them.
    pub fn to_settings(&self) -> Result<QueueSettings, String> {
        let within = |name: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(Duration::from_secs(u64::from(v)))
            } else {
                Err(format!("{name} must be {lo} to {hi} seconds, not {v}"))
            }
        };
        let overflow = match self.overflow {
            OverflowDef::Message => Overflow::Message,
            OverflowDef::Callback => Overflow::Callback,
        };
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
        })
    }
}

/// The company's settings: its own, or the defaults (with a warning when
/// the stored ones no longer read).
pub async fn company_settings(s: &centrala_store::Scoped<'_>) -> ApiResult<QueueSettings> {
    if let Some(text) = s.queue_settings().await? {
        match serde_json::from_str::<QueueDef>(&text).map_err(|e| e.to_string()).and_then(|d| d.to_settings()) {
            Ok(settings) => return Ok(settings),
            Err(e) => tracing::warn!(error = %e, "the stored queue settings no longer read; using the defaults"),
        }
    }
    Ok(QueueSettings::default())
}

/// Gives the ACD every company's settings (at start).
pub async fn configure_all(state: AppState) {
    let companies = match state.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "queue settings: cannot list companies; the defaults apply");
            return;
        }
    };
    for c in companies {
        match company_settings(&state.store.company(c.id)).await {
            Ok(settings) => state.acd.configure(c.id, settings).await,
            Err(e) => tracing::warn!(error = ?e, company = c.id.0, "queue settings: cannot read them"),
        }
    }
}

/// The company's queue settings (supervisors, heads and admins).
#[utoipa::path(get, path = "/api/v1/queues/settings", tag = "agents", responses((status = 200, body = QueueDef)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<QueueDef>> {
    auth.require(roles::PLANNERS)?;
    let settings = company_settings(&state.store.company(auth.company)).await?;
    Ok(Json(QueueDef::from_settings(&settings)))
}

/// Replace the company's queue settings (supervisors and admins); checked,
/// stored, and applied by the ACD to what happens next.
#[utoipa::path(put, path = "/api/v1/queues/settings", tag = "agents", request_body = QueueDef,
    responses((status = 200, body = QueueDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(def): ApiJson<QueueDef>,
) -> ApiResult<Json<QueueDef>> {
    auth.require(roles::AUDITORS)?;
    let settings = def.to_settings().map_err(ApiError::invalid)?;
    let s = state.store.company(auth.company);
    let text = serde_json::to_string(&def).map_err(|_| ApiError::internal())?;
    s.set_queue_settings(Some(&text)).await?;
    s.audit(&auth.username, "update", "queue_settings", "", &text).await?;
    state.acd.configure(auth.company, settings).await;
    Ok(Json(def))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_bad_ones_are_refused_with_the_reason() {
        let def = QueueDef::default();
        assert_eq!(def.to_settings().unwrap(), QueueSettings::default());
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["ring_timeout_seconds"], 15);
        assert_eq!(json["max_wait_seconds"], serde_json::Value::Null);
        // A partial body: the rest are defaults.
        let d: QueueDef =
            serde_json::from_value(serde_json::json!({"max_wait_seconds": 120, "overflow": "callback"})).unwrap();
        let s = d.to_settings().unwrap();
        assert_eq!(s.max_wait, Some((Duration::from_secs(120), Overflow::Callback)));
        assert_eq!(QueueDef::from_settings(&s), d);
        let never = QueueDef { announce_every_seconds: 0, ..QueueDef::default() };
        assert_eq!(never.to_settings().unwrap().announce_every, None);
        for (bad, says) in [
            (QueueDef { ring_timeout_seconds: 2, ..QueueDef::default() }, "ring_timeout_seconds must be 5 to 120"),
            (QueueDef { max_wait_seconds: Some(3), ..QueueDef::default() }, "max_wait_seconds must be 10 to 7200"),
            (QueueDef { announce_every_seconds: 5, ..QueueDef::default() }, "announce_every_seconds must be 10"),
            (QueueDef { wrap_up_seconds: 601, ..QueueDef::default() }, "wrap_up_seconds must be 0 to 600"),
        ] {
            let e = bad.to_settings().unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        assert!(serde_json::from_value::<QueueDef>(serde_json::json!({"ring": 5})).is_err(), "unknown fields refused");
        assert!(serde_json::from_value::<QueueDef>(serde_json::json!({"overflow": "queue"})).is_err());
    }
}
