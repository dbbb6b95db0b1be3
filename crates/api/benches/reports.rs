//! A month's reports over a year of history at scale (issue "Reports and
//! evaluation"): 2,007,500 calls (5,500 a day for 365 days, answered by
//! 60 operators) and 1,003,750 confirmed orders (three lines and two
//! offers each) in SQLite. Prints how long the history took to write and
//! the year's intervals to rebuild, then times each month report as the
//! API asks for it (criterion), then the cost of keeping the intervals up
//! to date: one round of `catch_up` after 30 s of calls at 150 calls/s.
//!
//!     cargo bench -p centrala-api --bench reports

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark may stop at a broken fixture

mod common;

use centrala_center::reports::{agents, order_desk, queues, requests, Cut};
use centrala_center::{Center, CenterConfig, Clock};
use centrala_desk::report::Interval;
use centrala_desk::routing::Rule;
use centrala_domain::{Intent, Role, StaffId};
use centrala_store::interactions::{Direction, Disposition, RoutingRule, StoryKind};
use centrala_store::intervals::PastCall;
use centrala_store::reports::PastOrder;
use centrala_store::{demo, StaffInput};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use std::{hint::black_box, time::Instant};

/// A year; `CENTRALA_BENCH_DAYS` makes it shorter for a quick look (a
/// month's report needs at least 62 days).
fn days() -> i64 {
    std::env::var("CENTRALA_BENCH_DAYS").ok().and_then(|d| d.parse().ok()).unwrap_or(365)
}
const CALLS_PER_DAY: i64 = 5_500;
const ORDERS_PER_DAY: i64 = 2_750;
const OPERATORS: usize = 60;

