//! CTI: gating by contract, settings and CTI logins (a clash settled by the database, also
//! under parallel claims), events from the CTI API with every effect (timeline, calls,
//! tickets by both `ob_ticket_auto` values, after-call by both `after_call_batch` values,
//! idempotent resends, refused items named), the phone widget, the CTI log in Excel read
//! back with calamine, My performance, and tenant isolation.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use serde_json::json;

use crate::api::new_key;
use crate::contracts::add_service;
use crate::support::http::{Http, serve};
use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    cti_is_gated_by_the_contract_and_configured,
    cti_logins_are_unique_in_the_org,
    parallel_claims_of_one_cti_id_leave_one_winner,
    events_record_states_calls_tickets_and_after_call,
    widget_states_and_my_performance,
    cti_log_downloads_as_typed_xlsx,
    cti_is_for_the_right_people_of_the_right_org,
);

/// Boss (OWNER) of `domain` with counselling services `care` (contract with inbound and
/// outbound CTI) and `plain` (no contract); agent1 and agent2 are phone agents of `care`.
async fn cti_org(app: &TestApp, domain: &str) -> Client {
    app.onboard(
        &format!("owner@{domain}.example.com"),
        domain,
        &[
            ("boss", "boss@example.com"),
            ("agent1", "agent1@example.com"),
            ("agent2", "agent2@example.com"),
        ],
    )
    .await;
    for who in ["boss", "agent1", "agent2"] {
        app.ws_set_password(domain, who, GOOD_PW).await;
    }
    let mut boss = app.ws_login(domain, "boss", GOOD_PW).await;
    for s in ["care", "plain"] {
        add_service(&mut boss, s, "counseling")
            .await
            .assert_status(303);
    }
    boss.get("/admin/services/care/contract").await;
    boss.post_form(
        "/admin/services/care/contract",
        &[
            ("cti_inbound", "on"),
            ("volume_cti_inbound", "1000"),
            ("cti_outbound", "on"),
            ("volume_cti_outbound", "1000"),
            ("seats", "5"),
            ("action", "contract"),
        ],
    )
    .await
    .assert_status(303);
    for who in ["agent1", "agent2"] {
        let id = app.member_id(domain, who);
        boss.get("/services/care/members").await;
        boss.post_form(
            "/services/care/members",
            &[
                ("member_id", &id.to_string()),
                ("role", "agent"),
                ("phone", "on"),
                ("chat", "on"),
            ],
        )
        .await
        .assert_status(303);
    }
    boss
}

async fn save_settings(boss: &mut Client, fields: &[(&str, &str)]) -> crate::support::Resp {
    boss.get("/admin/cti/care").await.assert_status(200);
    let mut all: Vec<(&str, &str)> = [
        ("version", "mobile"),
        ("tenant_id", "t-100"),
        ("tenant_name", "Care tenant"),
    ]
    .into_iter()
    .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
    .collect();
    all.extend_from_slice(fields);
    boss.post_form("/admin/cti/care", &all).await
}

async fn set_login(boss: &mut Client, member: i64, id: &str, no: &str) -> crate::support::Resp {
    boss.get("/admin/cti/agents").await;
    boss.post_form(
        &format!("/admin/cti/agents/{member}"),
        &[("cti_id", id), ("cti_no", no)],
    )
    .await
}

/// `cti_org` with agent1 logged in to the CTI as `kim`/7001, log monitoring on if asked,
/// and a fresh org key: (boss, agent1's id, key).
async fn kim_on_cti(app: &TestApp, domain: &str, monitoring: bool) -> (Client, i64, String) {
    let mut boss = cti_org(app, domain).await;
    let a1 = app.member_id(domain, "agent1");
    set_login(&mut boss, a1, "kim", "7001")
        .await
        .assert_status(303);
    if monitoring {
        save_settings(&mut boss, &[("log_monitoring", "on")])
            .await
            .assert_status(303);
    }
    let key = new_key(&mut boss).await;
    (boss, a1, key)
}

async fn post_events(
    app: &TestApp,
    key: &str,
    events: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut c = app.client().header("x-oc-org-key", key);
    let req = actix_web::test::TestRequest::post()
        .uri("/api/v1/cti/events")
        .insert_header(("content-type", "application/json"))
        .set_payload(json!({ "events": events }).to_string());
    let r = c.send_request(req).await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
    )
}

