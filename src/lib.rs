//! online-contact: the organization console of a contact center, as one server-rendered
//! web application. `app(state)` builds the actix `App`; `main.rs` and the tests use it.

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod console;
pub mod db;
pub mod error;
pub mod helpcenter;
pub mod i18n;
pub mod jobs;
pub mod logwriter;
pub mod mail;
pub mod pricing;
pub mod routes;
pub mod services;
pub mod web;
pub mod workspace;
pub mod xlsx;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web as aw};

use crate::config::Config;
use crate::db::{DbConn, Pool};
use crate::error::AppError;

/// Shared application state (one per process, cloned cheaply through `web::Data`).
pub struct AppState {
    pub config: Config,
    pub pool: Pool,
    pub i18n: Arc<i18n::I18n>,
    pub hasher: auth::Hasher,
    pub pricing: Arc<pricing::PriceBook>,
    pub client_throttle: web::throttle::ClientThrottle,
    /// The panel areas add to workspace pages (the phone widget); wired here, where the
    /// app is composed, so the foundation needs no area.
    pub page_panel: Option<web::PanelLoader>,
    /// On Postgres: the connection for the short reads of every request, shared by the workers.
    pub pg_reads: Option<db::PgReads>,
    /// Database work waits here (first come, first served) for a free connection, so no
    /// more blocking threads run than there are connections.
    db_gate: Arc<tokio::sync::Semaphore>,
    /// Kept per version of the org's services (`db::Versioned`): the fee page's billing
    /// inputs per (org, first day shown), and the org's services (contract list, the
    /// permission log's service picker and names).
    pub billing:
        Arc<db::Versioned<(i64, chrono::NaiveDate), admin::contracts::model::BillingInputs>>,
    pub services: Arc<db::Versioned<i64, Vec<admin::contracts::model::Service>>>,
    /// A workspace member's service tabs per (org, member, org admin or not).
    pub service_tabs: Arc<db::Versioned<(i64, i64, bool), Vec<auth::sessions::ServiceTab>>>,
    /// The people of the permission-change log a name matched, per (org, lowercased name).
    pub log_people: Arc<db::Versioned<(i64, String), Vec<i64>>>,
}

/// Entries kept per cache of computed pages (a few hundred KiB at most).
const KEPT_PER_CACHE: usize = 256;
/// Members whose service tabs are kept (an agent's are a few services).
const KEPT_TABS: usize = 2048;

/// Connections per app instance.
const DB_POOL: u32 = 10;

/// Blocking threads per HTTP worker: database work never runs on more than `DB_POOL` at
/// once (the gate), the rest is for exports and uploads. Tokio's default (512 / workers)
/// let a loaded server keep ~45 idle threads, each with its own allocator cache.
pub const BLOCKING_THREADS_PER_WORKER: usize = DB_POOL as usize + 4;

impl AppState {
    /// Opens the database, applies migrations and loads the translations.
    pub fn new(config: Config) -> Result<AppState, String> {
        let pool = db::build_pool(&config.database_url, DB_POOL)?;
        let mut conn = pool
            .get()
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        db::run_migrations(&mut conn)?;
        schedule_housekeeping(&mut conn, chrono::Utc::now().naive_utc())
            .map_err(|e| format!("cannot schedule housekeeping: {e}"))?;
        drop(conn);
        let i18n = Arc::new(i18n::I18n::load()?);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        // bcrypt may take all cores but one, so a burst of logins never starves the pages.
        let hasher = auth::Hasher::new(config.bcrypt_cost, cores.saturating_sub(1).max(1))?;
        let pricing = config.pricing.clone();
        let client_throttle = web::throttle::ClientThrottle::new(config.throttle_per_minute);
        Ok(AppState {
            client_throttle,
            page_panel: Some(web::PanelLoader {
                wanted: workspace::cti::panel_wanted,
                load: workspace::cti::panel,
            }),
            pg_reads: db::PgReads::new(&config.database_url),
            db_gate: Arc::new(tokio::sync::Semaphore::new(DB_POOL as usize)),
            billing: Arc::new(db::Versioned::new(KEPT_PER_CACHE)),
            services: Arc::new(db::Versioned::new(KEPT_PER_CACHE)),
            service_tabs: Arc::new(db::Versioned::new(KEPT_TABS)),
            log_people: Arc::new(db::Versioned::new(KEPT_PER_CACHE)),
            config,
            pool,
            i18n,
            hasher,
            pricing,
        })
    }

