//! The web UI: pages served by the binary itself, server-rendered with
//! maud, with a small hand-written script (`ui/app.js`) that talks to the
//! same JSON API, with the same session cookie and role checks, as any
//! other client. Live updates come from `/api/v1/events`.

pub mod i18n;

use crate::{auth::Auth, AppState};
use axum::{
    extract::{FromRequestParts, State},
    http::{header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use centrala_domain::Role;
use i18n::Tr;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const APP_JS: &str = include_str!("../../ui/app.js");
const APP_CSS: &str = include_str!("../../ui/app.css");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/desk", get(desk))
        .route("/heads", get(heads))
        .route("/admin", get(admin))
        .route("/wallboard", get(wallboard))
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
}

impl FromRequestParts<AppState> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await.map_err(|_| Redirect::to("/login").into_response())?;
        let company = state.store.company_by_id(auth.company).await.ok().flatten().map(|c| c.name).unwrap_or_default();
        let zone = state.center.zone(auth.company).await;
        let today = state.center.clock().today(zone);
        Ok(User { tr: Tr::new(&auth.locale), company, auth, zone, today })
    }
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
                data-tz=(user.map(|u| u.zone.name()).unwrap_or("UTC"))
                data-today=(user.map(|u| u.today.to_string()).unwrap_or_default()) {
                header.top {
                    span.brand { (tr.t("app-name")) }
                    @if let Some(u) = user {
                        nav {
                            @if takes_orders(u.auth.role) { a href="/desk" { (tr.t("nav-desk")) } }
                            @if sees_live_orders(u.auth.role) { a href="/heads" { (tr.t("nav-heads")) } }
                            @if sees_admin(u.auth.role) { a href="/wallboard" { (tr.t("nav-wallboard")) } }
                            @if sees_admin(u.auth.role) { a href="/admin" { (tr.t("nav-admin")) } }
                        }
                        span.who { (u.auth.full_name) " · " (u.auth.role.as_str()) " · " (u.company) }
                        button #logout type="button" { (tr.t("nav-logout")) }
                    }
                }
                main { (body) }
            }
        }
    }
}

async fn home(user: User) -> Redirect {
    if takes_orders(user.auth.role) && !matches!(user.auth.role, Role::HeadOfSales | Role::HeadOfWholesale) {
        Redirect::to("/desk")
    } else {
        Redirect::to("/heads")
    }
}

