//! CTI management pages: the services and their CTI settings, and the CTI agents. The
//! OWNER and org admins only; every query is scoped by the tenant's org.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, AgentSave, CtiService, Settings};
use crate::admin::Tabs;
use crate::admin::contracts::model::Service;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Msg, Validation, checked};
use crate::web::{OrgAdmin, PageCtx, ok, see_other, unprocessable};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[derive(Template)]
#[template(path = "admin/cti_list.html")]
pub struct CtiListPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub services: Vec<CtiService>,
}

pub async fn list(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let services = ctx.state.db(move |c| model::cti_services(c, org)).await?;
    ok(&CtiListPage {
        ctx: ctx.page(),
        tabs: Tabs { current: "cti" },
        services,
    })
}

/// The settings form as sent (checkboxes as text).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    pub version: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub mobile_contact: String,
    pub log_monitoring: String,
    pub after_call_batch: String,
    pub ob_ticket_auto: String,
}

#[derive(Template)]
#[template(path = "admin/cti_settings.html")]
pub struct CtiSettingsPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub service: Service,
    pub contract: model::CtiContract,
    pub form: Settings,
    pub errors: FieldErrors,
}

impl CtiSettingsPage {
    pub fn read_only(&self) -> bool {
        !self.service.is_active()
    }
}

async fn find(
    ctx: &OrgAdmin,
    service_id: String,
) -> Result<(Service, model::CtiContract), AppError> {
    let org = ctx.org_id();
    ctx.state
        .db(move |c| model::cti_service(c, org, &service_id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn settings_page(
    ctx: OrgAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (service, contract) = find(&ctx, path.into_inner()).await?;
    let sref = service.id;
    let form = ctx.state.db(move |c| model::settings(c, sref)).await?;
    ok(&CtiSettingsPage {
        errors: FieldErrors::default(),
        ctx: ctx.page(),
        tabs: Tabs { current: "cti" },
        service,
        contract,
        form,
    })
}

pub async fn save_settings(
    ctx: OrgAdmin,
    path: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let (service, contract) = find(&ctx, path.into_inner()).await?;
    if !service.is_active() {
        // Read-only while suspended.
        return Err(AppError::Forbidden);
    }
    let f = form.into_inner();
    let mut s = Settings {
        version: f.version,
        tenant_id: f.tenant_id,
        tenant_name: f.tenant_name,
        mobile_contact: checked(&f.mobile_contact),
        log_monitoring: checked(&f.log_monitoring),
        after_call_batch: checked(&f.after_call_batch),
        ob_ticket_auto: checked(&f.ob_ticket_auto),
    };
    let v = model::check_settings(&mut s);
    if !v.is_empty() {
        return unprocessable(&CtiSettingsPage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            tabs: Tabs { current: "cti" },
            service,
            contract,
            form: s,
        });
    }
    let (org, sref, sid) = (ctx.org_id(), service.id, service.service_id.clone());
    ctx.state
        .db(move |c| model::save_settings(c, org, sref, &s, now()))
        .await?;
    ctx.flash("success", "cti-settings-saved")?;
    Ok(see_other(&Urls.admin_cti_service(&sid)))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AgentQuery {
    pub q: String,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct AgentForm {
    pub cti_id: String,
    pub cti_no: String,
}

#[derive(Template)]
#[template(path = "admin/cti_agents.html")]
pub struct CtiAgentsPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub q: String,
    pub agents: Vec<model::Agent>,
    /// The row whose form came back with errors, and what was typed there.
    pub failed: Option<(i64, AgentForm)>,
    pub errors: FieldErrors,
}

impl CtiAgentsPage {
    /// The values a row's form shows: what was typed if it failed, else what is stored.
    pub fn values(&self, a: &model::Agent) -> (String, String) {
        match &self.failed {
            Some((id, f)) if *id == a.member_id => (f.cti_id.clone(), f.cti_no.clone()),
            _ => (
                a.cti_id.clone().unwrap_or_default(),
                a.cti_no.clone().unwrap_or_default(),
            ),
        }
    }
    pub fn failed_row(&self, a: &model::Agent) -> bool {
        matches!(&self.failed, Some((id, _)) if *id == a.member_id)
    }
}

async fn agents_page(
    ctx: &OrgAdmin,
    q: String,
    failed: Option<(i64, AgentForm)>,
    v: Validation,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let query = q.clone();
    let agents = ctx.state.db(move |c| model::agents(c, org, &query)).await?;
    let page = CtiAgentsPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        tabs: Tabs { current: "cti" },
        q,
        agents,
        failed,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn agents(ctx: OrgAdmin, q: web::Query<AgentQuery>) -> Result<HttpResponse, AppError> {
    let q = q.into_inner().q.trim().to_string();
    agents_page(&ctx, q, None, Validation::default()).await
}

pub async fn save_agent(
    ctx: OrgAdmin,
    path: web::Path<i64>,
    form: web::Form<AgentForm>,
) -> Result<HttpResponse, AppError> {
    let member = path.into_inner();
    let mut f = form.into_inner();
    f.cti_id = f.cti_id.trim().to_string();
    f.cti_no = f.cti_no.trim().to_string();
    let mut v = model::check_login(&f.cti_id, &f.cti_no);
    if !v.is_empty() {
        return agents_page(&ctx, String::new(), Some((member, f)), v).await;
    }
    let org = ctx.org_id();
    let (id, no) = (f.cti_id.clone(), f.cti_no.clone());
    let r = ctx
        .state
        .db(move |c| model::save_agent(c, org, member, &id, &no, now()))
        .await?;
    match r {
        AgentSave::NotAgent => return Err(AppError::NotFound),
        AgentSave::IdTaken => v.add("cti_id", Msg::new("cti-id-taken")),
        AgentSave::NoTaken => v.add("cti_no", Msg::new("cti-no-taken")),
        AgentSave::Saved => ctx.flash("success", "cti-agent-saved")?,
        AgentSave::Cleared => ctx.flash("success", "cti-agent-cleared")?,
    }
    if !v.is_empty() {
        return agents_page(&ctx, String::new(), Some((member, f)), v).await;
    }
    Ok(see_other(&format!(
        "{}#agent-{member}",
        Urls.admin_cti_agents()
    )))
}
