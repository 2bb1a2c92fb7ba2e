//! The security findings of the restructure issue, each with the test that failed before
//! its fix. Parallel ones drive a served instance from many threads at once.

use diesel::prelude::*;

use crate::support::http::{Http, serve};
use crate::support::{Backend, GOOD_PW, OTHER_PW, TestApp, backends, link_in};

on_all_backends!(
    logout_ends_the_session_on_the_server,
    former_owner_is_not_left_an_org_admin,
    control_characters_are_refused_at_the_boundary,
    a_password_change_spends_reset_links,
    wrong_current_passwords_are_counted,
    the_lock_says_nothing_about_which_accounts_exist,
    languages_are_deduplicated_and_capped,
    oversized_api_json_and_empty_banner,
    parallel_reset_requests_respect_the_hourly_limit,
    parallel_card_removals_keep_the_last_card,
);

const LOCKED: &str = "Too many failed attempts";
const WRONG: &str = "is incorrect";

/// 1. Twenty parallel wrong passwords (console and workspace) verify at most five; the
/// right password afterwards is refused. bcrypt at cost 8 widens the race the old code lost.
#[actix_web::test]
async fn parallel_wrong_passwords_cannot_pass_the_lockout() {
    for backend in backends() {
        parallel_lockout(backend).await;
    }
}

async fn parallel_lockout(backend: Backend) {
    let app = TestApp::start_with(backend, &[("OC_BCRYPT_COST", "8")]).await;
    app.signup("race@example.com", GOOD_PW).await;
    app.onboard(
        "o@race.example.com",
        "race",
        &[("boss", "boss@example.com")],
    )
    .await;
    app.ws_set_password("race", "boss", GOOD_PW).await;
    let port = serve(app.state.clone(), None);
    for (host, field, key) in [
        ("localhost:8080", "email", "race@example.com"),
        ("race.localhost:8080", "login_id", "boss"),
    ] {
        let mut first = Http::new(port, host);
        first.get("/login");
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let mut c = first.clone();
                std::thread::spawn(move || {
                    c.post_form("/login", &[(field, key), ("password", "wrong-pw1!")])
                })
            })
            .collect();
        let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let wrong = answers.iter().filter(|r| r.body.contains(WRONG)).count();
        let locked = answers.iter().filter(|r| r.body.contains(LOCKED)).count();
        assert!(answers.iter().all(|r| r.status == 422), "{host}");
        assert_eq!(wrong + locked, 20, "{host}: every answer is one of the two");
        assert!(
            wrong <= 4,
            "{host}: {wrong} attempts were verified and answered 'wrong'"
        );
        let mut c = Http::new(port, host);
        c.get("/login");
        let right = c.post_form("/login", &[(field, key), ("password", GOOD_PW)]);
        assert_eq!(
            right.status, 422,
            "{host}: the right password is refused while locked"
        );
        assert!(right.body.contains(LOCKED), "{host}");
    }
}

/// 2. A copy of the session cookie taken before logout opens nothing afterwards.
async fn logout_ends_the_session_on_the_server(app: TestApp) {
    let mut c = app.signup("replay@example.com", GOOD_PW).await;
    let mut copy = app.client();
    copy.cookies = c.cookies.clone();
    assert!(
        copy.signed_in().await,
        "the copy works while the session lives"
    );
    c.get("/").await;
    c.post_form("/logout", &[]).await.assert_status(303);
    assert!(!copy.signed_in().await, "the copy is dead after logout");
    let r = copy.get("/account/password").await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login"));
    // Workspace too.
    app.onboard(
        "o@rp.example.com",
        "replay",
        &[("boss", "boss@example.com")],
    )
    .await;
    app.ws_set_password("replay", "boss", GOOD_PW).await;
    let mut w = app.ws_login("replay", "boss", GOOD_PW).await;
    let mut wcopy = app.ws("replay");
    wcopy.cookies = w.cookies.clone();
    wcopy.get("/me/settings").await.assert_status(200);
    w.get("/").await;
    w.post_form("/logout", &[]).await.assert_status(303);
    let r = wcopy.get("/me/settings").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location().starts_with("/login"));
}

