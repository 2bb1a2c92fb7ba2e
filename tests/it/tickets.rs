//! Ticket fields and tickets: custom fields of every kind checked on the form, per-service
//! numbers (also under parallel creation), filters and keyset paging, assignment only to
//! members accepting assignments, the product's status moves, and who may do what.

use crate::contracts::add_service;
use crate::support::http::{Http, serve};
use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    ticket_fields_are_for_service_admins,
    tickets_with_custom_fields_statuses_and_assignment,
    ticket_list_filters_and_pages,
    parallel_tickets_get_distinct_numbers,
);

/// The OWNER of `domain` with a service `care`; `agent1` is an agent of it with phone
/// permission; the OWNER is its admin (tickets are for service members only).
async fn service_with_members(app: &TestApp, domain: &str) -> (Client, Client) {
    let mut boss = app.admin(domain).await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    let (owner, agent) = (
        app.member_id(domain, "boss"),
        app.member_id(domain, "agent1"),
    );
    for (id, role) in [(owner, "admin"), (agent, "agent")] {
        boss.get("/services/care/members").await;
        boss.post_form(
            "/services/care/members",
            &[
                ("member_id", &id.to_string()),
                ("role", role),
                ("phone", "on"),
            ],
        )
        .await
        .assert_status(303);
    }
    let a1 = app.ws_login(domain, "agent1", GOOD_PW).await;
    (boss, a1)
}

async fn add_field(c: &mut Client, fields: &[(&str, &str)]) -> crate::support::Resp {
    c.get("/services/care/ticket-fields").await;
    c.post_form("/services/care/ticket-fields", fields).await
}

/// The key of the custom field labelled `label` (from the fields page).
async fn field_key(c: &mut Client, label: &str) -> String {
    let page = c.get("/services/care/ticket-fields").await;
    let at = page.body.find(&format!(">{label}")).unwrap();
    let row = &page.body[..at];
    let id = row.rsplit("id=\"field-").next().unwrap();
    id.split('"').next().unwrap().to_string()
}

