//! Our own SIP conformance suite: the RFC 4475 torture messages, written
//! from the RFC's text into `tests/conformance/*.sip` (addresses made ours),
//! sent as raw UDP datagrams to the real binary (`serve --demo`).
//!
//! Every request is answered as RFC 3261 says — the valid ones as any other
//! request, the invalid ones with 400 and a reason phrase saying what is
//! wrong, an unknown method with 501, an unknown version with 505, an
//! unknown URI scheme with 416 — never dropped, never a 5xx of our own
//! failing. Each answer copies the request's Via values (in order),
//! From, Call-ID and CSeq as received, and its To with at most a tag added
//! (RFC 3261 §8.2.6.2). A response nobody asked for (RFC 4475's response
//! tests) is dropped without an answer (§18.1.2), and the server goes on.
//!
//! The RFC 3264 offer/answer cases (video beside audio, hold, delayed
//! offer, multipart bodies) are in `sip.rs`, where a call can be followed.
//!
//! File syntax: `{port}` is the sender's port, `{run}` a per-run token,
//! `{len}` the body's length; `<repeat count=N>x</repeat>` and
//! `<hex>07</hex>` as in RFC 4475 §2; lines end in CRLF on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::zombie_processes)]

mod common;

use common::Server;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

/// One torture message as it goes on the wire.
fn load(name: &str, port: u16, run: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance").join(format!("{name}.sip"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = text.replace("{port}", &port.to_string()).replace("{run}", run);
    while let Some(i) = s.find("<repeat count=") {
        let rest = &s[i + 14..];
        let gt = rest.find('>').unwrap();
        let n: usize = rest[..gt].parse().unwrap();
        let end = rest.find("</repeat>").unwrap();
        s = format!("{}{}{}", &s[..i], rest[gt + 1..end].repeat(n), &rest[end + 9..]);
    }
    let mut s = s.replace('\n', "\r\n");
    if let Some(b) = s.find("\r\n\r\n") {
        let len = s.len() - (b + 4);
        s = s.replacen("{len}", &len.to_string(), 1);
    }
    let mut out = Vec::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("<hex>") {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let end = rest.find("</hex>").unwrap();
        let hex = &rest[i + 5..end];
        out.extend((0..hex.len()).step_by(2).map(|k| u8::from_str_radix(&hex[k..k + 2], 16).unwrap()));
        rest = &rest[end + 6..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// A message's header fields, unfolded, names long-form and lower case,
/// each value's runs of white space made one space; in order.
fn fields(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    for line in head.split("\r\n").skip(1) {
        match (line.starts_with([' ', '\t']), lines.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    lines
        .into_iter()
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            let name = match name.trim().to_ascii_lowercase().as_str() {
                "v" => "via".to_owned(),
                "f" => "from".to_owned(),
                "t" => "to".to_owned(),
                "i" => "call-id".to_owned(),
                "l" => "content-length".to_owned(),
                "m" => "contact".to_owned(),
                "c" => "content-type".to_owned(),
                n => n.to_owned(),
            };
            Some((name, value.split_whitespace().collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

fn values<'a>(f: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    f.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
}

/// A header's comma-separated values (not splitting inside quotes or <>).
fn split_values(v: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                cur.push(c);
                cur.extend(chars.next());
                continue;
            }
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(cur.trim().to_owned());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_owned());
    out
}

/// The Via values of a message, in order.
fn vias(f: &[(String, String)]) -> Vec<String> {
    values(f, "via").into_iter().flat_map(split_values).collect()
}

/// What a Via value says once the parameters the receiver adds
/// (`received`, `rport` with its value) are taken out (RFC 3261 §18.2.1,
/// RFC 3581).
fn sent_via(v: &str) -> String {
    v.split(';')
        .map(str::trim)
        .filter(|p| !p.starts_with("received=") && !p.starts_with("rport"))
        .collect::<Vec<_>>()
        .join(";")
}

fn status(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let line = text.split("\r\n").next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("SIP/2.0"), "{text}");
    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("a status line: {text}"));
    (code, parts.next().unwrap_or_default().to_owned())
}

/// The datagrams that come back: waiting up to `wait` for a final answer,
/// then a little longer for anything after it.
fn answers(sock: &UdpSocket, wait: Duration) -> Vec<Vec<u8>> {
    sock.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_535];
    while let Ok(n) = sock.recv(&mut buf) {
        got.push(buf[..n].to_vec());
        if got.iter().any(|r| r.starts_with(b"SIP/2.0 ") && !r.starts_with(b"SIP/2.0 1")) {
            sock.set_read_timeout(Some(Duration::from_millis(150))).unwrap();
        }
    }
    got
}

/// The final answer to a request, its headers checked against the
/// request's: Via, From, Call-ID and CSeq copied, To copied with at most a
/// tag added.
fn final_answer(name: &str, request: &[u8], got: &[Vec<u8>]) -> (u16, String, Vec<(String, String)>, String) {
    // A 2xx is sent again until its ACK comes (RFC 3261 §13.3.1.4): one
    // answer, however often it is heard.
    let mut finals: Vec<_> = got.iter().filter(|r| status(r).0 >= 200).collect();
    finals.dedup();
    assert_eq!(
        finals.len(),
        1,
        "{name}: one final answer, got {got:?}",
        got = got.iter().map(|r| String::from_utf8_lossy(r)).collect::<Vec<_>>()
    );
    let raw = finals[0];
    let text = String::from_utf8_lossy(raw).into_owned();
    let (code, reason) = status(raw);
    let (req, res) = (fields(request), fields(raw));
    let (sent, echoed) = (vias(&req), vias(&res));
    assert_eq!(sent.len(), echoed.len(), "{name}: every Via value comes back\n{text}");
    for (s, e) in sent.iter().zip(&echoed) {
        assert_eq!(sent_via(s), sent_via(e), "{name}: Via copied\n{text}");
    }
    for h in ["from", "call-id", "cseq"] {
        assert_eq!(values(&req, h).first(), values(&res, h).first(), "{name}: {h} copied as received\n{text}");
    }
    if let (Some(to), Some(back)) = (values(&req, "to").first(), values(&res, "to").first()) {
        let added = back.strip_prefix(to).unwrap_or_else(|| panic!("{name}: To copied as received\n{text}"));
        assert!(added.is_empty() || added.starts_with(";tag="), "{name}: only a tag is added to To: {added:?}\n{text}");
    }
    (code, reason, res, text)
}

/// What RFC 4475 (with RFC 3261 for a UAS and registrar) asks of us, per
/// message: the final status.
const REQUESTS: &[(&str, u16)] = &[
    // §3.1.1 valid messages.
    ("wsinv", 481),      // in-dialog (To has a tag), no such dialog
    ("intmeth", 501),    // an extension method we do not implement
    ("esc01", 200),      // escaped user parts; the demo takes every number
    ("escnull", 401),    // a registrar challenges first
    ("esc02", 501),      // "RE%47IST%45R" is not REGISTER
    ("lwsdisp", 200),    // no LWS between display name and <
    ("longreq", 200),    // long values, 34 Via values
    ("semiuri", 200),    // ; in the Request-URI's user part
    ("transports", 200), // unknown transports in lower Vias
    ("mpart01", 405),    // MESSAGE is not ours to take
    // §3.1.2 invalid messages.
    ("badinv01", 400),
    ("clerr", 400),
    ("ncl", 400),
    ("scalar02", 400),
    ("quotbal", 400),
    ("ltgtruri", 400),
    ("lwsruri", 400),
    ("lwsstart", 200), // liberal, as §3.1.2.9 allows: extra SP ignored
    ("trws", 200),     // liberal, as §3.1.2.10 allows
    ("escruri", 400),
    ("baddate", 200), // the Date field is not used; the request is served
    ("regbadct", 400),
    ("badaspec", 400),
    ("baddn", 400),
    ("badvers", 505),
    ("mismatch01", 400),
    ("mismatch02", 501), // the method is unknown before the CSeq is read
    // §3.2 transaction layer.
    ("badbranch", 200), // a branch without the cookie: RFC 2543 matching
    // §3.3 application layer.
    ("insuf", 400),
    ("unkscm", 416),
    ("novelsc", 416),
    ("unksm2", 401), // a registrar authenticates before it reads the To (§10.3)
    ("bext01", 420),
    ("invut", 415),
    ("regaut01", 401),
    ("multi01", 400),
    ("mcl01", 400),
    ("zeromf", 200), // Max-Forwards 0 matters to proxies, not to the UAS
    ("cparam01", 401),
    ("cparam02", 401),
    ("regescrt", 401),
    ("sdp01", 406), // the answer would be SDP, which the caller refuses
    // §3.4 backward compatibility.
    ("inv2543", 200),
];

/// Responses to nothing we sent (RFC 4475 §3.1.1.12, .13, §3.1.2.5, .19,
/// §3.3.10): dropped without an answer.
const STRAY_RESPONSES: &[&str] = &["unreason", "noreason", "scalarlg", "bigcode", "bcast"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rfc_4475_torture_messages_are_answered_as_rfc_3261_says() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), true);
    let to = server.sip.clone();
    let run = format!("{}", std::process::id());
    let mut failures = BTreeMap::new();
    // Each message's failure is gathered, not printed as it happens.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for (name, want) in REQUESTS {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let request = load(name, port, &run);
        sock.send_to(&request, &to).unwrap();
        let got = answers(&sock, Duration::from_secs(3));
        attempt(&mut failures, name, || {
            let (code, reason, res, text) = final_answer(name, &request, &got);
            assert_eq!(code, *want, "{name}: {code} {reason}, want {want}\n{text}");
            check(name, &request, code, &reason, &res, &text, &sock, &to);
        });
    }
    // A second request in the same datagram is not a request (RFC 3261
    // §18.3): the REGISTER is answered, the INVITE after it is not.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let request = load("dblreq", sock.local_addr().unwrap().port(), &run);
    sock.send_to(&request, &to).unwrap();
    let got = answers(&sock, Duration::from_secs(3));
    attempt(&mut failures, "dblreq", || {
        assert_eq!(got.len(), 1, "dblreq: one answer, to the REGISTER");
        let (code, _, _, text) = final_answer("dblreq", &request, &got);
        assert_eq!(code, 401, "{text}");
    });
    for name in STRAY_RESPONSES {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let response = load(name, sock.local_addr().unwrap().port(), &run);
        sock.send_to(&response, &to).unwrap();
        let got = answers(&sock, Duration::from_millis(300));
        attempt(&mut failures, name, || assert!(got.is_empty(), "{name}: a stray response is not answered: {got:?}"));
    }
    std::panic::set_hook(hook);
    assert!(
        failures.is_empty(),
        "{} of {} torture messages answered wrongly:\n{}",
        failures.len(),
        REQUESTS.len(),
        failures.iter().map(|(n, f)| format!("== {n}: {f}")).collect::<Vec<_>>().join("\n")
    );
    // Over TCP the same: an unknown method and a request without its
    // mandatory fields are answered on the connection, which stays open
    // for the next request (before: the connection was dropped).
    let mut tcp = std::net::TcpStream::connect(&to).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let port = tcp.local_addr().unwrap().port();
    for (name, want) in [
        ("mismatch02", "SIP/2.0 501 "),
        ("insuf", "SIP/2.0 400 Missing From, To, Call-ID"),
        ("lwsdisp", "SIP/2.0 200 "),
    ] {
        let request = String::from_utf8(load(name, port, "tcp")).unwrap().replace("SIP/2.0/UDP", "SIP/2.0/TCP");
        tcp.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut buf).unwrap_or_else(|e| panic!("{name} over TCP: {e}"));
            assert!(n > 0, "{name} over TCP: the connection was closed");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        assert!(text.starts_with(want), "{name} over TCP: {text}");
    }
    // Still well after all of it.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let request = load("lwsdisp", sock.local_addr().unwrap().port(), "after");
    sock.send_to(&request, &to).unwrap();
    assert_eq!(final_answer("lwsdisp", &request, &answers(&sock, Duration::from_secs(3))).0, 200);
    let log = server.stop().join("\n");
    assert!(!log.contains("panicked"), "{log}");
}

