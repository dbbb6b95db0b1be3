//! The reports page (`/reports`, planners): for the days picked (a day is
//! the printable daily report) and, if picked, one queue, one team (a
//! department) or one operator: the service level per day (per hour for
//! one day) against the target, the calls per weekday and hour as a heat
//! map, the operators ranked by calls answered, the attach rate (offers
//! accepted) per day against the target, the queues' totals, and the same
//! figures as CSV; the clients' cases raised in the span per category (of
//! the team's department, when one is picked). Charts are `charts.rs`'s
//! SVG.

use super::{charts, layout, User};
use crate::AppState;
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use centrala_center::reports::{agents, cases, order_desk, queues, Cut};
use centrala_desk::intervals::{add_queue, QueueSlot};
use centrala_desk::report::Interval;
use chrono::{Datelike, NaiveDate, Timelike};
use maud::html;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The longest span the page draws (its hourly heat map's limit).
const MAX_DAYS: i64 = 31;

#[derive(Deserialize)]
pub struct PageQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// One queue (its name); empty: all.
    queue: Option<String>,
    /// One team: a department's id; empty: all.
    team: Option<String>,
    /// One operator (username); empty: all.
    agent: Option<String>,
}

/// Milliseconds as whole seconds in words (`—`: none).
pub(crate) fn secs(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_owned(), |m| format!("{} s", crate::routes::reports::secs(m)))
}

/// A share as a per cent in words (`—`: none).
pub(crate) fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

