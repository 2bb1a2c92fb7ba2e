//! Server-side sessions: "my sessions" in both realms, ending one or all others, idle and
//! absolute expiry end to end, and two app instances sharing one Postgres.

use diesel::prelude::*;

use crate::support::http::{Http, serve};
use crate::support::{Backend, GOOD_PW, OTHER_PW, TestApp, TestDb, test_config};

on_all_backends!(
    workspace_sessions_list_and_end,
    console_sessions_list_and_end,
    idle_and_absolute_expiry_end_to_end,
    a_password_reset_ends_every_session,
);

/// The Postgres URL of the test run, for a test that needs Postgres; None (and the test
/// `what` said skipped) without one.
fn postgres_url(what: &str) -> Option<String> {
    match crate::support::backends().into_iter().nth(1) {
        Some(Backend::Postgres(url)) => Some(url),
        _ => {
            eprintln!("{what} test skipped: OC_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

fn session_ids(body: &str) -> Vec<i64> {
    body.split("<tr id=\"session-")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

async fn workspace_sessions_list_and_end(app: TestApp) {
    let mut a = app.admin("sess").await;
    let mut b = app.ws_login("sess", "boss", GOOD_PW).await;
    let mut other = app.ws_login("sess", "agent1", GOOD_PW).await;
    let page = a.get("/me/sessions").await;
    page.assert_status(200);
    assert!(page.body.contains("My sessions"));
    let ids = session_ids(&page.body);
    assert_eq!(
        ids.len(),
        2,
        "boss has two sessions, agent1's is not listed"
    );
    assert!(page.body.contains("This session"));
    // The current one is listed first; end the other one.
    let b_id = ids[1];
    let r = a.post_form(&format!("/me/sessions/{b_id}/end"), &[]).await;
    assert_eq!(r.location(), "/me/sessions");
    let r = b.get("/me/settings").await;
    assert_eq!(r.status, 303, "the ended session is signed out");
    // Another account's session cannot be ended from here.
    let theirs = session_ids(&other.get("/me/sessions").await.body)[0];
    a.get("/me/sessions").await;
    a.post_form(&format!("/me/sessions/{theirs}/end"), &[])
        .await
        .assert_status(404);
    other.get("/me/settings").await.assert_status(200);
    // End all others.
    let mut c = app.ws_login("sess", "boss", GOOD_PW).await;
    let mut d = app.ws_login("sess", "boss", GOOD_PW).await;
    a.get("/me/sessions").await;
    assert_eq!(session_ids(&a.get("/me/sessions").await.body).len(), 3);
    a.post_form("/me/sessions/end-others", &[])
        .await
        .assert_status(303);
    assert_eq!(c.get("/me/settings").await.status, 303);
    assert_eq!(d.get("/me/settings").await.status, 303);
    a.get("/me/settings").await.assert_status(200);
    assert_eq!(session_ids(&a.get("/me/sessions").await.body).len(), 1);
    // Ending the current one is a logout.
    let mine = session_ids(&a.get("/me/sessions").await.body)[0];
    let r = a.post_form(&format!("/me/sessions/{mine}/end"), &[]).await;
    assert_eq!(r.location(), "/login");
    assert_eq!(a.get("/me/settings").await.status, 303);
}

async fn console_sessions_list_and_end(app: TestApp) {
    let mut a = app.signup("cs@example.com", GOOD_PW).await;
    let mut b = app.client();
    b.login("cs@example.com", GOOD_PW).await.assert_status(303);
    let page = a.get("/account/sessions").await;
    let ids = session_ids(&page.body);
    assert_eq!(ids.len(), 2);
    a.post_form("/account/sessions/end-others", &[])
        .await
        .assert_status(303);
    assert!(!b.signed_in().await);
    assert!(a.signed_in().await);
    // Without a session: the login page.
    let mut anon = app.client();
    let r = anon.get("/account/sessions").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
}

async fn idle_and_absolute_expiry_end_to_end(app: TestApp) {
    let mut c = app.signup("idle@example.com", GOOD_PW).await;
    assert!(c.signed_in().await);
    // Unused for longer than OC_SESSION_IDLE_MINUTES (60).
    app.exec("UPDATE sessions SET last_seen_at = '2000-01-01 00:00:00'");
    assert!(!c.signed_in().await, "idle session ended");
    let left: i64 = {
        use online_contact::db::schema::sessions::dsl as s;
        s::sessions.count().get_result(&mut *app.conn()).unwrap()
    };
    assert_eq!(left, 0, "and its row is gone");
    // Active, but past OC_SESSION_MAX_HOURS.
    c.login("idle@example.com", GOOD_PW)
        .await
        .assert_status(303);
    assert!(c.signed_in().await);
    app.exec("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'");
    assert!(!c.signed_in().await, "absolute end reached");
    // A fresh sign-in works again, and an active session is refreshed.
    c.login("idle@example.com", GOOD_PW)
        .await
        .assert_status(303);
    let old = (chrono::Utc::now() - chrono::Duration::minutes(59)).naive_utc();
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = '{}'",
        old.format("%Y-%m-%d %H:%M:%S")
    ));
    assert!(c.signed_in().await, "59 minutes idle is still fine");
    let seen: chrono::NaiveDateTime = {
        use online_contact::db::schema::sessions::dsl as s;
        s::sessions
            .select(s::last_seen_at)
            .first(&mut *app.conn())
            .unwrap()
    };
    assert!(
        seen > old + chrono::Duration::minutes(58),
        "last seen refreshed"
    );
}

async fn a_password_reset_ends_every_session(app: TestApp) {
    let mut a = app.signup("rs@example.com", GOOD_PW).await;
    let mut anon = app.client();
    anon.get("/password/forgot").await;
    anon.post_form("/password/forgot", &[("email", "rs@example.com")])
        .await
        .assert_status(303);
    let link = crate::support::link_in(&app.outbox().last().unwrap().2);
    let path = link.trim_start_matches("http://localhost:8080").to_string();
    anon.get(&path).await;
    anon.post_form(
        &path,
        &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
    )
    .await
    .assert_status(303);
    assert!(!a.signed_in().await);
}

/// Two app instances on one Postgres: a session started on A works on B, logout on A ends
/// it on B, and a job enqueued once runs exactly once while both runners poll.
#[actix_web::test]
async fn two_instances_share_sessions_and_jobs() {
    let Some(admin) = postgres_url("two-instance") else {
        return;
    };
    let db = TestDb::create(&Backend::Postgres(admin));
    let state = |n: &str| {
        let mut cfg = test_config(&db, "http://localhost:8080", &[]);
        cfg.outbox_dir = db.dir.path().join(n);
        actix_web::web::Data::new(online_contact::AppState::new(cfg).unwrap())
    };
    let (a, b) = (state("a"), state("b"));
    let out_a = db.dir.path().join("outbox-a");
    let out_b = db.dir.path().join("outbox-b");
    let pa = serve(a.clone(), Some(out_a.clone()));
    let pb = serve(b.clone(), Some(out_b.clone()));

    let mut on_a = Http::new(pa, "localhost:8080");
    on_a.get("/signup");
    let r = on_a.post_form(
        "/signup",
        &[
            ("email", "two@example.com"),
            ("name", "Two"),
            ("password", GOOD_PW),
            ("password_confirm", GOOD_PW),
            ("country", "KR"),
            ("member_type", "individual"),
            ("agree_terms", "on"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let mut on_b = on_a.on(pb);
    assert!(
        on_b.get("/").body.contains("id=\"welcome\""),
        "signed in on B"
    );
    assert_eq!(on_b.get("/account/password").status, 200);
    on_a.get("/");
    assert_eq!(on_a.post_form("/logout", &[]).status, 303);
    let r = on_b.get("/account/password");
    assert_eq!(r.status, 303, "logout on A ended the session on B");

    // One reset mail (one job), two runners polling every 100 ms.
    let mut anon = Http::new(pa, "localhost:8080");
    anon.get("/password/forgot");
    for _ in 0..3 {
        assert_eq!(
            anon.post_form("/password/forgot", &[("email", "two@example.com")])
                .status,
            303
        );
    }
    let count = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .map(|r| {
                r.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    };
    let mut total = 0;
    for _ in 0..100 {
        total = count(&out_a) + count(&out_b);
        let pending: i64 = {
            use online_contact::db::schema::jobs::dsl as j;
            j::jobs
                .filter(j::kind.eq("mail"))
                .filter(j::status.ne("done"))
                .count()
                .get_result(&mut *a.pool.get().unwrap())
                .unwrap()
        };
        if total >= 3 && pending == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    total = total.max(count(&out_a) + count(&out_b));
    assert_eq!(total, 3, "each of the three mails was sent exactly once");
    let sent: i64 = {
        use online_contact::db::schema::mail_outbox::dsl as m;
        m::mail_outbox
            .filter(m::status.eq("sent"))
            .count()
            .get_result(&mut *b.pool.get().unwrap())
            .unwrap()
    };
    assert_eq!(sent, 3);
}

/// Ends the app's Postgres connections that read requests (the reader's two connections,
/// `db::PgReads`); how many.
fn end_session_readers(app: &TestApp) -> i64 {
    let mut c = app.conn();
    let online_contact::db::DbConn::Pg(pg) = &mut *c else {
        return 0;
    };
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = '{}')",
        online_contact::db::READER_APPLICATION_NAME
    )))
    .get_result(pg)
    .unwrap()
}

/// On Postgres the tenant and session of every request are read on the request reader's
/// connections. When the server ends them, that request is read through the pool and the
/// next opens a new connection: pages keep answering, signed in, in both realms; a session
/// ended meanwhile stays ended.
#[actix_web::test]
async fn request_reads_outlive_a_lost_worker_connection() {
    let Some(admin) = postgres_url("lost-connection") else {
        return;
    };
    let app = TestApp::start(Backend::Postgres(admin)).await;
    let mut ws = app.admin("lost").await;
    let mut console = app.signup("lost@example.com", GOOD_PW).await;
    assert!(console.signed_in().await);
    let home = ws.get("/").await;
    home.assert_status(200);
    assert!(home.body.contains("Name boss"), "{}", home.body);
    for round in 0..3 {
        // The reader's two connections: Diesel's and the plain client's.
        assert_eq!(end_session_readers(&app), 2, "round {round}");
        // The first request after is read through the pool, the second on a new connection.
        for _ in 0..2 {
            assert!(console.signed_in().await, "round {round}");
            let home = ws.get("/me/settings").await;
            home.assert_status(200);
            assert!(home.body.contains("Name boss"), "round {round}");
        }
    }
    // Signed out on a fresh connection: the next request is refused.
    let mut again = app.ws_login("lost", "boss", GOOD_PW).await;
    again.get("/").await.assert_status(200);
    again.post_form("/logout", &[]).await.assert_status(303);
    assert_eq!(end_session_readers(&app), 2);
    assert_eq!(again.get("/me/settings").await.status, 303);
    assert_eq!(ws.get("/me/settings").await.status, 200);
}

/// The request readers' connections (`db::PgReads`) plan every statement generically: the
/// setting is on the connection, and options of the URL are kept beside it.
#[actix_web::test]
async fn request_readers_use_generic_plans() {
    let Some(admin) = postgres_url("generic-plan") else {
        return;
    };
    let sep = if admin.contains('?') { '&' } else { '?' };
    for url in [
        admin.clone(),
        format!("{admin}{sep}options=-c%20statement_timeout%3D12345"),
    ] {
        let reads =
            online_contact::db::PgReads::new(&online_contact::db::DbUrl::Postgres(url.clone()))
                .expect("a reader for a Postgres URL");
        let conn = reads.conn().await.expect("connected");
        let setting = |name: &str| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(&format!(
                "current_setting('{name}')"
            )))
        };
        let mode: String =
            diesel_async::RunQueryDsl::get_result(setting("plan_cache_mode"), &mut conn.diesel())
                .await
                .unwrap();
        assert_eq!(mode, "force_generic_plan", "{url}");
        let timeout: String =
            diesel_async::RunQueryDsl::get_result(setting("statement_timeout"), &mut conn.diesel())
                .await
                .unwrap();
        let expected = if url.contains("statement_timeout") {
            "12345ms"
        } else {
            "0"
        };
        assert_eq!(timeout, expected, "{url}");
    }
}

/// The request reader connection's driver runs on the runtime that opened it (here the
/// test's own). While that runtime's thread is blocked (here in a blocking request to a
/// server on other threads sharing the app's state), a read waiting on it gives up after
/// `db::READ_DEADLINE` and is read through the pool; the connection is dropped and the next
/// read opens one on the server's worker, which answers at once.
#[actix_web::test]
async fn request_reads_outlive_a_stalled_reader_runtime() {
    let Some(admin) = postgres_url("stalled-reader") else {
        return;
    };
    let app = TestApp::start(Backend::Postgres(admin)).await;
    // Signed in through the in-process service: the reader connection is opened here.
    let mut ws = app.admin("stall").await;
    assert!(ws.get("/").await.body.contains("Name boss"));
    let port = serve(app.state.clone(), None);
    let mut http = Http::new(port, "stall.localhost:8080");
    let deadline = online_contact::db::READ_DEADLINE;
    // The first request's tenant read waits on the stalled runtime, then on the pool.
    let t = std::time::Instant::now();
    let login = http.get("/login");
    assert_eq!(login.status, 200);
    assert!(t.elapsed() >= deadline, "{:?}", t.elapsed());
    let r = http.post_form("/login", &[("login_id", "boss"), ("password", GOOD_PW)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let mut slow = 0;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let page = http.get("/me/settings");
        let took = t.elapsed();
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Name boss"), "{}", page.body);
        assert!(took < deadline * 5, "{took:?}");
        if took >= deadline {
            slow += 1;
        }
    }
    // Read on the new connection (one slow request allowed for a loaded machine).
    assert!(slow <= 1, "{slow} requests waited out the deadline");
    // And the test's runtime, free again, reads on the server's connection.
    assert!(ws.get("/").await.body.contains("Name boss"));
}

/// The request reader's prepared statements (`db::Reader::query_opt`, their SQL written by
/// the pooled path's Diesel queries) read what the pooled queries read: the tenant, a console
/// session, and a workspace session with its org checked.
#[actix_web::test]
async fn reader_statements_read_what_the_pool_reads() {
    use online_contact::auth::sessions::{self, Realm};
    use online_contact::db::schema::{console_members as cm, org_members as om};
    let Some(admin) = postgres_url("reader-statement") else {
        return;
    };
    let app = TestApp::start(Backend::Postgres(admin)).await;
    app.admin("plain").await;
    app.signup("plain@example.com", GOOD_PW).await;
    let reader = app.state.pg_reads.as_ref().unwrap().conn().await.unwrap();
    let (now, idle) = (
        chrono::Utc::now().naive_utc(),
        chrono::Duration::minutes(30),
    );
    let mut c = app.conn();
    let pooled = sessions::tenant_by_domain(&mut c, "plain")
        .unwrap()
        .unwrap();
    let plain = sessions::tenant_by_domain_async(&reader, "plain")
        .await
        .unwrap();
    assert_eq!(format!("{plain:?}"), format!("{:?}", Some(&pooled)));
    let none = sessions::tenant_by_domain_async(&reader, "elsewhere").await;
    assert!(none.unwrap().is_none());

    let member: i64 = cm::table
        .filter(cm::email.eq("plain@example.com"))
        .select(cm::id)
        .first(&mut *c)
        .unwrap();
    let client = sessions::Client::default();
    let day = chrono::Duration::days(1);
    let token = sessions::create(&mut c, Realm::Console, member, &client, now, day).unwrap();
    let (by_pool, _) = sessions::read(&mut c, Realm::Console, &token, now, idle).unwrap();
    let (by_reader, _) = sessions::console_read_async(&reader, &token, now, idle)
        .await
        .unwrap();
    assert!(by_reader.as_ref().is_some_and(|u| u.id == member));
    assert_eq!(format!("{by_reader:?}"), format!("{by_pool:?}"));

    let boss: i64 = om::table
        .filter(om::org_id.eq(pooled.org_id))
        .filter(om::login_id.eq("boss"))
        .select(om::id)
        .first(&mut *c)
        .unwrap();
    let realm = Realm::Workspace(pooled.org_id);
    let wtoken = sessions::create(&mut c, realm, boss, &client, now, day).unwrap();
    let (by_pool, _) = sessions::read(&mut c, realm, &wtoken, now, idle).unwrap();
    let (tenant, by_reader, _) =
        sessions::tenant_and_read_async(&reader, "plain", &wtoken, now, idle)
            .await
            .unwrap();
    assert!(tenant.is_some_and(|t| t.org_id == pooled.org_id));
    assert!(
        by_reader
            .as_ref()
            .is_some_and(|u| u.id == boss && u.login_id == "boss")
    );
    assert_eq!(format!("{by_reader:?}"), format!("{by_pool:?}"));
    // A console session is no workspace session.
    let (_, user, _) = sessions::tenant_and_read_async(&reader, "plain", &token, now, idle)
        .await
        .unwrap();
    assert!(user.is_none());
}
