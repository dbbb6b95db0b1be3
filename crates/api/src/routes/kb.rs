//! The knowledge base (CC-9, OD-18): articles in Markdown, their versions
//! and attachments, full-text search, suggestions for the call on the
//! desk, readers' feedback, and questions for the editors. Everyone of the
//! company reads what is published; admins, supervisors and heads edit
//! (and see drafts).

use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, HeaderName, StatusCode},
    Json,
};
use centrala_desk::order::OrderStatus;
use centrala_domain::{ClientId, InteractionId};
use centrala_store::kb::{KbArticle, KbArticleInput, KbAttachment, KbRequest, KbStatus};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn edits(auth: &Auth) -> bool {
    roles::EDITORS.contains(&auth.role)
}

#[derive(Serialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub tags: Vec<String>,
    /// `draft` or `published`.
    pub status: String,
    pub version: i64,
    pub author: String,
    pub updated_at: String,
    /// The review date has passed: the content may be out of date.
    pub stale: bool,
    pub helpful: i64,
    pub not_helpful: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl From<KbAttachment> for AttachmentOut {
    fn from(a: KbAttachment) -> Self {
        AttachmentOut {
            id: a.id,
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleOut {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Markdown, as written.
    pub body: String,
    /// The body rendered: safe to show as it is (no raw HTML, no script
    /// links).
    pub html: String,
    pub product_skus: Vec<String>,
    pub client_types: Vec<String>,
    pub request_categories: Vec<String>,
    pub review_by: Option<NaiveDate>,
    pub created_at: String,
    pub attachments: Vec<AttachmentOut>,
}

/// The article's list entry; `today` is the company's (stale or not).
fn summary(a: &KbArticle, today: NaiveDate) -> ArticleSummary {
    ArticleSummary {
        id: a.id,
        title: a.title.clone(),
        category: a.category.clone(),
        tags: a.tags.clone(),
        status: a.status.as_str().to_owned(),
        version: a.version,
        author: a.author.clone(),
        updated_at: a.updated_at.clone(),
        stale: a.stale(today),
        helpful: a.helpful,
        not_helpful: a.not_helpful,
    }
}

async fn full(state: &AppState, auth: &Auth, a: KbArticle) -> ApiResult<ArticleOut> {
    let attachments = state.store.company(auth.company).kb_attachments(a.id).await?;
    Ok(ArticleOut {
        summary: summary(&a, state.center.today(auth.company).await),
        html: centrala_kb::markdown::to_html(&a.body),
        body: a.body,
        product_skus: a.product_skus,
        client_types: a.client_types,
        request_categories: a.request_categories,
        review_by: a.review_by,
        created_at: a.created_at,
        attachments: attachments.into_iter().map(Into::into).collect(),
    })
}

/// The article, if the caller may read it (drafts: editors only).
async fn readable(state: &AppState, auth: &Auth, id: i64) -> ApiResult<KbArticle> {
    let a = state.store.company(auth.company).kb_article(id).await?.ok_or_else(|| ApiError::not_found("article"))?;
    if a.status != KbStatus::Published && !edits(auth) {
        return Err(ApiError::not_found("article"));
    }
    Ok(a)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Articles, the last changed first (drafts for editors only).
#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "knowledge", params(ListQuery),
    responses((status = 200, body = [ArticleSummary])))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<ArticleSummary>>> {
    let s = state.store.company(auth.company);
    let rows = s.kb_articles(!edits(&auth), q.limit.unwrap_or(50).clamp(1, 200), q.offset.unwrap_or(0).max(0)).await?;
    let today = state.center.today(auth.company).await;
    Ok(Json(rows.iter().map(|a| summary(a, today)).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Products the article is about (their skus): suggested when one is
    /// in the order on the desk.
    #[serde(default)]
    pub product_skus: Vec<String>,
    /// Client types it is for (suggested for their calls).
    #[serde(default)]
    pub client_types: Vec<String>,
    /// Why people call when they need it: `order`, `reference`,
    /// `complaint`, `other`.
    #[serde(default)]
    pub request_categories: Vec<String>,
    /// `draft` (the default) or `published`.
    #[serde(default)]
    pub status: Option<String>,
    /// After this day the article is flagged stale.
    #[serde(default)]
    pub review_by: Option<NaiveDate>,
    /// On a change: the version the editor opened; another saved since
    /// is a 409 (`article_changed`), not overwritten.
    #[serde(default)]
    pub version: Option<i64>,
}

const MAX_BODY: usize = 200_000;

async fn input(state: &AppState, auth: &Auth, a: ArticleIn) -> ApiResult<(KbArticleInput, Option<i64>)> {
    let title = a.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid("the title must have 1 to 200 characters").field("title"));
    }
    if a.body.len() > MAX_BODY {
        return Err(ApiError::invalid(format!("the text is longer than {MAX_BODY} bytes")).field("body"));
    }
    let status = a.status.as_deref().unwrap_or("draft");
    let status = KbStatus::parse(status)
        .ok_or_else(|| ApiError::invalid(format!("status {status:?}: draft or published")).field("status"))?;
    let clean = |v: Vec<String>, field: &'static str| -> ApiResult<Vec<String>> {
        let v: Vec<String> = v.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if v.len() > 50 || v.iter().any(|s| s.chars().count() > 60 || s.contains(',')) {
            return Err(ApiError::invalid("at most 50 entries of 60 characters, without commas").field(field));
        }
        Ok(v)
    };
    let request_categories = clean(a.request_categories, "request_categories")?;
    if let Some(bad) = request_categories.iter().find(|c| centrala_domain::Intent::parse(c).is_none()) {
        return Err(ApiError::invalid(format!("request category {bad:?}: order, reference, complaint or other"))
            .field("request_categories"));
    }
    let product_skus = clean(a.product_skus, "product_skus")?;
    let s = state.store.company(auth.company);
    for sku in &product_skus {
        if s.product_by_sku(sku).await?.is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_product",
                format!("no product {sku}"),
            )
            .field("product_skus")
            .param("sku", sku.as_str()));
        }
    }
    Ok((
        KbArticleInput {
            title,
            body: a.body,
            category: a.category.trim().chars().take(80).collect(),
            tags: clean(a.tags, "tags")?,
            product_skus,
            client_types: clean(a.client_types, "client_types")?,
            request_categories,
            status,
            review_by: a.review_by,
        },
        a.version,
    ))
}

