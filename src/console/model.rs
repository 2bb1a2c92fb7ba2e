//! Console member rules and queries (sign-in and password rules are shared with the
//! workspaces in `auth::store`). Synchronous; runs on the blocking pool.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::console_members;
use crate::error::AppError;

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

pub fn set_locale(c: &mut DbConn, id: i64, locale: &str) -> Result<(), AppError> {
    diesel::update(console_members::table.filter(console_members::id.eq(id)))
        .set(console_members::locale.eq(locale))
        .execute(c)?;
    Ok(())
}
