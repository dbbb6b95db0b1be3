//! Settings a company keeps in the database: its voice menu (CC-2) and its
//! queues (CC-4, CC-5). These are the *stored* types: the API has its own
//! wire types and converts, so a change to the API is never a silent data
//! migration. Every stored value is written in a versioned envelope
//! (`{"v": 1, "data": …}`; text without one is version 1, as written before
//! the envelope existed). A stored value that no longer reads is reported
//! loudly — a log line at error level, `/healthz`'s detail and a metric,
//! naming the company and the setting ([`Problems`]) — and the call is
//! still answered with the default, so a broken setting never stops calls.

use crate::acd::{OverflowTo, QueueSettings, OPERATORS};
use crate::error::CenterResult;
use centrala_call::ivr::{Action, Hours, IvrConfig, Menu};
use centrala_domain::{CompanyId, Intent, Role};
use centrala_store::{Scoped, Staff};
use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// The version that [`write`] puts in the envelope.
pub const VERSION: u32 = 1;

/// A stored value in its envelope.
pub fn write<T: Serialize>(value: &T) -> String {
    serde_json::json!({ "v": VERSION, "data": value }).to_string()
}

/// Reads a stored value: an envelope of a known version, or bare text of
/// version 1 (written before the envelope). The error says what is wrong.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let data = match value.as_object().and_then(|o| o.get("v").map(|v| (v, o.get("data")))) {
        Some((v, data)) => match (v.as_u64(), data) {
            (Some(1), Some(data)) => data.clone(),
            (Some(1), None) => return Err("version 1 without data".into()),
            (v, _) => return Err(format!("version {v:?} is not one this release reads")),
        },
        None => value,
    };
    serde_json::from_value(data).map_err(|e| e.to_string())
}

/// Stored settings that did not read, by company and setting, with why.
#[derive(Default)]
pub struct Problems {
    map: Mutex<BTreeMap<(i64, &'static str), String>>,
}

impl Problems {
    /// A setting did not read: kept until it reads again, and logged at
    /// error level when it starts (not at every call that reads it).
    pub fn report(&self, company: CompanyId, setting: &'static str, why: &str) {
        let new = self
            .map
            .lock()
            .map(|mut m| m.insert((company.0, setting), why.to_owned()).is_none_or(|old| old != why))
            .unwrap_or(true);
        if new {
            tracing::error!(
                company = company.0,
                setting,
                error = why,
                "a stored setting does not read; the default applies until it is set again"
            );
        }
    }

    /// The setting read (or was set): no longer a problem.
    pub fn clear(&self, company: CompanyId, setting: &'static str) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&(company.0, setting));
        }
    }

    /// Every problem now: (company id, setting, why).
    pub fn list(&self) -> Vec<(i64, &'static str, String)> {
        self.map.lock().map(|m| m.iter().map(|((c, s), w)| (*c, *s, w.clone())).collect()).unwrap_or_default()
    }
}

// ---- The voice menu ----

