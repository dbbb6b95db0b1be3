//! What the store writes through: on PostgreSQL the pool; on SQLite its one
//! writing connection, taken out of its pool once and held.
//!
//! Why not the pool on SQLite: sqlx's pool checks a connection with a
//! `ping` as it hands it out and again as it takes it back (0.8: the second
//! one always), and SQLite's connection is a worker thread that each
//! command wakes. A statement through the pool was three trips to that
//! thread and back, each two context switches on a busy core, and a task
//! spawned to give the connection back: under a call load, context switches
//! were the database's largest cost, far above SQLite's own work
//! (`BENCHMARKS.md`, issue 17). A connection in the same process cannot
//! hang up, so there is nothing for the pings to find. Held behind a fair
//! lock, a statement is one trip. (sqlx has no pool option to skip the
//! second ping; this is the smallest thing that does.)

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::any::{Any, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Database, Describe, Either, Error, Execute, Executor, TransactionManager};
use std::borrow::Cow;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

/// The longest a statement waits for the held connection (as the pool's
/// acquire timeout): code that waits on itself (a statement outside the
/// transaction it holds) fails with `PoolTimedOut` instead of hanging.
pub(crate) const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The connection [`Writer::Held`] holds, while it is taken.
type Held = OwnedMappedMutexGuard<Option<PoolConnection<Any>>, PoolConnection<Any>>;

/// Takes the held connection, within [`WAIT`]; `PoolClosed` once the
/// store closed.
async fn held(conn: Arc<Mutex<Option<PoolConnection<Any>>>>) -> Result<Held, Error> {
    let all = tokio::time::timeout(WAIT, conn.lock_owned()).await.map_err(|_| Error::PoolTimedOut)?;
    OwnedMutexGuard::try_map(all, Option::as_mut).map_err(|_| Error::PoolClosed)
}

/// Where a statement goes: the pool, or the connection held.
#[derive(Clone, Debug)]
pub(crate) enum Writer {
    Pool(AnyPool),
    /// `None` once closed (the connection given back to its pool).
    Held {
        conn: Arc<Mutex<Option<PoolConnection<Any>>>>,
        pool: AnyPool,
    },
}

impl Writer {
    /// The pool's one connection, taken out for good (SQLite).
    pub(crate) async fn hold(pool: AnyPool) -> Result<Writer, Error> {
        let conn = pool.acquire().await?;
        Ok(Writer::Held { conn: Arc::new(Mutex::new(Some(conn))), pool })
    }

    /// A transaction, begun with `statement` (else the backend's `BEGIN`).
    /// It holds the writer until it is committed or dropped (rolled back).
    pub(crate) async fn begin(&self, statement: Option<&'static str>) -> Result<Tx, Error> {
        let conn = match self {
            Writer::Pool(pool) => Conn::Pooled(pool.acquire().await?),
            Writer::Held { conn, .. } => Conn::Held(held(conn.clone()).await?),
        };
        let mut tx = Tx { conn, open: false };
        <Any as Database>::TransactionManager::begin(&mut tx, statement.map(Cow::Borrowed)).await?;
        tx.open = true;
        Ok(tx)
    }

    /// Lets the connection go and closes the pool.
    pub(crate) async fn close(&self) {
        match self {
            Writer::Pool(pool) => pool.close().await,
            Writer::Held { conn, pool } => {
                // The lock waits out a statement or transaction under way;
                // the connection goes back to its pool, which closes it.
                drop(conn.lock().await.take());
                pool.close().await;
            }
        }
    }
}

/// A write transaction: the connection it runs on, its statements
/// through `&mut *tx`. Dropped before [`Tx::commit`], it is rolled back (as
/// sqlx's own: the rollback is queued on the connection, done before its
/// next statement).
pub(crate) struct Tx {
    conn: Conn,
    open: bool,
}

enum Conn {
    Pooled(PoolConnection<Any>),
    Held(Held),
}

impl Tx {
    pub(crate) async fn commit(mut self) -> Result<(), Error> {
        <Any as Database>::TransactionManager::commit(&mut self).await?;
        self.open = false;
        Ok(())
    }

    pub(crate) async fn rollback(mut self) -> Result<(), Error> {
        <Any as Database>::TransactionManager::rollback(&mut self).await?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.conn {
            Conn::Pooled(c) => c,
            Conn::Held(c) => c,
        }
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            Conn::Pooled(c) => c,
            Conn::Held(c) => c,
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if self.open {
            <Any as Database>::TransactionManager::start_rollback(self);
        }
    }
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("open", &self.open).finish_non_exhaustive()
    }
}

