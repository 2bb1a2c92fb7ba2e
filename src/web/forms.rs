//! Form validation results: field messages kept as Fluent keys until the page knows its
//! language, then shown next to their fields.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::i18n::{I18n, Lang};

/// A message key with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Msg {
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
        }
    }

    pub fn with(key: &'static str, args: &[(&'static str, String)]) -> Msg {
        Msg {
            key,
            args: args.to_vec(),
        }
    }

    pub fn localize(&self, i18n: &I18n, lang: Lang) -> String {
        if self.args.is_empty() {
            i18n.t(lang, self.key)
        } else {
            let args: Vec<(&str, String)> =
                self.args.iter().map(|(k, v)| (*k, v.clone())).collect();
            i18n.t_args(lang, self.key, &args)
        }
    }
}

/// Messages per field, collected by validation.
#[derive(Debug, Default, Clone)]
pub struct Validation {
    errs: Vec<(Cow<'static, str>, Msg)>,
}

impl Validation {
    pub fn add(&mut self, field: &'static str, msg: Msg) {
        self.errs.push((Cow::Borrowed(field), msg));
    }

    /// A message for a field whose name is made at run time (a custom ticket field).
    pub fn add_owned(&mut self, field: String, msg: Msg) {
        self.errs.push((Cow::Owned(field), msg));
    }

    pub fn add_all(&mut self, field: &'static str, msgs: Vec<Msg>) {
        for m in msgs {
            self.add(field, m);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errs.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.errs.iter().any(|(f, _)| f == field)
    }

    pub fn keys(&self, field: &str) -> Vec<&'static str> {
        self.errs
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.key)
            .collect()
    }

    pub fn localize(&self, i18n: &I18n, lang: Lang) -> FieldErrors {
        let mut map: BTreeMap<Cow<'static, str>, Vec<String>> = BTreeMap::new();
        let mut list = Vec::with_capacity(self.errs.len());
        for (f, m) in &self.errs {
            let text = m.localize(i18n, lang);
            list.push((f.to_string(), text.clone()));
            map.entry(f.clone()).or_default().push(text);
        }
        FieldErrors { map, list }
    }
}

/// Localized messages per field, as the templates read them.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    map: BTreeMap<Cow<'static, str>, Vec<String>>,
    /// (field, message) in the order the checks found them (the form's order).
    list: Vec<(String, String)>,
}

impl FieldErrors {
    pub fn of(&self, field: &str) -> &[String] {
        self.map.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every (field, message), for the error summary above a form.
    pub fn all(&self) -> &[(String, String)] {
        &self.list
    }
}

/// Checks a required single-line text field; returns the trimmed value.
/// Control characters no text we accept may hold: every C0 control but tab, line feed and
/// carriage return (textareas send those), and DEL. NUL in particular cannot be stored by
/// Postgres.
pub fn has_forbidden_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// Any control character at all (paths, query strings, single-line API values).
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_control())
}

pub fn required_text(v: &mut Validation, field: &'static str, value: &str, max: usize) -> String {
    let t = value.trim();
    if t.is_empty() {
        v.add(field, Msg::new("field-required"));
    } else if t.chars().count() > max {
        v.add(
            field,
            Msg::with("field-too-long", &[("max", max.to_string())]),
        );
    } else if t.chars().any(char::is_control) {
        v.add(field, Msg::new("field-invalid-chars"));
    }
    t.to_string()
}

/// Checks an email address (RFC 5321 length, a mailbox lettre can deliver to); returns it
/// trimmed.
pub fn email(v: &mut Validation, field: &'static str, value: &str) -> String {
    let t = value.trim();
    if t.is_empty() {
        v.add(field, Msg::new("field-required"));
    } else if t.len() > 254 {
        v.add(
            field,
            Msg::with("field-too-long", &[("max", "254".to_string())]),
        );
    } else if !is_valid_email(t) {
        v.add(field, Msg::new("email-invalid"));
    }
    t.to_string()
}

pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.is_ascii()
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && s.parse::<lettre::Address>().is_ok()
}

/// A sign-in form: the key (email or login ID) and the password are required, the key
/// bounded in length.
pub fn check_sign_in(field: &'static str, key: &str, max: usize, password: &str) -> Validation {
    let mut v = Validation::default();
    if key.is_empty() {
        v.add(field, Msg::new("field-required"));
    } else if key.chars().count() > max {
        v.add(
            field,
            Msg::with("field-too-long", &[("max", max.to_string())]),
        );
    }
    if password.is_empty() {
        v.add("password", Msg::new("field-required"));
    }
    v
}

/// A checkbox counts as checked when it was sent with any of the usual values.
pub fn checked(value: &str) -> bool {
    matches!(value, "on" | "1" | "true" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let mut v = Validation::default();
        assert_eq!(required_text(&mut v, "a", "  hi  ", 5), "hi");
        required_text(&mut v, "b", "   ", 5);
        required_text(&mut v, "c", "toolong", 5);
        required_text(&mut v, "d", "a\u{0}b", 5);
        assert!(!v.has("a"));
        assert_eq!(v.keys("b"), vec!["field-required"]);
        assert_eq!(v.keys("c"), vec!["field-too-long"]);
        assert_eq!(v.keys("d"), vec!["field-invalid-chars"]);
    }

    #[test]
    fn emails() {
        assert!(is_valid_email("a@example.com"));
        assert!(is_valid_email("first.last+tag@sub.example.co.kr"));
        for bad in [
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "<script>@x.com",
            "a@.com",
            "\u{d55c}@x.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