pub async fn page(State(state): State<AppState>, user: User, Query(q): Query<PageQuery>) -> Response {
    if !crate::auth::roles::PLANNERS.contains(&user.auth.role) {
        return Redirect::to("/").into_response();
    }
    let tr = user.tr;
    let to = q.to.unwrap_or(user.today);
    let mut from = q.from.unwrap_or(to - chrono::Duration::days(6)).min(to);
    if (to - from).num_days() + 1 > MAX_DAYS {
        from = to - chrono::Duration::days(MAX_DAYS - 1);
    }
    let company = user.auth.company;
    let s = state.store.company(company);
    let (Ok(known), Ok(departments), Ok(people)) = (
        centrala_center::settings::company_queues(&s, &state.center.problems).await,
        s.departments().await,
        s.staff_list().await,
    ) else {
        return crate::error::ApiError::internal().into_response();
    };
    // What was picked, if it exists; anything else is "all".
    let queue = q.queue.filter(|n| known.contains_key(n));
    let team = q.team.and_then(|t| t.parse::<i64>().ok()).and_then(|t| departments.iter().find(|d| d.id.0 == t));
    let agent = q.agent.and_then(|u| people.iter().find(|m| m.username == u));
    let in_scope = |id: i64| {
        agent.is_none_or(|a| a.id.0 == id)
            && team.is_none_or(|t| people.iter().any(|m| m.id.0 == id && m.department == Some(t.id)))
    };
    let picked: Vec<centrala_domain::StaffId> = people.iter().filter(|m| in_scope(m.id.0)).map(|m| m.id).collect();
    let picked = (agent.is_some() || team.is_some()).then_some(picked.as_slice());
    let one_day = from == to;
    let cut = if one_day { Cut::Hour } else { Cut::Days(Interval::Day) };
    if centrala_center::reports::fresh(&state.center, company).await.is_err() {
        return crate::error::ApiError::internal().into_response();
    }
    let (Ok(by_period), Ok(hours), Ok(ranked), Ok(targets), Ok(desk), Ok(case_rows)) = (
        queues(&state.center, company, from, to, cut, queue.as_deref()).await,
        queues(&state.center, company, from, to, Cut::Hour, queue.as_deref()).await,
        agents(&state.center, company, from, to, Cut::Days(Interval::Month), None).await,
        s.targets().await,
        order_desk(&state.center, company, from, to, Interval::Day, picked).await,
        cases(&state.center, company, from, to, None, team.map(|t| t.id.0)).await,
    ) else {
        return crate::error::ApiError::internal().into_response();
    };
    // Service level per period, every queue together.
    let all: Vec<_> = by_period.iter().filter(|(_, r)| r.queue.is_empty()).collect();
    let labels: Vec<String> = all
        .iter()
        .map(|(p, _)| {
            if one_day {
                p.label.get(11..13).unwrap_or("").to_owned()
            } else {
                p.label.get(5..10).unwrap_or("").to_owned()
            }
        })
        .collect();
    let levels: Vec<Option<f64>> = all.iter().map(|(_, r)| r.service_level()).collect();
    // Calls offered per local weekday and hour.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut cells = vec![vec![0i64; 24]; 7];
    for (p, r) in hours.iter().filter(|(_, r)| r.queue.is_empty()) {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&p.label) {
            let d = t.weekday().num_days_from_monday() as usize;
            cells[d][t.hour() as usize] += r.offered;
        }
    }
    let hour_names: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    let day_names: Vec<String> = days.iter().map(|d| tr.t(&format!("day-{d}"))).collect();
    // Operators by calls answered.
    let mut answered: BTreeMap<i64, i64> = BTreeMap::new();
    for (_, a) in ranked.iter().filter(|(_, a)| in_scope(a.staff)) {
        *answered.entry(a.staff).or_default() += a.answered + a.outbound;
    }
    let mut rank: Vec<(String, i64)> = answered
        .into_iter()
        .map(|(id, n)| {
            (people.iter().find(|m| m.id.0 == id).map_or_else(|| id.to_string(), |m| m.full_name.clone()), n)
        })
        .collect();
    rank.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rank.truncate(12);
    // The queues' totals over the span.
    let totals = queue_totals(&by_period);
    // Offers accepted per day: the operators in scope together.
    let mut offered: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
    for r in desk.iter().filter(|r| r.staff.is_some_and(in_scope)) {
        let e = offered.entry(r.period).or_default();
        e.0 += r.offers;
        e.1 += r.accepted;
    }
    let attach_days: Vec<String> = offered.keys().map(|d| d.format("%m-%d").to_string()).collect();
    let attach: Vec<Option<f64>> = offered.values().map(|(o, a)| (*o > 0).then(|| *a as f64 / *o as f64)).collect();
    let mut span = format!("from={from}&to={to}");
    if let Some(name) = &queue {
        span.push_str(&format!("&queue={name}"));
    }
    let agent_span = agent.map_or_else(String::new, |a| format!("&agent={}", a.username));
    let team_span = team.map_or_else(String::new, |t| format!("&department={}", t.code));
    let hours =
        |h: Option<f64>| h.map_or_else(|| "—".to_owned(), |h| tr.t_with("rp-hours", &[("n", &format!("{h:.1}"))]));
    layout(
        tr,
        "reports",
        &tr.t("rp-title"),
        Some(&user),
        html! {
            section.card aria-labelledby="h-rp" {
                h1 #h-rp { (tr.t("rp-title")) " " span.muted { (from) @if !one_day { " – " (to) } } }
                form #rp-form.grid.no-print method="get" action="/reports" {
                    label { (tr.t("rep-from")) input #rp-from name="from" type="date" value=(from); }
                    label { (tr.t("rep-to")) input #rp-to name="to" type="date" value=(to); }
                    label { (tr.t("rp-col-queue")) select #rp-queue name="queue" {
                        option value="" { (tr.t("rp-all-queues")) }
                        @for name in known.keys() { option value=(name) selected[queue.as_deref() == Some(name.as_str())] { (super::admin::queue_name(tr, name)) } }
                    } }
                    label { (tr.t("rp-team")) select #rp-team name="team" {
                        option value="" { (tr.t("rp-all-teams")) }
                        @for d in &departments { option value=(d.id.0) selected[team.is_some_and(|t| t.id == d.id)] { (d.name) } }
                    } }
                    label { (tr.t("rep-col-agent")) select #rp-agent name="agent" {
                        option value="" { (tr.t("rp-all-operators")) }
                        @for m in people.iter().filter(|m| crate::auth::roles::ORDER_TAKERS.contains(&m.role)) {
                            option value=(m.username) selected[agent.is_some_and(|a| a.id == m.id)] { (m.full_name) }
                        }
                    } }
                    button type="submit" { (tr.t("rep-show")) }
                    button #rp-print.secondary type="button" { (tr.t("rp-print")) }
                }
                p.muted.no-print { (tr.t("rp-help")) }
            }
            section.card aria-labelledby="h-rp-sl" {
                h2 #h-rp-sl { (tr.t(if one_day { "rp-sl-hours" } else { "rp-sl-days" })) }
                @if levels.iter().all(Option::is_none) { p.muted { (tr.t("rp-no-data")) } }
                @else { (charts::share_bars(&tr.t("rp-sl-days"), &labels, &levels, targets.service_level)) }
            }
            section.card aria-labelledby="h-rp-heat" {
                h2 #h-rp-heat { (tr.t("rp-heat")) }
                (charts::heat(&tr.t("rp-heat"), &day_names, &hour_names, &cells))
            }
            section.card aria-labelledby="h-rp-rank" {
                h2 #h-rp-rank { (tr.t("rp-rank")) }
                @if rank.is_empty() { p.muted { (tr.t("rp-no-data")) } }
                @else {
                    @let (names, values): (Vec<String>, Vec<i64>) = rank.iter().cloned().unzip();
                    (charts::ranking(&tr.t("rp-rank"), &names, &values))
                }
            }
            section.card aria-labelledby="h-rp-attach" {
                h2 #h-rp-attach { (tr.t("rp-attach")) }
                @if attach.iter().all(Option::is_none) { p.muted { (tr.t("rep-none")) } }
                @else { (charts::share_bars(&tr.t("rp-attach"), &attach_days, &attach, targets.attach_rate)) }
            }
            section.card aria-labelledby="h-rp-q" {
                h2 #h-rp-q { (tr.t("rp-queues")) }
                table #rp-queues {
                    caption.visually-hidden { (tr.t("rp-queues")) }
                    thead { tr {
                        @for k in ["queue", "offered", "answered", "abandoned", "sl", "asa", "aht", "longest"] {
                            th scope="col" { (tr.t(&format!("rp-col-{k}"))) }
                        }
                    } }
                    tbody {
                        @for (name, r) in &totals {
                            tr data-queue=(name) class=[name.is_empty().then_some("total")] {
                                th scope="row" { @if name.is_empty() { (tr.t("rp-all-queues")) } @else { (super::admin::queue_name(tr, name)) } }
                                td { (r.offered) } td { (r.answered) } td { (r.abandoned) }
                                td { (pct(r.service_level())) } td { (secs(r.asa_ms())) }
                                td { (secs(r.averages_ms().map(|a| a.2))) } td { (secs(Some(r.longest_wait_ms))) }
                            }
                        }
                    }
                }
                p.no-print {
                    a #rp-csv-queues href={ "/api/v1/reports/queues?" (span) "&interval=day&format=csv" } download="" { (tr.t("rp-csv-queues")) }
                    " · "
                    a #rp-csv-agents href={ "/api/v1/reports/agents?from=" (from) "&to=" (to) (agent_span) "&interval=day&format=csv" } download="" { (tr.t("rp-csv-agents")) }
                    " · "
                    a #rp-csv-orders href={ "/api/v1/reports/orders?from=" (from) "&to=" (to) (agent_span) "&interval=day&format=csv" } download="" { (tr.t("rp-csv-orders")) }
                }
            }
            section.card aria-labelledby="h-rp-cases" {
                h2 #h-rp-cases { (tr.t("rp-cases")) }
                @if case_rows.is_empty() { p.muted { (tr.t("rp-no-data")) } }
                @else {
                    table #rp-cases {
                        caption.visually-hidden { (tr.t("rp-cases")) }
                        thead { tr {
                            @for k in ["category", "raised", "resolved", "in-time", "open", "overdue", "median", "mean"] {
                                th scope="col" { (tr.t(&format!("rp-cases-col-{k}"))) }
                            }
                        } }
                        tbody {
                            @for r in &case_rows {
                                tr data-category=(r.category.map_or("", |c| c.as_str())) class=[r.category.is_none().then_some("total")] {
                                    th scope="row" { @match r.category {
                                        Some(c) => (tr.t(&format!("case-category-{}", c.as_str()))),
                                        None => (tr.t("rp-cases-all")),
                                    } }
                                    td { (r.raised) } td { (r.resolved) } td { (pct(r.in_time())) }
                                    td { (r.open) } td.overdue[r.overdue > 0] { (r.overdue) }
                                    td { (hours(r.median_hours)) } td { (hours(r.mean_hours)) }
                                }
                            }
                        }
                    }
                }
                p.no-print {
                    a #rp-csv-cases href={ "/api/v1/reports/cases?from=" (from) "&to=" (to) (team_span) "&interval=week&format=csv" } download="" { (tr.t("rp-csv-cases")) }
                }
            }
        },
    )
    .into_response()
}

