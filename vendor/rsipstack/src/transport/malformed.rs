//! Centrala patch: a request the stack cannot take is answered, not dropped.
//!
//! The message parser is lenient by design and the transport used to drop
//! what it could not parse, so a peer with a broken request heard nothing
//! and retransmitted until its timer ran out. RFC 3261 wants an answer
//! wherever one can be addressed: 400 with a reason phrase naming the fault
//! (§8.2, §18.3), 501 for a method nobody here implements (§8.2.1), 505 for
//! another protocol version (§8.2), 416 for a Request-URI scheme we do not
//! speak (§8.2.2.1). The answer is stateless: built from the request's own
//! Via, From, To, Call-ID and CSeq, copied as received (§8.2.6.2), and sent
//! back where the datagram came from. Responses and ACKs are never
//! answered, and nor is anything without a readable top Via — there is no
//! one to answer then.
//!
//! The checks follow the RFC 4475 torture messages: a request passes them
//! only if its start line, its mandatory header fields and their syntax are
//! sound; everything else is left to the transaction and dialog layers.

/// The methods the stack knows (the parser's own list).
const METHODS: &[&str] = &[
    "ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK", "PUBLISH",
    "REFER", "REGISTER", "SUBSCRIBE", "UPDATE",
];

/// URI schemes a Request-URI may use here.
const SCHEMES: &[&str] = &["sip", "sips", "tel"];

/// Header fields a request must carry once at most (RFC 3261 §7.3.1, §20).
const SINGLE: &[&str] = &[
    "from",
    "to",
    "call-id",
    "cseq",
    "max-forwards",
    "content-length",
    "content-type",
];

/// The answer to send back for a request that cannot be taken, or `None`
/// when the request is sound (or is not a request anyone could answer).
pub fn answer(packet: &[u8]) -> Option<Vec<u8>> {
    let request = Raw::read(packet)?;
    let (code, reason) = request.fault()?;
    Some(request.response(code, &reason))
}

/// A request's start line and header fields, unfolded, as received.
struct Raw<'a> {
    start: &'a str,
    fields: Vec<(String, String)>,
    /// Octets after the blank line.
    body: usize,
}

