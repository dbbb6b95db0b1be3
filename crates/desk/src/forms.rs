//! Web forms (CC-7; issue "Every channel in one queue", item 4): a
//! company's forms on its own site — a callback request, an order inquiry,
//! a complaint, a general message — each with its fields. Pure: the
//! built-in forms, a form definition checked, a submission checked (the
//! honeypot, required fields, lengths, a phone or an e-mail that reads as
//! one), and whether an address has sent too many.

use std::collections::BTreeMap;

/// What a form is for, and so what a submission becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A callback in the queue, to the number given.
    Callback,
    /// A contact for the operators: the client wants to order.
    OrderInquiry,
    /// A case (category complaint) for the department concerned.
    Complaint,
    /// A contact for the operators.
    General,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Callback, Kind::OrderInquiry, Kind::Complaint, Kind::General];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Callback => "callback",
            Kind::OrderInquiry => "order_inquiry",
            Kind::Complaint => "complaint",
            Kind::General => "general",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a field holds, so it is checked as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldKind {
    Text,
    /// Several lines.
    Message,
    Phone,
    Email,
}

impl FieldKind {
    pub const ALL: [FieldKind; 4] = [FieldKind::Text, FieldKind::Message, FieldKind::Phone, FieldKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Message => "message",
            FieldKind::Phone => "phone",
            FieldKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The longest value, in characters.
    pub fn max_len(self) -> usize {
        match self {
            FieldKind::Message => 4000,
            FieldKind::Text => 200,
            FieldKind::Phone => 40,
            FieldKind::Email => 254,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// 1–32 of a–z, 0–9, `_`.
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Its label per language (`bs`, `en`, `ru`); none: the built-in
    /// words for its name.
    pub labels: BTreeMap<String, String>,
}

/// A company's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// 1–32 of a–z, 0–9, `_`, `-`; in the form's address.
    pub code: String,
    pub kind: Kind,
    pub fields: Vec<Field>,
    pub active: bool,
}

/// The honeypot: a field people never see (hidden by the form's style)
/// and robots fill in.
pub const HONEYPOT: &str = "website";

/// At most this many submissions per address and company in an hour.
pub const PER_ADDRESS_PER_HOUR: u32 = 5;

/// At most this many fields on a form.
pub const MAX_FIELDS: usize = 12;

/// Why a form or a submission is refused; each names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("form code {0:?}: 1–32 of a–z, 0–9, _ and -")]
    BadCode(String),
    #[error("field name {0:?}: 1–32 of a–z, 0–9 and _ (not {HONEYPOT:?})")]
    BadName(String),
    #[error("field {0:?} appears twice")]
    Twice(String),
    #[error("a form has 1 to {MAX_FIELDS} fields, not {0}")]
    FieldCount(usize),
    #[error("a callback form needs a required phone field")]
    NoPhone,
    #[error("field {0:?} is required")]
    Missing(String),
    #[error("field {field:?} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("field {0:?} is not a phone number")]
    NotPhone(String),
    #[error("field {0:?} is not an e-mail address")]
    NotEmail(String),
    #[error("no field {0:?} on this form")]
    Unknown(String),
    #[error("a phone number or an e-mail address is needed to answer")]
    NoWayBack,
}

fn field(name: &str, kind: FieldKind, required: bool) -> Field {
    Field { name: name.to_owned(), kind, required, labels: BTreeMap::new() }
}

/// The forms a company has until it sets its own: one per kind, its code
/// the kind's.
pub fn built_in() -> Vec<Form> {
    use FieldKind::*;
    let contact = |required_phone: bool| {
        vec![field("name", Text, true), field("phone", Phone, required_phone), field("email", Email, false)]
    };
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let mut fields = contact(kind == Kind::Callback);
            if kind == Kind::OrderInquiry {
                fields.push(field("company", Text, false));
            }
            fields.push(field("message", Message, kind != Kind::Callback));
            Form { code: kind.as_str().replace('_', "-"), kind, fields, active: true }
        })
        .collect()
}

fn valid_code(code: &str, dash: bool) -> bool {
    (1..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || (dash && b == b'-'))
}

impl Form {
    /// Checks the definition: its code, 1–12 fields with good unique names
    /// (never the honeypot's), a callback form with a required phone.
    pub fn check(&self) -> Result<(), FormError> {
        if !valid_code(&self.code, true) {
            return Err(FormError::BadCode(self.code.clone()));
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(FormError::FieldCount(self.fields.len()));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if !valid_code(&f.name, false) || f.name == HONEYPOT {
                return Err(FormError::BadName(f.name.clone()));
            }
            if self.fields[..i].iter().any(|o| o.name == f.name) {
                return Err(FormError::Twice(f.name.clone()));
            }
        }
        if self.kind == Kind::Callback && !self.fields.iter().any(|f| f.kind == FieldKind::Phone && f.required) {
            return Err(FormError::NoPhone);
        }
        Ok(())
    }

    /// The value of the form's first field of `kind` in a checked
    /// submission, if given.
    pub fn first<'a>(&self, values: &'a BTreeMap<String, String>, kind: FieldKind) -> Option<&'a str> {
        self.fields
            .iter()
            .filter(|f| f.kind == kind)
            .find_map(|f| values.get(&f.name).map(String::as_str).filter(|v| !v.is_empty()))
    }
}

/// What a submission is, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// The honeypot was filled in: a robot. Answered as if taken, kept
    /// nowhere.
    Spam,
    /// The form's fields, trimmed, empty ones left out.
    Taken(BTreeMap<String, String>),
}