    /// Runs a short read: on SQLite on the calling thread when a connection is free at
    /// once, else (and always on Postgres, where a read is a network round trip) as `db`.
    /// The hop to the blocking pool and back (two thread wake-ups) cost more than the
    /// session read of a signed-in page (perf: ~30 % of the CPU of `/`); a SQLite read in
    /// WAL mode does not wait for writers. `f` must not write: a write may wait for
    /// SQLite's write lock, which would stall every request of this worker thread.
    pub async fn db_read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        match self.db_inline(f) {
            Ok(done) => done,
            Err(f) => self.db(f).await,
        }
    }

    /// `on_pg` on the request reader Postgres connection (`db::PgReads`: no hop to the
    /// blocking pool). None without such a connection (SQLite), when it failed, or when it
    /// did not answer within `db::READ_DEADLINE`: it is dropped then (the next read opens a
    /// new one) and the caller reads the pooled way.
    pub async fn on_reader<T, A>(&self, on_pg: A) -> Result<Option<T>, AppError>
    where
        A: AsyncFnOnce(&db::Reader) -> Result<T, AppError>,
    {
        let Some(pg) = &self.pg_reads else {
            return Ok(None);
        };
        let mut used = None;
        let read = async {
            let conn = pg.conn().await?;
            used = Some(conn.clone());
            Ok::<_, String>(on_pg(&conn).await)
        };
        let failure = match tokio::time::timeout(db::READ_DEADLINE, read).await {
            Ok(Ok(Ok(v))) => return Ok(Some(v)),
            Ok(Ok(Err(AppError::Internal(e)))) => e,
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(e)) => e,
            Err(_) => format!("no answer within {:?}", db::READ_DEADLINE),
        };
        tracing::warn!(error = %failure, "read on the request reader connection");
        if let Some(conn) = &used {
            pg.forget(conn);
        }
        Ok(None)
    }

    /// A short read: `on_pg` on the request reader Postgres connection (`on_reader`), else
    /// `f` as `db_read`.
    pub async fn read_short<T, A, F>(&self, on_pg: A, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        A: AsyncFnOnce(&db::Reader) -> Result<T, AppError>,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        match self.on_reader(on_pg).await? {
            Some(v) => Ok(v),
            None => self.db_read(f).await,
        }
    }

    /// Runs `f` on the calling thread when `db_read` would (SQLite, a connection free at
    /// once); else gives it back. The same rule: `f` reads, and reads little.
    pub fn db_inline<T, F>(&self, f: F) -> Result<Result<T, AppError>, F>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError>,
    {
        if matches!(self.config.database_url, db::DbUrl::Sqlite(_))
            && let Ok(_permit) = self.db_gate.try_acquire()
            && let Some(mut conn) = self.pool.try_get()
        {
            return Ok(f(&mut conn));
        }
        Err(f)
    }

    /// Runs database work on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let _permit = self.db_gate.acquire().await.map_err(AppError::internal)?;
        let pool = self.pool.clone();
        aw::block(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            f(&mut conn)
        })
        .await?
    }

    /// What `kept` holds for `key` at `version`, or else what `compute` reads (a short read,
    /// as `db_read`), then kept: an unchanged org costs no statement.
    pub async fn kept<K, V, F>(
        &self,
        kept: &Arc<db::Versioned<K, V>>,
        key: K,
        version: i64,
        compute: F,
    ) -> Result<Arc<V>, AppError>
    where
        K: std::hash::Hash + Eq + Send + 'static,
        V: Send + Sync + 'static,
        F: FnOnce(&mut DbConn) -> Result<V, AppError> + Send + 'static,
    {
        if let Some(value) = kept.get(&key, version) {
            return Ok(value);
        }
        let kept = kept.clone();
        self.db_read(move |c| kept.get_or(key, version, || compute(c)))
            .await
    }
}

/// The job kind of the daily housekeeping (expired sessions, stale sign-in counters,
/// finished jobs).
pub const HOUSEKEEPING: &str = "housekeeping";

/// Every background job the application runs, by kind.
pub fn jobs_registry(state: &AppState, transport: Arc<mail::Transport>) -> jobs::Registry {
    let idle = state.config.session_idle;
    let reg = mail::register(
        jobs::Registry::default(),
        transport,
        state.config.mail_from.clone(),
    );
    let (pool, i18n) = (state.pool.clone(), state.i18n.clone());
    let reg = reg.on(admin::migration::model::JOB_KIND, move |c, job| {
        let id: i64 = job.payload.parse().map_err(|_| "bad payload".to_string())?;
        // Progress is written on a second connection, outside the import's transaction.
        let mut progress = pool.get().map_err(|e| e.to_string())?;
        admin::migration::model::run(c, &mut progress, id, &i18n)
    });
    reg.on(HOUSEKEEPING, move |c, _job| {
        let now = chrono::Utc::now().naive_utc();
        let sessions = auth::sessions::purge_expired(c, now, idle).map_err(|e| e.to_string())?;
        let counters = auth::throttle::purge_stale(c, now).map_err(|e| e.to_string())?;
        let finished =
            jobs::purge_finished(c, now, chrono::Duration::days(30)).map_err(|e| e.to_string())?;
        tracing::info!(sessions, counters, finished, "housekeeping");
        schedule_housekeeping(c, now).map_err(|e| e.to_string())
    })
}

/// Schedules the next housekeeping run (03:00 UTC); scheduling it twice is a no-op.
pub fn schedule_housekeeping(
    c: &mut DbConn,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<()> {
    let three = chrono::NaiveTime::from_hms_opt(3, 0, 0).unwrap_or_default();
    let at = jobs::next_local(chrono_tz::Tz::UTC, three, now);
    let job = jobs::NewJob {
        kind: HOUSEKEEPING.into(),
        payload: String::new(),
        run_at: at,
        unique_key: Some(format!("{HOUSEKEEPING}:{}", at.format("%Y-%m-%d"))),
        // Retried for about two days (backoff grows to an hour); it schedules the next
        // day's run when it succeeds, and every start-up schedules one too.
        max_attempts: 48,
    };
    jobs::enqueue(c, &job, now).map(|_| ())
}

/// The whole application. Middleware order, outermost first: request log, security
/// headers, session, error pages, client throttle, input guard (control characters),
/// CSRF.
pub fn app(
    state: aw::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let session = web::middleware::session_middleware(&state.config);
    let base = state.config.base_url.clone();
    App::new()
        .app_data(state)
        .app_data(aw::FormConfig::default().limit(web::middleware::FORM_LIMIT))
        .app_data(api::json_config())
        .configure(|cfg| routes::configure(cfg, &base))
        .wrap(from_fn(web::middleware::csrf))
        .wrap(from_fn(web::middleware::input_guard))
        .wrap(from_fn(web::middleware::client_throttle))
        .wrap(from_fn(web::middleware::error_pages))
        .wrap(session)
        .wrap(from_fn(web::middleware::security_headers))
        .wrap(from_fn(web::middleware::request_log))
}
