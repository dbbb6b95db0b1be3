//! The web UI in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`): an operator takes an order
//! from search to confirmation, a head sees it arrive live in a second
//! browser session, a blocked client's card shows the block and the order
//! is refused. Screenshots of each page go to `target/ui-screenshots/`.
//!
//! Skips, saying so, when `chromedriver` is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::zombie_processes)]

use centrala_api::{app, state::Clock, ApiConfig, AppState};
use centrala_desk::debt_status;
use centrala_store::{demo, desk::OrderFilter, testing::TestDb};
use chrono::NaiveDate;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::{net::SocketAddr, path::PathBuf, process::Stdio, time::Duration};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

async fn start_driver() -> (Driver, u16) {
    let port = free_port().await;
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (Driver(child), port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(port: u16, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1366,768", format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session")
}

/// Waits until the element's text satisfies `ok`, returning the text.
async fn text_until(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: text never matched; last was {last:?}");
}

async fn count_until(c: &Client, css: &str, at_least: usize) -> usize {
    for _ in 0..150 {
        let n = c.find_all(Locator::Css(css)).await.map(|v| v.len()).unwrap_or(0);
        if n >= at_least {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: fewer than {at_least}");
}

async fn shot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await.unwrap()).unwrap();
}

async fn login(c: &Client, base: &str, user: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("#company")).await.unwrap().send_keys("demo").await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("demo").await.unwrap();
    shot(c, &format!("login-{user}")).await;
    click(c, "#login-form button").await;
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#logout")).await.unwrap();
}

/// Finds and clicks, again while the page re-renders the element under us
/// (a stale reference means the list was redrawn between find and click).
async fn click(c: &Client, css: &str) {
    let mut last = None;
    for _ in 0..150 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(err) => last = Some(err.to_string()),
            },
            Err(err) => last = Some(err.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: could not click: {last:?}");
}

async fn set(c: &Client, css: &str, value: &str) {
    c.execute(&format!("document.querySelector('{css}').value = arguments[0];"), vec![json!(value)]).await.unwrap();
}

/// The demo company on a fixed day, in a fresh database.
async fn demo_db() -> (TestDb, centrala_store::Company) {
    let db = TestDb::sqlite().await;
    demo::ensure(&db.store, today()).await.unwrap();
    let company = db.store.company_by_code("demo").await.unwrap().unwrap();
    (db, company)
}

