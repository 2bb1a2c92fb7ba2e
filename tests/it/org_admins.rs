//! Org admins (조직관리자): list, search, grant and remove the right, the OWNER's rights,
//! tenant isolation and the role matrix, and the permission-change log rows written with
//! each change (and only with a change).

use diesel::prelude::*;

use crate::support::{GOOD_PW, TestApp};

on_all_backends!(
    grant_and_remove_the_org_admin_right,
    org_admins_are_for_admins_and_their_own_org,
    moving_the_owner_is_logged,
);

/// (action, actor login, target login, before, after), oldest first.
fn log_rows(app: &TestApp) -> Vec<(String, String, String, String, String)> {
    use online_contact::db::schema::permission_logs::dsl as l;
    l::permission_logs
        .order(l::id)
        .select((
            l::action,
            l::actor_login,
            l::target_login,
            l::before_value,
            l::after_value,
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
) -> (String, String, String, String, String) {
    (
        a.into(),
        actor.into(),
        target.into(),
        before.into(),
        after.into(),
    )
}

async fn grant_and_remove_the_org_admin_right(app: TestApp) {
    let mut boss = app.admin("oadmins").await;
    let before = log_rows(&app).len();
    let page = boss.get("/admin/org-admins").await;
    page.assert_status(200);
    assert!(
        page.body.contains("id=\"admin-boss\""),
        "the OWNER is listed"
    );
    assert!(!page.body.contains("id=\"admin-agent1\""));
    assert!(
        page.body
            .contains("id=\"menu-org-admins\" class=\"current\"")
    );
    // Too short a search: a message next to the field, what was typed kept.
    let r = boss.get("/admin/org-admins?q=a").await;
    r.assert_status(422);
    assert!(r.field_errors("q")[0].contains("at least 2"));
    assert_eq!(r.input_value("q").as_deref(), Some("a"));
    // By login ID, name or email, any case; members with the right are not offered.
    for q in ["AGENT", "Name agent1", "agent1@EXAMPLE"] {
        let r = boss
            .get(&format!("/admin/org-admins?q={}", q.replace(' ', "+")))
            .await;
        assert!(r.body.contains("id=\"add-agent1\""), "{q}");
        assert!(!r.body.contains("id=\"add-boss\""), "{q}");
    }
    let r = boss.get("/admin/org-admins?q=nobody-here").await;
    assert!(r.body.contains("id=\"org-admins-none-found\""));
    // Grant.
    let agent = app.member_id("oadmins", "agent1");
    let mut a1 = app.ws_login("oadmins", "agent1", GOOD_PW).await;
    a1.get("/admin").await.assert_status(403);
    boss.get("/admin/org-admins").await;
    let r = boss
        .post_form("/admin/org-admins", &[("member_id", &agent.to_string())])
        .await;
    assert_eq!(r.location(), "/admin/org-admins");
    let page = boss.get("/admin/org-admins").await;
    let row_html = page.body.split("id=\"admin-agent1\"").nth(1).unwrap();
    assert!(row_html.contains("Name boss (boss)"), "granted by");
    a1.get("/admin").await.assert_status(200);
    // Granting again changes nothing and logs nothing.
    boss.post_form("/admin/org-admins", &[("member_id", &agent.to_string())])
        .await
        .assert_status(303);
    // The OWNER's rights stay.
    let owner = app.member_id("oadmins", "boss");
    boss.get("/admin/org-admins").await;
    boss.post_form(&format!("/admin/org-admins/{owner}/remove"), &[])
        .await
        .assert_status(303);
    assert!(
        boss.get("/admin/org-admins")
            .await
            .body
            .contains("OWNER&#39;s rights cannot")
            || boss.get("/admin").await.status == 200
    );
    boss.get("/admin").await.assert_status(200);
    // Remove: the member's very next request is refused, in the same session.
    boss.get("/admin/org-admins").await;
    boss.post_form(&format!("/admin/org-admins/{agent}/remove"), &[])
        .await
        .assert_status(303);
    a1.get("/admin").await.assert_status(403);
    a1.get("/admin/org-admins").await.assert_status(403);
    let rows = log_rows(&app)[before..].to_vec();
    assert_eq!(
        rows,
        vec![
            row("org-admin-granted", "boss", "agent1", "member", "org-admin"),
            row("org-admin-revoked", "boss", "agent1", "org-admin", "member"),
        ]
    );
    // Giving up one's own right.
    boss.get("/admin/org-admins").await;
    boss.post_form("/admin/org-admins", &[("member_id", &agent.to_string())])
        .await;
    a1.get("/admin/org-admins").await.assert_status(200);
    let r = a1
        .post_form(&format!("/admin/org-admins/{agent}/remove"), &[])
        .await;
    assert_eq!(r.location(), "/");
    a1.get("/admin").await.assert_status(403);
    assert_eq!(log_rows(&app).len(), before + 4);
}

async fn org_admins_are_for_admins_and_their_own_org(app: TestApp) {
    let mut a = app.admin("orga").await;
    let mut b = app.admin("orgb").await;
    let a_agent = app.member_id("orga", "agent1");
    let before = log_rows(&app).len();
    // An agent: 403 on every route.
    let mut agent = app.ws_login("orga", "agent1", GOOD_PW).await;
    agent.get("/admin/org-admins").await.assert_status(403);
    agent
        .post_form("/admin/org-admins", &[("member_id", &a_agent.to_string())])
        .await
        .assert_status(403);
    agent
        .post_form(&format!("/admin/org-admins/{a_agent}/remove"), &[])
        .await
        .assert_status(403);
    // Org B's admin neither finds nor changes org A's members.
    let r = b.get("/admin/org-admins?q=agent1").await;
    assert!(r.body.contains("id=\"add-agent1\""), "B's own agent1");
    let b_agent = app.member_id("orgb", "agent1");
    assert!(r.body.contains(&format!("value=\"{b_agent}\"")));
    assert!(!r.body.contains(&format!("value=\"{a_agent}\"")));
    b.post_form("/admin/org-admins", &[("member_id", &a_agent.to_string())])
        .await
        .assert_status(404);
    b.post_form("/admin/org-admins", &[("member_id", "not-a-number")])
        .await
        .assert_status(404);
    a.get("/admin/org-admins").await;
    a.post_form("/admin/org-admins", &[("member_id", &a_agent.to_string())])
        .await
        .assert_status(303);
    b.get("/admin/org-admins").await;
    b.post_form(&format!("/admin/org-admins/{a_agent}/remove"), &[])
        .await
        .assert_status(404);
    agent.get("/admin").await.assert_status(200);
    // Only the one real change was logged, under org A.
    use online_contact::db::schema::permission_logs::dsl as l;
    let orgs: Vec<i64> = l::permission_logs
        .order(l::id)
        .select(l::org_id)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(orgs.len(), before + 1);
    let a_org = app.org_id("orga");
    assert_eq!(orgs.last(), Some(&a_org));
}

async fn moving_the_owner_is_logged(app: TestApp) {
    let on = app
        .onboard(
            "mover@example.com",
            "movelog",
            &[
                ("first", "first@example.com"),
                ("second", "second@example.com"),
            ],
        )
        .await;
    // Choosing the first OWNER at onboarding is logged too.
    let rows = log_rows(&app);
    assert_eq!(
        rows,
        vec![row(
            "owner-changed",
            "mover@example.com",
            "first",
            "member",
            "owner"
        )]
    );
    let second = app.member_id("movelog", "second");
    let mut c = on.console;
    let mp = format!("/console/orgs/{}/members", on.public_id);
    // The move asks first, naming the member; asking moves nothing.
    let ask = c.get(&format!("{mp}/{second}/owner")).await;
    ask.assert_status(200);
    assert!(ask.body.contains("(second) the OWNER?"), "{}", ask.body);
    assert_eq!(log_rows(&app).len(), 1);
    c.post_form(&format!("{mp}/{second}/owner"), &[])
        .await
        .assert_status(303);
    let rows = log_rows(&app);
    assert_eq!(
        rows[1..].to_vec(),
        vec![
            row(
                "owner-changed",
                "mover@example.com",
                "first",
                "owner",
                "member"
            ),
            row(
                "owner-changed",
                "mover@example.com",
                "second",
                "member",
                "owner"
            ),
        ]
    );
    // A move to a member who does not exist changes nothing and logs nothing.
    c.get(&mp).await;
    c.post_form(&format!("{mp}/999999/owner"), &[])
        .await
        .assert_status(404);
    c.get(&format!("{mp}/999999/owner"))
        .await
        .assert_status(404);
    assert_eq!(log_rows(&app).len(), 3);
}
