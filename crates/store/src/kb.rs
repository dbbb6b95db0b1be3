//! The knowledge base's records (CC-9, OD-18): articles with every saved
//! version, attachments, feedback, and the questions for the editors.
//! The search index over articles is `centrala-kb`'s; [`Store::kb_stamp`]
//! tells it whether it is behind.

use crate::error::found;
use crate::records::{fmt_date, parse_date};
use crate::{now_rfc3339, Result, Returned, Scoped, Store, StoreError};
use chrono::NaiveDate;

/// Whether readers see the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KbStatus {
    Draft,
    Published,
}

impl KbStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KbStatus::Draft => "draft",
            KbStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<KbStatus> {
        [KbStatus::Draft, KbStatus::Published].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KbArticle {
    pub id: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub product_skus: Vec<String>,
    pub client_types: Vec<String>,
    pub request_categories: Vec<String>,
    pub status: KbStatus,
    /// After this day the article is flagged stale until reviewed.
    pub review_by: Option<NaiveDate>,
    pub version: i64,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    pub helpful: i64,
    pub not_helpful: i64,
}

impl KbArticle {
    pub fn stale(&self, today: NaiveDate) -> bool {
        self.review_by.is_some_and(|d| d < today)
    }
}

/// What an editor writes.
#[derive(Debug, Clone, PartialEq)]
pub struct KbArticleInput {
    pub title: String,
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub product_skus: Vec<String>,
    pub client_types: Vec<String>,
    pub request_categories: Vec<String>,
    pub status: KbStatus,
    pub review_by: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KbVersion {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub status: KbStatus,
    pub author: String,
    pub saved_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KbAttachment {
    pub id: i64,
    pub article_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KbRequest {
    pub id: i64,
    pub query: String,
    pub interaction_id: Option<i64>,
    pub asked_by: String,
    pub asked_at: String,
    pub open: bool,
    pub article_id: Option<i64>,
}

const ARTICLE_COLS: &str = "id, title, body, category, tags, product_skus, client_types, request_categories, status,
    review_by, version, author, created_at, updated_at, helpful, not_helpful";

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: i64,
    title: String,
    body: String,
    category: String,
    tags: String,
    product_skus: String,
    client_types: String,
    request_categories: String,
    status: String,
    review_by: Option<String>,
    version: i64,
    author: String,
    created_at: String,
    updated_at: String,
    helpful: i64,
    not_helpful: i64,
}

fn list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

fn join(v: &[String]) -> String {
    v.iter().map(|s| s.trim().replace(',', " ")).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(",")
}

fn status(s: &str) -> Result<KbStatus> {
    KbStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("article status {s:?}")))
}

impl TryFrom<ArticleRow> for KbArticle {
    type Error = StoreError;
    fn try_from(r: ArticleRow) -> Result<Self> {
        Ok(KbArticle {
            id: r.id,
            title: r.title,
            body: r.body,
            category: r.category,
            tags: list(&r.tags),
            product_skus: list(&r.product_skus),
            client_types: list(&r.client_types),
            request_categories: list(&r.request_categories),
            status: status(&r.status)?,
            review_by: r.review_by.as_deref().map(parse_date).transpose()?,
            version: r.version,
            author: r.author,
            created_at: r.created_at,
            updated_at: r.updated_at,
            helpful: r.helpful,
            not_helpful: r.not_helpful,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: i64,
    article_id: i64,
    name: String,
    content_type: String,
    size: i64,
    uploaded_by: String,
    uploaded_at: String,
}

impl From<AttachmentRow> for KbAttachment {
    fn from(r: AttachmentRow) -> Self {
        KbAttachment {
            id: r.id,
            article_id: r.article_id,
            name: r.name,
            content_type: r.content_type,
            size: r.size,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        }
    }
}

const ATTACHMENT_COLS: &str = "id, article_id, name, content_type, size, uploaded_by, uploaded_at";

type VersionRow = (i64, String, String, String, String, String, String, String);

type RequestRow = (i64, String, Option<i64>, String, String, String, Option<i64>);

fn request(r: RequestRow) -> KbRequest {
    KbRequest {
        id: r.0,
        query: r.1,
        interaction_id: r.2,
        asked_by: r.3,
        asked_at: r.4,
        open: r.5 == "open",
        article_id: r.6,
    }
}

impl Store {
    /// Changes whenever an article is written or deleted (its count and
    /// the newest version's id): the index is current when it carries it.
    pub async fn kb_stamp(&self) -> Result<String> {
        let (n, v): (i64, i64) =
            sqlx::query_as("SELECT (SELECT COUNT(*) FROM kb_articles), (SELECT COALESCE(MAX(id), 0) FROM kb_versions)")
                .fetch_one(self.pool())
                .await?;
        Ok(format!("{n}.{v}"))
    }

    /// Every article of every company, with its company: what the index
    /// is rebuilt from.
    pub async fn kb_all(&self) -> Result<Vec<(i64, KbArticle)>> {
        let sql = format!("SELECT company_id, {ARTICLE_COLS} FROM kb_articles ORDER BY id");
        let rows: Vec<CompanyArticleRow> = sqlx::query_as(&sql).fetch_all(self.pool()).await?;
        rows.into_iter().map(|r| Ok((r.company_id, r.article.try_into()?))).collect()
    }
}

#[derive(sqlx::FromRow)]
struct CompanyArticleRow {
    company_id: i64,
    #[sqlx(flatten)]
    article: ArticleRow,
}

impl Scoped<'_> {
    /// Articles, the last changed first; drafts too unless `published_only`.
    pub async fn kb_articles(&self, published_only: bool, limit: i64, offset: i64) -> Result<Vec<KbArticle>> {
        let sql = format!(
            "SELECT {ARTICLE_COLS} FROM kb_articles WHERE company_id = $1 AND ($2 = 0 OR status = 'published')
             ORDER BY updated_at DESC, id DESC LIMIT $3 OFFSET $4"
        );
        let rows: Vec<ArticleRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(i64::from(published_only))
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn kb_article(&self, id: i64) -> Result<Option<KbArticle>> {
        let sql = format!("SELECT {ARTICLE_COLS} FROM kb_articles WHERE company_id = $1 AND id = $2");
        let row: Option<ArticleRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id).fetch_optional(self.pool()).await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn save_version(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
        version: i64,
        a: &KbArticleInput,
        author: &str,
        at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO kb_versions (company_id, article_id, version, title, body, category, tags, status, author, saved_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(version)
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.category)
        .bind(join(&a.tags))
        .bind(a.status.as_str())
        .bind(author)
        .bind(at)
        .execute(tx)
        .await?;
        Ok(())
    }

    pub async fn create_kb_article(&self, a: &KbArticleInput, author: &str) -> Result<KbArticle> {
        let at = now_rfc3339();
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO kb_articles (company_id, title, body, category, tags, product_skus, client_types, request_categories,
             status, review_by, version, author, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $12)
             RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.category)
        .bind(join(&a.tags))
        .bind(join(&a.product_skus))
        .bind(join(&a.client_types))
        .bind(join(&a.request_categories))
        .bind(a.status.as_str())
        .bind(a.review_by.map(fmt_date))
        .bind(author)
        .bind(&at)
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        self.save_version(&mut tx, id, 1, a, author, &at).await?;
        tx.commit().await?;
        self.kb_article(id).await?.ok_or(StoreError::NotFound)
    }

    /// Saves a new version. With `expected`, refuses (`Conflict`) when
    /// somebody saved another version since the editor opened it.
    pub async fn update_kb_article(
        &self,
        id: i64,
        a: &KbArticleInput,
        author: &str,
        expected: Option<i64>,
    ) -> Result<KbArticle> {
        let current = self.kb_article(id).await?.ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(StoreError::Conflict(format!(
                "the article was saved by {} as version {} meanwhile",
                current.author, current.version
            )));
        }
        let at = now_rfc3339();
        let version = current.version + 1;
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE kb_articles SET title = $3, body = $4, category = $5, tags = $6, product_skus = $7, client_types = $8,
             request_categories = $9, status = $10, review_by = $11, version = $12, author = $13, updated_at = $14
             WHERE company_id = $1 AND id = $2 AND version = $15",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(&a.title)
        .bind(&a.body)
        .bind(&a.category)
        .bind(join(&a.tags))
        .bind(join(&a.product_skus))
        .bind(join(&a.client_types))
        .bind(join(&a.request_categories))
        .bind(a.status.as_str())
        .bind(a.review_by.map(fmt_date))
        .bind(version)
        .bind(author)
        .bind(&at)
        .bind(current.version)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict("the article was saved by somebody else meanwhile".into()));
        }
        self.save_version(&mut tx, id, version, a, author, &at).await?;
        tx.commit().await?;
        self.kb_article(id).await?.ok_or(StoreError::NotFound)
    }

    /// Deletes the article with its attachments and votes. Its versions
    /// stay, as the record of who wrote what (and so the stamp only grows).
    pub async fn delete_kb_article(&self, id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        for table in ["kb_attachments", "kb_feedback"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1 AND article_id = $2"))
                .bind(self.company_id().0)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let r = sqlx::query("DELETE FROM kb_articles WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        found(r)?;
        tx.commit().await?;
        Ok(())
    }

    /// Every saved version, newest first.
    pub async fn kb_versions(&self, id: i64) -> Result<Vec<KbVersion>> {
        let rows: Vec<VersionRow> = sqlx::query_as(
            "SELECT version, title, body, category, tags, status, author, saved_at FROM kb_versions
             WHERE company_id = $1 AND article_id = $2 ORDER BY version DESC",
        )
        .bind(self.company_id().0)
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(KbVersion {
                    version: r.0,
                    title: r.1,
                    body: r.2,
                    category: r.3,
                    tags: list(&r.4),
                    status: status(&r.5)?,
                    author: r.6,
                    saved_at: r.7,
                })
            })
            .collect()
    }

    pub async fn add_kb_attachment(
        &self,
        article: i64,
        name: &str,
        content_type: &str,
        data: &[u8],
        by: &str,
    ) -> Result<KbAttachment> {
        if self.kb_article(article).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO kb_attachments (company_id, article_id, name, content_type, size, data, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(article)
        .bind(name)
        .bind(content_type)
        .bind(i64::try_from(data.len()).unwrap_or(i64::MAX))
        .bind(data.to_vec())
        .bind(by)
        .bind(now_rfc3339())
        .fetch_all(self.pool())
        .await?
        .returned()?;
        let sql = format!("SELECT {ATTACHMENT_COLS} FROM kb_attachments WHERE company_id = $1 AND id = $2");
        let row: AttachmentRow = sqlx::query_as(&sql).bind(self.company_id().0).bind(id).fetch_one(self.pool()).await?;
        Ok(row.into())
    }

    pub async fn kb_attachments(&self, article: i64) -> Result<Vec<KbAttachment>> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLS} FROM kb_attachments WHERE company_id = $1 AND article_id = $2 ORDER BY id"
        );
        let rows: Vec<AttachmentRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(article).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The attachment and its bytes.
    pub async fn kb_attachment(&self, id: i64) -> Result<Option<(KbAttachment, Vec<u8>)>> {
        let sql = format!("SELECT {ATTACHMENT_COLS} FROM kb_attachments WHERE company_id = $1 AND id = $2");
        let Some(row): Option<AttachmentRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id).fetch_optional(self.pool()).await?
        else {
            return Ok(None);
        };
        let (data,): (Vec<u8>,) = sqlx::query_as("SELECT data FROM kb_attachments WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(Some((row.into(), data)))
    }

    pub async fn delete_kb_attachment(&self, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM kb_attachments WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// Records a reader's vote (a second vote replaces the first) and
    /// returns the article's totals: (helpful, not helpful).
    pub async fn kb_vote(&self, article: i64, staff: i64, helpful: bool) -> Result<(i64, i64)> {
        if self.kb_article(article).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO kb_feedback (company_id, article_id, staff_id, helpful, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (article_id, staff_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
        )
        .bind(c)
        .bind(article)
        .bind(staff)
        .bind(i64::from(helpful))
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await?;
        let (yes, no): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(helpful), 0) AS BIGINT), CAST(COALESCE(SUM(1 - helpful), 0) AS BIGINT)
             FROM kb_feedback WHERE company_id = $1 AND article_id = $2",
        )
        .bind(c)
        .bind(article)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE kb_articles SET helpful = $3, not_helpful = $4 WHERE company_id = $1 AND id = $2")
            .bind(c)
            .bind(article)
            .bind(yes)
            .bind(no)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((yes, no))
    }

    /// "Nothing found — ask the editors."
    pub async fn ask_kb_editors(&self, query: &str, interaction: Option<i64>, asked_by: &str) -> Result<KbRequest> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO kb_requests (company_id, query, interaction_id, asked_by, asked_at, status)
             VALUES ($1, $2, $3, $4, $5, 'open') RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(query)
        .bind(interaction)
        .bind(asked_by)
        .bind(now_rfc3339())
        .fetch_all(self.pool())
        .await?
        .returned()?;
        let row: RequestRow = sqlx::query_as(
            "SELECT id, query, interaction_id, asked_by, asked_at, status, article_id FROM kb_requests
             WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(request(row))
    }

    /// Questions for the editors, newest first; only the open ones with
    /// `open_only`.
    pub async fn kb_requests(&self, open_only: bool, limit: i64) -> Result<Vec<KbRequest>> {
        let rows: Vec<RequestRow> = sqlx::query_as(
            "SELECT id, query, interaction_id, asked_by, asked_at, status, article_id FROM kb_requests
             WHERE company_id = $1 AND ($2 = 0 OR status = 'open') ORDER BY id DESC LIMIT $3",
        )
        .bind(self.company_id().0)
        .bind(i64::from(open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(request).collect())
    }

    /// Closes a question, with the article that answers it, if any.
    pub async fn answer_kb_request(&self, id: i64, article: Option<i64>) -> Result<()> {
        if let Some(a) = article {
            if self.kb_article(a).await?.is_none() {
                return Err(StoreError::Invalid(format!("no article {a}")));
            }
        }
        let r = sqlx::query(
            "UPDATE kb_requests SET status = 'answered', article_id = $3 WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(article)
        .execute(self.pool())
        .await?;
        found(r)
    }
}
