//! Centrala's HTTP API: the axum router, authentication and roles, the
//! OpenAPI document, metrics and health.
//!
//! This crate is the only one that knows about HTTP and JSON: it converts
//! domain and store records into its own wire types.

pub mod auth;
pub mod desk;
pub mod error;
pub mod events;
pub mod mail;
pub mod metrics;
pub mod routes;
pub mod state;
pub mod ui;

pub use state::{ApiConfig, AppState};

use axum::http::{header, HeaderValue};
use axum::{
    extract::{DefaultBodyLimit, State},
    http::{Request, StatusCode},
    middleware,
    response::IntoResponse,
    routing::{get, post, put},
    Json, Router,
};
use error::ApiError;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Centrala API", description = "Contact center and order desk. Every error is {\"error\": {\"code\", \"message\"}}."),
    paths(
        auth::login, auth::logout, auth::change_password, routes::company::me, routes::company::set_me, routes::company::get, routes::company::put, routes::company::sip_hosts, routes::company::set_sip_hosts, routes::company::audit,
        routes::departments::list, routes::departments::get, routes::departments::create, routes::departments::update,
        routes::staff::list, routes::staff::get, routes::staff::create, routes::staff::update, routes::staff::password,
        routes::staff::set_sip, routes::staff::delete_sip, routes::staff::sip_accounts,
        routes::absences::list, routes::absences::get, routes::absences::create, routes::absences::delete,
        routes::products::list, routes::products::get,
        routes::clients::lookup, routes::clients::get, routes::clients::list, routes::clients::register, routes::clients::decide, routes::clients::assign, routes::clients::set_email, routes::clients::add_contact, routes::clients::update_contact, routes::clients::types,
        routes::orders::open, routes::orders::get, routes::orders::list, routes::orders::set_line,
        routes::orders::recommendations, routes::orders::offer, routes::orders::delivery, routes::orders::confirm,
        routes::orders::set_status,
        routes::price_rules::list, routes::price_rules::create, routes::price_rules::update, routes::price_rules::delete,
        events::stream,
        routes::agents::me, routes::agents::set, routes::agents::stats,
        routes::interactions::list, routes::interactions::get, routes::interactions::notes, routes::interactions::recording, routes::calls::place, routes::calls::transfer, routes::calls::listen, routes::calls::control, routes::calls::transfer_targets,
        routes::queues::get, routes::queues::put, routes::queues::list, routes::queues::put_queue, routes::queues::delete, routes::agents::set_other, routes::agents::hand, routes::agents::answer_hand, routes::ivr::get, routes::ivr::put, routes::ivr::delete, routes::ivr::get_retention, routes::ivr::put_retention,
        routes::interactions::numbers, routes::wrap_up::get, routes::wrap_up::put, routes::mail::get, routes::mail::put, routes::interactions::set_number, routes::interactions::delete_number,
        routes::kb::list, routes::kb::create, routes::kb::get, routes::kb::update, routes::kb::delete, routes::kb::versions,
        routes::kb::attach, routes::kb::attachment, routes::kb::delete_attachment, routes::kb::search, routes::kb::suggest,
        routes::kb::feedback, routes::kb::ask, routes::kb::requests, routes::kb::answer, routes::agents::raise_hand_on,
        routes::campaigns::create, routes::campaigns::list, routes::campaigns::get, routes::campaigns::start, routes::campaigns::pause,
        routes::campaigns::targets, routes::campaigns::outcome, routes::campaigns::report, routes::campaigns::next, routes::campaigns::skip,
        routes::campaigns::dnc_list, routes::campaigns::dnc_get, routes::campaigns::dnc_put, routes::campaigns::dnc_delete,
        routes::reports::orders, routes::reports::requests, routes::reports::cases, routes::reports::queues, routes::reports::agents, routes::reports::rebuild,
        routes::evaluation::scorecards, routes::evaluation::put_scorecard, routes::evaluation::evaluate, routes::evaluation::evaluations,
        routes::evaluation::complain, routes::evaluation::complaints, routes::evaluation::decide, routes::evaluation::targets,
        routes::evaluation::put_targets, routes::evaluation::development, routes::evaluation::put_development, routes::evaluation::standing,
        routes::cases::create, routes::cases::list, routes::cases::get_one, routes::cases::change, routes::cases::note,
        routes::cases::rules, routes::cases::put_rules,
        routes::forms::list, routes::forms::put, routes::forms::submissions,
        routes::softphone::socket, routes::chat::mine, routes::chat::get_one, routes::chat::accept, routes::chat::say, routes::chat::typing,
        routes::chat::read, routes::chat::close, routes::chat::channels, routes::chat::put_channels,
        routes::email::mailbox, routes::email::put_mailbox, routes::email::check, routes::email::mine, routes::email::get_one,
        routes::email::accept, routes::email::reply, routes::email::close, routes::email::attachment,
        routes::reference::terms, routes::reference::put_terms, routes::reference::upload, routes::reference::list,
        routes::reference::download, routes::reference::delete, routes::reference::send,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    tags((name = "auth"), (name = "company"), (name = "staff"), (name = "catalog"), (name = "clients"), (name = "orders"), (name = "events"), (name = "interactions"), (name = "agents"), (name = "knowledge"), (name = "campaigns"), (name = "reports"), (name = "evaluation"), (name = "cases"), (name = "forms"), (name = "chat"), (name = "email"), (name = "reference"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
            c.add_security_scheme("cookie", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::COOKIE))));
        }
    }
}

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if let Err(e) = state.store.ping().await {
        tracing::error!(error = %e, "health check: database does not answer");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable".to_owned());
    }
    // Reads alone do not tell: a full disk answers reads and refuses writes.
    if let Err(e) = state.store.probe_write().await {
        tracing::error!(error = %e, "health check: the database does not take writes");
        state.metrics.store_writable.set(0);
        return (StatusCode::SERVICE_UNAVAILABLE, format!("database does not take writes: {e}"));
    }
    state.metrics.store_writable.set(1);
    // Stored settings that do not read: calls are still answered (with the
    // default), so the service is up, but someone must look.
    let problems = state.center.problems.list();
    if problems.is_empty() {
        return (StatusCode::OK, "ok".to_owned());
    }
    let mut body = String::from("degraded: stored settings that do not read (the defaults apply)");
    for (company, setting, why) in problems {
        body.push_str(&format!("\ncompany {company}, {setting}: {why}"));
    }
    (StatusCode::OK, body)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
}

