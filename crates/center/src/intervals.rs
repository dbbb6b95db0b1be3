//! Interval statistics kept up to date (issue "Reports and evaluation",
//! item 1): the agents' state changes written as the ACD makes them, and
//! the 15-minute rows (`centrala_desk::intervals`) rebuilt from the stored
//! facts — every 30 seconds for the intervals that changed, on demand for
//! a span (`centrala reports rebuild`). Rows are derived, never the only
//! record: a rebuild of any span gives the same figures from the calls'
//! stories and the state changes.

use crate::{settings, Center, CenterResult};
use centrala_desk::intervals::{slot_of, slots, AgentSlot, QueueSlot, DEFAULT_THRESHOLD, SLOT};
use centrala_domain::{CompanyId, StaffId};
use centrala_store::{Scoped, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};
use tokio::sync::mpsc;
use tracing::warn;

/// How often the changed intervals are brought up to date.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// One rebuild at a time: two writing the same intervals at once would
/// collide on their keys.
static WRITING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How far back the first run reaches when a company has no mark yet.
const FIRST_RUN: Duration = Duration::days(35);

/// One change of an agent's state, as the ACD made it.
#[derive(Debug, Clone)]
pub struct StateRecord {
    pub company: CompanyId,
    pub staff: StaffId,
    pub at: DateTime<Utc>,
    pub state: String,
    pub reason: String,
}

/// Starts the task that writes agents' state changes, in batches of what
/// has arrived, one transaction per company; it ends with the last sender.
pub fn recorder(store: Store) -> mpsc::UnboundedSender<StateRecord> {
    let (tx, mut rx) = mpsc::unbounded_channel::<StateRecord>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = rx.try_recv() {
                batch.push(more);
            }
            let mut by: BTreeMap<CompanyId, Vec<(StaffId, String, String, String)>> = BTreeMap::new();
            for r in batch {
                let at = centrala_store::intervals::stamp(r.at);
                by.entry(r.company).or_default().push((r.staff, at, r.state, r.reason));
            }
            for (company, rows) in by {
                if let Err(e) = store.company(company).record_agent_states(&rows).await {
                    warn!(error = %e, company = company.0, "agents' state changes not kept");
                }
            }
        }
    });
    tx
}

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub queue_rows: usize,
    pub agent_rows: usize,
    /// Local days of the order desk's figures and requests kept.
    pub days: usize,
}

