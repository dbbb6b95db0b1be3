//! The daily report by e-mail (issue "Reports and evaluation", item 6):
//! yesterday's figures, with the service level per hour drawn as bars
//! every mail client shows, and the queues and the order desk as CSV
//! attachments, to each head and supervisor with an e-mail address, in
//! their own language, at the company's chosen local time, over the
//! company's SMTP server (lettre).
//!
//! A report that cannot be sent is tried again later
//! (`centrala_desk::mailing::retry_after`), then given up; each attempt's
//! error shows on the admin page. Nothing else waits for the mail.
//!
//! The SMTP password is never stored in the database: it comes from
//! `CENTRALA_SMTP_PASSWORD_<COMPANY>` (the company's code in capitals,
//! `-` as `_`) or from the file `smtp-<company>.password` in the secrets
//! folder (`<data>/secrets`).

use crate::error::{ApiError, ApiResult};
use crate::routes::reports::{order_rows, orders_csv, queue_out, OrderFiguresOut};
use crate::routes::wrap_up::Naming;
use crate::ui::i18n::Tr;
use crate::ui::reports::{pct, queue_totals, secs as seconds};
use crate::AppState;
use centrala_center::reports::{fresh, queues, requests, Cut};
use centrala_desk::intervals::QueueSlot;
use centrala_desk::mailing::{due_day, parse_time, retry_after};
use centrala_desk::report::{Interval, RequestRow};
use centrala_domain::{CompanyId, Role};
use centrala_store::mail::{MailSettings, Mailing, Tls};
use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use maud::{html, Markup};
use std::collections::BTreeMap;
use std::time::Duration;
use tracing::{info, warn};

/// Who receives the daily report (when they have an e-mail address).
pub const RECIPIENTS: [Role; 3] = [Role::Supervisor, Role::HeadOfSales, Role::HeadOfWholesale];

/// How often the binary asks for a round (`run_once`).
pub const EVERY: Duration = Duration::from_secs(60);

/// Where the SMTP password of `company` (by its code) may be: the
/// environment variable's name, and the file's name in the secrets folder.
pub fn secret_names(company: &str) -> (String, String) {
    (
        format!("CENTRALA_SMTP_PASSWORD_{}", company.to_ascii_uppercase().replace('-', "_")),
        format!("smtp-{company}.password"),
    )
}

/// The SMTP password of `company`, from the environment or the secrets
/// folder; `None`: none set (the server is used without login, or the
/// login fails visibly).
pub fn password(secrets: Option<&std::path::Path>, company: &str) -> Option<String> {
    let (var, file) = secret_names(company);
    if let Ok(p) = std::env::var(&var) {
        return Some(p);
    }
    std::fs::read_to_string(secrets?.join(file)).ok().map(|p| p.trim_end_matches(['\r', '\n']).to_owned())
}

/// Where the password of `company` is read from, for the admin page.
pub fn password_source(secrets: Option<&std::path::Path>, company: &str) -> &'static str {
    let (var, file) = secret_names(company);
    if std::env::var(&var).is_ok() {
        "environment"
    } else if secrets.is_some_and(|d| d.join(&file).is_file()) {
        "file"
    } else {
        "none"
    }
}

/// Whether `m` receives the daily report: an active supervisor or head
/// with an e-mail address.
pub fn receives_report(m: &centrala_store::Staff) -> bool {
    m.active && !m.email.is_empty() && RECIPIENTS.contains(&m.role)
}

