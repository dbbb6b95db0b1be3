//! How article text becomes index terms: split on anything that is not a
//! letter or digit (tantivy's `SimpleTokenizer`, which keeps each word's
//! place in the original for snippets), folded as names are
//! (`centrala_domain::fold`: case, diacritics, Cyrillic), then cut to a
//! stem by [`stem`]. Queries go through the same steps.

use centrala_domain::fold::fold;
use tantivy::tokenizer::{RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// The analyzer's name in the index.
pub const NAME: &str = "centrala_bcs";

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(FoldStem).build()
}

/// Case endings of Bosnian, Serbian and Croatian nouns and adjectives,
/// folded, longest first. No stemmer of these languages is in a
/// well-kept crate (rust-stemmers has none), so this light one is written
/// here: it strips one ending and keeps a stem of three letters or more,
/// which is what makes `pića` meet `piće` and `isporuke` meet `isporuka`.
const ENDINGS: &[&str] = &[
    "ovima", "evima", "ijama", "ijem", "ama", "ima", "oga", "ome", "omu", "ije", "iju", "om", "em", "og", "ih", "im",
    "oj", "om", "u", "e", "a", "i", "o",
];

/// The stem of a folded word (see [`ENDINGS`]); numbers stay whole.
pub fn stem(word: &str) -> &str {
    if word.bytes().any(|b| b.is_ascii_digit()) {
        return word;
    }
    for e in ENDINGS {
        if let Some(s) = word.strip_suffix(e) {
            if s.len() >= 3 {
                return s;
            }
        }
    }
    word
}

/// The terms of `text`, as the index holds them.
pub fn terms(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut s = a.token_stream(text);
    let mut out = Vec::new();
    while s.advance() {
        out.push(s.token().text.clone());
    }
    out
}

#[derive(Clone)]
struct FoldStem;

impl TokenFilter for FoldStem {
    type Tokenizer<T: Tokenizer> = FoldStemFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> FoldStemFilter<T> {
        FoldStemFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct FoldStemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for FoldStemFilter<T> {
    type TokenStream<'a> = FoldStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        FoldStemStream { tail: self.inner.token_stream(text) }
    }
}

pub struct FoldStemStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for FoldStemStream<T> {
    fn advance(&mut self) -> bool {
        // Words that fold to nothing (a symbol) are skipped.
        while self.tail.advance() {
            let folded: String = fold(&self.tail.token().text).chars().filter(char::is_ascii_alphanumeric).collect();
            if folded.is_empty() {
                continue;
            }
            self.tail.token_mut().text = stem(&folded).to_owned();
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::{stem, terms};

    #[test]
    fn forms_of_a_word_meet() {
        for (a, b) in [
            ("pića", "piće"),
            ("isporuke", "isporuka"),
            ("isporukama", "isporuka"),
            ("Pivo", "piva"),
            ("ПИВО", "pivom"),
            ("cijene", "cijena"),
            ("Đurđevka", "djurdjevke"),
        ] {
            assert_eq!(terms(a), terms(b), "{a} vs {b}");
        }
        assert_eq!(terms("Rok isporuke: 48 h, 0.5 l!"), ["rok", "isporuk", "48", "h", "0", "5", "l"]);
        assert_eq!(stem("sok"), "sok", "a short word stays");
        assert_eq!(stem("2024a"), "2024a");
        assert!(terms("🍺 — «»").is_empty());
    }
}
