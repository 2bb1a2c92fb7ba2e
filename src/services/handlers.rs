//! Service pages. Every query is scoped by the tenant's org.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::admin::contracts::model::{self, Service};
use crate::error::AppError;
use crate::web::{Member, PageCtx, Workspace, ok};

#[derive(Template)]
#[template(path = "services/home.html")]
pub struct ServiceHome {
    pub ctx: PageCtx,
    pub service: Service,
    /// The member's role and permissions here (None: the OWNER or an org admin without one).
    pub mine: Option<super::members::model::Role>,
    /// May manage the members and the help center.
    pub manages: bool,
}

/// A service's page (its tab): what it is, the member's role there, and where to go.
pub async fn home(ctx: Member, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (org, user, sid) = (ctx.org_id(), ctx.user.clone(), path.into_inner());
    let (service, mine) = ctx
        .state
        .db(move |c| super::members::model::viewable_service(c, org, &user, &sid))
        .await?;
    let manages = ctx.user.is_admin()
        || mine
            .as_ref()
            .is_some_and(|(r, _, _)| r == super::members::model::ROLE_ADMIN);
    ok(&ServiceHome {
        ctx: ctx.page(),
        service,
        mine,
        manages,
    })
}

/// A service's banner, for any signed-in member of the org (it is the service tab image
/// and the agents' chat picture).
pub async fn banner(ctx: Workspace, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    // An image, not a page: no login redirect.
    if ctx.user.is_none() {
        return Err(AppError::Forbidden);
    }
    let (org, sid) = (ctx.tenant.org_id, path.into_inner());
    let (bytes, ctype) = ctx
        .state
        .db(move |c| model::banner(c, org, &sid))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("cache-control", "private, max-age=300"))
        .body(bytes))
}
