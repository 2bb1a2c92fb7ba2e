//! Translations: every key used exists in every language; templates hold no literal text.

use std::collections::BTreeSet;
use std::path::Path;

use online_contact::i18n::{Lang, message_ids, sources};

fn files(dir: &Path, exts: &[&str], out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, exts, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x))
        {
            out.push(p);
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Keys named in code and templates through the localizer's entry points.
fn used_keys() -> BTreeSet<String> {
    let re = regex_lite::Regex::new(
        r#"(?:\bt|\bt1|t_args\([^,]+,|Msg::new|Msg::with|Some|flash\("[a-z]+",)\(?\s*"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#,
    )
    .unwrap();
    // Keys chosen in code by a match or an if (namespaced, so nothing else looks like them).
    let quoted = regex_lite::Regex::new(
        r#""((?:error|card-brand|kind|service-status|feature-group|editor|tab)-[a-z0-9-]+)""#,
    )
    .unwrap();
    let mut paths = Vec::new();
    files(&root().join("src"), &["rs"], &mut paths);
    files(&root().join("templates"), &["html", "txt"], &mut paths);
    let mut keys = BTreeSet::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        for c in re.captures_iter(&text) {
            keys.insert(c[1].to_string());
        }
        if p.extension().is_some_and(|e| e == "rs") {
            for c in quoted.captures_iter(&text) {
                keys.insert(c[1].to_string());
            }
        }
    }
    // Keys built from data.
    for c in online_contact::console::model::COUNTRIES {
        keys.insert(format!("country-{}", c.to_lowercase()));
    }
    for t in online_contact::console::model::MEMBER_TYPES {
        keys.insert(format!("member-type-{t}"));
    }
    for l in Lang::ALL {
        keys.insert(format!("lang-name-{}", l.code()));
    }
    // Keys of the people, log, ticket and migration pages, built from their codes.
    use online_contact::admin::migration::model as mig;
    use online_contact::admin::permission_log::model as log;
    use online_contact::services::ticket_fields::model as tf;
    use online_contact::services::tickets::model as tk;
    for v in [
        "none",
        "invited",
        "member",
        "org-admin",
        "owner",
        "admin",
        "agent",
    ] {
        keys.insert(format!("perm-value-{v}"));
    }
    for c in ["phone", "chat"] {
        keys.insert(format!("perm-channel-{c}"));
    }
    for a in log::ACTIONS {
        keys.insert(format!("log-action-{a}"));
    }
    for k in tf::KINDS {
        keys.insert(format!("tf-kind-{k}"));
    }
    for s in tk::STATUSES {
        keys.insert(format!("ticket-status-{s}"));
        keys.insert(format!("ticket-move-{s}"));
    }
    for p in tk::PRIORITIES {
        keys.insert(format!("ticket-priority-{p}"));
    }
    for c in tk::CHANNELS {
        keys.insert(format!("ticket-channel-{c}"));
    }
    for s in [
        mig::PENDING,
        mig::RESERVED,
        mig::RUNNING,
        mig::DONE,
        mig::FAILED,
        mig::DELETED,
    ] {
        keys.insert(format!("mig-status-{s}"));
    }
    keys.insert("money".to_string());
    use online_contact::admin::cti::events as cti;
    for s in cti::STATES {
        keys.insert(format!("cti-state-{s}"));
    }
    for s in cti::CHAT_STATES {
        keys.insert(format!("chat-state-{s}"));
    }
    for p in cti::PHASES {
        keys.insert(format!("cti-phase-{p}"));
    }
    for d in cti::DIRECTIONS {
        keys.insert(format!("cti-dir-{d}"));
    }
    let book = online_contact::pricing::PriceBook::parse(online_contact::pricing::DEFAULT).unwrap();
    for f in book.features.keys() {
        keys.insert(format!("feature-{}", f.replace('_', "-")));
    }
    keys
}

#[test]
fn every_used_key_exists_in_every_language() {
    let used = used_keys();
    assert!(
        used.len() > 60,
        "the scan found too few keys: {}",
        used.len()
    );
    for lang in Lang::ALL {
        let defined: BTreeSet<String> = sources(lang).iter().flat_map(|s| message_ids(s)).collect();
        let missing: Vec<_> = used.difference(&defined).collect();
        assert!(missing.is_empty(), "{}: missing {missing:?}", lang.code());
    }
}

