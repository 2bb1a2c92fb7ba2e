//! The product's 203 help-center languages (code, English name, native name where known),
//! from the product documentation, embedded.

pub struct Language {
    pub code: &'static str,
    pub english: &'static str,
    pub native: &'static str,
}

impl Language {
    /// The name shown: native where known, else English.
    pub fn label(&self) -> &'static str {
        if self.native.is_empty() {
            self.english
        } else {
            self.native
        }
    }
}

const TSV: &str = include_str!("../../locales/helpcenter-languages.tsv");

/// Every language, parsed once.
pub fn all() -> &'static [Language] {
    static ALL: std::sync::OnceLock<Vec<Language>> = std::sync::OnceLock::new();
    ALL.get_or_init(parse)
}

fn parse() -> Vec<Language> {
    TSV.lines()
        .skip(1)
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let code = parts.next()?.trim();
            let english = parts.next()?.trim();
            let native = parts.next().unwrap_or("").trim();
            (!code.is_empty()).then_some(Language {
                code,
                english,
                native,
            })
        })
        .collect()
}

fn codes() -> &'static std::collections::HashSet<&'static str> {
    static CODES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    CODES.get_or_init(|| {
        TSV.lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    })
}

/// The language with this code.
pub fn find(code: &str) -> Option<&'static Language> {
    all().iter().find(|l| l.code == code)
}

pub fn is_known(code: &str) -> bool {
    codes().contains(code)
}

/// How many languages there are.
pub fn count() -> usize {
    codes().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_203_languages() {
        let all = all();
        assert_eq!(all.len(), 203);
        assert!(is_known("ko") && is_known("ja") && is_known("en"));
        assert!(!is_known("xx") && !is_known(""));
        let codes: std::collections::BTreeSet<_> = all.iter().map(|l| l.code).collect();
        assert_eq!(codes.len(), 203, "codes are unique");
        assert!(all.iter().all(|l| !l.label().is_empty()));
    }
}
