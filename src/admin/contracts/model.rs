//! Queries of services, contracts and the org key. Every query takes the tenant's org id.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::billing::{Contract, ServiceBilling};
use super::rules::ServiceInput;
use crate::db::schema::{contracts as ct, organizations as o, services as sv};
use crate::db::{DbConn, parse_day};
use crate::error::AppError;
use crate::pricing::Selection;

pub const ACTIVE: &str = "active";
pub const SUSPENDED: &str = "suspended";
pub const TERMINATED: &str = "terminated";

#[derive(Debug, Clone, serde::Serialize)]
pub struct Service {
    #[serde(skip)]
    pub id: i64,
    pub service_id: String,
    pub kind: String,
    pub name: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub editor: String,
    pub status: String,
    pub terminated_on: Option<String>,
    pub has_banner: bool,
    /// The monthly cost of the contract in force, if any.
    pub monthly_cost: Option<i64>,
}

impl Service {
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }

    /// Today in the service's time zone.
    pub fn today(&self) -> NaiveDate {
        chrono::Utc::now().with_timezone(&self.tz()).date_naive()
    }

    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }
    pub fn is_suspended(&self) -> bool {
        self.status == SUSPENDED
    }
    pub fn is_terminated(&self) -> bool {
        self.status == TERMINATED
    }
    pub fn status_key(&self) -> &'static str {
        match self.status.as_str() {
            ACTIVE => "service-status-active",
            SUSPENDED => "service-status-suspended",
            _ => "service-status-terminated",
        }
    }
    pub fn kind_key(&self) -> &'static str {
        kind_key(&self.kind)
    }
}

pub fn kind_key(kind: &str) -> &'static str {
    match kind {
        "counseling" => "kind-counseling",
        _ => "kind-issue",
    }
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<i64>,
);

macro_rules! service_columns {
    () => {
        (
            sv::id,
            sv::service_id,
            sv::kind,
            sv::name,
            sv::languages,
            sv::timezone,
            sv::editor,
            sv::status,
            sv::terminated_on,
            sv::banner_type.is_not_null(),
            sv::latest_cost,
        )
    };
}

fn from_row(r: Row) -> Service {
    let monthly_cost = r.10;
    Service {
        id: r.0,
        service_id: r.1,
        kind: r.2,
        name: r.3,
        languages: r
            .4
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        timezone: r.5,
        editor: r.6,
        status: r.7,
        terminated_on: r.8,
        has_banner: r.9,
        monthly_cost,
    }
}

