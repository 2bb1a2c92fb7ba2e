//! The two-factor pages both realms share (the console's `/account/2fa`, a workspace's
//! `/me/2fa`, and the second step of sign-in at `/login/2fa` on either host): enroll with
//! a QR code or the typed secret, confirm with a code, keep the recovery codes shown once,
//! regenerate them, turn 2FA off with the password and a code. Wrong codes in the second
//! step count toward the account's lockout, like wrong passwords.

use actix_web::HttpResponse;
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::auth::flows::{self, Current};
use crate::auth::store::{Account, Accounts};
use crate::auth::throttle::{self, Gate};
use crate::auth::two_factor::{self as tf, Cipher};
use crate::error::AppError;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Ctx, PageCtx, User, ok, see_other, unprocessable};

/// Where a sign-in waits for its code (in the encrypted cookie session).
pub const PENDING: &str = "pending_2fa";
/// Set when the org requires 2FA of a member who has none: every workspace page sends
/// them to enrollment until it is on.
pub const MUST_ENROLL: &str = "must_enroll_2fa";

/// The paths of one realm's pages.
pub struct Paths {
    pub page: &'static str,
    pub disable: &'static str,
    pub codes: &'static str,
    pub second_step: &'static str,
    pub login: &'static str,
}

pub const CONSOLE: Paths = Paths {
    page: "/account/2fa",
    disable: "/account/2fa/disable",
    codes: "/account/2fa/recovery-codes",
    second_step: "/login/2fa",
    login: "/login",
};

pub const WORKSPACE: Paths = Paths {
    page: "/me/2fa",
    disable: "/me/2fa/disable",
    codes: "/me/2fa/recovery-codes",
    second_step: "/login/2fa",
    login: "/login",
};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DisableForm {
    pub password: String,
    pub code: String,
}

/// A sign-in whose password was right, waiting for its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    account_id: i64,
    /// The org of a workspace sign-in (None: the console).
    org: Option<i64>,
    /// The sign-in key the throttle counts.
    key: String,
    locale: String,
    next: String,
    /// Unix seconds after which the step has to start over.
    until: i64,
}

#[derive(Template)]
#[template(path = "auth/two_factor.html")]
pub struct TwoFactorPage {
    pub ctx: PageCtx,
    pub errors: FieldErrors,
    pub action: &'static str,
    pub disable_action: &'static str,
    pub codes_action: &'static str,
    pub enabled: bool,
    /// The org requires 2FA (it cannot be turned off).
    pub required: bool,
    /// Enrolling: the secret in base32 and its QR code (SVG).
    pub secret: String,
    pub qr_svg: String,
    pub codes_left: i64,
    /// Recovery codes to show once (just enabled or regenerated).
    pub new_codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "auth/two_factor_login.html")]
pub struct SecondStepPage {
    pub ctx: PageCtx,
    pub errors: FieldErrors,
    pub action: &'static str,
}

fn cipher(ctx: &Ctx) -> Cipher {
    Cipher::new(&ctx.state.config.secret_key)
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The pages of a realm's accounts.
pub fn paths(accts: Accounts) -> &'static Paths {
    match accts {
        Accounts::Console => &CONSOLE,
        Accounts::Org(_) => &WORKSPACE,
    }
}

fn org_of(accts: Accounts) -> Option<i64> {
    match accts {
        Accounts::Console => None,
        Accounts::Org(org) => Some(org),
    }
}

/// Whether the org requires two-factor sign-in of its members.
fn org_requires(c: &mut crate::db::DbConn, accts: Accounts) -> Result<bool, AppError> {
    use crate::db::schema::organizations as o;
    use diesel::prelude::*;
    Ok(match accts {
        Accounts::Console => false,
        Accounts::Org(org) => o::table
            .filter(o::id.eq(org))
            .select(o::require_2fa)
            .first::<bool>(c)
            .optional()?
            .unwrap_or(false),
    })
}

/// After a right password: a member with 2FA goes to the second step (no session yet); a
/// member of an org that requires 2FA and has none is signed in and sent to enrollment;
/// everybody else is signed in.
pub async fn after_password(
    ctx: &Ctx,
    account: Account,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let accts = ctx.accounts();
    let (realm, id) = (accts.realm(), account.id);
    let (enabled, required) = ctx
        .state
        .db(move |c| Ok((tf::is_enabled(c, realm, id)?, org_requires(c, accts)?)))
        .await?;
    if enabled {
        let pending = Pending {
            account_id: account.id,
            org: org_of(accts),
            key: account.key.clone(),
            locale: account.locale.clone(),
            next: next.to_string(),
            until: chrono::Utc::now().timestamp() + tf::PENDING_SECONDS,
        };
        ctx.session.insert(PENDING, pending)?;
        return Ok(see_other(paths(accts).second_step));
    }
    ctx.sign_in(account.id, &account.locale).await?;
    if required {
        ctx.session.insert(MUST_ENROLL, true)?;
        ctx.flash("info", "twofa-required-enroll")?;
        return Ok(see_other(paths(accts).page));
    }
    Ok(see_other(next))
}

