//! `/admin/company-info`: list, add, edit and delete company-info entries (the OWNER and
//! org admins; every query scoped by the tenant's org).

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, CompanyInfo, Delete};
use crate::admin::Tabs;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Validation};
use crate::web::{OrgAdmin, PageCtx, ok, see_other, unprocessable};

#[derive(Template)]
#[template(path = "admin/company_list.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    /// Each entry with the services whose help center shows it.
    pub entries: Vec<(CompanyInfo, Vec<String>)>,
    pub has_counseling: bool,
    /// The entry a refused deletion was about, and the services using it.
    pub in_use: Option<(i64, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "admin/company_form.html")]
pub struct FormPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub form: CompanyInfo,
    /// None: a new entry.
    pub id: Option<i64>,
    pub errors: FieldErrors,
}

impl FormPage {
    pub fn action(&self) -> String {
        match self.id {
            Some(id) => Urls.company_info_edit(&id),
            None => Urls.company_info_new().to_string(),
        }
    }
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn tabs() -> Tabs {
    Tabs { current: "company" }
}

async fn list_page(
    ctx: &OrgAdmin,
    in_use: Option<(i64, Vec<String>)>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let (entries, has_counseling) = ctx
        .state
        .db(move |c| Ok((model::list(c, org)?, model::has_counseling(c, org)?)))
        .await?;
    let page = ListPage {
        ctx: ctx.page(),
        tabs: tabs(),
        entries,
        has_counseling,
        in_use: in_use.clone(),
    };
    if in_use.is_some() {
        crate::web::render(&page, actix_web::http::StatusCode::CONFLICT)
    } else {
        ok(&page)
    }
}

pub async fn list(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    list_page(&ctx, None).await
}

fn form_page(ctx: &OrgAdmin, form: CompanyInfo, id: Option<i64>, v: &Validation) -> FormPage {
    FormPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        tabs: tabs(),
        form,
        id,
    }
}

pub async fn new_page(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    ok(&form_page(
        &ctx,
        CompanyInfo::default(),
        None,
        &Validation::default(),
    ))
}

pub async fn create(ctx: OrgAdmin, form: web::Form<CompanyInfo>) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let mut v = Validation::default();
    model::check(&mut form, &mut v);
    if !v.is_empty() {
        return unprocessable(&form_page(&ctx, form, None, &v));
    }
    let org = ctx.org_id();
    let id = ctx
        .state
        .db(move |c| model::create(c, org, &form, now()))
        .await?;
    ctx.flash("success", "company-saved")?;
    Ok(see_other(&format!(
        "{}#company-{id}",
        Urls.admin_company_info()
    )))
}

pub async fn edit_page(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let form = ctx
        .state
        .db(move |c| model::get(c, org, id))
        .await?
        .ok_or(AppError::NotFound)?;
    ok(&form_page(&ctx, form, Some(id), &Validation::default()))
}

pub async fn update(
    ctx: OrgAdmin,
    path: web::Path<i64>,
    form: web::Form<CompanyInfo>,
) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let mut form = form.into_inner();
    let mut v = Validation::default();
    model::check(&mut form, &mut v);
    if !v.is_empty() {
        // Still the org's own entry? Otherwise this is a 404, not a form.
        ctx.state
            .db(move |c| model::get(c, org, id))
            .await?
            .ok_or(AppError::NotFound)?;
        return unprocessable(&form_page(&ctx, form, Some(id), &v));
    }
    if !ctx
        .state
        .db(move |c| model::update(c, org, id, &form, now()))
        .await?
    {
        return Err(AppError::NotFound);
    }
    ctx.flash("success", "company-saved")?;
    Ok(see_other(&format!(
        "{}#company-{id}",
        Urls.admin_company_info()
    )))
}

pub async fn delete(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    match ctx.state.db(move |c| model::delete(c, org, id)).await? {
        Delete::Done => {
            ctx.flash("success", "company-deleted")?;
            Ok(see_other(Urls.admin_company_info()))
        }
        Delete::InUse(names) => list_page(&ctx, Some((id, names))).await,
        Delete::NotFound => Err(AppError::NotFound),
    }
}
