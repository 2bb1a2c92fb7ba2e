//! Data migration: the template (read back with calamine, its XML checked for the hidden
//! key row, validation lists and the frozen header), a filled template imported through
//! confirmation and the jobs runner, every bad cell listed, hostile files refused, a crash
//! in the middle of an import leaving nothing, and who may do what.

use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use online_contact::jobs::{self, Due};
use rust_xlsxwriter::Workbook;

use crate::contracts::add_service;
use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    template_upload_confirm_and_import,
    bad_cells_are_listed_and_nothing_is_kept,
    hostile_files_are_refused,
    a_crash_in_the_middle_imports_nothing,
    uploads_are_for_admins_of_their_own_org,
);

/// An org with service `care`, agent1 a member of it, and two custom fields.
async fn setup(app: &TestApp, domain: &str) -> Client {
    let mut boss = app.admin(domain).await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    let agent = app.member_id(domain, "agent1");
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[("member_id", &agent.to_string()), ("role", "agent")],
    )
    .await
    .assert_status(303);
    for f in [
        vec![
            ("kind", "number"),
            ("label_en", "Order no"),
            ("required", "on"),
            ("active", "on"),
        ],
        vec![
            ("kind", "select"),
            ("label_en", "Plan"),
            ("options", "Free\nPro"),
            ("active", "on"),
        ],
    ] {
        boss.get("/services/care/ticket-fields").await;
        boss.post_form("/services/care/ticket-fields", &f)
            .await
            .assert_status(303);
    }
    boss
}