impl<'w> Executor<'w> for &'_ Writer {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'w: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Writer::Pool(pool) => pool.fetch_many(query),
            // What the statement gives is taken whole, the lock let go,
            // then handed on: no statement here streams (the long reads
            // go to the read-only connections).
            Writer::Held { conn, .. } => {
                let conn = conn.clone();
                futures::stream::once(async move { held(conn).await?.fetch_many(query).try_collect::<Vec<_>>().await })
                    .map_ok(|all| futures::stream::iter(all.into_iter().map(Ok)))
                    .try_flatten()
                    .boxed()
            }
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'w: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Writer::Pool(pool) => pool.fetch_optional(query),
            Writer::Held { conn, .. } => {
                let conn = conn.clone();
                Box::pin(async move { held(conn).await?.fetch_optional(query).await })
            }
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, Error>>
    where
        'w: 'e,
    {
        match self {
            Writer::Pool(pool) => pool.prepare_with(sql, parameters),
            Writer::Held { conn, .. } => {
                let conn = conn.clone();
                Box::pin(async move { held(conn).await?.prepare_with(sql, parameters).await })
            }
        }
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, Error>>
    where
        'w: 'e,
    {
        match self {
            Writer::Pool(pool) => pool.describe(sql),
            Writer::Held { conn, .. } => {
                let conn = conn.clone();
                Box::pin(async move { held(conn).await?.describe(sql).await })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::TestDb;
    use std::time::Duration;

    async fn companies(db: &TestDb) -> Vec<String> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM companies ORDER BY code").fetch_all(db.store.pool()).await.unwrap();
        rows.into_iter().map(|(c,)| c).collect()
    }

    async fn add(tx: &mut super::Tx, code: &str) {
        sqlx::query("INSERT INTO companies (code, name, created_at) VALUES ($1, $1, '2026-12-05T08:00:00Z')")
            .bind(code)
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    /// The held connection is handed on whole: a transaction dropped
    /// unfinished (a request given up halfway) leaves nothing and the
    /// writer takes the next; a statement that fails leaves it usable.
    #[tokio::test]
    async fn the_held_writer_survives_a_dropped_transaction_and_a_failed_statement() {
        let db = TestDb::sqlite().await;
        assert!(matches!(db.store.pool(), super::Writer::Held { .. }), "SQLite writes through the held connection");
        let mut tx = db.store.begin().await.unwrap();
        add(&mut tx, "dropped").await;
        drop(tx);
        let bad = sqlx::query("INSERT INTO no_such_table VALUES (1)").execute(db.store.pool()).await;
        assert!(bad.is_err());
        let mut tx = db.store.begin().await.unwrap();
        add(&mut tx, "kept").await;
        tx.commit().await.unwrap();
        let mut tx = db.store.begin().await.unwrap();
        add(&mut tx, "rolled-back").await;
        tx.rollback().await.unwrap();
        assert_eq!(companies(&db).await, ["kept"]);
        // Statements from many tasks at once take their turns.
        let writes = (0..20).map(|k| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                add(&mut tx, &format!("c{k:02}")).await;
                tx.commit().await.unwrap();
            })
        });
        for w in writes.collect::<Vec<_>>() {
            w.await.unwrap();
        }
        assert_eq!(companies(&db).await.len(), 21);
    }

    /// Closing gives the held connection back (the pool's close waits for
    /// it) and what comes after is refused, not left waiting.
    #[tokio::test]
    async fn closing_the_store_lets_the_held_connection_go() {
        let db = TestDb::sqlite().await;
        tokio::time::timeout(Duration::from_secs(10), db.store.close()).await.expect("close does not wait forever");
        let after = tokio::time::timeout(Duration::from_secs(10), db.store.ensure_company("late", "Late")).await;
        assert!(matches!(after, Ok(Err(_))), "refused at once: {after:?}");
    }

    /// A statement outside the transaction its own code holds waits for
    /// the held connection only as long as the pool would have: it fails
    /// with `PoolTimedOut`, nothing hangs, and the transaction goes on.
    #[tokio::test]
    async fn waiting_on_itself_times_out_instead_of_hanging() {
        let db = TestDb::sqlite().await;
        let mut tx = db.store.begin().await.unwrap();
        add(&mut tx, "held").await;
        tokio::time::pause();
        let waited = sqlx::query("SELECT 1").execute(db.store.pool()).await;
        assert!(matches!(waited, Err(sqlx::Error::PoolTimedOut)), "{waited:?}");
        tokio::time::resume();
        tx.commit().await.unwrap();
        assert_eq!(companies(&db).await, ["held"]);
    }
}