/// The org's services with the cost of their latest contract, in one statement (the cost
/// is kept on the service by `add_contract`).
pub fn services_of(c: &mut DbConn, org: i64) -> Result<Vec<Service>, AppError> {
    let q = sv::table
        .filter(sv::org_id.eq(org))
        .order(sv::id)
        .select(service_columns!());
    let rows: Vec<Row> = crate::db::on_backend!(c, |c| q.load(c))?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The org's service with this ID that is not terminated.
pub fn live_service(
    c: &mut DbConn,
    org: i64,
    service_id: &str,
) -> Result<Option<Service>, AppError> {
    Ok(any_service(c, org, service_id)?.filter(|s| !s.is_terminated()))
}

/// The org's service with this ID, whatever its status: the live one if there is one (a
/// terminated service's ID may be reused), else the newest terminated one.
pub fn any_service(
    c: &mut DbConn,
    org: i64,
    service_id: &str,
) -> Result<Option<Service>, AppError> {
    let row: Option<Row> = sv::table
        .filter(sv::org_id.eq(org))
        .filter(sv::service_id_lower.eq(service_id.to_ascii_lowercase()))
        .order((sv::status.eq(TERMINATED).asc(), sv::id.desc()))
        .select(service_columns!())
        .first(c)
        .optional()?;
    Ok(row.map(from_row))
}

/// An uploaded banner: bytes and content type (checked by content).
pub struct Banner {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Creates a service; `Ok(None)` when the service ID is taken among the org's live
/// services (the partial unique index decides).
pub fn create_service(
    c: &mut DbConn,
    org: i64,
    s: &ServiceInput,
    banner: Option<Banner>,
    now: NaiveDateTime,
) -> Result<Option<Service>, AppError> {
    let (bytes, ctype) = match banner {
        Some(b) => (Some(b.bytes), Some(b.content_type)),
        None => (None, None),
    };
    let r = diesel::insert_into(sv::table)
        .values((
            sv::org_id.eq(org),
            sv::kind.eq(&s.kind),
            sv::name.eq(&s.name),
            sv::service_id.eq(&s.service_id),
            sv::service_id_lower.eq(s.service_id.to_ascii_lowercase()),
            sv::languages.eq(s.languages.join(",")),
            sv::timezone.eq(&s.timezone),
            sv::editor.eq(&s.editor),
            sv::banner.eq(bytes),
            sv::banner_type.eq(ctype),
            sv::status.eq(ACTIVE),
            sv::created_at.eq(now),
            sv::updated_at.eq(now),
        ))
        .execute(c);
    match r {
        Ok(_) => live_service(c, org, &s.service_id),
        Err(e) if crate::db::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Changes the basic information (not the type or the ID); a new banner replaces the old.
pub fn update_service(
    c: &mut DbConn,
    org: i64,
    id: i64,
    s: &ServiceInput,
    banner: Option<Banner>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let target = sv::table.filter(sv::org_id.eq(org)).filter(sv::id.eq(id));
    c.transaction(|c| {
        diesel::update(target)
            .set((
                sv::name.eq(&s.name),
                sv::languages.eq(s.languages.join(",")),
                sv::timezone.eq(&s.timezone),
                sv::editor.eq(&s.editor),
                sv::updated_at.eq(now),
            ))
            .execute(c)?;
        if let Some(b) = banner {
            diesel::update(target)
                .set((
                    sv::banner.eq(Some(b.bytes)),
                    sv::banner_type.eq(Some(b.content_type)),
                ))
                .execute(c)?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

pub fn banner(
    c: &mut DbConn,
    org: i64,
    service_id: &str,
) -> Result<Option<(Vec<u8>, String)>, AppError> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> = sv::table
        .filter(sv::org_id.eq(org))
        .filter(sv::service_id_lower.eq(service_id.to_ascii_lowercase()))
        .filter(sv::status.ne(TERMINATED))
        .select((sv::banner, sv::banner_type))
        .first(c)
        .optional()?;
    Ok(match row {
        Some((Some(b), Some(t))) => Some((b, t)),
        _ => None,
    })
}

#[derive(Debug, Clone)]
pub struct ContractRow {
    pub effective_date: String,
    pub selection: Selection,
    pub monthly_cost: i64,
}

pub fn latest_contract(c: &mut DbConn, service: i64) -> Result<Option<ContractRow>, AppError> {
    let row: Option<(String, String, i64)> = ct::table
        .filter(ct::service_ref.eq(service))
        .order(ct::effective_date.desc())
        .select((ct::effective_date, ct::selection, ct::monthly_cost))
        .first(c)
        .optional()?;
    Ok(row.map(|(effective_date, sel, monthly_cost)| ContractRow {
        effective_date,
        selection: serde_json::from_str(&sel).unwrap_or_default(),
        monthly_cost,
    }))
}

/// Saves a contract taking effect on `day` (the service's calendar day); `Ok(false)` when
/// the service already changed its contract that day.
pub fn add_contract(
    c: &mut DbConn,
    service: i64,
    day: NaiveDate,
    selection: &Selection,
    monthly_cost: i64,
    by: i64,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let selection = serde_json::to_string(selection).map_err(AppError::internal)?;
    let day = day.format("%Y-%m-%d").to_string();
    let r = c.transaction(|c| {
        diesel::insert_into(ct::table)
            .values((
                ct::service_ref.eq(service),
                ct::effective_date.eq(&day),
                ct::selection.eq(&selection),
                ct::monthly_cost.eq(monthly_cost),
                ct::created_by.eq(Some(by)),
                ct::created_at.eq(now),
            ))
            .execute(c)?;
        // The service's latest contract, unless a later one exists (seeded history).
        diesel::update(
            sv::table.filter(sv::id.eq(service)).filter(
                sv::latest_effective
                    .is_null()
                    .or(sv::latest_effective.le(&day)),
            ),
        )
        .set((
            sv::latest_effective.eq(Some(&day)),
            sv::latest_cost.eq(Some(monthly_cost)),
        ))
        .execute(c)
    });
    match r {
        Ok(_) => Ok(true),
        Err(e) if crate::db::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// In use ↔ suspended (a terminated service stays terminated).
pub fn set_status(
    c: &mut DbConn,
    org: i64,
    id: i64,
    status: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        sv::table
            .filter(sv::org_id.eq(org))
            .filter(sv::id.eq(id))
            .filter(sv::status.ne(TERMINATED)),
    )
    .set((sv::status.eq(status), sv::updated_at.eq(now)))
    .execute(c)?;
    Ok(n == 1)
}

/// Terminates a suspended service; billing stops after `day`. `Ok(false)` when it is not
/// suspended (the condition is part of the update, so a concurrent resume wins cleanly).
pub fn terminate(
    c: &mut DbConn,
    org: i64,
    id: i64,
    day: NaiveDate,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        sv::table
            .filter(sv::org_id.eq(org))
            .filter(sv::id.eq(id))
            .filter(sv::status.eq(SUSPENDED)),
    )
    .set((
        sv::status.eq(TERMINATED),
        sv::terminated_on.eq(Some(day.format("%Y-%m-%d").to_string())),
        sv::updated_at.eq(now),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// The contracts of the org's services that take effect from `since` on, plus each
/// service's contract in force on that day: one statement, the contract in force found per
/// service through the `(service_ref, effective_date)` index, the rows read from the
/// covering `contracts_billing` index. Postgres gets `LATERAL` (a correlated subquery
/// there runs once per contract row, ten times slower); SQLite has no `LATERAL` and
/// evaluates the subquery once per service anyway.
///
/// A type of its own rather than `sql_query`, so that Diesel keeps the statement prepared
/// (a `sql_query` is parsed and planned anew on every run: 4 % of the fee page's CPU).
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct BillingQuery {
    since: String,
    org: i64,
}

impl diesel::query_builder::Query for BillingQuery {
    type SqlType = (
        diesel::sql_types::BigInt,
        diesel::sql_types::Text,
        diesel::sql_types::BigInt,
    );
}

impl<C> RunQueryDsl<C> for BillingQuery {}

impl BillingQuery {
    /// The statement as `sql[0] since sql[1] since sql[2] org`.
    fn walk<'b, DB>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
        sql: [&'static str; 3],
    ) -> QueryResult<()>
    where
        DB: diesel::backend::Backend,
        String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
    {
        use diesel::sql_types::{BigInt, Text};
        out.push_sql(sql[0]);
        out.push_bind_param::<Text, _>(&self.since)?;
        out.push_sql(sql[1]);
        out.push_bind_param::<Text, _>(&self.since)?;
        out.push_sql(sql[2]);
        out.push_bind_param::<BigInt, _>(&self.org)
    }
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for BillingQuery {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        self.walk(
            out,
            [
                "SELECT c.service_ref, c.effective_date, c.monthly_cost \
                 FROM services s \
                 CROSS JOIN LATERAL (SELECT MAX(e.effective_date) AS d FROM contracts e \
                                     WHERE e.service_ref = s.id AND e.effective_date <= ",
                ") f JOIN contracts c \
                 ON c.service_ref = s.id AND c.effective_date >= COALESCE(f.d, ",
                ") WHERE s.org_id = ",
            ],
        )
    }
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for BillingQuery {
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        self.walk(
            out,
            [
                "SELECT c.service_ref, c.effective_date, c.monthly_cost \
                 FROM services s \
                 JOIN contracts c ON c.service_ref = s.id AND c.effective_date >= COALESCE( \
                     (SELECT MAX(e.effective_date) FROM contracts e \
                      WHERE e.service_ref = s.id AND e.effective_date <= ",
                "), ",
                ") WHERE s.org_id = ",
            ],
        )
    }
}

/// Every service of the org with its billing input from `since` on (see `BillingQuery`).
pub fn billing_inputs(
    c: &mut DbConn,
    org: i64,
    since: NaiveDate,
) -> Result<Vec<(Service, ServiceBilling)>, AppError> {
    let services = services_of(c, org)?;
    let q = BillingQuery {
        since: since.format("%Y-%m-%d").to_string(),
        org,
    };
    let rows: Vec<(i64, String, i64)> = match c {
        DbConn::Pg(pg) => q.load(pg)?,
        DbConn::Sqlite(lite) => q.load(lite)?,
    };
    let mut by_service: HashMap<i64, Vec<Contract>> = HashMap::new();
    for (s, d, cost) in rows {
        if let Some(effective) = parse_day(&d) {
            by_service.entry(s).or_default().push(Contract {
                effective,
                monthly_cost: cost,
            });
        }
    }
    Ok(services
        .into_iter()
        .map(|s| {
            let mut contracts = by_service.remove(&s.id).unwrap_or_default();
            contracts.sort_by_key(|c| c.effective);
            let terminated_on = s.terminated_on.as_deref().and_then(parse_day);
            (
                s,
                ServiceBilling {
                    contracts,
                    terminated_on,
                },
            )
        })
        .collect())
}

pub struct OrgInfo {
    pub name: String,
    pub public_id: String,
    pub domain: String,
    pub oc_name: String,
    pub timezone: String,
    pub key_prefix: Option<String>,
    /// Every member must sign in with two factors.
    pub require_2fa: bool,
}

/// Whether every member of `org` must sign in with two factors.
pub fn set_require_2fa(c: &mut DbConn, org: i64, on: bool) -> Result<(), AppError> {
    diesel::update(o::table.filter(o::id.eq(org)))
        .set(o::require_2fa.eq(on))
        .execute(c)?;
    Ok(())
}

pub fn org_info(c: &mut DbConn, org: i64) -> Result<OrgInfo, AppError> {
    let r: (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        bool,
    ) = o::table
        .filter(o::id.eq(org))
        .select((
            o::name,
            o::public_id,
            o::domain,
            o::oc_name,
            o::timezone,
            o::api_key_prefix,
            o::require_2fa,
        ))
        .first(c)?;
    Ok(OrgInfo {
        name: r.0,
        public_id: r.1,
        domain: r.2.unwrap_or_default(),
        oc_name: r.3.unwrap_or_default(),
        timezone: r.4,
        key_prefix: r.5,
        require_2fa: r.6,
    })
}

/// Makes a new org key; only its hash and a short prefix are stored. Returns the key,
/// to be shown once.
pub fn rotate_key(c: &mut DbConn, org: i64) -> Result<String, AppError> {
    let key = format!("oc_{}", crate::auth::random_token(32));
    let prefix: String = key.chars().take(10).collect();
    diesel::update(o::table.filter(o::id.eq(org)))
        .set((
            o::api_key_hash.eq(Some(crate::auth::token_hash(&key))),
            o::api_key_prefix.eq(Some(prefix)),
        ))
        .execute(c)?;
    Ok(key)
}

/// The organization (with Online Contact enabled) whose key this is.
pub fn org_by_key(c: &mut DbConn, key: &str) -> Result<Option<i64>, AppError> {
    if key.is_empty() || key.len() > 200 {
        return Ok(None);
    }
    Ok(o::table
        .filter(o::api_key_hash.eq(crate::auth::token_hash(key)))
        .filter(o::oc_enabled.eq(true))
        .select(o::id)
        .first(c)
        .optional()?)
}

/// What the fee page bills: every service with its contracts from a day on.
pub type BillingInputs = Vec<(Service, ServiceBilling)>;

pub fn set_org_timezone(c: &mut DbConn, org: i64, tz: &str) -> Result<(), AppError> {
    diesel::update(o::table.filter(o::id.eq(org)))
        .set(o::timezone.eq(tz))
        .execute(c)?;
    Ok(())
}