/// Each queue's periods summed (`""`: every queue together).
pub(crate) fn queue_totals(rows: &[(centrala_center::reports::Period, QueueSlot)]) -> BTreeMap<String, QueueSlot> {
    let mut totals: BTreeMap<String, QueueSlot> = BTreeMap::new();
    for (_, r) in rows {
        let into = totals
            .entry(r.queue.clone())
            .or_insert_with(|| QueueSlot { queue: r.queue.clone(), ..QueueSlot::default() });
        add_queue(into, r);
    }
    totals
}

/// The heads' page: this week's most frequent requests (CC-8), as the
/// callers chose them in the menu and as the operators recorded them.
pub async fn top_requests(state: &AppState, user: &User) -> maud::Markup {
    let tr = user.tr;
    let monday = Interval::Week.start(user.today);
    if let Err(e) = centrala_center::reports::fresh(&state.center, user.auth.company).await {
        tracing::warn!(error = %e, "the top requests read as kept: not brought up to date");
    }
    let rows =
        centrala_center::reports::requests(&state.center, user.auth.company, monday, user.today, Interval::Week, None)
            .await
            .unwrap_or_default();
    let naming = crate::routes::wrap_up::Naming::of(&state.store.company(user.auth.company)).await.ok();
    let top = |kind: &str| -> Vec<(String, u64)> {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.kind == kind && !r.code.is_empty()) {
            *counts.entry(r.code.clone()).or_default() += r.count;
        }
        let mut v: Vec<(String, u64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(5);
        v
    };
    let (chose, recorded) = (top("intent"), top("wrap_up"));
    let intent = |code: &str| tr.t(&format!("intent-{code}"));
    let wrap_up = |code: &str| naming.as_ref().map_or_else(|| code.to_owned(), |n| n.code(code, tr));
    html! {
        section.card aria-labelledby="h-top-requests" {
            h2 #h-top-requests { (tr.t("rq-top-title")) }
            @if chose.is_empty() && recorded.is_empty() { p.muted { (tr.t("rp-no-data")) } }
            div.grid {
                div {
                    h3 { (tr.t("rq-chose")) }
                    ol #top-intents { @for (c, n) in &chose { li data-code=(c) { (intent(c)) ": " strong { (n) } } } }
                }
                div {
                    h3 { (tr.t("rq-recorded")) }
                    ol #top-wrap-ups { @for (c, n) in &recorded { li data-code=(c) { (wrap_up(c)) ": " strong { (n) } } } }
                }
            }
            p.no-print { a href="/reports" { (tr.t("rq-more")) } }
        }
    }
}
