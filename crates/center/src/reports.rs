//! Reports (issue "Reports and evaluation"): the store's facts of a period
//! told apart by the company's local day, then the figures of
//! `centrala_desk::report`.

use crate::{Center, CenterResult};
use centrala_desk::intervals::{add_agent, add_queue, AgentSlot, QueueSlot};
use centrala_desk::report::{
    cases as case_rows, day_rows, requests as counted, roll_up, tally, CallFact, CaseRow, Facts, Interval, OfferFact,
    OrderFact, RequestFact, RequestRow, Row,
};
use centrala_domain::{CompanyId, Intent, StaffId};
use centrala_store::intervals::Group;
use centrala_store::Scoped;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// How long after a reactivation call an order still counts.
pub const REACTIVATION_DAYS: i64 = 30;

/// The instants (RFC 3339 UTC) from the start of local day `from` to the
/// start of the day after `to`, and the zone.
async fn span(center: &Center, company: CompanyId, from: NaiveDate, to: NaiveDate) -> (String, String, Tz) {
    let zone = center.zone(company).await;
    let until = to.succ_opt().unwrap_or(to);
    (crate::clock::day_start(from, zone), crate::clock::day_start(until, zone), zone)
}

fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// The requests that came in from `from` to `to` (local days, both
/// included), per `interval` (CC-8): each intent, wrap-up code and request
/// category, most frequent first; only the calls that waited in `queue`
/// when given. Read from the days kept (see [`keep_day`]).
pub async fn requests(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
    queue: Option<&str>,
) -> CenterResult<Vec<RequestRow>> {
    let s = center.company(company);
    let categories: BTreeMap<String, String> =
        s.wrap_up_codes().await?.into_iter().filter(|c| !c.category.is_empty()).map(|c| (c.code, c.category)).collect();
    let facts: Vec<RequestFact> = s
        .request_days(from, to)
        .await?
        .into_iter()
        .filter(|r| queue.is_none_or(|q| r.queue.as_deref() == Some(q)))
        .map(|r| RequestFact { category: r.wrap_up.as_ref().and_then(|w| categories.get(w)).cloned(), ..r })
        .collect();
    Ok(counted(&facts, interval))
}

/// The case statistics (OD-20, CC-15) of the cases raised from `from` to
/// `to` (local days, both included): per period of `interval` (`None`: the
/// whole span as one period, starting `from`) and category, then all
/// together, as they stand now; only `department`'s cases when given.
pub async fn cases(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    interval: Option<Interval>,
    department: Option<i64>,
) -> CenterResult<Vec<CaseRow>> {
    let (start, until, zone) = span(center, company, from, to).await;
    let mut facts = center.company(company).case_facts(&start, &until).await?;
    facts.retain(|f| department.is_none_or(|d| f.department == Some(d)));
    let period_of = |at: DateTime<Utc>| interval.map_or(from, |i| i.start(at.with_timezone(&zone).date_naive()));
    Ok(case_rows(&facts, period_of, Utc::now()))
}

/// The order desk's figures from `from` to `to` (local days, both
/// included), cut by `interval`, per operator (only `staff` when given:
/// one, or a team) and for them together (the company's row, `staff`
/// none): the days kept (see [`keep_day`]) and the dormant clients
/// reactivated, which a later order can still change.
pub async fn order_desk(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
    staff: Option<&[StaffId]>,
) -> CenterResult<Vec<Row>> {
    let (start, until, zone) = span(center, company, from, to).await;
    let s = center.company(company);
    let one = match staff {
        Some([one]) => Some(*one),
        _ => None,
    };
    let mut days = s.desk_days(from, to, one).await?;
    // A dormant client called counts when they ordered within 30 days
    // after the call (any channel, OD-16).
    for (who, client, at) in s.reactivation_calls(&start, &until).await? {
        let Some(at) = instant(&at) else { continue };
        let called = at.with_timezone(&zone).date_naive();
        if s.client_ordered_between(client, called, called + chrono::Duration::days(REACTIVATION_DAYS)).await? {
            days.push(Row { period: called, staff: Some(who.0), reactivated: 1, ..Row::default() });
        }
    }
    if let Some(who) = staff {
        days.retain(|r| r.staff.is_some_and(|s| who.contains(&StaffId(s))));
    }
    Ok(roll_up(&days, interval, None))
}

