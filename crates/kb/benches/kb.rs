//! Knowledge search over 20,000 articles, on disk: the rebuild's time, the
//! index's size, and each query's median (criterion) and 99th percentile
//! (of 500 runs, printed).
//!
//!     cargo bench -p centrala-kb --bench kb

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark may stop at a broken fixture

use centrala_kb::{ArticleDoc, KbIndex};
use criterion::{criterion_group, criterion_main, Criterion};
use std::{hint::black_box, time::Instant};

const ARTICLES: i64 = 20_000;

/// Articles of varied words, as a distributor's editors write them.
fn article(n: i64) -> ArticleDoc {
    const TOPICS: &[&str] = &[
        "isporuka",
        "povratna ambalaža",
        "reklamacija",
        "certifikat",
        "cijene",
        "rabat",
        "plaćanje",
        "pića",
        "pivo",
        "sokovi",
        "voda",
        "kafa",
        "čokolada",
        "grickalice",
        "mliječni proizvodi",
        "konzerve",
        "rok trajanja",
        "skladište",
    ];
    const PLACES: &[&str] = &["Sarajevo", "Tuzla", "Brčko", "Goražde", "Mostar", "Bihać", "Zenica", "Čapljina"];
    let t = TOPICS[(n as usize) % TOPICS.len()];
    let u = TOPICS[(n as usize * 7 + 3) % TOPICS.len()];
    let p = PLACES[(n as usize) % PLACES.len()];
    ArticleDoc {
        id: n,
        company: 1 + n % 4,
        title: format!("{t} — {p} ({n})"),
        body: format!(
            "## {t}\n\nZa kupce iz regije {p} vrijedi: {u} se dogovara s komercijalistom. \
             Narudžbe do 14 h stižu sljedeći radni dan; za **{t}** vrijede posebni uslovi, \
             a reklamacije se prijavljuju u roku od 24 sata. Pravilo broj {n}."
        ),
        category: t.into(),
        tags: vec![u.into(), p.into()],
        skus: vec![format!("BE-{:04}", n % 300)],
        published: n % 10 != 0,
        ..ArticleDoc::default()
    }
}

fn p99(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..500)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() * 99 / 100]
}

fn size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let index = KbIndex::open(Some(dir.path())).unwrap();
    let started = Instant::now();
    index.rebuild((0..ARTICLES).map(article), "bench").unwrap();
    println!(
        "rebuild of {ARTICLES} articles: {:.2} s; index on disk: {:.1} MB",
        started.elapsed().as_secs_f64(),
        size(dir.path()) as f64 / 1e6
    );
    let mut group = c.benchmark_group("knowledge search");
    for q in
        ["isporuka", "pica", "povratna ambalaza", "reklmacija", "brcko cijene", "certif", "rok trajanja pića 24 sata"]
    {
        group.bench_function(format!("search {q:?}"), |b| b.iter(|| black_box(index.search(2, q, true, 10).unwrap())));
        let p = p99(|| {
            black_box(index.search(2, q, true, 10).unwrap());
        });
        println!("search {q:?}: p99 {p:.2} ms");
    }
    let skus = vec!["BE-0042".to_owned(), "BE-0007".to_owned()];
    group.bench_function("suggest", |b| {
        b.iter(|| black_box(index.suggest(2, &skus, Some("retail"), Some("order"), 5).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
