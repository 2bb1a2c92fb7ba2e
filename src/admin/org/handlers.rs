//! The org info tab: only the OWNER and org admins; every query is scoped by the tenant's
//! org.

use actix_web::{HttpResponse, web};

use crate::admin::contracts::handlers::{ConfirmForm, timezone_opts};
use crate::admin::contracts::model;
use crate::admin::contracts::views::*;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{Msg, Validation, checked};
use crate::web::{Ctx, OrgAdmin, ok, see_other, unprocessable};

/// The org info page; `timezone` is what the user chose when it could not be saved.
async fn org_view(
    ctx: &Ctx,
    org: i64,
    new_key: Option<String>,
    v: &Validation,
    timezone: Option<String>,
) -> Result<OrgInfoPage, AppError> {
    let info = ctx.state.db(move |c| model::org_info(c, org)).await?;
    let timezones = timezone_opts(timezone.as_deref().unwrap_or(&info.timezone));
    Ok(OrgInfoPage {
        is_owner: ctx.user.as_ref().is_some_and(|u| u.is_owner),
        workspace_url: ctx.origin(),
        errors: ctx.errors(v),
        ctx: ctx.page(),
        tabs: Tabs { current: "org" },
        info,
        new_key,
        timezones,
    })
}

/// The session slot of a key just made: shown by the next page, once.
const NEW_KEY: &str = "new_org_key";

pub async fn org_page(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let new_key = match ctx.session.remove_as::<String>(NEW_KEY) {
        Some(Ok(k)) => Some(k),
        _ => None,
    };
    ok(&org_view(&ctx, org, new_key, &Validation::default(), None).await?)
}

/// Makes a new key, then redirects (a reload of the page never makes another one); the
/// page after the redirect shows the key once, from the encrypted session.
pub async fn rotate_key(
    ctx: OrgAdmin,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    if !checked(&form.confirm) {
        let mut v = Validation::default();
        v.add("confirm", Msg::new("confirm-required"));
        return unprocessable(&org_view(&ctx, org, None, &v, None).await?);
    }
    let key = ctx.state.db(move |c| model::rotate_key(c, org)).await?;
    tracing::info!(org, by = user.id, "org key changed");
    ctx.session.insert(NEW_KEY, key)?;
    ctx.flash("success", "org-key-changed")?;
    Ok(see_other(Urls.org_key_anchor()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TimezoneForm {
    pub timezone: String,
}

/// The organization's time zone: the default of its new services and the calendar of its
/// fee page.
pub async fn save_timezone(
    ctx: OrgAdmin,
    form: web::Form<TimezoneForm>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let tz = form.timezone.trim().to_string();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        let mut v = Validation::default();
        v.add(
            "timezone",
            Msg::new(if tz.is_empty() {
                "field-required"
            } else {
                "timezone-unknown"
            }),
        );
        return unprocessable(&org_view(&ctx, org, None, &v, Some(tz)).await?);
    }
    ctx.state
        .db(move |c| model::set_org_timezone(c, org, &tz))
        .await?;
    ctx.flash("success", "org-timezone-saved")?;
    Ok(see_other(Urls.admin_org()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TwoFactorForm {
    pub require_2fa: String,
}

/// The OWNER requires (or stops requiring) two-factor sign-in of every org member; those
/// without it are sent to enrollment at their next sign-in. Org admins see the setting.
pub async fn save_two_factor(
    ctx: OrgAdmin,
    form: web::Form<TwoFactorForm>,
) -> Result<HttpResponse, AppError> {
    if !ctx.user.is_owner {
        return Err(AppError::Forbidden);
    }
    let (org, on) = (ctx.org_id(), checked(&form.require_2fa));
    ctx.state
        .db(move |c| model::set_require_2fa(c, org, on))
        .await?;
    tracing::info!(org, by = ctx.user.id, on, "two-factor requirement changed");
    ctx.flash(
        "success",
        if on {
            "org-2fa-required"
        } else {
            "org-2fa-optional"
        },
    )?;
    Ok(see_other(Urls.org_two_factor_anchor()))
}
