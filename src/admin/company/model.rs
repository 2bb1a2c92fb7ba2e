//! Company-info entries: the rules of the form and the queries. Every query takes the
//! tenant's org id; an entry of another organization is not found.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{company_infos as ci, services as sv};
use crate::error::AppError;
use crate::web::forms::{Msg, Validation, email, required_text};

pub const NAME_MAX: usize = 100;
pub const SHORT_MAX: usize = 100;
pub const BUSINESS_NUMBER_MAX: usize = 30;
pub const ADDRESS_MAX: usize = 200;
pub const COPYRIGHT_MAX: usize = 200;
/// Terms of use and privacy policy.
pub const LONG_MAX: usize = 50_000;

/// An entry as the form submits it and the pages show it.
#[derive(Debug, Clone, Default, serde::Deserialize, Queryable)]
#[serde(default)]
pub struct CompanyInfo {
    #[serde(skip)]
    pub id: i64,
    pub company_name: String,
    pub representative: String,
    pub business_number: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub copyright: String,
    pub terms: String,
    pub privacy: String,
}

macro_rules! columns {
    () => {
        (
            ci::id,
            ci::company_name,
            ci::representative,
            ci::business_number,
            ci::address,
            ci::phone,
            ci::email,
            ci::copyright,
            ci::terms,
            ci::privacy,
        )
    };
}

/// Trims the fields and checks them; the messages go next to each field.
pub fn check(f: &mut CompanyInfo, v: &mut Validation) {
    f.company_name = required_text(v, "company_name", &f.company_name, NAME_MAX);
    let mut optional = |field: &'static str, value: &mut String, max: usize| {
        *value = value.trim().to_string();
        if value.chars().count() > max {
            v.add(
                field,
                Msg::with("field-too-long", &[("max", max.to_string())]),
            );
        }
    };
    optional("representative", &mut f.representative, SHORT_MAX);
    optional(
        "business_number",
        &mut f.business_number,
        BUSINESS_NUMBER_MAX,
    );
    optional("address", &mut f.address, ADDRESS_MAX);
    optional("copyright", &mut f.copyright, COPYRIGHT_MAX);
    for (field, value) in [("terms", &mut f.terms), ("privacy", &mut f.privacy)] {
        // Long text keeps its inner line breaks; only the ends are trimmed.
        *value = value.trim().replace("\r\n", "\n");
        if value.chars().count() > LONG_MAX {
            v.add(
                field,
                Msg::with("field-too-long", &[("max", LONG_MAX.to_string())]),
            );
        }
    }
    f.phone = crate::console::orgs::rules::check_phone(v, "phone", &f.phone).unwrap_or_default();
    if !f.email.trim().is_empty() {
        f.email = email(v, "email", &f.email);
    } else {
        f.email = String::new();
    }
}

/// The org's entries, with the services whose help center shows each.
pub fn list(c: &mut DbConn, org: i64) -> Result<Vec<(CompanyInfo, Vec<String>)>, AppError> {
    let entries: Vec<CompanyInfo> = ci::table
        .filter(ci::org_id.eq(org))
        .order(ci::id)
        .select(columns!())
        .load(c)?;
    let used: Vec<(i64, String)> = sv::table
        .filter(sv::org_id.eq(org))
        .filter(sv::company_info_id.is_not_null())
        .filter(sv::status.ne(crate::admin::contracts::model::TERMINATED))
        .order(sv::name)
        .select((sv::company_info_id.assume_not_null(), sv::name))
        .load(c)?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let names = used
                .iter()
                .filter(|(id, _)| *id == e.id)
                .map(|(_, n)| n.clone())
                .collect();
            (e, names)
        })
        .collect())
}

/// One entry of the org.
pub fn get(c: &mut DbConn, org: i64, id: i64) -> Result<Option<CompanyInfo>, AppError> {
    Ok(ci::table
        .filter(ci::org_id.eq(org))
        .filter(ci::id.eq(id))
        .select(columns!())
        .first(c)
        .optional()?)
}

pub fn create(
    c: &mut DbConn,
    org: i64,
    f: &CompanyInfo,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let insert = diesel::insert_into(ci::table).values((
        ci::org_id.eq(org),
        ci::company_name.eq(&f.company_name),
        ci::representative.eq(&f.representative),
        ci::business_number.eq(&f.business_number),
        ci::address.eq(&f.address),
        ci::phone.eq(&f.phone),
        ci::email.eq(&f.email),
        ci::copyright.eq(&f.copyright),
        ci::terms.eq(&f.terms),
        ci::privacy.eq(&f.privacy),
        ci::created_at.eq(now),
        ci::updated_at.eq(now),
    ));
    Ok(crate::db::insert_returning_id!(c, insert, ci::id)?)
}

