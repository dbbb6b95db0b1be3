//! Articles are Markdown (CommonMark, by `pulldown-cmark`), rendered so
//! that nothing in an article can run: raw HTML is shown as text, and a
//! link or image goes only to `http(s):`, `mailto:`, `tel:` or a path of
//! our own (`javascript:`, `data:` and every other scheme become `#`).
//! Filtering the parser's events is enough: its HTML writer escapes text
//! and attributes itself, so no sanitizer over the output is needed.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Whether `url` may be a link's target.
fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    match u.find(':') {
        // No scheme: a path or a fragment, unless a slash or '?' comes
        // first (then the colon is inside the path).
        None => true,
        Some(i) if u[..i].contains(['/', '?', '#']) => true,
        Some(_) => ["http:", "https:", "mailto:", "tel:"].iter().any(|s| u.starts_with(s)),
    }
}

/// The article's HTML: safe to put into a page as it is.
pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, options()).map(|e| match e {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link {
            link_type,
            dest_url: if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("#") },
            title,
            id,
        }),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image {
            link_type,
            dest_url: if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("#") },
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The article's words without markup: what the index reads and snippets
/// are cut from.
pub fn to_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for e in Parser::new_ext(markdown, options()) {
        match e {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::Rule
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::TableCell
                | TagEnd::TableRow,
            ) if !out.ends_with('\n') && !out.is_empty() => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::{to_html, to_text};

    #[test]
    fn markdown_renders_and_nothing_in_it_runs() {
        let html =
            to_html("# Isporuka\n\nRoba se **isporučuje** u [Brčko](https://example.ba/brcko).\n\n- pivo\n- sok");
        assert!(html.contains("<h1>Isporuka</h1>"), "{html}");
        assert!(html.contains("<strong>isporučuje</strong>"), "{html}");
        assert!(html.contains(r#"<a href="https://example.ba/brcko">Brčko</a>"#), "{html}");
        assert!(html.contains("<li>pivo</li>"), "{html}");
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[klik](javascript:alert(1))",
            "[klik](JaVaScRiPt:alert(1))",
            "[klik]( javascript:alert(1))",
            "![x](data:text/html;base64,PHNjcmlwdD4=)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](vbscript:msgbox)",
            "<iframe src=\"https://evil\"></iframe>",
        ] {
            let html = to_html(evil);
            let lower = html.to_ascii_lowercase();
            assert!(
                !lower.contains("<script") && !lower.contains("<img src=x") && !lower.contains("<iframe"),
                "{evil} → {html}"
            );
            assert!(
                !lower.contains("<a href=\"javascript")
                    && !lower.contains("src=\"data:")
                    && !lower.contains("href=\"vbscript"),
                "{evil} → {html}"
            );
        }
        assert!(to_html("<b>x</b>").contains("&lt;b&gt;x&lt;/b&gt;"), "raw HTML is shown as text");
        for ok in ["/kb/articles/3", "#gore", "cjenik.pdf", "mailto:prodaja@example.ba", "tel:+38733000111", "a/b:c"] {
            assert!(to_html(&format!("[x]({ok})")).contains(&format!("href=\"{ok}\"")), "{ok}");
        }
    }

    #[test]
    fn the_text_is_the_words_without_markup() {
        assert_eq!(to_text("# Isporuka\n\nRoba **stiže** `sutra`.\n\n- pivo"), "Isporuka\nRoba stiže sutra.\npivo");
    }
}
