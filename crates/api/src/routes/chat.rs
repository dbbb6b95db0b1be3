//! Web chat (issue "Every channel in one queue", item 2). The visitor's
//! side is public: `/chat/{company}/widget.js`, the script a company puts
//! on its own pages with one `<script>` tag, and `/chat/{company}/ws`, the
//! WebSocket it talks over (only from the company's allowed origins, or
//! from our own). The operator's side is the API under `/api/v1/chats`:
//! the chats offered to and held by the caller, each one's transcript,
//! taking, writing, typing, reading and closing; the desk hears of new
//! messages on the event stream. The chat settings (capacity, service
//! level, origins, canned answers) are the company's.

use crate::auth::{roles, Admins, Allowed, Auth};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::ui::i18n::Tr;
use crate::AppState;
use axum::{
    extract::{
        ws::{Message as WsMessage, WebSocket, WebSocketUpgrade},
        Path, Query, State,
    },
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use centrala_acd::Channel;
use centrala_center::chat::{Phase, ToVisitor};
use centrala_desk::chat::{message, visitor, ChatError, Pace};
use centrala_domain::{CompanyId, InteractionId};
use centrala_store::chats::{Channels, Message};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

/// The widget's script, the same for every company (it reads its company
/// and language from its own address).
const WIDGET: &str = include_str!("../../ui/widget.js");

/// The words the widget shows, sent in the visitor's language.
pub const WIDGET_WORDS: &[&str] = &[
    "chat-title",
    "chat-intro",
    "chat-name",
    "chat-phone",
    "chat-email",
    "chat-message",
    "chat-start",
    "chat-send",
    "chat-leave",
    "chat-typing",
    "chat-read",
    "chat-closed",
    "chat-offline",
    "chat-you",
    "chat-open",
    "chat-minimize",
];

const CORP: &str = "cross-origin-resource-policy";

/// The largest frame a visitor may send: a message and its JSON.
const MAX_FRAME: usize = 16 * 1024;

/// How often a waiting visitor hears its place.
const POSITION_EVERY: Duration = Duration::from_secs(5);

fn chat_error(e: &ChatError) -> ApiError {
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string());
    if let ChatError::NotPhone(_) | ChatError::NotEmail(_) = e {
        err = err.param("field", if matches!(e, ChatError::NotPhone(_)) { "phone" } else { "email" });
    }
    err
}

// ---- the visitor's side -------------------------------------------------

/// `GET /chat/{company}/widget.js`: the widget, for any page to load.
pub async fn widget(State(state): State<AppState>, Path(company): Path<String>) -> Response {
    match state.store.company_by_code(&company).await {
        Ok(Some(_)) => {}
        Ok(None) => return ApiError::not_found("company").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    }
    let mut r = widget_script().into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    // Loaded by other sites' pages by design.
    h.insert(header::HeaderName::from_static(CORP), HeaderValue::from_static("cross-origin"));
    r
}

/// The widget with the words of every language put in (the same for every
/// company), made once.
fn widget_script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        let words: serde_json::Map<String, serde_json::Value> = ["bs", "en", "ru"]
            .into_iter()
            .map(|lang| {
                let tr = Tr::new(lang);
                let of: serde_json::Map<String, serde_json::Value> =
                    WIDGET_WORDS.iter().map(|k| ((*k).to_owned(), tr.t(k).into())).collect();
                (lang.to_owned(), serde_json::Value::Object(of))
            })
            .collect();
        WIDGET.replacen("/*WORDS*/{}", &serde_json::Value::Object(words).to_string(), 1)
    })
}

#[derive(Deserialize)]
pub struct SocketQuery {
    pub lang: Option<String>,
}

/// The page's origin, as the browser sent it: the scheme and host, no
/// path, lower case.
pub(crate) fn origin_of(headers: &HeaderMap) -> Option<String> {
    let o = headers.get(header::ORIGIN)?.to_str().ok()?.trim().to_ascii_lowercase();
    (o.starts_with("http://") || o.starts_with("https://")).then_some(o)
}

