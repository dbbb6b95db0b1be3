//! The order desk's figures (OD-26, issue "Reports and evaluation", item
//! 2): per operator and for the company, per day, week or month — calls
//! handled, orders taken with their value and lines, conversion (order
//! calls that ended in an order), attach rate (recommended items accepted
//! of those offered) and offers per order by reason, orders stopped by
//! the debt gate, orders cancelled after confirmation. Pure: the facts come
//! in with their instants and their local day already told apart.

use crate::cases::{Category, Status};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// How long after a call an order still counts as the call's (the
/// wrap-up: the order is confirmed after the caller hung up).
pub const ORDER_AFTER_CALL: Duration = Duration::minutes(30);

/// The longest period one report covers, in days.
pub const MAX_DAYS: i64 = 366;

/// The periods a report is cut into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
}

impl Interval {
    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    /// The first day of the period `day` falls in.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Interval::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

/// A call an operator answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    pub staff: i64,
    /// The local day it was answered.
    pub day: NaiveDate,
    /// The caller wanted to order.
    pub order_intent: bool,
    pub client: Option<i64>,
    pub answered: DateTime<Utc>,
    /// `None` while it goes on.
    pub ended: Option<DateTime<Utc>>,
}

/// An order an operator took (confirmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact {
    pub staff: i64,
    pub client: i64,
    pub confirmed: DateTime<Utc>,
    pub day: NaiveDate,
    pub total_cents: i64,
    pub lines: i64,
    /// Cancelled after it was confirmed (an error, OD-26).
    pub cancelled: bool,
}

/// A recommended item offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferFact {
    pub staff: i64,
    pub day: NaiveDate,
    pub reason: String,
    pub accepted: bool,
}

/// What happened in the period, as the store read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub calls: Vec<CallFact>,
    pub orders: Vec<OrderFact>,
    pub offers: Vec<OfferFact>,
    /// An operator refused an order by the debt gate: who, which day.
    pub debt_stops: Vec<(i64, NaiveDate)>,
    /// A dormant client an operator called in a reactivation campaign who
    /// ordered within 30 days after (any channel): who called, which day.
    pub reactivated: Vec<(i64, NaiveDate)>,
}

/// One period's figures of one operator, or of the company (`staff` none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub period: NaiveDate,
    pub staff: Option<i64>,
    pub calls: u64,
    pub order_calls: u64,
    /// Order calls that ended in an order (by the same operator, for the
    /// same client, confirmed from the answer to half an hour after the end).
    pub converted: u64,
    pub orders: u64,
    pub value_cents: i64,
    pub lines: i64,
    pub offers: u64,
    pub accepted: u64,
    pub offers_by_reason: BTreeMap<String, u64>,
    pub debt_stops: u64,
    pub cancelled: u64,
    /// Dormant clients called who ordered within 30 days after.
    pub reactivated: u64,
}

impl Row {
    /// Adds `other`'s counts to this row's.
    pub fn add(&mut self, other: &Row) {
        self.calls += other.calls;
        self.order_calls += other.order_calls;
        self.converted += other.converted;
        self.orders += other.orders;
        self.value_cents += other.value_cents;
        self.lines += other.lines;
        self.offers += other.offers;
        self.accepted += other.accepted;
        for (reason, n) in &other.offers_by_reason {
            *self.offers_by_reason.entry(reason.clone()).or_default() += n;
        }
        self.debt_stops += other.debt_stops;
        self.cancelled += other.cancelled;
        self.reactivated += other.reactivated;
    }

    /// Converted of the order calls, when there were any.
    pub fn conversion(&self) -> Option<f64> {
        (self.order_calls > 0).then(|| self.converted as f64 / self.order_calls as f64)
    }

    /// Accepted of the offers, when there were any.
    pub fn attach_rate(&self) -> Option<f64> {
        (self.offers > 0).then(|| self.accepted as f64 / self.offers as f64)
    }

    /// Offers per order taken, when one was.
    pub fn offers_per_order(&self) -> Option<f64> {
        (self.orders > 0).then(|| self.offers as f64 / self.orders as f64)
    }
}

