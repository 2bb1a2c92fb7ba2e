//! Console onboarding: payment methods, organizations, domain, members and OWNER.

use diesel::prelude::*;

use crate::support::{GOOD_PW, TestApp};

on_all_backends!(
    payment_method_gate_and_card_rules,
    card_numbers_are_never_stored,
    last_card_cannot_go_while_online_contact_is_used,
    organization_rules_and_isolation,
    domain_rules_and_duplicates,
    duplicate_domain_under_concurrent_submissions,
    members_and_exactly_one_owner,
    iam_members_have_an_optional_phone,
    member_list_searches_pages_and_shows_the_new_row,
);

/// The console's member list: 50 a page, a search by login ID, name or email, and after
/// an addition the page holding the new row, anchored to it.
async fn member_list_searches_pages_and_shows_the_new_row(app: TestApp) {
    let (mut c, id) = start_org(&app, "list@example.com").await;
    c.post_form(
        &format!("/console/orgs/{id}/online-contact"),
        &[("org_name", "List Inc"), ("domain", "listing")],
    )
    .await
    .assert_status(303);
    let mp = format!("/console/orgs/{id}/members");
    let mut last = String::new();
    for i in 0..60 {
        c.get(&mp).await;
        let login = format!("m{i:03}");
        let r = c
            .post_form(
                &mp,
                &[
                    ("login_id", &login),
                    ("name", &format!("Member {i}")),
                    ("email", &format!("person{i}@list.example")),
                ],
            )
            .await;
        r.assert_status(303);
        last = r.location().to_string();
    }
    // Back on the page of the new (60th) row, anchored to it.
    assert_eq!(last, format!("{mp}?focus=m059#member-m059"));
    let r = c.get(&format!("{mp}?focus=m059")).await;
    assert!(r.body.contains("<tr id=\"member-m059\" class=\"focused\">"));
    assert_eq!(
        r.body.matches("<tr id=\"member-").count(),
        10,
        "page 2 of 2"
    );
    let first = c.get(&mp).await;
    assert_eq!(first.body.matches("<tr id=\"member-").count(), 50);
    assert!(first.body.contains("60 members"));
    assert!(first.body.contains(&format!("href=\"{mp}?page=2\"")));
    // By login ID, by email; the page links keep the search.
    let r = c.get(&format!("{mp}?q=M05")).await;
    assert_eq!(r.body.matches("<tr id=\"member-").count(), 10);
    assert!(r.body.contains("10 members"));
    let r = c.get(&format!("{mp}?q=person7%40")).await;
    assert_eq!(r.body.matches("<tr id=\"member-").count(), 1);
    assert!(r.body.contains("member-m007"));
    let r = c.get(&format!("{mp}?q=nobody")).await;
    assert!(r.body.contains("id=\"no-members-found\""));
    let r = c.get(&format!("{mp}?q=member&page=2")).await;
    assert!(r.body.contains(&format!("href=\"{mp}?q=member\"")));
    assert_eq!(r.body.matches("<tr id=\"member-").count(), 10);
}

async fn iam_members_have_an_optional_phone(app: TestApp) {
    let on = app
        .onboard("ph@example.com", "phones", &[("boss", "boss@example.com")])
        .await;
    let mut c = on.console;
    let mp = format!("/console/orgs/{}/members", on.public_id);
    c.get(&mp).await;
    let r = c
        .post_form(
            &mp,
            &[
                ("login_id", "caller"),
                ("name", "Caller"),
                ("email", "caller@example.com"),
                ("phone", "12-ab"),
            ],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("phone")[0].contains("phone number"));
    assert_eq!(
        r.input_value("phone").as_deref(),
        Some("12-ab"),
        "what was typed stays"
    );
    assert_eq!(r.input_value("login_id").as_deref(), Some("caller"));
    c.post_form(
        &mp,
        &[
            ("login_id", "caller"),
            ("name", "Caller"),
            ("email", "caller@example.com"),
            ("phone", " 010-1234-5678 "),
        ],
    )
    .await
    .assert_status(303);
    app.ws_set_password("phones", "caller", GOOD_PW).await;
    app.ws_set_password("phones", "boss", GOOD_PW).await;
    let mut w = app.ws_login("phones", "caller", GOOD_PW).await;
    let page = w.get("/me/settings").await;
    assert!(
        page.body
            .contains("<dd id=\"settings-phone\">010-1234-5678</dd>")
    );
    // Without a phone: a dash.
    let mut b = app.ws_login("phones", "boss", GOOD_PW).await;
    assert!(
        b.get("/me/settings")
            .await
            .body
            .contains("<dd id=\"settings-phone\">—</dd>")
    );
}

