//! A member's CTI side of the workspace: the phone widget (its data for the page context,
//! and the state changes it posts), the CTI log download from the account menu, and "My
//! performance". Authorization is here: a state change needs the permission of that
//! channel in the service; the log needs the OWNER, an org admin or an admin of the
//! service; performance needs a role in the service (or global management).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use crate::admin::contracts::model::{Service, live_service};
use crate::admin::cti::events::{self, CallRow, Performance};
use crate::admin::cti::model as cti;
use crate::auth::sessions::{ServiceTab, User};
use crate::db::DbConn;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Member, PageCtx, PagePanel, ok, safe_next, see_other, unprocessable};

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// A state and since when (UTC).
#[derive(Debug, Clone)]
pub struct StateNow {
    pub state: String,
    pub since: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct PhoneWidget {
    pub cti_id: String,
    pub state: Option<StateNow>,
    pub calls: Vec<CallRow>,
}

impl PhoneWidget {
    /// Logged in to the CTI: a state other than `logout` was recorded last.
    pub fn logged_in(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.state != "logout")
    }
    /// After a call with the after-call rule off: the agent is asked to pick a state.
    pub fn asks_state(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.state == "after_call")
    }
}

/// The phone widget of the current service, shown at the bottom right of every signed-in
/// workspace page of a member with a CTI login (phone) or chat permission there.
#[derive(Debug, Clone)]
pub struct Widget {
    pub service_id: String,
    pub service_name: String,
    pub tz: chrono_tz::Tz,
    pub phone: Option<PhoneWidget>,
    /// Chat permission: the chat state (None: none recorded yet).
    pub chat: Option<Option<StateNow>>,
    pub now: NaiveDateTime,
}

impl Widget {
    pub fn phone_states(&self) -> &'static [&'static str] {
        &events::WIDGET_STATES
    }
    pub fn chat_states(&self) -> &'static [&'static str] {
        &events::CHAT_STATES
    }
    /// A UTC time as `HH:MM` in the service's zone.
    pub fn clock(&self, t: &NaiveDateTime) -> String {
        use chrono::TimeZone as _;
        self.tz.from_utc_datetime(t).format("%H:%M").to_string()
    }
    /// Seconds since `t` (for the timer).
    pub fn elapsed(&self, t: &NaiveDateTime) -> i64 {
        (self.now - *t).num_seconds().max(0)
    }
    /// Time since `t` as `h:mm:ss`.
    pub fn timer(&self, t: &NaiveDateTime) -> String {
        duration(self.elapsed(t))
    }
    pub fn talk(&self, secs: &i32) -> String {
        duration(i64::from(*secs))
    }
    pub fn iso(&self, t: &NaiveDateTime) -> String {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Seconds as `h:mm:ss`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The service a request is about: the one in the path (`/services/{id}…`) or the
/// `service` query parameter, else the first tab with the widget's channels.
fn current_tab<'a>(tabs: &'a [ServiceTab], path: &str, query: &str) -> Option<&'a ServiceTab> {
    let from_path = path
        .strip_prefix("/services/")
        .map(|rest| rest.split('/').next().unwrap_or(rest));
    let from_query = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.into_owned());
    let wanted = from_path.map(str::to_string).or(from_query);
    if let Some(w) = wanted
        && let Some(t) = tabs.iter().find(|t| t.service_id.eq_ignore_ascii_case(&w))
    {
        return Some(t);
    }
    tabs.iter().find(|t| t.phone || t.chat)
}

/// The widget for this request, if the member has one (a few indexed reads, made only for
/// members with phone or chat permission somewhere).
pub fn panel(
    c: &mut DbConn,
    org: i64,
    user: &User,
    tabs: &[ServiceTab],
    path: &str,
    query: &str,
) -> Result<Option<std::sync::Arc<dyn PagePanel>>, AppError> {
    Ok(widget(c, org, user, tabs, path, query)?.map(|w| std::sync::Arc::new(w) as _))
}

/// The widget as the layout shows it.
#[derive(Template)]
#[template(path = "workspace/phone_widget.html")]
struct WidgetView<'a> {
    ctx: &'a PageCtx,
    w: &'a Widget,
}

impl PagePanel for Widget {
    fn render(&self, page: &PageCtx) -> String {
        WidgetView { ctx: page, w: self }
            .render()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "phone widget");
                String::new()
            })
    }
}

