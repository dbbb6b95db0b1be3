//! One folding of names for search, so that what a person types on any
//! keyboard meets what the data says: case folded as Unicode folds it, the
//! Bosnian, Serbian and Croatian letters to their plain Latin base (`č`,
//! `ć` → `c`, `š` → `s`, `ž` → `z`, `đ` → `dj`, so "dj" finds "đ"), Serbian
//! Cyrillic letter by letter to the same (`Чачак` → `cacak`), and every
//! other letter through `deunicode` (Russian `пиво` → `pivo`, `é` → `e`).
//! Whitespace runs become one space.

/// Our letters first: `deunicode` writes `č` and `ч` as "c" and "ch",
/// `đ` as "d", and the Serbian Cyrillic ones the Russian way.
fn ours(c: char) -> Option<&'static str> {
    Some(match c {
        'č' | 'ć' | 'ч' | 'ћ' | 'Č' | 'Ć' | 'Ч' | 'Ћ' => "c",
        'š' | 'ш' | 'Š' | 'Ш' => "s",
        'ž' | 'ж' | 'Ž' | 'Ж' => "z",
        'đ' | 'ђ' | 'Đ' | 'Ђ' => "dj",
        'џ' | 'Џ' => "dz",
        'љ' | 'Љ' => "lj",
        'њ' | 'Њ' => "nj",
        'ј' | 'Ј' => "j",
        'ц' | 'Ц' => "c",
        'х' | 'Х' => "h",
        _ => return None,
    })
}

/// `text` folded for search (see the module).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        match ours(c) {
            Some(s) => out.push_str(s),
            None if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            None => {
                for l in c.to_lowercase() {
                    match ours(l) {
                        Some(s) => out.push_str(s),
                        None => out.push_str(&deunicode::deunicode_char(l).unwrap_or("").to_lowercase()),
                    }
                }
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The searchable words of `text`: folded, split on everything that is
/// not an ASCII letter or digit (folding leaves nothing else), each once,
/// in order. The store indexes these and matches typed words against them.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in fold(text).split(|c: char| !c.is_ascii_alphanumeric()) {
        if !w.is_empty() && !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    }
    out
}

/// What a person typed, as words to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    /// Folded words, in order, each once.
    pub words: Vec<String>,
    /// Whether the last word is still being typed (no separator after it),
    /// so it matches as a prefix; every earlier word matches as a prefix
    /// too, so "pek sar" finds "Pekara Sarajevo", but "100%" is the whole
    /// word 100 and does not find 1000.
    pub last_is_prefix: bool,
}

impl Typed {
    /// Longer queries are cut to their first 12 words of at most 40
    /// letters: nobody types more to find a name, and a pasted page must
    /// not become thousands of lookups.
    pub fn parse(q: &str) -> Typed {
        let folded = fold(q);
        let mut words: Vec<String> = Vec::new();
        for w in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
            let w: String = w.chars().take(40).collect();
            if !w.is_empty() && !words.contains(&w) && words.len() < 12 {
                words.push(w);
            }
        }
        let last_is_prefix = folded.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
        Typed { words, last_is_prefix }
    }

    /// Whether word `i` matches as a prefix.
    pub fn is_prefix(&self, i: usize) -> bool {
        i + 1 < self.words.len() || self.last_is_prefix
    }
}

