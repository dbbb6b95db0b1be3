//! E-mail (issue "Every channel in one queue", item 3): the company's
//! mailbox (admins set where it is read; the reading itself runs in the
//! runtime, `centrala_center::email`), and the operator's side of the
//! conversations — those offered to and held by the caller, each with its
//! messages and attachments, taking, replying (threaded, through the
//! outbox) and closing.

use crate::auth::{roles, Admins, Allowed, Auth};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::AppState;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use centrala_acd::Channel;
use centrala_domain::{CompanyId, InteractionId};
use centrala_store::email::Mailbox;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxIn {
    /// The company's address; replies go out from it (through the
    /// company's SMTP settings, `/api/v1/company/mail`).
    pub address: String,
    pub imap_host: String,
    /// 143 for `none` and `starttls`, 993 for `tls`.
    pub imap_port: u16,
    /// `none` (loopback or a trusted network only), `starttls` (TLS
    /// started on the plain port; refused if the server will not) or `tls`
    /// (implicit).
    pub imap_tls: String,
    /// A PEM file of the CA(s) the server's certificate chains to, besides
    /// the public roots (a company's own CA); empty: the public roots.
    #[serde(default)]
    pub imap_ca_file: String,
    pub username: String,
    /// The environment variable that holds the password, or
    #[serde(default)]
    pub password_env: String,
    /// the file that holds it (never the password itself).
    #[serde(default)]
    pub password_file: String,
    #[serde(default = "inbox")]
    pub folder: String,
    /// The largest message kept whole, in bytes (default 25 MB); a larger
    /// one keeps its headers and a note.
    #[serde(default = "max_bytes")]
    pub max_bytes: u64,
}

fn inbox() -> String {
    "INBOX".into()
}

fn max_bytes() -> u64 {
    25 * 1024 * 1024
}

#[derive(Serialize, ToSchema)]
pub struct MailboxOut {
    #[serde(flatten)]
    pub settings: MailboxIn,
    /// `new` (not read yet), `ok` or `failing`.
    pub state: String,
    /// Why it fails: `<code>: <the server's or the network's words>`,
    /// the code one of `unreachable`, `tls`, `login`, `folder`,
    /// `protocol`, `password`.
    pub last_error: String,
    pub checked_at: Option<String>,
}

fn mailbox_out(m: Mailbox) -> MailboxOut {
    MailboxOut {
        settings: MailboxIn {
            address: m.address,
            imap_host: m.imap_host,
            imap_port: m.imap_port,
            imap_tls: m.imap_tls,
            imap_ca_file: m.imap_ca_file,
            username: m.username,
            password_env: m.password_env,
            password_file: m.password_file,
            folder: m.folder,
            max_bytes: m.max_bytes,
        },
        state: m.state,
        last_error: m.last_error,
        checked_at: m.checked_at,
    }
}

