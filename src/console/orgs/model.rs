//! Queries of payment methods, organizations and org members. Every query of an
//! organization is scoped by its owner (console) or its id (workspace tenant).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::admin::permission_log::model::{self as log, Entry, Person};
use crate::db::schema::{org_members as om, organizations as o, payment_methods as pm};
use crate::db::{DbConn, TxError};
use crate::error::AppError;

#[derive(Debug, Clone, Queryable)]
pub struct Card {
    pub id: i64,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub holder: String,
}

impl Card {
    /// The Fluent key of the card's brand name.
    pub fn brand_key(&self) -> &'static str {
        match self.brand.as_str() {
            "visa" => "card-brand-visa",
            "mastercard" => "card-brand-mastercard",
            "amex" => "card-brand-amex",
            "jcb" => "card-brand-jcb",
            "discover" => "card-brand-discover",
            _ => "card-brand-card",
        }
    }

    pub fn expiry(&self) -> String {
        format!("{:02}/{}", self.exp_month, self.exp_year % 100)
    }
}

pub fn cards(c: &mut DbConn, member: i64) -> Result<Vec<Card>, AppError> {
    Ok(pm::table
        .filter(pm::member_id.eq(member))
        .order(pm::id)
        .select((
            pm::id,
            pm::brand,
            pm::last4,
            pm::exp_month,
            pm::exp_year,
            pm::holder,
        ))
        .load(c)?)
}

