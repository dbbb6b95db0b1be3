//! Short-lived per-company caches of what every client card and routing
//! decision reads and what changes rarely: the staffing (staff,
//! departments, absences) and the catalog (products, traditional products,
//! product pairs).
//!
//! Writes through the API invalidate the staffing at once; a change made
//! outside this process (an import from the command line) shows within the
//! cache's time to live. The catalog is served stale while a background
//! task reloads it, so no request waits for a reload: recommendations may
//! lag a catalog change by about [`CATALOG_TTL`].

use crate::error::CenterResult;
use centrala_desk::{offers::Catalog, Staffing};
use centrala_domain::CompanyId;
use centrala_store::{Scoped, Store};
use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub const STAFFING_TTL: Duration = Duration::from_secs(5);
pub const CATALOG_TTL: Duration = Duration::from_secs(60);
/// Complementary products kept per product.
pub const PAIRS_PER_PRODUCT: i64 = centrala_store::import::PAIRS_KEPT;

pub struct TtlCache<T> {
    ttl: Duration,
    map: Mutex<HashMap<CompanyId, Entry<T>>>,
}

struct Entry<T> {
    at: Instant,
    value: Arc<T>,
    refreshing: bool,
}

impl<T> TtlCache<T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache { ttl, map: Mutex::new(HashMap::new()) }
    }

    /// The company's value, loaded by `load` when absent or older than the TTL.
    pub async fn get<F, Fut>(&self, company: CompanyId, load: F) -> CenterResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = CenterResult<T>>,
    {
        if let Ok(map) = self.map.lock() {
            if let Some(e) = map.get(&company) {
                if e.at.elapsed() < self.ttl {
                    return Ok(e.value.clone());
                }
            }
        }
        let fresh = Arc::new(load().await?);
        self.put(company, fresh.clone());
        Ok(fresh)
    }

    fn put(&self, company: CompanyId, value: Arc<T>) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(company, Entry { at: Instant::now(), value, refreshing: false });
        }
    }

    pub fn invalidate(&self, company: CompanyId) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&company);
        }
    }
}

impl<T: Send + Sync + 'static> TtlCache<T> {
    /// Like [`TtlCache::get`], but a stale value is returned at once while
    /// `load` runs in the background (one reload at a time per company).
    /// Only the very first load is waited for.
    pub async fn get_stale_while_reloading<F, Fut>(
        self: &Arc<Self>,
        company: CompanyId,
        load: F,
    ) -> CenterResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = CenterResult<T>> + Send + 'static,
    {
        let mut stale = None;
        if let Ok(mut map) = self.map.lock() {
            if let Some(e) = map.get_mut(&company) {
                if e.at.elapsed() < self.ttl || e.refreshing {
                    return Ok(e.value.clone());
                }
                e.refreshing = true;
                stale = Some(e.value.clone());
            }
        }
        match stale {
            Some(value) => {
                let me = self.clone();
                let job = load();
                tokio::spawn(async move {
                    match job.await {
                        Ok(fresh) => me.put(company, Arc::new(fresh)),
                        Err(e) => {
                            tracing::warn!(error = %e, "reloading a cache failed; keeping the old value");
                            if let Ok(mut map) = me.map.lock() {
                                if let Some(e) = map.get_mut(&company) {
                                    e.refreshing = false;
                                    e.at = Instant::now();
                                }
                            }
                        }
                    }
                });
                Ok(value)
            }
            None => {
                let fresh = Arc::new(load().await?);
                self.put(company, fresh.clone());
                Ok(fresh)
            }
        }
    }
}

/// The two caches the desk reads.
pub struct Caches {
    pub staffing: TtlCache<Staffing>,
    pub catalog: Arc<TtlCache<Catalog>>,
    store: Store,
}

impl Caches {
    pub fn new(store: Store) -> Self {
        Caches { staffing: TtlCache::new(STAFFING_TTL), catalog: Arc::new(TtlCache::new(CATALOG_TTL)), store }
    }

    pub async fn staffing(&self, s: &Scoped<'_>) -> CenterResult<Arc<Staffing>> {
        self.staffing.get(s.company_id(), || async { Ok(s.staffing().await?) }).await
    }

    pub async fn catalog(&self, s: &Scoped<'_>) -> CenterResult<Arc<Catalog>> {
        let (store, company) = (self.store.clone(), s.company_id());
        self.catalog
            .get_stale_while_reloading(company, move || async move {
                Ok(store.company(company).catalog(PAIRS_PER_PRODUCT).await?)
            })
            .await
    }
}
