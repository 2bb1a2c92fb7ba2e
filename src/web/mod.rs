//! Web infrastructure shared by every feature: the request context extractor and the page
//! context the templates embed, sessions, flash messages, middleware and rendering.

pub mod extract;
pub mod forms;
pub mod list;
pub mod middleware;
pub mod multipart;
pub mod session;
pub mod throttle;

use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;

use crate::AppState;
use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use crate::routes::Urls;
pub use extract::{ConsoleMember, Member, OrgAdmin, Workspace};
use session::Flash;

/// Marks a response whose body is a page we rendered on purpose (a form with errors, a
/// 403 page…), so the error-page middleware leaves it alone.
#[derive(Clone, Copy)]
pub struct Rendered;

pub use crate::auth::sessions::{Realm, ServiceTab, Tenant, User};

/// Everything a handler needs about the request: state, session, language, the tenant (on
/// a workspace host), the signed-in account (already checked against its realm, the
/// idle/absolute expiry and the account's session epoch) and the CSRF token.
pub struct Ctx {
    pub state: web::Data<AppState>,
    pub session: Session,
    pub lang: Lang,
    pub tenant: Option<Tenant>,
    pub user: Option<User>,
    pub csrf: String,
    /// Path and query of this request, for "come back here" links.
    pub here: String,
    /// Whether it is a GET (only those are worth coming back to after login).
    pub is_get: bool,
    /// The request (its address and browser are read only when a change records them).
    req: HttpRequest,
    /// On a workspace, signed in: the services shown as tabs.
    pub service_tabs: Arc<Vec<ServiceTab>>,
    /// A panel an area adds to the page (the phone widget), if any.
    pub panel: Option<Arc<dyn PagePanel>>,
}

/// A panel an area adds to every page of a signed-in workspace member (the phone widget):
/// loaded in the request context's database trip by the loader in `AppState`, rendered
/// into the layout. Areas implement it; the foundation knows no area.
pub trait PagePanel: Send + Sync {
    /// The panel's HTML for this page.
    fn render(&self, page: &PageCtx) -> String;
}

/// Loads the panel of a request. `wanted` decides without the database whether this page
/// may have one for this member (their service tabs, the path and query of the page); `load`
/// reads it (the org, the member, their tabs, path, query) in the request's database trip.
#[derive(Clone, Copy)]
pub struct PanelLoader {
    pub wanted: fn(&[ServiceTab], &str, &str) -> bool,
    pub load: PanelLoad,
}

/// Reads a page's panel: the org, the member, their service tabs, the path and query.
pub type PanelLoad = fn(
    &mut crate::db::DbConn,
    i64,
    &User,
    &[ServiceTab],
    &str,
    &str,
) -> Result<Option<Arc<dyn PagePanel>>, AppError>;

/// A member's service tabs and the page's panel.
type TabsAndPanel = (Arc<Vec<ServiceTab>>, Option<Arc<dyn PagePanel>>);

/// What the request context reads from the database.
type Read = (
    Option<Tenant>,
    Option<User>,
    Arc<Vec<ServiceTab>>,
    Option<Arc<dyn PagePanel>>,
    Option<crate::auth::sessions::SessionWrite>,
);

/// The page's request: where the panel loader looks.
struct Page {
    path: String,
    query: String,
}

/// A signed-in member's service tabs (kept per version of the org's services and
/// members) and an area's panel (the phone widget).
fn tabs_and_panel(
    c: &mut crate::db::DbConn,
    state: &AppState,
    tenant: &Tenant,
    user: &User,
    page: &Page,
) -> Result<TabsAndPanel, AppError> {
    let tabs =
        state
            .service_tabs
            .get_or(tabs_key(tenant, user), tenant.services_version, || {
                crate::auth::sessions::service_tabs(c, tenant.org_id, user)
            })?;
    let panel = match panel_for(state, &tabs, page) {
        Some(l) => (l.load)(c, tenant.org_id, user, &tabs, &page.path, &page.query)?,
        None => None,
    };
    Ok((tabs, panel))
}