/// Whether a typo is forgiven in `word`: letters only (codes and numbers
/// are exact), five or more of them.
pub fn forgives_typo(word: &str) -> bool {
    word.len() >= 5 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// Whether an indexed word can be a one-typo match of a typed word that
/// forgives one (a typed word of 5 letters may have one too many).
pub fn typo_indexed(word: &str) -> bool {
    word.len() >= 4 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// `word` with one letter left out, every way (symmetric-delete
/// candidates: two words one edit apart share one of these, or one is
/// the other).
pub fn deletions(word: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in 0..word.len() {
        if !word.is_char_boundary(i) {
            continue;
        }
        let mut d = String::with_capacity(word.len());
        d.push_str(&word[..i]);
        let rest = &word[i..];
        let skip = rest.chars().next().map_or(0, char::len_utf8);
        d.push_str(&rest[skip..]);
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// Whether `a` and `b` differ by at most one edit: a letter changed,
/// added or left out, or two neighbours swapped (Damerau).
pub fn one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[pre..], &b[pre..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (x, y) if x == y => a[1..] == b[1..] || (x >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        (x, y) if x == y + 1 => a[1..] == *b,
        (x, y) if y == x + 1 => *a == b[1..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{deletions, fold, one_edit, words, Typed};

    #[test]
    fn names_become_words_and_typing_becomes_lookups() {
        assert_eq!(words("Ćevabdžinica \"Željo\" d.o.o."), ["cevabdzinica", "zeljo", "d", "o"]);
        assert_eq!(words("BE-0001"), ["be", "0001"]);
        assert_eq!(words("Пиво Пиво pivo"), ["pivo"]);
        assert!(words("%_\\ --").is_empty());
        let t = Typed::parse("pek sar");
        assert_eq!((t.words.clone(), t.is_prefix(0), t.is_prefix(1)), (vec!["pek".into(), "sar".into()], true, true));
        let t = Typed::parse("100%");
        assert_eq!((t.words.clone(), t.is_prefix(0)), (vec!["100".to_owned()], false));
        assert!(Typed::parse("%%%").words.is_empty());
        let long = Typed::parse(&"čokolada ".repeat(2_000));
        assert_eq!(long.words, ["cokolada"]);
        let many = Typed::parse(&(0..100).map(|n| format!("w{n}")).collect::<Vec<_>>().join(" "));
        assert_eq!(many.words.len(), 12);
        assert_eq!(Typed::parse(&"a".repeat(10_000)).words[0].len(), 40);
    }

    #[test]
    fn one_typo_is_one_edit() {
        for (a, b, near) in [
            ("cevapi", "cevapi", true),
            ("cevapi", "cevaoi", true),  // changed
            ("cevapi", "cevappi", true), // added
            ("cevapi", "cevap", true),   // left out at the end
            ("cevapi", "evapi", true),   // left out at the start
            ("cevapi", "cveapi", true),  // swapped
            ("cevapi", "cveapa", false),
            ("cevapi", "cevapcici", false),
            ("sarajevo", "sarajveo", true),
            ("sarajevo", "sarejavo", false),
        ] {
            assert_eq!(one_edit(a, b), near, "{a} {b}");
            assert_eq!(one_edit(b, a), near, "{b} {a}");
            if near {
                // Symmetric delete finds every such pair.
                let (da, db) = (deletions(a), deletions(b));
                assert!(
                    a == b
                        || da.contains(&b.to_owned())
                        || db.contains(&a.to_owned())
                        || da.iter().any(|d| db.contains(d)),
                    "{a} {b}"
                );
            }
        }
        assert_eq!(deletions("pivo"), ["ivo", "pvo", "pio", "piv"]);
        assert_eq!(deletions("aab"), ["ab", "aa"]);
    }

    #[test]
    fn what_is_typed_meets_what_is_written() {
        for (typed, written) in [
            ("cacak", "Čačak"),
            ("CACAK", "čačak"),
            ("Чачак", "Čačak"),
            ("cokolada", "Ćokolada"),
            ("čokolada", "ćokolada"),
            ("zilavka", "Žilavka"),
            ("djurdjevak", "Đurđevak"),
            ("Ђурђевак", "Đurđevak"),
            ("brcko", "Brčko"),
            ("gorazde", "Goražde"),
            ("ljubuski", "Ljubuški"),
            ("Љубушки", "Ljubuški"),
            ("Њива", "njiva"),
            ("pivo", "пиво"),
            ("cafe", "Café"),
            ("sarajevsko  pivo", "Sarajevsko pivo"),
            ("dzem", "Džem"),
            ("Џем", "Džem"),
        ] {
            assert_eq!(fold(typed), fold(written), "{typed:?} vs {written:?}");
        }
        assert_eq!(fold("  Čačak\t Market "), "cacak market");
        assert_eq!(fold("Ćevabdžinica Željo"), "cevabdzinica zeljo");
        assert_eq!(fold("100% pure_"), "100% pure_", "LIKE's own characters stay, escaped by the caller");
    }

    #[test]
    fn anything_folds_without_panicking() {
        let odd = "\u{0}\u{feff}\u{1F37A}🍺 ẞ İ Ǆ ﬁ \u{10FFFF}";
        let f = fold(odd);
        assert!(f.chars().all(|c| !c.is_uppercase()), "{f:?}");
        assert_eq!(fold(&"č".repeat(10_000)).len(), 10_000);
    }
}