fn at(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn state(id: &str, cti: &str, s: &str, when: &str) -> serde_json::Value {
    json!({"event_id": id, "service_id": "care", "at": when, "cti_id": cti, "state": s})
}

fn call(id: &str, cti: &str, dir: &str, phase: &str, when: &str) -> serde_json::Value {
    json!({"event_id": id, "service_id": "care", "at": when, "cti_id": cti,
           "direction": dir, "phase": phase, "customer_number": "010-5555-0000",
           "wait_seconds": 4, "talk_seconds": if phase == "ended" { 95 } else { 0 }})
}

/// (title, status, assignee login) of the service's tickets, by number.
fn tickets(app: &TestApp) -> Vec<(String, String, Option<i64>)> {
    use online_contact::db::schema::tickets::dsl as t;
    t::tickets
        .order(t::number)
        .select((t::title, t::status, t::assignee_id))
        .load(&mut *app.conn())
        .unwrap()
}

/// The latest phone state of a member.
fn phone_state(app: &TestApp, member: i64) -> Option<String> {
    use online_contact::db::schema::cti_events::dsl as e;
    e::cti_events
        .filter(e::member_id.eq(member))
        .filter(e::channel.eq("phone"))
        .filter(e::state.is_not_null())
        .order((e::at.desc(), e::id.desc()))
        .select(e::state)
        .first::<Option<String>>(&mut *app.conn())
        .optional()
        .unwrap()
        .flatten()
}

async fn cti_is_gated_by_the_contract_and_configured(app: TestApp) {
    let mut boss = cti_org(&app, "ctigate").await;
    // The overview's figures (here because this org has a known contract).
    let book = online_contact::pricing::PriceBook::parse(online_contact::pricing::DEFAULT).unwrap();
    let mut sel = online_contact::pricing::Selection {
        seats: 5,
        features: Default::default(),
    };
    sel.features.insert("cti_inbound".into(), 1000);
    sel.features.insert("cti_outbound".into(), 1000);
    let cost = crate::support::money(
        online_contact::i18n::Lang::En,
        book.monthly_cost("counseling", &sel),
    );
    let o = boss.get("/admin").await;
    let fig = |id: &str| -> String {
        o.body
            .split(&format!("id=\"{id}\">"))
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (
            fig("fig-active"),
            fig("fig-suspended"),
            fig("fig-terminated")
        ),
        ("2".into(), "0".into(), "0".into())
    );
    assert_eq!(fig("fig-monthly"), cost);
    assert_eq!(
        (fig("fig-members"), fig("fig-admins")),
        ("3".into(), "1".into())
    );
    let list = boss.get("/admin/cti").await;
    list.assert_status(200);
    assert!(list.body.contains("id=\"cti-settings-care\""));
    assert!(!list.body.contains("id=\"cti-settings-plain\""));
    assert!(list.body.contains("id=\"cti-contract-plain\""));
    assert!(list.body.contains("/admin/services/plain/contract"));
    assert!(list.body.contains("does not include phone CTI"));
    // The side menu links here now.
    assert!(list.body.contains("id=\"menu-cti\""));
    boss.get("/admin/cti/plain").await.assert_status(404);
    boss.get("/admin/cti/nothing").await.assert_status(404);
    // Defaults, then bad input kept with messages by the fields.
    let page = boss.get("/admin/cti/care").await;
    page.assert_status(200);
    assert!(page.body.contains("IPCC needs a prior agreement"));
    assert!(page.body.contains("id=\"version-mobile\" checked"));
    let r = boss
        .post_form(
            "/admin/cti/care",
            &[
                ("version", "pbx"),
                ("tenant_id", "bad id!"),
                ("tenant_name", "Kept name"),
                ("log_monitoring", "on"),
            ],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("version")[0].contains("Choose a CTI version"));
    assert!(r.field_errors("tenant_id")[0].contains("letters, digits"));
    assert_eq!(r.input_value("tenant_name").as_deref(), Some("Kept name"));
    assert!(r.body.contains("id=\"log_monitoring\" checked"));
    // Saved, and shown again as saved.
    let r = save_settings(
        &mut boss,
        &[
            ("version", "ipcc"),
            ("log_monitoring", "on"),
            ("ob_ticket_auto", "on"),
        ],
    )
    .await;
    r.assert_status(303);
    let page = boss.get("/admin/cti/care").await;
    assert!(page.body.contains("The CTI settings have been saved."));
    assert!(page.body.contains("id=\"version-ipcc\" checked"));
    assert!(page.body.contains("id=\"ob_ticket_auto\" checked"));
    assert!(!page.body.contains("id=\"after_call_batch\" checked"));
    assert_eq!(page.input_value("tenant_id").as_deref(), Some("t-100"));
    // A suspended service: read only.
    boss.get("/admin/contracts").await;
    boss.post_form("/admin/services/care/status", &[("status", "suspended")])
        .await
        .assert_status(303);
    let page = boss.get("/admin/cti/care").await;
    assert!(page.body.contains("id=\"cti-read-only\""));
    assert!(page.body.contains("<fieldset disabled>"));
    boss.post_form("/admin/cti/care", &[("version", "mobile")])
        .await
        .assert_status(403);
}

async fn cti_logins_are_unique_in_the_org(app: TestApp) {
    let mut boss = cti_org(&app, "ctiuniq").await;
    let (a1, a2) = (
        app.member_id("ctiuniq", "agent1"),
        app.member_id("ctiuniq", "agent2"),
    );
    let page = boss.get("/admin/cti/agents").await;
    assert!(page.body.contains(&format!("id=\"agent-{a1}\"")));
    assert!(page.body.contains(&format!("id=\"agent-{a2}\"")));
    // The OWNER has no phone permission: not an agent.
    let boss_id = app.member_id("ctiuniq", "boss");
    assert!(!page.body.contains(&format!("id=\"agent-{boss_id}\"")));
    set_login(&mut boss, boss_id, "boss", "7000")
        .await
        .assert_status(404);
    let r = set_login(&mut boss, a1, "kim", "7001").await;
    r.assert_status(303);
    assert_eq!(r.location(), format!("/admin/cti/agents#agent-{a1}"));
    // One half only, bad characters: messages by the row's fields, typed values kept.
    let r = set_login(&mut boss, a2, "lee", "").await;
    r.assert_status(422);
    assert!(r.body.contains(&format!("id=\"cti-no-{a2}-error\"")));
    assert!(
        r.body
            .contains(&format!("id=\"cti-id-{a2}\" name=\"cti_id\" value=\"lee\""))
    );
    let r = set_login(&mut boss, a2, "lee", "70x").await;
    r.assert_status(422);
    assert!(r.body.contains("at most 20 digits"));
    // Clashes in the org, each named.
    let r = set_login(&mut boss, a2, "kim", "7002").await;
    r.assert_status(422);
    assert!(r.body.contains("already has this CTI ID"));
    let r = set_login(&mut boss, a2, "lee", "7001").await;
    r.assert_status(422);
    assert!(r.body.contains("already has this CTI number"));
    set_login(&mut boss, a2, "lee", "7002")
        .await
        .assert_status(303);
    // Search by name or login ID.
    let r = boss.get("/admin/cti/agents?q=AGENT2").await;
    assert!(r.body.contains(&format!("id=\"agent-{a2}\"")));
    assert!(!r.body.contains(&format!("id=\"agent-{a1}\"")));
    // Clearing both removes the login; the ID is free again.
    set_login(&mut boss, a1, "", "").await.assert_status(303);
    let page = boss.get("/admin/cti/agents").await;
    assert!(page.body.contains("The CTI login has been removed."));
    set_login(&mut boss, a2, "kim", "7002")
        .await
        .assert_status(303);
    use online_contact::db::schema::cti_agents::dsl as ca;
    let rows: Vec<(i64, String)> = ca::cti_agents
        .order(ca::member_id)
        .select((ca::member_id, ca::cti_id))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(rows, vec![(a2, "kim".to_string())]);
}

async fn parallel_claims_of_one_cti_id_leave_one_winner(app: TestApp) {
    let _boss = cti_org(&app, "ctirace").await;
    let (a1, a2) = (
        app.member_id("ctirace", "agent1"),
        app.member_id("ctirace", "agent2"),
    );
    let port = serve(app.state.clone(), None);
    let mut signed = Http::new(port, "ctirace.localhost:8080");
    signed.get("/login");
    let r = signed.post_form("/login", &[("login_id", "boss"), ("password", GOOD_PW)]);
    assert_eq!(r.status, 303, "{}", r.body);
    signed.get("/admin/cti/agents");
    for round in 0..4 {
        let id = format!("race{round}");
        let threads: Vec<_> = [a1, a2]
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let mut c = signed.clone();
                let id = id.clone();
                std::thread::spawn(move || {
                    let no = format!("8{round}{i}");
                    c.post_form(
                        &format!("/admin/cti/agents/{m}"),
                        &[("cti_id", &id), ("cti_no", &no)],
                    )
                    .status
                })
            })
            .collect();
        let mut got: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, vec![303, 422], "round {round}");
        use online_contact::db::schema::cti_agents::dsl as ca;
        let holders: i64 = ca::cti_agents
            .filter(ca::cti_id.eq(&id))
            .count()
            .get_result(&mut *app.conn())
            .unwrap();
        assert_eq!(holders, 1);
        // Free both for the next round.
        for m in [a1, a2] {
            let r = signed.post_form(
                &format!("/admin/cti/agents/{m}"),
                &[("cti_id", ""), ("cti_no", "")],
            );
            assert_eq!(r.status, 303);
        }
    }
}

