//! The search index over articles (tantivy), on disk under the data
//! directory or in memory. The database is the truth; the index is a copy
//! that carries the database's stamp (see [`KbIndex::stamp`]) in its
//! commit payload, so a start that finds it missing, corrupt or behind
//! rebuilds it from the database.

use crate::{analysis, Error, Result};
use std::{path::Path, sync::Mutex};
use tantivy::{
    collector::TopDocs,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING},
    snippet::SnippetGenerator,
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

/// One article as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct ArticleDoc {
    pub id: i64,
    pub company: i64,
    pub title: String,
    /// Markdown; the index reads its text.
    pub body: String,
    pub category: String,
    pub tags: Vec<String>,
    pub skus: Vec<String>,
    pub client_types: Vec<String>,
    pub request_categories: Vec<String>,
    pub published: bool,
}

/// A found article: its id, score and a piece of its text with the
/// matched words marked (`(text, is_hit)` parts, for the page to build
/// without HTML).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
    pub snippet: Vec<(String, bool)>,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    company: Field,
    published: Field,
    title: Field,
    body: Field,
    labels: Field,
    skus: Field,
    client_types: Field,
    request_categories: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        company: b.add_i64_field("company", INDEXED),
        published: b.add_u64_field("published", INDEXED),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text.clone()),
        labels: b.add_text_field("labels", text),
        skus: b.add_text_field("skus", STRING),
        client_types: b.add_text_field("client_types", STRING),
        request_categories: b.add_text_field("request_categories", STRING),
    };
    (b.build(), fields)
}

pub struct KbIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
}

/// How many words of a query are looked up; the rest are ignored.
const MAX_WORDS: usize = 12;

