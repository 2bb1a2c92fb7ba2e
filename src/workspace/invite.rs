//! `/invite?token=…`: an invited org member sets their password with the product's rule
//! and is signed in. The link is single use and expires (`INVITE_DAYS`); a used, replaced,
//! cancelled or expired link answers a page saying so.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::admin::org_admins::invitations;
use crate::auth::pages::{NewPasswordForm, TokenQuery, check_new_password};
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Validation};
use crate::web::{PageCtx, Workspace, ok, render, see_other, unprocessable};

#[derive(Template)]
#[template(path = "account/invite.html")]
pub struct InvitePage {
    pub ctx: PageCtx,
    pub token: String,
    pub name: String,
    pub login_id: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/invite_invalid.html")]
pub struct InviteInvalidPage {
    pub ctx: PageCtx,
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn invalid(ctx: &Workspace) -> Result<HttpResponse, AppError> {
    render(
        &InviteInvalidPage { ctx: ctx.page() },
        StatusCode::BAD_REQUEST,
    )
}

async fn invitee(ctx: &Workspace, token: &str) -> Result<Option<(i64, String, String)>, AppError> {
    let (org, token) = (ctx.tenant.org_id, token.to_string());
    ctx.state
        .db(move |c| invitations::by_token(c, org, &token, now()))
        .await
}

pub async fn page(ctx: Workspace, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let Some((_, name, login_id)) = invitee(&ctx, &token).await? else {
        return invalid(&ctx);
    };
    ok(&InvitePage {
        ctx: ctx.page(),
        token,
        name,
        login_id,
        errors: FieldErrors::default(),
    })
}

pub async fn accept(
    ctx: Workspace,
    q: web::Query<TokenQuery>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let form = form.into_inner();
    let Some((_, name, login_id)) = invitee(&ctx, &token).await? else {
        return invalid(&ctx);
    };
    let mut v = Validation::default();
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if !v.is_empty() {
        return unprocessable(&InvitePage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            token,
            name,
            login_id,
        });
    }
    let hash = ctx.state.hasher.hash(form.password).await?;
    let (org, ip) = (ctx.tenant.org_id, ctx.ip());
    let accepted = ctx
        .state
        .db(move |c| invitations::accept(c, org, &token, &hash, &ip, now()))
        .await?;
    let Some((member, locale)) = accepted else {
        return invalid(&ctx);
    };
    ctx.sign_in(member, &locale).await?;
    ctx.flash("success", "invite-accepted")?;
    let to = crate::auth::two_factor_pages::after_first_sign_in(&ctx, Urls.home()).await?;
    Ok(see_other(to))
}