impl<'a> Raw<'a> {
    fn read(packet: &'a [u8]) -> Option<Self> {
        // A header may carry octets that are not UTF-8; answering needs only
        // what comes before the first of them.
        let text = match core::str::from_utf8(packet) {
            Ok(t) => t,
            Err(e) => core::str::from_utf8(&packet[..e.valid_up_to()]).ok()?,
        };
        let (head, body) = match text.find("\r\n\r\n") {
            Some(i) => (&text[..i], packet.len() - (i + 4)),
            None => (text.trim_end_matches(['\r', '\n']), 0),
        };
        let mut lines = head.split("\r\n");
        let start = lines.next()?;
        if start.starts_with("SIP/") {
            return None; // a response: never answered
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = fields.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            let (name, value) = line.split_once(':')?;
            let name = match name.trim().to_ascii_lowercase().as_str() {
                "v" => "via".to_string(),
                "f" => "from".to_string(),
                "t" => "to".to_string(),
                "i" => "call-id".to_string(),
                "l" => "content-length".to_string(),
                "m" => "contact".to_string(),
                "c" => "content-type".to_string(),
                n => n.to_string(),
            };
            fields.push((name, value.trim().to_string()));
        }
        let raw = Raw { start, fields, body };
        // Nobody to answer without a top Via that says where from.
        let top = raw.get("via")?;
        via_sent_by(split_list(top).first()?).ok()?;
        if raw.start.split_whitespace().next() == Some("ACK") {
            return None;
        }
        Some(raw)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.fields.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// What is wrong with the request, as a status and a reason phrase.
    fn fault(&self) -> Option<(u16, String)> {
        let parts: Vec<&str> = self.start.split_whitespace().collect();
        let [method, uri, version] = parts.as_slice() else {
            return Some((400, "Malformed Request-Line".into()));
        };
        // The method first: an unknown one is 501 whatever else is wrong.
        if !method.chars().all(is_token) {
            return Some((400, "Malformed method".into()));
        }
        if !METHODS.contains(method) {
            return Some((501, "Not Implemented".into()));
        }
        if *version != "SIP/2.0" {
            return Some((505, "Version Not Supported".into()));
        }
        match uri.split_once(':') {
            Some((scheme, rest))
                if !scheme.is_empty()
                    && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    && !rest.is_empty() =>
            {
                if !SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
                    return Some((416, "Unsupported URI Scheme".into()));
                }
                if rest.contains('?') {
                    return Some((400, "Header fields in the Request-URI".into()));
                }
            }
            _ => return Some((400, "Malformed Request-URI".into())),
        }
        let missing: Vec<&str> = [("Via", "via"), ("From", "from"), ("To", "to"), ("Call-ID", "call-id"), ("CSeq", "cseq")]
            .into_iter()
            .filter(|(_, n)| self.get(n).is_none())
            .map(|(name, _)| name)
            .collect();
        if !missing.is_empty() {
            return Some((400, format!("Missing {}", missing.join(", "))));
        }
        for name in SINGLE {
            if self.all(name).count() > 1 {
                return Some((400, format!("More than one {}", canonical(name))));
            }
        }
        let cseq = self.get("cseq").unwrap_or_default();
        let mut cseq_parts = cseq.split_whitespace();
        let (Some(seq), Some(cseq_method), None) = (cseq_parts.next(), cseq_parts.next(), cseq_parts.next()) else {
            return Some((400, "Malformed CSeq".into()));
        };
        // RFC 3261 §8.1.1.5: the number is below 2**31.
        if !seq.chars().all(|c| c.is_ascii_digit()) || seq.parse::<u32>().map_or(true, |n| n >= 1 << 31) {
            return Some((400, "CSeq number out of range".into()));
        }
        if cseq_method != *method {
            return Some((400, "CSeq method does not match the request".into()));
        }
        if let Some(mf) = self.get("max-forwards") {
            if !mf.chars().all(|c| c.is_ascii_digit()) || mf.parse::<u16>().map_or(true, |n| n > 255) {
                return Some((400, "Max-Forwards out of range".into()));
            }
        }
        if let Some(cl) = self.get("content-length") {
            match cl.parse::<usize>() {
                Err(_) => return Some((400, "Malformed Content-Length".into())),
                // Over UDP the datagram is the whole message (§18.3).
                Ok(n) if n > self.body => return Some((400, "Content-Length larger than the message".into())),
                Ok(_) => {}
            }
        }
        for value in self.all("via") {
            for via in split_list(value) {
                if let Err(why) = parse_via(&via) {
                    return Some((400, format!("Malformed Via: {why}")));
                }
            }
        }
        for name in ["from", "to"] {
            if let Err(why) = parse_address(self.get(name).unwrap_or_default()) {
                return Some((400, format!("Malformed {}: {why}", canonical(name))));
            }
        }
        for value in self.all("contact") {
            for contact in split_list(value) {
                if contact == "*" {
                    continue;
                }
                if let Err(why) = parse_address(&contact) {
                    return Some((400, format!("Malformed Contact: {why}")));
                }
            }
        }
        None
    }

    /// The stateless answer: the request's Via values, From, To (with a tag
    /// of ours when it had none), Call-ID and CSeq, as received.
    fn response(&self, code: u16, reason: &str) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {code} {reason}\r\n");
        for (name, value) in &self.fields {
            match name.as_str() {
                "via" | "from" | "call-id" | "cseq" => {
                    out.push_str(&format!("{}: {value}\r\n", canonical(name)));
                }
                "to" => {
                    let tagged = parse_address(value).map(|a| a.tag).unwrap_or(true);
                    if tagged {
                        out.push_str(&format!("To: {value}\r\n"));
                    } else {
                        out.push_str(&format!("To: {value};tag={}\r\n", crate::transaction::make_tag().value()));
                    }
                }
                _ => {}
            }
        }
        out.push_str("Content-Length: 0\r\n\r\n");
        out.into_bytes()
    }
}

fn canonical(name: &str) -> &str {
    match name {
        "via" => "Via",
        "from" => "From",
        "to" => "To",
        "call-id" => "Call-ID",
        "cseq" => "CSeq",
        "max-forwards" => "Max-Forwards",
        "content-length" => "Content-Length",
        "content-type" => "Content-Type",
        "contact" => "Contact",
        other => other,
    }
}

