//! Invitations: the org member is created without a password together with a single-use
//! link (kept as a SHA-256 only, valid `INVITE_DAYS`) mailed to them; resending replaces
//! the link, cancelling removes the member who never accepted, accepting sets the password.
//! Each of these writes its permission-change log row and its mail in its transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use crate::admin::permission_log::model::By;
use crate::admin::permission_log::model::{self as log, Entry, Person};
use crate::auth::token_hash;
use crate::console::orgs::model::NewOrgMember;
use crate::db::schema::{invitations as inv, org_members as om};
use crate::db::{DbConn, TxError};
use crate::error::AppError;
use crate::mail::OutgoingMail;

/// How long an invitation link can be used.
pub const INVITE_DAYS: i64 = 7;

/// A pending invitation, for the org-admin page.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub login_id: String,
    pub email: String,
    pub invited_by: String,
    pub sent_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl Pending {
    pub fn expired(&self, now: &NaiveDateTime) -> bool {
        self.expires_at <= *now
    }
}

/// The org's invitations whose member has not set a password yet, newest first.
pub fn pending(c: &mut DbConn, org: i64) -> Result<Vec<Pending>, AppError> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = inv::table
        .inner_join(om::table)
        .filter(inv::org_id.eq(org))
        .filter(om::org_id.eq(org))
        .filter(om::password_hash.is_null())
        .order((inv::sent_at.desc(), inv::id.desc()))
        .select((
            inv::id,
            om::id,
            om::name,
            om::login_id,
            om::email,
            inv::invited_by,
            inv::sent_at,
            inv::expires_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| Pending {
            id: r.0,
            member_id: r.1,
            name: r.2,
            login_id: r.3,
            email: r.4,
            invited_by: r.5,
            sent_at: r.6,
            expires_at: r.7,
        })
        .collect())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Invite {
    Sent,
    LoginIdTaken,
}

/// Creates the member (no password, not the OWNER) and the invitation, logs it and queues
/// the mail `mail` builds from the link's token, all in one transaction.
pub fn invite(
    c: &mut DbConn,
    org: i64,
    m: &NewOrgMember,
    token: &str,
    by: &By<'_>,
    mail: &OutgoingMail,
) -> Result<Invite, AppError> {
    let r = c.transaction(|c| {
        let r = diesel::insert_into(om::table)
            .values((
                om::org_id.eq(org),
                om::login_id.eq(&m.login_id),
                om::login_id_lower.eq(m.login_id.to_lowercase()),
                om::name.eq(&m.name),
                om::email.eq(&m.email),
                om::phone.eq(&m.phone),
                om::is_owner.eq(false),
                om::is_org_admin.eq(false),
                om::locale.eq(&m.locale),
                om::accept_assignments.eq(true),
                om::created_at.eq(by.now),
                om::updated_at.eq(by.now),
            ))
            .execute(c);
        match r {
            Ok(_) => {}
            Err(e) if crate::db::is_unique_violation(&e) => return Err(TxError::Duplicate),
            Err(e) => return Err(e.into()),
        }
        let member: i64 = om::table
            .filter(om::org_id.eq(org))
            .filter(om::login_id_lower.eq(m.login_id.to_lowercase()))
            .select(om::id)
            .first(c)?;
        diesel::insert_into(inv::table)
            .values((
                inv::org_id.eq(org),
                inv::member_id.eq(member),
                inv::token_hash.eq(token_hash(token)),
                inv::expires_at.eq(by.now + chrono::Duration::days(INVITE_DAYS)),
                inv::invited_by.eq(format!("{} ({})", by.actor.name, by.actor.login)),
                inv::created_at.eq(by.now),
                inv::sent_at.eq(by.now),
            ))
            .execute(c)?;
        let target = Person {
            name: m.name.clone(),
            login: m.login_id.clone(),
        };
        by.log(
            c,
            org,
            log::INVITATION_SENT,
            None,
            &target,
            (log::NONE, log::INVITED),
        )?;
        crate::mail::enqueue(c, mail, by.now)?;
        Ok(Invite::Sent)
    });
    match r {
        Ok(x) => Ok(x),
        Err(TxError::Duplicate) => Ok(Invite::LoginIdTaken),
        Err(TxError::App(e)) => Err(e),
    }
}

/// The invited member of a pending invitation `id` of `org`: (name, login ID, email,
/// locale). None: no such pending invitation.
pub fn invitee(
    c: &mut DbConn,
    org: i64,
    id: i64,
) -> Result<Option<(String, String, String, String)>, AppError> {
    Ok(inv::table
        .inner_join(om::table)
        .filter(inv::org_id.eq(org))
        .filter(om::org_id.eq(org))
        .filter(inv::id.eq(id))
        .filter(om::password_hash.is_null())
        .select((om::name, om::login_id, om::email, om::locale))
        .first(c)
        .optional()?)
}

