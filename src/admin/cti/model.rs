//! CTI settings per service and CTI logins per member. A service has CTI only while the
//! contract in force on its calendar day includes phone CTI (inbound or outbound); every
//! query takes the tenant's org id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::admin::contracts::model::{self as contracts, Service};
use crate::db::schema::{
    contracts as ct, cti_agents as ca, cti_settings as cs, org_members as om,
    service_members as sm, services as sv,
};
use crate::db::{DbConn, contains_pattern, is_unique_violation, lower};
use crate::error::AppError;
use crate::web::forms::{Msg, Validation};

/// The features that make a service a CTI service.
pub const CTI_FEATURES: [&str; 2] = ["cti_inbound", "cti_outbound"];
pub const VERSIONS: [&str; 2] = ["ipcc", "mobile"];
pub const TENANT_MAX: usize = 50;
pub const CTI_ID_MAX: usize = 20;

/// A service's CTI settings as stored (defaults until the first save).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub version: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub mobile_contact: bool,
    pub log_monitoring: bool,
    pub after_call_batch: bool,
    pub ob_ticket_auto: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            version: "mobile".into(),
            tenant_id: String::new(),
            tenant_name: String::new(),
            mobile_contact: false,
            log_monitoring: false,
            after_call_batch: false,
            ob_ticket_auto: false,
        }
    }
}

/// Checks a settings form; trims the texts.
pub fn check_settings(s: &mut Settings) -> Validation {
    let mut v = Validation::default();
    s.version = s.version.trim().to_string();
    if !VERSIONS.contains(&s.version.as_str()) {
        v.add("version", Msg::new("cti-version-required"));
    }
    s.tenant_id = s.tenant_id.trim().to_string();
    if s.tenant_id.is_empty() {
        v.add("tenant_id", Msg::new("cti-tenant-id-required"));
    } else if s.tenant_id.chars().count() > TENANT_MAX
        || !s
            .tenant_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        v.add(
            "tenant_id",
            Msg::with("cti-tenant-id-invalid", &[("max", TENANT_MAX.to_string())]),
        );
    }
    s.tenant_name = s.tenant_name.trim().to_string();
    if s.tenant_name.is_empty() {
        v.add("tenant_name", Msg::new("cti-tenant-name-required"));
    } else if s.tenant_name.chars().count() > TENANT_MAX
        || crate::web::forms::has_control(&s.tenant_name)
    {
        v.add(
            "tenant_name",
            Msg::with(
                "cti-tenant-name-invalid",
                &[("max", TENANT_MAX.to_string())],
            ),
        );
    }
    v
}

/// Whether the contract in force on the service's calendar day includes phone CTI, and
/// which directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CtiContract {
    pub inbound: bool,
    pub outbound: bool,
}

impl CtiContract {
    pub fn any(&self) -> bool {
        self.inbound || self.outbound
    }
}

pub fn cti_contract(c: &mut DbConn, service: &Service) -> Result<CtiContract, AppError> {
    let today = service.today().format("%Y-%m-%d").to_string();
    let sel: Option<String> = ct::table
        .filter(ct::service_ref.eq(service.id))
        .filter(ct::effective_date.le(&today))
        .order(ct::effective_date.desc())
        .select(ct::selection)
        .first(c)
        .optional()?;
    let Some(sel) = sel else {
        return Ok(CtiContract::default());
    };
    let sel: crate::pricing::Selection = serde_json::from_str(&sel).unwrap_or_default();
    Ok(CtiContract {
        inbound: sel.features.contains_key(CTI_FEATURES[0]),
        outbound: sel.features.contains_key(CTI_FEATURES[1]),
    })
}

/// A counselling service of the CTI list.
pub struct CtiService {
    pub service: Service,
    pub contract: CtiContract,
    pub configured: bool,
}

/// The org's live counselling services, with whether their contract has CTI.
pub fn cti_services(c: &mut DbConn, org: i64) -> Result<Vec<CtiService>, AppError> {
    let mut out = Vec::new();
    let configured: Vec<i64> = cs::table
        .filter(cs::org_id.eq(org))
        .select(cs::service_ref)
        .load(c)?;
    for s in contracts::services_of(c, org)? {
        if s.is_terminated() || s.kind != "counseling" {
            continue;
        }
        let contract = cti_contract(c, &s)?;
        out.push(CtiService {
            configured: configured.contains(&s.id),
            service: s,
            contract,
        });
    }
    Ok(out)
}

/// The live service `service_id` with CTI in its contract; 404 otherwise.
pub fn cti_service(
    c: &mut DbConn,
    org: i64,
    service_id: &str,
) -> Result<Option<(Service, CtiContract)>, AppError> {
    let Some(s) = contracts::live_service(c, org, service_id)? else {
        return Ok(None);
    };
    let contract = cti_contract(c, &s)?;
    Ok(contract.any().then_some((s, contract)))
}

