//! Help-center pages. Public: no login, no forms; the tenant comes from the host, the
//! service from the path (an unknown or terminated service is a 404, a suspended one a
//! localized "temporarily unavailable" page).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::admin::company::model::{self as company, CompanyInfo};
use crate::admin::contracts::model::{self as contracts, Service};
use crate::error::AppError;
use crate::i18n::{I18n, Lang, languages};
use crate::routes::Urls;
use crate::web::{Workspace, render, see_other};

/// A language of the picker.
pub struct LangLink {
    pub code: String,
    pub label: String,
    /// Absolute, for `hreflang` alternates.
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "helpcenter/page.html")]
pub struct HcPage {
    pub i18n: Arc<I18n>,
    /// The language of the help center's own words.
    pub ui: Lang,
    /// The help-center language shown.
    pub lang: String,
    pub service: Service,
    pub company: Option<CompanyInfo>,
    pub languages: Vec<LangLink>,
    pub current_label: String,
    /// `home`, `terms` or `privacy`.
    pub section: &'static str,
    /// The terms or privacy policy as safe HTML.
    pub body: String,
}

#[derive(Template)]
#[template(path = "helpcenter/unavailable.html")]
pub struct UnavailablePage {
    pub i18n: Arc<I18n>,
    pub ui: Lang,
    pub lang: String,
    pub service: Service,
}

impl HcPage {
    pub fn t(&self, key: &str) -> String {
        self.i18n.t(self.ui, key)
    }
    pub fn home_href(&self) -> String {
        Urls.help_center_lang(&self.service.service_id, &self.lang)
    }
    pub fn terms_href(&self) -> String {
        format!("{}/terms", self.home_href())
    }
    pub fn privacy_href(&self) -> String {
        format!("{}/privacy", self.home_href())
    }
    pub fn banner_href(&self) -> String {
        Urls.help_center_banner(&self.service.service_id)
    }
    pub fn has_picker(&self) -> bool {
        self.languages.len() > 1
    }
}

impl UnavailablePage {
    pub fn t(&self, key: &str) -> String {
        self.i18n.t(self.ui, key)
    }
}

/// The service (any status) and the company info it shows.
async fn load(
    ctx: &Workspace,
    service_id: String,
) -> Result<(Service, Option<CompanyInfo>), AppError> {
    let org = ctx.tenant.org_id;
    ctx.state
        .db(move |c| {
            let s = contracts::any_service(c, org, &service_id)?.ok_or(AppError::NotFound)?;
            let info = company::of_service(c, org, s.id)?;
            Ok((s, info))
        })
        .await
}

pub async fn root(ctx: Workspace, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (s, _) = load(&ctx, path.into_inner()).await?;
    if s.is_terminated() {
        return Err(AppError::NotFound);
    }
    let lang = s.languages.first().cloned().ok_or(AppError::NotFound)?;
    Ok(see_other(&Urls.help_center_lang(&s.service_id, &lang)))
}

async fn page(
    ctx: Workspace,
    (service_id, lang): (String, String),
    section: &'static str,
) -> Result<HttpResponse, AppError> {
    let (service, company) = load(&ctx, service_id).await?;
    if service.is_terminated() || !service.languages.contains(&lang) {
        return Err(AppError::NotFound);
    }
    let ui = super::chrome_lang(&lang);
    let i18n = ctx.state.i18n.clone();
    if service.is_suspended() {
        let mut r = render(
            &UnavailablePage {
                i18n,
                ui,
                lang,
                service,
            },
            StatusCode::SERVICE_UNAVAILABLE,
        )?;
        r.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("3600"),
        );
        return Ok(r);
    }
    let body = match (section, &company) {
        ("terms", Some(c)) => super::long_text_html(&c.terms, &service.editor),
        ("privacy", Some(c)) => super::long_text_html(&c.privacy, &service.editor),
        ("home", _) => String::new(),
        // No company info, or none of this text: nothing to show here.
        _ => return Err(AppError::NotFound),
    };
    if section != "home" && body.is_empty() {
        return Err(AppError::NotFound);
    }
    let origin = ctx.origin();
    let languages: Vec<LangLink> = service
        .languages
        .iter()
        .map(|code| LangLink {
            label: languages::find(code)
                .map_or(code.as_str(), |l| l.label())
                .to_string(),
            href: format!(
                "{origin}{}",
                Urls.help_center_lang(&service.service_id, code)
            ),
            current: *code == lang,
            code: code.clone(),
        })
        .collect();
    let current_label = languages
        .iter()
        .find(|l| l.current)
        .map(|l| l.label.clone())
        .unwrap_or_default();
    render(
        &HcPage {
            i18n,
            ui,
            lang,
            service,
            company,
            languages,
            current_label,
            section,
            body,
        },
        StatusCode::OK,
    )
}

pub async fn home(
    ctx: Workspace,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    page(ctx, path.into_inner(), "home").await
}

pub async fn terms(
    ctx: Workspace,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    page(ctx, path.into_inner(), "terms").await
}

pub async fn privacy(
    ctx: Workspace,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    page(ctx, path.into_inner(), "privacy").await
}

/// The service banner for the public help center (live, unsuspended services only).
pub async fn banner(ctx: Workspace, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (org, sid) = (ctx.tenant.org_id, path.into_inner());
    let found = ctx
        .state
        .db(move |c| {
            let Some(s) = contracts::live_service(c, org, &sid)? else {
                return Ok(None);
            };
            if s.is_suspended() {
                return Ok(None);
            }
            contracts::banner(c, org, &s.service_id)
        })
        .await?;
    let (bytes, ctype) = found.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("cache-control", "public, max-age=300"))
        .body(bytes))
}
