//! The company's IVR menu as data (CC-2): what callers hear and which key
//! does what, business hours and holidays, the prompts' language. A company
//! without its own gets the default (1 order, 2 reference information,
//! 3 complaint, 0 or no input: other).

use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_call::ivr::{Action, Hours, IvrConfig, Menu};
use centrala_desk::routing::Intent;
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
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

fn action(a: &ActionDef) -> Result<Action, String> {
    Ok(match a {
        ActionDef::Intent(i) => Action::Intent(
            Intent::parse(i).ok_or_else(|| format!("intent {i:?} is not order, reference, other or complaint"))?,
        ),
        ActionDef::Submenu(m) => Action::Submenu(m.clone()),
        ActionDef::Queue(q) => Action::Queue(q.clone()),
        ActionDef::Repeat => Action::Repeat,
        ActionDef::Operator => Action::Operator,
    })
}

fn action_def(a: &Action) -> ActionDef {
    match a {
        Action::Intent(i) => ActionDef::Intent(i.as_str().to_owned()),
        Action::Submenu(m) => ActionDef::Submenu(m.clone()),
        Action::Queue(q) => ActionDef::Queue(q.clone()),
        Action::Repeat => ActionDef::Repeat,
        Action::Operator => ActionDef::Operator,
    }
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

impl IvrDef {
    /// The menu the call logic walks, checked: every key a phone key, every
    /// submenu present, times and dates well formed.
    pub fn to_config(&self) -> Result<(IvrConfig, String), String> {
        if !["bs", "en"].contains(&self.language.as_str()) {
            return Err(format!("language {:?}: the prompts exist in bs and en", self.language));
        }
        let mut menus = Vec::new();
        for m in &self.menus {
            if m.prompt.trim().is_empty() {
                return Err(format!("menu {:?} has no prompt", m.id));
            }
            if m.timeout_seconds == 0 || m.timeout_seconds > 60 {
                return Err(format!("menu {:?}: timeout_seconds is 1–60", m.id));
            }
            let mut options = Vec::new();
            for (k, a) in &m.options {
                let mut chars = k.chars();
                let (Some(d), None) = (chars.next(), chars.next()) else {
                    return Err(format!("menu {:?}: {k:?} is not one key", m.id));
                };
                options.push((d, action(a).map_err(|e| format!("menu {:?}, key {k}: {e}", m.id))?));
            }
            menus.push(Menu {
                id: m.id.clone(),
                prompt: m.prompt.clone(),
                options,
                timeout: Duration::from_secs(u64::from(m.timeout_seconds)),
                retries: m.retries.min(5),
                on_no_input: action(&m.on_no_input).map_err(|e| format!("menu {:?}, no input: {e}", m.id))?,
                invalid_prompt: m.invalid_prompt.clone(),
            });
        }
        let hours = match &self.hours {
            None => Hours::always(),
            Some(h) => {
                let time =
                    |t: &str| NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| format!("{t:?} is not a time (HH:MM)"));
                let mut open = Vec::new();
                for o in &h.open {
                    let day = DAYS
                        .iter()
                        .find(|(n, _)| *n == o.day)
                        .map(|(_, d)| *d)
                        .ok_or_else(|| format!("{:?} is not mon … sun", o.day))?;
                    let (from, to) = (time(&o.from)?, time(&o.to)?);
                    if from >= to {
                        return Err(format!("{}: {} is not before {}", o.day, o.from, o.to));
                    }
                    open.push((day, from, to));
                }
                let holidays = h
                    .holidays
                    .iter()
                    .map(|d| {
                        NaiveDate::parse_from_str(d, "%Y-%m-%d")
                            .map_err(|_| format!("{d:?} is not a date (YYYY-MM-DD)"))
                    })
                    .collect::<Result<_, _>>()?;
                Hours { open, holidays, closed_prompt: h.closed_prompt.clone() }
            }
        };
        let cfg = IvrConfig { menus, start: self.start.clone(), hours };
        cfg.validate()?;
        Ok((cfg, self.language.clone()))
    }

    pub fn from_config(cfg: &IvrConfig, language: &str) -> IvrDef {
        let always = cfg.hours == Hours::always();
        IvrDef {
            start: cfg.start.clone(),
            menus: cfg
                .menus
                .iter()
                .map(|m| MenuDef {
                    id: m.id.clone(),
                    prompt: m.prompt.clone(),
                    options: m.options.iter().map(|(d, a)| (d.to_string(), action_def(a))).collect(),
                    timeout_seconds: u32::try_from(m.timeout.as_secs()).unwrap_or(5),
                    retries: m.retries,
                    on_no_input: action_def(&m.on_no_input),
                    invalid_prompt: m.invalid_prompt.clone(),
                })
                .collect(),
            hours: (!always).then(|| HoursDef {
                open: cfg
                    .hours
                    .open
                    .iter()
                    .map(|(d, f, t)| OpenDef {
                        day: DAYS.iter().find(|(_, w)| w == d).map_or("mon", |(n, _)| n).to_owned(),
                        from: f.format("%H:%M").to_string(),
                        to: t.format("%H:%M").to_string(),
                    })
                    .collect(),
                holidays: cfg.hours.holidays.iter().map(|d| d.to_string()).collect(),
                closed_prompt: cfg.hours.closed_prompt.clone(),
            }),
            language: language.to_owned(),
            key_clients_skip_menu: false,
        }
    }
}

