//! Console handlers: parse, authorize, call the model, render. Invalid input answers 422
//! with the form and its messages; passwords are never sent back.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpResponse, web};

use super::model::{self, COUNTRIES, MEMBER_TYPES, NAME_MAX, REALM};
use super::views::*;
use crate::auth::check_password;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::mail;
use crate::web::forms::{FieldErrors, Msg, Validation, checked, email, required_text};
use crate::web::session::{self, Realm};
use crate::web::{Ctx, ok, safe_next, see_other, unprocessable};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// New password + confirmation, as every password form checks them.
fn check_new_password(v: &mut Validation, password: &str, confirm: &str) {
    v.add_all("password", check_password(password));
    if confirm.is_empty() {
        v.add("password_confirm", Msg::new("field-required"));
    } else if password != confirm {
        v.add("password_confirm", Msg::new("password-mismatch"));
    }
}

pub async fn home(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&HomePage { ctx: ctx.page() })
}

pub async fn set_lang(ctx: Ctx, form: web::Form<LangForm>) -> Result<HttpResponse, AppError> {
    let next = safe_next(&form.next).to_string();
    let Some(lang) = Lang::from_code(&form.lang) else {
        return Ok(see_other(&next));
    };
    if let Some(u) = &ctx.user {
        let id = u.id;
        ctx.state
            .db(move |c| model::set_locale(c, id, lang.code()))
            .await?;
        ctx.session.insert(session::LOCALE, lang.code())?;
    }
    let cookie = Cookie::build("lang", lang.code())
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(ctx.state.config.base_url.is_https())
        .max_age(actix_web::cookie::time::Duration::days(365))
        .finish();
    let mut resp = see_other(&next);
    resp.add_cookie(&cookie).map_err(AppError::internal)?;
    Ok(resp)
}

fn choices(ctx: &Ctx, values: &[&'static str], prefix: &str, selected: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v,
            label: ctx.t(&format!("{prefix}{}", v.to_lowercase())),
            selected: *v == selected,
        })
        .collect()
}

fn signup_view(ctx: &Ctx, form: SignupForm, errors: FieldErrors) -> SignupPage {
    SignupPage {
        countries: choices(ctx, &COUNTRIES, "country-", &form.country),
        member_types: choices(ctx, &MEMBER_TYPES, "member-type-", &form.member_type),
        ctx: ctx.page(),
        form,
        errors,
    }
}

pub async fn signup_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other("/"));
    }
    ok(&signup_view(
        &ctx,
        SignupForm::default(),
        FieldErrors::default(),
    ))
}

pub async fn signup(ctx: Ctx, form: web::Form<SignupForm>) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.email = email(&mut v, "email", &form.email);
    form.name = required_text(&mut v, "name", &form.name, NAME_MAX);
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if !COUNTRIES.contains(&form.country.as_str()) {
        v.add("country", Msg::new("choice-required"));
    }
    if !MEMBER_TYPES.contains(&form.member_type.as_str()) {
        v.add("member_type", Msg::new("choice-required"));
    }
    if !checked(&form.agree_terms) {
        v.add("agree_terms", Msg::new("terms-required"));
    }
    let password = std::mem::take(&mut form.password);
    form.password_confirm.clear();
    if !v.is_empty() {
        let errors = v.localize(&ctx.state.i18n, ctx.lang);
        return unprocessable(&signup_view(&ctx, form, errors));
    }
    let hash = ctx.state.hasher.hash(password).await?;
    let new = model::NewMember {
        email: form.email.clone(),
        name: form.name.clone(),
        password_hash: hash,
        country: form.country.clone(),
        member_type: form.member_type.clone(),
        locale: ctx.lang.code().to_string(),
    };
    let created = ctx
        .state
        .db(move |c| model::create_member(c, &new, now()))
        .await?;
    let Some(member) = created else {
        v.add("email", Msg::new("email-taken"));
        let errors = v.localize(&ctx.state.i18n, ctx.lang);
        return unprocessable(&signup_view(&ctx, form, errors));
    };
    tracing::info!(member_id = member.id, "console member signed up");
    session::sign_in(
        &ctx.session,
        Realm::Console,
        member.id,
        member.session_epoch,
        &member.locale,
        now(),
    )?;
    ctx.flash("success", "signup-welcome")?;
    Ok(see_other("/"))
}

