//! Queries of service members: who may manage a service's members, the members with their
//! role and channel permissions, and the changes (each logged in its own transaction).
//! Every query takes the tenant's org id; a member or service of another org is not found.

use diesel::prelude::*;

use crate::admin::contracts::model::{Service, live_service};
pub use crate::admin::permission_log::model::By;
use crate::admin::permission_log::model::{self as log, Person};
use crate::db::schema::{org_members as om, service_members as sm};
use crate::db::{DbConn, TxError, contains_pattern, lower};
use crate::error::AppError;
use crate::web::User;

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_AGENT: &str = "agent";
pub const ROLES: [&str; 2] = [ROLE_ADMIN, ROLE_AGENT];

/// Shortest search text when adding members.
pub const SEARCH_MIN: usize = 2;
/// Most search results shown.
pub const SEARCH_MAX: i64 = 50;

/// The live (not terminated) service `service_id` of `org`, if `user` may manage its
/// members: the OWNER, an org admin, or an admin of that service. No such service: 404;
/// not allowed: 403.
pub fn managed_service(
    c: &mut DbConn,
    org: i64,
    user: &User,
    service_id: &str,
) -> Result<Service, AppError> {
    let service = live_service(c, org, service_id)?.ok_or(AppError::NotFound)?;
    if user.is_admin() {
        return Ok(service);
    }
    let role: Option<String> = sm::table
        .filter(sm::org_id.eq(org))
        .filter(sm::service_ref.eq(service.id))
        .filter(sm::member_id.eq(user.id))
        .select(sm::role)
        .first(c)
        .optional()?;
    match role.as_deref() {
        Some(ROLE_ADMIN) => Ok(service),
        _ => Err(AppError::Forbidden),
    }
}

/// A role in a service as stored: (role, phone, chat).
pub type Role = (String, bool, bool);

/// The live service `service_id` of `org` with `user`'s role there (role, phone, chat),
/// if `user` may see it: a member of it, the OWNER or an org admin. No such service: 404;
/// not a member: 403.
pub fn viewable_service(
    c: &mut DbConn,
    org: i64,
    user: &User,
    service_id: &str,
) -> Result<(Service, Option<Role>), AppError> {
    let service = live_service(c, org, service_id)?.ok_or(AppError::NotFound)?;
    let mine: Option<Role> = sm::table
        .filter(sm::org_id.eq(org))
        .filter(sm::service_ref.eq(service.id))
        .filter(sm::member_id.eq(user.id))
        .select((sm::role, sm::phone, sm::chat))
        .first(c)
        .optional()?;
    if mine.is_none() && !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok((service, mine))
}

/// One member of a service.
#[derive(Debug, Clone)]
pub struct ServiceMember {
    pub member_id: i64,
    pub login_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub phone: bool,
    pub chat: bool,
    pub accept_assignments: bool,
}

type MemberRow = (i64, String, String, String, String, bool, bool, bool);

/// The members of a service, admins first, then by name; `filter` (any case) narrows them
/// to names, login IDs or emails containing it.
pub fn members(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    filter: &str,
) -> Result<Vec<ServiceMember>, AppError> {
    let mut q = sm::table
        .inner_join(om::table)
        .filter(sm::org_id.eq(org))
        .filter(om::org_id.eq(org))
        .filter(sm::service_ref.eq(service_ref))
        .into_boxed::<crate::db::Backend>();
    let filter = filter.trim();
    if !filter.is_empty() {
        let p = contains_pattern(&filter.to_lowercase());
        q = q.filter(
            lower(om::name)
                .like(p.clone())
                .escape('\\')
                .or(om::login_id_lower.like(p.clone()).escape('\\'))
                .or(lower(om::email).like(p).escape('\\')),
        );
    }
    let rows: Vec<MemberRow> = q
        .order((sm::role.asc(), om::name.asc(), om::id.asc()))
        .select((
            om::id,
            om::login_id,
            om::name,
            om::email,
            sm::role,
            sm::phone,
            sm::chat,
            om::accept_assignments,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| ServiceMember {
            member_id: r.0,
            login_id: r.1,
            name: r.2,
            email: r.3,
            role: r.4,
            phone: r.5,
            chat: r.6,
            accept_assignments: r.7,
        })
        .collect())
}

/// An org member who could be added.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub login_id: String,
    pub name: String,
    pub email: String,
}