async fn events_record_states_calls_tickets_and_after_call(app: TestApp) {
    let (mut boss, a1, key) = kim_on_cti(&app, "ctiev", true).await;
    // A state, then the same event again: accepted once.
    let batch = json!([state("s1", "kim", "ready", &at(60))]);
    let (s, body) = post_events(&app, &key, batch.clone()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body, json!({"accepted": 1, "duplicates": 0}));
    let (s, body) = post_events(&app, &key, batch).await;
    assert_eq!((s, &body), (200, &json!({"accepted": 0, "duplicates": 1})));
    assert_eq!(phone_state(&app, a1).as_deref(), Some("ready"));
    // An inbound call: ringing (no ticket), answered (ticket, assigned), ended (after call).
    let (s, body) = post_events(
        &app,
        &key,
        json!([
            call("c1", "kim", "in", "ringing", &at(50)),
            call("c2", "kim", "in", "answered", &at(49)),
        ]),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let t = tickets(&app);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0, "Inbound call 010-5555-0000");
    assert_eq!((t[0].1.as_str(), t[0].2), ("in_progress", Some(a1)));
    let (s, _) = post_events(
        &app,
        &key,
        json!([call("c3", "kim", "in", "ended", &at(47))]),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(tickets(&app).len(), 1, "one ticket per call");
    assert_eq!(phone_state(&app, a1).as_deref(), Some("after_call"));
    // Outbound with ob_ticket_auto off: unanswered → no ticket; answered → one.
    post_events(
        &app,
        &key,
        json!([
            call("o1", "kim", "out", "ringing", &at(40)),
            call("o2", "kim", "out", "ended", &at(39)),
        ]),
    )
    .await;
    assert_eq!(tickets(&app).len(), 1);
    post_events(
        &app,
        &key,
        json!([
            call("o3", "kim", "out", "ringing", &at(38)),
            call("o4", "kim", "out", "answered", &at(37)),
            call("o5", "kim", "out", "ended", &at(36)),
        ]),
    )
    .await;
    let t = tickets(&app);
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].0, "Outbound call 010-5555-0000");
    // ob_ticket_auto on and after_call_batch on: an unanswered outbound call gets its
    // ticket, and its end puts the agent into ticket work.
    save_settings(
        &mut boss,
        &[
            ("log_monitoring", "on"),
            ("ob_ticket_auto", "on"),
            ("after_call_batch", "on"),
        ],
    )
    .await
    .assert_status(303);
    post_events(
        &app,
        &key,
        json!([
            call("o6", "kim", "out", "ringing", &at(30)),
            call("o7", "kim", "out", "ended", &at(29)),
        ]),
    )
    .await;
    assert_eq!(tickets(&app).len(), 3);
    assert_eq!(phone_state(&app, a1).as_deref(), Some("ticket_work"));
    // A batch with bad items: the good one is kept, each bad one named.
    let (s, body) = post_events(
        &app,
        &key,
        json!([
            state("g1", "kim", "break", &at(20)),
            state("b1", "nobody", "ready", &at(20)),
            json!({"event_id": "b2", "service_id": "plain", "at": at(20), "cti_id": "kim", "state": "ready"}),
            json!({"event_id": "b3", "service_id": "care", "at": "soon", "cti_id": "kim", "state": "ready"}),
            json!({"event_id": "b4", "service_id": "care", "at": at(20), "cti_id": "kim", "state": "nap"}),
        ]),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["accepted"], 1);
    let errors = body["errors"].as_object().unwrap();
    let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(keys, ["events[1]", "events[2]", "events[3]", "events[4]"]);
    assert!(errors["events[1]"][0].as_str().unwrap().contains("cti_id"));
    assert!(
        errors["events[2]"][0]
            .as_str()
            .unwrap()
            .contains("no phone CTI")
    );
    assert!(
        errors["events[3]"][0]
            .as_str()
            .unwrap()
            .contains("RFC 3339")
    );
    assert_eq!(phone_state(&app, a1).as_deref(), Some("break"));
    // No key, a wrong key, a body that is not a batch.
    let (s, _) = post_events(&app, "nope", json!([])).await;
    assert_eq!(s, 401);
    let (s, _) = post_events(&app, &key, json!([])).await;
    assert_eq!(s, 400);
    let many: Vec<_> = (0..101)
        .map(|i| state(&format!("m{i}"), "kim", "ready", &at(5)))
        .collect();
    let (s, body) = post_events(&app, &key, json!(many)).await;
    assert_eq!(s, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("1 to 100"));
    let huge: Vec<_> = (0..100)
        .map(|i| state(&format!("h{i}{}", "x".repeat(1400)), "kim", "ready", &at(5)))
        .collect();
    let (s, _) = post_events(&app, &key, json!(huge)).await;
    assert_eq!(s, 413);
    // Every event was logged while monitoring was on.
    use online_contact::db::schema::cti_events::dsl as e;
    let unlogged: i64 = e::cti_events
        .filter(e::logged.eq(false))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(unlogged, 0);
}

