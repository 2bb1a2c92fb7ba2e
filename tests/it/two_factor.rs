//! Two-factor sign-in (TOTP) in both realms: enrollment, the second step, replay and
//! recovery codes, lockout, the OWNER's requirement, secrets encrypted at rest.

use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    console_enrollment_second_step_replay_and_recovery,
    wrong_codes_count_toward_the_lockout,
    owner_requirement_sends_members_to_enrollment,
    wrong_passwords_to_turn_it_off_count_toward_the_lockout,
);

fn now_unix() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

use crate::support::totp_code as code;

fn secret_on(body: &str) -> String {
    body.split("id=\"totp-secret\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .expect("the secret on the page")
        .to_string()
}

fn codes_on(body: &str) -> Vec<String> {
    let section = body
        .split("id=\"recovery-codes\"")
        .nth(1)
        .expect("recovery codes shown");
    let list = section.split("</ul>").next().unwrap();
    list.split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}

/// Enrolls the signed-in account at `page`; returns the secret and the recovery codes.
async fn enroll(c: &mut Client, page: &str) -> (String, Vec<String>) {
    let p = c.get(page).await;
    p.assert_status(200);
    assert!(p.body.contains("<svg"), "a QR code");
    assert_eq!(p.header("cache-control"), Some("no-store"));
    let secret = secret_on(&p.body);
    assert!(secret.len() >= 32, "{secret}");
    // The same secret until confirmed (a reload does not invalidate the scanned code).
    assert_eq!(secret_on(&c.get(page).await.body), secret);
    let r = c.post_form(page, &[("code", "000000")]).await;
    r.assert_status(422);
    assert!(!r.field_errors("code").is_empty());
    let r = c
        .post_form(page, &[("code", &code(&secret, now_unix()))])
        .await;
    r.assert_status(200);
    assert!(r.body.contains("id=\"tf-status\""));
    let codes = codes_on(&r.body);
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn console_enrollment_second_step_replay_and_recovery(app: TestApp) {
    let mut c = app.signup("two@example.com", GOOD_PW).await;
    let (secret, codes) = enroll(&mut c, "/account/2fa").await;
    // At rest: neither the secret nor a recovery code in plain text.
    {
        use diesel::prelude::*;
        use online_contact::db::schema::{recovery_codes as rc, two_factor as tf};
        let mut conn = app.conn();
        let sealed: Vec<String> = tf::table.select(tf::secret_enc).load(&mut *conn).unwrap();
        assert_eq!(sealed.len(), 1);
        assert!(!sealed[0].contains(&secret));
        let raw = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
        assert!(!sealed[0].as_bytes().windows(raw.len()).any(|w| w == raw));
        let hashes: Vec<String> = rc::table.select(rc::code_hash).load(&mut *conn).unwrap();
        assert_eq!(hashes.len(), 10);
        for code in &codes {
            assert!(!hashes.iter().any(|h| h.contains(code.as_str())));
        }
    }
    c.post_form("/logout", &[]).await.assert_status(303);

    // The password alone does not sign in: the second step is asked for.
    let mut c = app.client();
    c.get("/login").await;
    let r = c.login("two@example.com", GOOD_PW).await;
    r.assert_status(303);
    assert_eq!(r.location(), "/login/2fa");
    assert!(!c.signed_in().await, "no session before the code");
    let step = c.get("/login/2fa").await;
    step.assert_status(200);
    assert!(step.body.contains("name=\"code\""));
    // The code that confirmed the enrollment was used: not accepted again.
    let used = code(&secret, now_unix());
    let r = c.post_form("/login/2fa", &[("code", &used)]).await;
    r.assert_status(422);
    assert!(r.field_errors("code")[0].contains("used already"));
    // The next step's code (within the allowed drift) signs in, once.
    let next = code(&secret, now_unix() + 30);
    let r = c.post_form("/login/2fa", &[("code", &next)]).await;
    r.assert_status(303);
    assert!(c.signed_in().await);
    c.post_form("/logout", &[]).await;
    let mut c = app.client();
    c.get("/login").await;
    c.login("two@example.com", GOOD_PW).await;
    c.get("/login/2fa").await;
    c.post_form("/login/2fa", &[("code", &next)])
        .await
        .assert_status(422);
    // A recovery code signs in once, typed loosely.
    let loose = codes[0].replace('-', " ").to_uppercase();
    c.post_form("/login/2fa", &[("code", &loose)])
        .await
        .assert_status(303);
    assert!(c.signed_in().await);
    let page = c.get("/account/2fa").await;
    assert!(
        page.body.contains("Recovery codes left: 9"),
        "{}",
        page.body
    );
    c.post_form("/logout", &[]).await;
    let mut c = app.client();
    c.get("/login").await;
    c.login("two@example.com", GOOD_PW).await;
    c.get("/login/2fa").await;
    c.post_form("/login/2fa", &[("code", &codes[0])])
        .await
        .assert_status(422);
    c.post_form("/login/2fa", &[("code", &codes[1])])
        .await
        .assert_status(303);

    // New recovery codes (after a code): the old ones stop working.
    c.get("/account/2fa").await;
    let r = c
        .post_form("/account/2fa/recovery-codes", &[("code", &codes[2])])
        .await;
    r.assert_status(200);
    let fresh = codes_on(&r.body);
    assert_eq!(fresh.len(), 10);
    assert!(!fresh.contains(&codes[3]));
    // Turning off needs the password and a code.
    let r = c
        .post_form(
            "/account/2fa/disable",
            &[("password", "Wrong-pass1!"), ("code", &fresh[0])],
        )
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("password").is_empty());
    let r = c
        .post_form(
            "/account/2fa/disable",
            &[("password", GOOD_PW), ("code", &codes[3])],
        )
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("code").is_empty());
    c.post_form(
        "/account/2fa/disable",
        &[("password", GOOD_PW), ("code", &fresh[0])],
    )
    .await
    .assert_status(303);
    c.post_form("/logout", &[]).await;
    // Off: the password signs in again.
    let mut c = app.client();
    c.get("/login").await;
    let r = c.login("two@example.com", GOOD_PW).await;
    assert_ne!(r.location(), "/login/2fa");
    assert!(c.signed_in().await);
    // Without a pending sign-in the second step is not there.
    let mut other = app.client();
    let r = other.get("/login/2fa").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/login");
}

