//! End-to-end in headless Chromium through chromedriver: the app runs on a real port and a
//! real browser clicks through it. Runs when chromedriver is installed; with
//! `OC_TEST_REQUIRE_BROWSER=1` (CI) a missing browser fails the test instead of skipping.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::web::Data;
use fantoccini::{Client, ClientBuilder, Locator};
use online_contact::{AppState, app};

use crate::support::{Backend, TestDb, backends, link_in, test_config, totp_code};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The app served over HTTP on a free port, in its own thread and actix system.
pub struct Served {
    pub base: String,
    pub state: Data<AppState>,
    pub _db: TestDb,
}

pub fn serve(backend: &Backend) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let db = TestDb::create(backend);
    let state = Data::new(AppState::new(test_config(&db, &base, &[])).unwrap());
    let s = state.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || app(s.clone()))
                .workers(2)
                .listen(listener)
                .unwrap()
                .run()
                .await
        })
    });
    Served {
        base,
        state,
        _db: db,
    }
}

pub struct Driver {
    child: Child,
    pub port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or says why not (then the test skips, unless CI requires it).
pub fn driver() -> Option<Driver> {
    let required = std::env::var("OC_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            !required,
            "OC_TEST_REQUIRE_BROWSER=1 but {CHROMEDRIVER} or {CHROMIUM} is missing"
        );
        eprintln!("browser test skipped: chromium/chromedriver not installed");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    })
}

pub async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                format!("--user-data-dir={}", d._profile.path().display()),
            ]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .unwrap()
}

pub async fn fill(c: &Client, css: &str, value: &str) {
    let e = wait_for(c, css).await;
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

/// Clicks the element, found afresh if the page changed under it (a navigation that was
/// still under way when it was found).
pub async fn click(c: &Client, css: &str) {
    for attempt in 0..5 {
        let e = wait_for(c, css).await;
        match e.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(w))
                if w.error == fantoccini::error::ErrorStatus::StaleElementReference
                    && attempt < 4 =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("clicking {css}: {e}"),
        }
    }
}

pub async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    // Looked up again until found: a lookup made while the page navigates fails with
    // "aborted by navigation" (seen after a form's submit in a loaded CI run), which is
    // not an answer about the next page.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let last = match c.find(Locator::Css(css)).await {
            Ok(e) => return e,
            Err(e) => e,
        };
        if std::time::Instant::now() >= deadline {
            let src = c.source().await.unwrap_or_default();
            panic!("waiting for {css}: {last}\npage:\n{src}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the element's text is `expected` (found afresh each time: the page may
/// still be navigating when it is first found).
pub async fn wait_text(c: &Client, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && let Ok(t) = e.text().await
        {
            if t == expected {
                return;
            }
            last = t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css}: {last:?}, expected {expected:?}");
}

/// Fills and sends the console sign-up form on the current page.
pub async fn sign_up(c: &Client, email: &str, name: &str, password: &str, country: &str) {
    fill(c, "#email", email).await;
    fill(c, "#name", name).await;
    fill(c, "#password", password).await;
    fill(c, "#password_confirm", password).await;
    wait_for(c, "#country")
        .await
        .select_by_value(country)
        .await
        .unwrap();
    click(c, "#member_type_individual").await;
    click(c, "#agree_terms").await;
    click(c, "#signup-submit").await;
}

/// Chooses the UI language with the header switcher (JS submits on change).
pub async fn choose_language(c: &Client, lang: &str) {
    let select = wait_for(c, "#lang-select").await;
    select.select_by_value(lang).await.unwrap();
    wait_for(c, &format!("html[lang='{lang}']")).await;
}

fn newest_link(state: &AppState) -> String {
    use diesel::prelude::*;
    use online_contact::db::schema::mail_outbox::dsl as m;
    let text: String = m::mail_outbox
        .order(m::id.desc())
        .select(m::body_text)
        .first(&mut *state.pool.get().unwrap())
        .unwrap();
    link_in(&text)
}

#[actix_web::test]
async fn signup_forgot_reset_login_in_every_language() {
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let c = browser(&d).await;
        for (lang, welcome) in [
            ("ko", "님, 환영합니다"),
            ("ja", "ようこそ"),
            ("en", "Welcome"),
        ] {
            let email = format!("browser-{lang}@example.com");
            c.goto(&format!("{}/", served.base)).await.unwrap();
            choose_language(&c, lang).await;
            click(&c, "#nav-signup").await;
            sign_up(&c, &email, "Browser Tester", "first12!", "JP").await;
            let h = wait_for(&c, "#welcome").await;
            assert!(h.text().await.unwrap().contains(welcome), "{lang}");

            click(&c, "#account-menu").await;
            click(&c, "#logout").await;
            wait_for(&c, "#nav-login").await;

            c.goto(&format!("{}/login", served.base)).await.unwrap();
            click(&c, "#forgot-link").await;
            fill(&c, "#email", &email).await;
            click(&c, "#forgot-submit").await;
            wait_for(&c, "#flash").await;

            let link = newest_link(&served.state);
            assert!(link.starts_with(&served.base), "{link}");
            c.goto(&link).await.unwrap();
            fill(&c, "#password", "second3@").await;
            fill(&c, "#password_confirm", "second3@").await;
            click(&c, "#reset-submit").await;
            wait_for(&c, "#flash").await;
            assert!(c.current_url().await.unwrap().path().ends_with("/login"));

            fill(&c, "#email", &email).await;
            fill(&c, "#password", "second3@").await;
            click(&c, "#login-submit").await;
            let h = wait_for(&c, "#welcome").await;
            assert!(
                h.text().await.unwrap().contains(welcome),
                "{lang} after reset"
            );
            let html_lang = wait_for(&c, "html").await.attr("lang").await.unwrap();
            assert_eq!(html_lang.as_deref(), Some(lang));
            click(&c, "#account-menu").await;
            click(&c, "#logout").await;
            wait_for(&c, "#nav-login").await;
        }
        c.close().await.unwrap();
    }
}

#[actix_web::test]
async fn onboarding_to_workspace_login_and_settings() {
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let c = browser(&d).await;
        let base = served.base.clone();
        c.goto(&format!("{base}/signup")).await.unwrap();
        sign_up(&c, "founder@example.com", "Founder", "found3r!", "KR").await;
        click(&c, "#open-console").await;
        // Sent to add a payment method first.
        wait_for(&c, "#card_number").await;
        fill(&c, "#card_number", "4242 4242 4242 4242").await;
        fill(&c, "#expiry", "12/39").await;
        fill(&c, "#holder", "Founder").await;
        click(&c, "#card-submit").await;
        wait_for(&c, ".card-last4").await;
        c.goto(&format!("{base}/console")).await.unwrap();
        click(&c, "#new-org").await;
        fill(&c, "#name", "Acme").await;
        click(&c, "#org-submit").await;
        click(&c, "#select-online-contact").await;
        fill(&c, "#org_name", "Acme Support").await;
        fill(&c, "#domain", "acme").await;
        click(&c, "#oc-submit").await;
        fill(&c, "#login_id", "acme.owner").await;
        fill(&c, "#name", "Owner Kim").await;
        fill(&c, "#email", "owner@acme.example").await;
        click(&c, "#owner").await;
        click(&c, "#member-submit").await;
        wait_for(&c, "#members").await;
        fill(&c, "#login_id", "agent.lee").await;
        fill(&c, "#name", "Agent Lee").await;
        fill(&c, "#email", "lee@acme.example").await;
        click(&c, "#member-submit").await;
        wait_for(&c, "#make-owner-agent\\.lee").await;
        click(&c, "#finish").await;
        let url = wait_for(&c, "#workspace-url").await.text().await.unwrap();
        let port = base.rsplit(':').next().unwrap();
        assert_eq!(url, format!("http://acme.localhost:{port}"));
        assert_eq!(
            wait_for(&c, "#owner-login-id").await.text().await.unwrap(),
            "acme.owner"
        );

        // The workspace: find password, the mailed link, a new password, login.
        c.goto(&format!("{url}/login")).await.unwrap();
        assert_eq!(
            wait_for(&c, "#org-name").await.text().await.unwrap(),
            "Acme Support"
        );
        click(&c, "#forgot-link").await;
        fill(&c, "#login_id", "acme.owner").await;
        click(&c, "#forgot-submit").await;
        wait_for(&c, "#flash").await;
        let link = newest_link(&served.state);
        assert!(
            link.starts_with(&format!("{url}/password/reset?token=")),
            "{link}"
        );
        c.goto(&link).await.unwrap();
        fill(&c, "#password", "0wner-pw").await;
        fill(&c, "#password_confirm", "0wner-pw").await;
        click(&c, "#reset-submit").await;
        wait_for(&c, "#flash").await;
        fill(&c, "#login_id", "acme.owner").await;
        fill(&c, "#password", "0wner-pw").await;
        click(&c, "#login-submit").await;
        wait_for(&c, "#welcome").await;
        wait_for(&c, "#nav-admin").await;

        // Personal settings: Japanese, no assignments; the page switches at once.
        click(&c, "#account-menu").await;
        click(&c, "#nav-settings").await;
        wait_for(&c, "#locale")
            .await
            .select_by_value("ja")
            .await
            .unwrap();
        click(&c, "#accept_assignments").await;
        click(&c, "#settings-submit").await;
        wait_for(&c, "html[lang='ja']").await;
        let flash = wait_for(&c, "#flash").await.text().await.unwrap();
        assert_eq!(flash, "設定を保存しました。");
        assert!(
            !wait_for(&c, "#accept_assignments")
                .await
                .is_selected()
                .await
                .unwrap()
        );

        // Across logout and login.
        click(&c, "#account-menu").await;
        click(&c, "#logout").await;
        fill(&c, "#login_id", "acme.owner").await;
        fill(&c, "#password", "0wner-pw").await;
        click(&c, "#login-submit").await;
        wait_for(&c, "html[lang='ja'] #welcome").await;
        c.goto(&format!("{url}/me/settings")).await.unwrap();
        wait_for(&c, "html[lang='ja']").await;
        assert!(
            !wait_for(&c, "#accept_assignments")
                .await
                .is_selected()
                .await
                .unwrap()
        );
        let selected = c
            .find(Locator::Css("#locale option[selected]"))
            .await
            .unwrap()
            .attr("value")
            .await
            .unwrap();
        assert_eq!(selected.as_deref(), Some("ja"));
        c.close().await.unwrap();
    }
}

