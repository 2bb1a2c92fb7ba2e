//! What the (encrypted cookie) session holds and the rules around it: sign-in state with
//! its realm, account session epoch and idle/absolute times; the CSRF token; flash.
//!
//! A cookie cannot be revoked by the server, so each session carries the account's
//! session epoch; bumping the epoch (password change or reset) ends every other session.

use actix_session::Session;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const AUTH: &str = "auth";
pub const CSRF: &str = "csrf";
pub const FLASH: &str = "flash";
pub const LOCALE: &str = "locale";

/// How often the idle timestamp is refreshed (each refresh rewrites the cookie).
const TOUCH_SECONDS: i64 = 60;

/// Where a session was signed in: the console, or one organization's workspace. A
/// session is only honoured in its own realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Realm {
    Console,
    Workspace(i64),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthState {
    pub realm: Realm,
    pub uid: i64,
    pub epoch: i64,
    /// Signed in at (unix seconds).
    pub iat: i64,
    /// Last seen (unix seconds).
    pub seen: i64,
}

impl AuthState {
    pub fn expired(
        &self,
        now: NaiveDateTime,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> bool {
        let now = now.and_utc().timestamp();
        now - self.seen > idle.num_seconds() || now - self.iat > absolute.num_seconds()
    }

    pub fn needs_touch(&self, now: NaiveDateTime) -> bool {
        now.and_utc().timestamp() - self.seen >= TOUCH_SECONDS
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `success`, `info` or `error` (a CSS class).
    pub kind: String,
    /// A Fluent key.
    pub key: String,
}

pub fn auth(session: &Session) -> Option<AuthState> {
    session.get::<AuthState>(AUTH).ok().flatten()
}

/// Signs in: a fresh session (new cookie, new CSRF token) holding the account.
pub fn sign_in(
    session: &Session,
    realm: Realm,
    uid: i64,
    epoch: i64,
    locale: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let flash = session.get::<Flash>(FLASH).ok().flatten();
    session.renew();
    session.clear();
    let ts = now.and_utc().timestamp();
    session.insert(
        AUTH,
        AuthState {
            realm,
            uid,
            epoch,
            iat: ts,
            seen: ts,
        },
    )?;
    session.insert(CSRF, crate::auth::random_token(32))?;
    session.insert(LOCALE, locale)?;
    if let Some(f) = flash {
        session.insert(FLASH, f)?;
    }
    Ok(())
}

/// Drops the sign-in state but keeps the session (and its CSRF token) for the next form.
pub fn sign_out(session: &Session) {
    session.remove(AUTH);
    session.remove(LOCALE);
}

pub fn touch(session: &Session, mut auth: AuthState, now: NaiveDateTime) -> Result<(), AppError> {
    auth.seen = now.and_utc().timestamp();
    session.insert(AUTH, auth)?;
    Ok(())
}

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF).ok().flatten() {
        return Ok(t);
    }
    let t = crate::auth::random_token(32);
    session.insert(CSRF, &t)?;
    Ok(t)
}

pub fn set_flash(session: &Session, flash: Flash) -> Result<(), AppError> {
    session.insert(FLASH, flash)?;
    Ok(())
}

pub fn take_flash(session: &Session) -> Option<Flash> {
    session.remove_as::<Flash>(FLASH).and_then(Result::ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_absolute_expiry() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default();
        let s = t0.and_utc().timestamp();
        let a = AuthState {
            realm: Realm::Console,
            uid: 1,
            epoch: 0,
            iat: s,
            seen: s,
        };
        let idle = chrono::Duration::minutes(60);
        let abs = chrono::Duration::hours(12);
        assert!(!a.expired(t0 + chrono::Duration::minutes(59), idle, abs));
        assert!(a.expired(t0 + chrono::Duration::minutes(61), idle, abs));
        // Active all along, but past the absolute limit.
        let busy = AuthState {
            seen: s + 12 * 3600,
            ..a.clone()
        };
        assert!(!busy.expired(t0 + chrono::Duration::hours(12), idle, abs));
        assert!(busy.expired(
            t0 + chrono::Duration::hours(12) + chrono::Duration::minutes(1),
            idle,
            abs
        ));
        assert!(!a.needs_touch(t0 + chrono::Duration::seconds(30)));
        assert!(a.needs_touch(t0 + chrono::Duration::seconds(60)));
    }
}