/// Runs one message's checks, keeping its failure for the summary.
fn attempt<'a>(failures: &mut BTreeMap<&'a str, String>, name: &'a str, f: impl FnOnce()) {
    if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        let why = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        failures.insert(name, why.unwrap_or_default());
    }
}

/// ACK and BYE for a call a torture INVITE started; the BYE is answered.
fn hang_up(name: &str, res: &[(String, String)], sock: &UdpSocket, to: &str) {
    let one = |h: &str| values(res, h).first().map(|v| v.to_string()).unwrap_or_else(|| panic!("{name}: {h}"));
    let seq: u32 = one("cseq").split_whitespace().next().unwrap().parse().unwrap();
    let contact = one("contact");
    let target = contact.trim_start_matches('<').split('>').next().unwrap().to_owned();
    let port = sock.local_addr().unwrap().port();
    for (method, n) in [("ACK", seq), ("BYE", seq + 1)] {
        let msg = format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{name}{method}\r\n\
             From: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {n} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
            one("from"),
            one("to"),
            one("call-id")
        );
        sock.send_to(msg.as_bytes(), to).unwrap();
    }
    let bye = answers(sock, Duration::from_secs(3));
    assert!(
        bye.iter().any(|r| status(r).0 == 200 && String::from_utf8_lossy(r).contains("BYE\r\n")),
        "{name}: the BYE ends the call: {:?}",
        bye.iter().map(|r| String::from_utf8_lossy(r)).collect::<Vec<_>>()
    );
}