/// Whether a page of `origin` may open the company's chat: one of its
/// allowed origins, or our own pages.
pub(crate) fn origin_allowed(origin: &str, allowed: &[String], headers: &HeaderMap) -> bool {
    let own = headers.get(header::HOST).and_then(|h| h.to_str().ok()).is_some_and(|host| {
        let host = host.to_ascii_lowercase();
        origin == format!("http://{host}") || origin == format!("https://{host}")
    });
    own || allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// `GET /chat/{company}/ws`: the visitor's WebSocket.
pub async fn socket(
    State(state): State<AppState>,
    Path(company): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let company = match state.store.company_by_code(&company).await {
        Ok(Some(c)) => c,
        Ok(None) => return ApiError::not_found("company").into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let allowed = match state.store.company(company.id).channels().await {
        Ok(c) => c.chat_origins,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(origin) = origin_of(&headers).filter(|o| origin_allowed(o, &allowed, &headers)) else {
        tracing::info!(company = %company.code, origin = ?headers.get(header::ORIGIN), "a chat from a page not allowed");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this site is not among the company's chat origins",
        )
        .into_response();
    };
    let lang = crate::routes::forms::language(q.lang.as_deref());
    // Small buffers: a chat's frames are small, and a thousand open chats
    // with the default 128 KiB each way would hold a quarter of a
    // gigabyte (measured: benches/chat.rs). A visitor that stops reading
    // is cut off once 256 KiB wait for it.
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(4096)
        .write_buffer_size(4096)
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| Visit::new(state, company.id, company.code, origin, lang).run(socket))
}

/// What a visitor's connection sends.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FromVisitor {
    Start {
        name: String,
        #[serde(default)]
        phone: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        text: String,
    },
    Resume {
        token: String,
    },
    Say {
        text: String,
    },
    Typing,
    Read {
        seq: i64,
    },
    Leave,
}

/// One visitor's connection.
struct Visit {
    state: AppState,
    company: CompanyId,
    code: String,
    origin: String,
    tr: Tr,
    chat: Option<(InteractionId, u64)>,
    pace: Pace,
    began: tokio::time::Instant,
    /// When the visitor's typing was last passed on (once a second at most).
    typed: Option<tokio::time::Instant>,
}

impl Visit {
    fn new(state: AppState, company: CompanyId, code: String, origin: String, lang: &str) -> Visit {
        Visit {
            state,
            company,
            code,
            origin,
            tr: Tr::new(lang),
            chat: None,
            pace: Pace::new(0),
            began: tokio::time::Instant::now(),
            typed: None,
        }
    }