/// Write a new article (editors).
#[utoipa::path(post, path = "/api/v1/kb/articles", tag = "knowledge", request_body = ArticleIn,
    responses((status = 201, body = ArticleOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ArticleIn>,
) -> ApiResult<(StatusCode, Json<ArticleOut>)> {
    auth.require(roles::EDITORS)?;
    let (a, _) = input(&state, &auth, body).await?;
    let s = state.store.company(auth.company);
    let article = s.create_kb_article(&a, &auth.username).await?;
    state.center.kb_indexed(auth.company, &article).await?;
    s.audit(&auth.username, "create", "kb_article", &article.id.to_string(), &article.title).await?;
    Ok((StatusCode::CREATED, Json(full(&state, &auth, article).await?)))
}

/// One article, rendered (drafts: editors only). Reading is audited.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, body = ArticleOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ArticleOut>> {
    let a = readable(&state, &auth, super::parse_id(&id, "article")?).await?;
    Ok(Json(full(&state, &auth, a).await?))
}

/// Save a new version (editors).
#[utoipa::path(put, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = i64, Path)), request_body = ArticleIn,
    responses((status = 200, body = ArticleOut), (status = 409, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ArticleIn>,
) -> ApiResult<Json<ArticleOut>> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "article")?;
    let (a, expected) = input(&state, &auth, body).await?;
    let s = state.store.company(auth.company);
    let article = s.update_kb_article(id, &a, &auth.username, expected).await.map_err(|e| match e {
        centrala_store::StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "article_changed", m),
        centrala_store::StoreError::NotFound => ApiError::not_found("article"),
        e => e.into(),
    })?;
    state.center.kb_indexed(auth.company, &article).await?;
    s.audit(&auth.username, "update", "kb_article", &id.to_string(), &format!("version {}", article.version)).await?;
    Ok(Json(full(&state, &auth, article).await?))
}

