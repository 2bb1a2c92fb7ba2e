//! Sign-in and password flows shared by the console and the workspaces: the handlers
//! differ in their forms and pages, not in these rules.

use crate::AppState;
use crate::auth::store::{self, Account, Accounts};
use crate::auth::throttle::{self, Gate};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail;

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

pub enum Login {
    Ok(Account),
    /// Wrong key or password (the same answer for both).
    Failed,
    /// Too many attempts for this identifier, whether or not an account has it.
    Locked,
    /// An org member who has not set a password yet: use "find password".
    NoPassword,
}

/// Checks a sign-in with lockout. The attempt is counted before any password is verified
/// (parallel attempts cannot pass the limit); a locked identifier is refused without
/// looking at the password, known or unknown alike; unknown accounts cost the same bcrypt
/// work as known ones.
pub async fn login(
    state: &AppState,
    accts: Accounts,
    key: String,
    password: String,
) -> Result<Login, AppError> {
    let at = now();
    let tk = accts.throttle_key(&key);
    let k = tk.clone();
    let (gate, account) = state
        .db(move |c| {
            let gate = throttle::reserve(c, &k, at)?;
            let account = match gate {
                Gate::Allowed => store::find_by_key(c, accts, &key)?,
                Gate::Locked => None,
            };
            Ok((gate, account))
        })
        .await?;
    if gate == Gate::Locked {
        return Ok(Login::Locked);
    }
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let no_password = account.as_ref().is_some_and(|a| a.password_hash.is_none());
    let good = state.hasher.verify(password, hash).await?;
    match account {
        Some(a) if good => {
            state.db(move |c| throttle::clear(c, &tk)).await?;
            Ok(Login::Ok(a))
        }
        _ => {
            let locked = state.db(move |c| throttle::failed(c, &tk, at)).await?;
            if locked {
                tracing::warn!(?accts, "sign-in locked after failed attempts");
                Ok(Login::Locked)
            } else if no_password {
                Ok(Login::NoPassword)
            } else {
                Ok(Login::Failed)
            }
        }
    }
}

/// Sends a reset link to the account's email if the account exists; the caller answers the
/// same either way, and the bcrypt work makes both take the same time. `origin` is the
/// scheme and host the link points to.
pub async fn request_reset(
    state: &actix_web::web::Data<AppState>,
    accts: Accounts,
    key: String,
    origin: String,
) -> Result<(), AppError> {
    state.hasher.verify(key.clone(), None).await?;
    let st = state.clone();
    state
        .db(move |c| {
            let Some(a) = store::find_by_key(c, accts, &key)? else {
                return Ok(());
            };
            let lang = Lang::from_code(&a.locale).unwrap_or_default();
            store::start_reset(c, accts, a.id, now(), |token| {
                let link = format!("{origin}/password/reset?token={token}");
                Ok(mail::password_reset(
                    &st.i18n, lang, &a.email, &a.name, &link,
                )?)
            })
        })
        .await
}

pub async fn reset_token_valid(
    state: &AppState,
    accts: Accounts,
    token: String,
) -> Result<bool, AppError> {
    Ok(state
        .db(move |c| store::reset_token_account(c, accts, &token, now()))
        .await?
        .is_some())
}

/// Sets the new password with a reset token; false when the token cannot be used.
pub async fn complete_reset(
    state: &actix_web::web::Data<AppState>,
    accts: Accounts,
    token: String,
    password: String,
) -> Result<bool, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(false);
    }
    let hash = state.hasher.hash(password).await?;
    let st = state.clone();
    let done = state
        .db(move |c| {
            store::consume_reset(c, accts, &token, now(), |c, account| {
                store::set_password(c, accts, account, &hash, now(), None, |a| {
                    changed_mail(&st, a).map(Some)
                })
            })
        })
        .await?;
    Ok(done.is_some())
}

pub enum Change {
    Done,
    WrongCurrent,
    /// Too many wrong current passwords: counted like sign-in failures.
    Locked,
}

/// The current password of a signed-in account, as a form that changes something
/// sensitive asks for it.
pub enum Current {
    Right,
    Wrong,
    /// Too many wrong current passwords: counted like sign-in failures.
    Locked,
}

/// Checks a signed-in account's current password with the sign-in throttle: reserved
/// before bcrypt, a wrong one counted, a locked identifier refused unchecked.
pub async fn check_current(
    state: &AppState,
    accts: Accounts,
    id: i64,
    password: String,
) -> Result<Current, AppError> {
    let at = now();
    let (account, gate) = state
        .db(move |c| {
            let a = store::find_by_id(c, accts, id)?.ok_or(AppError::Forbidden)?;
            let gate = throttle::reserve(c, &accts.throttle_key(&a.key), at)?;
            Ok((a, gate))
        })
        .await?;
    if gate == Gate::Locked {
        return Ok(Current::Locked);
    }
    if state.hasher.verify(password, account.password_hash).await? {
        return Ok(Current::Right);
    }
    let tk = accts.throttle_key(&account.key);
    let locked = state.db(move |c| throttle::failed(c, &tk, at)).await?;
    Ok(if locked {
        Current::Locked
    } else {
        Current::Wrong
    })
}

/// Changes the password of a signed-in account after checking the current one; the
/// session `keep` goes on, every other session of the account ends.
pub async fn change_password(
    state: &actix_web::web::Data<AppState>,
    accts: Accounts,
    id: i64,
    keep: i64,
    current: String,
    new: String,
) -> Result<Change, AppError> {
    match check_current(state, accts, id, current).await? {
        Current::Right => {}
        Current::Wrong => return Ok(Change::WrongCurrent),
        Current::Locked => return Ok(Change::Locked),
    }
    let hash = state.hasher.hash(new).await?;
    let st = state.clone();
    state
        .db(move |c| {
            store::set_password(c, accts, id, &hash, now(), Some(keep), |a| {
                changed_mail(&st, a).map(Some)
            })
        })
        .await?;
    Ok(Change::Done)
}

fn changed_mail(state: &AppState, a: &Account) -> Result<mail::OutgoingMail, AppError> {
    let lang = Lang::from_code(&a.locale).unwrap_or_default();
    let when = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(mail::password_changed(
        &state.i18n,
        lang,
        &a.email,
        &a.name,
        &when,
    )?)
}
