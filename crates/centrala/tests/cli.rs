//! The real binary: `serve --demo`, `import`, `users passwd`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::zombie_processes)]

mod common;

use common::{centrala, certificate, fixtures, Server, BIN};
use serde_json::{json, Value};
use std::{
    io::Write,
    process::{Command, Stdio},
};

#[tokio::test]
async fn serve_demo_answers_logs_in_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The demo's call history of the last week, as `serve --demo` writes it.
    let server = Server::start_with(&data, true, &[("CENTRALA_DEMO_HISTORY_DAYS", "7")]);
    let http = reqwest::Client::new();
    assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    // The media's pacing threads run ten nice levels ahead of every other
    // thread (raised to -10 where the process may, else the rest at +10).
    let (media, rest) = thread_nice(server.pid());
    assert!(!media.is_empty() && rest.len() > 2, "media {media:?}, rest {rest:?}");
    assert!(media.iter().all(|n| *n == media[0] && (*n == -10 || *n == 0)), "media {media:?}");
    assert!(rest.iter().all(|n| *n == media[0] + 10), "media {media:?}, rest {rest:?}");

    let login: Value = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "demo", "username": "op.ana", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("demo login works");
    let staff: Value =
        http.get(server.url("/api/v1/staff")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert!(staff.as_array().unwrap().len() >= 16);
    let products: Value = http
        .get(server.url("/api/v1/products?q=pivo&limit=500"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(products.as_array().unwrap().iter().all(|p| p["alcohol"] == true && p["category"] == "Beer"));
    // The history's figures: op.ana answered callers on the working days.
    let today = chrono::Utc::now().date_naive();
    let week = format!("from={}&to={}", today - chrono::Duration::days(8), today);
    let mine: Value = http
        .get(server.url(&format!("/api/v1/reports/agents?{week}&interval=week")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answered: i64 = mine.as_array().unwrap().iter().map(|r| r["answered"].as_i64().unwrap()).sum();
    assert!(answered > 10, "{mine}");
    assert!(mine.as_array().unwrap().iter().all(|r| r["agent"] == "op.ana"), "an operator reads her own");

    // A browser's open event stream does not hold the stop.
    let mut events = http.get(server.url("/api/v1/events")).bearer_auth(token).send().await.unwrap();
    assert_eq!(events.status(), 200);
    let open = tokio::spawn(async move { while let Ok(Some(_)) = events.chunk().await {} });
    let log = tokio::task::spawn_blocking(move || server.stop().join("\n")).await.unwrap();
    open.await.unwrap();
    assert!(log.contains("demo company created"), "{log}");
    assert!(log.contains("demo call history written"), "{log}");
    assert!(log.contains("DEMO MODE: every demo user's password is \"demo\""), "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
    assert!(data.join("centrala.db").exists() && data.join("recordings").is_dir());

    // A second start keeps the demo as it is.
    let again = Server::start(&data, true);
    let log = again.stop().join("\n");
    assert!(log.contains("demo company already present"), "{log}");

    // The statistics of the history rebuild from the command line.
    let (from, to) = ((today - chrono::Duration::days(8)).to_string(), today.to_string());
    let out = centrala(&data)
        .args(["reports", "rebuild", "--company", "demo", "--from", &from, "--to", &to])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let counts: Vec<usize> = text.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert!(text.contains("queue and") && counts.len() == 3 && counts[0] > 10 && counts[1] > 10, "{text}");
    assert_eq!(counts[2], 9, "the days of the order desk and requests, both ends included: {text}");
    let back = centrala(&data).args(["reports", "rebuild", "--company", "demo", "--from", &to, "--to", &from]).output();
    let back = back.unwrap();
    assert!(!back.status.success());
    assert!(String::from_utf8_lossy(&back.stderr).contains("is before --from"));
}

#[tokio::test]
async fn without_demo_there_is_no_default_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = centrala(&data).args(["import", "--company", "acme"]).arg(fixtures("good")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = Server::start(&data, false);
    let http = reqwest::Client::new();
    for password in ["", "demo", "admin", "password"] {
        let r = http
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"company": "acme", "username": "op.ana", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "password {password:?}");
    }
    let r = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "demo", "username": "op.ana", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no demo company without --demo");
    server.stop();
}

#[test]
fn import_reports_every_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = centrala(&data).args(["import", "--company", "acme"]).arg(fixtures("bad")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("staff.csv:4: column role: unknown role \"boss\""), "{err}");
    assert!(err.contains("receivables.csv:3: column paid: 150.00 is more than the amount 100.00"), "{err}");
    assert!(err.contains("contacts.csv:3: column email: \"ena(at)zora\" is not an e-mail address"), "{err}");
    assert!(err.contains("import rejected: 14 error(s); nothing was written"), "{err}");

    let ok = centrala(&data).args(["import", "--company", "acme"]).arg(fixtures("good")).output().unwrap();
    assert!(ok.status.success());
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("contacts.csv                      4 rows")
            && text.contains("imported 36 rows into company acme"),
        "{text}"
    );

    let missing = centrala(&data).args(["import", "--company", "acme", "/nonexistent/dir"]).output().unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not a directory"));
}

#[tokio::test]
async fn users_passwd_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(centrala(&data).args(["import", "--company", "acme"]).arg(fixtures("good")).status().unwrap().success());
    let set = |pw: &str| {
        let mut child = centrala(&data)
            .args(["users", "passwd", "--company", "acme", "op.ana"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{pw}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = set("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8 characters"));
    assert!(set("correct horse battery").status.success());
    let nobody =
        centrala(&data).args(["users", "passwd", "--company", "acme", "ghost"]).stdin(Stdio::null()).output().unwrap();
    assert!(!nobody.status.success());

    let server = Server::start(&data, false);
    let r = reqwest::Client::new()
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "acme", "username": "op.ana", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    server.stop();
}

#[test]
fn a_bad_config_file_is_refused_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[http]\nlisten_addr = \"127.0.0.1:1\"\n").unwrap();
    let out = Command::new(BIN).arg("--config").arg(&cfg).args(["serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen_addr"));
}

/// PostgreSQL: `centrala backup` copies the database with pg_dump and
/// `restore` brings it into an empty database with pg_restore; the copy
/// holds every company, client and order, and a restore refuses a database
/// that already holds companies.
#[tokio::test]
async fn a_postgres_database_is_backed_up_and_restored_into_an_empty_one() {
    use centrala_store::{
        demo,
        testing::{tool_missing, TestDb},
    };
    if !std::path::Path::new("/usr/bin/pg_dump").exists() {
        tool_missing("pg_dump (apt-get install postgresql-client)");
        return;
    }
    let (Some(src), Some(dst)) = (TestDb::postgres().await, TestDb::postgres().await) else {
        tool_missing("PostgreSQL (set CENTRALA_TEST_PG)");
        return;
    };
    demo::ensure(&src.store, chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy");
    let run = |url: &str, data: &str, args: &[&str]| {
        let out = centrala(&dir.path().join(data)).arg("--database").arg(url).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&src.url, "a", &["backup", copy.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(copy.join("centrala.pgdump").exists());
    let (ok, out) = run(&dst.url, "b", &["restore", copy.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = run(&dst.url, "c", &["restore", copy.to_str().unwrap()]);
    assert!(!ok && out.contains("already holds companies"), "{out}");

    let restored = centrala_store::Store::open(&dst.url).await.unwrap();
    let (a, b) = (src.store.companies().await.unwrap(), restored.companies().await.unwrap());
    assert_eq!(a.iter().map(|c| &c.code).collect::<Vec<_>>(), b.iter().map(|c| &c.code).collect::<Vec<_>>());
    for c in &a {
        let (x, y) = (src.store.company(c.id), restored.company(c.id));
        assert_eq!(
            x.search_clients("", None, 10_000).await.unwrap(),
            y.search_clients("", None, 10_000).await.unwrap()
        );
        let all = centrala_store::desk::OrderFilter { limit: 100_000, ..Default::default() };
        let (oa, ob) = (x.orders(&all).await.unwrap(), y.orders(&all).await.unwrap());
        assert!(!oa.is_empty());
        assert_eq!(oa, ob);
    }
    restored.close().await;
    src.cleanup().await;
    dst.cleanup().await;
}

/// A data folder that cannot be written stops `serve` with the reason
/// (before: it retried "unable to open database file" for ten seconds and
/// ended with "pool timed out"). Needs root for the read-only mount.
#[test]
fn a_read_only_data_folder_stops_serve_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(disk) = common::Tmpfs::mount(&data, 8) else {
        centrala_store::testing::tool_missing("a tmpfs mount (the test must run as root)");
        return;
    };
    disk.read_only();
    let out = centrala(&data).args(["serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("cannot be written") && err.contains("Read-only file system"), "{err}");
    drop(disk);
}

/// The nice values of a process's threads: its pacing threads
/// (`media-*`), and the others.
fn thread_nice(pid: u32) -> (Vec<i32>, Vec<i32>) {
    let (mut media, mut rest) = (Vec::new(), Vec::new());
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().map_while(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        // pid (comm) state …: the nice value is the 19th field, the 17th
        // after the name.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let nice: i32 = stat[close + 2..].split(' ').nth(16).unwrap().parse().unwrap();
        if stat[open + 1..close].starts_with("media-") {
            media.push(nice)
        } else {
            rest.push(nice)
        }
    }
    (media, rest)
}

/// The subject of the certificate served at `addr`, read with OpenSSL.
fn served_subject(addr: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("openssl s_client -connect {addr} -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -subject"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// HTTPS from certificate files: served with rustls, the session cookie
/// Secure, plain HTTP on `redirect_from` sent over, and a renewed
/// certificate served without a restart.
#[tokio::test]
async fn https_serves_the_certificate_redirects_plain_http_and_reloads_a_renewed_one() {
    if !std::path::Path::new("/usr/bin/openssl").exists() {
        centrala_store::testing::tool_missing("openssl (apt-get install openssl)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certificate(dir.path(), "first");
    let (cert, key) = (dir.path().join("first.pem"), dir.path().join("first.key"));
    let (cert_s, key_s) = (cert.to_str().unwrap().to_owned(), key.to_str().unwrap().to_owned());
    let redirect_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let redirect_from = format!("127.0.0.1:{redirect_port}");
    let env = [
        ("CENTRALA_HTTP__TLS_CERT", cert_s.as_str()),
        ("CENTRALA_HTTP__TLS_KEY", key_s.as_str()),
        ("CENTRALA_HTTP__REDIRECT_FROM", redirect_from.as_str()),
    ];
    let server = Server::start_with(&dir.path().join("data"), true, &env);
    assert!(server.url("/").starts_with("https://"), "{}", server.url("/"));
    let ca = reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    let login = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "demo", "username": "op.ana", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");

    // Plain HTTP is sent to HTTPS, path and query kept.
    let port = server.url("").rsplit(':').next().unwrap().to_owned();
    let r = http.get(format!("http://{redirect_from}/desk?client=K-001")).send().await.unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], format!("https://127.0.0.1:{port}/desk?client=K-001"));

    // A renewed certificate, written over the files, is served without a restart.
    let addr = server.url("").trim_start_matches("https://").to_owned();
    assert!(served_subject(&addr).contains("first"), "{}", served_subject(&addr));
    certificate(dir.path(), "second");
    std::fs::copy(dir.path().join("second.key"), &key).unwrap();
    std::fs::copy(dir.path().join("second.pem"), &cert).unwrap();
    let mut subject = String::new();
    for _ in 0..100 {
        subject = served_subject(&addr);
        if subject.contains("second") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(subject.contains("second"), "{subject}");
    let log = tokio::task::spawn_blocking(move || server.stop().join("\n")).await.unwrap();
    assert!(log.contains("TLS certificate reloaded"), "{log}");
    assert!(log.contains("stopped cleanly"), "{log}");
}
