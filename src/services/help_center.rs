//! `/services/{service_id}/help-center` (help center → configuration): which company-info entry
//! the service's help-center footer shows, applied at once; a preview of that footer
//! and the link to the public help center. The OWNER, org admins and that service's admins.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::admin::company::model::{self as company, CompanyInfo};
use crate::admin::contracts::model::Service;
use crate::error::AppError;
use crate::routes::Urls;
use crate::services::members::model::managed_service;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Choice, Member, PageCtx, ok, see_other, unprocessable};

#[derive(Template)]
#[template(path = "services/help_center.html")]
pub struct HelpCenterPage {
    pub ctx: PageCtx,
    pub service: Service,
    pub entries: Vec<Choice>,
    /// The entry applied now (the footer preview).
    pub current: Option<CompanyInfo>,
    pub public_url: String,
    pub errors: FieldErrors,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ApplyForm {
    pub company_info_id: String,
}

async fn render_page(
    ctx: &Member,
    service_id: String,
    chosen: Option<String>,
    v: &Validation,
) -> Result<HttpResponse, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let (service, list, current) = ctx
        .state
        .db(move |c| {
            let s = managed_service(c, org, &user, &service_id)?;
            let list = company::list(c, org)?;
            let current = company::of_service(c, org, s.id)?;
            Ok((s, list, current))
        })
        .await?;
    let selected = chosen.unwrap_or_else(|| {
        current
            .as_ref()
            .map(|c| c.id.to_string())
            .unwrap_or_default()
    });
    let mut entries = vec![Choice {
        value: String::new(),
        label: ctx.t("hc-config-none"),
        selected: selected.is_empty(),
    }];
    entries.extend(list.into_iter().map(|(e, _)| Choice {
        selected: e.id.to_string() == selected,
        value: e.id.to_string(),
        label: e.company_name,
    }));
    let public_url = format!("{}{}", ctx.origin(), Urls.help_center(&service.service_id));
    let page = HelpCenterPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        service,
        entries,
        current,
        public_url,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn page(ctx: Member, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    render_page(&ctx, path.into_inner(), None, &Validation::default()).await
}

pub async fn apply(
    ctx: Member,
    path: web::Path<String>,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let sid = path.into_inner();
    let raw = form.into_inner().company_info_id.trim().to_string();
    let entry = if raw.is_empty() {
        None
    } else {
        match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let mut v = Validation::default();
                v.add("company_info_id", Msg::new("hc-config-invalid"));
                return render_page(&ctx, sid, Some(raw), &v).await;
            }
        }
    };
    let (org, user, s2) = (ctx.org_id(), ctx.user.clone(), sid.clone());
    let done = ctx
        .state
        .db(move |c| {
            let s = managed_service(c, org, &user, &s2)?;
            company::apply(c, org, s.id, entry)
        })
        .await?;
    if !done {
        let mut v = Validation::default();
        v.add("company_info_id", Msg::new("hc-config-invalid"));
        return render_page(&ctx, sid, Some(raw), &v).await;
    }
    ctx.flash("success", "hc-config-applied")?;
    Ok(see_other(&Urls.service_help_center(&sid)))
}