/// What a key does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StoredAction {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredMenu {
    pub id: String,
    /// The prompt's name: a WAV of the company's prompts or a demo prompt.
    pub prompt: String,
    /// Keys (`0`–`9`, `*`, `#`) and what each does.
    pub options: BTreeMap<String, StoredAction>,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// Replays after no input or a wrong key.
    #[serde(default = "default_retries")]
    pub retries: u8,
    #[serde(default = "default_no_input")]
    pub on_no_input: StoredAction,
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
fn default_no_input() -> StoredAction {
    StoredAction::Operator
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredOpen {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`.
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredHours {
    pub open: Vec<StoredOpen>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default = "default_closed")]
    pub closed_prompt: String,
}

fn default_closed() -> String {
    "closed".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredIvr {
    /// The first menu's id.
    pub start: String,
    pub menus: Vec<StoredMenu>,
    /// Opening hours; left out: always open.
    #[serde(default)]
    pub hours: Option<StoredHours>,
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

fn action(a: &StoredAction) -> Result<Action, String> {
    Ok(match a {
        StoredAction::Intent(i) => Action::Intent(
            Intent::parse(i).ok_or_else(|| format!("intent {i:?} is not order, reference, other or complaint"))?,
        ),
        StoredAction::Submenu(m) => Action::Submenu(m.clone()),
        StoredAction::Queue(q) => Action::Queue(q.clone()),
        StoredAction::Repeat => Action::Repeat,
        StoredAction::Operator => Action::Operator,
    })
}

fn action_def(a: &Action) -> StoredAction {
    match a {
        Action::Intent(i) => StoredAction::Intent(i.as_str().to_owned()),
        Action::Submenu(m) => StoredAction::Submenu(m.clone()),
        Action::Queue(q) => StoredAction::Queue(q.clone()),
        Action::Repeat => StoredAction::Repeat,
        Action::Operator => StoredAction::Operator,
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

impl StoredIvr {
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
                // `24:00` is midnight at the end of the day (stored as 00:00).
                let time = |t: &str| match t {
                    "24:00" => Ok(NaiveTime::MIN),
                    t => NaiveTime::parse_from_str(t, "%H:%M")
                        .map_err(|_| format!("{t:?} is not a time (HH:MM, or 24:00)")),
                };
                let mut open = Vec::new();
                for o in &h.open {
                    let day = DAYS
                        .iter()
                        .find(|(n, _)| *n == o.day)
                        .map(|(_, d)| *d)
                        .ok_or_else(|| format!("{:?} is not mon … sun", o.day))?;
                    let (from, to) = (time(&o.from)?, time(&o.to)?);
                    if o.from == "24:00" {
                        return Err(format!("{}: a range cannot start at 24:00", o.day));
                    }
                    // A `to` before `from` runs across midnight; the same
                    // time twice says nothing (all day is 00:00–24:00).
                    if from == to && o.to != "24:00" {
                        return Err(format!("{}: {} to {} is empty (all day is 00:00 to 24:00)", o.day, o.from, o.to));
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

    pub fn from_config(cfg: &IvrConfig, language: &str) -> StoredIvr {
        let always = cfg.hours == Hours::always();
        StoredIvr {
            start: cfg.start.clone(),
            menus: cfg
                .menus
                .iter()
                .map(|m| StoredMenu {
                    id: m.id.clone(),
                    prompt: m.prompt.clone(),
                    options: m.options.iter().map(|(d, a)| (d.to_string(), action_def(a))).collect(),
                    timeout_seconds: u32::try_from(m.timeout.as_secs()).unwrap_or(5),
                    retries: m.retries,
                    on_no_input: action_def(&m.on_no_input),
                    invalid_prompt: m.invalid_prompt.clone(),
                })
                .collect(),
            hours: (!always).then(|| StoredHours {
                open: cfg
                    .hours
                    .open
                    .iter()
                    .map(|(d, f, t)| StoredOpen {
                        day: DAYS.iter().find(|(_, w)| w == d).map_or("mon", |(n, _)| n).to_owned(),
                        from: f.format("%H:%M").to_string(),
                        to: if *t == NaiveTime::MIN { "24:00".to_owned() } else { t.format("%H:%M").to_string() },
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
    /// Whether this is the default menu (the company has none of its own,
    /// or its own does not read).
    pub default: bool,
    pub key_clients_skip_menu: bool,
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

/// The company's stored menu as stored, if it has one: `Err` when it does
/// not read (reported to `problems`).
pub async fn stored_ivr(s: &Scoped<'_>, problems: &Problems) -> CenterResult<Option<Result<StoredIvr, String>>> {
    let Some(text) = s.ivr().await? else {
        problems.clear(s.company_id(), "ivr");
        return Ok(None);
    };
    let read = read::<StoredIvr>(&text).and_then(|d| d.to_config().map(|_| d));
    match &read {
        Ok(_) => problems.clear(s.company_id(), "ivr"),
        Err(e) => problems.report(s.company_id(), "ivr", e),
    }
    Ok(Some(read))
}

/// The company's menu and prompt language: its own, or the default (when
/// it has none, or loudly when its own does not read).
pub async fn company_ivr(s: &Scoped<'_>, problems: &Problems) -> CenterResult<CompanyIvr> {
    if let Some(Ok(def)) = stored_ivr(s, problems).await? {
        if let Ok((cfg, language)) = def.to_config() {
            return Ok(CompanyIvr { cfg, language, default: false, key_clients_skip_menu: def.key_clients_skip_menu });
        }
    }
    Ok(CompanyIvr::default_menu())
}

// ---- Queues ----

/// Where a caller goes after the longest wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredOverflow {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoredQueue {
    /// How long an agent's phone rings before the next agent's (5–120).
    pub ring_timeout_seconds: u32,
    /// After a call, before the agent gets the next (0–600).
    pub wrap_up_seconds: u32,
    /// The longest a caller waits (10–7200); `null`: no limit.
    pub max_wait_seconds: Option<u32>,
    pub overflow: StoredOverflow,
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
    /// Answered within this counts as in service level (5–600).
    pub service_level_seconds: u32,
}

impl Default for StoredQueue {
    fn default() -> Self {
        let s = QueueSettings::default();
        StoredQueue {
            ring_timeout_seconds: secs(s.ring_timeout),
            wrap_up_seconds: secs(s.wrap_up),
            max_wait_seconds: None,
            overflow: StoredOverflow::Message,
            announce_every_seconds: s.announce_every.map_or(0, secs),
            callback_offer: s.callback_offer,
            members: Vec::new(),
            callback_attempts: s.callback_attempts,
            callback_retry_seconds: secs(s.callback_retry),
            service_level_seconds: secs(s.service_level),
        }
    }
}

fn secs(d: Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

impl StoredQueue {
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
            StoredOverflow::Message => OverflowTo::Message,
            StoredOverflow::Callback => OverflowTo::Callback,
            StoredOverflow::Queue(q) => OverflowTo::Queue(q.clone()),
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
            service_level: within("service_level_seconds", self.service_level_seconds, 5, 600)?,
            priority: 0,
        })
    }
}

/// Whether `name` may name a queue: 1–32 of a–z, 0–9, `-`, `_`.
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks a company's queues as a whole: each one's settings, and that
/// every overflow goes to another queue that exists.
pub fn check_all(
    queues: &BTreeMap<String, StoredQueue>,
    staff: &[Staff],
) -> Result<Vec<(String, QueueSettings)>, String> {
    let mut out = Vec::new();
    for (name, def) in queues {
        let settings = def.to_settings(staff).map_err(|e| format!("queue {name}: {e}"))?;
        if let (Some(_), StoredOverflow::Queue(to)) = (def.max_wait_seconds, &def.overflow) {
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
/// the defaults) and the named ones. A stored value that does not read is
/// reported to `problems` (the operator queue then runs on the defaults,
/// and no named queue is routed to) until it is set again.
pub async fn company_queues(s: &Scoped<'_>, problems: &Problems) -> CenterResult<BTreeMap<String, StoredQueue>> {
    let company = s.company_id();
    let mut out: BTreeMap<String, StoredQueue> = match s.named_queues().await? {
        Some(text) => read(&text).unwrap_or_else(|e| {
            problems.report(company, "named_queues", &e);
            BTreeMap::new()
        }),
        None => BTreeMap::new(),
    };
    let operators = match s.queue_settings().await? {
        Some(text) => read(&text).unwrap_or_else(|e| {
            problems.report(company, "queue_settings", &e);
            StoredQueue::default()
        }),
        None => StoredQueue::default(),
    };
    out.insert(OPERATORS.to_owned(), operators);
    Ok(out)
}

/// Stores the company's queues: the operator queue's settings apart (as
/// before named queues), the named ones together; what did not read
/// before is a problem no more.
pub async fn store_queues(
    s: &Scoped<'_>,
    queues: &BTreeMap<String, StoredQueue>,
    problems: &Problems,
) -> CenterResult<()> {
    let named: BTreeMap<&String, &StoredQueue> = queues.iter().filter(|(n, _)| *n != OPERATORS).collect();
    let operators = write(&queues.get(OPERATORS).cloned().unwrap_or_default());
    s.set_queue_settings(Some(&operators)).await?;
    s.set_named_queues((!named.is_empty()).then(|| write(&named)).as_deref()).await?;
    problems.clear(s.company_id(), "queue_settings");
    problems.clear(s.company_id(), "named_queues");
    Ok(())
}

/// The settings the ACD applies for these queues. A queue whose settings
/// no longer check (a member left the company, or became an admin) keeps
/// its timings and loses what no longer holds.
pub fn applicable(queues: &BTreeMap<String, StoredQueue>, staff: &[Staff]) -> Vec<(String, QueueSettings)> {
    check_all(queues, staff).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the stored queues no longer check; applying what does");
        queues
            .iter()
            .map(|(name, def)| {
                let present = |u: &&String| staff.iter().any(|m| &m.username == *u && m.role != Role::Admin);
                let def = StoredQueue { members: def.members.iter().filter(present).cloned().collect(), ..def.clone() };
                (name.clone(), def.to_settings(staff).unwrap_or_default())
            })
            .collect()
    })
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
            email: String::new(),
        }
    }

    #[test]
    fn settings_check_and_bad_ones_are_refused_with_the_reason() {
        let staff = [member(1, "op.ana", Role::Operator), member(2, "admin", Role::Admin)];
        let def = StoredQueue::default();
        assert_eq!(def.to_settings(&staff).unwrap(), QueueSettings::default());
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["ring_timeout_seconds"], 15);
        assert_eq!(json["max_wait_seconds"], serde_json::Value::Null);
        // A partial body: the rest are defaults.
        let d: StoredQueue =
            serde_json::from_value(serde_json::json!({"max_wait_seconds": 120, "overflow": "callback"})).unwrap();
        let s = d.to_settings(&staff).unwrap();
        assert_eq!(s.max_wait, Some((Duration::from_secs(120), OverflowTo::Callback)));
        let d: StoredQueue = serde_json::from_value(
            serde_json::json!({"max_wait_seconds": 30, "overflow": {"queue": "operators"}, "members": ["op.ana", "op.ana"]}),
        )
        .unwrap();
        let s = d.to_settings(&staff).unwrap();
        assert_eq!(s.max_wait, Some((Duration::from_secs(30), OverflowTo::Queue("operators".into()))));
        assert_eq!(s.members, [StaffId(1)], "members by id, once");
        assert_eq!(serde_json::to_value(&d).unwrap()["overflow"], serde_json::json!({"queue": "operators"}));
        let never = StoredQueue { announce_every_seconds: 0, ..StoredQueue::default() };
        assert_eq!(never.to_settings(&staff).unwrap().announce_every, None);
        for (bad, says) in [
            (
                StoredQueue { ring_timeout_seconds: 2, ..StoredQueue::default() },
                "ring_timeout_seconds must be 5 to 120",
            ),
            (
                StoredQueue { max_wait_seconds: Some(3), ..StoredQueue::default() },
                "max_wait_seconds must be 10 to 7200",
            ),
            (StoredQueue { announce_every_seconds: 5, ..StoredQueue::default() }, "announce_every_seconds must be 10"),
            (StoredQueue { wrap_up_seconds: 601, ..StoredQueue::default() }, "wrap_up_seconds must be 0 to 600"),
            (StoredQueue { members: vec!["nobody".into()], ..StoredQueue::default() }, "no staff member \"nobody\""),
            (StoredQueue { members: vec!["admin".into()], ..StoredQueue::default() }, "admin is an admin"),
            (StoredQueue { callback_attempts: 0, ..StoredQueue::default() }, "callback_attempts must be 1 to 5"),
            (StoredQueue { callback_retry_seconds: 5, ..StoredQueue::default() }, "callback_retry_seconds must be 10"),
        ] {
            let e = bad.to_settings(&staff).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        assert!(
            serde_json::from_value::<StoredQueue>(serde_json::json!({"ring": 5})).is_err(),
            "unknown fields refused"
        );
        assert!(serde_json::from_value::<StoredQueue>(serde_json::json!({"overflow": "queue"})).is_err());
    }

    #[test]
    fn queues_are_checked_together_and_names_are_plain() {
        let staff = [member(1, "op.ana", Role::Operator)];
        let into = |to: &str| StoredQueue {
            max_wait_seconds: Some(60),
            overflow: StoredOverflow::Queue(to.into()),
            ..StoredQueue::default()
        };
        let mut queues = BTreeMap::from([
            (OPERATORS.to_owned(), StoredQueue::default()),
            ("complaints".to_owned(), into("operators")),
        ]);
        let checked = check_all(&queues, &staff).unwrap();
        assert_eq!(checked.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["complaints", "operators"]);
        queues.insert("vip".into(), into("vip"));
        assert!(check_all(&queues, &staff).unwrap_err().contains("vip cannot overflow into itself"));
        queues.insert("vip".into(), into("billing"));
        assert!(check_all(&queues, &staff).unwrap_err().contains("\"billing\", which is not a queue"));
        // Without a longest wait the overflow is not used, so not checked.
        queues.insert("vip".into(), StoredQueue { max_wait_seconds: None, ..into("billing") });
        assert!(check_all(&queues, &staff).is_ok());
        for good in ["complaints", "b2b-north", "x_1"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "Complaints", "a b", "č", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
