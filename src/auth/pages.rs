//! The account pages both realms share (the console and every workspace differ in their
//! paths, not in these): the password reset and change forms with their checks, and "my
//! sessions" (the console's `/account/sessions`, the workspace's `/me/sessions`): when
//! each session started, when it was last used, from which address and browser; end one,
//! or all others. Only the signed-in account's own sessions are ever listed or ended.

use actix_web::HttpResponse;
use askama::Template;

use crate::auth::check_password;
use crate::auth::flows::{self, Change};
use crate::auth::sessions::{self, SessionInfo};
use crate::auth::store::Accounts;
use crate::error::AppError;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::session;
use crate::web::{Ctx, PageCtx, User, ok, see_other, unprocessable};

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    pub token: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    pub password: String,
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub ctx: PageCtx,
    pub token: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/reset_invalid.html")]
pub struct ResetInvalidPage {
    pub ctx: PageCtx,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ChangePasswordForm {
    pub current_password: String,
    pub password: String,
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
pub struct ChangePasswordPage {
    pub ctx: PageCtx,
    pub errors: FieldErrors,
    /// The form's own path (console and workspace differ).
    pub action: &'static str,
}

/// New password + confirmation, as every password form checks them.
pub fn check_new_password(v: &mut Validation, password: &str, confirm: &str) {
    v.add_all("password", check_password(password));
    if confirm.is_empty() {
        v.add("password_confirm", Msg::new("field-required"));
    } else if password != confirm {
        v.add("password_confirm", Msg::new("password-mismatch"));
    }
}

pub fn reset_invalid(ctx: &Ctx) -> Result<HttpResponse, AppError> {
    crate::web::render(
        &ResetInvalidPage { ctx: ctx.page() },
        actix_web::http::StatusCode::BAD_REQUEST,
    )
}

/// Checks a change-password form (the current password itself is verified afterwards).
pub fn check_change_password(form: &ChangePasswordForm) -> Validation {
    let mut v = Validation::default();
    if form.current_password.is_empty() {
        v.add("current_password", Msg::new("field-required"));
    }
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if v.is_empty() && form.password == form.current_password {
        v.add("password", Msg::new("password-same-as-current"));
    }
    v
}

#[derive(Template)]
#[template(path = "auth/sessions.html")]
pub struct SessionsPage {
    pub ctx: PageCtx,
    pub rows: Vec<SessionRow>,
    /// The realm's "end others" action and the prefix of "end this one".
    pub end_others: &'static str,
    pub end_base: &'static str,
}

pub struct SessionRow {
    pub id: i64,
    pub created: String,
    pub seen: String,
    pub ip: String,
    pub browser: String,
    pub current: bool,
}

impl SessionsPage {
    pub fn end_action(&self, id: &i64) -> String {
        format!("{}/{id}/end", self.end_base)
    }
}

fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A short name of the browser and system a User-Agent names ("Chrome · Windows").
pub fn browser_label(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("HeadlessChrome") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.is_empty() {
        return "—".into();
    } else {
        let first: String = ua
            .split(['/', ' '])
            .next()
            .unwrap_or("")
            .chars()
            .take(30)
            .collect();
        return first;
    };
    let os = if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.into();
    };
    format!("{browser} · {os}")
}

/// The reset form of a mailed link (or the "link cannot be used" page).
pub async fn reset_page(
    ctx: &Ctx,
    accts: Accounts,
    token: String,
) -> Result<HttpResponse, AppError> {
    if !flows::reset_token_valid(&ctx.state, accts, token.clone()).await? {
        return reset_invalid(ctx);
    }
    ok(&ResetPage {
        ctx: ctx.page(),
        token,
        errors: FieldErrors::default(),
    })
}

/// Sets the new password with a reset link; every session of the account ends, this
/// browser's too: sign in again with the new password.
pub async fn reset(
    ctx: &Ctx,
    accts: Accounts,
    token: String,
    form: NewPasswordForm,
) -> Result<HttpResponse, AppError> {
    let mut v = Validation::default();
    check_new_password(&mut v, &form.password, &form.password_confirm);
    if !v.is_empty() {
        return unprocessable(&ResetPage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            token,
        });
    }
    if !flows::complete_reset(&ctx.state, accts, token, form.password).await? {
        return reset_invalid(ctx);
    }
    session::sign_out(&ctx.session);
    ctx.flash("success", "reset-done")?;
    Ok(see_other(crate::routes::Urls.login()))
}

