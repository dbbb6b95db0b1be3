//! Short-lived per-company caches of what every client card and routing
//! decision reads and what changes rarely: the staffing (staff,
//! departments, absences) and the catalog (products, traditional products,
//! product pairs).
//!
//! Writes through the API invalidate the staffing at once; a change made
//! outside this process (an import from the command line) shows within the
//! cache's time to live. An expired value is served while one background
//! task per company reloads it, so no call or request waits for a reload
//! and a reload is never made by every caller at once (issue 17: with 1,600
//! staff, every call arriving in the moment after the staffing expired read
//! it again, each through the one writing connection, and routing stalled
//! for a second or two every five seconds at 350 calls/s); only the first
//! load, and the first after an invalidation, is waited for. Recommendations
//! may lag a catalog change by about [`CATALOG_TTL`].

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
    /// Bumped by every invalidation: a reload begun before one is not kept.
    generation: std::sync::atomic::AtomicU64,
}

struct Entry<T> {
    at: Instant,
    value: Arc<T>,
    refreshing: bool,
}

impl<T> TtlCache<T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache { ttl, map: Mutex::new(HashMap::new()), generation: std::sync::atomic::AtomicU64::new(0) }
    }

    pub fn invalidate(&self, company: CompanyId) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut map) = self.map.lock() {
            map.remove(&company);
        }
    }

    /// Keeps a value loaded since `generation`, unless invalidated since.
    fn put_if_current(&self, company: CompanyId, value: Arc<T>, generation: u64) {
        if let Ok(mut map) = self.map.lock() {
            if self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
                map.insert(company, Entry { at: Instant::now(), value, refreshing: false });
            } else if let Some(e) = map.get_mut(&company) {
                e.refreshing = false;
            }
        }
    }
}

