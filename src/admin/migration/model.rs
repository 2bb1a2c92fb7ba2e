//! Data-migration uploads and their import. An upload is checked when it arrives (every
//! bad cell reported then), kept with its bytes, confirmed into a reservation for 01:00
//! of the next day in the service's time zone, and applied by the jobs runner in one
//! transaction (all or nothing; a unique (upload, row) key means a rerun never
//! duplicates). Its bytes are dropped once applied or deleted. Every query takes the
//! tenant's org id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::sheet::{self, Context, Parsed};
use crate::db::DbConn;
use crate::db::schema::{
    data_migrations as dm, org_members as om, service_members as sm, services as sv, tickets as tk,
};
use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use crate::services::ticket_fields::model as fields;

pub const PENDING: &str = "pending";
pub const RESERVED: &str = "reserved";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const DELETED: &str = "deleted";

/// The job kind of an import (payload: the upload's id).
pub const JOB_KIND: &str = "data-migration";
/// Rows parsed before they are inserted (and progress is written).
const BATCH: usize = 2000;
/// Rows a statement inserts: a COPY on Postgres takes a whole batch; on SQLite 18
/// parameters a row stay within its 32,766 a statement.
const ROWS_PER_STATEMENT_PG: usize = BATCH;
const ROWS_PER_STATEMENT_SQLITE: usize = 1500;

/// A test hook: when not zero, an import fails after this many rows (simulating a crash
/// in the middle of the transaction).
pub static FAIL_AFTER_ROWS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, Queryable)]
pub struct Upload {
    pub id: i64,
    pub service_ref: i64,
    pub service_name: String,
    pub service_id: String,
    pub file_name: String,
    pub rows_total: i32,
    pub rows_done: i32,
    pub status: String,
    pub scheduled_for: Option<NaiveDateTime>,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub imported: Option<i32>,
    pub error: Option<String>,
}

impl Upload {
    /// The label key of the status.
    pub fn status_key(&self) -> String {
        format!("mig-status-{}", self.status)
    }
    pub fn deletable(&self) -> bool {
        self.status == PENDING || self.status == RESERVED
    }
    /// Progress in percent while running.
    pub fn percent(&self) -> i32 {
        if self.rows_total <= 0 {
            0
        } else {
            (i64::from(self.rows_done) * 100 / i64::from(self.rows_total)) as i32
        }
    }
}

macro_rules! upload_columns {
    () => {
        (
            dm::id,
            dm::service_ref,
            sv::name,
            sv::service_id,
            dm::file_name,
            dm::rows_total,
            dm::rows_done,
            dm::status,
            dm::scheduled_for,
            dm::uploaded_by,
            dm::uploaded_at,
            dm::finished_at,
            dm::imported,
            dm::error,
        )
    };
}

/// The org's uploads, newest first (not those never confirmed, after a day).
pub fn list(c: &mut DbConn, org: i64) -> Result<Vec<Upload>, AppError> {
    Ok(dm::table
        .inner_join(sv::table)
        .filter(dm::org_id.eq(org))
        .order(dm::id.desc())
        .limit(200)
        .select(upload_columns!())
        .load(c)?)
}

pub fn get(c: &mut DbConn, org: i64, id: i64) -> Result<Option<Upload>, AppError> {
    Ok(dm::table
        .inner_join(sv::table)
        .filter(dm::org_id.eq(org))
        .filter(dm::id.eq(id))
        .select(upload_columns!())
        .first(c)
        .optional()?)
}

/// Service members by lowercased login ID (the assignee column).
pub fn members_by_login(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(String, i64)> = sm::table
        .inner_join(om::table)
        .filter(sm::org_id.eq(org))
        .filter(sm::service_ref.eq(service_ref))
        .select((om::login_id_lower, om::id))
        .load(c)?;
    Ok(rows.into_iter().collect())
}

/// A checked upload to keep.
pub struct NewUpload<'a> {
    pub service_ref: i64,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub rows: u32,
    /// "name (login ID)" of the uploader.
    pub by: &'a str,
}

