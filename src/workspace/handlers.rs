//! Workspace handlers. The tenant comes from the Host header (an unknown domain is a 404
//! before any handler runs); every query is scoped by the tenant's org.

use actix_web::{HttpResponse, web};

use super::views::*;
use crate::auth::flows::{self, Login};
use crate::auth::pages::{self, ChangePasswordForm, NewPasswordForm, TokenQuery};
use crate::auth::store::Accounts;
use crate::auth::two_factor_pages as tfp;
use crate::console::orgs::model;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::Urls;
use crate::services::members::model::{Membership, memberships};
use crate::web::forms::{FieldErrors, Msg, Validation, check_sign_in, checked};
use crate::web::session;
use crate::web::{
    Ctx, Member, OrgAdmin, Workspace, choices, ok, safe_next, see_other, unprocessable,
};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

pub async fn home(ctx: Member) -> Result<HttpResponse, AppError> {
    use crate::services::tickets::model::{home_counts, home_counts_async};
    let (org, id) = (ctx.org_id(), ctx.user.id);
    let (in_progress, unassigned) = ctx
        .state
        .read_short(
            async |pg| home_counts_async(pg.diesel(), org, id).await,
            move |c| home_counts(c, org, id),
        )
        .await?;
    ok(&HomePage {
        ctx: ctx.page(),
        services: memberships(&ctx.service_tabs),
        in_progress,
        unassigned,
    })
}

pub async fn login_page(
    ctx: Workspace,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(&q.next).to_string();
    if ctx.user.is_some() {
        return Ok(see_other(&next));
    }
    ok(&LoginPage {
        ctx: ctx.page(),
        form: LoginForm {
            next,
            ..Default::default()
        },
        errors: FieldErrors::default(),
        form_error: None,
    })
}

pub async fn login(ctx: Workspace, form: web::Form<LoginForm>) -> Result<HttpResponse, AppError> {
    let org = ctx.tenant.org_id;
    let mut form = form.into_inner();
    let password = std::mem::take(&mut form.password);
    form.login_id = form.login_id.trim().to_string();
    let v = check_sign_in(
        "login_id",
        &form.login_id,
        crate::console::orgs::rules::LOGIN_ID_MAX,
        &password,
    );
    let form_error = if v.is_empty() {
        match flows::login(
            &ctx.state,
            Accounts::Org(org),
            form.login_id.clone(),
            password,
        )
        .await?
        {
            Login::Ok(a) => {
                let next = safe_next(&form.next).to_string();
                return tfp::after_password(&ctx, a, &next).await;
            }
            Login::Locked => Some("login-locked"),
            Login::NoPassword => Some("ws-login-no-password"),
            Login::Failed => Some("ws-login-failed"),
        }
    } else {
        None
    };
    unprocessable(&LoginPage {
        errors: ctx.errors(&v),
        form_error: form_error.map(|k| ctx.t(k)),
        ctx: ctx.page(),
        form,
    })
}

pub async fn logout(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.sign_out().await?;
    Ok(see_other(Urls.login()))
}

pub async fn forgot_page(ctx: Workspace) -> Result<HttpResponse, AppError> {
    ok(&ForgotPage {
        ctx: ctx.page(),
        form: ForgotForm::default(),
        errors: FieldErrors::default(),
    })
}

pub async fn forgot(ctx: Workspace, form: web::Form<ForgotForm>) -> Result<HttpResponse, AppError> {
    let org = ctx.tenant.org_id;
    let mut form = form.into_inner();
    form.login_id = form.login_id.trim().to_string();
    let mut v = Validation::default();
    v.add_all(
        "login_id",
        crate::console::orgs::rules::check_login_id(&form.login_id),
    );
    if !v.is_empty() {
        return unprocessable(&ForgotPage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            form,
        });
    }
    flows::request_reset(
        &ctx.state,
        Accounts::Org(org),
        form.login_id.clone(),
        ctx.origin(),
    )
    .await?;
    ctx.flash("info", "ws-forgot-sent")?;
    Ok(see_other(Urls.forgot()))
}

pub async fn reset_page(
    ctx: Workspace,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let accts = Accounts::Org(ctx.tenant.org_id);
    pages::reset_page(&ctx, accts, q.into_inner().token).await
}

pub async fn reset(
    ctx: Workspace,
    q: web::Query<TokenQuery>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let accts = Accounts::Org(ctx.tenant.org_id);
    pages::reset(&ctx, accts, q.into_inner().token, form.into_inner()).await
}

fn settings_view(
    ctx: &Ctx,
    (settings, services): (crate::console::orgs::model::Settings, Vec<Membership>),
    locale: &str,
    accept: bool,
    v: &Validation,
) -> SettingsPage {
    let locales = choices(
        Lang::ALL.map(Lang::code),
        |c| ctx.t(&format!("lang-name-{c}")),
        locale,
    );
    SettingsPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        settings,
        services,
        locales,
        accept,
    }
}

