//! Interval statistics (issue "Reports and evaluation", item 1): per queue
//! and per agent, per 15-minute interval — offered, answered, abandoned
//! and after how long, answered within the queue's service-level
//! threshold, speed of answer, talk, wrap-up and handle time, longest
//! wait, transfers, callbacks, overflow; per agent also the time in each
//! state and the occupancy. Pure: the stored facts come in, the rows to
//! keep come out; the driver persists them and sums them into hours,
//! days, weeks and months.
//!
//! Conventions, as Amazon Connect and Asterisk's queue log count:
//! - a contact counts in the interval it **entered its queue**, even when
//!   it waits across the boundary; its answer, talk and wrap-up count
//!   there too;
//! - answered at exactly the threshold is within it;
//! - service level = answered within ÷ (answered + abandoned after the
//!   threshold); callers who hang up sooner count for neither;
//! - an agent's contacts count in the interval they answered; the time in
//!   each state is split at the intervals' edges to the millisecond.
//!
//! Every offset of a time zone in use is a multiple of 15 minutes, so the
//! company's local 15-minute intervals are the UTC ones; a local day with a
//! daylight-saving change simply has 92 or 100 of them.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// The length of one interval.
pub const SLOT: Duration = Duration::minutes(15);

/// The default service-level threshold of a queue.
pub const DEFAULT_THRESHOLD: Duration = Duration::seconds(20);

/// How far a wrap-up may start from its call's end and still be the
/// call's (the ACD's clock and the store's differ by a few milliseconds).
const WRAP_WINDOW: Duration = Duration::seconds(5);

/// The start of the interval `t` falls in.
pub fn slot_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    let start = secs - secs.rem_euclid(SLOT.num_seconds());
    DateTime::from_timestamp(start, 0).unwrap_or(t)
}

/// One contact, as its story tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The queue it entered first (`operators` when no named one).
    pub queue: String,
    /// A caller (inbound) rather than a call we placed.
    pub inbound: bool,
    /// When it entered the queue.
    pub entered: DateTime<Utc>,
    pub answered: Option<DateTime<Utc>>,
    /// `None` while it goes on.
    pub ended: Option<DateTime<Utc>>,
    pub handler: Option<i64>,
    /// It hung up before anyone answered.
    pub abandoned: bool,
    /// It left its queue after the longest wait.
    pub overflowed: bool,
    pub transfers: u64,
    pub callbacks_requested: u64,
    pub callbacks_made: u64,
    pub callbacks_unreached: u64,
}

/// An agent's state from `at` on (the ACD's words: available, offered,
/// on_contact, wrap_up, not_ready with a reason, offline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub staff: i64,
    pub at: DateTime<Utc>,
    pub state: String,
    pub reason: String,
}

/// A contact offered to an agent (their phone rang), and whether they
/// missed it (rang out or declined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferEvent {
    pub staff: i64,
    pub at: DateTime<Utc>,
    pub missed: bool,
}

/// What happened, as the store read it. `states` holds, per agent, the
/// state they were in at the start of the span (if any), then every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub contacts: Vec<Contact>,
    pub states: Vec<StateChange>,
    pub offers: Vec<OfferEvent>,
    /// Transfers made, by whom and when.
    pub transfers: Vec<(i64, DateTime<Utc>)>,
}

/// One queue's interval. Times are sums in milliseconds, so intervals add
/// up into hours, days and months; averages are taken at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueSlot {
    pub start: DateTime<Utc>,
    pub queue: String,
    pub offered: i64,
    pub answered: i64,
    pub answered_within: i64,
    pub abandoned: i64,
    pub abandoned_after: i64,
    /// How long the abandoned waited, summed.
    pub abandon_wait_ms: i64,
    /// How long the answered waited, summed (ASA's numerator).
    pub wait_ms: i64,
    /// The longest anyone waited (answered or not).
    pub longest_wait_ms: i64,
    pub talk_ms: i64,
    pub wrap_ms: i64,
    pub transfers: i64,
    pub callbacks_requested: i64,
    pub callbacks_made: i64,
    pub callbacks_unreached: i64,
    pub overflowed: i64,
}

