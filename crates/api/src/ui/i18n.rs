//! UI translations from data files (`ui/i18n/*.ftl`), one per language,
//! and the messages of the API's error codes (`err-<code>`).
//!
//! The files use Fluent's syntax for simple messages with variables
//! (`key = text with { $name }`), read by this small loader: no message
//! needs plurals or selectors. When one does, switch to `fluent-bundle`;
//! the files stay as they are.
//!
//! Serbian in Cyrillic (`sr`) has no file: it is the Bosnian text
//! transliterated letter by letter (both are ijekavian, as Serbian is
//! written in Bosnia and Herzegovina), so it never falls behind.

use std::{collections::HashMap, sync::OnceLock};

const FILES: [(&str, &str); 3] = [
    ("en", include_str!("../../ui/i18n/en.ftl")),
    ("bs", include_str!("../../ui/i18n/bs.ftl")),
    ("ru", include_str!("../../ui/i18n/ru.ftl")),
];

/// Every language a person may choose, with its own name for itself.
pub const LANGUAGES: [(&str, &str); 4] =
    [("bs", "Bosanski"), ("sr", "Српски (ћирилица)"), ("en", "English"), ("ru", "Русский")];

/// The language a page falls back to when nobody chose one.
pub const DEFAULT: &str = "bs";

type Catalog = HashMap<&'static str, HashMap<&'static str, String>>;

fn parse(text: &'static str) -> HashMap<&'static str, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim().to_owned()))
        .collect()
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut c: Catalog = FILES.iter().map(|(lang, text)| (*lang, parse(text))).collect();
        let sr = c.get("bs").map(|bs| bs.iter().map(|(k, v)| (*k, cyrillic(v))).collect()).unwrap_or_default();
        c.insert("sr", sr);
        c
    })
}

