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
use crate::settings::CompanyIvr;
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
    /// The company's voice menu as every call starts it (written through
    /// the API: invalidated at once).
    pub ivr: TtlCache<CompanyIvr>,
    /// Which company a dialled number is for, per number asked (see
    /// [`Caches::company_for_number`]).
    numbers: Mutex<HashMap<String, (Instant, Option<CompanyId>)>>,
    store: Store,
}

/// How long a dialled number's company is kept: a number assigned or
/// released through the API counts at once, a company or number added
/// from the command line within this.
pub const NUMBERS_TTL: Duration = Duration::from_secs(5);

impl Caches {
    pub fn new(store: Store) -> Self {
        Caches {
            staffing: TtlCache::new(STAFFING_TTL),
            catalog: Arc::new(TtlCache::new(CATALOG_TTL)),
            ivr: TtlCache::new(STAFFING_TTL),
            numbers: Mutex::new(HashMap::new()),
            store,
        }
    }

    /// The company a call to `called` (E.164) is for: the number's owner;
    /// with only one company, every number is that company's. Kept per
    /// number for [`NUMBERS_TTL`], so a call costs no database round trip
    /// for it (issue 17).
    pub async fn company_for_number(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        if let Ok(map) = self.numbers.lock() {
            if let Some((at, company)) = map.get(called) {
                if at.elapsed() < NUMBERS_TTL {
                    return Ok(*company);
                }
            }
        }
        let company = match self.store.company_for_number(called).await? {
            Some((id, _purpose)) => Some(id),
            None => match self.store.companies().await?.as_slice() {
                [only] => Some(only.id),
                _ => None,
            },
        };
        if let Ok(mut map) = self.numbers.lock() {
            // Bounded: a flood of made-up numbers cannot grow it forever.
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(called.to_owned(), (Instant::now(), company));
        }
        Ok(company)
    }

    /// A number was assigned or released: every number is looked up again.
    pub fn numbers_changed(&self) {
        if let Ok(mut map) = self.numbers.lock() {
            map.clear();
        }
    }

    /// The company's voice menu (see [`crate::settings::company_ivr`]).
    pub async fn ivr(&self, s: &Scoped<'_>, problems: &crate::settings::Problems) -> CenterResult<Arc<CompanyIvr>> {
        self.ivr.get(s.company_id(), || crate::settings::company_ivr(s, problems)).await
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