/// What our pages may load: only our own script and style, never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    use routes::*;
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/password", post(auth::change_password))
        .route("/auth/me", get(company::me).put(company::set_me))
        .route("/company", get(company::get).put(company::put))
        .route("/company/sip-hosts", get(company::sip_hosts).put(company::set_sip_hosts))
        .route("/company/mail", get(routes::mail::get).put(routes::mail::put))
        .route("/audit", get(company::audit))
        .route("/departments", get(departments::list).post(departments::create))
        .route("/departments/{id}", get(departments::get).put(departments::update))
        .route("/staff", get(staff::list).post(staff::create))
        .route("/staff/{id}", get(staff::get).put(staff::update))
        .route("/staff/{id}/password", put(staff::password))
        .route("/staff/{id}/sip", put(staff::set_sip).delete(staff::delete_sip))
        .route("/sip/accounts", get(staff::sip_accounts))
        .route("/absences", get(absences::list).post(absences::create))
        .route("/absences/{id}", get(absences::get).delete(absences::delete))
        .route("/products", get(products::list))
        .route("/products/{sku}", get(products::get))
        .route("/clients", get(clients::list).post(clients::register))
        .route("/client-types", get(clients::types))
        .route("/clients/lookup", get(clients::lookup))
        .route("/clients/{code}", get(clients::get))
        .route("/clients/{code}/manager", put(clients::assign))
        .route("/clients/{code}/email", put(clients::set_email))
        .route("/clients/{code}/contacts", post(clients::add_contact))
        .route("/clients/{code}/contacts/{id}", put(clients::update_contact))
        .route("/routing/decide", post(clients::decide))
        .route("/orders", get(orders::list).post(orders::open))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/lines", post(orders::set_line))
        .route("/orders/{id}/recommendations", get(orders::recommendations))
        .route("/orders/{id}/offers", post(orders::offer))
        .route("/orders/{id}/delivery", put(orders::delivery))
        .route("/orders/{id}/confirm", post(orders::confirm))
        .route("/orders/{id}/status", post(orders::set_status))
        .route("/price-rules", get(price_rules::list).post(price_rules::create))
        .route("/price-rules/{id}", put(price_rules::update).delete(price_rules::delete))
        .route("/events", get(crate::events::stream))
        .route("/agents/me/state", get(agents::me).put(agents::set))
        .route("/agents/{id}/state", put(agents::set_other))
        .route("/agents/me/hand", post(agents::hand))
        .route("/agents/{id}/hand", axum::routing::delete(agents::answer_hand))
        .route("/queues/stats", get(agents::stats))
        .route("/queues/settings", get(queues::get).put(queues::put))
        .route("/queues", get(queues::list))
        .route("/queues/{name}", axum::routing::put(queues::put_queue).delete(queues::delete))
        .route("/interactions", get(interactions::list))
        .route("/interactions/{id}", get(interactions::get))
        .route("/interactions/{id}/notes", put(interactions::notes))
        .route("/interactions/{id}/recording", get(interactions::recording))
        .route("/calls", post(calls::place))
        .route("/interactions/{id}/transfer", post(calls::transfer))
        .route("/interactions/{id}/listen", post(calls::listen))
        .route("/interactions/{id}/control", post(calls::control))
        .route("/softphone", get(routes::softphone::socket))
        .route("/interactions/{id}/transfer-targets", get(calls::transfer_targets))
        .route("/ivr", get(ivr::get).put(ivr::put).delete(ivr::delete))
        .route("/recordings/retention", get(ivr::get_retention).put(ivr::put_retention))
        .route("/numbers", get(interactions::numbers))
        .route("/numbers/{number}", put(interactions::set_number).delete(interactions::delete_number))
        .route("/interactions/{id}/raise-hand", post(agents::raise_hand_on))
        .route("/kb/articles", get(kb::list).post(kb::create))
        .route("/kb/articles/{id}", get(kb::get).put(kb::update).delete(kb::delete))
        .route("/kb/articles/{id}/versions", get(kb::versions))
        .route("/kb/articles/{id}/attachments", post(kb::attach))
        .route("/kb/articles/{id}/feedback", post(kb::feedback))
        .route("/kb/attachments/{id}", get(kb::attachment).delete(kb::delete_attachment))
        .route("/kb/search", get(kb::search))
        .route("/kb/suggest", get(kb::suggest))
        .route("/kb/requests", get(kb::requests).post(kb::ask))
        .route("/kb/requests/{id}/answer", post(kb::answer))
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/next", get(campaigns::next))
        .route("/reports/orders", get(routes::reports::orders))
        .route("/reports/requests", get(routes::reports::requests))
        .route("/reports/cases", get(routes::reports::cases))
        .route("/reports/queues", get(routes::reports::queues))
        .route("/reports/agents", get(routes::reports::agents))
        .route("/reports/rebuild", post(routes::reports::rebuild))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::get_one).put(cases::change))
        .route("/cases/{id}/notes", post(cases::note))
        .route("/case-rules", get(cases::rules).put(cases::put_rules))
        .route("/forms", get(forms::list).put(forms::put))
        .route("/form-submissions", get(forms::submissions))
        .route("/channels", get(chat::channels).put(chat::put_channels))
        .route("/chats", get(chat::mine))
        .route("/chats/{id}", get(chat::get_one))
        .route("/chats/{id}/accept", post(chat::accept))
        .route("/chats/{id}/messages", post(chat::say))
        .route("/chats/{id}/typing", post(chat::typing))
        .route("/chats/{id}/read", post(chat::read))
        .route("/chats/{id}/close", post(chat::close))
        .route("/mailbox", get(email::mailbox).put(email::put_mailbox))
        .route("/mailbox/check", post(email::check))
        .route("/emails", get(email::mine))
        .route("/emails/{id}", get(email::get_one))
        .route("/emails/{id}/accept", post(email::accept))
        .route("/emails/{id}/reply", post(email::reply))
        .route("/emails/{id}/close", post(email::close))
        .route("/email-attachments/{id}", get(email::attachment))
        .route("/reference/terms", get(reference::terms).put(reference::put_terms))
        .route("/products/{sku}/certificates", get(reference::list).post(reference::upload))
        .route("/product-certificates/{id}", get(reference::download).delete(reference::delete))
        .route("/interactions/{id}/send-reference", post(reference::send))
        .route("/reports/standing", get(routes::evaluation::standing))
        .route("/wrap-up-codes", get(routes::wrap_up::get).put(routes::wrap_up::put))
        .route("/scorecards", get(routes::evaluation::scorecards))
        .route("/scorecards/{code}", put(routes::evaluation::put_scorecard))
        .route("/evaluations", get(routes::evaluation::evaluations).post(routes::evaluation::evaluate))
        .route("/staff-complaints", get(routes::evaluation::complaints).post(routes::evaluation::complain))
        .route("/staff-complaints/{id}/decision", post(routes::evaluation::decide))
        .route("/targets", get(routes::evaluation::targets).put(routes::evaluation::put_targets))
        .route("/staff/{id}/development", get(routes::evaluation::development).put(routes::evaluation::put_development))
        .route("/campaigns/{id}", get(campaigns::get))
        .route("/campaigns/{id}/start", post(campaigns::start))
        .route("/campaigns/{id}/pause", post(campaigns::pause))
        .route("/campaigns/{id}/targets", get(campaigns::targets))
        .route("/campaigns/{id}/targets/{client_code}/outcome", post(campaigns::outcome))
        .route("/campaigns/{id}/targets/{client_code}/skip", post(campaigns::skip))
        .route("/campaigns/{id}/report", get(campaigns::report))
        .route("/dnc", get(campaigns::dnc_list))
        .route("/dnc/{number}", get(campaigns::dnc_get).put(campaigns::dnc_put).delete(campaigns::dnc_delete))
        .route("/openapi.json", get(openapi));
    let max_body = state.config.max_body_bytes;
    Router::new()
        .nest("/api/v1", api)
        .merge(ui::routes())
        .route("/forms/{company}/{code}", get(routes::forms::show).post(routes::forms::submit))
        .route("/chat/{company}/widget.js", get(routes::chat::widget))
        .route("/chat/{company}/ws", get(routes::chat::socket))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::handler))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        // Every response: our own script and style only, never framed,
        // never sniffed as another type, no referrer sent off the site.
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id, user = tracing::field::Empty)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
