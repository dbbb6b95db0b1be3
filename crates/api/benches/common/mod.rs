//! What the benchmarks share: a company imported into a fresh SQLite file.

use centrala_store::{import::ImportSet, Store};

/// `set` imported as company `demo` into a new SQLite database in a
/// temporary folder (kept while the returned guard lives).
pub async fn store_with(set: &ImportSet) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let store = Store::open(&url).await.expect("store");
    store.import("demo", "Demo", set, vec![], "bench").await.expect("import");
    (dir, store)
}