/// One round at `now`: plans each company's report due (once per day and
/// recipient), then tries every report waiting and every message of the
/// outbox due (cases' notices and replies). Returns how many were sent. The binary's timer calls it every `EVERY` (this crate spawns no
/// task).
pub async fn run_once(state: &AppState, now: DateTime<Utc>) -> ApiResult<usize> {
    for company in state.store.companies().await? {
        let s = state.store.company(company.id);
        let Some(settings) = s.mail_settings().await? else { continue };
        let Some(at) = parse_time(&settings.report_at) else { continue };
        if !settings.daily_report {
            continue;
        }
        let zone = state.center.zone(company.id).await;
        let day = due_day(now.with_timezone(&zone).naive_local(), at);
        let to: Vec<_> = s.staff_list().await?.into_iter().filter(receives_report).map(|m| (m.id, m.email)).collect();
        let planned = s.plan_mailings(day, &to, now).await?;
        if planned > 0 {
            info!(company = %company.code, %day, planned, "daily report planned");
        }
    }
    let mut sent = 0;
    let due = state.store.due_mailings(now).await?;
    let mut reports: BTreeMap<(CompanyId, NaiveDate), Option<Daily>> = BTreeMap::new();
    for m in due {
        let s = state.store.company(m.company);
        // Turned off since it was planned: not sent, and not tried again.
        let Some(settings) = s.mail_settings().await?.filter(|m| m.daily_report) else { continue };
        let key = (m.company, m.day);
        if let std::collections::btree_map::Entry::Vacant(slot) = reports.entry(key) {
            let daily = gather(state, m.company, m.day).await;
            if let Err(e) = &daily {
                warn!(error = ?e, "daily report: the figures could not be read");
            }
            slot.insert(daily.ok());
        }
        let outcome = match reports.get(&key).and_then(Option::as_ref) {
            Some(daily) => deliver(state, &settings, &m, daily).await,
            None => Err("figures: the figures could not be read".to_owned()),
        };
        let attempts = m.attempts + 1;
        match &outcome {
            Ok(()) => {
                sent += 1;
                info!(to = %m.address, day = %m.day, "daily report sent");
            }
            Err(e) => warn!(to = %m.address, day = %m.day, attempts, error = %e, "daily report not sent"),
        }
        let result = outcome.as_ref().map(|_| ()).map_err(|e| (e.as_str(), retry_after(attempts).map(|d| now + d)));
        s.mailing_tried(m.day, m.staff, result, now).await?;
    }
    Ok(sent + send_outbox(state, now).await?)
}

/// One day's figures, read once for all its recipients.
pub struct Daily {
    company: String,
    day: NaiveDate,
    /// Every queue's totals (`""`: all together).
    totals: BTreeMap<String, QueueSlot>,
    /// Service level per local hour, all queues together.
    hours: Vec<(String, Option<f64>)>,
    target: Option<f64>,
    orders: Vec<OrderFiguresOut>,
    /// Usernames and full names.
    names: BTreeMap<String, String>,
    requests: Vec<RequestRow>,
    naming: Naming,
    queues_csv: Vec<u8>,
    orders_csv: Vec<u8>,
}

