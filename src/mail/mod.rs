//! Mail: rendered in the recipient's language when the action happens and written to the
//! `mail_outbox` table in the same transaction; a worker claims due rows with a conditional
//! update (so two instances never send one twice) and delivers them with lettre: SMTP when
//! `OC_SMTP_URL` is set, otherwise `.eml` files in the outbox folder plus a log line.
//! Failed deliveries are retried with backoff; a mail stays queued until it is delivered.

use std::path::PathBuf;

use askama::Template;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::{Mailbox, MultiPart};
use lettre::{FileTransport, SmtpTransport, Transport as _};

use crate::db::DbConn;
use crate::db::schema::mail_outbox;
use crate::i18n::{I18n, Lang};

/// A rendered mail, ready for the outbox.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The parts of a mail, already localized; one layout renders every mail.
pub struct MailContent {
    pub lang: Lang,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// Button label and link.
    pub action: Option<(String, String)>,
    pub footer: String,
}

#[derive(Template)]
#[template(path = "mail/layout.html")]
struct HtmlMail<'a> {
    m: &'a MailContent,
}

#[derive(Template)]
#[template(path = "mail/layout.txt")]
struct TextMail<'a> {
    m: &'a MailContent,
}

pub fn compose(to: &str, m: &MailContent) -> Result<OutgoingMail, askama::Error> {
    Ok(OutgoingMail {
        to: to.to_string(),
        subject: m.subject.clone(),
        text: TextMail { m }.render()?,
        html: HtmlMail { m }.render()?,
    })
}

/// "Reset your password" with the single-use link.
pub fn password_reset(
    i18n: &I18n,
    lang: Lang,
    to: &str,
    name: &str,
    link: &str,
) -> Result<OutgoingMail, askama::Error> {
    let minutes = crate::auth::RESET_TOKEN_MINUTES.to_string();
    compose(
        to,
        &MailContent {
            lang,
            subject: i18n.t(lang, "mail-reset-subject"),
            greeting: i18n.t_args(lang, "mail-greeting", &[("name", name.to_string())]),
            paragraphs: vec![
                i18n.t(lang, "mail-reset-intro"),
                i18n.t_args(lang, "mail-reset-expiry", &[("minutes", minutes)]),
                i18n.t(lang, "mail-reset-ignore"),
            ],
            action: Some((i18n.t(lang, "mail-reset-action"), link.to_string())),
            footer: i18n.t(lang, "mail-footer"),
        },
    )
}

/// "Your password was changed", after every change or reset.
pub fn password_changed(
    i18n: &I18n,
    lang: Lang,
    to: &str,
    name: &str,
    when: &str,
) -> Result<OutgoingMail, askama::Error> {
    compose(
        to,
        &MailContent {
            lang,
            subject: i18n.t(lang, "mail-changed-subject"),
            greeting: i18n.t_args(lang, "mail-greeting", &[("name", name.to_string())]),
            paragraphs: vec![
                i18n.t_args(lang, "mail-changed-body", &[("when", when.to_string())]),
                i18n.t(lang, "mail-changed-warning"),
            ],
            action: None,
            footer: i18n.t(lang, "mail-footer"),
        },
    )
}

/// Queues a mail; call it inside the transaction of the action that causes it.
pub fn enqueue(conn: &mut DbConn, mail: &OutgoingMail, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::recipient.eq(&mail.to),
            mail_outbox::subject.eq(&mail.subject),
            mail_outbox::body_text.eq(&mail.text),
            mail_outbox::body_html.eq(&mail.html),
            mail_outbox::status.eq(STATUS_PENDING),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(now),
            mail_outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_SENT: &str = "sent";

/// How long a claim holds before another worker may take the row over (a crashed sender).
const CLAIM_SECONDS: i64 = 300;
const BATCH: i64 = 20;

/// Where mail goes.
pub enum Transport {
    Smtp(Box<SmtpTransport>),
    File(PathBuf),
}

impl Transport {
    pub fn from_config(cfg: &crate::config::Config) -> Result<Transport, String> {
        match &cfg.smtp_url {
            Some(url) => {
                let t = SmtpTransport::from_url(url)
                    .map_err(|e| format!("OC_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build();
                Ok(Transport::Smtp(Box::new(t)))
            }
            None => {
                std::fs::create_dir_all(&cfg.outbox_dir)
                    .map_err(|e| format!("cannot create {}: {e}", cfg.outbox_dir.display()))?;
                Ok(Transport::File(cfg.outbox_dir.clone()))
            }
        }
    }

    fn send(&self, msg: &lettre::Message, text: &str) -> Result<(), String> {
        match self {
            Transport::Smtp(t) => t.send(msg).map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(dir) => {
                let id = FileTransport::new(dir)
                    .send(msg)
                    .map_err(|e| e.to_string())?;
                // Without SMTP the log is how a developer finds the link.
                let link = first_link(text).unwrap_or_default();
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), link, "mail written to the outbox folder");
                Ok(())
            }
        }
    }
}

fn first_link(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
}

/// Backoff after the n-th failed attempt: 30 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exp = attempts.clamp(1, 8) - 1;
    let secs = (30i64 << exp).min(3600);
    chrono::Duration::seconds(secs)
}