/// The figures per period and operator (only `staff` when given), then per
/// period for the company; periods in order, operators by id, the
/// company's row after its operators'.
pub fn order_desk(f: &Facts, interval: Interval, staff: Option<i64>) -> Vec<Row> {
    roll_up(&day_rows(f), interval, staff)
}

/// The figures per local day and operator (`period` the day, `staff`
/// set), in order: what is kept per day, so that a month's report sums
/// rows instead of reading every call.
pub fn day_rows(f: &Facts) -> Vec<Row> {
    let mut rows: BTreeMap<(NaiveDate, i64), Row> = BTreeMap::new();
    let mut add = |day: NaiveDate, s: i64, apply: &dyn Fn(&mut Row)| {
        apply(rows.entry((day, s)).or_insert_with(|| Row { period: day, staff: Some(s), ..Row::default() }));
    };
    // The orders' confirmations per operator and client, in time, so each
    // call finds its order by a search instead of a scan of every order.
    let mut confirmed: BTreeMap<(i64, i64), Vec<DateTime<Utc>>> = BTreeMap::new();
    for o in &f.orders {
        confirmed.entry((o.staff, o.client)).or_default().push(o.confirmed);
    }
    for times in confirmed.values_mut() {
        times.sort_unstable();
    }
    for c in &f.calls {
        let converted = c.order_intent
            && c.client.and_then(|client| confirmed.get(&(c.staff, client))).is_some_and(|times| {
                let first = times.partition_point(|t| *t < c.answered);
                times.get(first).is_some_and(|t| c.ended.is_none_or(|e| *t <= e + ORDER_AFTER_CALL))
            });
        add(c.day, c.staff, &|r| {
            r.calls += 1;
            r.order_calls += u64::from(c.order_intent);
            r.converted += u64::from(converted);
        });
    }
    for o in &f.orders {
        add(o.day, o.staff, &|r| {
            r.orders += 1;
            r.value_cents += o.total_cents;
            r.lines += o.lines;
            r.cancelled += u64::from(o.cancelled);
        });
    }
    for o in &f.offers {
        add(o.day, o.staff, &|r| {
            r.offers += 1;
            r.accepted += u64::from(o.accepted);
            *r.offers_by_reason.entry(o.reason.clone()).or_default() += 1;
        });
    }
    for (s, day) in &f.debt_stops {
        add(*day, *s, &|r| r.debt_stops += 1);
    }
    for (s, day) in &f.reactivated {
        add(*day, *s, &|r| r.reactivated += 1);
    }
    rows.into_values().collect()
}

/// Rows of one operator's day (as [`day_rows`] makes them) summed per
/// period of `interval`, per operator (only `staff` when given) and for
/// the company, ordered as [`order_desk`]'s.
pub fn roll_up(days: &[Row], interval: Interval, staff: Option<i64>) -> Vec<Row> {
    let mut rows: BTreeMap<(NaiveDate, Option<i64>), Row> = BTreeMap::new();
    for d in days {
        let Some(s) = d.staff.filter(|s| staff.is_none_or(|w| w == *s)) else { continue };
        let period = interval.start(d.period);
        for who in [Some(s), None] {
            rows.entry((period, who)).or_insert_with(|| Row { period, staff: who, ..Row::default() }).add(d);
        }
    }
    // Company rows after the operators' of the same period.
    let mut out: Vec<Row> = rows.into_values().collect();
    out.sort_by_key(|r| (r.period, r.staff.is_none(), r.staff));
    out
}

/// A contact that came in (CC-8): why the caller called (the menu's
/// intent), the operator's wrap-up code and its request category, the
/// client's type, the queue it waited in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct RequestFact {
    pub day: NaiveDate,
    pub intent: Option<String>,
    pub wrap_up: Option<String>,
    /// The wrap-up code's category (`None`: the code has none).
    pub category: Option<String>,
    /// `None`: a caller who is no client.
    pub client_type: Option<String>,
    /// `None`: the caller left in the menu.
    pub queue: Option<String>,
    /// How many contacts these are (the same in every other field).
    pub count: u64,
}