fn calls_of(day: NaiveDate, ops: &[StaffId], first: i64) -> Vec<PastCall> {
    let open = Utc.from_utc_datetime(&day.and_hms_opt(6, 0, 0).unwrap());
    (0..CALLS_PER_DAY)
        .map(|k| {
            let n = first + k;
            let arrived = open + Duration::milliseconds(k * 12 * 3_600_000 / CALLS_PER_DAY);
            let routed = arrived + Duration::seconds(10);
            let answered = (n % 10 != 0).then(|| routed + Duration::seconds(3 + n % 40));
            let op = ops[(n as usize) % ops.len()];
            PastCall {
                direction: Direction::Inbound,
                caller: format!("+3876{:07}", n % 10_000_000),
                called: "+38733555000".into(),
                client: None,
                arrived,
                routed: Some(routed),
                answered,
                ended: answered
                    .map_or(routed + Duration::seconds(30 + n % 60), |a| a + Duration::seconds(60 + n % 240)),
                intent: Some([Intent::Order, Intent::Order, Intent::Reference, Intent::Complaint][(n % 4) as usize]),
                rule: Some(RoutingRule::Desk(Rule::Operators)),
                disposition: if answered.is_some() { Disposition::Answered } else { Disposition::Abandoned },
                handler: answered.map(|_| op),
                wrap_up: if answered.is_some() {
                    ["order_taken", "information", "other"][(n % 3) as usize].into()
                } else {
                    String::new()
                },
                story: answered
                    .map(|a| {
                        vec![
                            (routed + Duration::seconds(1), StoryKind::Offered, Some(op), String::new()),
                            (a, StoryKind::Answered, Some(op), String::new()),
                        ]
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn orders_of(day: NaiveDate, ops: &[StaffId], clients: &[i64], products: &[i64], first: i64) -> Vec<PastOrder> {
    let open = Utc.from_utc_datetime(&day.and_hms_opt(6, 5, 0).unwrap());
    (0..ORDERS_PER_DAY)
        .map(|k| {
            let n = first + k;
            let at = open + Duration::milliseconds(k * 12 * 3_600_000 / ORDERS_PER_DAY);
            let p = |i: i64| products[((n * 3 + i) as usize) % products.len()];
            PastOrder {
                order_no: format!("Y{n:08}"),
                client: centrala_domain::ClientId(clients[(n as usize) % clients.len()]),
                staff: ops[(n as usize) % ops.len()],
                confirmed: at,
                lines: vec![(p(0), 2, 1_250), (p(1), 1, 4_990), (p(2), 6, 310)],
                offers: vec![
                    (p(1), "new".into(), if n % 3 == 0 { "declined" } else { "accepted" }.into()),
                    (p(2), "special".into(), "accepted".into()),
                ],
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let today = Utc::now().date_naive();
    let set = demo::generate(today);
    let (_dir, store) = rt.block_on(common::store_with(&set));
    drop(set);
    let company = rt.block_on(store.company_by_code("demo")).unwrap().unwrap();
    let s = store.company(company.id);
    let ops: Vec<StaffId> = rt.block_on(async {
        let mut v = Vec::new();
        for i in 0..OPERATORS {
            let input = StaffInput {
                username: format!("op.bench{i:02}"),
                full_name: format!("Operater {i:02}"),
                role: Role::Operator,
                department: None,
                active: true,
                locale: "bs".into(),
            };
            v.push(s.create_staff(&input).await.unwrap().id);
        }
        v
    });
    let clients: Vec<i64> = rt.block_on(s.search_clients("", None, 10_000)).unwrap().iter().map(|c| c.id.0).collect();
    let products: Vec<i64> = rt.block_on(s.products("", 1_000, 0)).unwrap().iter().map(|p| p.id.0).collect();

    // A year of history, a day per transaction.
    let started = Instant::now();
    let first_day = today - Duration::days(days());
    rt.block_on(async {
        for d in 0..days() {
            let day = first_day + Duration::days(d);
            s.record_past_calls(&calls_of(day, &ops, d * CALLS_PER_DAY)).await.unwrap();
            s.record_past_orders(&orders_of(day, &ops, &clients, &products, d * ORDERS_PER_DAY)).await.unwrap();
        }
    });
    println!(
        "history: {} calls and {} orders written in {:.0} s",
        days() * CALLS_PER_DAY,
        days() * ORDERS_PER_DAY,
        started.elapsed().as_secs_f64()
    );
    let zone = chrono_tz::Europe::Sarajevo;
    let problems = centrala_center::settings::Problems::default();
    let started = Instant::now();
    let done = rt
        .block_on(centrala_center::intervals::rebuild_in(
            &s,
            &problems,
            zone,
            Utc.from_utc_datetime(&first_day.and_hms_opt(0, 0, 0).unwrap()),
            Utc::now(),
        ))
        .unwrap();
    println!(
        "rebuild of the year: {} queue and {} agent interval rows and {} days of the order desk and requests in {:.0} s",
        done.queue_rows,
        done.agent_rows,
        done.days,
        started.elapsed().as_secs_f64()
    );
    // Marked up to date, so the center's own round finds nothing to do.
    rt.block_on(s.set_report_mark(Utc::now())).unwrap();
    rt.block_on(s.set_desk_mark(Utc::now())).unwrap();
    let center = rt.block_on(async {
        Center::start(store.clone(), CenterConfig { clock: Clock::System, time_zone: zone, ..CenterConfig::default() })
    });

    // The last full month.
    let month_end = today.with_day0(0).unwrap() - Duration::days(1);
    let month_start = month_end.with_day0(0).unwrap();
    let mut g = c.benchmark_group("month report over a year (2M calls, 1M orders)");
    g.sample_size(10);
    g.bench_function("queues per day", |b| {
        b.iter(|| {
            rt.block_on(queues(&center, company.id, month_start, month_end, Cut::Days(Interval::Day), None)).unwrap()
        })
    });
    g.bench_function("agents per day", |b| {
        b.iter(|| {
            rt.block_on(agents(&center, company.id, month_start, month_end, Cut::Days(Interval::Day), None)).unwrap()
        })
    });
    g.bench_function("queues per 15 minutes, one week", |b| {
        b.iter(|| {
            rt.block_on(queues(&center, company.id, month_start, month_start + Duration::days(6), Cut::Quarter, None))
                .unwrap()
        })
    });
    g.bench_function("order desk per day", |b| {
        b.iter(|| rt.block_on(order_desk(&center, company.id, month_start, month_end, Interval::Day, None)).unwrap())
    });
    g.bench_function("requests per week", |b| {
        b.iter(|| rt.block_on(requests(&center, company.id, month_start, month_end, Interval::Week, None)).unwrap())
    });
    g.finish();

    // Keeping up: 30 s of calls at 150 calls/s (4,500 calls that ended in
    // the last 30 s), then one round of the keeper.
    let mut rounds = Vec::new();
    for r in 0..5 {
        let now = Utc::now();
        let calls = last_30_seconds(now, &ops, 10_000_000 + r * 10_000);
        rt.block_on(s.record_past_calls(&calls)).unwrap();
        let t = Instant::now();
        rt.block_on(centrala_center::intervals::catch_up(&center, company.id, now)).unwrap();
        rounds.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "keeping up at 150 calls/s: one round every 30 s takes {:?} ms (median {:.0} ms, {:.1} % of one core)",
        rounds.iter().map(|r| r.round()).collect::<Vec<_>>(),
        median(&mut rounds.clone()),
        median(&mut rounds) / 30_000.0 * 100.0
    );
    black_box(&center);
}

/// 4,500 calls that ended in the 30 s before `now` (150 a second), each
/// having entered its queue three minutes before it ended.
fn last_30_seconds(now: DateTime<Utc>, ops: &[StaffId], first: i64) -> Vec<PastCall> {
    let mut calls = calls_of(now.date_naive(), ops, first);
    calls.truncate(4_500);
    for (k, c) in calls.iter_mut().enumerate() {
        let ended = now - Duration::seconds(30) + Duration::milliseconds(k as i64 * 30_000 / 4_500);
        let shift = ended - Duration::seconds(180) - c.routed.unwrap();
        c.arrived += shift;
        c.routed = c.routed.map(|t| t + shift);
        c.answered = c.answered.map(|t| t + shift);
        c.ended = ended;
        for e in &mut c.story {
            e.0 += shift;
        }
    }
    calls
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

criterion_group!(benches, bench);
criterion_main!(benches);