/// Checks a submission of `form`: the honeypot, every value within its
/// field's length and kind, required fields given, no unknown field, and a
/// phone or an e-mail to answer on.
pub fn check(form: &Form, values: &BTreeMap<String, String>) -> Result<Submission, FormError> {
    if values.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        return Ok(Submission::Spam);
    }
    let mut out = BTreeMap::new();
    for (name, value) in values {
        if name == HONEYPOT {
            continue;
        }
        let Some(f) = form.fields.iter().find(|f| &f.name == name) else {
            return Err(FormError::Unknown(name.clone()));
        };
        let v = value.trim();
        if v.chars().count() > f.kind.max_len() {
            return Err(FormError::TooLong { field: name.clone(), max: f.kind.max_len() });
        }
        if v.is_empty() {
            continue;
        }
        match f.kind {
            FieldKind::Phone if !is_phone(v) => return Err(FormError::NotPhone(name.clone())),
            FieldKind::Email if !is_email(v) => return Err(FormError::NotEmail(name.clone())),
            _ => {}
        }
        out.insert(name.clone(), v.to_owned());
    }
    if let Some(f) = form.fields.iter().find(|f| f.required && !out.contains_key(&f.name)) {
        return Err(FormError::Missing(f.name.clone()));
    }
    if form.first(&out, FieldKind::Phone).is_none() && form.first(&out, FieldKind::Email).is_none() {
        return Err(FormError::NoWayBack);
    }
    Ok(Submission::Taken(out))
}

/// Digits with the usual separators, 6 to 15 digits, an optional leading
/// `+`.
pub fn is_phone(v: &str) -> bool {
    let rest = v.strip_prefix('+').unwrap_or(v);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars().all(|c| c.is_ascii_digit() || " -/().".contains(c)) && (6..=15).contains(&digits)
}

/// One `@` between a local part and a domain with a dot, no spaces.
pub fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

/// Whether an address that sent `recent` submissions in the last hour may
/// send another.
pub fn may_submit(recent: u32) -> bool {
    recent < PER_ADDRESS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_built_in_forms_are_good_ones() {
        let forms = built_in();
        assert_eq!(
            forms.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
            ["callback", "order-inquiry", "complaint", "general"]
        );
        for f in &forms {
            assert_eq!(f.check(), Ok(()), "{}", f.code);
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for k in FieldKind::ALL {
            assert_eq!(FieldKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn a_form_definition_is_checked() {
        let mut f = built_in().remove(0);
        f.code = "Bad Code".into();
        assert_eq!(f.check(), Err(FormError::BadCode("Bad Code".into())));
        let mut f = built_in().remove(0);
        f.fields.push(field(HONEYPOT, FieldKind::Text, false));
        assert_eq!(f.check(), Err(FormError::BadName(HONEYPOT.into())));
        let mut f = built_in().remove(0);
        f.fields.push(field("name", FieldKind::Text, false));
        assert_eq!(f.check(), Err(FormError::Twice("name".into())));
        let mut f = built_in().remove(0);
        f.fields.retain(|x| x.kind != FieldKind::Phone);
        assert_eq!(f.check(), Err(FormError::NoPhone));
        let mut f = built_in().remove(3);
        f.fields.clear();
        assert_eq!(f.check(), Err(FormError::FieldCount(0)));
    }

    #[test]
    fn a_submission_is_checked_field_by_field() {
        let callback = &built_in()[0];
        let general = &built_in()[3];
        let ok = check(callback, &values(&[("name", " Ana "), ("phone", "+387 61 123-456"), ("message", "")]));
        assert_eq!(ok, Ok(Submission::Taken(values(&[("name", "Ana"), ("phone", "+387 61 123-456")]))));
        let table: &[(&Form, &[(&str, &str)], FormError)] = &[
            (callback, &[("name", "Ana")], FormError::Missing("phone".into())),
            (callback, &[("name", "Ana"), ("phone", "call me")], FormError::NotPhone("phone".into())),
            (callback, &[("name", "Ana"), ("phone", "12345")], FormError::NotPhone("phone".into())),
            (callback, &[("name", "Ana"), ("phone", "061123456"), ("fax", "1")], FormError::Unknown("fax".into())),
            (general, &[("name", "Ana"), ("email", "ana@"), ("message", "hi")], FormError::NotEmail("email".into())),
            (
                general,
                &[("name", "Ana"), ("email", "a b@x.ba"), ("message", "hi")],
                FormError::NotEmail("email".into()),
            ),
            (general, &[("name", "Ana"), ("message", "hi")], FormError::NoWayBack),
            (general, &[("email", "ana@firma.ba"), ("message", "hi")], FormError::Missing("name".into())),
        ];
        for (form, given, want) in table {
            assert_eq!(check(form, &values(given)), Err(want.clone()), "{given:?}");
        }
        let long = "x".repeat(4001);
        let r = check(general, &values(&[("name", "Ana"), ("email", "ana@firma.ba"), ("message", &long)]));
        assert_eq!(r, Err(FormError::TooLong { field: "message".into(), max: 4000 }));
        // A robot fills in the honeypot: spam, whatever else it sent.
        let bot = check(general, &values(&[(HONEYPOT, "http://spam.example"), ("fax", "1")]));
        assert_eq!(bot, Ok(Submission::Spam));
        let email = values(&[("name", "Ana"), ("email", "ana@firma.ba"), ("message", "hi")]);
        assert_eq!(general.first(&email, FieldKind::Email), Some("ana@firma.ba"));
        assert_eq!(general.first(&email, FieldKind::Phone), None);
        assert!(may_submit(4) && !may_submit(5));
    }
}