async fn gather(state: &AppState, company: CompanyId, day: NaiveDate) -> ApiResult<Daily> {
    let s = state.store.company(company);
    fresh(&state.center, company).await?;
    let by_hour = queues(&state.center, company, day, day, Cut::Hour, None).await?;
    let totals = queue_totals(&by_hour);
    let hours = by_hour
        .iter()
        .filter(|(_, r)| r.queue.is_empty())
        .map(|(p, r)| (p.label.get(11..16).unwrap_or("").to_owned(), r.service_level()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    for (p, r) in &by_hour {
        w.serialize(queue_out(p.clone(), r)).map_err(|_| ApiError::internal())?;
    }
    let queues_csv = w.into_inner().map_err(|_| ApiError::internal())?;
    let orders = order_rows(state, company, day, day, Interval::Day, None).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    orders_csv(&mut w, &orders)?;
    let orders_csv = w.into_inner().map_err(|_| ApiError::internal())?;
    let mut requests = requests(&state.center, company, day, day, Interval::Day, None).await?;
    requests.retain(|r| r.kind != "intent" && !r.code.is_empty());
    requests.truncate(8);
    Ok(Daily {
        company: state.store.company_by_id(company).await?.map(|c| c.name).unwrap_or_default(),
        day,
        totals,
        hours,
        target: s.targets().await?.service_level,
        orders,
        names: s.staff_list().await?.into_iter().map(|m| (m.username, m.full_name)).collect(),
        requests,
        naming: Naming::of(&s).await?,
        queues_csv,
        orders_csv,
    })
}

/// The report's subject and body (HTML and plain text) in `tr`'s language.
pub fn render(d: &Daily, tr: Tr) -> (String, String, String) {
    let day = d.day.to_string();
    let subject = tr.t_with("mail-subject", &[("company", &d.company), ("day", &day)]);
    let queue = |name: &str| {
        if name.is_empty() {
            tr.t("rp-all-queues")
        } else {
            crate::ui::admin::queue_name(tr, name)
        }
    };
    let cell = "padding:4px 8px;border-bottom:1px solid #ddd;text-align:right";
    let head = "padding:4px 8px;border-bottom:2px solid #333;text-align:left";
    let operators: Vec<&OrderFiguresOut> = d.orders.iter().filter(|r| r.agent.is_some()).collect();
    let company_row = d.orders.iter().find(|r| r.agent.is_none());
    let body: Markup = html! {
        (maud::DOCTYPE)
        html lang=(tr.lang()) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family:Arial,Helvetica,sans-serif;color:#222;max-width:720px" {
                h1 style="font-size:20px" { (subject) }
                p { (tr.t("mail-intro")) }
                h2 style="font-size:16px" { (tr.t("rp-queues")) }
                @if d.totals.is_empty() { p { (tr.t("rp-no-data")) } }
                @else {
                    table #queues style="border-collapse:collapse" {
                        tr { @for k in ["queue", "offered", "answered", "abandoned", "sl", "asa", "aht", "longest"] {
                            th style=(head) { (tr.t(&format!("rp-col-{k}"))) } } }
                        @for (name, r) in &d.totals {
                            tr data-queue=(name) {
                                th style=(head) { (queue(name)) }
                                td style=(cell) { (r.offered) } td style=(cell) { (r.answered) } td style=(cell) { (r.abandoned) }
                                td style=(cell) { (pct(r.service_level())) } td style=(cell) { (seconds(r.asa_ms())) }
                                td style=(cell) { (seconds(r.averages_ms().map(|a| a.2))) } td style=(cell) { (seconds(Some(r.longest_wait_ms))) }
                            }
                        }
                    }
                }
                @if d.hours.iter().any(|(_, v)| v.is_some()) {
                    h2 style="font-size:16px" { (tr.t("rp-sl-hours")) }
                    @if let Some(t) = d.target { p { (tr.t("mail-target")) ": " (pct(Some(t))) } }
                    // Bars as table cells: every mail client draws them.
                    table #sl-hours style="border-collapse:collapse;width:100%" {
                        @for (hour, v) in &d.hours {
                            @let share = v.unwrap_or(0.0).clamp(0.0, 1.0);
                            @let met = d.target.is_none_or(|t| share >= t);
                            tr {
                                th style="padding:2px 8px;text-align:left;width:60px;font-weight:normal" { (hour) }
                                td style="padding:2px 0" {
                                    div style={ "height:14px;background:" (if met { "#2e7d32" } else { "#c62828" }) ";width:" (format!("{:.0}", share * 100.0)) "%" } {}
                                }
                                td style="padding:2px 8px;text-align:right;width:70px" { (pct(*v)) }
                            }
                        }
                    }
                }
                h2 style="font-size:16px" { (tr.t("rep-title")) }
                @if operators.is_empty() { p { (tr.t("rep-none")) } }
                @else {
                    table #orders style="border-collapse:collapse" {
                        tr { @for k in ["agent", "calls", "orders", "value", "conversion", "attach"] {
                            th style=(head) { (tr.t(&format!("rep-col-{k}"))) } } }
                        @for r in operators.iter().copied().chain(company_row) {
                            tr {
                                th style=(head) { @match &r.agent {
                                    Some(a) => { (d.names.get(a).cloned().unwrap_or_else(|| a.clone())) }
                                    None => { (tr.t("rep-company")) }
                                } }
                                td style=(cell) { (r.calls) } td style=(cell) { (r.orders) } td style=(cell) { (r.value) }
                                td style=(cell) { (pct(r.conversion)) } td style=(cell) { (pct(r.attach_rate)) }
                            }
                        }
                    }
                }
                @if !d.requests.is_empty() {
                    h2 style="font-size:16px" { (tr.t("rq-recorded")) }
                    ol #requests { @for r in &d.requests {
                        li { (if r.kind == "category" { d.naming.category(&r.code, tr) } else { d.naming.code(&r.code, tr) }) ": " strong { (r.count) } }
                    } }
                }
                p style="color:#666;font-size:12px" { (tr.t("mail-attached")) }
            }
        }
    };
    let mut text = format!("{subject}\n\n{}\n\n{}\n", tr.t("mail-intro"), tr.t("rp-queues"));
    for (name, r) in &d.totals {
        text.push_str(&format!(
            "- {}: {} {}, {} {}, {} {}, {} {}\n",
            queue(name),
            tr.t("rp-col-offered"),
            r.offered,
            tr.t("rp-col-answered"),
            r.answered,
            tr.t("rp-col-abandoned"),
            r.abandoned,
            tr.t("rp-col-sl"),
            pct(r.service_level())
        ));
    }
    if let Some(r) = company_row {
        text.push_str(&format!(
            "\n{}: {} {}, {} {}\n",
            tr.t("rep-title"),
            tr.t("rep-col-orders"),
            r.orders,
            tr.t("rep-col-value"),
            r.value
        ));
    }
    text.push_str(&format!("\n{}\n", tr.t("mail-attached")));
    (subject, body.into_string(), text)
}

