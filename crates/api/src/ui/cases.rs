//! The heads' page's open cases (OD-20, CC-15): the cases the reader may
//! see that are still open, the soonest due first, the late ones marked,
//! each due time in the company's zone.

use super::User;
use crate::AppState;
use centrala_desk::cases::overdue;
use centrala_store::cases::CaseFilter;
use maud::{html, Markup};

pub async fn open_cases(state: &AppState, user: &User) -> Markup {
    let tr = user.tr;
    let s = state.store.company(user.auth.company);
    let Ok(staffing) = state.center.caches.staffing(&s).await else { return html! {} };
    let mut f = CaseFilter { open_only: true, limit: 100, ..CaseFilter::default() };
    crate::routes::cases::scope(&mut f, &user.auth, &staffing);
    let cases = s.cases(&f).await.unwrap_or_default();
    let now = chrono::Utc::now();
    html! {
        section.card aria-labelledby="h-cases" {
            h2 #h-cases { (tr.t("cases-title")) " " span.badge { (cases.len()) } }
            @if cases.is_empty() { p.muted { (tr.t("cases-none")) } } @else {
                table #open-cases {
                    caption.visually-hidden { (tr.t("cases-title")) }
                    thead { tr {
                        th scope="col" { (tr.t("case-col-category")) } th scope="col" { (tr.t("case-col-subject")) }
                        th scope="col" { (tr.t("col-client")) } th scope="col" { (tr.t("case-col-department")) }
                        th scope="col" { (tr.t("case-col-due")) } th scope="col" { (tr.t("col-status")) }
                    } }
                    tbody {
                        @for c in &cases {
                            @let late = chrono::DateTime::parse_from_rfc3339(&c.due_at).is_ok_and(|d| overdue(c.status, d.to_utc(), now));
                            tr data-case=(c.id) data-overdue=(late) {
                                td { (tr.t(&format!("case-category-{}", c.category.as_str()))) }
                                td { (c.subject) }
                                td { @if let Some(id) = c.client { (client_name(state, user, id).await) } }
                                td { @if let Some(d) = c.department.and_then(|d| staffing.department(d)) { (d.name) } }
                                td { (user.date_time(&c.due_at)) @if late { " " strong.error { (tr.t("cases-overdue")) } } }
                                td data-status=(c.status.as_str()) { (tr.t(&format!("case-status-{}", c.status.as_str()))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn client_name(state: &AppState, user: &User, id: centrala_domain::ClientId) -> String {
    state.store.company(user.auth.company).client(id).await.ok().flatten().map(|c| c.name).unwrap_or_default()
}
