//! The knowledge index kept in step with the database, on disk, on both
//! backends: an article written behind the index's back (or before a
//! crash) is found after the next start, a missing or corrupt index is
//! rebuilt, and the search folds, stems and forgives a typo.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_center::{Center, CenterConfig};
use centrala_store::kb::{KbArticleInput, KbStatus};
use centrala_store::{storage_suite, Store};

fn article(title: &str, body: &str) -> KbArticleInput {
    KbArticleInput {
        title: title.into(),
        body: body.into(),
        category: String::new(),
        tags: Vec::new(),
        product_skus: Vec::new(),
        client_types: Vec::new(),
        request_categories: Vec::new(),
        status: KbStatus::Published,
        review_by: None,
    }
}

async fn titles(center: &Center, company: centrala_domain::CompanyId, q: &str) -> Vec<String> {
    let s = center.store.company(company);
    let mut out = Vec::new();
    for h in center.kb_search(company, q, false, 10).await.unwrap() {
        out.push(s.kb_article(h.id).await.unwrap().unwrap().title);
    }
    out
}

async fn the_index_follows_the_database_across_starts(store: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let config = || CenterConfig { knowledge_index: Some(dir.path().join("kb")), ..CenterConfig::default() };
    let (a, _) = store.ensure_company("alpha", "Alpha").await.unwrap();
    let (b, _) = store.ensure_company("beta", "Beta").await.unwrap();
    let s = store.company(a.id);
    s.create_kb_article(&article("Rokovi isporuke", "Isporuka u Brčko traje dva dana."), "ana").await.unwrap();
    store.company(b.id).create_kb_article(&article("Isporuka", "Beta's own."), "x").await.unwrap();

    // First start: no index on disk, built from the database.
    let center = Center::start(store.clone(), config());
    // The start rebuilds it (in a task of its own, or this call does).
    assert!(matches!(center.kb_sync().await.unwrap(), None | Some(2)));
    assert_eq!(center.kb_sync().await.unwrap(), None, "current now");
    for q in ["isporuke", "ISPORUKA", "brcko", "Брчко", "isporka"] {
        assert_eq!(titles(&center, a.id, q).await, ["Rokovi isporuke"], "{q}");
    }
    // Written through the runtime: found at once.
    let art = s.create_kb_article(&article("Gazirana pića", "Sva pića u povratnoj ambalaži."), "ana").await.unwrap();
    center.kb_indexed(a.id, &art).await.unwrap();
    assert_eq!(titles(&center, a.id, "piće").await, ["Gazirana pića"]);
    drop(center);

    // Written behind its back (a crash between the write and the index):
    // the next start sees the stamp differ and rebuilds.
    s.create_kb_article(&article("Reklamacije", "Oštećena roba u roku od 24 sata."), "ana").await.unwrap();
    let center = Center::start(store.clone(), config());
    assert!(matches!(center.kb_sync().await.unwrap(), None | Some(4)));
    assert_eq!(titles(&center, a.id, "ostecena").await, ["Reklamacije"]);
    assert_eq!(titles(&center, b.id, "isporuka").await, ["Isporuka"], "each company its own");
    drop(center);

    // A corrupt index is made anew and rebuilt, not a crash.
    std::fs::write(dir.path().join("kb/meta.json"), b"garbage").unwrap();
    let center = Center::start(store.clone(), config());
    let _ = center.kb_sync().await.unwrap();
    assert_eq!(titles(&center, a.id, "reklamacije").await, ["Reklamacije"]);
}

storage_suite!(the_index_follows_the_database_across_starts);