/// Rebuilds the stored intervals from `from` to `until` (both taken to
/// their interval's start) from the facts, a day at a time, and the
/// order desk's and requests' local days they touch.
pub async fn rebuild(
    center: &Center,
    company: CompanyId,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CenterResult<Rebuilt> {
    let zone = center.zone(company).await;
    rebuild_in(&center.company(company), &center.problems, zone, from, until).await
}

/// Each of the company's queues' service-level threshold.
async fn thresholds(s: &Scoped<'_>, problems: &settings::Problems) -> CenterResult<BTreeMap<String, Duration>> {
    let queues = settings::company_queues(s, problems).await?;
    Ok(queues.iter().map(|(name, q)| (name.clone(), Duration::seconds(i64::from(q.service_level_seconds)))).collect())
}

/// [`rebuild`] without a running center (the command line's `reports
/// rebuild`): the company's zone given, its queues' thresholds read here.
pub async fn rebuild_in(
    s: &Scoped<'_>,
    problems: &settings::Problems,
    zone: Tz,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CenterResult<Rebuilt> {
    let (queue_rows, agent_rows) = rebuild_intervals(s, problems, zone, from, until).await?;
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let days: BTreeSet<NaiveDate> =
        local(from).iter_days().take_while(|d| *d <= local(until - Duration::milliseconds(1))).collect();
    keep_days(s, zone, &days).await?;
    Ok(Rebuilt { queue_rows, agent_rows, days: days.len() })
}

/// Keeps the order desk's figures and requests of these local days
/// (`reports::keep_day`), one at a time.
async fn keep_days(s: &Scoped<'_>, zone: Tz, days: &BTreeSet<NaiveDate>) -> CenterResult<()> {
    let _one = WRITING.lock().await;
    for day in days {
        crate::reports::keep_day(s, zone, *day).await?;
    }
    Ok(())
}

async fn rebuild_intervals(
    s: &Scoped<'_>,
    problems: &settings::Problems,
    zone: Tz,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CenterResult<(usize, usize)> {
    let _one = WRITING.lock().await;
    let limits = thresholds(s, problems).await?;
    let threshold = |q: &str| limits.get(q).copied().unwrap_or(DEFAULT_THRESHOLD);
    let (mut written_q, mut written_a) = (0, 0);
    let mut at = slot_of(from);
    let end = slot_of(until - Duration::milliseconds(1)) + SLOT;
    while at < end {
        let next = (at + Duration::days(1)).min(end);
        let facts = s.interval_facts(at, next).await?;
        let (q, a) = slots(&facts, at, next, Utc::now(), &threshold);
        let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive().to_string();
        let q: Vec<(String, QueueSlot)> = q.into_iter().map(|r| (day(r.start), r)).collect();
        let a: Vec<(String, AgentSlot)> = a.into_iter().map(|r| (day(r.start), r)).collect();
        s.replace_intervals(at, next, &q, &a).await?;
        written_q += q.len();
        written_a += a.len();
        at = next;
    }
    Ok((written_q, written_a))
}

/// What each of the company's queues counted today (its local day) before
/// `until`, computed from the stored calls and not written: the "today"
/// the ACD adds back after a restart, so the wallboard's figures are the
/// day's, as the reports' are.
pub async fn day_so_far(
    center: &Center,
    company: CompanyId,
    until: DateTime<Utc>,
) -> CenterResult<Vec<(String, centrala_acd::DayCounts)>> {
    let zone = center.zone(company).await;
    let today = until.with_timezone(&zone).date_naive();
    let Some(from) = DateTime::parse_from_rfc3339(&crate::clock::day_start(today, zone)).ok().map(|t| t.to_utc())
    else {
        return Ok(Vec::new());
    };
    if from >= until {
        return Ok(Vec::new());
    }
    let s = center.company(company);
    let limits = thresholds(&s, &center.problems).await?;
    let threshold = |q: &str| limits.get(q).copied().unwrap_or(DEFAULT_THRESHOLD);
    let facts = s.interval_facts(from, until).await?;
    let (rows, _) = slots(&facts, from, until, until, &threshold);
    let mut day: BTreeMap<String, centrala_acd::DayCounts> = BTreeMap::new();
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    for r in rows {
        let d = day.entry(r.queue.clone()).or_default();
        d.arrived += n(r.offered);
        d.answered += n(r.answered);
        d.answered_within += n(r.answered_within);
        d.abandoned += n(r.abandoned);
        d.abandoned_after += n(r.abandoned_after);
        d.overflowed += n(r.overflowed);
        d.answer_wait_ms += n(r.wait_ms);
    }
    Ok(day.into_iter().filter(|(_, d)| *d != centrala_acd::DayCounts::default()).collect())
}

/// Brings one company's kept statistics up to date as of `now`: the
/// intervals and the order desk's and requests' local days of what
/// changed since their marks (a company without one: in the last 35 days;
/// older history is `centrala reports rebuild`'s).
pub async fn catch_up(center: &Center, company: CompanyId, now: DateTime<Utc>) -> CenterResult<()> {
    catch_up_intervals(center, company, now).await?;
    let s = center.company(company);
    let since = s.desk_mark().await?.unwrap_or(now - FIRST_RUN);
    let changed = s.desk_changes(since, now).await?;
    if changed.is_empty() {
        // Nothing written: an idle company costs reads only.
        return Ok(());
    }
    let zone = center.zone(company).await;
    let days: BTreeSet<NaiveDate> = changed.iter().map(|t| t.with_timezone(&zone).date_naive()).collect();
    keep_days(&s, zone, &days).await?;
    s.set_desk_mark(now).await?;
    Ok(())
}

/// The intervals of what changed since the last mark, and while anyone is
/// logged in the current one and the one the mark was in (states going on
/// grow with time). Nothing changed and nobody logged in: nothing is
/// written.
async fn catch_up_intervals(center: &Center, company: CompanyId, now: DateTime<Utc>) -> CenterResult<()> {
    let s = center.company(company);
    let mark = s.report_mark().await?;
    let since = mark.unwrap_or(now - FIRST_RUN);
    let mut dirty: BTreeSet<DateTime<Utc>> = s.changed_between(since, now).await?.into_iter().map(slot_of).collect();
    if !s.agents_left_logged_in().await?.is_empty() {
        dirty.insert(slot_of(since));
        dirty.insert(slot_of(now));
    }
    if dirty.is_empty() {
        return Ok(());
    }
    // Neighbours rebuild together.
    let mut runs: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for d in dirty {
        match runs.last_mut() {
            Some((_, end)) if *end == d => *end = d + SLOT,
            _ => runs.push((d, d + SLOT)),
        }
    }
    let zone = center.zone(company).await;
    for (from, until) in runs {
        rebuild_intervals(&s, &center.problems, zone, from, until).await?;
    }
    s.set_report_mark(now).await?;
    Ok(())
}

/// The staff the server left logged in when it stopped are offline from
/// the last moment it was known to run (the company's mark), so their
/// state does not run on through the time it was down.
async fn close_left_states(center: &Center, company: CompanyId, now: DateTime<Utc>) -> CenterResult<()> {
    let s = center.company(company);
    let left = s.agents_left_logged_in().await?;
    if left.is_empty() {
        return Ok(());
    }
    let at = s.report_mark().await?.map_or(now, |m| m.min(now));
    let at = centrala_store::intervals::stamp(at);
    let rows: Vec<_> = left.into_iter().map(|staff| (staff, at.clone(), "offline".to_owned(), String::new())).collect();
    s.record_agent_states(&rows).await?;
    Ok(())
}

/// Microseconds the rounds of [`keep`] took so far (the
/// `centrala_statistics_keeping_seconds_total` metric): what keeping the
/// statistics costs while calls go on.
static KEEPING_MICROS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Seconds the rounds that keep the statistics up to date took so far.
pub fn keeping_seconds() -> f64 {
    KEEPING_MICROS.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6
}

/// Keeps every company's intervals up to date, every 30 seconds.
pub async fn keep(center: Center) {
    let mut first = true;
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let companies = match center.store.companies().await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "interval statistics: cannot list companies");
                continue;
            }
        };
        let round = std::time::Instant::now();
        for c in companies {
            let now = Utc::now();
            if first {
                if let Err(e) = close_left_states(&center, c.id, now).await {
                    warn!(error = %e, company = c.id.0, "agents left logged in not closed");
                }
            }
            if let Err(e) = catch_up(&center, c.id, now).await {
                warn!(error = %e, company = c.id.0, "interval statistics not brought up to date");
            }
        }
        first = false;
        let spent = u64::try_from(round.elapsed().as_micros()).unwrap_or(u64::MAX);
        KEEPING_MICROS.fetch_add(spent, std::sync::atomic::Ordering::Relaxed);
    }
}
