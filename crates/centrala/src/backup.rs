//! `centrala backup DIR` and `centrala restore DIR`: a consistent copy of
//! the database and the recordings, taken while Centrala serves, and its
//! return into an empty data folder.
//!
//! The database is copied first (SQLite: `VACUUM INTO`, one moment of it;
//! PostgreSQL: `pg_dump`, one transaction), then the recordings, so every
//! recording the copied database links is in the copy (a recording is
//! linked only once its file is complete). A manifest says what the copy
//! holds; `restore` checks it and refuses to overwrite anything.

use anyhow::{bail, Context};
use centrala_store::Backend;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::config::Config;

const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "centrala.db";
const PG_FILE: &str = "centrala.pgdump";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// This manifest's format.
    format: u32,
    /// The release that took the copy.
    version: String,
    created_at: String,
    /// `sqlite` or `postgres`.
    database: String,
    recordings: u64,
    recording_bytes: u64,
}

/// Takes the copy into `dir` (new, or empty).
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<()> {
    ensure_empty(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let store = crate::open_store(config).await?;
    let database = match store.backend() {
        Backend::Sqlite => {
            store.backup_into(&dir.join(SQLITE_FILE)).await.context("copying the SQLite database")?;
            "sqlite"
        }
        Backend::Postgres => {
            pg_tool("pg_dump", &["--format=custom", "--no-owner", "--file"], dir.join(PG_FILE), &config.database)
                .await?;
            "postgres"
        }
    };
    store.close().await;
    let (recordings, recording_bytes) = copy_tree(&config.recordings_dir(), &dir.join("recordings"))?;
    let manifest = Manifest {
        format: 1,
        version: env!("CARGO_PKG_VERSION").into(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        database: database.into(),
        recordings,
        recording_bytes,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    println!(
        "backup in {}: the {database} database and {recordings} recordings ({recording_bytes} bytes)",
        dir.display()
    );
    Ok(())
}

/// Brings the copy in `dir` back into the configured data folder (SQLite)
/// or database (PostgreSQL), which must be empty.
pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(dir.join(MANIFEST))
        .with_context(|| format!("{} holds no backup ({MANIFEST} is missing)", dir.display()))?;
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| format!("{MANIFEST} does not read"))?;
    if manifest.format != 1 {
        bail!("the backup's format {} is not one this release reads", manifest.format);
    }
    let target_recordings = config.recordings_dir();
    if target_recordings.exists() && std::fs::read_dir(&target_recordings)?.next().is_some() {
        bail!("{} is not empty: restore only into an empty data folder", target_recordings.display());
    }
    match (manifest.database.as_str(), config.database.is_empty()) {
        ("sqlite", true) => {
            let db = config.data.join(SQLITE_FILE);
            if db.exists() {
                bail!("{} exists: restore only into an empty data folder", db.display());
            }
            std::fs::create_dir_all(&config.data)?;
            // Copied under another name and moved: a half-copied file is
            // never taken for the database.
            let partial = config.data.join(format!("{SQLITE_FILE}.restoring"));
            std::fs::copy(dir.join(SQLITE_FILE), &partial).context("copying the database")?;
            std::fs::rename(&partial, &db)?;
        }
        ("postgres", false) => {
            let store = crate::open_store(config).await?;
            if !store.companies().await?.is_empty() {
                bail!("the database already holds companies: restore only into an empty database");
            }
            store.close().await;
            pg_tool(
                "pg_restore",
                &["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", &config.database],
                dir.join(PG_FILE),
                "",
            )
            .await?;
        }
        (db, _) => bail!("the backup holds a {db} database, and this configuration uses another kind"),
    }
    // Opening it checks it and brings an older copy's schema up to date.
    let store = crate::open_store(config).await.context("the restored database does not open")?;
    let companies = store.companies().await?.len();
    store.close().await;
    let (n, bytes) = copy_tree(&dir.join("recordings"), &target_recordings)?;
    if n != manifest.recordings {
        bail!("the backup lists {} recordings but holds {n}", manifest.recordings);
    }
    println!("restored from {}: {companies} companies, {n} recordings ({bytes} bytes)", dir.display());
    Ok(())
}

fn ensure_empty(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: back up into a new folder", dir.display());
    }
    Ok(())
}

/// Runs `pg_dump`/`pg_restore` with `args`, then `file`, then `url`.
async fn pg_tool(tool: &str, args: &[&str], file: PathBuf, url: &str) -> anyhow::Result<()> {
    let mut cmd = tokio::process::Command::new(tool);
    cmd.args(args).arg(&file);
    if !url.is_empty() {
        cmd.arg(url);
    }
    let out = cmd.output().await.with_context(|| {
        format!("cannot run {tool} (install PostgreSQL's client tools: apt-get install postgresql-client)")
    })?;
    if !out.status.success() {
        bail!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Copies every file under `from` to the same place under `to`; returns
/// how many and their bytes. A missing `from` is an empty tree.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<(u64, u64)> {
    let (mut n, mut bytes) = (0, 0);
    let Ok(entries) = std::fs::read_dir(from) else { return Ok((0, 0)) };
    std::fs::create_dir_all(to)?;
    for e in entries {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            let (m, b) = copy_tree(&e.path(), &target)?;
            n += m;
            bytes += b;
        } else {
            bytes += std::fs::copy(e.path(), &target).with_context(|| format!("copying {}", e.path().display()))?;
            n += 1;
        }
    }
    Ok((n, bytes))
}
