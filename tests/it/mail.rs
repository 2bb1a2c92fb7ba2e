//! Mail delivery: the outbox worker over lettre's file and SMTP transports, retries, and
//! exactly-once delivery with two workers.

use diesel::prelude::*;
use online_contact::db::schema::mail_outbox::dsl as m;
use online_contact::mail::{Transport, deliver_due};

use crate::support::smtp::{SmtpSink, text_part};
use crate::support::{GOOD_PW, OTHER_PW, TestApp, link_in};

on_all_backends!(
    file_transport_writes_eml_once,
    smtp_reset_mail_link_works,
    smtp_down_keeps_mail_queued,
    two_workers_never_send_twice,
    reset_mails_are_limited_per_account,
);

async fn reset_mails_are_limited_per_account(app: TestApp) {
    app.signup("flood@example.com", GOOD_PW).await;
    for _ in 0..8 {
        forgot(&app, "flood@example.com").await;
    }
    assert_eq!(app.outbox().len(), 5, "five reset mails an hour at most");
    // An hour later, one more.
    app.exec("UPDATE password_reset_tokens SET created_at = '2000-01-01 00:00:00'");
    forgot(&app, "flood@example.com").await;
    assert_eq!(app.outbox().len(), 6);
}

async fn forgot(app: &TestApp, email: &str) {
    let mut c = app.client();
    c.get("/password/forgot").await;
    c.post_form("/password/forgot", &[("email", email)])
        .await
        .assert_status(303);
}

fn pending(app: &TestApp) -> i64 {
    m::mail_outbox
        .filter(m::status.eq("pending"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn file_transport_writes_eml_once(app: TestApp) {
    app.signup("file@example.com", GOOD_PW).await;
    forgot(&app, "file@example.com").await;
    let dir = app.db.dir.path().join("outbox");
    std::fs::create_dir_all(&dir).unwrap();
    let t = Transport::File(dir.clone());
    let from = app.state.config.mail_from.clone();
    assert_eq!(deliver_due(&mut app.conn(), &t, &from).unwrap(), 1);
    assert_eq!(
        deliver_due(&mut app.conn(), &t, &from).unwrap(),
        0,
        "a sent mail is not sent again"
    );
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(raw.contains("To: file@example.com"));
    assert!(raw.contains("multipart/alternative"));
    assert!(raw.contains("text/html"));
    assert!(text_part(&raw).contains("/password/reset?token="));
    assert_eq!(pending(&app), 0);
}

async fn smtp_reset_mail_link_works(app: TestApp) {
    let sink = SmtpSink::start();
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let transport = Transport::from_config(&{
        let mut c = app.state.config.clone();
        c.smtp_url = Some(url);
        c
    })
    .unwrap();
    // A Korean-speaking member gets a Korean mail with an encoded subject.
    let mut ko = app.client().header("accept-language", "ko");
    ko.get("/signup").await;
    ko.post_form(
        "/signup",
        &[
            ("email", "smtp@example.com"),
            ("name", "홍길동"),
            ("password", GOOD_PW),
            ("password_confirm", GOOD_PW),
            ("country", "KR"),
            ("member_type", "individual"),
            ("agree_terms", "on"),
        ],
    )
    .await
    .assert_status(303);
    forgot(&app, "smtp@example.com").await;
    let from = app.state.config.mail_from.clone();
    assert_eq!(deliver_due(&mut app.conn(), &transport, &from).unwrap(), 1);
    let msgs = sink.take();
    assert_eq!(msgs.len(), 1);
    let raw = &msgs[0];
    let subject = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(
        subject.contains("=?utf-8?"),
        "encoded UTF-8 subject: {subject}"
    );
    let text = text_part(raw);
    assert!(text.contains("홍길동"), "{text}");
    assert!(text.contains("60분"));
    let link = link_in(&text);
    let path = link.trim_start_matches("http://localhost:8080");
    let mut c = app.client();
    c.get(path).await.assert_status(200);
    c.post_form(
        path,
        &[("password", OTHER_PW), ("password_confirm", OTHER_PW)],
    )
    .await
    .assert_status(303);
    c.login("smtp@example.com", OTHER_PW)
        .await
        .assert_status(303);
}

async fn smtp_down_keeps_mail_queued(app: TestApp) {
    app.signup("down@example.com", GOOD_PW).await;
    forgot(&app, "down@example.com").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = Transport::Smtp(Box::new(
        lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port)
            .build(),
    ));
    let from = app.state.config.mail_from.clone();
    assert_eq!(deliver_due(&mut app.conn(), &down, &from).unwrap(), 0);
    let (attempts, err): (i32, Option<String>) = m::mail_outbox
        .select((m::attempts, m::last_error))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(attempts, 1);
    assert!(err.is_some());
    assert_eq!(pending(&app), 1);
    // Not due again before the backoff has passed.
    let sink = SmtpSink::start();
    let up = Transport::Smtp(Box::new(
        lettre::SmtpTransport::builder_dangerous("127.0.0.1")
            .port(sink.port)
            .build(),
    ));
    assert_eq!(deliver_due(&mut app.conn(), &up, &from).unwrap(), 0);
    app.exec("UPDATE jobs SET run_at = '2000-01-01 00:00:00'");
    assert_eq!(deliver_due(&mut app.conn(), &up, &from).unwrap(), 1);
    assert_eq!(sink.take().len(), 1);
    assert_eq!(pending(&app), 0);
}

async fn two_workers_never_send_twice(app: TestApp) {
    app.signup("w@example.com", GOOD_PW).await;
    // Fifteen mails to three accounts (each may get five reset mails an hour).
    app.signup("w2@example.com", GOOD_PW).await;
    app.signup("w3@example.com", GOOD_PW).await;
    for i in 0..15 {
        let to = ["w@example.com", "w2@example.com", "w3@example.com"][i % 3];
        forgot(&app, to).await;
    }
    let sink = SmtpSink::start();
    let from = app.state.config.mail_from.clone();
    let mut handles = Vec::new();
    for _ in 0..2 {
        let pool = app.state.pool.clone();
        let from = from.clone();
        let port = sink.port;
        handles.push(std::thread::spawn(move || {
            let t = Transport::Smtp(Box::new(
                lettre::SmtpTransport::builder_dangerous("127.0.0.1")
                    .port(port)
                    .build(),
            ));
            let mut conn = pool.get().unwrap();
            let mut n = 0;
            for _ in 0..3 {
                n += deliver_due(&mut conn, &t, &from).unwrap();
            }
            n
        }));
    }
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 15);
    assert_eq!(sink.take().len(), 15);
    assert_eq!(pending(&app), 0);
}