pub fn change_password_page(ctx: &Ctx, action: &'static str) -> Result<HttpResponse, AppError> {
    ok(&ChangePasswordPage {
        ctx: ctx.page(),
        errors: FieldErrors::default(),
        action,
    })
}

/// Changes the signed-in account's password after checking the current one (counted
/// like sign-in failures); this session goes on, every other one ends. `to` is the form's
/// own path and where to go when done.
pub async fn change_password(
    ctx: &Ctx,
    user: &User,
    accts: Accounts,
    form: ChangePasswordForm,
    to: (&'static str, &'static str),
) -> Result<HttpResponse, AppError> {
    let mut v = check_change_password(&form);
    if v.is_empty() {
        match flows::change_password(
            &ctx.state,
            accts,
            user.id,
            user.session_id,
            form.current_password,
            form.password,
        )
        .await?
        {
            Change::WrongCurrent => v.add("current_password", Msg::new("current-password-wrong")),
            Change::Locked => v.add("current_password", Msg::new("current-password-locked")),
            Change::Done => {
                ctx.flash("success", "password-changed")?;
                return Ok(see_other(to.1));
            }
        }
    }
    unprocessable(&ChangePasswordPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        action: to.0,
    })
}

/// The page: every live session of the signed-in account, the current one first.
pub async fn page(
    ctx: &Ctx,
    user: &User,
    end_others: &'static str,
    end_base: &'static str,
) -> Result<HttpResponse, AppError> {
    let (realm, id, current) = (ctx.realm(), user.id, user.session_id);
    let idle = ctx.state.config.session_idle;
    let now = chrono::Utc::now().naive_utc();
    let list: Vec<SessionInfo> = ctx
        .state
        .db(move |c| sessions::list(c, realm, id, now, idle))
        .await?;
    let mut rows: Vec<SessionRow> = list
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == current,
            id: s.id,
            created: when(s.created_at),
            seen: when(s.last_seen_at),
            ip: s.ip,
            browser: browser_label(&s.user_agent),
        })
        .collect();
    rows.sort_by_key(|r| !r.current);
    ok(&SessionsPage {
        ctx: ctx.page(),
        rows,
        end_others,
        end_base,
    })
}

/// Ends one of the account's own sessions (ending the current one is a logout).
pub async fn end(ctx: &Ctx, user: &User, id: i64, back: &str) -> Result<HttpResponse, AppError> {
    let (realm, account) = (ctx.realm(), user.id);
    let ended = ctx
        .state
        .db(move |c| sessions::end(c, realm, account, id))
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    if id == user.session_id {
        ctx.session.purge();
        return Ok(see_other(crate::routes::Urls.login()));
    }
    ctx.flash("success", "sessions-ended-one")?;
    Ok(see_other(back))
}

/// Ends every other session of the account.
pub async fn end_others(ctx: &Ctx, user: &User, back: &str) -> Result<HttpResponse, AppError> {
    let (realm, account, keep) = (ctx.realm(), user.id, user.session_id);
    ctx.state
        .db(move |c| sessions::end_all(c, realm, account, Some(keep)))
        .await?;
    ctx.flash("success", "sessions-ended-others")?;
    Ok(see_other(back))
}

#[cfg(test)]
mod tests {
    use super::browser_label;

    #[test]
    fn names_common_browsers() {
        assert_eq!(
            browser_label(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
            ),
            "Chrome · Windows"
        );
        assert_eq!(
            browser_label(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
            ),
            "Safari · iOS"
        );
        assert_eq!(
            browser_label("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
            "Firefox · Linux"
        );
        assert_eq!(browser_label(""), "—");
        assert_eq!(browser_label("curl/8.5.0"), "curl");
    }
}
