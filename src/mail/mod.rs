//! Mail: rendered in the recipient's language when the action happens and written to the
//! `mail_outbox` table in the same transaction, together with a `mail` job. The jobs runner
//! claims that job (so two instances never send one mail twice) and this module delivers
//! it with lettre: SMTP when `OC_SMTP_URL` is set, otherwise `.eml` files in the outbox
//! folder plus a log line. Failed deliveries are retried with the runner's backoff.

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

/// What an invitation mail says.
pub struct Invitation<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub org: &'a str,
    pub inviter: &'a str,
    pub login_id: &'a str,
    pub link: &'a str,
    pub days: i64,
}

/// "You are invited to {org}": the login ID and the single-use set-password link.
pub fn invitation(
    i18n: &I18n,
    lang: Lang,
    inv: &Invitation<'_>,
) -> Result<OutgoingMail, askama::Error> {
    compose(
        inv.to,
        &MailContent {
            lang,
            subject: i18n.t_args(lang, "mail-invite-subject", &[("org", inv.org.to_string())]),
            greeting: i18n.t_args(lang, "mail-greeting", &[("name", inv.name.to_string())]),
            paragraphs: vec![
                i18n.t_args(
                    lang,
                    "mail-invite-intro",
                    &[
                        ("inviter", inv.inviter.to_string()),
                        ("org", inv.org.to_string()),
                    ],
                ),
                i18n.t_args(
                    lang,
                    "mail-invite-login-id",
                    &[("login_id", inv.login_id.to_string())],
                ),
                i18n.t_args(
                    lang,
                    "mail-invite-expiry",
                    &[("days", inv.days.to_string())],
                ),
            ],
            action: Some((i18n.t(lang, "mail-invite-action"), inv.link.to_string())),
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

/// The job kind that delivers one mail (payload: the outbox row's id).
pub const JOB_KIND: &str = "mail";
/// A mail is retried for about two days (backoff grows to an hour).
const MAX_ATTEMPTS: i32 = 50;

/// Queues a mail; call it inside the transaction of the action that causes it.
pub fn enqueue(conn: &mut DbConn, mail: &OutgoingMail, now: NaiveDateTime) -> QueryResult<()> {
    let insert = diesel::insert_into(mail_outbox::table).values((
        mail_outbox::recipient.eq(&mail.to),
        mail_outbox::subject.eq(&mail.subject),
        mail_outbox::body_text.eq(&mail.text),
        mail_outbox::body_html.eq(&mail.html),
        mail_outbox::status.eq(STATUS_PENDING),
        mail_outbox::attempts.eq(0),
        mail_outbox::next_attempt_at.eq(now),
        mail_outbox::created_at.eq(now),
    ));
    let id = crate::db::insert_returning_id!(conn, insert, mail_outbox::id)?;
    let mut job = crate::jobs::NewJob::now(JOB_KIND, id.to_string(), now);
    job.max_attempts = MAX_ATTEMPTS;
    crate::jobs::enqueue(conn, &job, now)?;
    Ok(())
}

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_SENT: &str = "sent";

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

#[derive(Queryable)]
struct Row {
    id: i64,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    attempts: i32,
}

/// The jobs registry entry that delivers mail through `transport`.
pub fn register(
    reg: crate::jobs::Registry,
    transport: std::sync::Arc<Transport>,
    from: Mailbox,
) -> crate::jobs::Registry {
    reg.on(JOB_KIND, move |c, job| {
        deliver_one(c, &transport, &from, parse_id(job)?)
    })
}

/// Delivers every due mail this runner can claim; returns how many were delivered.
pub fn deliver_due(conn: &mut DbConn, transport: &Transport, from: &Mailbox) -> QueryResult<usize> {
    let report = crate::jobs::run_due_with(
        conn,
        &[JOB_KIND.to_string()],
        crate::jobs::Due::Now,
        &mut |c, job| deliver_one(c, transport, from, parse_id(job)?),
    )?;
    Ok(report.done)
}

fn parse_id(job: &crate::jobs::Job) -> Result<i64, String> {
    job.payload
        .parse()
        .map_err(|_| format!("bad mail job payload {:?}", job.payload))
}

/// Delivers the outbox row `id` (already sent: nothing to do). The outbox keeps the
/// mail's own record: attempts, last error, when it was sent.
pub fn deliver_one(
    conn: &mut DbConn,
    transport: &Transport,
    from: &Mailbox,
    id: i64,
) -> Result<(), String> {
    use mail_outbox::dsl as m;
    let row: Option<(Row, String)> = m::mail_outbox
        .filter(m::id.eq(id))
        .select((
            (
                m::id,
                m::recipient,
                m::subject,
                m::body_text,
                m::body_html,
                m::attempts,
            ),
            m::status,
        ))
        .first(conn)
        .optional()
        .map_err(|e| e.to_string())?;
    let Some((row, status)) = row else {
        return Ok(()); // nothing left to send
    };
    if status == STATUS_SENT {
        return Ok(());
    }
    let result = build(&row, from).and_then(|msg| transport.send(&msg, &row.body_text));
    let after = chrono::Utc::now().naive_utc();
    let attempts = row.attempts + 1;
    match result {
        Ok(()) => {
            diesel::update(m::mail_outbox.filter(m::id.eq(row.id)))
                .set((
                    m::status.eq(STATUS_SENT),
                    m::sent_at.eq(Some(after)),
                    m::attempts.eq(attempts),
                    m::last_error.eq(None::<String>),
                ))
                .execute(conn)
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(e) => {
            let short: String = e.chars().take(500).collect();
            diesel::update(m::mail_outbox.filter(m::id.eq(row.id)))
                .set((
                    m::attempts.eq(attempts),
                    m::last_error.eq(Some(&short)),
                    m::next_attempt_at.eq(after + crate::jobs::backoff(attempts)),
                ))
                .execute(conn)
                .map_err(|e| e.to_string())?;
            Err(short)
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_link() {
        assert_eq!(
            first_link("Open\nhttp://x/y?token=1 now"),
            Some("http://x/y?token=1")
        );
        assert_eq!(first_link("none"), None);
    }
}
