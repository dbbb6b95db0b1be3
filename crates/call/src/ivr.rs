//! IVR menus defined as data (per company), not code: prompts, digits →
//! actions (submenu, intent, queue, repeat, operator), timeouts and retries,
//! business hours and holidays with a closed message.

use centrala_domain::Intent;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use std::time::Duration;

/// What choosing a digit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submenu(String),
    /// The caller said why it calls; routing takes over.
    Intent(Intent),
    /// Straight to a named queue.
    Queue(String),
    /// Play the menu again.
    Repeat,
    /// An operator (routing with intent "other").
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub id: String,
    /// The prompt's name (a WAV file of the company's prompts).
    pub prompt: String,
    pub options: Vec<(char, Action)>,
    /// How long to wait for a digit after the prompt.
    pub timeout: Duration,
    /// How many times the menu is replayed after no input or a wrong digit.
    pub retries: u8,
    /// What no input at all (after the retries) means.
    pub on_no_input: Action,
    /// Played before a replay after a wrong digit.
    pub invalid_prompt: Option<String>,
}

/// Opening hours: days of the week with a from–to time each, in the
/// company's local time. A range is open from `from` up to, not including,
/// `to`; a `to` of 00:00 means midnight at the end of the day (24:00), and a
/// `to` before `from` runs across midnight into the next day (22:00–06:00:
/// the night shift). Holidays are closed all day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    pub open: Vec<(Weekday, NaiveTime, NaiveTime)>,
    pub holidays: Vec<NaiveDate>,
    pub closed_prompt: String,
}