/// 3. Moving the OWNER leaves the former OWNER without rights nobody granted.
async fn former_owner_is_not_left_an_org_admin(app: TestApp) {
    let on = app
        .onboard(
            "o@mv.example.com",
            "moveowner",
            &[("boss", "boss@example.com"), ("next", "next@example.com")],
        )
        .await;
    app.ws_set_password("moveowner", "boss", GOOD_PW).await;
    app.ws_set_password("moveowner", "next", GOOD_PW).await;
    let mut boss = app.ws_login("moveowner", "boss", GOOD_PW).await;
    boss.get("/admin").await.assert_status(200);
    let next_id: i64 = {
        use online_contact::db::schema::org_members::dsl as om;
        om::org_members
            .filter(om::login_id.eq("next"))
            .select(om::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    let mut console = on.console;
    let mp = format!("/console/orgs/{}/members", on.public_id);
    console.get(&mp).await;
    console
        .post_form(&format!("{mp}/{next_id}/owner"), &[])
        .await
        .assert_status(303);
    boss.get("/admin").await.assert_status(403);
    boss.get("/admin/org").await.assert_status(403);
    let r = boss
        .post_form("/admin/org/api-key", &[("confirm", "on")])
        .await;
    assert_eq!(r.status, 403, "the former OWNER cannot rotate the org key");
    let mut next = app.ws_login("moveowner", "next", GOOD_PW).await;
    next.get("/admin").await.assert_status(200);
}

/// Finding 4: NUL and other control characters answer 422 with a message for forms and
/// queries, 404 for paths, a 422 problem for the API; on both backends, never a 500.
async fn control_characters_are_refused_at_the_boundary(app: TestApp) {
    let mut c = app.client();
    c.get("/login").await;
    let token = c.csrf.clone().unwrap();
    let r = c
        .post_raw(
            "/login",
            format!("email=a%00%40ex.com&password=x&_csrf={token}"),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("control characters"), "{}", r.body);
    let r = c.get("/login?next=%2F%00x").await;
    assert_eq!(r.status, 422);
    let mut admin = app.admin("nul").await;
    admin
        .get("/admin/services/a%00b/edit")
        .await
        .assert_status(404);
    admin
        .get("/admin/services/a%01b/contract")
        .await
        .assert_status(404);
    let mut ws = app.ws("nul");
    ws.get("/login").await;
    let token = ws.csrf.clone().unwrap();
    let r = ws
        .post_raw(
            "/login",
            format!("login_id=a%00b&password=x&_csrf={token}"),
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(r.status, 422);
    // Multipart: the service form.
    admin.get("/admin/services/new").await;
    let r = admin
        .post_multipart(
            "/admin/services/new",
            &[
                ("kind", "counseling"),
                ("name", "a\u{0}b"),
                ("service_id", "nulsvc"),
                ("languages", "ko"),
                ("default_language", "ko"),
                ("timezone", "Asia/Seoul"),
                ("editor", "text"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    // The API.
    admin.get("/admin/org").await;
    let r = admin
        .post_form("/admin/org/api-key", &[("confirm", "on")])
        .await;
    let page = if r.status == 303 {
        admin.get(r.location()).await
    } else {
        r
    };
    let key = page
        .body
        .split("id=\"new-key\"")
        .nth(1)
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap()
        .trim()
        .to_string();
    let mut api = app.client().header("x-oc-org-key", &key);
    let r = api
        .post_raw(
            "/api/v1/services",
            r#"{"kind":"counseling","name":"a\u0000b","service_id":"apinul","languages":["ko"],"timezone":"Asia/Seoul","editor":"text"}"#.into(),
            "application/json",
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    api.get("/api/v1/services/a%00b").await.assert_status(404);
}

/// 5. Any password change spends the account's outstanding reset links.
async fn a_password_change_spends_reset_links(app: TestApp) {
    let mut c = app.signup("spend@example.com", GOOD_PW).await;
    let mut anon = app.client();
    anon.get("/password/forgot").await;
    anon.post_form("/password/forgot", &[("email", "spend@example.com")])
        .await
        .assert_status(303);
    let link = link_in(&app.outbox().last().unwrap().2);
    let path = link.trim_start_matches("http://localhost:8080").to_string();
    anon.get(&path).await.assert_status(200);
    c.get("/account/password").await;
    c.post_form(
        "/account/password",
        &[
            ("current_password", GOOD_PW),
            ("password", OTHER_PW),
            ("password_confirm", OTHER_PW),
        ],
    )
    .await
    .assert_status(303);
    anon.get(&path).await.assert_status(400);
}

/// Sends the change-password form with `current` as the current password.
async fn change_with(c: &mut crate::support::Client, current: &str) -> crate::support::Resp {
    c.get("/account/password").await;
    c.post_form(
        "/account/password",
        &[
            ("current_password", current),
            ("password", OTHER_PW),
            ("password_confirm", OTHER_PW),
        ],
    )
    .await
}

/// 6. Wrong current passwords on the change form count like sign-in failures.
async fn wrong_current_passwords_are_counted(app: TestApp) {
    let mut c = app.signup("cur@example.com", GOOD_PW).await;
    for i in 0..4 {
        let r = change_with(&mut c, "wrong-pw1!").await;
        assert_eq!(r.status, 422);
        assert!(
            r.field_errors("current_password")[0].contains("incorrect"),
            "attempt {i}"
        );
    }
    let r = change_with(&mut c, "wrong-pw1!").await;
    assert!(r.field_errors("current_password")[0].contains("Too many"));
    // Even the right one now, and the sign-in form is locked too.
    let r = change_with(&mut c, GOOD_PW).await;
    assert!(r.field_errors("current_password")[0].contains("Too many"));
    let r = app.client().login("cur@example.com", GOOD_PW).await;
    assert!(r.body.contains(LOCKED));
}

/// 7. Unknown identifiers get the very same answers as real ones, lock included.
async fn the_lock_says_nothing_about_which_accounts_exist(app: TestApp) {
    app.signup("real@example.com", GOOD_PW).await;
    let strip = |b: &str| {
        let re = regex_lite::Regex::new(r#"value="[^"]*""#).unwrap();
        re.replace_all(b, "").to_string()
    };
    let mut real = app.client();
    let mut ghost = app.client();
    for i in 0..7 {
        let a = real.login("real@example.com", "wrong-pw1!").await;
        let b = ghost.login("ghost@example.com", "wrong-pw1!").await;
        assert_eq!(a.status, b.status, "attempt {i}");
        assert_eq!(strip(&a.body), strip(&b.body), "attempt {i}");
        if i >= 4 {
            assert!(
                b.body.contains(LOCKED),
                "attempt {i}: the unknown one locks too"
            );
        }
    }
}

/// The add-service form's fields (without languages), for service `id` named `name`.
fn service_form<'a>(name: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "counseling"),
        ("name", name),
        ("service_id", id),
        ("default_language", "ko"),
        ("timezone", "Asia/Seoul"),
        ("editor", "text"),
    ]
}

/// 8. Duplicated languages are dropped with a set; more values than languages are refused.
async fn languages_are_deduplicated_and_capped(app: TestApp) {
    let mut c = app.admin("langs").await;
    let many_ko: Vec<(&str, &str)> = std::iter::repeat_n(("languages", "ko"), 700).collect();
    let mut fields = service_form("Many", "many");
    fields.extend(many_ko);
    c.get("/admin/services/new").await;
    let r = c.post_multipart("/admin/services/new", &fields, &[]).await;
    assert_eq!(r.status, 303, "{}", &r.body[..r.body.len().min(2000)]);
    let langs: String = {
        use online_contact::db::schema::services::dsl as s;
        s::services
            .filter(s::service_id.eq("many"))
            .select(s::languages)
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(
        langs.trim_matches(|c| c == '[' || c == ']' || c == '"'),
        "ko"
    );
    // 250 distinct values: more than the 203 languages there are.
    let codes: Vec<String> = (0..250).map(|i| format!("x{i}")).collect();
    let mut fields = service_form("Too many", "toomany");
    fields.extend(codes.iter().map(|c| ("languages", c.as_str())));
    c.get("/admin/services/new").await;
    let r = c.post_multipart("/admin/services/new", &fields, &[]).await;
    assert_eq!(r.status, 422);
    assert!(!r.field_errors("languages").is_empty());
}

/// 9. An oversized API body is 413 (not 400); a zero-byte banner is refused with a message.
async fn oversized_api_json_and_empty_banner(app: TestApp) {
    let mut c = app.admin("big").await;
    let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(70 * 1024));
    let mut api = app.client().header("x-oc-org-key", "whatever");
    let r = api
        .post_raw("/api/v1/services", big, "application/json")
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    c.get("/admin/services/new").await;
    let r = c
        .post_multipart(
            "/admin/services/new",
            &[
                service_form("Empty banner", "emptyb"),
                vec![("languages", "ko")],
            ]
            .concat(),
            &[("banner", "empty.png", b"")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.field_errors("banner")[0].contains("empty"),
        "{:?}",
        r.field_errors("banner")
    );
    // No file chosen at all is fine.
    c.get("/admin/services/new").await;
    let r = c
        .post_multipart(
            "/admin/services/new",
            &[service_form("No banner", "nob"), vec![("languages", "ko")]].concat(),
            &[("banner", "", b"")],
        )
        .await;
    assert_eq!(r.status, 303);
}

/// 10. The reset-mail hourly limit holds under parallel requests.
async fn parallel_reset_requests_respect_the_hourly_limit(app: TestApp) {
    app.signup("flood@example.com", GOOD_PW).await;
    let before = app.outbox().len();
    let port = serve(app.state.clone(), None);
    let mut first = Http::new(port, "localhost:8080");
    first.get("/password/forgot");
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let mut c = first.clone();
            std::thread::spawn(move || {
                c.post_form("/password/forgot", &[("email", "flood@example.com")])
                    .status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 303);
    }
    assert_eq!(app.outbox().len() - before, 5);
}

/// 10. Two parallel removals of an org owner's two cards leave one (Online Contact in use).
async fn parallel_card_removals_keep_the_last_card(app: TestApp) {
    let on = app
        .onboard(
            "cards@example.com",
            "cards",
            &[("boss", "boss@example.com")],
        )
        .await;
    let mut c = on.console;
    c.get("/console/payment-methods").await;
    c.post_form(
        "/console/payment-methods",
        &[
            ("card_number", "5555 5555 5555 4444"),
            ("expiry", "11/39"),
            ("holder", "Second Card"),
        ],
    )
    .await
    .assert_status(303);
    let ids: Vec<i64> = {
        use online_contact::db::schema::payment_methods::dsl as pm;
        pm::payment_methods
            .select(pm::id)
            .load(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(ids.len(), 2);
    let port = serve(app.state.clone(), None);
    let mut h = Http::new(port, "localhost:8080");
    h.cookies = c.cookies.clone();
    h.get("/console/payment-methods");
    let threads: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut c = h.clone();
            let path = format!("/console/payment-methods/{id}/delete");
            std::thread::spawn(move || c.post_form(&path, &[("confirm", "on")]).status)
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let left: i64 = {
        use online_contact::db::schema::payment_methods::dsl as pm;
        pm::payment_methods
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(left, 1);
}

/// 11. The per-client throttle answers 429 before any password is hashed.
#[actix_web::test]
async fn client_throttle_answers_429() {
    for backend in backends() {
        let app = TestApp::start_with(backend, &[("OC_THROTTLE_PER_MINUTE", "3")]).await;
        let port = serve(app.state.clone(), None);
        let mut c = Http::new(port, "localhost:8080");
        c.get("/login");
        for _ in 0..3 {
            let r = c.post_form("/login", &[("email", "t@example.com"), ("password", "x")]);
            assert_eq!(r.status, 422);
        }
        let r = c.post_form("/login", &[("email", "t@example.com"), ("password", "x")]);
        assert_eq!(r.status, 429);
        assert!(r.body.contains("Too many requests"), "a localized page");
        let r = c.post_form("/signup", &[("email", "t@example.com")]);
        assert_eq!(r.status, 429, "sign-up shares the budget");
        assert_eq!(c.get("/login").status, 200, "pages still answer");
    }
}

/// bcrypt on the server's own threads: hashes and checks, many verifications in parallel
/// get their own answers back, and every bcrypt thread runs under the idle scheduling
/// policy (`SCHED_IDLE`, 5 in `/proc`), so a login burst takes only the CPU the pages
/// leave.
#[actix_web::test]
async fn bcrypt_runs_on_idle_threads() {
    // Two threads: answers may come back out of order.
    let hasher =
        online_contact::auth::Hasher::with_floor(4, 2, std::time::Duration::from_secs(3600))
            .unwrap();
    let hash = hasher.hash("abcd123!".into()).await.unwrap();
    assert!(bcrypt::verify("abcd123!", &hash).unwrap());
    assert!(
        hasher
            .verify("abcd123!".into(), Some(hash.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher
            .verify("wrong12!".into(), Some(hash.clone()))
            .await
            .unwrap()
    );
    assert!(
        !hasher.verify("abcd123!".into(), None).await.unwrap(),
        "no account"
    );
    assert!(
        !hasher
            .verify("abcd123!".into(), Some("not a hash".into()))
            .await
            .unwrap()
    );
    let checks = (0..16).map(|i| {
        let (h, hash) = (hasher.clone(), hash.clone());
        async move {
            let pw = if i % 2 == 0 { "abcd123!" } else { "nope123!" };
            (i, h.verify(pw.into(), Some(hash)).await.unwrap())
        }
    });
    for (i, ok) in futures_util::future::join_all(checks).await {
        assert_eq!(ok, i % 2 == 0, "check {i}");
    }
    // Between jobs its threads wait under the normal policy at nice 19; a hash runs under
    // the idle policy (never lifted here: the wait before lifting is an hour).
    assert_eq!(hasher.thread_ids().len(), 2);
    for t in hasher.thread_ids() {
        // (a thread rests right after it has sent its last answer)
        let mut rest = scheduling(*t);
        for _ in 0..100 {
            if rest.policy == "0" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            rest = scheduling(*t);
        }
        assert_eq!((rest.policy.as_str(), rest.nice.as_str()), ("0", "19"));
    }
    let seen = while_hashing(&hasher).await;
    let idle = seen.iter().filter(|s| s.busy && s.policy == "5").count();
    assert!(idle >= 3, "{seen:?}");
}

/// While pages are in flight (two requests held open here, one more than the hashes
/// waiting), a hash pauses after every slice of its key schedule; its answer is the same.
#[actix_web::test]
async fn bcrypt_pauses_between_slices_while_pages_are_served() {
    let hasher =
        online_contact::auth::Hasher::with_floor(6, 1, std::time::Duration::from_secs(3600))
            .unwrap();
    let hash = bcrypt::hash("abcd123!", 6).unwrap();
    let before = hasher.pauses();
    let pages = [
        online_contact::web::middleware::in_flight(),
        online_contact::web::middleware::in_flight(),
    ];
    let started = std::time::Instant::now();
    assert!(
        hasher
            .verify("abcd123!".into(), Some(hash.clone()))
            .await
            .unwrap()
    );
    let slices = (1u64 << 6) / u64::from(online_contact::auth::paced::SLICE_ROUNDS);
    assert_eq!(hasher.pauses() - before, slices);
    assert!(started.elapsed() >= online_contact::auth::PAUSE * slices as u32);
    drop(pages);
    assert!(!hasher.verify("wrong12!".into(), Some(hash)).await.unwrap());
}

/// A thread's scheduling as `/proc` shows it.
#[derive(Debug, Clone)]
struct Scheduling {
    policy: String,
    nice: String,
    /// CPU ticks used so far.
    ticks: u64,
    /// Whether the thread used CPU since the sample before (it is hashing).
    busy: bool,
}

/// Fields 41 (policy), 19 (nice) and 14 (user ticks) of a thread's stat line.
fn scheduling(tid: i32) -> Scheduling {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // Fields here start at field 3.
    Scheduling {
        policy: fields[38].to_string(),
        nice: fields[16].to_string(),
        ticks: fields[11].parse().unwrap(),
        busy: false,
    }
}

/// The bcrypt threads' scheduling, sampled while a cost-12 hash (a few hundred ms) is
/// checked.
async fn while_hashing(hasher: &online_contact::auth::Hasher) -> Vec<Scheduling> {
    let tids = hasher.thread_ids().to_vec();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut seen: Vec<Scheduling> = Vec::new();
        let mut last: Vec<Option<u64>> = vec![None; tids.len()];
        while !d.load(std::sync::atomic::Ordering::Acquire) {
            for (i, tid) in tids.iter().enumerate() {
                let mut s = scheduling(*tid);
                s.busy = last[i].is_some_and(|t| s.ticks > t);
                last[i] = Some(s.ticks);
                seen.push(s);
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        seen
    });
    let hash = bcrypt::hash("abcd123!", 12).unwrap();
    assert!(hasher.verify("abcd123!".into(), Some(hash)).await.unwrap());
    done.store(true, std::sync::atomic::Ordering::Release);
    sampler.join().unwrap()
}

/// A hash that has run the wait without an answer has the bcrypt threads lifted to the
/// normal policy at nice 19, so a busy machine can delay a sign-in but not starve it.
#[actix_web::test]
async fn bcrypt_threads_are_lifted_when_a_hash_waits() {
    // No wait at all: every hash lifts once it has started.
    let hasher =
        online_contact::auth::Hasher::with_floor(12, 1, std::time::Duration::ZERO).unwrap();
    let seen = while_hashing(&hasher).await;
    // Still hashing (using CPU, sample after sample: not just the last ticks of the job
    // before the thread rests) under the normal policy at nice 19.
    let lifted = seen
        .iter()
        .filter(|s| s.busy && s.policy == "0" && s.nice == "19")
        .count();
    assert!(lifted >= 3, "{seen:?}");
}