/// Where a member's service tabs are kept (`AppState::service_tabs`).
fn tabs_key(tenant: &Tenant, user: &User) -> (i64, i64, bool) {
    (tenant.org_id, user.id, user.is_admin())
}

/// The panel loader, if this page may have a panel for a member with these tabs.
fn panel_for(state: &AppState, tabs: &[ServiceTab], page: &Page) -> Option<PanelLoader> {
    state
        .page_panel
        .filter(|l| (l.wanted)(tabs, &page.path, &page.query))
}

/// The tenant (from Host) and the signed-in account (from the server-side session the
/// cookie names, in this realm only), then the member's tabs and panel: one trip to the
/// database. Reads only (the session's write follows apart): on SQLite this runs inline
/// when a connection is free (`AppState::db_read`).
async fn read_context(
    state: web::Data<AppState>,
    domain: Option<String>,
    token: Option<String>,
    now: chrono::NaiveDateTime,
    page: Page,
) -> Result<Read, AppError> {
    let idle = state.config.session_idle;
    let st = state.clone();
    state
        .db_read(move |c| {
            let tenant = match domain {
                Some(d) => Some(
                    crate::auth::sessions::tenant_by_domain(c, &d)?.ok_or(AppError::NotFound)?,
                ),
                None => None,
            };
            let realm = Realm::of(tenant.as_ref());
            let (user, write) = match token {
                Some(t) => crate::auth::sessions::read(c, realm, &t, now, idle)?,
                None => (None, None),
            };
            let (tabs, panel) = match (&tenant, &user) {
                (Some(t), Some(u)) => tabs_and_panel(c, &st, t, u, &page)?,
                _ => (Arc::default(), None),
            };
            Ok((tenant, user, tabs, panel, write))
        })
        .await
}

/// `read_context` on Postgres: the tenant and the session on the request reader connection
/// (`db::PgReads`, no hop to the blocking pool); the tabs and panel too when they are
/// kept and the page has no panel, else in one trip on the pool. A connection that fails
/// is dropped and the request read the pooled way.
async fn read_context_pg(
    state: web::Data<AppState>,
    domain: Option<String>,
    token: Option<String>,
    now: chrono::NaiveDateTime,
    page: Page,
) -> Result<Read, AppError> {
    let idle = state.config.session_idle;
    let first = state
        .on_reader(async |conn| {
            use crate::auth::sessions as ss;
            Ok(match (&domain, &token) {
                // A signed-in workspace request: the tenant and the session in one trip.
                (Some(d), Some(t)) => {
                    let (tenant, user, write) =
                        ss::tenant_and_read_async(conn, d, t, now, idle).await?;
                    (Some(tenant.ok_or(AppError::NotFound)?), user, write)
                }
                (Some(d), None) => {
                    let tenant = ss::tenant_by_domain_async(conn, d).await?;
                    (Some(tenant.ok_or(AppError::NotFound)?), None, None)
                }
                (None, Some(t)) => {
                    let (user, write) = ss::console_read_async(conn, t, now, idle).await?;
                    (None, user, write)
                }
                (None, None) => (None, None, None),
            })
        })
        .await?;
    let Some((tenant, user, write)) = first else {
        return read_context(state, domain, token, now, page).await;
    };
    let (t, u) = match (tenant, user) {
        (Some(t), Some(u)) => (t, u),
        (tenant, user) => return Ok((tenant, user, Arc::default(), None, write)),
    };
    if let Some(tabs) = state
        .service_tabs
        .get(&tabs_key(&t, &u), t.services_version)
        && panel_for(&state, &tabs, &page).is_none()
    {
        return Ok((Some(t), Some(u), tabs, None, write));
    }
    let st = state.clone();
    state
        .db(move |c| {
            let (tabs, panel) = tabs_and_panel(c, &st, &t, &u, &page)?;
            Ok((Some(t), Some(u), tabs, panel, write))
        })
        .await
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal("no state"))?;
            let session = req.get_session();
            let now = chrono::Utc::now().naive_utc();
            let domain = workspace_domain(&req, &state);
            let token = session::token(&session);
            let page = Page {
                path: req.path().to_string(),
                query: req.query_string().to_string(),
            };
            // Anonymous console requests need no database at all.
            let needs_db = domain.is_some() || token.is_some();
            let signed_in = token.is_some();
            let (tenant, user, service_tabs, panel, write) = if !needs_db {
                (None, None, Arc::default(), None, None)
            } else if state.pg_reads.is_some() {
                read_context_pg(state.clone(), domain, token, now, page).await?
            } else {
                read_context(state.clone(), domain, token, now, page).await?
            };
            if let Some(w) = write {
                state.db(move |c| w.apply(c, now)).await?;
            }
            if signed_in && user.is_none() {
                // Ended, expired, or from another realm.
                session::sign_out(&session);
            }
            // An org that requires two-factor sign-in: a member signed in without it sees
            // only the enrollment page (and may sign out) until it is on.
            if user.is_some()
                && tenant.is_some()
                && session.contains_key(crate::auth::two_factor_pages::MUST_ENROLL)
            {
                let path = req.path();
                let free = path.starts_with("/me/2fa")
                    || matches!(path, "/logout" | "/lang" | "/healthz")
                    || path.starts_with("/static/");
                if !free {
                    return Err(AppError::SignIn(
                        crate::routes::Urls.two_factor(true).to_string(),
                    ));
                }
            }
            let user_locale = user.as_ref().and_then(|u| Lang::from_code(&u.locale));
            let lang = user_locale.unwrap_or_else(|| request_lang(&req, &session));
            let csrf = session::csrf_token(&session)?;
            let here = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into());
            let is_get = req.method() == actix_web::http::Method::GET;
            Ok(Ctx {
                service_tabs,
                panel,
                is_get,
                state,
                session,
                lang,
                tenant,
                user,
                csrf,
                here,
                req,
            })
        })
    }
}