pub fn settings(c: &mut DbConn, service_ref: i64) -> Result<Settings, AppError> {
    let row: Option<(String, String, String, bool, bool, bool, bool)> = cs::table
        .filter(cs::service_ref.eq(service_ref))
        .select((
            cs::version,
            cs::tenant_id,
            cs::tenant_name,
            cs::mobile_contact,
            cs::log_monitoring,
            cs::after_call_batch,
            cs::ob_ticket_auto,
        ))
        .first(c)
        .optional()?;
    Ok(row
        .map(|r| Settings {
            version: r.0,
            tenant_id: r.1,
            tenant_name: r.2,
            mobile_contact: r.3,
            log_monitoring: r.4,
            after_call_batch: r.5,
            ob_ticket_auto: r.6,
        })
        .unwrap_or_default())
}

pub fn save_settings(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    s: &Settings,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    c.transaction(|c| {
        let n = diesel::update(cs::table.filter(cs::service_ref.eq(service_ref)))
            .set((
                cs::version.eq(&s.version),
                cs::tenant_id.eq(&s.tenant_id),
                cs::tenant_name.eq(&s.tenant_name),
                cs::mobile_contact.eq(s.mobile_contact),
                cs::log_monitoring.eq(s.log_monitoring),
                cs::after_call_batch.eq(s.after_call_batch),
                cs::ob_ticket_auto.eq(s.ob_ticket_auto),
                cs::updated_at.eq(now),
            ))
            .execute(c)?;
        if n == 0 {
            diesel::insert_into(cs::table)
                .values((
                    cs::service_ref.eq(service_ref),
                    cs::org_id.eq(org),
                    cs::version.eq(&s.version),
                    cs::tenant_id.eq(&s.tenant_id),
                    cs::tenant_name.eq(&s.tenant_name),
                    cs::mobile_contact.eq(s.mobile_contact),
                    cs::log_monitoring.eq(s.log_monitoring),
                    cs::after_call_batch.eq(s.after_call_batch),
                    cs::ob_ticket_auto.eq(s.ob_ticket_auto),
                    cs::updated_at.eq(now),
                ))
                .execute(c)?;
        }
        Ok(())
    })
}

/// A member with phone permission in at least one live service, and their CTI login.
#[derive(Debug, Clone)]
pub struct Agent {
    pub member_id: i64,
    pub name: String,
    pub login_id: String,
    pub cti_id: Option<String>,
    pub cti_no: Option<String>,
    /// The services where they have phone permission, by name.
    pub services: Vec<String>,
}

/// The CTI agents of the org, filtered by name or login ID containing `q`.
pub fn agents(c: &mut DbConn, org: i64, q: &str) -> Result<Vec<Agent>, AppError> {
    let mut query = sm::table
        .inner_join(om::table)
        .inner_join(sv::table)
        .left_join(ca::table.on(ca::member_id.eq(om::id)))
        .filter(sm::org_id.eq(org))
        .filter(om::org_id.eq(org))
        .filter(sm::phone.eq(true))
        .filter(sv::status.ne(contracts::TERMINATED))
        .into_boxed::<crate::db::Backend>();
    let q = q.trim();
    if !q.is_empty() {
        let p = contains_pattern(&q.to_lowercase());
        query = query.filter(
            lower(om::name)
                .like(p.clone())
                .escape('\\')
                .or(om::login_id_lower.like(p).escape('\\')),
        );
    }
    /// (member, name, login ID, CTI ID, CTI NO, service name)
    type Row = (i64, String, String, Option<String>, Option<String>, String);
    let rows: Vec<Row> = query
        .order((om::name.asc(), om::id.asc(), sv::name.asc()))
        .select((
            om::id,
            om::name,
            om::login_id,
            ca::cti_id.nullable(),
            ca::cti_no.nullable(),
            sv::name,
        ))
        .load(c)?;
    let mut out: Vec<Agent> = Vec::new();
    for (id, name, login_id, cti_id, cti_no, service) in rows {
        match out.last_mut() {
            Some(a) if a.member_id == id => a.services.push(service),
            _ => out.push(Agent {
                member_id: id,
                name,
                login_id,
                cti_id,
                cti_no,
                services: vec![service],
            }),
        }
    }
    Ok(out)
}

/// The outcome of saving a CTI login.
#[derive(Debug, PartialEq, Eq)]
pub enum AgentSave {
    Saved,
    Cleared,
    /// Not a member with phone permission in a live service of the org.
    NotAgent,
    IdTaken,
    NoTaken,
}

/// Checks a CTI login form: both or neither; ID of letters, digits, `-_.`; NO of digits.
pub fn check_login(cti_id: &str, cti_no: &str) -> Validation {
    let mut v = Validation::default();
    let (id, no) = (cti_id.trim(), cti_no.trim());
    if id.is_empty() && no.is_empty() {
        return v;
    }
    if id.is_empty() {
        v.add("cti_id", Msg::new("cti-id-required"));
    } else if id.chars().count() > CTI_ID_MAX
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        v.add(
            "cti_id",
            Msg::with("cti-id-invalid", &[("max", CTI_ID_MAX.to_string())]),
        );
    }
    if no.is_empty() {
        v.add("cti_no", Msg::new("cti-no-required"));
    } else if no.len() > CTI_ID_MAX || !no.chars().all(|c| c.is_ascii_digit()) {
        v.add(
            "cti_no",
            Msg::with("cti-no-invalid", &[("max", CTI_ID_MAX.to_string())]),
        );
    }
    v
}