/// What each answer must carry beyond its status.
#[allow(clippy::too_many_arguments)]
fn check(
    name: &str,
    _request: &[u8],
    code: u16,
    reason: &str,
    res: &[(String, String)],
    text: &str,
    sock: &UdpSocket,
    to: &str,
) {
    let has = |h: &str| !values(res, h).is_empty();
    match code {
        // The reason phrase says what is wrong, not only "Bad Request".
        400 => assert!(reason != "Bad Request" && !reason.is_empty(), "{name}: a 400 says why\n{text}"),
        405 => assert!(has("allow"), "{name}: every 405 says what is allowed\n{text}"),
        415 => assert!(values(res, "accept").first().is_some_and(|a| a.contains("application/sdp")), "{name}\n{text}"),
        416 | 501 | 505 => assert!(!reason.is_empty(), "{name}\n{text}"),
        420 => assert_eq!(
            values(res, "unsupported"),
            ["nothingSupportedHere"],
            "{name}: only Require, not Proxy-Require\n{text}"
        ),
        401 => {
            assert!(values(res, "www-authenticate").first().is_some_and(|c| c.starts_with("Digest ")), "{name}\n{text}")
        }
        // A call was answered: with SDP, and it ends with our BYE — for
        // inv2543 too, an RFC 2543 caller with no branch and no From tag.
        200 if values(res, "cseq").first().is_some_and(|c| c.ends_with("INVITE")) => {
            assert!(text.contains("\r\n\r\nv=0\r\n"), "{name}: an answer with SDP\n{text}");
            hang_up(name, res, sock, to);
        }
        _ => {}
    }
    if name == "esc01" {
        // Escapes are copied as received (RFC 3261 §8.2.6.2), not escaped again.
        assert!(text.contains("To: sip:%61lice@example.com;tag="), "{name}\n{text}");
    }
}