/// The address of the connected peer (not a forwarded header a client could forge).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// The workspace domain named by the request's `Host` (`{domain}.{base host}`), if any.
pub fn workspace_domain(req: &HttpRequest, state: &AppState) -> Option<String> {
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)?
        .to_str()
        .ok()?;
    state.config.base_url.workspace_domain(host)
}

/// Language of a request without a signed-in member: session's saved choice > `lang`
/// cookie > Accept-Language > English.
pub fn request_lang(req: &HttpRequest, session: &Session) -> Lang {
    session
        .get::<String>(session::LOCALE)
        .ok()
        .flatten()
        .and_then(|c| Lang::from_code(&c))
        .or_else(|| req.cookie("lang").and_then(|c| Lang::from_code(c.value())))
        .or_else(|| {
            req.headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::i18n::negotiate)
        })
        .unwrap_or_default()
}

impl Ctx {
    /// The address of this request, recorded in the permission-change log.
    pub fn ip(&self) -> String {
        client_ip(&self.req)
    }

    /// Address and browser of this request, recorded with a new session.
    pub fn client(&self) -> crate::auth::sessions::Client {
        crate::auth::sessions::Client {
            ip: self.ip(),
            user_agent: self
                .req
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.state.i18n.t(self.lang, key)
    }

    /// An amount of the price book's currency as the reader writes money.
    pub fn money(&self, amount: i64) -> String {
        self.state
            .pricing
            .money(&self.state.i18n, self.lang, amount)
    }

    /// A month as the reader writes it.
    pub fn month(&self, year: i32, month: u32) -> String {
        self.state.i18n.month(self.lang, year, month)
    }

    /// A date as the reader writes it.
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        self.state.i18n.date(self.lang, d)
    }

    /// A stored `YYYY-MM-DD` day as the reader writes dates.
    pub fn day(&self, iso: &str) -> String {
        self.state.i18n.day(self.lang, iso)
    }

    /// The page context for a template; takes the pending flash message.
    pub fn page(&self) -> PageCtx {
        PageCtx {
            lang: self.lang,
            i18n: self.state.i18n.clone(),
            csrf: self.csrf.clone(),
            flash: session::take_flash(&self.session),
            user_name: self.user.as_ref().map(|u| u.name.clone()),
            here: self.here.clone(),
            urls: Urls,
            org_name: self.tenant.as_ref().map(|t| t.name.clone()),
            is_admin: self.user.as_ref().is_some_and(User::is_admin),
            has_counseling: self.service_tabs.iter().any(|t| t.kind == "counseling"),
            service_tabs: self.service_tabs.clone(),
            cti_log: self.user.as_ref().is_some_and(User::is_admin)
                || self.service_tabs.iter().any(ServiceTab::service_admin),
            panel: self.panel.clone(),
        }
    }

