//! UI translations from data files (`ui/i18n/*.ftl`), one per language.
//!
//! The files use Fluent's syntax for simple messages (`key = text`), read
//! by this small loader: every message today is a plain text. When a
//! message needs plurals or variables, switch the loader to `fluent-bundle`;
//! the files stay as they are.

use std::{collections::HashMap, sync::OnceLock};

const FILES: [(&str, &str); 3] = [
    ("en", include_str!("../../ui/i18n/en.ftl")),
    ("bs", include_str!("../../ui/i18n/bs.ftl")),
    ("ru", include_str!("../../ui/i18n/ru.ftl")),
];

type Catalog = HashMap<&'static str, HashMap<&'static str, &'static str>>;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        FILES
            .iter()
            .map(|(lang, text)| {
                let messages = text
                    .lines()
                    .filter(|l| !l.trim_start().starts_with('#'))
                    .filter_map(|l| l.split_once(" = "))
                    .map(|(k, v)| (k.trim(), v.trim()))
                    .collect();
                (*lang, messages)
            })
            .collect()
    })
}

/// The languages there are files for.
pub fn languages() -> Vec<&'static str> {
    FILES.iter().map(|(l, _)| *l).collect()
}

/// A language's messages; English fills what a translation lacks.
#[derive(Clone, Copy)]
pub struct Tr {
    lang: &'static str,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        let lang = FILES.iter().map(|(l, _)| *l).find(|l| *l == lang).unwrap_or("en");
        Tr { lang }
    }

    pub fn lang(self) -> &'static str {
        self.lang
    }

    pub fn t(self, key: &str) -> &'static str {
        let c = catalog();
        c.get(self.lang)
            .and_then(|m| m.get(key))
            .or_else(|| c.get("en").and_then(|m| m.get(key)))
            .copied()
            .unwrap_or("?")
    }

    /// Every message, for the page's JavaScript.
    pub fn all(self) -> HashMap<&'static str, &'static str> {
        let c = catalog();
        let mut m = c.get("en").cloned().unwrap_or_default();
        if let Some(own) = c.get(self.lang) {
            m.extend(own.iter().map(|(k, v)| (*k, *v)));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_key() {
        let c = catalog();
        let en = &c["en"];
        assert!(en.len() > 40);
        for lang in languages() {
            let missing: Vec<&&str> = en.keys().filter(|k| !c[lang].contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
        assert_eq!(Tr::new("bs").t("login-submit"), "Prijavi se");
        assert_eq!(Tr::new("ru").t("login-submit"), "Войти");
        assert_eq!(Tr::new("xx").t("login-submit"), "Log in");
    }
}
