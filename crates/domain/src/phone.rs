//! Phone numbers normalized to E.164 (`+38733123456`), the one key under
//! which callers are looked up.
//!
//! Hand-written rather than the `phonenumber` crate: we need a canonical
//! lookup key from the notations clients and accounting systems actually
//! use (`+387 33 123-456`, `00387…`, `033/123-456`, `(033) 123 456`), not
//! per-country validity rules, and a caller ID that fails a country's
//! validity table must still be matched.

use std::fmt;

/// A phone number in E.164 form: `+` then 8 to 15 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("empty phone number")]
    Empty,
    #[error("phone number {0:?} has a character that is not a digit, space, +, -, /, . or parenthesis")]
    BadCharacter(String),
    #[error("phone number {0:?} has {1} digits; E.164 allows 8 to 15 with the country code")]
    BadLength(String, usize),
}

/// Normalizes `input` to E.164. A number without an international prefix
/// (`+` or `00`) is national: one leading trunk `0` is dropped and
/// `default_country_code` (digits only, e.g. `387`) is put in front.
/// A `sip:`/`tel:` URI user part is accepted too (`tel:+38733123456`).
pub fn normalize_phone(input: &str, default_country_code: &str) -> Result<Phone, PhoneError> {
    let mut s = input.trim();
    for scheme in ["tel:", "sip:", "sips:"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            s = rest.split(['@', ';']).next().unwrap_or("");
        }
    }
    if s.is_empty() {
        return Err(PhoneError::Empty);
    }
    let mut digits = String::with_capacity(16);
    let mut international = false;
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => international = true,
            ' ' | '-' | '/' | '.' | '(' | ')' => {}
            _ => return Err(PhoneError::BadCharacter(input.to_owned())),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let full = if international {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("{default_country_code}{rest}")
    } else if digits.len() > 10 && !default_country_code.is_empty() && digits.starts_with(default_country_code) {
        // Already carries the country code, only the `+` was left out.
        digits
    } else {
        format!("{default_country_code}{digits}")
    };
    if !(8..=15).contains(&full.len()) {
        return Err(PhoneError::BadLength(input.to_owned(), full.len()));
    }
    Ok(Phone(format!("+{full}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_notations_give_one_key() {
        let cases = [
            "+387 33 123 456",
            "00387 33 123-456",
            "033/123-456",
            "(033) 123 456",
            "033.123.456",
            "38733123456",
            "tel:+38733123456",
            "sip:+38733123456@10.0.0.1;user=phone",
        ];
        for c in cases {
            assert_eq!(normalize_phone(c, "387").map(|p| p.0), Ok("+38733123456".to_owned()), "{c}");
        }
    }

    #[test]
    fn other_countries_keep_their_code() {
        assert_eq!(normalize_phone("+381 11 222 3333", "387").map(|p| p.0), Ok("+381112223333".into()));
        assert_eq!(normalize_phone("0049 30 1234567", "387").map(|p| p.0), Ok("+49301234567".into()));
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert_eq!(normalize_phone("  ", "387"), Err(PhoneError::Empty));
        assert!(matches!(normalize_phone("033-abc", "387"), Err(PhoneError::BadCharacter(_))));
        assert!(matches!(normalize_phone("12", "387"), Err(PhoneError::BadLength(_, 5))));
        assert!(matches!(normalize_phone("+1234567890123456", "387"), Err(PhoneError::BadLength(_, 16))));
        assert!(matches!(normalize_phone("3+3", "387"), Err(PhoneError::BadCharacter(_))));
    }
}
