//! Fluent bundles for ko, ja and en, embedded at compile time; locale negotiation; the
//! localizer that views and mails call.

pub mod languages;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use icu_calendar::{Date, Gregorian};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{YM, YMD};
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use unic_langid::LanguageIdentifier;

/// The UI languages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    En,
    Ja,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ko, Lang::Ja, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
            Lang::Ko => "ko",
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Ja => 1,
            Lang::Ko => 2,
        }
    }
}

/// The Fluent files of one language, in a fixed order (the same files for every language).
macro_rules! ftl_files {
    ($lang:literal) => {
        [
            include_str!(concat!("../../locales/", $lang, "/common.ftl")),
            include_str!(concat!("../../locales/", $lang, "/console.ftl")),
            include_str!(concat!("../../locales/", $lang, "/mail.ftl")),
            include_str!(concat!("../../locales/", $lang, "/orgs.ftl")),
            include_str!(concat!("../../locales/", $lang, "/account.ftl")),
            include_str!(concat!("../../locales/", $lang, "/contracts.ftl")),
            include_str!(concat!("../../locales/", $lang, "/admin.ftl")),
            include_str!(concat!("../../locales/", $lang, "/helpcenter.ftl")),
        ]
    };
}

/// Raw sources per language, for the key-consistency tests.
pub fn sources(lang: Lang) -> [&'static str; 8] {
    match lang {
        Lang::En => ftl_files!("en"),
        Lang::Ja => ftl_files!("ja"),
        Lang::Ko => ftl_files!("ko"),
    }
}

pub struct I18n {
    bundles: Vec<FluentBundle<FluentResource>>,
    /// Per language, every message that is plain text (no placeable): most labels. A page
    /// shows dozens; a lookup here (FxHash of a short key) costs a fraction of the bundle's
    /// (SipHash, then resolving the pattern), 3 % of the CPU of a signed-in home page.
    plain: Vec<rustc_hash::FxHashMap<Box<str>, Box<str>>>,
    formats: Vec<Formats>,
    /// The `money` message per language and currency, split around the amount (it is
    /// resolved once: pages show hundreds of amounts).
    money_patterns: [std::sync::RwLock<std::collections::HashMap<String, MoneyPattern>>; 3],
}

/// One language's CLDR formatters (ICU4X, data compiled in): numbers with the
/// language's grouping, year-months and dates (tests/it/i18n.rs shows each language).
struct Formats {
    decimal: DecimalFormatter,
    /// Whole numbers written by hand where that is provably what `decimal` writes (see
    /// `Grouping`): pages such as the fee table show hundreds of amounts.
    grouping: Option<Grouping>,
    month: FixedCalendarDateTimeFormatter<Gregorian, YM>,
    date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
}

impl Formats {
    fn new(code: &str) -> Result<Formats, String> {
        let locale: icu_locale_core::Locale =
            code.parse().map_err(|e| format!("locale {code}: {e:?}"))?;
        let err = |what: &str, e: &dyn std::fmt::Debug| format!("{code} {what} formats: {e:?}");
        let decimal = DecimalFormatter::try_new((&locale).into(), Default::default())
            .map_err(|e| err("number", &e))?;
        Ok(Formats {
            grouping: Grouping::of(&decimal),
            decimal,
            // CLDR's medium year-month is numeric in Korean and Japanese (2026/6); the long
            // one spells the year and month units as they write them; English abbreviates
            // the month name (Jun 2026).
            month: FixedCalendarDateTimeFormatter::try_new(
                (&locale).into(),
                if code == "en" {
                    YM::medium()
                } else {
                    YM::long()
                },
            )
            .map_err(|e| err("month", &e))?,
            date: FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::long())
                .map_err(|e| err("date", &e))?,
        })
    }
}

/// How a language writes whole numbers when it groups ASCII digits by threes with one
/// separator and puts a minus sign before them (CLDR for ko, ja and en). Taken from what
/// ICU writes for a sample and kept only if ICU writes every checked number the same way;
/// otherwise every number goes through ICU.
struct Grouping {
    separator: String,
    minus: String,
}

