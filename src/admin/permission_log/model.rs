//! Writing log rows. Names and login IDs are stored as they are at the time of the change,
//! so the log still reads right after a rename or a removal.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::permission_logs as pl;

pub const OWNER_CHANGED: &str = "owner-changed";
pub const ORG_ADMIN_GRANTED: &str = "org-admin-granted";
pub const ORG_ADMIN_REVOKED: &str = "org-admin-revoked";

/// The organization-level role of a member, as the log words it.
pub const ROLE_OWNER: &str = "owner";
pub const ROLE_ORG_ADMIN: &str = "org-admin";
pub const ROLE_MEMBER: &str = "member";

pub fn role(is_owner: bool, is_org_admin: bool) -> &'static str {
    if is_owner {
        ROLE_OWNER
    } else if is_org_admin {
        ROLE_ORG_ADMIN
    } else {
        ROLE_MEMBER
    }
}

/// Who acted or was acted on, as shown at the time.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    /// The login ID of an org member, the email of a console member.
    pub login: String,
}

/// One change.
pub struct Entry<'a> {
    pub org_id: i64,
    pub action: &'static str,
    pub service_ref: Option<i64>,
    pub actor: &'a Person,
    pub target: &'a Person,
    pub before: &'a str,
    pub after: &'a str,
    pub ip: &'a str,
}

/// Appends a row; call it inside the transaction of the change it records.
pub fn record(c: &mut DbConn, e: &Entry<'_>, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(pl::table)
        .values((
            pl::org_id.eq(e.org_id),
            pl::at.eq(now),
            pl::action.eq(e.action),
            pl::service_ref.eq(e.service_ref),
            pl::actor_name.eq(&e.actor.name),
            pl::actor_login.eq(&e.actor.login),
            pl::target_name.eq(&e.target.name),
            pl::target_login.eq(&e.target.login),
            pl::before_value.eq(e.before),
            pl::after_value.eq(e.after),
            pl::ip.eq(e.ip),
        ))
        .execute(c)?;
    Ok(())
}
