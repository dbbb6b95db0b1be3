//! The web pages as a person opens them, through the real router (session
//! lookup, the page's queries, maud): on the demo company and on one ten
//! times its size, each with a day of confirmed orders (50, and 500) for
//! the heads' page.
//!
//!     cargo bench -p centrala-api --bench pages

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark may stop at a broken fixture

mod common;

use axum::{
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{header, Request, StatusCode},
    Router,
};
use centrala_api::{app, state::Clock, ApiConfig, AppState};
use centrala_desk::order::OrderStatus;
use centrala_domain::Quantity;
use centrala_store::demo;
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use std::{hint::black_box, net::SocketAddr};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    router: Router,
    order: i64,
}

async fn fixture(k: usize, today: NaiveDate) -> Fixture {
    let (dir, store) = common::store_with(&demo::generate_scaled(today, k)).await;
    let company = store.company_by_code("demo").await.expect("q").expect("demo");
    let s = store.company(company.id);
    let hash = centrala_store::password::hash_password("demo").expect("hash");
    for m in s.staff_list().await.expect("staff") {
        s.set_password_hash(m.id, &hash).await.expect("password");
    }
    // A day of confirmed orders: 50 per demo's size.
    let ana = s.staff_by_username("op.ana").await.expect("q").expect("op.ana");
    let clients = s.search_clients("", None, 50 * k as i64).await.expect("clients");
    let beer = s.product_by_sku("BE-0002").await.expect("q").expect("beer");
    let mut order = 0;
    for c in &clients {
        let id = s.create_order(c.id, ana.id, "op.ana", today, None).await.expect("order");
        s.save_lines(id, &[(beer.id, Quantity::units(3), beer.prices[0])], 1, "", "op.ana", ("line", ""))
            .await
            .expect("lines");
        s.move_order(id, OrderStatus::Draft, OrderStatus::Confirmed, "op.ana", "").await.expect("confirm");
        order = id.0;
    }
    let center = centrala_center::Center::start(
        store.clone(),
        centrala_center::CenterConfig { clock: Clock::Fixed(today), ..Default::default() },
    );
    let state = AppState::new(center, ApiConfig::default());
    let router = app(state).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    Fixture { _dir: dir, router, order }
}

async fn login(router: &Router, user: &str) -> String {
    let body = serde_json::json!({"company": "demo", "username": user, "password": "demo"}).to_string();
    let req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let res = router.clone().oneshot(req).await.expect("login");
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    v["token"].as_str().expect("token").to_owned()
}

async fn page(router: &Router, path: &str, token: &str) -> usize {
    let req = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
    let res = router.clone().oneshot(req).await.expect("page");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.into_body().collect().await.expect("body").to_bytes().len()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let mut group = c.benchmark_group("pages");
    for k in [1usize, 10] {
        let f = rt.block_on(fixture(k, today));
        let (op, head, admin, fin) = rt.block_on(async {
            (
                login(&f.router, "op.ana").await,
                login(&f.router, "head.north").await,
                login(&f.router, "admin").await,
                login(&f.router, "fin.amra").await,
            )
        });
        let order = format!("/orders/{}", f.order);
        let pages: [(&str, &str, &str); 7] = [
            ("/login", "", "login"),
            ("/desk", &op, "desk"),
            ("/heads", &head, "heads (a day of orders)"),
            ("/finance", &fin, "finance (every debtor)"),
            ("/wallboard", &admin, "wallboard"),
            ("/admin", &admin, "admin"),
            (&order, &admin, "one order"),
        ];
        for (path, token, what) in pages {
            group.bench_function(format!("{what}, {k}x demo"), |b| {
                b.to_async(&rt).iter(|| async { black_box(page(&f.router, path, token).await) })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
