//! The telephony end to end: the real binary (`serve --demo`) driven by
//! SIPp (Debian's `sip-tester`) over loopback UDP. Callers walk the IVR
//! with RFC 4733 digits and speak G.711 (SIPp's own captures); phones
//! register with digest authentication; broken packets get errors.
//!
//! Skips, saying so, when `sipp` is not installed (`.ci/run` installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::zombie_processes)]

#[path = "../../api/tests/common/chromium.rs"]
mod chromium;
mod common;

use common::{Server, Tmpfs};
use serde_json::{json, Value};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CAPTURES: &str = "/usr/share/sip-tester";

/// SIPp's path: `/usr/bin/sipp`, or `CENTRALA_TEST_SIPP` (a test points it
/// nowhere to prove that a missing SIPp fails CI).
fn sipp_path() -> PathBuf {
    std::env::var_os("CENTRALA_TEST_SIPP").map_or_else(|| PathBuf::from("/usr/bin/sipp"), PathBuf::from)
}

fn have_sipp() -> bool {
    let ok = sipp_path().exists() && Path::new(CAPTURES).join("g711a.pcap").exists();
    if !ok {
        let what = format!("{} or its captures are not installed (apt-get install sip-tester)", sipp_path().display());
        centrala_store::testing::tool_missing(&what);
    }
    ok
}

/// Under `CENTRALA_REQUIRE_E2E=1` a SIP test fails when SIPp is missing;
/// without it, the same test skips and passes. Runs this test binary's own
/// first SIP test with SIPp pointed nowhere.
#[test]
fn a_missing_sipp_fails_the_sip_tests_when_end_to_end_is_required() {
    let run = |required: &str| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "callers_walk_the_menu_and_every_call_is_registered_and_recorded", "--nocapture"])
            .env("CENTRALA_TEST_SIPP", "/nonexistent/sipp")
            .env(centrala_store::testing::REQUIRE_E2E, required)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run("1");
    assert!(!ok, "with SIPp missing and end-to-end required, the test must fail: {out}");
    assert!(out.contains("CENTRALA_REQUIRE_E2E is set") && out.contains("/nonexistent/sipp"), "{out}");
    assert!(out.contains("1 failed"), "{out}");
    let (ok, out) = run("");
    assert!(ok, "on a developer's machine it skips: {out}");
    assert!(out.contains("skipped: /nonexistent/sipp"), "{out}");
}

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sipp").join(name)
}

/// A port for a baresip phone: baresip listens on it with UDP and TCP, and
/// on the next one with TLS. Taken from 20000–29999: below the kernel's
/// ephemeral range (32768 up), where the tests' own TCP connections get
/// their ports, and the server's RTP ports (30000 up); and
/// checked free for all three (a port free for UDP alone was sometimes
/// taken for TCP: "SIP/TLS transport failed: Address already in use").
fn free_phone_port() -> u16 {
    free_ports(true)
}

/// A free UDP port pair base for SIPp's signalling or media (SIPp's media
/// takes the port and the three above it).
fn free_udp_port() -> u16 {
    free_ports(false)
}

/// The next block of eight ports of 20000–29999 whose first four are free
/// (for UDP; with `tcp`, the first two for TCP too). The blocks are handed
/// out in turn from a random start, so two tests running at once never get
/// the same or adjacent ports (a port the kernel gave for `:0` and another
/// test's SIPp media, two above it, once met: "Address already in use").
fn free_ports(tcp: bool) -> u16 {
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = (std::process::id()
        ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos())
        % 1250;
    let _ = NEXT.compare_exchange(u32::MAX, seed, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..1250 {
        let block = NEXT.fetch_add(1, Ordering::Relaxed) % 1250;
        let port = 20_000 + u16::try_from(block * 8).unwrap();
        let udp = (port..port + 4).all(|p| UdpSocket::bind(("127.0.0.1", p)).is_ok());
        let free = udp && (!tcp || (port..port + 2).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()));
        if free {
            return port;
        }
    }
    panic!("no free ports between 20000 and 29999");
}

struct Sipp {
    status: std::process::ExitStatus,
    out: String,
}

/// Runs SIPp once (one call) against the server; returns its exit status
/// and what it printed.
fn sipp(server_sip: &str, scenario_file: &Path, extra: &[&str], dir: &Path) -> Sipp {
    let args = [&[server_sip, "-l", "1", "-trace_err"], extra].concat();
    sipp_at(dir, scenario_file, free_udp_port(), &args)
}

/// Runs SIPp once (one call) in `dir` from SIP port `port` (a caller names
/// the server in `args`; without it SIPp answers there), on loopback, at
/// most 40 s.
fn sipp_at(dir: &Path, scenario_file: &Path, port: u16, args: &[&str]) -> Sipp {
    sipp_within(dir, scenario_file, port, args, "40s")
}

/// The same, at most `timeout` (SIPp's `-timeout`).
fn sipp_within(dir: &Path, scenario_file: &Path, port: u16, args: &[&str], timeout: &str) -> Sipp {
    let out = Command::new(sipp_path())
        .current_dir(dir)
        .arg("-sf")
        .arg(scenario_file)
        .args(["-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin", "-timeout", timeout, "-timeout_error"])
        .args(["-p", &port.to_string(), "-mp", &free_udp_port().to_string()])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Sipp { status: out.status, out: text }
}

/// SIP user `user` (password "demo") registered by SIPp from port `port`
/// of `dir`, where a SIPp scenario then plays that phone.
async fn sipp_phone(server: &Server, dir: &Path, user: &'static str, port: u16) {
    let (sip, dir) = (server.sip.clone(), dir.to_owned());
    let reg = tokio::task::spawn_blocking(move || {
        sipp_at(&dir, &scenario("register.xml"), port, &[&sip, "-s", user, "-au", user, "-ap", "demo", "-l", "1"])
    })
    .await
    .unwrap();
    assert!(reg.status.success(), "register {user}: {}", reg.out);
}

/// The IVR scenario with `digit` pressed ("" for none: hang up in the menu),
/// hanging up 3 s later.
fn ivr_scenario(dir: &Path, digit: &str) -> PathBuf {
    ivr_scenario_holding(dir, digit, 3000)
}

/// The IVR scenario staying `hold_ms` on the line after the digit.
fn ivr_scenario_holding(dir: &Path, digit: &str, hold_ms: u32) -> PathBuf {
    let text = std::fs::read_to_string(scenario("ivr_call.xml")).unwrap().replace("HOLD_MS", &hold_ms.to_string());
    let text = if digit.is_empty() {
        // No key: drop the DTMF capture (the caller only speaks).
        let start = text.find("<!-- DTMF -->").unwrap();
        let end = text.find("<!-- /DTMF -->").unwrap();
        format!("{}{}", &text[..start], &text[end..])
    } else {
        text.replace("DIGIT", digit)
    };
    let p = dir.join(format!("ivr-{}.xml", if digit.is_empty() { "none" } else { digit }));
    std::fs::write(&p, text).unwrap();
    p
}

