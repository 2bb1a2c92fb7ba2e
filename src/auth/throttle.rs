//! Sign-in throttling per identifier. An attempt is counted *before* its password is
//! verified, by conditional updates the database serializes, so parallel requests cannot
//! slip past the limit: at most `LOCKOUT_FAILURES` verifications per identifier and window.
//! Identifiers are counted whether or not an account has them, so a lock says nothing
//! about which accounts exist; the table keeps only a hash of the identifier.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{LOCKOUT_FAILURES, LOCKOUT_MIN, LOCKOUT_WINDOW_MIN, token_hash};
use crate::db::DbConn;
use crate::db::schema::login_throttle as lt;
use crate::error::AppError;

/// The answer to "may this attempt verify a password?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Allowed,
    Locked,
}

/// Identifies one account key within its realm (`console`, `org:{id}`).
#[derive(Debug, Clone)]
pub struct Key {
    scope: String,
    hash: String,
}

impl Key {
    pub fn new(scope: &str, identifier: &str) -> Key {
        Key {
            scope: scope.to_string(),
            hash: token_hash(&identifier.trim().to_lowercase()),
        }
    }
}

fn row(
    k: &Key,
) -> diesel::dsl::Filter<
    diesel::dsl::Filter<lt::table, diesel::dsl::Eq<lt::scope, String>>,
    diesel::dsl::Eq<lt::key_hash, String>,
> {
    lt::table
        .filter(lt::scope.eq(k.scope.clone()))
        .filter(lt::key_hash.eq(k.hash.clone()))
}

/// Reserves one password verification: `Locked` while the identifier is locked or has
/// used up its attempts in the current window.
pub fn reserve(c: &mut DbConn, k: &Key, now: NaiveDateTime) -> Result<Gate, AppError> {
    ensure_row(c, k, now)?;
    // The window reset and the reservation commit together (one flush, not two).
    c.transaction(|c| reserve_in(c, k, now))
}

/// The identifier's row, created on its first attempt. Outside any transaction: on
/// Postgres a duplicate-key error would abort one.
fn ensure_row(c: &mut DbConn, k: &Key, now: NaiveDateTime) -> Result<(), AppError> {
    let exists: i64 = row(k).count().get_result(c)?;
    if exists == 0 {
        let inserted = diesel::insert_into(lt::table)
            .values((
                lt::scope.eq(&k.scope),
                lt::key_hash.eq(&k.hash),
                lt::failed.eq(0),
                lt::window_start.eq(now),
            ))
            .execute(c);
        match inserted {
            Ok(_) => {}
            // A parallel request created it first.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn reserve_in(c: &mut DbConn, k: &Key, now: NaiveDateTime) -> Result<Gate, AppError> {
    let window_start = now - chrono::Duration::minutes(LOCKOUT_WINDOW_MIN);
    let unlocked = lt::locked_until.is_null().or(lt::locked_until.le(now));
    // A window that has passed starts afresh (at most one request wins this update).
    diesel::update(
        row(k)
            .filter(unlocked)
            .filter(lt::window_start.le(window_start)),
    )
    .set((
        lt::failed.eq(0),
        lt::window_start.eq(now),
        lt::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(c)?;
    let reserved = diesel::update(
        row(k)
            .filter(lt::locked_until.is_null().or(lt::locked_until.le(now)))
            .filter(lt::failed.lt(LOCKOUT_FAILURES)),
    )
    .set(lt::failed.eq(lt::failed + 1))
    .execute(c)?;
    Ok(if reserved == 1 {
        Gate::Allowed
    } else {
        Gate::Locked
    })
}

/// After a reserved attempt failed: locks the identifier once its window's attempts are
/// used up. Returns whether it is locked now.
pub fn failed(c: &mut DbConn, k: &Key, now: NaiveDateTime) -> Result<bool, AppError> {
    c.transaction(|c| failed_in(c, k, now))
}

fn failed_in(c: &mut DbConn, k: &Key, now: NaiveDateTime) -> Result<bool, AppError> {
    diesel::update(
        row(k)
            .filter(lt::failed.ge(LOCKOUT_FAILURES))
            .filter(lt::locked_until.is_null().or(lt::locked_until.le(now))),
    )
    .set((
        lt::failed.eq(0),
        lt::window_start.eq(now),
        lt::locked_until.eq(Some(now + chrono::Duration::minutes(LOCKOUT_MIN))),
    ))
    .execute(c)?;
    let locked: Option<Option<NaiveDateTime>> =
        row(k).select(lt::locked_until).first(c).optional()?;
    Ok(locked.flatten().is_some_and(|t| t > now))
}

/// After a right password (or a password set by reset): the count starts afresh.
pub fn clear(c: &mut DbConn, k: &Key) -> Result<(), AppError> {
    diesel::delete(row(k)).execute(c)?;
    Ok(())
}

/// Forgets identifiers that are neither locked nor inside a window (housekeeping).
pub fn purge_stale(c: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    let window_start = now - chrono::Duration::minutes(LOCKOUT_WINDOW_MIN);
    Ok(diesel::delete(
        lt::table
            .filter(lt::locked_until.is_null().or(lt::locked_until.le(now)))
            .filter(lt::window_start.le(window_start)),
    )
    .execute(c)?)
}