async fn widget_states_and_my_performance(app: TestApp) {
    let (_boss, _a1, key) = kim_on_cti(&app, "ctiwid", false).await;
    let mut agent = app.ws_login("ctiwid", "agent1", GOOD_PW).await;
    // The widget: logged out until a state; chat toggle beside it.
    let home = agent.get("/").await;
    assert!(home.body.contains("id=\"phone-widget\""), "{}", home.body);
    assert!(home.body.contains("Not logged in to the CTI"));
    assert!(home.body.contains("id=\"chat-state-online\""));
    // agent2 has no CTI login: a chat toggle only.
    let mut agent2 = app.ws_login("ctiwid", "agent2", GOOD_PW).await;
    let home2 = agent2.get("/").await;
    assert!(home2.body.contains("id=\"chat-state-online\""));
    assert!(!home2.body.contains("id=\"state-ready\""));
    let r = agent2
        .post_form(
            "/me/agent-state",
            &[("state", "ready"), ("service", "care")],
        )
        .await;
    r.assert_status(403);
    // A state from the widget, recorded like an API event.
    agent.get("/services/care").await;
    let r = agent
        .post_form(
            "/me/agent-state",
            &[
                ("state", "ready"),
                ("service", "care"),
                ("next", "/services/care"),
            ],
        )
        .await;
    r.assert_status(303);
    assert_eq!(r.location(), "/services/care");
    let page = agent.get("/services/care").await;
    assert!(page.body.contains("Logged in to the CTI"));
    assert!(page.body.contains("<span id=\"widget-state\">Ready</span>"));
    agent
        .post_form("/me/agent-state", &[("state", "nap")])
        .await;
    let page = agent.get("/").await;
    assert!(page.body.contains("Choose one of the offered states."));
    agent
        .post_form(
            "/me/chat-state",
            &[("state", "online"), ("service", "care")],
        )
        .await
        .assert_status(303);
    let page = agent.get("/").await;
    assert!(
        page.body
            .contains("<span id=\"widget-chat-state\">Online</span>")
    );
    // A scripted day: ready since before midnight (service zone), calls, a break.
    let tz: chrono_tz::Tz = "Asia/Seoul".parse().unwrap();
    let now = chrono::Utc::now();
    let day = now.with_timezone(&tz).date_naive();
    let midnight = online_contact::admin::cti::events::day_bounds(tz, day).0;
    let midnight =
        chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(midnight, chrono::Utc);
    let since = (now - midnight).num_seconds();
    let step = (since / 4).clamp(1, 600);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let t1 = midnight + chrono::Duration::seconds(step);
    let t2 = midnight + chrono::Duration::seconds(2 * step);
    let mut ended_in = call("p3", "kim", "in", "ended", &fmt(t1));
    ended_in["talk_seconds"] = json!(125);
    let mut ended_out = call("p4", "kim", "out", "ended", &fmt(t1));
    ended_out["talk_seconds"] = json!(30);
    let (s, body) = post_events(
        &app,
        &key,
        json!([
            state(
                "p1",
                "kim",
                "ready",
                &fmt(midnight - chrono::Duration::minutes(30))
            ),
            call("p2", "kim", "in", "answered", &fmt(midnight)),
            ended_in,
            ended_out,
            state("p5", "kim", "break", &fmt(t2)),
        ]),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let p = agent.get("/me/performance?service=care").await;
    p.assert_status(200);
    assert!(
        p.body
            .contains("<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript>")
    );
    let dd = |id: &str| -> String {
        p.body
            .split(&format!("id=\"{id}\">"))
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(dd("perf-ib"), "1 / 0:02:05");
    assert_eq!(dd("perf-ob"), "1 / 0:00:30");
    // Ready from midnight (not from before it) to the call's end, then after-call until
    // the break: the widget's ready earlier today was replaced by the scripted timeline
    // only where it is later, so count what the events say.
    let ready = online_contact::workspace::cti::duration(step);
    assert_eq!(dd("perf-phone-ready"), ready, "{}", p.body);
    assert_eq!(dd("perf-in-progress"), "1");
    // The workspace home counts it too.
    let home = agent.get("/").await;
    assert!(
        home.body.contains("id=\"home-in-progress\">1<"),
        "{}",
        home.body
    );
    assert!(home.body.contains("id=\"home-unassigned\">0<"));
    assert_eq!(dd("perf-unassigned"), "0");
    assert!(p.body.contains("id=\"perf-chat-online\""));
    // Korean page: the day in Korean.
    let p = agent.get("/me/performance").await;
    assert!(p.body.contains("id=\"perf-day\""));
}

async fn cti_log_downloads_as_typed_xlsx(app: TestApp) {
    let (mut boss, _a1, key) = kim_on_cti(&app, "ctilog", true).await;
    let mut c = call("l2", "kim", "in", "ended", &at(2));
    c["customer_number"] = json!("=HYPERLINK(\"x\")");
    c["cause"] = json!("normal");
    let (s, body) = post_events(&app, &key, json!([state("l1", "kim", "ready", &at(3)), c])).await;
    assert_eq!(s, 200, "{body}");
    let page = boss.get("/me/cti-log").await;
    page.assert_status(200);
    assert!(page.body.contains("<option value=\"care\" selected>"));
    assert!(!page.body.contains("value=\"plain\""));
    // Bad day: the form again with the message.
    let r = boss
        .get("/me/cti-log/download?service=care&date=2026-13-01")
        .await;
    r.assert_status(422);
    assert!(r.field_errors("date")[0].contains("YYYY-MM-DD"));
    let r = boss
        .get("/me/cti-log/download?service=care&date=2999-01-01")
        .await;
    r.assert_status(422);
    let tz: chrono_tz::Tz = "Asia/Seoul".parse().unwrap();
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    // Events 2-3 minutes ago may fall on yesterday just after midnight: read both days.
    let mut rows: Vec<Vec<Data>> = Vec::new();
    for d in [today.pred_opt().unwrap(), today] {
        let r = boss
            .get(&format!("/me/cti-log/download?service=care&date={d}"))
            .await;
        r.assert_status(200);
        assert!(r.header("content-type").unwrap().contains("spreadsheetml"));
        assert!(
            r.header("content-disposition")
                .unwrap()
                .contains("attachment")
        );
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes.clone())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let mut it = sheet.rows();
        let head = it.next().unwrap();
        assert_eq!(head[0], Data::String("Time".into()));
        assert_eq!(head[4], Data::String("Event".into()));
        rows.extend(it.map(<[Data]>::to_vec));
    }
    // ready, the call's end, and the after-call state it caused.
    assert_eq!(rows.len(), 3, "{rows:?}");
    let ended = rows
        .iter()
        .find(|r| r[4] == Data::String("Ended".into()))
        .unwrap();
    assert!(matches!(ended[0], Data::DateTime(_)), "{:?}", ended[0]);
    assert_eq!(ended[1], Data::String("Name agent1".into()));
    assert_eq!(ended[2], Data::String("agent1".into()));
    assert_eq!(ended[3], Data::String("kim".into()));
    assert_eq!(ended[5], Data::String("Inbound".into()));
    assert_eq!(ended[6], Data::String("'=HYPERLINK(\"x\")".into()));
    assert_eq!(ended[7], Data::Float(4.0));
    assert_eq!(ended[8], Data::Float(95.0));
    assert_eq!(ended[9], Data::String("normal".into()));
    assert!(
        rows.iter()
            .any(|r| r[4] == Data::String("After call".into()))
    );
}

async fn cti_is_for_the_right_people_of_the_right_org(app: TestApp) {
    let (mut boss, a1, key_a) = kim_on_cti(&app, "ctiown", false).await;
    let (mut other, o1, key_b) = kim_on_cti(&app, "ctioth", false).await;
    // Org B's key cannot post for org A's member: its own "kim" gets the event.
    let (s, _) = post_events(&app, &key_b, json!([state("x1", "kim", "break", &at(1))])).await;
    assert_eq!(s, 200);
    assert_eq!(phone_state(&app, a1), None);
    assert_eq!(phone_state(&app, o1).as_deref(), Some("break"));
    // The same event ID in another org is another event.
    let (s, body) = post_events(&app, &key_a, json!([state("x1", "kim", "ready", &at(1))])).await;
    assert_eq!((s, &body["accepted"]), (200, &json!(1)));
    // Agents: no CTI management, no CTI log; their own performance only.
    let mut agent = app.ws_login("ctiown", "agent1", GOOD_PW).await;
    let home = agent.get("/").await;
    assert!(home.body.contains("id=\"nav-performance\""));
    assert!(!home.body.contains("id=\"nav-cti-log\""));
    assert!(boss.get("/").await.body.contains("id=\"nav-cti-log\""));
    for p in [
        "/admin/cti",
        "/admin/cti/agents",
        "/admin/cti/care",
        "/me/cti-log",
    ] {
        agent.get(p).await.assert_status(403);
    }
    agent
        .get("/me/performance?service=plain")
        .await
        .assert_status(404);
    agent
        .get("/me/performance?service=care")
        .await
        .assert_status(200);
    agent
        .post_form(
            &format!("/admin/cti/agents/{a1}"),
            &[("cti_id", "x"), ("cti_no", "1")],
        )
        .await
        .assert_status(403);
    // Org B's admins: org A's service and members are not theirs.
    other.get("/admin/cti/agents").await;
    other
        .post_form(
            &format!("/admin/cti/agents/{a1}"),
            &[("cti_id", "z"), ("cti_no", "9")],
        )
        .await
        .assert_status(404);
    let r = other
        .get("/me/cti-log/download?service=nosuch&date=2026-01-01")
        .await;
    r.assert_status(422);
    // A service admin of care may download its log.
    boss.get("/services/care/members").await;
    boss.post_form(
        &format!("/services/care/members/{a1}"),
        &[("role", "admin"), ("phone", "on")],
    )
    .await
    .assert_status(303);
    let mut agent = app.ws_login("ctiown", "agent1", GOOD_PW).await;
    assert!(agent.get("/").await.body.contains("id=\"nav-cti-log\""));
    agent.get("/me/cti-log").await.assert_status(200);
    // Without the CSRF token, a state change is refused.
    let mut bare = app.ws_login("ctiown", "agent2", GOOD_PW).await;
    let req = actix_web::test::TestRequest::post()
        .uri("/me/chat-state")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload("state=online");
    let r = bare.send_request(req).await;
    assert_eq!(r.status, 403);
}
