//! What the (encrypted cookie) session holds: the token of the server-side session
//! (`auth::sessions`), the CSRF token, the language choice and the flash message. Sign-in
//! state itself lives on the server; the cookie only names it.

use actix_session::Session;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub const SID: &str = "sid";
pub const CSRF: &str = "csrf";
pub const FLASH: &str = "flash";
pub const LOCALE: &str = "locale";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `success`, `info` or `error` (a CSS class).
    pub kind: String,
    /// A Fluent key.
    pub key: String,
}

/// The server-side session token this cookie names, if any.
pub fn token(session: &Session) -> Option<String> {
    session.get::<String>(SID).ok().flatten()
}

/// After sign-in: a fresh cookie (new ID, new CSRF token) naming the new server session;
/// a pending flash message survives.
pub fn start(session: &Session, token: &str, locale: &str) -> Result<(), AppError> {
    let flash = session.get::<Flash>(FLASH).ok().flatten();
    session.renew();
    session.clear();
    session.insert(SID, token)?;
    session.insert(CSRF, crate::auth::random_token(32))?;
    session.insert(LOCALE, locale)?;
    if let Some(f) = flash {
        session.insert(FLASH, f)?;
    }
    Ok(())
}

/// Drops the sign-in state but keeps the cookie (and its CSRF token) for the next form.
pub fn sign_out(session: &Session) {
    session.remove(SID);
    session.remove(LOCALE);
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

/// The pending flash message, removed. Only a session that has one is changed (and its
/// cookie sent again): `remove` alone would mark every session changed.
pub fn take_flash(session: &Session) -> Option<Flash> {
    if !session.contains_key(FLASH) {
        return None;
    }
    session.remove_as::<Flash>(FLASH).and_then(Result::ok)
}
