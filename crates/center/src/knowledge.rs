//! The knowledge base's search index, kept in step with the store: every
//! article written through the API is indexed right after its write,
//! stamped with the store's [`Store::kb_stamp`](centrala_store::Store::kb_stamp);
//! at start, an index that is missing, unreadable or carries another stamp
//! is rebuilt from the database (a log line says so). Index work is
//! blocking (tantivy's files and commits), so it runs off the runtime's
//! threads; one lock orders the writes, so a rebuild never drops an
//! article written while it read the database.

use crate::{Center, CenterResult};
use centrala_domain::CompanyId;
use centrala_kb::{ArticleDoc, Hit, KbIndex};
use centrala_store::kb::{KbArticle, KbStatus};
use std::{path::Path, sync::Arc};

pub struct Knowledge {
    index: Arc<KbIndex>,
    writes: tokio::sync::Mutex<()>,
}

impl Knowledge {
    /// The index at `dir`, or in memory when there is none or it cannot be
    /// opened there (then said in the log; it is rebuilt either way).
    pub fn open(dir: Option<&Path>) -> Knowledge {
        let index = match KbIndex::open(dir) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(error = %e, "knowledge index cannot be opened on disk: kept in memory");
                match KbIndex::open(None) {
                    Ok(i) => i,
                    // An index in memory needs nothing but memory.
                    Err(e) => unreachable_in_memory(e),
                }
            }
        };
        Knowledge { index: Arc::new(index), writes: tokio::sync::Mutex::new(()) }
    }
}

#[allow(clippy::panic)] // only when memory itself fails
fn unreachable_in_memory(e: centrala_kb::Error) -> KbIndex {
    panic!("an in-memory knowledge index failed: {e}")
}

/// The index's view of an article.
pub fn doc(company: CompanyId, a: &KbArticle) -> ArticleDoc {
    ArticleDoc {
        id: a.id,
        company: company.0,
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone(),
        tags: a.tags.clone(),
        skus: a.product_skus.clone(),
        client_types: a.client_types.clone(),
        request_categories: a.request_categories.clone(),
        published: a.status == KbStatus::Published,
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> centrala_kb::Result<T> + Send + 'static) -> CenterResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => Ok(r?),
        Err(e) => Err(crate::CenterError::Invalid(format!("knowledge index task failed: {e}"))),
    }
}

/// Rebuilds the index at start when it is behind the database.
pub(crate) async fn sync_at_start(center: Center) {
    if let Err(e) = center.kb_sync().await {
        tracing::error!(error = %e, "knowledge index not rebuilt");
    }
}

impl Center {
    /// Rebuilds the index from the database unless it carries the
    /// database's stamp; returns how many articles were indexed (`None`:
    /// it was current).
    pub async fn kb_sync(&self) -> CenterResult<Option<usize>> {
        let k = &self.knowledge;
        let _w = k.writes.lock().await;
        let stamp = self.store.kb_stamp().await?;
        if k.index.stamp().as_deref() == Some(stamp.as_str()) {
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let docs: Vec<ArticleDoc> = self.store.kb_all().await?.iter().map(|(c, a)| doc(CompanyId(*c), a)).collect();
        let index = k.index.clone();
        let n = blocking(move || index.rebuild(docs, &stamp)).await?;
        tracing::info!(articles = n, ms = started.elapsed().as_millis() as u64, "knowledge index rebuilt");
        Ok(Some(n))
    }

    /// Indexes an article just written.
    pub async fn kb_indexed(&self, company: CompanyId, article: &KbArticle) -> CenterResult<()> {
        let k = &self.knowledge;
        let _w = k.writes.lock().await;
        let stamp = self.store.kb_stamp().await?;
        let (index, d) = (k.index.clone(), doc(company, article));
        blocking(move || index.upsert(&d, &stamp)).await
    }

    /// Takes a deleted article out of the index.
    pub async fn kb_removed(&self, id: i64) -> CenterResult<()> {
        let k = &self.knowledge;
        let _w = k.writes.lock().await;
        let stamp = self.store.kb_stamp().await?;
        let index = k.index.clone();
        blocking(move || index.remove(id, &stamp)).await
    }

    /// Full-text search in the company's articles (drafts too, for editors).
    pub async fn kb_search(
        &self,
        company: CompanyId,
        q: &str,
        with_drafts: bool,
        limit: usize,
    ) -> CenterResult<Vec<Hit>> {
        let (index, q) = (self.knowledge.index.clone(), q.to_owned());
        blocking(move || index.search(company.0, &q, !with_drafts, limit)).await
    }

    /// Published articles linked to these products, client type or request.
    pub async fn kb_suggest(
        &self,
        company: CompanyId,
        skus: Vec<String>,
        client_type: Option<String>,
        request: Option<String>,
        limit: usize,
    ) -> CenterResult<Vec<(i64, f32)>> {
        let index = self.knowledge.index.clone();
        blocking(move || index.suggest(company.0, &skus, client_type.as_deref(), request.as_deref(), limit)).await
    }
}