pub async fn login_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other("/"));
    }
    ok(&LoginPage {
        ctx: ctx.page(),
        form: LoginForm::default(),
        errors: FieldErrors::default(),
        form_error: None,
    })
}

pub async fn login(ctx: Ctx, form: web::Form<LoginForm>) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let password = std::mem::take(&mut form.password);
    form.email = form.email.trim().to_string();
    let mut v = Validation::default();
    if form.email.is_empty() {
        v.add("email", Msg::new("field-required"));
    } else if form.email.len() > 254 {
        v.add(
            "email",
            Msg::with("field-too-long", &[("max", "254".to_string())]),
        );
    }
    if password.is_empty() {
        v.add("password", Msg::new("field-required"));
    }
    let fail = |ctx: &Ctx, form: LoginForm, v: &Validation, key: Option<&'static str>| {
        unprocessable(&LoginPage {
            errors: v.localize(&ctx.state.i18n, ctx.lang),
            form_error: key.map(|k| ctx.t(k)),
            ctx: ctx.page(),
            form,
        })
    };
    if !v.is_empty() {
        return fail(&ctx, form, &v, None);
    }
    let email_q = form.email.clone();
    let member = ctx
        .state
        .db(move |c| model::find_by_email(c, &email_q))
        .await?;
    let at = now();
    if member.as_ref().is_some_and(|m| m.throttle().is_locked(at)) {
        return fail(&ctx, form, &v, Some("login-locked"));
    }
    let good = ctx
        .state
        .hasher
        .verify(password, member.as_ref().map(|m| m.password_hash.clone()))
        .await?;
    let Some(member) = member.filter(|_| good) else {
        if let Some(m) = member_for_failure(&ctx, &form.email).await? {
            let t = ctx
                .state
                .db(move |c| model::record_failure(c, &m, at))
                .await?;
            if t.is_locked(at) {
                tracing::warn!(
                    member_id = t.failed,
                    "console account locked after failed logins"
                );
                return fail(&ctx, form, &v, Some("login-locked"));
            }
        }
        return fail(&ctx, form, &v, Some("login-failed"));
    };
    let id = member.id;
    ctx.state.db(move |c| model::record_success(c, id)).await?;
    session::sign_in(
        &ctx.session,
        Realm::Console,
        member.id,
        member.session_epoch,
        &member.locale,
        at,
    )?;
    Ok(see_other("/"))
}

/// Re-reads the member before counting a failure, so the count is based on the latest row.
async fn member_for_failure(ctx: &Ctx, email: &str) -> Result<Option<model::MemberAuth>, AppError> {
    let email = email.to_string();
    ctx.state.db(move |c| model::find_by_email(c, &email)).await
}

pub async fn logout(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ctx.session.purge();
    Ok(see_other("/"))
}

pub async fn forgot_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&ForgotPage {
        ctx: ctx.page(),
        form: ForgotForm::default(),
        errors: FieldErrors::default(),
    })
}

pub async fn forgot(ctx: Ctx, form: web::Form<ForgotForm>) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.email = email(&mut v, "email", &form.email);
    if !v.is_empty() {
        let errors = v.localize(&ctx.state.i18n, ctx.lang);
        return unprocessable(&ForgotPage {
            ctx: ctx.page(),
            form,
            errors,
        });
    }
    // The same bcrypt work whether or not the account exists: the answer and its timing
    // must not tell.
    ctx.state.hasher.verify(form.email.clone(), None).await?;
    let email_q = form.email.clone();
    let state = ctx.state.clone();
    ctx.state
        .db(move |c| {
            let Some(m) = model::find_by_email(c, &email_q)? else {
                return Ok(());
            };
            let lang = Lang::from_code(&m.locale).unwrap_or_default();
            model::start_reset(c, REALM, m.id, now(), |token| {
                let link = state
                    .config
                    .base_url
                    .url(&format!("/password/reset?token={token}"));
                Ok(mail::password_reset(
                    &state.i18n,
                    lang,
                    &m.email,
                    &m.name,
                    &link,
                )?)
            })
        })
        .await?;
    ctx.flash("info", "forgot-sent")?;
    Ok(see_other("/password/forgot"))
}

