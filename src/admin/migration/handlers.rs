//! `/admin/data-migrations`: every upload with its status and progress; the template of a
//! service; the upload (checked at once: every bad cell listed, nothing kept while any
//! remains); the confirmation that reserves it for 01:00 of the next day; deletion while
//! reserved. The OWNER and org admins.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, NewUpload, Upload};
use super::sheet::{self, CellError, Context};
use crate::admin::Tabs;
use crate::admin::contracts::model::{Service, live_service, services_of};
use crate::error::AppError;
use crate::routes::Urls;
use crate::services::ticket_fields::model as fields;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Choice, OrgAdmin, PageCtx, ok, see_other, unprocessable};
use crate::xlsx::read::Refusal;

/// The largest upload.
pub const FILE_MAX: usize = 20 * 1024 * 1024;

#[derive(Template)]
#[template(path = "admin/migrations.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub uploads: Vec<Upload>,
    pub services: Vec<Choice>,
    pub errors: FieldErrors,
    /// The bad cells of a refused upload (the first 1,000) and how many in all.
    pub cells: Vec<CellError>,
    pub cell_count: usize,
}

#[derive(Template)]
#[template(path = "admin/migration.html")]
pub struct UploadPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub upload: Upload,
}

impl ListPage {
    pub fn when(&self, t: &chrono::NaiveDateTime) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

impl UploadPage {
    pub fn when(&self, t: &chrono::NaiveDateTime) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

fn tabs() -> Tabs {
    Tabs {
        current: "migration",
    }
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

async fn list_page(
    ctx: &OrgAdmin,
    chosen: &str,
    v: &Validation,
    cells: Vec<CellError>,
    cell_count: usize,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let (uploads, services) = ctx
        .state
        .db(move |c| Ok((model::list(c, org)?, services_of(c, org)?)))
        .await?;
    let services: Vec<Choice> = services
        .into_iter()
        .filter(|s| !s.is_terminated())
        .map(|s| Choice {
            selected: s.service_id == chosen,
            label: format!("{} ({})", s.name, s.service_id),
            value: s.service_id,
        })
        .collect();
    let bad = !v.is_empty() || cell_count > 0;
    let page = ListPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        tabs: tabs(),
        uploads,
        services,
        cells,
        cell_count,
    };
    if bad { unprocessable(&page) } else { ok(&page) }
}

pub async fn list(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    list_page(&ctx, "", &Validation::default(), Vec::new(), 0).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TemplateQuery {
    pub service: String,
}

async fn service_of(ctx: &OrgAdmin, sid: String) -> Result<Option<Service>, AppError> {
    let org = ctx.org_id();
    ctx.state.db(move |c| live_service(c, org, &sid)).await
}

/// The template of a service's active fields, in the admin's language.
pub async fn template(
    ctx: OrgAdmin,
    q: web::Query<TemplateQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(service) = service_of(&ctx, q.into_inner().service).await? else {
        let mut v = Validation::default();
        v.add("service", Msg::new("mig-service-required"));
        return list_page(&ctx, "", &v, Vec::new(), 0).await;
    };
    let (org, sref) = (ctx.org_id(), service.id);
    let flds = ctx
        .state
        .db(move |c| fields::fields(c, org, sref, false))
        .await?;
    let (i18n, lang) = (ctx.state.i18n.clone(), ctx.lang);
    let bytes = web::block(move || sheet::template(&sheet::columns(&flds), &i18n, lang))
        .await?
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"migration-template-{}.xlsx\"",
                service.service_id
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// The message of a refused workbook.
fn refusal(r: &Refusal) -> Msg {
    match r {
        Refusal::NotXlsx => Msg::new("mig-not-xlsx"),
        Refusal::EncryptedOrLegacy => Msg::new("mig-encrypted"),
        Refusal::TooManyEntries(_) | Refusal::TooLarge => Msg::new("mig-too-large"),
        Refusal::NoSheet => Msg::new("mig-no-key-row"),
        Refusal::TooManyRows(n) => Msg::with("mig-too-many-rows", &[("max", n.to_string())]),
        Refusal::TooManyColumns(_) => Msg::new("mig-too-many-columns"),
        Refusal::CellTooLong(row, col) => Msg::with(
            "mig-cell-too-long",
            &[(
                "cell",
                format!("{}{row}", crate::xlsx::read::column_letter(*col)),
            )],
        ),
    }
}

pub async fn upload_file(ctx: OrgAdmin, mp: Multipart) -> Result<HttpResponse, AppError> {
    let parts = crate::web::multipart::read(mp, FILE_MAX).await?;
    let sid = parts.get("service");
    let mut v = Validation::default();
    let service = if sid.trim().is_empty() {
        None
    } else {
        service_of(&ctx, sid.clone()).await?
    };
    if service.is_none() {
        v.add("service", Msg::new("mig-service-required"));
    }
    let file_name: String = parts
        .file_name("file")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let bytes = match parts.file("file") {
        None => {
            v.add("file", Msg::new("mig-file-required"));
            None
        }
        Some((_, true)) => {
            v.add(
                "file",
                Msg::with("mig-file-too-big", &[("max", "20".to_string())]),
            );
            None
        }
        Some(([], false)) => {
            v.add("file", Msg::new("mig-file-empty"));
            None
        }
        Some((b, false)) => Some(b.to_vec()),
    };
    let (Some(service), Some(bytes)) = (service, bytes) else {
        return list_page(&ctx, &sid, &v, Vec::new(), 0).await;
    };
    let (org, sref) = (ctx.org_id(), service.id);
    let (flds, members) = ctx
        .state
        .db(move |c| {
            Ok((
                fields::fields(c, org, sref, true)?,
                model::members_by_login(c, org, sref)?,
            ))
        })
        .await?;
    let (i18n, lang) = (ctx.state.i18n.clone(), ctx.lang);
    let (checked, bytes) = web::block(move || {
        let ctx = Context {
            fields: &flds,
            members: &members,
            i18n: &i18n,
            lang,
        };
        (sheet::check(&bytes, &ctx, |_| true), bytes)
    })
    .await?;
    let checked = match checked {
        Ok(c) => c,
        Err(r) => {
            v.add("file", refusal(&r));
            return list_page(&ctx, &sid, &v, Vec::new(), 0).await;
        }
    };
    if checked.error_count > 0 {
        return list_page(&ctx, &sid, &v, checked.errors, checked.error_count).await;
    }
    if checked.rows == 0 {
        v.add("file", Msg::new("mig-no-rows"));
        return list_page(&ctx, &sid, &v, Vec::new(), 0).await;
    }
    let by = format!("{} ({})", ctx.user.name, ctx.user.login_id);
    let name = if file_name.is_empty() {
        "upload.xlsx".to_string()
    } else {
        file_name
    };
    let rows = checked.rows;
    let id = ctx
        .state
        .db(move |c| {
            model::store(
                c,
                org,
                &NewUpload {
                    service_ref: sref,
                    file_name: &name,
                    bytes: &bytes,
                    rows,
                    by: &by,
                },
                now(),
            )
        })
        .await?;
    ctx.flash("success", "mig-checked")?;
    Ok(see_other(&Urls.data_migration(&id)))
}

pub async fn show(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let upload = ctx
        .state
        .db(move |c| model::get(c, org, id))
        .await?
        .ok_or(AppError::NotFound)?;
    ok(&UploadPage {
        ctx: ctx.page(),
        tabs: tabs(),
        upload,
    })
}

pub async fn confirm(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let at = ctx
        .state
        .db(move |c| {
            if model::get(c, org, id)?.is_none() {
                return Err(AppError::NotFound);
            }
            model::confirm(c, org, id, now())
        })
        .await?;
    match at {
        Some(_) => ctx.flash("success", "mig-reserved")?,
        None => ctx.flash("error", "mig-not-pending")?,
    }
    Ok(see_other(&Urls.data_migration(&id)))
}

pub async fn delete(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let done = ctx
        .state
        .db(move |c| {
            if model::get(c, org, id)?.is_none() {
                return Err(AppError::NotFound);
            }
            model::delete(c, org, id, now())
        })
        .await?;
    if !done {
        // Running or applied: the route refuses, the page says why.
        ctx.flash("error", "mig-not-deletable")?;
        let upload = ctx
            .state
            .db(move |c| model::get(c, org, id))
            .await?
            .ok_or(AppError::NotFound)?;
        return crate::web::render(
            &UploadPage {
                ctx: ctx.page(),
                tabs: tabs(),
                upload,
            },
            actix_web::http::StatusCode::CONFLICT,
        );
    }
    ctx.flash("success", "mig-deleted")?;
    Ok(see_other(Urls.admin_data_migrations()))
}
