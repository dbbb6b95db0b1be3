//! Short-lived caches of what every client card, routing decision and
//! call reads and what changes rarely: per company, the staffing (staff,
//! departments, absences), the catalog (products, traditional products,
//! product pairs) and the voice menu; per dialled number, its company.
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

/// Values kept per key (a company, a dialled number) for a time to live,
/// served stale while one task per key reloads them.
pub struct TtlCache<K, T> {
    ttl: Duration,
    map: Mutex<HashMap<K, Entry<T>>>,
    /// Bumped by every invalidation: a reload begun before one is not kept.
    generation: std::sync::atomic::AtomicU64,
}

/// Keys kept at most: a flood of made-up keys (numbers nobody owns)
/// cannot grow a cache forever; past it, the cache starts over.
const MOST_KEYS: usize = 10_000;

struct Entry<T> {
    at: Instant,
    value: Arc<T>,
    refreshing: bool,
}

impl<K: Eq + std::hash::Hash, T> TtlCache<K, T> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache { ttl, map: Mutex::new(HashMap::new()), generation: std::sync::atomic::AtomicU64::new(0) }
    }

    /// The key's value changed: the next asker waits for a fresh load.
    pub fn invalidate(&self, key: &K) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut map) = self.map.lock() {
            map.remove(key);
        }
    }

    /// Every value may have changed.
    pub fn clear(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }

    /// Keeps a value loaded since `generation`, unless invalidated since.
    fn put_if_current(&self, key: K, value: Arc<T>, generation: u64) {
        if let Ok(mut map) = self.map.lock() {
            if self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
                if map.len() >= MOST_KEYS && !map.contains_key(&key) {
                    map.clear();
                }
                map.insert(key, Entry { at: Instant::now(), value, refreshing: false });
            } else if let Some(e) = map.get_mut(&key) {
                e.refreshing = false;
            }
        }
    }
}

impl<K, T> TtlCache<K, T>
where
    K: Eq + std::hash::Hash + Clone + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    /// The key's value, loaded by `load` when absent; when older than the
    /// TTL, the old value is returned at once while `load` runs in the
    /// background (one reload at a time per key; a failed reload keeps the
    /// old value for another TTL).
    pub async fn get_stale_while_reloading<F, Fut, E>(self: &Arc<Self>, key: K, load: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let mut stale = None;
        if let Ok(mut map) = self.map.lock() {
            if let Some(e) = map.get_mut(&key) {
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
                        Ok(fresh) => me.put_if_current(key, Arc::new(fresh), generation),
                        Err(e) => {
                            tracing::warn!(error = %e, "reloading a cache failed; keeping the old value");
                            if let Ok(mut map) = me.map.lock() {
                                if let Some(e) = map.get_mut(&key) {
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
                self.put_if_current(key, fresh.clone(), generation);
                Ok(fresh)
            }
        }
    }
}

/// The caches the desk and the calls read.
pub struct Caches {
    pub staffing: Arc<TtlCache<CompanyId, Staffing>>,
    pub catalog: Arc<TtlCache<CompanyId, Catalog>>,
    /// The company's voice menu as every call starts it (written through
    /// the API: invalidated at once).
    pub ivr: Arc<TtlCache<CompanyId, CompanyIvr>>,
    /// Which company a dialled number is for, per number asked (see
    /// [`Caches::company_for_number`]).
    numbers: Arc<TtlCache<String, Option<CompanyId>>>,
    store: Store,
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
            numbers: Arc::new(TtlCache::new(NUMBERS_TTL)),
            store,
        }
    }

    /// The company a call to `called` (E.164) is for: the number's owner;
    /// with only one company, every number is that company's. Kept per
    /// number for [`NUMBERS_TTL`], so a call costs no database round trip
    /// for it (issue 17); once expired, served while one task reads it again.
    pub async fn company_for_number(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        let (store, number) = (self.store.clone(), called.to_owned());
        let company = self
            .numbers
            .get_stale_while_reloading(called.to_owned(), move || async move { number_owner(&store, &number).await })
            .await?;
        Ok(*company)
    }

    /// A number was assigned or released: every number is looked up again.
    pub fn numbers_changed(&self) {
        self.numbers.clear();
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
        let cache = Arc::new(TtlCache::<CompanyId, u32>::new(Duration::ZERO));
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
        let cache = Arc::new(TtlCache::<CompanyId, u32>::new(Duration::ZERO));
        let (loads, gate) = (Arc::new(AtomicU32::new(0)), Arc::new(tokio::sync::Semaphore::new(1)));
        let company = CompanyId(1);
        cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap();
        // A reload starts (reading what is about to change)…
        assert_eq!(*cache.get_stale_while_reloading(company, loader(&loads, &gate)).await.unwrap(), 1);
        tokio::task::yield_now().await;
        // …the value changes and is invalidated; the reload then ends.
        cache.invalidate(&company);
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

    #[tokio::test]
    async fn a_flood_of_keys_starts_the_cache_over_instead_of_growing_it() {
        let cache = Arc::new(TtlCache::<String, u32>::new(Duration::from_secs(60)));
        for k in 0..MOST_KEYS as u32 + 5 {
            let v = cache.get_stale_while_reloading(k.to_string(), move || async move { Ok::<_, String>(k) }).await;
            assert_eq!(*v.unwrap(), k);
        }
        let kept = cache.map.lock().unwrap().len();
        assert!(kept <= MOST_KEYS, "{kept} keys kept");
        assert_eq!(kept, 5, "started over when full, then kept the newest");
        // A failed first load is the caller's error, and nothing is kept.
        let failed = cache.get_stale_while_reloading("x".into(), || async { Err::<u32, _>("no database".to_owned()) });
        assert_eq!(failed.await.unwrap_err(), "no database");
        assert!(!cache.map.lock().unwrap().contains_key("x"));
    }
}
