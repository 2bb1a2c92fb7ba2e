//! Global management, contract tabs: services, contracts, status, fees, org key.

use diesel::prelude::*;
use online_contact::pricing::{DEFAULT, PriceBook, Selection};

use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    add_service_with_banner_and_languages,
    service_form_answers_bad_input,
    contract_estimate_and_once_per_day,
    concurrent_contract_changes_one_wins,
    contract_form_answers_bad_input,
    suspend_terminate_and_reuse_the_id,
    only_admins_and_only_their_org,
    fees_table_chart_and_history,
    fee_search_answers_bad_input,
    org_key_is_shown_once,
    org_time_zone_is_the_default_of_new_services,
    demo_figures_match_a_full_recomputation,
    contract_list_searches_filters_sorts_and_pages,
    pages_kept_per_version_show_every_change_at_once,
    kept_pages_stay_fresh_across_instances_under_parallel_reads,
);

/// 25 services: 20 a page; search by name or ID in any case, filter by status, sort; a
/// suspended service's row is found on its page again.
async fn contract_list_searches_filters_sorts_and_pages(app: TestApp) {
    online_contact::admin::contracts::demo::seed(&app.state, "paged", 25, 1, GOOD_PW).unwrap();
    let mut c = app.ws_login("paged", "owner", GOOD_PW).await;
    let rows = |body: &str| -> Vec<String> {
        body.split("<tr id=\"service-")
            .skip(1)
            .map(|r| r.split('"').next().unwrap().to_string())
            .collect()
    };
    let first = c.get("/admin/contracts").await;
    first.assert_status(200);
    assert_eq!(rows(&first.body).len(), 20);
    assert_eq!(rows(&first.body)[0], "svcaaa");
    assert!(first.body.contains("Services found: 25"));
    assert!(
        first
            .body
            .contains("<span aria-current=\"page\" class=\"current\">1</span>")
    );
    assert!(first.body.contains("href=\"/admin/contracts?page=2\""));
    let second = c.get("/admin/contracts?page=2").await;
    assert_eq!(rows(&second.body).len(), 5);
    // Out-of-range or junk pages show the nearest real page.
    assert_eq!(rows(&c.get("/admin/contracts?page=99").await.body).len(), 5);
    assert_eq!(rows(&c.get("/admin/contracts?page=x").await.body).len(), 20);
    // Newest first: the last created on top.
    let newest = c.get("/admin/contracts?sort=newest").await;
    assert_eq!(rows(&newest.body)[0], "svcaay");
    // Search by ID (any case) and by name.
    let found = c.get("/admin/contracts?q=SVCAAB").await;
    assert_eq!(rows(&found.body), vec!["svcaab"]);
    assert_eq!(found.input_value("q").as_deref(), Some("SVCAAB"));
    let found = c.get("/admin/contracts?q=service+2").await;
    assert_eq!(rows(&found.body).len(), 6, "Service 2 and 20-24");
    let none = c.get("/admin/contracts?q=nothing").await;
    assert!(none.body.contains("id=\"no-services-found\""));
    // Suspend one on page 2: back on its page, and the status filter finds it alone.
    c.get("/admin/services/svcaay/suspend").await;
    let r = c
        .post_form("/admin/services/svcaay/status", &[("status", "suspended")])
        .await;
    let back = c.get(r.location()).await;
    assert!(rows(&back.body).contains(&"svcaay".to_string()));
    assert!(
        back.body
            .contains("<span aria-current=\"page\" class=\"current\">2</span>")
    );
    let suspended = c.get("/admin/contracts?status=suspended").await;
    assert_eq!(rows(&suspended.body), vec!["svcaay"]);
    assert!(
        suspended
            .body
            .contains("<option value=\"suspended\" selected>")
    );
    // By cost, highest first.
    let by_cost = c.get("/admin/contracts?sort=cost").await;
    let costs: Vec<i64> = {
        use online_contact::db::schema::services::dsl as s;
        let ids = rows(&by_cost.body);
        ids.iter()
            .map(|id| {
                s::services
                    .filter(s::service_id.eq(id))
                    .select(s::latest_cost)
                    .first::<Option<i64>>(&mut *app.conn())
                    .unwrap()
                    .unwrap_or(0)
            })
            .collect()
    };
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
}