async fn payment_method_gate_and_card_rules(app: TestApp) {
    let mut c = app.signup("pay@example.com", GOOD_PW).await;
    let r = c.get("/console").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/console/payment-methods");
    assert_eq!(
        c.get("/console/orgs/new").await.location(),
        "/console/payment-methods"
    );
    let page = c.get("/console/payment-methods").await;
    assert!(
        page.body
            .contains("Add a payment method before you create an organization.")
    );

    let r = c.post_form("/console/payment-methods", &[]).await;
    r.assert_status(422);
    for f in ["card_number", "expiry", "holder"] {
        assert_eq!(r.field_errors(f), vec!["This field is required."], "{f}");
    }
    let r = c
        .post_form(
            "/console/payment-methods",
            &[
                ("card_number", "4242 4242 4242 4241"),
                ("expiry", "01/20"),
                ("holder", &"h".repeat(10_000)),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("card_number"),
        vec!["Enter a valid card number."]
    );
    assert_eq!(r.field_errors("expiry"), vec!["This card has expired."]);
    assert_eq!(r.field_errors("holder"), vec!["Use at most 50 characters."]);
    assert_eq!(
        r.input_value("card_number").as_deref(),
        Some("4242 4242 4242 4241")
    );
    let r = c
        .post_form(
            "/console/payment-methods",
            &[
                ("card_number", "<script>"),
                ("expiry", "13/30"),
                ("holder", "Kim"),
            ],
        )
        .await;
    assert_eq!(
        r.field_errors("card_number"),
        vec!["Enter a valid card number."]
    );
    assert_eq!(
        r.field_errors("expiry"),
        vec!["Enter the expiry as MM/YY, for example 08/29."]
    );
    assert!(!r.body.contains("<script>"));

    let ok = c
        .post_form(
            "/console/payment-methods",
            &[
                ("card_number", "5555-5555-5555-4444"),
                ("expiry", "08/39"),
                ("holder", "김철수"),
            ],
        )
        .await;
    ok.assert_status(303);
    let page = c.get("/console/payment-methods").await;
    assert!(page.body.contains("•••• 4444"));
    assert!(page.body.contains("Mastercard"));
    assert!(page.body.contains("08/39"));
    assert!(!page.body.contains("5555-5555"));
    c.get("/console").await.assert_status(200);
}

async fn card_numbers_are_never_stored(app: TestApp) {
    app.onboard("store@example.com", "store", &[("owner1", "o@example.com")])
        .await;
    // Whatever the columns, no stored text holds the number.
    let mut conn = app.conn();
    let rows: Vec<(String, String, String)> = {
        use online_contact::db::schema::payment_methods::dsl as p;
        p::payment_methods
            .select((p::brand, p::last4, p::holder))
            .load(&mut *conn)
            .unwrap()
    };
    assert_eq!(
        rows,
        vec![(
            "visa".to_string(),
            "4242".to_string(),
            "Test Person".to_string()
        )]
    );
    let outbox = app.outbox();
    for (_, s, t, h) in outbox {
        assert!(!format!("{s}{t}{h}").contains("4242424242424242"));
    }
}

async fn last_card_cannot_go_while_online_contact_is_used(app: TestApp) {
    let mut o = app
        .onboard(
            "last@example.com",
            "lastcard",
            &[("owner1", "o@example.com")],
        )
        .await;
    let c = &mut o.console;
    let page = c.get("/console/payment-methods").await;
    let id = page
        .body
        .split("/console/payment-methods/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .post_form(&format!("/console/payment-methods/{id}/delete"), &[])
        .await;
    r.assert_status(303);
    let page = c.get("/console/payment-methods").await;
    assert!(page.body.contains("add another card before removing it"));
    assert!(page.body.contains("•••• 4242"));
    c.post_form(
        "/console/payment-methods",
        &[
            ("card_number", "378282246310005"),
            ("expiry", "01/35"),
            ("holder", "X"),
        ],
    )
    .await
    .assert_status(303);
    // Removing asks first, naming the card; looking changes nothing.
    let ask = c
        .get(&format!("/console/payment-methods/{id}/delete"))
        .await;
    ask.assert_status(200);
    assert!(
        ask.body.contains("Remove the card Visa •••• 4242?"),
        "{}",
        ask.body
    );
    assert!(ask.body.contains("id=\"card-remove-confirm\""));
    assert!(
        c.get("/console/payment-methods")
            .await
            .body
            .contains("•••• 4242")
    );
    c.get(&format!("/console/payment-methods/{id}/delete"))
        .await;
    c.post_form(&format!("/console/payment-methods/{id}/delete"), &[])
        .await
        .assert_status(303);
    let page = c.get("/console/payment-methods").await;
    assert!(page.body.contains("The card has been removed."));
    assert!(!page.body.contains("•••• 4242"));
    // Another member's card is not theirs to remove.
    let mut other = app.signup("other@example.com", GOOD_PW).await;
    other.get("/console/payment-methods").await;
    let amex_id = page
        .body
        .split("/console/payment-methods/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    other
        .post_form(&format!("/console/payment-methods/{amex_id}/delete"), &[])
        .await
        .assert_status(404);
    other
        .get(&format!("/console/payment-methods/{amex_id}/delete"))
        .await
        .assert_status(404);
}

async fn organization_rules_and_isolation(app: TestApp) {
    let o = app
        .onboard(
            "iso@example.com",
            "isolated",
            &[("owner1", "o@example.com")],
        )
        .await;
    let mut c = o.console;
    let list = c.get("/console").await;
    assert!(list.body.contains("Org isolated"));
    assert!(list.body.contains(&o.public_id));
    c.get("/console/orgs/new").await;
    let r = c.post_form("/console/orgs/new", &[("name", "")]).await;
    r.assert_status(422);
    assert_eq!(r.field_errors("name"), vec!["This field is required."]);
    let r = c
        .post_form("/console/orgs/new", &[("name", &"x".repeat(51))])
        .await;
    assert_eq!(r.field_errors("name"), vec!["Use at most 50 characters."]);
    assert_eq!(r.input_value("name").map(|v| v.len()), Some(51));

    // Another console member sees nothing of it.
    let mut other = app.signup("stranger@example.com", GOOD_PW).await;
    for path in ["", "/online-contact", "/members", "/online-contact/done"] {
        other
            .get(&format!("/console/orgs/{}{path}", o.public_id))
            .await
            .assert_status(404);
    }
    other.get("/console/payment-methods").await;
    other
        .post_form(
            "/console/payment-methods",
            &[
                ("card_number", "4242424242424242"),
                ("expiry", "12/40"),
                ("holder", "S"),
            ],
        )
        .await;
    other.get("/console").await;
    let r = other
        .post_form(
            &format!("/console/orgs/{}/online-contact", o.public_id),
            &[("org_name", "Stolen"), ("domain", "stolen")],
        )
        .await;
    r.assert_status(404);
    let r = other
        .post_form(
            &format!("/console/orgs/{}/members", o.public_id),
            &[
                ("login_id", "intruder"),
                ("name", "I"),
                ("email", "i@example.com"),
            ],
        )
        .await;
    r.assert_status(404);
    // Signed out: to the login page.
    let mut anon = app.client();
    assert_eq!(
        anon.get("/console").await.location(),
        "/login?next=%2Fconsole"
    );
    assert_eq!(
        anon.get(&format!("/console/orgs/{}", o.public_id))
            .await
            .location(),
        format!("/login?next=%2Fconsole%2Forgs%2F{}", o.public_id)
    );
}

async fn start_org(app: &TestApp, email: &str) -> (crate::support::Client, String) {
    let mut c = app.signup(email, GOOD_PW).await;
    c.get("/console/payment-methods").await;
    c.post_form(
        "/console/payment-methods",
        &[
            ("card_number", "4242424242424242"),
            ("expiry", "12/40"),
            ("holder", "T"),
        ],
    )
    .await;
    c.get("/console/orgs/new").await;
    let r = c
        .post_form("/console/orgs/new", &[("name", "My org")])
        .await;
    let id = r
        .location()
        .trim_start_matches("/console/orgs/")
        .to_string();
    c.get(&format!("/console/orgs/{id}/online-contact")).await;
    (c, id)
}

async fn domain_rules_and_duplicates(app: TestApp) {
    app.onboard("first@example.com", "taken", &[("owner1", "o@example.com")])
        .await;
    let (mut c, id) = start_org(&app, "second@example.com").await;
    let path = format!("/console/orgs/{id}/online-contact");
    let cases: [(&str, &str); 7] = [
        ("", "This field is required."),
        ("ab", "The domain must be 3 to 40 characters long."),
        ("-abc", "The domain cannot start or end with a hyphen."),
        ("ac_me", "Use only lowercase letters, digits and hyphens."),
        ("www", "This domain is reserved. Choose another one."),
        (
            "TAKEN",
            "This domain is already in use. Choose another one.",
        ),
        (
            "<script>",
            "Use only lowercase letters, digits and hyphens.",
        ),
    ];
    for (domain, msg) in cases {
        let r = c
            .post_form(&path, &[("org_name", "Second"), ("domain", domain)])
            .await;
        r.assert_status(422);
        assert_eq!(r.field_errors("domain"), vec![msg.to_string()], "{domain}");
        assert_eq!(r.input_value("org_name").as_deref(), Some("Second"));
    }
    let r = c
        .post_form(
            &path,
            &[
                ("org_name", &"n".repeat(10_000)),
                ("domain", &"d".repeat(10_000)),
            ],
        )
        .await;
    assert_eq!(
        r.field_errors("org_name"),
        vec!["Use at most 50 characters."]
    );
    assert_eq!(
        r.field_errors("domain"),
        vec!["The domain must be 3 to 40 characters long."]
    );
    let r = c
        .post_form(&path, &[("org_name", "TAKEN inc"), ("domain", "fresh")])
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("org_name"),
        vec!["This organization name is already in use."]
    );
    assert_eq!(r.input_value("domain").as_deref(), Some("fresh"));
    // Upper case is folded to lower case.
    let r = c
        .post_form(&path, &[("org_name", "Second"), ("domain", "Fresh-2")])
        .await;
    r.assert_status(303);
    assert_eq!(r.location(), format!("/console/orgs/{id}/members"));
    use online_contact::db::schema::organizations::dsl as o;
    let d: Option<String> = o::organizations
        .filter(o::public_id.eq(&id))
        .select(o::domain)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(d.as_deref(), Some("fresh-2"));
}

async fn duplicate_domain_under_concurrent_submissions(app: TestApp) {
    let (mut a, a_id) = start_org(&app, "a@example.com").await;
    let (mut b, b_id) = start_org(&app, "b@example.com").await;
    let pa = format!("/console/orgs/{a_id}/online-contact");
    let pb = format!("/console/orgs/{b_id}/online-contact");
    let (ra, rb) = tokio::join!(
        a.post_form(&pa, &[("org_name", "Alpha"), ("domain", "race")]),
        b.post_form(&pb, &[("org_name", "Beta"), ("domain", "race")]),
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 422]);
    let loser = if ra.status == 422 { ra } else { rb };
    assert_eq!(
        loser.field_errors("domain"),
        vec!["This domain is already in use. Choose another one."]
    );
    use online_contact::db::schema::organizations::dsl as o;
    let n: i64 = o::organizations
        .filter(o::domain.eq("race"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(n, 1);
}

async fn members_and_exactly_one_owner(app: TestApp) {
    let (mut c, id) = start_org(&app, "mem@example.com").await;
    // Members need the name and domain first.
    assert_eq!(
        c.get(&format!("/console/orgs/{id}/members"))
            .await
            .location(),
        format!("/console/orgs/{id}/online-contact")
    );
    c.post_form(
        &format!("/console/orgs/{id}/online-contact"),
        &[("org_name", "Members Inc"), ("domain", "members")],
    )
    .await
    .assert_status(303);
    let mp = format!("/console/orgs/{id}/members");
    c.get(&mp).await;
    let r = c
        .post_form(&mp, &[("login_id", "a b"), ("name", ""), ("email", "nope")])
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("login_id"),
        vec!["Use only letters, digits, dots, underscores and hyphens."]
    );
    assert_eq!(r.field_errors("name"), vec!["This field is required."]);
    assert_eq!(
        r.field_errors("email"),
        vec!["Enter a valid email address, like name@example.com."]
    );
    assert_eq!(r.input_value("login_id").as_deref(), Some("a b"));
    let r = c
        .post_form(
            &mp,
            &[
                ("login_id", &"x".repeat(41)),
                ("name", "N"),
                ("email", "n@example.com"),
            ],
        )
        .await;
    assert_eq!(
        r.field_errors("login_id"),
        vec!["The login ID must be 3 to 40 characters long."]
    );

    c.post_form(
        &mp,
        &[
            ("login_id", "kim.cs"),
            ("name", "Kim"),
            ("email", "kim@example.com"),
        ],
    )
    .await
    .assert_status(303);
    c.get(&mp).await;
    let dup = c
        .post_form(
            &mp,
            &[
                ("login_id", "KIM.CS"),
                ("name", "Other"),
                ("email", "o@example.com"),
            ],
        )
        .await;
    dup.assert_status(422);
    assert_eq!(
        dup.field_errors("login_id"),
        vec!["This login ID is already used in this organization."]
    );
    // No OWNER yet: cannot finish.
    let done = format!("/console/orgs/{id}/online-contact/done");
    assert_eq!(c.get(&done).await.location(), mp);
    let r = c.post_form(&done, &[]).await;
    r.assert_status(422);
    assert!(
        r.body
            .contains("Mark exactly one member as the OWNER before finishing.")
    );

    c.post_form(
        &mp,
        &[
            ("login_id", "lee"),
            ("name", "Lee"),
            ("email", "lee@example.com"),
            ("owner", "on"),
        ],
    )
    .await
    .assert_status(303);
    c.get(&mp).await;
    c.post_form(
        &mp,
        &[
            ("login_id", "park"),
            ("name", "Park"),
            ("email", "park@example.com"),
            ("owner", "on"),
        ],
    )
    .await
    .assert_status(303);
    let page = c.get(&mp).await;
    use online_contact::db::schema::org_members::dsl as m;
    let owners: Vec<String> = m::org_members
        .filter(m::is_owner.eq(true))
        .select(m::login_id)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        owners,
        vec!["park".to_string()],
        "the OWNER moved to the newest one"
    );
    // Make kim the OWNER from the list.
    let kim_id: i64 = m::org_members
        .filter(m::login_id.eq("kim.cs"))
        .select(m::id)
        .first(&mut *app.conn())
        .unwrap();
    assert!(page.body.contains(&format!("/members/{kim_id}/owner")));
    c.post_form(&format!("/console/orgs/{id}/members/{kim_id}/owner"), &[])
        .await
        .assert_status(303);
    let owners: Vec<String> = m::org_members
        .filter(m::is_owner.eq(true))
        .select(m::login_id)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(owners, vec!["kim.cs".to_string()]);
    c.get(&mp).await;
    c.post_form(&done, &[]).await.assert_status(303);
    let page = c.get(&done).await;
    page.assert_status(200);
    assert!(page.body.contains("http://members.localhost:8080"));
    assert!(page.body.contains("<dd id=\"owner-login-id\">kim.cs</dd>"));
    // A button to the workspace, and the step indicator on its last step.
    assert!(page.body.contains(
        "<a class=\"button\" href=\"http://members.localhost:8080\" id=\"open-workspace\">"
    ));
    assert!(
        page.body
            .contains("<li class=\"current\" aria-current=\"step\">3. Done</li>")
    );
    let mpage = c.get(&mp).await;
    assert!(
        mpage
            .body
            .contains("aria-current=\"step\">2. IAM members and OWNER</li>")
    );
    assert!(page.body.contains("Find password"));
    // The database itself refuses a second OWNER.
    let second = diesel::sql_query("UPDATE org_members SET is_owner = TRUE WHERE login_id = 'lee'")
        .execute(&mut *app.conn());
    assert!(second.is_err());
}