    fn ms(&self) -> u64 {
        u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The widget's words in the visitor's language, and whether anyone
    /// can answer now (else the widget offers the callback form).
    async fn hello(&self) -> serde_json::Value {
        let open = self.state.center.acd.open(self.company, Channel::Chat).await;
        let words: serde_json::Map<String, serde_json::Value> =
            WIDGET_WORDS.iter().map(|k| ((*k).to_owned(), self.tr.t(k).into())).collect();
        let lang = self.tr.lang();
        serde_json::json!({
            "type": "hello",
            "open": open,
            "words": words,
            "form": format!("/forms/{}/callback?lang={lang}", self.code),
        })
    }

    fn error(&self, code: &str, message: &str) -> serde_json::Value {
        let text = self.tr.t(&format!("err-{code}"));
        let text = if text.starts_with('⟦') { message.to_owned() } else { text };
        serde_json::json!({ "type": "error", "code": code, "message": text })
    }

    /// What the hub pushes, worded for the visitor.
    fn out(&self, m: ToVisitor) -> serde_json::Value {
        match m {
            ToVisitor::Message { seq, at, author, body } => {
                let body = if author == "system" { self.tr.t(&format!("chat-sys-{body}")) } else { body };
                serde_json::json!({ "type": "message", "seq": seq, "at": at, "author": author, "body": body })
            }
            ToVisitor::Joined { agent } => {
                serde_json::json!({ "type": "joined", "agent": agent, "text": self.tr.t_with("chat-joined", &[("agent", &agent)]) })
            }
            other => serde_json::to_value(other).unwrap_or_default(),
        }
    }

    fn message(&self, m: &Message) -> serde_json::Value {
        self.out(ToVisitor::Message { seq: m.seq, at: m.at.clone(), author: m.author.as_str(), body: m.body.clone() })
    }

    async fn run(mut self, mut socket: WebSocket) {
        let hello = self.hello().await;
        if send(&mut socket, &hello).await.is_err() {
            return;
        }
        let mut pushed: Option<tokio::sync::mpsc::UnboundedReceiver<ToVisitor>> = None;
        let mut position = tokio::time::interval(POSITION_EVERY);
        let shutdown = self.state.shutdown.clone();
        loop {
            let out = tokio::select! {
                frame = socket.recv() => match frame {
                    Some(Ok(WsMessage::Text(t))) => match self.take(t.as_str(), &mut pushed).await {
                        Ok(v) => v,
                        Err(Close) => break,
                    },
                    Some(Ok(WsMessage::Binary(_))) => vec![self.error("invalid_body", "send JSON text frames")],
                    Some(Ok(_)) => Vec::new(),
                    // Gone, or a frame over the limit.
                    Some(Err(_)) | None => break,
                },
                Some(m) = async { match pushed.as_mut() { Some(rx) => rx.recv().await, None => None } } => {
                    vec![self.out(m)]
                }
                _ = position.tick() => self.position().await.into_iter().collect(),
                () = shutdown.cancelled() => break,
            };
            for v in out {
                if send(&mut socket, &v).await.is_err() {
                    break;
                }
            }
            if self.pace.out() {
                let _ = send(&mut socket, &self.error("too_fast", "messages come too fast")).await;
                break;
            }
        }
        if let Some((id, n)) = self.chat {
            if self.state.center.hub.detach(id, n) {
                self.state.center.watch_visitor(self.company, id);
            }
        }
    }

    /// A waiting chat's place in the queue.
    async fn position(&self) -> Option<serde_json::Value> {
        let (id, _) = self.chat?;
        let (place, wait) = self.state.center.acd.position(id).await?;
        let text = self.tr.t_with("chat-waiting", &[("position", &place.to_string())]);
        Some(serde_json::json!({ "type": "waiting", "position": place, "wait_s": wait.as_secs(), "text": text }))
    }

    /// One frame from the visitor; what to answer.
    async fn take(
        &mut self,
        text: &str,
        pushed: &mut Option<tokio::sync::mpsc::UnboundedReceiver<ToVisitor>>,
    ) -> Result<Vec<serde_json::Value>, Close> {
        let frame: FromVisitor = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => return Ok(vec![self.error("malformed_json", &e.to_string())]),
        };
        let answer = match frame {
            FromVisitor::Start { name, phone, email, text } => {
                if self.chat.is_some() {
                    return Ok(vec![self.error("conflict", "this connection has a chat already")]);
                }
                if !self.pace.allow(self.ms()) {
                    return Ok(vec![self.error("too_fast", "messages come too fast")]);
                }
                let v = match visitor(&name, &phone, &email) {
                    Ok(v) => v,
                    Err(e) => return Ok(vec![self.error(e.code(), &e.to_string())]),
                };
                let first = if text.trim().is_empty() { Ok(String::new()) } else { message(&text) };
                let first = match first {
                    Ok(t) => t,
                    Err(e) => return Ok(vec![self.error(e.code(), &e.to_string())]),
                };
                match self.state.center.start_chat(self.company, &v, &self.origin, &first).await {
                    Ok((id, token)) => {
                        let (n, rx) = self.state.center.hub.attach(id);
                        self.chat = Some((id, n));
                        *pushed = Some(rx);
                        let mut out =
                            vec![serde_json::json!({ "type": "started", "token": token, "interaction": id.0 })];
                        out.extend(self.history(id).await);
                        out.extend(self.position().await);
                        out
                    }
                    Err(e) => vec![self.internal(e.into())],
                }
            }
            FromVisitor::Resume { token } => {
                let hash = centrala_center::chat::token_hash(&token);
                let session = match self.state.store.company(self.company).chat_by_token(&hash).await {
                    Ok(Some(s)) => s,
                    Ok(_) => return Ok(vec![self.error("not_found", "no such chat")]),
                    Err(e) => return Ok(vec![self.internal(e.into())]),
                };
                if let Some((old, n)) = self.chat.take() {
                    self.state.center.hub.detach(old, n);
                }
                let id = session.interaction;
                let (n, rx) = self.state.center.hub.attach(id);
                self.chat = Some((id, n));
                *pushed = Some(rx);
                let mut out = vec![serde_json::json!({ "type": "started", "interaction": id.0 })];
                out.extend(self.history(id).await);
                out.extend(self.position().await);
                out
            }
            FromVisitor::Say { text } => {
                let Some((id, _)) = self.chat else { return Ok(vec![self.error("not_found", "start a chat first")]) };
                if !self.pace.allow(self.ms()) {
                    return Ok(vec![self.error("too_fast", "messages come too fast")]);
                }
                let text = match message(&text) {
                    Ok(t) => t,
                    Err(e) => return Ok(vec![self.error(e.code(), &e.to_string())]),
                };
                // The message comes back through the hub, like the operator's.
                match self.state.center.visitor_says(self.company, id, &text).await {
                    Ok(_) => Vec::new(),
                    Err(e) => vec![self.internal(e.into())],
                }
            }
            FromVisitor::Typing => {
                let Some((id, _)) = self.chat else { return Ok(Vec::new()) };
                let now = tokio::time::Instant::now();
                if self.typed.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
                    self.typed = Some(now);
                    if let Err(e) = self.state.center.visitor_typing(self.company, id).await {
                        return Ok(vec![self.internal(e.into())]);
                    }
                }
                Vec::new()
            }
            FromVisitor::Read { seq } => {
                let Some((id, _)) = self.chat else { return Ok(Vec::new()) };
                match self.state.center.visitor_read(self.company, id, seq).await {
                    Ok(()) => Vec::new(),
                    Err(e) => vec![self.internal(e.into())],
                }
            }
            FromVisitor::Leave => {
                if let Some((id, _)) = self.chat {
                    if let Err(e) = self.state.center.visitor_left(self.company, id).await {
                        tracing::warn!(error = %e, interaction = id.0, "a visitor's leaving failed");
                    }
                }
                return Err(Close);
            }
        };
        Ok(answer)
    }

    /// The chat as it stands: its phase, the operator who joined, the
    /// messages so far, and how far the operator read.
    async fn history(&self, id: InteractionId) -> Vec<serde_json::Value> {
        match self.state.center.chat(self.company, id).await {
            Ok(chat) => {
                let mut out = vec![serde_json::json!({
                    "type": "history",
                    "phase": chat.phase,
                    "messages": chat.messages.iter().map(|m| self.message(m)).collect::<Vec<_>>(),
                    "agent_read": chat.session.agent_read,
                })];
                if chat.phase == Phase::Closed {
                    out.push(serde_json::json!({ "type": "closed" }));
                }
                out
            }
            Err(e) => vec![self.internal(e.into())],
        }
    }

    fn internal(&self, e: ApiError) -> serde_json::Value {
        if e.status.is_server_error() {
            tracing::error!(error = %e.message, "a chat's request failed");
        }
        self.error(e.code, &e.message)
    }
}

