//! What calls were about (CC-8): the company's wrap-up codes, grouped in
//! request categories, each named in every language the desk speaks.
//!
//! A company that configured none uses the five built-in codes, named by
//! the translations (`wrap-<code>`). A configured code that is not
//! built in must be named in every language, so that no page ever shows a
//! raw code. A code taken off the list is kept, retired, so that the calls
//! that carry it are still named in reports.

use std::collections::BTreeMap;

/// The languages every configured name is given in.
pub const LANGUAGES: [&str; 3] = ["bs", "en", "ru"];

/// The codes a company without its own list uses.
pub const BUILT_IN: [&str; 5] = ["order_taken", "information", "complaint", "callback", "other"];

/// At most this many codes and this many categories per company.
pub const MAX_CODES: usize = 60;
pub const MAX_CATEGORIES: usize = 20;

/// A name per language (`bs`, `en`, `ru`).
pub type Names = BTreeMap<String, String>;

/// A wrap-up code as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: String,
    /// The request category's code; empty: none.
    pub category: String,
    pub names: Names,
    /// Offered to operators; a retired code only names old calls.
    pub active: bool,
}

/// A request category: a group of codes reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub names: Names,
}

/// Why a list of codes cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("the list has no codes")]
    Empty,
    #[error("at most {MAX_CODES} codes and {MAX_CATEGORIES} categories")]
    TooMany,
    #[error("code {0:?} is not 1 to 40 of a-z, 0-9 and _")]
    BadCode(String),
    #[error("code {0:?} is given twice")]
    Twice(String),
    #[error(
        "{0:?} has no name in {1:?} (every code that is not built in, and every category, is named in bs, en and ru)"
    )]
    Unnamed(String, &'static str),
    #[error("name of {0:?} is longer than 80 characters")]
    LongName(String),
    #[error("code {0:?} names the category {1:?}, which is not in the list")]
    UnknownCategory(String, String),
}

