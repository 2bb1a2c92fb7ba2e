//! The public help center of a service (no login), on the workspace host:
//! `/hc/{service_id}` → its default language, `/hc/{service_id}/{lang}` the home page with
//! the language picker and the company-info footer the service chose, `…/terms` and
//! `…/privacy`. Its own words are localized in ko, ja and en; the other help-center
//! languages fall back to English (the picker still names each language natively).

pub mod handlers;

use crate::i18n::Lang;

/// The UI language of the help center's own words for a help-center language.
pub fn chrome_lang(code: &str) -> Lang {
    Lang::from_code(code).unwrap_or(Lang::En)
}

/// Minimal HTML escaping for text we put between tags ourselves.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Long text (terms of use, privacy policy) as HTML, by the service's editor type: `html`
/// is sanitized with ammonia's allow-list (no scripts, styles, event handlers or
/// `javascript:` links); plain text becomes escaped paragraphs (blank lines) with line
/// breaks.
pub fn long_text_html(text: &str, editor: &str) -> String {
    if editor == "html" {
        return ammonia::Builder::default()
            .link_rel(Some("noopener noreferrer nofollow"))
            .clean(text)
            .to_string();
    }
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_sanitized() {
        let out = long_text_html(
            "<h2>Terms</h2><p onclick=\"x()\">Hi <a href=\"javascript:alert(1)\">x</a></p><script>alert(1)</script><style>p{}</style>",
            "html",
        );
        assert!(out.contains("<h2>Terms</h2>"), "{out}");
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("javascript"));
        assert!(!out.contains("<style"));
    }

    #[test]
    fn text_is_escaped_into_paragraphs() {
        let out = long_text_html("First <b>line</b>\nsecond\n\nThird & last", "text");
        assert_eq!(
            out,
            "<p>First &lt;b&gt;line&lt;/b&gt;<br>second</p><p>Third &amp; last</p>"
        );
        assert_eq!(long_text_html("", "text"), "");
    }

    #[test]
    fn chrome_falls_back_to_english() {
        assert_eq!(chrome_lang("ko"), Lang::Ko);
        assert_eq!(chrome_lang("ja"), Lang::Ja);
        assert_eq!(chrome_lang("fr"), Lang::En);
    }
}
