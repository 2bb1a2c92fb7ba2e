//! Console member rules and queries. Everything here is synchronous and runs on the
//! blocking pool; mails are queued in the same transaction as the change that causes them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{RESET_TOKEN_MINUTES, Throttle, token_hash};
use crate::db::DbConn;
use crate::db::schema::{console_members, password_reset_tokens};
use crate::error::AppError;
use crate::mail::OutgoingMail;

pub const REALM: &str = "console";

/// Countries offered at sign-up (ISO 3166 codes; names come from the Fluent files).
pub const COUNTRIES: [&str; 15] = [
    "KR", "JP", "US", "CN", "TW", "SG", "VN", "TH", "ID", "PH", "GB", "DE", "FR", "CA", "AU",
];
pub const MEMBER_TYPES: [&str; 2] = ["individual", "business"];

pub const NAME_MAX: usize = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_members)]
pub struct SessionMember {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub session_epoch: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_members)]
pub struct MemberAuth {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub locale: String,
    pub session_epoch: i64,
    pub failed_logins: i32,
    pub failed_window_start: Option<NaiveDateTime>,
    pub locked_until: Option<NaiveDateTime>,
}

impl MemberAuth {
    pub fn throttle(&self) -> Throttle {
        Throttle {
            failed: self.failed_logins,
            window_start: self.failed_window_start,
            locked_until: self.locked_until,
        }
    }
}

pub struct NewMember {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub country: String,
    pub member_type: String,
    pub locale: String,
}

pub fn session_member(c: &mut DbConn, id: i64) -> Result<Option<SessionMember>, AppError> {
    Ok(console_members::table
        .filter(console_members::id.eq(id))
        .select(SessionMember::as_select())
        .first(c)
        .optional()?)
}

pub fn find_by_email(c: &mut DbConn, email: &str) -> Result<Option<MemberAuth>, AppError> {
    Ok(console_members::table
        .filter(console_members::email_lower.eq(email.trim().to_lowercase()))
        .select(MemberAuth::as_select())
        .first(c)
        .optional()?)
}

pub fn find_by_id(c: &mut DbConn, id: i64) -> Result<Option<MemberAuth>, AppError> {
    Ok(console_members::table
        .filter(console_members::id.eq(id))
        .select(MemberAuth::as_select())
        .first(c)
        .optional()?)
}

