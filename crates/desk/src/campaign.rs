//! Outbound campaigns' rules (OD-16, OD-17, CC-6): which clients are
//! dormant, when a campaign may call (its hours in the company's time
//! zone), what a result does to a target (done, retried after an interval,
//! called back at an agreed time), and which target is next. Pure: times
//! come in as the company's local date-times.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// What a campaign is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Dormant clients, from the order history (OD-16).
    Reactivation,
    /// Clients a head names, with an instruction (OD-17).
    Instruction,
    Promotion,
    Survey,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Reactivation, Kind::Instruction, Kind::Promotion, Kind::Survey];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reactivation => "reactivation",
            Kind::Instruction => "instruction",
            Kind::Promotion => "promotion",
            Kind::Survey => "survey",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How targets reach an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The target appears on the desk; the operator presses Call or Skip.
    Preview,
    /// The ACD reserves a ready operator with nobody waiting, then dials.
    Progressive,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Preview => "preview",
            Mode::Progressive => "progressive",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Preview, Mode::Progressive].into_iter().find(|m| m.as_str() == s)
    }
}

/// The result codes every campaign starts with.
pub const DEFAULT_RESULTS: [&str; 6] =
    ["ordered", "call_later", "not_interested", "wrong_number", "not_reached", "do_not_call"];

/// Results of a target the dialler closes without dialling: it has no
/// number, or it is on the do-not-call list.
pub const NO_NUMBER: &str = "no_number";

/// Results that try the target again after the retry interval.
pub const RETRIED: [&str; 3] = ["not_reached", "busy", "failed"];

/// The first day on which a client whose last order was on `last` is
/// dormant: more than six months without an order. Ordered exactly six
/// months ago (same day of the month) is not dormant yet; a day more is.
pub fn dormant_since(today: NaiveDate) -> NaiveDate {
    today.checked_sub_months(Months::new(6)).unwrap_or(NaiveDate::MIN)
}

/// Whether a client whose last order was on `last` is dormant `today`.
pub fn is_dormant(last: NaiveDate, today: NaiveDate) -> bool {
    last < dormant_since(today)
}

/// When a campaign may call, in the company's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    /// Monday first.
    pub days: [bool; 7],
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Default for Hours {
    /// Weekdays, 08:00–20:00.
    fn default() -> Self {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        Hours { days: [true, true, true, true, true, false, false], from: t(8), to: t(20) }
    }
}

/// Why hours or a time asked for will not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No day is open.
    NoDays,
    /// `from` is not before `to`.
    Inverted,
    /// A call-back time that is already past.
    InThePast,
    /// A call-back time outside the campaign's hours.
    OutsideHours,
    /// A result the campaign does not have.
    UnknownResult(String),
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::NoDays => "no_days",
            Problem::Inverted => "inverted",
            Problem::InThePast => "in_the_past",
            Problem::OutsideHours => "outside_hours",
            Problem::UnknownResult(_) => "unknown_result",
        }
    }
}

impl Hours {
    pub fn check(&self) -> Result<(), Problem> {
        if !self.days.iter().any(|d| *d) {
            return Err(Problem::NoDays);
        }
        if self.from >= self.to {
            return Err(Problem::Inverted);
        }
        Ok(())
    }

    /// Whether a call may be placed at local time `at`.
    pub fn open_at(&self, at: NaiveDateTime) -> bool {
        let day = at.weekday().num_days_from_monday() as usize;
        self.days[day] && at.time() >= self.from && at.time() < self.to
    }

    /// The first moment at or after `at` when the hours are open (within
    /// two weeks; `None` for hours that never open).
    pub fn next_open(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.check().is_err() {
            return None;
        }
        if self.open_at(at) {
            return Some(at);
        }
        let mut day = at.date();
        for _ in 0..15 {
            let start = day.and_time(self.from);
            if self.days[day.weekday().num_days_from_monday() as usize] && start >= at {
                return Some(start);
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// `"1111100"`: the days as the store keeps them.
    pub fn days_text(&self) -> String {
        self.days.iter().map(|d| if *d { '1' } else { '0' }).collect()
    }

    pub fn days_from_text(s: &str) -> Option<[bool; 7]> {
        let v: Vec<bool> = s.chars().map(|c| c == '1').collect();
        (s.len() == 7 && s.chars().all(|c| c == '0' || c == '1')).then(|| {
            let mut d = [false; 7];
            d.copy_from_slice(&v);
            d
        })
    }
}

/// The weekday names the API takes, Monday first.
pub const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// How often and how soon an unreached target is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub interval_minutes: u32,
    pub max_attempts: u32,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { interval_minutes: 60, max_attempts: 3 }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// To be called (from `next_at`, when set).
    Pending,
    /// Being called now.
    Calling,
    /// Finished, with its outcome.
    Done,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Calling => "calling",
            State::Done => "done",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        [State::Pending, State::Calling, State::Done].into_iter().find(|x| x.as_str() == s)
    }
}

/// What recording `result` after attempt number `attempts` (counting this
/// one) does to a target: its new state, when to call next, and the
/// outcome written (an unreached target that used its last attempt ends
/// `not_reached`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub state: State,
    pub next_at: Option<NaiveDateTime>,
    pub outcome: String,
}

