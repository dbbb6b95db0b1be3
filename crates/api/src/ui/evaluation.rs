//! Evaluation's pages (OD-26, CC-13): a supervisor or head scores a call
//! while its recording plays (`/evaluate/{id}`); the heads' page lists the
//! calls to score; the desk shows operators their own scores and their
//! figures against the department's targets.

use super::i18n::Tr;
use super::{layout, User};
use crate::{auth::roles, AppState};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use centrala_domain::InteractionId;
use centrala_store::evaluation::Evaluation;
use maud::{html, Markup};

/// A score as a person reads it (per mille → per cent, one decimal).
fn percent(score: u32) -> String {
    format!("{:.1} %", f64::from(score) / 10.0)
}

fn evaluation_list(tr: Tr, user: &User, list: &[Evaluation], names: &dyn Fn(i64) -> String) -> Markup {
    html! {
        @if list.is_empty() { p.muted { (tr.t("ev-none")) } }
        ul.plain {
            @for e in list {
                li data-evaluation=(e.id) {
                    strong.score { (percent(e.score)) } " · " (names(e.staff.0)) " · " span.muted { (user.date_time(&e.created_at)) " · " (tr.t("ev-by")) " " (e.evaluator) }
                    @if !e.comment.is_empty() { br; q { (e.comment) } }
                    br;
                    span.muted {
                        @for (i, (c, mark)) in e.marks.iter().enumerate() {
                            @if i > 0 { ", " }
                            (c.name) " " (mark) "/" (c.max)
                        }
                    }
                }
            }
        }
    }
}

/// `/evaluate/{id}`: the call, its recording to play, the scorecard to
/// fill and the call's evaluations so far. Planners only.
pub async fn page(State(state): State<AppState>, user: User, Path(id): Path<String>) -> Response {
    if !roles::PLANNERS.contains(&user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let Ok(id) = id.parse::<i64>() else { return Redirect::to("/heads").into_response() };
    let s = state.store.company(user.auth.company);
    let (Ok(Some(call)), Ok(cards), Ok(done), Ok(people)) = (
        s.interaction(InteractionId(id)).await,
        s.scorecards().await,
        s.evaluations_of(InteractionId(id)).await,
        s.staff_list().await,
    ) else {
        return Redirect::to("/heads").into_response();
    };
    let name = |id: i64| people.iter().find(|m| m.id.0 == id).map_or_else(String::new, |m| m.username.clone());
    let tr = user.tr;
    let criteria = |c: &centrala_desk::evaluation::Scorecard| {
        serde_json::to_string(
            &c.criteria
                .iter()
                .map(|k| serde_json::json!({"code": k.code, "name": k.name, "max": k.max, "weight": k.weight}))
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default()
    };
    layout(
        tr,
        "evaluate",
        &tr.t("ev-title"),
        Some(&user),
        html! {
            section.card aria-labelledby="h-ev" {
                h1 #h-ev { (tr.t("ev-title")) }
                dl.facts {
                    dt { (tr.t("ev-caller")) } dd { (call.caller) }
                    dt { (tr.t("ev-agent")) } dd #ev-agent { (call.handled_by.map(|h| name(h.0)).unwrap_or_default()) }
                    dt { (tr.t("ev-arrived")) } dd { (user.date_time(&call.arrived_at)) }
                }
                @if call.recording.is_some() {
                    audio #ev-audio controls preload="metadata" src={ "/api/v1/interactions/" (id) "/recording" } aria-label=(tr.t("ev-recording")) {}
                } @else {
                    p.muted { (tr.t("ev-no-recording")) }
                }
                @if call.handled_by.is_none() {
                    p.muted { (tr.t("ev-nobody")) }
                } @else if cards.is_empty() {
                    p.muted { (tr.t("ev-no-cards")) }
                } @else {
                    form #ev-form data-interaction=(id) {
                        label { (tr.t("ev-card")) select #ev-card {
                            @for c in &cards { option value=(c.code) data-criteria=(criteria(c)) { (c.name) } }
                        } }
                        fieldset #ev-marks { legend { (tr.t("ev-marks")) } }
                        label { (tr.t("ev-comment")) textarea #ev-comment rows="3" {} }
                        button type="submit" { (tr.t("ev-save")) }
                        p #ev-msg role="status" {}
                    }
                }
            }
            section.card aria-labelledby="h-ev-list" {
                h2 #h-ev-list { (tr.t("ev-list")) }
                div #ev-list { (evaluation_list(tr, &user, &done, &name)) }
            }
        },
    )
    .into_response()
}

/// The heads' page: the latest answered calls, each to score.
pub async fn to_score(state: &AppState, user: &User) -> Markup {
    let tr = user.tr;
    let s = state.store.company(user.auth.company);
    let filter = centrala_store::interactions::InteractionFilter { limit: 200, ..Default::default() };
    let calls: Vec<_> = s
        .interactions(&filter)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|i| i.handled_by.is_some() && i.answered_at.is_some())
        .take(15)
        .collect();
    let people = s.staff_list().await.unwrap_or_default();
    let name = |id: i64| people.iter().find(|m| m.id.0 == id).map_or_else(String::new, |m| m.username.clone());
    html! {
        section.card aria-labelledby="h-to-score" {
            h2 #h-to-score { (tr.t("ev-to-score")) }
            @if calls.is_empty() { p.muted { (tr.t("ev-none")) } }
            ul.plain #to-score {
                @for c in &calls {
                    li data-interaction=(c.id.0) {
                        a href={ "/evaluate/" (c.id.0) } { (tr.t("ev-open")) } " · "
                        (user.date_time(&c.arrived_at)) " · " (c.caller) " · " (c.handled_by.map(|h| name(h.0)).unwrap_or_default())
                        @if c.recording.is_some() { " · " span.badge { (tr.t("ev-recorded")) } }
                    }
                }
            }
        }
    }
}

