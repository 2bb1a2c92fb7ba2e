//! Typed extractors: the role a handler needs is in its signature. Each wraps the request
//! context and answers by itself when the request does not qualify: 404 off a workspace
//! host, the login page when nobody is signed in, 403 for a member without the right.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::error::AppError;
use crate::web::{Ctx, Tenant, User};

macro_rules! deref_ctx {
    ($t:ident) => {
        impl std::ops::Deref for $t {
            type Target = Ctx;
            fn deref(&self) -> &Ctx {
                &self.ctx
            }
        }
    };
}

/// A request on a workspace host (tenant from `Host`), signed in or not.
pub struct Workspace {
    pub ctx: Ctx,
    pub tenant: Tenant,
}

/// A signed-in member of the request's workspace.
pub struct Member {
    pub ctx: Ctx,
    pub tenant: Tenant,
    pub user: User,
}

/// The OWNER or an org admin of the request's workspace (global management).
pub struct OrgAdmin {
    pub ctx: Ctx,
    pub tenant: Tenant,
    pub user: User,
}

/// A signed-in console member (on the base host).
pub struct ConsoleMember {
    pub ctx: Ctx,
    pub user: User,
}

deref_ctx!(Workspace);
deref_ctx!(Member);
deref_ctx!(OrgAdmin);
deref_ctx!(ConsoleMember);

impl Member {
    pub fn org_id(&self) -> i64 {
        self.tenant.org_id
    }
}

impl OrgAdmin {
    pub fn org_id(&self) -> i64 {
        self.tenant.org_id
    }
}

fn signed_in(ctx: &Ctx) -> Result<User, AppError> {
    ctx.user
        .clone()
        .ok_or_else(|| AppError::SignIn(ctx.login_redirect()))
}

/// Implements `FromRequest` for an extractor built from the request context by `$build`
/// (a function `Ctx -> Result<Self, AppError>`).
macro_rules! from_ctx {
    ($t:ident, $build:expr) => {
        impl FromRequest for $t {
            type Error = AppError;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let ctx = Ctx::from_request(&req, &mut Payload::None).await?;
                    $build(ctx)
                })
            }
        }
    };
}

from_ctx!(Workspace, |ctx: Ctx| {
    let tenant = ctx.tenant.clone().ok_or(AppError::NotFound)?;
    Ok(Workspace { ctx, tenant })
});

from_ctx!(Member, |ctx: Ctx| {
    let tenant = ctx.tenant.clone().ok_or(AppError::NotFound)?;
    let user = signed_in(&ctx)?;
    Ok(Member { ctx, tenant, user })
});

from_ctx!(OrgAdmin, |ctx: Ctx| {
    let tenant = ctx.tenant.clone().ok_or(AppError::NotFound)?;
    let user = signed_in(&ctx)?;
    if !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(OrgAdmin { ctx, tenant, user })
});

from_ctx!(ConsoleMember, |ctx: Ctx| {
    if ctx.tenant.is_some() {
        return Err(AppError::NotFound);
    }
    let user = signed_in(&ctx)?;
    Ok(ConsoleMember { ctx, user })
});