/// The contract list and the fee page read only what they need (each service's latest
/// contract; contracts from the first month shown). Their figures must be those of a
/// recomputation from every contract row, the way the pages read them before.
async fn demo_figures_match_a_full_recomputation(app: TestApp) {
    use online_contact::admin::contracts::billing::{Contract, ServiceBilling, month_charge};
    online_contact::admin::contracts::demo::seed(&app.state, "figs", 6, 3, GOOD_PW).unwrap();
    // One service whose contract in force is older than every month shown, and one whose
    // contract changed mid-month: the reads from "the first month shown" must still see
    // them (the demo alone changes contracts on the first of each month).
    let sixteen_ago = (chrono::Utc::now() - chrono::Duration::days(480))
        .format("%Y-%m-%d")
        .to_string();
    app.exec(&format!(
        "DELETE FROM contracts WHERE service_ref = (SELECT MIN(id) FROM services) \
         AND effective_date > '{sixteen_ago}'"
    ));
    app.exec(
        "UPDATE contracts SET effective_date = substr(effective_date, 1, 8) || '17' \
         WHERE service_ref = (SELECT MAX(id) FROM services)",
    );
    app.exec(
        "UPDATE services SET latest_effective = (SELECT MAX(c.effective_date) FROM contracts c \
         WHERE c.service_ref = services.id)",
    );
    app.exec(
        "UPDATE services SET latest_cost = (SELECT c.monthly_cost FROM contracts c \
         WHERE c.service_ref = services.id AND c.effective_date = services.latest_effective)",
    );
    let mut c = app.ws_login("figs", "owner", GOOD_PW).await;
    let book = PriceBook::parse(DEFAULT).unwrap();
    let i18n = online_contact::i18n::I18n::load().unwrap();
    let services: Vec<(i64, String, Option<String>)> = {
        use online_contact::db::schema::services::dsl as s;
        s::services
            .order(s::id)
            .select((s::id, s::service_id, s::terminated_on))
            .load(&mut *app.conn())
            .unwrap()
    };
    let contracts: Vec<(i64, String, i64)> = {
        use online_contact::db::schema::contracts::dsl as k;
        k::contracts
            .select((k::service_ref, k::effective_date, k::monthly_cost))
            .load(&mut *app.conn())
            .unwrap()
    };
    assert!(contracts.len() > 100, "three years of history");
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    // The list: each service's latest contract.
    let list = c.get("/admin/contracts").await;
    for (id, sid, _) in &services {
        let latest = contracts
            .iter()
            .filter(|(s, _, _)| s == id)
            .max_by(|a, b| a.1.cmp(&b.1))
            .map(|r| r.2)
            .unwrap();
        let row = list
            .body
            .split(&format!("<tr id=\"service-{sid}\">"))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            row.contains(&book.money(&i18n, online_contact::i18n::Lang::En, latest)),
            "{sid}: {row}"
        );
    }
    // The fees of twelve past months, from all contracts.
    let today = chrono::Utc::now().date_naive();
    let last = online_contact::admin::contracts::billing::months_back(
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
        2, // clear of the current month in any time zone
    );
    let first = online_contact::admin::contracts::billing::months_back(last.0, last.1, 11);
    let page = c
        .get(&format!(
            "/admin/fees?from={}-{:02}&to={}-{:02}",
            first.0, first.1, last.0, last.1
        ))
        .await;
    page.assert_status(200);
    for (y, m) in online_contact::admin::contracts::billing::months(first, last) {
        let mut total = 0;
        for (id, _, terminated) in &services {
            let mut all: Vec<Contract> = contracts
                .iter()
                .filter(|(s, _, _)| s == id)
                .map(|(_, d, cost)| Contract {
                    effective: day(d),
                    monthly_cost: *cost,
                })
                .collect();
            all.sort_by_key(|c| c.effective);
            let b = ServiceBilling {
                contracts: all,
                terminated_on: terminated.as_deref().map(day),
            };
            total += month_charge(&b, y, m, None);
        }
        let shown = page
            .body
            .split(&format!("id=\"total-{y}-{m:02}\">"))
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(
            shown,
            book.money(&i18n, online_contact::i18n::Lang::En, total),
            "{y}-{m:02}"
        );
    }
}

async fn org_time_zone_is_the_default_of_new_services(app: TestApp) {
    let mut c = app.admin("tzorg").await;
    let page = c.get("/admin/org").await;
    assert!(page.body.contains("<option value=\"Asia/Seoul\" selected>"));
    let r = c
        .post_form("/admin/org/timezone", &[("timezone", "Mars/Olympus")])
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("timezone"),
        vec!["Choose a time zone from the list."]
    );
    let r = c
        .post_form("/admin/org/timezone", &[("timezone", &"x".repeat(10_000))])
        .await;
    r.assert_status(422);
    c.post_form("/admin/org/timezone", &[("timezone", "Asia/Tokyo")])
        .await
        .assert_status(303);
    let page = c.get("/admin/org").await;
    assert!(page.body.contains("time zone has been saved."));
    let form = c.get("/admin/services/new").await;
    assert!(form.body.contains("<option value=\"Asia/Tokyo\" selected>"));
    // The service ID's hint is tied to its field.
    assert!(form.body.contains("aria-describedby=\"service_id-hint\""));
    assert!(
        form.body
            .contains("<p class=\"hint\" id=\"service_id-hint\">")
    );
    let mut agent = app.ws_login("tzorg", "agent1", GOOD_PW).await;
    agent
        .post_form("/admin/org/timezone", &[("timezone", "UTC")])
        .await
        .assert_status(403);
}

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82";