/// The service whose widget a page shows: the page's service (else the first) where the
/// member has phone or chat permission. No database.
fn widget_tab<'a>(tabs: &'a [ServiceTab], path: &str, query: &str) -> Option<&'a ServiceTab> {
    if !tabs.iter().any(|t| t.phone || t.chat) {
        return None;
    }
    current_tab(tabs, path, query).filter(|t| t.phone || t.chat)
}

/// Whether a page may show the widget (`web::PanelLoader::wanted`).
pub fn panel_wanted(tabs: &[ServiceTab], path: &str, query: &str) -> bool {
    widget_tab(tabs, path, query).is_some()
}

fn widget(
    c: &mut DbConn,
    org: i64,
    user: &User,
    tabs: &[ServiceTab],
    path: &str,
    query: &str,
) -> Result<Option<Widget>, AppError> {
    let Some(tab) = widget_tab(tabs, path, query) else {
        return Ok(None);
    };
    let Some(service) = live_service(c, org, &tab.service_id)? else {
        return Ok(None);
    };
    let now = now();
    let phone = if tab.phone
        && let Some(cti_id) = cti::cti_id_of(c, org, user.id)?
        && cti::cti_contract(c, &service)?.any()
    {
        let state = events::current_state(c, service.id, user.id, events::PHONE)?
            .map(|(state, since)| StateNow { state, since });
        Some(PhoneWidget {
            cti_id,
            state,
            calls: events::last_calls(c, service.id, user.id, 3)?,
        })
    } else {
        None
    };
    let chat = if tab.chat {
        Some(
            events::current_state(c, service.id, user.id, events::CHAT)?
                .map(|(state, since)| StateNow { state, since }),
        )
    } else {
        None
    };
    if phone.is_none() && chat.is_none() {
        return Ok(None);
    }
    Ok(Some(Widget {
        tz: service.tz(),
        service_id: service.service_id,
        service_name: service.name,
        phone,
        chat,
        now,
    }))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StateForm {
    pub state: String,
    pub service: String,
    pub next: String,
}

/// The service a widget form names, or the member's first with that channel.
fn form_service<'a>(ctx: &'a Member, service: &str, chat: bool) -> Option<&'a ServiceTab> {
    let s = service.trim();
    if s.is_empty() {
        ctx.service_tabs
            .iter()
            .find(|t| if chat { t.chat } else { t.phone })
    } else {
        ctx.service_tabs
            .iter()
            .find(|t| t.service_id.eq_ignore_ascii_case(s))
    }
}

async fn change_state(
    ctx: Member,
    form: StateForm,
    channel: &'static str,
) -> Result<HttpResponse, AppError> {
    let chat = channel == events::CHAT;
    let back = safe_next(&form.next).to_string();
    let allowed: &[&'static str] = if chat {
        &events::CHAT_STATES
    } else {
        &[
            "ready",
            "break",
            "meal",
            "training",
            "reporting",
            "meeting",
            "coaching",
            "logout",
        ]
    };
    let Some(state) = allowed.iter().copied().find(|s| *s == form.state.trim()) else {
        ctx.flash("error", "cti-state-invalid")?;
        return Ok(see_other(&back));
    };
    let Some(tab) = form_service(&ctx, &form.service, chat) else {
        return Err(AppError::Forbidden);
    };
    let (org, member, sid) = (ctx.org_id(), ctx.user.id, tab.service_id.clone());
    let done = ctx
        .state
        .db(move |c| {
            let Some(service) = live_service(c, org, &sid)? else {
                return Ok(Err(AppError::NotFound));
            };
            let Some((phone, chat_perm)) = cti::permissions(c, org, service.id, member)? else {
                return Ok(Err(AppError::Forbidden));
            };
            if chat {
                if !chat_perm {
                    return Ok(Err(AppError::Forbidden));
                }
            } else if !phone
                || cti::cti_id_of(c, org, member)?.is_none()
                || !cti::cti_contract(c, &service)?.any()
            {
                return Ok(Err(AppError::Forbidden));
            }
            if !service.is_active() {
                return Ok(Ok(false));
            }
            events::record_state(c, org, &service, member, channel, state, now())?;
            Ok(Ok(true))
        })
        .await??;
    if !done {
        ctx.flash("error", "cti-service-suspended")?;
    }
    Ok(see_other(&back))
}

pub async fn agent_state(
    ctx: Member,
    form: web::Form<StateForm>,
) -> Result<HttpResponse, AppError> {
    change_state(ctx, form.into_inner(), events::PHONE).await
}

pub async fn chat_state(ctx: Member, form: web::Form<StateForm>) -> Result<HttpResponse, AppError> {
    change_state(ctx, form.into_inner(), events::CHAT).await
}

