//! The jobs runner: background work in the `jobs` table. A job is claimed with a
//! conditional update that sets a lease, so two app instances (or a `jobs run-due` from
//! cron beside a server) never run one job twice; a job whose runner crashed is taken over
//! when its lease expires. A failed job is retried with backoff until `max_attempts`.
//! Scheduled jobs carry a `run_at` in UTC (see [`next_local`] for "01:00 in a service's time
//! zone") and an optional `unique_key`, so scheduling the same occurrence twice is a no-op.
//!
//! The runner knows no feature: handlers are registered by kind in a [`Registry`] by the
//! code that composes the application.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDateTime, NaiveTime, TimeZone};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::jobs as j;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// How long a claim holds before another runner may take the job over.
pub const LEASE_SECONDS: i64 = 300;
const BATCH: i64 = 20;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub run_at: NaiveDateTime,
    /// At most one job with this key exists (an occurrence of a schedule).
    pub unique_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn now(kind: &str, payload: impl Into<String>, now: NaiveDateTime) -> NewJob {
        NewJob {
            kind: kind.to_string(),
            payload: payload.into(),
            run_at: now,
            unique_key: None,
            max_attempts: 10,
        }
    }
}

/// Enqueues a job (inside the caller's transaction, if any). A job whose `unique_key` is
/// already taken is not enqueued again; returns whether it was. On Postgres the check and
/// the insert are one statement, so a duplicate key never aborts the caller's transaction.
pub fn enqueue(c: &mut DbConn, job: &NewJob, now: NaiveDateTime) -> QueryResult<bool> {
    if let Some(key) = &job.unique_key {
        let taken: i64 = j::table
            .filter(j::unique_key.eq(key))
            .count()
            .get_result(c)?;
        if taken > 0 {
            return Ok(false);
        }
    }
    let n = diesel::insert_into(j::table)
        .values((
            j::kind.eq(&job.kind),
            j::payload.eq(&job.payload),
            j::unique_key.eq(&job.unique_key),
            j::run_at.eq(job.run_at),
            j::attempts.eq(0),
            j::max_attempts.eq(job.max_attempts.max(1)),
            j::status.eq(PENDING),
            j::created_at.eq(now),
        ))
        .execute(c);
    match n {
        Ok(n) => Ok(n == 1),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) if job.unique_key.is_some() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The next `at` o'clock in `tz` strictly after `now` (UTC), as UTC. On a day when that
/// local time does not exist (a DST gap) the first valid minute after it is used.
pub fn next_local(tz: chrono_tz::Tz, at: NaiveTime, now: NaiveDateTime) -> NaiveDateTime {
    let local_now = tz.from_utc_datetime(&now).naive_local();
    let mut day = local_now.date();
    for _ in 0..4 {
        let mut candidate = day.and_time(at);
        // Step over a DST gap.
        for _ in 0..180 {
            match tz.from_local_datetime(&candidate).earliest() {
                Some(t) => {
                    let utc = t.naive_utc();
                    if utc > now {
                        return utc;
                    }
                    break;
                }
                None => candidate += chrono::Duration::minutes(1),
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
    now + chrono::Duration::days(1)
}

/// A claimed job, as its handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Including this one.
    pub attempts: i32,
}

/// What a handler does with a job; an `Err` is retried with backoff.
pub type Handler = Arc<dyn Fn(&mut DbConn, &Job) -> Result<(), String> + Send + Sync>;

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn on(
        mut self,
        kind: &str,
        f: impl Fn(&mut DbConn, &Job) -> Result<(), String> + Send + Sync + 'static,
    ) -> Registry {
        self.handlers.insert(kind.to_string(), Arc::new(f));
        self
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.handlers.keys().cloned().collect();
        k.sort();
        k
    }
}

/// Backoff after the n-th failed attempt: 30 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exp = attempts.clamp(1, 8) - 1;
    let secs = (30i64 << exp).min(3600);
    chrono::Duration::seconds(secs)
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Which jobs a pass takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Those whose `run_at` has come.
    Now,
    /// Every pending one, whatever its `run_at` (`jobs run-due --now`).
    All,
}

/// Runs the due jobs of the registry's kinds (or of `only`) that this runner can claim.
pub fn run_due(
    c: &mut DbConn,
    reg: &Registry,
    due: Due,
    only: Option<&str>,
) -> QueryResult<Report> {
    let kinds: Vec<String> = match only {
        Some(k) => vec![k.to_string()],
        None => reg.kinds(),
    };
    run_due_with(
        c,
        &kinds,
        due,
        &mut |c, job| match reg.handlers.get(&job.kind) {
            Some(h) => h(c, job),
            None => Err(format!("no handler for job kind {}", job.kind)),
        },
    )
}

/// Runs the due jobs of `kinds` this runner can claim, each through `handle`.
pub fn run_due_with(
    c: &mut DbConn,
    kinds: &[String],
    due: Due,
    handle: &mut dyn FnMut(&mut DbConn, &Job) -> Result<(), String>,
) -> QueryResult<Report> {
    let mut report = Report::default();
    // Jobs enqueued during this pass (a schedule's next occurrence) wait for the next one,
    // so a pass always ends.
    let last: Option<i64> = j::table.select(diesel::dsl::max(j::id)).first(c)?;
    let last = last.unwrap_or(0);
    // A job is tried once a pass: one that failed waits for its backoff and the next pass
    // (with `Due::All` it would otherwise be retried at once until it gave up).
    let mut tried = std::collections::HashSet::new();
    loop {
        let now = chrono::Utc::now().naive_utc();
        let claimable = claimable(now, due);
        let ids: Vec<i64> = j::table
            .filter(j::kind.eq_any(kinds))
            .filter(j::id.le(last))
            .filter(claimable)
            .order((j::run_at, j::id))
            .limit(BATCH)
            .select(j::id)
            .load(c)?;
        if ids.is_empty() {
            return Ok(report);
        }
        let mut claimed_any = false;
        for id in ids {
            if !tried.insert(id) {
                continue;
            }
            let Some(job) = claim(c, id, now, due)? else {
                continue; // another runner has it
            };
            claimed_any = true;
            let token = job.1;
            let job = job.0;
            let result = handle(c, &job);
            let after = chrono::Utc::now().naive_utc();
            let mine = j::table
                .filter(j::id.eq(job.id))
                .filter(j::lease_token.eq(token));
            match result {
                Ok(()) => {
                    diesel::update(mine)
                        .set((
                            j::status.eq(DONE),
                            j::finished_at.eq(Some(after)),
                            j::lease_until.eq(None::<NaiveDateTime>),
                            j::last_error.eq(None::<String>),
                        ))
                        .execute(c)?;
                    report.done += 1;
                }
                Err(e) => {
                    let max: i32 = j::table
                        .filter(j::id.eq(job.id))
                        .select(j::max_attempts)
                        .first(c)?;
                    let e: String = e.chars().take(500).collect();
                    let final_failure = job.attempts >= max;
                    tracing::warn!(job_id = job.id, kind = %job.kind, attempts = job.attempts, error = %e, final_failure, "job failed");
                    diesel::update(mine)
                        .set((
                            j::status.eq(if final_failure { FAILED } else { PENDING }),
                            j::run_at.eq(after + backoff(job.attempts)),
                            j::lease_until.eq(None::<NaiveDateTime>),
                            j::last_error.eq(Some(e)),
                            j::finished_at.eq(final_failure.then_some(after)),
                        ))
                        .execute(c)?;
                    if final_failure {
                        report.failed += 1;
                    } else {
                        report.retried += 1;
                    }
                }
            }
        }
        if !claimed_any {
            return Ok(report);
        }
    }
}

type Ready = diesel::dsl::And<
    diesel::dsl::Eq<j::status, &'static str>,
    diesel::dsl::LtEq<j::run_at, NaiveDateTime>,
>;
type Abandoned = diesel::dsl::And<
    diesel::dsl::Eq<j::status, &'static str>,
    diesel::dsl::Lt<j::lease_until, NaiveDateTime>,
>;

/// Pending and due (or any pending, for `Due::All`), or running with an expired lease.
fn claimable(now: NaiveDateTime, due: Due) -> diesel::dsl::Or<Ready, Abandoned> {
    let horizon = match due {
        Due::Now => now,
        Due::All => now + chrono::Duration::days(365 * 100),
    };
    j::status
        .eq(PENDING)
        .and(j::run_at.le(horizon))
        .or(j::status.eq(RUNNING).and(j::lease_until.lt(now)))
}

/// Takes the job with a lease, if it is still claimable; returns it with the lease token.
fn claim(
    c: &mut DbConn,
    id: i64,
    now: NaiveDateTime,
    due: Due,
) -> QueryResult<Option<(Job, String)>> {
    let token = crate::auth::random_token(12);
    let n = diesel::update(j::table.filter(j::id.eq(id)).filter(claimable(now, due)))
        .set((
            j::status.eq(RUNNING),
            j::lease_until.eq(Some(now + chrono::Duration::seconds(LEASE_SECONDS))),
            j::lease_token.eq(Some(&token)),
            j::attempts.eq(j::attempts + 1),
        ))
        .execute(c)?;
    if n != 1 {
        return Ok(None);
    }
    let (kind, payload, attempts): (String, String, i32) = j::table
        .filter(j::id.eq(id))
        .select((j::kind, j::payload, j::attempts))
        .first(c)?;
    Ok(Some((
        Job {
            id,
            kind,
            payload,
            attempts,
        },
        token,
    )))
}

/// Deletes finished jobs older than `keep` (housekeeping).
pub fn purge_finished(
    c: &mut DbConn,
    now: NaiveDateTime,
    keep: chrono::Duration,
) -> QueryResult<usize> {
    diesel::delete(
        j::table
            .filter(j::status.eq(DONE))
            .filter(j::finished_at.lt(now - keep)),
    )
    .execute(c)
}

/// The in-process runner of `serve`: every `every`, run what is due, on the blocking pool.
pub async fn run_forever(pool: crate::db::Pool, reg: Registry, every: std::time::Duration) {
    loop {
        let (p, r) = (pool.clone(), reg.clone());
        let pass = actix_web::web::block(move || {
            let mut c = p.get().map_err(|e| e.to_string())?;
            run_due(&mut c, &r, Due::Now, None).map_err(|e| e.to_string())
        })
        .await;
        match pass {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "jobs runner"),
            Err(e) => tracing::error!(error = %e, "jobs runner"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default()
    }

    #[test]
    fn next_one_am_in_a_time_zone() {
        let one = NaiveTime::from_hms_opt(1, 0, 0).unwrap_or_default();
        // Seoul is UTC+9: 01:00 KST is 16:00 UTC the day before.
        assert_eq!(
            next_local(chrono_tz::Asia::Seoul, one, at("2026-12-04 10:00")),
            at("2026-12-04 16:00")
        );
        assert_eq!(
            next_local(chrono_tz::Asia::Seoul, one, at("2026-12-04 16:00")),
            at("2026-12-05 16:00")
        );
        // New York in winter is UTC-5.
        assert_eq!(
            next_local(chrono_tz::America::New_York, one, at("2026-12-04 10:00")),
            at("2026-12-05 06:00")
        );
        // 02:30 does not exist in New York on 2026-03-08 (DST starts): the first valid minute.
        let half_two = NaiveTime::from_hms_opt(2, 30, 0).unwrap_or_default();
        assert_eq!(
            next_local(
                chrono_tz::America::New_York,
                half_two,
                at("2026-03-08 05:00")
            ),
            at("2026-03-08 07:00")
        );
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(50).num_seconds(), 3600);
    }
}