/// One agent's interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentSlot {
    pub start: DateTime<Utc>,
    pub staff: i64,
    pub offered: i64,
    pub missed: i64,
    /// Callers answered.
    pub answered: i64,
    /// Calls placed (campaigns, callbacks, click-to-call) that were talked.
    pub outbound: i64,
    pub talk_ms: i64,
    pub wrap_ms: i64,
    pub transfers: i64,
    pub ready_ms: i64,
    pub ringing_ms: i64,
    pub talking_ms: i64,
    pub wrap_up_ms: i64,
    pub not_ready_ms: i64,
    pub offline_ms: i64,
    /// Not ready, by reason.
    pub not_ready: BTreeMap<String, i64>,
}

impl AgentSlot {
    /// Talking and wrapping up of the time logged in and not "not ready"
    /// (handle ÷ (handle + idle)).
    pub fn occupancy(&self) -> Option<f64> {
        let busy = self.talking_ms + self.wrap_up_ms;
        let staffed = busy + self.ready_ms + self.ringing_ms;
        (staffed > 0).then(|| busy as f64 / staffed as f64)
    }

    fn is_empty(&self) -> bool {
        self.offered == 0
            && self.answered == 0
            && self.outbound == 0
            && self.transfers == 0
            && self.ready_ms == 0
            && self.ringing_ms == 0
            && self.talking_ms == 0
            && self.wrap_up_ms == 0
            && self.not_ready_ms == 0
    }
}

fn agent(agents: &mut BTreeMap<(DateTime<Utc>, i64), AgentSlot>, start: DateTime<Utc>, staff: i64) -> &mut AgentSlot {
    agents.entry((start, staff)).or_insert_with(|| AgentSlot { start, staff, ..AgentSlot::default() })
}

fn ms(d: Duration) -> i64 {
    d.num_milliseconds().max(0)
}

/// The wrap-up that followed a call `staff` ended at `ended`: from the
/// states, the wrap-up starting closest to the end, until the next state
/// (or `now`).
fn wrap_after(states: &[StateChange], staff: i64, ended: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let mine: Vec<&StateChange> = states.iter().filter(|s| s.staff == staff).collect();
    let best = mine
        .iter()
        .enumerate()
        .filter(|(_, s)| s.state == "wrap_up" && (s.at - ended).abs() <= WRAP_WINDOW)
        .min_by_key(|(_, s)| (s.at - ended).abs());
    match best {
        Some((i, s)) => {
            let until = mine.get(i + 1).map_or(now, |n| n.at.min(now));
            (until - s.at).max(Duration::zero())
        }
        None => Duration::zero(),
    }
}