/// Keeps a checked upload, awaiting confirmation.
pub fn store(
    c: &mut DbConn,
    org: i64,
    u: &NewUpload<'_>,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let insert = diesel::insert_into(dm::table).values((
        dm::org_id.eq(org),
        dm::service_ref.eq(u.service_ref),
        dm::file_name.eq(u.file_name),
        dm::file_bytes.eq(Some(u.bytes)),
        dm::rows_total.eq(i32::try_from(u.rows).unwrap_or(i32::MAX)),
        dm::rows_done.eq(0),
        dm::status.eq(PENDING),
        dm::uploaded_by.eq(u.by),
        dm::uploaded_at.eq(now),
    ));
    Ok(crate::db::insert_returning_id!(c, insert, dm::id)?)
}

/// Reserves a pending upload for 01:00 of the next day in the service's time zone and
/// enqueues its import; returns the time (UTC). None: not pending.
pub fn confirm(
    c: &mut DbConn,
    org: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, AppError> {
    c.transaction(|c| {
        let Some(u) = get(c, org, id)? else {
            return Ok(None);
        };
        if u.status != PENDING {
            return Ok(None);
        }
        let tz: String = sv::table
            .filter(sv::id.eq(u.service_ref))
            .select(sv::timezone)
            .first(c)?;
        let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::Tz::UTC);
        let one = NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default();
        let at = crate::jobs::next_local(tz, one, now);
        let n = diesel::update(
            dm::table
                .filter(dm::id.eq(id))
                .filter(dm::status.eq(PENDING)),
        )
        .set((dm::status.eq(RESERVED), dm::scheduled_for.eq(Some(at))))
        .execute(c)?;
        if n != 1 {
            return Ok(None);
        }
        let job = crate::jobs::NewJob {
            kind: JOB_KIND.into(),
            payload: id.to_string(),
            run_at: at,
            unique_key: Some(format!("{JOB_KIND}:{id}")),
            max_attempts: 5,
        };
        crate::jobs::enqueue(c, &job, now)?;
        Ok(Some(at))
    })
}

