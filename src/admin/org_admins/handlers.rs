//! The org-admin page: the OWNER and org admins only; every query is scoped by the
//! tenant's org, so a member ID of another organization is simply not found.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::invitations::{self, INVITE_DAYS, Invite, Pending};
use super::model::{self, Change, SEARCH_MIN};
use crate::admin::Tabs;
use crate::admin::permission_log::model::{Person, acting};
use crate::console::orgs::model::OrgMember;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Msg, Validation, email, required_text};
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
    pub invitations: Vec<Pending>,
    /// The invite form as submitted (kept on errors).
    pub invite: InviteForm,
    pub now: chrono::NaiveDateTime,
}

impl OrgAdminsPage {
    pub fn since(&self, a: &OrgMember) -> String {
        a.org_admin_since
            .map(|t| self.ctx.i18n.date(self.ctx.lang, t.date()))
            .unwrap_or_else(|| "—".into())
    }

    /// A UTC time as `YYYY-MM-DD HH:MM` UTC.
    pub fn when(&self, t: &chrono::NaiveDateTime) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct InviteForm {
    pub name: String,
    pub login_id: String,
    pub email: String,
    pub phone: String,
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
    Person::member(&ctx.user)
}

pub async fn page(ctx: OrgAdmin, q: web::Query<SearchQuery>) -> Result<HttpResponse, AppError> {
    render_page(
        &ctx,
        q.into_inner().q,
        Validation::default(),
        InviteForm::default(),
    )
    .await
}

/// The page, with the search for `q` and the invite form's messages in `v`.
async fn render_page(
    ctx: &OrgAdmin,
    q: String,
    mut v: Validation,
    invite: InviteForm,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let q = q.trim().to_string();
    let searching = !q.is_empty();
    if searching && q.chars().count() < SEARCH_MIN {
        v.add(
            "q",
            Msg::with("org-admins-q-short", &[("min", SEARCH_MIN.to_string())]),
        );
    }
    let run = searching && v.is_empty();
    let query = q.clone();
    let (admins, found, invitations) = ctx
        .state
        .db(move |c| {
            let found = if run {
                Some(model::search(c, org, &query)?)
            } else {
                None
            };
            Ok((model::admins(c, org)?, found, invitations::pending(c, org)?))
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
        invitations,
        invite,
        now: now(),
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
    let (who, ip) = (actor(&ctx), ctx.ip());
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
    let (who, ip) = (actor(&ctx), ctx.ip());
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

/// The set-password link of an invitation token, on this workspace's host.
fn invite_link(ctx: &OrgAdmin, token: &str) -> String {
    format!("{}{}?token={token}", ctx.origin(), Urls.invite())
}

fn invite_mail(
    ctx: &OrgAdmin,
    to: &str,
    name: &str,
    login_id: &str,
    token: &str,
) -> Result<crate::mail::OutgoingMail, AppError> {
    // In the inviter's language: the invited person has chosen none yet.
    let link = invite_link(ctx, token);
    Ok(crate::mail::invitation(
        &ctx.state.i18n,
        ctx.lang,
        &crate::mail::Invitation {
            to,
            name,
            org: &ctx.tenant.name,
            inviter: &ctx.user.name,
            login_id,
            link: &link,
            days: INVITE_DAYS,
        },
    )?)
}

pub async fn invite(ctx: OrgAdmin, form: web::Form<InviteForm>) -> Result<HttpResponse, AppError> {
    use crate::console::orgs::rules;
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.login_id = form.login_id.trim().to_string();
    v.add_all("login_id", rules::check_login_id(&form.login_id));
    form.name = required_text(&mut v, "name", &form.name, rules::MEMBER_NAME_MAX);
    form.email = email(&mut v, "email", &form.email);
    let phone = rules::check_phone(&mut v, "phone", &form.phone);
    if !v.is_empty() {
        return render_page(&ctx, String::new(), v, form).await;
    }
    let token = crate::auth::random_token(32);
    let mail = invite_mail(&ctx, &form.email, &form.name, &form.login_id, &token)?;
    let new = crate::console::orgs::model::NewOrgMember {
        login_id: form.login_id.clone(),
        name: form.name.clone(),
        email: form.email.clone(),
        phone,
        owner: false,
        locale: ctx.lang.code().to_string(),
    };
    let org = ctx.org_id();
    let r = acting(&ctx, &ctx.user, move |c, by| {
        invitations::invite(c, org, &new, &token, by, &mail)
    })
    .await?;
    if r == Invite::LoginIdTaken {
        v.add("login_id", Msg::new("login-id-taken"));
        return render_page(&ctx, String::new(), v, form).await;
    }
    ctx.flash("success", "invite-sent")?;
    Ok(see_other(&format!(
        "{}#invitations",
        Urls.admin_org_admins()
    )))
}

pub async fn resend(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let (name, login_id, to, _) = ctx
        .state
        .db(move |c| invitations::invitee(c, org, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let token = crate::auth::random_token(32);
    let mail = invite_mail(&ctx, &to, &name, &login_id, &token)?;
    let done = acting(&ctx, &ctx.user, move |c, by| {
        invitations::resend(c, org, id, &token, by, &mail)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    ctx.flash("success", "invite-resent")?;
    Ok(see_other(&format!(
        "{}#invitations",
        Urls.admin_org_admins()
    )))
}

pub async fn cancel(ctx: OrgAdmin, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let (org, id) = (ctx.org_id(), path.into_inner());
    let done = acting(&ctx, &ctx.user, move |c, by| {
        invitations::cancel(c, org, id, by)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    ctx.flash("success", "invite-cancelled")?;
    Ok(see_other(&format!(
        "{}#invitations",
        Urls.admin_org_admins()
    )))
}