/// The CTI services whose log this member may download.
fn log_services(c: &mut DbConn, org: i64, user: &User) -> Result<Vec<(Service, bool)>, AppError> {
    let mut out = Vec::new();
    for s in cti::cti_services(c, org)? {
        if !s.contract.any() {
            continue;
        }
        if user.is_admin() || cti::is_service_admin(c, org, s.service.id, user.id)? {
            let monitoring = cti::settings(c, s.service.id)?.log_monitoring;
            out.push((s.service, monitoring));
        }
    }
    Ok(out)
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct LogQuery {
    pub service: String,
    pub date: String,
}

#[derive(Template)]
#[template(path = "workspace/cti_log.html")]
pub struct CtiLogPage {
    pub ctx: PageCtx,
    /// (service, log monitoring on)
    pub services: Vec<(Service, bool)>,
    pub form: LogQuery,
    pub errors: FieldErrors,
}

async fn log_page(ctx: &Member, form: LogQuery, v: Validation) -> Result<HttpResponse, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let services = ctx.state.db(move |c| log_services(c, org, &user)).await?;
    if services.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut form = form;
    if form.service.is_empty()
        && let Some((s, _)) = services.first()
    {
        form.service = s.service_id.clone();
    }
    if form.date.is_empty()
        && let Some((s, _)) = services.first()
    {
        form.date = s.today().format("%Y-%m-%d").to_string();
    }
    let page = CtiLogPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        services,
        form,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn cti_log_page(ctx: Member, q: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    log_page(&ctx, q.into_inner(), Validation::default()).await
}

/// Rows read per trip while the sheet is written.
const CHUNK: i64 = 2000;

pub async fn cti_log_download(
    ctx: Member,
    q: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let form = q.into_inner();
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let services = ctx.state.db(move |c| log_services(c, org, &user)).await?;
    let mut v = Validation::default();
    let service = services
        .into_iter()
        .map(|(s, _)| s)
        .find(|s| s.service_id.eq_ignore_ascii_case(form.service.trim()));
    if service.is_none() {
        v.add("service", Msg::new("cti-log-service-required"));
    }
    let day = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d").ok();
    match (&day, &service) {
        (None, _) => v.add("date", Msg::new("cti-log-date-invalid")),
        (Some(d), Some(s)) if *d > s.today() => v.add("date", Msg::new("cti-log-date-future")),
        _ => {}
    }
    let (Some(service), Some(day), true) = (service, day, v.is_empty()) else {
        return log_page(&ctx, form, v).await;
    };
    let tz = service.tz();
    let bounds = events::day_bounds(tz, day);
    let i18n = ctx.state.i18n.clone();
    let lang = ctx.lang;
    let t = move |k: &str| i18n.t(lang, k);
    let heads: Vec<String> = [
        "cti-log-col-time",
        "cti-log-col-name",
        "field-login-id",
        "cti-id",
        "cti-log-col-event",
        "cti-log-col-direction",
        "cti-log-col-number",
        "cti-log-col-wait",
        "cti-log-col-talk",
        "cti-log-col-cause",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    let sheet_name: String = format!("{} {}", service.service_id, day)
        .chars()
        .take(31)
        .collect();
    let mut sheet = web::block(move || {
        crate::xlsx::Sheet::new(
            &sheet_name,
            &heads,
            &[20.0, 16.0, 16.0, 12.0, 22.0, 10.0, 18.0, 8.0, 8.0, 20.0],
        )
    })
    .await?
    .map_err(AppError::internal)?;
    let mut after: Option<(NaiveDateTime, i64)> = None;
    let sref = service.id;
    loop {
        let rows = ctx
            .state
            .db(move |c| events::log_rows(c, org, sref, bounds, after, CHUNK))
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.at, last.id));
        let n = rows.len();
        let t = t.clone();
        sheet = web::block(move || {
            use crate::xlsx::Cell;
            use chrono::TimeZone as _;
            for r in &rows {
                let event = match (&r.state, &r.phase) {
                    (Some(s), _) => t(&format!("cti-state-{s}")),
                    (None, Some(p)) => t(&format!("cti-phase-{p}")),
                    _ => String::new(),
                };
                let dir = match r.direction.as_deref() {
                    Some("in") => t("cti-dir-in"),
                    Some("out") => t("cti-dir-out"),
                    _ => String::new(),
                };
                let num = |n: Option<i32>| n.map_or(Cell::Empty, |n| Cell::Number(f64::from(n)));
                sheet.typed_row(&[
                    Cell::DateTime(tz.from_utc_datetime(&r.at).naive_local()),
                    Cell::Text(r.name.clone()),
                    Cell::Text(r.login_id.clone()),
                    Cell::Text(r.cti_id.clone()),
                    Cell::Text(event),
                    Cell::Text(dir),
                    Cell::Text(r.customer_number.clone().unwrap_or_default()),
                    num(r.wait_seconds),
                    num(r.talk_seconds),
                    Cell::Text(r.cause.clone().unwrap_or_default()),
                ])?;
            }
            Ok::<_, rust_xlsxwriter::XlsxError>(sheet)
        })
        .await?
        .map_err(AppError::internal)?;
        if n < CHUNK as usize || !sheet.has_room() {
            break;
        }
    }
    sheet
        .respond(&format!("cti-log-{}-{day}.xlsx", service.service_id))
        .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PerformanceQuery {
    pub service: String,
}

#[derive(Template)]
#[template(path = "workspace/performance.html")]
pub struct PerformancePage {
    pub ctx: PageCtx,
    pub service: Service,
    /// The services the member may pick (their service tabs).
    pub choices: std::sync::Arc<Vec<ServiceTab>>,
    pub p: Performance,
}

impl PerformancePage {
    pub fn duration(&self, secs: &i64) -> String {
        duration(*secs)
    }
    pub fn phone_time(&self, state: &&str) -> String {
        duration(self.p.phone.get(*state).copied().unwrap_or(0))
    }
    pub fn chat_time(&self, state: &&str) -> String {
        duration(self.p.chat.get(*state).copied().unwrap_or(0))
    }
    pub fn phone_states(&self) -> &'static [&'static str] {
        &events::PERFORMANCE_STATES
    }
    pub fn chat_states(&self) -> &'static [&'static str] {
        &events::CHAT_STATES
    }
    pub fn day(&self) -> String {
        self.p
            .day
            .map(|d| self.ctx.i18n.date(self.ctx.lang, d))
            .unwrap_or_default()
    }
}

