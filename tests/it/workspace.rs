//! The workspace realm: tenant from Host, org members' login and find password, sessions
//! bound to their org, the global-management gate, personal settings.

use diesel::prelude::*;

use crate::support::{GOOD_PW, OTHER_PW, TestApp, link_in};

on_all_backends!(
    unknown_domain_is_a_localized_404,
    first_login_goes_through_find_password,
    workspace_lockout_and_bad_input,
    session_is_bound_to_its_org,
    reset_links_do_not_cross_orgs,
    global_management_is_for_owner_and_admins,
    personal_settings_persist,
    workspace_password_change_ends_other_sessions,
    login_comes_back_to_the_page_asked_for,
);

async fn login_comes_back_to_the_page_asked_for(app: TestApp) {
    two_members(&app, "back").await;
    app.ws_set_password("back", "agent1", GOOD_PW).await;
    let mut c = app.ws("back");
    let to = c.get("/me/settings").await.location().to_string();
    assert_eq!(to, "/login?next=%2Fme%2Fsettings");
    let page = c.get(&to).await;
    assert!(
        page.body
            .contains("<input type=\"hidden\" name=\"next\" value=\"/me/settings\">"),
        "the login form carries next"
    );
    let r = c
        .post_form(
            "/login",
            &[
                ("login_id", "agent1"),
                ("password", GOOD_PW),
                ("next", "/me/settings"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/me/settings");
    // Never off-site.
    let mut d = app.ws("back");
    d.get("/login?next=https://evil.example/").await;
    let r = d
        .post_form(
            "/login",
            &[
                ("login_id", "agent1"),
                ("password", GOOD_PW),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");
}

async fn two_members(app: &TestApp, domain: &str) {
    app.onboard(
        &format!("owner@{domain}.example.com"),
        domain,
        &[
            ("boss", "boss@example.com"),
            ("agent1", "agent1@example.com"),
        ],
    )
    .await;
}

async fn unknown_domain_is_a_localized_404(app: TestApp) {
    let mut c = app.ws("nosuch").header("accept-language", "ko");
    let r = c.get("/login").await;
    r.assert_status(404);
    assert!(r.body.contains("페이지를 찾을 수 없음"));
    assert!(
        !r.body.contains("id=\"nav-signup\""),
        "no console links on a workspace host"
    );
    // An org whose onboarding is not finished has no workspace yet.
    let mut con = app.signup("half@example.com", GOOD_PW).await;
    con.get("/console/payment-methods").await;
    con.post_form(
        "/console/payment-methods",
        &[
            ("card_number", "4242424242424242"),
            ("expiry", "12/40"),
            ("holder", "H"),
        ],
    )
    .await;
    con.get("/console/orgs/new").await;
    let id = con
        .post_form("/console/orgs/new", &[("name", "Half")])
        .await
        .location()
        .trim_start_matches("/console/orgs/")
        .to_string();
    con.get(&format!("/console/orgs/{id}/online-contact")).await;
    con.post_form(
        &format!("/console/orgs/{id}/online-contact"),
        &[("org_name", "Half"), ("domain", "half")],
    )
    .await
    .assert_status(303);
    app.ws("half").get("/login").await.assert_status(404);
}

async fn first_login_goes_through_find_password(app: TestApp) {
    two_members(&app, "acme").await;
    let mut c = app.ws("acme");
    let page = c.get("/login").await;
    page.assert_status(200);
    assert!(page.body.contains("acme Inc"), "org name in the header");
    let r = c
        .post_form(
            "/login",
            &[("login_id", "boss"), ("password", "whatever1!")],
        )
        .await;
    r.assert_status(422);
    assert!(
        r.body
            .contains("You have not set a password yet. Use \"Find password\" to set one.")
            || r.body.contains("You have not set a password yet.")
    );
    // Find password: the mail goes to the member's registered email, the link to this host.
    c.get("/password/forgot").await;
    c.post_form("/password/forgot", &[("login_id", "BOSS")])
        .await
        .assert_status(303);
    let (to, _, text, _) = app.outbox().last().unwrap().clone();
    assert_eq!(to, "boss@example.com");
    let link = link_in(&text);
    assert!(
        link.starts_with("http://acme.localhost:8080/password/reset?token="),
        "{link}"
    );
    // Unknown login IDs get the same answer and no mail.
    let before = app.outbox().len();
    let same = c
        .post_form("/password/forgot", &[("login_id", "nobody")])
        .await;
    same.assert_status(303);
    assert_eq!(app.outbox().len(), before);
    let path = link
        .trim_start_matches("http://acme.localhost:8080")
        .to_string();
    c.get(&path).await.assert_status(200);
    c.post_form(
        &path,
        &[("password", "short"), ("password_confirm", "short")],
    )
    .await
    .assert_status(422);
    c.post_form(
        &path,
        &[("password", GOOD_PW), ("password_confirm", GOOD_PW)],
    )
    .await
    .assert_status(303);
    c.get(&path).await.assert_status(400);
    let r = c
        .post_form("/login", &[("login_id", "boss"), ("password", GOOD_PW)])
        .await;
    r.assert_status(303);
    let home = c.get("/").await;
    assert!(home.body.contains("id=\"welcome\""));
    assert!(home.body.contains("Name boss"));
    // Logout.
    c.post_form("/logout", &[]).await.assert_status(303);
    assert_eq!(c.get("/").await.location(), "/login");
}

async fn workspace_lockout_and_bad_input(app: TestApp) {
    two_members(&app, "lockws").await;
    app.ws_set_password("lockws", "agent1", GOOD_PW).await;
    let mut c = app.ws("lockws");
    c.get("/login").await;
    let r = c.post_form("/login", &[]).await;
    r.assert_status(422);
    assert_eq!(r.field_errors("login_id"), vec!["This field is required."]);
    assert_eq!(r.field_errors("password"), vec!["This field is required."]);
    let r = c
        .post_form(
            "/login",
            &[("login_id", &"x".repeat(10_000)), ("password", "x")],
        )
        .await;
    assert_eq!(
        r.field_errors("login_id"),
        vec!["Use at most 40 characters."]
    );
    let r = c
        .post_form("/password/forgot", &[("login_id", "<script>")])
        .await;
    r.assert_status(422);
    assert!(!r.body.contains("<script>"));
    for _ in 0..4 {
        let r = c
            .post_form(
                "/login",
                &[("login_id", "agent1"), ("password", "wrong12!")],
            )
            .await;
        assert!(r.body.contains("The login ID or password is incorrect."));
    }
    let r = c
        .post_form(
            "/login",
            &[("login_id", "agent1"), ("password", "wrong12!")],
        )
        .await;
    assert!(r.body.contains("locked for 15 minutes"));
    let r = c
        .post_form("/login", &[("login_id", "agent1"), ("password", GOOD_PW)])
        .await;
    r.assert_status(422);
    assert!(r.body.contains("locked for 15 minutes"));
}

async fn session_is_bound_to_its_org(app: TestApp) {
    two_members(&app, "alpha").await;
    two_members(&app, "beta").await;
    app.ws_set_password("alpha", "boss", GOOD_PW).await;
    let mut a = app.ws_login("alpha", "boss", GOOD_PW).await;
    assert_eq!(a.get("/me/settings").await.status, 200);
    // The same cookie presented on another org's host (or the console) signs nobody in.
    let mut stolen = app.ws("beta");
    stolen.cookies = a.cookies.clone();
    let r = stolen.get("/me/settings").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/login?next=%2Fme%2Fsettings");
    assert_eq!(
        stolen.get("/admin").await.location(),
        "/login?next=%2Fadmin"
    );
    let mut console = app.client();
    console.cookies = a.cookies.clone();
    assert!(!console.signed_in().await);
    // A console session is not a workspace session either.
    let console_member = app.signup("cons@example.com", GOOD_PW).await;
    let mut ws = app.ws("alpha");
    ws.cookies = console_member.cookies.clone();
    assert_eq!(
        ws.get("/me/settings").await.location(),
        "/login?next=%2Fme%2Fsettings"
    );
}

async fn reset_links_do_not_cross_orgs(app: TestApp) {
    two_members(&app, "one").await;
    two_members(&app, "two").await;
    let mut c = app.ws("one");
    c.get("/password/forgot").await;
    c.post_form("/password/forgot", &[("login_id", "boss")])
        .await;
    let link = link_in(&app.outbox().last().unwrap().2);
    let path = link
        .trim_start_matches("http://one.localhost:8080")
        .to_string();
    let mut other = app.ws("two");
    other.get(&path).await.assert_status(400);
    other
        .post_form(
            &path,
            &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
        )
        .await
        .assert_status(400);
    // Nor on the console.
    let mut console = app.client();
    console.get(&path).await.assert_status(400);
    // Still good on its own host.
    c.get(&path).await.assert_status(200);
}

async fn global_management_is_for_owner_and_admins(app: TestApp) {
    two_members(&app, "gmorg").await;
    app.ws_set_password("gmorg", "boss", GOOD_PW).await;
    app.ws_set_password("gmorg", "agent1", GOOD_PW).await;
    let mut owner = app.ws_login("gmorg", "boss", GOOD_PW).await;
    let home = owner.get("/").await;
    assert!(home.body.contains("id=\"nav-admin\""));
    let admin = owner.get("/admin").await;
    admin.assert_status(200);
    assert!(admin.body.contains("agent1@example.com"));
    let mut agent = app.ws_login("gmorg", "agent1", GOOD_PW).await;
    let home = agent.get("/").await;
    assert!(
        !home.body.contains("id=\"nav-admin\""),
        "no menu entry for a non-admin"
    );
    let r = agent.get("/admin").await;
    r.assert_status(403);
    assert!(r.body.contains("Not allowed"));
    // An org admin flag grants it.
    diesel::sql_query("UPDATE org_members SET is_org_admin = TRUE WHERE login_id = 'agent1'")
        .execute(&mut *app.conn())
        .unwrap();
    agent.get("/admin").await.assert_status(200);
    let mut anon = app.ws("gmorg");
    assert_eq!(anon.get("/admin").await.location(), "/login?next=%2Fadmin");
}

async fn personal_settings_persist(app: TestApp) {
    two_members(&app, "prefs").await;
    app.ws_set_password("prefs", "agent1", GOOD_PW).await;
    let mut c = app.ws_login("prefs", "agent1", GOOD_PW).await;
    let page = c.get("/me/settings").await;
    page.assert_status(200);
    assert!(
        page.body
            .contains("<dd id=\"settings-login-id\">agent1</dd>")
    );
    assert!(page.body.contains("agent1@example.com"));
    assert!(
        page.body
            .contains("name=\"accept_assignments\" value=\"on\" checked")
    );
    let bad = c
        .post_form(
            "/me/settings",
            &[("locale", "xx"), ("accept_assignments", "on")],
        )
        .await;
    bad.assert_status(422);
    assert_eq!(
        bad.field_errors("locale"),
        vec!["Choose one of the options."]
    );
    let r = c.post_form("/me/settings", &[("locale", "ja")]).await;
    r.assert_status(303);
    let page = c.get("/me/settings").await;
    assert!(page.body.contains("<html lang=\"ja\">"));
    assert!(page.body.contains("設定を保存しました。"));
    assert!(!page.body.contains("value=\"on\" checked"));
    c.post_form("/logout", &[]).await;
    let mut again = app.ws_login("prefs", "agent1", GOOD_PW).await;
    let page = again.get("/me/settings").await;
    assert!(page.body.contains("<html lang=\"ja\">"));
    assert!(!page.body.contains("value=\"on\" checked"));
    use online_contact::db::schema::org_members::dsl as m;
    let (locale, accept): (String, bool) = m::org_members
        .filter(m::login_id.eq("agent1"))
        .select((m::locale, m::accept_assignments))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!((locale.as_str(), accept), ("ja", false));
    // Signed out: sent to login.
    assert_eq!(
        app.ws("prefs").get("/me/settings").await.location(),
        "/login?next=%2Fme%2Fsettings"
    );
}

async fn workspace_password_change_ends_other_sessions(app: TestApp) {
    two_members(&app, "pworg").await;
    app.ws_set_password("pworg", "agent1", GOOD_PW).await;
    let mut a = app.ws_login("pworg", "agent1", GOOD_PW).await;
    let mut b = app.ws_login("pworg", "agent1", GOOD_PW).await;
    a.get("/me/password").await.assert_status(200);
    let r = a
        .post_form(
            "/me/password",
            &[
                ("current_password", "wrong123!"),
                ("password", OTHER_PW),
                ("password_confirm", OTHER_PW),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("current_password"),
        vec!["The current password is incorrect."]
    );
    let r = a
        .post_form(
            "/me/password",
            &[
                ("current_password", GOOD_PW),
                ("password", OTHER_PW),
                ("password_confirm", OTHER_PW),
            ],
        )
        .await;
    r.assert_status(303);
    assert_eq!(
        a.get("/me/settings").await.status,
        200,
        "this session goes on"
    );
    assert_eq!(
        b.get("/me/settings").await.location(),
        "/login?next=%2Fme%2Fsettings",
        "the other one ends"
    );
    assert_eq!(app.outbox().last().unwrap().0, "agent1@example.com");
}