impl Grouping {
    fn of(f: &DecimalFormatter) -> Option<Grouping> {
        let icu = |n: i64| f.format(&Decimal::from(n)).to_string();
        let minus = icu(-7).strip_suffix('7')?.to_string();
        let separator = icu(1000)
            .strip_prefix('1')?
            .strip_suffix("000")?
            .to_string();
        let g = Grouping { separator, minus };
        let samples = [
            0,
            7,
            -7,
            999,
            1000,
            -1000,
            12_345,
            123_456,
            -1_234_567,
            1_000_000_000,
            i64::MAX,
            i64::MIN,
        ];
        samples
            .iter()
            .all(|n| {
                let mut out = String::new();
                g.write(&mut out, *n);
                out == icu(*n)
            })
            .then_some(g)
    }

    fn write(&self, out: &mut String, n: i64) {
        if n < 0 {
            out.push_str(&self.minus);
        }
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = n.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let digits = &buf[i..];
        for (k, d) in digits.iter().enumerate() {
            if k > 0 && (digits.len() - k) % 3 == 0 {
                out.push_str(&self.separator);
            }
            out.push(char::from(*d));
        }
    }
}

impl I18n {
    pub fn load() -> Result<I18n, String> {
        let mut bundles = Vec::new();
        let mut plain = Vec::new();
        let mut formats = Vec::new();
        for lang in [Lang::En, Lang::Ja, Lang::Ko] {
            formats.push(Formats::new(lang.code())?);
            let id: LanguageIdentifier = lang
                .code()
                .parse()
                .map_err(|e| format!("language id {}: {e:?}", lang.code()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks would end up inside links and mail subjects.
            bundle.set_use_isolating(false);
            for src in sources(lang) {
                let res = FluentResource::try_new(src.to_string())
                    .map_err(|(_, e)| format!("{}: fluent syntax: {e:?}", lang.code()))?;
                bundle
                    .add_resource(res)
                    .map_err(|e| format!("{}: duplicate messages: {e:?}", lang.code()))?;
            }
            plain.push(plain_messages(&bundle, lang));
            bundles.push(bundle);
        }
        Ok(I18n {
            bundles,
            plain,
            formats,
            money_patterns: Default::default(),
        })
    }

    pub fn t(&self, lang: Lang, key: &str) -> String {
        self.text(lang, key).into_owned()
    }

    /// The message `key` in `lang` without arguments: borrowed from the bundle when it is
    /// plain text (most labels), so a page's labels cost no allocation.
    pub fn text(&self, lang: Lang, key: &str) -> std::borrow::Cow<'_, str> {
        match self.plain.get(lang.index()).and_then(|m| m.get(key)) {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => self.format(lang, key, None),
        }
    }

    pub fn t_args(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        self.with_args(lang, key, args.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// The message `key` with one argument (a page's heading or hint).
    pub fn t_one(&self, lang: Lang, key: &str, name: &str, value: &str) -> String {
        self.with_args(lang, key, [(name, value)])
    }

    /// The message `key` with `args`, borrowed to format (no copy of a value is made).
    fn with_args<'v>(
        &self,
        lang: Lang,
        key: &str,
        args: impl IntoIterator<Item = (&'v str, &'v str)>,
    ) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(k, FluentValue::from(v));
        }
        self.format(lang, key, Some(&fa)).into_owned()
    }

    /// A whole number with the language's grouping: 10,000.
    pub fn number(&self, lang: Lang, n: i64) -> String {
        self.decimal(lang, n, 0)
    }

    /// `minor` units with `decimals` digits after the separator (123456, 2 → 1,234.56).
    pub fn decimal(&self, lang: Lang, minor: i64, decimals: u32) -> String {
        let mut out = String::new();
        self.write_decimal(&mut out, lang, minor, decimals);
        out
    }

    /// A money amount as the language writes it: the figure by CLDR, the currency's
    /// place and sign by the `money` message (the won sign before the figure in English,
    /// the currency's word after it in Korean and Japanese).
    pub fn money(&self, lang: Lang, minor: i64, currency: &str, decimals: u32) -> String {
        let around = |(before, after): &MoneyPattern| {
            let mut out = String::with_capacity(before.len() + after.len() + 24);
            out.push_str(before);
            self.write_decimal(&mut out, lang, minor, decimals);
            out.push_str(after);
            out
        };
        // Written around the amount while the kept pattern is lent (no copy of it per amount).
        if let Some(known) = self
            .money_patterns
            .get(lang.index())
            .and_then(|p| p.read().ok())
            && let Some(p) = known.get(currency)
        {
            return around(p);
        }
        around(&self.money_pattern(lang, currency))
    }

