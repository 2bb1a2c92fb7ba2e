//! Console accounts: sign-up, login, lockout, sessions, forgot/reset, password change.

use crate::support::{GOOD_PW, OTHER_PW, TestApp, link_in};

on_all_backends!(
    signup_signs_in_and_stores_only_a_hash,
    signup_answers_bad_input_with_field_messages,
    signup_messages_are_localized,
    signup_refuses_duplicate_email_case_insensitively,
    login_failure_is_the_same_for_unknown_accounts,
    lockout_after_five_failures,
    login_rotates_the_session_and_logout_purges_it,
    forgot_and_reset_by_mail,
    forgot_answers_the_same_for_unknown_email,
    reset_token_is_single_use,
    reset_token_expires,
    reset_ends_other_sessions,
    password_change_ends_other_sessions_only,
    password_change_validates,
    language_choice_is_saved_for_the_member,
    business_signup_needs_a_certificate_and_korea_or_japan,
);

async fn signup_signs_in_and_stores_only_a_hash(app: TestApp) {
    let mut c = app.signup("New@Example.com", GOOD_PW).await;
    let home = c.get("/").await;
    assert!(home.body.contains("Welcome, Test Person"), "{}", home.body);
    use diesel::prelude::*;
    use online_contact::db::schema::console_members::dsl as m;
    let (email, lower, hash): (String, String, String) = m::console_members
        .select((m::email, m::email_lower, m::password_hash))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(email, "New@Example.com");
    assert_eq!(lower, "new@example.com");
    assert!(hash.starts_with("$2"), "bcrypt hash expected");
    assert!(!hash.contains(GOOD_PW));
}