/// Creates a member; `Ok(None)` when the email is already registered (the unique index
/// decides, so two simultaneous sign-ups cannot both win).
pub fn create_member(
    c: &mut DbConn,
    m: &NewMember,
    now: NaiveDateTime,
) -> Result<Option<SessionMember>, AppError> {
    let email_lower = m.email.to_lowercase();
    let inserted = diesel::insert_into(console_members::table)
        .values((
            console_members::email.eq(&m.email),
            console_members::email_lower.eq(&email_lower),
            console_members::name.eq(&m.name),
            console_members::password_hash.eq(&m.password_hash),
            console_members::country.eq(&m.country),
            console_members::member_type.eq(&m.member_type),
            console_members::locale.eq(&m.locale),
            console_members::session_epoch.eq(0i64),
            console_members::failed_logins.eq(0),
            console_members::created_at.eq(now),
            console_members::updated_at.eq(now),
        ))
        .execute(c);
    match inserted {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    Ok(console_members::table
        .filter(console_members::email_lower.eq(&email_lower))
        .select(SessionMember::as_select())
        .first(c)
        .optional()?)
}

/// Stores the throttle state after a failed login; returns it.
pub fn record_failure(
    c: &mut DbConn,
    m: &MemberAuth,
    now: NaiveDateTime,
) -> Result<Throttle, AppError> {
    let t = m.throttle().after_failure(now);
    diesel::update(console_members::table.filter(console_members::id.eq(m.id)))
        .set((
            console_members::failed_logins.eq(t.failed),
            console_members::failed_window_start.eq(t.window_start),
            console_members::locked_until.eq(t.locked_until),
        ))
        .execute(c)?;
    Ok(t)
}

pub fn record_success(c: &mut DbConn, id: i64) -> Result<(), AppError> {
    diesel::update(console_members::table.filter(console_members::id.eq(id)))
        .set((
            console_members::failed_logins.eq(0),
            console_members::failed_window_start.eq(None::<NaiveDateTime>),
            console_members::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)?;
    Ok(())
}

pub fn set_locale(c: &mut DbConn, id: i64, locale: &str) -> Result<(), AppError> {
    diesel::update(console_members::table.filter(console_members::id.eq(id)))
        .set(console_members::locale.eq(locale))
        .execute(c)?;
    Ok(())
}

/// Creates a single-use reset token for the account and queues the mail that carries it;
/// `mail` builds the mail from the token. Returns nothing: the caller answers the same
/// whether or not the account exists.
pub fn start_reset(
    c: &mut DbConn,
    realm: &str,
    account_id: i64,
    now: NaiveDateTime,
    mail: impl FnOnce(&str) -> Result<OutgoingMail, AppError>,
) -> Result<(), AppError> {
    let token = crate::auth::random_token(32);
    let out = mail(&token)?;
    c.transaction(|c| {
        diesel::insert_into(password_reset_tokens::table)
            .values((
                password_reset_tokens::realm.eq(realm),
                password_reset_tokens::account_id.eq(account_id),
                password_reset_tokens::token_hash.eq(token_hash(&token)),
                password_reset_tokens::expires_at
                    .eq(now + chrono::Duration::minutes(RESET_TOKEN_MINUTES)),
                password_reset_tokens::created_at.eq(now),
            ))
            .execute(c)?;
        crate::mail::enqueue(c, &out, now)
    })?;
    Ok(())
}

/// The account a reset token belongs to, if it is unused and unexpired.
pub fn reset_token_account(
    c: &mut DbConn,
    realm: &str,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    Ok(password_reset_tokens::table
        .filter(password_reset_tokens::realm.eq(realm))
        .filter(password_reset_tokens::token_hash.eq(token_hash(token)))
        .filter(password_reset_tokens::used_at.is_null())
        .filter(password_reset_tokens::expires_at.gt(now))
        .select(password_reset_tokens::account_id)
        .first(c)
        .optional()?)
}

/// Uses a reset token once: in one transaction the token is marked used by a conditional
/// update (so two submissions cannot both use it), the account's other tokens are spent,
/// and `apply` changes the password. `Ok(None)` when the token is unknown, used or expired.
pub fn consume_reset<T>(
    c: &mut DbConn,
    realm: &str,
    token: &str,
    now: NaiveDateTime,
    apply: impl FnOnce(&mut DbConn, i64) -> Result<T, AppError>,
) -> Result<Option<T>, AppError> {
    let hash = token_hash(token);
    c.transaction(|c| {
        let Some(account) = reset_token_account(c, realm, token, now)? else {
            return Ok(None);
        };
        let used = diesel::update(
            password_reset_tokens::table
                .filter(password_reset_tokens::token_hash.eq(&hash))
                .filter(password_reset_tokens::used_at.is_null()),
        )
        .set(password_reset_tokens::used_at.eq(Some(now)))
        .execute(c)?;
        if used != 1 {
            return Ok(None);
        }
        diesel::update(
            password_reset_tokens::table
                .filter(password_reset_tokens::realm.eq(realm))
                .filter(password_reset_tokens::account_id.eq(account))
                .filter(password_reset_tokens::used_at.is_null()),
        )
        .set(password_reset_tokens::used_at.eq(Some(now)))
        .execute(c)?;
        apply(c, account).map(Some)
    })
}

/// Sets a new password hash, ends every session of the account (new epoch) and lifts a
/// lockout; queues the "password changed" mail. Returns the new epoch.
pub fn set_password(
    c: &mut DbConn,
    id: i64,
    new_hash: &str,
    now: NaiveDateTime,
    mail: impl FnOnce(&MemberAuth) -> Result<OutgoingMail, AppError>,
) -> Result<i64, AppError> {
    c.transaction(|c| {
        let m = find_by_id(c, id)?.ok_or(AppError::NotFound)?;
        let epoch = m.session_epoch + 1;
        diesel::update(console_members::table.filter(console_members::id.eq(id)))
            .set((
                console_members::password_hash.eq(new_hash),
                console_members::session_epoch.eq(epoch),
                console_members::failed_logins.eq(0),
                console_members::failed_window_start.eq(None::<NaiveDateTime>),
                console_members::locked_until.eq(None::<NaiveDateTime>),
                console_members::updated_at.eq(now),
            ))
            .execute(c)?;
        let out = mail(&m)?;
        crate::mail::enqueue(c, &out, now)?;
        Ok(epoch)
    })
}