fn mailbox(address: &str, name: Option<&str>) -> Result<Mailbox, String> {
    let a = address.parse::<lettre::Address>().map_err(|e| format!("{address:?}: {e}"))?;
    Ok(Mailbox::new(name.map(str::to_owned), a))
}

/// The message for one recipient.
pub fn message(settings: &MailSettings, to: &str, d: &Daily, tr: Tr) -> Result<Message, String> {
    let (subject, html, text) = render(d, tr);
    let csv = ContentType::parse("text/csv; charset=utf-8").map_err(|e| e.to_string())?;
    Message::builder()
        .from(mailbox(&settings.from_address, Some(&d.company))?)
        .to(mailbox(to, None)?)
        .subject(subject)
        .multipart(
            MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(text, html))
                .singlepart(Attachment::new(format!("queues-{}.csv", d.day)).body(d.queues_csv.clone(), csv.clone()))
                .singlepart(Attachment::new(format!("orders-{}.csv", d.day)).body(d.orders_csv.clone(), csv)),
        )
        .map_err(|e| e.to_string())
}

/// Sends one report to one recipient over the company's server.
async fn deliver(state: &AppState, settings: &MailSettings, m: &Mailing, d: &Daily) -> Result<(), String> {
    let s = state.store.company(m.company);
    let member = s.staff(m.staff).await.map_err(|e| e.to_string())?;
    let tr = Tr::new(member.as_ref().map_or("bs", |m| m.locale.as_str()));
    let msg = message(settings, &m.address, d, tr).map_err(|e| format!("message: {e}"))?;
    send(state, m.company, settings, msg).await
}

/// Sends a message over the company's server, with its password.
async fn send(state: &AppState, company: CompanyId, settings: &MailSettings, msg: Message) -> Result<(), String> {
    let code = state.store.company_by_id(company).await.map_err(|e| e.to_string())?.map(|c| c.code).unwrap_or_default();
    let secret = password(state.config.mail_secrets.as_deref(), &code);
    let transport = transport(settings, secret).map_err(|e| format!("tls: {e}"))?;
    transport.send(msg).await.map(|_| ()).map_err(|e| format!("{}: {e}", kind(&e)))
}

