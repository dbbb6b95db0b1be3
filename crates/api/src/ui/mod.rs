//! The web UI: pages served by the binary itself, server-rendered with
//! maud, with a small hand-written script (`ui/app.js`) that talks to the
//! same JSON API, with the same session cookie and role checks, as any
//! other client. Live updates come from `/api/v1/events`.
//!
//! Every word on a page comes from the reader's language (`i18n`), codes
//! included: roles, states, reasons and statuses are looked up as
//! `role-<code>`, `agent-<state>`, `nr-<reason>`, `status-<status>` …;
//! API errors as `err-<code>` with their parameters. Every time is shown
//! in the company's zone, money in the company's currency.

pub(crate) mod admin;
mod cases;
mod charts;
mod evaluation;
pub mod i18n;
mod kb;
pub(crate) mod reports;

use crate::{auth::Auth, AppState};
use axum::{
    extract::{FromRequestParts, Query, State},
    http::{header, request::Parts, HeaderMap},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use centrala_desk::campaign::Mode;
use centrala_domain::Role;
use i18n::Tr;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const APP_JS: &str = include_str!("../../ui/app.js");
const APP_CSS: &str = include_str!("../../ui/app.css");

/// The cookie that remembers the language chosen on the login page.
const LANG_COOKIE: &str = "centrala_lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/desk", get(desk))
        .route("/heads", get(heads))
        .route("/finance", get(finance))
        .route("/orders/{id}", get(order_page))
        .route("/admin", get(admin::page))
        .route("/wallboard", get(wallboard))
        .route("/kb", get(kb::page))
        .route("/evaluate/{id}", get(evaluation::page))
        .route("/reports", get(reports::page))
        .route("/assets/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS) }))
        .route("/assets/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS) }))
}

/// The logged-in user of a page; without a session, the page redirects to
/// the login page.
pub struct User {
    auth: Auth,
    company: String,
    tr: Tr,
    /// The company's time zone, and its day now there: the page shows
    /// every time in it.
    zone: chrono_tz::Tz,
    today: chrono::NaiveDate,
    /// The company's currency (ISO 4217).
    currency: String,
}

impl FromRequestParts<AppState> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await.map_err(|_| Redirect::to("/login").into_response())?;
        let company = state.store.company_by_id(auth.company).await.ok().flatten().map(|c| c.name).unwrap_or_default();
        let currency = state.store.company_currency(auth.company).await.unwrap_or_else(|_| "BAM".into());
        let zone = state.center.zone(auth.company).await;
        let today = state.center.clock().today(zone);
        Ok(User { tr: Tr::new(&auth.locale), company, auth, zone, today, currency })
    }
}

impl User {
    /// An instant as stored (RFC 3339) as the company's local `HH:MM`.
    fn clock(&self, at: &str) -> String {
        self.local(at, "%H:%M")
    }

    /// An instant as stored as the company's local date and time.
    pub(crate) fn date_time(&self, at: &str) -> String {
        self.local(at, "%Y-%m-%d %H:%M")
    }

    fn local(&self, at: &str, format: &str) -> String {
        local_in(at, self.zone, format)
    }
}

/// An instant as stored (RFC 3339) as a local date and time in `zone`.
pub(crate) fn local_time(at: &str, zone: chrono_tz::Tz) -> String {
    local_in(at, zone, "%Y-%m-%d %H:%M")
}

fn local_in(at: &str, zone: chrono_tz::Tz, format: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&zone).format(format).to_string())
        .unwrap_or_default()
}

fn takes_orders(role: Role) -> bool {
    crate::auth::roles::ORDER_TAKERS.contains(&role)
}

fn sees_live_orders(role: Role) -> bool {
    matches!(role, Role::HeadOfSales | Role::HeadOfWholesale | Role::Manager | Role::KeyAccountManager | Role::Admin)
}

fn sees_admin(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Supervisor | Role::HeadOfSales | Role::HeadOfWholesale)
}

fn sees_finance(role: Role) -> bool {
    matches!(role, Role::Finance | Role::Admin | Role::HeadOfSales | Role::HeadOfWholesale)
}

/// The words for `key` when the language has them, else `fallback` (a
/// company's own name for something: its client types, units, queues).
fn words_or(tr: Tr, key: &str, fallback: &str) -> String {
    let words = tr.t(key);
    if words.starts_with('⟦') {
        fallback.to_owned()
    } else {
        words
    }
}

/// An amount for the page's script to format in the reader's language and
/// the company's currency (the text until then is the plain decimal).
fn money(amount: impl std::fmt::Display) -> Markup {
    let a = amount.to_string();
    html! { span.money data-money=(a) { (a) } }
}