/// Org members not yet in the service whose name, login ID or email contains `q`.
pub fn candidates(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    q: &str,
) -> Result<Vec<Candidate>, AppError> {
    let p = contains_pattern(&q.trim().to_lowercase());
    let already = sm::table
        .filter(sm::service_ref.eq(service_ref))
        .select(sm::member_id);
    let rows: Vec<(i64, String, String, String)> = om::table
        .filter(om::org_id.eq(org))
        .filter(om::id.ne_all(already))
        .filter(
            lower(om::name)
                .like(p.clone())
                .escape('\\')
                .or(om::login_id_lower.like(p.clone()).escape('\\'))
                .or(lower(om::email).like(p).escape('\\')),
        )
        .order((om::name.asc(), om::id.asc()))
        .limit(SEARCH_MAX)
        .select((om::id, om::login_id, om::name, om::email))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, login_id, name, email)| Candidate {
            id,
            login_id,
            name,
            email,
        })
        .collect())
}

/// A role with its channel permissions, as a form submits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: &'static str,
    pub phone: bool,
    pub chat: bool,
}

impl Grant {
    /// The `role` field's value, if it is one of the roles.
    pub fn parse(role: &str, phone: bool, chat: bool) -> Option<Grant> {
        let role = ROLES.into_iter().find(|r| *r == role.trim())?;
        Some(Grant { role, phone, chat })
    }

    fn value(&self) -> String {
        log::service_value(self.role, self.phone, self.chat)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the member's name.
    Done(String),
    /// Nothing to do (already a member, or no change).
    Unchanged,
}

fn org_member(c: &mut DbConn, org: i64, id: i64) -> Result<Person, AppError> {
    let (name, login): (String, String) = om::table
        .filter(om::org_id.eq(org))
        .filter(om::id.eq(id))
        .select((om::name, om::login_id))
        .first(c)
        .optional()?
        .ok_or(AppError::NotFound)?;
    Ok(Person { name, login })
}

/// The member's current role in the service, as the log words it.
fn current(c: &mut DbConn, service_ref: i64, member: i64) -> Result<Option<Role>, AppError> {
    Ok(sm::table
        .filter(sm::service_ref.eq(service_ref))
        .filter(sm::member_id.eq(member))
        .select((sm::role, sm::phone, sm::chat))
        .first(c)
        .optional()?)
}

/// Adds an org member to the service with a role, and logs it. Of two simultaneous
/// additions the unique index lets one through; the other changes nothing.
pub fn add(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
    g: &Grant,
    by: &By<'_>,
) -> Result<Outcome, AppError> {
    c.transaction(|c| {
        let who = org_member(c, org, member)?;
        if current(c, service_ref, member)?.is_some() {
            return Ok(Outcome::Unchanged);
        }
        let r = diesel::insert_into(sm::table)
            .values((
                sm::org_id.eq(org),
                sm::service_ref.eq(service_ref),
                sm::member_id.eq(member),
                sm::role.eq(g.role),
                sm::phone.eq(g.phone),
                sm::chat.eq(g.chat),
                sm::created_at.eq(by.now),
                sm::updated_at.eq(by.now),
            ))
            .execute(c);
        match r {
            Ok(_) => {}
            Err(e) if crate::db::is_unique_violation(&e) => return Err(TxError::Duplicate),
            Err(e) => return Err(e.into()),
        }
        by.log(
            c,
            org,
            log::SERVICE_MEMBER_ADDED,
            Some(service_ref),
            &who,
            (log::NONE, &g.value()),
        )?;
        Ok(Outcome::Done(who.name))
    })
    .or_else(|e: TxError| match e {
        TxError::Duplicate => Ok(Outcome::Unchanged),
        TxError::App(e) => Err(e),
    })
}

/// Changes a member's role and permissions in the service, and logs before and after.
/// Not a member of the service: 404.
pub fn change(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
    g: &Grant,
    by: &By<'_>,
) -> Result<Outcome, AppError> {
    c.transaction(|c| {
        let who = org_member(c, org, member)?;
        let (role, phone, chat) = current(c, service_ref, member)?.ok_or(AppError::NotFound)?;
        let before = log::service_value(&role, phone, chat);
        let after = g.value();
        if before == after {
            return Ok(Outcome::Unchanged);
        }
        // Conditional on the row as read: of two simultaneous changes each is logged
        // against what it really replaced.
        let n = diesel::update(
            sm::table
                .filter(sm::service_ref.eq(service_ref))
                .filter(sm::member_id.eq(member))
                .filter(sm::role.eq(&role))
                .filter(sm::phone.eq(phone))
                .filter(sm::chat.eq(chat)),
        )
        .set((
            sm::role.eq(g.role),
            sm::phone.eq(g.phone),
            sm::chat.eq(g.chat),
            sm::updated_at.eq(by.now),
        ))
        .execute(c)?;
        if n != 1 {
            return Ok(Outcome::Unchanged);
        }
        by.log(
            c,
            org,
            log::SERVICE_MEMBER_CHANGED,
            Some(service_ref),
            &who,
            (&before, &after),
        )?;
        Ok(Outcome::Done(who.name))
    })
}

/// Removes a member from the service, and logs it. Not a member: 404.
pub fn remove(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
    by: &By<'_>,
) -> Result<Outcome, AppError> {
    c.transaction(|c| {
        let who = org_member(c, org, member)?;
        let (role, phone, chat) = current(c, service_ref, member)?.ok_or(AppError::NotFound)?;
        let n = diesel::delete(
            sm::table
                .filter(sm::service_ref.eq(service_ref))
                .filter(sm::member_id.eq(member)),
        )
        .execute(c)?;
        if n != 1 {
            return Ok(Outcome::Unchanged);
        }
        let before = log::service_value(&role, phone, chat);
        by.log(
            c,
            org,
            log::SERVICE_MEMBER_REMOVED,
            Some(service_ref),
            &who,
            (&before, log::NONE),
        )?;
        Ok(Outcome::Done(who.name))
    })
}

/// A service a member belongs to, for the home page and personal settings.
#[derive(Debug, Clone)]
pub struct Membership {
    pub service_id: String,
    pub name: String,
    pub status: String,
    pub role: String,
    pub phone: bool,
    pub chat: bool,
}

impl Membership {
    pub fn is_admin(&self) -> bool {
        self.role == ROLE_ADMIN
    }
}

/// The services (not terminated) a member belongs to, by name: read from their service
/// tabs (`web::Ctx::service_tabs`, kept per version of the org's services and members, so
/// a change shows on the next request), which hold every live service they belong to.
pub fn memberships(tabs: &[crate::web::ServiceTab]) -> Vec<Membership> {
    let mut out: Vec<Membership> = tabs
        .iter()
        .filter_map(|t| {
            Some(Membership {
                service_id: t.service_id.clone(),
                name: t.name.clone(),
                status: t.status.clone(),
                role: t.role.clone()?,
                phone: t.phone,
                chat: t.chat,
            })
        })
        .collect();
    // The tabs come in the order the services were added: a stable sort keeps it among
    // equal names.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_parsed_strictly() {
        assert_eq!(
            Grant::parse("agent", true, false),
            Some(Grant {
                role: ROLE_AGENT,
                phone: true,
                chat: false
            })
        );
        assert_eq!(
            Grant::parse(" admin ", false, true).map(|g| g.role),
            Some("admin")
        );
        assert_eq!(Grant::parse("owner", false, false), None);
        assert_eq!(Grant::parse("", false, false), None);
    }