/// A new org member just signed in by accepting an invitation: if the org requires 2FA,
/// they go to enrollment first (a new member has none). Returns where to go.
pub async fn after_first_sign_in(ctx: &Ctx, home: &'static str) -> Result<&'static str, AppError> {
    let accts = ctx.accounts();
    let required = ctx.state.db(move |c| org_requires(c, accts)).await?;
    if required {
        ctx.session.insert(MUST_ENROLL, true)?;
        return Ok(paths(accts).page);
    }
    Ok(home)
}

fn pending(ctx: &Ctx) -> Option<Pending> {
    let p = ctx.session.get::<Pending>(PENDING).ok().flatten()?;
    (p.org == org_of(ctx.accounts()) && p.until > chrono::Utc::now().timestamp()).then_some(p)
}

fn second_step_form(ctx: &Ctx, v: &Validation) -> SecondStepPage {
    SecondStepPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        action: paths(ctx.accounts()).second_step,
    }
}

pub async fn second_step_page(ctx: &Ctx) -> Result<HttpResponse, AppError> {
    if pending(ctx).is_none() {
        ctx.session.remove(PENDING);
        return Ok(see_other(paths(ctx.accounts()).login));
    }
    ok(&second_step_form(ctx, &Validation::default()))
}

pub async fn second_step(ctx: &Ctx, form: CodeForm) -> Result<HttpResponse, AppError> {
    let accts = ctx.accounts();
    let Some(p) = pending(ctx) else {
        ctx.session.remove(PENDING);
        ctx.flash("info", "twofa-step-expired")?;
        return Ok(see_other(paths(accts).login));
    };
    let mut v = Validation::default();
    let code = form.code.trim().to_string();
    if code.is_empty() {
        v.add("code", Msg::new("field-required"));
        return unprocessable(&second_step_form(ctx, &v));
    }
    let (tk, cipher, realm, id, at) = (
        accts.throttle_key(&p.key),
        cipher(ctx),
        accts.realm(),
        p.account_id,
        now(),
    );
    // Counted like a password attempt: reserved first, cleared on success.
    let outcome = ctx
        .state
        .db(move |c| {
            if throttle::reserve(c, &tk, at)? == Gate::Locked {
                return Ok(None);
            }
            if tf::accept_code(c, &cipher, realm, id, &code, at)? {
                throttle::clear(c, &tk)?;
                Ok(Some(true))
            } else if throttle::failed(c, &tk, at)? {
                Ok(None)
            } else {
                Ok(Some(false))
            }
        })
        .await?;
    match outcome {
        Some(true) => {
            ctx.session.remove(PENDING);
            ctx.sign_in(p.account_id, &p.locale).await?;
            Ok(see_other(&p.next))
        }
        None => {
            tracing::warn!(?accts, "two-factor step locked after failed attempts");
            ctx.session.remove(PENDING);
            ctx.flash("error", "login-locked")?;
            Ok(see_other(paths(accts).login))
        }
        Some(false) => {
            v.add("code", Msg::new("twofa-code-wrong"));
            unprocessable(&second_step_form(ctx, &v))
        }
    }
}

/// What the page shows of the signed-in account's 2FA.
struct View {
    enabled: bool,
    required: bool,
    /// While enrolling: the secret to show (made the first time the page is shown).
    secret: Option<Vec<u8>>,
    codes_left: i64,
}

/// The account's 2FA as the page shows it; with `enroll`, an account without 2FA gets
/// (or keeps) the secret it is enrolling with. The forms that only act on 2FA that is on
/// read it without making one.
async fn view(ctx: &Ctx, user: &User, enroll: bool) -> Result<View, AppError> {
    let accts = ctx.accounts();
    let (realm, id, cipher) = (accts.realm(), user.id, cipher(ctx));
    ctx.state
        .db(move |c| {
            let enabled = tf::is_enabled(c, realm, id)?;
            let secret = if enroll && !enabled {
                tf::enrolling_secret(c, &cipher, realm, id)?
            } else {
                None
            };
            Ok(View {
                enabled,
                required: org_requires(c, accts)?,
                secret,
                codes_left: tf::recovery_codes_left(c, realm, id)?,
            })
        })
        .await
}