/// Saves an entry; false when the org has no such entry.
pub fn update(
    c: &mut DbConn,
    org: i64,
    id: i64,
    f: &CompanyInfo,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(ci::table.filter(ci::org_id.eq(org)).filter(ci::id.eq(id)))
        .set((
            ci::company_name.eq(&f.company_name),
            ci::representative.eq(&f.representative),
            ci::business_number.eq(&f.business_number),
            ci::address.eq(&f.address),
            ci::phone.eq(&f.phone),
            ci::email.eq(&f.email),
            ci::copyright.eq(&f.copyright),
            ci::terms.eq(&f.terms),
            ci::privacy.eq(&f.privacy),
            ci::updated_at.eq(now),
        ))
        .execute(c)?;
    Ok(n == 1)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Delete {
    Done,
    /// A help center shows it: the names of those services.
    InUse(Vec<String>),
    NotFound,
}

/// Deletes an entry unless a service's help center shows it (a terminated service's
/// choice is cleared first: its help center is gone). The foreign key decides between a
/// deletion and a simultaneous choice of the entry.
pub fn delete(c: &mut DbConn, org: i64, id: i64) -> Result<Delete, AppError> {
    let r = c.transaction(|c| {
        if get(c, org, id)?.is_none() {
            return Ok(Delete::NotFound);
        }
        diesel::update(
            sv::table
                .filter(sv::org_id.eq(org))
                .filter(sv::company_info_id.eq(id))
                .filter(sv::status.eq(crate::admin::contracts::model::TERMINATED)),
        )
        .set(sv::company_info_id.eq(None::<i64>))
        .execute(c)?;
        let users: Vec<String> = sv::table
            .filter(sv::org_id.eq(org))
            .filter(sv::company_info_id.eq(id))
            .order(sv::name)
            .select(sv::name)
            .load(c)?;
        if !users.is_empty() {
            return Ok(Delete::InUse(users));
        }
        diesel::delete(ci::table.filter(ci::org_id.eq(org)).filter(ci::id.eq(id))).execute(c)?;
        Ok(Delete::Done)
    });
    match r {
        Err(AppError::Internal(e)) if e.contains("FOREIGN KEY") || e.contains("foreign key") => {
            Ok(Delete::InUse(Vec::new()))
        }
        other => other,
    }
}

/// Whether the org has a counselling service that is not terminated (the company-info
/// menu exists only then).
pub fn has_counseling(c: &mut DbConn, org: i64) -> Result<bool, AppError> {
    let n: i64 = sv::table
        .filter(sv::org_id.eq(org))
        .filter(sv::kind.eq("counseling"))
        .filter(sv::status.ne(crate::admin::contracts::model::TERMINATED))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// Chooses the entry a service's help center shows (None: no footer). False when the
/// entry is not the org's.
pub fn apply(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    entry: Option<i64>,
) -> Result<bool, AppError> {
    c.transaction(|c| {
        if let Some(id) = entry
            && get(c, org, id)?.is_none()
        {
            return Ok(false);
        }
        diesel::update(
            sv::table
                .filter(sv::org_id.eq(org))
                .filter(sv::id.eq(service_ref)),
        )
        .set(sv::company_info_id.eq(entry))
        .execute(c)?;
        Ok(true)
    })
}

/// The entry a service shows, if any.
pub fn of_service(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
) -> Result<Option<CompanyInfo>, AppError> {
    let id: Option<i64> = sv::table
        .filter(sv::org_id.eq(org))
        .filter(sv::id.eq(service_ref))
        .select(sv::company_info_id)
        .first(c)
        .optional()?
        .flatten();
    match id {
        Some(id) => get(c, org, id),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_company_name_is_required() {
        let mut f = CompanyInfo {
            company_name: "  ACME  ".into(),
            terms: " First.\r\n\r\nSecond. ".into(),
            ..Default::default()
        };
        let mut v = Validation::default();
        check(&mut f, &mut v);
        assert!(v.is_empty());
        assert_eq!(f.company_name, "ACME");
        assert_eq!(f.terms, "First.\n\nSecond.");
        let mut f = CompanyInfo {
            email: "nope".into(),
            phone: "call me".into(),
            business_number: "1".repeat(31),
            ..Default::default()
        };
        let mut v = Validation::default();
        check(&mut f, &mut v);
        for field in ["company_name", "email", "phone", "business_number"] {
            assert!(v.has(field), "{field}");
        }
    }
}