/// The IVR scenario pressing 1, then the caller speaking: SIPp's capture
/// played `repeats` times, 5.7 s each.
fn talking_scenario(dir: &Path, repeats: usize) -> PathBuf {
    let talk = "  <nop>\n    <action>\n      <exec play_pcap_audio=\"/usr/share/sip-tester/g711a.pcap\"/>\n    </action>\n  </nop>\n  <pause milliseconds=\"4700\"/>\n";
    let text = std::fs::read_to_string(scenario("ivr_call.xml")).unwrap().replace("DIGIT", "1").replace(
        "  <pause milliseconds=\"HOLD_MS\"/>\n",
        &format!("  <pause milliseconds=\"1000\"/>\n{}", talk.repeat(repeats)),
    );
    let file = dir.join("talking.xml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The newest interaction's id once `user` handles it (0 if not within
/// `tries` tenths of a second).
/// A client of the operators calls to order and talks for `repeats` turns
/// of SIPp's speech (4.7 s each), within `timeout`; joined for SIPp's result.
async fn talking_caller(
    http: &reqwest::Client,
    server: &Server,
    sup: &str,
    dir: &Path,
    repeats: usize,
    timeout: &'static str,
) -> std::thread::JoinHandle<Sipp> {
    let (_, phone) = operators_client(http, server, sup, "order").await;
    let work = dir.to_owned();
    let file = talking_scenario(&work, repeats);
    let (sip, number) = (server.sip.clone(), phone.trim_start_matches('+').to_owned());
    std::thread::spawn(move || {
        let args = [sip.as_str(), "-l", "1", "-trace_err", "-s", "38733555000", "-key", "caller", &number];
        sipp_within(&work, &file, free_udp_port(), &args, timeout)
    })
}

/// A staff phone (baresip) in `dir` for SIP user `user` that "speaks" a
/// `freq` tone, with more lines for its config (`extra`: `RECORDING` to
/// keep what it hears; `{dir}` stands for its folder), registered before
/// it is returned.
async fn toned_phone(
    http: &reqwest::Client,
    server: &Server,
    sup: &str,
    dir: &Path,
    user: &str,
    freq: f64,
    extra: &str,
) -> Phone {
    let voice = dir.with_extension("wav");
    tone_wav(&voice, freq, 90);
    let extra = extra.replace("{dir}", &dir.display().to_string());
    let phone = Phone::start_with(dir, &server.sip, user, "demo", &voice, true, &extra, "");
    until_registered(http, server, sup, user, &dir.join("log")).await;
    phone
}

/// `toned_phone`'s config lines for a phone that writes what it hears and
/// says to WAV files in its folder (baresip's sndfile module).
const RECORDING: &str = "module sndfile.so\nsnd_path {dir}\n";

/// What a baresip phone writing to `dir` (sndfile) heard: its first
/// `*-dec.wav` dump.
fn dump_of(dir: &Path) -> Vec<u8> {
    let dump = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .unwrap_or_else(|| panic!("no dump: {}", std::fs::read_to_string(dir.join("log")).unwrap_or_default()));
    std::fs::read(dump).unwrap()
}

async fn handled_by(http: &reqwest::Client, server: &Server, token: &str, user: &str, tries: u32) -> i64 {
    for _ in 0..tries {
        let list = get(http, server, token, "/api/v1/interactions").await;
        if let Some(i) = list.as_array().unwrap().first() {
            if i["handled_by"] == user {
                return i["id"].as_i64().unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    0
}

/// The interaction `id` once it has ended (its detail, with the story).
/// A SIPp caller from `number` (digits) dialling the demo number, on
/// `file` (a scenario written in the test's folder, SIPp's working folder),
/// run to its end; a failed run fails the test with SIPp's and the server's
/// logs.
async fn caller(server: &Server, file: PathBuf, number: &str) {
    let (sip, number) = (server.sip.clone(), number.to_owned());
    let work = file.parent().unwrap().to_owned();
    let run = std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", &number], &work));
    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    if !r.status.success() {
        panic!("SIPp: {}\nserver: {}", r.out, server.log_so_far());
    }
}

async fn ended_call(http: &reqwest::Client, server: &Server, token: &str, id: i64) -> Value {
    let mut i = Value::Null;
    for _ in 0..50 {
        i = get(http, server, token, &format!("/api/v1/interactions/{id}")).await;
        if i["ended_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    i
}

/// The newest interaction (of the list filtered by `query`) once it has ended.
async fn newest_ended_call(http: &reqwest::Client, server: &Server, token: &str, query: &str) -> Value {
    let list = get(http, server, token, &format!("/api/v1/interactions{query}")).await;
    ended_call(http, server, token, list[0]["id"].as_i64().unwrap()).await
}

/// Makes `user` ready on the desk.
async fn ready(http: &reqwest::Client, server: &Server, user: &str) {
    let token = login(http, server, user).await;
    let r = http
        .put(server.url("/api/v1/agents/me/state"))
        .bearer_auth(&token)
        .json(&json!({"state": "ready"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn login(http: &reqwest::Client, server: &Server, user: &str) -> String {
    let v: Value = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "demo", "username": user, "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_owned()
}

async fn get(http: &reqwest::Client, server: &Server, token: &str, path: &str) -> Value {
    http.get(server.url(path)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

/// The server's `/metrics` now.
async fn metrics(http: &reqwest::Client, server: &Server) -> String {
    http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap()
}

/// The value of the series `name` (with its labels, as written) in
/// `/metrics` text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

/// Root-mean-square of each channel of a stereo 16-bit WAV.
fn channel_rms(wav: &[u8]) -> (f64, f64, f64) {
    let mut r = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
    let spec = r.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 8000, 16));
    let s: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    let rms = |ch: usize| {
        let v: Vec<f64> = s.iter().skip(ch).step_by(2).map(|x| f64::from(*x)).collect();
        (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt()
    };
    (rms(0), rms(1), s.len() as f64 / 2.0 / 8000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_walk_the_menu_and_every_call_is_registered_and_recorded() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;

    // A known client's phone, found through the API like an operator would.
    let clients = get(&http, &server, &sup, "/api/v1/clients?limit=30").await;
    let code = clients.as_array().unwrap().iter().find_map(|c| c["code"].as_str()).unwrap().to_owned();
    let card = get(&http, &server, &sup, &format!("/api/v1/clients/{code}")).await;
    let known = card["phones"][0].as_str().unwrap().trim_start_matches('+').to_owned();
    let unknown = "38761999888";

    // Three callers at once: a client ordering (1), a stranger asking for
    // reference information (2), one who hangs up in the menu.
    let work = dir.path().to_owned();
    let calls = [(known.clone(), "1"), (unknown.to_owned(), "2"), ("38762123123".to_owned(), "")];
    let runs: Vec<_> = calls
        .iter()
        .map(|(caller, digit)| {
            let (sip, work, caller) = (server.sip.clone(), work.clone(), caller.clone());
            let file = ivr_scenario(&work, digit);
            std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", &caller], &work))
        })
        .collect();
    for r in runs {
        let r = r.join().unwrap();
        assert!(r.status.success(), "SIPp failed: {}", r.out);
    }

    // Every call is registered, with the menu's path and the digits, the
    // routing decision (the same as /routing/decide gives) and a recording.
    let mut list = Value::Null;
    for _ in 0..50 {
        list = get(&http, &server, &sup, "/api/v1/interactions").await;
        if list.as_array().unwrap().iter().filter(|i| i["ended_at"].is_string()).count() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3, "{list:?}");
    let by_caller = |n: &str| list.iter().find(|i| i["caller"] == format!("+{n}")).unwrap().clone();

    let ordering = by_caller(&known);
    assert_eq!(ordering["client"], json!(code));
    assert_eq!((ordering["digits"].as_str(), ordering["intent"].as_str()), (Some("1"), Some("order")));
    assert_eq!(ordering["ivr_path"], "main");
    assert_eq!(ordering["called"], "+38733555000");
    assert_eq!(ordering["direction"], "inbound");
    let decided: Value = http
        .post(server.url("/api/v1/routing/decide"))
        .bearer_auth(&sup)
        .json(&json!({"phone": format!("+{known}"), "intent": "order"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ordering["routing_rule"], decided["rule"], "the call took the order desk's decision: {decided}");
    assert!(!ordering["routing_reasons"].as_array().unwrap().is_empty());

    let stranger = by_caller(unknown);
    assert_eq!((stranger["digits"].as_str(), stranger["intent"].as_str()), (Some("2"), Some("reference")));
    assert_eq!(stranger["routing_rule"], "new_client");
    assert_eq!(stranger["client"], Value::Null);

    let gone = by_caller("38762123123");
    assert_eq!(
        (gone["digits"].as_str(), gone["intent"].as_str(), gone["routing_rule"].as_str()),
        (Some(""), Some(""), Some(""))
    );
    for i in [&ordering, &stranger, &gone] {
        // Nobody took these calls yet (the queues come with routing):
        // the caller hung up, so each is abandoned.
        assert_eq!(i["disposition"], "abandoned", "{i}");
        assert!(i["recording"].is_string(), "{i}");
    }

    // The recording holds both sides: the caller's speech on the left, our
    // prompts on the right. An operator may not download it; a supervisor may.
    let id = ordering["id"].as_i64().unwrap();
    let op = login(&http, &server, "op.ana").await;
    let refused =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&op).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    assert_eq!(wav.status(), 200);
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 3.0, "{seconds} s recorded");
    assert!(left > 200.0, "the caller's side has speech: rms {left}");
    assert!(right > 200.0, "our side has the prompts: rms {right}");
    let audit = get(&http, &server, &sup, "/api/v1/audit?limit=20").await;
    assert!(audit.to_string().contains("recording"), "the download is audited: {audit}");

    let log = server.stop().join("\n");
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_register_with_digest_authentication_and_guessing_gets_blocked() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let admin = login(&http, &server, "admin").await;
    let work = dir.path().to_owned();

    // The demo phone 203 is op.ana's; it registers with its password.
    let ok = sipp(&server.sip, &scenario("register.xml"), &["-s", "203", "-au", "203", "-ap", "demo"], &work);
    assert!(ok.status.success(), "{}", ok.out);
    let accounts = get(&http, &server, &admin, "/api/v1/sip/accounts").await;
    let ana = accounts.as_array().unwrap().iter().find(|a| a["username"] == "203").unwrap().clone();
    let contacts = ana["registered"].as_array().unwrap();
    assert_eq!(contacts.len(), 1, "{ana}");
    assert!(contacts[0].as_str().unwrap().starts_with("sip:203@127.0.0.1:"), "{ana}");
    let not_registered = accounts.as_array().unwrap().iter().find(|a| a["username"] == "204").unwrap();
    assert!(not_registered["registered"].as_array().unwrap().is_empty());

    // An account set through the API works the same way.
    let staff = get(&http, &server, &admin, "/api/v1/staff").await;
    let kenan = staff.as_array().unwrap().iter().find(|s| s["username"] == "op.kenan").unwrap()["id"].as_i64().unwrap();
    let set = http
        .put(server.url(&format!("/api/v1/staff/{kenan}/sip")))
        .bearer_auth(&admin)
        .json(&json!({"username": "kenan-desk", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let ok = sipp(
        &server.sip,
        &scenario("register.xml"),
        &["-s", "kenan-desk", "-au", "kenan-desk", "-ap", "long enough"],
        &work,
    );
    assert!(ok.status.success(), "{}", ok.out);
    // The username is unique in the whole instance.
    let ana_id = ana["staff_id"].as_i64().unwrap();
    let taken = http
        .put(server.url(&format!("/api/v1/staff/{ana_id}/sip")))
        .bearer_auth(&admin)
        .json(&json!({"username": "kenan-desk", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 409);

    // Wrong passwords are refused; after five, even the right one is, for a while.
    for _ in 0..5 {
        let bad =
            sipp(&server.sip, &scenario("register_refused.xml"), &["-s", "204", "-au", "204", "-ap", "guess"], &work);
        assert!(bad.status.success(), "a wrong password gets 403: {}", bad.out);
    }
    let blocked =
        sipp(&server.sip, &scenario("register_blocked.xml"), &["-s", "204", "-au", "204", "-ap", "demo"], &work);
    assert!(blocked.status.success(), "blocked after five failures: {}", blocked.out);
    let accounts = get(&http, &server, &admin, "/api/v1/sip/accounts").await;
    let p204 = accounts.as_array().unwrap().iter().find(|a| a["username"] == "204").unwrap();
    assert!(p204["registered"].as_array().unwrap().is_empty());
    let log = server.stop().join("\n");
    assert!(log.contains("REGISTER refused"), "{log}");
}

/// Sends one datagram and returns the first line of the answer, if any.
/// A SIP peer's socket on `ip`, answers awaited at most `secs`, and its port.
fn peer(ip: &str, secs: u64) -> (UdpSocket, u16) {
    let sock = UdpSocket::bind((ip, 0)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(secs))).unwrap();
    let port = sock.local_addr().unwrap().port();
    (sock, port)
}

fn exchange(sock: &UdpSocket, to: &str, msg: &str) -> Option<String> {
    sock.send_to(msg.as_bytes(), to).unwrap();
    let mut buf = [0u8; 4096];
    // Skip provisional answers (100 Trying).
    loop {
        let n = sock.recv(&mut buf).ok()?;
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let first = text.lines().next().unwrap_or_default().to_owned();
        if !first.starts_with("SIP/2.0 1") {
            return Some(first);
        }
    }
}

fn invite(port: u16, call: &str, sdp: &str) -> String {
    format!(
        "INVITE sip:38733555000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call}\r\n\
         From: <sip:38761000001@127.0.0.1>;tag=t{call}\r\nTo: <sip:38733555000@127.0.0.1>\r\nCall-ID: {call}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:x@127.0.0.1:{port}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_packets_get_errors_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let (sock, port) = peer("127.0.0.1", 3);
    let to = server.sip.as_str();

    // Garbage and truncated messages: no answer is possible, no crash.
    for junk in ["", "hello", "INVITE", "INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n", "\u{0}\u{1}\u{2}"] {
        sock.send_to(junk.as_bytes(), to).unwrap();
    }
    // An SDP that is not SDP, and one with no codec we speak: 488.
    let bad_sdp = invite(port, "c1", "this is not SDP");
    assert_eq!(exchange(&sock, to, &bad_sdp).as_deref(), Some("SIP/2.0 488 Not Acceptable Here"));
    let g729 = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    assert_eq!(exchange(&sock, to, &invite(port, "c2", g729)).as_deref(), Some("SIP/2.0 488 Not Acceptable Here"));
    // A phone that demands encryption we cannot do (DTLS-SRTP) is refused,
    // not answered in the clear.
    let srtp =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 UDP/TLS/RTP/SAVP 0\r\n\
                a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n";
    assert_eq!(exchange(&sock, to, &invite(port, "c3", srtp)).as_deref(), Some("SIP/2.0 488 Not Acceptable Here"));
    // A call that requires an extension we do not support (session timers,
    // reliable provisional answers): 420, and nothing registered (before:
    // accepted with 200, the requirement ignored).
    let required = invite(port, "c4", g729.replace("RTP/AVP 18", "RTP/AVP 0").as_str())
        .replace("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nRequire: timer, 100rel\r\n");
    sock.send_to(required.as_bytes(), to).unwrap();
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("SIP/2.0 420 Bad Extension"), "{answer}");
    assert!(answer.contains("Unsupported: timer, 100rel"), "{answer}");
    // A method we do not take, and a BYE for no call.
    let msg = format!(
        "SUBSCRIBE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKs1\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n\
         To: <sip:x@127.0.0.1>\r\nCall-ID: s1\r\nCSeq: 1 SUBSCRIBE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(exchange(&sock, to, &msg).as_deref(), Some("SIP/2.0 405 Method Not Allowed"));
    let bye = format!(
        "BYE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKb1\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n\
         To: <sip:x@127.0.0.1>;tag=nope\r\nCall-ID: nope\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(exchange(&sock, to, &bye).as_deref(), Some("SIP/2.0 481 Call/Transaction Does Not Exist"));
    // Still alive and well.
    let options = format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKo1\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n\
         To: <sip:127.0.0.1>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(exchange(&sock, to, &options).as_deref(), Some("SIP/2.0 200 OK"));

    // The three refused calls are registered as failed.
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let list = get(&http, &server, &sup, "/api/v1/interactions?outcome=failed").await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let log = server.stop().join("\n");
    assert!(!log.contains("panicked"), "{log}");
}

const BARESIP: &str = "/usr/bin/baresip";

fn have_baresip() -> bool {
    let ok = Path::new(BARESIP).exists();
    if !ok {
        centrala_store::testing::tool_missing(&format!("{BARESIP} is not installed (apt-get install baresip-core)"));
    }
    ok
}

/// A baresip phone registered as `user`, answering every call at once and
/// speaking `speech` (an 8 kHz WAV) into it.
struct Phone(std::process::Child);

impl Phone {
    fn start(dir: &Path, registrar: &str, user: &str, password: &str, speech: &Path) -> Phone {
        Phone::start_answering(dir, registrar, user, password, speech, true)
    }

    /// A phone that answers at once (`answer`) or only rings.
    fn start_answering(dir: &Path, registrar: &str, user: &str, password: &str, speech: &Path, answer: bool) -> Phone {
        Phone::start_with(dir, registrar, user, password, speech, answer, "", "")
    }

    /// A phone with more lines for its `config` (`extra`) and more
    /// parameters for its account line (`account`: `;mediaenc=srtp-mand`).
    #[allow(clippy::too_many_arguments)]
    fn start_with(
        dir: &Path,
        registrar: &str,
        user: &str,
        password: &str,
        speech: &Path,
        answer: bool,
        extra: &str,
        account: &str,
    ) -> Phone {
        std::fs::create_dir_all(dir).unwrap();
        let port = free_phone_port();
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{port}\nnet_interface 127.0.0.1\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule_app account.so\n\
             audio_source aufile,{}\naudio_player aufile,{}\naudio_alert aufile,/dev/null\n",
            speech.display(),
            dir.join("heard.wav").display()
        ) + extra;
        std::fs::write(dir.join("config"), config).unwrap();
        std::fs::write(
            dir.join("accounts"),
            format!(
                "<sip:{user}@{registrar}>;auth_pass={password};answermode={};regint=300{account}\n",
                if answer { "auto" } else { "manual" }
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let child = Command::new(BARESIP)
            .arg("-f")
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Phone(child)
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn click_to_call_rings_the_staff_phone_then_the_number_and_records_both() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let ana = login(&http, &server, "op.ana").await;
    let sup = login(&http, &server, "sup.nina").await;

    // Before her phone registers, a call is refused with a clear reason.
    let call = |token: String, body: Value| {
        let (http, url) = (http.clone(), server.url("/api/v1/calls"));
        async move { http.post(url).bearer_auth(token).json(&body).send().await.unwrap() }
    };
    let early = call(ana.clone(), json!({"number": "sip:1@127.0.0.1:9"})).await;
    assert_eq!(early.status(), 409);
    assert_eq!(early.json::<Value>().await.unwrap()["error"]["code"], "phone_not_registered");

    // op.ana's desk phone (demo SIP user 203) registers and auto-answers.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/en/main-menu.wav");
    let _phone = Phone::start(&dir.path().join("phone"), &server.sip, "203", "demo", &speech);
    let mut registered = false;
    for _ in 0..100 {
        let accounts = get(&http, &server, &sup, "/api/v1/sip/accounts").await;
        let a = accounts.as_array().unwrap().iter().find(|a| a["username"] == "203").cloned().unwrap();
        if !a["registered"].as_array().unwrap().is_empty() {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(registered, "baresip registered: {}", std::fs::read_to_string(dir.path().join("phone/log")).unwrap());

    // Numbers need a trunk (none is configured); an operator cannot ring
    // someone else's phone.
    let no_trunk = call(ana.clone(), json!({"number": "061 555 777"})).await;
    assert_eq!(no_trunk.json::<Value>().await.unwrap()["error"]["code"], "no_route");
    let other = call(ana.clone(), json!({"number": "sip:1@127.0.0.1:9", "staff": "op.haris"})).await;
    assert_eq!(other.status(), 403);

    // The called party: SIPp answers, speaks, hangs up after four seconds.
    let far = free_udp_port();
    let work = dir.path().to_owned();
    let uas = std::thread::spawn(move || {
        let r = sipp_at(&work, &scenario("answer.xml"), far, &["-s", "38761555777"]);
        (r.status, r.out)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let placed = call(ana.clone(), json!({"number": format!("sip:38761555777@127.0.0.1:{far}")})).await;
    assert_eq!(placed.status(), 202);
    let id = placed.json::<Value>().await.unwrap()["interaction"].as_i64().unwrap();
    let (status, out) = tokio::task::spawn_blocking(move || uas.join().unwrap()).await.unwrap();
    assert!(status.success(), "the called party's SIPp: {out}");

    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!((i["direction"].as_str(), i["disposition"].as_str()), (Some("outbound"), Some("answered")), "{i}");
    assert_eq!((i["caller"].as_str(), i["handled_by"].as_str()), (Some("203"), Some("op.ana")));
    assert!(i["answered_at"].is_string(), "{i}");
    // The recording: the called party (SIPp's speech) left, op.ana (the
    // prompt her phone plays as its microphone) right, relayed through us.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(wav.status(), 200, "the caller who handled it may hear it");
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 3.0, "{seconds} s");
    assert!(left > 200.0 && right > 200.0, "both sides: {left} {right}");
    let log = server.stop().join("\n");
    assert!(log.contains("click-to-call ended end=Completed"), "{log}");
}

/// A demo client (code, phone) whose call for `intent` the order desk
/// sends to the operators.
async fn operators_client(http: &reqwest::Client, server: &Server, token: &str, intent: &str) -> (String, String) {
    let clients = get(http, server, token, "/api/v1/clients?limit=200").await;
    for c in clients.as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let card = get(http, server, token, &format!("/api/v1/clients/{code}")).await;
        let phone = card["phones"][0].as_str().unwrap_or_default().to_owned();
        let d: Value = http
            .post(server.url("/api/v1/routing/decide"))
            .bearer_auth(token)
            .json(&json!({"phone": phone, "intent": intent}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if d["rule"] == "operators" {
            return (code.to_owned(), phone);
        }
    }
    panic!("no demo client for the operators");
}

/// Waits until SIP user `user` shows as registered.
async fn until_registered(http: &reqwest::Client, server: &Server, token: &str, user: &str, log: &Path) {
    for _ in 0..100 {
        let accounts = get(http, server, token, "/api/v1/sip/accounts").await;
        let a = accounts.as_array().unwrap().iter().find(|a| a["username"] == user).cloned().unwrap();
        if !a["registered"].as_array().unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{user} did not register: {}", std::fs::read_to_string(log).unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordering_client_reaches_a_ready_operator_and_they_talk_recorded() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let ana = login(&http, &server, "op.ana").await;

    // op.ana's phone (203) registers; she is ready on her desk.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/en/main-menu.wav");
    let _phone = Phone::start(&dir.path().join("phone"), &server.sip, "203", "demo", &speech);
    until_registered(&http, &server, &sup, "203", &dir.path().join("phone/log")).await;
    ready(&http, &server, "op.ana").await;

    // The supervisor's wallboard listens to the event stream.
    let mut events = http.get(server.url("/api/v1/events")).bearer_auth(&sup).send().await.unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = seen.clone();
    let listening = tokio::spawn(async move {
        while let Ok(Some(chunk)) = events.chunk().await {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk));
        }
    });

    // A client who is not blocked and not a key client calls to order: the
    // order desk sends it to the operators.
    let (code, phone) = operators_client(&http, &server, &sup, "order").await;
    let work = dir.path().to_owned();
    let file = ivr_scenario_holding(&work, "1", 8000);
    caller(&server, file, phone.trim_start_matches('+')).await;

    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!(i["client"], json!(code));
    assert_eq!((i["routing_rule"].as_str(), i["intent"].as_str()), (Some("operators"), Some("order")));
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.ana")), "{i}");
    assert!(i["answered_at"].is_string());
    // The recording: the client left, op.ana right.
    let id = i["id"].as_i64().unwrap();
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(wav.status(), 200);
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 8.0, "{seconds} s");
    assert!(left > 200.0 && right > 200.0, "both sides: {left} {right}");
    // Its story: offered to op.ana, answered by her.
    let detail = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
    let story: Vec<(String, String)> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["staff"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(story, [("offered".to_owned(), "op.ana".to_owned()), ("answered".to_owned(), "op.ana".to_owned())]);
    // The queue counted it answered; op.ana is in wrap-up or free again.
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    assert_eq!(stats[0]["answered_today"], 1, "{stats}");
    let ana_row = stats[0]["agents"].as_array().unwrap().iter().find(|a| a["username"] == "op.ana").unwrap();
    assert_eq!(ana_row["handled_today"], 1, "{stats}");
    // The wallboard heard of the queue changing and of op.ana's states.
    let heard = seen.lock().unwrap().clone();
    assert!(heard.contains("event: queue_changed"), "{heard}");
    assert!(heard.contains("\"state\":\"on_contact\""), "{heard}");
    listening.abort();
    let _ = listening.await;
    // The interval statistics hold the call, from its story and op.ana's
    // states as stored: offered and answered in the operators' queue, her
    // talk and her time ready and talking (her states are written as the
    // ACD makes them: a moment after the call).
    let today = chrono::Utc::now().date_naive();
    let span = format!("from={}&to={}", today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let q = get(&http, &server, &sup, &format!("/api/v1/reports/queues?{span}&queue=operators")).await;
    let ops = q.as_array().unwrap().iter().find(|r| r["queue"] == "operators").unwrap().clone();
    assert_eq!(
        (ops["offered"].as_i64(), ops["answered"].as_i64(), ops["abandoned"].as_i64()),
        (Some(1), Some(1), Some(0)),
        "{q}"
    );
    assert!(ops["average_talk"].as_i64().unwrap() >= 7, "{ops}");
    let mut mine = Value::Null;
    for _ in 0..50 {
        let a = get(&http, &server, &ana, &format!("/api/v1/reports/agents?{span}")).await;
        mine = a[0].clone();
        if mine["talking"].as_i64().unwrap_or(0) >= 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        (mine["agent"].as_str(), mine["offered"].as_i64(), mine["answered"].as_i64()),
        (Some("op.ana"), Some(1), Some(1)),
        "{mine}"
    );
    assert!(mine["talking"].as_i64().unwrap() >= 7 && mine["ready"].as_i64().unwrap() >= 1, "{mine}");
    // What keeping them costs is timed (the first round ran at the start).
    let m = metrics(&http, &server).await;
    assert!(metric(&m, "centrala_statistics_keeping_seconds_total") > 0.0, "{m}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_tcp_walks_the_menu_too() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let file = ivr_scenario(dir.path(), "3");
    let r = sipp(&server.sip, &file, &["-t", "t1", "-s", "38733555000", "-key", "caller", "38762777888"], dir.path());
    assert!(r.status.success(), "SIPp over TCP: {}", r.out);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!(
        (i["caller"].as_str(), i["digits"].as_str(), i["intent"].as_str()),
        (Some("+38762777888"), Some("3"), Some("complaint")),
        "{i}"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_client_whose_manager_cannot_answer_reaches_another_key_account_manager() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let other = key_client_reaches(|chain| chain[1].clone()).await;
    assert!(other.starts_with("kam."), "{other}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_client_whom_no_key_account_manager_can_answer_reaches_the_head_of_wholesale() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let last = key_client_reaches(|chain| chain.last().unwrap().clone()).await;
    assert_eq!(last, "head.wholesale");
}

/// A key client calls to order (OD-4) while only the phone of the person
/// `pick` chooses from the decision's chain (manager, fallbacks) is
/// registered: everyone before them is skipped, they answer. Returns who.
async fn key_client_reaches(pick: impl Fn(&[String]) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;

    // A key client, and what the order desk decides for it (OD-4).
    let clients = get(&http, &server, &sup, "/api/v1/clients?limit=300").await;
    let mut found = None;
    for c in clients.as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let card = get(&http, &server, &sup, &format!("/api/v1/clients/{code}")).await;
        let phone = card["phones"][0].as_str().unwrap_or_default().to_owned();
        let d: Value = http
            .post(server.url("/api/v1/routing/decide"))
            .bearer_auth(&sup)
            .json(&json!({"phone": phone, "intent": "order"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if d["rule"] == "key_client" && d["target"]["kind"] == "staff" && d["fallback"][0]["kind"] == "staff" {
            found = Some((code.to_owned(), phone, d));
            break;
        }
    }
    let (code, phone, decision) = found.expect("a demo key client with a present manager and a fallback");
    let manager = decision["target"]["username"].as_str().unwrap().to_owned();
    let chain: Vec<String> = std::iter::once(&decision["target"])
        .chain(decision["fallback"].as_array().unwrap())
        .filter_map(|t| t["username"].as_str().map(str::to_owned))
        .collect();
    let other = pick(&chain);
    assert_ne!(manager, other);

    // Only the chosen person's phone is registered.
    let staff = get(&http, &server, &sup, "/api/v1/staff").await;
    let accounts = get(&http, &server, &sup, "/api/v1/sip/accounts").await;
    let sip_of = |username: &str| {
        let id = staff.as_array().unwrap().iter().find(|s| s["username"] == username).unwrap()["id"].clone();
        accounts.as_array().unwrap().iter().find(|a| a["staff_id"] == id).unwrap()["username"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let other_sip = sip_of(&other);
    // (baresip hangs up when its microphone file ends: a long one.)
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let _phone = Phone::start(&dir.path().join("phone"), &server.sip, &other_sip, "demo", &speech);
    until_registered(&http, &server, &sup, &other_sip, &dir.path().join("phone/log")).await;

    let work = dir.path().to_owned();
    let file = ivr_scenario_holding(&work, "1", 6000);
    caller(&server, file, phone.trim_start_matches('+')).await;

    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["client"].as_str(), i["routing_rule"].as_str()), (Some(code.as_str()), Some("key_client")), "{i}");
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some(other.as_str())), "{i}");
    let story: Vec<(String, String, String)> = i["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let f = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (f("kind"), f("staff"), f("detail"))
        })
        .collect();
    // Everyone else in the chain has no phone and is skipped (in order, when
    // the call is routed); the chosen one is offered the call and answers.
    let mut want: Vec<(String, String, String)> = chain
        .iter()
        .filter(|u| **u != other)
        .map(|u| ("skipped".to_owned(), u.clone(), "no phone registered".to_owned()))
        .collect();
    want.push(("offered".to_owned(), other.clone(), String::new()));
    want.push(("answered".to_owned(), other.clone(), String::new()));
    assert_eq!(want[0].1, manager, "the manager comes first");
    assert_eq!(story, want, "{i}");
    server.stop();
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_puts_the_caller_through_to_finance() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let ana = login(&http, &server, "op.ana").await;
    // op.ana (203) and fin.amra (216) have their phones; op.ana is ready.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let _ana_phone = Phone::start(&dir.path().join("ana"), &server.sip, "203", "demo", &speech);
    let _amra_phone = Phone::start(&dir.path().join("amra"), &server.sip, "216", "demo", &speech);
    until_registered(&http, &server, &sup, "203", &dir.path().join("ana/log")).await;
    until_registered(&http, &server, &sup, "216", &dir.path().join("amra/log")).await;
    ready(&http, &server, "op.ana").await;

    // A stranger asking for reference information reaches the operators
    // only after the heads (none registered: skipped).
    let work = dir.path().to_owned();
    let file = ivr_scenario_holding(&work, "2", 12000);
    let sip = server.sip.clone();
    let run =
        std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", "38761444555"], &work));

    // op.ana answers; she puts the caller through to finance.
    let id = handled_by(&http, &server, &sup, "op.ana", 100).await;
    assert!(id > 0, "op.ana took the call");
    let other = login(&http, &server, "op.haris").await;
    let refused = http
        .post(server.url(&format!("/api/v1/interactions/{id}/transfer")))
        .bearer_auth(&other)
        .json(&json!({"to": "finance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "not his call");
    // Before she tries, she sees who can take it: finance can (fin.amra's
    // phone is registered), the stranger has no manager, mgr.emir's phone
    // is not registered — and putting the caller through to him is refused
    // with that reason, the caller staying with her.
    let targets = get(&http, &server, &ana, &format!("/api/v1/interactions/{id}/transfer-targets")).await;
    let find = |to: &str| targets.as_array().unwrap().iter().find(|t| t["to"] == to).cloned().unwrap();
    assert_eq!(
        (find("finance")["reachable"].as_bool(), find("finance")["names"].clone()),
        (Some(true), json!(["Amra Finansić"]))
    );
    assert_eq!(find("manager")["why"], "nobody");
    assert_eq!(
        (find("mgr.emir")["reachable"].as_bool(), find("mgr.emir")["why"].as_str()),
        (Some(false), Some("no_phone"))
    );
    let r = http
        .post(server.url(&format!("/api/v1/interactions/{id}/transfer")))
        .bearer_auth(&ana)
        .json(&json!({"to": "mgr.emir"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "nobody_reachable");
    let t = http
        .post(server.url(&format!("/api/v1/interactions/{id}/transfer")))
        .bearer_auth(&ana)
        .json(&json!({"to": "finance"}))
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 202);
    assert_eq!(t.json::<Value>().await.unwrap()["ringing"], json!(["fin.amra"]));

    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    if !r.status.success() {
        panic!("SIPp: {}\nserver: {}", r.out, server.stop().join("\n"));
    }
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("fin.amra")), "{i}");
    let story: Vec<String> = i["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] != "skipped")
        .map(|e| {
            format!(
                "{} {} {}",
                e["kind"].as_str().unwrap(),
                e["staff"].as_str().unwrap_or("-"),
                e["detail"].as_str().unwrap()
            )
        })
        .map(|s| s.trim_end().to_owned())
        .collect();
    assert_eq!(
        story,
        [
            "offered op.ana",
            "answered op.ana",
            "transferred op.ana to fin.amra",
            "offered fin.amra",
            "answered fin.amra"
        ],
        "{i}"
    );
    // One recording for the whole call: the caller left, whoever talked right.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 12.0 && left > 200.0 && right > 200.0, "{seconds} s, {left}, {right}");
    server.stop();
}

/// The feature-code scenario for `code`, expecting `status` (200: answered
/// with a beep and hung up; anything else: refused).
fn feature_scenario(dir: &Path, code: &str, status: u16) -> PathBuf {
    let mut text = std::fs::read_to_string(scenario("feature.xml")).unwrap().replace("CODE", code);
    text = text.replace("RESPONSE", &status.to_string());
    if status != 200 {
        let start = text.find("<!-- ANSWERED -->").unwrap();
        let end = text.find("<!-- /ANSWERED -->").unwrap();
        text = format!("{}{}", &text[..start], &text[end..]);
    }
    let p = dir.join(format!("feature-{}-{status}.xml", code.trim_start_matches('*')));
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_sets_its_agent_ready_and_not_ready_with_feature_codes() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let ana = login(&http, &server, "op.ana").await;
    let state = |token: String| {
        let (http, url) = (http.clone(), server.url("/api/v1/agents/me/state"));
        async move {
            let v: Value = http.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
            v["state"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(state(ana.clone()).await, "offline");
    // Her phone is not registered: "ready" is refused, saying why (every
    // call would ring out otherwise).
    let put_ready = |token: String| {
        let (http, url) = (http.clone(), server.url("/api/v1/agents/me/state"));
        async move {
            let r = http.put(url).bearer_auth(token).json(&json!({"state": "ready"})).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = put_ready(ana.clone()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("phone_not_registered")), "{body}");
    assert_eq!(body["error"]["params"]["phone"], "203");
    assert_eq!(state(ana.clone()).await, "offline");
    let work = dir.path();
    let auth = ["-s", "203", "-au", "203", "-ap", "demo"];
    let r = sipp(&server.sip, &feature_scenario(work, "*1", 200), &auth, work);
    assert!(r.status.success(), "{}", r.out);
    assert_eq!(state(ana.clone()).await, "available");
    let r = sipp(&server.sip, &feature_scenario(work, "*2", 200), &auth, work);
    assert!(r.status.success(), "{}", r.out);
    assert_eq!(state(ana.clone()).await, "not_ready");
    // Registered now: the desk may make her ready too.
    let (status, body) = put_ready(ana.clone()).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("available")), "{body}");
    let r = sipp(&server.sip, &feature_scenario(work, "*2", 200), &auth, work);
    assert!(r.status.success(), "{}", r.out);
    // An unknown code is not found; nothing changes.
    let r = sipp(&server.sip, &feature_scenario(work, "*9", 404), &auth, work);
    assert!(r.status.success(), "{}", r.out);
    assert_eq!(state(ana.clone()).await, "not_ready");

    // From an address no phone registered from, a code is refused.
    let invite = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let (sock, port) = peer("127.0.0.1", 3);
    let msg = invite_to("*1", "203", port, "f9", invite);
    assert_eq!(exchange(&sock, &server.sip, &msg).as_deref(), Some("SIP/2.0 403 Forbidden"));
    assert_eq!(state(ana).await, "not_ready");
    server.stop();
}

fn invite_to(user: &str, from: &str, port: u16, call: &str, sdp: &str) -> String {
    format!(
        "INVITE sip:{user}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call}\r\n\
         From: <sip:{from}@127.0.0.1>;tag=t{call}\r\nTo: <sip:{user}@127.0.0.1>\r\nCall-ID: {call}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:{from}@127.0.0.1:{port}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_routing_rule_rings_the_person_the_order_desk_names() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // Phones for the heads, the managers present and finance (demo SIP
    // users follow the staff list: 209 head.north … 216 fin.amra).
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let mut phones = Vec::new();
    for user in ["209", "210", "211", "212", "214", "215", "216"] {
        let d = dir.path().join(format!("phone-{user}"));
        phones.push(Phone::start(&d, &server.sip, user, "demo", &speech));
        until_registered(&http, &server, &sup, user, &d.join("log")).await;
    }

    // One caller per rule, found through the API, and whom the order desk names.
    let decide = |phone: String, intent: &'static str| {
        let (http, url, sup) = (http.clone(), server.url("/api/v1/routing/decide"), sup.clone());
        async move {
            let d: Value = http
                .post(url)
                .bearer_auth(sup)
                .json(&json!({"phone": phone, "intent": intent}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            d
        }
    };
    let first_person = |d: &Value| -> String {
        match d["target"]["kind"].as_str().unwrap() {
            "staff" => d["target"]["username"].as_str().unwrap().to_owned(),
            "department_heads" => d["target"]["heads"][0].as_str().unwrap().to_owned(),
            "finance" => "fin.amra".to_owned(),
            other => panic!("{other} is not a person"),
        }
    };
    let mut cases: Vec<(&str, String, &str)> = vec![("new_client", "38761000999".to_owned(), "1")];
    let clients = get(&http, &server, &sup, "/api/v1/clients?limit=300").await;
    for (rule, digit, intent) in
        [("debt_blocked", "1", "order"), ("other_matter", "0", "other"), ("key_client", "1", "order")]
    {
        for c in clients.as_array().unwrap() {
            let card = get(&http, &server, &sup, &format!("/api/v1/clients/{}", c["code"].as_str().unwrap())).await;
            let phone = card["phones"][0].as_str().unwrap_or_default().to_owned();
            let d = decide(phone.clone(), intent).await;
            if d["rule"] == rule && d["target"]["kind"] != "operators" {
                let who = first_person(&d);
                // Only callers whose first person has a phone here (mgr.jasna is away).
                if ["head.north", "head.south", "head.wholesale", "mgr.emir", "kam.lejla", "kam.tarik", "fin.amra"]
                    .contains(&who.as_str())
                {
                    cases.push((rule, phone.trim_start_matches('+').to_owned(), digit));
                    break;
                }
            }
        }
    }
    assert_eq!(cases.len(), 4, "a caller for every rule: {cases:?}");

    for (rule, number, digit) in cases {
        let intent = if digit == "0" { "other" } else { "order" };
        let d = decide(format!("+{number}"), intent).await;
        assert_eq!(d["rule"], rule, "{d}");
        let expected = first_person(&d);
        let work = dir.path().to_owned();
        let file = ivr_scenario_holding(&work, digit, 6000);
        caller(&server, file, &number).await;
        let i = newest_ended_call(&http, &server, &sup, &format!("?phone=%2B{number}")).await;
        assert_eq!(i["routing_rule"], rule, "{i}");
        assert_eq!(
            (i["disposition"].as_str(), i["handled_by"].as_str()),
            (Some("answered"), Some(expected.as_str())),
            "{rule}: {i}"
        );
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_who_does_not_answer_goes_not_ready_and_the_next_one_rings() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // op.ana's phone rings but nobody picks up; op.haris answers.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let _ana = Phone::start_answering(&dir.path().join("ana"), &server.sip, "203", "demo", &speech, false);
    until_registered(&http, &server, &sup, "203", &dir.path().join("ana/log")).await;
    let _haris = Phone::start(&dir.path().join("haris"), &server.sip, "204", "demo", &speech);
    until_registered(&http, &server, &sup, "204", &dir.path().join("haris/log")).await;
    // op.ana becomes ready first: she has been idle the longest.
    for user in ["op.ana", "op.haris"] {
        ready(&http, &server, user).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A stranger asking for reference information: the heads have no
    // phones here, so the operators; op.ana rings out her 15 s.
    let work = dir.path().to_owned();
    let file = ivr_scenario_holding(&work, "2", 24000);
    caller(&server, file, "38761333222").await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.haris")), "{i}");
    let offered: Vec<&str> = i["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "offered")
        .map(|e| e["staff"].as_str().unwrap())
        .collect();
    assert_eq!(offered, ["op.ana", "op.haris"], "{i}");
    // The one who let it ring is not ready now, with the reason.
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    let ana = stats[0]["agents"].as_array().unwrap().iter().find(|a| a["username"] == "op.ana").unwrap().clone();
    assert_eq!(ana["state"], "not_ready", "{stats}");
    server.stop();
}

/// The caller waits in the queue (after `digit`) for `hold_ms`, presses
/// `second` (if any), and waits for us to hang up.
fn waiting_scenario(dir: &Path, digit: &str, hold_ms: u32, second: Option<&str>) -> PathBuf {
    let text = std::fs::read_to_string(scenario("ivr_wait.xml"))
        .unwrap()
        .replace("HOLD_MS", &hold_ms.to_string())
        .replace("DIGIT", digit);
    let text = match second {
        Some(d) => text.replace("SECOND", d),
        None => {
            let start = text.find("<!-- SECOND -->").unwrap();
            let end = text.find("<!-- /SECOND -->").unwrap();
            format!("{}{}", &text[..start], &text[end..])
        }
    };
    let p = dir.join(format!("wait-{digit}-{}.xml", second.unwrap_or("none")));
    std::fs::write(&p, text).unwrap();
    p
}

async fn put_settings(http: &reqwest::Client, server: &Server, token: &str, body: Value) {
    let r = http.put(server.url("/api/v1/queues/settings")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// The story of a call as (kind, staff, detail).
/// The story as lines ("kind staff detail"), without the skips and the
/// position announcements.
fn story_lines(i: &Value) -> Vec<String> {
    story_of(i)
        .into_iter()
        .filter(|(k, _, _)| k != "skipped" && k != "announced")
        .map(|(k, s, d)| format!("{k} {s} {d}").trim_end().to_owned())
        .collect()
}

fn story_of(i: &Value) -> Vec<(String, String, String)> {
    i["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (text("kind"), text("staff"), text("detail"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_waits_too_long_hears_the_overflow_message_and_is_let_go() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // Nobody is ready; the longest wait is 10 s, then a message.
    put_settings(
        &http,
        &server,
        &sup,
        json!({"max_wait_seconds": 10, "overflow": "message", "announce_every_seconds": 0}),
    )
    .await;
    let (code, phone) = operators_client(&http, &server, &sup, "order").await;
    let work = dir.path().to_owned();
    let file = waiting_scenario(&work, "1", 1000, None);
    caller(&server, file, phone.trim_start_matches('+')).await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["client"].as_str(), i["disposition"].as_str()), (Some(code.as_str()), Some("overflowed")), "{i}");
    assert!(i["handled_by"].is_null() && i["answered_at"].is_null(), "{i}");
    let kinds: Vec<String> = story_of(&i).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(kinds, ["overflowed"], "no announcements (turned off), nobody offered: {i}");
    // The queue counted it overflowed, not answered.
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    assert_eq!(
        (stats[0]["overflowed_today"].as_u64(), stats[0]["answered_today"].as_u64()),
        (Some(1), Some(0)),
        "{stats}"
    );
    let log = server.stop().join("\n");
    assert!(log.contains("disposition=\"overflowed\""), "{log}");
}

/// A recording is as long as its call when a leg stalls (issue 17, item
/// 2): the caller hangs up while op.ana's phone (SIPp) takes 3 s to answer
/// our BYE. The call ended when the caller hung up — its end in the
/// register and its recording's length — not when the slow phone let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_phone_letting_go_does_not_lengthen_the_recording() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let work = dir.path().to_owned();
    let phone = free_udp_port();
    sipp_phone(&server, &work, "203", phone).await;
    // answer.xml's phone, which waits for our BYE and answers it 3 s late.
    let text = std::fs::read_to_string(scenario("answer.xml")).unwrap();
    let (invite, rest) = (text.find("<recv request=\"INVITE\"").unwrap(), text.find("</recv>").unwrap() + 7);
    let pause = text.find("<pause milliseconds=\"4000\"/>").unwrap();
    let slow = format!(
        "{}<recv request=\"INVITE\" crlf=\"true\"/>{}<recv request=\"BYE\"/>\n  <pause milliseconds=\"3000\"/>\n  <send>\n    <![CDATA[\n      SIP/2.0 200 OK\n      [last_Via:]\n      [last_From:]\n      [last_To:]\n      [last_Call-ID:]\n      [last_CSeq:]\n      Content-Length: 0\n    ]]>\n  </send>\n</scenario>\n",
        &text[..invite],
        &text[rest..pause],
    );
    let file = work.join("slow-bye.xml");
    std::fs::write(&file, slow).unwrap();
    let w = work.clone();
    let agent = std::thread::spawn(move || {
        let r = sipp_within(&w, &file, phone, &[], "60s");
        (r, std::time::Instant::now())
    });
    ready(&http, &server, "op.ana").await;

    let started = std::time::Instant::now();
    let run = talking_caller(&http, &server, &sup, &work, 2, "40s").await;
    let caller = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    let (hung_up, caller_s) = (std::time::Instant::now(), started.elapsed().as_secs_f64());
    assert!(caller.status.success(), "caller: {}\nserver: {}", caller.out, server.log_so_far());
    let (agent, let_go) = tokio::task::spawn_blocking(move || agent.join().unwrap()).await.unwrap();
    assert!(agent.status.success(), "phone: {}\nserver: {}", agent.out, server.log_so_far());
    // The phone did stall: it let go of the call seconds after the caller.
    let stalled = let_go.duration_since(hung_up).as_secs_f64();
    assert!(stalled > 2.5, "the phone answered our BYE {stalled:.1} s after the caller hung up");

    let id = handled_by(&http, &server, &sup, "op.ana", 50).await;
    assert!(id > 0, "op.ana took the call: {}", server.log_so_far());
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!(i["disposition"], "answered", "{i}");
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let wav = wav.bytes().await.unwrap();
    let (agent_side, rate) = channel(&wav, 1);
    let length = agent_side.len() as f64 / f64::from(rate);
    let arrived = chrono::DateTime::parse_from_rfc3339(i["arrived_at"].as_str().unwrap()).unwrap();
    let ended = chrono::DateTime::parse_from_rfc3339(i["ended_at"].as_str().unwrap()).unwrap();
    let call = (ended - arrived).num_milliseconds() as f64 / 1000.0;
    assert!((length - call).abs() < 0.5, "recorded {length:.1} s of a {call:.1} s call");
    // Within what the caller lived (its whole run, setup included), not
    // that plus the phone's 3 s.
    assert!(
        length <= caller_s + 0.2 && length > caller_s - 2.0,
        "recorded {length:.1} s; the caller was on the line for at most {caller_s:.1} s"
    );
    server.stop();
}

/// A queued caller is always offered (issue 17, item 3): twelve callers
/// at once for two operators whose phones answer, talk a second and hang
/// up. Each caller waits its turn in the queue and is put through; none is
/// left waiting or let go, and both operators take calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queued_caller_is_offered_when_callers_outnumber_the_operators() {
    if !have_sipp() {
        return;
    }
    const CALLERS: usize = 12;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    put_settings(
        &http,
        &server,
        &sup,
        json!({"wrap_up_seconds": 0, "announce_every_seconds": 0, "max_wait_seconds": 300}),
    )
    .await;
    let work = dir.path().to_owned();
    // op.ana's (203) and op.haris's (204) phones register from one port,
    // where one SIPp then answers every call either gets.
    let phones = free_udp_port();
    for user in ["203", "204"] {
        sipp_phone(&server, &work, user, phones).await;
    }
    let answer = work.join("answer-1s.xml");
    let text = std::fs::read_to_string(scenario("answer.xml")).unwrap();
    assert!(text.contains("<pause milliseconds=\"4000\"/>"));
    std::fs::write(&answer, text.replace("<pause milliseconds=\"4000\"/>", "<pause milliseconds=\"1000\"/>")).unwrap();
    let (w, n) = (work.clone(), CALLERS.to_string());
    let agents = std::thread::spawn(move || sipp_within(&w, &answer, phones, &["-m", &n], "120s"));
    for user in ["op.ana", "op.haris"] {
        ready(&http, &server, user).await;
    }

    // The callers press 1 (to order) and wait until we hang up.
    let (_code, phone) = operators_client(&http, &server, &sup, "order").await;
    let file = waiting_scenario(&work, "1", 0, None);
    let (sip, w, n) = (server.sip.clone(), work.clone(), CALLERS.to_string());
    let callers = tokio::task::spawn_blocking(move || {
        let number = phone.trim_start_matches('+').to_owned();
        let args = [&sip, "-s", "38733555000", "-key", "caller", &number, "-m", &n, "-r", &n, "-l", &n];
        sipp_within(&w, &file, free_udp_port(), &args, "120s")
    })
    .await
    .unwrap();
    assert!(callers.status.success(), "callers: {}\nserver: {}", callers.out, server.log_so_far());
    let agents = tokio::task::spawn_blocking(move || agents.join().unwrap()).await.unwrap();
    assert!(agents.status.success(), "phones: {}", agents.out);

    let list = get(&http, &server, &sup, "/api/v1/interactions?limit=100").await;
    let ids: Vec<i64> = list.as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), CALLERS, "{list}");
    let mut handled = std::collections::BTreeMap::<String, usize>::new();
    for id in ids {
        let i = ended_call(&http, &server, &sup, id).await;
        assert_eq!(i["disposition"], "answered", "{i}");
        let by = i["handled_by"].as_str().unwrap().to_owned();
        let kinds: Vec<String> = story_of(&i).into_iter().filter(|(_, s, _)| *s == by).map(|(k, _, _)| k).collect();
        assert!(kinds.ends_with(&["offered".to_owned(), "answered".to_owned()]), "{i}");
        *handled.entry(by).or_default() += 1;
    }
    assert_eq!(handled.keys().map(String::as_str).collect::<Vec<_>>(), ["op.ana", "op.haris"], "{handled:?}");
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    assert_eq!(
        (stats[0]["answered_today"].as_u64(), stats[0]["abandoned_today"].as_u64()),
        (Some(CALLERS as u64), Some(0)),
        "{stats}"
    );
    server.stop();
}

/// A server whose numbers go out through a "trunk" (whatever answers on
/// the returned port plays the client), with the operator queue's
/// `settings`, and op.ana's phone registered but op.ana not ready yet. (The
/// phone speaks a long tone: baresip hangs up when its microphone file ends.)
async fn callback_world(dir: &Path, settings: Value) -> (Server, reqwest::Client, String, u16, Phone) {
    let far = free_udp_port();
    let trunk = format!("127.0.0.1:{far}");
    let server = Server::start_with(&dir.join("data"), true, &[("CENTRALA_SIP__TRUNK", trunk.as_str())]);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    put_settings(&http, &server, &sup, settings).await;
    let speech = dir.join("ana.wav");
    tone_wav(&speech, 600.0, 90);
    let phone = Phone::start(&dir.join("phone"), &server.sip, "203", "demo", &speech);
    until_registered(&http, &server, &sup, "203", &dir.join("phone/log")).await;
    (server, http, sup, far, phone)
}

/// Interaction `id` once its disposition is `want` (or as it is after 5 s).
async fn until_disposition(http: &reqwest::Client, server: &Server, token: &str, id: i64, want: &str) -> Value {
    let mut i = Value::Null;
    for _ in 0..50 {
        i = get(http, server, token, &format!("/api/v1/interactions/{id}")).await;
        if i["disposition"] == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_caller_hears_its_place_asks_for_a_callback_and_is_called_back_agent_first() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let settings = json!({"announce_every_seconds": 30, "callback_offer": true});
    let (server, http, sup, far, _phone) = callback_world(dir.path(), settings).await;

    // The client asks for information (2), waits, hears "you are number 1
    // …, press 1 to be called back" (5 s after "please wait"), presses 1,
    // and is let go.
    let (code, phone) = operators_client(&http, &server, &sup, "reference").await;
    let work = dir.path().to_owned();
    let file = waiting_scenario(&work, "2", 14000, Some("1"));
    caller(&server, file, phone.trim_start_matches('+')).await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    let id = i["id"].as_i64().unwrap();
    assert_eq!((i["client"].as_str(), i["disposition"].as_str()), (Some(code.as_str()), Some("callback")), "{i}");
    let story = story_of(&i);
    assert_eq!(story[0].0, "announced", "{i}");
    assert!(story[0].2.starts_with("position n1 wait-time") && story[0].2.ends_with("callback-offer"), "{i}");
    assert_eq!(story[1], ("callback_requested".to_owned(), String::new(), phone.clone()), "{i}");
    // It keeps its place in the queue: one waiting, as a callback. A caller
    // who comes later waits behind it.
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    assert_eq!(stats[0]["waiting"], 1, "{stats}");
    let work = dir.path().to_owned();
    let later_file = ivr_scenario_holding(&work, "1", 20000);
    let sip = server.sip.clone();
    let later = std::thread::spawn(move || {
        sipp(&sip, &later_file, &["-s", "38733555000", "-key", "caller", "38761777888"], &work)
    });
    for _ in 0..100 {
        if get(&http, &server, &sup, "/api/v1/queues/stats").await[0]["waiting"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The client's phone (SIPp behind the trunk) answers, speaks, hangs up.
    let work = dir.path().to_owned();
    let uas = std::thread::spawn(move || {
        let r = sipp_at(&work, &scenario("answer.xml"), far, &[]);
        (r.status, r.out)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // op.ana gets ready: her phone rings first (and answers), then the client.
    ready(&http, &server, "op.ana").await;
    let (status, out) = tokio::task::spawn_blocking(move || uas.join().unwrap()).await.unwrap();
    if !status.success() {
        panic!("the client's SIPp: {out}\nserver: {}", server.stop().join("\n"));
    }
    let i = until_disposition(&http, &server, &sup, id, "answered").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.ana")), "{i}");
    let kinds: Vec<(String, String)> = story_of(&i).into_iter().skip(2).map(|(k, s, _)| (k, s)).collect();
    let want = [("offered", "op.ana"), ("answered", "op.ana"), ("callback_reached", "")];
    assert_eq!(kinds, want.map(|(k, s)| (k.to_owned(), s.to_owned())), "{i}");
    // The callback is recorded: the client left, op.ana right.
    let ana = login(&http, &server, "op.ana").await;
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(wav.status(), 200);
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 3.0, "{seconds} s");
    assert!(left > 200.0 && right > 200.0, "both sides: {left} {right}");
    // Then op.ana takes the caller who came later.
    let r = tokio::task::spawn_blocking(move || later.join().unwrap()).await.unwrap();
    if !r.status.success() {
        panic!("the later caller's SIPp: {}\nserver: {}", r.out, server.stop().join("\n"));
    }
    let second = newest_ended_call(&http, &server, &sup, "?phone=%2B38761777888").await;
    assert_eq!((second["handled_by"].as_str(), second["disposition"].as_str()), (Some("op.ana"), Some("answered")));
    let callback_done = i["ended_at"].as_str().unwrap();
    assert!(second["answered_at"].as_str().unwrap() > callback_done, "the callback went first: {second} {i}");
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    assert_eq!((stats[0]["waiting"].as_u64(), stats[0]["answered_today"].as_u64()), (Some(0), Some(2)), "{stats}");
    let log = server.stop().join("\n");
    assert!(log.contains("callback ended reached=true"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_phone_puts_the_caller_through_by_refer() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // op.ana's phone (203) is SIPp: it registers from port `port`, then
    // answers there and transfers to 216, fin.amra's phone (baresip).
    let work = dir.path().to_owned();
    let port = free_udp_port();
    sipp_phone(&server, &work, "203", port).await;
    let sip = server.sip.clone();
    let text = std::fs::read_to_string(scenario("agent_refer.xml")).unwrap().replace("TARGET", "216");
    let agent_file = work.join("agent-refer.xml");
    std::fs::write(&agent_file, text).unwrap();
    let agent = std::thread::spawn({
        let work = work.clone();
        move || sipp_at(&work, &agent_file, port, &["-trace_err", "-s", "203"])
    });
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let _amra_phone = Phone::start(&dir.path().join("amra"), &server.sip, "216", "demo", &speech);
    until_registered(&http, &server, &sup, "216", &dir.path().join("amra/log")).await;
    ready(&http, &server, "op.ana").await;

    // A stranger asks for information; op.ana answers, then her phone
    // transfers the caller to 216; fin.amra answers; the caller hangs up.
    let file = ivr_scenario_holding(&work, "2", 14000);
    let run =
        std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", "38761444556"], &work));
    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    let a = tokio::task::spawn_blocking(move || agent.join().unwrap()).await.unwrap();
    if !r.status.success() || !a.status.success() {
        panic!("caller: {}\nagent: {}\nserver: {}", r.out, a.out, server.stop().join("\n"));
    }
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("fin.amra")), "{i}");
    let story = story_lines(&i);
    assert_eq!(
        story,
        [
            "offered op.ana",
            "answered op.ana",
            "transferred op.ana to fin.amra",
            "offered fin.amra",
            "answered fin.amra"
        ],
        "{i}"
    );
    let admin = login(&http, &server, "admin").await;
    let audit = get(&http, &server, &admin, "/api/v1/audit?limit=20").await.to_string();
    assert!(audit.contains("fin.amra (from the phone)"), "{audit}");
    let log = server.stop().join("\n");
    assert!(log.contains("transfer asked by the agent's phone"), "{log}");
}

/// An 8 kHz WAV of a `freq` Hz tone, `seconds` long (a phone's "voice" that
/// can be told apart from speech).
fn tone_wav(path: &Path, freq: f64, seconds: u32) {
    let spec =
        hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..8000 * seconds {
        let t = f64::from(i) / 8000.0;
        w.write_sample(((2.0 * std::f64::consts::PI * freq * t).sin() * 8000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// The samples of one channel of a WAV, and its sample rate.
fn channel(wav: &[u8], which: usize) -> (Vec<f64>, u32) {
    let mut r = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
    let spec = r.spec();
    let n = usize::from(spec.channels);
    let all: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    (all.iter().skip(which).step_by(n).map(|s| f64::from(*s)).collect(), spec.sample_rate)
}

/// The share of a signal's power at `freq` (Goertzel over 100 ms blocks),
/// and the root-mean-square of the rest.
fn tone_share(samples: &[f64], rate: u32, freq: f64) -> (f64, f64) {
    let n = (rate / 10) as usize;
    let k = (n as f64 * freq / f64::from(rate)).round();
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * k / n as f64).cos();
    let (mut tone, mut total) = (0.0, 0.0);
    for block in samples.chunks_exact(n) {
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in block {
            let s0 = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        tone += 2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n) as f64;
        total += block.iter().map(|x| x * x).sum::<f64>() / n as f64;
    }
    let share = if total > 0.0 { tone / total } else { 0.0 };
    let blocks = (samples.len() / n).max(1) as f64;
    (share, ((total - tone).max(0.0) / blocks).sqrt())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_listens_in_hearing_both_sides_unheard() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // op.ana's phone "speaks" a 600 Hz tone, sup.nina's a 1 kHz tone: the
    // caller speaks (SIPp's capture, played again and again).
    let _ana = toned_phone(&http, &server, &sup, &dir.path().join("ana"), "203", 600.0, "").await;
    let _nina = toned_phone(&http, &server, &sup, &dir.path().join("nina"), "202", 1000.0, RECORDING).await;
    ready(&http, &server, "op.ana").await;

    let run = talking_caller(&http, &server, &sup, dir.path(), 4, "40s").await;

    // Once op.ana talks, sup.nina listens in; an operator may not.
    let id = handled_by(&http, &server, &sup, "op.ana", 150).await;
    if id == 0 {
        let list = get(&http, &server, &sup, "/api/v1/interactions").await;
        let ana = std::fs::read_to_string(dir.path().join("ana/log")).unwrap_or_default();
        panic!("op.ana did not take the call: {list}\nphone: {ana}\nserver: {}", server.stop().join("\n"));
    }
    let listen = |user: &'static str| {
        let (http, url) = (http.clone(), server.url(&format!("/api/v1/interactions/{id}/listen")));
        let server = &server;
        async move {
            let token = login(&http, server, user).await;
            http.post(url).bearer_auth(token).send().await.unwrap()
        }
    };
    assert_eq!(listen("op.haris").await.status(), 403);
    let r = listen("sup.nina").await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["ringing"], "202");

    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    if !r.status.success() {
        panic!("SIPp: {}\nserver: {}", r.out, server.stop().join("\n"));
    }
    let i = ended_call(&http, &server, &sup, id).await;
    let story: Vec<(String, String)> = story_of(&i).into_iter().map(|(k, s, _)| (k, s)).collect();
    assert!(story.contains(&("listening".to_owned(), "sup.nina".to_owned())), "{i}");
    assert_eq!(i["handled_by"], "op.ana", "the listener does not take the call: {i}");
    // An ended call cannot be listened to.
    assert_eq!(listen("sup.nina").await.status(), 409);

    // sup.nina heard op.ana (600 Hz) and the caller (the rest).
    let heard = dump_of(&dir.path().join("nina"));
    let (samples, rate) = channel(&heard, 0);
    let (ana_share, rest) = tone_share(&samples, rate, 600.0);
    assert!(ana_share > 0.1 && rest > 150.0, "the listener heard: 600 Hz share {ana_share:.2}, the rest {rest:.0} rms");
    // Neither party heard sup.nina (1 kHz): not in the call's recording.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let wav = wav.bytes().await.unwrap();
    for side in [0, 1] {
        let (samples, rate) = channel(&wav, side);
        let (nina_share, _) = tone_share(&samples, rate, 1000.0);
        assert!(nina_share < 0.02, "side {side}: 1 kHz share {nina_share:.3}");
    }
    let (samples, rate) = channel(&wav, 1);
    assert!(tone_share(&samples, rate, 600.0).0 > 0.5, "the recording's agent side is op.ana's tone");
    let admin = login(&http, &server, "admin").await;
    let audit = get(&http, &server, &admin, "/api/v1/audit?limit=20").await.to_string();
    assert!(audit.contains("\"listen\""), "{audit}");
    server.stop();
}

/// The 1 kHz share of each second of `samples`, as 0/1: whether that
/// second carries the tone (a third or more of its power).
fn tone_seconds(samples: &[f64], rate: u32, freq: f64) -> Vec<bool> {
    seconds_with(samples, rate, freq, 0.3)
}

/// Per whole second of `samples`: whether `freq` carries more than `share`
/// of its power.
fn seconds_with(samples: &[f64], rate: u32, freq: f64, share: f64) -> Vec<bool> {
    samples
        .chunks(rate as usize)
        .filter(|c| c.len() == rate as usize)
        .map(|c| tone_share(c, rate, freq).0 > share)
        .collect()
}

/// CC-13's coaching: a supervisor listening in whispers to the operator —
/// the operator hears the supervisor's 1 kHz tone, the caller does not (it
/// is not on the recording's agent side, which is what the caller hears);
/// then joins the call — now the caller hears it too. Tones told apart by
/// Goertzel per second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_whispers_to_the_operator_then_joins_the_call() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let _ana = toned_phone(&http, &server, &sup, &dir.path().join("ana"), "203", 600.0, RECORDING).await;
    let _nina = toned_phone(&http, &server, &sup, &dir.path().join("nina"), "202", 1000.0, "").await;
    ready(&http, &server, "op.ana").await;

    let run = talking_caller(&http, &server, &sup, dir.path(), 6, "40s").await;
    let id = handled_by(&http, &server, &sup, "op.ana", 150).await;
    assert!(id > 0, "op.ana did not take the call: {}", server.log_so_far());
    let listen = |mode: &'static str| {
        let (http, sup) = (http.clone(), sup.clone());
        let url = server.url(&format!("/api/v1/interactions/{id}/listen?mode={mode}"));
        async move { http.post(url).bearer_auth(sup).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(listen("shout").await, 400, "an unknown mode is refused");
    assert_eq!(listen("whisper").await, 202);
    // Whispering once sup.nina's phone answered; 8 s of it, then she joins.
    let mut whispering = false;
    for _ in 0..100 {
        let i = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
        if story_of(&i).iter().any(|(k, s, _)| k == "whispering" && s == "sup.nina") {
            whispering = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(whispering, "sup.nina never whispered: {}", server.log_so_far());
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(listen("barge").await, 202, "the mode changes without a new ring");
    let barged_at = std::time::Instant::now();

    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}", r.out);
    let barged_for = barged_at.elapsed().as_secs_f64();
    let i = ended_call(&http, &server, &sup, id).await;
    let story: Vec<String> = story_of(&i).into_iter().filter(|(_, s, _)| s == "sup.nina").map(|(k, _, _)| k).collect();
    assert_eq!(story, ["listening", "whispering", "barged_in"], "{i}");

    // What the caller heard (the recording's agent side): sup.nina's tone
    // only once she joined — not in the 8 s of whispering before.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (samples, rate) = channel(&wav.bytes().await.unwrap(), 1);
    let caller_heard = tone_seconds(&samples, rate, 1000.0).iter().filter(|t| **t).count() as f64;
    assert!(
        caller_heard >= 2.0 && caller_heard <= barged_for + 1.0,
        "the caller heard 1 kHz for {caller_heard} s; sup.nina had joined for {barged_for:.1} s"
    );
    // What op.ana heard: sup.nina all along, whispering and joined.
    let (samples, rate) = channel(&dump_of(&dir.path().join("ana")), 0);
    let ana_heard = tone_seconds(&samples, rate, 1000.0).iter().filter(|t| **t).count() as f64;
    assert!(ana_heard >= caller_heard + 6.0, "op.ana heard 1 kHz for {ana_heard} s, the caller for {caller_heard} s");
    let admin = login(&http, &server, "admin").await;
    let audit = get(&http, &server, &admin, "/api/v1/audit?limit=20").await.to_string();
    assert!(audit.contains("\"whisper\"") && audit.contains("\"barge\""), "{audit}");
    server.stop();
}

/// What a phone's `*-dec.wav` dump says it heard, one sample per second:
/// whether `freq` carries at least `share` of that second's power.
fn heard_seconds(dir: &Path, freq: f64, share: f64) -> Vec<bool> {
    let dumps: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .collect();
    assert!(!dumps.is_empty(), "no dump in {}", dir.display());
    let mut out = Vec::new();
    for d in dumps {
        let (samples, rate) = channel(&std::fs::read(d).unwrap(), 0);
        out.extend(seconds_with(&samples, rate, freq, share));
    }
    out
}

fn count(seconds: &[bool]) -> usize {
    seconds.iter().filter(|t| **t).count()
}

/// OD-11, CC-13: a warm transfer from the desk. op.ana (600 Hz) consults
/// sup.nina (1 kHz) while the caller holds — the two hear each other, the
/// caller hears neither — and goes back to the caller; consults her again
/// and brings the caller in — a conference, where the caller hears both
/// tones — until sup.nina hangs up mid-conference: the caller and op.ana
/// talk on; consults her a third time and completes the transfer —
/// sup.nina takes the call on the leg she answered (her phone rings three
/// times in all, not a fourth). A consultation nobody can answer is refused
/// before the caller holds. Tones told apart per second by Goertzel, on
/// the recording (what the caller heard) and on each phone's own dump.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_transfer_consults_confers_and_hands_the_caller_over() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let _ana = toned_phone(&http, &server, &sup, &dir.path().join("ana"), "203", 600.0, RECORDING).await;
    // sup.nina's phone keeps what it hears and hangs up when told (ctrl_tcp).
    let ctrl = free_phone_port();
    let nina_dir = dir.path().join("nina");
    let extra = format!("{RECORDING}module_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\n");
    let _nina = toned_phone(&http, &server, &sup, &nina_dir, "202", 1000.0, &extra).await;
    ready(&http, &server, "op.ana").await;
    let ana = login(&http, &server, "op.ana").await;

    let run = talking_caller(&http, &server, &sup, dir.path(), 8, "60s").await;
    let id = handled_by(&http, &server, &sup, "op.ana", 150).await;
    assert!(id > 0, "op.ana took the call: {}", server.log_so_far());
    let control = |body: Value| {
        let (http, url, ana) = (http.clone(), server.url(&format!("/api/v1/interactions/{id}/control")), ana.clone());
        async move {
            let r = http.post(url).bearer_auth(ana).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let story_until = |kind: &'static str, n: usize| {
        let (http, server, sup) = (http.clone(), &server, sup.clone());
        async move {
            for _ in 0..100 {
                let i = get(&http, server, &sup, &format!("/api/v1/interactions/{id}")).await;
                if story_of(&i).iter().filter(|(k, _, _)| k == kind).count() >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("no {kind} in the story: {}", server.log_so_far());
        }
    };
    // Whom nobody can reach is refused before the caller holds; so is a
    // consultation without a target.
    let (status, body) = control(json!({"action": "consult", "to": "op.haris"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("nobody_reachable")), "{body}");
    assert_eq!(control(json!({"action": "consult"})).await.0, 422);

    tokio::time::sleep(Duration::from_secs(2)).await;
    // A consultation, and back to the caller.
    assert_eq!(control(json!({"action": "consult", "to": "sup.nina"})).await.0, 200);
    story_until("consulted", 1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(control(json!({"action": "end_consult"})).await.0, 200);
    story_until("consult_ended", 1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Again, a conference, and sup.nina hangs up in the middle of it.
    assert_eq!(control(json!({"action": "consult", "to": "sup.nina"})).await.0, 200);
    story_until("consulted", 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(control(json!({"action": "conference"})).await.0, 200);
    story_until("conference", 1).await;
    let conferred = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    baresip_command(ctrl, "hangup", "");
    let conference_s = conferred.elapsed().as_secs_f64();
    story_until("consult_ended", 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A third time, and op.ana hands the caller over.
    assert_eq!(control(json!({"action": "consult", "to": "sup.nina"})).await.0, 200);
    story_until("consulted", 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = http
        .post(server.url(&format!("/api/v1/interactions/{id}/transfer")))
        .bearer_auth(&ana)
        .json(&json!({"to": "sup.nina"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let handed = std::time::Instant::now();

    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}", r.out);
    let handed_s = handed.elapsed().as_secs_f64().ceil() as usize;
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!(i["handled_by"], "sup.nina", "the colleague took the call: {i}");
    let nina_story: Vec<String> =
        story_of(&i).into_iter().filter(|(_, s, _)| s == "sup.nina").map(|(k, _, _)| k).collect();
    let steps = ["consulted", "consult_ended", "consulted", "conference", "consult_ended", "consulted"];
    assert_eq!(nina_story, [&steps[..], &["offered", "answered"]].concat(), "{i}");
    let log = std::fs::read_to_string(nina_dir.join("log")).unwrap();
    let rung = log.matches("call: answering call").count();
    assert_eq!(rung, 3, "sup.nina's phone rang for the three consultations only: {log}");

    // The caller heard sup.nina only in the conference and after the
    // hand-over — never in the consultations, which it spent on hold.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (samples, rate) = channel(&wav.bytes().await.unwrap(), 1);
    let caller_nina = tone_seconds(&samples, rate, 1000.0);
    let caller_ana = tone_seconds(&samples, rate, 600.0);
    let conference_s = conference_s.round() as usize;
    // In the conference both tones share the caller's ear.
    let both: Vec<bool> = samples
        .chunks(rate as usize)
        .filter(|c| c.len() == rate as usize)
        .map(|c| tone_share(c, rate, 1000.0).0 > 0.15 && tone_share(c, rate, 600.0).0 > 0.15)
        .collect();
    assert!(
        count(&both) + 1 >= conference_s.saturating_sub(2) && count(&both) <= conference_s + 1,
        "the caller heard both for {} s; the conference lasted {conference_s} s",
        count(&both)
    );
    assert!(count(&caller_nina) >= 2, "the caller heard sup.nina alone after the hand-over: {caller_nina:?}");
    assert!(
        count(&caller_nina) <= conference_s + handed_s + 2,
        "the caller heard sup.nina for {} s, more than the conference ({conference_s} s) and after the hand-over \
         ({handed_s} s): the consultations were not on hold",
        count(&caller_nina)
    );
    // op.ana alone after sup.nina hung up: the other two talked on.
    assert!(count(&caller_ana) >= 6, "the caller heard op.ana: {caller_ana:?}");
    // sup.nina heard op.ana in the consultations and the conference; op.ana
    // heard sup.nina in the same.
    let nina_heard_ana = count(&heard_seconds(&nina_dir, 600.0, 0.15));
    let ana_heard_nina = count(&heard_seconds(&dir.path().join("ana"), 1000.0, 0.15));
    assert!(nina_heard_ana >= 9, "sup.nina heard op.ana for {nina_heard_ana} s");
    assert!(ana_heard_nina >= 9, "op.ana heard sup.nina for {ana_heard_nina} s");
    server.stop();
}

/// Record pause (issue 15, item 2): refused while the company does not
/// allow it; once an admin allows it, the recording is silence on both
/// channels between pause and resume — the caller's speech and the
/// agent's 600 Hz both before and after — the file as long as the call,
/// and the gap is in the interaction (`recording_gaps`) and its story.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_pauses_the_recording_for_a_sensitive_moment() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let _ana = toned_phone(&http, &server, &sup, &dir.path().join("ana"), "203", 600.0, "").await;
    ready(&http, &server, "op.ana").await;
    let ana = login(&http, &server, "op.ana").await;
    let admin = login(&http, &server, "admin").await;

    let run = talking_caller(&http, &server, &sup, dir.path(), 6, "40s").await;
    let id = handled_by(&http, &server, &sup, "op.ana", 150).await;
    assert!(id > 0, "op.ana took the call: {}", server.log_so_far());
    let answered = std::time::Instant::now();
    let control = |action: &'static str| {
        let (http, url, ana) = (http.clone(), server.url(&format!("/api/v1/interactions/{id}/control")), ana.clone());
        let server = &server;
        async move {
            let r = http
                .post(url)
                .bearer_auth(ana)
                .json(&json!({ "action": action }))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{action}: {e}\n{}", server.log_so_far()));
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = control("record_pause").await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("recording_pause_not_allowed")), "{body}");
    let r = http
        .put(server.url("/api/v1/recordings/retention"))
        .bearer_auth(&admin)
        .json(&json!({"days": 0, "pause_allowed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["pause_allowed"], true);

    let mut marks = Vec::new();
    for (when, action) in [(3.0, "record_pause"), (7.0, "record_resume"), (10.0, "hang_up")] {
        tokio::time::sleep_until(tokio::time::Instant::from_std(answered + Duration::from_secs_f64(when))).await;
        let (status, body) = control(action).await;
        assert_eq!(status, 200, "{action}: {body}");
        marks.push(answered.elapsed().as_secs_f64());
    }
    let _ = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    let i = ended_call(&http, &server, &sup, id).await;
    let story: Vec<String> =
        story_of(&i).into_iter().map(|(k, _, _)| k).filter(|k| k.starts_with("recording")).collect();
    assert_eq!(story, ["recording_paused", "recording_resumed"], "{i}");
    let gaps = i["recording_gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{i}");
    let (from, to) = (gaps[0]["from_s"].as_f64().unwrap(), gaps[0]["to_s"].as_f64().unwrap());
    assert!((to - from - (marks[1] - marks[0])).abs() < 0.5, "the gap lasts as the pause: {from}–{to}, {marks:?}");

    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let wav = wav.bytes().await.unwrap();
    let (caller_side, rate) = channel(&wav, 0);
    let (agent_side, _) = channel(&wav, 1);
    // The file is as long as the call: arrival to the hang-up.
    let length = agent_side.len() as f64 / f64::from(rate);
    let arrived = chrono::DateTime::parse_from_rfc3339(i["arrived_at"].as_str().unwrap()).unwrap();
    let ended = chrono::DateTime::parse_from_rfc3339(i["ended_at"].as_str().unwrap()).unwrap();
    let call = (ended - arrived).num_milliseconds() as f64 / 1000.0;
    assert!((length - call).abs() < 0.5, "recorded {length:.1} s of a {call:.1} s call");
    // In the gap (by the story's own times) both channels are silence;
    // before and after, op.ana's tone and the caller's speech are there.
    let inside = |side: &[f64]| rms(window(side, rate, from + 0.3, to - 0.3));
    assert!(inside(&agent_side) < 1.0 && inside(&caller_side) < 1.0, "the pause is silence on both channels");
    for (a, b) in [(from - 2.0, from - 0.3), (to + 0.3, to + 2.0)] {
        let (share, _) = tone_share(window(&agent_side, rate, a, b), rate, 600.0);
        assert!(share > 0.5, "{a:.1}–{b:.1} s: op.ana is recorded (600 Hz share {share:.2})");
        assert!(rms(window(&caller_side, rate, a, b)) > 100.0, "{a:.1}–{b:.1} s: the caller is recorded");
    }
    let audit = get(&http, &server, &admin, "/api/v1/audit?limit=30").await.to_string();
    assert!(audit.contains("\"record_pause\"") && audit.contains("recording_pause_allowed"), "{audit}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_clients_skip_the_menu_when_the_company_says_so() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let admin = login(&http, &server, "admin").await;
    // The default menu, with key clients let through.
    let mut menu = get(&http, &server, &admin, "/api/v1/ivr").await;
    let obj = menu.as_object_mut().unwrap();
    obj.remove("default");
    obj.insert("key_clients_skip_menu".into(), json!(true));
    let r = http.put(server.url("/api/v1/ivr")).bearer_auth(&admin).json(&menu).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // A key client calls and presses nothing; a stranger likewise.
    let clients = get(&http, &server, &sup, "/api/v1/clients?limit=300").await;
    let mut key = None;
    for c in clients.as_array().unwrap().iter().filter(|c| c["type"] == "key") {
        let card = get(&http, &server, &sup, &format!("/api/v1/clients/{}", c["code"].as_str().unwrap())).await;
        if let Some(phone) = card["phones"][0].as_str() {
            key = Some((c["code"].as_str().unwrap().to_owned(), phone.to_owned()));
            break;
        }
    }
    let (code, phone) = key.expect("a demo key client");
    for (number, who) in [(phone.trim_start_matches('+').to_owned(), "key"), ("38761000555".to_owned(), "stranger")] {
        let work = dir.path().to_owned();
        let file = ivr_scenario_holding(&work, "", 3000);
        caller(&server, file, &number).await;
        let i = newest_ended_call(&http, &server, &sup, &format!("?phone=%2B{number}")).await;
        if who == "key" {
            assert_eq!(i["client"], json!(code));
            // Routed at once as an order, to the manager's chain.
            assert_eq!(
                (i["ivr_path"].as_str(), i["intent"].as_str(), i["routing_rule"].as_str()),
                (Some("skipped (key client)"), Some("order"), Some("key_client")),
                "{i}"
            );
        } else {
            // Everyone else still hears the menu (and, pressing nothing,
            // is still in it when it hangs up).
            assert_eq!(i["routing_rule"], "", "{i}");
            assert_ne!(i["ivr_path"], "skipped (key client)", "{i}");
        }
    }
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_sent_to_a_named_queue_overflows_into_the_operators_and_is_answered() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let admin = login(&http, &server, "admin").await;
    // A complaints queue taken by the supervisor (who is not ready), whose
    // callers go on to the operators after 10 s; the menu's 3 sends there.
    let body = json!({"members": ["sup.nina"], "max_wait_seconds": 10, "overflow": {"queue": "operators"},
        "announce_every_seconds": 0});
    let r = http.put(server.url("/api/v1/queues/complaints")).bearer_auth(&sup).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mut menu = get(&http, &server, &admin, "/api/v1/ivr").await;
    menu.as_object_mut().unwrap().remove("default");
    menu["menus"][0]["options"]["3"] = json!({"queue": "complaints"});
    let r = http.put(server.url("/api/v1/ivr")).bearer_auth(&admin).json(&menu).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // op.ana's phone answers; she is ready.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/en/main-menu.wav");
    let _phone = Phone::start(&dir.path().join("phone"), &server.sip, "203", "demo", &speech);
    until_registered(&http, &server, &sup, "203", &dir.path().join("phone/log")).await;
    ready(&http, &server, "op.ana").await;

    // A caller presses 3 and waits.
    let work = dir.path().to_owned();
    let file = waiting_scenario(&work, "3", 1000, None);
    caller(&server, file, "38761444555").await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.ana")), "{i}");
    assert_eq!((i["digits"].as_str(), i["routing_rule"].as_str()), (Some("3"), Some("queue")), "{i}");
    let story = story_of(&i);
    let expected = [
        ("queued", "", "complaints"),
        ("overflowed", "", "operators"),
        ("offered", "op.ana", ""),
        ("answered", "op.ana", ""),
    ]
    .map(|(k, s, d)| (k.to_owned(), s.to_owned(), d.to_owned()));
    assert_eq!(story, expected, "{i}");
    // Each queue counted its part: the complaint overflowed, the operators
    // answered it.
    let stats = get(&http, &server, &sup, "/api/v1/queues/stats").await;
    let q = |name: &str| stats.as_array().unwrap().iter().find(|q| q["queue"] == name).unwrap().clone();
    assert_eq!(
        (q("complaints")["overflowed_today"].as_u64(), q("complaints")["answered_today"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(q("operators")["answered_today"], 1, "{stats}");
    let members: Vec<String> = q("complaints")["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap().to_owned())
        .collect();
    assert!(!members.iter().any(|m| m == "op.ana"), "{stats}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_whose_client_is_busy_tries_again_later_and_reaches_it() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Two tries, 10 s apart.
    let settings = json!({"announce_every_seconds": 30, "callback_attempts": 2, "callback_retry_seconds": 10});
    let (server, http, sup, far, _phone) = callback_world(dir.path(), settings).await;

    // A caller waits, is offered the callback, presses 1 and is let go.
    let work = dir.path().to_owned();
    let file = waiting_scenario(&work, "2", 7000, Some("1"));
    caller(&server, file, "38761222333").await;
    let id = newest_ended_call(&http, &server, &sup, "").await["id"].as_i64().unwrap();

    // The client is busy the first time, answers the second.
    let work = dir.path().to_owned();
    let uas = std::thread::spawn(move || {
        let busy = sipp_at(&work, &scenario("busy.xml"), far, &[]);
        let answered = sipp_at(&work, &scenario("answer.xml"), far, &[]);
        (busy.status.success() && answered.status.success(), format!("{}\n{}", busy.out, answered.out))
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    ready(&http, &server, "op.ana").await;
    let (ok, out) = tokio::task::spawn_blocking(move || uas.join().unwrap()).await.unwrap();
    if !ok {
        panic!("the client's SIPp: {out}\nserver: {}", server.stop().join("\n"));
    }
    let i = until_disposition(&http, &server, &sup, id, "answered").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.ana")), "{i}");
    // (A stranger: the heads, who have no phones here, were skipped first.)
    let story: Vec<_> = story_of(&i).into_iter().filter(|(k, _, _)| k != "skipped").collect();
    let kinds: Vec<&str> = story.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "announced",
            "callback_requested",
            "offered",
            "answered",
            "callback_retry",
            "offered",
            "answered",
            "callback_reached"
        ],
        "{i}"
    );
    let retry = &story[4].2;
    assert!(retry.starts_with("try 1 of 2") && retry.contains("486") && retry.ends_with("again in 10 s"), "{retry}");
    // The second try is the recording kept: the client left, op.ana right.
    assert!(i["recording"].as_str().unwrap_or_default().ends_with(&format!("{id}-callback-2.wav")), "{i}");
    server.stop();
}

/// P-Asserted-Identity names the caller only from a trusted peer: from
/// anyone else the caller is From and the interaction says "unverified"
/// (before: any sender could claim any client's number with the header).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p_asserted_identity_is_believed_only_from_trusted_peers() {
    if !have_sipp() {
        return;
    }
    let stranger = "38761999123";
    for trusted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let env: &[(&str, &str)] = if trusted { &[("CENTRALA_SIP__TRUSTED_PEERS", "[\"127.0.0.1\"]")] } else { &[] };
        let server = Server::start_with(&dir.path().join("data"), true, env);
        let http = reqwest::Client::new();
        let sup = login(&http, &server, "sup.nina").await;
        // A known client's number, claimed in the header.
        let clients = get(&http, &server, &sup, "/api/v1/clients?limit=50").await;
        let mut claimed = None;
        for c in clients.as_array().unwrap() {
            let card = get(&http, &server, &sup, &format!("/api/v1/clients/{}", c["code"].as_str().unwrap())).await;
            if let Some(p) = card["phones"][0].as_str() {
                claimed = Some((c["code"].as_str().unwrap().to_owned(), p.trim_start_matches('+').to_owned()));
                break;
            }
        }
        let (code, phone) = claimed.expect("a demo client with a phone");
        let text = std::fs::read_to_string(ivr_scenario(dir.path(), "")).unwrap().replacen(
            "      To: <sip:[service]@[remote_ip]:[remote_port]>\n",
            &format!("      To: <sip:[service]@[remote_ip]:[remote_port]>\n      P-Asserted-Identity: <sip:{phone}@127.0.0.1>\n"),
            1,
        );
        let file = dir.path().join("pai.xml");
        std::fs::write(&file, text).unwrap();
        caller(&server, file, stranger).await;
        let i = newest_ended_call(&http, &server, &sup, "").await;
        if trusted {
            assert_eq!(
                (i["caller"].as_str(), i["client"].as_str()),
                (Some(format!("+{phone}").as_str()), Some(code.as_str())),
                "{i}"
            );
            assert_eq!(i["identity"], "verified", "{i}");
        } else {
            assert_eq!(
                (i["caller"].as_str(), &i["client"]),
                (Some(format!("+{stranger}").as_str()), &Value::Null),
                "{i}"
            );
            assert_eq!(i["identity"], "unverified", "{i}");
        }
        let log = server.stop().join("\n");
        assert!(!log.contains("panicked"), "{log}");
    }
}

/// One RTP packet: PCMU silence, or an RFC 4733 end-of-event for `digit`.
fn rtp_packet(seq: u16, ts: u32, ssrc: u32, digit: Option<u8>) -> Vec<u8> {
    let mut p = vec![0x80, if digit.is_some() { 101 } else { 0 }];
    p.extend(seq.to_be_bytes());
    p.extend(ts.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    match digit {
        Some(d) => p.extend([d, 0x8A, 0x03, 0x20]),
        None => p.extend([0xFFu8; 160]),
    }
    p
}

/// Presses `digit` from `sock` (the three end packets of one tone) to `to`.
fn press(sock: &UdpSocket, to: SocketAddr, digit: u8, ts: u32, ssrc: u32) {
    for k in 0..3 {
        sock.send_to(&rtp_packet(1000 + k, ts, ssrc, Some(digit)), to).unwrap();
    }
}

/// Whether anything arrived on `sock` (it is left non-blocking).
fn got_any(sock: &UdpSocket) -> usize {
    sock.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 2048];
    std::iter::from_fn(|| sock.recv(&mut buf).ok()).count()
}

/// A stranger who finds a call's RTP port takes nothing and presses
/// nothing: the leg latches to the caller's media (from the SDP's host) and
/// drops the rest, counted in `/metrics`. Before: the leg answered to
/// whoever sent last, and a "3" from another port was taken as the
/// caller's menu choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_from_a_stranger_is_dropped_and_the_caller_keeps_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let (sip, port) = peer("127.0.0.1", 3);
    let phone = UdpSocket::bind("127.0.0.1:0").unwrap();
    // Another host (all of 127/8 is loopback), and the caller's own host
    // from another port.
    let stranger = UdpSocket::bind("127.0.0.2:0").unwrap();
    let neighbour = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 0 101\r\n\
         a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
        phone.local_addr().unwrap().port()
    );
    sip.send_to(invite(port, "latch1", &sdp).as_bytes(), server.sip.as_str()).unwrap();
    let mut buf = [0u8; 4096];
    let ok = loop {
        let n = sip.recv(&mut buf).expect("an answer to the INVITE");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("SIP/2.0 200") {
            break text;
        }
        assert!(text.starts_with("SIP/2.0 1"), "{text}");
    };
    let to = ok.lines().find(|l| l.starts_with("To:")).unwrap().to_owned();
    let media_port: u16 =
        ok.lines().find_map(|l| l.strip_prefix("m=audio ")).unwrap().split(' ').next().unwrap().parse().unwrap();
    let ours = SocketAddr::from(([127, 0, 0, 1], media_port));
    let in_dialog = |method: &str, cseq: u32| {
        format!(
            "{method} sip:38733555000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKl{cseq}\r\n\
             From: <sip:38761000001@127.0.0.1>;tag=tlatch1\r\n{to}\r\nCall-ID: latch1\r\nCSeq: {cseq} {method}\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
    };
    sip.send_to(in_dialog("ACK", 1).as_bytes(), server.sip.as_str()).unwrap();

    // Before the caller's media flows, a stranger presses 3 and sends audio.
    press(&stranger, ours, 3, 8000, 7);
    for k in 0..10 {
        stranger.send_to(&rtp_packet(k, u32::from(k) * 160, 7, None), ours).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The caller speaks (the leg latches to it), then someone on its host
    // but another port presses 3.
    for k in 0..25 {
        phone.send_to(&rtp_packet(k, u32::from(k) * 160, 1, None), ours).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    press(&neighbour, ours, 3, 16_000, 9);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The caller presses 2 (reference information).
    press(&phone, ours, 2, 24_000, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(got_any(&stranger), 0, "the stranger heard nothing");
    assert_eq!(got_any(&neighbour), 0, "nor did the other port");
    assert!(got_any(&phone) > 20, "the caller hears the call");
    assert_eq!(exchange(&sip, server.sip.as_str(), &in_dialog("BYE", 2)).as_deref(), Some("SIP/2.0 200 OK"));

    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["digits"].as_str(), i["intent"].as_str()), (Some("2"), Some("reference")), "{i}");
    let m = metrics(&http, &server).await;
    assert_eq!(metric(&m, "centrala_rtp_dropped_total"), 16.0, "13 from the stranger, 3 from the other port");
    let log = server.stop().join("\n");
    assert!(log.contains("RTP from a stranger dropped"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// The final answers to INVITEs sent from `sock`, by Call-ID, read until
/// `n` calls have one (provisional answers skipped, retransmissions merged).
fn finals(sock: &UdpSocket, n: usize) -> std::collections::HashMap<String, String> {
    let mut got = std::collections::HashMap::new();
    let mut buf = [0u8; 4096];
    while got.len() < n {
        let len = sock.recv(&mut buf).expect("every INVITE is answered");
        let text = String::from_utf8_lossy(&buf[..len]).into_owned();
        if text.starts_with("SIP/2.0 1") || !text.contains("CSeq: 1 INVITE") {
            continue;
        }
        let id = text.lines().find_map(|l| l.strip_prefix("Call-ID: ")).unwrap().trim().to_owned();
        got.entry(id).or_insert(text);
    }
    got
}

/// An in-dialog request (`ACK` or `BYE`) for a call `invite` started from
/// `port`, answered by `ok`.
fn in_dialog(method: &str, cseq: u32, port: u16, ip: &str, call: &str, ok: &str) -> String {
    let to = ok.lines().find(|l| l.starts_with("To:")).unwrap();
    format!(
        "{method} sip:38733555000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK{call}{cseq}\r\n\
         From: <sip:38761000001@127.0.0.1>;tag=t{call}\r\n{to}\r\nCall-ID: {call}\r\nCSeq: {cseq} {method}\r\n\
         Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

/// RFC 3264 §6, §8 and RFC 3261 §13.3.1 as phones, PBXs and carriers use
/// them: an offer with video beside its audio gets one answer line per
/// offer line (the video refused with port 0); a re-INVITE putting us on hold (sendonly) is answered recvonly
/// and we stop sending; one that resumes restores the media; an INVITE
/// without SDP gets our offer and its ACK the answer. Before: one m-line,
/// always sendrecv, every re-INVITE got 501 (rsipstack's answer when
/// nobody takes it) while we went on sending, and a delayed offer 488.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_with_video_holds_and_delayed_offers_are_answered_as_rfc_3264_says() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let to = server.sip.as_str();
    let (sip, port) = peer("127.0.0.1", 5);
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    rtp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let rtp_port = rtp.local_addr().unwrap().port();
    let sdp = |direction: &str| {
        format!(
            "v=0\r\no=- 7 {} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP 0\r\na={direction}\r\nm=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
            direction.len()
        )
    };
    // The final answer to the request with `cseq`.
    let answer_to = |cseq: u32| {
        let mut buf = [0u8; 4096];
        loop {
            let n = sip.recv(&mut buf).expect("an answer");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !text.starts_with("SIP/2.0 1") && text.contains(&format!("CSeq: {cseq} INVITE")) {
                return text;
            }
        }
    };
    // RTP packets that reach the caller in half a second.
    let heard = || {
        let mut buf = [0u8; 2048];
        // What was queued before: not counted.
        rtp.set_nonblocking(true).unwrap();
        while rtp.recv(&mut buf).is_ok() {}
        rtp.set_nonblocking(false).unwrap();
        let until = std::time::Instant::now() + Duration::from_millis(500);
        let mut n = 0;
        while std::time::Instant::now() < until {
            if rtp.recv(&mut buf).is_ok() {
                n += 1;
            }
        }
        n
    };
    let reinvite = |cseq: u32, ok: &str, body: &str| {
        in_dialog("INVITE", cseq, port, "127.0.0.1", "hold1", ok).replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Contact: <sip:x@127.0.0.1:{port}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
    };

    sip.send_to(invite(port, "hold1", &sdp("sendrecv")).as_bytes(), to).unwrap();
    let ok = answer_to(1);
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    let lines: Vec<&str> = ok.lines().filter(|l| l.starts_with("m=")).collect();
    assert_eq!(lines.len(), 2, "{ok}");
    assert!(
        lines[0].starts_with("m=audio ") && lines[0].ends_with(" RTP/AVP 0") && lines[1] == "m=video 0 RTP/AVP 96",
        "{ok}"
    );
    assert!(ok.contains("a=sendrecv"), "{ok}");
    sip.send_to(in_dialog("ACK", 1, port, "127.0.0.1", "hold1", &ok).as_bytes(), to).unwrap();
    assert!(heard() > 10, "the menu's prompt reaches the caller");

    // On hold: answered recvonly, in a new version, and silence on the wire.
    sip.send_to(reinvite(2, &ok, &sdp("sendonly")).as_bytes(), to).unwrap();
    let held = answer_to(2);
    assert!(held.starts_with("SIP/2.0 200") && held.contains("a=recvonly") && held.contains("m=video 0 "), "{held}");
    let version = |text: &str| {
        text.lines().find_map(|l| l.strip_prefix("o=centrala ")).unwrap().split(' ').nth(1).unwrap().to_owned()
    };
    assert_eq!((version(&ok), version(&held)), ("1".to_owned(), "2".to_owned()));
    sip.send_to(in_dialog("ACK", 2, port, "127.0.0.1", "hold1", &held).as_bytes(), to).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(heard(), 0, "nothing is sent to a caller who holds");

    // Resumed: sendrecv again, and the media with it.
    sip.send_to(reinvite(3, &ok, &sdp("sendrecv")).as_bytes(), to).unwrap();
    let resumed = answer_to(3);
    assert!(resumed.starts_with("SIP/2.0 200") && resumed.contains("a=sendrecv"), "{resumed}");
    assert_eq!(version(&resumed), "3");
    sip.send_to(in_dialog("ACK", 3, port, "127.0.0.1", "hold1", &resumed).as_bytes(), to).unwrap();
    assert!(heard() > 10, "the media is back");

    // A re-offer that would change the codec is refused; the call goes on.
    let pcma = sdp("sendrecv").replace("RTP/AVP 0\r\n", "RTP/AVP 8\r\n");
    sip.send_to(reinvite(4, &ok, &pcma).as_bytes(), to).unwrap();
    assert!(answer_to(4).starts_with("SIP/2.0 488"));
    assert!(heard() > 10, "still talking");
    sip.send_to(in_dialog("BYE", 5, port, "127.0.0.1", "hold1", &ok).as_bytes(), to).unwrap();

    // A delayed offer (an INVITE without SDP, RFC 3261 §13.3.1): our offer
    // comes in the 200, the answer in the ACK, and the media flows to it.
    // Before: 488.
    let bare = invite(port, "late1", "").replace("Content-Type: application/sdp\r\n", "");
    sip.send_to(bare.as_bytes(), to).unwrap();
    let offered = answer_to(1);
    assert!(offered.starts_with("SIP/2.0 200") && offered.contains("Call-ID: late1"), "{offered}");
    assert!(offered.contains(" RTP/AVP 0 8 101\r\n") && offered.contains("a=sendrecv"), "{offered}");
    let answer = format!(
        "v=0\r\no=- 9 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 8\r\n"
    );
    let ack = in_dialog("ACK", 1, port, "127.0.0.1", "late1", &offered).replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{answer}", answer.len()),
    );
    sip.send_to(ack.as_bytes(), to).unwrap();
    assert!(heard() > 10, "the menu reaches the caller who answered in the ACK");
    sip.send_to(in_dialog("BYE", 2, port, "127.0.0.1", "late1", &offered).as_bytes(), to).unwrap();
    let log = server.stop().join("\n");
    assert!(log.contains("the far end changed the call's direction held=true"), "{log}");
}

/// What a peer learns of us, and bodies as carriers send them: OPTIONS
/// lists Allow, Accept and Supported; a method we do not take gets 405
/// with Allow (RFC 3261 §21.4.6); an INVITE whose body is multipart/mixed
/// (ISUP beside SDP, RFC 5621) is answered from its SDP part; a body we do
/// not read gets 415 with Accept. Before: 405 without Allow, OPTIONS
/// without either, 488 for the multipart body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_learn_what_we_allow_and_multipart_bodies_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let to = server.sip.as_str();
    let (sock, port) = peer("127.0.0.1", 5);
    // The final answer to `msg`, whole.
    let ask = |msg: &str| {
        sock.send_to(msg.as_bytes(), to).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).expect("an answer");
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !text.starts_with("SIP/2.0 1") {
                return text;
            }
        }
    };
    let plain = |method: &str, call: &str| {
        invite(port, call, "")
            .replace("INVITE sip:", &format!("{method} sip:"))
            .replace("CSeq: 1 INVITE", &format!("CSeq: 1 {method}"))
            .replace("Content-Type: application/sdp\r\n", "")
    };
    let options = ask(&plain("OPTIONS", "o1"));
    assert!(options.starts_with("SIP/2.0 200"), "{options}");
    assert!(options.contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, UPDATE"), "{options}");
    assert!(options.contains("Accept: application/sdp") && options.contains("Supported:"), "{options}");
    for method in ["MESSAGE", "SUBSCRIBE", "PUBLISH"] {
        let refused = ask(&plain(method, &format!("m-{method}")));
        assert!(refused.starts_with("SIP/2.0 405") && refused.contains("Allow: INVITE,"), "{method}: {refused}");
    }
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
    let multipart = format!(
        "--unique-boundary-1\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--unique-boundary-1\r\n\
         Content-Type: application/isup;version=itu-t92+\r\nContent-Disposition: signal;handling=optional\r\n\r\n\
         \u{1}\u{0}\u{49}\r\n--unique-boundary-1--\r\n"
    );
    // (The message's own Content-Type, not the part's.)
    let sipi = invite(port, "isup1", &multipart).replacen(
        "Content-Type: application/sdp",
        "Content-Type: multipart/mixed;boundary=unique-boundary-1\r\nMIME-Version: 1.0",
        1,
    );
    let ok = ask(&sipi);
    assert!(ok.starts_with("SIP/2.0 200") && ok.contains(" RTP/AVP 8\r\n"), "{ok}");
    sock.send_to(in_dialog("ACK", 1, port, "127.0.0.1", "isup1", &ok).as_bytes(), to).unwrap();
    sock.send_to(in_dialog("BYE", 2, port, "127.0.0.1", "isup1", &ok).as_bytes(), to).unwrap();
    let text = invite(port, "txt1", "hello").replace("Content-Type: application/sdp", "Content-Type: text/plain");
    let refused = loop {
        let got = ask(&text);
        if got.contains("Call-ID: txt1") {
            break got;
        }
    };
    assert!(refused.starts_with("SIP/2.0 415") && refused.contains("Accept: application/sdp"), "{refused}");
    server.stop();
}

const LINPHONEC: &str = "/usr/bin/linphonec";

fn have_linphone() -> bool {
    let ok = Path::new(LINPHONEC).exists();
    if !ok {
        centrala_store::testing::tool_missing(&format!("{LINPHONEC} is not installed (apt-get install linphone-cli)"));
    }
    ok
}

/// A second, independent phone: Linphone's console client, answering every
/// call (`-a`), driven by commands on its standard input, playing files
/// instead of a sound card.
struct Linphone {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
}

impl Linphone {
    fn start(dir: &Path) -> Linphone {
        // Its database lives under HOME; without the folder the core never
        // starts.
        std::fs::create_dir_all(dir.join(".local/share/linphone")).unwrap();
        let (sip, rtp) = (free_phone_port(), free_phone_port());
        let rc = format!(
            "[sip]\nsip_port={sip}\nsip_tcp_port=0\nsip_tls_port=0\n[rtp]\naudio_rtp_port={rtp}\n\
             [sound]\necho_cancellation=0\n[video]\nenabled=0\nautomatically_initiate=0\n"
        );
        std::fs::write(dir.join("linphonerc"), rc).unwrap();
        let out = std::fs::File::create(dir.join("out")).unwrap();
        let mut child = Command::new(LINPHONEC)
            .arg("-c")
            .arg(dir.join("linphonerc"))
            .arg("-a")
            .env("HOME", dir)
            .stdin(std::process::Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut phone = Linphone { child, stdin };
        phone.say("soundcard use files");
        phone
    }

    fn say(&mut self, command: &str) {
        use std::io::Write;
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for Linphone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Interop with a second phone besides baresip (Linphone 5, belle-sip):
/// it registers, calls in (*1: ready), is rung for a queued caller and
/// answers, puts the call on hold and resumes it (re-INVITEs sendonly, then
/// sendrecv, answered recvonly, then sendrecv), and the call ends handled
/// by its agent. Before: the hold got 501 and the phone showed the call
/// as not paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphone_registers_calls_in_is_rung_holds_and_resumes() {
    if !have_sipp() || !have_linphone() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let haris = login(&http, &server, "op.haris").await;
    let state = || {
        let (http, url, token) = (http.clone(), server.url("/api/v1/agents/me/state"), haris.clone());
        async move {
            let v: Value = http.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
            v["state"].as_str().unwrap().to_owned()
        }
    };
    let until = |want: &'static str| async move {
        for _ in 0..100 {
            if state().await == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("op.haris never became {want}");
    };
    let phone_dir = dir.path().join("linphone");
    let mut phone = Linphone::start(&phone_dir);
    let sip = &server.sip;
    phone.say(&format!("register sip:204@{sip} sip:{sip} demo"));
    until_registered(&http, &server, &sup, "204", &phone_dir.join("out")).await;
    phone.say(&format!("call sip:*1@{sip}"));
    until("available").await;

    // A client calls to order; op.haris's Linphone rings and answers.
    let (_, client) = operators_client(&http, &server, &sup, "order").await;
    let work = dir.path().to_owned();
    let number = client.trim_start_matches('+').to_owned();
    let call = {
        let server_sip = server.sip.clone();
        let file = ivr_scenario_holding(&work, "1", 9000);
        std::thread::spawn(move || sipp(&server_sip, &file, &["-s", "38733555000", "-key", "caller", &number], &work))
    };
    until("on_contact").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    phone.say("pause");
    let log_has = |text: &'static str| {
        let server = &server;
        async move {
            for _ in 0..50 {
                if server.log_so_far().contains(text) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }
    };
    assert!(log_has("held=true").await, "{}", std::fs::read_to_string(phone_dir.join("out")).unwrap());
    // Linphone takes "resume" only once it counts the call as paused (our
    // 200 read): before, it says "There was a problem to resume" and the
    // call stays held — seen on a loaded machine.
    let mut paused = false;
    for _ in 0..50 {
        if std::fs::read_to_string(phone_dir.join("out")).unwrap_or_default().contains("is now paused") {
            paused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(paused, "{}", std::fs::read_to_string(phone_dir.join("out")).unwrap());
    phone.say("resume");
    assert!(log_has("held=false").await, "{}", std::fs::read_to_string(phone_dir.join("out")).unwrap());
    let r = tokio::task::spawn_blocking(move || call.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}", r.out);
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.haris")), "{i}");
    let log = server.stop().join("\n");
    assert!(!log.contains("a later offer refused"), "{log}");
}

/// An attended transfer from a desk phone (RFC 3891): op.haris (Linphone,
/// 204) answers a client, holds him, dials fin.amra's number (216, a
/// baresip phone "speaking" 600 Hz) — an internal call, rung and bridged
/// through us — talks to her, then transfers the client to the call with
/// her (REFER with Replaces). The client is put through to fin.amra, who is
/// on the line already: her phone rang once, for the consultation; the
/// story tells the hand-over; the one recording has her voice after it.
/// (Before: an INVITE from a staff phone to a colleague's number was taken
/// as a call from outside and refused.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_phone_consults_a_colleague_and_hands_the_caller_over_with_replaces() {
    if !have_sipp() || !have_baresip() || !have_linphone() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let amra_dir = dir.path().join("amra");
    let _amra = toned_phone(&http, &server, &sup, &amra_dir, "216", 600.0, "").await;
    let haris = login(&http, &server, "op.haris").await;
    let phone_dir = dir.path().join("linphone");
    let mut phone = Linphone::start(&phone_dir);
    let sip = server.sip.clone();
    phone.say(&format!("register sip:204@{sip} sip:{sip} demo"));
    until_registered(&http, &server, &sup, "204", &phone_dir.join("out")).await;
    phone.say(&format!("call sip:*1@{sip}"));
    for _ in 0..100 {
        let v: Value = get(&http, &server, &haris, "/api/v1/agents/me/state").await;
        if v["state"] == "available" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log_has = |text: &'static str| {
        let (server, phone_dir) = (&server, &phone_dir);
        async move {
            for _ in 0..100 {
                if server.log_so_far().contains(text) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let out = std::fs::read_to_string(phone_dir.join("out")).unwrap_or_default();
            panic!("never logged {text:?}: {}\nLinphone: {out}", server.log_so_far());
        }
    };

    // A client calls to order; Linphone answers by itself.
    let run = talking_caller(&http, &server, &sup, dir.path(), 6, "60s").await;
    let id = handled_by(&http, &server, &sup, "op.haris", 150).await;
    assert!(id > 0, "op.haris took the call: {}", server.log_so_far());
    tokio::time::sleep(Duration::from_secs(2)).await;
    // He holds the client and calls fin.amra.
    phone.say("pause");
    tokio::time::sleep(Duration::from_secs(1)).await;
    phone.say(&format!("call sip:216@{sip}"));
    log_has("internal call answered").await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Consulting is not transferring: the client is still op.haris's.
    let i = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
    assert_eq!(i["handled_by"], "op.haris", "{i}");

    // Linphone numbers its calls: 1 was *1, 2 the client, 3 fin.amra.
    phone.say("transfer 2 --to-call 3");
    log_has("the colleague takes the transferred caller").await;
    let handed = std::time::Instant::now();
    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}\nserver: {}", r.out, server.log_so_far());
    let handed_s = handed.elapsed().as_secs_f64();
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("fin.amra")), "{i}");
    let story = story_lines(&i);
    assert_eq!(
        story,
        [
            "offered op.haris",
            "answered op.haris",
            "transferred op.haris to fin.amra",
            "offered fin.amra",
            "answered fin.amra"
        ],
        "{i}"
    );
    let amra_log = std::fs::read_to_string(amra_dir.join("log")).unwrap();
    assert_eq!(amra_log.matches("call: answering call").count(), 1, "fin.amra's phone rang once: {amra_log}");
    // The client heard fin.amra from the hand-over to the end.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (samples, rate) = channel(&wav.bytes().await.unwrap(), 1);
    let heard_amra = count(&tone_seconds(&samples, rate, 600.0));
    assert!(
        heard_amra as f64 + 2.0 >= handed_s && heard_amra as f64 <= handed_s + 4.0,
        "the client heard fin.amra for {heard_amra} s; {handed_s:.1} s passed after the hand-over"
    );
    let log = server.stop().join("\n");
    assert!(log.contains("attended=true"), "{log}");
    let out = std::fs::read_to_string(phone_dir.join("out")).unwrap_or_default();
    assert!(!log.contains("names no consultation"), "{log}\n{out}");
}

/// Admission control: beyond the server's ceiling of calls at once
/// (`sip.max_calls`), a new call gets 503 with Retry-After and nothing is
/// registered, while the calls in progress keep their media; once one
/// ends, a new call comes in. Before: every INVITE was answered, however
/// full the server was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_ceiling_new_calls_get_503_and_calls_in_progress_keep_their_media() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), true, &[("CENTRALA_SIP__MAX_CALLS", "2")]);
    let to = server.sip.as_str();
    let (sip, port) = peer("127.0.0.1", 5);
    let legs: Vec<UdpSocket> = (0..4).map(|_| UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
    let sdp = |rtp: &UdpSocket| {
        let p = rtp.local_addr().unwrap().port();
        format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {p} RTP/AVP 0\r\n")
    };
    let call = |k: usize, id: &str| {
        sip.send_to(invite(port, id, &sdp(&legs[k])).as_bytes(), to).unwrap();
        finals(&sip, 1).remove(id).unwrap()
    };
    // RTP reaching a leg's socket in 300 ms.
    let heard = |rtp: &UdpSocket| {
        rtp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut buf = [0u8; 2048];
        let until = std::time::Instant::now() + Duration::from_millis(300);
        let mut n = 0;
        while std::time::Instant::now() < until {
            if rtp.recv(&mut buf).is_ok() {
                n += 1;
            }
        }
        n
    };
    let first = call(0, "full0");
    let second = call(1, "full1");
    assert!(first.starts_with("SIP/2.0 200") && second.starts_with("SIP/2.0 200"), "{first}\n{second}");
    for (k, ok) in [(0, &first), (1, &second)] {
        sip.send_to(in_dialog("ACK", 1, port, "127.0.0.1", &format!("full{k}"), ok).as_bytes(), to).unwrap();
    }
    let refused = call(2, "full2");
    assert!(refused.starts_with("SIP/2.0 503") && refused.contains("Retry-After: 5"), "{refused}");
    assert!(heard(&legs[0]) > 5 && heard(&legs[1]) > 5, "the calls in progress go on");
    // One ends; the next call comes in.
    sip.send_to(in_dialog("BYE", 2, port, "127.0.0.1", "full0", &first).as_bytes(), to).unwrap();
    // (Each try a new call: a repeated INVITE would be a retransmission.)
    let (mut again, mut id) = (String::new(), String::new());
    for attempt in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        id = format!("full3-{attempt}");
        again = call(3, &id);
        if again.starts_with("SIP/2.0 200") {
            break;
        }
    }
    assert!(again.starts_with("SIP/2.0 200"), "{again}");
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let m = metrics(&http, &server).await;
    assert!(metric(&m, "centrala_calls_refused_total{reason=\"ceiling\"}") >= 1.0, "{m}");
    assert_eq!(
        metric(&m, "centrala_calls_in_progress"),
        2.0,
        "the second call and the one let in after the first ended: {m}"
    );
    assert_eq!(metric(&m, "centrala_media_legs"), 2.0, "their two callers' legs (no agent answered): {m}");
    let calls = get(&http, &server, &sup, "/api/v1/interactions").await;
    assert_eq!(calls.as_array().unwrap().len(), 3, "the refused call was never registered: {calls}");
    for (call_id, ok) in [("full1", &second), (id.as_str(), &again)] {
        sip.send_to(in_dialog("BYE", 2, port, "127.0.0.1", call_id, ok).as_bytes(), to).unwrap();
    }
    let log = server.stop().join("\n");
    assert!(log.contains("the server is full: new calls get 503"), "{log}");
}

/// A trunk whose media must be encrypted (`sip.trunk_srtp_required`): a
/// plain offer from its address is refused (488), never answered in clear;
/// an SDES offer is answered RTP/SAVP under its tag with keys of ours.
/// Before: every SRTP offer got 488 and the rule did not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_that_requires_srtp_is_answered_encrypted_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("CENTRALA_SIP__TRUNK", "127.0.0.3:5060"), ("CENTRALA_SIP__TRUNK_SRTP_REQUIRED", "true")];
    let server = Server::start_with(&dir.path().join("data"), true, &env);
    let to = server.sip.as_str();
    let (trunk, port) = peer("127.0.0.3", 5);
    let key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    let plain = "v=0\r\no=- 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let sdes = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n\
         a=crypto:7 AES_CM_128_HMAC_SHA1_80 {key}\r\n"
    );
    let from_trunk = |call: &str, sdp: &str| {
        invite(port, call, sdp).replace("Via: SIP/2.0/UDP 127.0.0.1:", "Via: SIP/2.0/UDP 127.0.0.3:")
    };
    trunk.send_to(from_trunk("clear", plain).as_bytes(), to).unwrap();
    let refused = finals(&trunk, 1);
    assert!(refused["clear"].starts_with("SIP/2.0 488"), "{refused:?}");
    trunk.send_to(from_trunk("sealed", &sdes).as_bytes(), to).unwrap();
    let got = finals(&trunk, 1);
    let ok = &got["sealed"];
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    assert!(ok.contains(" RTP/SAVP 0"), "{ok}");
    let ours = ok.lines().find_map(|l| l.strip_prefix("a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:")).expect(ok);
    assert_eq!(ours.trim().len(), 40, "30 bytes of key and salt: {ours}");
    assert!(!ok.contains(key), "our own keys, never the trunk's back");
    trunk.send_to(in_dialog("ACK", 1, port, "127.0.0.3", "sealed", ok).as_bytes(), to).unwrap();
    trunk.send_to(in_dialog("BYE", 2, port, "127.0.0.3", "sealed", ok).as_bytes(), to).unwrap();
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let m = metrics(&http, &server).await;
    assert_eq!(metric(&m, "centrala_srtp_legs_total"), 1.0, "{m}");
    // The refused call failed; the encrypted one was taken.
    let calls = get(&http, &server, &sup, "/api/v1/interactions").await;
    assert_eq!(calls.as_array().unwrap().len(), 2, "{calls}");
    let log = server.stop().join("\n");
    assert!(log.contains("SRTP is required here"), "{log}");
}

/// A flood is refused before anything is registered: one address may start
/// `invite_burst` calls at once, then `invite_rate` a second (503 with
/// Retry-After beyond), and a company has at most `max_calls_per_company`
/// calls (486 beyond); trusted peers are not rate-limited. Before: 2,000
/// calls in 10 s from one address were all answered and recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_refused_and_a_company_has_at_most_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("CENTRALA_SIP__INVITE_RATE", "0.2"),
        ("CENTRALA_SIP__INVITE_BURST", "3"),
        ("CENTRALA_SIP__MAX_CALLS_PER_COMPANY", "2"),
        ("CENTRALA_SIP__TRUSTED_PEERS", "[\"127.0.0.3\"]"),
    ];
    let server = Server::start_with(&dir.path().join("data"), true, &env);
    let to = server.sip.as_str();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite_from = |ip: &str, port: u16, call: &str| {
        invite(port, call, sdp).replace("Via: SIP/2.0/UDP 127.0.0.1:", &format!("Via: SIP/2.0/UDP {ip}:"))
    };

    // Six calls at once from one untrusted address.
    let (flood, port) = peer("127.0.0.2", 5);
    for k in 0..6 {
        flood.send_to(invite_from("127.0.0.2", port, &format!("flood{k}")).as_bytes(), to).unwrap();
    }
    let answers = finals(&flood, 6);
    let status = |k: usize| answers[&format!("flood{k}")].lines().next().unwrap().to_owned();
    let mut codes: Vec<String> = (0..6).map(|k| status(k)[8..11].to_owned()).collect();
    codes.sort();
    assert_eq!(codes, ["200", "200", "486", "503", "503", "503"], "{answers:?}");
    for a in answers.values().filter(|a| a.starts_with("SIP/2.0 503")) {
        assert!(a.contains("Retry-After: 5"), "{a}");
    }
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let live = get(&http, &server, &sup, "/api/v1/interactions").await;
    assert_eq!(live.as_array().unwrap().len(), 2, "only the two calls taken are registered: {live}");
    // Hang up the two.
    for (id, ok) in answers.iter().filter(|(_, a)| a.starts_with("SIP/2.0 200")) {
        flood.send_to(in_dialog("ACK", 1, port, "127.0.0.2", id, ok).as_bytes(), to).unwrap();
        flood.send_to(in_dialog("BYE", 2, port, "127.0.0.2", id, ok).as_bytes(), to).unwrap();
    }
    // Still over its rate, the same address is refused at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    flood.send_to(invite_from("127.0.0.2", port, "flood6").as_bytes(), to).unwrap();
    let again = finals(&flood, 1);
    assert!(again.values().next().unwrap().starts_with("SIP/2.0 503"), "{again:?}");

    // A trusted peer (a trunk) starts more calls than the burst, one after
    // another: none is refused.
    let (trunk, tport) = peer("127.0.0.3", 5);
    for k in 0..5 {
        let call = format!("trunk{k}");
        trunk.send_to(invite_from("127.0.0.3", tport, &call).as_bytes(), to).unwrap();
        let got = finals(&trunk, 1);
        let ok = &got[&call];
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
        trunk.send_to(in_dialog("ACK", 1, tport, "127.0.0.3", &call, ok).as_bytes(), to).unwrap();
        trunk.send_to(in_dialog("BYE", 2, tport, "127.0.0.3", &call, ok).as_bytes(), to).unwrap();
        // The BYE's answer, before the next call.
        let mut buf = [0u8; 4096];
        loop {
            let n = trunk.recv(&mut buf).unwrap();
            let text = String::from_utf8_lossy(&buf[..n]);
            if text.starts_with("SIP/2.0 200") && text.contains("BYE") {
                break;
            }
        }
        // And the call over on the server too (its line given back when its
        // media and record are closed, just after the BYE's answer):
        // before, a loaded machine could still hold the last two.
        for _ in 0..100 {
            if metric(&metrics(&http, &server).await, "centrala_calls_in_progress") == 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let m = metrics(&http, &server).await;
    let refused = |reason: &str| metric(&m, &format!("centrala_calls_refused_total{{reason=\"{reason}\"}}"));
    assert_eq!((refused("rate_limit"), refused("company_cap")), (4.0, 1.0));
    let all = get(&http, &server, &sup, "/api/v1/interactions").await;
    assert_eq!(all.as_array().unwrap().len(), 7, "2 from the flood, 5 from the trunk: {all}");
    let log = server.stop().join("\n");
    assert!(log.contains("too many new calls from one address"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// Where SIP user `user` is registered now (its contacts), as an admin reads it.
async fn registered(http: &reqwest::Client, server: &Server, user: &str) -> Value {
    let admin = login(http, server, "admin").await;
    let accounts = get(http, server, &admin, "/api/v1/sip/accounts").await;
    accounts.as_array().unwrap().iter().find(|a| a["username"] == user).unwrap()["registered"].clone()
}

/// A restart is invisible to phones: a registration is kept (with its
/// expiry) and a phone registered before the restart rings after it,
/// without registering again. Before: after a restart no phone rang until
/// its next REGISTER, up to an hour later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_registered_before_a_restart_ring_after_it() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, true);
    let phone_port = free_udp_port();
    let work = dir.path().to_owned();
    sipp_phone(&server, &work, "203", phone_port).await;
    let http = reqwest::Client::new();
    let contact = format!("sip:203@127.0.0.1:{phone_port}");
    assert!(registered(&http, &server, "203").await.to_string().contains(&contact));
    server.stop();

    let server = Server::start(&data, true);
    let after = registered(&http, &server, "203").await;
    assert!(after.to_string().contains(&contact), "kept across the restart: {after}");
    // op.ana's phone (203) rings: the phone, still at its port, declines.
    let uas = std::thread::spawn(move || sipp_at(&work, &scenario("busy.xml"), phone_port, &["-s", "203"]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ana = login(&http, &server, "op.ana").await;
    let placed = http
        .post(server.url("/api/v1/calls"))
        .bearer_auth(&ana)
        .json(&json!({"number": "sip:38761555777@127.0.0.1:9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 202, "not refused as phone_not_registered");
    let rang = tokio::task::spawn_blocking(move || uas.join().unwrap()).await.unwrap();
    assert!(rang.status.success(), "the phone rang after the restart: {}", rang.out);
    let log = server.stop().join("\n");
    assert!(log.contains("phones' registrations restored"), "{log}");
}

/// A demo client op.ana may take an order for, with its authorized
/// receiver: (code, receiver).
async fn orderable_clients(http: &reqwest::Client, server: &Server, token: &str, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in get(http, server, token, "/api/v1/clients?limit=200").await.as_array().unwrap() {
        let card = get(http, server, token, &format!("/api/v1/clients/{}", c["code"].as_str().unwrap())).await;
        if card["key_client"] == true || card["new_client"] == true || card["blocked"] == true {
            continue;
        }
        let receiver = card["contacts"].as_array().unwrap().iter().find(|k| k["authorized_to_receive"] == true);
        if let Some(r) = receiver {
            out.push((card["code"].as_str().unwrap().to_owned(), r["name"].as_str().unwrap().to_owned()));
        }
        if out.len() == n {
            break;
        }
    }
    out
}

/// Opens, fills and confirms an order; the order's id once confirmed.
async fn confirm_order(http: &reqwest::Client, base: &str, token: &str, code: &str, receiver: &str) -> Option<i64> {
    let post = |path: String, body: Value| {
        let req = http.post(format!("{base}{path}")).bearer_auth(token).json(&body);
        async move { req.send().await.ok()?.json::<Value>().await.ok() }
    };
    let id = post("/api/v1/orders".into(), json!({"client": code})).await?["id"].as_i64()?;
    let products = http.get(format!("{base}/api/v1/products?limit=1")).bearer_auth(token).send().await.ok()?;
    let sku = products.json::<Value>().await.ok()?[0]["sku"].clone();
    post(format!("/api/v1/orders/{id}/lines"), json!({"sku": sku, "quantity": 3})).await?;
    let recos = http.get(format!("{base}/api/v1/orders/{id}/recommendations")).bearer_auth(token).send().await.ok()?;
    for r in recos.json::<Value>().await.ok()?.as_array()?.iter().take(3) {
        post(format!("/api/v1/orders/{id}/offers"), json!({"sku": r["sku"], "answer": "declined"})).await?;
    }
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let delivery = json!({"date": tomorrow, "window_from": "09:00", "window_to": "10:00", "receivers": [receiver],
        "payment_form": "transfer", "shipping_details": "by truck"});
    http.put(format!("{base}/api/v1/orders/{id}/delivery")).bearer_auth(token).json(&delivery).send().await.ok()?;
    let r = http.post(format!("{base}/api/v1/orders/{id}/confirm")).bearer_auth(token).send().await.ok()?;
    let ok = r.status() == 200;
    let body = r.json::<Value>().await.ok()?;
    (ok && body["status"] == "confirmed").then_some(id)
}

/// A crash loses nothing. The real binary, with calls in progress and an
/// order burst under way, is killed with SIGKILL and started again: every
/// order the API confirmed is there, every call that ended before the kill
/// is complete, and every call cut off is closed as interrupted with its
/// recording linked and playable. Before: cut-off calls stayed
/// "in progress" for ever and their recordings were never linked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_no_confirmed_order_and_closes_cut_off_calls_with_their_recordings() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, true);
    let http = reqwest::Client::new();
    let (ana, sup) = (login(&http, &server, "op.ana").await, login(&http, &server, "sup.nina").await);
    let clients = orderable_clients(&http, &server, &ana, 8).await;
    assert!(clients.len() >= 4, "{clients:?}");

    // Two calls that end before the crash, then three that wait on hold.
    for n in ["38762100001", "38762100002"] {
        caller(&server, ivr_scenario(dir.path(), ""), n).await;
    }
    let long = ivr_scenario_holding(dir.path(), "2", 60_000);
    for n in ["38762100003", "38762100004", "38762100005"] {
        let (sip, file, work, n) = (server.sip.clone(), long.clone(), dir.path().to_owned(), n.to_owned());
        // Cut off by the kill: their end is not waited for.
        std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", &n], &work));
    }
    let mut open = Vec::new();
    for _ in 0..100 {
        open = get(&http, &server, &sup, "/api/v1/interactions?outcome=in_progress").await.as_array().unwrap().clone();
        if open.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open.len(), 3, "{open:?}");
    // Long enough to record past a checkpoint.
    tokio::time::sleep(Duration::from_secs(6)).await;

    // An order burst, killed halfway.
    let confirmed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let burst = {
        let (http, base, ana, confirmed) = (http.clone(), server.url(""), ana.clone(), confirmed.clone());
        tokio::spawn(async move {
            for (code, receiver) in clients {
                match confirm_order(&http, &base, &ana, &code, &receiver).await {
                    Some(id) => confirmed.lock().unwrap().push(id),
                    None => break,
                }
            }
        })
    };
    for _ in 0..300 {
        if confirmed.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = server.kill().join("\n");
    burst.await.unwrap();
    let confirmed = confirmed.lock().unwrap().clone();
    assert!(confirmed.len() >= 2, "{confirmed:?}\n{before}");

    let server = Server::start(&data, true);
    let sup = login(&http, &server, "sup.nina").await;
    for id in &confirmed {
        let o = get(&http, &server, &sup, &format!("/api/v1/orders/{id}")).await;
        assert_eq!(o["status"], "confirmed", "order {id} survives: {o}");
        assert!(!o["lines"].as_array().unwrap().is_empty(), "{o}");
    }
    let all = get(&http, &server, &sup, "/api/v1/interactions").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(all.iter().all(|i| i["ended_at"].is_string()), "nothing stays in progress: {all:?}");
    for i in all {
        let id = i["id"].as_i64().unwrap();
        let cut = open.iter().any(|o| o["id"] == i["id"]);
        let want = if cut { "interrupted" } else { "abandoned" };
        assert_eq!(i["disposition"], want, "{i}");
        let wav = http
            .get(server.url(&format!("/api/v1/interactions/{id}/recording")))
            .bearer_auth(&sup)
            .send()
            .await
            .unwrap();
        assert_eq!(wav.status(), 200, "{i}");
        let (left, _, seconds) = channel_rms(&wav.bytes().await.unwrap());
        assert!(seconds > 2.0, "{seconds} s recorded for {i}");
        if cut {
            assert!(left > 100.0, "the caller's speech is in the recording: {left}");
            let one = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
            assert_eq!(one["events"].as_array().unwrap().last().unwrap()["kind"], "interrupted", "{one}");
        }
    }
    let log = server.stop().join("\n");
    assert!(log.contains("closed as interrupted"), "{log}");
}

/// A full disk loses nothing and lies about nothing. On a 64 MB disk of
/// its own (a tmpfs; needs root): below the recordings' floor a recording
/// under way stops (its file complete) and new calls are taken unrecorded,
/// so the database keeps room; when the disk is full, a call is refused
/// with 503 and nothing is registered, `/healthz` and `/metrics` say the
/// database does not take writes, and a change answers 503
/// `storage_full`; with room again, the next call gets the next id. Before:
/// a call on a full disk was answered as interaction 1 although nothing was
/// written, and the next call, later, really got id 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_calls_and_changes_and_recording_stops_at_its_floor() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let Some(disk) = Tmpfs::mount(&data, 64) else {
        centrala_store::testing::tool_missing("a tmpfs mount (the test must run as root)");
        return;
    };
    let server = Server::start_with(&data, true, &[("CENTRALA_RECORDINGS_MIN_FREE_MB", "16")]);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;

    // A call on hold for 12 s; 4 s in, the disk falls below the floor.
    let long = ivr_scenario_holding(dir.path(), "2", 12_000);
    let (sip, work) = (server.sip.clone(), dir.path().to_owned());
    let a =
        std::thread::spawn(move || sipp(&sip, &long, &["-s", "38733555000", "-key", "caller", "38762200001"], &work));
    tokio::time::sleep(Duration::from_secs(4)).await;
    disk.fill("filler-1", 8 * 1024 * 1024);
    let a = tokio::task::spawn_blocking(move || a.join().unwrap()).await.unwrap();
    assert!(a.status.success(), "the call went on: {}", a.out);
    let first = newest_ended_call(&http, &server, &sup, "").await;
    let wav = http
        .get(server.url(&format!("/api/v1/interactions/{}/recording", first["id"])))
        .bearer_auth(&sup)
        .send()
        .await
        .unwrap();
    assert_eq!(wav.status(), 200, "{first}");
    let (_, _, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!((3.0..12.0).contains(&seconds), "stopped within 5 s of the floor, complete: {seconds} s");
    // A new call is taken, and not recorded.
    caller(&server, ivr_scenario(dir.path(), ""), "38762200002").await;
    let second = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((second["disposition"].as_str(), &second["recording"]), (Some("abandoned"), &Value::Null), "{second}");
    let m = metrics(&http, &server).await;
    assert_eq!(metric(&m, "centrala_recordings_skipped_total"), 2.0, "one stopped, one not started");
    assert!(metric(&m, "centrala_recordings_free_bytes") < 16.0 * 1024.0 * 1024.0);

    // The disk is full.
    disk.fill("filler-2", 0);
    let (sock, port) = peer("127.0.0.1", 5);
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    assert_eq!(
        exchange(&sock, &server.sip, &invite(port, "full1", sdp)).as_deref(),
        Some("SIP/2.0 503 Service Unavailable"),
        "{}",
        server.log_so_far()
    );
    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    assert!(health.text().await.unwrap().contains("does not take writes"));
    let m = metrics(&http, &server).await;
    assert_eq!(metric(&m, "centrala_store_writable"), 0.0);
    let refused = http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"company": "demo", "username": "op.ana", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], "storage_full");
    let listed = get(&http, &server, &sup, "/api/v1/interactions").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "the refused call left nothing: {listed}");

    // Room again: the next call is the next id, alone on it.
    for f in ["filler-1", "filler-2"] {
        std::fs::remove_file(data.join(f)).unwrap();
    }
    assert_eq!(http.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    caller(&server, ivr_scenario(dir.path(), ""), "38762200003").await;
    let third = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((third["id"].as_i64(), third["caller"].as_str()), (Some(3), Some("+38762200003")), "{third}");
    let all = get(&http, &server, &sup, "/api/v1/interactions").await;
    let ids: Vec<i64> = all.as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3, 2, 1]);
    let log = server.stop().join("\n");
    assert!(log.contains("recording stopped"), "{log}");
    assert!(log.contains("not recording"), "{log}");
    drop(disk);
}

/// Runs `centrala --data DATA ARGS…` to its end: (success, what it printed).
async fn cli(data: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = common::centrala(data);
    cmd.args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// A backup taken while calls are recorded and orders confirmed restores
/// into an empty data folder and matches: every order confirmed before it
/// began is there and each restored order is as the original had it; each
/// finished call is as the original had it, with its recording; the calls
/// under way at the copy come back as interrupted with what was recorded.
/// A restore refuses a folder that is not empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_into_an_empty_folder_and_matches() {
    if !have_sipp() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, copy, data2) = (dir.path().join("data"), dir.path().join("backup"), dir.path().join("data2"));
    let server = Server::start(&data, true);
    let http = reqwest::Client::new();
    let (ana, sup) = (login(&http, &server, "op.ana").await, login(&http, &server, "sup.nina").await);
    let clients = orderable_clients(&http, &server, &ana, 8).await;
    let base = server.url("");
    let mut before = Vec::new();
    for (code, receiver) in &clients[..2] {
        before.push(confirm_order(&http, &base, &ana, code, receiver).await.expect("confirmed"));
    }
    for n in ["38762300001", "38762300002"] {
        caller(&server, ivr_scenario(dir.path(), ""), n).await;
    }

    // Under load: three calls on hold, recorded, and an order burst.
    let long = ivr_scenario_holding(dir.path(), "2", 12_000);
    let holders: Vec<_> = ["38762300003", "38762300004", "38762300005"]
        .iter()
        .map(|n| {
            let (sip, file, work, n) = (server.sip.clone(), long.clone(), dir.path().to_owned(), n.to_string());
            std::thread::spawn(move || sipp(&sip, &file, &["-s", "38733555000", "-key", "caller", &n], &work))
        })
        .collect();
    for _ in 0..100 {
        let open = get(&http, &server, &sup, "/api/v1/interactions?outcome=in_progress").await;
        if open.as_array().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Past their first checkpoint (5 s): what a copy can take of a call.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let burst = {
        let (http, base, ana, rest) = (http.clone(), base.clone(), ana.clone(), clients[2..].to_vec());
        tokio::spawn(async move {
            for (code, receiver) in rest {
                confirm_order(&http, &base, &ana, &code, &receiver).await;
            }
        })
    };
    let (ok, out) = cli(&data, &["backup", copy.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    assert!(out.contains("recordings"), "{out}");
    burst.await.unwrap();
    for h in holders {
        let r = tokio::task::spawn_blocking(move || h.join().unwrap()).await.unwrap();
        assert!(r.status.success(), "the calls went on during the backup: {}", r.out);
    }
    let (ok, out) = cli(&data, &["backup", copy.to_str().unwrap()]).await;
    assert!(!ok && out.contains("not empty"), "a backup never overwrites: {out}");

    // Restore into an empty folder; a second restore into it is refused.
    let (ok, out) = cli(&data2, &["restore", copy.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    let (ok, out) = cli(&data2, &["restore", copy.to_str().unwrap()]).await;
    assert!(!ok && out.contains("empty"), "{out}");

    let restored = Server::start(&data2, false);
    let sup2 = login(&http, &restored, "sup.nina").await;
    let orders2 = get(&http, &restored, &sup2, "/api/v1/orders?status=confirmed&limit=500").await;
    let ids2: Vec<i64> = orders2.as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
    for id in &before {
        assert!(ids2.contains(id), "order {id}, confirmed before the backup, is in it: {ids2:?}");
    }
    for id in &ids2 {
        let (a, b) = (
            get(&http, &server, &sup, &format!("/api/v1/orders/{id}")).await,
            get(&http, &restored, &sup2, &format!("/api/v1/orders/{id}")).await,
        );
        assert_eq!(a, b, "order {id} as the original has it");
    }
    let calls2 = get(&http, &restored, &sup2, "/api/v1/interactions").await;
    let calls2 = calls2.as_array().unwrap();
    assert_eq!(calls2.len(), 5, "{calls2:?}");
    for i in calls2 {
        let id = i["id"].as_i64().unwrap();
        let original = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
        assert_eq!(i["arrived_at"], original["arrived_at"]);
        if i["disposition"] == "interrupted" {
            assert_eq!(original["disposition"], "abandoned", "under way at the copy: {original}");
        } else {
            for k in ["disposition", "ended_at", "recording", "caller", "digits"] {
                assert_eq!(i[k], original[k], "{k} of {id}");
            }
        }
        let wav = http
            .get(restored.url(&format!("/api/v1/interactions/{id}/recording")))
            .bearer_auth(&sup2)
            .send()
            .await
            .unwrap();
        assert_eq!(wav.status(), 200, "{i}");
        let (_, _, seconds) = channel_rms(&wav.bytes().await.unwrap());
        assert!(seconds > 1.0, "{seconds} s for {i}");
    }
    assert_eq!(calls2.iter().filter(|i| i["disposition"] == "interrupted").count(), 3);
    restored.stop();
    server.stop();
}

/// SIP over TLS: an operator's phone (baresip) registers over TLS against a
/// certificate made in the test, and a caller's call is put through to it
/// down that TLS connection, answered, and talked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_over_tls_that_requires_srtp_talks_encrypted_both_ways() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    if !Path::new("/usr/bin/openssl").exists() {
        centrala_store::testing::tool_missing("openssl (apt-get install openssl)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    common::certificate(dir.path(), "sip");
    let tls_port = free_phone_port();
    let listen = format!("127.0.0.1:{tls_port}");
    let (cert, key) = (dir.path().join("sip.pem"), dir.path().join("sip.key"));
    let env = [
        ("CENTRALA_SIP__TLS_LISTEN", listen.as_str()),
        ("CENTRALA_SIP__TLS_CERT", cert.to_str().unwrap()),
        ("CENTRALA_SIP__TLS_KEY", key.to_str().unwrap()),
    ];
    let server = Server::start_with(&dir.path().join("data"), true, &env);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let admin = login(&http, &server, "admin").await;
    let ana = login(&http, &server, "op.ana").await;

    // The admin requires SRTP for op.ana's phone.
    let staff = get(&http, &server, &admin, "/api/v1/staff").await;
    let ana_id = staff.as_array().unwrap().iter().find(|s| s["username"] == "op.ana").unwrap()["id"].clone();
    let set = http
        .put(server.url(&format!("/api/v1/staff/{ana_id}/sip")))
        .bearer_auth(&admin)
        .json(&json!({"username": "203", "password": "encrypted-203", "srtp_required": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);

    // Her phone registers over TLS, trusting the test authority, and
    // takes SRTP only (baresip's `srtp-mand`: RTP/SAVP offers and answers,
    // nothing else); it dumps what it hears.
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/en/main-menu.wav");
    let phone_dir = dir.path().join("phone");
    let ctrl = free_phone_port();
    let extra = format!(
        "sip_cafile {}\nmodule srtp.so\nmodule sndfile.so\nsnd_path {}\nmodule_app menu.so\nmodule_app ctrl_tcp.so\n\
         ctrl_tcp_listen 127.0.0.1:{ctrl}\n",
        dir.path().join("ca.pem").display(),
        phone_dir.display()
    );
    let registrar = format!("{listen};transport=tls");
    let _phone =
        Phone::start_with(&phone_dir, &registrar, "203", "encrypted-203", &speech, true, &extra, ";mediaenc=srtp-mand");
    until_registered(&http, &server, &sup, "203", &phone_dir.join("log")).await;
    let accounts = get(&http, &server, &sup, "/api/v1/sip/accounts").await;
    let a = accounts.as_array().unwrap().iter().find(|a| a["username"] == "203").unwrap().clone();
    assert!(a["registered"].to_string().to_ascii_lowercase().contains("transport=tls"), "{a}");
    assert_eq!(a["srtp_required"], true, "{a}");

    // The phone calls us (*1: ready) offering SRTP; we answer with our keys
    // and it hears the confirmation beep, which only our encryption
    // could have brought it.
    let state = || {
        let (http, url, ana) = (http.clone(), server.url("/api/v1/agents/me/state"), ana.clone());
        async move {
            let v: Value = http.get(url).bearer_auth(ana).send().await.unwrap().json().await.unwrap();
            v["state"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(state().await, "offline");
    // (baresip completes the number to the account's registrar, over TLS.)
    baresip_command(ctrl, "dial", "*1");
    for _ in 0..100 {
        if state().await == "available" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state().await, "available", "{}", std::fs::read_to_string(phone_dir.join("log")).unwrap());
    let heard_beep = || {
        std::fs::read_dir(&phone_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .any(|p| {
                let (samples, rate) = channel(&std::fs::read(p).unwrap(), 0);
                tone_share(&samples, rate, 1000.0).0 > 0.3
            })
    };
    for _ in 0..50 {
        if heard_beep() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        heard_beep(),
        "the phone heard the beep through SRTP: {}",
        std::fs::read_to_string(phone_dir.join("log")).unwrap()
    );

    // A client calls to order (over UDP, plain); the operator's phone is
    // rung over TLS with an SRTP-only offer, answers, and the two talk.
    let (_, phone) = operators_client(&http, &server, &sup, "order").await;
    caller(&server, ivr_scenario_holding(dir.path(), "1", 6000), phone.trim_start_matches('+')).await;
    let i = newest_ended_call(&http, &server, &sup, "").await;
    assert_eq!((i["disposition"].as_str(), i["handled_by"].as_str()), (Some("answered"), Some("op.ana")), "{i}");
    // The recording's right side is op.ana's speech, which reached us
    // only encrypted: we decrypted it.
    let id = i["id"].as_i64().unwrap();
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (left, right, _) = channel_rms(&wav.bytes().await.unwrap());
    assert!(left > 200.0 && right > 200.0, "both sides: {left} {right}");
    let m = metrics(&http, &server).await;
    assert_eq!(metric(&m, "centrala_srtp_legs_total"), 2.0, "the feature call and the agent's leg: {m}");
    assert_eq!(metric(&m, "centrala_srtp_rejected_total"), 0.0);
    let log = server.stop().join("\n");
    assert!(log.contains("SIP over TLS listening"), "{log}");
}

/// Sends one command to a baresip's `ctrl_tcp` (a JSON netstring) and
/// waits for its response (events may come first).
fn baresip_command(port: u16, command: &str, params: &str) {
    use std::io::{Read, Write};
    let body = json!({"command": command, "params": params, "token": "t"}).to_string();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(format!("{}:{body},", body.len()).as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = String::new();
    let mut chunk = [0u8; 1024];
    while !got.contains("\"response\":true") {
        match s.read(&mut chunk) {
            Ok(n) if n > 0 => got.push_str(&String::from_utf8_lossy(&chunk[..n])),
            _ => break,
        }
    }
    let response = got.split("\"response\":true").nth(1).unwrap_or_default();
    assert!(response.contains("\"ok\":true"), "baresip refused {command} {params}: {got}");
}

/// Seconds `from`..`to` of a signal.
fn window(samples: &[f64], rate: u32, from: f64, to: f64) -> &[f64] {
    let at = |s: f64| ((s.max(0.0) * f64::from(rate)) as usize).min(samples.len());
    &samples[at(from)..at(to)]
}

fn rms(samples: &[f64]) -> f64 {
    (samples.iter().map(|x| x * x).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_holds_mutes_and_hangs_up_from_the_desk_whatever_the_phone() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    // op.ana's phone "speaks" a 600 Hz tone and keeps what it hears.
    let _ana = toned_phone(&http, &server, &sup, &dir.path().join("ana"), "203", 600.0, RECORDING).await;
    ready(&http, &server, "op.ana").await;
    let ana = login(&http, &server, "op.ana").await;

    // A client calls for an order and speaks for a long while.
    let run = talking_caller(&http, &server, &sup, dir.path(), 6, "40s").await;
    let id = handled_by(&http, &server, &sup, "op.ana", 150).await;
    assert!(id > 0, "op.ana took the call: {}", server.stop().join("\n"));
    let answered = std::time::Instant::now();
    let control = |token: String, action: &'static str| {
        let (http, url) = (http.clone(), server.url(&format!("/api/v1/interactions/{id}/control")));
        async move {
            let r = http.post(url).bearer_auth(token).json(&json!({ "action": action })).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // Only the agent on the call controls it; a wrong action is named.
    let haris = login(&http, &server, "op.haris").await;
    assert_eq!(control(haris, "hold").await.0, 404);
    let (status, body) = control(ana.clone(), "pause").await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("action")));

    // 2 s talking, 4 s on hold, 3 s talking, 4 s muted, 2 s talking, hang up.
    let at = |s: f64| answered + Duration::from_secs_f64(s);
    let mut marks = Vec::new();
    for (when, action) in [(2.0, "hold"), (6.0, "resume"), (9.0, "mute"), (13.0, "unmute"), (15.0, "hang_up")] {
        tokio::time::sleep_until(tokio::time::Instant::from_std(at(when))).await;
        let (status, body) = control(ana.clone(), action).await;
        assert_eq!(status, 200, "{action}: {body}");
        marks.push(answered.elapsed().as_secs_f64());
    }
    let hung_up = std::time::Instant::now();
    let i = ended_call(&http, &server, &sup, id).await;
    assert!(hung_up.elapsed() < Duration::from_secs(5), "the call ended at the hang-up");
    assert_eq!(i["disposition"], "answered", "{i}");
    // The caller got our BYE in the middle of its talking.
    let _ = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    // An ended call is controlled no more.
    assert_eq!(control(ana.clone(), "hold").await.0, 409);

    // What the caller heard of the agent is the recording's agent side: the
    // tone while talking, none of it on hold (the music instead) nor muted
    // (silence), the tone again after each.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let wav = wav.bytes().await.unwrap();
    let (agent_side, rate) = channel(&wav, 1);
    // The recording starts when the call arrived; the agent answered later.
    let arrived = chrono::DateTime::parse_from_rfc3339(i["arrived_at"].as_str().unwrap()).unwrap();
    let took = chrono::DateTime::parse_from_rfc3339(i["answered_at"].as_str().unwrap()).unwrap();
    let offset = (took - arrived).num_milliseconds() as f64 / 1000.0;
    let w = |a: f64, b: f64| window(&agent_side, rate, offset + a, offset + b);
    let (hold, resume, mute, unmute, end) = (marks[0], marks[1], marks[2], marks[3], marks[4]);
    let talking = [(0.5, hold - 0.5), (resume + 0.7, mute - 0.5), (unmute + 0.7, end - 0.5)];
    for (a, b) in talking {
        let (share, _) = tone_share(w(a, b), rate, 600.0);
        assert!(share > 0.5, "{a:.1}–{b:.1} s: the caller hears the agent (600 Hz share {share:.2})");
    }
    let (on_hold, _) = tone_share(w(hold + 0.7, resume - 0.5), rate, 600.0);
    assert!(on_hold < 0.05, "on hold the caller does not hear the agent (600 Hz share {on_hold:.3})");
    assert!(rms(w(hold + 0.7, resume - 0.5)) > 100.0, "on hold the caller hears the music");
    let muted = rms(w(mute + 0.7, unmute - 0.5));
    assert!(muted < 20.0, "muted, the caller hears nothing of the agent (rms {muted:.1})");

    // On hold the agent hears nothing of the caller; before and after, it does.
    let heard = dump_of(&dir.path().join("ana"));
    let (samples, rate) = channel(&heard, 0);
    let held = rms(window(&samples, rate, hold + 0.7, resume - 0.7));
    let talked = rms(window(&samples, rate, resume + 0.7, mute - 0.5));
    assert!(held < 20.0 && talked > 100.0, "the agent heard the caller: on hold rms {held:.1}, after {talked:.1}");
    // The desk's actions are in the audit log.
    let admin = login(&http, &server, "admin").await;
    let audit = get(&http, &server, &admin, "/api/v1/audit?limit=30").await.to_string();
    assert!(audit.contains("\"hold\"") && audit.contains("\"mute\"") && audit.contains("\"hang_up\""), "{audit}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_keypad_reaches_the_caller_as_telephone_events() {
    if !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let admin = login(&http, &server, "admin").await;
    // A short menu: one second to press, then an operator.
    let menu = json!({"start": "main", "menus": [{"id": "main", "prompt": "main-menu", "options": {"1": {"intent": "order"}},
        "timeout_seconds": 1, "retries": 0, "on_no_input": "operator"}]});
    let r = http.put(server.url("/api/v1/ivr")).bearer_auth(&admin).json(&menu).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let speech = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../call/prompts/bs/main-menu.wav");
    let _ana = Phone::start(&dir.path().join("ana"), &server.sip, "203", "demo", &speech);
    until_registered(&http, &server, &sup, "203", &dir.path().join("ana/log")).await;
    ready(&http, &server, "op.ana").await;
    let ana = login(&http, &server, "op.ana").await;

    // The caller: baresip, not registered anywhere, driven over ctrl_tcp
    // (not on its SIP port + 1: that is its TLS port); it speaks a long
    // tone (baresip hangs up when its file ends).
    let caller = dir.path().join("caller");
    let voice = dir.path().join("caller.wav");
    tone_wav(&voice, 440.0, 90);
    std::fs::create_dir_all(&caller).unwrap();
    let (port, ctrl) = (free_phone_port(), free_phone_port());
    std::fs::write(
        caller.join("config"),
        format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{port}\nnet_interface 127.0.0.1\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule_app account.so\n\
             module_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\n\
             audio_source aufile,{}\naudio_player aufile,{}\naudio_alert aufile,/dev/null\n",
            voice.display(),
            caller.join("heard.wav").display()
        ),
    )
    .unwrap();
    std::fs::write(caller.join("accounts"), format!("<sip:38761999888@127.0.0.1:{port}>;regint=0\n")).unwrap();
    let log = std::fs::File::create(caller.join("log")).unwrap();
    let child = Command::new(BARESIP)
        .arg("-f")
        .arg(&caller)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _caller = Phone(child);
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", ctrl)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    baresip_command(ctrl, "dial", &format!("sip:38733555000@{}", server.sip));

    // The menu lets it through to op.ana, whose phone answers.
    let mut id = None;
    for _ in 0..300 {
        let me = get(&http, &server, &ana, "/api/v1/agents/me/state").await;
        if me["contact"]["phase"] == "talking" {
            id = me["contact"]["interaction"].as_i64();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(id) = id else { panic!("op.ana never talked: {}", server.stop().join("\n")) };
    let keys = |body: Value| {
        let (http, url, ana) = (http.clone(), server.url(&format!("/api/v1/interactions/{id}/control")), ana.clone());
        async move { http.post(url).bearer_auth(ana).json(&body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(keys(json!({"action": "keys", "keys": "5x"})).await, 422, "only keypad keys");
    assert_eq!(keys(json!({"action": "keys", "keys": "5#"})).await, 200);

    // The caller's phone receives both keys as RFC 4733 events, each ended.
    let mut heard = String::new();
    for _ in 0..50 {
        heard = std::fs::read_to_string(caller.join("log")).unwrap_or_default();
        if heard.contains("received event: '#' (end=1)") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        heard.contains("received event: '5' (end=1)") && heard.contains("received event: '#' (end=1)"),
        "the caller's phone got no keys: {}",
        heard.lines().filter(|l| !l.contains("audio=")).collect::<Vec<_>>().join("\n")
    );
    let first_five = heard.find("received event: '5'").unwrap();
    assert!(first_five < heard.find("received event: '#'").unwrap(), "in the order pressed");
    server.stop();
}

/// A SIPp scenario of the called party (`answer.xml` talking `talk_ms`, or
/// `busy.xml`, or that refusing with `status`) that fails unless the
/// INVITE's From carries `number`.
fn far_end_checking_from(dir: &Path, refuse: Option<u16>, talk_ms: u32, number: &str) -> PathBuf {
    let check = format!(
        "<recv request=\"INVITE\" crlf=\"true\" rrs=\"true\">\n    <action>\n      <ereg regexp=\".*{number}.*\" search_in=\"hdr\" header=\"From:\" check_it=\"true\" assign_to=\"remote_from\"/>\n    </action>\n  </recv>"
    );
    let text = if let Some(status) = refuse {
        std::fs::read_to_string(scenario("busy.xml"))
            .unwrap()
            .replace("<recv request=\"INVITE\" crlf=\"true\"/>", &check)
            // (SIPp refuses a variable it sets and never reads.)
            .replace("      Content-Length: 0", "      Warning: 399 sipp \"[$remote_from]\"\n      Content-Length: 0")
            .replace("SIP/2.0 486 Busy Here", &format!("SIP/2.0 {status} Refused"))
    } else {
        let text = std::fs::read_to_string(scenario("answer.xml")).unwrap();
        let start = text.find("<recv request=\"INVITE\"").unwrap();
        let end = text.find("</recv>").unwrap() + "</recv>".len();
        format!("{}{}{}", &text[..start], check, &text[end..])
            .replace("<pause milliseconds=\"4000\"/>", &format!("<pause milliseconds=\"{talk_ms}\"/>"))
    };
    assert!(text.contains(number), "the From check is in");
    let file = dir.join(format!("far-{}-{talk_ms}.xml", refuse.unwrap_or(200)));
    std::fs::write(&file, text).unwrap();
    file
}

/// A called party whose phone rings and is never answered: 180, then the
/// CANCEL taken (200, then 487 to the INVITE — with the INVITE's CSeq, which
/// the scenario keeps, since `[last_CSeq:]` is the CANCEL's by then), and the
/// 487 acknowledged as RFC 3261 §17.1.1.3 says.
fn far_end_ringing(dir: &Path) -> PathBuf {
    let reply = |status: &str, tag: bool, cseq: &str| {
        format!(
            "  <send>\n    <![CDATA[\n      SIP/2.0 {status}\n      [last_Via:]\n      [last_From:]\n      [last_To:]{}\n      [last_Call-ID:]\n      {cseq}\n      Content-Length: 0\n    ]]>\n  </send>\n",
            if tag { ";tag=[pid]SIPpTag01[call_number]" } else { "" }
        )
    };
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE scenario SYSTEM \"sipp.dtd\">\n<scenario name=\"rings\">\n  <recv request=\"INVITE\" crlf=\"true\">\n    <action>\n      <ereg regexp=\"[0-9]+ INVITE\" search_in=\"hdr\" header=\"CSeq:\" check_it=\"true\" assign_to=\"invite_cseq\"/>\n    </action>\n  </recv>\n{}  <recv request=\"CANCEL\"/>\n{}{}  <recv request=\"ACK\"/>\n</scenario>\n",
        reply("180 Ringing", true, "[last_CSeq:]"),
        reply("200 OK", false, "[last_CSeq:]"),
        reply("487 Request Terminated", true, "CSeq: [$invite_cseq]"),
    );
    let file = dir.join("far-rings.xml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The interactions of campaign `id`, oldest first.
async fn campaign_calls(http: &reqwest::Client, server: &Server, token: &str, id: i64) -> Vec<Value> {
    let list = get(http, server, token, "/api/v1/interactions?limit=200").await;
    let mut calls: Vec<Value> = list.as_array().unwrap().iter().filter(|i| i["campaign"] == id).cloned().collect();
    calls.reverse();
    calls
}

/// Progressive dialling (CC-6, OD-17, CC-14), with SIPp as the far end of
/// the trunk and baresip as the operator's phone: the operator's phone
/// rings first, then the client, who sees the company's outbound number;
/// they talk, recorded. A caller who comes in meanwhile gets the operator
/// before the next campaign call. A busy client is retried after the
/// campaign's interval and reached then. A client on the do-not-call list
/// is never dialled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_progressive_campaign_rings_the_operator_then_the_client_inbound_first_and_busy_retried() {
    if !have_sipp() || !have_baresip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, http, sup, far, _phone) = callback_world(dir.path(), json!({"announce_every_seconds": 60})).await;
    let admin = login(&http, &server, "admin").await;
    let outbound = "+38733000200";
    let r = http
        .put(server.url(&format!("/api/v1/numbers/{}", outbound.replace('+', "%2B"))))
        .bearer_auth(&admin)
        .json(&json!({"purpose": "outbound"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Three clients with numbers: X is on the do-not-call list, Y answers,
    // Z is busy once. The caller who comes in is another client.
    let (inbound_code, inbound_phone) = operators_client(&http, &server, &sup, "reference").await;
    let mut picked: Vec<(String, String)> = Vec::new();
    for c in get(&http, &server, &sup, "/api/v1/clients?limit=200").await.as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        let card = get(&http, &server, &sup, &format!("/api/v1/clients/{code}")).await;
        let phone = card["phones"][0].as_str().unwrap_or_default();
        if !phone.is_empty() && code != inbound_code && phone != inbound_phone {
            picked.push((code.to_owned(), phone.to_owned()));
        }
        if picked.len() == 5 {
            break;
        }
    }
    let [(x, x_phone), (y, y_phone), (z, z_phone), (w, w_phone), (v, v_phone)] =
        <[(String, String); 5]>::try_from(picked).unwrap();
    let r = http
        .put(server.url(&format!("/api/v1/dnc/{}", x_phone.replace('+', "%2B"))))
        .bearer_auth(&sup)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let all_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let r = http
        .post(server.url("/api/v1/campaigns"))
        .bearer_auth(&sup)
        .json(&json!({
            "kind": "promotion", "name": "Zimska akcija", "script": "Ponudite zimski paket.",
            "agents": ["op.ana"], "mode": "progressive", "clients": [x, y, z, w, v],
            "hours": {"days": all_days, "from": "00:00", "to": "23:59"},
            "retry": {"interval_minutes": 1, "max_attempts": 3}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let camp: Value = r.json().await.unwrap();
    let id = camp["id"].as_i64().unwrap();

    // The trunk's far end: Y answers and talks 9 s, Z is busy, W's call
    // fails (503), V's phone rings and nobody answers, then (at its retry,
    // up to a minute later) Z answers.
    let work = dir.path().to_owned();
    let (answer_y, busy_z, fail_w, answer_z) = (
        far_end_checking_from(&work, None, 9000, "38733000200"),
        far_end_checking_from(&work, Some(486), 0, "38733000200"),
        far_end_checking_from(&work, Some(503), 0, "38733000200"),
        far_end_checking_from(&work, None, 3000, "38733000200"),
    );
    let rings_v = far_end_ringing(&work);
    let uas = std::thread::spawn(move || {
        let runs = [
            sipp_at(&work, &answer_y, far, &[]),
            sipp_at(&work, &busy_z, far, &[]),
            sipp_at(&work, &fail_w, far, &[]),
            sipp_at(&work, &rings_v, far, &[]),
            sipp_within(&work, &answer_z, far, &[], "100s"),
        ];
        (runs.iter().all(|r| r.status.success()), runs.map(|r| r.out).join("\n"))
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = http.post(server.url(&format!("/api/v1/campaigns/{id}/start"))).bearer_auth(&sup).send().await.unwrap();
    assert_eq!(r.status(), 200);
    ready(&http, &server, "op.ana").await;

    // Y is reached; while op.ana talks to Y, a caller comes in and waits.
    let mut talking = false;
    for _ in 0..200 {
        let calls = campaign_calls(&http, &server, &sup, id).await;
        if calls.first().is_some_and(|c| !c["answered_at"].is_null()) {
            talking = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(talking, "Y was not reached: {}", server.log_so_far());
    let work = dir.path().to_owned();
    let inbound_file = ivr_scenario_holding(&work, "2", 16000);
    caller(&server, inbound_file, inbound_phone.trim_start_matches('+')).await;
    let inbound =
        newest_ended_call(&http, &server, &sup, &format!("?phone={}", inbound_phone.replace('+', "%2B"))).await;

    let (ok, out) = tokio::task::spawn_blocking(move || uas.join().unwrap()).await.unwrap();
    if !ok {
        panic!("the trunk's SIPp: {out}\nserver: {}", server.stop().join("\n"));
    }
    // Every campaign call presented the company's number (SIPp checked
    // From), was op.ana's, and is registered with the campaign.
    // (W's and V's retries may be under way by now, to nobody: only the
    // first five calls are looked at.)
    let mut calls = Vec::new();
    for _ in 0..50 {
        calls = campaign_calls(&http, &server, &sup, id).await;
        calls.truncate(5);
        if calls.len() == 5 && calls.iter().all(|c| !c["ended_at"].is_null()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let summary: Vec<(String, String, String, String)> = calls
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("called"), s("disposition"), s("handled_by"), s("caller"))
        })
        .collect();
    // (An attempt that reached nobody was handled by nobody: its story
    // names the operator who was on it.)
    let want = [
        (&y_phone, "answered", "op.ana"),
        (&z_phone, "abandoned", ""),
        (&w_phone, "failed", ""),
        (&v_phone, "abandoned", ""),
        (&z_phone, "answered", "op.ana"),
    ]
    .map(|(p, d, by)| (p.clone(), d.to_owned(), by.to_owned(), outbound.to_owned()));
    assert_eq!(summary, want, "{calls:?}");
    assert!(calls.iter().all(|c| c["direction"] == "outbound" && c["client"].is_string()), "{calls:?}");
    assert!(!calls.iter().any(|c| c["called"] == x_phone.as_str()), "X is never dialled");
    let busy = ended_call(&http, &server, &sup, calls[1]["id"].as_i64().unwrap()).await;
    let story = story_of(&busy);
    assert!(story.contains(&("answered".into(), "op.ana".into(), "Zimska akcija".into())), "{busy}");
    assert!(story.iter().any(|(k, _, d)| k == "unreached" && d == "busy: 486"), "{busy}");
    let failed = ended_call(&http, &server, &sup, calls[2]["id"].as_i64().unwrap()).await;
    assert!(story_of(&failed).iter().any(|(k, _, d)| k == "unreached" && d == "failed: 503"), "{failed}");
    let rang = ended_call(&http, &server, &sup, calls[3]["id"].as_i64().unwrap()).await;
    assert!(story_of(&rang).iter().any(|(k, _, d)| k == "unreached" && d == "not_reached"), "{rang}");
    // The caller who came in got op.ana between Y and Z: inbound first.
    assert_eq!((inbound["handled_by"].as_str(), inbound["disposition"].as_str()), (Some("op.ana"), Some("answered")));
    let answered = inbound["answered_at"].as_str().unwrap();
    assert!(answered > calls[0]["ended_at"].as_str().unwrap(), "{inbound} after {}", calls[0]);
    assert!(answered < calls[1]["arrived_at"].as_str().unwrap(), "{inbound} before {}", calls[1]);
    // Y's call is recorded: the client left, op.ana right.
    let ana = login(&http, &server, "op.ana").await;
    let y_id = calls[0]["id"].as_i64().unwrap();
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{y_id}/recording"))).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(wav.status(), 200);
    let (left, right, seconds) = channel_rms(&wav.bytes().await.unwrap());
    assert!(seconds > 6.0 && left > 200.0 && right > 200.0, "{seconds} s, {left} {right}");

    // The targets: X closed unreached by the dialler, Y and Z op.ana's to
    // record a result on (Z after one busy attempt).
    let targets = get(&http, &server, &sup, &format!("/api/v1/campaigns/{id}/targets")).await;
    let t = |code: &str| targets.as_array().unwrap().iter().find(|t| t["client"] == code).unwrap().clone();
    assert_eq!(
        (t(&x)["state"].as_str(), t(&x)["outcome"].as_str(), t(&x)["attempts"].as_u64()),
        (Some("done"), Some("do_not_call"), Some(0))
    );
    assert_eq!((t(&y)["state"].as_str(), t(&y)["attempts"].as_u64()), (Some("calling"), Some(0)));
    assert_eq!(
        (t(&z)["state"].as_str(), t(&z)["outcome"].as_str(), t(&z)["attempts"].as_u64()),
        (Some("calling"), Some("busy"), Some(1))
    );
    assert!(t(&w)["attempts"].as_u64() >= Some(1), "W's failed call was an attempt: {}", t(&w));
    assert!(t(&v)["attempts"].as_u64() >= Some(1), "V's unanswered call was an attempt: {}", t(&v));
    // On op.ana's desk the campaign shows the target she holds; she
    // records Y's order result.
    let next = get(&http, &server, &ana, "/api/v1/campaigns/next").await;
    assert_eq!(
        (next["campaign"].as_i64(), next["script"].as_str()),
        (Some(id), Some("Ponudite zimski paket.")),
        "{next}"
    );
    let r = http
        .post(server.url(&format!("/api/v1/campaigns/{id}/targets/{y}/outcome")))
        .bearer_auth(&ana)
        .json(&json!({"result": "not_interested"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let log = server.stop().join("\n");
    assert!(log.matches("campaign call ended").count() >= 5, "{log}");
}

/// The browser switches of a softphone test: media devices faked, the
/// microphone a WAV file (looped), loopback allowed for WebRTC (our
/// server's only candidate here), sound played without a click.
fn softphone_switches(mic: &Path) -> Vec<String> {
    vec![
        "--use-fake-ui-for-media-stream".into(),
        "--use-fake-device-for-media-stream".into(),
        format!("--use-file-for-fake-audio-capture={}", mic.display()),
        "--allow-loopback-in-peer-connection".into(),
        "--autoplay-policy=no-user-gesture-required".into(),
    ]
}

/// Logs `user` in on the login page of a browser session.
async fn browser_login(c: &fantoccini::Client, server: &Server, user: &str) {
    use fantoccini::Locator;
    c.goto(&server.url("/login?lang=bs")).await.unwrap();
    c.find(Locator::Css("#company")).await.unwrap().send_keys("demo").await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("demo").await.unwrap();
    c.find(Locator::Css("#login-form button")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("#logout")).await.unwrap();
}

/// Runs `script` in the page until it returns `true` (at most 20 s).
async fn page_until(c: &fantoccini::Client, script: &str, what: &str) {
    for _ in 0..200 {
        if c.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = c.execute("return document.body.innerText", vec![]).await.unwrap_or_default();
    panic!("{what} did not happen; the page says: {page}");
}

/// CC-11: an operator at home with only a browser. With no phone of hers
/// registered, "ready" is refused, saying why; she turns the desk's
/// softphone on (a WebRTC connection to our relay: ICE-lite, DTLS-SRTP,
/// G.711), her phone now counts as registered, and "ready" is taken. A
/// SIPp caller is queued and rings her desk; she answers with a click.
/// The caller hears her microphone (a 1 kHz tone from a file, on the
/// recording's agent side, which is what the caller hears), the browser
/// receives the caller's speech (its WebRTC statistics), and the one
/// recording has both sides. When the caller hangs up the desk stops
/// talking, and the phone stays connected for the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_answers_a_caller_with_the_softphone_in_her_browser() {
    use fantoccini::Locator;
    if !have_sipp() || !chromium::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let mic = dir.path().join("mic.wav");
    tone_wav(&mic, 1000.0, 30);
    let (_driver, port) = chromium::start_driver().await;
    let c = chromium::browser_with(port, &dir.path().join("profile"), &softphone_switches(&mic)).await;
    browser_login(&c, &server, "op.ana").await;
    c.goto(&server.url("/desk")).await.unwrap();

    // No phone: "ready" is refused with the reason in her language.
    c.find(Locator::Css("#go-ready")).await.unwrap().click().await.unwrap();
    page_until(
        &c,
        "return document.querySelector('#call-msg').textContent.startsWith('Vaš telefon nije registrovan')",
        "the refusal in Bosnian",
    )
    .await;
    let me = get(&http, &server, &login(&http, &server, "op.ana").await, "/api/v1/agents/me/state").await;
    assert_ne!(me["state"], "available", "{me}");
    assert_eq!(me["phone"]["registered"], false, "{me}");

    // Bad input on the softphone's socket gets clear errors, in order: not
    // JSON; an offer with no codec of ours (the browser's own, Opus only);
    // an answer to a call that does not ring.
    let got = c
        .execute_async(
            r#"const done = arguments[0];
            const pc = new RTCPeerConnection();
            pc.addTransceiver("audio");
            pc.createOffer().then((o) => {
              const sdp = o.sdp.replace(/^(m=audio \d+ [A-Z/]+) .*$/m, "$1 111")
                .split("\r\n").filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):(?!111 )/.test(l)).join("\r\n");
              const ws = new WebSocket("ws://" + location.host + "/api/v1/softphone");
              const got = [];
              ws.onmessage = (e) => { got.push(JSON.parse(e.data)); if (got.length === 3) { ws.close(); done(got); } };
              ws.onopen = () => {
                ws.send("not json");
                ws.send(JSON.stringify({ type: "offer", sdp }));
                ws.send(JSON.stringify({ type: "answer", call: 999 }));
              };
              setTimeout(() => done(got), 10000);
            });"#,
            vec![],
        )
        .await
        .unwrap();
    let codes: Vec<&str> = got.as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap_or("")).collect();
    assert_eq!(codes, ["invalid_body", "no_common_codec", ""], "{got}");
    assert_eq!((got[2]["type"].as_str(), got[2]["call"].as_u64()), (Some("stopped"), Some(999)), "{got}");
    assert_eq!(
        get(&http, &server, &login(&http, &server, "op.ana").await, "/api/v1/agents/me/state").await["phone"]
            ["registered"],
        false
    );

    // The softphone on: connected, and her phone is registered.
    c.find(Locator::Css("#sp-toggle")).await.unwrap().click().await.unwrap();
    page_until(&c, "return document.querySelector('#sp-state').dataset.state === 'sp-on'", "the softphone connecting")
        .await;
    page_until(&c, "return document.querySelector('#my-phone').dataset.ok === 'true'", "the phone shown as registered")
        .await;
    c.find(Locator::Css("#go-ready")).await.unwrap().click().await.unwrap();
    let ana = login(&http, &server, "op.ana").await;
    for _ in 0..50 {
        if get(&http, &server, &ana, "/api/v1/agents/me/state").await["state"] == "available" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(get(&http, &server, &ana, "/api/v1/agents/me/state").await["state"], "available");

    // A caller: it rings the desk, she answers there.
    let run = talking_caller(&http, &server, &sup, dir.path(), 4, "60s").await;
    page_until(&c, "return !document.querySelector('#sp-ring').hidden", "the desk ringing").await;
    let ringing = c.find(Locator::Css("#sp-from")).await.unwrap().text().await.unwrap();
    assert!(ringing.starts_with("Dolazni poziv"), "{ringing}");
    c.find(Locator::Css("#sp-answer")).await.unwrap().click().await.unwrap();
    let id = handled_by(&http, &server, &sup, "op.ana", 100).await;
    assert!(id > 0, "op.ana did not take the call: {}", server.log_so_far());
    page_until(
        &c,
        "return document.querySelector('#call').dataset.state === 'call_answered'",
        "the call panel talking",
    )
    .await;
    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}", r.out);
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!(i["handled_by"], "op.ana", "{i}");

    // The browser heard the caller: packets and sound energy in.
    let stats = c
        .execute_async(
            "const done = arguments[0]; phone.pc.getStats().then((s) => { let r = null; \
             s.forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'audio') r = x; }); \
             done(r && { packets: r.packetsReceived, energy: r.totalAudioEnergy || 0 }); });",
            vec![],
        )
        .await
        .unwrap();
    assert!(stats["packets"].as_u64().unwrap_or(0) >= 300, "{stats}");
    assert!(stats["energy"].as_f64().unwrap_or(0.0) > 0.0, "{stats}");
    // The caller heard her microphone: 1 kHz on the agent side.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let wav = wav.bytes().await.unwrap();
    let (samples, rate) = channel(&wav, 1);
    let heard = count(&tone_seconds(&samples, rate, 1000.0));
    assert!(heard >= 8, "the caller heard 1 kHz for {heard} s of {} s", samples.len() / rate as usize);
    // And the caller's side of the same recording carries the speech, no tone.
    let (caller, _) = channel(&wav, 0);
    let (caller_rms, _, _) = channel_rms(&wav);
    assert!(caller_rms > 100.0, "the caller's side is silent: {caller_rms}");
    assert_eq!(count(&tone_seconds(&caller, rate, 1000.0)), 0, "the caller's side has the agent's tone");
    // The call is over on the desk; the phone stays for the next one.
    page_until(&c, "return document.querySelector('#call').dataset.state === 'ended'", "the call panel ended").await;
    let state = c.execute("return document.querySelector('#sp-state').dataset.state", vec![]).await.unwrap();
    assert_eq!(state, "sp-on");
    assert_eq!(get(&http, &server, &ana, "/api/v1/agents/me/state").await["phone"]["registered"], true);
    c.close().await.unwrap();
    server.stop();
}

/// CC-11's bad network: an operator answers on the desk's softphone and
/// reloads the page mid-call — the caller holds with music, her desk
/// connects its phone again, the call rings it within the grace time
/// (here 6 s, `sip.lost_agent_grace_s`) and she is back with the caller.
/// Then her browser's connection goes and she does not answer again: after
/// the grace time the caller goes back to the queue at its old place and
/// is put through to the next operator (op.haris, a SIP phone with a 600 Hz
/// voice); op.ana is "not ready (connection lost)", her desk's phone
/// reconnected by itself. The story tells it in order; the one recording
/// has her tone, then his.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reloaded_desk_gets_its_caller_back_and_a_lost_one_gives_it_to_the_queue() {
    use fantoccini::Locator;
    if !have_sipp() || !have_baresip() || !chromium::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), true, &[("CENTRALA_SIP__LOST_AGENT_GRACE_S", "6")]);
    let http = reqwest::Client::new();
    let sup = login(&http, &server, "sup.nina").await;
    let _haris = toned_phone(&http, &server, &sup, &dir.path().join("haris"), "204", 600.0, "").await;
    let mic = dir.path().join("mic.wav");
    tone_wav(&mic, 1000.0, 30);
    let (_driver, port) = chromium::start_driver().await;
    let c = chromium::browser_with(port, &dir.path().join("profile"), &softphone_switches(&mic)).await;
    browser_login(&c, &server, "op.ana").await;
    c.goto(&server.url("/desk")).await.unwrap();
    c.find(Locator::Css("#sp-toggle")).await.unwrap().click().await.unwrap();
    page_until(&c, "return document.querySelector('#sp-state').dataset.state === 'sp-on'", "the softphone connecting")
        .await;
    ready(&http, &server, "op.ana").await;

    let run = talking_caller(&http, &server, &sup, dir.path(), 7, "80s").await;
    page_until(&c, "return !document.querySelector('#sp-ring').hidden", "the desk ringing").await;
    c.find(Locator::Css("#sp-answer")).await.unwrap().click().await.unwrap();
    let id = handled_by(&http, &server, &sup, "op.ana", 100).await;
    assert!(id > 0, "op.ana did not take the call: {}", server.log_so_far());
    // op.haris is ready only now, so that the call rang op.ana.
    ready(&http, &server, "op.haris").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A reload: her desk's phone comes back and rings; she answers.
    c.refresh().await.unwrap();
    page_until(&c, "return !document.querySelector('#sp-ring').hidden", "the call ringing the reloaded desk").await;
    c.find(Locator::Css("#sp-answer")).await.unwrap().click().await.unwrap();
    for _ in 0..50 {
        let i = get(&http, &server, &sup, &format!("/api/v1/interactions/{id}")).await;
        if story_of(&i).iter().any(|(k, _, _)| k == "agent_back") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The network goes: the page's connections drop (it reconnects its
    // phone, but nobody answers the ring now).
    c.execute("phone.ws.close(); phone.pc.close();", vec![]).await.unwrap();
    let r = tokio::task::spawn_blocking(move || run.join().unwrap()).await.unwrap();
    assert!(r.status.success(), "SIPp: {}", r.out);
    let i = ended_call(&http, &server, &sup, id).await;
    assert_eq!(i["handled_by"], "op.haris", "{i}");
    let story: Vec<(String, String)> = story_of(&i)
        .into_iter()
        .filter(|(k, _, _)| ["answered", "agent_lost", "agent_back", "requeued", "offered"].contains(&k.as_str()))
        .map(|(k, s, _)| (k, s))
        .collect();
    let want = [
        ("offered", "op.ana"),
        ("answered", "op.ana"),
        ("agent_lost", "op.ana"),
        ("agent_back", "op.ana"),
        ("agent_lost", "op.ana"),
        ("requeued", "op.ana"),
        ("offered", "op.haris"),
        ("answered", "op.haris"),
    ]
    .map(|(k, s)| (k.to_owned(), s.to_owned()));
    assert_eq!(story, want, "{i}");
    let ana = get(&http, &server, &login(&http, &server, "op.ana").await, "/api/v1/agents/me/state").await;
    assert_eq!((ana["state"].as_str(), ana["reason"].as_str()), (Some("not_ready"), Some("connection_lost")), "{ana}");
    // Her desk connected its phone again by itself.
    page_until(&c, "return document.querySelector('#sp-state').dataset.state === 'sp-on'", "the softphone back").await;
    assert_eq!(ana["phone"]["registered"], true, "{ana}");
    // The caller heard op.ana, then op.haris.
    let wav =
        http.get(server.url(&format!("/api/v1/interactions/{id}/recording"))).bearer_auth(&sup).send().await.unwrap();
    let (samples, rate) = channel(&wav.bytes().await.unwrap(), 1);
    let (hers, his) = (tone_seconds(&samples, rate, 1000.0), tone_seconds(&samples, rate, 600.0));
    let (first_his, last_hers) = (his.iter().position(|t| *t), hers.iter().rposition(|t| *t));
    assert!(count(&hers) >= 2 && count(&his) >= 4, "1 kHz {hers:?}, 600 Hz {his:?}");
    assert!(last_hers < first_his, "her voice before his: 1 kHz {hers:?}, 600 Hz {his:?}");
    c.close().await.unwrap();
    server.stop();
}