/// The rows of every interval from `from` to `until` (slot starts), as of
/// `now` (states still going on count up to it). `threshold` gives a
/// queue's service-level threshold. Queues first, then agents, each by
/// interval, then name or id.
pub fn slots(
    facts: &Facts,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
    threshold: &dyn Fn(&str) -> Duration,
) -> (Vec<QueueSlot>, Vec<AgentSlot>) {
    let inside = |t: DateTime<Utc>| t >= from && t < until;
    let mut states = facts.states.clone();
    states.sort_by_key(|s| (s.staff, s.at));
    let mut queues: BTreeMap<(DateTime<Utc>, String), QueueSlot> = BTreeMap::new();
    let mut agents: BTreeMap<(DateTime<Utc>, i64), AgentSlot> = BTreeMap::new();

    for c in &facts.contacts {
        let wrap = match (c.handler, c.ended, c.answered) {
            (Some(h), Some(e), Some(_)) => wrap_after(&states, h, e, now),
            _ => Duration::zero(),
        };
        let talk = match (c.answered, c.ended) {
            (Some(a), Some(e)) => (e - a).max(Duration::zero()),
            _ => Duration::zero(),
        };
        if c.inbound && inside(c.entered) {
            let start = slot_of(c.entered);
            let q = queues.entry((start, c.queue.clone())).or_insert_with(|| QueueSlot {
                start,
                queue: c.queue.clone(),
                ..QueueSlot::default()
            });
            let limit = threshold(&c.queue);
            q.offered += 1;
            if c.callbacks_requested > 0 {
                // Left the queue to be called back: neither answered nor
                // abandoned; the callback's talk is the agent's call out.
            } else if let Some(a) = c.answered {
                let waited = (a - c.entered).max(Duration::zero());
                q.answered += 1;
                q.answered_within += i64::from(waited <= limit);
                q.wait_ms += ms(waited);
                q.longest_wait_ms = q.longest_wait_ms.max(ms(waited));
                q.talk_ms += ms(talk);
                q.wrap_ms += ms(wrap);
            } else if c.abandoned {
                let waited = c.ended.map_or(Duration::zero(), |e| (e - c.entered).max(Duration::zero()));
                q.abandoned += 1;
                q.abandoned_after += i64::from(waited > limit);
                q.abandon_wait_ms += ms(waited);
                q.longest_wait_ms = q.longest_wait_ms.max(ms(waited));
            } else if let Some(e) = c.ended {
                q.longest_wait_ms = q.longest_wait_ms.max(ms(e - c.entered));
            }
            q.transfers += i64::try_from(c.transfers).unwrap_or(i64::MAX);
            q.callbacks_requested += i64::try_from(c.callbacks_requested).unwrap_or(i64::MAX);
            q.callbacks_made += i64::try_from(c.callbacks_made).unwrap_or(i64::MAX);
            q.callbacks_unreached += i64::try_from(c.callbacks_unreached).unwrap_or(i64::MAX);
            q.overflowed += i64::from(c.overflowed);
        }
        if let (Some(h), Some(a)) = (c.handler, c.answered) {
            if inside(a) {
                let s = agent(&mut agents, slot_of(a), h);
                if c.inbound && c.callbacks_requested == 0 {
                    s.answered += 1;
                } else {
                    s.outbound += 1;
                }
                s.talk_ms += ms(talk);
                s.wrap_ms += ms(wrap);
            }
        }
    }
    for o in facts.offers.iter().filter(|o| inside(o.at)) {
        let s = agent(&mut agents, slot_of(o.at), o.staff);
        if o.missed {
            s.missed += 1;
        } else {
            s.offered += 1;
        }
    }
    for (staff, at) in facts.transfers.iter().filter(|(_, at)| inside(*at)) {
        agent(&mut agents, slot_of(*at), *staff).transfers += 1;
    }
    // The time in each state, split at the intervals' edges.
    let end = until.min(now);
    for (i, s) in states.iter().enumerate() {
        let next = states.get(i + 1).filter(|n| n.staff == s.staff).map_or(end, |n| n.at.min(end));
        let mut t = s.at.max(from);
        while t < next {
            let start = slot_of(t);
            let stop = (start + SLOT).min(next);
            let d = ms(stop - t);
            let a = agent(&mut agents, start, s.staff);
            match s.state.as_str() {
                "available" => a.ready_ms += d,
                "offered" => a.ringing_ms += d,
                "on_contact" => a.talking_ms += d,
                "wrap_up" => a.wrap_up_ms += d,
                "not_ready" => {
                    a.not_ready_ms += d;
                    *a.not_ready.entry(s.reason.clone()).or_default() += d;
                }
                _ => a.offline_ms += d,
            }
            t = stop;
        }
    }
    (queues.into_values().collect(), agents.into_values().filter(|a| !a.is_empty()).collect())
}

/// Queue intervals summed (into an hour, a day, a month …): counts and
/// times add, the longest wait is the longest.
pub fn add_queue(into: &mut QueueSlot, q: &QueueSlot) {
    into.offered += q.offered;
    into.answered += q.answered;
    into.answered_within += q.answered_within;
    into.abandoned += q.abandoned;
    into.abandoned_after += q.abandoned_after;
    into.abandon_wait_ms += q.abandon_wait_ms;
    into.wait_ms += q.wait_ms;
    into.longest_wait_ms = into.longest_wait_ms.max(q.longest_wait_ms);
    into.talk_ms += q.talk_ms;
    into.wrap_ms += q.wrap_ms;
    into.transfers += q.transfers;
    into.callbacks_requested += q.callbacks_requested;
    into.callbacks_made += q.callbacks_made;
    into.callbacks_unreached += q.callbacks_unreached;
    into.overflowed += q.overflowed;
}