#[actix_web::test]
async fn service_contract_suspend_terminate_and_fees() {
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let state = served.state.clone();
        // An organization with its OWNER, made directly through the model.
        let base = served.base.clone();
        let port = base.rsplit(':').next().unwrap().to_string();
        let hash = bcrypt::hash("0wner-pw", 4).unwrap();
        {
            use diesel::prelude::*;
            let mut c = state.pool.get().unwrap();
            let now = chrono::Utc::now().naive_utc();
            let m = online_contact::console::model::create_member(
                &mut c,
                &online_contact::console::model::NewMember {
                    email: "f@example.com".into(),
                    name: "F".into(),
                    password_hash: hash.clone(),
                    country: "KR".into(),
                    member_type: "business".into(),
                    locale: "en".into(),
                    certificate: None,
                },
                now,
            )
            .unwrap()
            .unwrap();
            let public_id =
                online_contact::console::orgs::model::create_org(&mut c, m.id, "Shop", now)
                    .unwrap();
            let org = online_contact::console::orgs::model::org_of(&mut c, m.id, &public_id)
                .unwrap()
                .unwrap();
            online_contact::console::orgs::model::set_online_contact(
                &mut c, org.id, "Shop", "shop",
            )
            .unwrap();
            online_contact::console::orgs::model::add_member(
                &mut c,
                org.id,
                &online_contact::console::orgs::model::NewOrgMember {
                    login_id: "owner".into(),
                    phone: None,
                    name: "Owner".into(),
                    email: "o@example.com".into(),
                    owner: true,
                    locale: "en".into(),
                },
                &online_contact::admin::permission_log::model::Person {
                    name: "demo-data".into(),
                    login: String::new(),
                },
                "",
                now,
            )
            .unwrap();
            online_contact::console::orgs::model::finish(&mut c, org.id, now).unwrap();
            use online_contact::db::schema::org_members::dsl as om;
            diesel::update(om::org_members)
                .set(om::password_hash.eq(Some(hash)))
                .execute(&mut c)
                .unwrap();
        }
        let ws = format!("http://shop.localhost:{port}");
        let png = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
        std::fs::write(png.path(), crate::contracts::PNG).unwrap();

        let c = browser(&d).await;
        c.goto(&format!("{ws}/login")).await.unwrap();
        fill(&c, "#login_id", "owner").await;
        fill(&c, "#password", "0wner-pw").await;
        click(&c, "#login-submit").await;
        click(&c, "#nav-admin").await;
        c.goto(&format!("{ws}/admin/contracts")).await.unwrap();
        click(&c, "#add-service").await;
        // With JS the form opens in a dialog.
        wait_for(&c, "dialog.modal[open] #service_id").await;
        click(&c, "#kind_counseling").await;
        fill(&c, "#name", "Customer care").await;
        wait_text(&c, "#name-counter", "13 of 50 characters").await;
        fill(&c, "#service_id", "care").await;
        // The 203 languages: only the chosen ones and the filter's matches are shown.
        let shown = c
            .find_all(Locator::Css("#languages label:not([hidden])"))
            .await
            .unwrap()
            .len();
        assert!(shown < 10, "{shown} languages shown before filtering");
        for l in ["ko", "ja", "en"] {
            fill(&c, "#languages-filter", &format!("({l})")).await;
            let b = wait_for(&c, &format!("#lang_{l}")).await;
            if !b.is_selected().await.unwrap() {
                b.click().await.unwrap();
            }
        }
        wait_for(&c, "#default_language")
            .await
            .select_by_value("ko")
            .await
            .unwrap();
        wait_for(&c, "#timezone")
            .await
            .select_by_value("Asia/Seoul")
            .await
            .unwrap();
        wait_for(&c, "#banner")
            .await
            .send_keys(&png.path().display().to_string())
            .await
            .unwrap();
        click(&c, "#editor_html").await;
        click(&c, "#service-submit").await;

        // Contract details: CTI inbound and chat for 10 users.
        click(&c, "#feature_cti_inbound").await;
        click(&c, "#feature_chat").await;
        fill(&c, "#seats", "10").await;
        let book =
            online_contact::pricing::PriceBook::parse(online_contact::pricing::DEFAULT).unwrap();
        let mut sel = online_contact::pricing::Selection {
            seats: 10,
            features: Default::default(),
        };
        sel.features.insert("cti_inbound".into(), 0);
        sel.features.insert("chat".into(), 0);
        let expected = crate::support::money(
            online_contact::i18n::Lang::En,
            book.monthly_cost("counseling", &sel),
        );
        // The estimate follows the form as it changes (JS), and the button (no JS) agrees.
        let mut live = String::new();
        for _ in 0..50 {
            live = wait_for(&c, "#estimate")
                .await
                .text()
                .await
                .unwrap_or_default();
            if live == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(live, expected, "live estimate");
        click(&c, "#estimate-submit").await;
        let mut estimate = String::new();
        for _ in 0..50 {
            estimate = wait_for(&c, "#estimate")
                .await
                .text()
                .await
                .unwrap_or_default();
            if estimate == expected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(estimate, expected);
        click(&c, "#contract-submit").await;
        wait_for(&c, "#service-care .cost").await;
        assert!(
            wait_for(&c, "#service-care img.banner")
                .await
                .attr("src")
                .await
                .unwrap()
                .is_some()
        );

        // A second change the same day is refused.
        c.goto(&format!("{ws}/admin/services/care/contract"))
            .await
            .unwrap();
        fill(&c, "#seats", "12").await;
        click(&c, "#contract-submit").await;
        let refused = wait_for(&c, "#form-error").await.text().await.unwrap();
        assert!(refused.contains("once per day"), "{refused}");

        // Suspend, then terminate.
        c.goto(&format!("{ws}/admin/contracts")).await.unwrap();
        click(&c, "#more-care summary").await;
        click(&c, "#suspend-care").await;
        let asked = wait_for(&c, "#confirm-heading").await.text().await.unwrap();
        assert!(
            asked.contains("Service care") || asked.contains("care"),
            "{asked}"
        );
        click(&c, "#suspend-confirm").await;
        click(&c, "#more-care summary").await;
        click(&c, "#terminate-care").await;
        click(&c, "#confirm").await;
        click(&c, "#terminate-submit").await;
        wait_for(&c, "#service-care .status-terminated").await;

        // Fees: chart and table.
        c.goto(&format!("{ws}/admin/fees")).await.unwrap();
        wait_for(&c, "#fee-chart").await;
        let bars = c.find_all(Locator::Css("#fee-chart rect")).await.unwrap();
        assert_eq!(bars.len(), 6);
        let months = c
            .find_all(Locator::Css("#fee-table tfoot td.total"))
            .await
            .unwrap();
        assert_eq!(months.len(), 7, "six months and their sum");
        assert!(c.source().await.unwrap().contains("estimate to date"));
        c.close().await.unwrap();
    }
}

/// Signs in on a workspace login page.
async fn ws_sign_in(c: &Client, ws: &str, login_id: &str, password: &str) {
    c.goto(&format!("{ws}/login")).await.unwrap();
    fill(c, "#login_id", login_id).await;
    fill(c, "#password", password).await;
    click(c, "#login-submit").await;
    wait_for(c, "#welcome").await;
}

async fn sign_out(c: &Client) {
    click(c, "#account-menu").await;
    click(c, "#logout").await;
    // The login page itself (a form on the page being left may have a `#login_id` too:
    // navigating on before the logout lands would race with it).
    wait_for(c, "#login-submit").await;
    wait_for(c, "#forgot-link").await;
}

/// The OWNER invites a person, who sets a password from the mail; the OWNER makes them an
/// org admin; they add a third member to a service as an agent with phone permission; the
/// permission-change log shows all of it, in Korean, with readable before/after.
#[actix_web::test]
async fn invite_delegate_and_read_the_log_in_korean() {
    use diesel::prelude::*;
    use online_contact::admin::permission_log::model::Person;
    use online_contact::console::orgs::model::{NewOrgMember, add_member};
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let ws = online_contact::admin::contracts::demo::seed(
            &served.state,
            "people",
            1,
            1,
            "own3r-pw!",
        )
        .unwrap();
        {
            let mut conn = served.state.pool.get().unwrap();
            let org = online_contact::auth::sessions::tenant_by_domain(&mut conn, "people")
                .unwrap()
                .unwrap()
                .org_id;
            add_member(
                &mut conn,
                org,
                &NewOrgMember {
                    login_id: "agent.park".into(),
                    name: "박상담".into(),
                    email: "park@people.example".into(),
                    phone: None,
                    owner: false,
                    locale: "ko".into(),
                },
                &Person {
                    name: "test".into(),
                    login: String::new(),
                },
                "",
                chrono::Utc::now().naive_utc(),
            )
            .unwrap();
            diesel::sql_query("UPDATE org_members SET locale = 'ko'")
                .execute(&mut *conn)
                .unwrap();
        }
        let c = browser(&d).await;
        // The OWNER invites.
        ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
        c.goto(&format!("{ws}/admin/org-admins")).await.unwrap();
        fill(&c, "#name", "이초대").await;
        fill(&c, "#login_id", "lee.invited").await;
        fill(&c, "#email", "lee@people.example").await;
        click(&c, "#invite-submit").await;
        wait_for(&c, "#flash").await;
        wait_for(&c, "#invitation-lee\\.invited").await;
        let link = newest_link(&served.state);
        assert!(link.starts_with(&format!("{ws}/invite?token=")), "{link}");
        sign_out(&c).await;
        // The invitee sets a password from the mailed link and is signed in.
        c.goto(&link).await.unwrap();
        assert_eq!(
            wait_for(&c, "#invite-login-id").await.text().await.unwrap(),
            "lee.invited"
        );
        fill(&c, "#password", "1nvited!").await;
        fill(&c, "#password_confirm", "1nvited!").await;
        click(&c, "#invite-submit").await;
        let h = wait_for(&c, "#welcome").await.text().await.unwrap();
        assert!(h.contains("이초대"), "{h}");
        sign_out(&c).await;
        // The OWNER makes them an org admin.
        ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
        c.goto(&format!("{ws}/admin/org-admins")).await.unwrap();
        fill(&c, "#q", "lee").await;
        click(&c, "#org-admins-search").await;
        click(&c, "#add-lee\\.invited").await;
        wait_for(&c, "#admin-lee\\.invited").await;
        sign_out(&c).await;
        // The new org admin adds a third member to the service: agent, phone.
        ws_sign_in(&c, &ws, "lee.invited", "1nvited!").await;
        c.goto(&format!("{ws}/services/svcaaa/members"))
            .await
            .unwrap();
        fill(&c, "#q", "park").await;
        click(&c, "#members-search").await;
        click(&c, "#service-members-found input[name='phone']").await;
        click(&c, "#add-agent\\.park").await;
        wait_for(&c, "#flash").await;
        let row = wait_for(&c, "#service-members tbody tr").await;
        assert!(row.text().await.unwrap().contains("박상담"));
        // The log, in Korean, newest first.
        click(&c, "#nav-admin").await;
        click(&c, "#menu-permission-log").await;
        let table = wait_for(&c, "#permission-logs").await.text().await.unwrap();
        let lines: Vec<&str> = table.lines().collect();
        let find = |needle: &str| {
            lines
                .iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle} in\n{table}"))
        };
        let added = find("서비스 멤버 추가");
        let granted = find("조직관리자 추가");
        let accepted = find("초대 수락");
        let sent = find("초대 발송");
        assert!(
            added < granted && granted < accepted && accepted < sent,
            "{table}"
        );
        assert!(lines[added].contains("박상담") && lines[added].contains("상담원 · 전화"));
        assert!(lines[added].contains("이초대"), "actor: {}", lines[added]);
        assert!(lines[granted].contains("멤버") && lines[granted].contains("조직관리자"));
        assert!(lines[accepted].contains("초대됨"));
        assert_eq!(
            wait_for(&c, "html")
                .await
                .attr("lang")
                .await
                .unwrap()
                .as_deref(),
            Some("ko")
        );
        c.close().await.unwrap();
    }
}

