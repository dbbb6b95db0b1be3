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
use chrono::{Datelike, NaiveDate};
#[path = "common/chromium.rs"]
mod chromium;

use chromium::{browser, free_port, have_chromium, start_driver};
use fantoccini::{Client, Locator};
use serde_json::json;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
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

/// Logs in on the login page in `lang` (as chosen there): it becomes the
/// member's own for every page.
async fn login(c: &Client, base: &str, user: &str, lang: &str) {
    c.goto(&format!("{base}/login?lang={lang}")).await.unwrap();
    assert_eq!(page_lang(c).await, lang, "the login page speaks the chosen language");
    c.find(Locator::Css("#company")).await.unwrap().send_keys("demo").await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("demo").await.unwrap();
    shot(c, &format!("login-{user}")).await;
    click(c, "#login-form button").await;
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#logout")).await.unwrap();
    assert_eq!(page_lang(c).await, lang, "{user}'s pages speak the language chosen at login");
}

async fn page_lang(c: &Client) -> String {
    serde_json::from_value(c.execute("return document.documentElement.lang;", vec![]).await.unwrap()).unwrap()
}

/// Types into whatever has the focus, as a person at the keyboard does
/// (WebDriver key codes: `\u{E007}` Enter, `\u{E004}` Tab, `\u{E00A}`
/// Alt held until `\u{E000}`).
async fn keys(c: &Client, text: &str) {
    // The focused element may be redrawn under us (a list re-rendered after
    // the last answer): then the keys go to what has the focus now.
    let mut last = None;
    for _ in 0..50 {
        match c.active_element().await.unwrap().send_keys(text).await {
            Ok(()) => return,
            Err(e) => last = Some(e.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not type {text:?}: {last:?}");
}

async fn alt(c: &Client, key: &str) {
    keys(c, &format!("\u{E00A}{key}\u{E000}")).await;
}

async fn focused_id(c: &Client) -> String {
    serde_json::from_value(
        c.execute("return document.activeElement ? document.activeElement.id : '';", vec![]).await.unwrap(),
    )
    .unwrap()
}

/// axe-core (from the npm registry: `tools/fetch-axe.sh`, run by `.ci/run`).
fn axe_source() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/axe.min.js");
    std::fs::read_to_string(path).ok()
}

/// Checks the page as it is now: no serious or critical accessibility
/// violation (axe-core, in the browser), no untranslated key (`⟦key⟧`),
/// no raw code (`not_ready`, `on_contact`…) in the text a person reads;
/// and keeps a screenshot.
async fn check_page(c: &Client, name: &str) {
    shot(c, name).await;
    // The text a person reads: visible text nodes, except identifiers
    // marked `translate="no"` (codes a company gave its own data).
    let text: String = serde_json::from_value(
        c.execute(
            "const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); const out = [];
             while (w.nextNode()) {
               const p = w.currentNode.parentElement;
               if (!p || p.closest('[translate=\"no\"], script, style') || !p.checkVisibility()) continue;
               out.push(w.currentNode.nodeValue);
             }
             return out.join(' ');",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert!(!text.contains('⟦'), "{name}: an untranslated key: {text}");
    let raw: Vec<&str> = text
        .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .filter(|w| w.contains('_') && w.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        .collect();
    assert!(raw.is_empty(), "{name}: raw codes reach the page: {raw:?}");
    let Some(axe) = axe_source() else {
        centrala_store::testing::tool_missing("target/tools/axe.min.js is not there (tools/fetch-axe.sh)");
        return;
    };
    // Run as the script itself: it sets `window.axe`.
    c.execute(&format!("if (!window.axe) {{ {axe} }}"), vec![]).await.unwrap();
    let found: Vec<String> = serde_json::from_value(
        c.execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert!(found.is_empty(), "{name}: accessibility violations: {found:#?}");
}

/// Finds and clicks, again while the page re-renders the element under us
/// (a stale reference means the list was redrawn between find and click).
async fn click(c: &Client, css: &str) {
    let mut last = None;
    for _ in 0..150 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(err) => {
                    // Under the desk's sticky bar (the agent's state and the
                    // call): scrolled to the bottom of the window, as a
                    // person would, then tried again.
                    if err.to_string().contains("click intercepted") {
                        let js = "document.querySelector(arguments[0]).scrollIntoView({block: 'end'});";
                        let _ = c.execute(js, vec![json!(css)]).await;
                    }
                    last = Some(err.to_string())
                }
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
async fn an_operator_takes_an_order_by_keyboard_in_bosnian_and_the_heads_and_finance_keep_the_day() {
    if !have_chromium() {
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
        let history = !s
            .orders(&OrderFilter { client: Some(c.id), status: None, taken_by: None, limit: 1 })
            .await
            .unwrap()
            .is_empty();
        if c.manager == Some(emir) && c.client_type == "retail" && authorized && history {
            if debt.blocked() && debt.overdue.0 > 0 {
                blocked.get_or_insert(c);
            } else if !debt.blocked() {
                ordinary.get_or_insert(c);
            }
        }
    }
    let (ordinary, blocked) = (ordinary.unwrap(), blocked.unwrap());
    let products = s.products("", 2000, 0).await.unwrap();
    assert!(products.iter().filter(|p| p.name.starts_with("Jelen")).count() > 1, "several sizes of Jelen");
    let other = products.iter().find(|p| p.stock.0 > 0 && p.unit == "case" && !p.name.starts_with("Jelen")).unwrap();
    let (state, base) = serve(&db).await;
    let bus = state.center.events.clone();

    let (_driver, port) = start_driver().await;
    let profiles = tempfile::tempdir().unwrap();
    let head = browser(port, &profiles.path().join("head")).await;
    let op = browser(port, &profiles.path().join("op")).await;
    let fin = browser(port, &profiles.path().join("fin")).await;

    // The login page offers the languages; in Bosnian it speaks Bosnian.
    op.goto(&format!("{base}/login?lang=bs")).await.unwrap();
    text_until(&op, "#login-form button", |t| t == "Prijavi se").await;
    check_page(&op, "login-bs").await;
    // Choosing another language there shows the page in it.
    op.execute(
        "const s = document.querySelector('#login-lang'); s.value = 'sr'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    text_until(&op, "#login-form button", |t| t == "Пријави се").await;
    assert_eq!(page_lang(&op).await, "sr");

    // The head of sales North logs in in Bosnian and keeps the day open.
    login(&head, &base, "head.north", "bs").await;
    assert!(head.current_url().await.unwrap().path().ends_with("/heads"));
    text_until(&head, "#live-status", |t| t.contains("uživo")).await;
    assert_eq!(s.staff_by_username("head.north").await.unwrap().unwrap().locale, "bs", "her language is kept");

    // The operator logs in, and from here on works by keyboard only.
    login(&op, &base, "op.ana", "bs").await;
    assert!(op.current_url().await.unwrap().path().ends_with("/desk"));
    assert_eq!(focused_id(&op).await, "client-q", "the search has the focus");
    // The desk says whether a call can ring her: no phone yet.
    text_until(&op, "#my-phone", |t| t == "☎ nema telefona: dodaje ga administrator").await;
    alt(&op, "r").await;
    let ready = text_until(&op, "#my-state", |t| t == "spreman").await;
    assert_eq!(ready, "spreman");
    // `?` (typed anywhere but in a field) lists the shortcuts; Escape closes.
    op.execute("document.querySelector('#go-ready').focus();", vec![]).await.unwrap();
    keys(&op, "?").await;
    let open = op.find(Locator::Css("#help")).await.unwrap().attr("open").await.unwrap();
    assert!(open.is_some(), "the shortcuts' list is open");
    let list = text_until(&op, "#help", |t| t.contains("Alt+N")).await;
    assert!(list.contains("Nova narudžba za otvorenog klijenta"), "{list}");
    check_page(&op, "desk-shortcuts").await;
    keys(&op, "\u{E00C}").await;
    alt(&op, "k").await;
    assert_eq!(focused_id(&op).await, "client-q");
    keys(&op, &format!("{}\u{E007}", ordinary.code)).await;
    let name = text_until(&op, "#card-name", |t| t.contains(&ordinary.code)).await;
    assert!(name.contains(&ordinary.name));
    assert!(op.find(Locator::Css("#card-blocked")).await.is_err(), "an ordinary client is not blocked");
    count_until(&op, "#card-history tbody tr", 1).await;
    let card = text_until(&op, "#card", |t| t.contains("KM")).await;
    assert!(card.contains("maloprodaja") && card.contains("Emir Softić"), "type and manager in words: {card}");
    // Information goes by default to the card's address; its contacts'
    // addresses are offered beside it.
    let offered: Vec<String> = serde_json::from_value(
        op.execute("return [...document.querySelectorAll('#ref-to-list option')].map(o => o.value);", vec![])
            .await
            .unwrap(),
    )
    .unwrap();
    let mut addresses = vec![ordinary.email.clone()];
    addresses.extend(s.contacts(ordinary.id).await.unwrap().into_iter().map(|k| k.email).filter(|e| !e.is_empty()));
    assert_eq!(offered, addresses);

    // Alt+N: a new order, the product field has the focus.
    alt(&op, "n").await;
    text_until(&op, "#order-no", |t| t.starts_with("D-")).await;
    for _ in 0..50 {
        if focused_id(&op).await == "sku" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(focused_id(&op).await, "sku");
    // "Jelen" matches several sizes: Enter shows the choices, the first has
    // the focus, Enter takes it.
    keys(&op, "Jelen\u{E007}").await;
    count_until(&op, "#sku-choices li button", 2).await;
    for _ in 0..50 {
        let on: String = serde_json::from_value(
            op.execute("return document.activeElement.dataset.sku || '';", vec![]).await.unwrap(),
        )
        .unwrap();
        if !on.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    keys(&op, "\u{E007}").await;
    count_until(&op, "#lines tbody tr", 1).await;
    assert_eq!(focused_id(&op).await, "sku", "back at the product field");
    // A case is sold whole: 1,5 is refused beside the quantity, nothing saved.
    keys(&op, &format!("{}\u{E004}\u{E009}a\u{E000}1,5\u{E007}", other.sku)).await;
    let err = text_until(&op, "#err-quantity", |t| !t.is_empty()).await;
    assert!(err.contains("cijelim jedinicama") && err.contains("1.5"), "{err}");
    let invalid = op.find(Locator::Css("#qty")).await.unwrap().attr("aria-invalid").await.unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(
        op.find(Locator::Css("#order-msg")).await.unwrap().text().await.unwrap().is_empty(),
        "said once, beside the field"
    );
    let draft = s
        .orders(&OrderFilter {
            client: Some(ordinary.id),
            status: Some(centrala_desk::order::OrderStatus::Draft),
            taken_by: None,
            limit: 5,
        })
        .await
        .unwrap()[0]
        .id;
    assert_eq!(s.order(draft).await.unwrap().unwrap().lines.len(), 1, "nothing half-written");
    keys(&op, "\u{E009}a\u{E000}2\u{E007}").await;
    count_until(&op, "#lines tbody tr", 2).await;
    text_until(&op, "#err-quantity", |t| t.is_empty()).await;
    let lines = text_until(&op, "#lines", |t| t.contains(&other.sku)).await;
    assert!(
        lines.contains("Šifra") && lines.contains("Na stanju") && lines.contains("KM"),
        "headers, stock, currency: {lines}"
    );
    assert_eq!(s.order(draft).await.unwrap().unwrap().lines.len(), 2);

    // The recommendations, each with its reason in words.
    count_until(&op, "#recos li", 4).await;
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
    let recos = text_until(&op, "#recos", |t| t.contains("novo u asortimanu")).await;
    assert!(recos.contains("tradicionalno za klijente tipa maloprodaja"), "{recos}");
    text_until(&op, "#offer-counter", |t| t.contains("0 / 3")).await;
    // Alt+A asks how much (what the client usually takes), Enter takes it;
    // Alt+D twice declines the next two.
    alt(&op, "a").await;
    for _ in 0..50 {
        let class: String =
            serde_json::from_value(op.execute("return document.activeElement.className || '';", vec![]).await.unwrap())
                .unwrap();
        if class == "offer-qty" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    keys(&op, "\u{E007}").await;
    text_until(&op, "#offer-counter", |t| t.contains("1 / 3")).await;
    alt(&op, "d").await;
    text_until(&op, "#offer-counter", |t| t.contains("2 / 3")).await;
    alt(&op, "d").await;
    text_until(&op, "#offer-counter", |t| t.contains("3 / 3")).await;
    count_until(&op, "#lines tbody tr", 3).await;
    check_page(&op, "desk-order").await;

    // Alt+Enter with no delivery terms: each field at fault is marked with
    // its message beside it, and the summary is said once.
    alt(&op, "\u{E007}").await;
    let date_err = text_until(&op, "#err-date", |t| !t.is_empty()).await;
    assert_eq!(date_err, "Popunite ovo polje.");
    text_until(&op, "#err-window_from", |t| t == "Popunite ovo polje.").await;
    let summary = text_until(&op, "#order-msg", |t| !t.is_empty()).await;
    assert_eq!(summary, "Provjerite označene uslove isporuke.");
    let marked = op.find(Locator::Css("label[data-field='date']")).await.unwrap().attr("class").await.unwrap();
    assert!(marked.unwrap_or_default().contains("invalid"));
    shot(&op, "desk-field-errors").await;
    // A day in the past: only that is wrong now; the rest is cleared.
    set(&op, "#d-date", "2026-11-20").await;
    set(&op, "#d-from", "08:00").await;
    set(&op, "#d-to", "11:00").await;
    alt(&op, "\u{E007}").await;
    text_until(&op, "#err-date", |t| t.contains("u prošlosti")).await;
    text_until(&op, "#err-window_from", |t| t.is_empty()).await;
    set(&op, "#d-date", "2026-11-30").await;
    alt(&op, "\u{E007}").await;
    let done = text_until(&op, "#order-msg", |t| t.contains("potvrđena")).await;
    let order_no: String = serde_json::from_value(
        op.execute("return document.querySelector('#order-msg').dataset.order;", vec![]).await.unwrap(),
    )
    .unwrap();
    assert!(done.starts_with(&format!("Narudžba {order_no} potvrđena — poslana: ")), "{done}");
    assert!(done.contains("Emir Softić") && done.contains("Mirza Delić"), "says to whom: {done}");
    text_until(&op, "#order-status", |t| t == "potvrđena").await;
    assert!(
        !op.find(Locator::Css("#line-form")).await.unwrap().is_displayed().await.unwrap(),
        "a confirmed order is read-only"
    );
    let confirmed = s.order(draft).await.unwrap().unwrap();
    assert_eq!(
        (confirmed.summary.order_no.as_str(), confirmed.summary.status.as_str()),
        (order_no.as_str(), "confirmed")
    );
    assert_eq!(confirmed.lines.len(), 3);

    // It arrives live on the head's page, and a reload keeps it (from the
    // store), at the company's time, in KM.
    let live = text_until(&head, "#live-orders", |t| t.contains(&order_no)).await;
    assert!(live.contains(&ordinary.name), "{live}");
    head.refresh().await.unwrap();
    let row = text_until(&head, &format!("#live-orders tr[data-order='{order_no}']"), |t| t.contains("KM")).await;
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Sarajevo);
    let minutes = [now - chrono::Duration::minutes(1), now].map(|t| t.format("%H:%M").to_string());
    assert!(minutes.iter().any(|m| row.contains(m.as_str())), "confirmed at {minutes:?} Sarajevo time: {row}");
    assert!(row.contains("potvrđena") && row.contains("op.ana") && row.contains(&ordinary.name), "{row}");
    check_page(&head, "heads-day").await;
    // The head opens it and marks it shipped; the day shows it so.
    click(&head, &format!("#live-orders tr[data-order='{order_no}'] a")).await;
    text_until(&head, "#order-state", |t| t == "potvrđena").await;
    check_page(&head, "order-page").await;
    click(&head, "#order-moves button[data-to='shipped']").await;
    text_until(&head, "#order-state", |t| t == "otpremljena").await;
    head.goto(&format!("{base}/heads")).await.unwrap();
    text_until(&head, &format!("#live-orders tr[data-order='{order_no}'] .status"), |t| t == "otpremljena").await;

    // A claim raised from the card goes to the client's department: its
    // head has it on her page, with its due time in Sarajevo's.
    text_until(&op, "#case-title", |t| t == "Otvori predmet").await;
    set(&op, "#case-category", "claim").await;
    set(&op, "#case-subject", "Dvije gajbe razbijene").await;
    click(&op, "#case-form button[type='submit']").await;
    let msg = text_until(&op, "#case-msg", |t| t.starts_with("Predmet ")).await;
    assert!(msg.contains("je kod odjela, rok"), "{msg}");
    check_page(&op, "desk-case").await;
    let case = s.cases(&centrala_store::cases::CaseFilter { limit: 5, ..Default::default() }).await.unwrap().remove(0);
    assert_eq!(
        (case.subject.as_str(), case.client, case.raised_by.as_str()),
        ("Dvije gajbe razbijene", Some(ordinary.id), "op.ana")
    );
    head.goto(&format!("{base}/heads")).await.unwrap();
    let row = text_until(&head, "#open-cases tbody tr", |t| t.contains("Dvije gajbe")).await;
    assert!(row.contains("Reklamacija") && row.contains(&ordinary.name) && row.contains("Otvoren"), "{row}");
    let due = chrono::DateTime::parse_from_rfc3339(&case.due_at).unwrap().with_timezone(&chrono_tz::Europe::Sarajevo);
    assert!(row.contains(&due.format("%H:%M").to_string()), "due in Sarajevo's time: {row}");
    check_page(&head, "heads-cases").await;

    // The card's history has it; Repeat makes a new draft of its lines.
    alt(&op, "k").await;
    keys(&op, &format!("\u{E009}a\u{E000}{}\u{E007}", ordinary.code)).await;
    text_until(&op, &format!("#card-history tr[data-order='{order_no}']"), |t| t.contains("otpremljena")).await;
    click(&op, &format!("#card-history tr[data-order='{order_no}'] button.repeat")).await;
    let again = text_until(&op, "#order-no", |t| t.starts_with("D-") && t != order_no).await;
    text_until(&op, "#order-status", |t| t == "u izradi").await;
    count_until(&op, "#lines tbody tr:nth-child(3)", 1).await;
    text_until(&op, "#recos", |t| !t.is_empty()).await;
    let repeated =
        s.orders(&OrderFilter { client: Some(ordinary.id), status: None, taken_by: None, limit: 1 }).await.unwrap();
    assert_eq!(repeated[0].order_no, again);
    assert_eq!(s.order(repeated[0].id).await.unwrap().unwrap().lines.len(), 3, "the same lines again");

    // A blocked client: the card shows the block, its overdue invoices with
    // days late, and an operator may not take the order.
    alt(&op, "k").await;
    keys(&op, &format!("\u{E009}a\u{E000}{}\u{E007}", blocked.code)).await;
    let block = text_until(&op, "#card-blocked", |t| t.contains("BLOKIRAN")).await;
    assert!(block.contains("Emir Softić") && block.contains("KM"), "whom to transfer to, how much: {block}");
    let late = count_until(&op, "#card-invoices tr.late", 1).await;
    assert!(late >= 1);
    alt(&op, "n").await;
    let err = text_until(&op, "#card-error", |t| !t.is_empty()).await;
    assert!(err.contains("blokiran zbog duga") && err.contains("prebacite poziv"), "{err}");
    assert!(
        !op.find(Locator::Css("#override")).await.unwrap().is_displayed().await.unwrap(),
        "no override for an operator"
    );
    check_page(&op, "desk-blocked").await;

    // Somebody no search finds is registered as a new client from the
    // desk (OD-15): a code, no manager, the heads will assign one.
    alt(&op, "k").await;
    keys(&op, "\u{E009}a\u{E000}Čaršija Pekara Nova\u{E007}").await;
    text_until(&op, "#client-results", |t| t.contains("Nema takvog klijenta")).await;
    click(&op, "#register-open").await;
    set(&op, "#rg-phone", "033 999 111").await;
    set(&op, "#rg-region", "Sarajevo").await;
    assert_eq!(focused_id(&op).await, "rg-name");
    let typed: String =
        serde_json::from_value(op.execute("return document.querySelector('#rg-name').value;", vec![]).await.unwrap())
            .unwrap();
    assert_eq!(typed, "Čaršija Pekara Nova", "what was searched for is the name");
    keys(&op, "\u{E007}").await;
    let registered = text_until(&op, "#register-msg", |t| t.contains("upisan kao N")).await;
    let code = registered.split("upisan kao ").nth(1).unwrap().split(':').next().unwrap().to_owned();
    text_until(&op, "#card-name", |t| t.contains(&code)).await;
    text_until(&op, "#card", |t| t.contains("Novi klijent")).await;
    let new_client = s.client_by_code(&code).await.unwrap().unwrap();
    assert_eq!(
        (new_client.name.as_str(), new_client.manager, new_client.region.as_str()),
        ("Čaršija Pekara Nova", None, "Sarajevo")
    );
    assert_eq!(s.client_by_phone("+38733999111").await.unwrap().map(|c| c.code), Some(code.clone()));
    // Typed without the diacritics and with a typo ("pekra"), the search
    // finds the name that starts with Č (and opens it: the only match).
    alt(&op, "k").await;
    keys(&op, "\u{E009}a\u{E000}carsija pekra\u{E007}").await;
    text_until(&op, "#client-results", |t| t.contains("Čaršija Pekara Nova")).await;
    text_until(&op, "#card-name", |t| t.contains(&code)).await;

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
    count_until(&op, &format!("#card-interactions li[data-interaction='{call}']"), 1).await;
    alt(&op, "b").await;
    keys(&op, "želi isporuku prije 9").await;
    set(&op, "#call-wrap", "order_taken").await;
    click(&op, "#call-note-save").await;
    text_until(&op, "#call-msg", |t| t == "Bilješke sačuvane").await;
    let saved = s.interaction(call).await.unwrap().unwrap();
    assert_eq!((saved.notes.as_str(), saved.wrap_up.as_str()), ("želi isporuku prije 9", "order_taken"));
    // Whom she may put the caller through to says, before she tries, who
    // can take it: nobody's phone is registered here.
    let finance = text_until(&op, "#xfer-finance", |t| t.contains("Amra Finansić")).await;
    assert_eq!(finance, "Finansijama: Amra Finansić — telefon nije registrovan");
    let off = op.find(Locator::Css("#xfer-finance")).await.unwrap().attr("disabled").await.unwrap();
    assert!(off.is_some(), "a target that cannot ring is not offered");
    let others: String = serde_json::from_value(
        op.execute("return document.querySelector('#xfer-other').innerText;", vec![]).await.unwrap(),
    )
    .unwrap();
    assert!(others.contains("Emir Softić — telefon nije registrovan"), "{others}");
    // No call is live in the ACD here: holding it says so, in Bosnian.
    click(&op, "#call-hold").await;
    text_until(&op, "#call-msg", |t| t == "Poziv više nije u toku.").await;
    // The desk at its fullest: the call up, the card and an order open.
    alt(&op, "n").await;
    text_until(&op, "#order-status", |t| t == "u izradi").await;
    count_until(&op, "#recos li", 1).await;
    check_page(&op, "desk-call").await;
    // The knowledge base without searching: the retail client's article is
    // suggested for the call. Alt+Z searches, typed without diacritics; the
    // article opens rendered, and a reader says whether it helped.
    let why = text_until(&op, "#kb-suggest", |t| t.contains("Povratna ambalaža za pivo")).await;
    assert!(why.contains("za ovu vrstu klijenta"), "{why}");
    alt(&op, "z").await;
    assert_eq!(focused_id(&op).await, "kb-q");
    keys(&op, "povratne gajbe").await;
    let found = text_until(&op, "#kb-results", |t| t.contains("Povratna ambalaža za pivo")).await;
    assert!(found.contains("gajbama"), "a snippet around the words: {found}");
    // (Scrolled to the bottom of the window: the call's bar stays on top.)
    op.execute("document.querySelector('#kb-results li button.link').scrollIntoView({block: 'end'});", vec![])
        .await
        .unwrap();
    click(&op, "#kb-results li button.link").await;
    text_until(&op, "#kb-a-body", |t| t.contains("povratnim gajbama")).await;
    click(&op, "#kb-helpful").await;
    text_until(&op, "#kb-feedback-msg", |t| t == "Hvala.").await;
    check_page(&op, "desk-kb").await;
    // Nothing found: one click asks the editors, with the call.
    alt(&op, "z").await;
    keys(&op, "\u{E009}a\u{E000}xyzzy kvrc").await;
    text_until(&op, "#kb-nothing p", |t| t == "Ništa nije nađeno.").await;
    click(&op, "#kb-ask").await;
    text_until(&op, "#kb-msg", |t| t == "Urednici su dobili vaše pitanje.").await;
    let asked = s.kb_requests(true, 5).await.unwrap();
    assert_eq!((asked[0].query.as_str(), asked[0].interaction_id), ("xyzzy kvrc", Some(call.0)));

    // Finance lands on the receivables, opens the blocked client and takes
    // the order with a written reason (OD-6).
    login(&fin, &base, "fin.amra", "bs").await;
    assert!(fin.current_url().await.unwrap().path().ends_with("/finance"));
    text_until(&fin, &format!("#debtors tr[data-client='{}']", blocked.code), |t| t.contains("BLOKIRAN")).await;
    check_page(&fin, "finance").await;
    click(&fin, &format!("#debtors tr[data-client='{}'] a", blocked.code)).await;
    text_until(&fin, "#card-blocked", |t| t.contains("BLOKIRAN")).await;
    click(&fin, "#new-order").await;
    let refused = text_until(&fin, "#card-error", |t| !t.is_empty()).await;
    assert!(refused.contains("uz pisani razlog"), "{refused}");
    set(&fin, "#override-reason", "kratko").await;
    fin.execute("document.querySelector('#override').requestSubmit();", vec![]).await.unwrap();
    text_until(&fin, "#override .field-error", |t| t == "Napišite najmanje 10 znakova.").await;
    set(&fin, "#override-reason", "Klijent je platio jučer, uplata stiže u ponedjeljak").await;
    click(&fin, "#override-submit").await;
    text_until(&fin, "#order-no", |t| t.starts_with("D-")).await;
    let taken = s
        .orders(&OrderFilter {
            client: Some(blocked.id),
            status: Some(centrala_desk::order::OrderStatus::Draft),
            taken_by: None,
            limit: 5,
        })
        .await
        .unwrap();
    let taken = s.order(taken[0].id).await.unwrap().unwrap();
    assert_eq!(taken.override_reason.as_deref(), Some("Klijent je platio jučer, uplata stiže u ponedjeljak"));
    check_page(&fin, "desk-override").await;

    // A new client called today (the desk sent it to the heads) and a
    // stranger: the head sees both calls, and may assign the client a
    // manager right there — nobody is preselected.
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
    let calls = text_until(&head, "#new-calls", |t| t.contains(&newcomer.code) && t.contains("nepoznat broj")).await;
    text_until(&head, &format!("#new-clients li[data-code='{code}']"), |t| t.contains("Čaršija Pekara Nova")).await;
    assert!(calls.contains(&phone) && calls.contains("+38761999000") && calls.contains("upravo na vezi"), "{calls}");
    for at in arrived {
        let local = chrono::DateTime::parse_from_rfc3339(&at).unwrap().with_timezone(&chrono_tz::Europe::Sarajevo);
        assert!(calls.contains(&local.format("%H:%M").to_string()), "{at} shown in Sarajevo's time: {calls}");
    }
    assert_eq!(count_until(&head, "#new-calls li button.assign", 1).await, 1, "only the known client can be assigned");
    let disabled =
        head.find(Locator::Css("#new-calls li button.assign")).await.unwrap().attr("disabled").await.unwrap();
    assert!(disabled.is_some(), "nobody is chosen for the head");
    let first: String = serde_json::from_value(
        head.execute("return document.querySelector('#new-calls li select optgroup').label;", vec![]).await.unwrap(),
    )
    .unwrap();
    assert_eq!(first, "Moj odjel", "the head's own department's managers first");
    head.execute(
        "const s = document.querySelector('#new-calls li select'); s.value = 'mgr.emir'; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    click(&head, "#new-calls li button.assign").await;
    text_until(&head, "#new-calls", |t| !t.contains("Dodijeli")).await;
    let listed =
        text_until(&head, &format!("#new-clients li[data-code='{}']", newcomer.code), |t| !t.contains("Dodijeli"))
            .await;
    assert!(listed.contains("dodijeljen: Emir Softić"), "the new clients' list says so too: {listed}");
    assert_eq!(s.client_by_code(&newcomer.code).await.unwrap().unwrap().manager, Some(emir), "assigned from its call");
    let width: f64 = serde_json::from_value(
        head.execute(
            "const b = document.querySelector('#new-clients li button.assign'); return b ? b.getBoundingClientRect().width : 0;",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert!(width < 300.0, "the Assign button is a button, not a bar: {width}px");
    check_page(&head, "heads-new-calls").await;

    // Administration: the head adds a price-column rule through the form;
    // the voice menu and queues she may look at but not change (the API
    // refuses, the page says so in Bosnian).
    head.goto(&format!("{base}/admin")).await.unwrap();
    count_until(&head, "#staff-table tbody tr", 16).await;
    let key = s.client_types().await.unwrap().into_iter().find(|t| t.code == "key").unwrap();
    let row = text_until(&head, "#types-table tr[data-type='key']", |t| !t.is_empty()).await;
    assert!(row.contains("ključni klijent") && row.contains(&key.traditional[0]), "{row}");
    check_page(&head, "admin").await;
    head.find(Locator::Css("#r-name")).await.unwrap().send_keys("Pravilo iz preglednika").await.unwrap();
    set(&head, "#r-type", "regional").await;
    click(&head, "#rule-form button").await;
    text_until(&head, "#rules-table", |t| t.contains("Pravilo iz preglednika")).await;
    assert!(s
        .price_rules()
        .await
        .unwrap()
        .iter()
        .any(|r| r.name == "Pravilo iz preglednika" && r.client_type.as_deref() == Some("regional") && r.column == 2));
    click(&head, "#ivr-save").await;
    text_until(&head, "#ivr-msg", |t| t == "Vaša uloga ovo ne dozvoljava.").await;
    assert_eq!(s.ivr().await.unwrap(), None, "nothing stored");
    click(&head, "#queue-form button[type='submit']").await;
    text_until(&head, "#queue-msg", |t| t == "Vaša uloga ovo ne dozvoljava.").await;
    assert_eq!(s.queue_settings().await.unwrap(), None, "nothing stored");

    // Emir, the manager, lands on his day: his clients with what they owe
    // (the blocked one marked), his clients' orders under way, his calls.
    let his = s
        .start_interaction(
            centrala_store::interactions::Direction::Inbound,
            "+38761555444",
            "+38733555000",
            Some(ordinary.id),
        )
        .await
        .unwrap();
    s.answer_interaction(his, emir, None).await.unwrap();
    fin.goto(&format!("{base}/")).await.unwrap();
    click(&fin, "#logout").await;
    fin.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#login-form")).await.unwrap();
    login(&fin, &base, "mgr.emir", "bs").await;
    assert!(fin.current_url().await.unwrap().path().ends_with("/heads"));
    text_until(&fin, &format!("#my-clients tr[data-client='{}']", blocked.code), |t| t.contains("BLOKIRAN")).await;
    text_until(&fin, &format!("#my-clients tr[data-client='{}']", ordinary.code), |t| t.contains("u rokovima")).await;
    text_until(&fin, &format!("#my-orders tr[data-order='{order_no}']"), |t| t.contains("otpremljena")).await;
    text_until(&fin, &format!("#my-orders tr[data-order='{again}']"), |t| t.contains("u izradi")).await;
    text_until(&fin, &format!("#my-calls li[data-interaction='{his}']"), |t| t.contains(&ordinary.code)).await;
    check_page(&fin, "manager-day").await;

    // A head builds a reactivation campaign on her page (the dormant
    // clients of a type and region) and starts it; it reaches the
    // operator's desk (preview): the script, the client's card; she opens
    // an order and records "naručio" with it; the head's page shows it live.
    {
        use centrala_desk::campaign::dormant_since;
        // A type and region whose longest-dormant client may order.
        let cutoff = dormant_since(today());
        let mut pick = None;
        for (id, _) in s.reactivation_candidates(cutoff, None, None).await.unwrap() {
            let c = s.client(id).await.unwrap().unwrap();
            let list = s.reactivation_candidates(cutoff, Some(&c.client_type), Some(&c.region)).await.unwrap();
            let first = s.client(list[0].0).await.unwrap().unwrap();
            let debt = debt_status(&s.open_receivables(first.id).await.unwrap(), first.credit_limit, today());
            if !debt.blocked() {
                let second = match list.get(1) {
                    Some((id, _)) => Some(s.client(*id).await.unwrap().unwrap().code),
                    None => None,
                };
                pick = Some((c.client_type.clone(), c.region.clone(), first, list.len(), second));
                break;
            }
        }
        let (client_type, region, dormant, n, second) = pick.expect("the demo has an orderable dormant client");
        head.goto(&format!("{base}/heads")).await.unwrap();
        click(&head, "#camp-new summary").await;
        set(&head, "#cf-name", "Provjera zaliha").await;
        set(&head, "#cf-kind", "reactivation").await;
        set(&head, "#cf-script", "Pitajte treba li im pivo za vikend.").await;
        head.execute(
            "for (const o of document.querySelector('#cf-agents').options) o.selected = o.value === 'op.ana';",
            vec![],
        )
        .await
        .unwrap();
        set(&head, "#cf-type", &client_type).await;
        set(&head, "#cf-region", &region).await;
        head.execute("document.querySelector('#camp-create').requestSubmit();", vec![]).await.unwrap();
        text_until(&head, "#cf-msg", |t| t == format!("Napravljena. Klijenata za pozvati: {n}.")).await;
        let camp = s.campaigns().await.unwrap().remove(0);
        assert_eq!(
            (camp.created_by.as_str(), camp.input.agents.clone(), camp.input.kind, camp.input.mode),
            (
                "head.north",
                vec!["op.ana".to_owned()],
                centrala_desk::campaign::Kind::Reactivation,
                centrala_desk::campaign::Mode::Preview
            )
        );
        let row = format!("#campaigns tr[data-campaign='{}']", camp.id);
        text_until(&head, &row, |t| t.contains("Provjera zaliha") && t.contains("u pripremi")).await;
        click(&head, &format!("{row} button.start")).await;
        text_until(&head, &format!("{row} .status"), |t| t == "u toku").await;
        check_page(&head, "heads-campaigns").await;
        click(&op, "#camp-next").await;
        text_until(&op, "#camp-title", |t| t == "Kampanja: Provjera zaliha").await;
        text_until(&op, "#camp-script", |t| t == "Pitajte treba li im pivo za vikend.").await;
        text_until(&op, "#card-name", |t| t.contains(&dormant.code)).await;
        text_until(&op, "#camp-target", |t| t.contains(&dormant.code) && t.contains("zadnja narudžba")).await;
        alt(&op, "n").await;
        text_until(&op, "#order-status", |t| t == "u izradi").await;
        let options = text_until(&op, "#camp-result", |t| t.contains("naručio")).await;
        assert!(options.contains("pozvati kasnije") && !options.contains("call_later"), "{options}");
        set(&op, "#camp-result", "ordered").await;
        set(&op, "#camp-notes", "uzima 10 gajbi").await;
        check_page(&op, "desk-campaign").await;
        op.execute("document.querySelector('#camp-form').requestSubmit();", vec![]).await.unwrap();
        text_until(&op, "#camp-msg", |t| t == "Ishod sačuvan.").await;
        let t = s.campaign_targets(camp.id).await.unwrap().remove(0);
        let opened = s
            .orders(&OrderFilter { client: Some(dormant.id), status: None, taken_by: Some(ana), limit: 1 })
            .await
            .unwrap();
        assert_eq!((t.outcome.as_str(), t.notes.as_str(), t.order), ("ordered", "uzima 10 gajbi", Some(opened[0].id)));
        // The next dormant client follows, or the panel says there is none.
        click(&op, "#camp-next").await;
        match &second {
            Some(code) => text_until(&op, "#camp-target", |t| t.contains(code.as_str())).await,
            None => text_until(&op, "#camp-msg", |t| t == "Trenutno nemate poziva kampanje.").await,
        };
        // The head saw it happen, without reloading.
        text_until(&head, &format!("{row} .outcomes"), |t| t == "naručio: 1").await;
        text_until(&head, &format!("{row} .progress"), |t| t == format!("1 od {n} gotovo · narudžbi: 1")).await;
    }

    // The order desk's figures on the heads' page: op.ana's orders of the
    // days around today (by the wall clock, as the store's instants are),
    // as many as she confirmed, and the company's row.
    {
        let wall = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Sarajevo).date_naive();
        let mut confirmed = 0;
        for o in s.orders(&OrderFilter { client: None, status: None, taken_by: Some(ana), limit: 1000 }).await.unwrap()
        {
            confirmed += s.order_events(o.id).await.unwrap().iter().filter(|e| e.kind == "confirmed").count();
        }
        assert!(confirmed > 0, "op.ana confirmed orders earlier in this test");
        head.goto(&format!("{base}/heads")).await.unwrap();
        set(&head, "#rep-from", &wall.pred_opt().unwrap().to_string()).await;
        set(&head, "#rep-to", &wall.succ_opt().unwrap().to_string()).await;
        set(&head, "#rep-interval", "month").await;
        head.execute("document.querySelector('#rep-form').requestSubmit();", vec![]).await.unwrap();
        let total = text_until(&head, "#rep-table tr.total", |t| t.contains("Firma")).await;
        // Her rows (one per month the days fall in): their orders add up.
        let rows = head
            .execute(
                "return Array.from(document.querySelectorAll(\"#rep-table tr[data-agent='op.ana']\")).map((tr) => Array.from(tr.cells).map((td) => td.textContent));",
                vec![],
            )
            .await
            .unwrap();
        let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
        assert!(!rows.is_empty() && rows.iter().all(|r| r[1] == "op.ana"), "{rows:?} {total}");
        let orders: usize = rows.iter().map(|r| r[4].parse::<usize>().unwrap()).sum();
        assert_eq!(orders, confirmed, "her orders: {rows:?}");
        let csv = head.find(Locator::Css("#rep-csv")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(csv.contains("format=csv") && csv.contains("interval=month"), "{csv}");
        check_page(&head, "heads-figures").await;
    }

    // Every page at phone size: nothing scrolls sideways.
    for c in [&head, &op, &fin] {
        c.set_window_size(390, 844).await.unwrap();
    }
    assert!(!wider_than_window(&head).await, "the admin page is wider than a phone");
    shot(&head, "admin-phone").await;
    head.goto(&format!("{base}/heads")).await.unwrap();
    text_until(&head, "#live-status", |t| t.contains("uživo")).await;
    assert!(!wider_than_window(&head).await, "the heads' page is wider than a phone");
    shot(&head, "heads-phone").await;
    assert!(!wider_than_window(&fin).await, "the manager's day is wider than a phone");
    shot(&fin, "manager-day-phone").await;
    shot(&op, "desk-phone").await;

    op.close().await.unwrap();
    head.close().await.unwrap();
    fin.close().await.unwrap();
}

/// Whether the page scrolls sideways (it must not, even on a phone).
async fn wider_than_window(c: &Client) -> bool {
    let wide: bool = serde_json::from_value(
        c.execute("return document.documentElement.scrollWidth > window.innerWidth;", vec![]).await.unwrap(),
    )
    .unwrap();
    if wide {
        // Say which elements stick out, for whoever mends it.
        let out = c
            .execute(
                "return Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                   .slice(0, 8).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await
            .unwrap();
        eprintln!("wider than the window: {out}");
    }
    wide
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_edits_staff_and_queues_and_the_wallboard_follows_a_call_to_its_wrap_up() {
    use centrala_acd::Event;
    if !have_chromium() {
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
    login(&admin, &base, "admin", "bs").await;
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
    text_until(&admin, &format!("#staff-table tr[data-id='{}']", added.id.0), |t| t.contains("supervizor")).await;
    assert_eq!(s.staff_by_username("op.test").await.unwrap().unwrap().role.as_str(), "supervisor");

    // A complaints queue taken by the new supervisor, overflowing into the
    // operators after 30 s; and 600 s of wrap-up for the operators.
    set(&admin, "#q-name", "complaints").await;
    set(&admin, "#q-members", "op.test").await;
    set(&admin, "#q-max", "30").await;
    set(&admin, "#q-overflow", "queue:operators").await;
    click(&admin, "#queue-form button").await;
    let table = text_until(&admin, "#queues-table", |t| t.contains("complaints") && t.contains("op.test")).await;
    assert!(table.contains("30 s → red Operateri"), "the overflow in words: {table}");
    let named = s.named_queues().await.unwrap().unwrap();
    assert!(named.contains("\"complaints\"") && named.contains("{\"queue\":\"operators\"}"), "{named}");
    click(&admin, "tr[data-queue='operators'] .edit-queue").await;
    let name = admin.find(Locator::Css("#q-name")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(name.as_deref(), Some("operators"), "Edit fills the form with the row's queue");
    set(&admin, "#q-wrap", "600").await;
    click(&admin, "#queue-form button").await;
    // (The page reloads once saved: the table above is already there, so
    // wait for the store itself.)
    let mut saved = String::new();
    for _ in 0..100 {
        saved = s.queue_settings().await.unwrap().unwrap_or_default();
        if saved.contains("\"wrap_up_seconds\":600") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved.contains("\"wrap_up_seconds\":600"), "{saved}");
    text_until(&admin, "#queues-table", |t| t.contains("complaints")).await;
    check_page(&admin, "admin-queues").await;

    // A two-level voice menu, built without JSON: a new menu for orders,
    // key 1 of the main menu leads to it, its key 2 goes straight to the
    // complaints queue; open Monday to Friday, closed on Christmas.
    let pick = |css: &'static str, value: &'static str| {
        let admin = &admin;
        async move {
            admin
                .execute(
                    "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));",
                    vec![json!(css), json!(value)],
                )
                .await
                .unwrap();
        }
    };
    admin.find(Locator::Css("#ivr-new-id")).await.unwrap().send_keys("narudzbe").await.unwrap();
    click(&admin, "#ivr-add-menu").await;
    count_until(&admin, "#ivr-editor fieldset[data-menu='narudzbe']", 1).await;
    pick("#ivr-editor fieldset[data-menu='main'] tr[data-key='1'] select", "submenu").await;
    pick("#ivr-editor fieldset[data-menu='main'] tr[data-key='1'] select + select", "narudzbe").await;
    pick("#ivr-editor fieldset[data-menu='narudzbe'] select.ivr-new-key", "2").await;
    click(&admin, "#ivr-editor fieldset[data-menu='narudzbe'] .ivr-add-key").await;
    count_until(&admin, "#ivr-editor fieldset[data-menu='narudzbe'] tr[data-key='2']", 1).await;
    pick("#ivr-editor fieldset[data-menu='narudzbe'] tr[data-key='2'] select", "queue").await;
    pick("#ivr-editor fieldset[data-menu='narudzbe'] tr[data-key='2'] select + select", "complaints").await;
    click(&admin, "#ivr-always").await;
    set(&admin, "#ivr-holiday", "2026-12-25").await;
    click(&admin, ".ivr-hours .row button").await;
    // The preview says what a caller hears, in order, in words.
    let heard = text_until(&admin, "#ivr-preview", |t| t.contains("direktno u red complaints")).await;
    assert!(heard.contains("Van radnog vremena i praznikom"), "{heard}");
    assert!(heard.contains("Pozivalac čuje glavni meni (main-menu)"), "{heard}");
    let (main_at, sub_at) = (heard.find("meni narudzbe").unwrap(), heard.find("direktno u red complaints").unwrap());
    assert!(main_at < sub_at, "the submenu is heard after its key: {heard}");
    check_page(&admin, "admin-ivr").await;
    click(&admin, "#ivr-save").await;
    text_until(&admin, "#ivr-msg", |t| t == "Sačuvano").await;
    let ivr = s.ivr().await.unwrap().expect("a menu of its own");
    assert!(ivr.contains("\"narudzbe\"") && ivr.contains("{\"submenu\":\"narudzbe\"}"), "{ivr}");
    assert!(ivr.contains("{\"queue\":\"complaints\"}") && ivr.contains("2026-12-25"), "{ivr}");
    text_until(&admin, "#ivr-own", |t| t == "vlastiti").await;

    // What calls were about: the admin adds a code named in the three
    // languages and a category, and takes "reklamacija" off the list; it
    // stays named as taken off. A code without its Russian name is refused
    // on its row, in Bosnian.
    click(&admin, "#wu-add-code").await;
    let last = "#wu-codes tbody tr:last-child";
    admin.find(Locator::Css(&format!("{last} .wu-code"))).await.unwrap().send_keys("upit_cijena").await.unwrap();
    for (lang, name) in [("bs", "upit o cijeni"), ("en", "price question")] {
        set(&admin, &format!("{last} .wu-name[data-lang=\"{lang}\"]"), name).await;
    }
    click(&admin, "#wu-save").await;
    let refused = text_until(&admin, "#wu-msg", |t| !t.is_empty()).await;
    assert_eq!(refused, "Dajte šifri upit_cijena naziv na svakom jeziku.");
    set(&admin, &format!("{last} .wu-name[data-lang=\"ru\"]"), "вопрос о цене").await;
    click(&admin, "#wu-add-category").await;
    let cat = "#wu-categories tbody tr:last-child";
    set(&admin, &format!("{cat} .wu-code"), "prodaja").await;
    for (lang, name) in [("bs", "prodaja"), ("en", "sales"), ("ru", "продажи")] {
        set(&admin, &format!("{cat} .wu-name[data-lang=\"{lang}\"]"), name).await;
    }
    click(&admin, "#wu-codes tbody tr:has(.wu-code[value='complaint']) .wu-remove").await;
    click(&admin, "#wu-save").await;
    text_until(&admin, "#wu-retired", |t| t.contains("reklamacija")).await;
    let codes: Vec<String> =
        s.wrap_up_codes().await.unwrap().into_iter().filter(|c| c.active).map(|c| c.code).collect();
    assert_eq!(codes, ["order_taken", "information", "callback", "other", "upit_cijena"]);
    assert_eq!(s.request_categories().await.unwrap()[0].code, "prodaja");
    check_page(&admin, "admin-wrap-up-codes").await;

    // The daily report by e-mail: the admin sets the SMTP server; a report
    // the server refused shows its error in words, with the server's own.
    set(&admin, "#m-host", "mail.example.ba").await;
    set(&admin, "#m-port", "587").await;
    set(&admin, "#m-from", "izvjestaji@example.ba").await;
    set(&admin, "#m-at", "06:30").await;
    click(&admin, "#mail-form button").await;
    text_until(&admin, "#mail-msg", |t| t == "Sačuvano").await;
    let m = s.mail_settings().await.unwrap().expect("saved");
    assert_eq!(
        (m.host.as_str(), m.port, m.tls.as_str(), m.report_at.as_str()),
        ("mail.example.ba", 587, "starttls", "06:30")
    );
    let north = s.staff_by_username("head.north").await.unwrap().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let now = chrono::Utc::now();
    s.plan_mailings(day, &[(north.id, "mirza@example.ba".into())], now).await.unwrap();
    s.mailing_tried(day, north.id, Err(("login: 535 5.7.8 Authentication failed", None)), now).await.unwrap();
    admin.refresh().await.unwrap();
    let row = text_until(&admin, "#mailings tr[data-state='failed']", |t| t.contains("mirza@example.ba")).await;
    assert!(row.contains("nije poslan, odustalo se"), "{row}");
    assert!(row.contains("SMTP server je odbio korisničko ime ili lozinku.") && row.contains("535 5.7.8"), "{row}");
    check_page(&admin, "admin-mail").await;

    // Chat and e-mail: the admin allows the shop's site, with canned answers;
    // the tag to put on it is shown. A mailbox whose server is down says so
    // in words, with the network's own; a message the outbox could not
    // send is listed with its error.
    set(&admin, "#ch-chat", "2").await;
    set(&admin, "#ch-origins", "https://prodavnica.example.ba\nftp://bad").await;
    click(&admin, "#channels-form button").await;
    text_until(&admin, "#channels-form [data-field='chat_origins'] .field-error", |t| t.contains("ftp://bad")).await;
    set(&admin, "#ch-origins", "https://prodavnica.example.ba").await;
    set(&admin, "#ch-canned", "Hvala na upitu.\nCjenovnik šaljemo e-mailom.").await;
    click(&admin, "#channels-form button").await;
    text_until(&admin, "#channels-msg", |t| t == "Sačuvano").await;
    let ch = s.channels().await.unwrap();
    assert_eq!(
        (ch.chat_capacity, ch.chat_origins.as_slice(), ch.chat_canned.len()),
        (2, ["https://prodavnica.example.ba".to_owned()].as_slice(), 2)
    );
    text_until(&admin, "#widget-snippet", |t| t.contains("/chat/demo/widget.js")).await;
    let closed = free_port().await;
    set(&admin, "#mb-address", "podrska@example.ba").await;
    set(&admin, "#mb-host", "127.0.0.1").await;
    set(&admin, "#mb-port", &closed.to_string()).await;
    set(&admin, "#mb-tls", "starttls").await;
    set(&admin, "#mb-ca", "/etc/centrala/imap-ca.pem").await;
    set(&admin, "#mb-user", "podrska").await;
    set(&admin, "#mb-env", "CENTRALA_TEST_NO_SUCH_PASSWORD").await;
    click(&admin, "#mailbox-form button[type=submit]").await;
    admin.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#mb-check")).await.unwrap();
    let kept = s.mailbox().await.unwrap().unwrap();
    assert_eq!((kept.imap_tls.as_str(), kept.imap_ca_file.as_str()), ("starttls", "/etc/centrala/imap-ca.pem"));
    assert_eq!((kept.folder.as_str(), kept.max_bytes), ("INBOX", 25 * 1024 * 1024), "the form's defaults");
    // The folder and the size limit are the admin's, kept on the next save.
    set(&admin, "#mb-folder", "Prodaja").await;
    set(&admin, "#mb-max", "10").await;
    click(&admin, "#mailbox-form button[type=submit]").await;
    for _ in 0..100 {
        if s.mailbox().await.unwrap().unwrap().folder == "Prodaja" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept = s.mailbox().await.unwrap().unwrap();
    assert_eq!((kept.folder.as_str(), kept.max_bytes), ("Prodaja", 10 * 1024 * 1024));
    admin.refresh().await.unwrap();
    admin.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#mb-check")).await.unwrap();
    let shown = admin.find(Locator::Css("#mb-folder")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some("Prodaja"), "the page shows what is kept");
    click(&admin, "#mb-check").await;
    text_until(&admin, "#mailbox-msg", |t| t.contains("Poštansko sanduče kompanije se ne može čitati")).await;
    s.queue_mail("klijent@example.ba", "Cjenovnik", "…", "reference:1").await.unwrap();
    let due = s.mail_about("reference:1").await.unwrap().remove(0);
    s.outgoing_tried(due.id, Err(("unreachable: connection refused", Some(chrono::Utc::now()))), chrono::Utc::now())
        .await
        .unwrap();
    admin.refresh().await.unwrap();
    let shown = text_until(&admin, "#mailbox-state", |t| !t.is_empty()).await;
    assert!(shown.contains("Ne može se čitati") && shown.contains("server se ne javlja"), "{shown}");
    let row = text_until(&admin, "#outbox tr[data-state='pending']", |t| t.contains("klijent@example.ba")).await;
    assert!(row.contains("Cjenovnik") && row.contains("connection refused"), "{row}");
    check_page(&admin, "admin-channels").await;

    // A caller waits while nobody is ready: the wallboard lists the call
    // with its wait.
    let ana = s.staff_by_username("op.ana").await.unwrap().unwrap();
    s.set_sip_account(ana.id, "203", "0123").await.unwrap();
    login(&op, &base, "op.ana", "bs").await;
    text_until(&op, "#my-phone", |t| t == "☎ 203: nije registrovan, ne može zvoniti").await;
    let id = s
        .start_interaction(centrala_store::interactions::Direction::Inbound, "+38761000077", "+38733555000", None)
        .await
        .unwrap();
    let (tx, mut rx) = centrala_sip::chan::unbounded();
    assert!(acd.arrive(centrala_center::acd::Arriving::new(company.id, id, "+38761000077", tx)).await);
    admin.goto(&format!("{base}/wallboard")).await.unwrap();
    let waiting =
        text_until(&admin, &format!("#wb-waiting tr[data-interaction='{id}']"), |t| t.contains("+38761000077")).await;
    assert!(waiting.contains("Operateri") && waiting.contains("0:"), "queue, caller and wait: {waiting}");
    text_until(&admin, "#wb-queues tr[data-queue='operators'] .waiting", |t| t == "1").await;
    check_page(&admin, "wallboard-waiting").await;

    // op.ana becomes ready: the call reaches her through the ACD, she answers.
    click(&op, "#go-ready").await;
    let rang = loop {
        match rx.recv().await {
            Some(centrala_sip::Control::Ring { staff, .. }) => break staff,
            Some(_) => continue,
            None => panic!("the call's channel closed before it rang"),
        }
    };
    assert_eq!(rang, ana.id.0);
    let contact = centrala_center::acd::task_of(id);
    acd.contact(Event::Accept { contact, agent: centrala_center::acd::agent_of(ana.id) }).await;

    s.answer_interaction(id, ana.id, None).await.unwrap();
    text_until(&op, "#my-state", |t| t == "u razgovoru").await;
    // The desk follows the call from the server: the panel, whom she talks
    // with and a talk timer; a reload brings it all back.
    text_until(&op, "#call-title", |t| t == "U razgovoru").await;
    text_until(&op, "#call-who", |t| t.contains("+38761000077")).await;
    text_until(&op, "#call-timer", |t| t.starts_with("0:")).await;
    op.refresh().await.unwrap();
    text_until(&op, "#call-who", |t| t.contains("+38761000077")).await;
    text_until(&op, "#call-title", |t| t == "U razgovoru").await;
    check_page(&op, "desk-restored-call").await;

    // The wallboard shows both queues, op.ana talking with whom, and a
    // button to listen in; the admin has no phone, so the page says so.
    let queues = text_until(&admin, "#wb-queues", |t| t.contains("Operateri") && t.contains("complaints")).await;
    assert!(queues.find("Operateri") < queues.find("complaints"), "{queues}");
    text_until(&admin, "#wb-waiting", |t| t.contains("Niko ne čeka")).await;
    let row = "#wb-agents tr[data-agent='op.ana']".to_owned();
    let talking = text_until(&admin, &row, |t| t.contains("u razgovoru")).await;
    assert!(
        talking.contains("+38761000077") && talking.contains("Operateri"),
        "with whom, through which queue: {talking}"
    );
    // She raises her hand (Alt+H): the wallboard shows it at once, with
    // her call; the supervisor answers, and it goes down on her desk too.
    alt(&op, "h").await;
    text_until(&op, "#hand", |t| t == "Spusti ruku").await;
    let asking = text_until(&admin, &row, |t| t.contains("traži pomoć")).await;
    assert!(asking.contains("+38761000077"), "with the call: {asking}");
    check_page(&admin, "wallboard-hand").await;
    click(&admin, &format!("{row} button.answer-hand")).await;
    text_until(&op, "#hand", |t| t == "✋ Traži pomoć").await;
    text_until(&admin, &row, |t| !t.contains("traži pomoć")).await;
    // Someone listening in is shown beside the call (the story says so).
    let sup = s.staff_by_username("sup.nina").await.unwrap().unwrap();
    s.add_interaction_event(id, centrala_store::interactions::StoryKind::Listening, Some(sup.id), "").await.unwrap();
    text_until(&admin, &row, |t| t.contains("sluša: Nina Supervizorić")).await;
    let listen = format!("{row} button.listen[data-interaction='{id}']");
    click(&admin, &listen).await;
    let said = text_until(&admin, "#wb-msg", |t| !t.is_empty()).await;
    assert_eq!(said, "Vaš telefon nije registrovan: uključite ga i pokušajte ponovo.");
    check_page(&admin, "wallboard-talking").await;

    // She hangs up: 600 s of wrap-up, shown on her desk and the wallboard,
    // until she says she is done.
    acd.contact(Event::End { contact }).await;
    text_until(&op, "#my-state", |t| t == "završna obrada").await;
    text_until(&admin, &row, |t| t.contains("završna obrada")).await;
    // The panel says the call ended and counts the wrap-up down; the notes
    // still go on the finished call.
    text_until(&op, "#call-title", |t| t == "Poziv završen").await;
    text_until(&op, "#call-timer", |t| t.starts_with("obrada: još 9:") || t.starts_with("obrada: još 10:")).await;
    op.find(Locator::Css("#call-note")).await.unwrap().send_keys("pitao za cijene").await.unwrap();
    let offered = text_until(&op, "#call-wrap", |t| t.contains("upit o cijeni")).await;
    assert!(!offered.contains("reklamacija"), "a code taken off the list is not offered: {offered}");
    set(&op, "#call-wrap", "upit_cijena").await;
    click(&op, "#call-note-save").await;
    text_until(&op, "#call-msg", |t| t == "Bilješke sačuvane").await;
    let noted = s.interaction(id).await.unwrap().unwrap();
    assert_eq!((noted.notes.as_str(), noted.wrap_up.as_str()), ("pitao za cijene", "upit_cijena"));
    check_page(&op, "desk-wrap-up").await;
    click(&op, "#go-wrap-done").await;
    text_until(&op, "#my-state", |t| t == "spreman").await;
    text_until(&admin, &row, |t| t.contains("spreman")).await;

    // A call rings her and she declines it: the panel says what happened
    // and that she is not ready now.
    let second = s
        .start_interaction(centrala_store::interactions::Direction::Inbound, "+38761000078", "+38733555000", None)
        .await
        .unwrap();
    let (tx2, mut rx2) = centrala_sip::chan::unbounded();
    assert!(acd.arrive(centrala_center::acd::Arriving::new(company.id, second, "+38761000078", tx2)).await);
    loop {
        match rx2.recv().await {
            Some(centrala_sip::Control::Ring { .. }) => break,
            Some(_) => continue,
            None => panic!("the second call's channel closed before it rang"),
        }
    }
    text_until(&op, "#call-title", |t| t == "Dolazni poziv").await;
    let second_contact = centrala_center::acd::task_of(second);
    acd.contact(Event::Decline { contact: second_contact, agent: centrala_center::acd::agent_of(ana.id) }).await;
    text_until(&op, "#call-title", |t| t == "Propušten poziv").await;
    text_until(&op, "#call-msg", |t| t.starts_with("Odbili ste poziv: sada niste spremni.")).await;
    text_until(&op, "#my-state", |t| t == "nije spreman (odbio poziv)").await;
    check_page(&op, "desk-missed").await;
    acd.contact(Event::Abandon { contact: second_contact }).await;
    click(&op, "#go-ready").await;
    text_until(&op, "#my-state", |t| t == "spreman").await;
    assert!(
        !op.find(Locator::Css("#call")).await.unwrap().is_displayed().await.unwrap(),
        "ready again: the panel is gone"
    );

    // The supervisor calls her off the floor from the wallboard.
    click(&admin, &format!("{row} button.set-state[data-state='not_ready']")).await;
    text_until(&op, "#my-state", |t| t == "nije spreman (sastanak)").await;
    text_until(&admin, &row, |t| t.contains("nije spreman (sastanak)")).await;
    // TV mode: type to read from across the room.
    click(&admin, "#tv").await;
    let size: f64 = serde_json::from_value(
        admin
            .execute("return parseFloat(getComputedStyle(document.querySelector('#wb-queues td')).fontSize);", vec![])
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(size >= 28.0, "TV mode's type is large: {size}px");
    shot(&admin, "wallboard-tv").await;
    click(&admin, "#tv").await;

    // Both pages at phone size: nothing scrolls sideways.
    admin.set_window_size(390, 844).await.unwrap();
    op.set_window_size(390, 844).await.unwrap();
    assert!(!wider_than_window(&admin).await, "the wallboard is wider than a phone");
    assert!(!wider_than_window(&op).await, "the desk is wider than a phone");
    shot(&admin, "wallboard-phone").await;
    shot(&op, "desk-phone-wrap-up").await;

    // The knowledge base's page, at phone size: an editor writes an
    // article; it is saved as its first version, published and found.
    admin.goto(&format!("{base}/kb")).await.unwrap();
    text_until(&admin, "#kb-list", |t| t.contains("Rokovi i uslovi isporuke")).await;
    click(&admin, "#kb-new").await;
    set(&admin, "#kf-title", "Povrat kafe").await;
    set(&admin, "#kf-body", "Kafa se vraća **zapakovana**, u roku od 8 dana.").await;
    set(&admin, "#kf-status", "published").await;
    admin.execute("document.querySelector('#kb-form').requestSubmit();", vec![]).await.unwrap();
    text_until(&admin, "#kb-form-msg", |t| t == "Sačuvano kao verzija 1.").await;
    text_until(&admin, "#kf-versions", |t| t.contains("verzija 1") && t.contains("objavljeno")).await;
    text_until(&admin, "#kb-list", |t| t.contains("Povrat kafe")).await;
    let written = s.kb_articles(true, 50, 0).await.unwrap().into_iter().find(|a| a.title == "Povrat kafe").unwrap();
    assert_eq!((written.author.as_str(), written.version), ("admin", 1));
    assert!(!wider_than_window(&admin).await, "the knowledge page is wider than a phone");
    check_page(&admin, "kb-editor").await;

    // The admin scores op.ana's recorded call while its recording plays,
    // reached from the heads' page; op.ana reads the score on her desk.
    admin.set_window_size(1366, 768).await.unwrap();
    op.set_window_size(1366, 768).await.unwrap();
    {
        use centrala_desk::evaluation::{Criterion, Scorecard};
        use centrala_store::interactions::{Direction, Disposition};
        let crit =
            |code: &str, name: &str, weight, max| Criterion { code: code.into(), name: name.into(), weight, max };
        let card = Scorecard {
            code: "calls".into(),
            name: "Pozivi".into(),
            criteria: vec![
                crit("greeting", "Pozdrav u ime firme", 1, 1),
                crit("offers", "Ponude", 2, 5),
                crit("tone", "Ton", 1, 10),
            ],
        };
        s.put_scorecard(&card).await.unwrap();
        let scored = s.start_interaction(Direction::Inbound, "+38761000079", "+38733555000", None).await.unwrap();
        s.answer_interaction(scored, ana.id, None).await.unwrap();
        s.end_interaction(scored, Disposition::Answered).await.unwrap();
        // Its recording: a real WAV file where the recordings are kept.
        let rel = format!("{}/test/{}.wav", company.id.0, scored.0);
        let full = state.center.config.recordings.join(&rel);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        let wav = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/en/main-menu.wav");
        std::fs::copy(wav, &full).unwrap();
        s.record_interaction(scored, &rel).await.unwrap();
        admin.goto(&format!("{base}/heads")).await.unwrap();
        text_until(&admin, &format!("#to-score li[data-interaction='{}']", scored.0), |t| t.contains("+38761000079"))
            .await;
        click(&admin, &format!("#to-score li[data-interaction='{}'] a", scored.0)).await;
        text_until(&admin, "#ev-agent", |t| t == "op.ana").await;
        // The browser plays it: it read the recording's length.
        let seconds = admin
            .execute_async(
                "const a = document.querySelector('#ev-audio'); const done = arguments[0];
                 if (a.readyState >= 1) done(a.duration); else a.addEventListener('loadedmetadata', () => done(a.duration));",
                vec![],
            )
            .await
            .unwrap();
        assert!(seconds.as_f64().unwrap() > 1.0, "{seconds}");
        for (css, v) in [("#ev-mark-greeting", "1"), ("#ev-mark-offers", "3"), ("#ev-mark-tone", "5")] {
            set(&admin, css, v).await;
        }
        set(&admin, "#ev-comment", "Ponudi akcije ranije.").await;
        click(&admin, "#ev-form button").await;
        text_until(&admin, "#ev-msg", |t| t.contains("67.5")).await;
        text_until(&admin, "#ev-list", |t| t.contains("67.5 %") && t.contains("Ponude 3/5")).await;
        check_page(&admin, "evaluate").await;
        let saved = s.evaluations_of(scored).await.unwrap();
        assert_eq!(
            (saved.len(), saved[0].score, saved[0].staff, saved[0].evaluator.as_str()),
            (1, 675, ana.id, "admin")
        );
        op.goto(&format!("{base}/desk")).await.unwrap();
        let mine = text_until(&op, "#my-evaluations", |t| t.contains("67.5 %")).await;
        assert!(mine.contains("Ponudi akcije ranije.") && mine.contains("Ponude 3/5"), "{mine}");
        // Her month's figures against the targets, in words (none are set
        // here; the API test checks the figures themselves).
        let quality =
            text_until(&op, "#my-standing tr[data-figure='quality']", |t| t.contains("Ocjena kvaliteta")).await;
        assert!(quality.contains("nema cilja ili podatka"), "{quality}");
        assert_eq!(count_until(&op, "#my-standing tbody tr", 5).await, 5);
        check_page(&op, "desk-scores").await;
    }

    // The reports page over a week of the demo's history: the service
    // level per day against the target, the heat map of calls per weekday
    // and hour, the operators ranked, the queues' totals as the calls say;
    // one day is the daily report, per hour.
    {
        let mut ops = Vec::new();
        for u in ["op.ana", "op.haris", "op.selma"] {
            ops.push(s.staff_by_username(u).await.unwrap().unwrap().id);
        }
        let (calls, states) = demo::history(today(), 7, &ops, &[]);
        s.record_past_calls(&calls).await.unwrap();
        let rows: Vec<_> = states
            .iter()
            .map(|(who, at, st, r)| (*who, centrala_store::intervals::stamp(*at), (*st).to_owned(), (*r).to_owned()))
            .collect();
        s.record_agent_states(&rows).await.unwrap();
        let week = today() - chrono::Duration::days(6);
        centrala_center::reports::rebuild(&state.center, company.id, week - chrono::Duration::days(1), today())
            .await
            .unwrap();
        let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono_tz::Europe::Sarajevo).date_naive();
        let in_week: Vec<_> = calls.iter().filter(|c| c.routed.is_some_and(|r| local(r) >= week)).collect();
        let weekdays: std::collections::BTreeSet<_> = in_week.iter().map(|c| local(c.arrived)).collect();
        admin.goto(&format!("{base}/reports")).await.unwrap();
        let total = text_until(&admin, "#rp-queues tr.total", |t| t.contains("Svi redovi")).await;
        assert!(total.contains(&in_week.len().to_string()), "{total} vs {}", in_week.len());
        assert_eq!(count_until(&admin, "#h-rp-sl ~ svg rect.bar", weekdays.len()).await, weekdays.len());
        assert_eq!(count_until(&admin, "#h-rp-heat ~ svg rect.cell", 168).await, 168);
        assert_eq!(count_until(&admin, "#h-rp-rank ~ svg rect.bar", 3).await, 3);
        let csv = admin.find(Locator::Css("#rp-csv-queues")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(csv.contains(&format!("from={week}")) && csv.contains("format=csv"), "{csv}");
        check_page(&admin, "reports").await;
        // Orders with offers on two days of the week, by op.ana: picked
        // alone, she is the only one ranked, and the offers accepted are
        // drawn per day (one of one, then none of one).
        let client = s.search_clients("", None, 1).await.unwrap().remove(0).id;
        let product = s.products("", 1, 0).await.unwrap().remove(0).id.0;
        let noon = |d: &chrono::NaiveDate| {
            use chrono::TimeZone;
            chrono_tz::Europe::Sarajevo.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap()).unwrap().to_utc()
        };
        let orders: Vec<_> = weekdays
            .iter()
            .take(2)
            .enumerate()
            .map(|(i, d)| centrala_store::reports::PastOrder {
                order_no: format!("W-{i}"),
                client,
                staff: ops[0],
                confirmed: noon(d),
                lines: vec![(product, 1, 100)],
                offers: vec![(product, "new".into(), if i == 0 { "accepted" } else { "declined" }.into())],
            })
            .collect();
        s.record_past_orders(&orders).await.unwrap();
        // History written behind the server's back is kept by a rebuild.
        let kept = centrala_center::reports::rebuild(&state.center, company.id, week, today()).await.unwrap();
        assert_eq!(kept.days, 7);
        admin.goto(&format!("{base}/reports?agent=op.ana&queue=operators")).await.unwrap();
        assert_eq!(count_until(&admin, "#h-rp-attach ~ svg rect.bar", 2).await, 2);
        let titles = admin
            .execute(
                "return [...document.querySelectorAll('#h-rp-attach ~ svg rect.bar title')].map(t => t.textContent);",
                vec![],
            )
            .await
            .unwrap();
        let titles: Vec<String> = serde_json::from_value(titles).unwrap();
        assert!(titles[0].ends_with(": 100.0 %") && titles[1].ends_with(": 0.0 %"), "{titles:?}");
        assert_eq!(count_until(&admin, "#h-rp-rank ~ svg rect.bar", 1).await, 1, "op.ana alone");
        let picked = admin.find(Locator::Css("#rp-agent")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(picked.as_deref(), Some("op.ana"));
        let total = text_until(&admin, "#rp-queues tr.total", |t| t.contains("Svi redovi")).await;
        assert!(total.contains(&in_week.len().to_string()), "the operators' queue is every call here: {total}");
        let csv = admin.find(Locator::Css("#rp-csv-orders")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(csv.contains("agent=op.ana"), "{csv}");
        check_page(&admin, "reports-picked").await;
        let day = weekdays.iter().next_back().unwrap();
        admin.goto(&format!("{base}/reports?from={day}&to={day}")).await.unwrap();
        let hours = count_until(&admin, "#h-rp-sl ~ svg rect.bar", 6).await;
        assert!(hours >= 6, "the daily report per hour: {hours}");
        shot(&admin, "reports-daily").await;
        // The clients' cases raised in the span: a complaint past its due
        // time is counted as overdue, in words of the reader's language.
        let now = chrono::Utc::now();
        s.open_case(&centrala_store::cases::NewCase {
            category: centrala_desk::cases::Category::Complaint,
            subject: "Pokvarena roba".into(),
            description: String::new(),
            client: Some(client),
            interaction: None,
            department: None,
            owner: None,
            raised_by: "op.ana".into(),
            due_at: now - chrono::Duration::hours(1),
        })
        .await
        .unwrap();
        let raised = now.with_timezone(&chrono_tz::Europe::Sarajevo).date_naive();
        admin.goto(&format!("{base}/reports?from={raised}&to={raised}")).await.unwrap();
        let row = text_until(&admin, "#rp-cases tr[data-category=complaint]", |t| t.contains("Žalba")).await;
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&cells[1..6], ["1", "0", "—", "1", "1"], "raised, resolved, in time, open, overdue: {row}");
        text_until(&admin, "#rp-cases tr.total", |t| t.contains("Sve kategorije")).await;
        let csv = admin.find(Locator::Css("#rp-csv-cases")).await.unwrap().attr("href").await.unwrap().unwrap();
        assert!(csv.contains(&format!("from={raised}")) && csv.contains("format=csv"), "{csv}");
        check_page(&admin, "reports-cases").await;
        // The heads' page: this week's top request as the operators
        // recorded it, with its count from the calls written.
        let monday = today() - chrono::Duration::days(i64::from(today().weekday().num_days_from_monday()));
        let mut recorded: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for c in calls.iter().filter(|c| local(c.arrived) >= monday && !c.wrap_up.is_empty()) {
            *recorded.entry(c.wrap_up.as_str()).or_default() += 1;
        }
        let (code, n) = recorded.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).unwrap();
        admin.goto(&format!("{base}/heads")).await.unwrap();
        let first = text_until(&admin, "#top-wrap-ups li:first-child", |t| !t.is_empty()).await;
        let attr =
            admin.find(Locator::Css("#top-wrap-ups li:first-child")).await.unwrap().attr("data-code").await.unwrap();
        assert_eq!(attr.as_deref(), Some(*code), "{first}");
        assert!(first.ends_with(&format!(": {n}")), "{first} vs {n}");
    }
    op.close().await.unwrap();
    admin.close().await.unwrap();
}

/// A shop's own page on another origin, carrying the company's widget.
async fn shop(base: &str) -> String {
    let page = format!(
        "<!doctype html><html lang=\"bs\"><head><meta charset=\"utf-8\"><title>Trgovina</title></head>\
         <body><main><h1>Trgovina</h1><p>Naša ponuda.</p></main>\
         <script src=\"{base}/chat/demo/widget.js\" data-lang=\"bs\" async></script></body></html>"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(page) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_from_the_shop_with_an_operator_at_the_desk() {
    if !have_chromium() {
        return;
    }
    let (db, company) = demo_db().await;
    let s = db.store.company(company.id);
    let (state, base) = serve(&db).await;
    let (shop, elsewhere) = (shop(&base).await, shop(&base).await);
    s.set_channels(&centrala_store::chats::Channels {
        chat_origins: vec![shop.clone()],
        chat_canned: vec!["Cjenovnik šaljemo e-mailom.".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    state.center.configure_channels(company.id).await.unwrap();
    let (_driver, port) = start_driver().await;
    let profiles = tempfile::tempdir().unwrap();
    let op = browser(port, &profiles.path().join("op")).await;
    let visitor = browser(port, &profiles.path().join("visitor")).await;

    // Nobody at work: the widget offers the callback form instead.
    // A site the company did not allow: its socket is refused, yet the
    // widget speaks the page's language and offers the callback form.
    visitor.goto(&elsewhere).await.unwrap();
    text_until(&visitor, "#centrala-chat-open", |t| t == "Pišite nam").await;
    click(&visitor, "#centrala-chat-open").await;
    text_until(&visitor, "#cc-offline", |t| t.contains("Ostavite broj")).await;
    count_until(&visitor, "#centrala-chat iframe[src*='/forms/demo/callback?lang=bs']", 1).await;
    visitor.goto(&shop).await.unwrap();
    click(&visitor, "#centrala-chat-open").await;
    text_until(&visitor, "#cc-offline", |t| t.contains("Ostavite broj")).await;
    count_until(&visitor, "#centrala-chat iframe[src*='/forms/demo/callback']", 1).await;

    // Ana gets ready at her desk; the visitor comes back and starts a chat.
    login(&op, &base, "op.ana", "bs").await;
    op.goto(&format!("{base}/desk")).await.unwrap();
    click(&op, "#go-ready").await;
    text_until(&op, "#my-state", |t| !t.is_empty() && !t.contains("Odjav")).await;
    visitor.refresh().await.unwrap();
    click(&visitor, "#centrala-chat-open").await;
    visitor.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#cc-start")).await.unwrap();
    visitor.find(Locator::Css("#cc-name")).await.unwrap().send_keys("Vesna").await.unwrap();
    visitor.find(Locator::Css("#cc-email")).await.unwrap().send_keys("vesna@example.com").await.unwrap();
    let html = "<img src=x onerror=\"document.title='pwned'\">Zdravo";
    visitor.find(Locator::Css("#cc-text")).await.unwrap().send_keys(html).await.unwrap();
    click(&visitor, "#cc-start button[type=submit]").await;
    text_until(&visitor, "#cc-log", |t| t.contains("Zdravo")).await;

    // It is offered on Ana's desk at once; she takes it.
    text_until(&op, "#chat-list", |t| t.contains("Vesna") && t.contains("čeka vas")).await;
    click(&op, "#chat-accept").await;
    text_until(&visitor, "#cc-status", |t| t.contains("Ana se uključio")).await;
    text_until(&op, "#chat-log", |t| t.contains("<img src=x")).await;
    assert_eq!(op.find_all(Locator::Css("#chat-log img")).await.unwrap().len(), 0, "HTML is shown as text on the desk");
    assert_eq!(visitor.find_all(Locator::Css("#cc-log img")).await.unwrap().len(), 0, "and in the widget");

    // They write; the visitor sees Ana typing, then her answer; Ana sees it read.
    op.find(Locator::Css("#chat-text")).await.unwrap().send_keys("Dobar dan").await.unwrap();
    text_until(&visitor, "#cc-typing", |t| t.contains("Operater piše")).await;
    op.find(Locator::Css("#chat-text")).await.unwrap().send_keys(", izvolite.\u{E007}").await.unwrap();
    text_until(&visitor, "#cc-log li.cc-agent", |t| t == "Dobar dan, izvolite.").await;
    text_until(&op, "#chat-log li.chat-agent", |t| t.contains("pročitano")).await;
    visitor.find(Locator::Css("#cc-input")).await.unwrap().send_keys("Trebam cjenovnik.\u{E007}").await.unwrap();
    text_until(&op, "#chat-log", |t| t.contains("Trebam cjenovnik.")).await;
    text_until(&visitor, "#cc-log li.cc-visitor:last-child", |t| t.contains("pročitano")).await;
    // A canned answer, picked and sent.
    op.execute(
        "const s = document.querySelector('#chat-canned'); s.value = s.options[1].value; s.dispatchEvent(new Event('change'));",
        vec![],
    )
    .await
    .unwrap();
    click(&op, "#chat-send").await;
    text_until(&visitor, "#cc-log", |t| t.contains("Cjenovnik šaljemo e-mailom.")).await;
    // Information in one click, to the visitor's address.
    s.set_reference_terms("Isporuka utorkom i petkom.", "").await.unwrap();
    text_until(&op, "#ref-box", |t| !t.is_empty()).await;
    let to: String =
        serde_json::from_value(op.execute("return document.querySelector('#ref-to').value;", vec![]).await.unwrap())
            .unwrap();
    assert_eq!(to, "vesna@example.com", "the chat's address");
    click(&op, "#ref-terms").await;
    click(&op, "#ref-form button[type=submit]").await;
    text_until(&op, "#ref-msg", |t| t.contains("Poslano na vesna@example.com")).await;
    check_page(&visitor, "chat-widget").await;
    check_page(&op, "desk-chat").await;

    // Both reload: the conversation is kept on either side.
    visitor.refresh().await.unwrap();
    click(&visitor, "#centrala-chat-open").await;
    text_until(&visitor, "#cc-log", |t| t.contains("Trebam cjenovnik.") && t.contains("Cjenovnik šaljemo")).await;
    op.refresh().await.unwrap();
    click(&op, "#chat-list button").await;
    text_until(&op, "#chat-log", |t| t.contains("Dobar dan, izvolite.")).await;

    // Ana ends it and sends the transcript; the visitor is told.
    click(&op, "#chat-transcript").await;
    click(&op, "#chat-close").await;
    text_until(&op, "#chat-msg", |t| t.contains("zapis ide na e-mail")).await;
    text_until(&visitor, "#cc-status", |t| t.contains("Razgovor je završen")).await;
    let title: String =
        serde_json::from_value(visitor.execute("return document.title;", vec![]).await.unwrap()).unwrap();
    assert_eq!(title, "Trgovina", "nothing the visitor wrote ran");

    // The transcript is stored on the interaction and waits in the outbox.
    let chats = s
        .interactions(&centrala_store::interactions::InteractionFilter { limit: 10, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.channel == "chat")
        .collect::<Vec<_>>();
    assert_eq!(chats.len(), 1);
    let ana = s.staff_by_username("op.ana").await.unwrap().unwrap();
    assert_eq!((chats[0].handled_by, chats[0].disposition.as_str()), (Some(ana.id), "answered"));
    let said: Vec<String> = s.chat_messages(chats[0].id, 0).await.unwrap().into_iter().map(|m| m.body).collect();
    assert!(
        said.contains(&"Trebam cjenovnik.".to_owned()) && said.contains(&"Dobar dan, izvolite.".to_owned()),
        "{said:?}"
    );
    let sent = s.mail_about(&format!("reference:{}", chats[0].id.0)).await.unwrap();
    assert!(sent.len() == 1 && sent[0].body.contains("Isporuka utorkom i petkom."), "{sent:?}");
    let mail = s.mail_about(&format!("chat:{}", chats[0].id.0)).await.unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to_address, "vesna@example.com");
    assert!(mail[0].body.contains("Vesna: Trebam cjenovnik."), "{}", mail[0].body);

    // An e-mail conversation reaches the same desk: offered, taken, answered
    // in the thread (the mailbox's reading is the e-mail test's; here the
    // message is taken in as that reading does).
    let inbound = centrala_store::email::Inbound {
        message_id: "m1@shop.example".into(),
        from: "vesna@example.com".into(),
        to: "support@localhost".into(),
        subject: "Upit za cijene".into(),
        body: "Molim cjenovnik.".into(),
        ..Default::default()
    };
    let centrala_store::email::TakenIn::New(mail_id) = s.take_email(&inbound, None, None, 1).await.unwrap() else {
        panic!("a new conversation");
    };
    s.set_mailbox(&centrala_store::email::Mailbox {
        address: "support@localhost".into(),
        imap_host: "127.0.0.1".into(),
        imap_port: 143,
        imap_tls: "none".into(),
        imap_ca_file: String::new(),
        username: "support".into(),
        password_env: String::new(),
        password_file: "/nonexistent".into(),
        folder: "INBOX".into(),
        max_bytes: 1 << 20,
        uid_validity: 0,
        last_uid: 0,
        state: String::new(),
        last_error: String::new(),
        failures: 0,
        checked_at: None,
    })
    .await
    .unwrap();
    state.center.acd.arrive_media(company.id, mail_id, centrala_acd::Channel::Email).await;
    text_until(&op, "#email-list", |t| t.contains("vesna@example.com") && t.contains("čeka vas")).await;
    click(&op, "#email-accept").await;
    text_until(&op, "#email-thread", |t| t.contains("Molim cjenovnik.")).await;
    op.find(Locator::Css("#email-text")).await.unwrap().send_keys("Šaljemo ga danas.").await.unwrap();
    click(&op, "#email-send").await;
    text_until(&op, "#email-msg", |t| t.contains("Odgovor je poslan")).await;
    check_page(&op, "desk-email").await;
    let reply = s.mail_about(&format!("email:{}", mail_id.0)).await.unwrap();
    assert_eq!(reply.len(), 1);
    assert_eq!((reply[0].to_address.as_str(), reply[0].in_reply_to.as_str()), ("vesna@example.com", "m1@shop.example"));
    assert_eq!(reply[0].subject, "Re: Upit za cijene");
    click(&op, "#email-close").await;
    text_until(&op, "#email-msg", |t| t.contains("zatvorena")).await;
    let _ = op.close().await;
    let _ = visitor.close().await;
}
