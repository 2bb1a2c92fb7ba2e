//! People and permissions: service members (role and channel permissions), invitations by
//! mail, and the permission-change log's search and exports — each change with exactly its
//! log row, refused or empty changes with none, every route for the right people of the
//! right organization only.

use diesel::prelude::*;

use crate::contracts::add_service;
use crate::support::{Client, GOOD_PW, TestApp, link_in};

on_all_backends!(
    service_members_roles_and_permissions,
    service_admins_manage_only_their_service,
    invitations_by_mail,
    invitation_form_answers_bad_input,
    permission_log_search_and_paging,
    permission_log_short_search,
    permission_log_exports,
    people_routes_are_for_the_right_people_of_the_right_org,
    the_change_and_its_log_row_commit_together,
);

type LogRow = (String, String, String, String, String, Option<i64>);

/// (action, actor login, target login, before, after, service ref), oldest first.
fn log_rows(app: &TestApp) -> Vec<LogRow> {
    use online_contact::db::schema::permission_logs::dsl as l;
    l::permission_logs
        .order(l::id)
        .select((
            l::action,
            l::actor_login,
            l::target_login,
            l::before_value,
            l::after_value,
            l::service_ref,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

fn row(
    a: &str,
    actor: &str,
    target: &str,
    before: &str,
    after: &str,
    service: Option<i64>,
) -> LogRow {
    (
        a.into(),
        actor.into(),
        target.into(),
        before.into(),
        after.into(),
        service,
    )
}

/// The OWNER of `domain` (with `agent1`) plus two more members with passwords, and one
/// service `care`.
async fn org_with_service(app: &TestApp, domain: &str) -> Client {
    app.onboard(
        &format!("owner@{domain}.example.com"),
        domain,
        &[
            ("boss", "boss@example.com"),
            ("agent1", "agent1@example.com"),
            ("agent2", "agent2@example.com"),
            ("agent3", "agent3@example.com"),
        ],
    )
    .await;
    for who in ["boss", "agent1", "agent2", "agent3"] {
        app.ws_set_password(domain, who, GOOD_PW).await;
    }
    let mut boss = app.ws_login(domain, "boss", GOOD_PW).await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    boss
}

async fn service_members_roles_and_permissions(app: TestApp) {
    let mut boss = org_with_service(&app, "people").await;
    let care = app.service_ref("care");
    let a1 = app.member_id("people", "agent1");
    let before = log_rows(&app).len();
    let page = boss.get("/services/care/members").await;
    page.assert_status(200);
    assert!(page.body.contains("id=\"service-members-none\""));
    // Search: too short, then by email in another case.
    let r = boss.get("/services/care/members?q=a").await;
    r.assert_status(422);
    assert!(r.field_errors("q")[0].contains("at least 2"));
    let r = boss.get("/services/care/members?q=AGENT1%40example").await;
    assert!(r.body.contains("id=\"add-agent1\""));
    assert!(!r.body.contains("id=\"add-agent2\""));
    // Add as agent with phone permission.
    let r = boss
        .post_form(
            "/services/care/members",
            &[
                ("member_id", &a1.to_string()),
                ("role", "agent"),
                ("phone", "on"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/services/care/members#member-{a1}"));
    let page = boss.get("/services/care/members").await;
    assert!(page.body.contains("added to the service"), "flash");
    let tr = page
        .body
        .split(&format!("id=\"member-{a1}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(tr.contains("agent1@example.com"));
    assert!(tr.contains("value=\"agent\" selected"), "{tr}");
    assert!(tr.contains(&format!("id=\"phone-{a1}\" checked")));
    assert!(!tr.contains(&format!("id=\"chat-{a1}\" checked")));
    // Already a member: not offered again, and adding again changes and logs nothing.
    let r = boss.get("/services/care/members?q=agent1").await;
    assert!(!r.body.contains("id=\"add-agent1\""));
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "admin")],
    )
    .await
    .assert_status(303);
    // A role that does not exist: 422 with the message by the row, nothing saved.
    boss.get("/services/care/members").await;
    let r = boss
        .post_form(
            &format!("/services/care/members/{a1}"),
            &[("role", "owner"), ("phone", "on")],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("role")[0].contains("Admin or Agent"));
    // Change to admin with phone and chat; the same again changes nothing.
    for _ in 0..2 {
        boss.get("/services/care/members").await;
        boss.post_form(
            &format!("/services/care/members/{a1}"),
            &[("role", "admin"), ("phone", "on"), ("chat", "on")],
        )
        .await
        .assert_status(303);
    }
    // Filter the list.
    let r = boss.get("/services/care/members?filter=nobody").await;
    assert!(r.body.contains("id=\"service-members-none\""));
    let r = boss.get("/services/care/members?filter=Name+AGENT1").await;
    assert!(r.body.contains(&format!("id=\"member-{a1}\"")));
    // Home and personal settings show the role and permissions.
    let mut agent = app.ws_login("people", "agent1", GOOD_PW).await;
    for path in ["/", "/me/settings"] {
        let page = agent.get(path).await;
        let tr = page
            .body
            .split("id=\"my-service-care\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{path} lists the service"))
            .split("</tr>")
            .next()
            .unwrap();
        assert!(tr.contains("Service care"), "{path}");
        assert!(tr.contains(">Admin<"), "{path}: {tr}");
        assert!(tr.contains(">Phone<") && tr.contains(">Chat<"), "{path}");
    }
    // Remove.
    boss.get("/services/care/members").await;
    boss.post_form(&format!("/services/care/members/{a1}/remove"), &[])
        .await
        .assert_status(303);
    assert!(
        agent
            .get("/")
            .await
            .body
            .contains("id=\"my-services-none\"")
    );
    // Removing again: not a member.
    boss.get("/services/care/members").await;
    boss.post_form(&format!("/services/care/members/{a1}/remove"), &[])
        .await
        .assert_status(404);
    assert_eq!(
        log_rows(&app)[before..].to_vec(),
        vec![
            row(
                "service-member-added",
                "boss",
                "agent1",
                "none",
                "agent+phone",
                Some(care)
            ),
            row(
                "service-member-changed",
                "boss",
                "agent1",
                "agent+phone",
                "admin+phone+chat",
                Some(care)
            ),
            row(
                "service-member-removed",
                "boss",
                "agent1",
                "admin+phone+chat",
                "none",
                Some(care)
            ),
        ]
    );
    // A terminated service has no members page.
    boss.get("/admin/contracts").await;
    boss.post_form("/admin/services/care/status", &[("status", "suspended")])
        .await
        .assert_status(303);
    boss.get("/services/care/members").await.assert_status(200);
    boss.get("/admin/services/care/terminate").await;
    boss.post_form("/admin/services/care/terminate", &[("confirm", "on")])
        .await
        .assert_status(303);
    boss.get("/services/care/members").await.assert_status(404);
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(404);
}

async fn service_admins_manage_only_their_service(app: TestApp) {
    let mut boss = org_with_service(&app, "svcadm").await;
    add_service(&mut boss, "sales", "counseling")
        .await
        .assert_status(303);
    let (a1, a2, a3) = (
        app.member_id("svcadm", "agent1"),
        app.member_id("svcadm", "agent2"),
        app.member_id("svcadm", "agent3"),
    );
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "admin")],
    )
    .await
    .assert_status(303);
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a2.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(303);
    // The service admin manages care's members (without global management)...
    let mut sa = app.ws_login("svcadm", "agent1", GOOD_PW).await;
    sa.get("/admin").await.assert_status(403);
    sa.get("/services/care/members").await.assert_status(200);
    let r = sa
        .post_form(
            "/services/care/members",
            &[
                ("member_id", &a3.to_string()),
                ("role", "agent"),
                ("chat", "on"),
            ],
        )
        .await;
    r.assert_status(303);
    // ...but not sales'.
    sa.get("/services/sales/members").await.assert_status(403);
    sa.post_form(
        "/services/sales/members",
        &[("member_id", &a3.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(403);
    // An agent of care: 403 on every members route.
    let mut agent = app.ws_login("svcadm", "agent2", GOOD_PW).await;
    agent.get("/services/care/members").await.assert_status(403);
    for (path, fields) in [
        (
            "/services/care/members".to_string(),
            vec![("member_id", a2.to_string()), ("role", "admin".into())],
        ),
        (
            format!("/services/care/members/{a2}"),
            vec![("role", "admin".into())],
        ),
        (format!("/services/care/members/{a3}/remove"), vec![]),
    ] {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        agent.post_form(&path, &f).await.assert_status(403);
    }
    // The service admin makes themselves an agent: sent home, and no longer manages.
    sa.get("/services/care/members").await;
    let r = sa
        .post_form(
            &format!("/services/care/members/{a1}"),
            &[("role", "agent")],
        )
        .await;
    assert_eq!(r.location(), "/");
    sa.get("/services/care/members").await.assert_status(403);
    // Unknown service: 404.
    boss.get("/services/nothere/members")
        .await
        .assert_status(404);
}

/// The path and query of the link in the newest mail, checked to be on `domain`'s host.
fn newest_link(app: &TestApp, domain: &str) -> String {
    let link = link_in(&app.outbox().last().unwrap().2);
    let prefix = format!("http://{domain}.localhost:8080");
    assert!(link.starts_with(&prefix), "{link}");
    link.trim_start_matches(&prefix).to_string()
}

async fn invitations_by_mail(app: TestApp) {
    let mut boss = app.admin("invites").await;
    let before = log_rows(&app).len();
    let mails = app.outbox().len();
    boss.get("/admin/org-admins").await;
    let r = boss
        .post_form(
            "/admin/org-admins/invite",
            &[
                ("name", "Kim Newcomer"),
                ("login_id", "newbie"),
                ("email", "newbie@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/org-admins#invitations");
    let page = boss.get("/admin/org-admins").await;
    assert!(page.body.contains("invitation has been sent"));
    let tr = page
        .body
        .split("id=\"invitation-newbie\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(tr.contains("newbie@example.com") && tr.contains("Name boss (boss)"));
    assert!(tr.contains(" UTC"), "expiry shown: {tr}");
    let out = app.outbox();
    assert_eq!(out.len(), mails + 1);
    let (to, subject, text, _) = out.last().unwrap();
    assert_eq!(to, "newbie@example.com");
    assert!(subject.contains("invites Inc"), "{subject}");
    assert!(text.contains("Name boss") && text.contains("newbie") && text.contains("7 days"));
    let first = newest_link(&app, "invites");
    assert!(first.starts_with("/invite?token="));
    // The invited member cannot sign in yet.
    let mut c = app.ws("invites");
    c.get("/login").await;
    c.post_form("/login", &[("login_id", "newbie"), ("password", GOOD_PW)])
        .await
        .assert_status(422);
    // Resend: the first link dies, the new one works.
    boss.get("/admin/org-admins").await;
    let inv_id: i64 = {
        use online_contact::db::schema::invitations::dsl as i;
        i::invitations
            .select(i::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    boss.post_form(
        &format!("/admin/org-admins/invitations/{inv_id}/resend"),
        &[],
    )
    .await
    .assert_status(303);
    let second = newest_link(&app, "invites");
    assert_ne!(first, second);
    let r = c.get(&first).await;
    r.assert_status(400);
    assert!(r.body.contains("id=\"invite-invalid\""));
    // Accept: the password rule first, what was typed is not echoed.
    let page = c.get(&second).await;
    page.assert_status(200);
    assert!(page.body.contains("id=\"invite-login-id\">newbie<"));
    let r = c
        .post_form(
            &second,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("password").is_empty());
    let r = c
        .post_form(
            &second,
            &[("password", GOOD_PW), ("password_confirm", GOOD_PW)],
        )
        .await;
    assert_eq!(r.location(), "/");
    let home = c.get("/").await;
    home.assert_status(200);
    assert!(
        home.body.contains("Kim Newcomer"),
        "signed in as the invitee"
    );
    // The link is spent; the invitation is no longer pending.
    let mut other = app.ws("invites");
    other.get(&second).await.assert_status(400);
    assert!(
        boss.get("/admin/org-admins")
            .await
            .body
            .contains("id=\"invitations-none\"")
    );
    // Signing in with the new password works.
    app.ws_login("invites", "newbie", GOOD_PW).await;
    // Cancel: another invitation, cancelled; the member is gone and the link dead.
    boss.get("/admin/org-admins").await;
    boss.post_form(
        "/admin/org-admins/invite",
        &[
            ("name", "Lee Maybe"),
            ("login_id", "maybe"),
            ("email", "maybe@example.com"),
            ("phone", "010-1234-5678"),
        ],
    )
    .await
    .assert_status(303);
    let link = newest_link(&app, "invites");
    let inv2: i64 = {
        use online_contact::db::schema::invitations::dsl as i;
        i::invitations
            .select(i::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    boss.get("/admin/org-admins").await;
    boss.post_form(&format!("/admin/org-admins/invitations/{inv2}/cancel"), &[])
        .await
        .assert_status(303);
    c.get(&link).await.assert_status(400);
    {
        use online_contact::db::schema::org_members::dsl as om;
        let n: i64 = om::org_members
            .filter(om::login_id.eq("maybe"))
            .count()
            .get_result(&mut *app.conn())
            .unwrap();
        assert_eq!(n, 0);
    }
    // Cancelling again, or resending a cancelled one: 404, nothing logged.
    boss.get("/admin/org-admins").await;
    boss.post_form(&format!("/admin/org-admins/invitations/{inv2}/cancel"), &[])
        .await
        .assert_status(404);
    boss.post_form(&format!("/admin/org-admins/invitations/{inv2}/resend"), &[])
        .await
        .assert_status(404);
    let logs: Vec<(String, String, String, String, String)> = log_rows(&app)[before..]
        .iter()
        .map(|r| {
            (
                r.0.clone(),
                r.1.clone(),
                r.2.clone(),
                r.3.clone(),
                r.4.clone(),
            )
        })
        .collect();
    let expect = |a: &str, actor: &str, t: &str, b: &str, af: &str| {
        (
            a.to_string(),
            actor.to_string(),
            t.to_string(),
            b.to_string(),
            af.to_string(),
        )
    };
    assert_eq!(
        logs,
        vec![
            expect("invitation-sent", "boss", "newbie", "none", "invited"),
            expect("invitation-resent", "boss", "newbie", "invited", "invited"),
            expect(
                "invitation-accepted",
                "newbie",
                "newbie",
                "invited",
                "member"
            ),
            expect("invitation-sent", "boss", "maybe", "none", "invited"),
            expect("invitation-cancelled", "boss", "maybe", "invited", "none"),
        ]
    );
    // An expired link cannot be used.
    boss.get("/admin/org-admins").await;
    boss.post_form(
        "/admin/org-admins/invite",
        &[
            ("name", "Park Late"),
            ("login_id", "late"),
            ("email", "late@example.com"),
        ],
    )
    .await
    .assert_status(303);
    let late = newest_link(&app, "invites");
    app.exec("UPDATE invitations SET expires_at = '2000-01-01 00:00:00'");
    c.get(&late).await.assert_status(400);
    assert!(
        boss.get("/admin/org-admins")
            .await
            .body
            .contains("id=\"invitation-late\"")
    );
}

async fn invitation_form_answers_bad_input(app: TestApp) {
    let mut boss = app.admin("badinv").await;
    let before = (log_rows(&app).len(), app.outbox().len());
    boss.get("/admin/org-admins").await;
    let r = boss
        .post_form(
            "/admin/org-admins/invite",
            &[
                ("name", ""),
                ("login_id", "x"),
                ("email", "not-an-email"),
                ("phone", "call me"),
            ],
        )
        .await;
    r.assert_status(422);
    for f in ["name", "login_id", "email", "phone"] {
        assert!(!r.field_errors(f).is_empty(), "{f}");
    }
    assert_eq!(r.input_value("email").as_deref(), Some("not-an-email"));
    assert_eq!(r.input_value("phone").as_deref(), Some("call me"));
    // A login ID already used in the organization (any case).
    let r = boss
        .post_form(
            "/admin/org-admins/invite",
            &[
                ("name", "Second Agent"),
                ("login_id", "AGENT1"),
                ("email", "second@example.com"),
            ],
        )
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("login_id").is_empty());
    assert_eq!(r.input_value("name").as_deref(), Some("Second Agent"));
    // Nothing was logged or mailed.
    assert_eq!((log_rows(&app).len(), app.outbox().len()), before);
    // A made-up or empty token.
    let mut c = app.ws("badinv");
    c.get("/invite?token=nope").await.assert_status(400);
    c.get("/invite").await.assert_status(400);
    c.post_form(
        "/invite?token=nope",
        &[("password", GOOD_PW), ("password_confirm", GOOD_PW)],
    )
    .await
    .assert_status(400);
}

/// Writes `n` log rows for `org` through the model (the way every change writes them).
fn write_rows(app: &TestApp, org: i64, n: usize, name: &str, at: chrono::NaiveDateTime) {
    use online_contact::admin::permission_log::model::{Entry, Person, record};
    let actor = Person {
        name: format!("{name} Actor"),
        login: format!("{name}-actor"),
    };
    let mut c = app.conn();
    c.transaction::<_, diesel::result::Error, _>(|c| {
        for i in 0..n {
            let target = Person {
                name: format!("Target {i}"),
                login: format!("t{i}"),
            };
            record(
                c,
                &Entry {
                    org_id: org,
                    action: "org-admin-granted",
                    service_ref: None,
                    actor: &actor,
                    target: &target,
                    before: "member",
                    after: "org-admin",
                    ip: "192.0.2.9",
                },
                at,
            )?;
        }
        Ok(())
    })
    .unwrap();
}

async fn permission_log_search_and_paging(app: TestApp) {
    let mut boss = org_with_service(&app, "logs").await;
    let org = app.org_id("logs");
    let a1 = app.member_id("logs", "agent1");
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[
            ("member_id", &a1.to_string()),
            ("role", "agent"),
            ("phone", "on"),
        ],
    )
    .await;
    boss.get("/services/care/members").await;
    boss.post_form(
        &format!("/services/care/members/{a1}"),
        &[("role", "admin"), ("phone", "on"), ("chat", "on")],
    )
    .await;
    // The default (last 7 days) shows today's changes with readable before/after.
    let page = boss.get("/admin/permission-logs").await;
    page.assert_status(200);
    assert!(
        page.body
            .contains("id=\"menu-permission-log\" class=\"current\"")
    );
    assert!(page.body.contains("Agent · Phone"));
    assert!(page.body.contains("Admin · Phone, Chat"));
    assert!(page.body.contains("Service role changed"));
    assert!(page.body.contains("Service care (care)"));
    // In Korean too.
    boss.get("/me/settings").await;
    boss.post_form("/me/settings", &[("locale", "ko")]).await;
    let ko = boss.get("/admin/permission-logs").await;
    assert!(ko.body.contains("상담원 · 전화"), "ko words");
    assert!(ko.body.contains("관리자 · 전화, 채팅"));
    boss.get("/me/settings").await;
    boss.post_form("/me/settings", &[("locale", "en")]).await;
    // Old rows fall outside the default range but are found with an explicit one.
    let old = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
    write_rows(&app, org, 1, "Ancient", old);
    let page = boss.get("/admin/permission-logs").await;
    assert!(!page.body.contains("Ancient Actor"));
    let page = boss.get("/admin/permission-logs?from=&name=ancient").await;
    assert!(page.body.contains("Ancient Actor"));
    // Filters: action, service, name (actor or target, any case).
    let page = boss
        .get("/admin/permission-logs?action=service-member-added")
        .await;
    assert_eq!(page.body.matches("<tr id=\"log-").count(), 1);
    let page = boss.get("/admin/permission-logs?service=care").await;
    assert_eq!(page.body.matches("<tr id=\"log-").count(), 2);
    let page = boss.get("/admin/permission-logs?name=AGENT1").await;
    assert_eq!(page.body.matches("<tr id=\"log-").count(), 2);
    let page = boss.get("/admin/permission-logs?name=zzz-nobody").await;
    assert!(page.body.contains("id=\"log-none\""));
    // The people a name matched are kept until someone is added to the org's log: a name
    // that matched nobody finds the person logged next, on the next request.
    let page = boss.get("/admin/permission-logs?name=newcomer").await;
    assert!(page.body.contains("id=\"log-none\""));
    write_rows(&app, org, 1, "Newcomer", chrono::Utc::now().naive_utc());
    let page = boss.get("/admin/permission-logs?name=newcomer").await;
    assert!(page.body.contains("Newcomer Actor"), "{}", page.body);
    // A name with LIKE wildcards is taken literally.
    let page = boss.get("/admin/permission-logs?name=%25").await;
    assert!(page.body.contains("id=\"log-none\""));
    // Bad filters: 422 with the message next to the field, the input kept.
    let r = boss
        .get("/admin/permission-logs?from=yesterday&to=&action=drop&service=nope")
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("from").is_empty());
    assert!(!r.field_errors("action").is_empty());
    assert!(!r.field_errors("service").is_empty());
    assert_eq!(r.input_value("from").as_deref(), Some("yesterday"));
    let r = boss
        .get("/admin/permission-logs?from=2026-06-02T00:00&to=2026-06-01T00:00")
        .await;
    r.assert_status(422);
    assert!(r.field_errors("to")[0].contains("after"));
    boss.get("/admin/permission-logs?after=garbage")
        .await
        .assert_status(422);
    // Keyset paging: 120 rows of one second, newest first, 50 a page, no row twice.
    let now = chrono::Utc::now().naive_utc();
    write_rows(&app, org, 120, "Bulk", now);
    let mut seen = std::collections::HashSet::new();
    let mut path = "/admin/permission-logs?name=bulk-actor".to_string();
    let mut pages = 0;
    loop {
        let page = boss.get(&path).await;
        page.assert_status(200);
        pages += 1;
        let ids: Vec<i64> = page
            .body
            .split("<tr id=\"log-")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(ids.len() <= 50);
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
        for id in ids {
            assert!(seen.insert(id), "row {id} twice");
        }
        match page.body.split("id=\"log-next\"").next() {
            _ if !page.body.contains("id=\"log-next\"") => break,
            Some(before_next) => {
                let href = before_next.rsplit("href=\"").next().unwrap();
                path = href
                    .split('"')
                    .next()
                    .unwrap()
                    .replace("&#38;", "&")
                    .replace("&amp;", "&");
                assert!(path.contains("after="), "{path}");
                assert!(!path.contains("offset"));
            }
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 120));
    // A name of a few people reads their rows by index; one of very many people (here
    // 121 targets, over the lookup's limit) scans the range; both find the same rows.
    let page = boss.get("/admin/permission-logs?name=TARGET%2011").await;
    assert_eq!(
        page.body.matches("<tr id=\"log-").count(),
        11,
        "target 11, 110-119"
    );
    let page = boss.get("/admin/permission-logs?name=target").await;
    assert_eq!(page.body.matches("<tr id=\"log-").count(), 50);
    assert!(page.body.contains("id=\"log-next\""));
    // How a name is looked up among the people: texts of 3 or more characters through the
    // trigram index (SQLite FTS5, Postgres pg_trgm), shorter ones by testing every text;
    // both find the same people, any case, in any script, quotes and all.
    write_rows(&app, org, 1, "김민준", now);
    write_rows(&app, org, 1, "O\"Brien", now);
    for (name, rows) in [
        ("%EA%B9%80%EB%AF%BC%EC%A4%80", 1), // three Korean syllables: trigrams
        ("%EB%AF%BC%EC%A4%80", 1),          // two: tested one by one
        ("o%22brien", 1),                   // a double quote, taken literally
        ("O%22BRIEN-ACTOR", 1),
        ("%22", 1),
        ("t11", 11), // t11, t110..t119
        ("11", 11),  // "Target 11", "Target 110".."Target 119"
        ("arget%2011", 11),
        ("rget%20119", 1),
        ("%EB%AF%BC%EC%A4%80x", 0),
    ] {
        let page = boss
            .get(&format!("/admin/permission-logs?name={name}"))
            .await;
        page.assert_status(200);
        assert_eq!(
            page.body.matches("<tr id=\"log-").count(),
            rows,
            "name={name}"
        );
    }
    // A row whose actor is its target (an accepted invitation) matches a name twice and
    // shows once.
    {
        use online_contact::admin::permission_log::model::{Entry, Person, record};
        let me = Person {
            name: "Selfsame Person".into(),
            login: "selfsame".into(),
        };
        let mut c = app.conn();
        let entry = Entry {
            org_id: org,
            action: "invitation-accepted",
            service_ref: None,
            actor: &me,
            target: &me,
            before: "invited",
            after: "member",
            ip: "192.0.2.9",
        };
        assert!(record(&mut c, &entry, now).is_ok());
    }
    let page = boss.get("/admin/permission-logs?name=selfsame").await;
    assert_eq!(page.body.matches("<tr id=\"log-").count(), 1);
}

/// Row ids, newest first.
fn row_ids(rows: Vec<online_contact::admin::permission_log::model::LogRow>) -> Vec<i64> {
    rows.into_iter().map(|r| r.id).collect()
}

/// Asserts what the short search answers (`want`: these rows, or None: left to the blocking
/// pool), through Diesel's connection and, on Postgres, on the request reader's Diesel connection.
async fn assert_short(
    app: &TestApp,
    org: i64,
    f: &online_contact::admin::permission_log::model::Filter,
    people: &online_contact::admin::permission_log::model::KeptPeople,
    want: Option<Vec<i64>>,
) {
    use online_contact::admin::permission_log::model;
    let search = model::Search {
        org,
        filter: f,
        after: None,
        limit: 51,
        people,
    };
    let short = model::search_short(&mut app.conn(), &search).unwrap();
    assert_eq!(short.map(row_ids), want, "{f:?}");
    if let Some(pg) = app.state.pg_reads.as_ref() {
        let conn = pg.conn().await.unwrap();
        let short = model::search_short_async(conn.diesel(), &search)
            .await
            .unwrap();
        assert_eq!(short.map(row_ids), want, "{f:?} on the reader");
    }
}

/// The search a request runs without the blocking pool (on SQLite on its own thread, on
/// Postgres on the request reader's Diesel connection) answers what the full search does, or
/// nothing when it could read long: the name's people not looked up yet, more rows of
/// them in range than it reads, a filter checked on the rows.
async fn permission_log_short_search(app: TestApp) {
    use online_contact::admin::permission_log::model::{self, Filter, KeptPeople};
    app.admin("shortlog").await;
    let org = app.org_id("shortlog");
    assert_eq!(
        app.state.pg_reads.is_some(),
        app.db.url.starts_with("postgres"),
        "{}",
        app.db.url
    );
    let now = chrono::Utc::now().naive_utc();
    write_rows(&app, org, 3, "Few", now);
    write_rows(&app, org, 1001, "Many", now);
    let people = KeptPeople {
        kept: std::sync::Arc::new(online_contact::db::Versioned::new(8)),
        version: 1,
    };
    let full = |f: &Filter| {
        let search = model::Search {
            org,
            filter: f,
            after: None,
            limit: 51,
            people: &people,
        };
        row_ids(model::search(&mut app.conn(), &search).unwrap())
    };
    let by = |name: &str| Filter {
        name: Some(name.into()),
        ..Default::default()
    };
    // Not looked up yet: nothing read; then the same rows as the full search.
    let few = by("FEW-actor");
    assert_short(&app, org, &few, &people, None).await;
    let rows = full(&few);
    assert_eq!(rows.len(), 3);
    assert_short(&app, org, &few, &people, Some(rows)).await;
    // 1,001 rows of one person in range: more than a short search reads.
    let many = by("many-actor");
    assert_eq!(full(&many).len(), 51);
    assert_short(&app, org, &many, &people, None).await;
    // No filter: the newest rows by index, the same as the full search.
    let all = Filter::default();
    let rows = full(&all);
    assert_eq!(rows.len(), 51);
    assert_short(&app, org, &all, &people, Some(rows)).await;
    // Filters on the rows themselves are left to the full search.
    for f in [
        Filter {
            action: Some(model::ORG_ADMIN_GRANTED),
            ..Default::default()
        },
        Filter {
            service_ref: Some(1),
            ..Default::default()
        },
    ] {
        assert_short(&app, org, &f, &people, None).await;
    }
}

async fn permission_log_exports(app: TestApp) {
    let mut boss = app.admin("exports").await;
    let org = app.org_id("exports");
    let now = chrono::Utc::now().naive_utc();
    write_rows(&app, org, 2500, "=HYPERLINK(\"x\")", now);
    let r = boss
        .get("/admin/permission-logs/export.csv?name=hyperlink")
        .await;
    r.assert_status(200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("permission-logs.csv")
    );
    let lines: Vec<&str> = r.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0].starts_with("\u{feff}Date/time (Asia/Seoul)"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 1 + 2500, "every row, across export chunks");
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"x\"\") Actor\""),
        "neutralized: {}",
        lines[1]
    );
    assert!(lines[1].contains("Org admin added") && lines[1].contains(",Member,Org admin,"));
    // Only this org's rows, only the filter's.
    let other = boss
        .get("/admin/permission-logs/export.csv?name=nobody")
        .await;
    assert_eq!(
        other.body.split("\r\n").filter(|l| !l.is_empty()).count(),
        1
    );
    let x = boss
        .get("/admin/permission-logs/export.xlsx?name=hyperlink")
        .await;
    x.assert_status(200);
    assert!(
        x.header("content-type")
            .unwrap()
            .contains("spreadsheetml.sheet")
    );
    assert!(x.body.starts_with("PK"), "a zip file");
    // A bad filter is refused before anything is written.
    let r = boss
        .get("/admin/permission-logs/export.xlsx?from=nonsense")
        .await;
    r.assert_status(422);
}

async fn people_routes_are_for_the_right_people_of_the_right_org(app: TestApp) {
    let mut a = org_with_service(&app, "porga").await;
    let mut b = org_with_service(&app, "porgb").await;
    let a1 = app.member_id("porga", "agent1");
    let b1 = app.member_id("porgb", "agent1");
    // Org A: agent1 is a member of care; a pending invitation.
    a.get("/services/care/members").await;
    a.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(303);
    a.get("/admin/org-admins").await;
    a.post_form(
        "/admin/org-admins/invite",
        &[
            ("name", "A Invitee"),
            ("login_id", "ainv"),
            ("email", "ainv@example.com"),
        ],
    )
    .await
    .assert_status(303);
    let a_inv: i64 = {
        use online_contact::db::schema::invitations::dsl as i;
        i::invitations
            .select(i::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    let a_link = newest_link(&app, "porga");
    let before = log_rows(&app).len();
    // Org B's admin: B's own care page lists none of A's members; A's member IDs and
    // invitations are not found.
    let page = b.get("/services/care/members?q=agent").await;
    assert!(!page.body.contains(&format!("value=\"{a1}\"")));
    assert!(page.body.contains(&format!("value=\"{b1}\"")));
    for (path, fields) in [
        (
            "/services/care/members".to_string(),
            vec![("member_id", a1.to_string()), ("role", "agent".into())],
        ),
        (
            format!("/services/care/members/{a1}"),
            vec![("role", "admin".into())],
        ),
        (format!("/services/care/members/{a1}/remove"), vec![]),
        (
            format!("/admin/org-admins/invitations/{a_inv}/resend"),
            vec![],
        ),
        (
            format!("/admin/org-admins/invitations/{a_inv}/cancel"),
            vec![],
        ),
    ] {
        b.get("/admin/org-admins").await;
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post_form(&path, &f).await.assert_status(404);
    }
    // A's invitation link does not work on B's host.
    let mut c = app.ws("porgb");
    c.get(&a_link).await.assert_status(400);
    // B's log shows nothing of A's.
    let page = b.get("/admin/permission-logs").await;
    assert!(!page.body.contains("ainv") && !page.body.contains("A Invitee"));
    let csv = b.get("/admin/permission-logs/export.csv").await;
    assert!(!csv.body.contains("ainv"));
    // Nothing refused was logged.
    assert_eq!(log_rows(&app).len(), before);
    // An agent of org A: 403 on every admin route of this issue.
    let mut agent = app.ws_login("porga", "agent1", GOOD_PW).await;
    for p in [
        "/admin/permission-logs",
        "/admin/permission-logs/export.csv",
        "/admin/permission-logs/export.xlsx",
        "/services/care/members",
    ] {
        agent.get(p).await.assert_status(403);
    }
    for p in [
        "/admin/org-admins/invite".to_string(),
        format!("/admin/org-admins/invitations/{a_inv}/resend"),
        format!("/admin/org-admins/invitations/{a_inv}/cancel"),
        format!("/services/care/members/{a1}/remove"),
    ] {
        agent
            .post_form(
                &p,
                &[
                    ("name", "x"),
                    ("login_id", "xyz"),
                    ("email", "x@example.com"),
                ],
            )
            .await
            .assert_status(403);
    }
    // Not signed in: the login page.
    let mut anon = app.ws("porga");
    let r = anon.get("/admin/permission-logs").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
    // The log is append-only: no route but GET reaches it.
    for (method, path) in online_contact::routes::WORKSPACE_ROUTES {
        if path.starts_with("/admin/permission-logs") {
            assert_eq!(*method, "get", "{path}");
        }
    }
    assert_eq!(log_rows(&app).len(), before);
}

async fn the_change_and_its_log_row_commit_together(app: TestApp) {
    let mut boss = org_with_service(&app, "atomic").await;
    let a1 = app.member_id("atomic", "agent1");
    let logs = log_rows(&app);
    // Append-only in the database itself.
    for sql in [
        "UPDATE permission_logs SET action = 'forged'",
        "DELETE FROM permission_logs",
    ] {
        let r = diesel::sql_query(sql).execute(&mut *app.conn() as &mut online_contact::db::DbConn);
        assert!(r.is_err(), "{sql} was allowed");
    }
    assert_eq!(log_rows(&app), logs);
    // When the log row cannot be written, the change is not made either.
    let pg = app.db.url.starts_with("postgres");
    app.exec(if pg {
        "CREATE TRIGGER refuse_log BEFORE INSERT ON permission_logs \
         FOR EACH ROW EXECUTE FUNCTION permission_logs_append_only()"
    } else {
        "CREATE TRIGGER refuse_log BEFORE INSERT ON permission_logs \
         BEGIN SELECT RAISE(ABORT, 'refused'); END"
    });
    let members = |app: &TestApp| -> i64 {
        use online_contact::db::schema::service_members::dsl as sm;
        sm::service_members
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(500);
    assert_eq!(members(&app), 0);
    boss.get("/admin/org-admins").await;
    boss.post_form("/admin/org-admins", &[("member_id", &a1.to_string())])
        .await
        .assert_status(500);
    let mails = app.outbox().len();
    boss.get("/admin/org-admins").await;
    boss.post_form(
        "/admin/org-admins/invite",
        &[
            ("name", "No One"),
            ("login_id", "noone"),
            ("email", "noone@example.com"),
        ],
    )
    .await
    .assert_status(500);
    assert_eq!(
        app.outbox().len(),
        mails,
        "no invitation mail without its log row"
    );
    {
        use online_contact::db::schema::org_members::dsl as om;
        let (admins, invited): (i64, i64) = (
            om::org_members
                .filter(om::is_org_admin.eq(true))
                .count()
                .get_result(&mut *app.conn())
                .unwrap(),
            om::org_members
                .filter(om::login_id.eq("noone"))
                .count()
                .get_result(&mut *app.conn())
                .unwrap(),
        );
        assert_eq!((admins, invited), (0, 0));
    }
    assert_eq!(log_rows(&app), logs);
    // Once the log can be written again, so can the change.
    app.exec(if pg {
        "DROP TRIGGER refuse_log ON permission_logs"
    } else {
        "DROP TRIGGER refuse_log"
    });
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[("member_id", &a1.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(303);
    assert_eq!(members(&app), 1);
    assert_eq!(log_rows(&app).len(), logs.len() + 1);
}