async fn login() -> Markup {
    let tr = Tr::new("en");
    layout(
        tr,
        "login",
        tr.t("login-title"),
        None,
        html! {
            form #login-form.card.narrow {
                h1 { (tr.t("login-title")) }
                label { (tr.t("login-company")) input #company name="company" required autocomplete="organization"; }
                label { (tr.t("login-username")) input #username name="username" required autocomplete="username"; }
                label { (tr.t("login-password")) input #password name="password" type="password" required autocomplete="current-password"; }
                button type="submit" { (tr.t("login-submit")) }
                p #login-error.error role="alert" {}
            }
        },
    )
}

async fn desk(user: User) -> Response {
    if !takes_orders(user.auth.role) {
        return Redirect::to("/heads").into_response();
    }
    let tr = user.tr;
    layout(
        tr,
        "desk",
        tr.t("desk-title"),
        Some(&user),
        html! {
            section #agent-state.card.row {
                strong { (tr.t("state-current")) ": " } span #my-state.badge {}
                button #go-ready type="button" { (tr.t("state-ready")) }
                select #nr-reason aria-label=(tr.t("state-not-ready")) {
                    option value="break" { "break" } option value="lunch" { "lunch" } option value="training" { "training" } option value="meeting" { "meeting" }
                }
                button #go-not-ready.secondary type="button" { (tr.t("state-not-ready")) }
                button #go-offline.secondary type="button" { (tr.t("state-offline")) }
                button #go-wrap-done.secondary type="button" { (tr.t("state-wrap-up-done")) }
            }
            section #call.card.call hidden aria-live="polite" {
                strong #call-title {} " " span #call-who {}
                div #call-actions.row hidden {
                    button #xfer-manager.secondary type="button" { (tr.t("call-transfer-manager")) }
                    button #xfer-finance.secondary type="button" { (tr.t("call-transfer-finance")) }
                    button #xfer-head.secondary type="button" { (tr.t("call-transfer-head")) }
                }
                div #call-notes.row hidden {
                    select #call-wrap aria-label=(tr.t("call-wrap-up")) {
                        option value="" { (tr.t("call-wrap-up")) }
                        @for code in crate::routes::interactions::WRAP_UP_CODES { option value=(code) { (tr.t(&format!("wrap-{code}"))) } }
                    }
                    input #call-note type="text" placeholder=(tr.t("call-notes")) aria-label=(tr.t("call-notes"));
                    button #call-note-save type="button" { (tr.t("call-notes-save")) }
                }
                p #call-msg role="status" {}
            }
            div.desk {
                section #search.card {
                    label for="client-q" { (tr.t("search-label")) }
                    input #client-q type="search" autocomplete="off" autofocus;
                    ul #client-results.results {}
                }
                section #card.card hidden {}
                section #order.card hidden {
                    h2 { (tr.t("order-title")) " " span #order-no {} " " span #order-column.muted {} }
                    form #line-form.row {
                        input #sku list="sku-list" placeholder=(tr.t("order-product")) autocomplete="off" aria-label=(tr.t("order-product"));
                        datalist #sku-list {}
                        input #qty type="number" value="1" min="0" step="any" aria-label=(tr.t("order-quantity"));
                        button type="submit" { (tr.t("order-add")) }
                    }
                    table #lines { tbody {} }
                    p { (tr.t("order-total")) ": " strong #total {} }
                    h3 { (tr.t("order-recommendations")) " " span #offer-counter.badge {} }
                    ul #recos.recos {}
                    fieldset #delivery {
                        legend { (tr.t("order-delivery")) }
                        label { (tr.t("order-date")) input #d-date type="date"; }
                        label { (tr.t("order-from")) input #d-from type="time"; }
                        label { (tr.t("order-to")) input #d-to type="time"; }
                        label { (tr.t("order-receiver")) select #d-receiver {} }
                        label { (tr.t("order-payment")) input #d-payment; }
                        label.regional { (tr.t("order-pickup")) input #d-pickup; }
                        label.regional { (tr.t("order-shipping")) input #d-shipping; }
                    }
                    button #confirm type="button" { (tr.t("order-confirm")) }
                    p #order-msg role="status" {}
                }
            }
        },
    )
    .into_response()
}

async fn heads(user: User) -> Markup {
    let tr = user.tr;
    layout(
        tr,
        "heads",
        tr.t("heads-title"),
        Some(&user),
        html! {
            section.card {
                h1 { (tr.t("heads-title")) }
                p #live-status.muted { (tr.t("heads-waiting")) }
                ul #live-orders.live {}
            }
            @if crate::auth::roles::ASSIGNERS.contains(&user.auth.role) {
                section.card {
                    h2 { (tr.t("heads-new-calls")) }
                    ul #new-calls.results {}
                }
                section.card {
                    h2 { (tr.t("heads-new-clients")) }
                    ul #new-clients.results {}
                }
            }
        },
    )
}

/// Administration: staff and roles, departments, absences and substitutes,
/// price-column rules and phone numbers. Everyone allowed here sees it all;
/// the forms post to the API, which decides who may change what.
async fn admin(State(state): State<AppState>, user: User) -> Response {
    if !sees_admin(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let s = state.store.company(user.auth.company);
    let loaded = async {
        Ok::<_, centrala_store::StoreError>((
            s.staff_list().await?,
            s.departments().await?,
            s.absences(None).await?,
            s.price_rules().await?,
            s.numbers().await?,
            s.sip_accounts().await?,
            s.ivr().await?,
            s.client_types().await?,
        ))
    }
    .await;
    let Ok((staff, departments, absences, rules, numbers, sip, ivr_text, types)) = loaded else {
        return crate::error::ApiError::internal().into_response();
    };
    let Ok(queues) = crate::routes::queues::wire_queues(&state, &s).await else {
        return crate::error::ApiError::internal().into_response();
    };
    let queue = queues.get(centrala_center::acd::OPERATORS).cloned().unwrap_or_default();
    // The menu as the API takes it: the company's own, or the default.
    let own_ivr = ivr_text.is_some();
    let own =
        centrala_center::settings::stored_ivr(&s, &state.center.problems).await.ok().flatten().and_then(Result::ok);
    let ivr_json =
        own.and_then(|d| serde_json::to_value(crate::routes::ivr::IvrDef::from(d)).ok()).unwrap_or_else(|| {
            let def = crate::routes::ivr::IvrDef::from_config(&centrala_call::ivr::IvrConfig::default_menu(), "bs");
            serde_json::to_value(def).unwrap_or_default()
        });
    let ivr_pretty = serde_json::to_string_pretty(&ivr_json).unwrap_or_default();
    let phone = |id: centrala_domain::StaffId| {
        sip.iter().find(|a| a.staff_id == id).map(|a| (a, state.center.is_registered(&a.username)))
    };
    let name = |id: centrala_domain::StaffId| {
        staff.iter().find(|m| m.id == id).map_or_else(|| id.to_string(), |m| m.username.clone())
    };
    let dept = |id: Option<centrala_domain::DepartmentId>| {
        id.and_then(|d| departments.iter().find(|x| x.id == d)).map_or_else(String::new, |d| d.name.clone())
    };
    let tr = user.tr;
    layout(
        tr,
        "admin",
        tr.t("admin-title"),
        Some(&user),
        html! {
            section.card {
                h2 { (tr.t("admin-staff")) }
                table #staff-table {
                    tbody {
                        @for m in &staff {
                            tr data-id=(m.id.0) { td { (m.username) } td { (m.full_name) } td { (m.role.as_str()) } td { (dept(m.department)) }
                                 td { @if m.active { "✓" } @else { "—" } }
                                 td.sip { @if let Some((a, up)) = phone(m.id) {
                                     "☎ " (a.username) @if up { " ●" }
                                     @if a.srtp_required { " " span.srtp title=(tr.t("admin-sip-srtp")) { "🔒" } } } } }
                        }
                    }
                }
                // One form adds a member or changes the one picked (the API
                // lets only admins do either).
                form #staff-form.row {
                    select #st-id aria-label=(tr.t("admin-staff-pick")) {
                        option value="" { (tr.t("admin-staff-new")) }
                        @for m in &staff {
                            option value=(m.id.0) data-username=(m.username) data-full-name=(m.full_name) data-role=(m.role.as_str())
                                data-department=(m.department.map(|d| d.0.to_string()).unwrap_or_default())
                                data-active=(m.active) data-locale=(m.locale) { (m.username) }
                        }
                    }
                    input #st-username placeholder=(tr.t("admin-staff-username")) required;
                    input #st-name placeholder=(tr.t("admin-staff-name")) required;
                    select #st-role aria-label=(tr.t("admin-staff-role")) { @for r in centrala_domain::Role::ALL { option value=(r.as_str()) { (r.as_str()) } } }
                    select #st-dept aria-label=(tr.t("admin-departments")) { option value="" { "—" } @for d in &departments { option value=(d.id.0) { (d.name) } } }
                    select #st-locale aria-label=(tr.t("admin-staff-locale")) { option value="en" { "en" } option value="bs" { "bs" } option value="ru" { "ru" } }
                    label { input #st-active type="checkbox" checked; " " (tr.t("admin-staff-active")) }
                    input #st-pass type="password" minlength="8" placeholder=(tr.t("admin-staff-password"));
                    button type="submit" { (tr.t("admin-save")) }
                }
                p #staff-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-sip")) }
                p.muted { (tr.t("admin-sip-help")) }
                form #sip-form.row {
                    select #s-staff { @for m in &staff { option value=(m.id.0) { (m.username) } } }
                    input #s-user placeholder=(tr.t("admin-sip-user")) required;
                    input #s-pass type="password" placeholder=(tr.t("admin-sip-password")) required minlength="8";
                    label { input #s-srtp type="checkbox"; " " (tr.t("admin-sip-srtp")) }
                    button type="submit" { (tr.t("admin-save")) }
                }
                p #sip-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-queue")) }
                table #queues-table { tbody {
                    @for (qname, q) in &queues {
                        tr data-queue=(qname) data-def=(serde_json::to_string(q).unwrap_or_default()) {
                            td { strong { (qname) } }
                            td { @if qname == centrala_center::acd::OPERATORS { span.muted { (tr.t("admin-queue-by-role")) } " " }
                                 (q.members.join(", ")) }
                            td { (q.ring_timeout_seconds) " s" }
                            td { @match q.max_wait_seconds {
                                Some(m) => { (m) " s → " (overflow_text(tr, &q.overflow)) }
                                None => { "—" }
                            } }
                            td { button.secondary.edit-queue type="button" { (tr.t("admin-edit")) } }
                        }
                    }
                } }
                form #queue-form.row {
                    label { (tr.t("admin-queue-name")) input #q-name required pattern="[a-z0-9_-]{1,32}" value=(centrala_center::acd::OPERATORS); }
                    label { (tr.t("admin-queue-ring")) input #q-ring type="number" min="5" max="120" value=(queue.ring_timeout_seconds); }
                    label { (tr.t("admin-queue-wrap")) input #q-wrap type="number" min="0" max="600" value=(queue.wrap_up_seconds); }
                    label { (tr.t("admin-queue-max")) input #q-max type="number" min="10" max="7200"
                        value=(queue.max_wait_seconds.map(|s| s.to_string()).unwrap_or_default()); }
                    label { (tr.t("admin-queue-overflow"))
                        select #q-overflow {
                            option value="message" selected[queue.overflow == crate::routes::queues::OverflowDef::Message] { (tr.t("admin-queue-message")) }
                            option value="callback" selected[queue.overflow == crate::routes::queues::OverflowDef::Callback] { (tr.t("admin-queue-callback")) }
                            @for qname in queues.keys() {
                                option value={ "queue:" (qname) } selected[queue.overflow == crate::routes::queues::OverflowDef::Queue(qname.clone())] {
                                    (tr.t("admin-queue-into")) " " (qname) }
                            }
                        } }
                    label { (tr.t("admin-queue-announce")) input #q-announce type="number" min="0" max="600" value=(queue.announce_every_seconds); }
                    label { (tr.t("admin-queue-attempts")) input #q-attempts type="number" min="1" max="5" value=(queue.callback_attempts); }
                    label { (tr.t("admin-queue-retry")) input #q-retry type="number" min="10" max="86400" value=(queue.callback_retry_seconds); }
                    label { (tr.t("admin-queue-members")) input #q-members placeholder="op.ana, sup.nina" value=(queue.members.join(", ")); }
                    label { input #q-offer type="checkbox" checked[queue.callback_offer]; " " (tr.t("admin-queue-offer")) }
                    button type="submit" { (tr.t("admin-save")) }
                    button #q-delete.secondary type="button" { (tr.t("admin-delete")) }
                }
                p #queue-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-ivr")) " " span.badge { @if own_ivr { (tr.t("admin-ivr-own")) } @else { (tr.t("admin-ivr-default")) } } }
                textarea #ivr-json rows="14" spellcheck="false" aria-label=(tr.t("admin-ivr")) { (ivr_pretty) }
                div.row {
                    button #ivr-save type="button" { (tr.t("admin-save")) }
                    button #ivr-reset.secondary type="button" { (tr.t("admin-ivr-reset")) }
                }
                p #ivr-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-departments")) }
                table { tbody {
                    @for d in &departments {
                        tr { td { (d.code) } td { (d.name) } td { (d.kind.as_str()) } td { (d.head.map(name).unwrap_or_default()) } }
                    }
                } }
            }
            section.card {
                h2 { (tr.t("admin-absences")) }
                table #absences-table { tbody {
                    @for a in &absences {
                        tr { td { (name(a.staff)) } td { (a.from) " – " (a.to) } td { (a.kind.as_str()) }
                             td { (a.substitute.map(name).unwrap_or_default()) } }
                    }
                } }
                form #absence-form.row {
                    select #a-staff { @for m in &staff { option value=(m.id.0) { (m.username) } } }
                    input #a-from type="date" required;
                    input #a-to type="date" required;
                    select #a-kind { option value="vacation" { "vacation" } option value="business_trip" { "business_trip" } option value="sick_leave" { "sick_leave" } }
                    select #a-sub { option value="" { "—" } @for m in &staff { option value=(m.id.0) { (m.username) } } }
                    button type="submit" { (tr.t("admin-add")) }
                }
                p #absence-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-client-types")) }
                table #types-table { tbody {
                    @for t in &types {
                        tr data-type=(t.code) { td { strong { (t.code) } } td { (t.name) } td { (t.clients) " " (tr.t("admin-types-clients")) }
                             td.muted { (t.traditional.join(", ")) } }
                    }
                } }
                p.muted { (tr.t("admin-types-help")) }
            }
            section.card {
                h2 { (tr.t("admin-price-rules")) }
                table #rules-table { tbody {
                    @for r in &rules {
                        tr {
                            td { (r.name) } td { (r.priority) } td { (r.client_type.clone().unwrap_or_else(|| "*".into())) }
                            td { (r.min_volume.map(|m| m.to_string()).unwrap_or_default()) }
                            td { (r.valid_from.map(|d| d.to_string()).unwrap_or_default()) " – " (r.valid_to.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (r.column) }
                            td { button.secondary.delete-rule type="button" data-id=(r.id) { (tr.t("admin-delete")) } }
                        }
                    }
                } }
                form #rule-form.row {
                    input #r-name placeholder="name" required;
                    input #r-priority type="number" value="10" aria-label="priority";
                    input #r-type placeholder="client type (empty: all)";
                    input #r-min placeholder="min volume";
                    input #r-from type="date";
                    input #r-to type="date";
                    input #r-column type="number" min="1" max="5" value="2" aria-label="column";
                    button type="submit" { (tr.t("admin-add")) }
                }
                p #rule-msg role="status" {}
            }
            section.card {
                h2 { (tr.t("admin-numbers")) }
                table { tbody { @for (n, p) in &numbers { tr { td { (n) } td { (p) } } } } }
            }
        },
    )
    .into_response()
}