/// Saves (or, both empty, clears) a member's CTI login. The unique indexes decide between
/// two members claiming one ID at once.
pub fn save_agent(
    c: &mut DbConn,
    org: i64,
    member: i64,
    cti_id: &str,
    cti_no: &str,
    now: NaiveDateTime,
) -> Result<AgentSave, AppError> {
    let is_agent: bool = diesel::select(diesel::dsl::exists(
        sm::table
            .inner_join(sv::table)
            .filter(sm::org_id.eq(org))
            .filter(sm::member_id.eq(member))
            .filter(sm::phone.eq(true))
            .filter(sv::status.ne(contracts::TERMINATED)),
    ))
    .get_result(c)?;
    if !is_agent {
        return Ok(AgentSave::NotAgent);
    }
    if cti_id.is_empty() && cti_no.is_empty() {
        diesel::delete(
            ca::table
                .filter(ca::org_id.eq(org))
                .filter(ca::member_id.eq(member)),
        )
        .execute(c)?;
        return Ok(AgentSave::Cleared);
    }
    let r = c.transaction(|c| {
        let n = diesel::update(
            ca::table
                .filter(ca::org_id.eq(org))
                .filter(ca::member_id.eq(member)),
        )
        .set((
            ca::cti_id.eq(cti_id),
            ca::cti_no.eq(cti_no),
            ca::updated_at.eq(now),
        ))
        .execute(c)?;
        if n == 0 {
            diesel::insert_into(ca::table)
                .values((
                    ca::member_id.eq(member),
                    ca::org_id.eq(org),
                    ca::cti_id.eq(cti_id),
                    ca::cti_no.eq(cti_no),
                    ca::updated_at.eq(now),
                ))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    });
    match r {
        Ok(()) => Ok(AgentSave::Saved),
        Err(e) if is_unique_violation(&e) => {
            let id_taken: bool = diesel::select(diesel::dsl::exists(
                ca::table
                    .filter(ca::org_id.eq(org))
                    .filter(ca::cti_id.eq(cti_id))
                    .filter(ca::member_id.ne(member)),
            ))
            .get_result(c)?;
            Ok(if id_taken {
                AgentSave::IdTaken
            } else {
                AgentSave::NoTaken
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A member's CTI ID in the org, if they have a CTI login.
pub fn cti_id_of(c: &mut DbConn, org: i64, member: i64) -> Result<Option<String>, AppError> {
    Ok(ca::table
        .filter(ca::org_id.eq(org))
        .filter(ca::member_id.eq(member))
        .select(ca::cti_id)
        .first(c)
        .optional()?)
}

/// The member with this CTI ID in the org.
pub fn member_by_cti_id(c: &mut DbConn, org: i64, cti_id: &str) -> Result<Option<i64>, AppError> {
    Ok(ca::table
        .filter(ca::org_id.eq(org))
        .filter(ca::cti_id.eq(cti_id))
        .select(ca::member_id)
        .first(c)
        .optional()?)
}

/// A member's (phone, chat) permissions in a service, if a member of it.
pub fn permissions(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
) -> Result<Option<(bool, bool)>, AppError> {
    Ok(sm::table
        .filter(sm::org_id.eq(org))
        .filter(sm::service_ref.eq(service_ref))
        .filter(sm::member_id.eq(member))
        .select((sm::phone, sm::chat))
        .first(c)
        .optional()?)
}

/// Whether the member is an admin of the service.
pub fn is_service_admin(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
) -> Result<bool, AppError> {
    Ok(diesel::select(diesel::dsl::exists(
        sm::table
            .filter(sm::org_id.eq(org))
            .filter(sm::service_ref.eq(service_ref))
            .filter(sm::member_id.eq(member))
            .filter(sm::role.eq(crate::services::members::model::ROLE_ADMIN)),
    ))
    .get_result(c)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_rules() {
        assert!(check_login("", "").is_empty());
        assert!(check_login("kim.01", "7001").is_empty());
        assert!(check_login("kim", "").has("cti_no"));
        assert!(check_login("", "7001").has("cti_id"));
        assert!(check_login("kim lee", "7001").has("cti_id"));
        assert!(check_login("kim", "70a1").has("cti_no"));
        assert!(check_login(&"k".repeat(21), "1").has("cti_id"));
    }

    #[test]
    fn settings_rules() {
        let mut s = Settings {
            tenant_id: " t-1 ".into(),
            tenant_name: " Acme ".into(),
            ..Settings::default()
        };
        assert!(check_settings(&mut s).is_empty());
        assert_eq!(s.tenant_id, "t-1");
        s.version = "pbx".into();
        assert!(check_settings(&mut s).has("version"));
        let mut s = Settings::default();
        let v = check_settings(&mut s);
        assert!(v.has("tenant_id") && v.has("tenant_name"));
    }
}