#[derive(Queryable)]
struct Row {
    id: i64,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i32,
}

/// Delivers every due mail this worker can claim; returns how many were delivered.
pub fn deliver_due(conn: &mut DbConn, transport: &Transport, from: &Mailbox) -> QueryResult<usize> {
    use mail_outbox::dsl as m;
    let now = chrono::Utc::now().naive_utc();
    let due: Vec<i64> = m::mail_outbox
        .filter(m::status.eq(STATUS_PENDING))
        .filter(m::next_attempt_at.le(now))
        .filter(m::claimed_until.is_null().or(m::claimed_until.lt(now)))
        .order(m::id)
        .limit(BATCH)
        .select(m::id)
        .load(conn)?;
    let mut delivered = 0;
    for id in due {
        let claim = crate::auth::random_token(12);
        let claimed = diesel::update(
            m::mail_outbox
                .filter(m::id.eq(id))
                .filter(m::status.eq(STATUS_PENDING))
                .filter(m::claimed_until.is_null().or(m::claimed_until.lt(now))),
        )
        .set((
            m::claimed_until.eq(now + chrono::Duration::seconds(CLAIM_SECONDS)),
            m::claim_token.eq(&claim),
        ))
        .execute(conn)?;
        if claimed != 1 {
            continue; // another instance has it
        }
        let row: Row = m::mail_outbox
            .filter(m::id.eq(id))
            .select((
                m::id,
                m::recipient,
                m::subject,
                m::body_text,
                m::body_html,
                m::attempts,
            ))
            .first(conn)?;
        let result = build(&row, from).and_then(|msg| transport.send(&msg, &row.body_text));
        let after = chrono::Utc::now().naive_utc();
        let mine = m::mail_outbox
            .filter(m::id.eq(row.id))
            .filter(m::claim_token.eq(&claim));
        match result {
            Ok(()) => {
                diesel::update(mine)
                    .set((
                        m::status.eq(STATUS_SENT),
                        m::sent_at.eq(Some(after)),
                        m::attempts.eq(row.attempts + 1),
                        m::claimed_until.eq(None::<NaiveDateTime>),
                        m::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?;
                delivered += 1;
            }
            Err(e) => {
                let attempts = row.attempts + 1;
                tracing::warn!(mail_id = row.id, attempts, error = %e, "mail delivery failed; will retry");
                let e: String = e.chars().take(500).collect();
                diesel::update(mine)
                    .set((
                        m::attempts.eq(attempts),
                        m::next_attempt_at.eq(after + backoff(attempts)),
                        m::claimed_until.eq(None::<NaiveDateTime>),
                        m::last_error.eq(Some(e)),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(delivered)
}

fn build(row: &Row, from: &Mailbox) -> Result<lettre::Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("recipient: {e}"))?;
    lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            row.body_text.clone(),
            row.body_html.clone(),
        ))
        .map_err(|e| e.to_string())
}

/// The background worker: every two seconds, deliver what is due.
pub async fn run_worker(
    state: actix_web::web::Data<crate::AppState>,
    transport: std::sync::Arc<Transport>,
) {
    loop {
        let t = transport.clone();
        let from = state.config.mail_from.clone();
        let r = state
            .db(move |c| deliver_due(c, &t, &from).map_err(crate::error::AppError::from))
            .await;
        if let Err(e) = r {
            tracing::error!(error = %e, "mail worker");
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(5).num_seconds(), 480);
        assert_eq!(backoff(50).num_seconds(), 3600);
    }

    #[test]
    fn finds_the_link() {
        assert_eq!(
            first_link("Open\nhttp://x/y?token=1 now"),
            Some("http://x/y?token=1")
        );
        assert_eq!(first_link("none"), None);
    }
}