/// Keeps local day `day` of the order desk and the requests: its facts
/// read, its figures per operator (`day_rows`) and its requests counted
/// (`tally`), written in place of what was kept.
pub async fn keep_day(s: &Scoped<'_>, zone: Tz, day: NaiveDate) -> CenterResult<()> {
    let start = crate::clock::day_start(day, zone);
    let until = crate::clock::day_start(day.succ_opt().unwrap_or(day), zone);
    let on = |t: &DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let raw = s.order_desk_facts(&start, &until).await?;
    let order = Intent::Order.as_str();
    let mut facts = Facts::default();
    for c in raw.calls {
        let Some(answered) = instant(&c.answered_at) else { continue };
        facts.calls.push(CallFact {
            staff: c.staff.0,
            day: on(&answered),
            order_intent: c.intent == order,
            client: c.client.map(|c| c.0),
            answered,
            ended: c.ended_at.as_deref().and_then(instant),
        });
    }
    for o in raw.orders {
        let Some(confirmed) = instant(&o.confirmed_at) else { continue };
        facts.orders.push(OrderFact {
            staff: o.staff.0,
            client: o.client.0,
            confirmed,
            day: on(&confirmed),
            total_cents: o.total_cents,
            lines: o.lines,
            cancelled: o.status == centrala_desk::order::OrderStatus::Cancelled.as_str(),
        });
    }
    for o in raw.offers {
        let Some(at) = instant(&o.at) else { continue };
        facts.offers.push(OfferFact {
            staff: o.staff.0,
            day: on(&at),
            reason: o.reason,
            accepted: o.answer == "accepted",
        });
    }
    if !raw.debt_stops.is_empty() {
        let people = s.staff_list().await?;
        for (actor, at) in raw.debt_stops {
            let (Some(m), Some(at)) = (people.iter().find(|m| m.username == actor), instant(&at)) else { continue };
            facts.debt_stops.push((m.id.0, on(&at)));
        }
    }
    let requests: Vec<RequestFact> = s
        .request_facts(&start, &until)
        .await?
        .into_iter()
        .filter_map(|r| {
            let at = instant(&r.arrived_at)?;
            Some(RequestFact {
                day: on(&at),
                intent: Some(r.intent),
                wrap_up: Some(r.wrap_up),
                category: None,
                client_type: r.client_type,
                queue: r.queue,
                count: 1,
            })
        })
        .collect();
    s.replace_report_day(day, &day_rows(&facts), &tally(requests)).await?;
    Ok(())
}

/// How fine a queue or agent report is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Each 15 minutes.
    Quarter,
    Hour,
    /// Days, weeks (Monday first) or months, in the company's zone.
    Days(Interval),
}

impl Cut {
    /// `15m`, `hour`, `day`, `week`, `month`.
    pub fn parse(s: &str) -> Option<Cut> {
        match s {
            "15m" => Some(Cut::Quarter),
            "hour" => Some(Cut::Hour),
            s => Interval::parse(s).map(Cut::Days),
        }
    }

    /// The longest period this cut may cover, in days.
    pub fn max_days(self) -> i64 {
        match self {
            Cut::Quarter => 7,
            Cut::Hour => 31,
            Cut::Days(_) => centrala_desk::report::MAX_DAYS,
        }
    }

    fn group(self) -> Group {
        match self {
            Cut::Quarter => Group::Slot,
            Cut::Hour => Group::Hour,
            Cut::Days(_) => Group::Day,
        }
    }
}

/// A period of a queue or agent report: where it starts (a local time
/// with its offset for 15 minutes and hours, a local day otherwise).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    /// Sorts the periods in time (UTC for hours, the day otherwise).
    pub sort: String,
    pub label: String,
}

/// A stored group key told as a period of `cut` in `zone`.
fn period_of(key: &str, cut: Cut, zone: Tz) -> Option<Period> {
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    match cut {
        Cut::Quarter => {
            let t = instant(key)?;
            Some(Period { sort: key.to_owned(), label: local(t) })
        }
        Cut::Hour => {
            let t = instant(&format!("{key}:00:00Z"))?;
            Some(Period { sort: key.to_owned(), label: local(t) })
        }
        Cut::Days(i) => {
            let day: NaiveDate = key.parse().ok()?;
            let start = i.start(day).to_string();
            Some(Period { sort: start.clone(), label: start })
        }
    }
}

/// Brings the company's intervals up to date now (what a report read by a
/// person needs first; the figures are otherwise at most 30 s old).
pub async fn fresh(center: &Center, company: CompanyId) -> CenterResult<()> {
    crate::intervals::catch_up(center, company, Utc::now()).await
}

/// The span of local days `from` to `to` as UTC instants, and the zone.
async fn instants(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
) -> CenterResult<(DateTime<Utc>, DateTime<Utc>, Tz)> {
    let (start, until, zone) = span(center, company, from, to).await;
    let (Some(start), Some(until)) = (instant(&start), instant(&until)) else {
        return Err(crate::CenterError::Invalid("the period's days cannot be placed in time".into()));
    };
    Ok((start, until, zone))
}