fn render(
    ctx: &Ctx,
    user: &User,
    v: View,
    errors: &Validation,
    new_codes: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let (secret, qr_svg) = match &v.secret {
        Some(s) => {
            let b32 = tf::base32(s);
            let account = match &ctx.tenant {
                Some(t) => format!("{}@{}", user.login_id, t.domain),
                None => user.email.clone(),
            };
            let url = tf::otpauth_url(&ctx.t("app-name"), &account, &b32);
            (b32, tf::qr_svg(&url))
        }
        None => (String::new(), String::new()),
    };
    let paths = paths(ctx.accounts());
    let page = TwoFactorPage {
        errors: ctx.errors(errors),
        ctx: ctx.page(),
        action: paths.page,
        disable_action: paths.disable,
        codes_action: paths.codes,
        enabled: v.enabled,
        required: v.required,
        secret,
        qr_svg,
        codes_left: v.codes_left,
        new_codes,
    };
    // Every page is `no-store` (security headers): the secret and the codes included.
    if errors.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn page(ctx: &Ctx, user: &User) -> Result<HttpResponse, AppError> {
    let v = view(ctx, user, true).await?;
    render(ctx, user, v, &Validation::default(), Vec::new())
}

/// Confirms enrollment with a current code: 2FA is on, the recovery codes are shown once.
pub async fn enable(ctx: &Ctx, user: &User, form: CodeForm) -> Result<HttpResponse, AppError> {
    let accts = ctx.accounts();
    let mut v = Validation::default();
    let current = view(ctx, user, true).await?;
    let Some(secret) = current.secret.clone() else {
        // On already: nothing to confirm.
        return Ok(see_other(paths(accts).page));
    };
    let unix = chrono::Utc::now().timestamp().max(0) as u64;
    let Some(step) = tf::matching_step(&secret, &form.code, unix) else {
        v.add(
            "code",
            Msg::new(if form.code.trim().is_empty() {
                "field-required"
            } else {
                "twofa-code-wrong"
            }),
        );
        return render(ctx, user, current, &v, Vec::new());
    };
    let (realm, id, at) = (accts.realm(), user.id, now());
    let codes = ctx
        .state
        .db(move |c| Ok(tf::enable(c, realm, id, step, at)?))
        .await?;
    ctx.session.remove(MUST_ENROLL);
    tracing::info!(?accts, account = id, "two-factor sign-in turned on");
    let shown = View {
        enabled: true,
        secret: None,
        codes_left: codes.len() as i64,
        ..current
    };
    render(ctx, user, shown, &v, codes)
}

/// A current code (or a recovery code) of an enabled account, checked once.
async fn check_code(ctx: &Ctx, user: &User, code: &str) -> Result<bool, AppError> {
    let (realm, id, cipher, at, code) = (
        ctx.accounts().realm(),
        user.id,
        cipher(ctx),
        now(),
        code.to_string(),
    );
    ctx.state
        .db(move |c| Ok(tf::accept_code(c, &cipher, realm, id, &code, at)?))
        .await
}

/// The account's 2FA when it is on; None (answer: back to the page) when it is off.
async fn enabled_view(ctx: &Ctx, user: &User) -> Result<Option<View>, AppError> {
    let v = view(ctx, user, false).await?;
    Ok(v.enabled.then_some(v))
}

/// New recovery codes, after a current code.
pub async fn regenerate(ctx: &Ctx, user: &User, form: CodeForm) -> Result<HttpResponse, AppError> {
    let Some(current) = enabled_view(ctx, user).await? else {
        return Ok(see_other(paths(ctx.accounts()).page));
    };
    let mut v = Validation::default();
    if !check_code(ctx, user, &form.code).await? {
        v.add("regen_code", Msg::new("twofa-code-wrong"));
        return render(ctx, user, current, &v, Vec::new());
    }
    let (realm, id) = (ctx.accounts().realm(), user.id);
    let codes = ctx
        .state
        .db(move |c| Ok(tf::replace_recovery_codes(c, realm, id)?))
        .await?;
    let shown = View {
        codes_left: codes.len() as i64,
        ..current
    };
    render(ctx, user, shown, &v, codes)
}

/// Turns 2FA off after the password (checked like the password change's, wrong ones
/// counted toward the lockout) and a code; not while the org requires it.
pub async fn disable(ctx: &Ctx, user: &User, form: DisableForm) -> Result<HttpResponse, AppError> {
    let accts = ctx.accounts();
    let Some(current) = enabled_view(ctx, user).await? else {
        return Ok(see_other(paths(accts).page));
    };
    let mut v = Validation::default();
    if current.required {
        v.add("password", Msg::new("twofa-required-cannot-disable"));
        return render(ctx, user, current, &v, Vec::new());
    }
    match flows::check_current(&ctx.state, accts, user.id, form.password).await? {
        Current::Right => {}
        Current::Wrong => v.add("password", Msg::new("twofa-password-wrong")),
        Current::Locked => v.add("password", Msg::new("current-password-locked")),
    }
    if v.is_empty() && !check_code(ctx, user, &form.code).await? {
        v.add("code", Msg::new("twofa-code-wrong"));
    }
    if !v.is_empty() {
        return render(ctx, user, current, &v, Vec::new());
    }
    let (realm, id) = (accts.realm(), user.id);
    ctx.state
        .db(move |c| Ok(tf::disable(c, realm, id)?))
        .await?;
    tracing::info!(?accts, account = id, "two-factor sign-in turned off");
    ctx.flash("success", "twofa-disabled")?;
    Ok(see_other(paths(accts).page))
}