/// The desk: the operator's scores, and this month's figures against the
/// department's targets, as kept (the desk opens often: no rebuild, no
/// write, on its way).
pub async fn mine(state: &AppState, user: &User) -> Markup {
    let tr = user.tr;
    let s = state.store.company(user.auth.company);
    let me = user.auth.staff;
    let list = s.evaluations(Some(&[me]), "", "9999", 10).await.unwrap_or_default();
    let first = centrala_desk::report::Interval::Month.start(user.today);
    let targets = s.targets().await.unwrap_or_default();
    let figures =
        centrala_center::reports::standing(&state.center, user.auth.company, me, first, user.today).await.ok();
    let username = user.auth.username.clone();
    let name = move |_: i64| username.clone();
    let share = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{:.1} %", v * 100.0));
    let secs = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.0} s"));
    let score = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} %"));
    use centrala_desk::evaluation::{at_least, at_most};
    let rows = figures.map(|f| {
        [
            (
                "service_level",
                share(f.service_level),
                share(targets.service_level),
                at_least(f.service_level, targets.service_level),
            ),
            (
                "aht_seconds",
                secs(f.aht_seconds),
                secs(targets.aht_seconds.map(f64::from)),
                at_most(f.aht_seconds, targets.aht_seconds.map(f64::from)),
            ),
            ("conversion", share(f.conversion), share(targets.conversion), at_least(f.conversion, targets.conversion)),
            (
                "attach_rate",
                share(f.attach_rate),
                share(targets.attach_rate),
                at_least(f.attach_rate, targets.attach_rate),
            ),
            ("quality", score(f.quality), score(targets.quality), at_least(f.quality, targets.quality)),
        ]
    });
    html! {
        section.card #my-standing aria-labelledby="h-standing" {
            h2 #h-standing { (tr.t("standing-title")) }
            @if let Some(rows) = rows {
                table {
                    caption.visually-hidden { (tr.t("standing-title")) }
                    thead { tr {
                        th scope="col" { (tr.t("standing-figure")) } th scope="col" { (tr.t("standing-value")) }
                        th scope="col" { (tr.t("standing-target")) } th scope="col" { (tr.t("standing-state")) }
                    } }
                    tbody {
                        @for (code, value, target, standing) in rows {
                            tr data-figure=(code) data-standing=(standing.as_str()) {
                                th scope="row" { (tr.t(&format!("standing-{code}"))) }
                                td { (value) } td { (target) } td { (tr.t(&format!("standing-{}", standing.as_str()))) }
                            }
                        }
                    }
                }
            }
        }
        section.card #my-evaluations aria-labelledby="h-my-ev" {
            h2 #h-my-ev { (tr.t("ev-mine")) }
            (evaluation_list(tr, user, &list, &name))
        }
    }
}
