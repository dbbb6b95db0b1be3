//! The company's IVR menu as data (CC-2): what callers hear and which key
//! does what, business hours and holidays, the prompts' language. A company
//! without its own gets the default (1 order, 2 reference information,
//! 3 complaint, 0 or no input: other).

use crate::auth::{Admins, Allowed, Auditors};
use crate::{
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_call::ivr::IvrConfig;
use centrala_center::settings::{self, StoredAction, StoredHours, StoredIvr, StoredMenu, StoredOpen};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// What a key does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionDef {
    /// The caller said why it calls: `order`, `reference`, `other`, `complaint`.
    Intent(String),
    /// Another menu, by its id.
    Submenu(String),
    /// Straight to a named queue.
    Queue(String),
    /// Play the menu again.
    Repeat,
    /// An operator (routing with intent "other").
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuDef {
    pub id: String,
    /// The prompt's name: a WAV of the company's prompts or a demo prompt.
    pub prompt: String,
    /// Keys (`0`–`9`, `*`, `#`) and what each does.
    pub options: BTreeMap<String, ActionDef>,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// Replays after no input or a wrong key.
    #[serde(default = "default_retries")]
    pub retries: u8,
    #[serde(default = "default_no_input")]
    pub on_no_input: ActionDef,
    /// Played before the replay after a wrong key.
    #[serde(default)]
    pub invalid_prompt: Option<String>,
}

fn default_timeout() -> u32 {
    5
}
fn default_retries() -> u8 {
    1
}
fn default_no_input() -> ActionDef {
    ActionDef::Operator
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDef {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursDef {
    pub open: Vec<OpenDef>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default = "default_closed")]
    pub closed_prompt: String,
}

fn default_closed() -> String {
    "closed".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IvrDef {
    /// The first menu's id.
    pub start: String,
    pub menus: Vec<MenuDef>,
    /// Opening hours; left out: always open.
    #[serde(default)]
    pub hours: Option<HoursDef>,
    /// The prompts' language: `bs` or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// Known key clients skip the menu: while open, they go straight to
    /// their manager's chain as an order call (OD-4).
    #[serde(default)]
    pub key_clients_skip_menu: bool,
}

fn default_language() -> String {
    "bs".into()
}

#[derive(Serialize, ToSchema)]
pub struct IvrOut {
    #[serde(flatten)]
    pub ivr: IvrDef,
    /// True when the company has no menu of its own.
    pub default: bool,
}

impl From<ActionDef> for StoredAction {
    fn from(a: ActionDef) -> Self {
        match a {
            ActionDef::Intent(i) => StoredAction::Intent(i),
            ActionDef::Submenu(m) => StoredAction::Submenu(m),
            ActionDef::Queue(q) => StoredAction::Queue(q),
            ActionDef::Repeat => StoredAction::Repeat,
            ActionDef::Operator => StoredAction::Operator,
        }
    }
}

impl From<StoredAction> for ActionDef {
    fn from(a: StoredAction) -> Self {
        match a {
            StoredAction::Intent(i) => ActionDef::Intent(i),
            StoredAction::Submenu(m) => ActionDef::Submenu(m),
            StoredAction::Queue(q) => ActionDef::Queue(q),
            StoredAction::Repeat => ActionDef::Repeat,
            StoredAction::Operator => ActionDef::Operator,
        }
    }
}

impl From<IvrDef> for StoredIvr {
    fn from(d: IvrDef) -> Self {
        StoredIvr {
            start: d.start,
            menus: d
                .menus
                .into_iter()
                .map(|m| StoredMenu {
                    id: m.id,
                    prompt: m.prompt,
                    options: m.options.into_iter().map(|(k, a)| (k, a.into())).collect(),
                    timeout_seconds: m.timeout_seconds,
                    retries: m.retries,
                    on_no_input: m.on_no_input.into(),
                    invalid_prompt: m.invalid_prompt,
                })
                .collect(),
            hours: d.hours.map(|h| StoredHours {
                open: h.open.into_iter().map(|o| StoredOpen { day: o.day, from: o.from, to: o.to }).collect(),
                holidays: h.holidays,
                closed_prompt: h.closed_prompt,
            }),
            language: d.language,
            key_clients_skip_menu: d.key_clients_skip_menu,
        }
    }
}

impl From<StoredIvr> for IvrDef {
    fn from(d: StoredIvr) -> Self {
        IvrDef {
            start: d.start,
            menus: d
                .menus
                .into_iter()
                .map(|m| MenuDef {
                    id: m.id,
                    prompt: m.prompt,
                    options: m.options.into_iter().map(|(k, a)| (k, a.into())).collect(),
                    timeout_seconds: m.timeout_seconds,
                    retries: m.retries,
                    on_no_input: m.on_no_input.into(),
                    invalid_prompt: m.invalid_prompt,
                })
                .collect(),
            hours: d.hours.map(|h| HoursDef {
                open: h.open.into_iter().map(|o| OpenDef { day: o.day, from: o.from, to: o.to }).collect(),
                holidays: h.holidays,
                closed_prompt: h.closed_prompt,
            }),
            language: d.language,
            key_clients_skip_menu: d.key_clients_skip_menu,
        }
    }
}

impl IvrDef {
    /// The menu the call logic walks, checked (the runtime's rules for a
    /// stored menu: every key a phone key, every submenu present, times and
    /// dates well formed).
    pub fn to_config(&self) -> Result<(IvrConfig, String), String> {
        StoredIvr::from(self.clone()).to_config()
    }

    pub fn from_config(cfg: &IvrConfig, language: &str) -> IvrDef {
        StoredIvr::from_config(cfg, language).into()
    }
}

/// The company's IVR menu (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/ivr", tag = "company", responses((status = 200, body = IvrOut)))]
pub async fn get(State(state): State<AppState>, auth: Allowed<Auditors>) -> ApiResult<Json<IvrOut>> {
    let s = state.store.company(auth.company);
    if let Some(Ok(def)) = settings::stored_ivr(&s, &state.center.problems).await? {
        return Ok(Json(IvrOut { ivr: def.into(), default: false }));
    }
    Ok(Json(IvrOut { ivr: IvrDef::from_config(&IvrConfig::default_menu(), "bs"), default: true }))
}

/// Replace the company's IVR menu (admins); checked before it is stored.
#[utoipa::path(put, path = "/api/v1/ivr", tag = "company", request_body = IvrDef,
    responses((status = 200, body = IvrOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(def): ApiJson<IvrDef>,
) -> ApiResult<Json<IvrOut>> {
    let (cfg, _) = def.to_config().map_err(ApiError::invalid)?;
    let s = state.store.company(auth.company);
    let queues = settings::company_queues(&s, &state.center.problems).await?;
    if let Some(q) = cfg.queues().find(|q| !queues.contains_key(*q)) {
        return Err(ApiError::invalid(format!(
            "the menu sends callers to {q:?}, which is not a queue of this company"
        )));
    }
    s.set_ivr(Some(&settings::write(&StoredIvr::from(def.clone())))).await?;
    state.center.problems.clear(auth.company, "ivr");
    state.center.caches.ivr.invalidate(&auth.company);
    s.audit(&auth.username, "update", "ivr", &def.start, "").await?;
    Ok(Json(IvrOut { ivr: def, default: false }))
}

/// Back to the default menu (admins).
#[utoipa::path(delete, path = "/api/v1/ivr", tag = "company", responses((status = 204), (status = 403, body = crate::error::ErrorBody)))]
pub async fn delete(State(state): State<AppState>, auth: Allowed<Admins>) -> ApiResult<StatusCode> {
    let s = state.store.company(auth.company);
    s.set_ivr(None).await?;
    state.center.problems.clear(auth.company, "ivr");
    state.center.caches.ivr.invalidate(&auth.company);
    s.audit(&auth.username, "delete", "ivr", "", "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionDef {
    /// Recordings older than this many days are deleted; 0 keeps them.
    pub days: i64,
    /// Whether an operator may pause a call's recording for a sensitive
    /// moment (a card number). Absent when setting: unchanged.
    #[serde(default)]
    pub pause_allowed: Option<bool>,
}

/// How long the company's recordings are kept (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/recordings/retention", tag = "company", responses((status = 200, body = RetentionDef)))]
pub async fn get_retention(State(state): State<AppState>, auth: Allowed<Auditors>) -> ApiResult<Json<RetentionDef>> {
    let s = state.store.company(auth.company);
    Ok(Json(RetentionDef {
        days: s.recording_retention().await?,
        pause_allowed: Some(s.recording_pause_allowed().await?),
    }))
}

/// Set how long recordings are kept (admins).
#[utoipa::path(put, path = "/api/v1/recordings/retention", tag = "company", request_body = RetentionDef,
    responses((status = 200, body = RetentionDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_retention(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<RetentionDef>,
) -> ApiResult<Json<RetentionDef>> {
    if !(0..=36_500).contains(&body.days) {
        return Err(ApiError::invalid("days is 0 (keep) to 36500"));
    }
    let s = state.store.company(auth.company);
    s.set_recording_retention(body.days).await?;
    s.audit(&auth.username, "update", "recording_retention", "", &body.days.to_string()).await?;
    if let Some(allowed) = body.pause_allowed {
        s.set_recording_pause_allowed(allowed).await?;
        s.audit(&auth.username, "update", "recording_pause_allowed", "", &allowed.to_string()).await?;
    }
    Ok(Json(RetentionDef { days: body.days, pause_allowed: Some(s.recording_pause_allowed().await?) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_menu_round_trips_through_the_wire_format() {
        let def = IvrDef::from_config(&IvrConfig::default_menu(), "bs");
        let (back, lang) = def.to_config().unwrap();
        // Keys come back in key order; the menu is the same.
        let mut want = IvrConfig::default_menu();
        want.menus[0].options.sort_by_key(|(d, _)| *d);
        assert_eq!(back, want);
        assert_eq!(lang, "bs");
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["menus"][0]["options"]["1"], serde_json::json!({"intent": "order"}));
        assert_eq!(json["menus"][0]["options"]["0"], serde_json::json!("operator"));
    }

    #[test]
    fn bad_menus_are_refused_with_the_reason() {
        let ok = serde_json::json!({
            "start": "main", "language": "en",
            "menus": [{"id": "main", "prompt": "main-menu", "options": {"1": {"submenu": "sales"}, "2": {"queue": "vip"}}},
                      {"id": "sales", "prompt": "main-menu", "options": {"1": {"intent": "order"}}, "on_no_input": "repeat"}],
            "hours": {"open": [{"day": "mon", "from": "08:00", "to": "16:00"}], "holidays": ["2026-12-25"]}
        });
        let def: IvrDef = serde_json::from_value(ok.clone()).unwrap();
        let (cfg, lang) = def.to_config().unwrap();
        assert_eq!((cfg.menus.len(), lang.as_str(), cfg.hours.open.len()), (2, "en", 1));
        let broken = |path: &str, value: serde_json::Value| {
            let mut v = ok.clone();
            let (parent, key) = path.rsplit_once('/').unwrap();
            match v.pointer_mut(parent).unwrap() {
                serde_json::Value::Array(a) => a[key.parse::<usize>().unwrap()] = value,
                o => o[key] = value,
            }
            serde_json::from_value::<IvrDef>(v).map_err(|e| e.to_string()).and_then(|d| d.to_config().map(|_| ()))
        };
        assert!(broken("/menus/0/options/1", serde_json::json!({"submenu": "nowhere"}))
            .unwrap_err()
            .contains("nowhere"));
        assert!(broken("/menus/1/options/1", serde_json::json!({"intent": "gossip"})).unwrap_err().contains("gossip"));
        // 08:00–16:00 is the shape; an empty range is refused, a range across
        // midnight and one to 24:00 are not.
        assert!(broken("/hours/open/0/from", serde_json::json!("16:00")).unwrap_err().contains("is empty"));
        assert!(broken("/hours/open/0/from", serde_json::json!("24:00")).unwrap_err().contains("cannot start"));
        assert!(broken("/hours/open/0/to", serde_json::json!("25:00")).unwrap_err().contains("not a time"));
        assert!(broken("/hours/open/0/from", serde_json::json!("22:00")).is_ok(), "22:00–16:00 runs across midnight");
        assert!(broken("/hours/open/0/to", serde_json::json!("24:00")).is_ok(), "08:00–24:00");
        let mut v = ok.clone();
        v["hours"]["open"][0] = serde_json::json!({"day": "fri", "from": "22:00", "to": "24:00"});
        let (cfg, _) = serde_json::from_value::<IvrDef>(v).unwrap().to_config().unwrap();
        let back = IvrDef::from_config(&cfg, "en");
        assert_eq!(back.hours.unwrap().open[0].to, "24:00", "24:00 reads back as it was written");
        assert!(broken("/hours/open/0/day", serde_json::json!("someday")).unwrap_err().contains("someday"));
        assert!(broken("/hours/holidays/0", serde_json::json!("25.12.")).unwrap_err().contains("date"));
        assert!(broken("/language", serde_json::json!("fr")).unwrap_err().contains("fr"));
        assert!(broken("/start", serde_json::json!("nope")).unwrap_err().contains("nope"));
        assert!(broken("/menus/0/timeout_seconds", serde_json::json!(0)).unwrap_err().contains("timeout"));
        let mut v = ok.clone();
        v["menus"][0]["options"]["12"] = serde_json::json!("repeat");
        assert!(serde_json::from_value::<IvrDef>(v).unwrap().to_config().unwrap_err().contains("one key"));
        let mut v = ok;
        v["menus"][0]["options"]["x"] = serde_json::json!("repeat");
        assert!(serde_json::from_value::<IvrDef>(v).unwrap().to_config().unwrap_err().contains("phone key"));
    }
}
