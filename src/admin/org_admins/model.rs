//! Queries of the org-admin right. Every query takes the tenant's org id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::admin::permission_log::model::{self as log, Entry, Person};
use crate::console::orgs::model::{OrgMember, members_of};
use crate::db::DbConn;
use crate::db::schema::org_members as om;
use crate::error::AppError;

/// Shortest search text.
pub const SEARCH_MIN: usize = 2;
/// Most search results shown.
pub const SEARCH_MAX: usize = 50;

/// The OWNER first, then the org admins in the order they were granted the right.
pub fn admins(c: &mut DbConn, org: i64) -> Result<Vec<OrgMember>, AppError> {
    let mut list: Vec<OrgMember> = members_of(c, org)?
        .into_iter()
        .filter(|m| m.is_owner || m.is_org_admin)
        .collect();
    list.sort_by_key(|m| (!m.is_owner, m.org_admin_since));
    Ok(list)
}

/// Members without the right whose name, login ID or email contains `q` (any case).
/// Members of an organization are few enough to filter here, the same way on both
/// backends (`LIKE` is case-sensitive on Postgres, not on SQLite).
pub fn search(c: &mut DbConn, org: i64, q: &str) -> Result<Vec<OrgMember>, AppError> {
    let q = q.trim().to_lowercase();
    Ok(members_of(c, org)?
        .into_iter()
        .filter(|m| !m.is_owner && !m.is_org_admin)
        .filter(|m| {
            m.login_id.to_lowercase().contains(&q)
                || m.name.to_lowercase().contains(&q)
                || m.email.to_lowercase().contains(&q)
        })
        .take(SEARCH_MAX)
        .collect())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// Done; the member's name.
    Done(String),
    /// Nothing to do: the member already has (or has no) right.
    Unchanged,
    /// The OWNER's rights come with the OWNER and cannot be removed.
    Owner,
}

fn target(c: &mut DbConn, org: i64, id: i64) -> Result<(Person, bool, bool), AppError> {
    let (name, login, owner, admin): (String, String, bool, bool) = om::table
        .filter(om::org_id.eq(org))
        .filter(om::id.eq(id))
        .select((om::name, om::login_id, om::is_owner, om::is_org_admin))
        .first(c)
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok((Person { name, login }, owner, admin))
}

/// Gives a member of this organization the org-admin right, and logs it.
pub fn grant(
    c: &mut DbConn,
    org: i64,
    id: i64,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<Change, AppError> {
    set_right(c, org, id, true, actor, ip, now)
}

/// Removes a member's org-admin right (never the OWNER's), and logs it.
pub fn revoke(
    c: &mut DbConn,
    org: i64,
    id: i64,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<Change, AppError> {
    set_right(c, org, id, false, actor, ip, now)
}

/// The change and its log row, in one transaction; the update is conditional, so of two
/// simultaneous identical changes one is made and logged.
fn set_right(
    c: &mut DbConn,
    org: i64,
    id: i64,
    to: bool,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<Change, AppError> {
    c.transaction(|c| {
        let (who, owner, admin) = target(c, org, id)?;
        if owner {
            return Ok(if to { Change::Unchanged } else { Change::Owner });
        }
        if admin == to {
            return Ok(Change::Unchanged);
        }
        let granted_by = to.then(|| format!("{} ({})", actor.name, actor.login));
        let n = diesel::update(
            om::table
                .filter(om::org_id.eq(org))
                .filter(om::id.eq(id))
                .filter(om::is_org_admin.eq(!to)),
        )
        .set((
            om::is_org_admin.eq(to),
            om::org_admin_since.eq(to.then_some(now)),
            om::org_admin_granted_by.eq(granted_by),
        ))
        .execute(c)?;
        if n != 1 {
            return Ok(Change::Unchanged);
        }
        let (action, before, after) = if to {
            (
                log::ORG_ADMIN_GRANTED,
                log::ROLE_MEMBER,
                log::ROLE_ORG_ADMIN,
            )
        } else {
            (
                log::ORG_ADMIN_REVOKED,
                log::ROLE_ORG_ADMIN,
                log::ROLE_MEMBER,
            )
        };
        log::record(
            c,
            &Entry {
                org_id: org,
                action,
                service_ref: None,
                actor,
                target: &who,
                before,
                after,
                ip,
            },
            now,
        )?;
        Ok(Change::Done(who.name))
    })
}
