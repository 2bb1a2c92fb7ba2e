//! `online-contact demo-data`: an organization with many services and years of monthly
//! contract history, for trying the product and for `scripts/bench`.

use chrono::{Datelike, NaiveDate};

use super::model;
use super::rules::ServiceInput;
use crate::AppState;
use crate::auth::store::{self, Accounts};
use crate::pricing::Selection;

/// A service ID (letters only) for an index: `aaa`, `aab`, …
fn letters(mut i: usize) -> String {
    let mut s = Vec::new();
    for _ in 0..3 {
        s.push(b'a' + u8::try_from(i % 26).unwrap_or(0));
        i /= 26;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// Creates the organization `domain` (owner login `owner`, console member
/// `owner@{domain}.example.com`, both with `password`), `services` services and `years`
/// years of monthly contracts. Returns the workspace URL.
pub fn seed(
    state: &AppState,
    domain: &str,
    services: usize,
    years: u32,
    password: &str,
) -> Result<String, String> {
    let err = |e: crate::error::AppError| e.to_string();
    let mut c = state.pool.get().map_err(|e| e.to_string())?;
    let now = chrono::Utc::now().naive_utc();
    let hash = bcrypt::hash(password, state.config.bcrypt_cost).map_err(|e| e.to_string())?;
    let member = crate::console::model::create_member(
        &mut c,
        &crate::console::model::NewMember {
            email: format!("owner@{domain}.example.com"),
            name: format!("{domain} owner"),
            password_hash: hash.clone(),
            country: "KR".into(),
            member_type: "business".into(),
            locale: "en".into(),
            certificate: Some(crate::console::model::Certificate {
                content_type: "application/pdf",
                file_name: "demo-certificate.pdf".into(),
                bytes: b"%PDF-1.4\n% demo business registration certificate\n".to_vec(),
            }),
        },
        now,
    )
    .map_err(err)?
    .ok_or("that demo organization exists already")?;
    crate::console::orgs::model::add_card(
        &mut c,
        member.id,
        "4242424242424242",
        (12, now.year() + 5),
        "Demo",
        now,
    )
    .map_err(err)?;
    let public_id =
        crate::console::orgs::model::create_org(&mut c, member.id, &format!("{domain} demo"), now)
            .map_err(err)?;
    let org = crate::console::orgs::model::org_of(&mut c, member.id, &public_id)
        .map_err(err)?
        .ok_or("org vanished")?;
    match crate::console::orgs::model::set_online_contact(
        &mut c,
        org.id,
        &format!("{domain} demo"),
        domain,
    )
    .map_err(err)?
    {
        crate::console::orgs::model::SetOc::Saved => {}
        other => return Err(format!("cannot use the domain: {other:?}")),
    }
    crate::console::orgs::model::add_member(
        &mut c,
        org.id,
        &crate::console::orgs::model::NewOrgMember {
            login_id: "owner".into(),
            phone: None,
            name: "Owner".into(),
            email: format!("owner@{domain}.example.com"),
            owner: true,
            locale: "en".into(),
        },
        &crate::admin::permission_log::model::Person {
            name: "demo-data".into(),
            login: String::new(),
        },
        "",
        now,
    )
    .map_err(err)?;
    crate::console::orgs::model::finish(&mut c, org.id, now).map_err(err)?;
    let owner = store::find_by_key(&mut c, Accounts::Org(org.id), "owner")
        .map_err(err)?
        .ok_or("no owner")?;
    store::set_password(
        &mut c,
        Accounts::Org(org.id),
        owner.id,
        &hash,
        now,
        None,
        |_| Ok(None),
    )
    .map_err(err)?;

    let today = now.date();
    let pb = state.pricing.clone();
    for i in 0..services {
        let kind = if i % 3 == 2 { "issue" } else { "counseling" };
        let input = ServiceInput {
            kind: kind.into(),
            name: format!("Service {i}"),
            service_id: format!("svc{}", letters(i)),
            languages: vec!["ko".into(), "en".into(), "ja".into()],
            timezone: "Asia/Seoul".into(),
            editor: "html".into(),
        };
        let s = model::create_service(&mut c, org.id, &input, None, now)
            .map_err(err)?
            .ok_or("duplicate service")?;
        for back in (0..years * 12).rev() {
            let (y, m) = super::billing::months_back(today.year(), today.month(), back);
            let day = NaiveDate::from_ymd_opt(y, m, 1).ok_or("bad date")?;
            let mut sel = Selection {
                seats: 5 + i64::try_from(i % 20).unwrap_or(0) + i64::from(back % 4),
                features: Default::default(),
            };
            for (n, f) in pb.features_of(kind).iter().enumerate() {
                if (n + i) % 2 == 0 {
                    sel.features.insert(f.clone(), 1000 + 100 * i64::from(back));
                }
            }
            let cost = pb.monthly_cost(kind, &sel);
            model::add_contract(&mut c, s.id, day, &sel, cost, owner.id, now).map_err(err)?;
        }
    }
    Ok(state.config.base_url.workspace_origin(domain))
}

/// Adds `n` permission-change log rows to the demo organization `domain`.
pub fn seed_permission_logs(state: &AppState, domain: &str, n: usize) -> Result<(), String> {
    let mut c = state.pool.get().map_err(|e| e.to_string())?;
    let org = crate::auth::sessions::tenant_by_domain(&mut c, domain)
        .map_err(|e| e.to_string())?
        .ok_or("no such demo organization")?;
    let now = chrono::Utc::now().naive_utc();
    crate::admin::permission_log::model::seed(&mut c, org.org_id, n, now).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn service_ids_are_letters() {
        assert_eq!(super::letters(0), "aaa");
        assert_eq!(super::letters(27), "abb");
        assert!(super::letters(49).chars().all(|c| c.is_ascii_lowercase()));
    }
}
