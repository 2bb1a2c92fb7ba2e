//! The two kinds of accounts behind one set of queries: console members (by email) and the
//! members of one organization (by login ID, always scoped by the organization). Sign-in,
//! lockout, reset tokens and password changes work the same for both.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::sessions::{self, Realm};
use crate::auth::{RESET_TOKEN_MINUTES, throttle, token_hash};
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
    pub fn realm(self) -> &'static str {
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
    /// The sign-in key, lower-cased (email or login ID): what the throttle counts.
    pub key: String,
}

type Row = (i64, String, String, Option<String>, String, String);

fn from_row(r: Row) -> Account {
    Account {
        id: r.0,
        email: r.1,
        name: r.2,
        password_hash: r.3,
        locale: r.4,
        key: r.5,
    }
}

impl Accounts {
    /// The sign-in throttle of `identifier` in this realm.
    pub fn throttle_key(self, identifier: &str) -> throttle::Key {
        match self {
            Accounts::Console => throttle::Key::new("console", identifier),
            Accounts::Org(org) => throttle::Key::new(&format!("org:{org}"), identifier),
        }
    }

    /// The realm of this realm's sessions.
    pub fn session_realm(self) -> Realm {
        match self {
            Accounts::Console => Realm::Console,
            Accounts::Org(org) => Realm::Workspace(org),
        }
    }
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
            .select((
                cm::id,
                cm::email,
                cm::name,
                cm::password_hash.nullable(),
                cm::locale,
                cm::email_lower,
            ))
            .first(c)
            .optional()?,
        Accounts::Org(org) => om::table
            .filter(om::org_id.eq(org))
            .filter(om::login_id_lower.eq(lower))
            .select((
                om::id,
                om::email,
                om::name,
                om::password_hash,
                om::locale,
                om::login_id_lower,
            ))
            .first(c)
            .optional()?,
    };
    Ok(row.map(from_row))
}

pub fn find_by_id(c: &mut DbConn, accts: Accounts, id: i64) -> Result<Option<Account>, AppError> {
    let row: Option<Row> = match accts {
        Accounts::Console => cm::table
            .filter(cm::id.eq(id))
            .select((
                cm::id,
                cm::email,
                cm::name,
                cm::password_hash.nullable(),
                cm::locale,
                cm::email_lower,
            ))
            .first(c)
            .optional()?,
        Accounts::Org(org) => om::table
            .filter(om::org_id.eq(org))
            .filter(om::id.eq(id))
            .select((
                om::id,
                om::email,
                om::name,
                om::password_hash,
                om::locale,
                om::login_id_lower,
            ))
            .first(c)
            .optional()?,
    };
    Ok(row.map(from_row))
}

/// Sets a new password hash and, in the same transaction: ends every session of the
/// account but `keep` (the one changing it, if any), spends its outstanding reset links,
/// lifts a lockout and queues the "password changed" mail `mail` builds (None: no mail,
/// for seeded demo accounts).
pub fn set_password(
    c: &mut DbConn,
    accts: Accounts,
    id: i64,
    new_hash: &str,
    now: NaiveDateTime,
    keep: Option<i64>,
    mail: impl FnOnce(&Account) -> Result<Option<OutgoingMail>, AppError>,
) -> Result<(), AppError> {
    c.transaction(|c| {
        let a = find_by_id(c, accts, id)?.ok_or(AppError::NotFound)?;
        match accts {
            Accounts::Console => diesel::update(cm::table.filter(cm::id.eq(id)))
                .set((cm::password_hash.eq(new_hash), cm::updated_at.eq(now)))
                .execute(c)?,
            Accounts::Org(org) => {
                diesel::update(om::table.filter(om::org_id.eq(org)).filter(om::id.eq(id)))
                    .set((om::password_hash.eq(Some(new_hash)), om::updated_at.eq(now)))
                    .execute(c)?
            }
        };
        sessions::end_all(c, accts.session_realm(), id, keep)?;
        diesel::update(
            prt::table
                .filter(prt::realm.eq(accts.realm()))
                .filter(prt::account_id.eq(id))
                .filter(prt::used_at.is_null()),
        )
        .set(prt::used_at.eq(Some(now)))
        .execute(c)?;
        throttle::clear(c, &accts.throttle_key(&a.key))?;
        if let Some(m) = mail(&a)? {
            crate::mail::enqueue(c, &m, now)?;
        }
        Ok(())
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
    let token = crate::auth::random_token(32);
    let out = mail(&token)?;
    // The count and the insert in one transaction, so parallel requests cannot pass the
    // limit together (SQLite serializes writers; on Postgres the account row is locked).
    c.transaction(|c| {
        lock_account(c, accts, account_id)?;
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
        diesel::insert_into(prt::table)
            .values((
                prt::realm.eq(accts.realm()),
                prt::account_id.eq(account_id),
                prt::token_hash.eq(token_hash(&token)),
                prt::expires_at.eq(now + chrono::Duration::minutes(RESET_TOKEN_MINUTES)),
                prt::created_at.eq(now),
            ))
            .execute(c)?;
        crate::mail::enqueue(c, &out, now)?;
        Ok(())
    })
}

/// Serializes writers of one account within a transaction: a no-op update takes the row
/// lock on Postgres (SQLite has one writer at a time anyway).
fn lock_account(c: &mut DbConn, accts: Accounts, id: i64) -> Result<(), AppError> {
    match accts {
        Accounts::Console => diesel::update(cm::table.filter(cm::id.eq(id)))
            .set(cm::id.eq(id))
            .execute(c)?,
        Accounts::Org(org) => {
            diesel::update(om::table.filter(om::org_id.eq(org)).filter(om::id.eq(id)))
                .set(om::id.eq(id))
                .execute(c)?
        }
    };
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