/// RFC 3261 §25.1 token characters.
fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// A header value's comma-separated elements, not splitting inside quoted
/// strings or `<…>`.
fn split_list(value: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut angle, mut escaped) = (Vec::new(), String::new(), false, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c == '<' {
            angle = true;
        } else if !quoted && c == '>' {
            angle = false;
        } else if !quoted && !angle && c == ',' {
            out.push(cur.trim().to_string());
            cur.clear();
            continue;
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// `name [= value]` parameters after a `;`; every name a token.
fn check_params(params: &str) -> Result<(), String> {
    if params.trim().is_empty() {
        return Ok(());
    }
    for p in params.split(';') {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (p.trim(), None),
        };
        if name.is_empty() || !name.chars().all(is_token) {
            return Err("an empty or malformed parameter".into());
        }
        if let Some(v) = value {
            let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
            if v.is_empty() || !(quoted || v.chars().all(|c| is_token(c) || "[]:".contains(c))) {
                return Err(format!("a malformed value of {name}"));
            }
        }
    }
    Ok(())
}

/// `SIP / 2.0 / transport sent-by *(; param)` (LWS allowed around `/`).
fn parse_via(via: &str) -> Result<(), String> {
    let params = via_sent_by(via)?;
    check_params(params)
}

/// A Via value's protocol, transport and sent-by checked; its parameters
/// returned unchecked.
fn via_sent_by(via: &str) -> Result<&str, String> {
    let mut slashes = via.splitn(3, '/');
    let (Some(proto), Some(version), Some(rest)) = (slashes.next(), slashes.next(), slashes.next()) else {
        return Err("no protocol".into());
    };
    if !proto.trim().eq_ignore_ascii_case("SIP") || version.trim().is_empty() {
        return Err("not SIP".into());
    }
    let rest = rest.trim_start();
    let transport_end = rest.find(|c: char| c.is_whitespace()).ok_or("no sent-by")?;
    let (transport, rest) = rest.split_at(transport_end);
    if transport.is_empty() || !transport.chars().all(is_token) {
        return Err("a malformed transport".into());
    }
    let (sent_by, params) = match rest.split_once(';') {
        Some((s, p)) => (s.trim(), p),
        None => (rest.trim(), ""),
    };
    if sent_by.is_empty() || sent_by.contains(char::is_whitespace) {
        return Err("a malformed sent-by".into());
    }
    Ok(params)
}

/// What an address field said.
struct Address {
    tag: bool,
}

/// A From, To or Contact value: `[display-name] <URI> *(; param)` or
/// `addr-spec *(; param)` (RFC 3261 §20.10, §25.1).
fn parse_address(value: &str) -> Result<Address, String> {
    let value = value.trim();
    let (uri, params) = if let Some(lt) = find_unquoted(value, '<')? {
        let display = value[..lt].trim();
        if !display.is_empty() && !display.starts_with('"') && !display.split_whitespace().all(|w| w.chars().all(is_token)) {
            return Err("a display name that is neither tokens nor quoted".into());
        }
        if display.starts_with('"') && (!display.ends_with('"') || display.len() < 2) {
            return Err("text after the quoted display name".into());
        }
        let rest = &value[lt + 1..];
        let gt = rest.find('>').ok_or("no closing >")?;
        let uri = &rest[..gt];
        if uri.trim() != uri {
            return Err("white space inside <>".into());
        }
        let after = rest[gt + 1..].trim();
        let params = match after {
            "" => "",
            a => a.strip_prefix(';').ok_or("text after >")?,
        };
        (uri, params)
    } else {
        if value.starts_with('"') {
            return Err("an unterminated quoted string".into());
        }
        let (uri, params) = match value.split_once(';') {
            Some((u, p)) => (u.trim(), p),
            None => (value, ""),
        };
        if uri.contains('?') {
            return Err("a URI with header fields outside <>".into());
        }
        (uri, params)
    };
    match uri.split_once(':') {
        Some((scheme, rest)) if !scheme.is_empty() && !rest.is_empty() && !uri.contains(char::is_whitespace) => {}
        _ => return Err("a malformed URI".into()),
    }
    check_params(params)?;
    let tag = params.split(';').any(|p| p.split('=').next().is_some_and(|n| n.trim().eq_ignore_ascii_case("tag")));
    Ok(Address { tag })
}

/// Where `c` first stands outside a quoted string; an error if a quote is
/// left open.
fn find_unquoted(s: &str, c: char) -> Result<Option<usize>, String> {
    let (mut quoted, mut escaped, mut found) = (false, false, None);
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && ch == '\\' {
            escaped = true;
        } else if ch == '"' {
            quoted = !quoted;
        } else if !quoted && ch == c && found.is_none() {
            found = Some(i);
        }
    }
    if quoted {
        return Err("an unterminated quoted string".into());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start: &str, extra: &str) -> String {
        format!(
            "{start}\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\n\
             To: sip:b@example.com\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
        )
    }

    fn status(answer: Option<Vec<u8>>) -> Option<String> {
        answer.map(|a| String::from_utf8(a).unwrap().lines().next().unwrap().to_string())
    }

    #[test]
    fn a_sound_request_passes() {
        assert_eq!(status(answer(request("OPTIONS sip:b@example.com SIP/2.0", "").as_bytes())), None);
        // LWS around = and ;, tokens as a display name, no From tag.
        let odd = request("OPTIONS sip:b@example.com SIP/2.0", "")
            .replace("From: <sip:a@example.com>;tag=1", "From: caller<sip:a@example.com> ; tag = 1")
            .replace("To: sip:b@example.com", "To: Bob B <sip:b@example.com>");
        assert_eq!(status(answer(odd.as_bytes())), None);
    }

    #[test]
    fn faults_get_their_status_and_reason() {
        let cases = [
            ("NEWMETHOD sip:b@example.com SIP/2.0", "", "SIP/2.0 501 Not Implemented"),
            ("OPTIONS sip:b@example.com SIP/7.0", "", "SIP/2.0 505 Version Not Supported"),
            ("OPTIONS isbn:123 SIP/2.0", "", "SIP/2.0 416 Unsupported URI Scheme"),
            ("OPTIONS <sip:b@example.com> SIP/2.0", "", "SIP/2.0 400 Malformed Request-URI"),
            ("OPTIONS sip:b@example.com; lr SIP/2.0", "", "SIP/2.0 400 Malformed Request-Line"),
            ("OPTIONS sip:b@example.com SIP/2.0", "Call-ID: c2\r\n", "SIP/2.0 400 More than one Call-ID"),
            ("INVITE sip:b@example.com SIP/2.0", "", "SIP/2.0 400 CSeq method does not match the request"),
        ];
        for (start, extra, want) in cases {
            assert_eq!(status(answer(request(start, extra).as_bytes())).as_deref(), Some(want), "{start} {extra}");
        }
        let long = request("OPTIONS sip:b@example.com SIP/2.0", "").replace("Content-Length: 0", "Content-Length: 10");
        assert_eq!(
            status(answer(long.as_bytes())).as_deref(),
            Some("SIP/2.0 400 Content-Length larger than the message")
        );
    }

    #[test]
    fn the_answer_copies_the_request_and_tags_its_to() {
        let req = request("NEWMETHOD sip:b@example.com SIP/2.0", "").replace("CSeq: 1 OPTIONS", "CSeq: 1 NEWMETHOD");
        let text = String::from_utf8(answer(req.as_bytes()).unwrap()).unwrap();
        assert!(text.contains("\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"), "{text}");
        assert!(text.contains("\r\nFrom: <sip:a@example.com>;tag=1\r\n"), "{text}");
        assert!(text.contains("\r\nTo: sip:b@example.com;tag="), "{text}");
        assert!(text.contains("\r\nCSeq: 1 NEWMETHOD\r\n"), "{text}");
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"), "{text}");
    }

    #[test]
    fn responses_acks_and_requests_without_a_via_are_not_answered() {
        assert_eq!(answer(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\r\n"), None);
        assert_eq!(answer(request("ACK sip:b@example.com SIP/7.0", "").as_bytes()), None);
        assert_eq!(answer(b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n"), None);
        assert_eq!(answer(b"hello"), None);
    }
}
