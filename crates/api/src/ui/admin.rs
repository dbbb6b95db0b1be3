//! Administration: staff and roles, phones, queues, the voice menu,
//! departments, absences and substitutes, client types, price-column
//! rules and phone numbers. Everyone allowed here sees it all; the forms
//! post to the API, which decides who may change what. Every field has a
//! label, every table its headers; codes are shown in words.

use super::{layout, sees_admin, User};
use crate::{routes::queues::OverflowDef, AppState};
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use centrala_domain::{DepartmentId, StaffId};
use maud::{html, Markup};

use super::i18n::Tr;

/// A labelled field.
fn labelled(text: &str, input: Markup) -> Markup {
    html! { label { (text) (input) } }
}

pub(super) async fn page(State(state): State<AppState>, user: User) -> Response {
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
    let Ok(naming) = crate::routes::wrap_up::Naming::of(&s).await else {
        return crate::error::ApiError::internal().into_response();
    };
    let since = user.today - chrono::Duration::days(14);
    let (Ok(settings), Ok(mailings)) = (s.mail_settings().await, s.mailings(since).await) else {
        return crate::error::ApiError::internal().into_response();
    };
    let code = state.store.company_by_id(user.auth.company).await.ok().flatten().map(|c| c.code).unwrap_or_default();
    let channels = async {
        Ok::<_, centrala_store::StoreError>(Channels {
            settings: s.channels().await?,
            mailbox: s.mailbox().await?,
            outbox: s.outbox_problems(50).await?,
            terms: s.reference_terms().await?,
            certificates: s.certificates(None).await?,
            code: code.clone(),
        })
    }
    .await;
    let Ok(channels) = channels else {
        return crate::error::ApiError::internal().into_response();
    };
    let (Ok(retention_days), Ok(pause_allowed)) = (s.recording_retention().await, s.recording_pause_allowed().await)
    else {
        return crate::error::ApiError::internal().into_response();
    };
    let mail = Mail {
        settings,
        mailings,
        password_source: crate::mail::password_source(state.config.mail_secrets.as_deref(), &code),
        code,
    };
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
    let phone =
        |id: StaffId| sip.iter().find(|a| a.staff_id == id).map(|a| (a, state.center.is_registered(&a.username)));
    let name = |id: StaffId| staff.iter().find(|m| m.id == id).map_or_else(|| id.to_string(), |m| m.full_name.clone());
    let dept = |id: Option<DepartmentId>| {
        id.and_then(|d| departments.iter().find(|x| x.id == d)).map_or_else(String::new, |d| d.name.clone())
    };
    let tr = user.tr;
    let role = |r: centrala_domain::Role| tr.t(&format!("role-{}", r.as_str()));
    layout(
        tr,
        "admin",
        &tr.t("admin-title"),
        Some(&user),
        html! {
            h1 { (tr.t("admin-title")) }
            section.card aria-labelledby="h-staff" {
                h2 #h-staff { (tr.t("admin-staff")) }
                div.row {
                    (labelled(&tr.t("admin-filter"), html! { input #staff-filter type="search" autocomplete="off"; }))
                    (labelled(&tr.t("admin-staff-role"), html! {
                        select #staff-role-filter { option value="" { (tr.t("admin-all")) }
                            @for r in centrala_domain::Role::ALL { option value=(r.as_str()) { (role(r)) } } }
                    }))
                }
                table #staff-table {
                    caption.visually-hidden { (tr.t("admin-staff")) }
                    thead { tr {
                        th scope="col" { (tr.t("admin-staff-username")) } th scope="col" { (tr.t("admin-staff-name")) }
                        th scope="col" { (tr.t("admin-staff-role")) } th scope="col" { (tr.t("admin-departments")) }
                        th scope="col" { (tr.t("admin-staff-active")) } th scope="col" { (tr.t("admin-phone")) }
                    } }
                    tbody {
                        @for m in &staff {
                            tr data-id=(m.id.0) data-role=(m.role.as_str()) { td { (m.username) } td { (m.full_name) } td { (role(m.role)) } td { (dept(m.department)) }
                                 td { @if m.active { (tr.t("yes")) } @else { (tr.t("no")) } }
                                 td.sip { @if let Some((a, up)) = phone(m.id) {
                                     "☎ " (a.username) " · " @if up { span.ok { (tr.t("admin-phone-up")) } } @else { span.muted { (tr.t("admin-phone-down")) } }
                                     @if a.srtp_required { " " span.srtp title=(tr.t("admin-sip-srtp")) { "🔒" } } } } }
                        }
                    }
                }
                // One form adds a member or changes the one picked (the API
                // lets only admins do either).
                form #staff-form.grid {
                    (labelled(&tr.t("admin-staff-pick"), html! {
                        select #st-id {
                            option value="" { (tr.t("admin-staff-new")) }
                            @for m in &staff {
                                option value=(m.id.0) data-username=(m.username) data-full-name=(m.full_name) data-role=(m.role.as_str())
                                    data-department=(m.department.map(|d| d.0.to_string()).unwrap_or_default())
                                    data-active=(m.active) data-locale=(m.locale) data-email=(m.email) { (m.full_name) " (" (m.username) ")" }
                            }
                        }
                    }))
                    label data-field="username" { (tr.t("admin-staff-username")) input #st-username required; span.field-error {} }
                    label data-field="full_name" { (tr.t("admin-staff-name")) input #st-name required; span.field-error {} }
                    (labelled(&tr.t("admin-staff-role"), html! {
                        select #st-role { @for r in centrala_domain::Role::ALL { option value=(r.as_str()) { (role(r)) } } }
                    }))
                    (labelled(&tr.t("admin-departments"), html! {
                        select #st-dept { option value="" { "—" } @for d in &departments { option value=(d.id.0) { (d.name) } } }
                    }))
                    (labelled(&tr.t("language"), html! {
                        select #st-locale { @for (code, lname) in super::i18n::LANGUAGES { option value=(code) lang=(code) { (lname) } } }
                    }))
                    label data-field="email" { (tr.t("admin-staff-email")) input #st-email type="email" autocomplete="off"; span.field-error {} }
                    label { input #st-active type="checkbox" checked; " " (tr.t("admin-staff-active")) }
                    label data-field="password" { (tr.t("admin-staff-password")) input #st-pass type="password" minlength="8" autocomplete="new-password"; span.field-error {} }
                    button type="submit" { (tr.t("admin-save")) }
                }
                p #staff-msg role="status" {}
            }
            section.card aria-labelledby="h-sip" {
                h2 #h-sip { (tr.t("admin-sip")) }
                p.muted { (tr.t("admin-sip-help")) }
                form #sip-form.grid {
                    (labelled(&tr.t("admin-staff-pick"), html! { select #s-staff { @for m in &staff { option value=(m.id.0) { (m.full_name) } } } }))
                    label data-field="username" { (tr.t("admin-sip-user")) input #s-user required; span.field-error {} }
                    label data-field="password" { (tr.t("admin-sip-password")) input #s-pass type="password" required minlength="8" autocomplete="new-password"; span.field-error {} }
                    label { input #s-srtp type="checkbox"; " " (tr.t("admin-sip-srtp")) }
                    button type="submit" { (tr.t("admin-save")) }
                }
                p #sip-msg role="status" {}
            }
            section.card aria-labelledby="h-queues" {
                h2 #h-queues { (tr.t("admin-queue")) }
                table #queues-table {
                    caption.visually-hidden { (tr.t("admin-queue")) }
                    thead { tr {
                        th scope="col" { (tr.t("admin-queue-name")) } th scope="col" { (tr.t("admin-queue-members")) }
                        th scope="col" { (tr.t("admin-queue-ring")) } th scope="col" { (tr.t("admin-queue-max")) }
                        th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
                    } }
                    tbody {
                    @for (qname, q) in &queues {
                        tr data-queue=(qname) data-def=(serde_json::to_string(q).unwrap_or_default()) {
                            td { strong { (queue_name(tr, qname)) } }
                            td { @if qname == centrala_center::acd::OPERATORS { span.muted { (tr.t("admin-queue-by-role")) } " " }
                                 (q.members.join(", ")) }
                            td { (q.ring_timeout_seconds) " s" }
                            td { @match q.max_wait_seconds {
                                Some(m) => { (m) " s → " (overflow_text(tr, &q.overflow)) }
                                None => { "—" }
                            } }
                            td { button.secondary.edit-queue type="button" { (tr.t("admin-edit")) " " span.visually-hidden { (qname) } } }
                        }
                    }
                } }
                form #queue-form.grid {
                    label data-field="name" { (tr.t("admin-queue-name")) input #q-name required pattern="[a-z0-9_-]{1,32}" value=(centrala_center::acd::OPERATORS); span.field-error {} }
                    (labelled(&tr.t("admin-queue-ring"), html! { input #q-ring type="number" min="5" max="120" value=(queue.ring_timeout_seconds); }))
                    (labelled(&tr.t("admin-queue-wrap"), html! { input #q-wrap type="number" min="0" max="600" value=(queue.wrap_up_seconds); }))
                    (labelled(&tr.t("admin-queue-max"), html! { input #q-max type="number" min="10" max="7200"
                        value=(queue.max_wait_seconds.map(|s| s.to_string()).unwrap_or_default()); }))
                    (labelled(&tr.t("admin-queue-overflow"), html! {
                        select #q-overflow {
                            option value="message" selected[queue.overflow == OverflowDef::Message] { (tr.t("admin-queue-message")) }
                            option value="callback" selected[queue.overflow == OverflowDef::Callback] { (tr.t("admin-queue-callback")) }
                            @for qname in queues.keys() {
                                option value={ "queue:" (qname) } selected[queue.overflow == OverflowDef::Queue(qname.clone())] {
                                    (tr.t("admin-queue-into")) " " (queue_name(tr, qname)) }
                            }
                        }
                    }))
                    (labelled(&tr.t("admin-queue-announce"), html! { input #q-announce type="number" min="0" max="600" value=(queue.announce_every_seconds); }))
                    (labelled(&tr.t("admin-queue-attempts"), html! { input #q-attempts type="number" min="1" max="5" value=(queue.callback_attempts); }))
                    (labelled(&tr.t("admin-queue-retry"), html! { input #q-retry type="number" min="10" max="86400" value=(queue.callback_retry_seconds); }))
                    (labelled(&tr.t("admin-queue-sl"), html! { input #q-sl type="number" min="5" max="600" value=(queue.service_level_seconds); }))
                    (labelled(&tr.t("admin-queue-members"), html! { input #q-members placeholder="op.ana, sup.nina" value=(queue.members.join(", ")); }))
                    label { input #q-offer type="checkbox" checked[queue.callback_offer]; " " (tr.t("admin-queue-offer")) }
                    button type="submit" { (tr.t("admin-save")) }
                    button #q-delete.secondary type="button" { (tr.t("admin-delete")) }
                }
                p #queue-msg role="status" {}
            }
            section.card aria-labelledby="h-ivr" {
                h2 #h-ivr { (tr.t("admin-ivr")) " " span #ivr-own.badge { @if own_ivr { (tr.t("admin-ivr-own")) } @else { (tr.t("admin-ivr-default")) } } }
                div #ivr-editor {}
                details {
                    summary { (tr.t("admin-ivr-json")) }
                    label { (tr.t("admin-ivr-json")) textarea #ivr-json rows="14" spellcheck="false" translate="no" { (ivr_pretty) } }
                }
                div.row {
                    button #ivr-save type="button" { (tr.t("admin-save")) }
                    button #ivr-reset.secondary type="button" { (tr.t("admin-ivr-reset")) }
                }
                p #ivr-msg role="status" {}
            }
            (wrap_up_codes(tr, &naming))
            section.card aria-labelledby="h-depts" {
                h2 #h-depts { (tr.t("admin-departments")) }
                table {
                    caption.visually-hidden { (tr.t("admin-departments")) }
                    thead { tr { th scope="col" { (tr.t("admin-code")) } th scope="col" { (tr.t("admin-name")) } th scope="col" { (tr.t("admin-kind")) } th scope="col" { (tr.t("admin-head")) } } }
                    tbody {
                    @for d in &departments {
                        tr { td translate="no" { (d.code) } td { (d.name) } td { (tr.t(&format!("dept-{}", d.kind.as_str()))) } td { (d.head.map(name).unwrap_or_default()) } }
                    }
                } }
            }
            section.card aria-labelledby="h-absences" {
                h2 #h-absences { (tr.t("admin-absences")) }
                table #absences-table {
                    caption.visually-hidden { (tr.t("admin-absences")) }
                    thead { tr { th scope="col" { (tr.t("admin-who")) } th scope="col" { (tr.t("admin-when")) } th scope="col" { (tr.t("admin-kind")) } th scope="col" { (tr.t("admin-substitute")) } } }
                    tbody {
                    @for a in &absences {
                        tr { td { (name(a.staff)) } td { span data-date=(a.from) { (a.from) } " – " span data-date=(a.to) { (a.to) } }
                             td { (tr.t(&format!("absence-{}", a.kind.as_str()))) }
                             td { (a.substitute.map(name).unwrap_or_default()) } }
                    }
                } }
                form #absence-form.grid {
                    (labelled(&tr.t("admin-who"), html! { select #a-staff { @for m in &staff { option value=(m.id.0) { (m.full_name) } } } }))
                    label data-field="from" { (tr.t("admin-from")) input #a-from type="date" required; span.field-error {} }
                    label data-field="to" { (tr.t("admin-to")) input #a-to type="date" required; span.field-error {} }
                    (labelled(&tr.t("admin-kind"), html! { select #a-kind {
                        @for k in ["vacation", "business_trip", "sick_leave"] { option value=(k) { (tr.t(&format!("absence-{k}"))) } } } }))
                    label data-field="substitute" { (tr.t("admin-substitute")) select #a-sub { option value="" { "—" } @for m in &staff { option value=(m.id.0) { (m.full_name) } } } span.field-error {} }
                    button type="submit" { (tr.t("admin-add")) }
                }
                p #absence-msg role="status" {}
            }
            section.card aria-labelledby="h-types" {
                h2 #h-types { (tr.t("admin-client-types")) }
                table #types-table {
                    caption.visually-hidden { (tr.t("admin-client-types")) }
                    thead { tr { th scope="col" { (tr.t("admin-code")) } th scope="col" { (tr.t("admin-name")) } th scope="col" { (tr.t("admin-types-clients")) } th scope="col" { (tr.t("admin-types-traditional")) } } }
                    tbody {
                    @for t in &types {
                        tr data-type=(t.code) { td translate="no" { strong { (t.code) } } td { (type_name(tr, &t.code, &t.name)) } td { (t.clients) " " (tr.t("admin-types-clients")) }
                             td.muted { (t.traditional.join(", ")) } }
                    }
                } }
                p.muted { (tr.t("admin-types-help")) }
            }
            section.card aria-labelledby="h-rules" {
                h2 #h-rules { (tr.t("admin-price-rules")) }
                table #rules-table {
                    caption.visually-hidden { (tr.t("admin-price-rules")) }
                    thead { tr {
                        th scope="col" { (tr.t("admin-name")) } th scope="col" { (tr.t("admin-rule-priority")) } th scope="col" { (tr.t("admin-rule-type")) }
                        th scope="col" { (tr.t("admin-rule-min")) } th scope="col" { (tr.t("admin-when")) } th scope="col" { (tr.t("card-column")) }
                        th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
                    } }
                    tbody {
                    @for r in &rules {
                        tr {
                            td { (r.name) } td { (r.priority) } td { (r.client_type.as_deref().map_or_else(|| tr.t("admin-all"), |c| type_name(tr, c, c))) }
                            td { @if let Some(m) = r.min_volume { (super::money(m)) } }
                            td { (r.valid_from.map(|d| d.to_string()).unwrap_or_default()) " – " (r.valid_to.map(|d| d.to_string()).unwrap_or_default()) }
                            td { (r.column) }
                            td { button.secondary.delete-rule type="button" data-id=(r.id) { (tr.t("admin-delete")) " " span.visually-hidden { (r.name) } } }
                        }
                    }
                } }
                form #rule-form.grid {
                    label data-field="name" { (tr.t("admin-name")) input #r-name required; span.field-error {} }
                    (labelled(&tr.t("admin-rule-priority"), html! { input #r-priority type="number" value="10"; }))
                    label data-field="client_type" { (tr.t("admin-rule-type")) select #r-type { option value="" { (tr.t("admin-all")) }
                        @for t in &types { option value=(t.code) { (type_name(tr, &t.code, &t.name)) } } } span.field-error {} }
                    label data-field="min_volume" { (tr.t("admin-rule-min")) input #r-min inputmode="decimal"; span.field-error {} }
                    (labelled(&tr.t("admin-from"), html! { input #r-from type="date"; }))
                    (labelled(&tr.t("admin-to"), html! { input #r-to type="date"; }))
                    (labelled(&tr.t("card-column"), html! { input #r-column type="number" min="1" max="5" value="2"; }))
                    button type="submit" { (tr.t("admin-add")) }
                }
                p #rule-msg role="status" {}
            }
            (mail_card(tr, &user, &mail, &staff))
            (channels_card(tr, &user, &channels))
            // Recordings: how long they are kept, and whether an operator
            // may pause one for a sensitive moment.
            section.card #recordings aria-labelledby="h-recordings" {
                h2 #h-recordings { (tr.t("admin-recordings")) }
                form #recordings-form.grid {
                    label data-field="days" { (tr.t("admin-rec-days")) input #rec-days type="number" min="0" max="36500" value=(retention_days); span.field-error {} }
                    label { input #rec-pause type="checkbox" checked[pause_allowed]; " " (tr.t("admin-rec-pause")) }
                    button type="submit" { (tr.t("admin-save")) }
                }
                p #recordings-msg role="status" {}
            }
            section.card aria-labelledby="h-numbers" {
                h2 #h-numbers { (tr.t("admin-numbers")) }
                table {
                    caption.visually-hidden { (tr.t("admin-numbers")) }
                    thead { tr { th scope="col" { (tr.t("admin-number")) } th scope="col" { (tr.t("admin-number-purpose")) } } }
                    tbody { @for (n, p) in &numbers { tr { td { (n) } td { (p) } } } } }
            }
        },
    )
    .into_response()
}

/// The company's SMTP server and daily report, and what was mailed.
struct Mail {
    settings: Option<centrala_store::mail::MailSettings>,
    mailings: Vec<centrala_store::mail::Mailing>,
    password_source: &'static str,
    code: String,
}

/// The daily report by e-mail: the SMTP settings, where the password is
/// read from, who receives it, and the last two weeks' reports with their
/// state and last error (a failure shows here; nothing else waits for it).
fn mail_card(tr: Tr, user: &User, mail: &Mail, staff: &[centrala_store::Staff]) -> Markup {
    use centrala_store::mail::Tls;
    let m = mail.settings.as_ref();
    let tls = m.map_or(Tls::StartTls, |m| m.tls);
    let recipients: Vec<&centrala_store::Staff> = staff.iter().filter(|s| crate::mail::receives_report(s)).collect();
    let who = |id: StaffId| staff.iter().find(|s| s.id == id).map_or_else(String::new, |s| s.full_name.clone());
    let (env, file) = crate::mail::secret_names(&mail.code);
    html! {
        section.card #mail aria-labelledby="h-mail" {
            h2 #h-mail { (tr.t("admin-mail")) }
            p.muted { (tr.t("admin-mail-help")) }
            form #mail-form.grid {
                label data-field="host" { (tr.t("admin-mail-host")) input #m-host required value=(m.map_or("", |m| m.host.as_str())); span.field-error {} }
                label data-field="port" { (tr.t("admin-mail-port")) input #m-port type="number" min="1" max="65535" required value=(m.map_or(587, |m| m.port)); span.field-error {} }
                (labelled(&tr.t("admin-mail-tls"), html! {
                    select #m-tls { @for t in [Tls::StartTls, Tls::Tls, Tls::None] {
                        option value=(t.as_str()) selected[t == tls] { (tr.t(&format!("admin-mail-tls-{}", t.as_str()))) } } }
                }))
                label data-field="username" { (tr.t("admin-mail-user")) input #m-user autocomplete="off" value=(m.map_or("", |m| m.username.as_str())); span.field-error {} }
                label data-field="from_address" { (tr.t("admin-mail-from")) input #m-from type="email" required value=(m.map_or("", |m| m.from_address.as_str())); span.field-error {} }
                label data-field="report_at" { (tr.t("admin-mail-at")) input #m-at type="time" required value=(m.map_or("07:00", |m| m.report_at.as_str())); span.field-error {} }
                label { input #m-daily type="checkbox" checked[m.is_none_or(|m| m.daily_report)]; " " (tr.t("admin-mail-daily")) }
                button type="submit" { (tr.t("admin-save")) }
            }
            p #mail-msg role="status" {}
            p #mail-password {
                (tr.t(&format!("admin-mail-password-{}", mail.password_source))) " "
                span.muted { (tr.t_with("admin-mail-password-where", &[("variable", &env), ("file", &file)])) }
            }
            p #mail-recipients { (tr.t("admin-mail-recipients")) ": "
                @if recipients.is_empty() { span.muted { (tr.t("admin-mail-nobody")) } }
                @else { (recipients.iter().map(|s| format!("{} <{}>", s.full_name, s.email)).collect::<Vec<_>>().join(", ")) } }
            @if !mail.mailings.is_empty() {
                table #mailings {
                    caption { (tr.t("admin-mail-sent")) }
                    thead { tr { @for k in ["day", "to", "state", "attempts", "error"] { th scope="col" { (tr.t(&format!("admin-mail-col-{k}"))) } } } }
                    tbody { @for x in &mail.mailings {
                        tr data-state=(x.state) class=[(x.state != "sent" && x.attempts > 0).then_some("error")] {
                            td { (x.day) } td { (who(x.staff)) " <" (x.address) ">" }
                            td { (tr.t(&format!("admin-mail-state-{}", x.state)))
                                @if x.state == "sent" { " " (x.sent_at.as_deref().map(|t| user.date_time(t)).unwrap_or_default()) }
                                @if x.state == "pending" && x.attempts > 0 { " · " (tr.t("admin-mail-next")) " " (user.date_time(&x.next_at)) } }
                            td { (x.attempts) }
                            td { @if !x.last_error.is_empty() {
                                @let (code, detail) = crate::mail::error_parts(&x.last_error);
                                span.mail-error data-code=(code) { (tr.t(&format!("admin-mail-err-{code}"))) } " "
                                span.muted translate="no" { (detail) } } }
                        }
                    } }
                }
            }
        }
    }
}

/// The company's channels besides calls: chat (capacity, the sites that
/// may carry the widget, canned answers, the tag to put on the site),
/// e-mail (the mailbox, how its reading goes), the messages the outbox
/// could not send, and the reference information operators send.
struct Channels {
    settings: centrala_store::chats::Channels,
    mailbox: Option<centrala_store::email::Mailbox>,
    outbox: Vec<centrala_store::mail::Outgoing>,
    terms: (String, String),
    certificates: Vec<centrala_store::reference::Certificate>,
    code: String,
}

fn channels_card(tr: Tr, user: &User, c: &Channels) -> Markup {
    let ch = &c.settings;
    let mb = c.mailbox.as_ref();
    html! {
        section.card #channels aria-labelledby="h-channels" {
            h2 #h-channels { (tr.t("admin-channels")) }
            form #channels-form.grid {
                label data-field="chat_capacity" { (tr.t("admin-ch-chat-capacity")) input #ch-chat type="number" min="0" max="10" value=(ch.chat_capacity); span.field-error {} }
                label data-field="email_capacity" { (tr.t("admin-ch-email-capacity")) input #ch-email type="number" min="0" max="20" value=(ch.email_capacity); span.field-error {} }
                label data-field="chat_service_level_seconds" { (tr.t("admin-ch-sl")) input #ch-sl type="number" min="5" max="3600" value=(ch.chat_service_level_seconds); span.field-error {} }
                label data-field="chat_origins" { (tr.t("admin-ch-origins")) textarea #ch-origins rows="3" placeholder="https://shop.example" { (ch.chat_origins.join("\n")) } span.field-error {} }
                label data-field="chat_canned" { (tr.t("admin-ch-canned")) textarea #ch-canned rows="3" { (ch.chat_canned.join("\n")) } span.field-error {} }
                button type="submit" { (tr.t("admin-save")) }
            }
            p #channels-msg role="status" {}
            p { (tr.t("admin-ch-widget")) br; code #widget-snippet translate="no" data-company=(c.code) {} }
            h3 { (tr.t("admin-mailbox")) }
            @if let Some(m) = mb {
                p #mailbox-state data-state=(m.state) class=[(m.state == "failing").then_some("error")] {
                    (tr.t(&format!("admin-mailbox-state-{}", m.state)))
                    @if let Some(at) = &m.checked_at { " · " (user.date_time(at)) }
                    @if !m.last_error.is_empty() {
                        @let (code, detail) = m.last_error.split_once(": ").unwrap_or((m.last_error.as_str(), ""));
                        " · " span data-code=(code) { (super::words_or(tr, &format!("admin-mailbox-err-{code}"), code)) } " "
                        span.muted translate="no" { (detail) }
                    }
                }
            }
            form #mailbox-form.grid {
                label data-field="address" { (tr.t("admin-mailbox-address")) input #mb-address type="email" value=(mb.map_or("", |m| m.address.as_str())); span.field-error {} }
                label data-field="imap_host" { (tr.t("admin-mailbox-host")) input #mb-host value=(mb.map_or("", |m| m.imap_host.as_str())); span.field-error {} }
                label data-field="imap_port" { (tr.t("admin-mailbox-port")) input #mb-port type="number" min="1" max="65535" value=(mb.map_or(993, |m| m.imap_port)); span.field-error {} }
                (labelled(&tr.t("admin-mailbox-tls"), html! {
                    select #mb-tls { @for t in ["tls", "starttls", "none"] {
                        option value=(t) selected[mb.is_some_and(|m| m.imap_tls == t)] { (tr.t(&format!("admin-mailbox-tls-{t}"))) } } }
                }))
                label data-field="imap_ca_file" { (tr.t("admin-mailbox-ca-file")) input #mb-ca autocomplete="off" placeholder=(tr.t("admin-mailbox-ca-file-hint")) value=(mb.map_or("", |m| m.imap_ca_file.as_str())); span.field-error {} }
                label data-field="username" { (tr.t("admin-mailbox-user")) input #mb-user autocomplete="off" value=(mb.map_or("", |m| m.username.as_str())); span.field-error {} }
                label data-field="password_env" { (tr.t("admin-mailbox-password-env")) input #mb-env autocomplete="off" value=(mb.map_or("", |m| m.password_env.as_str())); span.field-error {} }
                label data-field="password_file" { (tr.t("admin-mailbox-password-file")) input #mb-file autocomplete="off" value=(mb.map_or("", |m| m.password_file.as_str())); span.field-error {} }
                label data-field="folder" { (tr.t("admin-mailbox-folder")) input #mb-folder autocomplete="off" value=(mb.map_or("INBOX", |m| m.folder.as_str())); span.field-error {} }
                label data-field="max_bytes" { (tr.t("admin-mailbox-max-mb")) input #mb-max type="number" min="1" max="1024" value=(mb.map_or(25, |m| m.max_bytes.div_ceil(1024 * 1024))); span.field-error {} }
                div.row {
                    button type="submit" { (tr.t("admin-save")) }
                    @if mb.is_some() { button #mb-check.secondary type="button" { (tr.t("admin-mailbox-check")) } }
                }
            }
            p #mailbox-msg role="status" {}
            h3 { (tr.t("admin-outbox")) }
            @if c.outbox.is_empty() { p #outbox-none.muted { (tr.t("admin-outbox-none")) } }
            @else {
                table #outbox {
                    thead { tr { @for k in ["to", "subject", "state", "attempts", "error"] { th scope="col" { (tr.t(&format!("admin-mail-col-{k}"))) } } } }
                    tbody { @for o in &c.outbox {
                        tr data-state=(o.state) class="error" {
                            td { (o.to_address) } td { (o.subject) }
                            td { (tr.t(&format!("admin-mail-state-{}", o.state))) }
                            td { (o.attempts) }
                            td { @if !o.last_error.is_empty() {
                                @let (code, detail) = crate::mail::error_parts(&o.last_error);
                                span.mail-error data-code=(code) { (tr.t(&format!("admin-mail-err-{code}"))) } " "
                                span.muted translate="no" { (detail) } } }
                        }
                    } }
                }
            }
            h3 { (tr.t("admin-reference")) }
            form #terms-form.grid {
                label data-field="delivery_terms" { (tr.t("admin-ref-delivery")) textarea #rt-delivery rows="3" { (c.terms.0) } span.field-error {} }
                label data-field="regional_terms" { (tr.t("admin-ref-regional")) textarea #rt-regional rows="3" { (c.terms.1) } span.field-error {} }
                button type="submit" { (tr.t("admin-save")) }
            }
            p #terms-msg role="status" {}
            form #cert-form.row {
                label data-field="sku" { (tr.t("admin-ref-cert-sku")) input #cert-sku autocomplete="off" required; span.field-error {} }
                label data-field="file" { (tr.t("admin-ref-cert-file")) input #cert-file type="file" required; span.field-error {} }
                button type="submit" { (tr.t("admin-ref-cert-upload")) }
            }
            p #cert-msg role="status" {}
            @if !c.certificates.is_empty() {
                table #certificates {
                    thead { tr { th scope="col" { (tr.t("col-sku")) } th scope="col" { (tr.t("admin-ref-cert-file")) } th scope="col" { span.visually-hidden { (tr.t("col-actions")) } } } }
                    tbody { @for x in &c.certificates {
                        tr { td translate="no" { (x.sku) } td { a href={ "/api/v1/product-certificates/" (x.id) } { (x.name) } }
                            td { button.secondary.cert-delete type="button" data-id=(x.id) { (tr.t("admin-ref-cert-delete")) span.visually-hidden { " " (x.name) } } } }
                    } }
                }
            }
        }
    }
}

/// A client type in words: the order desk's own five in the reader's
/// language, a company's other types by their stored name.
pub(super) fn type_name(tr: Tr, code: &str, name: &str) -> String {
    super::words_or(tr, &format!("ctype-{code}"), name)
}

/// A queue in words: the built-in operators' queue in the reader's
/// language, the company's own queues by their names.
pub(crate) fn queue_name(tr: Tr, name: &str) -> String {
    super::words_or(tr, &format!("queue-{name}"), name)
}

/// The company's wrap-up codes and request categories (CC-8), edited in
/// place: one row per code with its category and its name in each
/// language (a built-in code shows its translation as the placeholder).
fn wrap_up_codes(tr: Tr, naming: &crate::routes::wrap_up::Naming) -> Markup {
    use centrala_desk::requests::{Names, BUILT_IN, LANGUAGES};
    let name_inputs = |names: &Names, hint: &str| {
        html! {
            @for lang in LANGUAGES {
                td { input.wu-name data-lang=(lang) lang=(lang) maxlength="80" aria-label=(tr.t(&format!("admin-wu-name-{lang}")))
                    value=(names.get(lang).map_or("", String::as_str)) placeholder=(if lang == tr.lang() { hint } else { "" }); }
            }
        }
    };
    let categories = naming.categories();
    let category_select = |chosen: &str| {
        html! {
            select.wu-category aria-label=(tr.t("admin-wu-category")) {
                option value="" { (tr.t("admin-wu-no-category")) }
                @for c in categories { option value=(c.code) selected[c.code == chosen] { (naming.category(&c.code, tr)) } }
            }
        }
    };
    let heads = html! {
        @for lang in LANGUAGES { th scope="col" { (tr.t(&format!("admin-wu-name-{lang}"))) } }
        th scope="col" { span.visually-hidden { (tr.t("col-actions")) } }
    };
    html! {
        section.card #wrap-up-codes aria-labelledby="h-wrap-up" {
            h2 #h-wrap-up { (tr.t("admin-wu-title")) }
            p.muted { (tr.t("admin-wu-help")) }
            table #wu-codes {
                caption.visually-hidden { (tr.t("admin-wu-title")) }
                thead { tr { th scope="col" { (tr.t("admin-wu-code")) } th scope="col" { (tr.t("admin-wu-category")) } (heads) } }
                tbody {
                    @for c in naming.active() {
                        tr.wu-row {
                            td { input.wu-code value=(c.code) required pattern="[a-z0-9_]{1,40}" aria-label=(tr.t("admin-wu-code")) translate="no"; }
                            td { (category_select(&c.category)) }
                            (name_inputs(&c.names, &if BUILT_IN.contains(&c.code.as_str()) { naming.code(&c.code, tr) } else { String::new() }))
                            td { button.secondary.wu-remove type="button" { (tr.t("admin-delete")) } }
                        }
                    }
                }
            }
            template #wu-code-row {
                tr.wu-row {
                    td { input.wu-code required pattern="[a-z0-9_]{1,40}" aria-label=(tr.t("admin-wu-code")) translate="no"; }
                    td { (category_select("")) }
                    (name_inputs(&Names::new(), ""))
                    td { button.secondary.wu-remove type="button" { (tr.t("admin-delete")) } }
                }
            }
            @let retired: Vec<String> = naming.retired().map(|c| naming.code(&c.code, tr)).collect();
            @if !retired.is_empty() { p.muted #wu-retired { (tr.t("admin-wu-retired")) ": " (retired.join(", ")) } }
            h3 #h-wu-categories { (tr.t("admin-wu-categories")) }
            table #wu-categories aria-labelledby="h-wu-categories" {
                thead { tr { th scope="col" { (tr.t("admin-wu-code")) } (heads) } }
                tbody {
                    @for c in categories {
                        tr.wu-row {
                            td { input.wu-code value=(c.code) required pattern="[a-z0-9_]{1,40}" aria-label=(tr.t("admin-wu-code")) translate="no"; }
                            (name_inputs(&c.names, ""))
                            td { button.secondary.wu-remove type="button" { (tr.t("admin-delete")) } }
                        }
                    }
                }
            }
            template #wu-category-row {
                tr.wu-row {
                    td { input.wu-code required pattern="[a-z0-9_]{1,40}" aria-label=(tr.t("admin-wu-code")) translate="no"; }
                    (name_inputs(&Names::new(), ""))
                    td { button.secondary.wu-remove type="button" { (tr.t("admin-delete")) } }
                }
            }
            div.row {
                button #wu-add-code.secondary type="button" { (tr.t("admin-wu-add-code")) }
                button #wu-add-category.secondary type="button" { (tr.t("admin-wu-add-category")) }
                button #wu-save type="button" { (tr.t("admin-save")) }
            }
            p #wu-msg role="status" {}
        }
    }
}

/// Where a queue's callers go after its longest wait, in words.
fn overflow_text(tr: Tr, o: &OverflowDef) -> String {
    match o {
        OverflowDef::Message => tr.t("admin-queue-message"),
        OverflowDef::Callback => tr.t("admin-queue-callback"),
        OverflowDef::Queue(q) => format!("{} {}", tr.t("admin-queue-into"), queue_name(tr, q)),
    }
}