/// Agent intervals summed.
pub fn add_agent(into: &mut AgentSlot, a: &AgentSlot) {
    into.offered += a.offered;
    into.missed += a.missed;
    into.answered += a.answered;
    into.outbound += a.outbound;
    into.talk_ms += a.talk_ms;
    into.wrap_ms += a.wrap_ms;
    into.transfers += a.transfers;
    into.ready_ms += a.ready_ms;
    into.ringing_ms += a.ringing_ms;
    into.talking_ms += a.talking_ms;
    into.wrap_up_ms += a.wrap_up_ms;
    into.not_ready_ms += a.not_ready_ms;
    into.offline_ms += a.offline_ms;
    for (r, d) in &a.not_ready {
        *into.not_ready.entry(r.clone()).or_default() += d;
    }
}

impl QueueSlot {
    /// Answered within ÷ (answered + abandoned after the threshold).
    pub fn service_level(&self) -> Option<f64> {
        let d = self.answered + self.abandoned_after;
        (d > 0).then(|| self.answered_within as f64 / d as f64)
    }

    /// Average speed of answer, in milliseconds.
    pub fn asa_ms(&self) -> Option<i64> {
        (self.answered > 0).then(|| self.wait_ms / self.answered)
    }

    /// Average talk, wrap-up and handle time of the answered, in ms.
    pub fn averages_ms(&self) -> Option<(i64, i64, i64)> {
        (self.answered > 0).then(|| {
            let n = self.answered;
            (self.talk_ms / n, self.wrap_ms / n, (self.talk_ms + self.wrap_ms) / n)
        })
    }

    /// Abandoned ÷ (answered + abandoned).
    pub fn abandon_rate(&self) -> Option<f64> {
        let d = self.answered + self.abandoned;
        (d > 0).then(|| self.abandoned as f64 / d as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, s).single().unwrap()
    }

    fn contact(queue: &str, entered: DateTime<Utc>) -> Contact {
        Contact {
            queue: queue.into(),
            inbound: true,
            entered,
            answered: None,
            ended: None,
            handler: None,
            abandoned: false,
            overflowed: false,
            transfers: 0,
            callbacks_requested: 0,
            callbacks_made: 0,
            callbacks_unreached: 0,
        }
    }

    fn state(staff: i64, at: DateTime<Utc>, state: &str, reason: &str) -> StateChange {
        StateChange { staff, at, state: state.into(), reason: reason.into() }
    }

    fn twenty(_: &str) -> Duration {
        DEFAULT_THRESHOLD
    }

    #[test]
    fn intervals_start_on_the_quarter_hour() {
        assert_eq!(slot_of(t(10, 14, 59)), t(10, 0, 0));
        assert_eq!(slot_of(t(10, 15, 0)), t(10, 15, 0));
        assert_eq!(slot_of(t(23, 59, 59)), t(23, 45, 0));
    }

