//! The jobs runner: claimed once under parallel runners, retried with backoff, a crashed
//! run taken over after its lease, scheduled jobs wait for their time (or `--now`), and the
//! `jobs run-due` command.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use online_contact::jobs::{self, Due, NewJob, Registry};

use crate::support::{GOOD_PW, TestApp};

on_all_backends!(
    parallel_runners_run_each_job_once,
    failures_are_retried_with_backoff_then_given_up,
    an_expired_lease_is_taken_over,
    scheduled_jobs_wait_unless_now,
    unique_keys_schedule_an_occurrence_once,
);

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn status_of(app: &TestApp, id_kind: &str) -> Vec<(String, i32)> {
    use online_contact::db::schema::jobs::dsl as j;
    j::jobs
        .filter(j::kind.eq(id_kind))
        .order(j::id)
        .select((j::status, j::attempts))
        .load(&mut *app.conn())
        .unwrap()
}

async fn parallel_runners_run_each_job_once(app: TestApp) {
    for i in 0..40 {
        jobs::enqueue(
            &mut app.conn(),
            &NewJob::now("count", i.to_string(), now()),
            now(),
        )
        .unwrap();
    }
    let runs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let pool = app.state.pool.clone();
            let runs = runs.clone();
            std::thread::spawn(move || {
                let reg = Registry::default().on("count", move |_, job| {
                    runs.lock().unwrap().push(job.payload.clone());
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    Ok(())
                });
                let mut c = pool.get().unwrap();
                jobs::run_due(&mut c, &reg, Due::Now, None).unwrap().done
            })
        })
        .collect();
    let done: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(done, 40);
    let mut seen = runs.lock().unwrap().clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 40, "every job ran");
    assert_eq!(runs.lock().unwrap().len(), 40, "and none twice");
    assert!(
        status_of(&app, "count")
            .iter()
            .all(|(s, a)| s == "done" && *a == 1)
    );
}

async fn failures_are_retried_with_backoff_then_given_up(app: TestApp) {
    let mut job = NewJob::now("flaky", "x", now());
    job.max_attempts = 2;
    jobs::enqueue(&mut app.conn(), &job, now()).unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let reg = Registry::default().on("flaky", move |_, _| {
        c2.fetch_add(1, Ordering::SeqCst);
        Err("down".into())
    });
    let r = jobs::run_due(&mut app.conn(), &reg, Due::Now, None).unwrap();
    assert_eq!((r.done, r.retried, r.failed), (0, 1, 0));
    // Not due again before its backoff.
    let r = jobs::run_due(&mut app.conn(), &reg, Due::Now, None).unwrap();
    assert_eq!(r.retried + r.failed, 0);
    assert_eq!(status_of(&app, "flaky"), vec![("pending".to_string(), 1)]);
    app.exec("UPDATE jobs SET run_at = '2000-01-01 00:00:00'");
    let r = jobs::run_due(&mut app.conn(), &reg, Due::Now, None).unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(status_of(&app, "flaky"), vec![("failed".to_string(), 2)]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

async fn an_expired_lease_is_taken_over(app: TestApp) {
    jobs::enqueue(&mut app.conn(), &NewJob::now("lease", "x", now()), now()).unwrap();
    // A runner claimed it and crashed: running, lease still valid.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(4)).naive_utc();
    app.exec(&format!(
        "UPDATE jobs SET status = 'running', attempts = 1, lease_token = 'dead', lease_until = '{}'",
        later.format("%Y-%m-%d %H:%M:%S")
    ));
    let reg = Registry::default().on("lease", |_, _| Ok(()));
    let r = jobs::run_due(&mut app.conn(), &reg, Due::Now, None).unwrap();
    assert_eq!(r.done, 0, "a live lease is respected");
    app.exec("UPDATE jobs SET lease_until = '2000-01-01 00:00:00'");
    let r = jobs::run_due(&mut app.conn(), &reg, Due::Now, None).unwrap();
    assert_eq!(r.done, 1, "an expired lease is taken over");
    assert_eq!(status_of(&app, "lease"), vec![("done".to_string(), 2)]);
}

async fn scheduled_jobs_wait_unless_now(app: TestApp) {
    let one = chrono::NaiveTime::from_hms_opt(1, 0, 0).unwrap();
    let at = jobs::next_local(chrono_tz::Asia::Seoul, one, now());
    let job = NewJob {
        run_at: at,
        ..NewJob::now("nightly", "x", now())
    };
    jobs::enqueue(&mut app.conn(), &job, now()).unwrap();
    let reg = Registry::default().on("nightly", |_, _| Ok(()));
    assert_eq!(
        jobs::run_due(&mut app.conn(), &reg, Due::Now, None)
            .unwrap()
            .done,
        0
    );
    assert_eq!(
        jobs::run_due(&mut app.conn(), &reg, Due::All, None)
            .unwrap()
            .done,
        1
    );
}

async fn unique_keys_schedule_an_occurrence_once(app: TestApp) {
    let job = NewJob {
        unique_key: Some("nightly:2026-12-05".into()),
        ..NewJob::now("nightly", "x", now())
    };
    assert!(jobs::enqueue(&mut app.conn(), &job, now()).unwrap());
    assert!(!jobs::enqueue(&mut app.conn(), &job, now()).unwrap());
    assert_eq!(status_of(&app, "nightly").len(), 1);
    // Start-up scheduled exactly one housekeeping run, and starting again adds none.
    online_contact::schedule_housekeeping(&mut app.conn(), now()).unwrap();
    assert_eq!(status_of(&app, "housekeeping").len(), 1);
}

/// `online-contact jobs run-due --now` runs what is pending and exits: here, a reset mail
/// written as an `.eml` file.
#[actix_web::test]
async fn jobs_run_due_command() {
    let app = TestApp::start(crate::support::Backend::Sqlite).await;
    app.signup("cli@example.com", GOOD_PW).await;
    let mut c = app.client();
    c.get("/password/forgot").await;
    c.post_form("/password/forgot", &[("email", "cli@example.com")])
        .await
        .assert_status(303);
    let data = app.db.dir.path();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_online-contact"))
        .args(["jobs", "run-due", "--now"])
        .env("OC_DATABASE_URL", &app.db.url)
        .env("OC_DATA_DIR", data)
        .env(
            "OC_SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789",
        )
        .env("OC_BCRYPT_COST", "4")
        .env("OC_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The mail and the housekeeping run scheduled for 03:00 (taken now with --now).
    assert!(stdout.contains("2 done"), "{stdout}");
    let emls = std::fs::read_dir(data.join("outbox"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .count();
    assert_eq!(emls, 1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_online-contact"))
        .args(["jobs", "run-due"])
        .env("OC_DATABASE_URL", &app.db.url)
        .env("OC_DATA_DIR", data)
        .env(
            "OC_SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789",
        )
        .env("OC_LOG", "warn")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 done"));
}