fn well_formed(code: &str) -> bool {
    (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn named(code: &str, names: &Names, needed: bool) -> Result<(), Problem> {
    for lang in LANGUAGES {
        let name = names.get(lang).map_or("", |n| n.trim());
        if name.is_empty() && needed {
            return Err(Problem::Unnamed(code.to_owned(), lang));
        }
        if name.chars().count() > 80 {
            return Err(Problem::LongName(code.to_owned()));
        }
    }
    Ok(())
}

/// Checks a company's new list: well-formed unique codes, every category
/// used is listed, and every name a person will read is there.
pub fn check(codes: &[Code], categories: &[Category]) -> Result<(), Problem> {
    if codes.is_empty() {
        return Err(Problem::Empty);
    }
    if codes.len() > MAX_CODES || categories.len() > MAX_CATEGORIES {
        return Err(Problem::TooMany);
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in categories {
        if !well_formed(&c.code) {
            return Err(Problem::BadCode(c.code.clone()));
        }
        if !seen.insert(("category", c.code.as_str())) {
            return Err(Problem::Twice(c.code.clone()));
        }
        named(&c.code, &c.names, true)?;
    }
    for c in codes {
        if !well_formed(&c.code) {
            return Err(Problem::BadCode(c.code.clone()));
        }
        if !seen.insert(("code", c.code.as_str())) {
            return Err(Problem::Twice(c.code.clone()));
        }
        named(&c.code, &c.names, !BUILT_IN.contains(&c.code.as_str()))?;
        if !c.category.is_empty() && !categories.iter().any(|k| k.code == c.category) {
            return Err(Problem::UnknownCategory(c.code.clone(), c.category.clone()));
        }
    }
    Ok(())
}

/// The list as it will be kept: the new codes, active, in their order,
/// then the old ones left out of it, retired (their names and category
/// kept).
pub fn merge(old: &[Code], new: &[Code]) -> Vec<Code> {
    let mut out: Vec<Code> = new.iter().map(|c| Code { active: true, ..c.clone() }).collect();
    for o in old {
        if !new.iter().any(|n| n.code == o.code) {
            out.push(Code { active: false, ..o.clone() });
        }
    }
    out
}

/// The built-in list, as a company without its own uses it.
pub fn built_in() -> Vec<Code> {
    BUILT_IN
        .iter()
        .map(|c| Code { code: (*c).to_owned(), category: String::new(), names: Names::new(), active: true })
        .collect()
}

/// A name in `lang`: the configured one, or `None` for the translations
/// to give (a built-in code named by nobody).
pub fn name_in<'a>(names: &'a Names, lang: &str) -> Option<&'a str> {
    names.get(lang).map(|n| n.trim()).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(bs: &str, en: &str, ru: &str) -> Names {
        [("bs", bs), ("en", en), ("ru", ru)]
            .into_iter()
            .filter(|(_, n)| !n.is_empty())
            .map(|(l, n)| (l.to_owned(), n.to_owned()))
            .collect()
    }

    fn code(c: &str, category: &str, n: Names) -> Code {
        Code { code: c.into(), category: category.into(), names: n, active: true }
    }

    fn category(c: &str) -> Category {
        Category { code: c.into(), names: names("Prodaja", "Sales", "Продажи") }
    }

    #[test]
    fn a_list_is_checked_for_what_a_person_would_read() {
        let sales = [category("sales")];
        let ok = [
            code("order_taken", "sales", Names::new()),
            code("price_question", "sales", names("Upit o cijeni", "Price question", "Вопрос о цене")),
        ];
        assert_eq!(check(&ok, &sales), Ok(()));
        assert_eq!(check(&[], &sales), Err(Problem::Empty));
        let unnamed = [code("price_question", "", names("Upit o cijeni", "Price question", ""))];
        assert_eq!(check(&unnamed, &[]), Err(Problem::Unnamed("price_question".into(), "ru")));
        let blank = [code("x", "", names("  ", "X", "X"))];
        assert_eq!(check(&blank, &[]), Err(Problem::Unnamed("x".into(), "bs")));
        assert_eq!(check(&[code("Order", "", Names::new())], &[]), Err(Problem::BadCode("Order".into())));
        assert_eq!(check(&[code("", "", Names::new())], &[]), Err(Problem::BadCode(String::new())));
        let twice = [code("other", "", Names::new()), code("other", "", Names::new())];
        assert_eq!(check(&twice, &[]), Err(Problem::Twice("other".into())));
        let stray = [code("other", "service", Names::new())];
        assert_eq!(check(&stray, &sales), Err(Problem::UnknownCategory("other".into(), "service".into())));
        let unnamed_category = [Category { code: "sales".into(), names: names("Prodaja", "Sales", "") }];
        assert_eq!(check(&ok[..1], &unnamed_category), Err(Problem::Unnamed("sales".into(), "ru")));
        let long = [code("other", "", names(&"a".repeat(81), "", ""))];
        assert_eq!(check(&long, &[]), Err(Problem::LongName("other".into())));
        // A code and a category may share a name; two categories may not.
        assert_eq!(check(&[code("sales", "sales", names("P", "S", "П"))], &sales), Ok(()));
        assert_eq!(check(&ok, &[category("sales"), category("sales")]), Err(Problem::Twice("sales".into())));
        let many: Vec<Code> = (0..=MAX_CODES).map(|i| code(&format!("c{i}"), "", names("a", "b", "c"))).collect();
        assert_eq!(check(&many, &[]), Err(Problem::TooMany));
    }

    #[test]
    fn codes_left_out_are_retired_not_lost() {
        let old = vec![code("other", "", Names::new()), code("price", "sales", names("Cijena", "Price", "Цена"))];
        let new = vec![code("other", "", Names::new()), code("delivery", "", names("Dostava", "Delivery", "Доставка"))];
        let kept = merge(&old, &new);
        let seen: Vec<(&str, bool)> = kept.iter().map(|c| (c.code.as_str(), c.active)).collect();
        assert_eq!(seen, [("other", true), ("delivery", true), ("price", false)]);
        assert_eq!(kept[2].category, "sales");
        assert_eq!(name_in(&kept[2].names, "ru"), Some("Цена"));
        assert_eq!(name_in(&kept[0].names, "ru"), None);
        assert_eq!(built_in().len(), 5);
        assert!(built_in().iter().all(|c| c.active && c.category.is_empty()));
    }
}
