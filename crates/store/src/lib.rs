//! Centrala's storage driver: one `Store` over SQLite (embedded default) or
//! PostgreSQL, through sqlx's `Any` driver so that every query is written
//! once and runs on both.
//!
//! Tenancy is enforced here: every business query goes through
//! [`Scoped`], which is bound to one company and puts `company_id = $1`
//! into every statement it builds. Nothing outside this crate writes SQL.
//!
//! Portable column types only: BIGINT for ids, money (cents), quantities
//! (thousandths) and booleans (0/1); TEXT for everything else. Dates are
//! `YYYY-MM-DD`, timestamps RFC 3339 UTC, both sortable as text.

mod audit;
pub mod campaigns;
pub mod cases;
pub mod chats;
pub mod demo;
pub mod desk;
pub mod email;
mod error;
pub mod evaluation;
pub mod forms;
pub mod import;
pub mod interactions;
pub mod intervals;
pub mod kb;
pub mod mail;
pub mod password;
mod records;
pub mod reference;
pub mod reports;
pub mod requests;
pub mod schema;
mod scoped;
mod search;
mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
mod writer;

pub use centrala_domain::DepartmentKind;
pub use error::StoreError;
pub use records::*;
pub use scoped::Scoped;

use centrala_domain::CompanyId;
use sqlx::{any::AnyPoolOptions, AnyPool, Executor};
use std::time::Duration;
use writer::Writer;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A handle on the database; cheap to clone.
///
/// On SQLite, `pool` is one connection that does every write and the
/// short reads around them (a call's client, its debts), held for good
/// ([`Writer`]: a statement is one trip to SQLite's worker thread, not
/// three), and `reads` are
/// read-only connections for the long reads (reports, statistics) that
/// must not make a call's writes wait. SQLite takes one writer at a time
/// whatever the connections, so one writing connection loses nothing;
/// it gains its cache: in WAL mode a connection drops its page cache
/// whenever another one wrote, and with four connections taking turns
/// every statement of a call started cold (a third of the database's CPU
/// under a call load, `BENCHMARKS.md`). On PostgreSQL both are one pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Writer,
    reads: AnyPool,
    backend: Backend,
}

/// The SQLite read-only connections for long reads.
const SQLITE_READERS: u32 = 3;