/// The connection is to be closed.
struct Close;

async fn send(socket: &mut WebSocket, v: &serde_json::Value) -> Result<(), axum::Error> {
    socket.send(WsMessage::Text(v.to_string().into())).await
}

// ---- the operator's side ------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ChatMessageOut {
    pub seq: i64,
    pub at: String,
    /// `visitor`, `agent` or `system`.
    pub author: String,
    /// A system message's body is a code (`agent_joined`, `agent_closed`,
    /// `visitor_left`), worded by the desk (`chat-sys-<code>`).
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChatOut {
    pub interaction: i64,
    /// `offered` (to the caller, to take), `waiting`, `talking` or `closed`.
    pub phase: String,
    pub visitor_name: String,
    pub phone: String,
    pub email: String,
    /// The page's origin the chat came from.
    pub origin: String,
    /// The client's code, when the phone or e-mail named one.
    pub client: Option<String>,
    pub client_name: Option<String>,
    /// The last visitor message the operator read, and the last operator
    /// message the visitor read.
    pub agent_read: i64,
    pub visitor_read: i64,
    pub messages: Vec<ChatMessageOut>,
}

async fn chat_out(state: &AppState, company: CompanyId, id: InteractionId, offered: bool) -> ApiResult<ChatOut> {
    chat_view(state, company, state.center.chat(company, id).await?, offered).await
}