/// Delete an article with its attachments (editors); its versions stay on
/// record.
#[utoipa::path(delete, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "article")?;
    let s = state.store.company(auth.company);
    s.delete_kb_article(id).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("article"),
        e => e.into(),
    })?;
    state.center.kb_removed(id).await?;
    s.audit(&auth.username, "delete", "kb_article", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub status: String,
    pub author: String,
    pub saved_at: String,
}

/// Every saved version, newest first (editors).
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, body = [VersionOut])))]
pub async fn versions(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<VersionOut>>> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "article")?;
    let rows = state.store.company(auth.company).kb_versions(id).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("article"));
    }
    Ok(Json(
        rows.into_iter()
            .map(|v| VersionOut {
                version: v.version,
                title: v.title,
                body: v.body,
                category: v.category,
                tags: v.tags,
                status: v.status.as_str().to_owned(),
                author: v.author,
                saved_at: v.saved_at,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttachmentQuery {
    /// The file's name, as readers will see it.
    pub name: String,
}

/// Attach a file (a certificate, a price sheet) to an article (editors):
/// the request body is the file, its `Content-Type` kept.
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/attachments", tag = "knowledge", params(("id" = i64, Path), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentOut), (status = 413, body = crate::error::ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<AttachmentQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AttachmentOut>)> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "article")?;
    let name: String =
        q.name.trim().chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(120).collect();
    if name.is_empty() {
        return Err(ApiError::invalid("the file needs a name").field("name"));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("the file is empty").field("file"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() < 100 && !v.contains(['\r', '\n']))
        .unwrap_or("application/octet-stream");
    let s = state.store.company(auth.company);
    let a = s.add_kb_attachment(id, &name, content_type, &body, &auth.username).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("article"),
        e => e.into(),
    })?;
    s.audit(&auth.username, "attach", "kb_article", &id.to_string(), &name).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Download an attachment (readers of its article). Always served as a
/// download, never shown inline, so a file cannot run as a page of ours.
#[utoipa::path(get, path = "/api/v1/kb/attachments/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<([(HeaderName, String); 2], Vec<u8>)> {
    let id = super::parse_id(&id, "attachment")?;
    let s = state.store.company(auth.company);
    let (a, data) = s.kb_attachment(id).await?.ok_or_else(|| ApiError::not_found("attachment"))?;
    readable(&state, &auth, a.article_id).await.map_err(|_| ApiError::not_found("attachment"))?;
    s.audit(&auth.username, "download", "kb_attachment", &id.to_string(), &a.name).await?;
    let ascii: String = a.name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"")),
        ],
        data,
    ))
}

/// Remove an attachment (editors).
#[utoipa::path(delete, path = "/api/v1/kb/attachments/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_attachment(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "attachment")?;
    let s = state.store.company(auth.company);
    s.delete_kb_attachment(id).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("attachment"),
        e => e.into(),
    })?;
    s.audit(&auth.username, "delete", "kb_attachment", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub q: String,
    /// At most this many (default 10, at most 50).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    /// A word the search matched.
    pub hit: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    pub score: f32,
    /// A piece of the text around the matches.
    pub snippet: Vec<SnippetPart>,
}