/// What a call walks: the company's menu (its own, or the default) and
/// what goes with it.
#[derive(Debug, Clone)]
pub struct CompanyIvr {
    pub cfg: IvrConfig,
    pub language: String,
    /// Whether this is the default menu (the company has none of its own).
    pub default: bool,
    pub key_clients_skip_menu: bool,
}

/// The company's menu and prompt language: its own, or the default.
pub async fn company_ivr(s: &centrala_store::Scoped<'_>) -> ApiResult<CompanyIvr> {
    if let Some(text) = s.ivr().await? {
        let read = serde_json::from_str::<IvrDef>(&text)
            .map_err(|e| e.to_string())
            .and_then(|d| d.to_config().map(|c| (c, d.key_clients_skip_menu)));
        match read {
            Ok(((cfg, language), key_clients_skip_menu)) => {
                return Ok(CompanyIvr { cfg, language, default: false, key_clients_skip_menu })
            }
            Err(e) => tracing::warn!(error = %e, "the stored IVR menu no longer reads; using the default"),
        }
    }
    Ok(CompanyIvr::default_menu())
}

impl CompanyIvr {
    /// The menu of a company without its own.
    pub fn default_menu() -> CompanyIvr {
        CompanyIvr {
            cfg: IvrConfig::default_menu(),
            language: default_language(),
            default: true,
            key_clients_skip_menu: false,
        }
    }
}

/// The company's IVR menu (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/ivr", tag = "company", responses((status = 200, body = IvrOut)))]
pub async fn get(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<IvrOut>> {
    auth.require(roles::AUDITORS)?;
    let s = state.store.company(auth.company);
    if let Some(text) = s.ivr().await? {
        if let Ok(def) = serde_json::from_str::<IvrDef>(&text) {
            return Ok(Json(IvrOut { ivr: def, default: false }));
        }
    }
    Ok(Json(IvrOut { ivr: IvrDef::from_config(&IvrConfig::default_menu(), "bs"), default: true }))
}

/// Replace the company's IVR menu (admins); checked before it is stored.
#[utoipa::path(put, path = "/api/v1/ivr", tag = "company", request_body = IvrDef,
    responses((status = 200, body = IvrOut), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(State(state): State<AppState>, auth: Auth, ApiJson(def): ApiJson<IvrDef>) -> ApiResult<Json<IvrOut>> {
    auth.require(roles::ADMIN)?;
    let (cfg, _) = def.to_config().map_err(ApiError::invalid)?;
    let s = state.store.company(auth.company);
    let queues = crate::routes::queues::company_queues(&s).await?;
    if let Some(q) = cfg.queues().find(|q| !queues.contains_key(*q)) {
        return Err(ApiError::invalid(format!(
            "the menu sends callers to {q:?}, which is not a queue of this company"
        )));
    }
    let text = serde_json::to_string(&def).map_err(|_| ApiError::internal())?;
    s.set_ivr(Some(&text)).await?;
    s.audit(&auth.username, "update", "ivr", &def.start, "").await?;
    Ok(Json(IvrOut { ivr: def, default: false }))
}

/// Back to the default menu (admins).
#[utoipa::path(delete, path = "/api/v1/ivr", tag = "company", responses((status = 204), (status = 403, body = crate::error::ErrorBody)))]
pub async fn delete(State(state): State<AppState>, auth: Auth) -> ApiResult<StatusCode> {
    auth.require(roles::ADMIN)?;
    let s = state.store.company(auth.company);
    s.set_ivr(None).await?;
    s.audit(&auth.username, "delete", "ivr", "", "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionDef {
    /// Recordings older than this many days are deleted; 0 keeps them.
    pub days: i64,
}

/// How long the company's recordings are kept (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/recordings/retention", tag = "company", responses((status = 200, body = RetentionDef)))]
pub async fn get_retention(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<RetentionDef>> {
    auth.require(roles::AUDITORS)?;
    Ok(Json(RetentionDef { days: state.store.company(auth.company).recording_retention().await? }))
}

/// Set how long recordings are kept (admins).
#[utoipa::path(put, path = "/api/v1/recordings/retention", tag = "company", request_body = RetentionDef,
    responses((status = 200, body = RetentionDef), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_retention(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<RetentionDef>,
) -> ApiResult<Json<RetentionDef>> {
    auth.require(roles::ADMIN)?;
    if !(0..=36_500).contains(&body.days) {
        return Err(ApiError::invalid("days is 0 (keep) to 36500"));
    }
    let s = state.store.company(auth.company);
    s.set_recording_retention(body.days).await?;
    s.audit(&auth.username, "update", "recording_retention", "", &body.days.to_string()).await?;
    Ok(Json(body))
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
        assert!(broken("/hours/open/0/from", serde_json::json!("17:00")).unwrap_err().contains("not before"));
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
