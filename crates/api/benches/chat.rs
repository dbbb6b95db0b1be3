//! Web chat at scale (issue "Every channel in one queue"): the real server
//! on loopback with 1,000 visitors' chats open over WebSockets (waiting in
//! the queue), then one chat taken by an operator, timed end to end as the
//! people feel it:
//!
//! - a visitor's message: from the frame sent until the operator's desk
//!   receives it on the event stream (stored first, then pushed);
//! - an operator's message: from the API call until the visitor's
//!   WebSocket receives it.
//!
//! Before the timings it prints the memory the 1,000 open chats took (the
//! process's resident size before and after; the visitors' client sockets
//! live in the same process, so the figure is an upper bound for the
//! server) and how long the 1,000 took to start.
//!
//!     cargo bench -p centrala-api --bench chat

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a benchmark may stop at a broken fixture

use centrala_api::{app, state::Clock, ApiConfig, AppState};
use centrala_center::{Center, CenterConfig};
use centrala_store::{demo, Store};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::{SinkExt, StreamExt};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message as Ws};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const OPEN: usize = 1_000;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0)))
        .unwrap_or(0)
}

async fn visitor(host: &str) -> Socket {
    let mut req = format!("ws://{host}/chat/demo/ws?lang=bs").into_client_request().unwrap();
    req.headers_mut().insert("origin", "https://shop.example".parse().unwrap());
    // The visitor's side with small buffers too, so that the memory
    // measured is mostly the server's.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut s, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false).await.unwrap();
    next(&mut s, "hello").await;
    s
}

/// The next frame of `kind`.
async fn next(s: &mut Socket, kind: &str) -> serde_json::Value {
    loop {
        match s.next().await {
            Some(Ok(Ws::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["type"] == kind {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

async fn say(s: &mut Socket, v: serde_json::Value) {
    s.send(Ws::Text(v.to_string().into())).await.unwrap();
}

struct World {
    _dir: tempfile::TempDir,
    state: AppState,
    host: String,
    token: String,
    chat: i64,
    /// The visitor's resume token.
    resume: String,
    talking: Socket,
    /// Messages the visitor sent on this connection.
    sent: u32,
    _waiting: Vec<Socket>,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let store = Store::open(&url).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    demo::ensure(&store, today).await.unwrap();
    let company = store.company_by_code("demo").await.unwrap().unwrap();
    let s = store.company(company.id);
    s.set_channels(&centrala_store::chats::Channels {
        chat_capacity: 1,
        chat_origins: vec!["https://shop.example".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let center = Center::start(store.clone(), CenterConfig { clock: Clock::Fixed(today), ..CenterConfig::default() });
    center.configure_channels(company.id).await.unwrap();
    let state = AppState::new(center, ApiConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let served = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    let http = reqwest_like(&host);
    let token = http.login().await;
    http.put(&token, "/api/v1/agents/me/state", serde_json::json!({"state": "ready"})).await;

    // The chat Ana will take, then 1,000 more that wait.
    let mut talking = visitor(&host).await;
    say(
        &mut talking,
        serde_json::json!({"type": "start", "name": "Prva", "email": "prva@example.com", "text": "Zdravo"}),
    )
    .await;
    let started = next(&mut talking, "started").await;
    let chat = started["interaction"].as_i64().unwrap();
    let resume = started["token"].as_str().unwrap().to_owned();
    http.post(&token, &format!("/api/v1/chats/{chat}/accept"), serde_json::json!({})).await;
    next(&mut talking, "joined").await;

    let before = rss_kb();
    let started = Instant::now();
    let mut waiting = Vec::with_capacity(OPEN);
    for n in 0..OPEN {
        let mut v = visitor(&host).await;
        say(&mut v, serde_json::json!({"type": "start", "name": format!("Posjetilac {n}"), "email": format!("p{n}@example.com"), "text": "Pitanje"})).await;
        next(&mut v, "started").await;
        waiting.push(v);
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kb();
    println!(
        "{OPEN} chats opened in {:.1} s ({:.1} ms each); resident memory {} kB → {} kB: {:.1} kB per open chat (server and its client socket)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1000.0 / OPEN as f64,
        before,
        after,
        (after.saturating_sub(before)) as f64 / OPEN as f64
    );
    World { _dir: dir, state, host, token, chat, resume, talking, sent: 0, _waiting: waiting }
}

/// A minimal HTTP client over hyper for the operator's calls.
struct Http {
    host: String,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<axum::body::Bytes>,
    >,
}

fn reqwest_like(host: &str) -> Http {
    Http {
        host: host.to_owned(),
        client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
    }
}

impl Http {
    async fn call(&self, method: &str, token: Option<&str>, path: &str, body: serde_json::Value) -> serde_json::Value {
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.host))
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = self
            .client
            .request(req.body(http_body_util::Full::new(axum::body::Bytes::from(body.to_string()))).unwrap())
            .await
            .unwrap();
        let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
    }
    async fn login(&self) -> String {
        let r = self
            .call(
                "POST",
                None,
                "/api/v1/auth/login",
                serde_json::json!({"company": "demo", "username": "op.ana", "password": "demo"}),
            )
            .await;
        r["token"].as_str().unwrap().to_owned()
    }
    async fn put(&self, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.call("PUT", Some(token), path, body).await
    }
    async fn post(&self, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.call("POST", Some(token), path, body).await
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let w = std::sync::Arc::new(tokio::sync::Mutex::new(rt.block_on(world())));
    let mut g = c.benchmark_group(format!("chat with {OPEN} more open"));
    // Bounded: every message lengthens the chat's transcript, which the
    // visitor's untimed reconnections read whole; a chat of a few hundred
    // messages is already a long one.
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let w1 = w.clone();
    g.bench_function("visitor's message reaches the operator's desk", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let w = w1.clone();
            async move {
                let mut w = w.lock().await;
                let mut events = w.state.center.events.subscribe();
                let mut total = Duration::ZERO;
                for n in 0..iters {
                    let start = Instant::now();
                    say(&mut w.talking, serde_json::json!({"type": "say", "text": format!("poruka {n}")})).await;
                    loop {
                        let e = events.recv().await.unwrap();
                        if e.kind == "chat_message" && e.data["interaction"] == w.chat {
                            break;
                        }
                    }
                    total += start.elapsed();
                    next(&mut w.talking, "message").await;
                    // The visitor's pace (ten at once, then one a second) is
                    // a guard against floods, not what is measured here: the
                    // visitor reconnects (resumes) after nine, untimed.
                    w.sent += 1;
                    if w.sent == 9 {
                        let mut v = visitor(&w.host).await;
                        say(&mut v, serde_json::json!({"type": "resume", "token": w.resume})).await;
                        next(&mut v, "history").await;
                        w.talking = v;
                        w.sent = 0;
                    }
                }
                total
            }
        })
    });
    let w2 = w.clone();
    g.bench_function("operator's message reaches the visitor", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let w = w2.clone();
            async move {
                let mut w = w.lock().await;
                let http = reqwest_like(&w.host);
                let (token, chat) = (w.token.clone(), w.chat);
                let mut total = Duration::ZERO;
                for n in 0..iters {
                    let start = Instant::now();
                    http.post(
                        &token,
                        &format!("/api/v1/chats/{chat}/messages"),
                        serde_json::json!({"text": format!("odgovor {n}")}),
                    )
                    .await;
                    next(&mut w.talking, "message").await;
                    total += start.elapsed();
                }
                total
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