async fn signup_answers_bad_input_with_field_messages(app: TestApp) {
    let mut c = app.client();
    c.get("/signup").await;
    // Everything empty.
    let r = c.post_form("/signup", &[]).await;
    r.assert_status(422);
    for f in [
        "email",
        "name",
        "password",
        "password_confirm",
        "country",
        "member_type",
        "agree_terms",
    ] {
        assert!(!r.field_errors(f).is_empty(), "no message for {f}");
    }
    assert_eq!(r.field_errors("email"), vec!["This field is required."]);
    assert_eq!(
        r.field_errors("agree_terms"),
        vec!["You must agree to the terms to sign up."]
    );
    // The summary above the form (focused on load, without JS too), in the form's order,
    // each message linking to its field.
    let summary = r
        .body
        .split("<div class=\"error-summary\" id=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus>")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    let links: Vec<&str> = summary
        .split("<li><a href=\"#")
        .skip(1)
        .map(|l| l.split('"').next().unwrap())
        .collect();
    assert_eq!(links.first(), Some(&"email"), "{summary}");
    assert!(links.contains(&"agree_terms") && links.contains(&"password"));
    assert!(summary.contains("You must agree to the terms to sign up."));

    // 10,000 characters, a script tag, unicode: messages, values kept (escaped), password dropped.
    let long = "가".repeat(10_000);
    let r = c
        .post_form(
            "/signup",
            &[
                ("email", "<script>alert(1)</script>"),
                ("name", &long),
                ("password", "abcdefgh"),
                ("password_confirm", "abcdefgx"),
                ("country", "XX"),
                ("member_type", "robot"),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("email"),
        vec!["Enter a valid email address, like name@example.com."]
    );
    assert_eq!(r.field_errors("name"), vec!["Use at most 50 characters."]);
    assert_eq!(
        r.field_errors("password"),
        vec![
            "The password needs at least one digit.",
            "The password needs at least one special character, such as ! or #."
        ]
    );
    assert_eq!(
        r.field_errors("password_confirm"),
        vec!["The two passwords do not match."]
    );
    assert_eq!(
        r.field_errors("country"),
        vec!["Choose one of the options."]
    );
    assert_eq!(
        r.input_value("email").as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert!(!r.raw_input_value("email").unwrap().contains('<'));
    assert!(!r.body.contains("<script>alert(1)"));
    assert_eq!(
        r.input_value("name").map(|v| v.chars().count()),
        Some(10_000)
    );
    assert_eq!(r.input_value("password").as_deref(), Some(""));
    assert!(!r.body.contains("abcdefgh"));

    // Each missing class named; too long; invalid characters.
    let r = c.post_form("/signup", &[("password", "12345678")]).await;
    assert_eq!(
        r.field_errors("password"),
        vec![
            "The password needs at least one letter.",
            "The password needs at least one special character, such as ! or #."
        ]
    );
    let r = c
        .post_form("/signup", &[("password", "abc1!abc1!abc1!x")])
        .await;
    assert_eq!(
        r.field_errors("password"),
        vec!["The password must be 8 to 15 characters long."]
    );
    let r = c
        .post_form("/signup", &[("password", "비밀번호1!abc")])
        .await;
    assert!(r.field_errors("password")[0].starts_with("Use only letters"));

    // Unicode and markup in a name are fine and shown escaped after sign-up.
    let r = c
        .post_form(
            "/signup",
            &[
                ("email", "kim@example.com"),
                ("name", "김철수 <b>"),
                ("password", GOOD_PW),
                ("password_confirm", GOOD_PW),
                ("country", "KR"),
                ("member_type", "individual"),
                ("agree_terms", "on"),
            ],
        )
        .await;
    r.assert_status(303);
    let home = c.get("/").await;
    assert!(home.body.contains("김철수 &#60;b&#62;") || home.body.contains("김철수 &lt;b&gt;"));
    assert!(app.outbox().is_empty());
}

async fn signup_messages_are_localized(app: TestApp) {
    for (lang, required, html_lang) in [
        ("ko", "필수 입력 항목입니다.", "lang=\"ko\""),
        ("ja", "必須項目です。", "lang=\"ja\""),
        ("en", "This field is required.", "lang=\"en\""),
    ] {
        let mut c = app.client().header("accept-language", lang);
        let page = c.get("/signup").await;
        assert!(page.body.contains(html_lang));
        let r = c.post_form("/signup", &[]).await;
        r.assert_status(422);
        assert_eq!(
            r.field_errors("email"),
            vec![required.to_string()],
            "{lang}"
        );
    }
}

async fn signup_refuses_duplicate_email_case_insensitively(app: TestApp) {
    app.signup("dup@example.com", GOOD_PW).await;
    let mut c = app.client();
    c.get("/signup").await;
    let r = c
        .post_form(
            "/signup",
            &[
                ("email", "DUP@example.com"),
                ("name", "Second"),
                ("password", GOOD_PW),
                ("password_confirm", GOOD_PW),
                ("country", "JP"),
                ("member_type", "individual"),
                ("agree_terms", "on"),
            ],
        )
        .await;
    r.assert_status(422);
    assert_eq!(
        r.field_errors("email"),
        vec!["This email address is already registered."]
    );
    assert_eq!(r.input_value("name").as_deref(), Some("Second"));
}

async fn login_failure_is_the_same_for_unknown_accounts(app: TestApp) {
    app.signup("a@example.com", GOOD_PW).await;
    let mut c = app.client();
    let wrong = c.login("a@example.com", "wrong123!").await;
    wrong.assert_status(422);
    let unknown = c.login("nobody@example.com", "wrong123!").await;
    unknown.assert_status(422);
    assert!(wrong.body.contains("The email or password is incorrect."));
    assert!(unknown.body.contains("The email or password is incorrect."));
    assert_eq!(wrong.input_value("email").as_deref(), Some("a@example.com"));
    assert_eq!(wrong.input_value("password").as_deref(), Some(""));
    let empty = c.post_form("/login", &[]).await;
    empty.assert_status(422);
    assert_eq!(
        empty.field_errors("password"),
        vec!["This field is required."]
    );
    assert!(!c.signed_in().await);
    let ok = c.login("A@EXAMPLE.COM", GOOD_PW).await;
    ok.assert_status(303);
    assert!(c.signed_in().await);
}

async fn lockout_after_five_failures(app: TestApp) {
    app.signup("lock@example.com", GOOD_PW).await;
    let mut c = app.client();
    for i in 0..4 {
        let r = c.login("lock@example.com", "bad-pass1").await;
        assert!(r.body.contains("is incorrect"), "attempt {i}");
    }
    let fifth = c.login("lock@example.com", "bad-pass1").await;
    fifth.assert_status(422);
    assert!(
        fifth.body.contains("locked for 15 minutes"),
        "{}",
        fifth.body
    );
    // Even the right password is refused while locked.
    let right = c.login("lock@example.com", GOOD_PW).await;
    right.assert_status(422);
    assert!(right.body.contains("locked for 15 minutes"));
    assert!(!c.signed_in().await);
    // Fifteen minutes later.
    app.exec("UPDATE login_throttle SET locked_until = '2000-01-01 00:00:00'");
    c.login("lock@example.com", GOOD_PW)
        .await
        .assert_status(303);
    assert!(c.signed_in().await);
}

async fn login_rotates_the_session_and_logout_purges_it(app: TestApp) {
    app.signup("rot@example.com", GOOD_PW).await;
    let mut c = app.client();
    c.get("/login").await;
    let before_cookie = c
        .cookies
        .get("oc_session")
        .cloned()
        .expect("anonymous session for the form");
    let before_csrf = c.csrf.clone().unwrap();
    c.post_form(
        "/login",
        &[("email", "rot@example.com"), ("password", GOOD_PW)],
    )
    .await
    .assert_status(303);
    let after_cookie = c.cookies.get("oc_session").cloned().unwrap();
    assert_ne!(before_cookie, after_cookie);
    c.get("/").await;
    assert_ne!(
        c.csrf.clone().unwrap(),
        before_csrf,
        "CSRF token renewed at login"
    );
    // An old, pre-login cookie does not carry the login.
    let mut old = app.client();
    old.cookies.insert("oc_session".into(), before_cookie);
    assert!(!old.signed_in().await);
    // Logout purges the session.
    let r = c.post_form("/logout", &[]).await;
    r.assert_status(303);
    assert!(
        !c.cookies.contains_key("oc_session"),
        "session cookie removed"
    );
    assert!(!c.signed_in().await);
}

async fn forgot_and_reset_by_mail(app: TestApp) {
    app.signup("reset@example.com", GOOD_PW).await;
    let mut c = app.client();
    c.get("/password/forgot").await;
    let r = c
        .post_form("/password/forgot", &[("email", "Reset@Example.com")])
        .await;
    r.assert_status(303);
    assert_eq!(r.location(), "/password/forgot");
    let page = c.get("/password/forgot").await;
    assert!(page.body.contains("If an account exists for that address"));
    let mails = app.outbox();
    assert_eq!(mails.len(), 1);
    let (to, subject, text, html) = &mails[0];
    assert_eq!(to, "reset@example.com");
    assert_eq!(subject, "Set a new password for Online Contact");
    let link = link_in(text);
    assert!(
        link.starts_with("http://localhost:8080/password/reset?token="),
        "{link}"
    );
    assert!(html.contains(&link));
    // The token is stored only as a hash.
    let token = link.split("token=").nth(1).unwrap().to_string();
    use diesel::prelude::*;
    use online_contact::db::schema::password_reset_tokens::dsl as t;
    let stored: String = t::password_reset_tokens
        .select(t::token_hash)
        .first(&mut *app.conn())
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, online_contact::auth::token_hash(&token));

    let path = link.trim_start_matches("http://localhost:8080");
    let form = c.get(path).await;
    form.assert_status(200);
    let bad = c
        .post_form(
            path,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    bad.assert_status(422);
    assert!(!bad.field_errors("password").is_empty());
    let done = c
        .post_form(
            path,
            &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
        )
        .await;
    done.assert_status(303);
    assert_eq!(done.location(), "/login");
    assert!(
        c.get("/login")
            .await
            .body
            .contains("Your password has been changed")
    );
    c.login("reset@example.com", GOOD_PW)
        .await
        .assert_status(422);
    c.login("reset@example.com", OTHER_PW)
        .await
        .assert_status(303);
    assert!(c.signed_in().await);
    let mails = app.outbox();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].1, "Your Online Contact password was changed");
}

