//! Tickets: per-service numbers, the product's statuses (unassigned → in progress → solved
//! → closed), assignment to members who accept assignments, custom field values as JSON.
//! Every query takes the tenant's org id and the service.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{org_members as om, service_members as sm, tickets as tk};
use crate::db::{DbConn, contains_pattern, lower};
use crate::error::AppError;
use crate::services::ticket_fields::model::Value;

pub const UNASSIGNED: &str = "unassigned";
pub const IN_PROGRESS: &str = "in_progress";
pub const SOLVED: &str = "solved";
pub const CLOSED: &str = "closed";
pub const STATUSES: [&str; 4] = [UNASSIGNED, IN_PROGRESS, SOLVED, CLOSED];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
pub const CHANNELS: [&str; 5] = ["phone", "chat", "email", "web", "other"];

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 10_000;
pub const NAME_MAX: usize = 100;
pub const TAG_MAX: usize = 30;
pub const TAGS_MAX: usize = 20;

/// The ticket's content (what a form or a spreadsheet row sets).
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub requester_name: String,
    pub requester_email: String,
    pub requester_phone: String,
    pub channel: String,
    pub tags: Vec<String>,
    pub custom: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub number: i64,
    pub content: Content,
    pub status: String,
    pub assignee: Option<Assignee>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub source_row: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignee {
    pub id: i64,
    pub name: String,
    pub login_id: String,
}

/// The workspace home's figures for a member, in one statement: (tickets in progress
/// assigned to them, unassigned tickets in the services they belong to). The statement
/// both `home_counts` and `home_counts_async` run.
macro_rules! home_counts_query {
    ($org:expr, $member:expr) => {{
        let (org, member): (i64, i64) = ($org, $member);
        diesel::select((
            tk::table
                .filter(tk::org_id.eq(org))
                .filter(tk::assignee_id.eq(member))
                .filter(tk::status.eq(IN_PROGRESS))
                .count()
                .single_value(),
            tk::table
                .filter(tk::org_id.eq(org))
                .filter(tk::status.eq(UNASSIGNED))
                .filter(
                    tk::service_ref.eq_any(
                        sm::table
                            .filter(sm::org_id.eq(org))
                            .filter(sm::member_id.eq(member))
                            .select(sm::service_ref),
                    ),
                )
                .count()
                .single_value(),
        ))
    }};
}

type Counts = (Option<i64>, Option<i64>);

fn counts((mine, open): Counts) -> (i64, i64) {
    (mine.unwrap_or(0), open.unwrap_or(0))
}

pub fn home_counts(c: &mut DbConn, org: i64, member: i64) -> Result<(i64, i64), AppError> {
    let q = home_counts_query!(org, member);
    let row: Counts = crate::db::on_backend!(c, |c| q.get_result(c))?;
    Ok(counts(row))
}

/// `home_counts` on a worker's Postgres connection (`db::PgReads`).
pub async fn home_counts_async(
    pg: &crate::db::AsyncPgConnection,
    org: i64,
    member: i64,
) -> Result<(i64, i64), AppError> {
    let row: Counts =
        diesel_async::RunQueryDsl::get_result(home_counts_query!(org, member), &mut &*pg).await?;
    Ok(counts(row))
}

/// Whether the ticket can still be edited (a closed ticket is final).
impl Ticket {
    pub fn is_open(&self) -> bool {
        self.status != CLOSED
    }
}