/// Rows 1–2 of the template's first sheet: (labels, keys).
fn template_heads(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 2, "{names:?}");
    let range = book.worksheet_range(&names[0]).unwrap();
    let row = |r: usize| -> Vec<String> {
        range
            .rows()
            .nth(r)
            .unwrap()
            .iter()
            .map(|c| match c {
                Data::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    (row(0), row(1))
}

/// A workbook with the template's key row and these data rows (by key).
fn filled(keys: &[String], rows: &[Vec<(&str, &str)>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (i, k) in keys.iter().enumerate() {
        let col = u16::try_from(i).unwrap();
        ws.write_string(0, col, format!("label {k}")).unwrap();
        ws.write_string(1, col, k.as_str()).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (key, value) in row {
            let col = keys.iter().position(|k| k == key).unwrap();
            ws.write_string(
                u32::try_from(r + 2).unwrap(),
                u16::try_from(col).unwrap(),
                *value,
            )
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn upload(c: &mut Client, service: &str, name: &str, bytes: &[u8]) -> crate::support::Resp {
    c.get("/admin/data-migrations").await.assert_status(200);
    c.post_multipart(
        "/admin/data-migrations",
        &[("service", service)],
        &[("file", name, bytes)],
    )
    .await
}

fn run_imports(app: &TestApp) -> jobs::Report {
    let dir = app.db.dir.path().join("outbox");
    let reg = online_contact::jobs_registry(
        &app.state,
        Arc::new(online_contact::mail::Transport::File(dir)),
    );
    jobs::run_due(&mut app.conn(), &reg, Due::All, Some("data-migration")).unwrap()
}

async fn keys_of_template(boss: &mut Client) -> Vec<String> {
    let t = boss
        .get("/admin/data-migrations/template?service=care")
        .await;
    t.assert_status(200);
    template_heads(&t.bytes).1
}

fn key_of(keys: &[String], system_count: usize, i: usize) -> String {
    keys[system_count + i].clone()
}

async fn template_upload_confirm_and_import(app: TestApp) {
    let mut boss = setup(&app, "migra").await;
    // The template: labels (required marked), keys, rules sheet, and its XML.
    let t = boss
        .get("/admin/data-migrations/template?service=care")
        .await;
    t.assert_status(200);
    assert!(
        t.header("content-type")
            .unwrap()
            .contains("spreadsheetml.sheet")
    );
    let bytes = t.bytes.clone();
    let (labels, keys) = template_heads(&bytes);
    assert_eq!(labels[0], "Title *");
    assert!(labels.contains(&"Order no *".to_string()));
    assert!(labels.contains(&"Plan".to_string()));
    assert_eq!(&keys[..3], &["title", "description", "status"]);
    assert_eq!(keys.len(), 11 + 2);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("<dataValidation"), "validation lists");
    assert!(xml.contains("&quot;Free,Pro&quot;") || xml.contains("\"Free,Pro\""));
    assert!(xml.contains("hidden=\"1\""), "the key row is hidden");
    assert!(xml.contains("state=\"frozen\""), "frozen header");
    // Fill it: three tickets, one assigned with a past creation date.
    let order = key_of(&keys, 11, 0);
    let plan = key_of(&keys, 11, 1);
    let file = filled(
        &keys,
        &[
            vec![("title", "Imported one"), (&order, "101"), (&plan, "Pro")],
            vec![
                ("title", "Imported two"),
                (&order, "102"),
                ("assignee", "AGENT1"),
                ("created_at", "2025-01-02 03:04"),
                ("priority", "high"),
                ("tags", "old, crm"),
            ],
            vec![
                ("title", "Imported three"),
                (&order, "103"),
                ("status", "closed"),
            ],
        ],
    );
    let r = upload(&mut boss, "care", "tickets.xlsx", &file).await;
    r.assert_status(303);
    let page = boss.get(r.location()).await;
    assert!(
        page.body
            .contains("id=\"upload-status\">Awaiting confirmation<")
    );
    assert!(page.body.contains("id=\"upload-rows\">3<"));
    assert!(page.body.contains("id=\"caveats\""));
    // Confirm: reserved for 01:00 in the service's time zone (Asia/Seoul: 16:00 UTC).
    let id: i64 = r.location().rsplit('/').next().unwrap().parse().unwrap();
    boss.post_form(&format!("/admin/data-migrations/{id}/confirm"), &[])
        .await
        .assert_status(303);
    let page = boss.get(&format!("/admin/data-migrations/{id}")).await;
    assert!(page.body.contains("id=\"upload-status\">Reserved<"));
    assert!(page.body.contains("16:00 UTC"), "01:00 in Seoul");
    // Confirming twice does nothing more.
    boss.post_form(&format!("/admin/data-migrations/{id}/confirm"), &[])
        .await
        .assert_status(303);
    // The batch (as `jobs run-due --now` runs it).
    let report = run_imports(&app);
    assert_eq!(report.done, 1);
    let page = boss.get(&format!("/admin/data-migrations/{id}")).await;
    assert!(page.body.contains("id=\"upload-status\">Done<"));
    assert!(page.body.contains("3 tickets imported"));
    assert!(page.body.contains("upload-delete\" disabled"));
    // Delete refused after applying.
    let r = boss
        .post_form(&format!("/admin/data-migrations/{id}/delete"), &[])
        .await;
    r.assert_status(409);
    // The tickets, with their fields, statuses and source rows.
    type T = (
        i64,
        String,
        String,
        Option<i64>,
        String,
        Option<i32>,
        String,
        chrono::NaiveDateTime,
    );
    let rows: Vec<T> = {
        use online_contact::db::schema::tickets::dsl as t;
        t::tickets
            .order(t::number)
            .select((
                t::number,
                t::title,
                t::status,
                t::assignee_id,
                t::custom,
                t::source_row,
                t::priority,
                t::created_at,
            ))
            .load(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].1, "Imported one");
    assert_eq!(rows[0].2, "unassigned");
    assert!(rows[0].4.contains("\"Pro\"") && rows[0].4.contains("\"101\""));
    assert_eq!(rows[0].5, Some(3));
    assert_eq!(rows[1].2, "in_progress");
    assert_eq!(rows[1].3, Some(app.member_id("migra", "agent1")));
    assert_eq!(rows[1].6, "high");
    assert_eq!(rows[1].7.to_string(), "2025-01-02 03:04:00");
    assert_eq!(rows[2].2, "closed");
    // The bytes are gone; running again imports nothing twice.
    {
        use online_contact::db::schema::data_migrations::dsl as d;
        let b: Option<Vec<u8>> = d::data_migrations
            .filter(d::id.eq(id))
            .select(d::file_bytes)
            .first(&mut *app.conn())
            .unwrap();
        assert!(b.is_none());
    }
    assert_eq!(run_imports(&app).done, 0);
    // A reserved upload can be deleted; its job then does nothing.
    let r = upload(&mut boss, "care", "again.xlsx", &file).await;
    let id2: i64 = r.location().rsplit('/').next().unwrap().parse().unwrap();
    boss.post_form(&format!("/admin/data-migrations/{id2}/confirm"), &[])
        .await
        .assert_status(303);
    boss.post_form(&format!("/admin/data-migrations/{id2}/delete"), &[])
        .await
        .assert_status(303);
    run_imports(&app);
    let n: i64 = {
        use online_contact::db::schema::tickets::dsl as t;
        t::tickets.count().get_result(&mut *app.conn()).unwrap()
    };
    assert_eq!(n, 3);
    let list = boss.get("/admin/data-migrations").await;
    assert!(list.body.contains(&format!("id=\"upload-{id2}\"")));
    assert!(list.body.contains(">Deleted<"));
}

async fn bad_cells_are_listed_and_nothing_is_kept(app: TestApp) {
    let mut boss = setup(&app, "migbad").await;
    let keys = keys_of_template(&mut boss).await;
    let order = key_of(&keys, 11, 0);
    let plan = key_of(&keys, 11, 1);
    let file = filled(
        &keys,
        &[
            vec![("title", "Fine"), (&order, "1")],
            vec![("title", ""), (&order, "two"), (&plan, "Gold")],
            vec![("title", "Who"), (&order, "3"), ("assignee", "nobody")],
        ],
    );
    let r = upload(&mut boss, "care", "bad.xlsx", &file).await;
    r.assert_status(422);
    assert!(r.body.contains("4 errors"), "count");
    let table = r.body.split("id=\"cell-errors\"").nth(1).unwrap();
    for want in [
        "<td>4</td><td>A</td><td>Title</td>",
        "<td>4</td><td>L</td><td>Order no</td><td>Enter a number.</td>",
        "<td>4</td><td>M</td><td>Plan</td>",
        "<td>5</td><td>I</td><td>Assignee</td>",
    ] {
        assert!(table.contains(want), "{want} in {table}");
    }
    let n: i64 = {
        use online_contact::db::schema::data_migrations::dsl as d;
        d::data_migrations
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(n, 0, "nothing kept while any error remains");
    // No service, no file.
    boss.get("/admin/data-migrations").await;
    let r = boss
        .post_multipart("/admin/data-migrations", &[("service", "")], &[])
        .await;
    r.assert_status(422);
    assert!(!r.field_errors("service").is_empty());
    assert!(!r.field_errors("file").is_empty());
}

/// A zip with one entry that inflates to `mib` MiB of zeros.
fn deflate_bomb(mib: usize) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..mib {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

async fn hostile_files_are_refused(app: TestApp) {
    let mut boss = setup(&app, "mighostile").await;
    let keys = keys_of_template(&mut boss).await;
    let order = key_of(&keys, 11, 0);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "renamed.xlsx",
            b"title,description\nHello,World\n".to_vec(),
            "not an Excel workbook",
        ),
        (
            "locked.xlsx",
            {
                let mut v = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
                v.extend(std::iter::repeat_n(0u8, 4096));
                v
            },
            "encrypted",
        ),
        ("bomb.xlsx", deflate_bomb(210), "too large once unpacked"),
        (
            "far.xlsx",
            {
                let mut wb = Workbook::new();
                let ws = wb.add_worksheet();
                ws.write_string(1, 0, "title").unwrap();
                ws.write_string(1_048_575, 16_383, "far away").unwrap();
                wb.save_to_buffer().unwrap()
            },
            "too many columns",
        ),
        (
            "long.xlsx",
            {
                let mut wb = Workbook::new();
                let ws = wb.add_worksheet();
                ws.write_string(1, 0, "title").unwrap();
                ws.write_string(1, 1, order.as_str()).unwrap();
                for r in 2..(2 + 50_001u32) {
                    ws.write_string(r, 0, "t").unwrap();
                    ws.write_number(r, 1, 1.0).unwrap();
                }
                wb.save_to_buffer().unwrap()
            },
            "more than 50000 data rows",
        ),
        (
            "nokeys.xlsx",
            {
                let mut wb = Workbook::new();
                let ws = wb.add_worksheet();
                ws.write_string(0, 0, "Title").unwrap();
                wb.save_to_buffer().unwrap()
            },
            "not a template of this service",
        ),
    ];
    for (name, bytes, want) in cases {
        let r = upload(&mut boss, "care", name, &bytes).await;
        r.assert_status(422);
        let msg = r.field_errors("file").join(" ");
        assert!(msg.contains(want), "{name}: {msg}");
    }
    // Still answering, and nothing kept.
    boss.get("/admin/data-migrations").await.assert_status(200);
    let n: i64 = {
        use online_contact::db::schema::data_migrations::dsl as d;
        d::data_migrations
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(n, 0);
}

async fn a_crash_in_the_middle_imports_nothing(app: TestApp) {
    use std::sync::atomic::Ordering;
    let mut boss = setup(&app, "migcrash").await;
    let keys = keys_of_template(&mut boss).await;
    let order = key_of(&keys, 11, 0);
    let titles: Vec<String> = (0..1200).map(|i| format!("Row {i}")).collect();
    let rows: Vec<Vec<(&str, &str)>> = titles
        .iter()
        .map(|t| vec![("title", t.as_str()), (order.as_str(), "7")])
        .collect();
    let file = filled(&keys, &rows);
    let r = upload(&mut boss, "care", "big.xlsx", &file).await;
    r.assert_status(303);
    let id: i64 = r.location().rsplit('/').next().unwrap().parse().unwrap();
    boss.post_form(&format!("/admin/data-migrations/{id}/confirm"), &[])
        .await
        .assert_status(303);
    online_contact::admin::migration::model::FAIL_AFTER_ROWS.store(500, Ordering::SeqCst);
    let report = run_imports(&app);
    online_contact::admin::migration::model::FAIL_AFTER_ROWS.store(0, Ordering::SeqCst);
    assert_eq!(report.done, 0);
    let count = |app: &TestApp| -> i64 {
        use online_contact::db::schema::tickets::dsl as t;
        t::tickets.count().get_result(&mut *app.conn()).unwrap()
    };
    assert_eq!(count(&app), 0, "no partial import");
    let page = boss.get(&format!("/admin/data-migrations/{id}")).await;
    assert!(page.body.contains("id=\"upload-status\">Failed<"));
    // The rerun completes.
    let report = run_imports(&app);
    assert_eq!(report.done, 1);
    assert_eq!(count(&app), 1200);
    let page = boss.get(&format!("/admin/data-migrations/{id}")).await;
    assert!(page.body.contains("1200 tickets imported"));
}

async fn uploads_are_for_admins_of_their_own_org(app: TestApp) {
    let mut a = setup(&app, "migorga").await;
    let mut b = app.admin("migorgb").await;
    let keys = keys_of_template(&mut a).await;
    let order = key_of(&keys, 11, 0);
    let file = filled(&keys, &[vec![("title", "A's"), (&order, "1")]]);
    let r = upload(&mut a, "care", "a.xlsx", &file).await;
    let id: i64 = r.location().rsplit('/').next().unwrap().parse().unwrap();
    // Org B: A's upload is not found, A's service is not B's.
    b.get(&format!("/admin/data-migrations/{id}"))
        .await
        .assert_status(404);
    b.get("/admin/data-migrations").await;
    for p in ["confirm", "delete"] {
        b.post_form(&format!("/admin/data-migrations/{id}/{p}"), &[])
            .await
            .assert_status(404);
    }
    assert!(
        !b.get("/admin/data-migrations")
            .await
            .body
            .contains("a.xlsx")
    );
    let r = b.get("/admin/data-migrations/template?service=care").await;
    r.assert_status(422);
    // An agent: 403 everywhere.
    let mut agent = app.ws_login("migorga", "agent1", GOOD_PW).await;
    agent.get("/admin/data-migrations").await.assert_status(403);
    agent
        .get("/admin/data-migrations/template?service=care")
        .await
        .assert_status(403);
    agent
        .post_form(&format!("/admin/data-migrations/{id}/confirm"), &[])
        .await
        .assert_status(403);
    // Still pending for A.
    let page = a.get(&format!("/admin/data-migrations/{id}")).await;
    assert!(page.body.contains("Awaiting confirmation"));
}
