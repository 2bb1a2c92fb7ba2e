//! `TestApp`: the real application on a fresh database, driven in-process through a small
//! client that keeps cookies and the latest CSRF token like a browser would.

pub mod http;
pub mod smtp;

use std::collections::HashMap;
use std::rc::Rc;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::test;
use actix_web::web::Data;
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use online_contact::config::Config;
use online_contact::db::DbConn;
use online_contact::{AppState, app};

/// Runs each named test body (a `async fn(TestApp)` in the parent module) once per
/// backend.
macro_rules! on_all_backends {
    ($($name:ident),* $(,)?) => {
        mod on_backends {
            $(
                #[actix_web::test]
                async fn $name() {
                    for backend in crate::support::backends() {
                        let app = crate::support::TestApp::start(backend).await;
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The admin URL (a database we may create databases from).
    Postgres(String),
}

pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("OC_TEST_POSTGRES_URL")
        && !url.trim().is_empty()
    {
        v.push(Backend::Postgres(url));
    }
    v
}

/// A database made for one test, dropped with it.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn create(backend: &Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}/test.db", dir.path().display()),
                dir,
                pg: None,
            },
            Backend::Postgres(admin) => {
                let name = format!(
                    "oc_test_{}",
                    online_contact::auth::random_token(9)
                        .to_lowercase()
                        .replace(['-', '_'], "x")
                );
                let mut conn =
                    PgConnection::establish(admin).expect("OC_TEST_POSTGRES_URL must be reachable");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                let url = with_database(admin, &name);
                TestDb {
                    url,
                    dir,
                    pg: Some((admin.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// Replaces the database name of a Postgres URL.
fn with_database(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(&format!("/{db}"));
    u.to_string()
}

pub fn test_config(db: &TestDb, base_url: &str, extra: &[(&str, &str)]) -> Config {
    let mut m: HashMap<String, String> = HashMap::new();
    m.insert("OC_DATABASE_URL".into(), db.url.clone());
    m.insert("OC_DATA_DIR".into(), db.dir.path().display().to_string());
    m.insert(
        "OC_SECRET_KEY".into(),
        "test-secret-key-that-is-long-enough-0123456789".into(),
    );
    m.insert("OC_BCRYPT_COST".into(), "4".into());
    m.insert("OC_THROTTLE_PER_MINUTE".into(), "0".into());
    m.insert("OC_BASE_URL".into(), base_url.into());
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    let mut c = Config::from_lookup(|k| m.get(k).cloned()).unwrap();
    c.mail_worker = false;
    c
}

type Svc = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

pub struct TestApp {
    pub state: Data<AppState>,
    pub db: TestDb,
    svc: Svc,
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        TestApp::start_with(backend, &[]).await
    }

    pub async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
        let db = TestDb::create(&backend);
        let config = test_config(&db, "http://localhost:8080", extra);
        let state = Data::new(AppState::new(config).unwrap());
        let service = Rc::new(test::init_service(app(state.clone())).await);
        let svc: Svc = Rc::new(move |req| {
            let s = service.clone();
            Box::pin(async move { test::call_service(&*s, req).await.map_into_boxed_body() })
        });
        TestApp { state, db, svc }
    }

    pub fn client(&self) -> Client {
        Client {
            svc: self.svc.clone(),
            cookies: HashMap::new(),
            csrf: None,
            host: "localhost:8080".into(),
            headers: Vec::new(),
        }
    }

    pub fn conn(&self) -> diesel::r2d2::PooledConnection<online_contact::db::Manager> {
        self.state.pool.get().unwrap()
    }

    /// Runs raw SQL (test set-up such as ageing a token).
    pub fn exec(&self, sql: &str) {
        let mut c = self.conn();
        diesel::sql_query(sql)
            .execute(&mut *c as &mut DbConn)
            .unwrap();
    }

    /// The id of the member `login` of the organization `domain`.
    pub fn member_id(&self, domain: &str, login: &str) -> i64 {
        use online_contact::db::schema::org_members::dsl as om;
        use online_contact::db::schema::organizations::dsl as o;
        om::org_members
            .inner_join(o::organizations)
            .filter(o::domain.eq(domain))
            .filter(om::login_id.eq(login))
            .select(om::id)
            .first(&mut *self.conn())
            .unwrap()
    }

    /// The id of the organization whose workspace domain is `domain`.
    pub fn org_id(&self, domain: &str) -> i64 {
        use online_contact::db::schema::organizations::dsl as o;
        o::organizations
            .filter(o::domain.eq(domain))
            .select(o::id)
            .first(&mut *self.conn())
            .unwrap()
    }

    /// The row id of the service whose ID is `sid`.
    pub fn service_ref(&self, sid: &str) -> i64 {
        use online_contact::db::schema::services::dsl as s;
        s::services
            .filter(s::service_id.eq(sid))
            .select(s::id)
            .first(&mut *self.conn())
            .unwrap()
    }

    /// Mails queued so far, oldest first: (to, subject, text, html).
    pub fn outbox(&self) -> Vec<(String, String, String, String)> {
        use online_contact::db::schema::mail_outbox::dsl as m;
        let mut c = self.conn();
        m::mail_outbox
            .order(m::id)
            .select((m::recipient, m::subject, m::body_text, m::body_html))
            .load(&mut *c)
            .unwrap()
    }

    /// Signs up a console member through the form; returns the client, signed in.
    pub async fn signup(&self, email: &str, password: &str) -> Client {
        let mut c = self.client();
        c.get("/signup").await.assert_status(200);
        let r = c
            .post_form(
                "/signup",
                &[
                    ("email", email),
                    ("name", "Test Person"),
                    ("password", password),
                    ("password_confirm", password),
                    ("country", "KR"),
                    ("member_type", "individual"),
                    ("agree_terms", "on"),
                ],
            )
            .await;
        r.assert_status(303);
        // Follow the redirect, as a browser would (and pick up the renewed CSRF token).
        let landing = c.get(r.location()).await;
        landing.assert_status(200);
        assert!(
            landing.body.contains("id=\"flash\""),
            "a welcome message after sign-up"
        );
        c
    }
}

/// An organization taken through onboarding by its console member.
pub struct Onboarded {
    pub console: Client,
    pub public_id: String,
}

impl TestApp {
    /// Sign-up → card → org → name and domain → members (`owner` first, as OWNER) → done.
    pub async fn onboard(&self, email: &str, domain: &str, members: &[(&str, &str)]) -> Onboarded {
        let mut c = self.signup(email, GOOD_PW).await;
        c.get("/console/payment-methods").await;
        c.post_form(
            "/console/payment-methods",
            &[
                ("card_number", "4242 4242 4242 4242"),
                ("expiry", "12/40"),
                ("holder", "Test Person"),
            ],
        )
        .await
        .assert_status(303);
        c.get("/console/orgs/new").await;
        let r = c
            .post_form("/console/orgs/new", &[("name", &format!("Org {domain}"))])
            .await;
        r.assert_status(303);
        let public_id = r
            .location()
            .trim_start_matches("/console/orgs/")
            .to_string();
        let oc = format!("/console/orgs/{public_id}/online-contact");
        c.get(&oc).await.assert_status(200);
        c.post_form(
            &oc,
            &[("org_name", &format!("{domain} Inc")), ("domain", domain)],
        )
        .await
        .assert_status(303);
        let mp = format!("/console/orgs/{public_id}/members");
        c.get(&mp).await.assert_status(200);
        for (i, (login_id, member_email)) in members.iter().enumerate() {
            let owner = if i == 0 { "on" } else { "" };
            c.post_form(
                &mp,
                &[
                    ("login_id", login_id),
                    ("name", &format!("Name {login_id}")),
                    ("email", member_email),
                    ("owner", owner),
                ],
            )
            .await
            .assert_status(303);
            c.get(&mp).await;
        }
        let done = format!("/console/orgs/{public_id}/online-contact/done");
        c.post_form(&done, &[]).await.assert_status(303);
        Onboarded {
            console: c,
            public_id,
        }
    }

    /// A client on the workspace host of `domain`.
    pub fn ws(&self, domain: &str) -> Client {
        let mut c = self.client();
        c.host = format!("{domain}.localhost:8080");
        c
    }

    /// Sets an org member's password through "find password" and the mailed link.
    pub async fn ws_set_password(&self, domain: &str, login_id: &str, password: &str) {
        let mut c = self.ws(domain);
        c.get("/password/forgot").await.assert_status(200);
        c.post_form("/password/forgot", &[("login_id", login_id)])
            .await
            .assert_status(303);
        let link = link_in(&self.outbox().last().unwrap().2);
        let prefix = format!("http://{domain}.localhost:8080");
        assert!(link.starts_with(&prefix), "{link}");
        let path = link.trim_start_matches(&prefix);
        c.get(path).await.assert_status(200);
        c.post_form(
            path,
            &[("password", password), ("password_confirm", password)],
        )
        .await
        .assert_status(303);
    }

    /// The OWNER of a fresh organization `domain`, signed in on its workspace; a second
    /// member `agent1` has a password too.
    pub async fn admin(&self, domain: &str) -> Client {
        self.onboard(
            &format!("owner@{domain}.example.com"),
            domain,
            &[
                ("boss", "boss@example.com"),
                ("agent1", "agent1@example.com"),
            ],
        )
        .await;
        self.ws_set_password(domain, "boss", GOOD_PW).await;
        self.ws_set_password(domain, "agent1", GOOD_PW).await;
        self.ws_login(domain, "boss", GOOD_PW).await
    }

    /// A signed-in workspace client.
    pub async fn ws_login(&self, domain: &str, login_id: &str, password: &str) -> Client {
        let mut c = self.ws(domain);
        c.get("/login").await.assert_status(200);
        c.post_form("/login", &[("login_id", login_id), ("password", password)])
            .await
            .assert_status(303);
        c.get("/").await.assert_status(200);
        c
    }
}

/// The CSRF token of the first form of a page, as a browser would send it back.
pub fn csrf_in(body: &str) -> Option<String> {
    body.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
}

/// The link in a mail's text.
pub fn link_in(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .expect("a link in the mail")
        .to_string()
}

pub struct Client {
    svc: Svc,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
    pub host: String,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy), and as it came.
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    #[track_caller]
    pub fn assert_status(&self, s: u16) -> &Self {
        assert_eq!(
            self.status,
            s,
            "unexpected status; body:\n{}",
            &self.body[..self.body.len().min(3000)]
        );
        self
    }

    /// Text of the field messages shown next to `field`.
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        let marker = format!("class=\"field-error\" id=\"{field}-error\">");
        self.body
            .split(&marker)
            .skip(1)
            .map(|s| s.split("</p>").next().unwrap_or("").to_string())
            .collect()
    }

    /// The `value` of the input named `field`, HTML entities decoded.
    pub fn input_value(&self, field: &str) -> Option<String> {
        self.raw_input_value(field).map(|v| {
            v.replace("&#60;", "<")
                .replace("&#62;", ">")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#34;", "\"")
                .replace("&quot;", "\"")
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
    }

    pub fn raw_input_value(&self, field: &str) -> Option<String> {
        let marker = format!("name=\"{field}\"");
        let i = self.body.find(&marker)?;
        let rest = &self.body[i..];
        let end = rest.find('>')?;
        let tag = &rest[..end];
        let v = tag.split("value=\"").nth(1)?;
        Some(v.split('"').next()?.to_string())
    }
}

impl Client {
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send_request(&mut self, req: test::TestRequest) -> Resp {
        self.send(req).await
    }

    async fn send(&mut self, req: test::TestRequest) -> Resp {
        let mut req = req.insert_header(("host", self.host.clone()));
        if !self.cookies.is_empty() {
            req = req.insert_header(("cookie", self.cookie_header()));
        }
        for (k, v) in &self.headers {
            req = req.insert_header((k.clone(), v.clone()));
        }
        let res = (self.svc)(req.to_request()).await;
        let status = res.status().as_u16();
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        for c in res.response().cookies() {
            let gone =
                c.max_age().is_some_and(|m| m.is_zero() || m.is_negative()) || c.value().is_empty();
            if gone {
                self.cookies.remove(c.name());
            } else {
                self.cookies
                    .insert(c.name().to_string(), c.value().to_string());
            }
        }
        // Streamed bodies (exports) are read to the end, as a browser would.
        let bytes = match actix_web::body::to_bytes(res.into_body()).await {
            Ok(b) => b,
            Err(e) => panic!("reading the body failed: {e}"),
        };
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = csrf_in(&body) {
            self.csrf = Some(t);
        }
        Resp {
            status,
            headers,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// Posts a form with the latest CSRF token added.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("_csrf", &token));
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.post_raw(path, body, "application/x-www-form-urlencoded")
            .await
    }

    pub async fn post_raw(&mut self, path: &str, body: String, content_type: &str) -> Resp {
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header(("content-type", content_type.to_string()))
                .set_payload(body),
        )
        .await
    }

    /// Posts a multipart form (the CSRF token its first part, as the pages send it).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Resp {
        let boundary = "----octestboundary7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        let token = self.csrf.clone().unwrap_or_default();
        for (k, v) in std::iter::once(&("_csrf", token.as_str())).chain(fields) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (k, filename, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header((
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                ))
                .set_payload(body),
        )
        .await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        self.get("/login").await;
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// True when the home page greets a signed-in member.
    pub async fn signed_in(&mut self) -> bool {
        let r = self.get("/").await;
        r.body.contains("id=\"welcome\"")
    }
}

pub const GOOD_PW: &str = "abcd123!";
pub const OTHER_PW: &str = "wxyz789#";

/// The code of a base32 TOTP secret at `unix` seconds, as an authenticator app computes it.
pub fn totp_code(secret_b32: &str, unix: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes)
        .unwrap()
        .generate(unix)
}

/// An amount of the default price book as a page in `lang` shows it.
pub fn money(lang: online_contact::i18n::Lang, amount: i64) -> String {
    static I18N: std::sync::OnceLock<online_contact::i18n::I18n> = std::sync::OnceLock::new();
    let i18n = I18N.get_or_init(|| online_contact::i18n::I18n::load().unwrap());
    let book = online_contact::pricing::PriceBook::parse(online_contact::pricing::DEFAULT).unwrap();
    book.money(i18n, lang, amount)
}