impl<T: Send + Sync + 'static> TtlCache<T> {
    /// The company's value, loaded by `load` when absent; when older than
    /// the TTL, the old value is returned at once while `load` runs in the
    /// background (one reload at a time per company).
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
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        match stale {
            Some(value) => {
                let me = self.clone();
                let job = load();
                tokio::spawn(async move {
                    match job.await {
                        Ok(fresh) => me.put_if_current(company, Arc::new(fresh), generation),
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
                self.put_if_current(company, fresh.clone(), generation);
                Ok(fresh)
            }
        }
    }
}

/// The two caches the desk reads.
pub struct Caches {
    pub staffing: Arc<TtlCache<Staffing>>,
    pub catalog: Arc<TtlCache<Catalog>>,
    /// The company's voice menu as every call starts it (written through
    /// the API: invalidated at once).
    pub ivr: Arc<TtlCache<CompanyIvr>>,
    /// Which company a dialled number is for, per number asked (see
    /// [`Caches::company_for_number`]).
    numbers: Arc<Mutex<HashMap<String, Number>>>,
    /// Bumped when a number changes: a reload begun before is not kept.
    numbers_generation: Arc<std::sync::atomic::AtomicU64>,
    store: Store,
}

/// A dialled number's company as last read, and whether a reload is under way.
struct Number {
    at: Instant,
    company: Option<CompanyId>,
    refreshing: bool,
}

/// How long a dialled number's company is kept: a number assigned or
/// released through the API counts at once, a company or number added
/// from the command line within this.
pub const NUMBERS_TTL: Duration = Duration::from_secs(5);

impl Caches {
    pub fn new(store: Store) -> Self {
        Caches {
            staffing: Arc::new(TtlCache::new(STAFFING_TTL)),
            catalog: Arc::new(TtlCache::new(CATALOG_TTL)),
            ivr: Arc::new(TtlCache::new(STAFFING_TTL)),
            numbers: Arc::new(Mutex::new(HashMap::new())),
            numbers_generation: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            store,
        }
    }

    /// The company a call to `called` (E.164) is for: the number's owner;
    /// with only one company, every number is that company's. Kept per
    /// number for [`NUMBERS_TTL`], so a call costs no database round trip
    /// for it (issue 17); once expired, served while one task reads it again.
    pub async fn company_for_number(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        if let Ok(mut map) = self.numbers.lock() {
            if let Some(n) = map.get_mut(called) {
                if n.at.elapsed() < NUMBERS_TTL || n.refreshing {
                    return Ok(n.company);
                }
                n.refreshing = true;
                let (store, numbers, called, stale) =
                    (self.store.clone(), self.numbers.clone(), called.to_owned(), n.company);
                let generation = self.numbers_generation.clone();
                let began = generation.load(std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let company = number_owner(&store, &called).await;
                    if let Ok(mut map) = numbers.lock() {
                        if generation.load(std::sync::atomic::Ordering::SeqCst) != began {
                            map.remove(&called);
                            return;
                        }
                        match company {
                            Ok(company) => keep_number(&mut map, called, company),
                            Err(e) => {
                                tracing::warn!(error = %e, "reading a number's company failed; keeping the old one");
                                if let Some(n) = map.get_mut(&called) {
                                    (n.at, n.refreshing) = (Instant::now(), false);
                                }
                            }
                        }
                    }
                });
                return Ok(stale);
            }
        }
        let company = number_owner(&self.store, called).await?;
        if let Ok(mut map) = self.numbers.lock() {
            keep_number(&mut map, called.to_owned(), company);
        }
        Ok(company)
    }

    /// A number was assigned or released: every number is looked up again.
    pub fn numbers_changed(&self) {
        self.numbers_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut map) = self.numbers.lock() {
            map.clear();
        }
    }

    /// The company's voice menu (see [`crate::settings::company_ivr`]).
    pub async fn ivr(
        &self,
        s: &Scoped<'_>,
        problems: &Arc<crate::settings::Problems>,
    ) -> CenterResult<Arc<CompanyIvr>> {
        let (store, company, problems) = (self.store.clone(), s.company_id(), problems.clone());
        self.ivr
            .get_stale_while_reloading(company, move || async move {
                crate::settings::company_ivr(&store.company(company), &problems).await
            })
            .await
    }

    pub async fn staffing(&self, s: &Scoped<'_>) -> CenterResult<Arc<Staffing>> {
        let (store, company) = (self.store.clone(), s.company_id());
        self.staffing
            .get_stale_while_reloading(company, move || async move { Ok(store.company(company).staffing().await?) })
            .await
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

/// The company a call to `called` is for, read from the store.
async fn number_owner(store: &Store, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
    Ok(match store.company_for_number(called).await? {
        Some((id, _purpose)) => Some(id),
        None => match store.companies().await?.as_slice() {
            [only] => Some(only.id),
            _ => None,
        },
    })
}

fn keep_number(map: &mut HashMap<String, Number>, called: String, company: Option<CompanyId>) {
    // Bounded: a flood of made-up numbers cannot grow it forever.
    if map.len() >= 10_000 {
        map.clear();
    }
    map.insert(called, Number { at: Instant::now(), company, refreshing: false });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A loader that counts its loads and gives `n` for the n-th, once let go.
    fn loader(
        loads: &Arc<AtomicU32>,
        gate: &Arc<tokio::sync::Semaphore>,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = CenterResult<u32>> + Send>> {
        let (loads, gate) = (loads.clone(), gate.clone());
        move || {
            Box::pin(async move {
                let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
                gate.acquire().await.expect("open").forget();
                Ok(n)
            })
        }
    }

    #[tokio::test]
    async fn an_expired_value_is_served_while_one_task_reloads_it() {
        // Every value is expired at once: each get past the first would reload.
        let cache = Arc::new(TtlCache::<u32>::new(Duration::ZERO));
        let (loads, gate) = (Arc::new(AtomicU32::new(0)), Arc::new(tokio::sync::Semaphore::new(1)));
        let company = CompanyId(1);
        assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 1);
        // Expired: the old value at once, and one reload, however many ask.
        for _ in 0..50 {
            assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 1);
        }
        tokio::task::yield_now().await;
        assert_eq!(loads.load(Ordering::SeqCst), 2, "one reload under way");
        gate.add_permits(1);
        while cache.map.lock().unwrap()[&company].refreshing {
            tokio::task::yield_now().await;
        }
        assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_reload_begun_before_an_invalidation_is_not_kept() {
        let cache = Arc::new(TtlCache::<u32>::new(Duration::ZERO));
        let (loads, gate) = (Arc::new(AtomicU32::new(0)), Arc::new(tokio::sync::Semaphore::new(1)));
        let company = CompanyId(1);
        cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap();
        // A reload starts (reading what is about to change)…
        assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 1);
        tokio::task::yield_now().await;
        // …the value changes and is invalidated; the reload then ends.
        cache.invalidate(company);
        gate.add_permits(1);
        while loads.load(Ordering::SeqCst) < 2 || gate.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!cache.map.lock().unwrap().contains_key(&company), "the old reload's value is dropped");
        // The next asker waits for a fresh load.
        gate.add_permits(1);
        assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 3);
    }
}
