//! What the migrations made, read back from the database's own catalog, in
//! one shape for both backends: tables with their columns (name, portable
//! type, NOT NULL) and the indexes created by name. The SQLite and
//! PostgreSQL migrations are kept by hand side by side; a test compares the
//! two schemas with this and fails on any drift.

use crate::{Backend, Result, Store};
use std::collections::{BTreeMap, BTreeSet};

/// A column as both backends can state it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    pub name: String,
    /// `integer`, `text` or `bytes` (the portable schema uses only these),
    /// else the backend's own name, lower-case.
    pub kind: String,
    pub not_null: bool,
}

/// Tables (in column order) and the explicitly created indexes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Vec<SchemaColumn>>,
    pub indexes: BTreeSet<String>,
}

/// The portable name of a declared column type.
fn portable(kind: &str) -> String {
    let k = kind.trim().to_ascii_lowercase();
    match k.as_str() {
        "integer" | "bigint" | "int" | "int8" | "bigserial" => "integer".into(),
        "text" | "character varying" => "text".into(),
        "blob" | "bytea" => "bytes".into(),
        _ => k,
    }
}

impl Store {
    /// The schema as the database reports it (migration bookkeeping left out).
    pub async fn schema(&self) -> Result<Schema> {
        let mut schema = Schema::default();
        match self.backend() {
            Backend::Sqlite => {
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                     AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
                )
                .fetch_all(self.pool())
                .await?;
                for (table,) in tables {
                    // The PRIMARY KEY column is NOT NULL in effect, though
                    // SQLite's catalog does not say so.
                    let cols: Vec<(String, String, i64, i64)> =
                        sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                            .bind(&table)
                            .fetch_all(self.pool())
                            .await?;
                    let cols = cols
                        .into_iter()
                        .map(|(name, kind, nn, pk)| SchemaColumn {
                            name,
                            kind: portable(&kind),
                            not_null: nn != 0 || pk != 0,
                        })
                        .collect();
                    schema.tables.insert(table, cols);
                }
                let idx: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE '_sqlx%'",
                )
                .fetch_all(self.pool())
                .await?;
                schema.indexes = idx.into_iter().map(|(n,)| n).collect();
            }
            Backend::Postgres => {
                let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable::TEXT
                     FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(self.pool())
                .await?;
                for (table, name, kind, nullable) in cols {
                    let col = SchemaColumn { name, kind: portable(&kind), not_null: nullable == "NO" };
                    schema.tables.entry(table).or_default().push(col);
                }
                // Indexes that back a PRIMARY KEY or UNIQUE constraint are
                // the constraints' (named by PostgreSQL); the rest were
                // created by name, as in SQLite.
                let idx: Vec<(String,)> = sqlx::query_as(
                    "SELECT i.indexname::TEXT FROM pg_indexes i
                     WHERE i.schemaname = current_schema() AND i.tablename NOT LIKE '\\_sqlx%'
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                )
                .fetch_all(self.pool())
                .await?;
                schema.indexes = idx.into_iter().map(|(n,)| n).collect();
            }
        }
        Ok(schema)
    }
}

/// The differences between two schemas, one line each (empty: the same).
pub fn drift(a_name: &str, a: &Schema, b_name: &str, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let tables: BTreeSet<&String> = a.tables.keys().chain(b.tables.keys()).collect();
    for t in tables {
        match (a.tables.get(t), b.tables.get(t)) {
            (Some(_), None) => out.push(format!("table {t}: only in {a_name}")),
            (None, Some(_)) => out.push(format!("table {t}: only in {b_name}")),
            (Some(x), Some(y)) if x != y => {
                let longest = x.len().max(y.len());
                for i in 0..longest {
                    match (x.get(i), y.get(i)) {
                        (Some(p), Some(q)) if p == q => {}
                        (p, q) => out.push(format!("table {t}, column {}: {a_name} {p:?}, {b_name} {q:?}", i + 1)),
                    }
                }
            }
            _ => {}
        }
    }
    for i in a.indexes.difference(&b.indexes) {
        out.push(format!("index {i}: only in {a_name}"));
    }
    for i in b.indexes.difference(&a.indexes) {
        out.push(format!("index {i}: only in {b_name}"));
    }
    out
}
