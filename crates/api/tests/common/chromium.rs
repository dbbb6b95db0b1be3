//! Headless Chromium for the tests (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`): ChromeDriver on a free port
//! and browser sessions through it. Shared by the API's browser tests and
//! the binary's softphone test (`#[path]`).
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder};
use serde_json::json;
use std::{process::Stdio, time::Duration};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether ChromeDriver is here; when not, says so (and fails the test
/// under `CENTRALA_REQUIRE_E2E`).
pub fn have_chromium() -> bool {
    let ok = std::path::Path::new(CHROMEDRIVER).exists();
    if !ok {
        centrala_store::testing::tool_missing(&format!(
            "{CHROMEDRIVER} is not installed (apt-get install chromium chromium-driver)"
        ));
    }
    ok
}

pub struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

pub async fn start_driver() -> (Driver, u16) {
    let port = free_port().await;
    let child = std::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (Driver(child), port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

/// A headless browser session with its own profile folder.
pub async fn browser(port: u16, profile: &std::path::Path) -> Client {
    browser_with(port, profile, &[]).await
}

/// The same, with more command-line switches (fake media devices, …).
pub async fn browser_with(port: u16, profile: &std::path::Path, extra: &[String]) -> Client {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1366,768",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), json!({ "binary": "/usr/bin/chromium", "args": args }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session")
}
