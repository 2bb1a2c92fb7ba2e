//! Company info, the public help center it appears in, help-center configuration and the
//! service tabs: exact footers (escaped), the language picker, unavailable and gone
//! services, entries in use, cross-org isolation and who may do what.

use crate::contracts::add_service;
use crate::support::{Client, GOOD_PW, TestApp};

on_all_backends!(
    company_info_menu_form_and_list,
    help_center_footer_languages_and_pages,
    help_center_of_suspended_and_terminated_services,
    company_info_in_use_and_other_orgs,
    service_tabs_and_who_may_configure,
);

const ENTRY: &[(&str, &str)] = &[
    ("company_name", "ACME <Corp>"),
    ("representative", "Kim & Lee"),
    ("business_number", "123-45-67890"),
    ("address", "1 Main St, Seoul"),
    ("phone", "02-123-4567"),
    ("email", "help@acme.example"),
    ("copyright", "© 2026 ACME Corp. All rights reserved."),
    (
        "terms",
        "<h2>Terms</h2><p onclick=\"steal()\">Be kind.</p><script>alert(1)</script>",
    ),
    ("privacy", "We keep little.\n\nAnd <b>nothing</b> else."),
];

/// Adds a company-info entry through the form; returns its id.
async fn add_entry(c: &mut Client, fields: &[(&str, &str)]) -> i64 {
    c.get("/admin/company-info/new").await.assert_status(200);
    let r = c.post_form("/admin/company-info/new", fields).await;
    r.assert_status(303);
    r.location()
        .rsplit("#company-")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn apply(c: &mut Client, service: &str, entry: &str) -> crate::support::Resp {
    let path = format!("/services/{service}/help-center");
    c.get(&path).await.assert_status(200);
    c.post_form(&path, &[("company_info_id", entry)]).await
}

async fn company_info_menu_form_and_list(app: TestApp) {
    let mut boss = app.admin("compinfo").await;
    // No counselling service: no menu (an issue-management service does not count).
    add_service(&mut boss, "issues", "issue")
        .await
        .assert_status(303);
    let page = boss.get("/admin/contracts").await;
    assert!(!page.body.contains("id=\"menu-company\""));
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    let page = boss.get("/admin/contracts").await;
    assert!(page.body.contains("id=\"menu-company\""));
    let page = boss.get("/admin/company-info").await;
    page.assert_status(200);
    assert!(page.body.contains("id=\"company-none\""));
    // Bad input: messages next to the fields, what was typed kept.
    boss.get("/admin/company-info/new").await;
    let r = boss
        .post_form(
            "/admin/company-info/new",
            &[
                ("company_name", "  "),
                ("email", "not-mail"),
                ("phone", "call us"),
                ("business_number", &"9".repeat(31)),
                ("terms", "Keep me"),
            ],
        )
        .await;
    r.assert_status(422);
    for f in ["company_name", "email", "phone", "business_number"] {
        assert!(!r.field_errors(f).is_empty(), "{f}");
    }
    assert_eq!(r.input_value("email").as_deref(), Some("not-mail"));
    assert!(r.body.contains(">Keep me</textarea>"));
    // Add, list, edit.
    let id = add_entry(&mut boss, ENTRY).await;
    let page = boss.get("/admin/company-info").await;
    assert!(page.body.contains("ACME &#60;Corp&#62;") || page.body.contains("ACME &lt;Corp&gt;"));
    assert!(page.body.contains("123-45-67890"));
    let edit = boss.get(&format!("/admin/company-info/{id}/edit")).await;
    edit.assert_status(200);
    assert_eq!(
        edit.input_value("company_name").as_deref(),
        Some("ACME <Corp>")
    );
    let r = boss
        .post_form(
            &format!("/admin/company-info/{id}/edit"),
            &[("company_name", "ACME Renamed"), ("copyright", "© ACME")],
        )
        .await;
    r.assert_status(303);
    let page = boss.get("/admin/company-info").await;
    assert!(page.body.contains("ACME Renamed"));
    // Unused: deleted.
    boss.post_form(&format!("/admin/company-info/{id}/delete"), &[])
        .await
        .assert_status(303);
    assert!(
        boss.get("/admin/company-info")
            .await
            .body
            .contains("id=\"company-none\"")
    );
    boss.get(&format!("/admin/company-info/{id}/edit"))
        .await
        .assert_status(404);
}

/// The text of the element with this id (tags removed), or None.
fn text_of(body: &str, id: &str) -> Option<String> {
    let start = body.find(&format!("id=\"{id}\""))?;
    let rest = &body[start..];
    let open_end = rest.find('>')? + 1;
    let inner = &rest[open_end..];
    let close = inner.find("</")?;
    Some(inner[..close].to_string())
}

async fn help_center_footer_languages_and_pages(app: TestApp) {
    let mut boss = app.admin("hcfoot").await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    let id = add_entry(&mut boss, ENTRY).await;
    let r = apply(&mut boss, "care", &id.to_string()).await;
    assert_eq!(r.location(), "/services/care/help-center");
    let cfg = boss.get("/services/care/help-center").await;
    assert!(cfg.body.contains("id=\"hc-preview\""));
    assert!(cfg.body.contains(&format!("value=\"{id}\" selected")));
    // Public: no login needed.
    let mut anon = app.ws("hcfoot");
    let r = anon.get("/hc/care").await;
    r.assert_status(303);
    assert_eq!(r.location(), "/hc/care/en", "the default language first");
    let page = anon.get("/hc/care/ko").await;
    page.assert_status(200);
    assert!(page.body.contains("<html lang=\"ko\">"));
    assert!(page.body.contains("id=\"hc-empty\""));
    assert!(
        page.body.contains("아직 게시물이 없습니다"),
        "Korean chrome"
    );
    // hreflang alternates and the picker: exactly the service's languages, native names.
    for code in ["ko", "en", "ja"] {
        assert!(
            page.body.contains(&format!(
                "hreflang=\"{code}\" href=\"http://hcfoot.localhost:8080/hc/care/{code}\""
            )),
            "{code}"
        );
    }
    assert_eq!(page.body.matches("id=\"hc-lang-").count(), 3);
    assert_eq!(text_of(&page.body, "hc-lang-ko").as_deref(), Some("한국어"));
    assert_eq!(text_of(&page.body, "hc-lang-ja").as_deref(), Some("日本語"));
    assert_eq!(
        text_of(&page.body, "hc-lang-en").as_deref(),
        Some("English")
    );
    // The footer: exactly the chosen entry's fields, escaped.
    let footer = page.body.split("id=\"hc-footer\"").nth(1).unwrap();
    assert!(footer.contains("ACME &#60;Corp&#62;") || footer.contains("ACME &lt;Corp&gt;"));
    assert!(!footer.contains("<Corp>"));
    for (id_, want) in [
        ("hc-business-number", "123-45-67890"),
        ("hc-address", "1 Main St, Seoul"),
        ("hc-phone", "02-123-4567"),
        ("hc-email", "help@acme.example"),
        ("hc-copyright", "© 2026 ACME Corp. All rights reserved."),
    ] {
        assert_eq!(text_of(footer, id_).as_deref(), Some(want), "{id_}");
    }
    assert!(
        text_of(footer, "hc-representative")
            .unwrap()
            .starts_with("Kim &")
    );
    assert!(footer.contains("href=\"/hc/care/ko/terms\""));
    assert!(footer.contains("href=\"/hc/care/ko/privacy\""));
    // Terms: the service's editor is HTML — sanitized, never raw.
    let terms = anon.get("/hc/care/ko/terms").await;
    terms.assert_status(200);
    assert!(terms.body.contains("<h2>Terms</h2>"));
    assert!(!terms.body.contains("<script>alert") && !terms.body.contains("onclick"));
    assert!(terms.body.contains("이용 약관"));
    // English and Japanese chrome; a language the service does not have is a 404.
    assert!(
        anon.get("/hc/care/ja")
            .await
            .body
            .contains("まだ記事がありません")
    );
    assert!(
        anon.get("/hc/care/en")
            .await
            .body
            .contains("No articles yet")
    );
    anon.get("/hc/care/fr").await.assert_status(404);
    anon.get("/hc/nothere/en").await.assert_status(404);
    // The banner is public for the help center.
    let b = anon.get("/hc/care/banner").await;
    b.assert_status(200);
    assert_eq!(b.header("content-type"), Some("image/png"));
    // A text-editor service with one language: no picker, plain-text paragraphs.
    boss.get("/admin/services/new").await;
    boss.post_multipart(
        "/admin/services/new",
        &[
            ("kind", "counseling"),
            ("name", "Solo"),
            ("service_id", "solo"),
            ("languages", "ja"),
            ("default_language", "ja"),
            ("timezone", "Asia/Tokyo"),
            ("editor", "text"),
        ],
        &[],
    )
    .await
    .assert_status(303);
    apply(&mut boss, "solo", &id.to_string())
        .await
        .assert_status(303);
    let solo = anon.get("/hc/solo/ja").await;
    solo.assert_status(200);
    assert!(!solo.body.contains("id=\"hc-lang\""));
    assert!(!solo.body.contains("hc/solo/banner"), "no banner, no image");
    let privacy = anon.get("/hc/solo/ja/privacy").await;
    assert!(
        privacy
            .body
            .contains("<p>We keep little.</p><p>And &lt;b&gt;nothing&lt;/b&gt; else.</p>")
    );
    let terms = anon.get("/hc/solo/ja/terms").await;
    assert!(
        terms.body.contains("&lt;script&gt;"),
        "text editor: shown as text"
    );
    // No company info: no footer entry, no terms page.
    apply(&mut boss, "solo", "").await.assert_status(303);
    let solo = anon.get("/hc/solo/ja").await;
    assert!(!solo.body.contains("id=\"hc-company-name\""));
    anon.get("/hc/solo/ja/terms").await.assert_status(404);
}

async fn help_center_of_suspended_and_terminated_services(app: TestApp) {
    let mut boss = app.admin("hcstate").await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    let mut anon = app.ws("hcstate");
    boss.get("/admin/contracts").await;
    boss.post_form("/admin/services/care/status", &[("status", "suspended")])
        .await
        .assert_status(303);
    let r = anon.get("/hc/care/ko").await;
    r.assert_status(503);
    assert!(r.body.contains("일시적으로 이용할 수 없습니다"));
    assert!(r.body.contains("<html lang=\"ko\">"));
    let r = anon.get("/hc/care/ja").await;
    assert!(r.body.contains("一時的にご利用いただけません"));
    anon.get("/hc/care/banner").await.assert_status(404);
    boss.get("/admin/services/care/terminate").await;
    boss.post_form("/admin/services/care/terminate", &[("confirm", "on")])
        .await
        .assert_status(303);
    anon.get("/hc/care").await.assert_status(404);
    anon.get("/hc/care/ko").await.assert_status(404);
    boss.get("/services/care/help-center")
        .await
        .assert_status(404);
}

async fn company_info_in_use_and_other_orgs(app: TestApp) {
    let mut a = app.admin("hcorga").await;
    let mut b = app.admin("hcorgb").await;
    for c in [&mut a, &mut b] {
        add_service(c, "care", "counseling")
            .await
            .assert_status(303);
    }
    let a_entry = add_entry(&mut a, ENTRY).await;
    apply(&mut a, "care", &a_entry.to_string())
        .await
        .assert_status(303);
    // In use: refused with a message naming the service; still there.
    a.get("/admin/company-info").await;
    let r = a
        .post_form(&format!("/admin/company-info/{a_entry}/delete"), &[])
        .await;
    r.assert_status(409);
    assert!(r.body.contains("id=\"company-in-use\""));
    assert!(r.body.contains("Service care"));
    assert!(a.get("/admin/company-info").await.body.contains("ACME"));
    // Org B neither sees, edits, deletes nor applies org A's entry.
    let page = b.get("/admin/company-info").await;
    assert!(!page.body.contains("ACME"));
    b.get(&format!("/admin/company-info/{a_entry}/edit"))
        .await
        .assert_status(404);
    b.post_form(
        &format!("/admin/company-info/{a_entry}/edit"),
        &[("company_name", "Hijacked")],
    )
    .await
    .assert_status(404);
    b.post_form(&format!("/admin/company-info/{a_entry}/delete"), &[])
        .await
        .assert_status(404);
    let r = apply(&mut b, "care", &a_entry.to_string()).await;
    r.assert_status(422);
    assert!(!r.field_errors("company_info_id").is_empty());
    apply(&mut b, "care", "not-a-number")
        .await
        .assert_status(422);
    let mut anon_b = app.ws("hcorgb");
    let page = anon_b.get("/hc/care/ko").await;
    assert!(!page.body.contains("ACME"));
    // Once no help center shows it, it can go.
    apply(&mut a, "care", "").await.assert_status(303);
    a.get("/admin/company-info").await;
    a.post_form(&format!("/admin/company-info/{a_entry}/delete"), &[])
        .await
        .assert_status(303);
}

async fn service_tabs_and_who_may_configure(app: TestApp) {
    let mut boss = app.admin("tabs").await;
    add_service(&mut boss, "care", "counseling")
        .await
        .assert_status(303);
    add_service(&mut boss, "sales", "counseling")
        .await
        .assert_status(303);
    // The OWNER sees every live service as a tab, with its banner.
    let home = boss.get("/").await;
    assert!(home.body.contains("id=\"tab-care\""));
    assert!(home.body.contains("id=\"tab-sales\""));
    assert!(home.body.contains("src=\"/services/care/banner\""));
    let page = boss.get("/services/care/members").await;
    assert!(page.body.contains("id=\"tab-care\" aria-current=\"page\""));
    assert!(!page.body.contains("id=\"tab-sales\" aria-current"));
    // An agent sees only their services; none at first.
    let agent = app.member_id("tabs", "agent1");
    let mut a1 = app.ws_login("tabs", "agent1", GOOD_PW).await;
    assert!(!a1.get("/").await.body.contains("class=\"service-tabs\""));
    a1.get("/services/care").await.assert_status(403);
    boss.get("/services/care/members").await;
    boss.post_form(
        "/services/care/members",
        &[
            ("member_id", &agent.to_string()),
            ("role", "agent"),
            ("phone", "on"),
        ],
    )
    .await
    .assert_status(303);
    let home = a1.get("/").await;
    assert!(home.body.contains("id=\"tab-care\""));
    assert!(!home.body.contains("id=\"tab-sales\""));
    let page = a1.get("/services/care").await;
    page.assert_status(200);
    assert!(page.body.contains("id=\"service-my-role\">Agent · Phone<"));
    assert!(!page.body.contains("id=\"service-hc-config-link\""));
    // An agent may not configure the help center; a service admin may.
    a1.get("/services/care/help-center")
        .await
        .assert_status(403);
    a1.post_form("/services/care/help-center", &[("company_info_id", "")])
        .await
        .assert_status(403);
    boss.get("/services/care/members").await;
    boss.post_form(
        &format!("/services/care/members/{agent}"),
        &[("role", "admin")],
    )
    .await
    .assert_status(303);
    a1.get("/services/care/help-center")
        .await
        .assert_status(200);
    a1.get("/services/sales/help-center")
        .await
        .assert_status(403);
    // Company info stays global management's.
    a1.get("/admin/company-info").await.assert_status(403);
}
