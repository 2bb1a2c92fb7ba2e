//! Web foundation: CSRF and cross-site refusal, error pages, headers, static files.

use crate::support::{Backend, GOOD_PW, TestApp};

on_all_backends!(
    csrf_is_required_on_every_post,
    multipart_posts_carry_the_token_first,
    cross_site_posts_are_refused,
    error_pages_are_localized_pages,
    healthz_and_headers
);

async fn csrf_is_required_on_every_post(app: TestApp) {
    let mut c = app.client();
    c.get("/signup").await;
    for path in [
        "/signup",
        "/login",
        "/logout",
        "/password/forgot",
        "/password/reset?token=x",
        "/lang",
        "/account/password",
    ] {
        let r = c
            .post_raw(
                path,
                "email=a%40b.com&password=x".into(),
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(r.status, 403, "{path} without _csrf");
        assert!(r.body.contains("Not allowed"), "{path}: localized 403 page");
        let r = c
            .post_raw(
                path,
                "_csrf=wrong&email=a%40b.com".into(),
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(r.status, 403, "{path} with a wrong _csrf");
    }
    // A token from another session does not work either.
    let mut other = app.client();
    other.get("/signup").await;
    let foreign = other.csrf.clone().unwrap();
    let r = c
        .post_raw(
            "/login",
            format!("_csrf={foreign}&email=a%40b.com&password=x"),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(r.status, 403);
    // The right token passes.
    let r = c
        .post_form("/login", &[("email", "a@b.com"), ("password", "x")])
        .await;
    assert_eq!(r.status, 422);
    // Localized 403.
    let mut ko = app.client().header("accept-language", "ko");
    ko.get("/").await;
    let r = ko
        .post_raw("/login", String::new(), "application/x-www-form-urlencoded")
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("허용되지 않음"));
}

/// Multipart forms carry the token as their first part (never in the address): in the
/// query only, later in the body, or wrong, the post is refused; first, it passes and the
/// handler reads the whole body.
async fn multipart_posts_carry_the_token_first(app: TestApp) {
    let mut c = app.client();
    c.get("/signup").await;
    let token = c.csrf.clone().unwrap();
    let b = "----octestboundaryXyZ";
    let ct = format!("multipart/form-data; boundary={b}");
    let part = |k: &str, v: &str| {
        format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
    };
    let end = format!("--{b}--\r\n");
    let first = format!("{}{}{end}", part("_csrf", &token), part("email", "bad"));
    let later = format!("{}{}{end}", part("email", "bad"), part("_csrf", &token));
    let wrong = format!("{}{}{end}", part("_csrf", "nope"), part("email", "bad"));
    let none = format!("{}{end}", part("email", "bad"));
    let r = c
        .post_raw(&format!("/signup?_csrf={token}"), none, &ct)
        .await;
    assert_eq!(r.status, 403, "token in the query only");
    assert_eq!(c.post_raw("/signup", later, &ct).await.status, 403);
    assert_eq!(c.post_raw("/signup", wrong, &ct).await.status, 403);
    let r = c.post_raw("/signup", first, &ct).await;
    assert_eq!(r.status, 422, "the form is read and answered");
    assert!(!r.field_errors("email").is_empty());
    // The sign-up form's action holds no token.
    let page = c.get("/signup").await;
    assert!(!page.body.contains("_csrf="), "no token in any action");
}

async fn cross_site_posts_are_refused(app: TestApp) {
    app.signup("x@example.com", GOOD_PW).await;
    let mut c = app.client().header("origin", "http://evil.example");
    c.get("/login").await;
    c.post_form(
        "/login",
        &[("email", "x@example.com"), ("password", GOOD_PW)],
    )
    .await
    .assert_status(403);
    let mut c = app.client().header("sec-fetch-site", "cross-site");
    c.get("/login").await;
    c.post_form(
        "/login",
        &[("email", "x@example.com"), ("password", GOOD_PW)],
    )
    .await
    .assert_status(403);
    let mut c = app
        .client()
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin");
    c.get("/login").await;
    c.post_form(
        "/login",
        &[("email", "x@example.com"), ("password", GOOD_PW)],
    )
    .await
    .assert_status(303);
}

async fn error_pages_are_localized_pages(app: TestApp) {
    let mut en = app.client();
    let r = en.get("/no/such/page").await;
    r.assert_status(404);
    assert!(r.body.contains("Page not found"));
    assert!(r.body.starts_with("<!doctype html>"));
    let mut ja = app.client().header("accept-language", "ja-JP,ja;q=0.9");
    let r = ja.get("/no/such/page").await;
    assert!(r.body.contains("ページが見つかりません"));
    // Too large a form: 413, not a crash.
    let mut c = app.client();
    c.get("/signup").await;
    let huge = format!("name={}", "a".repeat(2 * 1024 * 1024));
    let r = c
        .post_raw("/signup", huge, "application/x-www-form-urlencoded")
        .await;
    r.assert_status(413);
    assert!(r.body.contains("Too large"));
    // A body the form cannot decode: 400 page, never 500.
    let token = c.csrf.clone().unwrap();
    let r = c
        .post_raw(
            "/signup",
            format!("_csrf={token}&email=a&email=b"),
            "application/x-www-form-urlencoded",
        )
        .await;
    r.assert_status(400);
    assert!(r.body.contains("Bad request"));
    let r = c
        .post_raw(
            "/signup",
            format!("_csrf={token}&name=%FF%FE"),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert!(r.status == 422 || r.status == 400, "{}", r.status);
    // Wrong method.
    let r = c.get("/logout").await;
    assert!(r.status == 404 || r.status == 405);
    assert!(r.body.contains("<html lang=\"en\">"));
}

async fn healthz_and_headers(app: TestApp) {
    let mut c = app.client();
    let r = c.get("/healthz").await;
    r.assert_status(200);
    assert_eq!(r.body, "ok");
    let r = c.get("/").await;
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("referrer-policy").is_some());
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let css = c.get("/static/app.css").await;
    css.assert_status(200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.header("cache-control").unwrap().contains("max-age"));
    c.get("/static/nope.css").await.assert_status(404);
    c.get("/static/..%2FCargo.toml").await.assert_status(404);
}

#[actix_web::test]
async fn https_cookie_is_secure_and_host_prefixed() {
    let app = TestApp::start_with(
        Backend::Sqlite,
        &[("OC_BASE_URL", "https://console.example.com")],
    )
    .await;
    let mut c = app.client();
    c.host = "console.example.com".into();
    let r = c.get("/").await;
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.starts_with("__Host-oc_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/"));
    assert!(r.header("strict-transport-security").is_some());
}

/// `online-contact migrate` on a fresh SQLite file in a new directory, logging at `info`
/// with `log_format`.
fn migrate_fresh(log_format: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_online-contact"))
        .arg("migrate")
        .env(
            "OC_DATABASE_URL",
            format!("sqlite://{}/fresh.db", dir.path().display()),
        )
        .env("OC_DATA_DIR", dir.path())
        .env(
            "OC_SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789",
        )
        .env("OC_LOG", "info")
        .env("OC_LOG_FORMAT", log_format)
        .output()
        .unwrap()
}

/// The very first start on a fresh SQLite file logs no error (the journal mode is switched
/// once, before the pool opens its connections), however often it is tried.
#[test]
fn a_fresh_sqlite_file_starts_cleanly() {
    for i in 0..20 {
        let out = migrate_fresh("text");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "start {i}: {all}");
        assert!(!all.contains("ERROR"), "start {i}: {all}");
        assert!(all.contains("migrations applied"), "start {i}: {all}");
    }
}

/// `OC_LOG_FORMAT=json`: every line is one JSON object with the level and the message,
/// and the lines queued for the background writer are all written before the exit.
#[test]
fn logs_can_be_json_lines() {
    let out = migrate_fresh("json");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "migrations applied" && l["level"] == "INFO"),
        "{text}"
    );
}