    /// The `money` message of `lang` for `currency`, split around the amount: resolved by
    /// Fluent once, then kept.
    fn money_pattern(&self, lang: Lang, currency: &str) -> MoneyPattern {
        let patterns = self.money_patterns.get(lang.index());
        const MARK: &str = "\u{1}";
        let whole = self.t_args(
            lang,
            "money",
            &[
                ("amount", MARK.to_string()),
                ("currency", currency.to_string()),
            ],
        );
        let parts = match whole.split_once(MARK) {
            Some((b, a)) => (b.to_string(), a.to_string()),
            None => (String::new(), format!(" {currency}")),
        };
        if let Some(mut m) = patterns.and_then(|p| p.write().ok()) {
            m.insert(currency.to_string(), parts.clone());
        }
        parts
    }

    /// `minor` with `decimals` digits after the separator, appended to `out`.
    fn write_decimal(&self, out: &mut String, lang: Lang, minor: i64, decimals: u32) {
        use std::fmt::Write as _;
        if decimals == 0
            && let Some(g) = self
                .formats
                .get(lang.index())
                .and_then(|f| f.grouping.as_ref())
        {
            g.write(out, minor);
            return;
        }
        let mut d = Decimal::from(minor);
        d.multiply_pow10(-(decimals.min(18) as i16));
        let _ = match self.formats.get(lang.index()) {
            Some(f) => write!(out, "{}", f.decimal.format(&d)),
            None => write!(out, "{d}"),
        };
    }

    /// A month as its readers write it (English: Jun 2026).
    pub fn month(&self, lang: Lang, year: i32, month: u32) -> String {
        let (Some(f), Ok(d)) = (
            self.formats.get(lang.index()),
            Date::try_new_gregorian(year, month.clamp(1, 12) as u8, 1),
        ) else {
            return format!("{year}-{month:02}");
        };
        f.month.format(&d).to_string()
    }

    /// A calendar date as its readers write it (English: December 4, 2026).
    pub fn date(&self, lang: Lang, d: chrono::NaiveDate) -> String {
        use chrono::Datelike as _;
        let (Some(f), Ok(date)) = (
            self.formats.get(lang.index()),
            Date::try_new_gregorian(d.year(), d.month() as u8, d.day() as u8),
        ) else {
            return d.format("%Y-%m-%d").to_string();
        };
        f.date.format(&date).to_string()
    }

    /// A stored `YYYY-MM-DD` day as its readers write dates (as stored if it is not one).
    pub fn day(&self, lang: Lang, iso: &str) -> String {
        match iso.parse::<chrono::NaiveDate>() {
            Ok(d) => self.date(lang, d),
            Err(_) => iso.to_string(),
        }
    }

    /// Borrowed from the bundle when the message is plain text.
    fn format<'a>(
        &'a self,
        lang: Lang,
        key: &str,
        args: Option<&'a FluentArgs<'a>>,
    ) -> std::borrow::Cow<'a, str> {
        let Some(bundle) = self.bundles.get(lang.index()) else {
            return key.to_string().into();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = lang.code(), "missing translation");
            return key.to_string().into();
        };
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, lang = lang.code(), ?errors, "translation error");
        }
        out
    }
}