/// A new link for a pending invitation (the old one stops working), valid
/// `INVITE_DAYS` again; logged, the mail queued. False: no such pending invitation.
pub fn resend(
    c: &mut DbConn,
    org: i64,
    id: i64,
    token: &str,
    by: &By<'_>,
    mail: &OutgoingMail,
) -> Result<bool, AppError> {
    c.transaction(|c| {
        let Some((name, login, _, _)) = invitee(c, org, id)? else {
            return Ok(false);
        };
        let n = diesel::update(
            inv::table
                .filter(inv::org_id.eq(org))
                .filter(inv::id.eq(id)),
        )
        .set((
            inv::token_hash.eq(token_hash(token)),
            inv::expires_at.eq(by.now + chrono::Duration::days(INVITE_DAYS)),
            inv::sent_at.eq(by.now),
        ))
        .execute(c)?;
        if n != 1 {
            return Ok(false);
        }
        let target = Person { name, login };
        by.log(
            c,
            org,
            log::INVITATION_RESENT,
            None,
            &target,
            (log::INVITED, log::INVITED),
        )?;
        crate::mail::enqueue(c, mail, by.now)?;
        Ok(true)
    })
}

/// Cancels a pending invitation: the link dies and the member, who never set a password,
/// is removed (with any service roles given meanwhile). Logged. False: nothing pending.
pub fn cancel(c: &mut DbConn, org: i64, id: i64, by: &By<'_>) -> Result<bool, AppError> {
    c.transaction(|c| {
        let found: Option<(i64, String, String)> = inv::table
            .inner_join(om::table)
            .filter(inv::org_id.eq(org))
            .filter(om::org_id.eq(org))
            .filter(inv::id.eq(id))
            .filter(om::password_hash.is_null())
            .select((om::id, om::name, om::login_id))
            .first(c)
            .optional()?;
        let Some((member, name, login)) = found else {
            return Ok(false);
        };
        diesel::delete(inv::table.filter(inv::id.eq(id))).execute(c)?;
        // Only while it still has no password: an acceptance in between wins.
        let n = diesel::delete(
            om::table
                .filter(om::org_id.eq(org))
                .filter(om::id.eq(member))
                .filter(om::password_hash.is_null())
                .filter(om::is_owner.eq(false)),
        )
        .execute(c)?;
        if n != 1 {
            return Err(AppError::internal("invitation changed meanwhile"));
        }
        crate::auth::sessions::end_all(
            c,
            crate::auth::sessions::Realm::Workspace(org),
            member,
            None,
        )?;
        let target = Person { name, login };
        by.log(
            c,
            org,
            log::INVITATION_CANCELLED,
            None,
            &target,
            (log::INVITED, log::NONE),
        )?;
        Ok(true)
    })
}

/// The invited member a link belongs to, if it can still be used: (member id, name, login
/// ID).
pub fn by_token(
    c: &mut DbConn,
    org: i64,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<(i64, String, String)>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    Ok(inv::table
        .inner_join(om::table)
        .filter(inv::org_id.eq(org))
        .filter(om::org_id.eq(org))
        .filter(inv::token_hash.eq(token_hash(token)))
        .filter(inv::expires_at.gt(now))
        .filter(om::password_hash.is_null())
        .select((om::id, om::name, om::login_id))
        .first(c)
        .optional()?)
}

/// Accepts an invitation: the link is spent (a conditional delete, so two submissions
/// cannot both use it), the password set and the acceptance logged, in one transaction.
/// Returns the member id and locale; None when the link cannot be used.
pub fn accept(
    c: &mut DbConn,
    org: i64,
    token: &str,
    password_hash: &str,
    ip: &str,
    now: NaiveDateTime,
) -> Result<Option<(i64, String)>, AppError> {
    c.transaction(|c| {
        let Some((member, name, login)) = by_token(c, org, token, now)? else {
            return Ok(None);
        };
        let spent = diesel::delete(
            inv::table
                .filter(inv::org_id.eq(org))
                .filter(inv::token_hash.eq(token_hash(token))),
        )
        .execute(c)?;
        if spent != 1 {
            return Ok(None);
        }
        let n = diesel::update(
            om::table
                .filter(om::org_id.eq(org))
                .filter(om::id.eq(member))
                .filter(om::password_hash.is_null()),
        )
        .set((
            om::password_hash.eq(Some(password_hash)),
            om::updated_at.eq(now),
        ))
        .execute(c)?;
        if n != 1 {
            return Ok(None);
        }
        let locale: String = om::table
            .filter(om::id.eq(member))
            .select(om::locale)
            .first(c)?;
        let me = Person { name, login };
        log::record(
            c,
            &Entry {
                org_id: org,
                action: log::INVITATION_ACCEPTED,
                service_ref: None,
                actor: &me,
                target: &me,
                before: log::INVITED,
                after: log::ROLE_MEMBER,
                ip,
            },
            now,
        )?;
        Ok(Some((member, locale)))
    })
}