pub fn after_result(
    results: &[String],
    result: &str,
    attempts: u32,
    now: NaiveDateTime,
    retry: Retry,
    hours: &Hours,
    call_at: Option<NaiveDateTime>,
) -> Result<After, Problem> {
    let system = RETRIED.contains(&result);
    if !system && !results.iter().any(|r| r == result) {
        return Err(Problem::UnknownResult(result.to_owned()));
    }
    if result == "call_later" {
        let at = match call_at {
            Some(at) if at <= now => return Err(Problem::InThePast),
            Some(at) if !hours.open_at(at) => return Err(Problem::OutsideHours),
            Some(at) => at,
            None => hours.next_open(now + Duration::minutes(i64::from(retry.interval_minutes))).unwrap_or(now),
        };
        return Ok(After { state: State::Pending, next_at: Some(at), outcome: result.to_owned() });
    }
    if system {
        if attempts >= retry.max_attempts {
            return Ok(After { state: State::Done, next_at: None, outcome: "not_reached".into() });
        }
        let at = now + Duration::minutes(i64::from(retry.interval_minutes));
        return Ok(After {
            state: State::Pending,
            next_at: Some(hours.next_open(at).unwrap_or(at)),
            outcome: result.to_owned(),
        });
    }
    Ok(After { state: State::Done, next_at: None, outcome: result.to_owned() })
}

/// Whether a campaign may call at local time `now`: within its dates (both
/// included, when set) and its calling hours.
pub fn may_call(hours: &Hours, starts_on: Option<NaiveDate>, ends_on: Option<NaiveDate>, now: NaiveDateTime) -> bool {
    let today = now.date();
    starts_on.is_none_or(|d| today >= d) && ends_on.is_none_or(|d| today <= d) && hours.open_at(now)
}

/// The result a dialled attempt that did not reach the client records:
/// `busy` for a busy or declining party (486, 600, 603), `not_reached`
/// when nobody answered in time (no final status), `failed` for any other
/// refusal or a trunk that could not place the call. Retried alike
/// ([`RETRIED`]).
pub fn attempt_result(status: Option<u16>, failed: bool) -> &'static str {
    match (status, failed) {
        (_, true) => "failed",
        (None, false) => "not_reached",
        (Some(486 | 600 | 603), false) => "busy",
        // 408 Request Timeout and 480 Temporarily Unavailable: a phone that
        // is off or out of reach, as good as not answering.
        (Some(408 | 480), false) => "not_reached",
        (Some(_), false) => "failed",
    }
}

/// A target as the choice of the next one sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub state: State,
    pub next_at: Option<NaiveDateTime>,
    /// Who agreed the call-back, when one did.
    pub preferred: Option<i64>,
}

