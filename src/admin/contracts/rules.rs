//! Service input rules (no database): shared by the pages and the Open API.

use crate::i18n::languages;
use crate::pricing::KINDS;
use crate::web::forms::{Msg, Validation, required_text};

pub const NAME_MAX: usize = 50;
pub const SERVICE_ID_MIN: usize = 3;
pub const SERVICE_ID_MAX: usize = 20;
pub const BANNER_MAX: usize = 1024 * 1024;
pub const EDITORS: [&str; 2] = ["html", "text"];
pub const SEATS_MAX: i64 = 100_000;
pub const VOLUME_MAX: i64 = 1_000_000_000;

/// Basic information of a service, as typed (the page's form, or the API's JSON body, which
/// may hold exactly these properties).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceInput {
    pub kind: String,
    pub name: String,
    pub service_id: String,
    /// First = default language.
    pub languages: Vec<String>,
    pub timezone: String,
    pub editor: String,
}

/// How values are read. The pages forgive surrounding spaces, the letter case of the
/// editor and repeated or empty languages; the Open API takes values exactly as its
/// document declares them, so a value the document calls invalid is never accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Forgiving,
    Exact,
}

/// Checks and normalizes the input. `kind` and `service_id` are only checked when
/// `new` (they cannot change afterwards).
pub fn check_service(s: &mut ServiceInput, v: &mut Validation, new: bool, reading: Reading) {
    let exact = reading == Reading::Exact;
    // Read exactly, a value with spaces around it is refused as such (its other checks
    // would only repeat the point).
    let untrimmed = |v: &mut Validation, field: &'static str, value: &str| {
        let bad = exact && value != value.trim();
        if bad {
            v.add(field, Msg::new("value-untrimmed"));
        }
        bad
    };
    if new {
        if !untrimmed(v, "kind", &s.kind) {
            s.kind = s.kind.trim().to_string();
            if !KINDS.contains(&s.kind.as_str()) {
                v.add("kind", Msg::new("choice-required"));
            }
        }
        if !untrimmed(v, "service_id", &s.service_id) {
            s.service_id = s.service_id.trim().to_string();
            let n = s.service_id.chars().count();
            if s.service_id.is_empty() {
                v.add("service_id", Msg::new("field-required"));
            } else if !s.service_id.chars().all(|c| c.is_ascii_alphabetic()) {
                v.add("service_id", Msg::new("service-id-chars"));
            } else if !(SERVICE_ID_MIN..=SERVICE_ID_MAX).contains(&n) {
                v.add("service_id", Msg::new("service-id-length"));
            }
        }
    }
    if !untrimmed(v, "name", &s.name) {
        s.name = required_text(v, "name", &s.name, NAME_MAX);
    }
    // Order kept (the first is the default); never more values than there are languages
    // to choose from.
    let known = languages::count();
    if s.languages.len() > known * 4 {
        s.languages.clear();
        v.add("languages", Msg::new("languages-unknown"));
        return;
    }
    if !exact {
        // Duplicates dropped with a set, empty choices ignored.
        let mut seen = std::collections::HashSet::new();
        let mut unique = Vec::new();
        for l in &s.languages {
            let l = l.trim();
            if !l.is_empty() && seen.insert(l.to_string()) {
                unique.push(l.to_string());
            }
        }
        s.languages = unique;
    }
    let mut seen = std::collections::HashSet::new();
    if s.languages.is_empty() {
        v.add("languages", Msg::new("languages-required"));
    } else if s.languages.len() > known || s.languages.iter().any(|l| !languages::is_known(l)) {
        v.add("languages", Msg::new("languages-unknown"));
    } else if !s.languages.iter().all(|l| seen.insert(l)) {
        v.add("languages", Msg::new("languages-duplicate"));
    }
    if !untrimmed(v, "timezone", &s.timezone) {
        s.timezone = s.timezone.trim().to_string();
        if s.timezone.is_empty() {
            v.add("timezone", Msg::new("field-required"));
        } else if s.timezone.parse::<chrono_tz::Tz>().is_err() {
            v.add("timezone", Msg::new("timezone-unknown"));
        }
    }
    if !untrimmed(v, "editor", &s.editor) {
        if !exact {
            s.editor = s.editor.trim().to_ascii_lowercase();
        }
        if !EDITORS.contains(&s.editor.as_str()) {
            v.add("editor", Msg::new("choice-required"));
        }
    }
}

