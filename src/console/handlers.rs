//! Console handlers: parse, authorize, call the model, render. Invalid input answers 422
//! with the form and its messages; passwords are never sent back.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use super::model::{self, BUSINESS_COUNTRIES, CERTIFICATE_MAX, COUNTRIES, MEMBER_TYPES, NAME_MAX};
use super::views::*;
use crate::auth::flows::{self, Login};
use crate::auth::pages::{
    self, ChangePasswordForm, NewPasswordForm, TokenQuery, check_new_password,
};
use crate::auth::store::Accounts;
use crate::auth::two_factor_pages::{self as tfp, CodeForm, DisableForm};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::Urls;
use crate::web::forms::{
    FieldErrors, Msg, Validation, check_sign_in, checked, email, required_text,
};
use crate::web::session;
use crate::web::{ConsoleMember, Ctx, choices, ok, safe_next, see_other, unprocessable};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
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
        match &ctx.tenant {
            None => {
                ctx.state
                    .db(move |c| model::set_locale(c, id, lang.code()))
                    .await?
            }
            Some(t) => {
                let org = t.org_id;
                ctx.state
                    .db(move |c| {
                        crate::console::orgs::model::set_member_locale(c, org, id, lang.code())
                    })
                    .await?
            }
        }
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

fn signup_view(ctx: &Ctx, form: SignupForm, errors: FieldErrors) -> SignupPage {
    SignupPage {
        certificate_max_mb: (CERTIFICATE_MAX / (1024 * 1024)).to_string(),
        countries: choices(
            COUNTRIES,
            |v| ctx.t(&format!("country-{}", v.to_lowercase())),
            &form.country,
        ),
        member_types: choices(
            MEMBER_TYPES,
            |v| ctx.t(&format!("member-type-{v}")),
            &form.member_type,
        ),
        ctx: ctx.page(),
        form,
        errors,
    }
}

pub async fn signup_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other(Urls.home()));
    }
    ok(&signup_view(
        &ctx,
        SignupForm::default(),
        FieldErrors::default(),
    ))
}

/// The sign-up form as the page sends it (multipart, with the certificate) or url-encoded
/// (no file: an individual member).
async fn read_signup(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(SignupForm, Option<crate::web::multipart::Parts>), AppError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if multipart {
        let mp = actix_multipart::Multipart::new(req.headers(), payload.into_inner());
        let parts = crate::web::multipart::read(mp, CERTIFICATE_MAX).await?;
        let form = SignupForm {
            email: parts.get("email"),
            name: parts.get("name"),
            password: parts.get("password"),
            password_confirm: parts.get("password_confirm"),
            country: parts.get("country"),
            member_type: parts.get("member_type"),
            agree_terms: parts.get("agree_terms"),
        };
        Ok((form, Some(parts)))
    } else {
        let form = web::Form::<SignupForm>::from_request(req, &mut payload.into_inner())
            .await
            .map_err(|_| AppError::BadRequest)?;
        Ok((form.into_inner(), None))
    }
}

/// The business rules of sign-up: business membership only in Korea and Japan, with the
/// registration certificate attached (PDF, PNG or JPEG by content, at most 5 MiB).
fn check_business(
    v: &mut Validation,
    form: &SignupForm,
    parts: Option<&crate::web::multipart::Parts>,
) -> Option<model::Certificate> {
    if form.member_type != "business" {
        return None;
    }
    if COUNTRIES.contains(&form.country.as_str())
        && !BUSINESS_COUNTRIES.contains(&form.country.as_str())
    {
        v.add("member_type", Msg::new("business-country-only"));
        return None;
    }
    match parts.and_then(|p| p.file("certificate")) {
        None => v.add("certificate", Msg::new("certificate-required")),
        Some((_, true)) => v.add(
            "certificate",
            Msg::with(
                "certificate-too-large",
                &[("max", (CERTIFICATE_MAX / (1024 * 1024)).to_string())],
            ),
        ),
        Some(([], false)) => v.add("certificate", Msg::new("certificate-empty")),
        Some((bytes, false)) => match model::sniff_certificate(bytes) {
            None => v.add("certificate", Msg::new("certificate-type")),
            Some(content_type) => {
                let name = parts
                    .and_then(|p| p.file_name("certificate"))
                    .unwrap_or_default();
                // Only the last path segment, printable, bounded.
                let name: String = name
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(120)
                    .collect();
                return Some(model::Certificate {
                    content_type,
                    file_name: name,
                    bytes: bytes.to_vec(),
                });
            }
        },
    }
    None
}

