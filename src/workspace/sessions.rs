//! "My sessions" in personal settings, for both realms (the console's `/account/sessions`
//! and the workspace's `/me/sessions`): when each session started, when it was last used,
//! from which address and browser; end one, or all others. Only the signed-in account's
//! own sessions are ever listed or ended.

use actix_web::HttpResponse;
use askama::Template;

use crate::auth::sessions::{self, SessionInfo};
use crate::error::AppError;
use crate::web::{Ctx, PageCtx, User, ok, see_other};

#[derive(Template)]
#[template(path = "account/sessions.html")]
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