/// The image type of a banner by its content (not its name): PNG, JPEG or GIF.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// Checks a banner upload; returns its content type.
pub fn check_banner(bytes: &[u8], v: &mut Validation) -> Option<&'static str> {
    if bytes.is_empty() {
        v.add("banner", Msg::new("banner-empty"));
        return None;
    }
    if bytes.len() > BANNER_MAX {
        v.add("banner", Msg::new("banner-too-large"));
        return None;
    }
    let t = sniff_image(bytes);
    if t.is_none() {
        v.add("banner", Msg::new("banner-type"));
    }
    t
}

/// A whole number in a range, for seats and volumes; empty counts as 0.
pub fn count(v: &mut Validation, field: &'static str, value: &str, max: i64) -> i64 {
    let t = value.trim();
    if t.is_empty() {
        return 0;
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => n,
        _ => {
            v.add(
                field,
                Msg::with("count-invalid", &[("max", max.to_string())]),
            );
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ServiceInput {
        ServiceInput {
            kind: "counseling".into(),
            name: "Support".into(),
            service_id: "support".into(),
            languages: vec!["ko".into(), "en".into(), "ko".into()],
            timezone: "Asia/Seoul".into(),
            editor: "HTML".into(),
        }
    }

    #[test]
    fn a_good_service() {
        let mut s = input();
        let mut v = Validation::default();
        check_service(&mut s, &mut v, true, Reading::Forgiving);
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(s.languages, vec!["ko", "en"]);
        assert_eq!(s.editor, "html");
    }

    #[test]
    fn bad_services() {
        let mut s = ServiceInput {
            kind: "robot".into(),
            service_id: "sup port1".into(),
            languages: vec!["xx".into()],
            timezone: "Mars/Olympus".into(),
            editor: "word".into(),
            ..input()
        };
        let mut v = Validation::default();
        check_service(&mut s, &mut v, true, Reading::Forgiving);
        assert_eq!(v.keys("kind"), vec!["choice-required"]);
        assert_eq!(v.keys("service_id"), vec!["service-id-chars"]);
        assert_eq!(v.keys("languages"), vec!["languages-unknown"]);
        assert_eq!(v.keys("timezone"), vec!["timezone-unknown"]);
        assert_eq!(v.keys("editor"), vec!["choice-required"]);
        let mut s = ServiceInput {
            service_id: "ab".into(),
            languages: vec![],
            ..input()
        };
        let mut v = Validation::default();
        check_service(&mut s, &mut v, true, Reading::Forgiving);
        assert_eq!(v.keys("service_id"), vec!["service-id-length"]);
        assert_eq!(v.keys("languages"), vec!["languages-required"]);
    }

    #[test]
    fn the_api_reading_takes_values_exactly() {
        let exact = |s: &mut ServiceInput| {
            let mut v = Validation::default();
            check_service(s, &mut v, true, Reading::Exact);
            v
        };
        // What the page forgives (spaces, "HTML", a repeated language) the API refuses,
        // each field with one message.
        let v = exact(&mut ServiceInput {
            kind: " issue".into(),
            name: " Support".into(),
            timezone: "Asia/Seoul ".into(),
            ..input()
        });
        assert_eq!(v.keys("kind"), vec!["value-untrimmed"]);
        assert_eq!(v.keys("name"), vec!["value-untrimmed"]);
        assert_eq!(v.keys("timezone"), vec!["value-untrimmed"]);
        assert_eq!(v.keys("languages"), vec!["languages-duplicate"]);
        assert_eq!(v.keys("editor"), vec!["choice-required"]);
        let v = exact(&mut ServiceInput {
            languages: vec!["ko".into(), "".into()],
            ..input()
        });
        assert_eq!(v.keys("languages"), vec!["languages-unknown"]);
        let mut good = ServiceInput {
            languages: vec!["ko".into(), "en".into()],
            editor: "html".into(),
            ..input()
        };
        assert!(exact(&mut good).is_empty());
    }

    #[test]
    fn images_by_content() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff_image(b"hello, I am text"), None);
        let mut v = Validation::default();
        check_banner(&vec![0u8; BANNER_MAX + 1], &mut v);
        assert_eq!(v.keys("banner"), vec!["banner-too-large"]);
    }

    #[test]
    fn counts() {
        let mut v = Validation::default();
        assert_eq!(count(&mut v, "seats", " 10 ", 100), 10);
        assert_eq!(count(&mut v, "seats", "", 100), 0);
        count(&mut v, "a", "-1", 100);
        count(&mut v, "b", "1e3", 100);
        count(&mut v, "c", "101", 100);
        assert_eq!(v.keys("a"), vec!["count-invalid"]);
        assert_eq!(v.keys("b"), vec!["count-invalid"]);
        assert_eq!(v.keys("c"), vec!["count-invalid"]);
    }
}