    #[test]
    fn a_call_counts_where_it_entered_and_the_threshold_itself_is_within() {
        // Waits from 10:14:50 to 10:15:10 (20 s, exactly the threshold),
        // talks 100 s, then 30 s of wrap-up.
        let a = Contact {
            answered: Some(t(10, 15, 10)),
            ended: Some(t(10, 16, 50)),
            handler: Some(7),
            transfers: 1,
            ..contact("operators", t(10, 14, 50))
        };
        // Waits 21 s: answered, not within.
        let b = Contact {
            answered: Some(t(10, 5, 21)),
            ended: Some(t(10, 6, 21)),
            handler: Some(8),
            ..contact("operators", t(10, 5, 0))
        };
        // Hangs up after 5 s (counts for neither side of the service
        // level) and after 45 s (counts against it).
        let c = Contact { abandoned: true, ended: Some(t(10, 7, 5)), ..contact("operators", t(10, 7, 0)) };
        let d = Contact { abandoned: true, ended: Some(t(10, 8, 45)), ..contact("operators", t(10, 8, 0)) };
        // Asked to be called back after 60 s; later called back once,
        // not reached once.
        let e = Contact {
            answered: Some(t(10, 30, 0)),
            ended: Some(t(10, 31, 0)),
            handler: Some(9),
            callbacks_requested: 1,
            callbacks_made: 1,
            callbacks_unreached: 1,
            ..contact("operators", t(10, 9, 0))
        };
        // Another queue, overflowed to the message after 120 s.
        let f = Contact { overflowed: true, ended: Some(t(10, 2, 0)), ..contact("sales", t(10, 0, 0)) };
        // Entered the interval after: not in this one.
        let g = Contact { abandoned: true, ended: Some(t(10, 15, 30)), ..contact("operators", t(10, 15, 0)) };
        let facts = Facts {
            contacts: vec![a, b, c, d, e, f, g],
            states: vec![state(7, t(10, 16, 50), "wrap_up", ""), state(7, t(10, 17, 20), "available", "")],
            offers: vec![],
            transfers: vec![],
        };
        let (queues, _) = slots(&facts, t(10, 0, 0), t(10, 15, 0), t(12, 0, 0), &twenty);
        assert_eq!(queues.len(), 2);
        let ops = &queues[0];
        assert_eq!((ops.start, ops.queue.as_str()), (t(10, 0, 0), "operators"));
        assert_eq!(ops.offered, 5);
        assert_eq!((ops.answered, ops.answered_within), (2, 1));
        assert_eq!((ops.abandoned, ops.abandoned_after, ops.abandon_wait_ms), (2, 1, 50_000));
        assert_eq!(ops.wait_ms, 41_000);
        assert_eq!(ops.asa_ms(), Some(20_500));
        assert_eq!(
            ops.longest_wait_ms, 45_000,
            "the abandoned waited longest (the callback's wait is not the queue's)"
        );
        assert_eq!((ops.talk_ms, ops.wrap_ms), (160_000, 30_000));
        assert_eq!(ops.averages_ms(), Some((80_000, 15_000, 95_000)));
        assert_eq!(ops.service_level(), Some(1.0 / 3.0));
        assert_eq!(ops.abandon_rate(), Some(0.5));
        assert_eq!((ops.transfers, ops.callbacks_requested, ops.callbacks_made, ops.callbacks_unreached), (1, 1, 1, 1));
        let sales = &queues[1];
        assert_eq!((sales.queue.as_str(), sales.offered, sales.overflowed), ("sales", 1, 1));
        assert_eq!(sales.service_level(), None);
        assert_eq!(sales.longest_wait_ms, 120_000);

        // The next interval has only the call that entered in it.
        let (next, _) = slots(&facts, t(10, 15, 0), t(10, 30, 0), t(12, 0, 0), &twenty);
        assert_eq!(next.len(), 1);
        assert_eq!((next[0].offered, next[0].abandoned, next[0].abandoned_after), (1, 1, 1));
        // The callback, talked at 10:30, is the agent's call out.
        let (_, agents) = slots(&facts, t(10, 30, 0), t(10, 45, 0), t(12, 0, 0), &twenty);
        let nine = agents.iter().find(|a| a.staff == 9).unwrap();
        assert_eq!((nine.answered, nine.outbound, nine.talk_ms), (0, 1, 60_000));
        assert_eq!(agents.iter().find(|a| a.staff == 7).unwrap().ready_ms, 900_000);
    }

    #[test]
    fn the_queues_own_threshold_applies() {
        let c = Contact {
            answered: Some(t(10, 0, 30)),
            ended: Some(t(10, 1, 0)),
            handler: Some(1),
            ..contact("vip", t(10, 0, 0))
        };
        let facts = Facts { contacts: vec![c], ..Facts::default() };
        let thirty = |q: &str| if q == "vip" { Duration::seconds(30) } else { DEFAULT_THRESHOLD };
        let (q, _) = slots(&facts, t(10, 0, 0), t(10, 15, 0), t(11, 0, 0), &thirty);
        assert_eq!(q[0].answered_within, 1);
        let (q, _) = slots(&facts, t(10, 0, 0), t(10, 15, 0), t(11, 0, 0), &twenty);
        assert_eq!(q[0].answered_within, 0);
    }