/// The next target for `agent` at `now` (an index into `targets`), when
/// the hours are open: a call-back agreed with this agent that is due
/// first, then any due target — agreed call-backs before fresh ones, the
/// longest due first, then in list order. A call-back agreed with another
/// operator waits for them for an hour before anyone may take it.
pub fn next_target(targets: &[Candidate], now: NaiveDateTime, hours: &Hours, agent: i64) -> Option<usize> {
    if !hours.open_at(now) {
        return None;
    }
    let due = |c: &Candidate| c.state == State::Pending && c.next_at.is_none_or(|t| t <= now);
    let mut best: Option<(u8, Option<NaiveDateTime>, usize)> = None;
    for (i, c) in targets.iter().enumerate() {
        if !due(c) {
            continue;
        }
        let rank = match c.preferred {
            Some(p) if p == agent => 0,
            Some(_) if c.next_at.is_some_and(|t| now - t < Duration::hours(1)) => continue,
            Some(_) => 1,
            None if c.next_at.is_some() => 1,
            None => 2,
        };
        let key = (rank, c.next_at, i);
        if best.as_ref().is_none_or(|b| key < *b) {
            best = Some(key);
        }
    }
    best.map(|(_, _, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn dormant_is_more_than_six_months() {
        let today = d("2026-12-01");
        assert!(!is_dormant(d("2026-06-01"), today), "exactly six months: not yet");
        assert!(is_dormant(d("2026-05-31"), today), "a day more");
        assert!(!is_dormant(d("2026-11-30"), today));
        // Month ends: 31 August less six months is 28 February.
        assert_eq!(dormant_since(d("2027-08-31")), d("2027-02-28"));
    }

    #[test]
    fn calls_only_in_the_campaigns_hours() {
        let h = Hours::default();
        assert!(h.open_at(at("2026-12-01 08:00")), "Tuesday 08:00");
        assert!(!h.open_at(at("2026-12-01 07:59")));
        assert!(!h.open_at(at("2026-12-01 20:00")), "20:00 is closed");
        assert!(!h.open_at(at("2026-12-05 10:00")), "Saturday");
        assert_eq!(h.next_open(at("2026-12-04 20:30")), Some(at("2026-12-07 08:00")), "Friday night → Monday");
        assert_eq!(h.next_open(at("2026-12-01 06:00")), Some(at("2026-12-01 08:00")));
        let never = Hours { days: [false; 7], ..h };
        assert_eq!((never.check(), never.next_open(at("2026-12-01 10:00"))), (Err(Problem::NoDays), None));
        let inverted = Hours { from: h.to, to: h.from, ..h };
        assert_eq!(inverted.check(), Err(Problem::Inverted));
        assert_eq!(Hours::days_from_text(&h.days_text()), Some(h.days));
        assert_eq!(Hours::days_from_text("11111"), None);
    }

    #[test]
    fn results_finish_retry_or_schedule() {
        let results: Vec<String> = DEFAULT_RESULTS.iter().map(|s| s.to_string()).collect();
        let (h, r, now) = (Hours::default(), Retry::default(), at("2026-12-01 10:00"));
        let done = after_result(&results, "ordered", 1, now, r, &h, None).unwrap();
        assert_eq!((done.state, done.next_at), (State::Done, None));
        let busy = after_result(&results, "busy", 1, now, r, &h, None).unwrap();
        assert_eq!((busy.state, busy.next_at), (State::Pending, Some(at("2026-12-01 11:00"))));
        let late = after_result(&results, "not_reached", 1, at("2026-12-01 19:30"), r, &h, None).unwrap();
        assert_eq!(late.next_at, Some(at("2026-12-02 08:00")), "a retry waits for the hours");
        let last = after_result(&results, "busy", 3, now, r, &h, None).unwrap();
        assert_eq!((last.state, last.outcome.as_str()), (State::Done, "not_reached"), "the last attempt");
        let later = after_result(&results, "call_later", 1, now, r, &h, Some(at("2026-12-01 14:30"))).unwrap();
        assert_eq!((later.state, later.next_at), (State::Pending, Some(at("2026-12-01 14:30"))));
        assert_eq!(
            after_result(&results, "call_later", 1, now, r, &h, Some(at("2026-12-01 09:00"))),
            Err(Problem::InThePast)
        );
        assert_eq!(
            after_result(&results, "call_later", 1, now, r, &h, Some(at("2026-12-05 10:00"))),
            Err(Problem::OutsideHours)
        );
        assert_eq!(after_result(&results, "maybe", 1, now, r, &h, None), Err(Problem::UnknownResult("maybe".into())));
    }

    #[test]
    fn a_campaign_calls_within_its_dates_and_hours_only() {
        let h = Hours::default();
        let (from, to) = (Some(d("2026-12-01")), Some(d("2026-12-03")));
        assert!(may_call(&h, from, to, at("2026-12-01 08:00")), "the first day, as the hours open");
        assert!(may_call(&h, from, to, at("2026-12-03 19:59")), "the last day, before the hours close");
        assert!(!may_call(&h, from, to, at("2026-11-30 10:00")), "before its first day");
        assert!(!may_call(&h, from, to, at("2026-12-04 10:00")), "after its last day");
        assert!(!may_call(&h, from, to, at("2026-12-02 20:00")), "after hours");
        assert!(may_call(&h, None, None, at("2026-12-02 12:00")), "no dates: any open day");
        assert!(!may_call(&h, None, None, at("2026-12-06 12:00")), "Sunday");
    }

    #[test]
    fn what_an_unreached_attempt_records() {
        for (status, failed, want) in [
            (Some(486), false, "busy"),
            (Some(600), false, "busy"),
            (Some(603), false, "busy"),
            (None, false, "not_reached"),
            (Some(480), false, "not_reached"),
            (Some(408), false, "not_reached"),
            (Some(404), false, "failed"),
            (Some(503), false, "failed"),
            (None, true, "failed"),
        ] {
            let got = attempt_result(status, failed);
            assert_eq!(got, want, "{status:?} {failed}");
            assert!(RETRIED.contains(&got), "{got} is retried");
        }
    }

    #[test]
    fn the_next_target_is_a_due_call_back_first() {
        let h = Hours::default();
        let now = at("2026-12-01 10:00");
        let fresh = Candidate { state: State::Pending, next_at: None, preferred: None };
        let mine = Candidate { state: State::Pending, next_at: Some(at("2026-12-01 09:30")), preferred: Some(7) };
        let theirs = Candidate { state: State::Pending, next_at: Some(at("2026-12-01 09:30")), preferred: Some(8) };
        let not_yet = Candidate { state: State::Pending, next_at: Some(at("2026-12-01 11:00")), preferred: None };
        let done = Candidate { state: State::Done, next_at: None, preferred: None };
        let list = vec![done.clone(), fresh.clone(), not_yet.clone(), theirs.clone(), mine.clone()];
        assert_eq!(next_target(&list, now, &h, 7), Some(4), "her own call-back");
        assert_eq!(next_target(&list, now, &h, 9), Some(1), "another's call-back waits for them an hour");
        assert_eq!(next_target(&list, at("2026-12-01 10:31"), &h, 9), Some(3), "after the hour, anyone");
        assert_eq!(next_target(&[done, not_yet], now, &h, 7), None, "nothing due");
        assert_eq!(next_target(&[fresh], at("2026-12-05 10:00"), &h, 7), None, "outside the hours: nothing");
    }
}