    fn tab(id: &str, name: &str, role: Option<&str>) -> crate::web::ServiceTab {
        crate::web::ServiceTab {
            service_id: id.into(),
            name: name.into(),
            kind: "counseling".into(),
            has_banner: false,
            status: "suspended".into(),
            role: role.map(Into::into),
            phone: true,
            chat: false,
        }
    }

    #[test]
    fn memberships_are_the_tabs_the_member_belongs_to_by_name() {
        let tabs = [
            tab("s1", "Sales", Some(ROLE_AGENT)),
            tab("s2", "Billing", None),
            tab("s3", "Account", Some(ROLE_ADMIN)),
            tab("s4", "Sales", Some(ROLE_ADMIN)),
        ];
        let m = memberships(&tabs);
        let seen: Vec<(&str, &str, &str)> = m
            .iter()
            .map(|m| (m.service_id.as_str(), m.name.as_str(), m.role.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("s3", "Account", ROLE_ADMIN),
                ("s1", "Sales", ROLE_AGENT),
                ("s4", "Sales", ROLE_ADMIN),
            ]
        );
        assert!(
            m.iter()
                .all(|m| m.phone && !m.chat && m.status == "suspended")
        );
        assert!(m[0].is_admin() && !m[1].is_admin());
        assert!(memberships(&[]).is_empty());
    }
}
