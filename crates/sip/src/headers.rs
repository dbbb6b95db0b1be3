//! Reading the few SIP headers we interpret ourselves (rsipstack parses
//! the message; these pick values out of it). Each takes any input without
//! panicking: they are fuzzed (`fuzz/`).

use crate::registrar::DigestAnswer;
use rsipstack::dialog::authenticate::extract_digest_uri_raw;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Param, Request};
use std::net::{IpAddr, SocketAddr};

/// Where a request really came from: the Via's `received`/`rport` that
/// the transport layer filled in, else its sent-by.
pub fn source(req: &Request) -> Option<SocketAddr> {
    let via = req.via_header().ok()?.typed().ok()?;
    let mut ip: Option<IpAddr> = None;
    let mut port: Option<u16> = None;
    for p in &via.params {
        match p {
            Param::Received(r) => ip = r.value().parse().ok(),
            Param::Rport(Some(n)) => port = Some(*n),
            _ => {}
        }
    }
    let sent_by: Option<SocketAddr> = via.uri.host_with_port.clone().try_into().ok();
    let ip = ip.or(sent_by.map(|s| s.ip()))?;
    Some(SocketAddr::new(ip, port.or(sent_by.map(|s| s.port())).unwrap_or(5060)))
}

/// The option tags (RFC 3261 §8.2.2.3) this server supports in a
/// `Require`: none yet. Not `timer` either: RFC 4028 session timers are not
/// done, so `Require: timer` gets 420 rather than a promise kept by nobody.
pub const SUPPORTED: &[&str] = &[];

/// The option tags of `Require` header values (comma lists split,
/// trimmed, compared without case) that are not [`SUPPORTED`], in order,
/// once each.
pub fn unsupported<'a>(require: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in require.into_iter().flat_map(|v| v.split(',')).map(str::trim).filter(|t| !t.is_empty()) {
        let known = SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(tag));
        if !known && !out.iter().any(|o| o.eq_ignore_ascii_case(tag)) {
            out.push(tag.to_owned());
        }
    }
    out
}

pub fn parse_authorization(raw: &str) -> Option<DigestAnswer> {
    let a = rsipstack::sip::typed::Authorization::parse(raw).ok()?;
    let qop_auth = match a.qop {
        Some(rsipstack::sip::headers::auth::AuthQop::Auth { cnonce, nc }) => Some((format!("{nc:08}"), cnonce)),
        _ => None,
    };
    Some(DigestAnswer {
        username: a.username,
        realm: a.realm,
        nonce: a.nonce,
        uri: extract_digest_uri_raw(raw).unwrap_or_else(|| a.uri.to_string()),
        response: a.response,
        qop_auth,
    })
}

/// Splits a Contact header value on the commas between contacts (not those
/// inside `<…>` or quotes).
pub fn split_contacts(v: &str) -> Vec<String> {
    let (mut out, mut cur, mut angle, mut quote) = (Vec::new(), String::new(), false, false);
    for ch in v.chars() {
        match ch {
            '"' => quote = !quote,
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            ',' if !angle && !quote => {
                out.push(std::mem::take(&mut cur).trim().to_owned());
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

pub fn user_of(header: Option<String>) -> Option<String> {
    let v = header?;
    let uri = rsipstack::sip::typed::From::parse(&v).ok()?.uri;
    uri.user().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_required_extension_is_unsupported_once() {
        assert_eq!(unsupported(["timer, 100rel", "Timer", " "]), ["timer", "100rel"]);
        assert!(unsupported(std::iter::empty()).is_empty());
    }

    #[test]
    fn contacts_split_on_commas_outside_brackets_and_quotes() {
        assert_eq!(
            split_contacts(r#""Ana, op" <sip:a@h;x=1,2>;expires=60, <sip:b@h>"#),
            [r#""Ana, op" <sip:a@h;x=1,2>;expires=60"#, "<sip:b@h>"]
        );
        assert_eq!(split_contacts("*"), ["*"]);
        assert!(split_contacts("").is_empty());
    }

    #[test]
    fn authorization_headers_parse_with_and_without_qop() {
        let raw = r#"Digest username="demo-101", realm="centrala", nonce="abc", uri="sip:127.0.0.1:5060", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz""#;
        let a = parse_authorization(raw).unwrap();
        assert_eq!((a.username.as_str(), a.nonce.as_str(), a.uri.as_str()), ("demo-101", "abc", "sip:127.0.0.1:5060"));
        assert_eq!(a.qop_auth, Some(("00000001".to_owned(), "xyz".to_owned())));
        let raw = r#"Digest username="u", realm="r", nonce="n", uri="sip:h", response="00""#;
        assert_eq!(parse_authorization(raw).unwrap().qop_auth, None);
        assert!(parse_authorization("Basic dXNlcjpwYXNz").is_none() || parse_authorization("garbage").is_none());
    }

    #[test]
    fn the_user_of_a_name_address_or_a_bare_uri() {
        assert_eq!(user_of(Some("<sip:216@127.0.0.1:5060>".into())).as_deref(), Some("216"));
        assert_eq!(user_of(Some("\"Amra\" <sip:fin.amra@h>;tag=1".into())).as_deref(), Some("fin.amra"));
        assert_eq!(user_of(Some("sip:manager@127.0.0.1".into())).as_deref(), Some("manager"));
        assert_eq!(user_of(Some("<sip:127.0.0.1>".into())), None);
        assert_eq!(user_of(None), None);
    }

    proptest::proptest! {
        #[test]
        fn header_readers_never_panic(text in "\\PC{0,200}") {
            let _ = parse_authorization(&text);
            let _ = split_contacts(&text);
            let _ = user_of(Some(text.clone()));
            let _ = parse_authorization(&format!("Digest {text}"));
        }
    }
}