/// Full-text search: the words in any form (`pića` finds `piće`), without
/// diacritics or in Cyrillic, one typo forgiven in longer words, the last
/// word as a prefix while typing; best first. Editors find drafts too.
#[utoipa::path(get, path = "/api/v1/kb/search", tag = "knowledge", params(SearchQuery),
    responses((status = 200, body = [SearchHit])))]
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    let text: String = q.q.chars().take(500).collect();
    let hits = state.center.kb_search(auth.company, &text, edits(&auth), q.limit.unwrap_or(10).clamp(1, 50)).await?;
    let s = state.store.company(auth.company);
    let today = state.center.today(auth.company).await;
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        // The index may briefly hold an article just deleted: skipped.
        let Some(a) = s.kb_article(h.id).await? else { continue };
        out.push(SearchHit {
            summary: summary(&a, today),
            score: h.score,
            snippet: h.snippet.into_iter().map(|(text, hit)| SnippetPart { text, hit }).collect(),
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestQuery {
    /// The call on the desk: its client, why they called, and the draft
    /// order the caller has open for that client.
    pub interaction: Option<i64>,
    /// Or the client (by code) and order directly.
    pub client: Option<String>,
    pub order: Option<i64>,
    /// At most this many (default 5, at most 20).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct Suggestion {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Why it is suggested: `product` (with `sku`), `client_type`,
    /// `request`.
    pub reason: String,
    pub sku: Option<String>,
}

/// Articles for the call on the desk, without searching: those linked to
/// the products in the draft order, the client's type, or why they called.
#[utoipa::path(get, path = "/api/v1/kb/suggest", tag = "knowledge", params(SuggestQuery),
    responses((status = 200, body = [Suggestion])))]
pub async fn suggest(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> ApiResult<Json<Vec<Suggestion>>> {
    let s = state.store.company(auth.company);
    let today = state.center.today(auth.company).await;
    let mut client: Option<ClientId> = None;
    let mut intent: Option<String> = None;
    if let Some(id) = q.interaction {
        let i = s.interaction(InteractionId(id)).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
        if !super::interactions::may_read(&state, &auth, &i).await? {
            return Err(ApiError::not_found("interaction"));
        }
        client = i.client_id;
        intent = i.intent.map(|x| x.as_str().to_owned());
    }
    if let Some(code) = &q.client {
        client = Some(s.client_by_code(code).await?.ok_or_else(|| ApiError::not_found("client"))?.id);
    }
    let client_type = match client {
        Some(c) => s.client(c).await?.map(|c| c.client_type),
        None => None,
    };
    // The products of the order: the one named, or the caller's latest
    // draft for this client.
    let order = match (q.order, client) {
        (Some(id), _) => s.order(centrala_domain::OrderId(id)).await?,
        (None, Some(c)) => {
            let drafts = s
                .orders(&centrala_store::desk::OrderFilter {
                    client: Some(c),
                    status: Some(OrderStatus::Draft),
                    taken_by: Some(auth.staff),
                    limit: 1,
                })
                .await?;
            match drafts.first() {
                Some(d) => s.order(d.id).await?,
                None => None,
            }
        }
        (None, None) => None,
    };
    if order.as_ref().is_some_and(|o| auth.sees_own_only() && o.created_by != Some(auth.staff)) {
        return Err(ApiError::not_found("order"));
    }
    let skus: Vec<String> = order.map(|o| o.lines.into_iter().map(|l| l.sku).collect()).unwrap_or_default();
    let found = state
        .center
        .kb_suggest(auth.company, skus.clone(), client_type.clone(), intent.clone(), q.limit.unwrap_or(5).clamp(1, 20))
        .await?;
    let mut out = Vec::with_capacity(found.len());
    for (id, _) in found {
        let Some(a) = s.kb_article(id).await? else { continue };
        let sku = a.product_skus.iter().find(|p| skus.contains(p)).cloned();
        let reason = if sku.is_some() {
            "product"
        } else if client_type.as_ref().is_some_and(|t| a.client_types.contains(t)) {
            "client_type"
        } else {
            "request"
        };
        out.push(Suggestion { summary: summary(&a, today), reason: reason.into(), sku });
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    pub helpful: bool,
}

#[derive(Serialize, ToSchema)]
pub struct FeedbackOut {
    pub helpful: i64,
    pub not_helpful: i64,
}

/// "Helpful / not helpful": one vote per reader, the last one counts.
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/feedback", tag = "knowledge", params(("id" = i64, Path)),
    request_body = FeedbackIn, responses((status = 200, body = FeedbackOut)))]
