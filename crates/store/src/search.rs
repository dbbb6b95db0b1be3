//! Word-prefix search with one-typo tolerance, portable to both backends.
//!
//! Each folded word of a name (`centrala_domain::fold::words`) is a row of
//! `search_words`; a typed word is a range read on its primary key (a
//! prefix is the range `[w, w⁺)`, byte order: the words are ASCII). Words
//! of letters also sit in `search_typos` under every one-letter-deleted
//! form (symmetric delete), so a typed word of 5+ letters finds the words
//! one edit away with one indexed `IN` read. SQLite's FTS5 and
//! PostgreSQL's `pg_trgm` each do part of this, differently; one table
//! design keeps both backends answering the same.
//!
//! The writers (the importer, `register_client`, the start-up fill) call
//! [`index`] in the transaction that writes the name, so words and names
//! never disagree.

use crate::writer::Writer;
use crate::Result;
use centrala_domain::fold::{self, Typed};
use sqlx::{any::AnyRow, AnyConnection, FromRow};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Client,
    Product,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Product => "product",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Kind::Client => "clients",
            Kind::Product => "products",
        }
    }

    /// The column a result list is ordered by (its unique index).
    fn order(self) -> &'static str {
        match self {
            Kind::Client => "code",
            Kind::Product => "sku",
        }
    }
}

/// Replaces the words of entity `id` with those of `texts`; words that
/// forgive a typo are added to `vocabulary`, for [`add_typos`] once the
/// batch is written.
pub(crate) async fn index(
    conn: &mut AnyConnection,
    company: i64,
    kind: Kind,
    id: i64,
    texts: &[&str],
    vocabulary: &mut BTreeSet<String>,
) -> Result<()> {
    sqlx::query("DELETE FROM search_words WHERE company_id = $1 AND kind = $2 AND entity_id = $3")
        .bind(company)
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let words = fold::words(&texts.join(" "));
    if words.is_empty() {
        return Ok(());
    }
    // One statement per entity: its words as one multi-row VALUES.
    let mut sql = String::from("INSERT INTO search_words (company_id, kind, entity_id, word) VALUES ");
    for i in 0..words.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("($1, $2, $3, ${})", i + 4));
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    let mut q = sqlx::query(&sql).bind(company).bind(kind.as_str()).bind(id);
    for w in &words {
        q = q.bind(w.as_str());
    }
    q.execute(&mut *conn).await?;
    vocabulary.extend(words.into_iter().filter(|w| fold::typo_indexed(w)));
    Ok(())
}