async fn forgot_answers_the_same_for_unknown_email(app: TestApp) {
    app.signup("known@example.com", GOOD_PW).await;
    let mut c = app.client();
    c.get("/password/forgot").await;
    let a = c
        .post_form("/password/forgot", &[("email", "known@example.com")])
        .await;
    let a_page = c.get("/password/forgot").await;
    let b = c
        .post_form("/password/forgot", &[("email", "unknown@example.com")])
        .await;
    let b_page = c.get("/password/forgot").await;
    assert_eq!((a.status, a.location()), (b.status, b.location()));
    let flash = |body: &str| {
        body.split("id=\"flash\">")
            .nth(1)
            .map(|s| s.split('<').next().unwrap_or("").to_string())
    };
    assert!(flash(&a_page.body).is_some());
    assert_eq!(flash(&a_page.body), flash(&b_page.body));
    assert_eq!(app.outbox().len(), 1);
    // Bad input on the field.
    let r = c
        .post_form("/password/forgot", &[("email", &"x".repeat(10_000))])
        .await;
    r.assert_status(422);
    assert_eq!(r.field_errors("email"), vec!["Use at most 254 characters."]);
}

async fn request_reset(app: &TestApp, email: &str) -> String {
    let mut c = app.client();
    c.get("/password/forgot").await;
    c.post_form("/password/forgot", &[("email", email)])
        .await
        .assert_status(303);
    let mails = app.outbox();
    link_in(&mails.last().unwrap().2)
        .trim_start_matches("http://localhost:8080")
        .to_string()
}

