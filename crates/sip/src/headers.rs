//! Reading the few SIP headers we interpret ourselves (rsipstack parses
//! the message; these pick values out of it). Each takes any input without
//! panicking: they are fuzzed (`fuzz/`).

use crate::registrar::DigestAnswer;
use rsipstack::dialog::authenticate::extract_digest_uri_raw;
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Param, Request};
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

/// Whether a caller whose INVITE carries these `Accept` values can read
/// our answer, which is SDP: yes when it names none (RFC 3261 §20.1
/// assumes `application/sdp` then), or lists `application/sdp`,
/// `application/*` or `*/*` (parameters such as `;q=` aside).
pub fn accepts_sdp<'a>(accept: impl IntoIterator<Item = &'a str>) -> bool {
    let mut named = false;
    for range in accept.into_iter().flat_map(|v| v.split(',')) {
        let media = range.split(';').next().unwrap_or_default().trim();
        if media.is_empty() {
            continue;
        }
        named = true;
        if ["application/sdp", "application/*", "*/*"].iter().any(|m| m.eq_ignore_ascii_case(media)) {
            return true;
        }
    }
    !named
}

/// The methods we take (`Allow` on 405 and on OPTIONS, RFC 3261 §20.5).
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, REFER, UPDATE";
/// The one body type we read.
pub const ACCEPT: &str = "application/sdp";

/// `Allow:` with [`ALLOW`] (on OPTIONS and on every 405).
pub fn allow() -> Header {
    Header::Other("Allow".into(), ALLOW.into())
}

/// `Accept:` with [`ACCEPT`] (on OPTIONS and on 415).
pub fn accept() -> Header {
    Header::Other("Accept".into(), ACCEPT.into())
}

/// `Retry-After: 5`, on every 503 that refuses a new call.
pub fn retry_after() -> Header {
    Header::Other("Retry-After".into(), "5".into())
}

/// Why a body gives no SDP to read: its type is not one we take (415).
#[derive(Debug, PartialEq, Eq)]
pub struct NotSdp(pub String);

/// The SDP in a request's body: the body itself when it is
/// `application/sdp` (or empty: a delayed offer), the `application/sdp`
/// part of a `multipart/mixed` body (RFC 5621: SIP-I/SIP-T carriers send
/// SDP beside an ISUP part). Hand-written: MIME crates parse HTTP streams
/// (multer) or whole e-mails; a SIP body is small, whole, and needs only
/// the boundary split of RFC 2046 §5.1.
pub fn sdp_body<'a>(content_type: Option<&str>, body: &'a [u8]) -> Result<&'a [u8], NotSdp> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(body);
    }
    let ct = content_type.unwrap_or("application/sdp");
    let mut params = ct.split(';');
    let kind = params.next().unwrap_or("").trim().to_ascii_lowercase();
    if kind == "application/sdp" {
        return Ok(body);
    }
    if !kind.starts_with("multipart/") {
        return Err(NotSdp(kind));
    }
    let boundary = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| NotSdp(format!("{kind} without a boundary")))?;
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    // parts[0] is the preamble; each later one starts with the rest of the
    // delimiter line ("--" after the last one).
    for part in parts.into_iter().skip(1).chain(std::iter::once(rest)) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").or_else(|| part.strip_prefix(b"\n")).unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n").map(|i| (i, 4)).or_else(|| find(part, b"\n\n").map(|i| (i, 2)))
        else {
            continue;
        };
        let (headers, content) = (&part[..split.0], &part[split.0 + split.1..]);
        let is_sdp = String::from_utf8_lossy(headers).lines().any(|l| {
            l.split_once(':').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("content-type")
                    && v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/sdp")
            })
        });
        if is_sdp {
            // The CRLF before the next delimiter belongs to it.
            let content = content.strip_suffix(b"\r\n").or_else(|| content.strip_suffix(b"\n")).unwrap_or(content);
            return Ok(content);
        }
    }
    Err(NotSdp(format!("{kind} without an application/sdp part")))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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

/// The dialog a REFER's target is to take the place of (RFC 3891): an
/// attended transfer's consultation, named by the transferor — it was the
/// caller of that dialog, so `from_tag` is its tag and `to_tag` ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
}

/// The `Replaces` among a Refer-To's URI headers
/// (`<sip:216@host?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>`), decoded;
/// `None` without one, or when it lacks the Call-ID or a tag (both are
/// required, RFC 3891 §6.1).
pub fn replaces_of(refer_to: &str) -> Option<Replaces> {
    let v = refer_to.trim();
    // Only the URI: `<…>` when bracketed (then parameters may follow).
    let uri = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    let (_, headers) = uri.split_once('?')?;
    let raw = headers.split('&').find_map(|h| {
        let (name, value) = h.split_once('=')?;
        name.trim().eq_ignore_ascii_case("replaces").then_some(value)
    })?;
    let value = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
    let mut parts = value.split(';').map(str::trim);
    let call_id = parts.next().filter(|c| !c.is_empty())?.to_owned();
    let (mut to_tag, mut from_tag) = (None, None);
    for p in parts {
        match p.split_once('=') {
            Some((k, t)) if k.trim().eq_ignore_ascii_case("to-tag") => to_tag = Some(t.trim().to_owned()),
            Some((k, t)) if k.trim().eq_ignore_ascii_case("from-tag") => from_tag = Some(t.trim().to_owned()),
            _ => {}
        }
    }
    Some(Replaces { call_id, to_tag: to_tag.filter(|t| !t.is_empty())?, from_tag: from_tag.filter(|t| !t.is_empty())? })
}