impl KbIndex {
    /// The index in `dir` (made when missing; made anew, with a warning,
    /// when it cannot be read or has another schema), or in memory.
    pub fn open(dir: Option<&Path>) -> Result<KbIndex> {
        let (schema, f) = schema();
        let index = match dir {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.display().to_string(), e))?;
                let found = if dir.join("meta.json").exists() {
                    match Index::open_in_dir(dir) {
                        Ok(i) if i.schema() == schema => Some(i),
                        Ok(_) => {
                            tracing::warn!(dir = %dir.display(), "knowledge index of another schema: made anew");
                            None
                        }
                        Err(e) => {
                            tracing::warn!(dir = %dir.display(), error = %e, "knowledge index unreadable: made anew");
                            None
                        }
                    }
                } else {
                    None
                };
                match found {
                    Some(i) => i,
                    None => {
                        for entry in std::fs::read_dir(dir).map_err(|e| Error::Io(dir.display().to_string(), e))? {
                            let p = entry.map_err(|e| Error::Io(dir.display().to_string(), e))?.path();
                            let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
                        }
                        Index::create_in_dir(dir, schema)?
                    }
                }
            }
        };
        index.tokenizers().register(analysis::NAME, analysis::analyzer());
        let writer = index.writer_with_num_threads(1, 20_000_000)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(KbIndex { index, reader, writer: Mutex::new(writer), f })
    }

    /// The database stamp the index was last written for (`None`: never).
    pub fn stamp(&self) -> Option<String> {
        self.index.load_metas().ok().and_then(|m| m.payload)
    }

    fn document(&self, d: &ArticleDoc) -> TantivyDocument {
        let f = self.f;
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.id, d.id);
        doc.add_i64(f.company, d.company);
        doc.add_u64(f.published, u64::from(d.published));
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, crate::markdown::to_text(&d.body));
        doc.add_text(f.labels, format!("{} {}", d.category, d.tags.join(" ")));
        for s in &d.skus {
            doc.add_text(f.skus, s);
        }
        for t in &d.client_types {
            doc.add_text(f.client_types, t);
        }
        for c in &d.request_categories {
            doc.add_text(f.request_categories, c);
        }
        doc
    }

    fn commit(&self, writer: &mut IndexWriter, stamp: &str) -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(stamp);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        // A panic while holding the writer leaves nothing half-done that
        // the next commit would not redo: take the guard anyway.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the index hold exactly `docs`, for `stamp`.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = ArticleDoc>, stamp: &str) -> Result<usize> {
        let mut w = self.writer();
        w.delete_all_documents()?;
        let mut n = 0;
        for d in docs {
            w.add_document(self.document(&d))?;
            n += 1;
        }
        self.commit(&mut w, stamp)?;
        Ok(n)
    }

    /// Adds the article, or replaces the one with its id.
    pub fn upsert(&self, doc: &ArticleDoc, stamp: &str) -> Result<()> {
        let mut w = self.writer();
        w.delete_term(Term::from_field_i64(self.f.id, doc.id));
        w.add_document(self.document(doc))?;
        self.commit(&mut w, stamp)
    }

    pub fn remove(&self, id: i64, stamp: &str) -> Result<()> {
        let mut w = self.writer();
        w.delete_term(Term::from_field_i64(self.f.id, id));
        self.commit(&mut w, stamp)
    }

    fn scope(&self, company: i64, published_only: bool) -> Vec<(Occur, Box<dyn Query>)> {
        let mut q: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(Term::from_field_i64(self.f.company, company), IndexRecordOption::Basic)),
        )];
        if published_only {
            q.push((
                Occur::Must,
                Box::new(TermQuery::new(Term::from_field_u64(self.f.published, 1), IndexRecordOption::Basic)),
            ));
        }
        q
    }

    /// Articles of `company` matching `q`: each word's stem in the title,
    /// labels (category, tags) or text, one typo forgiven in words of 5+
    /// letters, the last word also as a prefix while it is being typed;
    /// best first. A query of no words finds nothing.
    pub fn search(&self, company: i64, q: &str, published_only: bool, limit: usize) -> Result<Vec<Hit>> {
        let typing = q.chars().last().is_some_and(char::is_alphanumeric);
        // Each word once (a repeated word adds nothing but clauses).
        let mut stems: Vec<String> = Vec::new();
        for t in analysis::terms(q) {
            if stems.len() == MAX_WORDS {
                break;
            }
            if !stems.contains(&t) {
                stems.push(t);
            }
        }
        if stems.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let f = self.f;
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, s) in stems.iter().enumerate() {
            let last = i + 1 == stems.len();
            for (field, boost) in [(f.title, 3.0), (f.labels, 2.0), (f.body, 1.0)] {
                let term = Term::from_field_text(field, s);
                words.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        boost,
                    )),
                ));
                if s.len() >= 5 && s.bytes().all(|b| b.is_ascii_lowercase()) {
                    words.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(FuzzyTermQuery::new(term.clone(), 1, true)), boost * 0.5)),
                    ));
                }
                if last && typing {
                    words.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(FuzzyTermQuery::new_prefix(term, 0, true)), boost * 0.5)),
                    ));
                }
            }
        }
        let mut all = self.scope(company, published_only);
        all.push((Occur::Must, Box::new(BooleanQuery::new(words))));
        let query = BooleanQuery::new(all);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit))?;
        let mut snippets = SnippetGenerator::create(&searcher, &query, f.body)?;
        snippets.set_max_num_chars(180);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc.get_first(f.id).and_then(|v| v.as_i64()).ok_or(Error::Corrupt("a document without id"))?;
            let snippet = snippets.snippet_from_doc(&doc);
            let parts = if snippet.is_empty() {
                let body = doc.get_first(f.body).and_then(|v| v.as_str()).unwrap_or("");
                let cut: String = body.chars().take(180).collect();
                vec![(cut, false)]
            } else {
                let text = snippet.fragment();
                let mut parts = Vec::new();
                let mut at = 0;
                for r in snippet.highlighted() {
                    if r.start > at {
                        parts.push((text[at..r.start].to_owned(), false));
                    }
                    parts.push((text[r.clone()].to_owned(), true));
                    at = r.end;
                }
                if at < text.len() {
                    parts.push((text[at..].to_owned(), false));
                }
                parts
            };
            hits.push(Hit { id, score, snippet: parts });
        }
        Ok(hits)
    }

    /// Published articles of `company` linked to any of these products,
    /// client type or request category (products weigh most), best first.
    pub fn suggest(
        &self,
        company: i64,
        skus: &[String],
        client_type: Option<&str>,
        request_category: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(i64, f32)>> {
        let f = self.f;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut add = |field: Field, value: &str, boost: f32| {
            any.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic)),
                    boost,
                )),
            ));
        };
        for s in skus.iter().take(50) {
            add(f.skus, s, 3.0);
        }
        if let Some(t) = client_type {
            add(f.client_types, t, 1.0);
        }
        if let Some(c) = request_category {
            add(f.request_categories, c, 2.0);
        }
        if any.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut all = self.scope(company, true);
        all.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(all), &TopDocs::with_limit(limit))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc.get_first(f.id).and_then(|v| v.as_i64()).ok_or(Error::Corrupt("a document without id"))?;
            out.push((id, score));
        }
        Ok(out)
    }

    /// How many articles the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::{ArticleDoc, KbIndex};

    fn article(id: i64, company: i64, title: &str, body: &str) -> ArticleDoc {
        ArticleDoc { id, company, title: title.into(), body: body.into(), published: true, ..ArticleDoc::default() }
    }

    fn ids(index: &KbIndex, company: i64, q: &str) -> Vec<i64> {
        index.search(company, q, true, 10).unwrap().into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn words_in_any_form_find_their_article_in_their_company_only() {
        let index = KbIndex::open(None).unwrap();
        let docs = vec![
            article(1, 1, "Rokovi isporuke", "Isporuka u **Brčko** i Goražde traje dva dana."),
            article(2, 1, "Gazirana pića", "Sva piće se vraćaju u povratnoj ambalaži."),
            article(3, 1, "Reklamacije", "Oštećena roba se prijavljuje u roku od 24 sata."),
            article(4, 2, "Rokovi isporuke", "Druga firma, isti naslov."),
            ArticleDoc { published: false, ..article(5, 1, "Nacrt: isporuke vikendom", "Još nije objavljeno.") },
        ];
        index.rebuild(docs, "s1").unwrap();
        assert_eq!(index.stamp().as_deref(), Some("s1"));
        assert_eq!(ids(&index, 1, "isporuka"), [1], "isporuka finds isporuke; company 2's and the draft are not found");
        assert_eq!(ids(&index, 1, "pića"), [2]);
        assert_eq!(ids(&index, 1, "pice"), [2]);
        assert_eq!(ids(&index, 1, "ПИЋЕ"), [2]);
        assert_eq!(ids(&index, 1, "brcko"), [1]);
        assert_eq!(ids(&index, 1, "gorazde"), [1]);
        assert_eq!(ids(&index, 1, "reklmacije"), [3], "one typo");
        assert_eq!(ids(&index, 1, "reklam"), [3], "a prefix while typing");
        assert_eq!(ids(&index, 1, "ostecena roba"), [3]);
        assert_eq!(ids(&index, 2, "isporuka"), [4]);
        assert!(ids(&index, 1, "?!%").is_empty());
        assert!(ids(&index, 1, &"pivo sok ".repeat(5_000)).is_empty());
        let drafts: Vec<i64> = index.search(1, "isporuke", false, 10).unwrap().into_iter().map(|h| h.id).collect();
        assert!(drafts.contains(&5) && drafts.contains(&1), "editors see drafts: {drafts:?}");
        // The title weighs more than the text.
        index.upsert(&article(6, 1, "Ambalaža", "Povratna ambalaža: gajbe."), "s2").unwrap();
        assert_eq!(ids(&index, 1, "ambalaza")[0], 6);
        // The snippet marks the matched word as written.
        let hit = &index.search(1, "brcko", true, 1).unwrap()[0];
        assert!(hit.snippet.iter().any(|(t, hit)| *hit && t == "Brčko"), "{:?}", hit.snippet);
        index.remove(1, "s3").unwrap();
        assert!(ids(&index, 1, "brcko").is_empty());
        assert_eq!(index.stamp().as_deref(), Some("s3"));
    }

    #[test]
    fn suggestions_come_from_products_type_and_request() {
        let index = KbIndex::open(None).unwrap();
        let mut beer = article(1, 1, "Pivo: povrat gajbi", "x");
        beer.skus = vec!["BE-0001".into()];
        let mut key = article(2, 1, "Ključni kupci", "x");
        key.client_types = vec!["key".into()];
        let mut complaint = article(3, 1, "Reklamacije", "x");
        complaint.request_categories = vec!["complaint".into()];
        let mut other = article(4, 2, "Pivo", "x");
        other.skus = vec!["BE-0001".into()];
        index.rebuild([beer, key, complaint, other], "s").unwrap();
        let got = |skus: &[&str], t: Option<&str>, c: Option<&str>| -> Vec<i64> {
            let skus: Vec<String> = skus.iter().map(|s| s.to_string()).collect();
            index.suggest(1, &skus, t, c, 5).unwrap().into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(got(&["BE-0001"], None, None), [1]);
        assert_eq!(got(&["BE-0001"], Some("key"), None), [1, 2], "a product in the order weighs more");
        assert_eq!(got(&[], Some("retail"), Some("complaint")), [3]);
        assert!(got(&[], None, None).is_empty());
    }

    #[test]
    fn a_missing_or_corrupt_index_is_made_anew_and_stamped_by_its_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kb");
        {
            let index = KbIndex::open(Some(&path)).unwrap();
            assert_eq!(index.stamp(), None, "new: never written");
            index.rebuild([article(1, 1, "Isporuka", "x")], "s1").unwrap();
        }
        let index = KbIndex::open(Some(&path)).unwrap();
        assert_eq!((index.stamp().as_deref(), index.len()), (Some("s1"), 1), "kept across a restart");
        drop(index);
        std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
        let index = KbIndex::open(Some(&path)).unwrap();
        assert_eq!((index.stamp(), index.len()), (None, 0), "corrupt: made anew, to be rebuilt");
        index.rebuild([article(1, 1, "Isporuka", "x")], "s2").unwrap();
        assert_eq!(ids(&index, 1, "isporuka"), [1]);
    }
}
