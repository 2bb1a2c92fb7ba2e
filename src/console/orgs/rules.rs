//! Input rules that need no database: cards, expiry dates, domains and login IDs.

use chrono::{Datelike, NaiveDate};

use crate::web::forms::{Msg, Validation};

/// Digits of a card number typed with optional spaces or dashes; None if anything else.
pub fn card_digits(input: &str) -> Option<String> {
    let mut out = String::new();
    for c in input.trim().chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' => {}
            _ => return None,
        }
    }
    Some(out)
}

pub fn luhn_ok(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card brand from its number's prefix.
pub fn card_brand(digits: &str) -> &'static str {
    let p = |n: usize| {
        digits
            .get(..n)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if digits.starts_with('4') {
        "visa"
    } else if (51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4)) {
        "mastercard"
    } else if p(2) == 34 || p(2) == 37 {
        "amex"
    } else if (3528..=3589).contains(&p(4)) {
        "jcb"
    } else if digits.starts_with("6011") || digits.starts_with("65") {
        "discover"
    } else {
        "card"
    }
}

/// Checks a card number; returns the digits when valid.
pub fn check_card(input: &str) -> Result<String, Msg> {
    if input.trim().is_empty() {
        return Err(Msg::new("field-required"));
    }
    let Some(d) = card_digits(input) else {
        return Err(Msg::new("card-number-invalid"));
    };
    if !(12..=19).contains(&d.len()) || !luhn_ok(&d) {
        return Err(Msg::new("card-number-invalid"));
    }
    Ok(d)
}

/// `MM/YY` or `MM/YYYY`, not before the current month.
pub fn check_expiry(input: &str, today: NaiveDate) -> Result<(i32, i32), Msg> {
    let t = input.trim();
    if t.is_empty() {
        return Err(Msg::new("field-required"));
    }
    let (m, y) = t.split_once('/').ok_or(Msg::new("card-expiry-invalid"))?;
    let month: i32 = m
        .trim()
        .parse()
        .map_err(|_| Msg::new("card-expiry-invalid"))?;
    let y = y.trim();
    let year: i32 = match y.len() {
        2 => {
            2000 + y
                .parse::<i32>()
                .map_err(|_| Msg::new("card-expiry-invalid"))?
        }
        4 => y.parse().map_err(|_| Msg::new("card-expiry-invalid"))?,
        _ => return Err(Msg::new("card-expiry-invalid")),
    };
    if !(1..=12).contains(&month) || !y.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Msg::new("card-expiry-invalid"));
    }
    if (year, month) < (today.year(), today.month() as i32) {
        return Err(Msg::new("card-expired"));
    }
    if year > today.year() + 20 {
        return Err(Msg::new("card-expiry-invalid"));
    }
    Ok((month, year))
}

/// Names no organization may take as its domain.
pub const RESERVED_DOMAINS: [&str; 28] = [
    "www",
    "api",
    "admin",
    "console",
    "static",
    "mail",
    "app",
    "apps",
    "help",
    "support",
    "status",
    "docs",
    "blog",
    "smtp",
    "imap",
    "pop",
    "ftp",
    "ns1",
    "ns2",
    "localhost",
    "root",
    "cdn",
    "assets",
    "auth",
    "login",
    "account",
    "billing",
    "online-contact",
];

pub const DOMAIN_MIN: usize = 3;
pub const DOMAIN_MAX: usize = 40;

/// Lowercase letters, digits and hyphens, starting with a letter or digit (and, being a
/// DNS label, not ending with a hyphen), 3–40 characters, not reserved.
pub fn check_domain(d: &str) -> Vec<Msg> {
    let mut out = Vec::new();
    if d.is_empty() {
        out.push(Msg::new("field-required"));
        return out;
    }
    let len = d.chars().count();
    if !(DOMAIN_MIN..=DOMAIN_MAX).contains(&len) {
        out.push(Msg::new("domain-length"));
    }
    if !d
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        out.push(Msg::new("domain-chars"));
    } else if d.starts_with('-') || d.ends_with('-') {
        out.push(Msg::new("domain-hyphen"));
    }
    if RESERVED_DOMAINS.contains(&d) {
        out.push(Msg::new("domain-reserved"));
    }
    out
}

/// Longest org member name.
pub const MEMBER_NAME_MAX: usize = 50;
pub const LOGIN_ID_MIN: usize = 3;
pub const LOGIN_ID_MAX: usize = 40;

/// Longest phone number we keep (E.164 allows 15 digits; room for separators).
pub const PHONE_MAX: usize = 20;