pub async fn reset_page(ctx: Ctx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let t = token.clone();
    let valid = !token.is_empty()
        && token.len() <= 100
        && ctx
            .state
            .db(move |c| model::reset_token_account(c, REALM, &t, now()))
            .await?
            .is_some();
    if !valid {
        return crate::web::render(
            &ResetInvalidPage { ctx: ctx.page() },
            actix_web::http::StatusCode::BAD_REQUEST,
        );
    }
    ok(&ResetPage {
        ctx: ctx.page(),
        token,
        errors: FieldErrors::default(),
    })
}

pub async fn reset(
    ctx: Ctx,
    q: web::Query<TokenQuery>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = q.into_inner().token;
    let form = form.into_inner();
    let mut v = Validation::default();
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if !v.is_empty() {
        let errors = v.localize(&ctx.state.i18n, ctx.lang);
        return unprocessable(&ResetPage {
            ctx: ctx.page(),
            token,
            errors,
        });
    }
    if token.is_empty() || token.len() > 100 {
        return crate::web::render(
            &ResetInvalidPage { ctx: ctx.page() },
            actix_web::http::StatusCode::BAD_REQUEST,
        );
    }
    let hash = ctx.state.hasher.hash(form.password).await?;
    let state = ctx.state.clone();
    let done = ctx
        .state
        .db(move |c| {
            model::consume_reset(c, REALM, &token, now(), |c, account| {
                model::set_password(c, account, &hash, now(), |m| changed_mail(&state, m))
            })
        })
        .await?;
    if done.is_none() {
        return crate::web::render(
            &ResetInvalidPage { ctx: ctx.page() },
            actix_web::http::StatusCode::BAD_REQUEST,
        );
    }
    // Whatever session this browser had is over too: sign in again with the new password.
    session::sign_out(&ctx.session);
    ctx.flash("success", "reset-done")?;
    Ok(see_other("/login"))
}

fn changed_mail(
    state: &crate::AppState,
    m: &model::MemberAuth,
) -> Result<mail::OutgoingMail, AppError> {
    let lang = Lang::from_code(&m.locale).unwrap_or_default();
    let when = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(mail::password_changed(
        &state.i18n,
        lang,
        &m.email,
        &m.name,
        &when,
    )?)
}

pub async fn change_password_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    if ctx.user.is_none() {
        return Ok(see_other("/login"));
    }
    ok(&ChangePasswordPage {
        ctx: ctx.page(),
        errors: FieldErrors::default(),
    })
}

pub async fn change_password(
    ctx: Ctx,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = ctx.user.clone() else {
        return Ok(see_other("/login"));
    };
    let form = form.into_inner();
    let mut v = Validation::default();
    if form.current_password.is_empty() {
        v.add("current_password", Msg::new("field-required"));
    }
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if v.is_empty() && form.password == form.current_password {
        v.add("password", Msg::new("password-same-as-current"));
    }
    let id = user.id;
    let member = ctx
        .state
        .db(move |c| model::find_by_id(c, id))
        .await?
        .ok_or(AppError::Forbidden)?;
    if v.is_empty()
        && !ctx
            .state
            .hasher
            .verify(form.current_password, Some(member.password_hash.clone()))
            .await?
    {
        v.add("current_password", Msg::new("current-password-wrong"));
    }
    if !v.is_empty() {
        let errors = v.localize(&ctx.state.i18n, ctx.lang);
        return unprocessable(&ChangePasswordPage {
            ctx: ctx.page(),
            errors,
        });
    }
    let hash = ctx.state.hasher.hash(form.password).await?;
    let state = ctx.state.clone();
    let epoch = ctx
        .state
        .db(move |c| model::set_password(c, id, &hash, now(), |m| changed_mail(&state, m)))
        .await?;
    // This session goes on with the new epoch; every other one ends.
    session::sign_in(
        &ctx.session,
        Realm::Console,
        id,
        epoch,
        &member.locale,
        now(),
    )?;
    ctx.flash("success", "password-changed")?;
    Ok(see_other("/"))
}