pub async fn add_service(c: &mut Client, id: &str, kind: &str) -> crate::support::Resp {
    c.get("/admin/services/new").await.assert_status(200);
    c.post_multipart(
        "/admin/services/new",
        &[
            ("kind", kind),
            ("name", &format!("Service {id}")),
            ("service_id", id),
            ("languages", "ko"),
            ("languages", "en"),
            ("languages", "ja"),
            ("default_language", "en"),
            ("timezone", "Asia/Seoul"),
            ("editor", "html"),
        ],
        &[("banner", "logo.png", PNG)],
    )
    .await
}

fn book() -> PriceBook {
    PriceBook::parse(DEFAULT).unwrap()
}

fn services_count(app: &TestApp) -> i64 {
    use online_contact::db::schema::services::dsl as s;
    s::services.count().get_result(&mut *app.conn()).unwrap()
}

async fn add_service_with_banner_and_languages(app: TestApp) {
    let mut c = app.admin("svc").await;
    let r = add_service(&mut c, "support", "counseling").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/admin/services/support/contract");
    let list = c.get("/admin/contracts").await;
    assert!(list.body.contains("Service support"));
    assert!(list.body.contains("Not contracted"));
    assert!(list.body.contains("/admin/services/support/contract"));
    let banner = c.get("/services/support/banner").await;
    banner.assert_status(200);
    assert_eq!(banner.header("content-type"), Some("image/png"));
    use online_contact::db::schema::services::dsl as s;
    let langs: String = s::services
        .select(s::languages)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(langs, "en,ko,ja", "the chosen default comes first");
    // Anonymous: no banner.
    app.ws("svc")
        .get("/services/support/banner")
        .await
        .assert_status(403);
}

async fn service_form_answers_bad_input(app: TestApp) {
    let mut c = app.admin("badsvc").await;
    c.get("/admin/services/new").await;
    // What a browser sends with nothing filled in.
    let r = c
        .post_multipart(
            "/admin/services/new",
            &[("name", ""), ("service_id", ""), ("timezone", "")],
            &[("banner", "", b"")],
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.field_errors("kind"), vec!["Choose one of the options."]);
    assert_eq!(r.field_errors("name"), vec!["This field is required."]);
    assert_eq!(
        r.field_errors("service_id"),
        vec!["This field is required."]
    );
    assert_eq!(
        r.field_errors("languages"),
        vec!["Choose at least one language."]
    );
    assert_eq!(r.field_errors("timezone"), vec!["This field is required."]);
    assert_eq!(r.field_errors("editor"), vec!["Choose one of the options."]);
    let long = "가".repeat(10_000);
    let r = c
        .post_multipart(
            "/admin/services/new",
            &[
                ("kind", "counseling"),
                ("name", &long),
                ("service_id", "bad id1"),
                ("languages", "xx"),
                ("timezone", "Mars/Base"),
                ("editor", "word"),
            ],
            &[("banner", "fake.png", b"I am only text")],
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.field_errors("name"), vec!["Use at most 50 characters."]);
    assert_eq!(
        r.field_errors("service_id"),
        vec!["Use only ASCII letters (a–z, A–Z)."]
    );
    assert_eq!(
        r.field_errors("languages"),
        vec!["Choose languages from the list."]
    );
    assert_eq!(
        r.field_errors("timezone"),
        vec!["Choose a time zone from the list."]
    );
    assert_eq!(
        r.field_errors("banner"),
        vec!["The banner must be a PNG, JPEG or GIF image."]
    );
    assert_eq!(
        r.input_value("name").map(|v| v.chars().count()),
        Some(10_000)
    );
    assert_eq!(r.input_value("service_id").as_deref(), Some("bad id1"));
    // A 20 MiB upload: a message, nothing saved.
    let big = vec![0x89u8; 20 * 1024 * 1024];
    let r = c
        .post_multipart(
            "/admin/services/new",
            &[
                ("kind", "issue"),
                ("name", "Big"),
                ("service_id", "bigone"),
                ("languages", "ko"),
                ("timezone", "UTC"),
                ("editor", "text"),
            ],
            &[("banner", "big.png", &big)],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("banner"),
        vec!["The banner may be at most 1 MiB."]
    );
    assert_eq!(services_count(&app), 0);
    // Duplicate service IDs, case-insensitively.
    add_service(&mut c, "dup", "issue").await.assert_status(303);
    let r = add_service(&mut c, "DUP", "issue").await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("service_id"),
        vec!["This service ID is already used by another service of the organization."]
    );
    // Without the CSRF token.
    let r = c
        .post_raw(
            "/admin/services/new",
            "x".into(),
            "multipart/form-data; boundary=x",
        )
        .await;
    r.assert_status(403);
    // Edit: same rules.
    c.get("/admin/services/dup/edit").await.assert_status(200);
    let r = c
        .post_multipart(
            "/admin/services/dup/edit",
            &[
                ("name", ""),
                ("languages", "ko"),
                ("timezone", "UTC"),
                ("editor", "text"),
            ],
            &[],
        )
        .await;
    r.assert_status(422);
    assert_eq!(r.field_errors("name"), vec!["This field is required."]);
    let r = c
        .post_multipart(
            "/admin/services/dup/edit",
            &[
                ("name", "Renamed"),
                ("languages", "ja"),
                ("timezone", "Asia/Tokyo"),
                ("editor", "text"),
            ],
            &[],
        )
        .await;
    r.assert_status(303);
    assert!(c.get("/admin/contracts").await.body.contains("Renamed"));
}

