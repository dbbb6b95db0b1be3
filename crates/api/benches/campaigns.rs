//! Building a reactivation campaign over 100,000 clients and 1,000,000
//! order lines (the store's query and the campaign's rows, timed; the
//! process's peak memory printed), and choosing the next target among
//! 100,000 (the pure rule, per decision).
//!
//!     cargo bench -p centrala-api --bench campaigns

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark may stop at a broken fixture

mod common;

use centrala_desk::campaign::{
    dormant_since, next_target, Candidate, Hours, Kind, Mode, Retry, State, DEFAULT_RESULTS,
};
use centrala_store::{campaigns::CampaignInput, demo, import::Row};
use chrono::{Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use std::{hint::black_box, time::Instant};

const CLIENTS: usize = 100_000;
const LINES_PER_CLIENT: usize = 10;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut set = demo::generate(today);
    let line = set.order_lines[0].rec.clone();
    let clients = set.clients.clone();
    set.order_lines.clear();
    set.receivables.clear();
    for n in 0..CLIENTS {
        let mut k = clients[n % clients.len()].clone();
        k.rec.code = format!("X{n:06}");
        k.rec.phones.clear();
        set.clients.push(k);
        // One client in eight last ordered 190 to 400 days ago: dormant.
        let last = if n % 8 == 0 { 190 + (n % 210) as u64 } else { (n % 150) as u64 };
        for l in 0..LINES_PER_CLIENT {
            let mut r = line.clone();
            r.order_no = format!("B{n:06}-{}", l / 5);
            r.client_code = format!("X{n:06}");
            r.date = today.checked_sub_days(Days::new(last + (l / 5) as u64 * 30)).unwrap();
            set.order_lines.push(Row { line: 0, rec: r });
        }
    }
    let started = Instant::now();
    let (_dir, store) = rt.block_on(common::store_with(&set));
    println!(
        "fixture: {} clients, {} order lines imported in {:.0} s",
        set.clients.len(),
        set.order_lines.len(),
        started.elapsed().as_secs_f64()
    );
    drop(set);
    let company = rt.block_on(store.company_by_code("demo")).unwrap().unwrap();
    let s = store.company(company.id);
    let before = peak_rss_mb();
    let input = CampaignInput {
        kind: Kind::Reactivation,
        name: "bench".into(),
        script: String::new(),
        results: DEFAULT_RESULTS.iter().map(|r| r.to_string()).collect(),
        agents: vec!["op.ana".into()],
        queue: None,
        mode: Mode::Preview,
        starts_on: None,
        ends_on: None,
        due_on: None,
        hours: Hours::default(),
        retry: Retry::default(),
    };
    let started = Instant::now();
    let found = rt.block_on(s.reactivation_candidates(dormant_since(today), None, None)).unwrap();
    let query = started.elapsed();
    let targets: Vec<_> = found.iter().map(|(c, d)| (*c, Some(*d))).collect();
    let camp = rt.block_on(s.create_campaign(&input, &targets, "bench")).unwrap();
    println!(
        "reactivation over {CLIENTS} clients: {} dormant found in {:.2} s, campaign written in {:.2} s; peak memory {:.0} MB (before {:.0} MB)",
        found.len(),
        query.as_secs_f64(),
        (started.elapsed() - query).as_secs_f64(),
        peak_rss_mb(),
        before
    );

    let mut group = c.benchmark_group("campaigns");
    group.sample_size(10);
    group.bench_function("dormant clients over 100,000 clients, 1,000,000 lines", |b| {
        b.iter(|| black_box(rt.block_on(s.reactivation_candidates(dormant_since(today), None, None)).unwrap()))
    });
    // The next target among 100,000: the worst case, only the last is due.
    let now = today.and_hms_opt(10, 0, 0).unwrap();
    let mut list: Vec<Candidate> =
        (0..100_000).map(|_| Candidate { state: State::Done, next_at: None, preferred: None }).collect();
    list[99_999] = Candidate { state: State::Pending, next_at: None, preferred: None };
    // What the dialler and `GET /campaigns/next` read: the due targets,
    // best first, 50 of the campaign's pending ones.
    group.bench_function(format!("due targets of a campaign of {}, the store's query", targets.len()), |b| {
        b.iter(|| black_box(rt.block_on(s.due_targets(camp.id, now, Some(centrala_domain::StaffId(7)), 50)).unwrap()))
    });
    group.sample_size(100);
    group.bench_function("next target among 100,000", |b| {
        b.iter(|| black_box(next_target(&list, now, &Hours::default(), 7)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