/// Puts each word of `vocabulary` not yet known under its one-deletion
/// variants (see the module).
pub(crate) async fn add_typos(
    conn: &mut AnyConnection,
    company: i64,
    kind: Kind,
    vocabulary: &BTreeSet<String>,
) -> Result<()> {
    for w in vocabulary {
        let known: Option<(i64,)> = sqlx::query_as(
            "SELECT 1 FROM search_typos WHERE company_id = $1 AND kind = $2 AND variant = $3 AND word = $3",
        )
        .bind(company)
        .bind(kind.as_str())
        .bind(w.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if known.is_some() {
            continue;
        }
        let mut variants = fold::deletions(w);
        variants.push(w.clone());
        let mut sql = String::from("INSERT INTO search_typos (company_id, kind, word, variant) VALUES ");
        for i in 0..variants.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, $2, $3, ${})", i + 4));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut q = sqlx::query(&sql).bind(company).bind(kind.as_str()).bind(w.as_str());
        for v in &variants {
            q = q.bind(v.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// How one typed word matches indexed words.
#[derive(Debug, Clone)]
struct Match {
    /// `[from, to)`: the word itself, or every word it begins.
    from: String,
    to: String,
    /// Words one edit away (the typo pass only).
    near: Vec<String>,
}

impl Match {
    fn new(word: &str, prefix: bool) -> Match {
        let to = if prefix {
            // The words are ASCII letters and digits: the byte after the
            // last one ends the range (`z` → `{`, `9` → `:`).
            let mut b = word.as_bytes().to_vec();
            if let Some(last) = b.last_mut() {
                *last += 1;
            }
            String::from_utf8(b).unwrap_or_default()
        } else {
            format!("{word}\u{1}")
        };
        Match { from: word.to_owned(), to, near: Vec::new() }
    }

    /// `(w.word >= $a AND w.word < $b OR w.word IN (…))`, binds appended.
    fn sql(&self, binds: &mut Vec<Bind>) -> String {
        binds.push(Bind::Text(self.from.clone()));
        let a = binds.len();
        binds.push(Bind::Text(self.to.clone()));
        let mut s = format!("(w.word >= ${a} AND w.word < ${}", a + 1);
        if !self.near.is_empty() {
            s.push_str(" OR w.word IN (");
            for (i, n) in self.near.iter().enumerate() {
                binds.push(Bind::Text(n.clone()));
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&format!("${}", binds.len()));
            }
            s.push(')');
        }
        s.push(')');
        s
    }
}

#[derive(Debug, Clone)]
enum Bind {
    Int(i64),
    Text(String),
}

/// Above this many entities for its rarest word, a query walks the result
/// table in order and stops at `limit` (its matches are dense); below, it
/// starts from the rarest word's entities (they are few).
const DENSE: i64 = 2_000;

/// The entities of `kind` matching every word typed in `q`, in the
/// table's order from `offset`, then (when fewer than `limit` and at the
/// first page) those that match only with one typo in a word of 5+
/// letters. `cols` are the columns `T` is read from. Empty when `q` has no
/// word (only punctuation, say).
pub(crate) async fn find<T>(
    pool: &Writer,
    company: i64,
    kind: Kind,
    cols: &str,
    q: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<T>>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin + HasId,
{
    let typed = Typed::parse(q);
    if typed.words.is_empty() || limit <= 0 {
        return Ok(Vec::new());
    }
    let mut matches: Vec<Match> =
        typed.words.iter().enumerate().map(|(i, w)| Match::new(w, typed.is_prefix(i))).collect();
    let mut found: Vec<T> = run(pool, company, kind, cols, &matches, &[], limit, offset).await?;
    if offset > 0 || found.len() as i64 >= limit {
        return Ok(found);
    }
    let mut any = false;
    for (m, w) in matches.iter_mut().zip(&typed.words) {
        if fold::forgives_typo(w) {
            m.near = near(pool, company, kind, w).await?;
            any |= !m.near.is_empty();
        }
    }
    if any {
        let seen: Vec<i64> = found.iter().map(HasId::id).collect();
        let more = run(pool, company, kind, cols, &matches, &seen, limit - found.len() as i64, 0).await?;
        found.extend(more);
    }
    Ok(found)
}

/// The row whose code (a client's code, a product's sku) is `typed`, as
/// typed or in capitals (as typed wins), looked up by its unique index;
/// then `found` with it first, cut to `limit`. One query, both kinds.
pub(crate) async fn exact_first<T>(
    pool: &Writer,
    company: i64,
    kind: Kind,
    cols: &str,
    typed: &str,
    mut found: Vec<T>,
    limit: i64,
) -> Result<Vec<T>>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin + HasId,
{
    if typed.is_empty() {
        return Ok(found);
    }
    let (table, code) = (kind.table(), kind.order());
    let sql = format!(
        "SELECT {cols} FROM {table} WHERE company_id = $1 AND {code} IN ($2, $3)
         ORDER BY CASE WHEN {code} = $2 THEN 0 ELSE 1 END LIMIT 1"
    );
    let exact: Option<T> =
        sqlx::query_as(&sql).bind(company).bind(typed).bind(typed.to_uppercase()).fetch_optional(pool).await?;
    if let Some(exact) = exact {
        found.retain(|r| r.id() != exact.id());
        found.insert(0, exact);
        found.truncate(usize::try_from(limit).unwrap_or(0).max(1));
    }
    Ok(found)
}

/// A row's id, to leave out what an earlier pass found.
pub(crate) trait HasId {
    fn id(&self) -> i64;
}

/// Indexed words one edit from `word` (not `word` itself).
async fn near(pool: &Writer, company: i64, kind: Kind, word: &str) -> Result<Vec<String>> {
    let mut variants = fold::deletions(word);
    variants.push(word.to_owned());
    let mut sql =
        String::from("SELECT DISTINCT word FROM search_typos WHERE company_id = $1 AND kind = $2 AND variant IN (");
    for i in 0..variants.len() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("${}", i + 3));
    }
    sql.push(')');
    let mut q = sqlx::query_as::<_, (String,)>(&sql).bind(company).bind(kind.as_str());
    for v in &variants {
        q = q.bind(v.as_str());
    }
    let words: Vec<(String,)> = q.fetch_all(pool).await?;
    Ok(words.into_iter().map(|(w,)| w).filter(|w| w != word && fold::one_edit(w, word)).collect())
}

#[allow(clippy::too_many_arguments)]
async fn run<T>(
    pool: &Writer,
    company: i64,
    kind: Kind,
    cols: &str,
    matches: &[Match],
    except: &[i64],
    limit: i64,
    offset: i64,
) -> Result<Vec<T>>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    // The words rare enough drive the query: counted up to DENSE first;
    // when every word of several is that common, their common entities may
    // still be few, so they are counted further. Their entities are
    // intersected on the index alone (INTERSECT of index-only ranges), the
    // rest checked per row.
    let mut rare: Vec<usize> = Vec::new();
    for cap in [DENSE, DENSE * 15] {
        for (i, m) in matches.iter().enumerate() {
            let n = count(pool, company, kind, m, cap).await?;
            if n == 0 {
                return Ok(Vec::new());
            }
            if n < cap {
                rare.push(i);
            }
        }
        if !rare.is_empty() || matches.len() == 1 {
            break;
        }
    }
    let mut binds = vec![Bind::Int(company), Bind::Text(kind.as_str().into())];
    let mut sql = format!("SELECT {cols} FROM {} t WHERE t.company_id = $1", kind.table());
    if !rare.is_empty() {
        let sets: Vec<String> = rare
            .iter()
            .map(|&i| {
                let cond = matches[i].sql(&mut binds);
                format!("SELECT w.entity_id FROM search_words w WHERE w.company_id = $1 AND w.kind = $2 AND {cond}")
            })
            .collect();
        sql.push_str(&format!(" AND t.id IN ({})", sets.join(" INTERSECT ")));
    }
    for (i, m) in matches.iter().enumerate() {
        if rare.contains(&i) {
            continue;
        }
        // Along the table's order, stopping at `limit` (dense matches).
        let cond = m.sql(&mut binds);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM search_words w WHERE w.company_id = $1 AND w.kind = $2 AND w.entity_id = t.id AND {cond})"
        ));
    }
    if !except.is_empty() {
        sql.push_str(" AND t.id NOT IN (");
        for (i, id) in except.iter().enumerate() {
            binds.push(Bind::Int(*id));
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${}", binds.len()));
        }
        sql.push(')');
    }
    binds.push(Bind::Int(limit));
    binds.push(Bind::Int(offset));
    sql.push_str(&format!(" ORDER BY t.{} LIMIT ${} OFFSET ${}", kind.order(), binds.len() - 1, binds.len()));
    Ok(bind_all(sqlx::query_as(&sql), &binds).fetch_all(pool).await?)
}