/// The page checkers: axe-core's script and the Nu HTML checker's jar (`OC_TEST_AXE`,
/// `OC_TEST_VNU`; `.ci/run` installs both from npm). With `OC_TEST_REQUIRE_A11Y=1` (CI)
/// a missing one fails the test instead of skipping the checks.
struct Checkers {
    axe: String,
    vnu: std::path::PathBuf,
}

fn checkers() -> Option<Checkers> {
    let required = std::env::var("OC_TEST_REQUIRE_A11Y").is_ok_and(|v| v == "1");
    let axe = std::env::var("OC_TEST_AXE")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok());
    let vnu = std::env::var("OC_TEST_VNU")
        .ok()
        .map(std::path::PathBuf::from)
        .filter(|p| p.exists());
    match (axe, vnu) {
        (Some(axe), Some(vnu)) => Some(Checkers { axe, vnu }),
        _ => {
            assert!(
                !required,
                "OC_TEST_REQUIRE_A11Y=1 but OC_TEST_AXE or OC_TEST_VNU is missing"
            );
            eprintln!("axe-core and Nu checks skipped: OC_TEST_AXE / OC_TEST_VNU not set");
            None
        }
    }
}

/// axe-core's violations of the page (WCAG 2.0 A/AA, 2.1 AA and best practice), one line
/// each with up to three of its elements.
async fn axe_violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.unwrap();
    let v = c
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']}})\
               .then(function (r) { done(r.violations.map(function (v) {\
                 return v.id + ': ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(' , ');\
               })); }, function (e) { done(['axe failed: ' + e]); });",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The page's HTML as the server sent it (fetched again with the browser's cookies).
