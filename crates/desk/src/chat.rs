//! Web chat's rules (issue "Every channel in one queue", item 2): what a
//! visitor must give to start, what a message may be, and how fast a
//! visitor may write. Pure: time is passed in.

use crate::forms::{is_email, is_phone};

/// The longest message, in characters.
pub const MAX_MESSAGE: usize = 2000;
/// The longest name.
pub const MAX_NAME: usize = 80;
/// Messages a visitor may send at once, then one a second.
pub const BURST: u32 = 10;
/// Messages over the rate before the connection is closed.
pub const STRIKES: u32 = 3;

/// Why a visitor's start or message is refused; each is an error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    #[error("give your name")]
    NameMissing,
    #[error("the name is longer than {MAX_NAME} characters")]
    NameTooLong,
    #[error("give a phone number or an e-mail address to be answered on")]
    NoWayBack,
    #[error("{0:?} is not a phone number")]
    NotPhone(String),
    #[error("{0:?} is not an e-mail address")]
    NotEmail(String),
    #[error("the message is empty")]
    Empty,
    #[error("the message is longer than {MAX_MESSAGE} characters")]
    TooLong,
    #[error("messages come too fast")]
    TooFast,
}

impl ChatError {
    /// The stable code the API and the widget show it by.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::NameMissing => "name_missing",
            ChatError::NameTooLong => "name_too_long",
            ChatError::NoWayBack => "no_way_back",
            ChatError::NotPhone(_) => "not_a_phone",
            ChatError::NotEmail(_) => "not_an_email",
            ChatError::Empty => "message_empty",
            ChatError::TooLong => "message_too_long",
            ChatError::TooFast => "too_fast",
        }
    }
}

/// A visitor who may start a chat: the name, and the phone and e-mail
/// given (empty when not), trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// Checks what a visitor gave to start: a name, and a phone or an e-mail.
pub fn visitor(name: &str, phone: &str, email: &str) -> Result<Visitor, ChatError> {
    let (name, phone, email) = (name.trim(), phone.trim(), email.trim());
    if name.is_empty() {
        return Err(ChatError::NameMissing);
    }
    if name.chars().count() > MAX_NAME {
        return Err(ChatError::NameTooLong);
    }
    if phone.is_empty() && email.is_empty() {
        return Err(ChatError::NoWayBack);
    }
    if !phone.is_empty() && !is_phone(phone) {
        return Err(ChatError::NotPhone(phone.to_owned()));
    }
    if !email.is_empty() && !is_email(email) {
        return Err(ChatError::NotEmail(email.to_owned()));
    }
    Ok(Visitor { name: name.to_owned(), phone: phone.to_owned(), email: email.to_owned() })
}

/// A message as kept: trimmed, control characters but line breaks and
/// tabs taken out (it is shown as text, never as HTML, wherever it goes).
pub fn message(text: &str) -> Result<String, ChatError> {
    let clean: String = text.trim().chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    if clean.is_empty() {
        return Err(ChatError::Empty);
    }
    if clean.chars().count() > MAX_MESSAGE {
        return Err(ChatError::TooLong);
    }
    Ok(clean)
}

/// A visitor's pace: a token bucket of [`BURST`] messages refilled at one
/// a second, and the strikes of messages refused for coming too fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    tokens: u32,
    /// When a token was last added (milliseconds, the caller's clock).
    last: u64,
    pub strikes: u32,
}

impl Pace {
    pub fn new(now_ms: u64) -> Pace {
        Pace { tokens: BURST, last: now_ms, strikes: 0 }
    }

    /// Whether a message at `now_ms` may go; a refusal is a strike.
    pub fn allow(&mut self, now_ms: u64) -> bool {
        let earned = now_ms.saturating_sub(self.last) / 1000;
        if earned > 0 {
            self.tokens = self.tokens.saturating_add(u32::try_from(earned).unwrap_or(u32::MAX)).min(BURST);
            self.last += earned * 1000;
        }
        if self.tokens == 0 {
            self.strikes += 1;
            return false;
        }
        self.tokens -= 1;
        true
    }

    /// Whether the visitor struck out (the connection is closed).
    pub fn out(&self) -> bool {
        self.strikes >= STRIKES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_gives_a_name_and_a_way_back() {
        assert_eq!(
            visitor(" Vesna ", "", "vesna@example.com"),
            Ok(Visitor { name: "Vesna".into(), phone: String::new(), email: "vesna@example.com".into() })
        );
        assert_eq!(visitor("Vesna", "+387 61 111 222", "").map(|v| v.phone), Ok("+387 61 111 222".into()));
        assert_eq!(visitor("  ", "061111222", ""), Err(ChatError::NameMissing));
        assert_eq!(visitor("Vesna", "", ""), Err(ChatError::NoWayBack));
        assert_eq!(visitor("Vesna", "call me", ""), Err(ChatError::NotPhone("call me".into())));
        assert_eq!(visitor("Vesna", "", "vesna"), Err(ChatError::NotEmail("vesna".into())));
        assert_eq!(visitor(&"x".repeat(MAX_NAME + 1), "061111222", ""), Err(ChatError::NameTooLong));
    }

    #[test]
    fn a_message_is_text_within_its_length() {
        assert_eq!(message("  <b>hi</b>\u{7}\n ").as_deref(), Ok("<b>hi</b>"), "HTML is kept as text; a bell is not");
        assert_eq!(message("line one\nline two").as_deref(), Ok("line one\nline two"));
        assert_eq!(message(" \n "), Err(ChatError::Empty));
        assert_eq!(message(&"ž".repeat(MAX_MESSAGE)).map(|m| m.chars().count()), Ok(MAX_MESSAGE));
        assert_eq!(message(&"ž".repeat(MAX_MESSAGE + 1)), Err(ChatError::TooLong));
    }

    #[test]
    fn a_flood_is_refused_then_struck_out() {
        let mut p = Pace::new(0);
        for _ in 0..BURST {
            assert!(p.allow(0));
        }
        assert!(!p.allow(10), "the burst is spent");
        assert!(p.allow(1000), "one more a second later");
        assert!(!p.allow(1500));
        assert!(!p.out());
        assert!(!p.allow(1600));
        assert!(p.out(), "three refusals close the connection");
        let mut q = Pace::new(0);
        for _ in 0..BURST {
            q.allow(0);
        }
        assert!(q.allow(60_000) && q.allow(60_000), "a quiet minute refills the bucket");
        assert_eq!(q.tokens, BURST - 2, "but never beyond the burst");
    }
}