/// How often one request came in, in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub period: NaiveDate,
    /// `intent` (what the caller chose in the menu), `wrap_up` (what the
    /// operator wrote it was) or `category` (the wrap-up code's group).
    pub kind: &'static str,
    pub code: String,
    pub count: u64,
    /// The same, per client type (`None`: not a client).
    pub by_client_type: BTreeMap<Option<String>, u64>,
    /// The same, per queue (`None`: left in the menu).
    pub by_queue: BTreeMap<Option<String>, u64>,
}

/// The same facts with the identical ones counted once, with their number
/// (what is kept per day).
pub fn tally(facts: Vec<RequestFact>) -> Vec<RequestFact> {
    let mut by: BTreeMap<RequestFact, u64> = BTreeMap::new();
    for f in facts {
        let n = f.count;
        *by.entry(RequestFact { count: 0, ..f }).or_default() += n;
    }
    by.into_iter().map(|(f, count)| RequestFact { count, ..f }).collect()
}

/// The requests per period: each intent, wrap-up code and category with
/// its count, the most frequent first within a period (then by kind and
/// code).
pub fn requests(facts: &[RequestFact], interval: Interval) -> Vec<RequestRow> {
    let mut rows: BTreeMap<(NaiveDate, &'static str, String), RequestRow> = BTreeMap::new();
    for f in facts {
        let period = interval.start(f.day);
        for (kind, code) in [("intent", &f.intent), ("wrap_up", &f.wrap_up), ("category", &f.category)] {
            let Some(code) = code.as_ref().filter(|c| !c.is_empty()) else { continue };
            let row = rows.entry((period, kind, code.clone())).or_insert_with(|| RequestRow {
                period,
                kind,
                code: code.clone(),
                count: 0,
                by_client_type: BTreeMap::new(),
                by_queue: BTreeMap::new(),
            });
            row.count += f.count;
            *row.by_client_type.entry(f.client_type.clone()).or_default() += f.count;
            *row.by_queue.entry(f.queue.clone()).or_default() += f.count;
        }
    }
    let mut out: Vec<RequestRow> = rows.into_values().collect();
    out.sort_by(|a, b| {
        (a.period, std::cmp::Reverse(a.count), a.kind, &a.code).cmp(&(
            b.period,
            std::cmp::Reverse(b.count),
            b.kind,
            &b.code,
        ))
    });
    out
}

/// A client's case as the case statistics count it (OD-20, CC-15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFact {
    pub category: Category,
    pub status: Status,
    /// The department it went to (`None`: none yet).
    pub department: Option<i64>,
    /// `None`: raised for no client (a form from a stranger).
    pub client_type: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// When it was resolved (or closed) the last time; `None` while open,
    /// or when the history does not tell.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The cases raised in one period, of one category (`None`: all together),
/// and how they stand now.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseRow {
    pub period: NaiveDate,
    pub category: Option<Category>,
    pub raised: u64,
    /// Resolved or closed by now.
    pub resolved: u64,
    /// Of those, resolved by their due time.
    pub resolved_in_time: u64,
    /// Still open (open or in progress).
    pub open: u64,
    /// Of those, past their due time now.
    pub overdue: u64,
    /// Hours from raised to resolved, over the resolved with a known time.
    pub mean_hours: Option<f64>,
    pub median_hours: Option<f64>,
    /// Raised per department (`None`: none yet).
    pub by_department: BTreeMap<Option<i64>, u64>,
    /// Raised per client type (`None`: no client).
    pub by_client_type: BTreeMap<Option<String>, u64>,
}

impl CaseRow {
    /// The share of the resolved that were resolved in time.
    pub fn in_time(&self) -> Option<f64> {
        (self.resolved > 0).then(|| self.resolved_in_time as f64 / self.resolved as f64)
    }
}

