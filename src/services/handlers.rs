//! Service pages. Every query is scoped by the tenant's org.

use actix_web::{HttpResponse, web};

use crate::admin::contracts::model;
use crate::error::AppError;
use crate::web::Workspace;

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