/// Serves the product over `db` on a free loopback port: its state (the
/// ACD, the event bus) and its address.
async fn serve(db: &TestDb) -> (AppState, String) {
    let center = centrala_center::Center::start(
        db.store.clone(),
        centrala_center::CenterConfig { clock: Clock::Fixed(today()), ..Default::default() },
    );
    let state = AppState::new(center, ApiConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = state.clone();
    tokio::spawn(async move {
        axum::serve(listener, app(served).into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    (state, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_takes_an_order_and_a_head_sees_it_live() {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        centrala_store::testing::tool_missing(&format!(
            "{CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)"
        ));
        return;
    }
    // The server: the demo company on a fixed day.
    let (db, company) = demo_db().await;
    let s = db.store.company(company.id);
    let staffing = s.staffing().await.unwrap();
    let emir = staffing.members.iter().find(|m| m.username == "mgr.emir").unwrap().id;
    let mut ordinary = None;
    let mut blocked = None;
    for c in s.search_clients("", None, 1000).await.unwrap() {
        let debt = debt_status(&s.open_receivables(c.id).await.unwrap(), c.credit_limit, today());
        let authorized = s.contacts(c.id).await.unwrap().iter().any(|k| k.authorized_to_receive);
        if c.manager == Some(emir) && c.client_type == "retail" && authorized {
            if debt.blocked() {
                blocked.get_or_insert(c);
            } else {
                ordinary.get_or_insert(c);
            }
        }
    }
    let (ordinary, blocked) = (ordinary.unwrap(), blocked.unwrap());
    let (state, base) = serve(&db).await;
    let bus = state.center.events.clone();

    let (_driver, port) = start_driver().await;
    let profiles = tempfile::tempdir().unwrap();
    let head = browser(port, &profiles.path().join("head")).await;
    let op = browser(port, &profiles.path().join("op")).await;

    // The head of sales North watches the live orders.
    login(&head, &base, "head.north").await;
    assert!(head.current_url().await.unwrap().path().ends_with("/heads"));
    text_until(&head, "#live-status", |t| t.contains("live")).await;

    // The operator logs in and becomes ready; the head's wallboard shows it.
    login(&op, &base, "op.ana").await;
    assert!(op.current_url().await.unwrap().path().ends_with("/desk"));
    click(&op, "#go-ready").await;
    text_until(&op, "#my-state", |t| t.contains("available")).await;
    head.goto(&format!("{base}/wallboard")).await.unwrap();
    text_until(&head, "#wb-agents", |t| t.contains("Ana Operaterka") && t.contains("available")).await;
    click(&op, "#go-not-ready").await;
    text_until(&head, "#wb-agents", |t| t.contains("not_ready (break)")).await;
    shot(&head, "wallboard").await;
    click(&op, "#go-ready").await;
    head.goto(&format!("{base}/heads")).await.unwrap();
    text_until(&head, "#live-status", |t| t.contains("live")).await;

    // The operator finds the client by code, keyboard only.
    op.find(Locator::Css("#client-q")).await.unwrap().send_keys(&format!("{}\u{E007}", ordinary.code)).await.unwrap();
    let name = text_until(&op, "#card-name", |t| t.contains(&ordinary.code)).await;
    assert!(name.contains(&ordinary.name));
    assert!(op.find(Locator::Css("#card-blocked")).await.is_err(), "an ordinary client is not blocked");
    shot(&op, "desk-card").await;

    // A new order; two lines typed by sku and Enter.
    click(&op, "#new-order").await;
    text_until(&op, "#order-no", |t| t.starts_with("D-")).await;
    let skus: Vec<String> =
        s.products("", 50, 0).await.unwrap().into_iter().filter(|p| p.stock.0 > 0).map(|p| p.sku).take(2).collect();
    for (i, sku) in skus.iter().enumerate() {
        op.find(Locator::Css("#qty")).await.unwrap().clear().await.unwrap();
        op.find(Locator::Css("#qty")).await.unwrap().send_keys("2").await.unwrap();
        op.find(Locator::Css("#sku")).await.unwrap().send_keys(&format!("{sku}\u{E007}")).await.unwrap();
        count_until(&op, "#lines tbody tr", i + 1).await;
    }
    // The recommendations, each with its reason.
    let n = count_until(&op, "#recos li", 4).await;
    assert!(n >= 4);
    // Read in one script: the list may be redrawn between element reads.
    let reasons: Vec<String> = serde_json::from_value(
        op.execute(
            "return Array.from(document.querySelectorAll('#recos li')).map(li => li.dataset.reason || '');",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(&reasons[..3], ["new", "special", "traditional"]);
    text_until(&op, "#offer-counter", |t| t.contains("0 / 3")).await;
    shot(&op, "desk-order").await;

    // Two offers, then confirming is refused.
    click(&op, "#recos li:nth-child(1) button.accept").await;
    text_until(&op, "#offer-counter", |t| t.contains("1 / 3")).await;
    click(&op, "#recos li:nth-child(2) button.decline").await;
    text_until(&op, "#offer-counter", |t| t.contains("2 / 3")).await;
    set(&op, "#d-date", "2026-11-30").await;
    set(&op, "#d-from", "08:00").await;
    set(&op, "#d-to", "11:00").await;
    click(&op, "#confirm").await;
    let refused = text_until(&op, "#order-msg", |t| !t.is_empty()).await;
    assert!(refused.contains("2 done"), "{refused}");
    shot(&op, "desk-refused").await;

    // The third offer; now it is confirmed.
    click(&op, "#recos li:nth-child(3) button.decline").await;
    text_until(&op, "#offer-counter", |t| t.contains("3 / 3")).await;
    click(&op, "#confirm").await;
    let done = text_until(&op, "#order-msg", |t| t.contains("D-")).await;
    let order_no = done.rsplit(' ').next().unwrap().to_owned();
    let stored = s
        .orders(&OrderFilter {
            client: Some(ordinary.id),
            status: Some(centrala_desk::order::OrderStatus::Confirmed),
            taken_by: None,
            limit: 5,
        })
        .await
        .unwrap();
    assert!(stored.iter().any(|o| o.order_no == order_no), "{done}");
    shot(&op, "desk-confirmed").await;

    // It arrives live on the head's page.
    let live = text_until(&head, "#live-orders", |t| t.contains(&order_no)).await;
    assert!(live.contains(&ordinary.name));
    shot(&head, "heads-live").await;

    // A blocked client: the card shows the block and the order is refused.
    let q = op.find(Locator::Css("#client-q")).await.unwrap();
    q.clear().await.unwrap();
    q.send_keys(&format!("{}\u{E007}", blocked.code)).await.unwrap();
    let block = text_until(&op, "#card-blocked", |t| t.contains("BLOCKED")).await;
    assert!(block.contains("mgr.emir"), "whom to transfer to: {block}");
    click(&op, "#new-order").await;
    let err = text_until(&op, "#card-error", |t| !t.is_empty()).await;
    assert!(err.contains("blocked"), "{err}");
    shot(&op, "desk-blocked").await;
    assert!(s
        .orders(&OrderFilter {
            client: Some(blocked.id),
            status: Some(centrala_desk::order::OrderStatus::Draft),
            taken_by: None,
            limit: 5
        })
        .await
        .unwrap()
        .is_empty());

    // A call is answered on op.ana's phone (the telephony tells the desk on
    // the event stream; tests/sip.rs drives that part with real phones): the
    // call panel and the caller's card pop up; notes are saved on the call.
    let ana = staffing.members.iter().find(|m| m.username == "op.ana").unwrap().id;
    let phone = s.client_phones(ordinary.id).await.unwrap()[0].clone();
    let call = s
        .start_interaction(centrala_store::interactions::Direction::Inbound, &phone, "+38733555000", Some(ordinary.id))
        .await
        .unwrap();
    s.answer_interaction(call, ana, None).await.unwrap();
    op.find(Locator::Css("#client-q")).await.unwrap().clear().await.unwrap();
    bus.publish(centrala_api::events::Event {
        company: company.id,
        staff: vec![ana],
        roles: vec![],
        kind: "call_answered",
        data: json!({"interaction": call, "caller": phone, "client": ordinary.code, "client_name": ordinary.name}),
    });
    let who = text_until(&op, "#call-who", |t| t.contains(&phone)).await;
    assert!(who.contains(&ordinary.name), "{who}");
    text_until(&op, "#card-name", |t| t.contains(&ordinary.code)).await;
    op.find(Locator::Css("#call-note")).await.unwrap().send_keys("wants delivery before 9").await.unwrap();
    set(&op, "#call-wrap", "order_taken").await;
    click(&op, "#call-note-save").await;
    text_until(&op, "#call-msg", |t| !t.is_empty()).await;
    let saved = s.interaction(call).await.unwrap().unwrap();
    assert_eq!((saved.notes.as_str(), saved.wrap_up.as_str()), ("wants delivery before 9", "order_taken"));
    // No call is live in the ACD here: the transfer says so, nothing breaks.
    click(&op, "#xfer-finance").await;
    let msg = text_until(&op, "#call-msg", |t| t.contains("no longer")).await;
    assert!(msg.contains("in progress"), "{msg}");
    shot(&op, "desk-call").await;

    // A new client called today (the desk sent it to the heads) and a
    // stranger: the head sees both calls, and may assign the client a
    // manager right there.
    use centrala_store::interactions::Direction;
    let mut newcomer = None;
    for c in s.search_clients("", None, 1000).await.unwrap().into_iter().filter(|c| c.manager.is_none()) {
        if let Some(phone) = s.client_phones(c.id).await.unwrap().into_iter().next() {
            newcomer = Some((c, phone));
            break;
        }
    }
    let (newcomer, phone) = newcomer.expect("a demo client without a manager, with a phone");
    let mut arrived = Vec::new();
    for (caller, client) in [(phone.as_str(), Some(newcomer.id)), ("+38761999000", None)] {
        let id = s.start_interaction(Direction::Inbound, caller, "+38733555000", client).await.unwrap();
        let rule = centrala_desk::routing::Rule::NewClient.into();
        s.route_interaction(id, "main", "1", centrala_domain::Intent::Order, rule, &["a new client".into()])
            .await
            .unwrap();
        arrived.push(s.interaction(id).await.unwrap().unwrap().arrived_at);
    }
    head.refresh().await.unwrap();
    let calls = text_until(&head, "#new-calls", |t| t.contains(&newcomer.code) && t.contains("unknown number")).await;
    assert!(calls.contains(&phone) && calls.contains("+38761999000") && calls.contains("on the line now"), "{calls}");
    // The time of each call is the company's (Europe/Sarajevo), not UTC.
    for at in arrived {
        let local = chrono::DateTime::parse_from_rfc3339(&at).unwrap().with_timezone(&chrono_tz::Europe::Sarajevo);
        assert!(calls.contains(&local.format("%H:%M").to_string()), "{at} shown in Sarajevo's time: {calls}");
    }
    assert_eq!(count_until(&head, "#new-calls li button.assign", 1).await, 1, "only the known client can be assigned");
    click(&head, "#new-calls li button.assign").await;
    text_until(&head, "#new-calls", |t| !t.contains("Assign")).await;
    let listed =
        text_until(&head, &format!("#new-clients li[data-code='{}']", newcomer.code), |t| !t.contains("Assign")).await;
    assert!(listed.contains("assigned to"), "the new clients' list says so too: {listed}");
    assert!(s.client_by_code(&newcomer.code).await.unwrap().unwrap().manager.is_some(), "assigned from its call");
    shot(&head, "heads-new-calls").await;

    // The head assigns a new client to a manager from the same page.
    head.refresh().await.unwrap();
    count_until(&head, "#new-clients li button.assign", 1).await;
    let code: String = serde_json::from_value(
        head.execute("return document.querySelector('#new-clients li').dataset.code;", vec![]).await.unwrap(),
    )
    .unwrap();
    click(&head, "#new-clients li button.assign").await;
    text_until(&head, &format!("#new-clients li[data-code='{code}']"), |t| t.contains(&code) && !t.contains("Assign"))
        .await;
    let assigned = s.client_by_code(&code).await.unwrap().unwrap();
    assert!(assigned.manager.is_some(), "{code} got a manager");
    shot(&head, "heads-assigned").await;

    // Administration: the head adds a price-column rule through the form.
    head.goto(&format!("{base}/admin")).await.unwrap();
    count_until(&head, "#staff-table tr", 16).await;
    // The client types are shown with their clients and traditional products.
    let key = s.client_types().await.unwrap().into_iter().find(|t| t.code == "key").unwrap();
    let row = text_until(&head, "#types-table tr[data-type='key']", |t| !t.is_empty()).await;
    assert!(row.contains(&format!("{} ", key.clients)) && row.contains(&key.traditional[0]), "{row}");
    head.find(Locator::Css("#r-name")).await.unwrap().send_keys("Browser rule").await.unwrap();
    head.find(Locator::Css("#r-type")).await.unwrap().send_keys("regional").await.unwrap();
    click(&head, "#rule-form button").await;
    text_until(&head, "#rules-table", |t| t.contains("Browser rule")).await;
    let rules = s.price_rules().await.unwrap();
    assert!(rules
        .iter()
        .any(|r| r.name == "Browser rule" && r.client_type.as_deref() == Some("regional") && r.column == 2));
    // The voice menu is shown as the API takes it; a head may look, only an
    // admin may change it (the API refuses, the page says so).
    let menu: String = serde_json::from_value(
        head.execute("return document.querySelector('#ivr-json').value;", vec![]).await.unwrap(),
    )
    .unwrap();
    assert!(menu.contains("\"main-menu\"") && menu.contains("\"complaint\""), "{menu}");
    click(&head, "#ivr-save").await;
    let refused = text_until(&head, "#ivr-msg", |t| !t.is_empty()).await;
    assert!(refused.contains("does not allow"), "{refused}");
    assert_eq!(s.ivr().await.unwrap(), None, "nothing stored");
    // The queue settings likewise: shown as they are, changed only by
    // supervisors and admins.
    let ring = head.find(Locator::Css("#q-ring")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(ring.as_deref(), Some("15"));
    click(&head, "#queue-form button").await;
    let refused = text_until(&head, "#queue-msg", |t| !t.is_empty()).await;
    assert!(refused.contains("does not allow"), "{refused}");
    assert_eq!(s.queue_settings().await.unwrap(), None, "nothing stored");
    shot(&head, "admin").await;
    head.set_window_size(390, 844).await.unwrap();
    // At phone size the page does not scroll sideways: wide tables scroll
    // inside their cards.
    assert!(!wider_than_window(&head).await, "the admin page is wider than a phone");
    shot(&head, "admin-phone").await;
    head.goto(&format!("{base}/heads")).await.unwrap();
    text_until(&head, "#live-status", |t| t.contains("live")).await;
    assert!(!wider_than_window(&head).await, "the heads' page is wider than a phone");
    shot(&head, "heads-phone").await;

    // The phone-sized screen still shows the desk.
    op.set_window_size(390, 844).await.unwrap();
    shot(&op, "desk-phone").await;

    op.close().await.unwrap();
    head.close().await.unwrap();
}

/// Whether the page scrolls sideways (it must not, even on a phone).
async fn wider_than_window(c: &Client) -> bool {
    serde_json::from_value(
        c.execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![]).await.unwrap(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_staff_and_queues_and_the_wallboard_follows_a_call_to_its_wrap_up() {
    use centrala_acd::Event;
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        centrala_store::testing::tool_missing(&format!(
            "{CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)"
        ));
        return;
    }
    let (db, company) = demo_db().await;
    let s = db.store.company(company.id);
    let (state, base) = serve(&db).await;
    let acd = state.center.acd.clone();
    let (_driver, port) = start_driver().await;
    let profiles = tempfile::tempdir().unwrap();
    let admin = browser(port, &profiles.path().join("admin")).await;
    let op = browser(port, &profiles.path().join("op")).await;

    // The login page at phone size does not scroll sideways either.
    admin.set_window_size(390, 844).await.unwrap();
    admin.goto(&format!("{base}/login")).await.unwrap();
    assert!(!wider_than_window(&admin).await, "the login page is wider than a phone");
    shot(&admin, "login-phone").await;
    admin.set_window_size(1366, 768).await.unwrap();

    // The admin adds an operator with a password, then makes them a supervisor.
    login(&admin, &base, "admin").await;
    admin.goto(&format!("{base}/admin")).await.unwrap();
    for (css, value) in [("#st-username", "op.test"), ("#st-name", "Test Operaterka"), ("#st-pass", "long-enough-1")] {
        admin.find(Locator::Css(css)).await.unwrap().send_keys(value).await.unwrap();
    }
    click(&admin, "#staff-form button").await;
    text_until(&admin, "#staff-table", |t| t.contains("op.test")).await;
    let added = s.staff_by_username("op.test").await.unwrap().unwrap();
    assert_eq!((added.role.as_str(), added.has_password, added.active), ("operator", true, true));
    admin
        .execute(
            "const s = document.querySelector('#st-id'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
            vec![json!(added.id.0.to_string())],
        )
        .await
        .unwrap();
    let filled = admin.find(Locator::Css("#st-name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(filled.as_deref(), Some("Test Operaterka"), "picking a member fills the form");
    set(&admin, "#st-role", "supervisor").await;
    click(&admin, "#staff-form button").await;
    text_until(&admin, &format!("#staff-table tr[data-id='{}']", added.id.0), |t| t.contains("supervisor")).await;
    assert_eq!(s.staff_by_username("op.test").await.unwrap().unwrap().role.as_str(), "supervisor");

    // A complaints queue taken by the new supervisor, overflowing into the
    // operators after 30 s; and 600 s of wrap-up for the operators.
    set(&admin, "#q-name", "complaints").await;
    set(&admin, "#q-members", "op.test").await;
    set(&admin, "#q-max", "30").await;
    set(&admin, "#q-overflow", "queue:operators").await;
    click(&admin, "#queue-form button").await;
    text_until(&admin, "#queues-table", |t| t.contains("complaints") && t.contains("op.test")).await;
    let named = s.named_queues().await.unwrap().unwrap();
    assert!(named.contains("\"complaints\"") && named.contains("{\"queue\":\"operators\"}"), "{named}");
    click(&admin, "tr[data-queue='operators'] .edit-queue").await;
    let name = admin.find(Locator::Css("#q-name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("operators"), "Edit fills the form with the row's queue");
    set(&admin, "#q-wrap", "600").await;
    click(&admin, "#queue-form button").await;
    text_until(&admin, "#queues-table", |t| t.contains("complaints")).await;
    assert!(s.queue_settings().await.unwrap().unwrap().contains("\"wrap_up_seconds\":600"));
    shot(&admin, "admin-queues").await;

    // op.ana has a phone and is ready on her desk; a call reaches her
    // through the ACD, she answers.
    let ana = s.staff_by_username("op.ana").await.unwrap().unwrap();
    s.set_sip_account(ana.id, "203", "0123").await.unwrap();
    login(&op, &base, "op.ana").await;
    click(&op, "#go-ready").await;
    text_until(&op, "#my-state", |t| t.contains("available")).await;
    let id = s
        .start_interaction(centrala_store::interactions::Direction::Inbound, "+38761000077", "+38733555000", None)
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    assert!(acd.arrive(centrala_center::acd::Arriving::new(company.id, id, "+38761000077", tx)).await);
    let rang = rx.recv().await;
    assert!(matches!(rang, Some(centrala_sip::Control::Ring { staff, .. }) if staff == ana.id.0), "{rang:?}");
    let contact = centrala_center::acd::task_of(id);
    acd.contact(Event::Accept { contact, agent: centrala_center::acd::agent_of(ana.id) }).await;
    s.answer_interaction(id, ana.id, None).await.unwrap();
    text_until(&op, "#my-state", |t| t.contains("on_contact")).await;

    // The wallboard shows both queues, op.ana talking, and a button to
    // listen in; the admin has no phone, so the API says so on the page.
    admin.goto(&format!("{base}/wallboard")).await.unwrap();
    let queues = text_until(&admin, "#wb-queues", |t| t.contains("operators") && t.contains("complaints")).await;
    assert!(queues.find("operators") < queues.find("complaints"), "{queues}");
    let row = "#wb-agents tr[data-agent='op.ana']".to_owned();
    text_until(&admin, &row, |t| t.contains("on_contact")).await;
    let listen = format!("{row} button.listen[data-interaction='{id}']");
    click(&admin, &listen).await;
    let said = text_until(&admin, "#wb-msg", |t| !t.is_empty()).await;
    assert!(said.contains("registered"), "{said}");
    shot(&admin, "wallboard-talking").await;

    // She hangs up: 600 s of wrap-up, shown on her desk and the wallboard,
    // until she says she is done.
    acd.contact(Event::End { contact }).await;
    text_until(&op, "#my-state", |t| t.contains("wrap_up")).await;
    text_until(&admin, &row, |t| t.contains("wrap_up")).await;
    shot(&op, "desk-wrap-up").await;
    click(&op, "#go-wrap-done").await;
    text_until(&op, "#my-state", |t| t.contains("available")).await;
    text_until(&admin, &row, |t| t.contains("available")).await;

    // Both pages at phone size: nothing scrolls sideways.
    admin.set_window_size(390, 844).await.unwrap();
    op.set_window_size(390, 844).await.unwrap();
    assert!(!wider_than_window(&admin).await, "the wallboard is wider than a phone");
    assert!(!wider_than_window(&op).await, "the desk is wider than a phone");
    shot(&admin, "wallboard-phone").await;
    shot(&op, "desk-phone-wrap-up").await;
    op.close().await.unwrap();
    admin.close().await.unwrap();
}
