//! E-mail's rules (issue "Every channel in one queue", item 3): which
//! conversation a message belongs to, the subject of a reply, the
//! threading headers of a reply, and what of a message too large is kept.
//! Pure: the caller parses the message (a real MIME parser) and looks the
//! message ids up.

/// A message id without its angle brackets and surrounding space, as
/// kept and compared (`<a@b>` and `a@b` are the same id).
pub fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim()
}

/// The conversation (interaction) an incoming message belongs to: the one
/// holding the message it answers (`In-Reply-To`), else the newest of
/// those it refers to (`References`, read from the last), else none — a
/// new conversation. `known` looks an id up among the company's messages.
pub fn thread_of(in_reply_to: &[String], references: &[String], known: impl Fn(&str) -> Option<i64>) -> Option<i64> {
    in_reply_to.iter().chain(references.iter().rev()).map(|id| bare(id)).filter(|id| !id.is_empty()).find_map(known)
}

/// The subject of a reply: `Re: ` once before the original's.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("re:") || lower.starts_with("odg:") || lower.starts_with("aw:") {
        s.to_owned()
    } else if s.is_empty() {
        "Re:".to_owned()
    } else {
        format!("Re: {s}")
    }
}

/// The threading headers of a reply to the message `parent` (its id and
/// its own references): `In-Reply-To` the parent, `References` the
/// parent's references then the parent (RFC 5322 §3.6.4), the oldest 10
/// and the newest kept when the chain is long.
pub fn reply_references(parent: &str, parent_refs: &[String]) -> (String, Vec<String>) {
    let parent = bare(parent).to_owned();
    let mut refs: Vec<String> =
        parent_refs.iter().map(|r| bare(r).to_owned()).filter(|r| !r.is_empty() && *r != parent).collect();
    refs.push(parent.clone());
    if refs.len() > 20 {
        let tail = refs.split_off(refs.len() - 10);
        refs.truncate(10);
        refs.extend(tail);
    }
    (parent, refs)
}

/// A new message id for a message of the company's, unique by `unique`
/// (random), at the domain of its address.
pub fn message_id(unique: &str, address: &str) -> String {
    let domain = address.rsplit_once('@').map_or("centrala.invalid", |(_, d)| d);
    format!("{unique}@{domain}")
}

/// What of a message is kept, by its size against the limit: all of it,
/// or its headers and a note (the text and attachments are not fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Whole,
    HeadersOnly,
}

pub fn keep(size: u64, limit: u64) -> Keep {
    if size > limit {
        Keep::HeadersOnly
    } else {
        Keep::Whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_reply_joins_the_conversation_it_answers() {
        let known = |id: &str| match id {
            "a@shop" => Some(1),
            "b@centrala" => Some(2),
            _ => None,
        };
        assert_eq!(thread_of(&ids(&["<b@centrala>"]), &[], known), Some(2));
        assert_eq!(thread_of(&ids(&[" <x@y> "]), &ids(&["<a@shop>", "<z@q>"]), known), Some(1), "by its references");
        assert_eq!(thread_of(&[], &ids(&["<a@shop>", "<b@centrala>"]), known), Some(2), "the newest reference first");
        assert_eq!(thread_of(&[], &[], known), None, "a new conversation");
        assert_eq!(thread_of(&ids(&["<>", ""]), &[], known), None);
    }

    #[test]
    fn a_replys_subject_and_headers() {
        assert_eq!(reply_subject("Cjenovnik"), "Re: Cjenovnik");
        assert_eq!(reply_subject("RE: Cjenovnik"), "RE: Cjenovnik");
        assert_eq!(reply_subject("  "), "Re:");
        let (parent, refs) = reply_references("<m3@shop>", &ids(&["<m1@shop>", "m2@centrala"]));
        assert_eq!(parent, "m3@shop");
        assert_eq!(refs, ids(&["m1@shop", "m2@centrala", "m3@shop"]));
        let long: Vec<String> = (0..30).map(|n| format!("m{n}@x")).collect();
        let (_, refs) = reply_references("p@x", &long);
        assert_eq!(refs.len(), 20);
        assert_eq!(
            (refs[0].as_str(), refs[9].as_str(), refs[10].as_str(), refs[19].as_str()),
            ("m0@x", "m9@x", "m21@x", "p@x")
        );
        assert_eq!(message_id("abc", "podrska@firma.ba"), "abc@firma.ba");
        assert_eq!(message_id("abc", "nobody"), "abc@centrala.invalid");
    }

    #[test]
    fn a_message_over_the_limit_keeps_its_headers() {
        assert_eq!(keep(1000, 1000), Keep::Whole);
        assert_eq!(keep(1001, 1000), Keep::HeadersOnly);
    }
}