/// Deletes a pending or reserved upload (its bytes go; the import, if enqueued, finds it
/// deleted and does nothing). False when it is running or done.
pub fn delete(c: &mut DbConn, org: i64, id: i64, now: NaiveDateTime) -> Result<bool, AppError> {
    let n = diesel::update(
        dm::table
            .filter(dm::org_id.eq(org))
            .filter(dm::id.eq(id))
            .filter(dm::status.eq_any([PENDING, RESERVED])),
    )
    .set((
        dm::status.eq(DELETED),
        dm::file_bytes.eq(None::<Vec<u8>>),
        dm::finished_at.eq(Some(now)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// Runs one import (the job's handler). `progress` is a second connection, outside the
/// import's transaction, where the rows done are written as they go.
pub fn run(c: &mut DbConn, progress: &mut DbConn, id: i64, i18n: &I18n) -> Result<(), String> {
    let now = chrono::Utc::now().naive_utc();
    let row: Option<(i64, i64, String, Option<Vec<u8>>)> = dm::table
        .filter(dm::id.eq(id))
        .select((dm::org_id, dm::service_ref, dm::status, dm::file_bytes))
        .first(c)
        .optional()
        .map_err(|e| e.to_string())?;
    let Some((org, service_ref, status, bytes)) = row else {
        return Ok(());
    };
    if status != RESERVED && status != RUNNING && status != FAILED {
        // Deleted meanwhile, or done already: nothing to do.
        return Ok(());
    }
    let Some(bytes) = bytes else {
        return Ok(());
    };
    diesel::update(dm::table.filter(dm::id.eq(id)))
        .set((
            dm::status.eq(RUNNING),
            dm::rows_done.eq(0),
            dm::error.eq(None::<String>),
        ))
        .execute(progress)
        .map_err(|e| e.to_string())?;
    let result = import(c, progress, org, service_ref, id, &bytes, i18n, now);
    match result {
        Ok(n) => {
            diesel::update(dm::table.filter(dm::id.eq(id)))
                .set((
                    dm::status.eq(DONE),
                    dm::imported.eq(Some(n)),
                    dm::rows_done.eq(n),
                    dm::file_bytes.eq(None::<Vec<u8>>),
                    dm::finished_at.eq(Some(chrono::Utc::now().naive_utc())),
                ))
                .execute(progress)
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(Outcome::Invalid(msg)) => {
            // The data no longer fits the service's fields: retrying cannot help.
            diesel::update(dm::table.filter(dm::id.eq(id)))
                .set((
                    dm::status.eq(FAILED),
                    dm::error.eq(Some(msg)),
                    dm::rows_done.eq(0),
                    dm::finished_at.eq(Some(chrono::Utc::now().naive_utc())),
                ))
                .execute(progress)
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(Outcome::Retry(msg)) => {
            diesel::update(dm::table.filter(dm::id.eq(id)))
                .set((
                    dm::status.eq(FAILED),
                    dm::error.eq(Some(msg.clone())),
                    dm::rows_done.eq(0),
                ))
                .execute(progress)
                .map_err(|e| e.to_string())?;
            Err(msg)
        }
    }
}

enum Outcome {
    Invalid(String),
    Retry(String),
}

impl From<diesel::result::Error> for Outcome {
    fn from(e: diesel::result::Error) -> Self {
        Outcome::Retry(e.to_string())
    }
}

/// Inserts every row as a ticket in one transaction; returns how many.
#[allow(clippy::too_many_arguments)]
fn import(
    c: &mut DbConn,
    progress: &mut DbConn,
    org: i64,
    service_ref: i64,
    id: i64,
    bytes: &[u8],
    i18n: &I18n,
    now: NaiveDateTime,
) -> Result<i32, Outcome> {
    let all_fields =
        fields::fields(c, org, service_ref, true).map_err(|e| Outcome::Retry(e.to_string()))?;
    let members =
        members_by_login(c, org, service_ref).map_err(|e| Outcome::Retry(e.to_string()))?;
    c.transaction(|c| {
        crate::services::tickets::model::lock_service(c, service_ref)?;
        let mut next: i64 = tk::table
            .filter(tk::service_ref.eq(service_ref))
            .select(diesel::dsl::max(tk::number))
            .first::<Option<i64>>(c)?
            .unwrap_or(0)
            + 1;
        let ctx = Context {
            fields: &all_fields,
            members: &members,
            i18n,
            lang: Lang::En,
        };
        let mut done: i32 = 0;
        let mut failure: Option<Outcome> = None;
        let fail_after = FAIL_AFTER_ROWS.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        let mut inserting = std::time::Duration::ZERO;
        let mut flush = |c: &mut DbConn,
                         batch: &mut Vec<Parsed>,
                         done: &mut i32,
                         next: &mut i64|
         -> Result<(), Outcome> {
            if batch.is_empty() {
                return Ok(());
            }
            let t = std::time::Instant::now();
            insert_batch(c, org, service_ref, id, batch, *next, now)?;
            inserting += t.elapsed();
            *next += batch.len() as i64;
            *done += i32::try_from(batch.len()).unwrap_or(0);
            batch.clear();
            if fail_after > 0 && (*done as usize) >= fail_after {
                return Err(Outcome::Retry(
                    "test hook: failing in the middle of an import".into(),
                ));
            }
            // Progress goes through the second connection, committed at once, so the list
            // page shows it while the import's transaction is open. SQLite has one writer:
            // there the import holds it, and progress shows only at the end.
            if matches!(progress, DbConn::Pg(_)) {
                let _ = diesel::update(dm::table.filter(dm::id.eq(id)))
                    .set(dm::rows_done.eq(*done))
                    .execute(progress);
            }
            Ok(())
        };
        // The workbook is parsed on its own thread while this one inserts the batches it
        // hands over: reading the cells and writing the rows overlap.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(2);
        let checked = std::thread::scope(|scope| {
            let ctx = &ctx;
            let parser = scope.spawn(move || {
                let mut batch: Vec<Parsed> = Vec::with_capacity(BATCH);
                let r = sheet::recheck(bytes, ctx, |p| {
                    batch.push(p);
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // The inserting side stopped: stop reading.
                        if tx.send(full).is_err() {
                            return false;
                        }
                    }
                    true
                });
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                r
            });
            while let Ok(mut rows) = rx.recv() {
                if let Err(e) = flush(c, &mut rows, &mut done, &mut next) {
                    failure = Some(e);
                    break;
                }
            }
            drop(rx);
            parser.join()
        });
        let checked = checked.map_err(|_| Outcome::Retry("the workbook reader stopped".into()))?;
        if let Some(f) = failure {
            return Err(f);
        }
        let checked = checked.map_err(|r| Outcome::Invalid(format!("{r:?}")))?;
        if checked.error_count > 0 {
            let first = checked
                .errors
                .first()
                .map(|e| format!("{}{}: {} — {}", e.column, e.row, e.field, e.message))
                .unwrap_or_default();
            return Err(Outcome::Invalid(format!(
                "{} errors, first: {first}",
                checked.error_count
            )));
        }
        tracing::info!(
            upload = id,
            rows = done,
            total_ms = started.elapsed().as_millis() as u64,
            insert_ms = inserting.as_millis() as u64,
            "data migration imported"
        );
        Ok(done)
    })
}

/// Inserts parsed rows with consecutive numbers from `first`, in one statement a backend.
fn insert_batch(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    upload: i64,
    rows: &[Parsed],
    first: i64,
    now: NaiveDateTime,
) -> Result<(), Outcome> {
    // Each row borrows its texts from `rows` (no copies); JSON is made once a row.
    macro_rules! build {
        ($chunk:expr, $start:expr) => {
            $chunk
                .iter()
                .zip($start..)
                .map(|(p, number)| {
                    let t = &p.content;
                    (
                        tk::org_id.eq(org),
                        tk::service_ref.eq(service_ref),
                        tk::number.eq(number),
                        tk::title.eq(t.title.as_str()),
                        tk::description.eq(t.description.as_str()),
                        tk::status.eq(p.status),
                        tk::priority.eq(t.priority.as_str()),
                        tk::requester_name.eq(t.requester_name.as_str()),
                        tk::requester_email.eq(t.requester_email.as_str()),
                        tk::requester_phone.eq(t.requester_phone.as_str()),
                        tk::channel.eq(t.channel.as_str()),
                        tk::assignee_id.eq(p.assignee),
                        tk::tags.eq(serde_json::to_string(&t.tags).unwrap_or_default()),
                        tk::custom.eq(serde_json::to_string(&t.custom).unwrap_or_default()),
                        tk::source_upload.eq(Some(upload)),
                        tk::source_row.eq(Some(i32::try_from(p.row).unwrap_or(i32::MAX))),
                        tk::created_at.eq(p.created_at.unwrap_or(now)),
                        tk::updated_at.eq(now),
                    )
                })
                .collect::<Vec<_>>()
        };
    }
    let per = match c {
        DbConn::Pg(_) => ROWS_PER_STATEMENT_PG,
        DbConn::Sqlite(_) => ROWS_PER_STATEMENT_SQLITE,
    };
    let mut start = first;
    for chunk in rows.chunks(per) {
        match c {
            // Postgres: COPY FROM (binary), several times faster than multi-row INSERTs.
            DbConn::Pg(pg) => diesel::copy_from(tk::table)
                .from_insertable(build!(chunk, start))
                .execute(pg)?,
            DbConn::Sqlite(s) => diesel::insert_into(tk::table)
                .values(build!(chunk, start))
                .execute(s)?,
        };
        start += chunk.len() as i64;
    }
    Ok(())
}

/// The rows an upload imported (for tests and tracing).
pub fn imported_rows(c: &mut DbConn, upload: i64) -> Result<i64, AppError> {
    Ok(tk::table
        .filter(tk::source_upload.eq(upload))
        .count()
        .get_result(c)?)
}