/// The company's mailbox and how its reading goes (admins).
#[utoipa::path(get, path = "/api/v1/mailbox", tag = "email",
    responses((status = 200, body = MailboxOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn mailbox(State(state): State<AppState>, auth: Allowed<Admins>) -> ApiResult<Json<MailboxOut>> {
    let m = state.store.company(auth.company).mailbox().await?.ok_or_else(|| ApiError::not_found("mailbox"))?;
    Ok(Json(mailbox_out(m)))
}

/// Set where the company's mail is read (admins; audited).
#[utoipa::path(put, path = "/api/v1/mailbox", tag = "email", request_body = MailboxIn,
    responses((status = 200, body = MailboxOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_mailbox(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(b): ApiJson<MailboxIn>,
) -> ApiResult<Json<MailboxOut>> {
    if !centrala_desk::forms::is_email(&b.address) && !b.address.ends_with("@localhost") {
        return Err(ApiError::invalid(format!("{:?} is not an e-mail address", b.address)).field("address"));
    }
    if b.imap_host.trim().is_empty() || b.imap_port == 0 {
        return Err(ApiError::invalid("give the IMAP server's host and port").field("imap_host"));
    }
    if !matches!(b.imap_tls.as_str(), "none" | "starttls" | "tls") {
        return Err(ApiError::invalid("imap_tls is none, starttls or tls").field("imap_tls"));
    }
    if b.password_env.is_empty() == b.password_file.is_empty() {
        return Err(ApiError::invalid("give either password_env or password_file").field("password_env"));
    }
    if b.max_bytes < 1024 {
        return Err(ApiError::invalid("max_bytes is at least 1024").field("max_bytes"));
    }
    let s = state.store.company(auth.company);
    let m = Mailbox {
        address: b.address.trim().to_owned(),
        imap_host: b.imap_host.trim().to_owned(),
        imap_port: b.imap_port,
        imap_tls: b.imap_tls,
        imap_ca_file: b.imap_ca_file.trim().to_owned(),
        username: b.username,
        password_env: b.password_env,
        password_file: b.password_file,
        folder: if b.folder.trim().is_empty() { inbox() } else { b.folder },
        max_bytes: b.max_bytes,
        uid_validity: 0,
        last_uid: 0,
        state: String::new(),
        last_error: String::new(),
        failures: 0,
        checked_at: None,
    };
    s.set_mailbox(&m).await?;
    s.audit(&auth.username, "update", "mailbox", "", &format!("{}@{}", m.username, m.imap_host)).await?;
    mailbox(State(state), auth).await
}

#[derive(Serialize, ToSchema)]
pub struct CheckedOut {
    /// Messages taken in by this reading.
    pub taken: usize,
}

/// Read the mailbox now (admins): 503 `mailbox_failing` with the reason
/// when it cannot be read (also kept as its state).
#[utoipa::path(post, path = "/api/v1/mailbox/check", tag = "email",
    responses((status = 200, body = CheckedOut), (status = 503, body = crate::error::ErrorBody)))]
pub async fn check(State(state): State<AppState>, auth: Allowed<Admins>) -> ApiResult<Json<CheckedOut>> {
    Ok(Json(CheckedOut { taken: state.center.check_mail(auth.company).await? }))
}

#[derive(Serialize, ToSchema)]
pub struct EmailMessageOut {
    pub id: i64,
    /// `in` (from the client) or `out` (a reply).
    pub direction: String,
    pub message_id: String,
    pub in_reply_to: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    /// The plain text (HTML-only mail: its text), shown as text.
    pub body: String,
    /// What was not kept: `over_limit:<bytes>` (headers only), `unreadable`.
    pub note: String,
    pub at: String,
    /// (id, name, content type, size): `GET /api/v1/email-attachments/{id}`.
    pub attachments: Vec<(i64, String, String, i64)>,
}

#[derive(Serialize, ToSchema)]
pub struct EmailOut {
    pub interaction: i64,
    /// `offered`, `waiting`, `open` (held) or `closed`.
    pub phase: String,
    pub from: String,
    pub client: Option<String>,
    pub client_name: Option<String>,
    pub messages: Vec<EmailMessageOut>,
}

async fn email_out(state: &AppState, company: CompanyId, id: InteractionId, offered: bool) -> ApiResult<EmailOut> {
    let c = state.center.conversation(company, id).await?;
    let client = match c.interaction.client_id {
        Some(x) => state.store.company(company).client(x).await?,
        None => None,
    };
    let i = &c.interaction;
    let phase = match (i.ended_at.is_some(), i.answered_at.is_some() && i.handled_by.is_some()) {
        (true, _) => "closed",
        _ if offered => "offered",
        (false, true) => "open",
        (false, false) => "waiting",
    };
    Ok(EmailOut {
        interaction: id.0,
        phase: phase.to_owned(),
        from: i.caller.clone(),
        client: client.as_ref().map(|c| c.code.clone()),
        client_name: client.map(|c| c.name),
        messages: c.messages.into_iter().map(Into::into).collect(),
    })
}

impl From<centrala_store::email::EmailMessage> for EmailMessageOut {
    fn from(m: centrala_store::email::EmailMessage) -> Self {
        EmailMessageOut {
            id: m.id,
            direction: m.direction,
            message_id: m.message_id,
            in_reply_to: m.in_reply_to,
            from: m.from,
            to: m.to,
            subject: m.subject,
            body: m.body,
            note: m.note,
            at: m.at,
            attachments: m.attachments,
        }
    }
}

/// The e-mails offered to the caller and those it holds.
#[utoipa::path(get, path = "/api/v1/emails", tag = "email", responses((status = 200, body = [EmailOut])))]
pub async fn mine(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<EmailOut>>> {
    let now = state.center.acd.state(auth.staff).await;
    let mut out = Vec::new();
    for (id, channel, on) in now.map(|n| n.media).unwrap_or_default() {
        if channel == Channel::Email {
            out.push(email_out(&state, auth.company, id, !on).await?);
        }
    }
    Ok(Json(out))
}

/// One conversation: its operator's (or the one offered it), or any for
/// supervisors, heads and admins (audited).
#[utoipa::path(get, path = "/api/v1/emails/{id}", tag = "email",
    responses((status = 200, body = EmailOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EmailOut>> {
    let id = InteractionId(id);
    let c = state.center.conversation(auth.company, id).await?;
    let offered =
        state.center.acd.state(auth.staff).await.is_some_and(|n| n.media.iter().any(|(x, _, on)| *x == id && !on));
    if c.interaction.handled_by != Some(auth.staff) && !offered && !roles::WATCHERS.contains(&auth.role) {
        return Err(ApiError::not_found("e-mail"));
    }
    state.store.company(auth.company).audit(&auth.username, "view", "email", &id.to_string(), "").await?;
    Ok(Json(email_out(&state, auth.company, id, offered).await?))
}

/// Take the e-mail offered to the caller.
#[utoipa::path(post, path = "/api/v1/emails/{id}/accept", tag = "email",
    responses((status = 200, body = EmailOut), (status = 409, body = crate::error::ErrorBody)))]
pub async fn accept(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<EmailOut>> {
    let id = InteractionId(id);
    if !state.center.take_email(auth.company, auth.staff, id).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_offered", "this e-mail is not offered to you (any more)"));
    }
    Ok(Json(email_out(&state, auth.company, id, false).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyIn {
    /// Plain text, up to 100,000 characters.
    pub text: String,
}

/// Answer the client's last message (the conversation's operator): sent
/// from the company's address with `In-Reply-To` and `References`.
#[utoipa::path(post, path = "/api/v1/emails/{id}/reply", tag = "email", request_body = ReplyIn,
    responses((status = 201, body = EmailMessageOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReplyIn>,
) -> ApiResult<(StatusCode, Json<EmailMessageOut>)> {
    let text = b.text.trim();
    if text.is_empty() {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "message_empty", "the reply is empty").field("text")
        );
    }
    if text.chars().count() > 100_000 {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "message_too_long", "the reply is too long").field("text")
        );
    }
    let m = state.center.reply_email(auth.company, auth.staff, InteractionId(id), text).await?;
    state.store.company(auth.company).audit(&auth.username, "reply", "email", &id.to_string(), &m.message_id).await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Close the conversation (its operator); the client's next answer opens
/// it again.
#[utoipa::path(post, path = "/api/v1/emails/{id}/close", tag = "email",
    responses((status = 204), (status = 409, body = crate::error::ErrorBody)))]
pub async fn close(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    state.center.close_email(auth.company, auth.staff, InteractionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An attachment of a message (the conversation's operator, or watchers).
#[utoipa::path(get, path = "/api/v1/email-attachments/{id}", tag = "email",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn attachment(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    // Its content type is kept, but it goes as a download whatever it claims.
    let (name, _, data) = state
        .store
        .company(auth.company)
        .email_attachment(id)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    Ok(download(&name, data))
}

/// A file as a download, never shown inline whatever it claims to be,
/// under its name with only safe characters left.
pub(crate) fn download(name: &str, data: Vec<u8>) -> Response {
    let mut r = data.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || ".-_ ".contains(*c)).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
