//! `demo-data` for CTI: three agents with phone and chat permission in the demo's first
//! two counselling services, CTI logins, log monitoring on, and today's events (states,
//! inbound and outbound calls, chat states) up to now, so that the widget, the CTI log and
//! My performance show real figures at once. Events go through `events::apply`, like the
//! CTI's own, so their tickets and after-call states are made by the same rules.

use chrono::{Duration, NaiveDateTime, TimeZone as _};
use diesel::prelude::*;

use super::events::{self, Call, Kind, NewEvent};
use super::model::{self, Settings};
use crate::AppState;
use crate::auth::store::{self, Accounts};
use crate::db::schema::cti_events as ev;
use crate::services::members::model::{By, Grant, add};

pub fn seed_cti(state: &AppState, domain: &str, password: &str) -> Result<(), String> {
    let err = |e: crate::error::AppError| e.to_string();
    let mut c = state.pool.get().map_err(|e| e.to_string())?;
    let org = crate::auth::sessions::tenant_by_domain(&mut c, domain)
        .map_err(err)?
        .ok_or("no such demo organization")?
        .org_id;
    let now = chrono::Utc::now().naive_utc();
    let hash = bcrypt::hash(password, state.config.bcrypt_cost).map_err(|e| e.to_string())?;
    let services: Vec<_> = model::cti_services(&mut c, org)
        .map_err(err)?
        .into_iter()
        .filter(|s| s.contract.any())
        .take(2)
        .collect();
    if services.is_empty() {
        return Ok(());
    }
    let actor = crate::admin::permission_log::model::Person {
        name: "demo-data".into(),
        login: String::new(),
    };
    let by = By {
        actor: &actor,
        ip: "",
        now,
    };
    let mut agents = Vec::new();
    for i in 1..=3 {
        let login = format!("agent{i}");
        crate::console::orgs::model::add_member(
            &mut c,
            org,
            &crate::console::orgs::model::NewOrgMember {
                login_id: login.clone(),
                phone: None,
                name: format!("Agent {i}"),
                email: format!("{login}@{domain}.example.com"),
                owner: false,
                locale: "en".into(),
            },
            &actor,
            "",
            now,
        )
        .map_err(err)?;
        let m = store::find_by_key(&mut c, Accounts::Org(org), &login)
            .map_err(err)?
            .ok_or("no agent")?;
        store::set_password(&mut c, Accounts::Org(org), m.id, &hash, now, None, |_| {
            Ok(None)
        })
        .map_err(err)?;
        let grant = Grant::parse("agent", true, true).ok_or("no role")?;
        for s in &services {
            add(&mut c, org, s.service.id, m.id, &grant, &by).map_err(err)?;
        }
        let (id, no) = (format!("a{i}00{i}"), format!("100{i}"));
        model::save_agent(&mut c, org, m.id, &id, &no, now).map_err(err)?;
        agents.push((m.id, id));
    }
    for s in &services {
        let settings = Settings {
            version: "mobile".into(),
            tenant_id: format!("{domain}-{}", s.service.service_id),
            tenant_name: s.service.name.clone(),
            log_monitoring: true,
            after_call_batch: true,
            ..Settings::default()
        };
        model::save_settings(&mut c, org, s.service.id, &settings, now).map_err(err)?;
    }
    // Today in the service's zone, from 09:00 (or the day's start) up to now, a 20-minute
    // cycle per agent: ready, a call (inbound if the contract has it), ticket work, and a
    // break now and then; chat online most of the time.
    let i18n = state.i18n.clone();
    let mut n = 0u64;
    for s in &services {
        let tz = s.service.tz();
        let day = tz.from_utc_datetime(&now).date_naive();
        let (start, _) = events::day_bounds(tz, day);
        let from = (start + Duration::hours(9))
            .min(now - Duration::hours(3))
            .max(start);
        let dir = if s.contract.inbound { "in" } else { "out" };
        for (k, (member, cti_id)) in agents.iter().enumerate() {
            let mut t: NaiveDateTime = from + Duration::minutes(3 * k as i64);
            let mut cycle = 0i64;
            while t + Duration::minutes(20) < now {
                let mut push = |kind: Kind, at: NaiveDateTime| -> Result<(), String> {
                    n += 1;
                    let e = NewEvent {
                        event_id: format!("demo-{}-{n}", s.service.service_id),
                        service_id: s.service.service_id.clone(),
                        at,
                        cti_id: cti_id.clone(),
                        kind,
                    };
                    events::apply(&mut c, &i18n, org, &e, now).map_err(err)?;
                    Ok(())
                };
                push(Kind::State("ready"), t)?;
                let number = format!("010-{:04}-{:04}", 1000 + cycle, 2000 + k * 7);
                let talk = 90 + 37 * ((cycle + k as i64) % 7);
                let call = |phase: &'static str, talk: i64| {
                    Kind::Call(Call {
                        direction: dir,
                        phase,
                        customer_number: number.clone(),
                        wait_seconds: 3 + (cycle % 5) as i32,
                        talk_seconds: i32::try_from(talk).unwrap_or(0),
                        cause: if phase == "ended" {
                            "normal".into()
                        } else {
                            String::new()
                        },
                    })
                };
                push(call("ringing", 0), t + Duration::minutes(2))?;
                push(
                    call("answered", 0),
                    t + Duration::minutes(2) + Duration::seconds(8),
                )?;
                push(
                    call("ended", talk),
                    t + Duration::minutes(2) + Duration::seconds(8 + talk),
                )?;
                let back = t + Duration::minutes(12);
                let next = if cycle % 4 == 3 { "break" } else { "ready" };
                push(Kind::State(next), back)?;
                cycle += 1;
                t += Duration::minutes(20);
            }
            // Chat: online from the start, a break at midday of the window.
            for (state, at) in [
                ("online", from),
                ("break", from + (now - from) / 2),
                ("online", from + (now - from) / 2 + Duration::minutes(15)),
            ] {
                n += 1;
                diesel::insert_into(ev::table)
                    .values((
                        ev::org_id.eq(org),
                        ev::service_ref.eq(s.service.id),
                        ev::member_id.eq(*member),
                        ev::event_id.eq(format!("demo-chat-{n}")),
                        ev::channel.eq(events::CHAT),
                        ev::at.eq(at),
                        ev::cti_id.eq(""),
                        ev::state.eq(Some(state)),
                        ev::source.eq("widget"),
                        ev::logged.eq(false),
                        ev::created_at.eq(now),
                    ))
                    .execute(&mut c)
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}