/// The queues' figures from `from` to `to` (local days, both included),
/// cut by `cut`: per period and queue (only `queue` when given), then
/// every queue together (queue empty) per period; as kept (see [`fresh`]).
pub async fn queues(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    cut: Cut,
    queue: Option<&str>,
) -> CenterResult<Vec<(Period, QueueSlot)>> {
    let (start, until, zone) = instants(center, company, from, to).await?;
    let rows = center.company(company).queue_intervals(start, until, cut.group(), queue).await?;
    let mut out: BTreeMap<(Period, String), QueueSlot> = BTreeMap::new();
    for (key, row) in rows {
        let Some(p) = period_of(&key, cut, zone) else { continue };
        for q in [row.queue.clone(), String::new()] {
            let into =
                out.entry((p.clone(), q.clone())).or_insert_with(|| QueueSlot { queue: q, ..QueueSlot::default() });
            add_queue(into, &row);
        }
    }
    Ok(out.into_iter().map(|((p, _), row)| (p, row)).collect())
}

/// The agents' figures from `from` to `to` (local days, both included),
/// cut by `cut`, per period and agent (only `staff` when given); as kept.
pub async fn agents(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
    cut: Cut,
    staff: Option<StaffId>,
) -> CenterResult<Vec<(Period, AgentSlot)>> {
    let (start, until, zone) = instants(center, company, from, to).await?;
    let rows = center.company(company).agent_intervals(start, until, cut.group(), staff).await?;
    let mut out: BTreeMap<(Period, i64), AgentSlot> = BTreeMap::new();
    for (key, row) in rows {
        let Some(p) = period_of(&key, cut, zone) else { continue };
        let into = out.entry((p, row.staff)).or_insert_with(|| AgentSlot { staff: row.staff, ..AgentSlot::default() });
        add_agent(into, &row);
    }
    Ok(out.into_iter().map(|((p, _), row)| (p, row)).collect())
}

/// Rebuilds the kept statistics of the local days `from` to `to`: the
/// intervals, the order desk's figures and the requests.
pub async fn rebuild(
    center: &Center,
    company: CompanyId,
    from: NaiveDate,
    to: NaiveDate,
) -> CenterResult<crate::intervals::Rebuilt> {
    let (start, until, _) = instants(center, company, from, to).await?;
    crate::intervals::rebuild(center, company, start, until).await
}

/// An operator's figures of a period, to set against the department's
/// targets (OD-26, CC-13).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Standing {
    /// The operators' queue's service level over the period.
    pub service_level: Option<f64>,
    /// Their average handle time (talk and wrap-up), seconds.
    pub aht_seconds: Option<f64>,
    pub conversion: Option<f64>,
    pub attach_rate: Option<f64>,
    /// Their evaluations' average score, per cent.
    pub quality: Option<f64>,
    pub evaluations: usize,
    pub complaints: usize,
    /// Complaints a head found justified.
    pub justified: usize,
}

/// `staff`'s figures from `from` to `to` (local days, both included), as
/// kept.
pub async fn standing(
    center: &Center,
    company: CompanyId,
    staff: StaffId,
    from: NaiveDate,
    to: NaiveDate,
) -> CenterResult<Standing> {
    let month = Cut::Days(Interval::Month);
    let mut queue = QueueSlot::default();
    for (_, q) in queues(center, company, from, to, month, Some(centrala_store::intervals::OPERATORS)).await? {
        if !q.queue.is_empty() {
            add_queue(&mut queue, &q);
        }
    }
    let mut mine = AgentSlot::default();
    for (_, a) in agents(center, company, from, to, month, Some(staff)).await? {
        add_agent(&mut mine, &a);
    }
    let handled = mine.answered + mine.outbound;
    let desk = order_desk(center, company, from, to, Interval::Month, Some(&[staff])).await?;
    let own = desk.iter().filter(|r| r.staff == Some(staff.0));
    let (mut order_calls, mut converted, mut offers, mut accepted) = (0u64, 0u64, 0u64, 0u64);
    for r in own {
        order_calls += r.order_calls;
        converted += r.converted;
        offers += r.offers;
        accepted += r.accepted;
    }
    let (start, until, _) = span(center, company, from, to).await;
    let s = center.company(company);
    let evaluations = s.evaluations(Some(&[staff]), &start, &until, i64::MAX).await?;
    let complaints = s.staff_complaints(Some(&[staff]), &start, &until).await?;
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    Ok(Standing {
        service_level: queue.service_level(),
        aht_seconds: (handled > 0).then(|| (mine.talk_ms + mine.wrap_ms) as f64 / handled as f64 / 1000.0),
        conversion: ratio(converted, order_calls),
        attach_rate: ratio(accepted, offers),
        quality: (!evaluations.is_empty())
            .then(|| evaluations.iter().map(|e| f64::from(e.score)).sum::<f64>() / evaluations.len() as f64 / 10.0),
        evaluations: evaluations.len(),
        justified: complaints.iter().filter(|c| c.justified == Some(true)).count(),
        complaints: complaints.len(),
    })
}