/// The edit link of the custom field `key`.
async fn edit_href(c: &mut Client, key: &str) -> String {
    let page = c.get("/services/care/ticket-fields").await;
    page.body
        .split(&format!("id=\"edit-{key}\""))
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn ticket_fields_are_for_service_admins(app: TestApp) {
    let (mut boss, mut a1) = service_with_members(&app, "tfields").await;
    let page = boss.get("/services/care/ticket-fields").await;
    page.assert_status(200);
    for sys in ["title", "status", "assignee", "tags", "created_at"] {
        assert!(page.body.contains(&format!("id=\"system-{sys}\"")), "{sys}");
    }
    // Bad input: no label, a select without options, an unknown kind, a bad order.
    let r = add_field(&mut boss, &[("kind", "select"), ("position", "x")]).await;
    r.assert_status(422);
    for f in ["label_en", "options", "position"] {
        assert!(!r.field_errors(f).is_empty(), "{f}");
    }
    let r = add_field(&mut boss, &[("kind", "spreadsheet"), ("label_en", "X")]).await;
    r.assert_status(422);
    assert!(!r.field_errors("kind").is_empty());
    assert_eq!(r.input_value("label_en").as_deref(), Some("X"));
    let r = add_field(
        &mut boss,
        &[
            ("kind", "select"),
            ("label_en", "Size"),
            ("options", "S\nM, L"),
        ],
    )
    .await;
    r.assert_status(422);
    assert!(r.body.contains(">S\nM, L</textarea>"));
    // Good fields.
    add_field(
        &mut boss,
        &[
            ("kind", "select"),
            ("label_ko", "크기"),
            ("label_en", "Size"),
            ("options", "S\nM\nL\nM"),
            ("required", "on"),
            ("active", "on"),
            ("position", "10"),
        ],
    )
    .await
    .assert_status(303);
    let page = boss.get("/services/care/ticket-fields").await;
    assert!(
        page.body.contains("Size <small>(S, M, L)</small>"),
        "options once each"
    );
    let key = field_key(&mut boss, "Size").await;
    // Edit: rename, deactivate; the kind stays.
    let id = edit_href(&mut boss, &key).await;
    let edit = boss.get(&id).await;
    edit.assert_status(200);
    assert_eq!(edit.input_value("label_ko").as_deref(), Some("크기"));
    boss.post_form(
        &id,
        &[
            ("kind", "text"),
            ("label_en", "T-shirt size"),
            ("options", "S\nM\nL"),
            ("position", "5"),
        ],
    )
    .await
    .assert_status(303);
    let page = boss.get("/services/care/ticket-fields").await;
    let row = page
        .body
        .split(&format!("id=\"field-{key}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains("T-shirt size") && row.contains("Single select"),
        "{row}"
    );
    assert!(
        page.body
            .contains(&format!("id=\"field-{key}\" class=\"inactive\""))
    );
    // An agent: 403; another service's field: 404.
    a1.get("/services/care/ticket-fields")
        .await
        .assert_status(403);
    a1.post_form(
        "/services/care/ticket-fields",
        &[("kind", "text"), ("label_en", "X")],
    )
    .await
    .assert_status(403);
    boss.get("/services/care/ticket-fields/999999")
        .await
        .assert_status(404);
}

async fn tickets_with_custom_fields_statuses_and_assignment(app: TestApp) {
    let (mut boss, mut a1) = service_with_members(&app, "tix").await;
    for f in [
        vec![
            ("kind", "number"),
            ("label_en", "Order no"),
            ("required", "on"),
            ("active", "on"),
        ],
        vec![
            ("kind", "select"),
            ("label_en", "Plan"),
            ("options", "Free\nPro"),
            ("active", "on"),
        ],
        vec![
            ("kind", "multi_select"),
            ("label_en", "Topics"),
            ("options", "Billing\nLogin\nBugs"),
            ("active", "on"),
        ],
        vec![("kind", "date"), ("label_en", "Since"), ("active", "on")],
        vec![("kind", "checkbox"), ("label_en", "VIP"), ("active", "on")],
    ] {
        add_field(&mut boss, &f).await.assert_status(303);
    }
    let order = format!("cf_{}", field_key(&mut boss, "Order no").await);
    let plan = format!("cf_{}", field_key(&mut boss, "Plan").await);
    let topics = format!("cf_{}", field_key(&mut boss, "Topics").await);
    let since = format!("cf_{}", field_key(&mut boss, "Since").await);
    let vip = format!("cf_{}", field_key(&mut boss, "VIP").await);
    // The OWNER is not a member of another service: 403 there.
    add_service(&mut boss, "other", "counseling")
        .await
        .assert_status(303);
    boss.get("/services/other/tickets").await.assert_status(403);
    // Bad values: every message by its field, what was typed kept.
    a1.get("/services/care/tickets/new")
        .await
        .assert_status(200);
    let r = a1
        .post_form(
            "/services/care/tickets/new",
            &[
                ("title", ""),
                (&order, "twelve"),
                (&plan, "Gold"),
                (&topics, "Billing"),
                (&topics, "Cooking"),
                (&since, "2026-02-30"),
                ("requester_email", "nope"),
                ("priority", "whenever"),
            ],
        )
        .await;
    r.assert_status(422);
    for f in [
        "title",
        order.as_str(),
        plan.as_str(),
        topics.as_str(),
        since.as_str(),
        "requester_email",
        "priority",
    ] {
        assert!(!r.field_errors(f).is_empty(), "{f}");
    }
    assert_eq!(r.input_value(&order).as_deref(), Some("twelve"));
    assert!(
        r.body.contains("Cooking&#34; is not one of")
            || r.body.contains("Cooking&quot; is not one of"),
        "the option is named"
    );
    // A good ticket.
    let r = a1
        .post_form(
            "/services/care/tickets/new",
            &[
                ("title", "Cannot log in"),
                ("description", "Since yesterday."),
                (&order, "1,200"),
                (&plan, "Pro"),
                (&topics, "Login"),
                (&topics, "Billing"),
                (&since, "2026-06-01"),
                (&vip, "on"),
                ("requester_name", "Park Customer"),
                ("requester_email", "park@example.com"),
                ("priority", "high"),
                ("channel", "phone"),
                ("tags", "login, urgent, login"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/services/care/tickets/1");
    let t = a1.get("/services/care/tickets/1").await;
    t.assert_status(200);
    assert!(t.body.contains("id=\"ticket-status\">Unassigned<"));
    assert_eq!(t.input_value(&order).as_deref(), Some("1200"));
    assert_eq!(t.input_value("tags").as_deref(), Some("login, urgent"));
    assert!(
        t.body
            .contains(&format!("name=\"{topics}\" value=\"Billing\" checked"))
    );
    assert!(
        t.body
            .contains(&format!("name=\"{topics}\" value=\"Login\" checked"))
    );
    assert!(
        !t.body
            .contains(&format!("name=\"{topics}\" value=\"Bugs\" checked"))
    );
    // Numbers are per service.
    a1.post_form(
        "/services/care/tickets/new",
        &[("title", "Second"), (&order, "2")],
    )
    .await
    .assert_status(303);
    // Status: an unassigned ticket cannot be solved; assigning puts it in progress.
    a1.get("/services/care/tickets/1").await;
    let r = a1
        .post_form("/services/care/tickets/1/status", &[("status", "solved")])
        .await;
    r.assert_status(422);
    assert!(r.body.contains("id=\"ticket-error\""));
    a1.post_form("/services/care/tickets/1/assign", &[("assignee", "me")])
        .await
        .assert_status(303);
    let t = a1.get("/services/care/tickets/1").await;
    assert!(t.body.contains("id=\"ticket-status\">In progress<"));
    assert!(t.body.contains("Name agent1 (agent1)"));
    // A member who does not accept assignments cannot be picked.
    let owner = app.member_id("tix", "boss");
    boss.get("/me/settings").await;
    boss.post_form("/me/settings", &[("locale", "en")])
        .await
        .assert_status(303);
    a1.get("/services/care/tickets/1").await;
    let r = a1
        .post_form(
            "/services/care/tickets/1/assign",
            &[("assignee", &owner.to_string())],
        )
        .await;
    r.assert_status(422);
    assert!(r.body.contains("does not accept assignments"));
    // Solved → closed; closed is final.
    for to in ["solved", "closed"] {
        a1.get("/services/care/tickets/1").await;
        a1.post_form("/services/care/tickets/1/status", &[("status", to)])
            .await
            .assert_status(303);
    }
    let t = a1.get("/services/care/tickets/1").await;
    assert!(t.body.contains("id=\"ticket-status\">Closed<"));
    assert!(!t.body.contains("id=\"ticket-form\""));
    let r = a1
        .post_form("/services/care/tickets/1", &[("title", "Changed")])
        .await;
    r.assert_status(422);
    let r = a1
        .post_form(
            "/services/care/tickets/1/status",
            &[("status", "in_progress")],
        )
        .await;
    r.assert_status(422);
    // A deactivated field keeps the values tickets have.
    let plan_key = plan.trim_start_matches("cf_").to_string();
    let edit = edit_href(&mut boss, &plan_key).await;
    boss.post_form(&edit, &[("label_en", "Plan"), ("options", "Free\nPro")])
        .await
        .assert_status(303);
    a1.get("/services/care/tickets/2").await;
    a1.post_form(
        "/services/care/tickets/2",
        &[("title", "Second, edited"), (&order, "3")],
    )
    .await
    .assert_status(303);
    let t2 = a1.get("/services/care/tickets/2").await;
    assert!(
        !t2.body.contains(&format!("name=\"{plan}\"")),
        "inactive: not on the form"
    );
    // Ticket 1 (closed) still holds its Pro plan.
    let t1 = a1.get("/services/care/tickets/1").await;
    assert!(t1.body.contains("id=\"ticket-kept\"") || t1.body.contains("Closed"));
    {
        use diesel::prelude::*;
        use online_contact::db::schema::tickets::dsl as t;
        let custom: String = t::tickets
            .filter(t::number.eq(1))
            .select(t::custom)
            .first(&mut *app.conn())
            .unwrap();
        assert!(
            custom.contains(&format!("\"{plan_key}\":\"Pro\"")),
            "{custom}"
        );
    }
    // Org B sees nothing of org A's service.
    let mut b = app.admin("tixb").await;
    b.get("/services/care/tickets/1").await.assert_status(404);
}

async fn ticket_list_filters_and_pages(app: TestApp) {
    let (mut boss, mut a1) = service_with_members(&app, "tlist").await;
    for i in 1..=60 {
        let title = if i % 10 == 0 {
            format!("Refund {i}")
        } else {
            format!("Question {i}")
        };
        a1.get("/services/care/tickets/new").await;
        let assignee = if i % 3 == 0 { "me" } else { "" };
        a1.post_form(
            "/services/care/tickets/new",
            &[("title", &title), ("assignee", assignee)],
        )
        .await
        .assert_status(303);
    }
    let numbers = |body: &str| -> Vec<i64> {
        body.split("<tr id=\"ticket-")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    let p1 = a1.get("/services/care/tickets").await;
    let n1 = numbers(&p1.body);
    assert_eq!(n1.len(), 50);
    assert_eq!(n1[0], 60);
    let next = p1
        .body
        .split("id=\"tickets-next\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let p2 = a1.get(&next).await;
    let n2 = numbers(&p2.body);
    assert_eq!(n2, (1..=10).rev().collect::<Vec<_>>());
    assert!(!p2.body.contains("id=\"tickets-next\""));
    let mine = numbers(&a1.get("/services/care/tickets?assignee=me").await.body);
    assert_eq!(mine.len(), 20);
    assert!(mine.iter().all(|n| n % 3 == 0));
    let unassigned = numbers(
        &a1.get("/services/care/tickets?status=unassigned")
            .await
            .body,
    );
    assert_eq!(unassigned.len(), 40);
    // The workspace home counts them (one statement): in progress assigned to the agent,
    // unassigned in the services they belong to.
    let home = a1.get("/").await;
    assert!(
        home.body.contains("id=\"home-in-progress\">20<")
            && home.body.contains("id=\"home-unassigned\">40<"),
        "{}",
        home.body
    );
    let text = numbers(&a1.get("/services/care/tickets?q=REFUND").await.body);
    assert_eq!(text, vec![60, 50, 40, 30, 20, 10]);
    // The OWNER (admin of care) sees them too; a bad filter is a message, not a 500.
    let r = boss
        .get("/services/care/tickets?status=lost&before=x")
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("status").is_empty());
}

async fn parallel_tickets_get_distinct_numbers(app: TestApp) {
    let (_boss, _a1) = service_with_members(&app, "tpar").await;
    let port = serve(app.state.clone(), None);
    let host = "tpar.localhost:8080";
    // One signed-in browser; its tabs post at the same moment.
    let mut signed = Http::new(port, host);
    signed.get("/login");
    let login = signed.post_form("/login", &[("login_id", "agent1"), ("password", GOOD_PW)]);
    assert_eq!(login.status, 303, "login: {}", login.body);
    signed.get("/services/care/tickets/new");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let mut c = signed.clone();
            std::thread::spawn(move || {
                let r = c.post_form(
                    "/services/care/tickets/new",
                    &[("title", &format!("Parallel {i}"))],
                );
                assert_eq!(r.status, 303, "{}", r.body);
                assert!(r.location().contains("/tickets/"), "{}", r.location());
                r.location()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .parse::<i64>()
                    .unwrap()
            })
        })
        .collect();
    let mut got: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (1..=8).collect::<Vec<_>>());
}