/// Tags from text: comma-separated, trimmed, each once, at most `TAGS_MAX`.
pub fn parse_tags(s: &str) -> Result<Vec<String>, crate::web::forms::Msg> {
    let mut out: Vec<String> = Vec::new();
    for t in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if t.chars().count() > TAG_MAX {
            return Err(crate::web::forms::Msg::with(
                "ticket-tag-too-long",
                &[("max", TAG_MAX.to_string())],
            ));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > TAGS_MAX {
        return Err(crate::web::forms::Msg::with(
            "ticket-tags-too-many",
            &[("max", TAGS_MAX.to_string())],
        ));
    }
    Ok(out)
}

type Row = (
    (
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ),
    (
        String,
        Option<i64>,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<i32>,
    ),
    Option<(String, String)>,
);

macro_rules! ticket_columns {
    () => {
        (
            (
                tk::id,
                tk::number,
                tk::title,
                tk::description,
                tk::status,
                tk::priority,
                tk::requester_name,
                tk::requester_email,
                tk::requester_phone,
            ),
            (
                tk::channel,
                tk::assignee_id,
                tk::tags,
                tk::custom,
                tk::created_at,
                tk::updated_at,
                tk::source_row,
            ),
            (om::name, om::login_id).nullable(),
        )
    };
}

fn from_row(r: Row) -> Ticket {
    let (a, b, who) = r;
    Ticket {
        id: a.0,
        number: a.1,
        status: a.4,
        content: Content {
            title: a.2,
            description: a.3,
            priority: a.5,
            requester_name: a.6,
            requester_email: a.7,
            requester_phone: a.8,
            channel: b.0,
            tags: serde_json::from_str(&b.2).unwrap_or_default(),
            custom: serde_json::from_str(&b.3).unwrap_or_default(),
        },
        assignee: match (b.1, who) {
            (Some(id), Some((name, login_id))) => Some(Assignee { id, name, login_id }),
            _ => None,
        },
        created_at: b.4,
        updated_at: b.5,
        source_row: b.6,
    }
}

/// What the list asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<&'static str>,
    /// `Some(None)`: unassigned only.
    pub assignee: Option<Option<i64>>,
    /// In the title or the requester's name or email (any case).
    pub text: Option<String>,
}

/// Up to `limit` tickets, newest (highest number) first, below `before` (a number).
pub fn list(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Ticket>, AppError> {
    let mut q = tk::table
        .left_join(om::table)
        .filter(tk::org_id.eq(org))
        .filter(tk::service_ref.eq(service_ref))
        .into_boxed::<crate::db::Backend>();
    if let Some(s) = f.status {
        q = q.filter(tk::status.eq(s));
    }
    match f.assignee {
        Some(Some(id)) => q = q.filter(tk::assignee_id.eq(id)),
        Some(None) => q = q.filter(tk::assignee_id.is_null()),
        None => {}
    }
    if let Some(t) = &f.text {
        let p = contains_pattern(&t.to_lowercase());
        q = q.filter(
            lower(tk::title)
                .like(p.clone())
                .escape('\\')
                .or(lower(tk::requester_name).like(p.clone()).escape('\\'))
                .or(lower(tk::requester_email).like(p).escape('\\')),
        );
    }
    if let Some(n) = before {
        q = q.filter(tk::number.lt(n));
    }
    let rows: Vec<Row> = q
        .order(tk::number.desc())
        .limit(limit)
        .select(ticket_columns!())
        .load(c)?;
    Ok(rows.into_iter().map(from_row).collect())
}

pub fn get(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    number: i64,
) -> Result<Option<Ticket>, AppError> {
    let row: Option<Row> = tk::table
        .left_join(om::table)
        .filter(tk::org_id.eq(org))
        .filter(tk::service_ref.eq(service_ref))
        .filter(tk::number.eq(number))
        .select(ticket_columns!())
        .first(c)
        .optional()?;
    Ok(row.map(from_row))
}

/// Service members who accept assignments: (id, name, login ID), by name.
pub fn assignable(c: &mut DbConn, org: i64, service_ref: i64) -> Result<Vec<Assignee>, AppError> {
    let rows: Vec<(i64, String, String)> = sm::table
        .inner_join(om::table)
        .filter(sm::org_id.eq(org))
        .filter(sm::service_ref.eq(service_ref))
        .filter(om::accept_assignments.eq(true))
        .order((om::name.asc(), om::id.asc()))
        .select((om::id, om::name, om::login_id))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, login_id)| Assignee { id, name, login_id })
        .collect())
}