async fn reset_token_is_single_use(app: TestApp) {
    app.signup("once@example.com", GOOD_PW).await;
    let path = request_reset(&app, "once@example.com").await;
    let mut c = app.client();
    c.get(&path).await.assert_status(200);
    c.post_form(
        &path,
        &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
    )
    .await
    .assert_status(303);
    let again = c.get(&path).await;
    again.assert_status(400);
    assert!(
        again
            .body
            .contains("invalid, has expired or has already been used")
    );
    let post_again = c
        .post_form(
            &path,
            &[("password", "third123!"), ("password_confirm", "third123!")],
        )
        .await;
    post_again.assert_status(400);
    c.login("once@example.com", "third123!")
        .await
        .assert_status(422);
    // A made-up token.
    c.get("/password/reset?token=nonsense")
        .await
        .assert_status(400);
    c.get("/password/reset").await.assert_status(400);
}

async fn reset_token_expires(app: TestApp) {
    app.signup("exp@example.com", GOOD_PW).await;
    let path = request_reset(&app, "exp@example.com").await;
    app.exec("UPDATE password_reset_tokens SET expires_at = '2000-01-01 00:00:00'");
    let mut c = app.client();
    c.get(&path).await.assert_status(400);
    c.get("/password/forgot").await;
    c.post_form(
        &path,
        &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
    )
    .await
    .assert_status(400);
    c.login("exp@example.com", GOOD_PW).await.assert_status(303);
}

async fn reset_ends_other_sessions(app: TestApp) {
    let mut a = app.signup("multi@example.com", GOOD_PW).await;
    assert!(a.signed_in().await);
    let path = request_reset(&app, "multi@example.com").await;
    let mut b = app.client();
    b.get(&path).await;
    b.post_form(
        &path,
        &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
    )
    .await
    .assert_status(303);
    assert!(!a.signed_in().await, "the old session ends after a reset");
}