async fn wrong_codes_count_toward_the_lockout(app: TestApp) {
    let mut c = app.signup("lock@example.com", GOOD_PW).await;
    let (secret, _) = enroll(&mut c, "/account/2fa").await;
    c.post_form("/logout", &[]).await;
    let mut c = app.client();
    c.get("/login").await;
    c.login("lock@example.com", GOOD_PW).await;
    c.get("/login/2fa").await;
    let mut locked_at = None;
    for i in 0..5 {
        let r = c.post_form("/login/2fa", &[("code", "123456")]).await;
        if r.status == 303 {
            assert_eq!(r.location(), "/login");
            locked_at = Some(i);
            break;
        }
        r.assert_status(422);
    }
    assert_eq!(locked_at, Some(4), "the fifth wrong code locks");
    // Locked: even the right password and code do not sign in now.
    let mut c = app.client();
    c.get("/login").await;
    let r = c.login("lock@example.com", GOOD_PW).await;
    r.assert_status(422);
    assert!(
        r.body.contains("locked") || r.body.contains("Too many"),
        "{}",
        r.body
    );
    let _ = secret;
    assert!(!c.signed_in().await);
}

async fn owner_requirement_sends_members_to_enrollment(app: TestApp) {
    let mut boss = app.admin("tfreq").await;
    let mut agent = app.ws_login("tfreq", "agent1", GOOD_PW).await;
    // Only the OWNER changes the requirement.
    agent.get("/me/settings").await;
    agent
        .post_form("/admin/org/two-factor", &[("require_2fa", "on")])
        .await
        .assert_status(403);
    let page = boss.get("/admin/org").await;
    assert!(page.body.contains("id=\"require_2fa\""));
    let r = boss
        .post_form("/admin/org/two-factor", &[("require_2fa", "on")])
        .await;
    r.assert_status(303);
    let page = boss.get("/admin/org").await;
    assert!(
        page.body
            .contains("Every member of this organization must sign in with two factors")
    );
    // Another org is not affected.
    let mut other = app.admin("tfother").await;
    other.get("/me/settings").await.assert_status(200);

    // The agent's next sign-in goes to enrollment, and every page does until it is on.
    let mut a = app.ws("tfreq");
    a.get("/login").await;
    let r = a
        .post_form("/login", &[("login_id", "agent1"), ("password", GOOD_PW)])
        .await;
    r.assert_status(303);
    assert_eq!(r.location(), "/me/2fa");
    let r = a.get("/me/settings").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/me/2fa");
    let (secret, codes) = enroll(&mut a, "/me/2fa").await;
    a.get("/me/settings").await.assert_status(200);
    // Required: it cannot be turned off.
    let r = a
        .post_form(
            "/me/2fa/disable",
            &[("password", GOOD_PW), ("code", &codes[0])],
        )
        .await;
    r.assert_status(422);
    assert!(r.field_errors("password")[0].contains("requires"));
    // The next sign-in asks for the code.
    a.post_form("/logout", &[]).await;
    let mut a = app.ws("tfreq");
    a.get("/login").await;
    let r = a
        .post_form("/login", &[("login_id", "agent1"), ("password", GOOD_PW)])
        .await;
    assert_eq!(r.location(), "/login/2fa");
    a.get("/login/2fa").await;
    let r = a
        .post_form("/login/2fa", &[("code", &code(&secret, now_unix() + 30))])
        .await;
    r.assert_status(303);
    a.get("/me/settings").await.assert_status(200);
    // A member who joins by invitation while it is required starts at enrollment.
    boss.get("/admin/org-admins").await;
    boss.post_form(
        "/admin/org-admins/invite",
        &[
            ("name", "New Joiner"),
            ("login_id", "joiner"),
            ("email", "joiner@example.com"),
            ("phone", ""),
        ],
    )
    .await
    .assert_status(303);
    let link = crate::support::link_in(&app.outbox().last().unwrap().2);
    let path = link
        .trim_start_matches("http://tfreq.localhost:8080")
        .to_string();
    let mut j = app.ws("tfreq");
    j.get(&path).await.assert_status(200);
    let r = j
        .post_form(
            &path,
            &[("password", GOOD_PW), ("password_confirm", GOOD_PW)],
        )
        .await;
    assert_eq!(r.location(), "/me/2fa");
    assert_eq!(j.get("/").await.location(), "/me/2fa");
    // A console sign-in step is no workspace sign-in: the workspace step needs its own.
    let mut console = app.client();
    console.get("/login/2fa").await.assert_status(303);
}

async fn wrong_passwords_to_turn_it_off_count_toward_the_lockout(app: TestApp) {
    let mut c = app.signup("off@example.com", GOOD_PW).await;
    let (_, codes) = enroll(&mut c, "/account/2fa").await;
    let mut last = Vec::new();
    for _ in 0..5 {
        let r = c
            .post_form(
                "/account/2fa/disable",
                &[("password", "Wrong-pass1!"), ("code", &codes[0])],
            )
            .await;
        r.assert_status(422);
        last = r.field_errors("password");
    }
    assert!(last[0].contains("Too many"), "{last:?}");
    // Locked now: the right password is refused too, and 2FA stays on.
    let r = c
        .post_form(
            "/account/2fa/disable",
            &[("password", GOOD_PW), ("code", &codes[0])],
        )
        .await;
    r.assert_status(422);
    assert!(
        c.get("/account/2fa")
            .await
            .body
            .contains("id=\"tf-status\"")
    );
}