/// Bosnian Latin to Serbian Cyrillic, letter by letter (lj, nj and dž are
/// one letter each); the names inside `{ $… }` stay as they are.
pub fn cyrillic(latin: &str) -> String {
    const DIGRAPHS: [(&str, char); 9] = [
        ("Lj", 'Љ'),
        ("LJ", 'Љ'),
        ("lj", 'љ'),
        ("Nj", 'Њ'),
        ("NJ", 'Њ'),
        ("nj", 'њ'),
        ("Dž", 'Џ'),
        ("DŽ", 'Џ'),
        ("dž", 'џ'),
    ];
    let one = |c: char| -> Option<char> {
        let lower = "abcčćdđefghijklmnoprsštuvzž";
        let cyr = "абцчћдђефгхијклмнопрсштувзж";
        let (lc, upper) = match c.to_lowercase().next() {
            Some(l) => (l, c.is_uppercase()),
            None => return None,
        };
        let i = lower.chars().position(|x| x == lc)?;
        let out = cyr.chars().nth(i)?;
        Some(if upper { out.to_uppercase().next().unwrap_or(out) } else { out })
    };
    let mut out = String::with_capacity(latin.len() * 2);
    let mut rest = latin;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("{ $") || rest.starts_with("{$") {
            let end = rest.find('}').map_or(rest.len(), |e| e + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        if let Some((d, cy)) = DIGRAPHS.iter().find(|(d, _)| rest.starts_with(d)) {
            out.push(*cy);
            rest = &rest[d.len()..];
            continue;
        }
        out.push(one(c).unwrap_or(c));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether there are messages in `lang`.
pub fn known(lang: &str) -> bool {
    LANGUAGES.iter().any(|(l, _)| *l == lang)
}

/// The languages there are messages for.
pub fn languages() -> Vec<&'static str> {
    LANGUAGES.iter().map(|(l, _)| *l).collect()
}

/// The best of the languages a browser asks for (`Accept-Language`), or
/// the default.
pub fn negotiate(accept: &str) -> &'static str {
    accept
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = it.next()?.trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            // Serbian asked for in Latin script, Croatian and Montenegrin read the Bosnian text.
            let lang = match tag.split('-').next()? {
                "sr" if tag.contains("latn") => "bs",
                "hr" | "cnr" | "sh" => "bs",
                other => LANGUAGES.iter().map(|(l, _)| *l).find(|l| *l == other)?,
            };
            Some((lang, q))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(DEFAULT, |(l, _)| l)
}

/// A language's messages. A key missing in the language shows as
/// `⟦key⟧` (the tests fail on it), never as another language's text.
#[derive(Clone, Copy)]
pub struct Tr {
    lang: &'static str,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        let lang = LANGUAGES.iter().map(|(l, _)| *l).find(|l| *l == lang).unwrap_or(DEFAULT);
        Tr { lang }
    }

    pub fn lang(self) -> &'static str {
        self.lang
    }

    fn get(self, key: &str) -> Option<&'static str> {
        catalog().get(self.lang).and_then(|m| m.get(key)).map(String::as_str)
    }

    pub fn t(self, key: &str) -> String {
        self.get(key).map_or_else(|| format!("⟦{key}⟧"), str::to_owned)
    }

    /// The message with its `{ $name }` variables filled in.
    pub fn t_with(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(&self.t(key), |name| args.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    /// A name a company gave per language (`centrala_desk::requests`): in
    /// this language, Serbian as the Bosnian transliterated.
    pub fn pick(self, names: &centrala_desk::requests::Names) -> Option<String> {
        match self.lang {
            "sr" => centrala_desk::requests::name_in(names, "bs").map(cyrillic),
            lang => centrala_desk::requests::name_in(names, lang).map(str::to_owned),
        }
    }

    /// Every message of the language, for the page's JavaScript.
    pub fn all(self) -> HashMap<&'static str, &'static str> {
        catalog().get(self.lang).map(|m| m.iter().map(|(k, v)| (*k, v.as_str())).collect()).unwrap_or_default()
    }
}

/// Fills `{ $name }` placeables; an unknown name stays as written.
pub fn fill(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let inner = after[1..close].trim();
        match inner.strip_prefix('$').and_then(|n| value(n.trim())) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&after[..=close]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_key_and_the_same_variables() {
        let c = catalog();
        let en = &c["en"];
        assert!(en.len() > 40);
        let vars = |s: &str| {
            let mut v: Vec<String> =
                s.split("{ $").skip(1).filter_map(|p| p.split_once(" }").map(|(n, _)| n.to_owned())).collect();
            v.sort();
            v
        };
        for lang in languages() {
            let missing: Vec<&&str> = en.keys().filter(|k| !c[lang].contains_key(*k)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            let extra: Vec<&&str> = c[lang].keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
            for (k, v) in &c[lang] {
                assert_eq!(vars(v), vars(&en[k]), "{lang}: {k} names other variables than English");
            }
        }
        assert_eq!(Tr::new("bs").t("login-submit"), "Prijavi se");
        assert_eq!(Tr::new("ru").t("login-submit"), "Войти");
        assert_eq!(Tr::new("sr").t("login-submit"), "Пријави се");
        assert_eq!(Tr::new("xx").t("login-submit"), "Prijavi se", "the default is Bosnian");
        assert_eq!(Tr::new("en").t("no-such-key"), "⟦no-such-key⟧");
    }

    #[test]
    fn cyrillic_takes_digraphs_as_one_letter_and_keeps_variables() {
        assert_eq!(cyrillic("Ljubljana, Njegoš, džem, Đurđa, Čačak"), "Љубљана, Његош, џем, Ђурђа, Чачак");
        assert_eq!(cyrillic("Narudžba { $order } potvrđena"), "Наруџба { $order } потврђена");
    }

    #[test]
    fn variables_are_filled_by_name() {
        let f = fill("Narudžba { $order } za { $client } ({ $x })", |n| match n {
            "order" => Some("D-1".into()),
            "client" => Some("Čačak".into()),
            _ => None,
        });
        assert_eq!(f, "Narudžba D-1 za Čačak ({ $x })");
    }

    #[test]
    fn a_browsers_languages_are_negotiated() {
        assert_eq!(negotiate("ru-RU,ru;q=0.9,en;q=0.5"), "ru");
        assert_eq!(negotiate("de-DE,en;q=0.8"), "en");
        assert_eq!(negotiate("hr-HR"), "bs");
        assert_eq!(negotiate("sr-Latn-BA"), "bs");
        assert_eq!(negotiate("sr-Cyrl-BA,sr;q=0.9"), "sr");
        assert_eq!(negotiate("de"), "bs");
        assert_eq!(negotiate(""), "bs");
    }
}