impl Hours {
    /// Always open (a 24/7/365 center, CC-5): every day 00:00–24:00.
    pub fn always() -> Hours {
        Hours {
            open: [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
                .into_iter()
                .map(|d| (d, NaiveTime::MIN, NaiveTime::MIN))
                .collect(),
            holidays: Vec::new(),
            closed_prompt: "closed".into(),
        }
    }

    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        let (day, t) = (at.weekday(), at.time());
        !self.holidays.contains(&at.date())
            && self.open.iter().any(|(d, from, to)| {
                if from < to {
                    *d == day && *from <= t && t < *to
                } else {
                    // Up to midnight (24:00), or on into the next day.
                    (*d == day && *from <= t) || (d.succ() == day && t < *to)
                }
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrConfig {
    pub menus: Vec<Menu>,
    /// The first menu's id.
    pub start: String,
    pub hours: Hours,
}

impl IvrConfig {
    /// The queues its menus send callers to by name.
    pub fn queues(&self) -> impl Iterator<Item = &str> {
        self.menus.iter().flat_map(|m| {
            m.options.iter().map(|(_, a)| a).chain(std::iter::once(&m.on_no_input)).filter_map(|a| match a {
                Action::Queue(q) => Some(q.as_str()),
                _ => None,
            })
        })
    }

    /// The menu a company without its own gets: 1 order, 2 reference
    /// information, 3 complaint, 0 or no input → other.
    pub fn default_menu() -> IvrConfig {
        IvrConfig {
            menus: vec![Menu {
                id: "main".into(),
                prompt: "main-menu".into(),
                options: vec![
                    ('1', Action::Intent(Intent::Order)),
                    ('2', Action::Intent(Intent::Reference)),
                    ('3', Action::Intent(Intent::Complaint)),
                    ('0', Action::Operator),
                ],
                timeout: Duration::from_secs(5),
                retries: 1,
                on_no_input: Action::Operator,
                invalid_prompt: Some("invalid-choice".into()),
            }],
            start: "main".into(),
            hours: Hours::always(),
        }
    }

    /// Checks that every submenu named exists and digits are single keys.
    pub fn validate(&self) -> Result<(), String> {
        let has = |id: &str| self.menus.iter().any(|m| m.id == id);
        if !has(&self.start) {
            return Err(format!("the start menu {:?} does not exist", self.start));
        }
        for m in &self.menus {
            for (d, a) in m.options.iter().chain(std::iter::once(&('-', m.on_no_input.clone()))) {
                if *d != '-' && !matches!(d, '0'..='9' | '*' | '#') {
                    return Err(format!("menu {:?}: {d:?} is not a phone key", m.id));
                }
                if let Action::Submenu(s) = a {
                    if !has(s) {
                        return Err(format!("menu {:?} leads to a missing menu {s:?}", m.id));
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the call driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Play these prompts, then wait up to `timeout` for one digit.
    Ask { prompts: Vec<String>, timeout: Duration },
    /// The menu is done.
    Done(Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Intent(Intent),
    Queue(String),
    /// Closed: play the prompt and hang up.
    Closed(String),
}

/// One caller's walk through the menus: the path taken and the digits.
#[derive(Debug, Clone)]
pub struct Walk {
    menu: String,
    tries: u8,
    pub path: Vec<String>,
    pub digits: String,
}

impl Walk {
    /// Starts the menu for a call arriving `at` (the company's local time).
    pub fn start(cfg: &IvrConfig, at: NaiveDateTime) -> (Walk, Step) {
        let mut w = Walk { menu: cfg.start.clone(), tries: 0, path: vec![cfg.start.clone()], digits: String::new() };
        if !cfg.hours.is_open(at) {
            return (w, Step::Done(Outcome::Closed(cfg.hours.closed_prompt.clone())));
        }
        let step = w.ask(cfg, None);
        (w, step)
    }

    fn menu<'c>(&self, cfg: &'c IvrConfig) -> Option<&'c Menu> {
        cfg.menus.iter().find(|m| m.id == self.menu)
    }

    fn ask(&mut self, cfg: &IvrConfig, before: Option<String>) -> Step {
        match self.menu(cfg) {
            Some(m) => {
                Step::Ask { prompts: before.into_iter().chain([m.prompt.clone()]).collect(), timeout: m.timeout }
            }
            None => Step::Done(Outcome::Intent(Intent::Other)),
        }
    }

    fn act(&mut self, cfg: &IvrConfig, action: Action) -> Step {
        match action {
            Action::Intent(i) => Step::Done(Outcome::Intent(i)),
            Action::Operator => Step::Done(Outcome::Intent(Intent::Other)),
            Action::Queue(q) => Step::Done(Outcome::Queue(q)),
            Action::Repeat => self.ask(cfg, None),
            Action::Submenu(id) => {
                self.menu = id.clone();
                self.tries = 0;
                self.path.push(id);
                self.ask(cfg, None)
            }
        }
    }

    /// The caller pressed `digit`.
    pub fn digit(&mut self, cfg: &IvrConfig, digit: char) -> Step {
        self.digits.push(digit);
        let Some(m) = self.menu(cfg) else { return Step::Done(Outcome::Intent(Intent::Other)) };
        match m.options.iter().find(|(d, _)| *d == digit).map(|(_, a)| a.clone()) {
            Some(a) => self.act(cfg, a),
            None => self.retry(cfg, m.invalid_prompt.clone()),
        }
    }

    /// No digit came within the timeout.
    pub fn timeout(&mut self, cfg: &IvrConfig) -> Step {
        self.retry(cfg, None)
    }

    fn retry(&mut self, cfg: &IvrConfig, before: Option<String>) -> Step {
        let Some(m) = self.menu(cfg) else { return Step::Done(Outcome::Intent(Intent::Other)) };
        if self.tries < m.retries {
            self.tries += 1;
            self.ask(cfg, before)
        } else {
            let a = m.on_no_input.clone();
            self.act(cfg, a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// Opening ranges as a table: (ranges, moment, open?). 2026-11-27 is a
    /// Friday; a range's end is not open; 24:00 and overnight ranges work.
    #[test]
    fn opening_hours_end_exclusive_run_to_midnight_and_across_it() {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        let hours = |ranges: &[(Weekday, &str, &str)]| Hours {
            open: ranges.iter().map(|(d, f, to)| (*d, t(f), t(to))).collect(),
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
            closed_prompt: "closed".into(),
        };
        let always = Hours::always();
        let office = hours(&[(Weekday::Fri, "08:00", "16:00")]);
        let night = hours(&[(Weekday::Fri, "22:00", "06:00")]);
        let evening = hours(&[(Weekday::Fri, "18:00", "00:00")]);
        let secs = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        for (h, moment, open) in [
            (&always, "2026-11-27 23:59:59", true),
            (&always, "2026-11-28 00:00:00", true),
            (&always, "2026-11-27 00:00:00", true),
            (&office, "2026-12-18 10:00:00", true),
            (&office, "2026-12-25 10:00:00", false),
            (&office, "2026-11-27 07:59:59", false),
            (&office, "2026-11-27 08:00:00", true),
            (&office, "2026-11-27 15:59:59", true),
            (&office, "2026-11-27 16:00:00", false),
            (&office, "2026-11-28 10:00:00", false),
            (&night, "2026-11-27 21:59:59", false),
            (&night, "2026-11-27 22:00:00", true),
            (&night, "2026-11-27 23:59:59", true),
            (&night, "2026-11-28 00:00:00", true),
            (&night, "2026-11-28 05:59:59", true),
            (&night, "2026-11-28 06:00:00", false),
            (&night, "2026-11-27 03:00:00", false),
            (&evening, "2026-11-27 23:59:59", true),
            (&evening, "2026-11-28 00:00:00", false),
        ] {
            assert_eq!(h.is_open(secs(moment)), open, "{:?} at {moment}", h.open);
        }
    }

    fn ask(prompts: &[&str]) -> Step {
        Step::Ask { prompts: prompts.iter().map(|p| (*p).to_owned()).collect(), timeout: Duration::from_secs(5) }
    }

    #[test]
    fn the_default_menu() {
        let cfg = IvrConfig::default_menu();
        cfg.validate().unwrap();
        let cases = [
            ("1", Outcome::Intent(Intent::Order)),
            ("2", Outcome::Intent(Intent::Reference)),
            ("3", Outcome::Intent(Intent::Complaint)),
            ("0", Outcome::Intent(Intent::Other)),
            ("91", Outcome::Intent(Intent::Order)), // a wrong key, then 1
        ];
        for (keys, want) in cases {
            let (mut w, first) = Walk::start(&cfg, at("2026-11-27 10:00"));
            assert_eq!(first, ask(&["main-menu"]));
            let mut last = first;
            for k in keys.chars() {
                last = w.digit(&cfg, k);
            }
            assert_eq!(last, Step::Done(want), "{keys}");
            assert_eq!(w.digits, keys);
        }
        // A wrong key replays with the invalid prompt first.
        let (mut w, _) = Walk::start(&cfg, at("2026-11-27 10:00"));
        assert_eq!(w.digit(&cfg, '7'), ask(&["invalid-choice", "main-menu"]));
        // No input: one retry, then other.
        let (mut w, _) = Walk::start(&cfg, at("2026-11-27 10:00"));
        assert_eq!(w.timeout(&cfg), ask(&["main-menu"]));
        assert_eq!(w.timeout(&cfg), Step::Done(Outcome::Intent(Intent::Other)));
    }

    #[test]
    fn submenus_queues_and_hours() {
        let weekday = (NaiveTime::from_hms_opt(8, 0, 0).unwrap(), NaiveTime::from_hms_opt(16, 0, 0).unwrap());
        let cfg = IvrConfig {
            menus: vec![
                Menu {
                    id: "main".into(),
                    prompt: "welcome".into(),
                    options: vec![('1', Action::Submenu("orders".into())), ('9', Action::Repeat)],
                    timeout: Duration::from_secs(5),
                    retries: 0,
                    on_no_input: Action::Operator,
                    invalid_prompt: None,
                },
                Menu {
                    id: "orders".into(),
                    prompt: "orders".into(),
                    options: vec![('1', Action::Intent(Intent::Order)), ('2', Action::Queue("complaints".into()))],
                    timeout: Duration::from_secs(5),
                    retries: 2,
                    on_no_input: Action::Intent(Intent::Order),
                    invalid_prompt: None,
                },
            ],
            start: "main".into(),
            hours: Hours {
                open: vec![(Weekday::Fri, weekday.0, weekday.1)],
                holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
                closed_prompt: "we-are-closed".into(),
            },
        };
        cfg.validate().unwrap();
        let (mut w, _) = Walk::start(&cfg, at("2026-11-27 08:00"));
        assert_eq!(w.digit(&cfg, '9'), Step::Ask { prompts: vec!["welcome".into()], timeout: Duration::from_secs(5) });
        assert_eq!(w.digit(&cfg, '1'), Step::Ask { prompts: vec!["orders".into()], timeout: Duration::from_secs(5) });
        assert_eq!(w.digit(&cfg, '2'), Step::Done(Outcome::Queue("complaints".into())));
        assert_eq!(w.path, ["main", "orders"]);
        assert_eq!(w.digits, "912");
        // Closed after hours, on other days and on holidays.
        for t in ["2026-11-27 16:01", "2026-11-28 10:00", "2026-12-25 10:00"] {
            assert_eq!(Walk::start(&cfg, at(t)).1, Step::Done(Outcome::Closed("we-are-closed".into())), "{t}");
        }
        // A broken definition is refused.
        let mut bad = cfg.clone();
        bad.menus[0].options.push(('x', Action::Submenu("nowhere".into())));
        assert!(bad.validate().is_err());
    }
}
