//! Console member rules and queries (sign-in and password rules are shared with the
//! workspaces in `auth::store`). Synchronous; runs on the blocking pool.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{console_members, member_certificates};
use crate::error::AppError;

/// Countries offered at sign-up (ISO 3166 codes; names come from the Fluent files).
pub const COUNTRIES: [&str; 15] = [
    "KR", "JP", "US", "CN", "TW", "SG", "VN", "TH", "ID", "PH", "GB", "DE", "FR", "CA", "AU",
];
pub const MEMBER_TYPES: [&str; 2] = ["individual", "business"];
/// Business membership is offered in these countries only (the sign-up guides).
pub const BUSINESS_COUNTRIES: [&str; 2] = ["KR", "JP"];
/// The business registration certificate: at most this many bytes.
pub const CERTIFICATE_MAX: usize = 5 * 1024 * 1024;

/// The type of a certificate file by its content (not its name): PDF, PNG or JPEG.
pub fn sniff_certificate(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// An attached business registration certificate.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub content_type: &'static str,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

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
    /// Required of business members (the handler checks it).
    pub certificate: Option<Certificate>,
}

pub fn session_member(c: &mut DbConn, id: i64) -> Result<Option<SessionMember>, AppError> {
    Ok(console_members::table
        .filter(console_members::id.eq(id))
        .select(SessionMember::as_select())
        .first(c)
        .optional()?)
}

/// Creates a member with their certificate, in one transaction; `Ok(None)` when the email
/// is already registered (the unique index decides, so two simultaneous sign-ups cannot
/// both win).
pub fn create_member(
    c: &mut DbConn,
    m: &NewMember,
    now: NaiveDateTime,
) -> Result<Option<SessionMember>, AppError> {
    let email_lower = m.email.to_lowercase();
    let created = c.transaction(|c| {
        diesel::insert_into(console_members::table)
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
            .execute(c)?;
        let member = console_members::table
            .filter(console_members::email_lower.eq(&email_lower))
            .select(SessionMember::as_select())
            .first(c)?;
        if let Some(cert) = &m.certificate {
            diesel::insert_into(member_certificates::table)
                .values((
                    member_certificates::member_id.eq(member.id),
                    member_certificates::content_type.eq(cert.content_type),
                    member_certificates::file_name.eq(&cert.file_name),
                    member_certificates::bytes.eq(&cert.bytes),
                    member_certificates::uploaded_at.eq(now),
                ))
                .execute(c)?;
        }
        QueryResult::Ok(member)
    });
    match created {
        Ok(m) => Ok(Some(m)),
        Err(e) if crate::db::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the account page shows of a member.
#[derive(Debug, Clone, Queryable)]
pub struct AccountInfo {
    pub email: String,
    pub name: String,
    pub country: String,
    pub member_type: String,
    pub created_at: NaiveDateTime,
}

pub fn account_info(c: &mut DbConn, id: i64) -> Result<Option<AccountInfo>, AppError> {
    Ok(console_members::table
        .filter(console_members::id.eq(id))
        .select((
            console_members::email,
            console_members::name,
            console_members::country,
            console_members::member_type,
            console_members::created_at,
        ))
        .first(c)
        .optional()?)
}

/// A member's certificate: (content type, file name, bytes).
pub fn certificate(
    c: &mut DbConn,
    member_id: i64,
) -> Result<Option<(String, String, Vec<u8>)>, AppError> {
    Ok(member_certificates::table
        .filter(member_certificates::member_id.eq(member_id))
        .select((
            member_certificates::content_type,
            member_certificates::file_name,
            member_certificates::bytes,
        ))
        .first(c)
        .optional()?)
}

/// The file name and upload time of a member's certificate, if any.
pub fn certificate_info(
    c: &mut DbConn,
    member_id: i64,
) -> Result<Option<(String, NaiveDateTime)>, AppError> {
    Ok(member_certificates::table
        .filter(member_certificates::member_id.eq(member_id))
        .select((
            member_certificates::file_name,
            member_certificates::uploaded_at,
        ))
        .first(c)
        .optional()?)
}

pub fn set_locale(c: &mut DbConn, id: i64, locale: &str) -> Result<(), AppError> {
    diesel::update(console_members::table.filter(console_members::id.eq(id)))
        .set(console_members::locale.eq(locale))
        .execute(c)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_known_by_content() {
        assert_eq!(sniff_certificate(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            sniff_certificate(b"\x89PNG\r\n\x1a\n\0\0"),
            Some("image/png")
        );
        assert_eq!(
            sniff_certificate(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(sniff_certificate(b"GIF89a"), None);
        assert_eq!(
            sniff_certificate(b"PK\x03\x04 (a .docx renamed .pdf)"),
            None
        );
        assert_eq!(sniff_certificate(b""), None);
    }
}