/// An optional phone number: digits with spaces, hyphens, parentheses and a leading `+`,
/// at least 7 digits. Returns the trimmed number, or None when left empty.
pub fn check_phone(v: &mut Validation, field: &'static str, value: &str) -> Option<String> {
    let t = value.trim();
    if t.is_empty() {
        return None;
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let allowed = t.char_indices().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0)
    });
    if !allowed || digits < 7 || t.chars().count() > PHONE_MAX {
        v.add(field, Msg::new("phone-invalid"));
    }
    Some(t.to_string())
}

/// Letters, digits, `.`, `_`, `-`; 3–40 characters.
pub fn check_login_id(id: &str) -> Vec<Msg> {
    let mut out = Vec::new();
    if id.is_empty() {
        out.push(Msg::new("field-required"));
        return out;
    }
    if !(LOGIN_ID_MIN..=LOGIN_ID_MAX).contains(&id.chars().count()) {
        out.push(Msg::new("login-id-length"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        out.push(Msg::new("login-id-chars"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        let ok = |p: &str| {
            let mut v = Validation::default();
            let r = check_phone(&mut v, "phone", p);
            (r, v.is_empty())
        };
        assert_eq!(ok(""), (None, true));
        assert_eq!(ok(" 010-1234-5678 "), (Some("010-1234-5678".into()), true));
        assert!(ok("+81 (3) 1234-5678").1);
        assert!(!ok("12345").1, "too few digits");
        assert!(!ok("010-1234-567a").1, "letters");
        assert!(!ok("1+2345678").1, "plus only first");
        assert!(!ok("012345678901234567890").1, "too long");
    }

    fn keys(v: Vec<Msg>) -> Vec<&'static str> {
        v.into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn luhn_and_brands() {
        assert!(luhn_ok("4242424242424242"));
        assert!(luhn_ok("5555555555554444"));
        assert!(luhn_ok("378282246310005"));
        assert!(!luhn_ok("4242424242424241"));
        assert_eq!(card_brand("4242424242424242"), "visa");
        assert_eq!(card_brand("5555555555554444"), "mastercard");
        assert_eq!(card_brand("2223003122003222"), "mastercard");
        assert_eq!(card_brand("378282246310005"), "amex");
        assert_eq!(card_brand("3530111333300000"), "jcb");
        assert_eq!(card_brand("6011111111111117"), "discover");
        assert_eq!(
            check_card("4242 4242-4242 4242"),
            Ok("4242424242424242".to_string())
        );
        assert!(check_card("4242424242424241").is_err());
        assert!(check_card("abcd").is_err());
        assert!(check_card("42").is_err());
        assert_eq!(check_card("").map_err(|m| m.key), Err("field-required"));
    }

    #[test]
    fn expiry() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
        assert_eq!(check_expiry("11/26", today), Ok((11, 2026)));
        assert_eq!(check_expiry("01/2030", today), Ok((1, 2030)));
        assert_eq!(
            check_expiry("10/26", today).map_err(|m| m.key),
            Err("card-expired")
        );
        assert_eq!(
            check_expiry("13/27", today).map_err(|m| m.key),
            Err("card-expiry-invalid")
        );
        assert_eq!(
            check_expiry("1227", today).map_err(|m| m.key),
            Err("card-expiry-invalid")
        );
        assert_eq!(
            check_expiry("12/+7", today).map_err(|m| m.key),
            Err("card-expiry-invalid")
        );
        assert_eq!(
            check_expiry("12/99", today).map_err(|m| m.key),
            Err("card-expiry-invalid")
        );
    }

    #[test]
    fn domains() {
        assert!(check_domain("acme").is_empty());
        assert!(check_domain("a1-b2").is_empty());
        assert!(check_domain("9lives").is_empty());
        assert_eq!(keys(check_domain("")), vec!["field-required"]);
        assert_eq!(keys(check_domain("ab")), vec!["domain-length"]);
        assert_eq!(keys(check_domain(&"a".repeat(41))), vec!["domain-length"]);
        assert_eq!(keys(check_domain("-acme")), vec!["domain-hyphen"]);
        assert_eq!(keys(check_domain("acme-")), vec!["domain-hyphen"]);
        assert_eq!(keys(check_domain("ac_me")), vec!["domain-chars"]);
        assert_eq!(keys(check_domain("ac.me")), vec!["domain-chars"]);
        assert_eq!(keys(check_domain("www")), vec!["domain-reserved"]);
        assert_eq!(keys(check_domain("console")), vec!["domain-reserved"]);
    }

    #[test]
    fn login_ids() {
        assert!(check_login_id("kim.cs_01-a").is_empty());
        assert_eq!(keys(check_login_id("ab")), vec!["login-id-length"]);
        assert_eq!(keys(check_login_id("a b c")), vec!["login-id-chars"]);
        assert_eq!(
            keys(check_login_id("\u{ae40}\u{cca0}\u{c218}")),
            vec!["login-id-chars"]
        );
    }
}
