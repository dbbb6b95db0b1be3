//! `ApiError`: every error the API returns, as
//! `{"error": {"code": "...", "message": "...", "field": "...", "params": {...}}}`
//! with a stable machine code from [`CODES`]. The English `message` is for
//! API users; the web UI words the code in the reader's language
//! (`err-<code>` in `ui/i18n/*.ftl`, with `params` filled in) and marks
//! `field`. Internal causes are logged, never returned.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use centrala_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
    /// Extra fields merged into the error object (e.g. amounts, targets).
    pub details: Option<serde_json::Value>,
    /// The request's field at fault, as the API names it.
    pub field: Option<&'static str>,
    /// The values the message names, for a translation to fill in (boxed:
    /// most errors name none, and every `Result` carries the error's size).
    pub params: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

/// Every error code the API returns. Each has a message in every language
/// of the UI (`err-<code>`); a test fails when one lacks it, and a debug
/// build refuses to send a code not listed here.
pub const CODES: &[&str] = &[
    // Any route.
    "not_found",
    "forbidden",
    "unauthenticated",
    "cross_origin",
    "invalid_input",
    "conflict",
    "internal",
    "store_unavailable",
    "storage_full",
    "invalid_body",
    "malformed_json",
    "unsupported_media_type",
    "payload_too_large",
    "bad_request",
    "invalid_query",
    "method_not_allowed",
    "last_admin",
    // Logging in.
    "invalid_credentials",
    "too_many_attempts",
    // Orders (the desk's gates: `centrala_desk::order`).
    "key_client",
    "new_client",
    "debt_blocked",
    "no_lines",
    "offers_required",
    "delivery_incomplete",
    "not_draft",
    "unknown_product",
    "quantity_too_large",
    "quantity_not_whole",
    "already_in_order",
    "invalid_transition",
    "total_too_large",
    // Clients.
    "known_number",
    // The knowledge base.
    "article_changed",
    // Campaigns.
    "no_targets",
    "unknown_clients",
    "unknown_result",
    "outside_hours",
    "in_the_past",
    // Calls.
    "unknown_caller",
    "not_talking",
    "phone_not_registered",
    "no_route",
    "no_sip_account",
    "telephony_off",
    "no_common_codec",
    "no_audio",
    "invalid_sdp",
    "softphone_failed",
    "invalid_uri",
    "host_not_allowed",
    "nobody_present",
    "nobody_reachable",
    "recording_pause_not_allowed",
    // Planning.
    "substitute_too_long",
    "invalid_substitute",
    // Cases.
    "no_resolution",
    "case_closed",
    "no_email",
    // Web forms.
    "field_missing",
    "field_too_long",
    "not_a_phone",
    "not_an_email",
    "unknown_field",
    "no_way_back",
    "too_many_submissions",
    // Web chat.
    "origin_not_allowed",
    "name_missing",
    "name_too_long",
    "message_empty",
    "message_too_long",
    "too_fast",
    "chat_closed",
    "not_your_chat",
    "not_offered",
    "not_an_origin",
    // E-mail.
    "not_your_email",
    "email_closed",
    "mailbox_failing",
    // Reference information.
    "nothing_to_send",
    "no_certificate",
];

/// The JSON body of every error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorObject {
    /// Stable machine code, e.g. `not_found`, `forbidden`, `invalid_body`.
    pub code: String,
    /// What went wrong, in English, for a developer (the UI words `code`
    /// in the reader's language instead).
    pub message: String,
    /// The request's field at fault, when one is.
    pub field: Option<String>,
    /// Values the message names (amounts, names, limits), by name.
    pub params: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None, details: None, field: None, params: None }
    }
    /// The same error, naming the request's field at fault.
    pub fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
    /// The same error, with a value its message names.
    pub fn param(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.get_or_insert_default().insert(name.to_owned(), value.into());
        self
    }
    /// The same error, telling the client when to try again (`Retry-After`).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this")
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first: no valid session token")
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; it has been logged")
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        debug_assert!(CODES.contains(&self.code), "error code {:?} is not in error::CODES", self.code);
        let mut obj = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(o) = obj.as_object_mut() {
            if let Some(f) = self.field {
                o.insert("field".into(), f.into());
            }
            if let Some(params) = self.params {
                o.insert("params".into(), serde_json::Value::Object(*params));
            }
        }
        if let (Some(serde_json::Value::Object(extra)), Some(o)) = (self.details, obj.as_object_mut()) {
            for (k, v) in extra {
                o.entry(k).or_insert(v);
            }
        }
        let mut res = (self.status, Json(serde_json::json!({ "error": obj }))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Conflict(m) => ApiError::conflict(m),
            StoreError::Refused { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            // The database is out of reach (down, closed, every connection
            // busy): the client may try again, as `/healthz` says.
            StoreError::Db(
                e @ (sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::WorkerCrashed),
            )
            | StoreError::Connect(_, e) => {
                tracing::error!(error = %e, "the database is out of reach");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is out of reach; try again shortly",
                )
                .retry_after(5)
            }
            StoreError::Invalid(m) => ApiError::invalid(m),
            // Nothing was written: the client may try again once there is
            // room (`/healthz` says so meanwhile).
            full if full.is_full() => {
                tracing::error!(error = %full, "the database cannot write: its disk is full");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_full",
                    "the server's disk is full: nothing was saved; try again shortly",
                )
                .retry_after(30)
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<centrala_center::CenterError> for ApiError {
    fn from(e: centrala_center::CenterError) -> Self {
        use centrala_center::CenterError as C;
        match e {
            C::Store(e) => e.into(),
            C::NotFound(what) => ApiError::not_found(what),
            C::Invalid(m) => ApiError::invalid(m),
            C::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            C::Unavailable { code, message } => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message),
            other => {
                tracing::error!(error = %other, "runtime error");
                ApiError::internal()
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
            }
            other => ApiError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no such resource: {}", r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

/// `Json` whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `Path` whose rejections are `ApiError`s (a malformed id is a 404).
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are `ApiError`s.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

pub type ApiResult<T> = Result<T, ApiError>;