pub async fn feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<FeedbackIn>,
) -> ApiResult<Json<FeedbackOut>> {
    let a = readable(&state, &auth, super::parse_id(&id, "article")?).await?;
    let (helpful, not_helpful) = state.store.company(auth.company).kb_vote(a.id, auth.staff.0, body.helpful).await?;
    Ok(Json(FeedbackOut { helpful, not_helpful }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskIn {
    /// What was searched for and not found.
    pub query: String,
    /// The call it came up on.
    pub interaction: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    pub id: i64,
    pub query: String,
    pub interaction: Option<i64>,
    pub asked_by: String,
    pub asked_at: String,
    pub open: bool,
    pub article: Option<i64>,
}

impl From<KbRequest> for RequestOut {
    fn from(r: KbRequest) -> Self {
        RequestOut {
            id: r.id,
            query: r.query,
            interaction: r.interaction_id,
            asked_by: r.asked_by,
            asked_at: r.asked_at,
            open: r.open,
            article: r.article_id,
        }
    }
}

/// "Nothing found — ask the editors": a question the editors see, with the
/// call it came up on. The editors are told at once on the event stream.
#[utoipa::path(post, path = "/api/v1/kb/requests", tag = "knowledge", request_body = AskIn,
    responses((status = 201, body = RequestOut)))]
pub async fn ask(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<AskIn>,
) -> ApiResult<(StatusCode, Json<RequestOut>)> {
    let query: String = body.query.trim().chars().take(500).collect();
    if query.is_empty() {
        return Err(ApiError::invalid("what was looked for?").field("query"));
    }
    let s = state.store.company(auth.company);
    let r = s.ask_kb_editors(&query, body.interaction, &auth.username).await?;
    state.center.events.publish(centrala_center::bus::Event {
        company: auth.company,
        staff: Vec::new(),
        roles: roles::EDITORS.to_vec(),
        kind: "kb_request",
        data: serde_json::json!({"id": r.id, "query": r.query, "asked_by": r.asked_by}),
    });
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    /// Only the open ones (default true).
    pub open: Option<bool>,
}

/// The questions for the editors, newest first (editors).
#[utoipa::path(get, path = "/api/v1/kb/requests", tag = "knowledge", params(RequestsQuery),
    responses((status = 200, body = [RequestOut])))]
pub async fn requests(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> ApiResult<Json<Vec<RequestOut>>> {
    auth.require(roles::EDITORS)?;
    let rows = state.store.company(auth.company).kb_requests(q.open.unwrap_or(true), 200).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    /// The article that answers it, if one does.
    pub article: Option<i64>,
}

/// Close a question, with the article that answers it (editors).
#[utoipa::path(post, path = "/api/v1/kb/requests/{id}/answer", tag = "knowledge", params(("id" = i64, Path)),
    request_body = AnswerIn, responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AnswerIn>,
) -> ApiResult<StatusCode> {
    auth.require(roles::EDITORS)?;
    let id = super::parse_id(&id, "question")?;
    let s = state.store.company(auth.company);
    s.answer_kb_request(id, body.article).await.map_err(|e| match e {
        centrala_store::StoreError::NotFound => ApiError::not_found("question"),
        centrala_store::StoreError::Invalid(m) => ApiError::invalid(m).field("article"),
        e => e.into(),
    })?;
    s.audit(&auth.username, "answer", "kb_request", &id.to_string(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}