fn layout(tr: Tr, page: &str, title: &str, user: Option<&User>, body: Markup) -> Markup {
    let strings = serde_json::to_string(&tr.all()).unwrap_or_else(|_| "{}".into());
    html! {
        (DOCTYPE)
        html lang=(tr.lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (tr.t("app-name")) }
                link rel="stylesheet" href="/assets/app.css";
                script id="i18n" type="application/json" { (PreEscaped(strings.replace("</", "<\\/"))) }
                script src="/assets/app.js" defer {}
            }
            body data-page=(page) data-staff=(user.map(|u| u.auth.staff.0.to_string()).unwrap_or_default())
                data-role=(user.map(|u| u.auth.role.as_str()).unwrap_or_default())
                data-tz=(user.map(|u| u.zone.name()).unwrap_or("UTC"))
                data-currency=(user.map(|u| u.currency.as_str()).unwrap_or("BAM"))
                data-today=(user.map(|u| u.today.to_string()).unwrap_or_default()) {
                a.skip href="#main" { (tr.t("skip-to-content")) }
                header.top {
                    span.brand { (tr.t("app-name")) }
                    @if let Some(u) = user {
                        nav aria-label=(tr.t("nav-label")) {
                            @if takes_orders(u.auth.role) { a href="/desk" { (tr.t("nav-desk")) } }
                            @if sees_live_orders(u.auth.role) { a href="/heads" { (tr.t("nav-heads")) } }
                            @if crate::auth::roles::PLANNERS.contains(&u.auth.role) { a href="/reports" { (tr.t("nav-reports")) } }
                            @if sees_finance(u.auth.role) { a href="/finance" { (tr.t("nav-finance")) } }
                            a href="/kb" { (tr.t("nav-kb")) }
                            @if sees_admin(u.auth.role) { a href="/wallboard" { (tr.t("nav-wallboard")) } }
                            @if sees_admin(u.auth.role) { a href="/admin" { (tr.t("nav-admin")) } }
                        }
                        span.who { (u.auth.full_name) " · " (tr.t(&format!("role-{}", u.auth.role.as_str()))) " · " (u.company) }
                        (language_select(tr, "my-lang"))
                        button #logout type="button" { (tr.t("nav-logout")) }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// The language picker: each language in its own name.
fn language_select(tr: Tr, id: &str) -> Markup {
    html! {
        select id=(id) aria-label=(tr.t("language")) {
            @for (code, name) in i18n::LANGUAGES {
                option value=(code) lang=(code) selected[code == tr.lang()] { (name) }
            }
        }
    }
}

async fn home(user: User) -> Redirect {
    match user.auth.role {
        Role::HeadOfSales | Role::HeadOfWholesale | Role::Admin => Redirect::to("/heads"),
        Role::Manager | Role::KeyAccountManager => Redirect::to("/heads"),
        Role::Finance => Redirect::to("/finance"),
        Role::Supervisor => Redirect::to("/wallboard"),
        _ => Redirect::to("/desk"),
    }
}

#[derive(serde::Deserialize)]
struct LoginQuery {
    lang: Option<String>,
}

/// The login page, in the language chosen here (remembered in a cookie),
/// else the browser's, else Bosnian.
async fn login(Query(q): Query<LoginQuery>, headers: HeaderMap) -> Response {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(&format!("{LANG_COOKIE}=")).map(str::to_owned));
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let chosen = q.lang.filter(|l| i18n::known(l));
    let lang = chosen.clone().or(cookie.filter(|l| i18n::known(l))).unwrap_or_else(|| i18n::negotiate(accept).into());
    let tr = Tr::new(&lang);
    let page = layout(
        tr,
        "login",
        &tr.t("login-title"),
        None,
        html! {
            form #login-form.card.narrow {
                h1 { (tr.t("login-title")) }
                label { (tr.t("language")) (language_select(tr, "login-lang")) }
                label { (tr.t("login-company")) input #company name="company" required autocomplete="organization"; }
                label { (tr.t("login-username")) input #username name="username" required autocomplete="username"; }
                label { (tr.t("login-password")) input #password name="password" type="password" required autocomplete="current-password"; }
                button type="submit" { (tr.t("login-submit")) }
                p #login-error.error role="alert" {}
            }
        },
    );
    let mut res = page.into_response();
    if let Some(l) = chosen {
        if let Ok(v) = format!("{LANG_COOKIE}={l}; Path=/; Max-Age=31536000; SameSite=Lax").parse() {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    res
}

/// A labelled delivery field with the place for its error beside it.
fn field(tr: Tr, key: &str, name: &str, input: Markup) -> Markup {
    html! {
        label data-field=(name) { (tr.t(key)) (input) span.field-error id={ "err-" (name) } aria-live="polite" {} }
    }
}

async fn desk(State(state): State<AppState>, user: User) -> Response {
    if !takes_orders(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let mine = evaluation::mine(&state, &user).await;
    let naming = crate::routes::wrap_up::Naming::of(&state.store.company(user.auth.company)).await.ok();
    let wrap_ups: Vec<(String, String)> =
        naming.iter().flat_map(|n| n.active().map(|c| (c.code.clone(), n.code(&c.code, user.tr)))).collect();
    let tr = user.tr;
    layout(
        tr,
        "desk",
        &tr.t("desk-title"),
        Some(&user),
        html! {
            h1.visually-hidden { (tr.t("desk-title")) }
            div #banner.banner {
                section #agent-state.card.row aria-label=(tr.t("state-current")) {
                    strong { (tr.t("state-current")) ": " } span #my-state.badge {} " " span #my-phone.badge {}
                    button #go-ready type="button" { (tr.t("state-ready")) }
                    select #nr-reason aria-label=(tr.t("state-reason")) {
                        @for r in crate::routes::agents::CHOSEN_REASONS { option value=(r) { (tr.t(&format!("nr-{r}"))) } }
                    }
                    button #go-not-ready.secondary type="button" { (tr.t("state-not-ready")) }
                    button #go-offline.secondary type="button" { (tr.t("state-offline")) }
                    button #go-wrap-done.secondary type="button" { (tr.t("state-wrap-up-done")) }
                    button #hand.secondary type="button" aria-pressed="false" aria-keyshortcuts="Alt+H" { (tr.t("hand-raise")) }
                    button #camp-next.secondary type="button" { (tr.t("camp-next")) }
                    button #help-open.secondary type="button" aria-keyshortcuts="?" { "? " (tr.t("keys-title")) }
                }
                // The softphone: the browser as the operator's phone.
                section #softphone.card.row aria-label=(tr.t("sp-toggle")) {
                    button #sp-toggle.secondary type="button" aria-pressed="false" { (tr.t("sp-toggle")) }
                    span #sp-state.badge role="status" { (tr.t("sp-off")) }
                    label { (tr.t("sp-mic")) " " select #sp-mic { option value="" { (tr.t("sp-default")) } } }
                    label { (tr.t("sp-speaker")) " " select #sp-speaker { option value="" { (tr.t("sp-default")) } } }
                    audio #sp-audio autoplay {}
                    span #sp-msg role="status" {}
                }
                section #sp-ring.card.call hidden role="alertdialog" aria-labelledby="sp-from" {
                    strong #sp-from {} " "
                    button #sp-answer type="button" { (tr.t("sp-answer")) }
                    button #sp-decline.secondary type="button" { (tr.t("sp-decline")) }
                }
                section #call.card.call hidden aria-live="polite" aria-label=(tr.t("call-on")) {
                    strong #call-title {} " " span #call-who {} " " span #call-timer.badge aria-live="off" {}
                    div #call-actions.row hidden {
                        button #call-hold.secondary type="button" aria-pressed="false" { (tr.t("call-hold")) }
                        button #call-mute.secondary type="button" aria-pressed="false" { (tr.t("call-mute")) }
                        button #call-hang-up.danger type="button" { (tr.t("call-hang-up")) }
                        button #call-record.secondary type="button" aria-pressed="false" { (tr.t("call-record-pause")) }
                        input #call-keys inputmode="tel" size="6" autocomplete="off" aria-label=(tr.t("call-keys")) placeholder=(tr.t("call-keys"));
                        button #call-keys-send.secondary type="button" { (tr.t("call-keys-send")) }
                        button #xfer-manager.secondary type="button" { (tr.t("call-transfer-manager")) }
                        button #xfer-finance.secondary type="button" { (tr.t("call-transfer-finance")) }
                        button #xfer-head.secondary type="button" { (tr.t("call-transfer-head")) }
                        select #xfer-other aria-label=(tr.t("xfer-other")) { option value="" { (tr.t("xfer-other")) } }
                        button #xfer-go.secondary type="button" { (tr.t("xfer-go")) }
                        button #consult-go.secondary type="button" { (tr.t("call-consult")) }
                    }
                    // A warm transfer under way: talk to the colleague, bring
                    // the caller in, hand the caller over, or go back.
                    div #consult-bar.row hidden {
                        span #consult-state {}
                        button #consult-conference.secondary type="button" { (tr.t("call-conference")) }
                        button #consult-complete type="button" { (tr.t("call-consult-complete")) }
                        button #consult-end.secondary type="button" { (tr.t("call-consult-end")) }
                    }
                    div #call-notes.row hidden {
                        select #call-wrap aria-label=(tr.t("call-wrap-up")) {
                            option value="" { (tr.t("call-wrap-up")) }
                            @for (code, name) in &wrap_ups { option value=(code) { (name) } }
                        }
                        input #call-note type="text" placeholder=(tr.t("call-notes")) aria-label=(tr.t("call-notes"));
                        button #call-note-save type="button" { (tr.t("call-notes-save")) }
                    }
                    p #call-msg role="status" {}
                }
            }
            div.desk {
                section #chats.card hidden aria-labelledby="chats-title" {
                    h2 #chats-title { (tr.t("chats-title")) }
                    ul #chat-list.chat-list {}
                    div #chat-pane hidden {
                        p { strong #chat-who {} " " span #chat-client.muted {} }
                        button #chat-accept type="button" hidden { (tr.t("chat-accept")) }
                        ol #chat-log.chat-log aria-live="polite" {}
                        p #chat-typing.muted hidden { (tr.t("chat-visitor-typing")) }
                        form #chat-form {
                            select #chat-canned aria-label=(tr.t("chat-canned")) { option value="" { (tr.t("chat-canned")) } }
                            textarea #chat-text rows="2" maxlength="2000" aria-label=(tr.t("chat-write")) placeholder=(tr.t("chat-write")) {}
                            button #chat-send type="submit" { (tr.t("chat-send")) }
                        }
                        div.row {
                            label { input #chat-transcript type="checkbox"; (tr.t("chat-send-transcript")) }
                            button #chat-close.secondary type="button" { (tr.t("chat-close")) }
                        }
                    }
                    p #chat-msg role="status" {}
                }
                section #emails.card hidden aria-labelledby="emails-title" {
                    h2 #emails-title { (tr.t("emails-title")) }
                    ul #email-list.chat-list {}
                    div #email-pane hidden {
                        p { strong #email-who {} " " span #email-client.muted {} }
                        button #email-accept type="button" hidden { (tr.t("chat-accept")) }
                        ol #email-thread.chat-log aria-live="polite" {}
                        form #email-form {
                            textarea #email-text rows="4" maxlength="100000" aria-label=(tr.t("email-write")) placeholder=(tr.t("email-write")) {}
                            div.row {
                                button #email-send type="submit" { (tr.t("email-send")) }
                                button #email-close.secondary type="button" { (tr.t("email-close")) }
                            }
                        }
                    }
                    p #email-msg role="status" {}
                }
                section #campaign.card hidden aria-labelledby="camp-title" {
                    h2 #camp-title {}
                    p #camp-script {}
                    p #camp-target {}
                    div.row {
                        button #camp-call type="button" { (tr.t("camp-call")) }
                    }
                    form #camp-form.row {
                        label data-field="result" { (tr.t("camp-result")) " " select #camp-result {} }
                        label data-field="call_at" { (tr.t("camp-call-at")) " " input #camp-at type="datetime-local"; }
                        input #camp-notes type="text" placeholder=(tr.t("camp-notes")) aria-label=(tr.t("camp-notes"));
                        button type="submit" { (tr.t("camp-save")) }
                        button #camp-skip.secondary type="button" { (tr.t("camp-skip")) }
                        span.field-error #err-call_at aria-live="polite" {}
                    }
                    p #camp-msg role="status" {}
                }
                section #search.card {
                    label for="client-q" { (tr.t("search-label")) }
                    input #client-q type="search" autocomplete="off" autofocus aria-keyshortcuts="Alt+K";
                    ul #client-results.results {}
                    button #register-open.secondary type="button" hidden { (tr.t("register-open")) }
                    form #register-form.grid hidden aria-labelledby="register-title" {
                        h2 #register-title { (tr.t("register-title")) }
                        (field(tr, "register-name", "name", html! { input #rg-name required autocomplete="off"; }))
                        (field(tr, "register-phone", "phone", html! { input #rg-phone required type="tel" autocomplete="off"; }))
                        (field(tr, "register-region", "region", html! { input #rg-region autocomplete="off"; }))
                        (field(tr, "card-type", "type", html! { select #rg-type {} }))
                        button type="submit" { (tr.t("register-submit")) }
                    }
                    p #register-msg role="status" {}
                }
                section #card.card hidden aria-label=(tr.t("card-title")) {}
                section #ref-box.card hidden aria-labelledby="ref-title" {
                    h2 #ref-title { (tr.t("ref-title")) }
                    form #ref-form.grid {
                        label { input #ref-prices type="checkbox"; (tr.t("ref-send-prices")) }
                        label { input #ref-terms type="checkbox"; (tr.t("ref-send-terms")) }
                        (field(tr, "ref-certificates", "certificates", html! { input #ref-certs autocomplete="off" placeholder=(tr.t("ref-certificates-hint")); }))
                        (field(tr, "ref-to", "to", html! { input #ref-to type="email" autocomplete="off" list="ref-to-list"; datalist #ref-to-list {} }))
                        button type="submit" { (tr.t("ref-send")) }
                    }
                    p #ref-msg role="status" {}
                }
                section #case-box.card hidden aria-labelledby="case-title" {
                    h2 #case-title { (tr.t("case-raise")) }
                    form #case-form.grid {
                        (field(tr, "case-col-category", "category", html! {
                            select #case-category {
                                @for c in centrala_desk::cases::Category::ALL {
                                    option value=(c.as_str()) { (tr.t(&format!("case-category-{}", c.as_str()))) }
                                }
                            }
                        }))
                        (field(tr, "case-col-subject", "subject", html! { input #case-subject required maxlength="200" autocomplete="off"; }))
                        (field(tr, "case-description", "description", html! { textarea #case-description rows="3" {} }))
                        button type="submit" { (tr.t("case-raise-submit")) }
                    }
                    p #case-msg role="status" {}
                }
                (kb::desk_panel(tr))
                section #order.card hidden aria-labelledby="order-heading" {
                    h2 #order-heading { (tr.t("order-title")) " " span #order-no {} " " span #order-status.badge {} " " span #order-column.muted {} }
                    form #line-form.row {
                        label.grow data-field="sku" { (tr.t("order-product"))
                            input #sku list="sku-list" autocomplete="off" aria-keyshortcuts="Alt+P" aria-describedby="err-sku"; }
                        datalist #sku-list {}
                        label data-field="quantity" { (tr.t("order-quantity")) " " span #qty-unit.muted {}
                            input #qty inputmode="decimal" value="1" aria-describedby="err-quantity"; }
                        button type="submit" { (tr.t("order-add")) }
                        span.field-error #err-sku aria-live="polite" {}
                        span.field-error #err-quantity aria-live="polite" {}
                    }
                    ul #sku-choices.results hidden {}
                    table #lines {
                        caption.visually-hidden { (tr.t("order-lines")) }
                        thead { tr {
                            th scope="col" { (tr.t("col-sku")) } th scope="col" { (tr.t("col-product")) } th scope="col" { (tr.t("col-quantity")) }
                            th scope="col" { (tr.t("col-unit")) } th scope="col" { (tr.t("col-stock")) } th scope="col" { (tr.t("col-price")) }
                            th scope="col" { (tr.t("col-amount")) } th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
                        } }
                        tbody {}
                    }
                    p { (tr.t("order-total")) ": " strong #total {} " " span #headroom-warning.error role="alert" {} }
                    h3 { (tr.t("order-recommendations")) " " span #offer-counter.badge {} }
                    ul #recos.recos {}
                    fieldset #delivery {
                        legend { (tr.t("order-delivery")) }
                        (field(tr, "order-date", "date", html! { input #d-date type="date" aria-describedby="err-date"; }))
                        (field(tr, "order-from", "window_from", html! { input #d-from type="time" aria-describedby="err-window_from"; }))
                        (field(tr, "order-to", "window_to", html! { input #d-to type="time" aria-describedby="err-window_to"; }))
                        (field(tr, "order-receiver", "receivers", html! { select #d-receiver aria-describedby="err-receivers" {} }))
                        (field(tr, "order-payment", "payment_form", html! { input #d-payment aria-describedby="err-payment_form"; }))
                        div.regional { (field(tr, "order-pickup", "pickup_at", html! { input #d-pickup aria-describedby="err-pickup_at"; })) }
                        div.regional { (field(tr, "order-shipping", "shipping_details", html! { input #d-shipping; })) }
                    }
                    button #confirm type="button" aria-keyshortcuts="Alt+Enter" { (tr.t("order-confirm")) }
                    p #order-msg role="status" {}
                }
            }
            div.standing { (mine) }
            dialog #help aria-labelledby="help-title" {
                h2 #help-title { (tr.t("keys-title")) }
                table {
                    caption.visually-hidden { (tr.t("keys-title")) }
                    thead { tr { th scope="col" { (tr.t("keys-key")) } th scope="col" { (tr.t("keys-action")) } } }
                    tbody {
                        @for (keys, what) in SHORTCUTS { tr { td { kbd { (keys) } } td { (tr.t(what)) } } }
                    }
                }
                form method="dialog" { button #help-close { (tr.t("keys-close")) } }
            }
        },
    )
    .into_response()
}

/// The desk's keyboard shortcuts, as the `?` overlay lists them (and
/// `app.js` binds them).
const SHORTCUTS: [(&str, &str); 13] = [
    ("Alt+K", "keys-search-client"),
    ("Alt+N", "keys-new-order"),
    ("Alt+P", "keys-search-product"),
    ("Alt+A", "keys-accept"),
    ("Alt+D", "keys-decline"),
    ("Alt+Enter", "keys-confirm"),
    ("Alt+B", "keys-notes"),
    ("Alt+R", "keys-ready"),
    ("Alt+U", "keys-not-ready"),
    ("Alt+W", "keys-wrap-done"),
    ("Alt+H", "keys-hand"),
    ("Alt+Z", "keys-kb"),
    ("?", "keys-help"),
];

/// Outbound campaigns on the heads' page: their progress, live, and a form
/// to build one (OD-16, OD-17).
/// The order desk's figures (OD-26) for a period the reader picks: per
/// operator and for the company, with a CSV of the same.
fn figures_section(tr: Tr, today: chrono::NaiveDate) -> Markup {
    let first = centrala_desk::report::Interval::Month.start(today);
    html! {
        section.card aria-labelledby="h-figures" {
            h2 #h-figures { (tr.t("rep-title")) }
            form #rep-form.grid {
                (field(tr, "rep-from", "from", html! { input #rep-from type="date" required value=(first); }))
                (field(tr, "rep-to", "to", html! { input #rep-to type="date" required value=(today); }))
                (field(tr, "rep-interval", "interval", html! { select #rep-interval {
                    @for i in ["day", "week", "month"] { option value=(i) selected[i == "month"] { (tr.t(&format!("rep-interval-{i}"))) } }
                } }))
                button type="submit" { (tr.t("rep-show")) }
                a #rep-csv href="" download="" { (tr.t("rep-csv")) }
                p #rep-msg role="status" {}
            }
            div {
                table #rep-table {
                    caption.visually-hidden { (tr.t("rep-title")) }
                    thead { tr {
                        @for k in ["period", "agent", "calls", "conversion", "orders", "value", "attach", "debt", "cancelled", "reactivated"] {
                            th scope="col" { (tr.t(&format!("rep-col-{k}"))) }
                        }
                    } }
                    tbody {}
                }
            }
        }
    }
}

fn campaigns_section(tr: Tr, staffing: &centrala_desk::staffing::Staffing, queues: &[String]) -> Markup {
    html! {
        section.card aria-labelledby="h-campaigns" {
            h2 #h-campaigns { (tr.t("campaigns-title")) }
            table #campaigns {
                caption.visually-hidden { (tr.t("campaigns-title")) }
                thead { tr {
                    th scope="col" { (tr.t("camp-col-name")) } th scope="col" { (tr.t("camp-col-kind")) }
                    th scope="col" { (tr.t("col-status")) } th scope="col" { (tr.t("camp-col-progress")) }
                    th scope="col" { (tr.t("camp-col-outcomes")) } th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
                } }
                tbody {}
            }
            p #no-campaigns.muted hidden { (tr.t("camp-none-yet")) }
            details #camp-new {
                summary { (tr.t("camp-new")) }
                form #camp-create.grid {
                    (field(tr, "camp-f-name", "name", html! { input #cf-name required maxlength="120"; }))
                    (field(tr, "camp-f-kind", "kind", html! { select #cf-kind {
                        @for k in ["reactivation", "instruction", "promotion", "survey"] { option value=(k) { (tr.t(&format!("camp-kind-{k}"))) } }
                    } }))
                    (field(tr, "camp-f-mode", "mode", html! { select #cf-mode {
                        @for m in [Mode::Preview, Mode::Progressive] { option value=(m.as_str()) { (tr.t(&format!("camp-mode-{}", m.as_str()))) } }
                    } }))
                    (field(tr, "camp-f-script", "script", html! { textarea #cf-script rows="3" {} }))
                    (field(tr, "camp-f-agents", "agents", html! { select #cf-agents multiple size="4" {
                        @for m in staffing.members.iter().filter(|m| m.active && m.role == Role::Operator) {
                            option value=(m.username) { (m.full_name) }
                        }
                    } }))
                    (field(tr, "camp-f-queue", "queue", html! { select #cf-queue {
                        option value="" { (tr.t("camp-queue-none")) }
                        @for q in queues {
                            @if q == centrala_center::acd::OPERATORS {
                                option value=(q) { (tr.t("queue-operators")) }
                            } @else {
                                option value=(q) translate="no" { (q) }
                            }
                        }
                    } }))
                    (field(tr, "camp-f-type", "filter", html! { input #cf-type; }))
                    (field(tr, "camp-f-region", "region", html! { input #cf-region; }))
                    (field(tr, "camp-f-clients", "clients", html! { textarea #cf-clients rows="3" {} }))
                    button type="submit" { (tr.t("camp-create")) }
                    p #cf-msg role="status" {}
                }
            }
        }
    }
}

/// The heads' and managers' day: today's confirmed orders (from the store,
/// so a reload keeps them; new ones arrive live), today's new clients'
/// calls and the new clients waiting for a manager.
async fn heads(State(state): State<AppState>, user: User) -> Response {
    if !sees_live_orders(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let s = state.store.company(user.auth.company);
    let since = centrala_center::clock::day_start(user.today, user.zone);
    let (Ok(orders), Ok(staffing)) = (s.confirmed_since(&since, 500).await, state.center.caches.staffing(&s).await)
    else {
        return crate::error::ApiError::internal().into_response();
    };
    let open_cases = cases::open_cases(&state, &user).await;
    let (to_score, top_requests) = if crate::auth::roles::PLANNERS.contains(&user.auth.role) {
        (evaluation::to_score(&state, &user).await, reports::top_requests(&state, &user).await)
    } else {
        (maud::html! {}, maud::html! {})
    };
    // The queues a campaign may name (the operators' first).
    let queue_names: Vec<String> = match centrala_center::settings::company_queues(&s, &state.center.problems).await {
        Ok(q) => {
            let mut names: Vec<String> = q.into_keys().collect();
            names.sort_by_key(|n| (n != centrala_center::acd::OPERATORS, n.clone()));
            names
        }
        Err(_) => return crate::error::ApiError::internal().into_response(),
    };
    // A manager's own book: their clients (with what each owes) and the
    // orders of those clients still under way.
    let owns = user.auth.role.manages_clients();
    let (mine_clients, mine_open, debts) = if owns {
        let loaded = async {
            Ok::<_, centrala_store::StoreError>((
                s.clients_of(user.auth.staff, 500).await?,
                s.open_orders_of(user.auth.staff, 200).await?,
                s.debtors(user.today, Some(user.auth.staff), 500).await?,
            ))
        }
        .await;
        let Ok(l) = loaded else { return crate::error::ApiError::internal().into_response() };
        l
    } else {
        Default::default()
    };
    let debt = |code: &str| debts.iter().find(|d| d.code == code);
    let everyone = user.auth.role == Role::Admin;
    let mine: Vec<_> = orders
        .into_iter()
        .filter(|o| {
            everyone
                || centrala_desk::order::confirmation_recipients(&o.client_type, o.manager, &staffing)
                    .contains(&user.auth.staff)
        })
        .collect();
    let tr = user.tr;
    layout(
        tr,
        "heads",
        &tr.t("heads-title"),
        Some(&user),
        html! {
            section.card {
                h1 { (tr.t("heads-title")) }
                p #live-status.muted role="status" { (tr.t("heads-waiting")) }
                table #day-orders {
                    caption.visually-hidden { (tr.t("heads-title")) }
                    thead { tr {
                        th scope="col" { (tr.t("col-time")) } th scope="col" { (tr.t("col-order")) } th scope="col" { (tr.t("col-client")) }
                        th scope="col" { (tr.t("col-value")) } th scope="col" { (tr.t("col-delivery")) } th scope="col" { (tr.t("col-taken-by")) }
                        th scope="col" { (tr.t("col-status")) }
                    } }
                    tbody #live-orders {
                        @for o in &mine {
                            tr data-order=(o.summary.order_no) data-id=(o.summary.id.0) {
                                td { (user.clock(&o.confirmed_at)) }
                                td { a href={ "/orders/" (o.summary.id.0) } { (o.summary.order_no) } }
                                td { (o.client_name) }
                                td { (money(o.summary.total)) }
                                td { @if let Some(d) = o.delivery_date { span data-date=(d) { (d) } } }
                                td { (o.confirmed_by) }
                                td.status data-status=(o.summary.status.as_str()) { (tr.t(&format!("status-{}", o.summary.status.as_str()))) }
                            }
                        }
                    }
                }
                @if mine.is_empty() { p #no-orders.muted { (tr.t("heads-none-yet")) } }
            }
            (open_cases)
            @if owns {
                section.card aria-labelledby="h-my-clients" {
                    h2 #h-my-clients { (tr.t("my-clients")) " " span.badge { (mine_clients.len()) } }
                    table #my-clients {
                        caption.visually-hidden { (tr.t("my-clients")) }
                        thead { tr {
                            th scope="col" { (tr.t("col-client")) } th scope="col" { (tr.t("card-type")) } th scope="col" { (tr.t("card-region")) }
                            th scope="col" { (tr.t("card-open")) } th scope="col" { (tr.t("card-overdue")) } th scope="col" { (tr.t("col-status")) }
                        } }
                        tbody {
                            @for c in &mine_clients {
                                @let d = debt(&c.code);
                                @let blocked = d.is_some_and(|d| d.overdue.0 > 0 || d.open > c.credit_limit);
                                tr data-client=(c.code) data-blocked=(blocked) {
                                    td { a href={ "/desk?client=" (c.code) } { (c.name) } " " span.muted translate="no" { (c.code) } }
                                    td { (words_or(tr, &format!("ctype-{}", c.client_type), &c.client_type)) }
                                    td { (c.region) }
                                    td { (money(d.map_or(centrala_domain::Money::ZERO, |d| d.open))) }
                                    td { (money(d.map_or(centrala_domain::Money::ZERO, |d| d.overdue))) }
                                    td { @if blocked { strong.error { (tr.t("card-blocked")) } } @else { (tr.t("finance-ok")) } }
                                }
                            }
                        }
                    }
                }
                section.card aria-labelledby="h-my-orders" {
                    h2 #h-my-orders { (tr.t("my-open-orders")) }
                    table #my-orders {
                        caption.visually-hidden { (tr.t("my-open-orders")) }
                        thead { tr {
                            th scope="col" { (tr.t("col-date")) } th scope="col" { (tr.t("col-order")) } th scope="col" { (tr.t("col-client")) }
                            th scope="col" { (tr.t("col-value")) } th scope="col" { (tr.t("col-delivery")) } th scope="col" { (tr.t("col-status")) }
                        } }
                        tbody {
                            @for o in &mine_open {
                                tr data-order=(o.summary.order_no) {
                                    td { span data-date=(o.summary.date) { (o.summary.date) } }
                                    td { a href={ "/orders/" (o.summary.id.0) } { (o.summary.order_no) } }
                                    td { (o.client_name) }
                                    td { (money(o.summary.total)) }
                                    td { @if let Some(d) = o.delivery_date { span data-date=(d) { (d) } } }
                                    td.status data-status=(o.summary.status.as_str()) { (tr.t(&format!("status-{}", o.summary.status.as_str()))) }
                                }
                            }
                        }
                    }
                    @if mine_open.is_empty() { p.muted { (tr.t("my-no-open-orders")) } }
                }
                section.card aria-labelledby="h-my-calls" {
                    h2 #h-my-calls { (tr.t("my-calls-today")) }
                    ul #my-calls.list data-username=(user.auth.username) {}
                }
            }
            @if crate::auth::roles::PLANNERS.contains(&user.auth.role) {
                (top_requests)
                (figures_section(tr, user.today))
                (to_score)
                (campaigns_section(tr, &staffing, &queue_names))
            }
            @if crate::auth::roles::ASSIGNERS.contains(&user.auth.role) {
                section.card {
                    h2 { (tr.t("heads-new-calls")) }
                    ul #new-calls.list {}
                }
                section.card {
                    h2 { (tr.t("heads-new-clients")) }
                    ul #new-clients.list {}
                }
            }
        },
    )
    .into_response()
}

/// Finance's page: every client that owes, worst first, the blocked ones
/// marked; a click opens the card on the desk, where a debt block may be
/// overridden with a written reason.
async fn finance(State(state): State<AppState>, user: User) -> Response {
    if !sees_finance(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let s = state.store.company(user.auth.company);
    let Ok(debtors) = s.debtors(user.today, None, 500).await else {
        return crate::error::ApiError::internal().into_response();
    };
    let tr = user.tr;
    let blocked = |d: &centrala_store::desk::Debtor| d.overdue.0 > 0 || d.open > d.credit_limit;
    layout(
        tr,
        "finance",
        &tr.t("finance-title"),
        Some(&user),
        html! {
            section.card {
                h1 { (tr.t("finance-title")) }
                p.muted { (tr.t("finance-help")) }
                table #debtors {
                    caption.visually-hidden { (tr.t("finance-title")) }
                    thead { tr {
                        th scope="col" { (tr.t("col-client")) } th scope="col" { (tr.t("card-open")) } th scope="col" { (tr.t("card-overdue")) }
                        th scope="col" { (tr.t("card-credit-limit")) } th scope="col" { (tr.t("finance-oldest-due")) } th scope="col" { (tr.t("col-status")) }
                    } }
                    tbody {
                        @for d in &debtors {
                            tr data-client=(d.code) data-blocked=(blocked(d)) {
                                td { a href={ "/desk?client=" (d.code) } { (d.name) } " " span.muted { (d.code) } }
                                td { (money(d.open)) } td { (money(d.overdue)) } td { (money(d.credit_limit)) }
                                td { span data-date=(d.oldest_due) { (d.oldest_due) } }
                                td { @if blocked(d) { strong.error { (tr.t("card-blocked")) } } @else { (tr.t("finance-ok")) } }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// One order, read-only, with its lines, delivery terms, status and
/// history; heads and the order's people may move it along.
async fn order_page(
    State(state): State<AppState>,
    user: User,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let s = state.store.company(user.auth.company);
    let Ok(Some(o)) = s.order(centrala_domain::OrderId(id)).await else {
        return (
            axum::http::StatusCode::NOT_FOUND,
            layout(
                user.tr,
                "order",
                &user.tr.t("err-not_found"),
                Some(&user),
                html! {
                    section.card { h1 { (user.tr.t("err-not_found")) } }
                },
            ),
        )
            .into_response();
    };
    let Ok(Some(client)) = s.client(o.summary.client).await else {
        return crate::error::ApiError::internal().into_response();
    };
    // Operators see only the orders they took or of a client they serve.
    if user.auth.sees_own_only()
        && o.created_by != Some(user.auth.staff)
        && !crate::routes::interactions::serves(&state, &user.auth, Some(client.id)).await.unwrap_or(false)
    {
        return Redirect::to("/").into_response();
    }
    let events = s.order_events(o.summary.id).await.unwrap_or_default();
    let tr = user.tr;
    let st = o.summary.status.as_str();
    let movable: Vec<&str> = centrala_desk::order::OrderStatus::ALL
        .into_iter()
        .filter(|to| {
            o.summary.status.can_move_to(*to)
                && *to != centrala_desk::order::OrderStatus::Confirmed
                && centrala_desk::order::may_move(user.auth.role, *to, o.created_by == Some(user.auth.staff))
        })
        .map(|to| to.as_str())
        .collect();
    layout(
        tr,
        "order",
        &o.summary.order_no,
        Some(&user),
        html! {
            section.card #order-view data-id=(id) data-client=(client.code) {
                h1 { (tr.t("order-title")) " " (o.summary.order_no) " " span.badge #order-state data-status=(st) { (tr.t(&format!("status-{st}"))) } }
                p { strong { (client.name) } " " span.muted { (client.code) } " · " span data-date=(o.summary.date) { (o.summary.date) } }
                table #order-lines {
                    caption.visually-hidden { (tr.t("order-lines")) }
                    thead { tr {
                        th scope="col" { (tr.t("col-sku")) } th scope="col" { (tr.t("col-product")) } th scope="col" { (tr.t("col-quantity")) }
                        th scope="col" { (tr.t("col-unit")) } th scope="col" { (tr.t("col-price")) } th scope="col" { (tr.t("col-amount")) }
                    } }
                    tbody {
                        @for l in &o.lines {
                            tr { td { (l.sku) } td { (l.name) } td.num { (l.quantity) } td { (words_or(tr, &format!("unit-{}", l.unit), &l.unit)) } td.num { (money(l.unit_price)) }
                                 td.num { (money(l.unit_price.times(l.quantity))) } }
                        }
                    }
                }
                p { (tr.t("order-total")) ": " strong { (money(o.summary.total)) } }
                dl {
                    dt { (tr.t("order-date")) } dd { @if let Some(d) = o.delivery.date { span data-date=(d) { (d) } } @else { "—" } }
                    dt { (tr.t("order-window")) } dd {
                        (o.delivery.window_from.map(|t| t.format("%H:%M").to_string()).unwrap_or_default()) "–"
                        (o.delivery.window_to.map(|t| t.format("%H:%M").to_string()).unwrap_or_default()) }
                    dt { (tr.t("order-receiver")) } dd { (o.delivery.receivers.join(", ")) }
                    @if let Some(r) = &o.override_reason { dt { (tr.t("order-override")) } dd { (r) } }
                }
                @if !movable.is_empty() {
                    div.row #order-moves {
                        @for to in &movable {
                            button.secondary.move type="button" data-to=(to) { (tr.t(&format!("move-{to}"))) }
                        }
                    }
                }
                p #move-msg role="status" {}
                h2 { (tr.t("order-history")) }
                ol #order-history {
                    @for e in &events {
                        li { (user.clock(&e.at)) " · " (e.actor) " · " (tr.t(&format!("event-{}", e.kind))) }
                    }
                }
            }
        },
    )
    .into_response()
}

/// The supervisor's wallboard: every queue's numbers against the service
/// target, the calls waiting, and every agent with its state, time in
/// state, whom it talks with, and the supervisor's controls.
async fn wallboard(user: User) -> Response {
    if !sees_admin(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let tr = user.tr;
    layout(
        tr,
        "wallboard",
        &tr.t("wallboard-title"),
        Some(&user),
        html! {
            section.card {
                div.row.spread {
                    h1 { (tr.t("wallboard-title")) }
                    button #tv.secondary type="button" aria-pressed="false" { (tr.t("wb-tv")) }
                }
                table #wb-queues {
                    caption.visually-hidden { (tr.t("wallboard-title")) }
                    thead { tr {
                        th scope="col" { (tr.t("wb-queue")) } th scope="col" { (tr.t("wb-waiting")) } th scope="col" { (tr.t("wb-longest")) }
                        th scope="col" { (tr.t("wb-sl")) } th scope="col" { (tr.t("wb-asa")) } th scope="col" { (tr.t("wb-answered")) }
                        th scope="col" { (tr.t("wb-abandoned")) } th scope="col" { (tr.t("wb-staffed")) }
                    } }
                    tbody {}
                }
            }
            section.card {
                h2 { (tr.t("wb-waiting-calls")) }
                table #wb-waiting {
                    caption.visually-hidden { (tr.t("wb-waiting-calls")) }
                    thead { tr { th scope="col" { (tr.t("wb-queue")) } th scope="col" { (tr.t("wb-caller")) } th scope="col" { (tr.t("wb-wait")) } } }
                    tbody {}
                }
            }
            section.card {
                h2 { (tr.t("wb-agents")) }
                table #wb-agents {
                    caption.visually-hidden { (tr.t("wb-agents")) }
                    thead { tr {
                        th scope="col" { (tr.t("wb-agent")) } th scope="col" { (tr.t("wb-state")) } th scope="col" { (tr.t("wb-in-state")) }
                        th scope="col" { (tr.t("wb-with")) } th scope="col" { (tr.t("wb-handled")) } th scope="col" { (tr.t("col-actions")) }
                    } }
                    tbody {}
                }
                p #wb-msg role="status" {}
            }
        },
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::i18n::{languages, Tr};
    use centrala_desk::{debt::BlockReason, offers::Reason, order::OrderStatus};
    use centrala_domain::{AbsenceKind, DepartmentKind, Role};
    use centrala_store::interactions::{Direction, Disposition};

    /// Every key a page can look up: the literal ones in the pages and the
    /// script, and one per code of every kind a page words.
    fn every_key() -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        let sources = [
            include_str!("mod.rs"),
            include_str!("admin.rs"),
            include_str!("kb.rs"),
            include_str!("evaluation.rs"),
            include_str!("reports.rs"),
            include_str!("cases.rs"),
            include_str!("../routes/cases.rs"),
            include_str!("../routes/forms.rs"),
            include_str!("../../ui/app.js"),
            include_str!("../routes/agents.rs"),
            include_str!("../mail.rs"),
            include_str!("../routes/chat.rs"),
            include_str!("../routes/reference.rs"),
        ];
        for src in sources {
            for (open, close) in [("tr.t(\"", "\""), ("t(\"", "\""), ("field(tr, \"", "\""), ("(\"Alt+", ")")] {
                for part in src.split(open).skip(1) {
                    let Some(key) = part.split(close).next() else { continue };
                    if open.starts_with("(\"Alt") {
                        if let Some(k) = part.split("\"").nth(2) {
                            keys.push(k.to_owned());
                        }
                    } else if key.contains('-')
                        && !key.starts_with('-')
                        && !key.ends_with('-')
                        && key.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
                    {
                        // A prefix ("status-" + code) is covered by its codes below.
                        keys.push(key.to_owned());
                    }
                }
            }
        }
        keys.extend(crate::routes::chat::WIDGET_WORDS.iter().map(|k| (*k).to_owned()));
        let mut codes = |prefix: &str, all: &[&str]| keys.extend(all.iter().map(|c| format!("{prefix}-{c}")));
        codes("err", crate::error::CODES);
        codes("chat-sys", centrala_center::chat::SYSTEM);
        codes("chat", &["waiting", "joined", "transcript-intro", "transcript-subject"]);
        codes("queue", &["chat", "email"]);
        codes("ref", &["intro", "price-list", "subject"]);
        codes("admin-mailbox-state", &["new", "ok", "failing"]);
        codes("admin-mailbox-tls", &["tls", "starttls", "none"]);
        codes("admin-mailbox-err", &["unreachable", "tls", "login", "folder", "protocol", "password"]);
        codes("admin-mailbox", &["read"]);
        codes("case-category", &centrala_desk::cases::Category::ALL.map(centrala_desk::cases::Category::as_str));
        codes("case-status", &centrala_desk::cases::Status::ALL.map(centrala_desk::cases::Status::as_str));
        codes("form-kind", &centrala_desk::forms::Kind::ALL.map(centrala_desk::forms::Kind::as_str));
        codes("form-field", &["name", "phone", "email", "company", "message"]);
        codes("kb-why", &["client_type", "request"]);
        codes("kb-status", &["draft", "published"]);
        codes("camp-result", &centrala_desk::campaign::DEFAULT_RESULTS);
        codes("camp-result", &centrala_desk::campaign::RETRIED);
        codes("camp-result", &[centrala_desk::campaign::NO_NUMBER]);
        codes("camp-status", &["draft", "running", "paused", "done"]);
        codes("camp-kind", &centrala_desk::campaign::Kind::ALL.map(centrala_desk::campaign::Kind::as_str));
        codes("camp-mode", &[super::Mode::Preview.as_str(), super::Mode::Progressive.as_str()]);
        codes("rep-interval", &["day", "week", "month"]);
        codes("standing", &["service_level", "aht_seconds", "conversion", "attach_rate", "quality"]);
        codes("standing", &["met", "missed", "unjudged"]);
        codes("rp-col", &["queue", "offered", "answered", "abandoned", "sl", "asa", "aht", "longest"]);
        codes("day", &["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
        codes(
            "rep-col",
            &[
                "period",
                "agent",
                "calls",
                "conversion",
                "orders",
                "value",
                "attach",
                "debt",
                "cancelled",
                "reactivated",
            ],
        );
        codes("err", &["network", "debt_blocked-override", "debt_blocked-transfer"]);
        codes("role", &Role::ALL.map(Role::as_str));
        codes("agent", &["offline", "available", "offered", "on_contact", "wrap_up", "not_ready"]);
        codes("nr", &crate::routes::agents::NOT_READY_REASONS);
        codes("status", &OrderStatus::ALL.map(OrderStatus::as_str));
        codes("event", &OrderStatus::ALL.map(OrderStatus::as_str));
        codes("event", &["opened", "line", "offer", "delivery"]);
        codes("move", &["shipped", "delivered", "cancelled"]);
        codes("disp", &Disposition::ALL.map(Disposition::as_str));
        codes("dir", &[Direction::Inbound.as_str(), Direction::Outbound.as_str()]);
        codes("wrap", &centrala_desk::requests::BUILT_IN);
        codes("admin-wu-name", &centrala_desk::requests::LANGUAGES);
        codes("admin-mail-tls", &["starttls", "tls", "none"]);
        codes("admin-mail-password", &["environment", "file", "none"]);
        codes("admin-mail-state", &["pending", "sent", "failed"]);
        codes("admin-mail-col", &["day", "to", "state", "attempts", "error"]);
        codes("admin-mail-err", &["unreachable", "timeout", "tls", "login", "refused", "busy", "message", "figures"]);
        codes("reco", &Reason::ALL.map(Reason::as_str));
        codes("why", &Reason::ALL.map(Reason::as_str));
        codes(
            "block",
            &[BlockReason::Overdue, BlockReason::OverLimit, BlockReason::OverdueAndOverLimit].map(|b| b.as_str()),
        );
        codes("target", &["operators", "staff", "department_heads", "finance"]);
        codes("problem", &["missing", "in_past", "not_after_from", "not_authorized", "pickup_or_shipping"]);
        codes("dept", &DepartmentKind::ALL.map(DepartmentKind::as_str));
        codes("absence", &AbsenceKind::ALL.map(AbsenceKind::as_str));
        codes("ctype", &["marketer", "key", "own_point", "retail", "regional"]);
        codes("unit", &["case", "bottle", "box", "bag", "kg"]);
        codes("queue", &[centrala_center::acd::OPERATORS]);
        codes("intent", &["order", "reference", "complaint", "other"]);
        codes("ivr-kind", &["intent", "submenu", "queue", "repeat", "operator"]);
        codes("ivr-lang", &centrala_call::prompts::LANGUAGES);
        codes("day", &["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
        codes("prompt", &["main-menu", "invalid-choice", "closed", "please-wait", "busy-later"]);
        codes("missed", &["no_answer", "declined"]);
        codes("why", &["no_phone", "absent", "nobody"]);
        codes("call-transfer", &["manager", "finance", "head"]);
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn every_key_a_page_or_an_error_needs_is_in_every_language() {
        let keys = every_key();
        assert!(keys.len() > 300, "the scan found the keys: {}", keys.len());
        assert!(keys.iter().any(|k| k == "err-delivery_incomplete") && keys.iter().any(|k| k == "order-confirm"));
        for lang in languages() {
            let tr = Tr::new(lang);
            let missing: Vec<&String> = keys.iter().filter(|k| tr.t(k).starts_with('⟦')).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }

    #[test]
    fn every_desk_problem_and_reason_code_is_one_the_pages_word() {
        // The codes the pure rules produce, made by the rules themselves.
        use centrala_desk::order::{check_confirm, ConfirmError, ConfirmFacts, Delivery};
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let wrong = Delivery {
            date: day.pred_opt(),
            window_from: chrono::NaiveTime::from_hms_opt(9, 0, 0),
            window_to: chrono::NaiveTime::from_hms_opt(8, 0, 0),
            receivers: vec!["nobody".into()],
            ..Delivery::default()
        };
        let mut seen = Vec::new();
        for d in [Delivery::default(), wrong] {
            let f = ConfirmFacts {
                status: OrderStatus::Draft,
                client_type: centrala_desk::REGIONAL_CLIENT_TYPE,
                lines: 1,
                offers_answered: 3,
                debt_blocked: false,
                delivery: &d,
                authorized: &[],
                today: day,
            };
            let Err(ConfirmError::DeliveryIncomplete(p)) = check_confirm(&f) else { panic!("incomplete") };
            seen.extend(p.into_iter().map(|p| (p.field, p.problem)));
        }
        let tr = Tr::new("bs");
        for (field, problem) in seen {
            assert!(!tr.t(&format!("problem-{problem}")).starts_with('⟦'), "{problem}");
            assert!(
                ["date", "window_from", "window_to", "receivers", "payment_form", "pickup_at"].contains(&field),
                "{field} is a field the desk page marks"
            );
        }
    }
}
