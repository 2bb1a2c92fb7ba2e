//! The two kinds of accounts behind one set of queries: console members (by email) and the
//! members of one organization (by login ID, always scoped by the organization). Sign-in,
//! lockout, reset tokens and password changes work the same for both.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{RESET_TOKEN_MINUTES, Throttle, token_hash};
use crate::db::DbConn;
use crate::db::schema::{console_members as cm, org_members as om, password_reset_tokens as prt};
use crate::error::AppError;
use crate::mail::OutgoingMail;

/// Which accounts a flow works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounts {
    Console,
    /// The members of this organization (internal id) only.
    Org(i64),
}

impl Accounts {
    /// The realm name of reset tokens.
    fn realm(self) -> &'static str {
        match self {
            Accounts::Console => "console",
            Accounts::Org(_) => "org",
        }
    }
}

/// What sign-in and password flows need of an account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// None: an org member who has not set a password yet.
    pub password_hash: Option<String>,
    pub locale: String,
    pub session_epoch: i64,
    pub throttle: Throttle,
}

type Row = (
    i64,
    String,
    String,
    Option<String>,
    String,
    i64,
    i32,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn from_row(r: Row) -> Account {
    Account {
        id: r.0,
        email: r.1,
        name: r.2,
        password_hash: r.3,
        locale: r.4,
        session_epoch: r.5,
        throttle: Throttle {
            failed: r.6,
            window_start: r.7,
            locked_until: r.8,
        },
    }
}

macro_rules! account_columns {
    ($t:ident, $hash:expr) => {
        (
            $t::id,
            $t::email,
            $t::name,
            $hash,
            $t::locale,
            $t::session_epoch,
            $t::failed_logins,
            $t::failed_window_start,
            $t::locked_until,
        )
    };
}

/// By sign-in key: the email of a console member, the login ID of an org member (both
/// case-insensitive).
pub fn find_by_key(
    c: &mut DbConn,
    accts: Accounts,
    key: &str,
) -> Result<Option<Account>, AppError> {
    let lower = key.trim().to_lowercase();
    let row: Option<Row> = match accts {
        Accounts::Console => cm::table
            .filter(cm::email_lower.eq(lower))
            .select(account_columns!(cm, cm::password_hash.nullable()))
            .first(c)
            .optional()?,
        Accounts::Org(org) => om::table
            .filter(om::org_id.eq(org))
            .filter(om::login_id_lower.eq(lower))
            .select(account_columns!(om, om::password_hash))
            .first(c)
            .optional()?,
    };
    Ok(row.map(from_row))
}

pub fn find_by_id(c: &mut DbConn, accts: Accounts, id: i64) -> Result<Option<Account>, AppError> {
    let row: Option<Row> = match accts {
        Accounts::Console => cm::table
            .filter(cm::id.eq(id))
            .select(account_columns!(cm, cm::password_hash.nullable()))
            .first(c)
            .optional()?,
        Accounts::Org(org) => om::table
            .filter(om::org_id.eq(org))
            .filter(om::id.eq(id))
            .select(account_columns!(om, om::password_hash))
            .first(c)
            .optional()?,
    };
    Ok(row.map(from_row))
}

fn set_throttle(c: &mut DbConn, accts: Accounts, id: i64, t: Throttle) -> Result<(), AppError> {
    match accts {
        Accounts::Console => diesel::update(cm::table.filter(cm::id.eq(id)))
            .set((
                cm::failed_logins.eq(t.failed),
                cm::failed_window_start.eq(t.window_start),
                cm::locked_until.eq(t.locked_until),
            ))
            .execute(c)?,
        Accounts::Org(org) => {
            diesel::update(om::table.filter(om::org_id.eq(org)).filter(om::id.eq(id)))
                .set((
                    om::failed_logins.eq(t.failed),
                    om::failed_window_start.eq(t.window_start),
                    om::locked_until.eq(t.locked_until),
                ))
                .execute(c)?
        }
    };
    Ok(())
}

/// Counts a failed sign-in; returns the new throttle state.
pub fn record_failure(
    c: &mut DbConn,
    accts: Accounts,
    a: &Account,
    now: NaiveDateTime,
) -> Result<Throttle, AppError> {
    let t = a.throttle.after_failure(now);
    set_throttle(c, accts, a.id, t)?;
    Ok(t)
}

pub fn record_success(c: &mut DbConn, accts: Accounts, id: i64) -> Result<(), AppError> {
    set_throttle(
        c,
        accts,
        id,
        Throttle {
            failed: 0,
            window_start: None,
            locked_until: None,
        },
    )
}

/// Sets a new password hash, ends every session of the account (new epoch) and lifts a
/// lockout; queues the "password changed" mail `mail` builds (None: no mail, for seeded
/// demo accounts). Returns the new epoch.
pub fn set_password(
    c: &mut DbConn,
    accts: Accounts,
    id: i64,
    new_hash: &str,
    now: NaiveDateTime,
    mail: impl FnOnce(&Account) -> Result<Option<OutgoingMail>, AppError>,
) -> Result<i64, AppError> {
    c.transaction(|c| {
        let a = find_by_id(c, accts, id)?.ok_or(AppError::NotFound)?;
        let epoch = a.session_epoch + 1;
        match accts {
            Accounts::Console => diesel::update(cm::table.filter(cm::id.eq(id)))
                .set((
                    cm::password_hash.eq(new_hash),
                    cm::session_epoch.eq(epoch),
                    cm::updated_at.eq(now),
                ))
                .execute(c)?,
            Accounts::Org(org) => {
                diesel::update(om::table.filter(om::org_id.eq(org)).filter(om::id.eq(id)))
                    .set((
                        om::password_hash.eq(Some(new_hash)),
                        om::session_epoch.eq(epoch),
                        om::updated_at.eq(now),
                    ))
                    .execute(c)?
            }
        };
        set_throttle(
            c,
            accts,
            id,
            Throttle {
                failed: 0,
                window_start: None,
                locked_until: None,
            },
        )?;
        if let Some(m) = mail(&a)? {
            crate::mail::enqueue(c, &m, now)?;
        }
        Ok(epoch)
    })
}

/// Creates a single-use reset token and queues the mail that carries it (`mail` builds the
/// mail from the token), in one transaction. At most `RESET_MAILS_PER_HOUR` such mails go
/// to one account in an hour, so the form cannot be used to flood a mailbox; past that the
/// request is dropped silently (the form answers the same either way).
pub fn start_reset(
    c: &mut DbConn,
    accts: Accounts,
    account_id: i64,
    now: NaiveDateTime,
    mail: impl FnOnce(&str) -> Result<OutgoingMail, AppError>,
) -> Result<(), AppError> {
    let recent: i64 = prt::table
        .filter(prt::realm.eq(accts.realm()))
        .filter(prt::account_id.eq(account_id))
        .filter(prt::created_at.gt(now - chrono::Duration::hours(1)))
        .count()
        .get_result(c)?;
    if recent >= crate::auth::RESET_MAILS_PER_HOUR {
        tracing::warn!(
            ?accts,
            account_id,
            "reset mail limit reached; request dropped"
        );
        return Ok(());
    }
    let token = crate::auth::random_token(32);
    let out = mail(&token)?;
    c.transaction(|c| {
        diesel::insert_into(prt::table)
            .values((
                prt::realm.eq(accts.realm()),
                prt::account_id.eq(account_id),
                prt::token_hash.eq(token_hash(&token)),
                prt::expires_at.eq(now + chrono::Duration::minutes(RESET_TOKEN_MINUTES)),
                prt::created_at.eq(now),
            ))
            .execute(c)?;
        crate::mail::enqueue(c, &out, now)
    })?;
    Ok(())
}

/// The account an unused, unexpired reset token belongs to (within `accts`).
pub fn reset_token_account(
    c: &mut DbConn,
    accts: Accounts,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let account: Option<i64> = prt::table
        .filter(prt::realm.eq(accts.realm()))
        .filter(prt::token_hash.eq(token_hash(token)))
        .filter(prt::used_at.is_null())
        .filter(prt::expires_at.gt(now))
        .select(prt::account_id)
        .first(c)
        .optional()?;
    match account {
        Some(id) if find_by_id(c, accts, id)?.is_some() => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// Uses a reset token once: the token is marked used by a conditional update (two
/// submissions cannot both use it), the account's other tokens are spent, and `apply`
/// runs, all in one transaction. `Ok(None)` when the token cannot be used.
pub fn consume_reset<T>(
    c: &mut DbConn,
    accts: Accounts,
    token: &str,
    now: NaiveDateTime,
    apply: impl FnOnce(&mut DbConn, i64) -> Result<T, AppError>,
) -> Result<Option<T>, AppError> {
    c.transaction(|c| {
        let Some(account) = reset_token_account(c, accts, token, now)? else {
            return Ok(None);
        };
        let used = diesel::update(
            prt::table
                .filter(prt::token_hash.eq(token_hash(token)))
                .filter(prt::used_at.is_null()),
        )
        .set(prt::used_at.eq(Some(now)))
        .execute(c)?;
        if used != 1 {
            return Ok(None);
        }
        diesel::update(
            prt::table
                .filter(prt::realm.eq(accts.realm()))
                .filter(prt::account_id.eq(account))
                .filter(prt::used_at.is_null()),
        )
        .set(prt::used_at.eq(Some(now)))
        .execute(c)?;
        apply(c, account).map(Some)
    })
}