fn contract_fields<'a>(seats: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("cti_inbound", "on"),
        ("volume_cti_inbound", "1500"),
        ("chat", "on"),
        ("volume_chat", "2500"),
        ("seats", seats),
        ("action", action),
    ]
}

async fn contract_estimate_and_once_per_day(app: TestApp) {
    let mut c = app.admin("ctr").await;
    add_service(&mut c, "help", "counseling").await;
    let page = c.get("/admin/services/help/contract").await;
    page.assert_status(200);
    for f in [
        "email",
        "helpcenter",
        "inquiry",
        "cti_inbound",
        "cti_outbound",
        "sms",
        "chat",
        "chatbot",
        "open_api",
    ] {
        assert!(page.body.contains(&format!("name=\"{f}\"")), "{f}");
        assert!(page.body.contains(&format!("name=\"volume_{f}\"")), "{f}");
    }
    let b = book();
    let mut sel = Selection {
        seats: 10,
        features: Default::default(),
    };
    sel.features.insert("cti_inbound".into(), 1500);
    sel.features.insert("chat".into(), 2500);
    let expected = crate::support::money(
        online_contact::i18n::Lang::En,
        b.monthly_cost("counseling", &sel),
    );
    let est = c
        .post_form(
            "/admin/services/help/contract",
            &contract_fields("10", "estimate"),
        )
        .await;
    est.assert_status(200);
    assert!(
        est.body
            .contains(&format!("<strong id=\"estimate\">{expected}</strong>")),
        "{expected}"
    );
    assert_eq!(services_contracts(&app), 0, "an estimate saves nothing");
    let r = c
        .post_form(
            "/admin/services/help/contract",
            &contract_fields("10", "contract"),
        )
        .await;
    r.assert_status(303);
    let list = c.get("/admin/contracts").await;
    assert!(list.body.contains(&expected));
    c.get("/admin/services/help/contract").await;
    let again = c
        .post_form(
            "/admin/services/help/contract",
            &contract_fields("12", "contract"),
        )
        .await;
    again.assert_status(409);
    assert!(
        again
            .body
            .contains("Contract info can be changed once per day")
    );
    assert_eq!(services_contracts(&app), 1);
    // Issue management offers no CTI.
    add_service(&mut c, "bugs", "issue").await;
    let page = c.get("/admin/services/bugs/contract").await;
    assert!(!page.body.contains("name=\"cti_inbound\""));
}

fn services_contracts(app: &TestApp) -> i64 {
    use online_contact::db::schema::contracts::dsl as k;
    k::contracts.count().get_result(&mut *app.conn()).unwrap()
}

async fn concurrent_contract_changes_one_wins(app: TestApp) {
    let mut a = app.admin("race").await;
    add_service(&mut a, "race", "counseling").await;
    let mut b = app.ws_login("race", "boss", GOOD_PW).await;
    a.get("/admin/services/race/contract").await;
    b.get("/admin/services/race/contract").await;
    let (fa, fb) = (
        contract_fields("5", "contract"),
        contract_fields("7", "contract"),
    );
    let (ra, rb) = tokio::join!(
        a.post_form("/admin/services/race/contract", &fa),
        b.post_form("/admin/services/race/contract", &fb)
    );
    let mut s = [ra.status, rb.status];
    s.sort();
    assert_eq!(s, [303, 409]);
    assert_eq!(services_contracts(&app), 1);
}

