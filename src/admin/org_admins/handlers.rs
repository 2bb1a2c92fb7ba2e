//! The org-admin page: the OWNER and org admins only; every query is scoped by the
//! tenant's org, so a member ID of another organization is simply not found.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, Change, SEARCH_MIN};
use crate::admin::Tabs;
use crate::admin::permission_log::model::Person;
use crate::console::orgs::model::OrgMember;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{OrgAdmin, PageCtx, ok, see_other, unprocessable};

#[derive(Template)]
#[template(path = "admin/org_admins.html")]
pub struct OrgAdminsPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub admins: Vec<OrgMember>,
    pub q: String,
    /// None: no search made.
    pub found: Option<Vec<OrgMember>>,
    pub errors: FieldErrors,
    /// The signed-in member (may remove their own right).
    pub me: i64,
}

impl OrgAdminsPage {
    pub fn since(&self, a: &OrgMember) -> String {
        a.org_admin_since
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "—".into())
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    pub q: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AddForm {
    pub member_id: String,
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn actor(ctx: &OrgAdmin) -> Person {
    Person {
        name: ctx.user.name.clone(),
        login: ctx.user.login_id.clone(),
    }
}

pub async fn page(ctx: OrgAdmin, q: web::Query<SearchQuery>) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let q = q.into_inner().q.trim().to_string();
    let mut v = Validation::default();
    let searching = !q.is_empty();
    if searching && q.chars().count() < SEARCH_MIN {
        v.add(
            "q",
            Msg::with("org-admins-q-short", &[("min", SEARCH_MIN.to_string())]),
        );
    }
    let run = searching && v.is_empty();
    let query = q.clone();
    let (admins, found) = ctx
        .state
        .db(move |c| {
            let found = if run {
                Some(model::search(c, org, &query)?)
            } else {
                None
            };
            Ok((model::admins(c, org)?, found))
        })
        .await?;
    let page = OrgAdminsPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        tabs: Tabs {
            current: "org-admins",
        },
        admins,
        q,
        found,
        me: ctx.user.id,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn add(ctx: OrgAdmin, form: web::Form<AddForm>) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let id: i64 = form
        .member_id
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let (who, ip) = (actor(&ctx), ctx.client.ip.clone());
    let r = ctx
        .state
        .db(move |c| model::grant(c, org, id, &who, &ip, now()))
        .await?;
    match r {
        Change::Done(_) => ctx.flash("success", "org-admin-added")?,
        Change::Unchanged | Change::Owner => ctx.flash("info", "org-admin-already")?,
    }
    Ok(see_other(Urls.admin_org_admins()))
}

pub async fn remove(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let id = path.into_inner();
    let (who, ip) = (actor(&ctx), ctx.client.ip.clone());
    let r = ctx
        .state
        .db(move |c| model::revoke(c, org, id, &who, &ip, now()))
        .await?;
    match r {
        Change::Done(_) if id == ctx.user.id => {
            // Their own right: global management is closed to them from now on.
            ctx.flash("success", "org-admin-removed-self")?;
            return Ok(see_other(Urls.home()));
        }
        Change::Done(_) => ctx.flash("success", "org-admin-removed")?,
        Change::Owner => ctx.flash("error", "org-admin-owner-stays")?,
        Change::Unchanged => return Err(AppError::NotFound),
    }
    Ok(see_other(Urls.admin_org_admins()))
}