/// How many entries match `m`, counting no further than `cap`.
async fn count(pool: &Writer, company: i64, kind: Kind, m: &Match, cap: i64) -> Result<i64> {
    let mut binds = vec![Bind::Int(company), Bind::Text(kind.as_str().into())];
    let cond = m.sql(&mut binds);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM search_words w WHERE w.company_id = $1 AND w.kind = $2 AND {cond} LIMIT {cap}) x"
    );
    let (n,): (i64,) = bind_all(sqlx::query_as(&sql), &binds).fetch_one(pool).await?;
    Ok(n)
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Int(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.as_str()),
        };
    }
    q
}

/// Indexes every client and product that has no words yet: rows written
/// before word search existed, or by a hand in the database. Once, at
/// start; every later write indexes its own.
pub(crate) async fn fill(store: &crate::Store) -> Result<()> {
    let pool = store.pool();
    for kind in [Kind::Client, Kind::Product] {
        let texts = match kind {
            Kind::Client => "name, code, ''",
            Kind::Product => "name, sku, category",
        };
        let sql = format!(
            "SELECT company_id, id, {texts} FROM {} t WHERE NOT EXISTS (SELECT 1 FROM search_words w
             WHERE w.company_id = t.company_id AND w.kind = $1 AND w.entity_id = t.id)",
            kind.table()
        );
        let rows: Vec<(i64, i64, String, String, String)> =
            sqlx::query_as(&sql).bind(kind.as_str()).fetch_all(pool).await?;
        if rows.is_empty() {
            continue;
        }
        let mut tx = store.begin().await?;
        let mut vocabulary: std::collections::BTreeMap<i64, BTreeSet<String>> = Default::default();
        for (company, id, a, b, c) in &rows {
            index(&mut tx, *company, kind, *id, &[a, b, c], vocabulary.entry(*company).or_default()).await?;
        }
        for (company, words) in &vocabulary {
            add_typos(&mut tx, *company, kind, words).await?;
        }
        tx.commit().await?;
        tracing::info!(kind = kind.as_str(), rows = rows.len(), "search words indexed");
    }
    Ok(())
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    #[tokio::test]
    async fn rows_without_words_are_indexed_at_start() {
        let db = crate::testing::TestDb::sqlite().await;
        let (c, _) = db.store.ensure_company("acme", "Acme").await.unwrap();
        let s = db.store.company(c.id);
        let client = s.register_client("Ćevabdžinica Željo", "retail", "Sarajevo", "+38733000222", "").await.unwrap();
        // As a release before word search left it.
        sqlx::query("DELETE FROM search_words").execute(db.store.pool()).await.unwrap();
        sqlx::query("DELETE FROM search_typos").execute(db.store.pool()).await.unwrap();
        assert!(s.search_clients("cevabdzinica", None, 5).await.unwrap().is_empty());
        super::fill(&db.store).await.unwrap();
        let found = s.search_clients("cevabdzinica zeljo", None, 5).await.unwrap();
        assert_eq!(found.into_iter().map(|c| c.id).collect::<Vec<_>>(), [client.id]);
        let typo = s.search_clients("cevabdzinca", None, 5).await.unwrap();
        assert_eq!(typo.into_iter().map(|c| c.id).collect::<Vec<_>>(), [client.id], "typo variants filled too");
    }
}
