//! The price book: no price is written in code. `pricing.toml` at the top of the repo is
//! embedded as the default; `OC_PRICING_FILE` points at another copy.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The service types; their names and features' names come from the Fluent files.
pub const KINDS: [&str; 2] = ["counseling", "issue"];
pub const GROUPS: [&str; 3] = ["ticket", "chat", "additional"];

pub const DEFAULT: &str = include_str!("../pricing.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturePrice {
    pub group: String,
    pub seat_price: i64,
    pub included: i64,
    pub unit_price: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceBook {
    pub currency: String,
    pub decimals: u32,
    pub kinds: BTreeMap<String, Vec<String>>,
    pub features: BTreeMap<String, FeaturePrice>,
}

/// What a contract chooses: seats, and per contracted feature its expected monthly volume.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Selection {
    pub seats: i64,
    pub features: BTreeMap<String, i64>,
}

impl PriceBook {
    pub fn parse(src: &str) -> Result<PriceBook, String> {
        let book: PriceBook = toml::from_str(src).map_err(|e| e.to_string())?;
        book.check()?;
        Ok(book)
    }

    fn check(&self) -> Result<(), String> {
        if self.currency.trim().is_empty() || self.decimals > 4 {
            return Err("currency must be set and decimals at most 4".into());
        }
        for kind in KINDS {
            let Some(features) = self.kinds.get(kind) else {
                return Err(format!("kinds.{kind} is missing"));
            };
            if features.is_empty() {
                return Err(format!("kinds.{kind} lists no feature"));
            }
            for f in features {
                if !self.features.contains_key(f) {
                    return Err(format!("kinds.{kind}: feature '{f}' has no [features.{f}]"));
                }
            }
        }
        if let Some(k) = self.kinds.keys().find(|k| !KINDS.contains(&k.as_str())) {
            return Err(format!("unknown service type '{k}'"));
        }
        for (key, f) in &self.features {
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(format!("feature key '{key}': use lowercase letters and _"));
            }
            if !GROUPS.contains(&f.group.as_str()) {
                return Err(format!("features.{key}.group must be one of {GROUPS:?}"));
            }
            if f.seat_price < 0 || f.included < 0 || f.unit_price < 0 {
                return Err(format!("features.{key}: amounts cannot be negative"));
            }
        }
        Ok(())
    }

    pub fn features_of(&self, kind: &str) -> &[String] {
        self.kinds.get(kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// One feature's monthly cost for `seats` users and `volume` processed items.
    pub fn feature_cost(&self, key: &str, seats: i64, volume: i64) -> i64 {
        let Some(f) = self.features.get(key) else {
            return 0;
        };
        f.seat_price
            .saturating_mul(seats)
            .saturating_add((volume - f.included).max(0).saturating_mul(f.unit_price))
    }

    /// The estimated monthly cost of a selection for a service type; features the type
    /// does not offer cost nothing.
    pub fn monthly_cost(&self, kind: &str, s: &Selection) -> i64 {
        let offered = self.features_of(kind);
        s.features
            .iter()
            .filter(|(k, _)| offered.contains(k))
            .map(|(k, v)| self.feature_cost(k, s.seats, *v))
            .fold(0i64, i64::saturating_add)
    }

    /// An amount (in minor units) as `lang` writes money (see `I18n::money`).
    pub fn money(&self, i18n: &crate::i18n::I18n, lang: crate::i18n::Lang, amount: i64) -> String {
        i18n.money(lang, amount, &self.currency, self.decimals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> PriceBook {
        PriceBook::parse(DEFAULT).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn default_book_is_valid_and_shaped_like_the_product() {
        let b = book();
        let c = b.features_of("counseling");
        for f in [
            "email",
            "helpcenter",
            "inquiry",
            "cti_inbound",
            "cti_outbound",
            "sms",
            "chat",
            "chatbot",
            "open_api",
        ] {
            assert!(c.contains(&f.to_string()), "{f}");
        }
        let i = b.features_of("issue");
        assert!(!i.iter().any(|f| f.starts_with("cti")));
        assert!(i.len() < c.len());
    }

    #[test]
    fn cost_is_seats_plus_volume_over_included() {
        let b = PriceBook::parse(
            r#"currency = "USD"
decimals = 2
[kinds]
counseling = ["a", "b"]
issue = ["a"]
[features.a]
group = "ticket"
seat_price = 1000
included = 100
unit_price = 5
[features.b]
group = "chat"
seat_price = 200
included = 0
unit_price = 1
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut s = Selection {
            seats: 3,
            features: BTreeMap::new(),
        };
        s.features.insert("a".into(), 150);
        assert_eq!(b.monthly_cost("counseling", &s), 3000 + 50 * 5);
        s.features.insert("b".into(), 10);
        assert_eq!(b.monthly_cost("counseling", &s), 3250 + 600 + 10);
        // "b" is not offered for issue management.
        assert_eq!(b.monthly_cost("issue", &s), 3250);
        let i18n = crate::i18n::I18n::load().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.money(&i18n, crate::i18n::Lang::En, 123456), "$1,234.56");
        assert_eq!(b.money(&i18n, crate::i18n::Lang::En, 5), "$0.05");
    }

    #[test]
    fn bad_books_are_refused() {
        assert!(PriceBook::parse("currency = \"KRW\"").is_err());
        let missing = DEFAULT.replace("[features.sms]", "[features.sms_renamed]");
        assert!(PriceBook::parse(&missing).is_err());
        let negative = DEFAULT.replace("seat_price = 10000", "seat_price = -1");
        assert!(PriceBook::parse(&negative).is_err());
    }

    #[test]
    fn formats_krw() {
        use crate::i18n::{I18n, Lang};
        let i18n = I18n::load().unwrap_or_else(|e| panic!("{e}"));
        // Korean and Japanese: tests/it/i18n.rs (no such text in src/).
        assert_eq!(book().money(&i18n, Lang::En, 1234567), "₩1,234,567");
        assert_eq!(book().money(&i18n, Lang::En, 0), "₩0");
        assert_eq!(book().money(&i18n, Lang::En, 999), "₩999");
    }
}