/// Where a queue's callers go after its longest wait, in words.
fn overflow_text(tr: Tr, o: &crate::routes::queues::OverflowDef) -> String {
    use crate::routes::queues::OverflowDef;
    match o {
        OverflowDef::Message => tr.t("admin-queue-message").to_owned(),
        OverflowDef::Callback => tr.t("admin-queue-callback").to_owned(),
        OverflowDef::Queue(q) => format!("{} {q}", tr.t("admin-queue-into")),
    }
}

/// The supervisor's wallboard: the queue's numbers and every agent with its
/// state and time in state, refreshed live.
async fn wallboard(user: User) -> Response {
    if !sees_admin(user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let tr = user.tr;
    layout(
        tr,
        "wallboard",
        tr.t("wallboard-title"),
        Some(&user),
        html! {
            section.card {
                h1 { (tr.t("wallboard-title")) }
                table #wb-queues {
                    thead { tr {
                        th { (tr.t("wb-queue")) } th { (tr.t("wb-waiting")) } th { (tr.t("wb-longest")) }
                        th { (tr.t("wb-sl")) } th { (tr.t("wb-asa")) } th { (tr.t("wb-abandoned")) }
                    } }
                    tbody {}
                }
            }
            section.card {
                h2 { (tr.t("wb-agents")) }
                table #wb-agents { tbody {} }
                p #wb-msg role="status" {}
            }
        },
    )
    .into_response()
}