impl Store {
    /// Connects, configures SQLite (WAL, foreign keys, busy timeout) and
    /// applies the backend's migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let connect = |max: u32, read_only: bool| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(10))
                // A SQLite connection is in the process and cannot hang
                // up: no ping (a trip to its worker thread) per read.
                .test_before_acquire(backend != Backend::Sqlite)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            // journal_size_limit = 0: a checkpointed WAL is cut
                            // back rather than reused, so that on a full disk the
                            // next write fails at once (a clear 503) instead of
                            // succeeding into whatever room an earlier, longer WAL
                            // happened to leave.
                            //
                            // mmap_size: pages are read in place rather than
                            // copied in by a read(2) each time another
                            // connection's write made this one drop its cache.
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA journal_size_limit = 0; PRAGMA mmap_size = 268435456;")
                                .await?;
                            if read_only {
                                conn.execute("PRAGMA query_only = ON;").await?;
                            }
                        }
                        Ok(())
                    })
                })
                .connect(url)
        };
        let failed = |e| StoreError::Connect(redact_url(url), e);
        let (pool, reads) = match backend {
            Backend::Sqlite => {
                (connect(1, false).await.map_err(failed)?, connect(SQLITE_READERS, true).await.map_err(failed)?)
            }
            Backend::Postgres => {
                let pool = connect(16, false).await.map_err(failed)?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&pool).await?;
        let pool = match backend {
            Backend::Sqlite => Writer::hold(pool).await.map_err(failed)?,
            Backend::Postgres => Writer::Pool(pool),
        };
        let store = Store { pool, reads, backend };
        search::fill(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.reads.close().await;
    }

    /// Answers when the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A consistent copy of the whole SQLite database in `file` (which must
    /// not exist), taken while it serves: `VACUUM INTO` reads it in one
    /// transaction, so the copy is one moment of it, compacted. PostgreSQL
    /// is copied with `pg_dump` instead (`Invalid`).
    pub async fn backup_into(&self, file: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid("a PostgreSQL database is backed up with pg_dump".into()));
        }
        let path = file.to_str().ok_or_else(|| StoreError::Invalid(format!("{} is not UTF-8", file.display())))?;
        // A literal, not a parameter (SQLite takes none here): quotes doubled.
        let sql = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
        sqlx::query(&sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Writes one row: whether the database takes writes now (a full disk
    /// answers reads but refuses every write).
    pub async fn probe_write(&self) -> Result<()> {
        sqlx::query("INSERT INTO health_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at")
            .bind(now_rfc3339())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The view of one company's data. Every query it runs is filtered by
    /// that company.
    pub fn company(&self, id: CompanyId) -> Scoped<'_> {
        Scoped::new(self, id)
    }

    pub async fn company_by_code(&self, code: &str) -> Result<Option<Company>> {
        let row: Option<CompanyRow> = sqlx::query_as("SELECT id, code, name, time_zone FROM companies WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    pub async fn company_by_id(&self, id: CompanyId) -> Result<Option<Company>> {
        let row: Option<CompanyRow> = sqlx::query_as("SELECT id, code, name, time_zone FROM companies WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(Into::into))
    }

    pub async fn companies(&self) -> Result<Vec<Company>> {
        let rows: Vec<CompanyRow> = sqlx::query_as("SELECT id, code, name, time_zone FROM companies ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Returns the company with `code`, creating it with `name` if absent.
    /// The bool is true when it was created.
    pub async fn ensure_company(&self, code: &str, name: &str) -> Result<(Company, bool)> {
        validate_code(code)?;
        if let Some(c) = self.company_by_code(code).await? {
            return Ok((c, false));
        }
        let mut tx = self.begin().await?;
        let c = ensure_company_tx(&mut tx, code, name).await?;
        tx.commit().await?;
        Ok((c, true))
    }

    /// Sets a company's IANA time zone (checked by the caller); empty for
    /// the configured default.
    /// The hosts the company's click-to-call may name in a `sip:` address.
    pub async fn company_dial_hosts(&self, id: CompanyId) -> Result<Vec<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT sip_dial_hosts FROM companies WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        let text = row.ok_or(StoreError::NotFound)?.0;
        Ok(text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
    }

    /// Replaces them (the caller checked each is a host name or address).
    pub async fn set_company_dial_hosts(&self, id: CompanyId, hosts: &[String]) -> Result<()> {
        let done = sqlx::query("UPDATE companies SET sip_dial_hosts = $1 WHERE id = $2")
            .bind(hosts.join("\n"))
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        crate::error::found(done)
    }

    /// The currency (ISO 4217) the company's money is in.
    pub async fn company_currency(&self, id: CompanyId) -> Result<String> {
        let row: Option<(String,)> = sqlx::query_as("SELECT currency FROM companies WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.ok_or(StoreError::NotFound)?.0)
    }

    /// Sets it: three capital letters (ISO 4217).
    pub async fn set_company_currency(&self, id: CompanyId, currency: &str) -> Result<()> {
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(StoreError::Invalid(format!(
                "{currency:?} is not an ISO 4217 currency code such as BAM or EUR"
            )));
        }
        let done = sqlx::query("UPDATE companies SET currency = $1 WHERE id = $2")
            .bind(currency)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        crate::error::found(done)
    }

    pub async fn set_company_time_zone(&self, id: CompanyId, zone: &str) -> Result<()> {
        let done = sqlx::query("UPDATE companies SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting out the busy timeout for it: a deferred
    /// transaction that reads first fails at once (`SQLITE_BUSY`) when
    /// another connection commits before its first write.
    pub(crate) async fn begin(&self) -> Result<crate::writer::Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin(Some("BEGIN IMMEDIATE")).await?,
            Backend::Postgres => self.pool.begin(None).await?,
        })
    }

    pub(crate) fn pool(&self) -> &Writer {
        &self.pool
    }

    /// For long reads (reports, statistics over days): connections apart
    /// from the one that writes, so that a report does not hold up a
    /// call's writes ([`Store`]). What they read is what was committed.
    pub(crate) fn reads(&self) -> &AnyPool {
        &self.reads
    }
}

pub(crate) async fn ensure_company_tx(tx: &mut crate::writer::Tx, code: &str, name: &str) -> Result<Company> {
    let row: CompanyRow = sqlx::query_as(
        "INSERT INTO companies (code, name, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET code = excluded.code
         RETURNING id, code, name, time_zone",
    )
    .bind(code)
    .bind(name)
    .bind(now_rfc3339())
    .fetch_all(&mut **tx)
    .await?
    .returned()?;
    Ok(row.into())
}

/// Company, department and user codes: short, ASCII, no spaces.
pub fn validate_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("{code:?} is not a valid code: use 1 to 64 letters, digits, '-', '_' or '.'")))
    }
}

/// The one row an `INSERT … RETURNING` gives, read with `fetch_all`,
/// never `fetch_one`: SQLite hands the row out before the statement has
/// finished writing, and `fetch_one` took it and dropped the error that
/// followed — on a full disk, an id that was never stored (a call got the
/// id a later call then really received).
pub(crate) trait Returned<T> {
    fn returned(self) -> Result<T>;
}

impl<T> Returned<T> for Vec<T> {
    fn returned(self) -> Result<T> {
        self.into_iter().next().ok_or_else(|| StoreError::Corrupt("an INSERT … RETURNING gave no row".into()))
    }
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn b(v: bool) -> i64 {
    i64::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On SQLite the long reads have connections of their own: a report
    /// reads what was committed while the writing connection is in the
    /// middle of a write, and a read connection refuses to write.
    #[tokio::test]
    async fn sqlite_long_reads_go_on_beside_the_writer_and_never_write() {
        let db = crate::testing::TestDb::sqlite().await;
        let store = &db.store;
        store.ensure_company("alpha", "Alpha").await.unwrap();
        let mut tx = store.begin().await.unwrap();
        sqlx::query("INSERT INTO companies (code, name, created_at) VALUES ('beta', 'Beta', '2026-12-04T08:00:00Z')")
            .execute(&mut *tx)
            .await
            .unwrap();
        // The writer is taken (its one connection is in the transaction)…
        let busy = tokio::time::timeout(Duration::from_millis(200), store.begin()).await;
        assert!(busy.is_err(), "one connection writes on SQLite");
        // …and a long read goes on, seeing what was committed.
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM companies").fetch_one(store.reads()).await.unwrap();
        assert_eq!(n, 1, "alpha only: beta is not committed yet");
        tx.commit().await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM companies").fetch_one(store.reads()).await.unwrap();
        assert_eq!(n, 2, "beta once committed");
        let write = sqlx::query("DELETE FROM companies").execute(store.reads()).await;
        assert!(write.is_err(), "a read connection refuses to write: {write:?}");
        assert_eq!(store.companies().await.unwrap().len(), 2, "nothing was deleted");
    }
}