pub fn user_of(header: Option<String>) -> Option<String> {
    let v = header?;
    let uri = rsipstack::sip::typed::From::parse(&v).ok()?.uri;
    uri.user().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_invite_that_refuses_sdp_is_known() {
        use super::accepts_sdp;
        assert!(accepts_sdp([]));
        assert!(accepts_sdp(["application/sdp"]));
        assert!(accepts_sdp(["text/plain, Application/SDP;q=0.5"]));
        assert!(accepts_sdp(["text/plain", "*/*"]));
        assert!(accepts_sdp(["application/*"]));
        assert!(!accepts_sdp(["text/nobodyknowsthis"]));
        assert!(!accepts_sdp(["application/isup, text/html"]));
    }

    use super::*;

    #[test]
    fn an_attended_transfer_names_the_dialog_it_replaces() {
        // As Linphone (belle-sip) writes it: escaped inside the URI.
        let r = replaces_of("<sip:216@127.0.0.1:5060?Replaces=Ab3x-9%40host%3Bto-tag%3D1a2b%3Bfrom-tag%3Dz9>");
        assert_eq!(r, Some(Replaces { call_id: "Ab3x-9@host".into(), to_tag: "1a2b".into(), from_tag: "z9".into() }));
        // Tags in either order, other headers beside it, parameters after
        // the brackets, the name in any case, early-only ignored.
        let r = replaces_of(
            "\"Amra\" <sip:216@h?Subject=x&REPLACES=c1%3Bfrom-tag%3DF%3Bearly-only%3Bto-tag%3DT>;method=INVITE",
        );
        assert_eq!(r, Some(Replaces { call_id: "c1".into(), to_tag: "T".into(), from_tag: "F".into() }));
        // SIPp's second dialog: a Call-ID with slashes.
        let r = replaces_of("<sip:216@h?Replaces=consult%2F%2F%2F7-1%40h%3Bto-tag%3Da%3Bfrom-tag%3Db>");
        assert_eq!(r.map(|r| r.call_id), Some("consult///7-1@h".to_owned()));
        // Not an attended transfer, or not a whole one.
        assert_eq!(replaces_of("<sip:216@h>"), None);
        assert_eq!(replaces_of("sip:216@h"), None);
        assert_eq!(replaces_of("<sip:216@h?Replaces=c1%3Bto-tag%3DT>"), None, "no from-tag");
        assert_eq!(replaces_of("<sip:216@h?Replaces=%3Bto-tag%3DT%3Bfrom-tag%3DF>"), None, "no Call-ID");
        assert_eq!(replaces_of("<sip:216@h?Replaces=c1%3Bto-tag%3D%3Bfrom-tag%3DF>"), None, "an empty tag");
        assert_eq!(replaces_of("<sip:216@h?Replaces=%FF%FE>"), None, "not UTF-8");
        assert_eq!(replaces_of(""), None);
    }

    #[test]
    fn every_required_extension_is_unsupported_once() {
        assert_eq!(unsupported(["timer, 100rel", "Timer", " "]), ["timer", "100rel"]);
        assert!(unsupported(std::iter::empty()).is_empty());
    }

    /// RFC 5621 bodies as SIP-I carriers send them, and types we refuse.
    #[test]
    fn the_sdp_of_a_body_plain_or_multipart() {
        let sdp = b"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n";
        assert_eq!(sdp_body(Some("application/sdp"), sdp), Ok(&sdp[..]));
        assert_eq!(sdp_body(Some("Application/SDP; charset=utf-8"), sdp), Ok(&sdp[..]));
        assert_eq!(sdp_body(None, b""), Ok(&b""[..]), "a delayed offer");
        let multi = b"preamble\r\n--b1\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x02\r\n\
            --b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n\r\n--b1--\r\n";
        assert_eq!(sdp_body(Some("multipart/mixed;boundary=b1"), multi), Ok(&sdp[..]));
        assert_eq!(sdp_body(Some("multipart/mixed; boundary=\"b1\""), multi), Ok(&sdp[..]));
        assert!(sdp_body(Some("multipart/mixed;boundary=zz"), multi).is_err(), "no part with that boundary");
        assert!(sdp_body(Some("multipart/mixed"), multi).is_err(), "no boundary");
        assert_eq!(sdp_body(Some("text/plain"), b"hello"), Err(NotSdp("text/plain".into())));
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
            let _ = sdp_body(Some("multipart/mixed;boundary=x"), text.as_bytes());
            let _ = parse_authorization(&format!("Digest {text}"));
        }
    }
}