pub async fn performance(
    ctx: Member,
    q: web::Query<PerformanceQuery>,
) -> Result<HttpResponse, AppError> {
    let wanted = q.into_inner().service;
    // The member's own services (the OWNER and org admins see every service as a tab).
    let tab = if wanted.trim().is_empty() {
        ctx.service_tabs
            .iter()
            .find(|t| t.phone || t.chat)
            .or_else(|| ctx.service_tabs.first())
    } else {
        ctx.service_tabs
            .iter()
            .find(|t| t.service_id.eq_ignore_ascii_case(wanted.trim()))
    };
    let Some(tab) = tab else {
        return Err(AppError::NotFound);
    };
    let (org, member, sid) = (ctx.org_id(), ctx.user.id, tab.service_id.clone());
    let (service, p) = ctx
        .state
        .db(move |c| {
            let service = live_service(c, org, &sid)?.ok_or(AppError::NotFound)?;
            let p = events::performance(c, org, &service, member, now())?;
            Ok((service, p))
        })
        .await?;
    let page = PerformancePage {
        ctx: ctx.page(),
        choices: ctx.service_tabs.clone(),
        service,
        p,
    };
    // It refreshes itself while open: polled in a dialog with JavaScript, by its meta
    // refresh without.
    ok(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab(id: &str, phone: bool, chat: bool) -> ServiceTab {
        ServiceTab {
            service_id: id.into(),
            name: id.into(),
            kind: "counseling".into(),
            has_banner: false,
            status: "active".into(),
            role: None,
            phone,
            chat,
        }
    }

    #[test]
    fn the_current_service_comes_from_the_path_then_the_query() {
        let tabs = [tab("alpha", false, false), tab("beta", true, false)];
        assert_eq!(
            current_tab(&tabs, "/services/alpha/tickets", "").map(|t| t.service_id.as_str()),
            Some("alpha")
        );
        assert_eq!(
            current_tab(&tabs, "/me/performance", "service=ALPHA").map(|t| t.service_id.as_str()),
            Some("alpha")
        );
        assert_eq!(
            current_tab(&tabs, "/", "").map(|t| t.service_id.as_str()),
            Some("beta")
        );
    }

    #[test]
    fn durations_read_as_clock_times() {
        assert_eq!(duration(0), "0:00:00");
        assert_eq!(duration(3725), "1:02:05");
        assert_eq!(duration(-5), "0:00:00");
    }
}