async fn served_html(c: &Client) -> String {
    let v = c
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             fetch(location.href, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(done, function (e) { done('fetch failed: ' + e); });",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

/// The Nu HTML checker's errors over a directory of pages, one line each.
fn nu_errors(vnu: &std::path::Path, dir: &std::path::Path) -> Vec<String> {
    let out = Command::new("java")
        .arg("-jar")
        .arg(vnu)
        .args(["--errors-only", "--format", "gnu", "--skip-non-html"])
        .arg(dir)
        .output()
        .expect("java runs the Nu HTML checker");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&out.stdout).lines())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether the page scrolls sideways at the window's width.
async fn overflows(c: &Client) -> bool {
    let v = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    v.as_bool().unwrap_or(true)
}

/// The OWNER writes company info and applies it to a service with ko, ja and en; the public
/// help center shows the footer, switches language with the picker, and fits a 390 px
/// phone (a screenshot is kept in the build folder).
#[actix_web::test]
async fn company_info_in_the_help_center_on_a_phone() {
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let ws = online_contact::admin::contracts::demo::seed(
            &served.state,
            "helpdesk",
            1,
            1,
            "own3r-pw!",
        )
        .unwrap();
        let c = browser(&d).await;
        ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
        // The demo's first service is a counselling service with ko, en, ja.
        c.goto(&format!("{ws}/admin/company-info")).await.unwrap();
        click(&c, "#company-add").await;
        fill(&c, "#company_name", "Helpdesk Co.").await;
        fill(&c, "#representative", "Choi Minji").await;
        fill(&c, "#business_number", "220-81-12345").await;
        fill(&c, "#address", "12 Teheran-ro, Gangnam-gu, Seoul").await;
        fill(&c, "#phone", "02-555-0100").await;
        fill(&c, "#email", "support@helpdesk.example").await;
        fill(&c, "#copyright", "© 2026 Helpdesk Co. All rights reserved.").await;
        fill(&c, "#terms", "<h2>Terms</h2><p>Use it kindly.</p>").await;
        fill(&c, "#privacy", "We keep what we must.").await;
        click(&c, "#company-submit").await;
        wait_for(&c, "#company-infos").await;
        c.goto(&format!("{ws}/services/svcaaa/help-center"))
            .await
            .unwrap();
        wait_for(&c, "#company_info_id")
            .await
            .select_by_label("Helpdesk Co.")
            .await
            .unwrap();
        click(&c, "#hc-apply").await;
        wait_for(&c, "#hc-preview").await;
        // The public help center, on a phone, signed out.
        sign_out(&c).await;
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{ws}/hc/svcaaa")).await.unwrap();
        assert_eq!(
            wait_for(&c, "#hc-company-name").await.text().await.unwrap(),
            "Helpdesk Co."
        );
        assert_eq!(
            wait_for(&c, "#hc-copyright").await.text().await.unwrap(),
            "© 2026 Helpdesk Co. All rights reserved."
        );
        assert!(!overflows(&c).await, "no horizontal scroll at 390 px");
        // Switch to Korean, then Japanese, with the picker.
        click(&c, "#hc-lang summary").await;
        click(&c, "#hc-lang-ko").await;
        wait_for(&c, "html[lang='ko']").await;
        let empty = wait_for(&c, "#hc-empty").await.text().await.unwrap();
        assert!(empty.contains("아직 게시물이 없습니다"), "{empty}");
        assert!(!overflows(&c).await, "ko fits at 390 px");
        let shot = c.screenshot().await.unwrap();
        let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        let _ = std::fs::create_dir_all(&dir);
        std::fs::write(format!("{dir}/help-center-ko-390.png"), shot).unwrap();
        click(&c, "#hc-lang summary").await;
        click(&c, "#hc-lang-ja").await;
        wait_for(&c, "html[lang='ja']").await;
        click(&c, "#hc-terms-link").await;
        let doc = wait_for(&c, "#hc-doc h2").await.text().await.unwrap();
        assert_eq!(doc, "Terms");
        assert!(!overflows(&c).await, "terms fit at 390 px");
        c.close().await.unwrap();
    }
}

