//! Client and product search as an operator types: every keystroke's
//! query over 100,000 clients and 20,000 products (the demo's, copied with
//! new codes and names), on SQLite. Criterion reports the median; the 99th
//! percentile of 500 runs per query is printed too.
//!
//!     cargo bench -p centrala-api --bench search

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark may stop at a broken fixture

mod common;

use centrala_store::{demo, Store};
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use std::{hint::black_box, time::Instant};

const CLIENTS: usize = 100_000;
const PRODUCTS: usize = 20_000;

async fn fixture(today: NaiveDate) -> (tempfile::TempDir, Store) {
    let mut set = demo::generate(today);
    set.order_lines.clear();
    let clients = set.clients.clone();
    for n in 0..CLIENTS.saturating_sub(clients.len()) {
        let mut c = clients[n % clients.len()].clone();
        c.rec.code = format!("X{n:06}");
        c.rec.name = format!("{} {}", c.rec.name, n);
        c.rec.phones.clear();
        set.clients.push(c);
    }
    let products = set.products.clone();
    for n in 0..PRODUCTS.saturating_sub(products.len()) {
        let mut p = products[n % products.len()].clone();
        p.rec.sku = format!("XP-{n:06}");
        p.rec.name = format!("{} {}", p.rec.name, n);
        set.products.push(p);
    }
    common::store_with(&set).await
}

fn p99(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..500)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() * 99 / 100]
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let (_dir, store) = rt.block_on(fixture(today));
    let company = rt.block_on(store.company_by_code("demo")).expect("q").expect("demo");
    let s = store.company(company.id);
    let mut group = c.benchmark_group("search as you type");
    for q in ["c", "ca", "cac", "caca", "cacak", "pekara", "pek sar", "cacka", "K0042", "X099999"] {
        group.bench_function(format!("clients {q:?}"), |b| {
            b.iter(|| black_box(rt.block_on(s.search_clients(q, None, 20)).expect("search")))
        });
        let p = p99(|| {
            black_box(rt.block_on(s.search_clients(q, None, 20)).expect("search"));
        });
        println!("clients {q:?}: p99 {p:.2} ms");
    }
    for q in ["z", "zi", "zil", "zilavka", "zilvaka", "sarajevsko pivo", "BE-0001"] {
        group.bench_function(format!("products {q:?}"), |b| {
            b.iter(|| black_box(rt.block_on(s.products(q, 15, 0)).expect("search")))
        });
        let p = p99(|| {
            black_box(rt.block_on(s.products(q, 15, 0)).expect("search"));
        });
        println!("products {q:?}: p99 {p:.2} ms");
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