pub fn has_card(c: &mut DbConn, member: i64) -> Result<bool, AppError> {
    let n: i64 = pm::table
        .filter(pm::member_id.eq(member))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// Stores a card: brand, last four digits, expiry and holder only, never the number.
pub fn add_card(
    c: &mut DbConn,
    member: i64,
    digits: &str,
    exp: (i32, i32),
    holder: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let last4: String = digits
        .chars()
        .skip(digits.len().saturating_sub(4))
        .collect();
    diesel::insert_into(pm::table)
        .values((
            pm::member_id.eq(member),
            pm::brand.eq(crate::console::orgs::rules::card_brand(digits)),
            pm::last4.eq(last4),
            pm::exp_month.eq(exp.0),
            pm::exp_year.eq(exp.1),
            pm::holder.eq(holder),
            pm::created_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum RemoveCard {
    Removed,
    NotFound,
    /// The last card of a member who owns an organization with Online Contact enabled.
    LastInUse,
}

pub fn remove_card(c: &mut DbConn, member: i64, card: i64) -> Result<RemoveCard, AppError> {
    c.transaction(|c| {
        // Two removals at once must not both see "another card is left": the member's row
        // lock (Postgres; SQLite has one writer) puts them one after the other.
        diesel::update(
            crate::db::schema::console_members::table
                .filter(crate::db::schema::console_members::id.eq(member)),
        )
        .set(crate::db::schema::console_members::id.eq(member))
        .execute(c)?;
        let exists: i64 = pm::table
            .filter(pm::member_id.eq(member))
            .filter(pm::id.eq(card))
            .count()
            .get_result(c)?;
        if exists == 0 {
            return Ok(RemoveCard::NotFound);
        }
        let total: i64 = pm::table
            .filter(pm::member_id.eq(member))
            .count()
            .get_result(c)?;
        let enabled: i64 = o::table
            .filter(o::member_id.eq(member))
            .filter(o::oc_enabled.eq(true))
            .count()
            .get_result(c)?;
        if total == 1 && enabled > 0 {
            return Ok(RemoveCard::LastInUse);
        }
        diesel::delete(
            pm::table
                .filter(pm::member_id.eq(member))
                .filter(pm::id.eq(card)),
        )
        .execute(c)?;
        Ok(RemoveCard::Removed)
    })
}

#[derive(Debug, Clone, Queryable)]
pub struct Org {
    pub id: i64,
    pub public_id: String,
    pub name: String,
    pub oc_name: Option<String>,
    pub domain: Option<String>,
    pub oc_enabled: bool,
}

macro_rules! org_columns {
    () => {
        (
            o::id,
            o::public_id,
            o::name,
            o::oc_name,
            o::domain,
            o::oc_enabled,
        )
    };
}

pub fn orgs_of(c: &mut DbConn, member: i64) -> Result<Vec<Org>, AppError> {
    Ok(o::table
        .filter(o::member_id.eq(member))
        .order(o::id)
        .select(org_columns!())
        .load(c)?)
}

/// An organization of this console member (another member's is "not found").
pub fn org_of(c: &mut DbConn, member: i64, public_id: &str) -> Result<Option<Org>, AppError> {
    Ok(o::table
        .filter(o::member_id.eq(member))
        .filter(o::public_id.eq(public_id))
        .select(org_columns!())
        .first(c)
        .optional()?)
}

pub fn create_org(
    c: &mut DbConn,
    member: i64,
    name: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    // 72 random bits: a collision is unlikely, and the unique index catches it.
    for _ in 0..3 {
        let public_id = crate::auth::random_token(9);
        let r = diesel::insert_into(o::table)
            .values((
                o::public_id.eq(&public_id),
                o::member_id.eq(member),
                o::name.eq(name),
                o::oc_enabled.eq(false),
                o::created_at.eq(now),
            ))
            .execute(c);
        match r {
            Ok(_) => return Ok(public_id),
            Err(e) if crate::db::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal("could not allocate an organization id"))
}

#[derive(Debug, PartialEq, Eq)]
pub enum SetOc {
    Saved,
    NameTaken,
    DomainTaken,
}

/// Sets the Online Contact org name and domain. Uniqueness is decided by the database's
/// unique indexes, so two simultaneous submissions of one domain cannot both win.
pub fn set_online_contact(
    c: &mut DbConn,
    org_id: i64,
    name: &str,
    domain: &str,
) -> Result<SetOc, AppError> {
    let name_lower = name.to_lowercase();
    let r = diesel::update(o::table.filter(o::id.eq(org_id)))
        .set((
            o::oc_name.eq(Some(name)),
            o::oc_name_lower.eq(Some(&name_lower)),
            o::domain.eq(Some(domain)),
        ))
        .execute(c);
    match r {
        Ok(_) => Ok(SetOc::Saved),
        Err(e) if crate::db::is_unique_violation(&e) => {
            let domain_taken: i64 = o::table
                .filter(o::domain.eq(domain))
                .filter(o::id.ne(org_id))
                .count()
                .get_result(c)?;
            Ok(if domain_taken > 0 {
                SetOc::DomainTaken
            } else {
                SetOc::NameTaken
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct OrgMember {
    pub id: i64,
    pub login_id: String,
    pub name: String,
    pub email: String,
    pub is_owner: bool,
    pub is_org_admin: bool,
    pub has_password: bool,
    /// When and by whom the org-admin right was granted.
    pub org_admin_since: Option<NaiveDateTime>,
    pub org_admin_granted_by: Option<String>,
}

type MemberRow = (
    i64,
    String,
    String,
    String,
    bool,
    bool,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
);

pub fn members_of(c: &mut DbConn, org_id: i64) -> Result<Vec<OrgMember>, AppError> {
    let rows: Vec<MemberRow> = om::table
        .filter(om::org_id.eq(org_id))
        .order(om::id)
        .select((
            om::id,
            om::login_id,
            om::name,
            om::email,
            om::is_owner,
            om::is_org_admin,
            om::password_hash,
            om::org_admin_since,
            om::org_admin_granted_by,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| OrgMember {
            id: r.0,
            login_id: r.1,
            name: r.2,
            email: r.3,
            is_owner: r.4,
            is_org_admin: r.5,
            has_password: r.6.is_some(),
            org_admin_since: r.7,
            org_admin_granted_by: r.8,
        })
        .collect())
}

pub struct NewOrgMember {
    pub login_id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub owner: bool,
    pub locale: String,
}

/// Adds a member; `Ok(false)` when the login ID is taken in this organization. Marked as
/// OWNER, the member takes the role over from any previous OWNER.
pub fn add_member(
    c: &mut DbConn,
    org_id: i64,
    m: &NewOrgMember,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    c.transaction(|c| {
        if m.owner {
            let target = Person {
                name: m.name.clone(),
                login: m.login_id.clone(),
            };
            move_owner(c, org_id, &target, log::ROLE_MEMBER, actor, ip, now)?;
        }
        let r = diesel::insert_into(om::table)
            .values((
                om::org_id.eq(org_id),
                om::login_id.eq(&m.login_id),
                om::login_id_lower.eq(m.login_id.to_lowercase()),
                om::name.eq(&m.name),
                om::email.eq(&m.email),
                om::phone.eq(&m.phone),
                om::is_owner.eq(m.owner),
                // The OWNER's rights come with the OWNER flag; nobody granted org admin.
                om::is_org_admin.eq(false),
                om::locale.eq(&m.locale),
                om::accept_assignments.eq(true),
                om::created_at.eq(now),
                om::updated_at.eq(now),
            ))
            .execute(c);
        match r {
            Ok(_) => Ok(true),
            Err(e) if crate::db::is_unique_violation(&e) => Err(TxError::Duplicate),
            Err(e) => Err(e.into()),
        }
    })
    .or_else(|e: TxError| match e {
        TxError::Duplicate => Ok(false),
        TxError::App(e) => Err(e),
    })
}

fn clear_owner(c: &mut DbConn, org_id: i64) -> Result<(), AppError> {
    diesel::update(
        om::table
            .filter(om::org_id.eq(org_id))
            .filter(om::is_owner.eq(true)),
    )
    .set(om::is_owner.eq(false))
    .execute(c)?;
    Ok(())
}

/// Makes a member of this organization the OWNER; false if no such member. The OWNER's
/// rights come with the flag, so the former OWNER keeps only rights granted to it on their
/// own (none, unless an org-admin right was given). Both sides of the move are logged.
pub fn make_owner(
    c: &mut DbConn,
    org_id: i64,
    member: i64,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    c.transaction(|c| {
        let found: Option<(String, String, bool, bool)> = om::table
            .filter(om::org_id.eq(org_id))
            .filter(om::id.eq(member))
            .select((om::name, om::login_id, om::is_owner, om::is_org_admin))
            .first(c)
            .optional()?;
        let Some((name, login, is_owner, is_admin)) = found else {
            return Ok(false);
        };
        if is_owner {
            return Ok(true);
        }
        let target = Person { name, login };
        let before = log::role(false, is_admin);
        move_owner(c, org_id, &target, before, actor, ip, now)?;
        diesel::update(
            om::table
                .filter(om::org_id.eq(org_id))
                .filter(om::id.eq(member)),
        )
        .set(om::is_owner.eq(true))
        .execute(c)?;
        Ok(true)
    })
}

/// Clears the current OWNER (if any) and logs the move to `target` (who is made OWNER by
/// the caller, in the same transaction).
fn move_owner(
    c: &mut DbConn,
    org_id: i64,
    target: &Person,
    target_before: &str,
    actor: &Person,
    ip: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let old: Option<(String, String, bool)> = om::table
        .filter(om::org_id.eq(org_id))
        .filter(om::is_owner.eq(true))
        .select((om::name, om::login_id, om::is_org_admin))
        .first(c)
        .optional()?;
    clear_owner(c, org_id)?;
    // The former OWNER (if any) and the new one: one row each.
    let mut moves = Vec::with_capacity(2);
    if let Some((name, login, admin)) = old {
        moves.push((
            Person { name, login },
            log::ROLE_OWNER,
            log::role(false, admin),
        ));
    }
    moves.push((target.clone(), target_before, log::ROLE_OWNER));
    for (who, before, after) in &moves {
        log::record(
            c,
            &Entry {
                org_id,
                action: log::OWNER_CHANGED,
                service_ref: None,
                actor,
                target: who,
                before,
                after,
                ip,
            },
            now,
        )?;
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Finish {
    Done,
    NoDomain,
    NoOwner,
}

/// Enables Online Contact once the org has a domain and exactly one OWNER.
pub fn finish(c: &mut DbConn, org_id: i64, now: NaiveDateTime) -> Result<Finish, AppError> {
    c.transaction(|c| {
        let domain: Option<String> = o::table
            .filter(o::id.eq(org_id))
            .select(o::domain)
            .first(c)?;
        if domain.is_none() {
            return Ok(Finish::NoDomain);
        }
        let owners: i64 = om::table
            .filter(om::org_id.eq(org_id))
            .filter(om::is_owner.eq(true))
            .count()
            .get_result(c)?;
        if owners != 1 {
            return Ok(Finish::NoOwner);
        }
        diesel::update(
            o::table
                .filter(o::id.eq(org_id))
                .filter(o::oc_enabled.eq(false)),
        )
        .set((o::oc_enabled.eq(true), o::oc_enabled_at.eq(Some(now))))
        .execute(c)?;
        Ok(Finish::Done)
    })
}

pub fn owner_login_id(c: &mut DbConn, org_id: i64) -> Result<Option<String>, AppError> {
    Ok(om::table
        .filter(om::org_id.eq(org_id))
        .filter(om::is_owner.eq(true))
        .select(om::login_id)
        .first(c)
        .optional()?)
}

pub fn set_member_locale(
    c: &mut DbConn,
    org_id: i64,
    id: i64,
    locale: &str,
) -> Result<(), AppError> {
    diesel::update(
        om::table
            .filter(om::org_id.eq(org_id))
            .filter(om::id.eq(id)),
    )
    .set(om::locale.eq(locale))
    .execute(c)?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub login_id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: String,
    pub locale: String,
    pub accept_assignments: bool,
}

pub fn settings(c: &mut DbConn, org_id: i64, id: i64) -> Result<Settings, AppError> {
    let r: (String, String, Option<String>, String, String, bool) = om::table
        .filter(om::org_id.eq(org_id))
        .filter(om::id.eq(id))
        .select((
            om::login_id,
            om::name,
            om::phone,
            om::email,
            om::locale,
            om::accept_assignments,
        ))
        .first(c)?;
    Ok(Settings {
        login_id: r.0,
        name: r.1,
        phone: r.2,
        email: r.3,
        locale: r.4,
        accept_assignments: r.5,
    })
}

pub fn save_settings(
    c: &mut DbConn,
    org_id: i64,
    id: i64,
    locale: &str,
    accept: bool,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(
        om::table
            .filter(om::org_id.eq(org_id))
            .filter(om::id.eq(id)),
    )
    .set((
        om::locale.eq(locale),
        om::accept_assignments.eq(accept),
        om::updated_at.eq(now),
    ))
    .execute(c)?;
    Ok(())
}