    #[test]
    fn an_agents_time_in_each_state_is_split_at_the_edges() {
        let facts = Facts {
            contacts: vec![
                Contact {
                    answered: Some(t(9, 14, 0)),
                    ended: Some(t(9, 16, 0)),
                    handler: Some(3),
                    ..contact("operators", t(9, 13, 50))
                },
                // A call we placed, talked in the next interval.
                Contact {
                    inbound: false,
                    answered: Some(t(9, 20, 0)),
                    ended: Some(t(9, 21, 0)),
                    handler: Some(3),
                    ..contact("campaign:1", t(9, 19, 50))
                },
            ],
            states: vec![
                state(3, t(8, 50, 0), "available", ""),
                state(3, t(9, 13, 50), "offered", ""),
                state(3, t(9, 14, 0), "on_contact", ""),
                state(3, t(9, 16, 0), "wrap_up", ""),
                state(3, t(9, 16, 30), "not_ready", "lunch"),
                state(3, t(9, 46, 30), "offline", ""),
            ],
            offers: vec![
                OfferEvent { staff: 3, at: t(9, 13, 40), missed: true },
                OfferEvent { staff: 3, at: t(9, 13, 50), missed: false },
            ],
            transfers: vec![(3, t(9, 15, 0))],
        };
        let (_, agents) = slots(&facts, t(9, 0, 0), t(10, 0, 0), t(12, 0, 0), &twenty);
        assert_eq!(
            agents.iter().map(|a| a.start).collect::<Vec<_>>(),
            [t(9, 0, 0), t(9, 15, 0), t(9, 30, 0), t(9, 45, 0)]
        );
        let first = &agents[0];
        // 09:00–09:13:50 ready (from before the span), 10 s ringing, then
        // talking to 09:15.
        assert_eq!((first.ready_ms, first.ringing_ms, first.talking_ms), (830_000, 10_000, 60_000));
        assert_eq!((first.offered, first.missed, first.answered), (1, 1, 1));
        assert_eq!((first.talk_ms, first.wrap_ms), (120_000, 30_000), "the call's talk and wrap count where answered");
        assert_eq!(first.occupancy(), Some(60.0 / 900.0));
        let second = &agents[1];
        assert_eq!((second.talking_ms, second.wrap_up_ms, second.not_ready_ms), (60_000, 30_000, 810_000));
        assert_eq!((second.outbound, second.transfers), (1, 1));
        assert_eq!(second.not_ready.get("lunch"), Some(&810_000));
        assert_eq!(agents[2].not_ready_ms, 900_000);
        assert_eq!(agents[2].occupancy(), None);
        let last = &agents[3];
        assert_eq!((last.not_ready_ms, last.offline_ms), (90_000, 810_000));
    }

    #[test]
    fn a_state_going_on_counts_up_to_now_and_offline_alone_makes_no_row() {
        let facts = Facts {
            states: vec![state(1, t(10, 0, 0), "available", ""), state(2, t(9, 0, 0), "offline", "")],
            ..Facts::default()
        };
        let (_, agents) = slots(&facts, t(10, 0, 0), t(10, 30, 0), t(10, 20, 0), &twenty);
        assert_eq!(agents.len(), 2, "agent 2 was offline throughout");
        assert_eq!((agents[0].staff, agents[0].ready_ms), (1, 900_000));
        assert_eq!(agents[1].ready_ms, 300_000);
    }

    #[test]
    fn intervals_add_up() {
        let mut sum = QueueSlot::default();
        let a = QueueSlot {
            offered: 2,
            answered: 1,
            answered_within: 1,
            wait_ms: 5,
            longest_wait_ms: 9,
            ..QueueSlot::default()
        };
        let b = QueueSlot {
            offered: 3,
            answered: 2,
            abandoned_after: 1,
            wait_ms: 7,
            longest_wait_ms: 4,
            ..QueueSlot::default()
        };
        add_queue(&mut sum, &a);
        add_queue(&mut sum, &b);
        assert_eq!((sum.offered, sum.answered, sum.wait_ms, sum.longest_wait_ms), (5, 3, 12, 9));
        assert_eq!(sum.service_level(), Some(0.25));
        let mut agents = AgentSlot::default();
        let x = AgentSlot { ready_ms: 10, not_ready: [("lunch".to_owned(), 5)].into(), ..AgentSlot::default() };
        add_agent(&mut agents, &x);
        add_agent(&mut agents, &x);
        assert_eq!((agents.ready_ms, agents.not_ready["lunch"]), (20, 10));
    }
}