fn is_assignable(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    member: i64,
) -> Result<bool, AppError> {
    Ok(assignable(c, org, service_ref)?
        .iter()
        .any(|a| a.id == member))
}

/// Where a new ticket's row comes from.
pub struct Origin {
    pub by: Option<i64>,
    /// An import: the upload and its spreadsheet row.
    pub source: Option<(i64, i32)>,
    pub now: NaiveDateTime,
}

/// Inserts a ticket with its number.
fn insert_one(
    c: &mut DbConn,
    (org, service_ref, number): (i64, i64, i64),
    t: &Content,
    assignee: Option<i64>,
    o: &Origin,
) -> QueryResult<usize> {
    let status = if assignee.is_some() {
        IN_PROGRESS
    } else {
        UNASSIGNED
    };
    diesel::insert_into(tk::table)
        .values((
            tk::org_id.eq(org),
            tk::service_ref.eq(service_ref),
            tk::number.eq(number),
            tk::title.eq(&t.title),
            tk::description.eq(&t.description),
            tk::status.eq(status),
            tk::priority.eq(&t.priority),
            tk::requester_name.eq(&t.requester_name),
            tk::requester_email.eq(&t.requester_email),
            tk::requester_phone.eq(&t.requester_phone),
            tk::channel.eq(&t.channel),
            tk::assignee_id.eq(assignee),
            tk::tags.eq(serde_json::to_string(&t.tags).unwrap_or_default()),
            tk::custom.eq(serde_json::to_string(&t.custom).unwrap_or_default()),
            tk::created_by.eq(o.by),
            tk::source_upload.eq(o.source.map(|s| s.0)),
            tk::source_row.eq(o.source.map(|s| s.1)),
            tk::created_at.eq(o.now),
            tk::updated_at.eq(o.now),
        ))
        .execute(c)
}

fn next_number(c: &mut DbConn, service_ref: i64) -> QueryResult<i64> {
    let max: Option<i64> = tk::table
        .filter(tk::service_ref.eq(service_ref))
        .select(diesel::dsl::max(tk::number))
        .first(c)?;
    Ok(max.unwrap_or(0) + 1)
}

/// Serializes the ticket numbering of a service: a no-op update as the transaction's first
/// statement takes the service row's lock on Postgres and the write lock on SQLite (a
/// transaction that read first could not upgrade to writing under contention). It names
/// only `id`, which the `services_version` trigger (migration 18) leaves out: a new ticket
/// does not bump the version of the org's services.
pub fn lock_service(c: &mut DbConn, service_ref: i64) -> QueryResult<()> {
    use crate::db::schema::services as sv;
    diesel::update(sv::table.filter(sv::id.eq(service_ref)))
        .set(sv::id.eq(service_ref))
        .execute(c)?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    Number(i64),
    /// The chosen assignee is not a member accepting assignments.
    NotAssignable,
}

/// Creates a ticket with the next number of the service (creations of one service are
/// serialized by `lock_service`; the unique index stays the last word, and a refused
/// number is retried).
pub fn create(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    t: &Content,
    assignee: Option<i64>,
    by: i64,
    now: NaiveDateTime,
) -> Result<Created, AppError> {
    for _ in 0..5 {
        let r = c.transaction(|c| {
            lock_service(c, service_ref)?;
            if let Some(a) = assignee
                && !is_assignable(c, org, service_ref, a)?
            {
                return Ok(Created::NotAssignable);
            }
            let n = next_number(c, service_ref)?;
            let o = Origin {
                by: Some(by),
                source: None,
                now,
            };
            insert_one(c, (org, service_ref, n), t, assignee, &o)?;
            Ok::<_, AppError>(Created::Number(n))
        });
        match r {
            Err(AppError::Internal(e)) if e.contains("UNIQUE") || e.contains("duplicate key") => {
                continue;
            }
            other => return other,
        }
    }
    Err(AppError::internal("no free ticket number after 5 tries"))
}