/// An admin adds a ticket field, gets the template, uploads a file with two bad cells and
/// sees them, fixes them, confirms; the batch runs; the tickets are there.
#[actix_web::test]
async fn data_migration_from_template_to_tickets() {
    use diesel::prelude::*;
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let ws = online_contact::admin::contracts::demo::seed(
            &served.state,
            "migrate",
            1,
            1,
            "own3r-pw!",
        )
        .unwrap();
        let c = browser(&d).await;
        ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
        // A required number field.
        c.goto(&format!("{ws}/services/svcaaa/ticket-fields"))
            .await
            .unwrap();
        wait_for(&c, "#kind")
            .await
            .select_by_value("number")
            .await
            .unwrap();
        fill(&c, "#label_en", "Order no").await;
        click(&c, "#required").await;
        click(&c, "#field-submit").await;
        wait_for(&c, "#flash").await;
        // The template, fetched with this browser's session.
        c.goto(&format!("{ws}/admin/data-migrations"))
            .await
            .unwrap();
        wait_for(&c, "#template-download").await;
        let cookie: String = c
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|k| format!("{}={}", k.name(), k.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let port: u16 = ws.rsplit(':').next().unwrap().parse().unwrap();
        let mut h = crate::support::http::Http::new(port, &format!("migrate.localhost:{port}"));
        for kv in cookie.split("; ") {
            if let Some((k, v)) = kv.split_once('=') {
                h.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let t = h.get("/admin/data-migrations/template?service=svcaaa");
        assert_eq!(t.status, 200);
        let keys: Vec<String> = {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::Xlsx::new(std::io::Cursor::new(t.bytes.clone())).unwrap();
            let first = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&first).unwrap();
            range
                .rows()
                .nth(1)
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect()
        };
        let order = keys.last().unwrap().clone();
        let write = |rows: &[(&str, &str)], path: &std::path::Path| {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let sheet = wb.add_worksheet();
            for (i, k) in keys.iter().enumerate() {
                let col = u16::try_from(i).unwrap();
                sheet.write_string(0, col, k.as_str()).unwrap();
                sheet.write_string(1, col, k.as_str()).unwrap();
            }
            let oc = u16::try_from(keys.len() - 1).unwrap();
            for (r, (title, no)) in rows.iter().enumerate() {
                let r = u32::try_from(r + 2).unwrap();
                sheet.write_string(r, 0, *title).unwrap();
                sheet.write_string(r, oc, *no).unwrap();
            }
            wb.save(path).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.xlsx");
        write(
            &[("Imported A", "1"), ("", "2"), ("Imported C", "three")],
            &bad,
        );
        wait_for(&c, "#service")
            .await
            .select_by_value("svcaaa")
            .await
            .unwrap();
        wait_for(&c, "#file")
            .await
            .send_keys(bad.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#upload-submit").await;
        let errors = wait_for(&c, "#cell-errors").await.text().await.unwrap();
        assert!(
            errors.contains("Title") && errors.contains("Order no"),
            "{errors}"
        );
        assert_eq!(
            c.find_all(Locator::Css("#cell-errors tbody tr"))
                .await
                .unwrap()
                .len(),
            2
        );
        let _ = order;
        // Fixed, uploaded, confirmed.
        let good = dir.path().join("good.xlsx");
        write(
            &[
                ("Imported A", "1"),
                ("Imported B", "2"),
                ("Imported C", "3"),
            ],
            &good,
        );
        wait_for(&c, "#service")
            .await
            .select_by_value("svcaaa")
            .await
            .unwrap();
        wait_for(&c, "#file")
            .await
            .send_keys(good.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#upload-submit").await;
        click(&c, "#upload-confirm").await;
        wait_text(&c, "#upload-status", "Reserved").await;
        // The 01:00 batch, now.
        let outbox = dir.path().join("outbox");
        let reg = online_contact::jobs_registry(
            &served.state,
            std::sync::Arc::new(online_contact::mail::Transport::File(outbox)),
        );
        let report = online_contact::jobs::run_due(
            &mut served.state.pool.get().unwrap(),
            &reg,
            online_contact::jobs::Due::All,
            Some("data-migration"),
        )
        .unwrap();
        assert_eq!(report.done, 1);
        c.refresh().await.unwrap();
        assert!(
            wait_for(&c, "#upload-imported")
                .await
                .text()
                .await
                .unwrap()
                .contains('3')
        );
        // The tickets, seen by a member of the service.
        {
            let mut conn = served.state.pool.get().unwrap();
            use online_contact::db::schema::{
                org_members as om, service_members as sm, services as sv,
            };
            let (org, sref): (i64, i64) = sv::table
                .filter(sv::service_id.eq("svcaaa"))
                .select((sv::org_id, sv::id))
                .first(&mut *conn)
                .unwrap();
            let owner: i64 = om::table
                .filter(om::org_id.eq(org))
                .filter(om::login_id.eq("owner"))
                .select(om::id)
                .first(&mut *conn)
                .unwrap();
            let now = chrono::Utc::now().naive_utc();
            diesel::insert_into(sm::table)
                .values((
                    sm::org_id.eq(org),
                    sm::service_ref.eq(sref),
                    sm::member_id.eq(owner),
                    sm::role.eq("admin"),
                    sm::phone.eq(false),
                    sm::chat.eq(false),
                    sm::created_at.eq(now),
                    sm::updated_at.eq(now),
                ))
                .execute(&mut *conn)
                .unwrap();
        }
        c.goto(&format!("{ws}/services/svcaaa/tickets"))
            .await
            .unwrap();
        let list = wait_for(&c, "#tickets").await.text().await.unwrap();
        for t in ["Imported A", "Imported B", "Imported C"] {
            assert!(list.contains(t), "{t} in {list}");
        }
        c.close().await.unwrap();
    }
}

/// A business member signs up in Korea with the certificate chosen in the file field, finds
/// it on the account page, turns on two-factor sign-in by typing the secret into an
/// "authenticator" (computed here), and signs in again through the second step.
#[actix_web::test]
async fn business_signup_and_two_factor_sign_in() {
    let Some(d) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("certificate.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
    )
    .unwrap();
    for backend in backends() {
        let served = serve(&backend);
        let c = browser(&d).await;
        c.goto(&format!("{}/signup", served.base)).await.unwrap();
        fill(&c, "#email", "biz@example.com").await;
        fill(&c, "#name", "Biz Owner").await;
        fill(&c, "#password", "first12!").await;
        fill(&c, "#password_confirm", "first12!").await;
        wait_for(&c, "#country")
            .await
            .select_by_value("KR")
            .await
            .unwrap();
        // The certificate field shows once "business member" is chosen (JS; without it
        // the field is always there).
        assert!(
            !wait_for(&c, "#certificate")
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        click(&c, "#member_type_business").await;
        assert!(
            wait_for(&c, "#certificate")
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        wait_for(&c, "#certificate")
            .await
            .send_keys(pdf.to_str().unwrap())
            .await
            .unwrap();
        click(&c, "#agree_terms").await;
        click(&c, "#signup-submit").await;
        wait_for(&c, "#welcome").await;
        c.goto(&format!("{}/account", served.base)).await.unwrap();
        let link = wait_for(&c, "#certificate-download").await;
        assert_eq!(link.text().await.unwrap(), "certificate.pdf");

        // Enrollment with the typed secret.
        click(&c, "#account-menu").await;
        click(&c, "#nav-2fa").await;
        let secret = wait_for(&c, "#totp-secret").await.text().await.unwrap();
        assert!(wait_for(&c, ".qr svg").await.is_displayed().await.unwrap());
        let now = chrono::Utc::now().timestamp() as u64;
        fill(&c, "#code", &totp_code(&secret, now)).await;
        click(&c, "#enable-submit").await;
        let codes = wait_for(&c, "#recovery-codes").await.text().await.unwrap();
        assert!(codes.matches('-').count() >= 20, "{codes}");
        wait_for(&c, "#tf-status").await;

        // Sign out and in: the password, then the code.
        click(&c, "#account-menu").await;
        click(&c, "#logout").await;
        wait_for(&c, "#nav-login").await;
        c.goto(&format!("{}/login", served.base)).await.unwrap();
        fill(&c, "#email", "biz@example.com").await;
        fill(&c, "#password", "first12!").await;
        click(&c, "#login-submit").await;
        wait_for(&c, "#tf-submit").await;
        assert!(
            c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/login/2fa")
        );
        let now = chrono::Utc::now().timestamp() as u64;
        fill(&c, "#code", &totp_code(&secret, now + 30)).await;
        click(&c, "#tf-submit").await;
        let h = wait_for(&c, "#welcome").await;
        assert!(h.text().await.unwrap().contains("Biz Owner"));
        c.close().await.unwrap();
    }
}

/// CTI end to end: the OWNER contracts phone CTI for a service, sets it up and gives an
/// agent a CTI login; the CTI posts a call; the agent's widget shows the state and takes
/// a new one; My performance (a dialog with JS) shows the call; the OWNER's CTI log for
/// the day downloads and opens.
#[actix_web::test]
async fn cti_from_contract_to_widget_performance_and_log() {
    use online_contact::admin::contracts::model as contracts;
    let Some(d) = driver() else { return };
    for backend in backends() {
        let served = serve(&backend);
        let ws =
            online_contact::admin::contracts::demo::seed(&served.state, "ctib", 1, 1, "own3r-pw!")
                .unwrap();
        // A new counselling service without a contract, and agent1 with phone permission.
        let agent_id = {
            let mut c = served.state.pool.get().unwrap();
            let org = online_contact::auth::sessions::tenant_by_domain(&mut c, "ctib")
                .unwrap()
                .unwrap()
                .org_id;
            let now = chrono::Utc::now().naive_utc();
            let svc = contracts::create_service(
                &mut c,
                org,
                &online_contact::admin::contracts::rules::ServiceInput {
                    kind: "counseling".into(),
                    name: "Phone desk".into(),
                    service_id: "phone".into(),
                    languages: vec!["en".into()],
                    timezone: "Asia/Seoul".into(),
                    editor: "html".into(),
                },
                None,
                now,
            )
            .unwrap()
            .unwrap();
            let actor = online_contact::admin::permission_log::model::Person {
                name: "test".into(),
                login: String::new(),
            };
            online_contact::console::orgs::model::add_member(
                &mut c,
                org,
                &online_contact::console::orgs::model::NewOrgMember {
                    login_id: "agent1".into(),
                    phone: None,
                    name: "Agent One".into(),
                    email: "agent1@ctib.example.com".into(),
                    owner: false,
                    locale: "en".into(),
                },
                &actor,
                "",
                now,
            )
            .unwrap();
            use online_contact::auth::store::{self, Accounts};
            let m = store::find_by_key(&mut c, Accounts::Org(org), "agent1")
                .unwrap()
                .unwrap();
            let hash = bcrypt::hash("ag3nt-pw!", 4).unwrap();
            store::set_password(&mut c, Accounts::Org(org), m.id, &hash, now, None, |_| {
                Ok(None)
            })
            .unwrap();
            use online_contact::services::members::model as sm;
            sm::add(
                &mut c,
                org,
                svc.id,
                m.id,
                &sm::Grant::parse("agent", true, false).unwrap(),
                &sm::By {
                    actor: &actor,
                    ip: "",
                    now,
                },
            )
            .unwrap();
            m.id
        };
        let c = browser(&d).await;
        ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
        // Not in the contract yet: no settings link.
        c.goto(&format!("{ws}/admin/cti")).await.unwrap();
        wait_for(&c, "#cti-contract-phone").await;
        // The contract with inbound phone CTI.
        c.goto(&format!("{ws}/admin/services/phone/contract"))
            .await
            .unwrap();
        click(&c, "#feature_cti_inbound").await;
        fill(&c, "#volume_cti_inbound", "1000").await;
        fill(&c, "#seats", "3").await;
        click(&c, "#contract-submit").await;
        wait_for(&c, "#flash").await;
        // Settings, with log monitoring.
        c.goto(&format!("{ws}/admin/cti")).await.unwrap();
        click(&c, "#cti-settings-phone").await;
        // A failed submit: the messages by the fields, and the focus on their summary.
        click(&c, "#cti-settings-save").await;
        wait_for(&c, "#tenant_id-error").await;
        wait_for(&c, "#error-summary a[href='#tenant_id']").await;
        let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
        assert_eq!(focused.as_deref(), Some("error-summary"));
        fill(&c, "#tenant_id", "t-phone").await;
        fill(&c, "#tenant_name", "Phone tenant").await;
        click(&c, "#log_monitoring").await;
        click(&c, "#cti-settings-save").await;
        wait_text(&c, "#flash", "The CTI settings have been saved.").await;
        // The agent's CTI login.
        c.goto(&format!("{ws}/admin/cti/agents")).await.unwrap();
        fill(&c, &format!("#cti-id-{agent_id}"), "kim").await;
        fill(&c, &format!("#cti-no-{agent_id}"), "7001").await;
        click(&c, "#save-agent-agent1").await;
        wait_text(&c, "#flash", "The CTI login has been saved.").await;
        // The org key, and the CTI posting a call.
        c.goto(&format!("{ws}/admin/org")).await.unwrap();
        click(&c, "#confirm").await;
        click(&c, "#rotate-key").await;
        let key = wait_for(&c, "#new-key").await.text().await.unwrap();
        let port: u16 = ws.rsplit(':').next().unwrap().parse().unwrap();
        let now = chrono::Utc::now();
        let t = |s: i64| {
            (now - chrono::Duration::seconds(s))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let body = serde_json::json!({"events": [
            {"event_id": "b1", "service_id": "phone", "at": t(300), "cti_id": "kim", "state": "ready"},
            {"event_id": "b2", "service_id": "phone", "at": t(200), "cti_id": "kim", "direction": "in", "phase": "ringing", "customer_number": "010-1111-2222"},
            {"event_id": "b3", "service_id": "phone", "at": t(190), "cti_id": "kim", "direction": "in", "phase": "answered", "customer_number": "010-1111-2222"},
            {"event_id": "b4", "service_id": "phone", "at": t(60), "cti_id": "kim", "direction": "in", "phase": "ended", "customer_number": "010-1111-2222", "talk_seconds": 130, "wait_seconds": 5},
        ]});
        let mut api = crate::support::http::Http::new(port, &format!("localhost:{port}"));
        let r = api.request_with_headers(
            "POST",
            "/api/v1/cti/events",
            &[("X-OC-Org-Key", &key)],
            Some(("application/json", body.to_string().into_bytes())),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        // The OWNER's CTI log of today (the service's day), fetched with this session.
        let cookie: Vec<(String, String)> = c
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|k| (k.name().to_string(), k.value().to_string()))
            .collect();
        c.goto(&format!("{ws}/me/cti-log")).await.unwrap();
        wait_for(&c, "#cti-log-download").await;
        let mut h = crate::support::http::Http::new(port, &format!("ctib.localhost:{port}"));
        h.cookies.extend(cookie);
        let day = now.with_timezone(&chrono_tz::Asia::Seoul).date_naive();
        let mut rows = 0;
        for d in [day.pred_opt().unwrap(), day] {
            let x = h.get(&format!("/me/cti-log/download?service=phone&date={d}"));
            assert_eq!(x.status, 200, "{}", x.body);
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> =
                calamine::Xlsx::new(std::io::Cursor::new(x.bytes.clone())).unwrap();
            let range = book.worksheet_range_at(0).unwrap().unwrap();
            rows += range.rows().count() - 1;
        }
        assert_eq!(rows, 5, "4 events and the after-call state");
        sign_out(&c).await;
        // The agent: the widget shows the after-call state and takes a new one.
        ws_sign_in(&c, &ws, "agent1", "ag3nt-pw!").await;
        wait_text(&c, "#widget-state", "After call").await;
        wait_for(&c, "#widget-ask").await;
        let calls = wait_for(&c, "#widget-calls").await.text().await.unwrap();
        assert!(calls.contains("010-1111-2222"), "{calls}");
        click(&c, "#state-ready").await;
        wait_text(&c, "#widget-state", "Ready").await;
        // My performance, as a dialog.
        click(&c, "#account-menu").await;
        click(&c, "#nav-performance").await;
        wait_text(&c, "dialog #perf-ib", "1 / 0:02:10").await;
        wait_text(&c, "dialog #perf-in-progress", "1").await;
        c.close().await.unwrap();
    }
}

/// Every signed-in page of the workspace, in ko, ja and en, fits a 390 px phone (no
/// sideways scroll), for the OWNER and for a CTI agent (with the phone widget). Screenshots
/// of the contract and fee pages in Korean at 390 and 1280 px are kept in the build folder.
#[actix_web::test]
async fn workspace_pages_fit_a_phone_in_every_language() {
    let Some(d) = driver() else { return };
    let backend = backends().remove(0);
    let served = serve(&backend);
    let ws =
        online_contact::admin::contracts::demo::seed(&served.state, "phone", 4, 1, "own3r-pw!")
            .unwrap();
    online_contact::admin::cti::demo::seed_cti(&served.state, "phone", "own3r-pw!").unwrap();
    let c = browser(&d).await;
    let owner_pages = [
        "/",
        "/admin",
        "/admin/contracts",
        "/admin/fees",
        "/admin/org",
        "/admin/org-admins",
        "/admin/company-info",
        "/admin/cti",
        "/admin/cti/agents",
        "/admin/cti/svcaaa",
        "/admin/permission-logs",
        "/admin/data-migrations",
        "/admin/services/new",
        "/admin/services/svcaaa/edit",
        "/admin/services/svcaaa/contract",
        "/admin/services/svcaaa/suspend",
        "/admin/services/svcaaa/terminate",
        "/services/svcaaa",
        "/services/svcaaa/members",
        "/services/svcaaa/tickets",
        "/services/svcaaa/tickets/new",
        "/services/svcaaa/ticket-fields",
        "/services/svcaaa/help-center",
        "/me/settings",
        "/me/password",
        "/me/sessions",
        "/me/2fa",
        "/me/performance",
        "/me/cti-log",
    ];
    let agent_pages = [
        "/",
        "/services/svcaaa/tickets",
        "/me/performance",
        "/me/settings",
    ];
    let mut run = PageRun {
        shots: std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
        check: checkers(),
        served_dir: tempfile::tempdir().unwrap(),
        wide: Vec::new(),
        axe: Vec::new(),
    };
    // Signed out, then the OWNER, then an agent, on the workspace.
    run.pages(&c, &ws, "guest", &["/login", "/password/forgot"])
        .await;
    ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
    run.pages(&c, &ws, "owner", &owner_pages).await;
    sign_out(&c).await;
    ws_sign_in(&c, &ws, "agent1", "own3r-pw!").await;
    run.pages(&c, &ws, "agent1", &agent_pages).await;
    sign_out(&c).await;
    // The cloud console: signed out, then a new member.
    let console = served.base.clone();
    run.pages(
        &c,
        &console,
        "visitor",
        &["/", "/signup", "/login", "/password/forgot"],
    )
    .await;
    c.goto(&format!("{console}/signup")).await.unwrap();
    sign_up(&c, "phone-fit@example.com", "Phone Fit", "first12!", "KR").await;
    wait_for(&c, "#welcome").await;
    run.pages(
        &c,
        &console,
        "member",
        &[
            "/",
            "/account",
            "/account/password",
            "/account/sessions",
            "/account/2fa",
            "/console",
            "/console/payment-methods",
            "/console/orgs/new",
        ],
    )
    .await;
    let PageRun {
        wide,
        axe,
        check,
        served_dir,
        ..
    } = run;
    assert!(wide.is_empty(), "wider than 390 px: {wide:#?}");
    assert!(axe.is_empty(), "axe-core violations: {axe:#?}");
    if let Some(k) = &check {
        let errors = nu_errors(&k.vnu, served_dir.path());
        assert!(errors.is_empty(), "Nu HTML checker errors: {errors:#?}");
    }
    c.close().await.unwrap();
}

/// Pages visited in ko, ja and en at 390 and 1280 px: what overflows a phone, axe-core's
/// violations, and the served HTML kept for the Nu checker.
struct PageRun {
    shots: std::path::PathBuf,
    check: Option<Checkers>,
    served_dir: tempfile::TempDir,
    wide: Vec<String>,
    axe: Vec<String>,
}

impl PageRun {
    async fn pages(&mut self, c: &Client, base: &str, who: &str, pages: &[&str]) {
        for lang in ["ko", "ja", "en"] {
            c.set_window_size(1280, 900).await.unwrap();
            c.goto(&format!("{base}{}", pages[0])).await.unwrap();
            choose_language(c, lang).await;
            for width in [390u32, 1280] {
                c.set_window_size(width, 844).await.unwrap();
                for p in pages {
                    c.goto(&format!("{base}{p}")).await.unwrap();
                    wait_for(c, "main").await;
                    if width == 390 && overflows(c).await {
                        let culprits = c
                            .execute(
                                "var w = window.innerWidth, out = [];\
                                 document.querySelectorAll('main *, header *').forEach(function (e) {\
                                   var r = e.getBoundingClientRect();\
                                   if (r.right > w + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > w + 1)) {\
                                     out.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.right));\
                                   }\
                                 });\
                                 return out.slice(0, 6).join(' | ');",
                                vec![],
                            )
                            .await
                            .unwrap();
                        self.wide.push(format!("{who} {lang} {p}: {culprits}"));
                    }
                    if lang == "ko"
                        && who == "owner"
                        && matches!(*p, "/admin/contracts" | "/admin/fees")
                    {
                        let png = c.screenshot().await.unwrap();
                        let name = format!("ko{}-{width}.png", p.replace('/', "-"));
                        std::fs::write(self.shots.join(name), png).unwrap();
                    }
                    if let (Some(k), 1280) = (&self.check, width) {
                        for v in axe_violations(c, &k.axe).await {
                            self.axe.push(format!("{who} {lang} {p}: {v}"));
                        }
                        let name = format!("{who}-{lang}{}.html", p.replace('/', "-"));
                        let html = served_html(c).await;
                        std::fs::write(self.served_dir.path().join(name), html).unwrap();
                    }
                }
            }
        }
    }
}

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const SPACE: &str = "\u{e00d}";

/// Types keys on the keyboard (to whatever has the focus, as a person would).
async fn press(c: &Client, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut a = KeyActions::new("keyboard".into());
    for k in keys.chars() {
        a = a
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    c.perform_actions(a).await.unwrap();
}

/// Whether the focused element matches `css`.
async fn focused(c: &Client, css: &str) -> bool {
    c.execute(
        "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap_or(false)
}

/// Presses Tab until `css` has the focus (at most 40 times); counts the presses.
async fn tab_to(c: &Client, css: &str, tabs: &mut u32) {
    for _ in 0..40 {
        press(c, TAB).await;
        *tabs += 1;
        if std::env::var("OC_TEST_TRACE_TABS").is_ok() {
            let at = c
                .execute(
                    "var e = document.activeElement; return e ? e.tagName + '#' + e.id + ' ' + (e.textContent || '').slice(0, 20) : '';",
                    vec![],
                )
                .await
                .unwrap();
            eprintln!("tab {tabs}: {at}");
        }
        if focused(c, css).await {
            return;
        }
    }
    let at = c
        .execute(
            "var e = document.activeElement; return e ? e.tagName + '#' + e.id : '';",
            vec![],
        )
        .await
        .unwrap();
    panic!("Tab never reached {css} (focus on {at})");
}

/// Adding a service with the keyboard alone: from the contract list through the skip link,
/// the dialog, a language found by the filter, to the new service, in at most 20 Tab
/// presses; a failed submit puts the focus on the error summary, and its link on the field.
#[actix_web::test]
async fn add_service_by_keyboard_alone() {
    let Some(d) = driver() else { return };
    let backend = backends().remove(0);
    let served = serve(&backend);
    let ws =
        online_contact::admin::contracts::demo::seed(&served.state, "keys", 10, 1, "own3r-pw!")
            .unwrap();
    let c = browser(&d).await;
    ws_sign_in(&c, &ws, "owner", "own3r-pw!").await;
    c.goto(&format!("{ws}/admin/contracts")).await.unwrap();
    choose_language(&c, "en").await;
    // A fresh load: the keyboard starts at the top of the page.
    c.goto(&format!("{ws}/admin/contracts")).await.unwrap();
    wait_for(&c, "#add-service").await;
    let mut tabs = 0;
    tab_to(&c, "#skip-link", &mut tabs).await;
    press(&c, ENTER).await;
    tab_to(&c, "#add-service", &mut tabs).await;
    press(&c, ENTER).await;
    wait_for(&c, "dialog[open] #languages-filter").await;
    // The dialog's form: a kind is chosen already; the name, the ID, a language.
    tab_to(&c, "dialog #name", &mut tabs).await;
    press(&c, "Keyboard desk").await;
    tab_to(&c, "dialog #service_id", &mut tabs).await;
    press(&c, "kbdesk").await;
    tab_to(&c, "dialog #languages-filter", &mut tabs).await;
    press(&c, "(ko)").await;
    tab_to(&c, "dialog #lang_ko", &mut tabs).await;
    press(&c, SPACE).await;
    wait_for(&c, "#languages-chosen button[data-for='lang_ko']").await;
    tab_to(&c, "dialog button[type=submit]", &mut tabs).await;
    assert!(tabs <= 20, "{tabs} Tab presses to add a service");
    press(&c, ENTER).await;
    wait_for(&c, "#flash").await;
    let count: i64 = {
        use diesel::prelude::*;
        use online_contact::db::schema::services::dsl as s;
        let mut conn = served.state.pool.get().unwrap();
        s::services
            .filter(s::service_id.eq("kbdesk"))
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(count, 1, "the service was added by keyboard");

    // A failed submit (no name): the focus is on the error summary; its link moves the
    // focus to the field.
    c.goto(&format!("{ws}/admin/services/new")).await.unwrap();
    wait_for(&c, "#service_id").await;
    c.find(Locator::Css("#service_id"))
        .await
        .unwrap()
        .send_keys("kbempty")
        .await
        .unwrap();
    click(&c, "#service-submit").await;
    wait_for(&c, "#error-summary").await;
    assert!(focused(&c, "#error-summary").await, "focus on the summary");
    tab_to(&c, "#error-summary a[href='#name']", &mut tabs).await;
    press(&c, ENTER).await;
    assert!(focused(&c, "#name").await, "the link focuses the field");
    // What was typed is kept.
    let kept = c
        .find(Locator::Css("#service_id"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("kbempty"));

    // The fee page's scope (every service): typing a service's ID picks it.
    c.goto(&format!("{ws}/admin/fees")).await.unwrap();
    wait_for(&c, "#scope-filter").await;
    c.find(Locator::Css("#scope-filter"))
        .await
        .unwrap()
        .send_keys("svcaaj")
        .await
        .unwrap();
    let scope = c
        .find(Locator::Css("#scope"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(scope.as_deref(), Some("service:svcaaj"));
    press(&c, ENTER).await;
    assert!(focused(&c, "#scope").await, "Enter moves on to the select");
    c.close().await.unwrap();
}
