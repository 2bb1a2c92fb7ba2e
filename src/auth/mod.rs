//! Account security shared by both realms: the product's password rule, random tokens
//! stored only as hashes, bcrypt on the blocking pool behind a semaphore, and the login
//! lockout rule.

pub mod flows;
pub mod store;

use std::sync::Arc;

use base64::Engine;
use chrono::NaiveDateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::web::forms::Msg;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 15;
pub const LOCKOUT_FAILURES: i32 = 5;
pub const LOCKOUT_WINDOW_MIN: i64 = 15;
pub const LOCKOUT_MIN: i64 = 15;
pub const RESET_TOKEN_MINUTES: i64 = 60;
/// Reset mails one account may be sent in an hour.
pub const RESET_MAILS_PER_HOUR: i64 = 5;

/// The product's password rule: 8–15 characters containing letters, digits and special
/// characters (ASCII). Each missing part is named in its own message.
pub fn check_password(pw: &str) -> Vec<Msg> {
    let mut out = Vec::new();
    if pw.is_empty() {
        out.push(Msg::new("password-required"));
        return out;
    }
    let len = pw.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        out.push(Msg::new("password-length"));
    }
    if pw.chars().any(|c| !c.is_ascii_graphic()) {
        out.push(Msg::new("password-invalid-chars"));
    }
    if !pw.chars().any(|c| c.is_ascii_alphabetic()) {
        out.push(Msg::new("password-needs-letter"));
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        out.push(Msg::new("password-needs-digit"));
    }
    if !pw.chars().any(|c| c.is_ascii_punctuation()) {
        out.push(Msg::new("password-needs-special"));
    }
    out
}

/// A URL-safe random token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Tokens are stored only as their SHA-256; they carry 256 random bits, so a fast hash is
/// enough (no dictionary to guard against).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// bcrypt on the blocking pool, at most `permits` at a time, so a burst of logins queues
/// instead of starving the page requests.
#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    gate: Arc<Semaphore>,
    /// A hash of a random password at the configured cost, verified against when the
    /// account does not exist, so unknown accounts take as long as known ones.
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new(cost: u32, permits: usize) -> Result<Hasher, String> {
        let dummy = bcrypt::hash(random_token(12), cost).map_err(|e| format!("bcrypt: {e}"))?;
        Ok(Hasher {
            cost,
            gate: Arc::new(Semaphore::new(permits.max(1))),
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.gate.acquire().await.map_err(AppError::internal)?;
        let cost = self.cost;
        actix_web::web::block(move || bcrypt::hash(password, cost))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    /// Verifies against `hash`, or against the dummy hash when there is none; a malformed
    /// stored hash counts as a mismatch.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let _permit = self.gate.acquire().await.map_err(AppError::internal)?;
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        let ok = actix_web::web::block(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .map_err(AppError::internal)?;
        Ok(real && ok)
    }
}

/// Login throttling state of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failed: i32,
    pub window_start: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
}

impl Throttle {
    pub fn is_locked(&self, now: NaiveDateTime) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// The state after one more failed login at `now`: five failures within the window lock
    /// the account for the lockout time and start counting afresh.
    pub fn after_failure(&self, now: NaiveDateTime) -> Throttle {
        let window = chrono::Duration::minutes(LOCKOUT_WINDOW_MIN);
        let (failed, start) = match self.window_start {
            Some(s) if now - s < window => (self.failed + 1, s),
            _ => (1, now),
        };
        if failed >= LOCKOUT_FAILURES {
            Throttle {
                failed: 0,
                window_start: None,
                locked_until: Some(now + chrono::Duration::minutes(LOCKOUT_MIN)),
            }
        } else {
            Throttle {
                failed,
                window_start: Some(start),
                locked_until: self.locked_until,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pw: &str) -> Vec<&'static str> {
        check_password(pw).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn password_rule_names_each_missing_part() {
        assert!(keys("abcd123!").is_empty());
        assert!(keys("A1!aaaaaaaaaaaa").is_empty()); // 15
        assert_eq!(keys(""), vec!["password-required"]);
        assert_eq!(
            keys("abcdefgh"),
            vec!["password-needs-digit", "password-needs-special"]
        );
        assert_eq!(
            keys("12345678"),
            vec!["password-needs-letter", "password-needs-special"]
        );
        assert_eq!(
            keys("!!!!!!!!"),
            vec!["password-needs-letter", "password-needs-digit"]
        );
        assert_eq!(keys("ab1!"), vec!["password-length"]);
        assert_eq!(keys("A1!aaaaaaaaaaaaa"), vec!["password-length"]); // 16
        assert!(keys("\u{be44}\u{bc00}\u{bc88}\u{d638}abc1!").contains(&"password-invalid-chars"));
        assert!(keys("abc 123!x").contains(&"password-invalid-chars"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn lockout_after_five_failures_in_window() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).map(|d| d.naive_utc());
        let t0 = t0.unwrap_or_default();
        let mut t = Throttle {
            failed: 0,
            window_start: None,
            locked_until: None,
        };
        for i in 0..4 {
            t = t.after_failure(t0 + chrono::Duration::minutes(i));
            assert!(!t.is_locked(t0 + chrono::Duration::minutes(i)));
        }
        t = t.after_failure(t0 + chrono::Duration::minutes(4));
        assert!(t.is_locked(t0 + chrono::Duration::minutes(5)));
        assert!(t.is_locked(t0 + chrono::Duration::minutes(18)));
        assert!(!t.is_locked(t0 + chrono::Duration::minutes(20)));
    }

    #[test]
    fn failures_outside_window_do_not_lock() {
        let t0 = chrono::NaiveDateTime::default();
        let mut t = Throttle {
            failed: 0,
            window_start: None,
            locked_until: None,
        };
        for i in 0..10 {
            // one failure every 4 minutes: never 5 within 15 minutes
            t = t.after_failure(t0 + chrono::Duration::minutes(i * 4));
            assert!(!t.is_locked(t0 + chrono::Duration::minutes(i * 4)));
        }
        assert!(t.failed <= 4);
        assert!(!t.is_locked(t0 + chrono::Duration::minutes(40)));
    }
}