    /// The login page of this realm, coming back to this page afterwards.
    pub fn login_redirect(&self) -> String {
        let login = crate::routes::Urls.login();
        if !self.is_get || self.here == "/" {
            return login.to_string();
        }
        let next: String = url::form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        format!("{login}?next={next}")
    }

    /// The validation messages in this request's language.
    pub fn errors(&self, v: &forms::Validation) -> forms::FieldErrors {
        v.localize(&self.state.i18n, self.lang)
    }

    /// The scheme and host of this request's realm (console or this workspace), for links
    /// in mails.
    pub fn origin(&self) -> String {
        let base = &self.state.config.base_url;
        match &self.tenant {
            Some(t) => base.workspace_origin(&t.domain),
            None => base.origin(),
        }
    }

    /// The realm of this request: the console, or the tenant's workspace.
    pub fn realm(&self) -> Realm {
        Realm::of(self.tenant.as_ref())
    }

    /// The accounts of this request's realm: console members, or the tenant's members.
    pub fn accounts(&self) -> crate::auth::store::Accounts {
        use crate::auth::store::Accounts;
        self.tenant
            .as_ref()
            .map_or(Accounts::Console, |t| Accounts::Org(t.org_id))
    }

    /// Signs `account_id` in to this request's realm: a new server-side session and a
    /// fresh cookie naming it (session fixation is not possible).
    pub async fn sign_in(&self, account_id: i64, locale: &str) -> Result<(), AppError> {
        let realm = self.realm();
        let client = self.client();
        let absolute = self.state.config.session_absolute;
        let now = chrono::Utc::now().naive_utc();
        let token = self
            .state
            .db(move |c| {
                crate::auth::sessions::create(c, realm, account_id, &client, now, absolute)
            })
            .await?;
        session::start(&self.session, &token, locale)
    }

    /// Logout: the server-side session ends (everywhere), the cookie is dropped.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        if let Some(token) = session::token(&self.session) {
            self.state
                .db(move |c| crate::auth::sessions::end_by_token(c, &token))
                .await?;
        }
        self.session.purge();
        Ok(())
    }

    pub fn flash(&self, kind: &str, key: &'static str) -> Result<(), AppError> {
        session::set_flash(
            &self.session,
            Flash {
                kind: kind.into(),
                key: key.into(),
            },
        )
    }
}

/// What every page template embeds.
pub struct PageCtx {
    pub lang: Lang,
    pub i18n: Arc<I18n>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub user_name: Option<String>,
    pub here: String,
    pub urls: Urls,
    /// On a workspace host: the organization's name.
    pub org_name: Option<String>,
    /// The global-management menu is shown.
    pub is_admin: bool,
    /// The services shown as tabs (signed in on a workspace).
    pub service_tabs: Arc<Vec<ServiceTab>>,
    /// May download a CTI log (the OWNER, an org admin or a service's admin; the page
    /// itself checks which services have CTI).
    pub cti_log: bool,
    /// The organization has a live counselling service (for an admin: the company-info
    /// menu is shown).
    pub has_counseling: bool,
    /// An area's panel (see `PagePanel`).
    pub panel: Option<Arc<dyn PagePanel>>,
}

/// One option of a select, radio group or checkbox list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options for `values`, labelled by `label`, with `selected` chosen.
pub fn choices<S: AsRef<str>>(
    values: impl IntoIterator<Item = S>,
    label: impl Fn(&str) -> String,
    selected: &str,
) -> Vec<Choice> {
    values
        .into_iter()
        .map(|v| {
            let v = v.as_ref();
            Choice {
                value: v.to_string(),
                label: label(v),
                selected: v == selected,
            }
        })
        .collect()
}

pub struct LangOption<'a> {
    pub code: &'static str,
    pub name: std::borrow::Cow<'a, str>,
    pub selected: bool,
}