/// The case statistics: per period (`period_of` the instant a case was
/// raised: the first day of its local day's interval, or one day for a
/// whole span) and category, then all categories together, as the cases
/// stand at `now`. Periods in order, within one the categories in their
/// order, the total last.
pub fn cases(facts: &[CaseFact], period_of: impl Fn(DateTime<Utc>) -> NaiveDate, now: DateTime<Utc>) -> Vec<CaseRow> {
    // Category order with "all" (None) last.
    let key = |c: Option<Category>| {
        c.map_or(Category::ALL.len(), |c| Category::ALL.iter().position(|x| *x == c).unwrap_or(0))
    };
    let mut rows: BTreeMap<(NaiveDate, usize), (CaseRow, Vec<i64>)> = BTreeMap::new();
    for f in facts {
        let period = period_of(f.created_at);
        for category in [Some(f.category), None] {
            let (row, minutes) = rows.entry((period, key(category))).or_insert_with(|| {
                let row = CaseRow {
                    period,
                    category,
                    raised: 0,
                    resolved: 0,
                    resolved_in_time: 0,
                    open: 0,
                    overdue: 0,
                    mean_hours: None,
                    median_hours: None,
                    by_department: BTreeMap::new(),
                    by_client_type: BTreeMap::new(),
                };
                (row, Vec::new())
            });
            row.raised += 1;
            *row.by_department.entry(f.department).or_default() += 1;
            *row.by_client_type.entry(f.client_type.clone()).or_default() += 1;
            if f.status.is_open() {
                row.open += 1;
                row.overdue += u64::from(now > f.due_at);
            } else {
                row.resolved += 1;
                if let Some(at) = f.resolved_at {
                    row.resolved_in_time += u64::from(at <= f.due_at);
                    minutes.push((at - f.created_at).num_minutes().max(0));
                }
            }
        }
    }
    rows.into_values()
        .map(|(mut row, mut minutes)| {
            minutes.sort_unstable();
            let hours = |m: f64| (m / 6.0).round() / 10.0;
            if !minutes.is_empty() {
                let n = minutes.len();
                row.mean_hours = Some(hours(minutes.iter().sum::<i64>() as f64 / n as f64));
                let mid =
                    if n % 2 == 1 { minutes[n / 2] as f64 } else { (minutes[n / 2 - 1] + minutes[n / 2]) as f64 / 2.0 };
                row.median_hours = Some(hours(mid));
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn periods_start_on_their_first_day() {
        assert_eq!(Interval::Week.start(d("2026-12-06")), d("2026-11-30"), "Sunday belongs to Monday's week");
        assert_eq!(Interval::Week.start(d("2026-11-30")), d("2026-11-30"));
        assert_eq!(Interval::Month.start(d("2026-12-31")), d("2026-12-01"));
        assert_eq!(Interval::Day.start(d("2026-12-31")), d("2026-12-31"));
        assert_eq!((Interval::parse("week"), Interval::parse("hour")), (Some(Interval::Week), None));
    }

    fn call(staff: i64, day: &str, order: bool, client: i64, answered: &str, ended: &str) -> CallFact {
        CallFact {
            staff,
            day: d(day),
            order_intent: order,
            client: Some(client),
            answered: t(answered),
            ended: Some(t(ended)),
        }
    }

    fn order(
        staff: i64,
        client: i64,
        confirmed: &str,
        day: &str,
        total: i64,
        lines: i64,
        cancelled: bool,
    ) -> OrderFact {
        OrderFact { staff, client, confirmed: t(confirmed), day: d(day), total_cents: total, lines, cancelled }
    }

    #[test]
    fn a_known_day_gives_exact_figures() {
        let offer =
            |staff, reason: &str, accepted| OfferFact { staff, day: d("2026-12-01"), reason: reason.into(), accepted };
        let f = Facts {
            calls: vec![
                // Ana: an order call that ended in an order 20 minutes after
                // it ended (counted); one whose order came 31 minutes after
                // (not); a question (not an order call).
                call(1, "2026-12-01", true, 10, "2026-12-01T08:00:00Z", "2026-12-01T08:05:00Z"),
                call(1, "2026-12-01", true, 11, "2026-12-01T09:00:00Z", "2026-12-01T09:05:00Z"),
                call(1, "2026-12-01", false, 12, "2026-12-01T10:00:00Z", "2026-12-01T10:02:00Z"),
                // Haris: an order call whose client Ana's order was for (not his).
                call(2, "2026-12-01", true, 10, "2026-12-01T08:01:00Z", "2026-12-01T08:04:00Z"),
            ],
            orders: vec![
                order(1, 10, "2026-12-01T08:25:00Z", "2026-12-01", 12_000, 3, false),
                order(1, 11, "2026-12-01T09:36:00Z", "2026-12-01", 5_050, 1, true),
            ],
            offers: vec![
                offer(1, "new", true),
                offer(1, "new", false),
                offer(1, "special", false),
                offer(1, "complementary", true),
                offer(2, "usual", false),
            ],
            debt_stops: vec![(2, d("2026-12-01")), (2, d("2026-12-01"))],
            reactivated: vec![(1, d("2026-12-01"))],
        };
        let rows = order_desk(&f, Interval::Day, None);
        assert_eq!(rows.len(), 3, "Ana, Haris, the company: {rows:?}");
        let (ana, haris, company) = (&rows[0], &rows[1], &rows[2]);
        assert_eq!((ana.staff, haris.staff, company.staff), (Some(1), Some(2), None));
        assert_eq!((ana.calls, ana.order_calls, ana.converted), (3, 2, 1));
        assert_eq!(ana.conversion(), Some(0.5));
        assert_eq!((ana.orders, ana.value_cents, ana.lines, ana.cancelled), (2, 17_050, 4, 1));
        assert_eq!((ana.offers, ana.accepted, ana.attach_rate(), ana.offers_per_order()), (4, 2, Some(0.5), Some(2.0)));
        assert_eq!(ana.offers_by_reason.get("new"), Some(&2));
        assert_eq!((haris.calls, haris.converted, haris.debt_stops, haris.orders), (1, 0, 2, 0));
        assert_eq!((ana.reactivated, haris.reactivated, company.reactivated), (1, 0, 1));
        assert_eq!((haris.conversion(), haris.offers_per_order()), (Some(0.0), None));
        assert_eq!(
            (company.calls, company.order_calls, company.converted, company.orders, company.offers, company.debt_stops),
            (4, 3, 1, 2, 5, 2)
        );
        // One operator only: her rows and a company row of hers alone.
        let only = order_desk(&f, Interval::Day, Some(2));
        assert_eq!((only.len(), only[1].calls, only[1].offers), (2, 1, 1));
    }

    #[test]
    fn a_call_finds_its_order_among_the_clients_others_and_days_sum_to_periods() {
        let f = Facts {
            calls: vec![
                // An order of the same client before the answer and one two
                // hours after the end do not count; the one between does.
                call(1, "2026-12-01", true, 10, "2026-12-01T08:00:00Z", "2026-12-01T08:05:00Z"),
                // Going on: any order after the answer counts.
                CallFact {
                    ended: None,
                    ..call(1, "2026-12-02", true, 11, "2026-12-02T09:00:00Z", "2026-12-02T09:00:00Z")
                },
                // Another operator's call for the same client: not his order.
                call(2, "2026-12-02", true, 11, "2026-12-02T08:00:00Z", "2026-12-02T08:10:00Z"),
            ],
            orders: vec![
                order(1, 10, "2026-12-01T07:00:00Z", "2026-12-01", 100, 1, false),
                order(1, 10, "2026-12-01T10:05:00Z", "2026-12-01", 100, 1, false),
                order(1, 10, "2026-12-01T08:34:00Z", "2026-12-01", 100, 1, false),
                order(1, 11, "2026-12-02T18:00:00Z", "2026-12-02", 100, 1, false),
            ],
            ..Facts::default()
        };
        let days = day_rows(&f);
        let got: Vec<_> = days.iter().map(|r| (r.period, r.staff, r.calls, r.converted, r.orders)).collect();
        assert_eq!(
            got,
            [
                (d("2026-12-01"), Some(1), 1, 1, 3),
                (d("2026-12-02"), Some(1), 1, 1, 1),
                (d("2026-12-02"), Some(2), 1, 0, 0),
            ]
        );
        for interval in [Interval::Day, Interval::Week, Interval::Month] {
            assert_eq!(roll_up(&days, interval, None), order_desk(&f, interval, None));
            assert_eq!(roll_up(&days, interval, Some(2)), order_desk(&f, interval, Some(2)));
        }
        let week = roll_up(&days, Interval::Week, None);
        let company = week.iter().find(|r| r.staff.is_none()).unwrap();
        assert_eq!((company.calls, company.converted, company.orders, company.value_cents), (3, 2, 4, 400));
    }

    #[test]
    fn requests_are_counted_per_period_most_frequent_first() {
        let fact = |day: &str, intent: Option<&str>, wrap: Option<&str>, ty: Option<&str>| RequestFact {
            day: d(day),
            intent: intent.map(str::to_owned),
            wrap_up: wrap.map(str::to_owned),
            client_type: ty.map(str::to_owned),
            queue: intent.map(|i| if i == "order" { "sales" } else { "operators" }.to_owned()),
            category: wrap.filter(|w| *w == "order_taken").map(|_| "sales".to_owned()),
            count: 1,
        };
        let facts = [
            fact("2026-11-30", Some("order"), Some("order_taken"), Some("retail")),
            fact("2026-12-01", Some("order"), Some("information"), Some("key")),
            fact("2026-12-02", Some("reference"), Some("information"), None),
            fact("2026-12-02", Some("order"), Some(""), Some("retail")),
            fact("2026-12-07", Some("complaint"), None, Some("retail")),
            fact("2026-12-07", None, None, None),
        ];
        let rows = requests(&facts, Interval::Week);
        let tallied = tally(facts.to_vec());
        assert_eq!(tallied.len(), facts.len(), "no two alike");
        assert_eq!(requests(&tallied, Interval::Week), rows);
        let twice = tally([facts.to_vec(), facts.to_vec()].concat());
        assert_eq!((twice.len(), twice.iter().map(|f| f.count).sum::<u64>()), (facts.len(), 12));
        assert_eq!(requests(&twice, Interval::Week)[0].count, 6, "each counted with its number");
        let got: Vec<(NaiveDate, &str, &str, u64)> =
            rows.iter().map(|r| (r.period, r.kind, r.code.as_str(), r.count)).collect();
        assert_eq!(
            got,
            [
                (d("2026-11-30"), "intent", "order", 3),
                (d("2026-11-30"), "wrap_up", "information", 2),
                (d("2026-11-30"), "category", "sales", 1),
                (d("2026-11-30"), "intent", "reference", 1),
                (d("2026-11-30"), "wrap_up", "order_taken", 1),
                (d("2026-12-07"), "intent", "complaint", 1),
            ]
        );
        let order = &rows[0].by_client_type;
        assert_eq!((order.get(&Some("retail".into())), order.get(&Some("key".into()))), (Some(&2), Some(&1)));
        assert_eq!(rows[1].by_client_type.get(&None), Some(&1), "a caller who is no client");
        assert_eq!(rows[0].by_queue.get(&Some("sales".into())), Some(&3));
        let information: Vec<_> = rows[1].by_queue.iter().map(|(q, n)| (q.as_deref(), *n)).collect();
        assert_eq!(information, [(Some("operators"), 1), (Some("sales"), 1)]);
    }

    #[test]
    fn days_fall_into_their_week_and_month() {
        let f = Facts {
            calls: vec![
                call(1, "2026-11-29", false, 1, "2026-11-29T10:00:00Z", "2026-11-29T10:01:00Z"),
                call(1, "2026-11-30", false, 1, "2026-11-30T10:00:00Z", "2026-11-30T10:01:00Z"),
                call(1, "2026-12-06", false, 1, "2026-12-06T10:00:00Z", "2026-12-06T10:01:00Z"),
            ],
            ..Facts::default()
        };
        let weeks: Vec<(NaiveDate, u64)> = order_desk(&f, Interval::Week, None)
            .iter()
            .filter(|r| r.staff.is_none())
            .map(|r| (r.period, r.calls))
            .collect();
        assert_eq!(weeks, [(d("2026-11-23"), 1), (d("2026-11-30"), 2)]);
        let months: Vec<(NaiveDate, u64)> = order_desk(&f, Interval::Month, None)
            .iter()
            .filter(|r| r.staff.is_none())
            .map(|r| (r.period, r.calls))
            .collect();
        assert_eq!(months, [(d("2026-11-01"), 2), (d("2026-12-01"), 1)]);
    }

    fn case(category: Category, status: Status, raised: &str, due: &str, resolved: Option<&str>) -> CaseFact {
        CaseFact {
            category,
            status,
            department: Some(if category == Category::Complaint { 7 } else { 8 }),
            client_type: (category != Category::Comment).then(|| "retail".to_owned()),
            created_at: t(raised),
            due_at: t(due),
            resolved_at: resolved.map(t),
        }
    }

    #[test]
    fn cases_are_counted_per_period_and_category_as_they_stand_now() {
        use Category::{Claim, Comment, Complaint};
        use Status::{Closed, InProgress, Open, Resolved};
        let now = t("2026-12-03T12:00:00Z");
        let facts = [
            // Monday's complaints: one resolved in 2 h, one in 30 h (late),
            // one still open and late, one open in time.
            case(Complaint, Resolved, "2026-11-30T08:00:00Z", "2026-12-01T08:00:00Z", Some("2026-11-30T10:00:00Z")),
            case(Complaint, Closed, "2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", Some("2026-12-01T15:00:00Z")),
            case(Complaint, InProgress, "2026-11-30T10:00:00Z", "2026-12-01T10:00:00Z", None),
            case(Complaint, Open, "2026-12-01T10:00:00Z", "2026-12-05T10:00:00Z", None),
            // A comment closed with no known time; a claim resolved in 4 h.
            case(Comment, Closed, "2026-12-02T10:00:00Z", "2026-12-09T10:00:00Z", None),
            case(Claim, Resolved, "2026-12-07T08:00:00Z", "2026-12-08T08:00:00Z", Some("2026-12-07T12:00:00Z")),
        ];
        let week = cases(&facts, |at| Interval::Week.start(at.date_naive()), now);
        let brief: Vec<_> = week
            .iter()
            .map(|r| (r.period, r.category, r.raised, r.resolved, r.resolved_in_time, r.open, r.overdue))
            .collect();
        assert_eq!(
            brief,
            [
                (d("2026-11-30"), Some(Comment), 1, 1, 0, 0, 0),
                (d("2026-11-30"), Some(Complaint), 4, 2, 1, 2, 1),
                (d("2026-11-30"), None, 5, 3, 1, 2, 1),
                (d("2026-12-07"), Some(Claim), 1, 1, 1, 0, 0),
                (d("2026-12-07"), None, 1, 1, 1, 0, 0),
            ]
        );
        let complaints = &week[1];
        assert_eq!((complaints.mean_hours, complaints.median_hours), (Some(16.0), Some(16.0)));
        assert_eq!(complaints.in_time(), Some(0.5));
        assert_eq!(complaints.by_department, BTreeMap::from([(Some(7), 4)]));
        let all = &week[2];
        assert_eq!(all.by_client_type, BTreeMap::from([(None, 1), (Some("retail".to_owned()), 4)]));
        assert_eq!(
            (all.mean_hours, all.median_hours),
            (Some(16.0), Some(16.0)),
            "a case with no known time is not timed"
        );
        assert_eq!(week[0].in_time(), Some(0.0));

        // The whole span as one period; the median of an odd count.
        let span = cases(&facts, |_| d("2026-11-30"), now);
        let total = span.last().unwrap();
        assert_eq!((total.category, total.raised, total.resolved, total.open), (None, 6, 4, 2));
        assert_eq!((total.mean_hours, total.median_hours), (Some(12.0), Some(4.0)));
        // Later, the open complaint is overdue too; nothing raised, nothing.
        let later = cases(&facts, |_| d("2026-11-30"), t("2026-12-06T00:00:00Z"));
        assert_eq!(later.last().unwrap().overdue, 2);
        assert!(cases(&[], |at| at.date_naive(), now).is_empty());
    }
}