/// Saves a ticket's content (not while closed). False: no such open ticket.
pub fn update(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    number: i64,
    t: &Content,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        tk::table
            .filter(tk::org_id.eq(org))
            .filter(tk::service_ref.eq(service_ref))
            .filter(tk::number.eq(number))
            .filter(tk::status.ne(CLOSED)),
    )
    .set((
        tk::title.eq(&t.title),
        tk::description.eq(&t.description),
        tk::priority.eq(&t.priority),
        tk::requester_name.eq(&t.requester_name),
        tk::requester_email.eq(&t.requester_email),
        tk::requester_phone.eq(&t.requester_phone),
        tk::channel.eq(&t.channel),
        tk::tags.eq(serde_json::to_string(&t.tags).unwrap_or_default()),
        tk::custom.eq(serde_json::to_string(&t.custom).unwrap_or_default()),
        tk::updated_at.eq(now),
    ))
    .execute(c)?;
    Ok(n == 1)
}

#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    Done,
    /// Not allowed from the ticket's status (or it is closed).
    NotNow,
    NotAssignable,
    NotFound,
}

/// Assigns (or, with None, unassigns) an open ticket. Assigning an unassigned ticket puts
/// it in progress; unassigning one in progress puts it back to unassigned.
pub fn assign(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    number: i64,
    to: Option<i64>,
    now: NaiveDateTime,
) -> Result<Change, AppError> {
    c.transaction(|c| {
        let Some(t) = get(c, org, service_ref, number)? else {
            return Ok(Change::NotFound);
        };
        if !t.is_open() {
            return Ok(Change::NotNow);
        }
        if let Some(a) = to
            && !is_assignable(c, org, service_ref, a)?
        {
            return Ok(Change::NotAssignable);
        }
        let status = match (to, t.status.as_str()) {
            (Some(_), UNASSIGNED) => IN_PROGRESS,
            (None, IN_PROGRESS) => UNASSIGNED,
            (_, s) => STATUSES.into_iter().find(|x| *x == s).unwrap_or(UNASSIGNED),
        };
        diesel::update(tk::table.filter(tk::id.eq(t.id)))
            .set((
                tk::assignee_id.eq(to),
                tk::status.eq(status),
                tk::updated_at.eq(now),
            ))
            .execute(c)?;
        Ok(Change::Done)
    })
}

/// The product's moves: in progress → solved → closed, and solved → in progress
/// (reopened). An unassigned ticket moves by being assigned.
pub fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        (IN_PROGRESS, SOLVED) | (SOLVED, CLOSED) | (SOLVED, IN_PROGRESS)
    )
}

/// Moves a ticket to `to` when the product allows it from where it is (a conditional
/// update: of two simultaneous moves, one wins).
pub fn set_status(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    number: i64,
    to: &str,
    now: NaiveDateTime,
) -> Result<Change, AppError> {
    let Some(t) = get(c, org, service_ref, number)? else {
        return Ok(Change::NotFound);
    };
    if !allowed(&t.status, to) {
        return Ok(Change::NotNow);
    }
    let n = diesel::update(
        tk::table
            .filter(tk::id.eq(t.id))
            .filter(tk::status.eq(&t.status)),
    )
    .set((tk::status.eq(to), tk::updated_at.eq(now)))
    .execute(c)?;
    Ok(if n == 1 { Change::Done } else { Change::NotNow })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_products_moves() {
        assert!(allowed(IN_PROGRESS, SOLVED));
        assert!(allowed(SOLVED, CLOSED));
        assert!(allowed(SOLVED, IN_PROGRESS));
        assert!(!allowed(UNASSIGNED, SOLVED));
        assert!(!allowed(CLOSED, IN_PROGRESS));
        assert!(!allowed(IN_PROGRESS, CLOSED));
    }

    #[test]
    fn tags_are_cleaned() {
        assert_eq!(parse_tags(" a, b ,a,, c").unwrap(), vec!["a", "b", "c"]);
        assert!(parse_tags(&"x".repeat(31)).is_err());
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        assert!(parse_tags(&many.join(",")).is_err());
    }
}