/// The messages of `bundle` whose value is plain text, as the bundle writes them.
fn plain_messages(
    bundle: &FluentBundle<FluentResource>,
    lang: Lang,
) -> rustc_hash::FxHashMap<Box<str>, Box<str>> {
    let mut out = rustc_hash::FxHashMap::default();
    for src in sources(lang) {
        for id in message_ids(src) {
            let Some(pattern) = bundle.get_message(&id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            // Borrowed: the pattern is one text element (a placeable would be resolved).
            if let std::borrow::Cow::Borrowed(text) =
                bundle.format_pattern(pattern, None, &mut errors)
                && errors.is_empty()
            {
                out.insert(id.into_boxed_str(), text.into());
            }
        }
    }
    out
}

/// The text before and after the amount in a language's `money` message.
type MoneyPattern = (String, String);

/// Picks the best of our languages for an `Accept-Language` header, if any matches.
pub fn negotiate(accept_language: &str) -> Option<Lang> {
    let requested = fluent_langneg::accepted_languages::parse(accept_language);
    let available: Vec<fluent_langneg::LanguageIdentifier> = [Lang::En, Lang::Ja, Lang::Ko]
        .iter()
        .filter_map(|l| l.code().parse().ok())
        .collect();
    let chosen = fluent_langneg::negotiate_languages(
        &requested,
        &available,
        None,
        fluent_langneg::NegotiationStrategy::Lookup,
    );
    chosen
        .first()
        .and_then(|id| Lang::from_code(id.to_string().split('-').next().unwrap_or("")))
}

/// Message ids defined in a Fluent source (top-level `id =` lines).
pub fn message_ids(src: &str) -> Vec<String> {
    src.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn bundles_load_and_translate() {
        let i = I18n::load().map_err(|e| e.to_string());
        assert!(i.is_ok(), "{:?}", i.as_ref().err());
        if let Ok(i) = i {
            assert_eq!(i.t(Lang::En, "app-name"), "Online Contact");
            assert_ne!(i.t(Lang::Ko, "nav-login"), i.t(Lang::En, "nav-login"));
            assert_ne!(i.t(Lang::Ja, "nav-login"), i.t(Lang::En, "nav-login"));
            assert_eq!(i.t(Lang::En, "no-such-key"), "no-such-key");
        }
    }

    #[test]
    fn plain_labels_are_what_the_bundle_writes() {
        let Ok(i) = I18n::load() else {
            panic!("bundles load");
        };
        for lang in Lang::ALL {
            let plain = &i.plain[lang.index()];
            let ids: Vec<String> = sources(lang).iter().flat_map(|s| message_ids(s)).collect();
            // Most labels are plain text, and some messages are not.
            assert!(
                plain.len() * 2 > ids.len(),
                "{lang:?}: {} of {}",
                plain.len(),
                ids.len()
            );
            assert!(plain.len() < ids.len(), "{lang:?}");
            assert!(
                !plain.contains_key("home-welcome"),
                "a message with a placeable"
            );
            for id in &ids {
                assert_eq!(i.text(lang, id), i.format(lang, id, None), "{lang:?} {id}");
            }
        }
        assert_eq!(i.text(Lang::En, "no-such-key"), "no-such-key");
    }

    #[test]
    fn whole_numbers_by_hand_are_what_icu_writes() {
        let i = I18n::load().map_err(|e| e.to_string());
        assert!(i.is_ok(), "{:?}", i.as_ref().err());
        let Ok(i) = i else { return };
        let mut n: i64 = 1;
        let mut samples = vec![0i64, -1, 10, -999_999, i64::MAX, i64::MIN + 1];
        for _ in 0..60 {
            n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            samples.push(n >> (n & 63).unsigned_abs().min(60));
        }
        for lang in Lang::ALL {
            let f = &i.formats[lang.index()];
            // ko, ja and en group by threes: the hand-written path must be on for them.
            assert!(f.grouping.is_some(), "no grouping for {}", lang.code());
            let Some(g) = f.grouping.as_ref() else {
                continue;
            };
            for v in &samples {
                let mut out = String::new();
                g.write(&mut out, *v);
                assert_eq!(out, f.decimal.format(&Decimal::from(*v)).to_string());
            }
        }
        assert_eq!(i.number(Lang::En, -1_234_567), "-1,234,567");
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate("ko-KR,ko;q=0.9,en;q=0.8"), Some(Lang::Ko));
        assert_eq!(negotiate("ja"), Some(Lang::Ja));
        assert_eq!(negotiate("fr-FR, en;q=0.5"), Some(Lang::En));
        assert_eq!(negotiate("fr-FR"), None);
        assert_eq!(negotiate(""), None);
    }

    #[test]
    fn locales_have_the_same_keys() {
        let keys = |l: Lang| -> BTreeSet<String> {
            sources(l).iter().flat_map(|s| message_ids(s)).collect()
        };
        let en = keys(Lang::En);
        assert!(en.len() > 50);
        for l in [Lang::Ja, Lang::Ko] {
            let other = keys(l);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, extra {extra:?}",
                l.code()
            );
        }
    }
}