impl PageCtx {
    /// A label in the reader's language (borrowed when plain text: templates display it).
    pub fn t(&self, key: &str) -> std::borrow::Cow<'_, str> {
        self.i18n.text(self.lang, key)
    }

    /// A whole number with the reader's grouping (for templates: 10,000).
    pub fn number(&self, n: &i64) -> String {
        self.i18n.number(self.lang, *n)
    }

    /// A stored `YYYY-MM-DD` day as the reader writes dates (as stored if it is not one).
    pub fn day(&self, iso: &str) -> String {
        self.i18n.day(self.lang, iso)
    }

    /// The HTML of the page's panel (empty without one).
    pub fn panel_html(&self) -> String {
        self.panel
            .as_ref()
            .map(|p| p.render(self))
            .unwrap_or_default()
    }

    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.i18n.t_one(self.lang, key, name, value)
    }

    /// Whether this page belongs to the service `service_id` (its tab is marked).
    pub fn in_service(&self, service_id: &str) -> bool {
        in_service(&self.here, service_id)
    }

    /// The language switch's options (on every page: the names are borrowed labels).
    pub fn lang_options(&self) -> [LangOption<'_>; 3] {
        Lang::ALL.map(|l| LangOption {
            code: l.code(),
            name: self.i18n.text(
                self.lang,
                match l {
                    Lang::Ko => "lang-name-ko",
                    Lang::Ja => "lang-name-ja",
                    Lang::En => "lang-name-en",
                },
            ),
            selected: l == self.lang,
        })
    }
}

/// Whether `here` (a path and query) is the page of service `service_id` or below it.
/// Called for every tab of every page: no string is built.
fn in_service(here: &str, service_id: &str) -> bool {
    let path = here.split(['?', '#']).next().unwrap_or("");
    path.strip_prefix("/services/")
        .and_then(|rest| rest.strip_prefix(service_id))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// "Are you sure?" before a destructive action: the page names what it acts on and posts
/// to the action's own route (which stays usable directly), so it works without JS.
#[derive(askama::Template)]
#[template(path = "layout/confirm.html")]
pub struct ConfirmPage {
    pub ctx: PageCtx,
    pub heading: String,
    pub message: String,
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
    pub submit_id: &'static str,
    pub submit_label: String,
    pub cancel: String,
}

/// Renders a page with a status; marks it as rendered.
pub fn render(t: &impl askama::Template, status: StatusCode) -> Result<HttpResponse, AppError> {
    // Room for a typical page at once: growing a 40 KB list page from askama's hint took a
    // dozen reallocations and copies.
    let mut body = String::with_capacity(32 * 1024);
    t.render_into(&mut body)?;
    let mut resp = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body);
    resp.extensions_mut().insert(Rendered);
    Ok(resp)
}

pub fn ok(t: &impl askama::Template) -> Result<HttpResponse, AppError> {
    render(t, StatusCode::OK)
}

/// The answer to an invalid form: the form again, with its messages.
pub fn unprocessable(t: &impl askama::Template) -> Result<HttpResponse, AppError> {
    render(t, StatusCode::UNPROCESSABLE_ENTITY)
}

/// A download: the file name for saving, its type, never cached.
pub fn attachment(name: &str, ctype: &str) -> actix_web::HttpResponseBuilder {
    use actix_web::http::header;
    let mut b = HttpResponse::Ok();
    b.content_type(ctype)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// Redirect-after-post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// A `next` target is followed only when it is a local path (no open redirects).
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2000;
    if ok { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next("/signup?x=1"), "/signup?x=1");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }

    #[test]
    fn a_service_tab_marks_its_pages_only() {
        assert!(in_service("/services/sales", "sales"));
        assert!(in_service("/services/sales/tickets?x=1", "sales"));
        assert!(in_service("/services/sales?tab=a", "sales"));
        assert!(!in_service("/services/salesforce", "sales"));
        assert!(!in_service("/services/sale", "sales"));
        assert!(!in_service("/admin/services/sales", "sales"));
        assert!(!in_service("/", "sales"));
    }
}