async fn contract_form_answers_bad_input(app: TestApp) {
    let mut c = app.admin("badctr").await;
    add_service(&mut c, "svc", "counseling").await;
    c.get("/admin/services/svc/contract").await;
    let r = c
        .post_form(
            "/admin/services/svc/contract",
            &[
                ("chat", "on"),
                ("volume_chat", "abc"),
                ("seats", "-1"),
                ("action", "contract"),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("seats"),
        vec!["Enter a whole number from 0 to 100000."]
    );
    assert_eq!(
        r.field_errors("volume_chat"),
        vec!["Enter a whole number from 0 to 1000000000."]
    );
    assert_eq!(r.input_value("volume_chat").as_deref(), Some("abc"));
    let r = c
        .post_form(
            "/admin/services/svc/contract",
            &[("seats", "3"), ("action", "contract")],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("features"),
        vec!["Choose at least one feature."]
    );
    let r = c
        .post_form(
            "/admin/services/svc/contract",
            &[
                ("chat", "on"),
                ("seats", &"9".repeat(10_000)),
                ("action", "contract"),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(services_contracts(&app), 0);
    c.get("/admin/services/nosuch/contract")
        .await
        .assert_status(404);
}

async fn suspend_terminate_and_reuse_the_id(app: TestApp) {
    let mut c = app.admin("life").await;
    add_service(&mut c, "life", "issue").await;
    // Terminating an active service is not offered.
    let r = c.get("/admin/services/life/terminate").await;
    assert_eq!(r.location(), "/admin/contracts");
    c.get("/admin/contracts").await;
    c.post_form("/admin/services/life/terminate", &[("confirm", "on")])
        .await
        .assert_status(303);
    assert!(
        c.get("/admin/contracts")
            .await
            .body
            .contains("Only a suspended service can be terminated")
    );
    // Suspending asks first, naming the service; asking changes nothing.
    let ask = c.get("/admin/services/life/suspend").await;
    ask.assert_status(200);
    assert!(
        ask.body.contains("Suspend Service life (life)?"),
        "{}",
        ask.body
    );
    assert!(ask.body.contains("name=\"status\" value=\"suspended\""));
    assert!(
        c.get("/admin/contracts")
            .await
            .body
            .contains("href=\"/admin/services/life/suspend\"")
    );
    c.get("/admin/services/life/suspend").await;
    let r = c
        .post_form("/admin/services/life/status", &[("status", "suspended")])
        .await;
    r.assert_status(303);
    // Suspended: nothing to ask, back to its row.
    assert_eq!(
        c.get("/admin/services/life/suspend").await.location(),
        "/admin/contracts?focus=life#service-life"
    );
    // Back at the service's row, not the top of the list.
    assert_eq!(r.location(), "/admin/contracts?focus=life#service-life");
    let list = c.get("/admin/contracts").await;
    assert!(
        list.body
            .contains("A suspended service cannot be used but is still billed.")
    );
    assert!(list.body.contains("id=\"terminate-life\""));
    c.post_form("/admin/services/life/status", &[("status", "nonsense")])
        .await
        .assert_status(400);
    c.get("/admin/services/life/terminate")
        .await
        .assert_status(200);
    let r = c.post_form("/admin/services/life/terminate", &[]).await;
    r.assert_status(422);
    assert_eq!(r.field_errors("confirm"), vec!["Tick the box to confirm."]);
    c.post_form("/admin/services/life/terminate", &[("confirm", "on")])
        .await
        .assert_status(303);
    let list = c.get("/admin/contracts").await;
    assert!(list.body.contains("Terminated"));
    c.get("/admin/services/life/contract")
        .await
        .assert_status(404);
    // The ID is free again.
    add_service(&mut c, "life", "issue")
        .await
        .assert_status(303);
    assert_eq!(services_count(&app), 2);
}

async fn only_admins_and_only_their_org(app: TestApp) {
    let mut owner = app.admin("mine").await;
    add_service(&mut owner, "secret", "counseling").await;
    let mut agent = app.ws_login("mine", "agent1", GOOD_PW).await;
    for path in [
        "/admin/contracts",
        "/admin/services/new",
        "/admin/services/secret/edit",
        "/admin/services/secret/contract",
        "/admin/fees",
        "/admin/org",
    ] {
        agent.get(path).await.assert_status(403);
    }
    for path in [
        "/admin/services/secret/status",
        "/admin/services/secret/terminate",
        "/admin/org/api-key",
        "/admin/services/secret/contract",
    ] {
        agent
            .post_form(path, &[("status", "suspended"), ("confirm", "on")])
            .await
            .assert_status(403);
    }
    assert!(!agent.get("/").await.body.contains("/admin/contracts"));
    assert_eq!(
        app.ws("mine").get("/admin/contracts").await.location(),
        "/login?next=%2Fadmin%2Fcontracts"
    );
    // Another org's admin cannot reach this org's service by its ID.
    let mut other = app.admin("theirs").await;
    other
        .get("/admin/services/secret/contract")
        .await
        .assert_status(404);
    other
        .get("/admin/services/secret/edit")
        .await
        .assert_status(404);
    other
        .get("/services/secret/banner")
        .await
        .assert_status(404);
    other
        .post_form("/admin/services/secret/status", &[("status", "suspended")])
        .await
        .assert_status(404);
    assert!(!other.get("/admin/contracts").await.body.contains("secret"));
    assert!(
        !other
            .get("/admin/fees?scope=service:secret")
            .await
            .body
            .contains("Service secret")
    );
}

/// A contract row written directly (history that the forms cannot backdate).
fn write_contract(app: &TestApp, service_ref: i64, day: &str, cost: i64) {
    app.exec(&format!(
        "INSERT INTO contracts (service_ref, effective_date, selection, monthly_cost, created_at) \
         VALUES ({service_ref}, '{day}', '{{}}', {cost}, '{day} 00:00:00')"
    ));
}

async fn fees_table_chart_and_history(app: TestApp) {
    let mut c = app.admin("fees").await;
    add_service(&mut c, "old", "counseling").await;
    add_service(&mut c, "new", "issue").await;
    // Three years of history, written directly: 30,000 from 2024-01-01, 60,000 from 2025-06-16.
    let old_id = app.service_ref("old");
    write_contract(&app, old_id, "2024-01-01", 30000);
    write_contract(&app, old_id, "2025-06-16", 60000);
    let r = c
        .get("/admin/fees?from=2025-05&to=2025-07&scope=service:old")
        .await;
    r.assert_status(200);
    assert!(r.body.contains("<svg id=\"fee-chart\""));
    assert_eq!(r.body.matches("<rect ").count(), 3);
    // June 2025: 15 days at 30,000 and 15 days at 60,000 of 30.
    assert!(
        r.body.contains("id=\"fee-old-2025-06\">₩45,000<"),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"total-2025-06\">₩45,000<"));
    // May 30,000 + June 45,000 + July 60,000, in the row and in the corner.
    assert!(r.body.contains("id=\"total-all\">₩135,000<"));
    assert!(r.body.contains("id=\"service-status\""));
    // The chart: each bar's value written over it, gridlines at round amounts (to 60,000),
    // months as the reader writes them.
    assert_eq!(r.body.matches("<text class=\"value\"").count(), 3);
    assert!(r.body.contains(">₩45,000</text>"));
    assert!(r.body.contains("class=\"axis\"") && r.body.contains(">₩60,000</text>"));
    assert!(r.body.contains(">Jun 2025</th>") || r.body.contains(">Jun 2025<br>"));
    // The same page in Korean: 원 after the figure, 2025년 6월.
    c.post_form("/lang", &[("lang", "ko"), ("next", "/admin/fees")])
        .await;
    let ko = c
        .get("/admin/fees?from=2025-05&to=2025-07&scope=service:old")
        .await;
    assert!(
        ko.body.contains("id=\"total-2025-06\">45,000원<"),
        "{}",
        ko.body
    );
    assert!(ko.body.contains("2025년 6월"));
    c.post_form("/lang", &[("lang", "en"), ("next", "/admin/fees")])
        .await;
    // Default: the last six months, the current one an estimate to date.
    let r = c.get("/admin/fees").await;
    r.assert_status(200);
    // One table: a column per month (totals readable without hovering), a row per service.
    assert_eq!(
        r.body
            .matches("<td class=\"num total\" id=\"total-")
            .count(),
        7
    );
    let table = r.body.split("id=\"fee-table\"").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert_eq!(table.matches("estimate to date").count(), 1);
    assert_eq!(table.matches("<tr id=\"fee-").count(), 2);
    assert!(r.body.contains("id=\"fees-legend-estimate\""));
    // 24 months: at most 12 month labels under the bars, all 24 bars.
    let r = c.get("/admin/fees?from=2024-01&to=2025-12").await;
    assert_eq!(r.body.matches("<rect ").count(), 24);
    let chart = r
        .body
        .split("<svg id=\"fee-chart\"")
        .nth(1)
        .unwrap()
        .split("</svg>")
        .next()
        .unwrap();
    assert_eq!(chart.matches("text-anchor=\"middle\"").count(), 12);
    // Months before any contract: no chart of zeros.
    let r = c.get("/admin/fees?from=2020-01&to=2020-03").await;
    assert!(r.body.contains("id=\"fees-all-zero\""));
    assert!(!r.body.contains("<svg id=\"fee-chart\""));
    // An organization without services: an empty state, not a chart of zeros.
    let mut empty = app.admin("feesnone").await;
    let r = empty.get("/admin/fees").await;
    r.assert_status(200);
    assert!(r.body.contains("id=\"fees-empty\""));
    assert!(!r.body.contains("fee-table") && !r.body.contains("fee-chart"));
    assert!(table.contains("Service new"));
    let r = c
        .get("/admin/fees?scope=kind:issue&from=2025-05&to=2025-07")
        .await;
    let table = r.body.split("id=\"fee-table\"").nth(1).unwrap();
    assert!(table.contains("id=\"fee-new\"") && !table.contains("id=\"fee-old\""));
    // The table as shown, exported: CSV (with a BOM) and xlsx with numbers as numbers.
    let page = c
        .get("/admin/fees?from=2025-05&to=2025-07&scope=service:old")
        .await;
    let link = page.body.split("id=\"fees-csv\"").next().unwrap();
    assert!(
        link.ends_with(
            "href=\"/admin/fees/export.csv?from=2025-05&#38;to=2025-07&#38;scope=service%3Aold\" "
        ),
        "{}",
        &link[link.len() - 120..]
    );
    let csv = c
        .get("/admin/fees/export.csv?from=2025-05&to=2025-07&scope=service:old")
        .await;
    csv.assert_status(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Service name,Service ID,Type,2025-05,2025-06,2025-07,Total"
    );
    assert_eq!(
        lines[1],
        "Service old,old,Counselling management,30000,45000,60000,135000"
    );
    assert_eq!(lines[2], "Total,,,30000,45000,60000,135000");
    assert_eq!(lines.len(), 3);
    let x = c
        .get("/admin/fees/export.xlsx?from=2025-05&to=2025-07&scope=service:old")
        .await;
    x.assert_status(200);
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(x.bytes.clone())).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows[0][3], Data::String("2025-05".into()));
        assert_eq!(rows[1][4], Data::Float(45000.0));
        assert_eq!(rows[2][6], Data::Float(135000.0));
    }
    // A bad search exports nothing: the page with its messages.
    c.get("/admin/fees/export.csv?from=2025-13")
        .await
        .assert_status(422);
    // Suspension does not change the bill.
    let before = c
        .get("/admin/fees?from=2025-06&to=2025-06&scope=service:old")
        .await
        .body;
    c.post_form("/admin/services/old/status", &[("status", "suspended")])
        .await;
    let after = c
        .get("/admin/fees?from=2025-06&to=2025-06&scope=service:old")
        .await
        .body;
    let amount = |b: &str| {
        b.split("id=\"total-2025-06\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(amount(&before), amount(&after));
}

/// The fee and contract pages keep what they computed per version of the org's services
/// (bumped by triggers): a change written by anything (here plain SQL, as another instance
/// or an operator would) shows on the next request; another org's change leaves them be.
async fn pages_kept_per_version_show_every_change_at_once(app: TestApp) {
    let mut c = app.admin("kept").await;
    add_service(&mut c, "old", "counseling").await;
    let mut other = app.admin("keptother").await;
    add_service(&mut other, "theirs", "issue").await;
    let (old_id, theirs_id) = (app.service_ref("old"), app.service_ref("theirs"));
    write_contract(&app, old_id, "2024-01-01", 30000);
    let may = "/admin/fees?from=2025-05&to=2025-05&scope=service:old";
    let fee = |b: &str| {
        b.split("id=\"fee-old-2025-05\">")
            .nth(1)
            .and_then(|x| x.split('<').next())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(fee(&c.get(may).await.body), "₩30,000");
    // Read twice (the second from what was kept), then changed underneath.
    assert_eq!(fee(&c.get(may).await.body), "₩30,000");
    write_contract(&app, old_id, "2025-05-01", 90000);
    assert_eq!(fee(&c.get(may).await.body), "₩90,000");
    app.exec(&format!(
        "UPDATE contracts SET monthly_cost = 60000 WHERE service_ref = {old_id} AND effective_date = '2025-05-01'"
    ));
    assert_eq!(fee(&c.get(may).await.body), "₩60,000");
    app.exec(&format!(
        "DELETE FROM contracts WHERE service_ref = {old_id} AND effective_date = '2025-05-01'"
    ));
    assert_eq!(fee(&c.get(may).await.body), "₩30,000");
    // The contract list: a renamed service shows renamed on the next request.
    let list = c.get("/admin/contracts").await;
    assert!(list.body.contains("Service old"), "{}", list.body);
    app.exec(&format!(
        "UPDATE services SET name = 'Renamed old' WHERE id = {old_id}"
    ));
    let list = c.get("/admin/contracts").await;
    assert!(list.body.contains("Renamed old"), "{}", list.body);
    assert!(!list.body.contains("Service old"));
    // Another org's change bumps only its own version; each org sees only its own services.
    let version = |domain: &str| -> i64 {
        use online_contact::db::schema::organizations::dsl as o;
        o::organizations
            .filter(o::domain.eq(domain))
            .select(o::services_version)
            .first(&mut *app.conn())
            .unwrap()
    };
    let before = version("kept");
    // The no-op update that serializes ticket numbering (every new ticket) bumps nothing.
    app.exec(&format!(
        "UPDATE services SET id = {old_id} WHERE id = {old_id}"
    ));
    assert_eq!(version("kept"), before);
    app.exec(&format!(
        "UPDATE services SET name = 'Theirs renamed' WHERE id = {theirs_id}"
    ));
    assert_eq!(version("kept"), before);
    let list = c.get("/admin/contracts").await;
    assert!(!list.body.contains("Theirs renamed"));
    assert!(
        other
            .get("/admin/contracts")
            .await
            .body
            .contains("Theirs renamed")
    );
    // Service tabs: an agent's follow their memberships, the OWNER's every live service.
    let mut agent = app.ws_login("kept", "agent1", GOOD_PW).await;
    assert!(!agent.get("/").await.body.contains("id=\"tab-old\""));
    let agent_id = app.member_id("kept", "agent1");
    let org_id = app.org_id("kept");
    app.exec(&format!(
        "INSERT INTO service_members (org_id, service_ref, member_id, role, phone, chat, created_at, updated_at) \
         VALUES ({org_id}, {old_id}, {agent_id}, 'agent', true, false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    assert!(agent.get("/").await.body.contains("id=\"tab-old\""));
    app.exec(&format!(
        "DELETE FROM service_members WHERE member_id = {agent_id}"
    ));
    assert!(!agent.get("/").await.body.contains("id=\"tab-old\""));
    assert!(c.get("/").await.body.contains("id=\"tab-old\""));
    // A terminated service leaves the tabs and the list's "active" filter.
    app.exec(&format!(
        "UPDATE services SET status = 'terminated' WHERE id = {old_id}"
    ));
    assert!(!c.get("/").await.body.contains("id=\"tab-old\""));
    let list = c.get("/admin/contracts?status=active").await;
    assert!(!list.body.contains("Renamed old"), "{}", list.body);
}

/// Two app instances on one database, four threads reading the fee page from both while
/// the contract changes ten times underneath: after each change, the next request on
/// either instance shows it, and no reader ever sees an older amount after a newer one.
async fn kept_pages_stay_fresh_across_instances_under_parallel_reads(app: TestApp) {
    use crate::support::http::{Http, serve};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut c = app.admin("fresh").await;
    add_service(&mut c, "old", "counseling").await;
    let old_id = app.service_ref("old");
    write_contract(&app, old_id, "2024-01-01", 30000);
    let b = actix_web::web::Data::new(
        online_contact::AppState::new(crate::support::test_config(
            &app.db,
            "http://localhost:8080",
            &[],
        ))
        .unwrap(),
    );
    let (pa, pb) = (serve(app.state.clone(), None), serve(b, None));
    let mut on_a = Http::new(pa, "fresh.localhost:8080");
    on_a.get("/login");
    let r = on_a.post_form("/login", &[("login_id", "boss"), ("password", GOOD_PW)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let on_b = on_a.on(pb);
    const PAGE: &str = "/admin/fees?from=2025-05&to=2025-05&scope=service:old";
    // The amount shown, in thousands (₩31,000 → 31).
    fn shown(body: &str) -> i64 {
        body.split("id=\"fee-old-2025-05\">₩")
            .nth(1)
            .and_then(|x| x.split(",000<").next())
            .and_then(|x| x.parse().ok())
            .unwrap_or(-1)
    }
    assert_eq!(shown(&on_a.clone().get(PAGE).body), 30);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let mut h = if i % 2 == 0 {
                on_a.clone()
            } else {
                on_b.clone()
            };
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut last, mut reads) = (30, 0);
                while !stop.load(Ordering::Relaxed) {
                    let now = shown(&h.get(PAGE).body);
                    assert!((30..=40).contains(&now), "reader {i} saw {now}");
                    assert!(now >= last, "reader {i} saw {now} after {last}");
                    last = now;
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for k in 1..=10 {
        app.exec(&format!(
            "UPDATE contracts SET monthly_cost = {} WHERE service_ref = {old_id}",
            30000 + k * 1000
        ));
        for h in [&on_a, &on_b] {
            assert_eq!(shown(&h.clone().get(PAGE).body), 30 + k, "change {k}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let reads: usize = readers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(reads >= 8, "{reads} parallel reads");
}

async fn fee_search_answers_bad_input(app: TestApp) {
    let mut c = app.admin("badfees").await;
    let r = c.get("/admin/fees?from=2025-13&to=abc&scope=nope").await;
    r.assert_status(422);
    assert_eq!(r.field_errors("from"), vec!["Enter a month as YYYY-MM."]);
    assert_eq!(r.field_errors("to"), vec!["Enter a month as YYYY-MM."]);
    assert_eq!(r.field_errors("scope"), vec!["Choose one of the options."]);
    let r = c.get("/admin/fees?from=2025-06&to=2025-01").await;
    assert_eq!(
        r.field_errors("to"),
        vec!["The end month must not be before the start month."]
    );
    let r = c.get("/admin/fees?from=2000-01&to=2025-01").await;
    assert_eq!(
        r.field_errors("to"),
        vec!["Search at most 36 months at a time."]
    );
    let r = c
        .get(&format!("/admin/fees?from={}", "9".repeat(10_000)))
        .await;
    r.assert_status(422);
}

async fn org_key_is_shown_once(app: TestApp) {
    let mut c = app.admin("keys").await;
    let page = c.get("/admin/org").await;
    page.assert_status(200);
    assert!(page.body.contains("No key yet"));
    assert!(page.body.contains("http://keys.localhost:8080"));
    let r = c.post_form("/admin/org/api-key", &[]).await;
    r.assert_status(422);
    assert_eq!(r.field_errors("confirm"), vec!["Tick the box to confirm."]);
    let r = c
        .post_form("/admin/org/api-key", &[("confirm", "on")])
        .await;
    // Post/redirect/get: a reload shows the page, it does not make another key.
    r.assert_status(303);
    assert_eq!(r.location(), "/admin/org#org-key");
    let r = c.get("/admin/org").await;
    assert!(r.body.contains("A new org key was made"));
    assert!(r.body.contains("id=\"copy-key\""));
    let key = r
        .body
        .split("<code id=\"new-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    assert!(key.starts_with("oc_") && key.len() > 40);
    let later = c.get("/admin/org").await;
    assert!(
        !later.body.contains(&key),
        "the full key is never shown again"
    );
    assert!(later.body.contains(&key[..10]));
    use online_contact::db::schema::organizations::dsl as o;
    let stored: Vec<Option<String>> = o::organizations
        .select(o::api_key_hash)
        .load(&mut *app.conn())
        .unwrap();
    assert!(stored.iter().flatten().all(|h| h != &key && h.len() == 64));
}