async fn password_change_ends_other_sessions_only(app: TestApp) {
    let mut a = app.signup("chg@example.com", GOOD_PW).await;
    let mut b = app.client();
    b.login("chg@example.com", GOOD_PW).await.assert_status(303);
    assert!(b.signed_in().await);
    a.get("/account/password").await.assert_status(200);
    let r = a
        .post_form(
            "/account/password",
            &[
                ("current_password", GOOD_PW),
                ("password", OTHER_PW),
                ("password_confirm", OTHER_PW),
            ],
        )
        .await;
    r.assert_status(303);
    assert!(a.signed_in().await, "this session goes on");
    assert!(!b.signed_in().await, "the other session ends");
    assert_eq!(
        app.outbox().last().unwrap().1,
        "Your Online Contact password was changed"
    );
    let mut c = app.client();
    c.login("chg@example.com", OTHER_PW)
        .await
        .assert_status(303);
}

async fn password_change_validates(app: TestApp) {
    let mut a = app.signup("val@example.com", GOOD_PW).await;
    a.get("/account/password").await;
    let r = a
        .post_form(
            "/account/password",
            &[
                ("current_password", "nope1234!"),
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
            "/account/password",
            &[
                ("current_password", GOOD_PW),
                ("password", GOOD_PW),
                ("password_confirm", GOOD_PW),
            ],
        )
        .await;
    assert_eq!(
        r.field_errors("password"),
        vec!["Choose a password different from the current one."]
    );
    let r = a.post_form("/account/password", &[]).await;
    assert_eq!(
        r.field_errors("current_password"),
        vec!["This field is required."]
    );
    assert_eq!(r.field_errors("password"), vec!["Enter a password."]);
    // Signed out: sent to login.
    let mut anon = app.client();
    assert_eq!(
        anon.get("/account/password").await.location(),
        "/login?next=%2Faccount%2Fpassword"
    );
}

async fn language_choice_is_saved_for_the_member(app: TestApp) {
    let mut a = app.signup("lang@example.com", GOOD_PW).await;
    let r = a
        .post_form("/lang", &[("lang", "ja"), ("next", "/account/password")])
        .await;
    r.assert_status(303);
    assert_eq!(r.location(), "/account/password");
    let page = a.get("/account/password").await;
    assert!(page.body.contains("<html lang=\"ja\">"));
    assert!(page.body.contains("パスワード変更"));
    // A fresh browser with an English Accept-Language still gets Japanese after login.
    let mut b = app.client().header("accept-language", "en");
    assert!(b.get("/login").await.body.contains("<html lang=\"en\">"));
    b.login("lang@example.com", GOOD_PW)
        .await
        .assert_status(303);
    assert!(b.get("/").await.body.contains("<html lang=\"ja\">"));
    // Off-site next is not followed; unknown language is ignored.
    assert_eq!(
        b.post_form(
            "/lang",
            &[("lang", "ko"), ("next", "https://evil.example/")]
        )
        .await
        .location(),
        "/"
    );
    assert_eq!(
        b.post_form("/lang", &[("lang", "xx"), ("next", "/")])
            .await
            .location(),
        "/"
    );
    assert!(b.get("/").await.body.contains("<html lang=\"ko\">"));
}

async fn business_signup_needs_a_certificate_and_korea_or_japan(app: TestApp) {
    let pdf: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let fields = |email: &'static str, country: &'static str| {
        vec![
            ("email", email),
            ("name", "Biz Person"),
            ("password", GOOD_PW),
            ("password_confirm", GOOD_PW),
            ("country", country),
            ("member_type", "business"),
            ("agree_terms", "on"),
        ]
    };
    let mut c = app.client();
    let page = c.get("/signup").await;
    // The page sends the form as multipart, with the file field.
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("name=\"certificate\""));
    // A business member outside Korea and Japan: refused, naming the rule, input kept.
    let r = c
        .post_multipart(
            "/signup",
            &fields("us@example.com", "US"),
            &[("certificate", "c.pdf", pdf)],
        )
        .await;
    r.assert_status(422);
    assert!(
        r.field_errors("member_type")[0].contains("only in Korea and Japan"),
        "{:?}",
        r.field_errors("member_type")
    );
    assert_eq!(r.input_value("email").as_deref(), Some("us@example.com"));
    // No certificate (url-encoded, or multipart without a file).
    let r = c
        .post_form("/signup", &fields("kr@example.com", "KR"))
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("Attach"));
    let r = c
        .post_multipart("/signup", &fields("kr@example.com", "KR"), &[])
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("Attach"));
    // Checked by content, not by name: a zip called .pdf is refused; so is an empty file.
    let r = c
        .post_multipart(
            "/signup",
            &fields("kr@example.com", "KR"),
            &[("certificate", "c.pdf", b"PK\x03\x04not a pdf")],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("PDF, PNG or JPEG"));
    let r = c
        .post_multipart(
            "/signup",
            &fields("kr@example.com", "KR"),
            &[("certificate", "e.pdf", b"")],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("empty"));
    // Over 5 MiB.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let r = c
        .post_multipart(
            "/signup",
            &fields("kr@example.com", "KR"),
            &[("certificate", "big.pdf", &big)],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("larger than 5 MB"));
    // A valid certificate with another mistake: the member is told to choose it again.
    let mut bad = fields("kr@example.com", "KR");
    bad[3] = ("password_confirm", "different-Password-1!");
    let r = c
        .post_multipart("/signup", &bad, &[("certificate", "c.pdf", pdf)])
        .await;
    r.assert_status(422);
    assert!(r.field_errors("certificate")[0].contains("Choose the certificate again"));
    // Korean business member with a PDF: signed up, the file kept in the database.
    let r = c
        .post_multipart(
            "/signup",
            &fields("kr@example.com", "KR"),
            &[("certificate", "scans/사업자등록증.pdf", pdf)],
        )
        .await;
    r.assert_status(303);
    let account = c.get("/account").await;
    account.assert_status(200);
    assert!(
        account.body.contains("사업자등록증.pdf"),
        "{}",
        account.body
    );
    assert!(account.body.contains("Business member"));
    let file = c.get("/account/certificate").await;
    file.assert_status(200);
    assert_eq!(file.bytes, pdf);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    // Japan with a PNG; an individual member needs nothing (and has no certificate).
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let mut jp = app.client();
    jp.get("/signup").await;
    jp.post_multipart(
        "/signup",
        &fields("jp@example.com", "JP"),
        &[("certificate", "c.png", png)],
    )
    .await
    .assert_status(303);
    let mut person = app.client();
    person.get("/signup").await;
    let mut individual = fields("us2@example.com", "US");
    individual[5] = ("member_type", "individual");
    person
        .post_form("/signup", &individual)
        .await
        .assert_status(303);
    person.get("/account/certificate").await.assert_status(404);
    let account = person.get("/account").await;
    assert!(account.body.contains("Individual member"));
    assert!(!account.body.contains("id=\"certificate\""));
    // Not signed in: no certificate.
    let r = app.client().get("/account/certificate").await;
    assert_ne!(r.status, 200);
    use diesel::prelude::*;
    use online_contact::db::schema::member_certificates::dsl as mc;
    let stored: Vec<(String, String)> = mc::member_certificates
        .order(mc::member_id)
        .select((mc::content_type, mc::file_name))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        stored,
        vec![
            (
                "application/pdf".to_string(),
                "사업자등록증.pdf".to_string()
            ),
            ("image/png".to_string(), "c.png".to_string()),
        ]
    );
}
