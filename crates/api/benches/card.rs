//! "Client card + recommendations" on the demo company, and on a company
//! ten times its size: what an operator's screen costs when a call pops.
//!
//!     cargo bench -p centrala-api --bench card

#![allow(clippy::expect_used)] // a benchmark may stop at a broken fixture

mod common;

use centrala_api::desk;
use centrala_store::{demo, Store};
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
}

async fn fixture(k: usize, today: NaiveDate) -> Fixture {
    let (dir, store) = common::store_with(&demo::generate_scaled(today, k)).await;
    Fixture { _dir: dir, store }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let mut group = c.benchmark_group("client card + recommendations");
    for k in [1usize, 10] {
        let f = rt.block_on(fixture(k, today));
        let (company, client, order) = rt.block_on(async {
            let company = f.store.company_by_code("demo").await.expect("q").expect("demo");
            let s = f.store.company(company.id);
            let client = s.client_by_code("K0030").await.expect("q").expect("client");
            let staff = s.staff_by_username("op.ana").await.expect("q").expect("op.ana");
            let id = s.create_order(client.id, staff.id, "op.ana", today, None).await.expect("order");
            let beer = s.product_by_sku("BE-0002").await.expect("q").expect("beer");
            let water = s.product_by_sku("WA-0280").await.expect("q");
            let mut lines = vec![(beer.id, centrala_domain::Quantity::units(3), beer.prices[0])];
            if let Some(w) = water {
                lines.push((w.id, centrala_domain::Quantity::units(1), w.prices[0]));
            }
            s.save_lines(id, &lines, 1, "", "op.ana", ("line", "")).await.expect("lines");
            (company.id, client, id)
        });
        let label = if k == 1 { "demo (222 clients, 17k order lines)".to_owned() } else { format!("{k}x demo") };
        let caches = centrala_center::cache::Caches::new(f.store.clone());
        group.bench_function(label, |b| {
            b.to_async(&rt).iter(|| async {
                let s = f.store.company(company);
                let staffing = caches.staffing(&s).await.expect("staffing");
                let catalog = caches.catalog(&s).await.expect("catalog");
                let card = desk::card(&s, client.clone(), today, &staffing).await.expect("card");
                let o = s.order(order).await.expect("q").expect("order");
                let recos =
                    desk::recommendations(&s, &catalog, &o, &client, desk::RECOMMENDATIONS).await.expect("recos");
                black_box((card, recos))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