#[test]
fn dates_read_as_each_language_writes_them() {
    let i18n = online_contact::i18n::I18n::load().unwrap();
    let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    assert_eq!(i18n.date(Lang::En, d), "December 4, 2026");
    assert_eq!(i18n.date(Lang::Ko, d), "2026년 12월 4일");
    assert_eq!(i18n.date(Lang::Ja, d), "2026年12月4日");
}

#[test]
fn money_months_and_numbers_read_as_each_language_writes_them() {
    let i18n = online_contact::i18n::I18n::load().unwrap();
    assert_eq!(i18n.money(Lang::Ko, 22_407_500, "KRW", 0), "22,407,500원");
    assert_eq!(
        i18n.money(Lang::Ja, 22_407_500, "KRW", 0),
        "22,407,500ウォン"
    );
    assert_eq!(i18n.money(Lang::En, 22_407_500, "KRW", 0), "₩22,407,500");
    assert_eq!(i18n.money(Lang::En, 123_456, "USD", 2), "$1,234.56");
    assert_eq!(i18n.money(Lang::En, -5, "EUR", 2), "-0.05 EUR");
    assert_eq!(i18n.money(Lang::Ko, 5, "USD", 2), "0.05달러");
    assert_eq!(i18n.money(Lang::Ja, 0, "KRW", 0), "0ウォン");
    // The price book's currency (KRW), as pages show it.
    assert_eq!(crate::support::money(Lang::Ko, 1_234_567), "1,234,567원");
    assert_eq!(i18n.day(Lang::Ko, "2026-12-04"), "2026년 12월 4일");
    assert_eq!(i18n.day(Lang::En, "not a day"), "not a day");
    assert_eq!(i18n.month(Lang::Ko, 2026, 6), "2026년 6월");
    assert_eq!(i18n.month(Lang::Ja, 2026, 6), "2026年6月");
    assert_eq!(i18n.month(Lang::En, 2026, 6), "Jun 2026");
    assert_eq!(i18n.number(Lang::Ko, 10_000), "10,000");
    assert_eq!(i18n.number(Lang::En, 7), "7");
}

#[test]
fn every_locale_has_the_same_files() {
    let list = |l: &str| {
        let mut v: Vec<String> = std::fs::read_dir(root().join("locales").join(l))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(list("en"), list("ja"));
    assert_eq!(list("en"), list("ko"));
}

#[test]
fn templates_hold_no_literal_text() {
    let expr = regex_lite::Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}").unwrap();
    let tag = regex_lite::Regex::new(r"(?s)<[^>]*>").unwrap();
    let entity = regex_lite::Regex::new(r"&[a-z]+;|&#[0-9]+;").unwrap();
    let attr = regex_lite::Regex::new(r#"(?:placeholder|title|alt|aria-label)="([^"]*)""#).unwrap();
    let mut paths = Vec::new();
    files(&root().join("templates"), &["html", "txt"], &mut paths);
    assert!(!paths.is_empty());
    for p in paths {
        let src = std::fs::read_to_string(&p).unwrap();
        let no_expr = expr.replace_all(&src, " ");
        for a in attr.captures_iter(&no_expr) {
            assert!(
                !a[1].chars().any(char::is_alphabetic),
                "{}: literal attribute text {:?}",
                p.display(),
                &a[1]
            );
        }
        let text = tag.replace_all(&no_expr, " ");
        let text = entity.replace_all(&text, " ");
        let letters: String = text.chars().filter(|c| c.is_alphabetic()).collect();
        assert!(
            letters.is_empty(),
            "{}: literal text {:?}",
            p.display(),
            text.split_whitespace().collect::<Vec<_>>()
        );
    }
}

/// The log's before/after values read in the product's Korean terms.
#[test]
fn log_values_read_in_korean() {
    use online_contact::admin::permission_log::model::readable;
    let i18n = online_contact::i18n::I18n::load().unwrap();
    assert_eq!(readable(&i18n, Lang::Ko, "org-admin"), "조직관리자");
    assert_eq!(
        readable(&i18n, Lang::Ko, "agent+phone+chat"),
        "상담원 · 전화, 채팅"
    );
    assert_eq!(readable(&i18n, Lang::Ja, "admin+phone"), "管理者 · 電話");
}