pub async fn signup(
    ctx: Ctx,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (mut form, parts) = read_signup(&req, payload).await?;
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
    let certificate = check_business(&mut v, &form, parts.as_ref());
    drop(parts);
    if certificate.is_some() && !v.is_empty() {
        // A browser never sends a chosen file back: say so next to the field.
        v.add("certificate", Msg::new("certificate-choose-again"));
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
        certificate,
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
    ctx.sign_in(member.id, &member.locale).await?;
    ctx.flash("success", "signup-welcome")?;
    Ok(see_other(Urls.home()))
}

pub async fn login_page(ctx: Ctx, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
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

pub async fn login(ctx: Ctx, form: web::Form<LoginForm>) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let password = std::mem::take(&mut form.password);
    form.email = form.email.trim().to_string();
    let v = check_sign_in("email", &form.email, 254, &password);
    let form_error = if v.is_empty() {
        match flows::login(&ctx.state, Accounts::Console, form.email.clone(), password).await? {
            Login::Ok(a) => {
                let next = safe_next(&form.next).to_string();
                return tfp::after_password(&ctx, a, &next).await;
            }
            Login::Locked => Some("login-locked"),
            Login::Failed | Login::NoPassword => Some("login-failed"),
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
    Ok(see_other(Urls.home()))
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
        return unprocessable(&ForgotPage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            form,
        });
    }
    flows::request_reset(
        &ctx.state,
        Accounts::Console,
        form.email.clone(),
        ctx.origin(),
    )
    .await?;
    ctx.flash("info", "forgot-sent")?;
    Ok(see_other(Urls.forgot()))
}

pub async fn reset_page(ctx: Ctx, q: web::Query<TokenQuery>) -> Result<HttpResponse, AppError> {
    pages::reset_page(&ctx, Accounts::Console, q.into_inner().token).await
}

pub async fn reset(
    ctx: Ctx,
    q: web::Query<TokenQuery>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    pages::reset(
        &ctx,
        Accounts::Console,
        q.into_inner().token,
        form.into_inner(),
    )
    .await
}

pub async fn change_password_page(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    pages::change_password_page(&ctx, Urls.change_password())
}

pub async fn change_password(
    ctx: ConsoleMember,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let to = (Urls.change_password(), Urls.home());
    pages::change_password(&ctx, &ctx.user, Accounts::Console, form.into_inner(), to).await
}

/// My sessions (account settings).
pub async fn sessions_page(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    crate::auth::pages::page(
        &ctx,
        &ctx.user,
        Urls.account_sessions_end_others(),
        Urls.account_sessions(),
    )
    .await
}

pub async fn end_session(
    ctx: ConsoleMember,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::auth::pages::end(&ctx, &ctx.user, path.into_inner(), Urls.account_sessions()).await
}

pub async fn end_other_sessions(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    crate::auth::pages::end_others(&ctx, &ctx.user, Urls.account_sessions()).await
}

/// The member's account: who they are, their member type and, for a business member, the
/// registration certificate on file.
pub async fn account_page(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    let id = ctx.user.id;
    let (info, certificate) = ctx
        .state
        .db(move |c| Ok((model::account_info(c, id)?, model::certificate_info(c, id)?)))
        .await?;
    let info = info.ok_or(AppError::NotFound)?;
    let date = |at: chrono::NaiveDateTime| ctx.date(at.date());
    ok(&AccountPage {
        email: info.email,
        name: info.name,
        country: ctx.t(&format!("country-{}", info.country.to_lowercase())),
        member_type: ctx.t(&format!("member-type-{}", info.member_type)),
        is_business: info.member_type == "business",
        since: date(info.created_at),
        certificate: certificate.map(|(name, at)| (name, date(at))),
        ctx: ctx.page(),
    })
}

/// The signed-in member's own business registration certificate, as uploaded (404 when
/// there is none). Served as an attachment so a PDF never runs in the console's origin.
pub async fn certificate(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    let id = ctx.user.id;
    let (content_type, name, bytes) = ctx
        .state
        .db(move |c| model::certificate(c, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let ext = match content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    let fallback = format!("certificate.{ext}");
    let disposition = actix_web::http::header::ContentDisposition {
        disposition: actix_web::http::header::DispositionType::Attachment,
        parameters: vec![
            actix_web::http::header::DispositionParam::Filename(fallback),
            actix_web::http::header::DispositionParam::FilenameExt(
                actix_web::http::header::ExtendedValue {
                    charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: if name.is_empty() {
                        format!("certificate.{ext}")
                    } else {
                        name
                    }
                    .into_bytes(),
                },
            ),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(disposition)
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("cache-control", "private, no-store"))
        .body(bytes))
}

/// The second step of a sign-in with two-factor on.
pub async fn second_step_page(ctx: Ctx) -> Result<HttpResponse, AppError> {
    tfp::second_step_page(&ctx).await
}

pub async fn second_step(ctx: Ctx, form: web::Form<CodeForm>) -> Result<HttpResponse, AppError> {
    tfp::second_step(&ctx, form.into_inner()).await
}

/// Two-factor sign-in settings.
pub async fn two_factor_page(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    tfp::page(&ctx, &ctx.user).await
}

pub async fn two_factor_enable(
    ctx: ConsoleMember,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    tfp::enable(&ctx, &ctx.user, form.into_inner()).await
}

pub async fn two_factor_disable(
    ctx: ConsoleMember,
    form: web::Form<DisableForm>,
) -> Result<HttpResponse, AppError> {
    tfp::disable(&ctx, &ctx.user, form.into_inner()).await
}

pub async fn two_factor_codes(
    ctx: ConsoleMember,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    tfp::regenerate(&ctx, &ctx.user, form.into_inner()).await
}
