//! `/services/{service_id}/members`: the OWNER, org admins and that service's admins list,
//! add, change and remove the service's members. Everybody else gets 403, a terminated or
//! unknown service 404 (`model::managed_service`).

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, Candidate, Grant, Outcome, SEARCH_MIN, ServiceMember};
use crate::admin::contracts::model::Service;
use crate::admin::permission_log::model::acting;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Msg, Validation, checked};
use crate::web::{Choice, Member, PageCtx, choices, ok, see_other, unprocessable};

#[derive(Template)]
#[template(path = "services/members.html")]
pub struct MembersPage {
    pub ctx: PageCtx,
    pub service: Service,
    pub members: Vec<ServiceMember>,
    pub filter: String,
    pub q: String,
    /// None: no search made.
    pub found: Option<Vec<Candidate>>,
    pub errors: FieldErrors,
    /// The add form as submitted (kept on errors).
    pub add: MemberForm,
    /// The member whose change or addition failed validation, if any.
    pub failed: Option<i64>,
}

impl MembersPage {
    /// The role options of a select, `current` chosen.
    pub fn role_choices(&self, current: &str) -> Vec<Choice> {
        choices(
            model::ROLES,
            |r| self.ctx.t(&format!("perm-value-{r}")).into_owned(),
            current,
        )
    }

    /// Whether `id` is the member whose form failed.
    pub fn is_failed(&self, id: &i64) -> bool {
        self.failed == Some(*id)
    }

    /// Whether the member whose form failed is in the list (its message is shown there).
    pub fn failed_is_listed(&self) -> bool {
        self.failed
            .is_some_and(|id| self.members.iter().any(|m| m.member_id == id))
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub filter: String,
    pub q: String,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct MemberForm {
    pub member_id: String,
    pub role: String,
    pub phone: String,
    pub chat: String,
}

/// The service, if this member may manage it.
async fn service(ctx: &Member, service_id: String) -> Result<Service, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    ctx.state
        .db(move |c| model::managed_service(c, org, &user, &service_id))
        .await
}

/// Renders the page: the member list (narrowed by `filter`) and, with `q`, the search.
async fn render_page(
    ctx: &Member,
    service: Service,
    query: ListQuery,
    mut v: Validation,
    add: MemberForm,
    failed: Option<i64>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let q = query.q.trim().to_string();
    let filter = query.filter.trim().to_string();
    if !q.is_empty() && q.chars().count() < SEARCH_MIN {
        v.add(
            "q",
            Msg::with("org-admins-q-short", &[("min", SEARCH_MIN.to_string())]),
        );
    }
    let search = (!q.is_empty() && !v.has("q")).then(|| q.clone());
    let (sref, f) = (service.id, filter.clone());
    let (members, found) = ctx
        .state
        .db(move |c| {
            let found = match search {
                Some(q) => Some(model::candidates(c, org, sref, &q)?),
                None => None,
            };
            Ok((model::members(c, org, sref, &f)?, found))
        })
        .await?;
    let page = MembersPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        service,
        members,
        filter,
        q,
        found,
        add,
        failed,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn page(
    ctx: Member,
    path: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let s = service(&ctx, path.into_inner()).await?;
    render_page(
        &ctx,
        s,
        q.into_inner(),
        Validation::default(),
        MemberForm::default(),
        None,
    )
    .await
}

/// The role and permissions of a submitted form, or the message for the role field.
fn grant(form: &MemberForm, v: &mut Validation) -> Option<Grant> {
    let g = Grant::parse(&form.role, checked(&form.phone), checked(&form.chat));
    if g.is_none() {
        v.add("role", Msg::new("service-member-role-invalid"));
    }
    g
}

fn member_id(s: &str) -> Result<i64, AppError> {
    s.trim().parse().map_err(|_| AppError::NotFound)
}

pub async fn add(
    ctx: Member,
    path: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let s = service(&ctx, path.into_inner()).await?;
    let form = form.into_inner();
    let id = member_id(&form.member_id)?;
    let mut v = Validation::default();
    let Some(g) = grant(&form, &mut v) else {
        return render_page(&ctx, s, ListQuery::default(), v, form, Some(id)).await;
    };
    let (org, sref, sid) = (ctx.org_id(), s.id, s.service_id.clone());
    let r = acting(&ctx, &ctx.user, move |c, by| {
        model::add(c, org, sref, id, &g, by)
    })
    .await?;
    match r {
        Outcome::Done(_) => ctx.flash("success", "service-member-added")?,
        Outcome::Unchanged => ctx.flash("info", "service-member-already")?,
    }
    Ok(see_other(&format!(
        "{}#member-{id}",
        Urls.service_members(&sid)
    )))
}

pub async fn change(
    ctx: Member,
    path: web::Path<(String, i64)>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let (sid, id) = path.into_inner();
    let s = service(&ctx, sid).await?;
    let form = form.into_inner();
    let mut v = Validation::default();
    let Some(g) = grant(&form, &mut v) else {
        return render_page(&ctx, s, ListQuery::default(), v, form, Some(id)).await;
    };
    let (org, sref, sid) = (ctx.org_id(), s.id, s.service_id.clone());
    let stays_admin = g.role == model::ROLE_ADMIN;
    let r = acting(&ctx, &ctx.user, move |c, by| {
        model::change(c, org, sref, id, &g, by)
    })
    .await?;
    match r {
        Outcome::Done(_) => ctx.flash("success", "service-member-changed")?,
        Outcome::Unchanged => ctx.flash("info", "service-member-unchanged")?,
    }
    if id == ctx.user.id && !ctx.user.is_admin() && !stays_admin {
        // A service admin who made themselves an agent no longer manages the members.
        return Ok(see_other(Urls.home()));
    }
    Ok(see_other(&format!(
        "{}#member-{id}",
        Urls.service_members(&sid)
    )))
}

pub async fn remove(ctx: Member, path: web::Path<(String, i64)>) -> Result<HttpResponse, AppError> {
    let (sid, id) = path.into_inner();
    let s = service(&ctx, sid).await?;
    let (org, sref, sid) = (ctx.org_id(), s.id, s.service_id.clone());
    let r = acting(&ctx, &ctx.user, move |c, by| {
        model::remove(c, org, sref, id, by)
    })
    .await?;
    match r {
        Outcome::Done(_) => ctx.flash("success", "service-member-removed")?,
        Outcome::Unchanged => return Err(AppError::NotFound),
    }
    if id == ctx.user.id && !ctx.user.is_admin() {
        return Ok(see_other(Urls.home()));
    }
    Ok(see_other(Urls.service_members(&sid).as_str()))
}