/// Sends the outbox's messages that are due (a case's notices and
/// replies), each tried again with backoff when it fails; returns how
/// many went out.
async fn send_outbox(state: &AppState, now: DateTime<Utc>) -> ApiResult<usize> {
    let mut sent = 0;
    for o in state.store.due_outgoing(now).await? {
        let company = CompanyId(o.company_id);
        let s = state.store.company(company);
        let files = s.outbox_files(o.id).await?;
        let outcome = match s.mail_settings().await? {
            Some(settings) => {
                let name = state.store.company_by_id(company).await?.map(|c| c.name);
                let msg = mailbox(&settings.from_address, name.as_deref())
                    .and_then(|from| Ok((from, mailbox(&o.to_address, None)?)))
                    .and_then(|(from, to)| {
                        let mut b = Message::builder().from(from).to(to).subject(o.subject.clone());
                        // A reply keeps its own id and its thread (RFC 5322 §3.6.4).
                        if !o.message_id.is_empty() {
                            b = b.message_id(Some(format!("<{}>", o.message_id)));
                        }
                        if !o.in_reply_to.is_empty() {
                            b = b.in_reply_to(format!("<{}>", o.in_reply_to));
                        }
                        if !o.refs.is_empty() {
                            b = b.references(o.refs.lines().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(" "));
                        }
                        if files.is_empty() {
                            return b.header(ContentType::TEXT_PLAIN).body(o.body.clone()).map_err(|e| e.to_string());
                        }
                        // The files it carries (a price list, certificates), after the text.
                        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(o.body.clone()));
                        for f in &files {
                            let kind = ContentType::parse(&f.content_type)
                                .or_else(|_| ContentType::parse("application/octet-stream"))
                                .map_err(|e| e.to_string())?;
                            parts = parts.singlepart(Attachment::new(f.name.clone()).body(f.data.clone(), kind));
                        }
                        b.multipart(parts).map_err(|e| e.to_string())
                    })
                    .map_err(|e| format!("message: {e}"));
                match msg {
                    Ok(msg) => send(state, company, &settings, msg).await,
                    Err(e) => Err(e),
                }
            }
            None => Err("unconfigured: no SMTP server is set for the company".to_owned()),
        };
        let attempts = u32::try_from(o.attempts).unwrap_or(u32::MAX).saturating_add(1);
        match &outcome {
            Ok(()) => {
                sent += 1;
                info!(to = %o.to_address, about = %o.about, "message sent");
            }
            Err(e) => warn!(to = %o.to_address, about = %o.about, attempts, error = %e, "message not sent"),
        }
        // A message that cannot be built never will be: given up at once.
        let retry = |e: &str| if e.starts_with("message:") { None } else { retry_after(attempts).map(|d| now + d) };
        let result = outcome.as_ref().map(|_| ()).map_err(|e| (e.as_str(), retry(e)));
        s.outgoing_tried(o.id, result, now).await?;
    }
    Ok(sent)
}

/// What went wrong with the SMTP server, as a code the admin page words:
/// `unreachable`, `timeout`, `tls`, `login` (refused the credentials),
/// `refused` (refused the message), `busy` (try later), `message`.
/// Each error is kept as `<code>: <the server's or the network's words>`.
fn kind(e: &lettre::transport::smtp::Error) -> &'static str {
    let status = e.status().map(|c| c.to_string());
    if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "tls"
    } else if matches!(status.as_deref(), Some("535" | "530" | "534" | "538")) {
        "login"
    } else if e.is_permanent() {
        "refused"
    } else if e.is_transient() {
        "busy"
    } else if e.is_client() {
        "message"
    } else {
        "unreachable"
    }
}

/// The words of a kept error: its code (see `kind`) and the detail.
pub fn error_parts(kept: &str) -> (&str, &str) {
    kept.split_once(": ").unwrap_or(("unreachable", kept))
}

fn transport(settings: &MailSettings, password: Option<String>) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let host = settings.host.as_str();
    let mut b = match settings.tls {
        Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| e.to_string())?,
        Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| e.to_string())?,
    }
    .port(settings.port)
    .timeout(Some(Duration::from_secs(20)));
    if !settings.username.is_empty() {
        b = b.credentials(Credentials::new(settings.username.clone(), password.unwrap_or_default()));
    }
    Ok(b.build())
}