/// The member's settings and service roles, in one database trip.
async fn settings_of(
    ctx: &Member,
) -> Result<(crate::console::orgs::model::Settings, Vec<Membership>), AppError> {
    let (org, id) = (ctx.org_id(), ctx.user.id);
    let settings = ctx.state.db(move |c| model::settings(c, org, id)).await?;
    Ok((settings, memberships(&ctx.service_tabs)))
}

pub async fn settings_page(ctx: Member) -> Result<HttpResponse, AppError> {
    let s = settings_of(&ctx).await?;
    let (locale, accept) = (s.0.locale.clone(), s.0.accept_assignments);
    ok(&settings_view(
        &ctx,
        s,
        &locale,
        accept,
        &Validation::default(),
    ))
}

pub async fn save_settings(
    ctx: Member,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let user = ctx.user.clone();
    let form = form.into_inner();
    let accept = checked(&form.accept_assignments);
    let Some(lang) = Lang::from_code(&form.locale) else {
        let mut v = Validation::default();
        v.add("locale", Msg::new("choice-required"));
        let s = settings_of(&ctx).await?;
        return unprocessable(&settings_view(&ctx, s, &form.locale, accept, &v));
    };
    let id = user.id;
    ctx.state
        .db(move |c| model::save_settings(c, org, id, lang.code(), accept, now()))
        .await?;
    ctx.session.insert(session::LOCALE, lang.code())?;
    ctx.flash("success", "settings-saved")?;
    Ok(see_other(Urls.me_settings()))
}

pub async fn password_page(ctx: Member) -> Result<HttpResponse, AppError> {
    pages::change_password_page(&ctx, Urls.me_password())
}

pub async fn change_password(
    ctx: Member,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let (accts, to) = (
        Accounts::Org(ctx.org_id()),
        (Urls.me_password(), Urls.me_settings()),
    );
    pages::change_password(&ctx, &ctx.user, accts, form.into_inner(), to).await
}

/// Global management: the OWNER and org admins only.
pub async fn admin(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    let t = ctx.tenant.clone();
    let org = t.org_id;
    let (members, services) = ctx
        .state
        .db(move |c| {
            Ok((
                model::members_of(c, org)?,
                crate::admin::contracts::model::services_of(c, org)?,
            ))
        })
        .await?;
    let workspace_url = ctx.origin();
    let live = services.iter().filter(|s| !s.is_terminated());
    let figures = Figures {
        active: services.iter().filter(|s| s.is_active()).count(),
        suspended: services.iter().filter(|s| s.is_suspended()).count(),
        terminated: services.iter().filter(|s| s.is_terminated()).count(),
        monthly: ctx.money(live.filter_map(|s| s.monthly_cost).sum()),
        members: members.len(),
        admins: members
            .iter()
            .filter(|m| m.is_owner || m.is_org_admin)
            .count(),
    };
    ok(&AdminPage {
        figures,
        tabs: crate::admin::contracts::views::Tabs {
            current: "overview",
        },
        ctx: ctx.page(),
        org_name: t.name,
        domain: t.domain,
        workspace_url,
        members,
    })
}

/// My sessions (personal settings).
pub async fn sessions_page(ctx: Member) -> Result<HttpResponse, AppError> {
    crate::auth::pages::page(
        &ctx,
        &ctx.user,
        Urls.me_sessions_end_others(),
        Urls.me_sessions(),
    )
    .await
}

pub async fn end_session(ctx: Member, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    crate::auth::pages::end(&ctx, &ctx.user, path.into_inner(), Urls.me_sessions()).await
}

pub async fn end_other_sessions(ctx: Member) -> Result<HttpResponse, AppError> {
    crate::auth::pages::end_others(&ctx, &ctx.user, Urls.me_sessions()).await
}

/// The second step of a sign-in with two-factor on.
pub async fn second_step_page(ctx: Workspace) -> Result<HttpResponse, AppError> {
    tfp::second_step_page(&ctx).await
}

pub async fn second_step(
    ctx: Workspace,
    form: web::Form<tfp::CodeForm>,
) -> Result<HttpResponse, AppError> {
    tfp::second_step(&ctx, form.into_inner()).await
}

/// Two-factor sign-in settings.
pub async fn two_factor_page(ctx: Member) -> Result<HttpResponse, AppError> {
    tfp::page(&ctx, &ctx.user).await
}

pub async fn two_factor_enable(
    ctx: Member,
    form: web::Form<tfp::CodeForm>,
) -> Result<HttpResponse, AppError> {
    tfp::enable(&ctx, &ctx.user, form.into_inner()).await
}

pub async fn two_factor_disable(
    ctx: Member,
    form: web::Form<tfp::DisableForm>,
) -> Result<HttpResponse, AppError> {
    tfp::disable(&ctx, &ctx.user, form.into_inner()).await
}

pub async fn two_factor_codes(
    ctx: Member,
    form: web::Form<tfp::CodeForm>,
) -> Result<HttpResponse, AppError> {
    tfp::regenerate(&ctx, &ctx.user, form.into_inner()).await
}
