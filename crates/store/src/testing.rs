//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `CENTRALA_TEST_PG`, dropped afterwards.

use crate::Store;
use sqlx::{any::AnyPoolOptions, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A store on a database that exists only for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A store on a new SQLite file in a temporary folder.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| fail(&e));
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let store = Store::open(&url).await.unwrap_or_else(|e| fail(&e));
        TestDb { store, url, _dir: Some(dir), pg: None }
    }

    /// A store on a new PostgreSQL database, or None when
    /// `CENTRALA_TEST_PG` is not set (the test then says it skipped).
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = std::env::var("CENTRALA_TEST_PG").ok().filter(|u| !u.is_empty())?;
        sqlx::any::install_default_drivers();
        let name = format!(
            "centrala_t_{}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos()),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = AnyPoolOptions::new().max_connections(1).connect(&admin_url).await.unwrap_or_else(|e| fail(&e));
        drop_stale(&admin).await;
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap_or_else(|e| fail(&e));
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let store = Store::open(&url).await.unwrap_or_else(|e| fail(&e));
        Some(TestDb { store, url, _dir: None, pg: Some((admin_url, name)) })
    }

    /// Closes the store and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((admin_url, name)) = self.pg {
            if let Ok(admin) = AnyPoolOptions::new().max_connections(1).connect(&admin_url).await {
                let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                admin.close().await;
            }
        }
    }
}

/// Drops test databases left by test processes that died (a failed
/// assertion skips `cleanup`): their name carries the dead process's id.
async fn drop_stale(admin: &sqlx::AnyPool) {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT CAST(datname AS TEXT) FROM pg_database WHERE datname LIKE 'centrala_t_%'")
            .fetch_all(admin)
            .await
            .unwrap_or_default();
    for (name,) in rows {
        let pid = name.trim_start_matches("centrala_t_").split('_').next().unwrap_or("");
        let alive = !pid.is_empty() && std::path::Path::new("/proc").join(pid).exists();
        if !alive {
            let _ = admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
        }
    }
}

/// `postgres://u@h:p/db?x` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The variable under which a missing end-to-end tool fails the test
/// instead of skipping it (`.ci/run` sets it to 1).
pub const REQUIRE_E2E: &str = "CENTRALA_REQUIRE_E2E";

/// Whether end-to-end tools are required (CI), as `CENTRALA_REQUIRE_E2E` says.
pub fn e2e_required() -> bool {
    std::env::var(REQUIRE_E2E).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A tool or server an end-to-end test needs is missing (`what` says which
/// and how to install it). On a developer's machine the test skips, saying
/// so; under `CENTRALA_REQUIRE_E2E=1` (CI) it fails, so CI can never pass
/// without its end-to-end tests.
#[allow(clippy::panic)]
pub fn tool_missing(what: &str) {
    if e2e_required() {
        panic!("{REQUIRE_E2E} is set, and {what}: this end-to-end test cannot run");
    }
    eprintln!("skipped: {what}");
}

#[allow(clippy::panic)]
fn fail(e: &dyn std::fmt::Display) -> ! {
    panic!("test database: {e}")
}

/// Declares each listed `async fn(&Store)` as a test on SQLite and one on
/// PostgreSQL (skipped, saying so, when `CENTRALA_TEST_PG` is unset).
#[macro_export]
macro_rules! storage_suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::testing::TestDb::sqlite().await;
                    super::$name(&db.store).await;
                    db.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = $crate::testing::TestDb::postgres().await else {
                        $crate::testing::tool_missing("CENTRALA_TEST_PG is not set (the PostgreSQL suite needs a server URL)");
                        return;
                    };
                    super::$name(&db.store).await;
                    db.cleanup().await;
                }
            )*
        }
    };
}