/// A chat read, with its client, on the wire.
async fn chat_view(
    state: &AppState,
    company: CompanyId,
    chat: centrala_center::chat::Chat,
    offered: bool,
) -> ApiResult<ChatOut> {
    let id = chat.session.interaction;
    let client = match chat.client {
        Some(c) => state.store.company(company).client(c).await?,
        None => None,
    };
    let phase = match chat.phase {
        Phase::Waiting if offered => "offered",
        Phase::Waiting => "waiting",
        Phase::Talking => "talking",
        Phase::Closed => "closed",
    };
    Ok(ChatOut {
        interaction: id.0,
        phase: phase.to_owned(),
        visitor_name: chat.session.visitor_name,
        phone: chat.session.phone,
        email: chat.session.email,
        origin: chat.session.origin,
        client: client.as_ref().map(|c| c.code.clone()),
        client_name: client.map(|c| c.name),
        agent_read: chat.session.agent_read,
        visitor_read: chat.session.visitor_read,
        messages: chat
            .messages
            .into_iter()
            .map(|m| ChatMessageOut { seq: m.seq, at: m.at, author: m.author.as_str().to_owned(), body: m.body })
            .collect(),
    })
}

/// The chats offered to the caller and those it holds, oldest first, each
/// with its transcript.
#[utoipa::path(get, path = "/api/v1/chats", tag = "chat", responses((status = 200, body = [ChatOut])))]
pub async fn mine(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ChatOut>>> {
    let now = state.center.acd.state(auth.staff).await;
    let mut out = Vec::new();
    for (id, channel, on) in now.map(|n| n.media).unwrap_or_default() {
        if channel == Channel::Chat {
            out.push(chat_out(&state, auth.company, id, !on).await?);
        }
    }
    Ok(Json(out))
}

/// One chat with its transcript: its operator's, or for supervisors,
/// heads and admins any of the company's (audited).
#[utoipa::path(get, path = "/api/v1/chats/{id}", tag = "chat",
    responses((status = 200, body = ChatOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ChatOut>> {
    let id = InteractionId(id);
    let chat = state.center.chat(auth.company, id).await?;
    let offered =
        state.center.acd.state(auth.staff).await.is_some_and(|n| n.media.iter().any(|(c, _, on)| *c == id && !on));
    if chat.handled_by != Some(auth.staff) && !offered && !roles::WATCHERS.contains(&auth.role) {
        return Err(ApiError::not_found("chat"));
    }
    let s = state.store.company(auth.company);
    s.audit(&auth.username, "view", "chat", &id.to_string(), "").await?;
    Ok(Json(chat_out(&state, auth.company, id, offered).await?))
}

/// Take the chat offered to the caller: the visitor hears who joined.
#[utoipa::path(post, path = "/api/v1/chats/{id}/accept", tag = "chat",
    responses((status = 200, body = ChatOut), (status = 409, body = crate::error::ErrorBody)))]
pub async fn accept(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ChatOut>> {
    let id = InteractionId(id);
    if !state.center.take_chat(auth.company, auth.staff, id).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_offered", "this chat is not offered to you (any more)"));
    }
    Ok(Json(chat_out(&state, auth.company, id, false).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SayIn {
    /// Up to 2,000 characters, shown as text.
    pub text: String,
}

/// Write to the visitor (the chat's operator).
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages", tag = "chat", request_body = SayIn,
    responses((status = 201, body = ChatMessageOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn say(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SayIn>,
) -> ApiResult<(StatusCode, Json<ChatMessageOut>)> {
    let text = message(&body.text).map_err(|e| chat_error(&e).field("text"))?;
    let m = state.center.agent_says(auth.company, auth.staff, InteractionId(id), &text).await?;
    Ok((
        StatusCode::CREATED,
        Json(ChatMessageOut { seq: m.seq, at: m.at, author: m.author.as_str().to_owned(), body: m.body }),
    ))
}

/// The operator types (the visitor sees "typing…").
#[utoipa::path(post, path = "/api/v1/chats/{id}/typing", tag = "chat",
    responses((status = 204), (status = 409, body = crate::error::ErrorBody)))]
pub async fn typing(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    state.center.agent_typing(auth.company, auth.staff, InteractionId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadIn {
    /// The last visitor message read.
    pub seq: i64,
}

/// The operator read the visitor's messages up to `seq` (the visitor sees it).
#[utoipa::path(post, path = "/api/v1/chats/{id}/read", tag = "chat", request_body = ReadIn,
    responses((status = 204), (status = 409, body = crate::error::ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReadIn>,
) -> ApiResult<StatusCode> {
    state.center.agent_read(auth.company, auth.staff, InteractionId(id), body.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// E-mail the transcript to the visitor (when they gave an address).
    #[serde(default)]
    pub send_transcript: bool,
}

/// Close the chat (its operator): the visitor is told; the transcript,
/// when asked, goes to the visitor's e-mail through the outbox.
#[utoipa::path(post, path = "/api/v1/chats/{id}/close", tag = "chat", request_body = CloseIn,
    responses((status = 200, body = ChatOut), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CloseIn>,
) -> ApiResult<Json<ChatOut>> {
    let id = InteractionId(id);
    // The transcript is read once, as the chat closes.
    let head = state.center.chat_head(auth.company, id).await?;
    if body.send_transcript && head.session.email.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_email", "the visitor gave no e-mail address")
            .field("send_transcript"));
    }
    let chat = state.center.close_chat(auth.company, auth.staff, id).await?;
    let s = state.store.company(auth.company);
    if body.send_transcript {
        let lang = crate::ui::i18n::Tr::new(&auth.locale);
        let company = state.store.company_by_id(auth.company).await?.map(|c| c.name).unwrap_or_default();
        let zone = state.center.zone(auth.company).await;
        let mut text = lang.t_with("chat-transcript-intro", &[("company", &company)]);
        text.push_str("\n\n");
        for m in &chat.messages {
            let at = chrono::DateTime::parse_from_rfc3339(&m.at)
                .map(|t| t.with_timezone(&zone).format("%d.%m.%Y %H:%M").to_string())
                .unwrap_or_else(|_| m.at.clone());
            let (who, body) = match m.author {
                centrala_store::chats::Author::Visitor => (chat.session.visitor_name.clone(), m.body.clone()),
                centrala_store::chats::Author::Agent => (company.clone(), m.body.clone()),
                centrala_store::chats::Author::System => (String::new(), lang.t(&format!("chat-sys-{}", m.body))),
            };
            text.push_str(&format!("[{at}] {who}{}{body}\n", if who.is_empty() { "" } else { ": " }));
        }
        let subject = lang.t_with("chat-transcript-subject", &[("company", &company)]);
        s.queue_mail(&chat.session.email, &subject, &text, &format!("chat:{}", id.0)).await?;
    }
    s.audit(&auth.username, "close", "chat", &id.to_string(), if body.send_transcript { "transcript" } else { "" })
        .await?;
    Ok(Json(chat_view(&state, auth.company, chat, false).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsIO {
    /// Chats an operator holds at once, 0–10 (0: no chats); a call is taken
    /// beside them.
    pub chat_capacity: u8,
    /// E-mails an operator holds at once, 0–20.
    pub email_capacity: u8,
    /// A chat answered within this many seconds is in service level (5–3600).
    pub chat_service_level_seconds: u32,
    /// Origins (`https://shop.example`) whose pages may carry the widget;
    /// our own pages always may.
    pub chat_origins: Vec<String>,
    /// Answers the operators pick from (each up to 2,000 characters).
    pub chat_canned: Vec<String>,
}

fn io(c: Channels) -> ChannelsIO {
    ChannelsIO {
        chat_capacity: c.chat_capacity,
        email_capacity: c.email_capacity,
        chat_service_level_seconds: c.chat_service_level_seconds,
        chat_origins: c.chat_origins,
        chat_canned: c.chat_canned,
    }
}

/// The company's channel settings (every member: the desk reads the
/// canned answers).
#[utoipa::path(get, path = "/api/v1/channels", tag = "chat", responses((status = 200, body = ChannelsIO)))]
pub async fn channels(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ChannelsIO>> {
    Ok(Json(io(state.store.company(auth.company).channels().await?)))
}

/// Replace them (admins; audited): capacities apply to every agent at once.
#[utoipa::path(put, path = "/api/v1/channels", tag = "chat", request_body = ChannelsIO,
    responses((status = 200, body = ChannelsIO), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_channels(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<ChannelsIO>,
) -> ApiResult<Json<ChannelsIO>> {
    if body.chat_capacity > 10 {
        return Err(ApiError::invalid("chat capacity is 0 to 10").field("chat_capacity"));
    }
    if body.email_capacity > 20 {
        return Err(ApiError::invalid("e-mail capacity is 0 to 20").field("email_capacity"));
    }
    if !(5..=3600).contains(&body.chat_service_level_seconds) {
        return Err(ApiError::invalid("the service level is 5 to 3600 seconds").field("chat_service_level_seconds"));
    }
    let mut origins = Vec::new();
    for o in &body.chat_origins {
        let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
        let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains('/') || r.contains(char::is_whitespace)) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_an_origin",
                format!("{o:?} is not an origin such as https://shop.example"),
            )
            .field("chat_origins")
            .param("value", o));
        }
        origins.push(o);
    }
    origins.sort();
    origins.dedup();
    let mut canned = Vec::new();
    for c in &body.chat_canned {
        // One answer per line in the store: line breaks become spaces.
        canned.push(message(&c.replace('\n', " ")).map_err(|e| chat_error(&e).field("chat_canned"))?);
    }
    let c = Channels {
        chat_capacity: body.chat_capacity,
        email_capacity: body.email_capacity,
        chat_service_level_seconds: body.chat_service_level_seconds,
        chat_origins: origins,
        chat_canned: canned,
    };
    let s = state.store.company(auth.company);
    s.set_channels(&c).await?;
    s.audit(&auth.username, "update", "channels", "", &format!("chat {} e-mail {}", c.chat_capacity, c.email_capacity))
        .await?;
    state.center.configure_channels(auth.company).await?;
    Ok(Json(io(s.channels().await?)))
}
