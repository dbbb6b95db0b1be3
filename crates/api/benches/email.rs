//! E-mail intake (issue "Every channel in one queue"): messages in the
//! company's mailbox on a real IMAP server (dovecot on loopback,
//! `tools/start-dovecot.sh`) taken in by Centrala's reading — each fetched,
//! parsed by the MIME parser, its thread looked up, its client found by the
//! sender's address, stored with its attachments and queued in the ACD.
//!
//! The mix: half from clients' addresses, half from strangers; one in four
//! answers an earlier message (it joins that conversation); one in five
//! carries a 20 kB attachment. The messages are put in the mailbox with
//! IMAP APPEND, untimed; what is timed is Centrala's reading of them.
//!
//! First a backlog: 1,000 messages waiting when the mailbox is set (after
//! an outage), taken in by one reading. Then the steady state, as the
//! product runs: the mailbox's watcher waits on IMAP IDLE, and criterion
//! times one message from its APPEND (the moment it is in the mailbox)
//! until it is stored and queued.
//!
//!     CENTRALA_TEST_IMAP=127.0.0.1:143 cargo bench -p centrala-api --bench email

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a benchmark may stop at a broken fixture

use centrala_api::state::Clock;
use centrala_center::{Center, CenterConfig};
use centrala_domain::CompanyId;
use centrala_store::{demo, Store};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::TryStreamExt;
use std::time::{Duration, Instant};

const BACKLOG: usize = 1_000;
const USER: &str = "support";

type Imap = async_imap::Session<tokio::net::TcpStream>;

async fn imap(addr: &str) -> Imap {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap();
    let mut s = client.login(USER, format!("{USER}-pw")).await.map_err(|(e, _)| e).unwrap();
    s.select("INBOX").await.unwrap();
    s
}

/// One message of the mix; `n` picks its kind.
fn message(n: usize) -> Vec<u8> {
    let from =
        if n.is_multiple_of(2) { format!("k{:04}@example.ba", 1 + n % 300) } else { format!("kupac{n}@example.com") };
    let mut head = format!(
        "From: <{from}>\r\nTo: <support@localhost>\r\nSubject: Upit {n}\r\nMessage-ID: <bench-{n}@example.com>\r\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
    );
    if n % 4 == 3 {
        head.push_str(&format!(
            "In-Reply-To: <bench-{}@example.com>\r\nReferences: <bench-{}@example.com>\r\n",
            n - 1,
            n - 1
        ));
    }
    let text =
        "Poštovani,\r\nmolim ponudu za 20 gajbi piva i 10 paketa sokova, isporuka u petak.\r\nHvala.\r\n".repeat(8);
    if n.is_multiple_of(5) {
        let data: String = (0..20 * 1024 / 76).map(|_| format!("{}\r\n", "A".repeat(76))).collect();
        format!(
            "{head}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n--b\r\nContent-Type: application/pdf; name=\"narudzba.pdf\"\r\n\
             Content-Disposition: attachment; filename=\"narudzba.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{data}--b--\r\n"
        )
        .into_bytes()
    } else {
        format!("{head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}")
            .into_bytes()
    }
}

async fn deliver(s: &mut Imap, from: usize, count: usize) {
    for n in from..from + count {
        s.append("INBOX", None, None, message(n)).await.unwrap();
    }
}

/// Waits until message `n` is stored (its conversation known by its id).
async fn stored(s: &centrala_store::Scoped<'_>, n: usize) {
    let id = format!("bench-{n}@example.com");
    let deadline = Instant::now() + Duration::from_secs(120);
    while s.email_thread(&id).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "message {n} was not taken in within 2 minutes");
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

struct World {
    _dir: tempfile::TempDir,
    center: Center,
    company: CompanyId,
    imap: Imap,
    next: usize,
}

async fn world(addr: &str) -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let store = Store::open(&url).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    demo::ensure(&store, today).await.unwrap();
    let company = store.company_by_code("demo").await.unwrap().unwrap().id;
    let s = store.company(company);
    let password = dir.path().join("imap-password");
    std::fs::write(&password, format!("{USER}-pw\n")).unwrap();
    let (host, port) = addr.rsplit_once(':').unwrap();
    // Started before the mailbox exists: its watcher looks again only
    // after 30 s, so the backlog's reading below is the only reader.
    let center = Center::start(store.clone(), CenterConfig { clock: Clock::Fixed(today), ..CenterConfig::default() });
    center.configure_channels(company).await.unwrap();
    let mut imap = imap(addr).await;
    if imap.select("INBOX").await.unwrap().exists > 0 {
        let _: Vec<_> = imap.store("1:*", "+FLAGS (\\Deleted)").await.unwrap().try_collect().await.unwrap();
        let _: Vec<_> = imap.expunge().await.unwrap().try_collect().await.unwrap();
    }
    let put = Instant::now();
    deliver(&mut imap, 0, BACKLOG).await;
    println!("{BACKLOG} messages put in the mailbox (IMAP APPEND) in {:.1} s", put.elapsed().as_secs_f64());
    s.set_mailbox(&centrala_store::email::Mailbox {
        address: "support@localhost".into(),
        imap_host: host.into(),
        imap_port: port.parse().unwrap(),
        imap_tls: "none".into(),
        imap_ca_file: String::new(),
        username: USER.into(),
        password_env: String::new(),
        password_file: password.display().to_string(),
        folder: "INBOX".into(),
        max_bytes: 25 * 1024 * 1024,
        uid_validity: 0,
        last_uid: 0,
        state: "new".into(),
        last_error: String::new(),
        failures: 0,
        checked_at: None,
    })
    .await
    .unwrap();
    World { _dir: dir, center, company, imap, next: 0 }
}

fn bench(c: &mut Criterion) {
    let Ok(addr) = std::env::var("CENTRALA_TEST_IMAP") else {
        eprintln!("skipping: no CENTRALA_TEST_IMAP (run tools/start-dovecot.sh)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut w = rt.block_on(world(&addr));

    // The backlog, read at once.
    rt.block_on(async {
        let start = Instant::now();
        let taken = w.center.check_mail(w.company).await.unwrap();
        let took = start.elapsed();
        assert_eq!(taken, BACKLOG);
        let s = w.center.store.company(w.company);
        let all = centrala_store::interactions::InteractionFilter { limit: 10_000, ..Default::default() };
        let conversations = s.interactions(&all).await.unwrap().iter().filter(|i| i.channel == "email").count();
        println!(
            "{BACKLOG} waiting messages taken in by one reading in {:.2} s: {:.0} messages/s, {:.2} ms each; \
             {conversations} conversations (one in four messages joined an earlier one)",
            took.as_secs_f64(),
            BACKLOG as f64 / took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / BACKLOG as f64,
        );
        w.next = BACKLOG;
        // The watcher takes the mailbox up (within 30 s) and waits on IDLE.
        let probe = w.next;
        deliver(&mut w.imap, probe, 1).await;
        w.next += 1;
        stored(&s, probe).await;
    });

    let w = std::sync::Arc::new(tokio::sync::Mutex::new(w));
    let mut g = c.benchmark_group("e-mail intake");
    g.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(10));
    g.bench_function("a message in the mailbox is stored and queued (IDLE)", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let w = w.clone();
            async move {
                let mut w = w.lock().await;
                let store = w.center.store.clone();
                let s = store.company(w.company);
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let n = w.next;
                    w.next += 1;
                    deliver(&mut w.imap, n, 1).await;
                    let start = Instant::now();
                    stored(&s, n).await;
                    total += start.elapsed();
                }
                total
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
