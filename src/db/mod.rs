//! Database access: one Diesel `MultiConnection` over SQLite and Postgres, an r2d2 pool
//! whose manager picks the backend from the URL scheme, and the embedded migrations of
//! both backends (same folder names, same meaning), applied at start-up.

pub mod schema;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The one connection type of the application. Backend-specific SQL only appears in an
/// explicit `match` on this enum.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = diesel::r2d2::Pool<Manager>;
/// The backend type of `DbConn`, for boxed queries whose filters depend on the request.
pub type Backend = <DbConn as diesel::Connection>::Backend;

diesel::define_sql_function! {
    /// `lower(text)`, the same on both backends (for case-insensitive "contains").
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern for "contains `q`", with `%`, `_` and `\` escaped (use with
/// `.escape('\\')`).
pub fn contains_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

pub type PooledConn = diesel::r2d2::PooledConnection<Manager>;

/// Which backend a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    /// A SQLite file path (or `:memory:`).
    Sqlite(String),
}

impl DbUrl {
    /// `postgres://…` / `postgresql://…` → Postgres; `sqlite://path`, `sqlite:path` or a
    /// plain path → SQLite. Anything else with a scheme is refused.
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("empty database URL".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        if let Some(rest) = url.strip_prefix("sqlite://") {
            return non_empty_path(rest);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return non_empty_path(rest);
        }
        if url.contains("://") {
            return Err("unsupported scheme (use sqlite:// or postgres://)".into());
        }
        non_empty_path(url)
    }
}

fn non_empty_path(p: &str) -> Result<DbUrl, String> {
    if p.is_empty() {
        Err("empty SQLite path".into())
    } else {
        Ok(DbUrl::Sqlite(p.to_string()))
    }
}

/// r2d2 manager for [`DbConn`].
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
}

impl Manager {
    pub fn new(url: DbUrl) -> Self {
        Manager { url }
    }
}

/// Every SQLite connection: foreign keys on, wait for locks instead of failing at once.
/// (WAL, so readers do not block the writer, is a property of the file: `build_pool` sets
/// it once, on one connection, before the pool opens its own.)
const SQLITE_PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.url {
            DbUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DbUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// Checked when a connection comes back to the pool (no round trip): a connection
    /// whose server went away or whose transaction is broken is dropped then.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Why a transaction that inserts under a unique index rolled back: a duplicate is an
/// answer for the caller (a taken login ID, a simultaneous addition), anything else an
/// error. Return `Err(TxError::Duplicate)` from the closure on a unique violation.
#[derive(Debug)]
pub enum TxError {
    Duplicate,
    App(crate::error::AppError),
}

impl From<crate::error::AppError> for TxError {
    fn from(e: crate::error::AppError) -> Self {
        TxError::App(e)
    }
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::App(e.into())
    }
}

/// Evaluates `$body` with `$conn` bound to the backend's own connection. A query run
/// through `DbConn` is wrapped in a type of Diesel's that has no static query id, so its
/// SQL is rendered on every run to find the cached statement; run on the backend's own
/// connection it keeps its type and is found by it. For the statements of every request
/// (the session read was ~14 % of the CPU of a signed-in page on SQLite).
macro_rules! on_backend {
    ($c:expr, |$conn:ident| $body:expr) => {
        match $c {
            $crate::db::DbConn::Pg($conn) => $body,
            $crate::db::DbConn::Sqlite($conn) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Runs an insert of one row and evaluates to the new row's id: `RETURNING` on Postgres,
/// `last_insert_rowid()` on SQLite (on the same connection, so no other insert can come
/// between). A macro because the insert's type differs per table.
macro_rules! insert_returning_id {
    ($conn:expr, $insert:expr, $id:expr) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConn::Pg(c) => $insert.returning($id).get_result::<i64>(c),
            $crate::db::DbConn::Sqlite(c) => $insert.execute(c).and_then(|_| {
                diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "last_insert_rowid()",
                ))
                .get_result::<i64>(c)
            }),
        }
    }};
}
pub(crate) use insert_returning_id;

/// A `Timestamp` column read as `NaiveDateTime` (use it with `#[diesel(deserialize_as =
/// Stamp)]` or in a row type). SQLite keeps timestamps as text, and Diesel reads them by
/// trying chrono format strings in turn (chrono parses the format on every try: ~3 % of the
/// permission-log page's CPU for its 50 rows); the form Diesel writes,
/// `YYYY-MM-DD HH:MM:SS[.fraction]`, is read here directly, any other form as Diesel reads
/// it. On Postgres (a binary timestamp) it is Diesel's own reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Stamp(pub chrono::NaiveDateTime);

impl From<Stamp> for chrono::NaiveDateTime {
    fn from(s: Stamp) -> Self {
        s.0
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn from_sql(
        mut value: diesel::sqlite::SqliteValue<'_, '_, '_>,
    ) -> diesel::deserialize::Result<Self> {
        if let Some(t) = parse_stamp(value.read_text()) {
            return Ok(Stamp(t));
        }
        <chrono::NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::sqlite::Sqlite,
        >>::from_sql(value)
        .map(Stamp)
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Timestamp, diesel::pg::Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        <chrono::NaiveDateTime as diesel::deserialize::FromSql<
            diesel::sql_types::Timestamp,
            diesel::pg::Pg,
        >>::from_sql(value)
        .map(Stamp)
    }
}

/// ASCII digits as a number (None if one is not a digit).
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0_u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

/// A stored day (`YYYY-MM-DD`), parsed directly: chrono's format parser cost the fee page
/// a seventh of its time.
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    day_of(s.as_bytes())
}

fn day_of(b: &[u8]) -> Option<chrono::NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 digits of fraction; None for any
/// other text (or an impossible date or time).
fn parse_stamp(text: &str) -> Option<chrono::NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10_u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let time = chrono::NaiveTime::from_hms_nano_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        nanos,
    )?;
    Some(day_of(&b[..10])?.and_time(time))
}

/// Builds the pool; for SQLite, creates the parent folder of the file first.
pub fn build_pool(url: &DbUrl, max_size: u32) -> Result<Pool, String> {
    if let DbUrl::Sqlite(path) = url
        && path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // The journal mode is switched once, alone: pool connections opening at the same
    // moment on a fresh file each switching it raced ("database is locked" at start-up).
    if let DbUrl::Sqlite(path) = url
        && path != ":memory:"
    {
        let mut c = SqliteConnection::establish(path)
            .map_err(|e| format!("cannot open the database: {e}"))?;
        c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("cannot switch the database to WAL: {e}"))?;
    }
    // No `SELECT 1` on every checkout (a round trip per request on Postgres): broken
    // connections are found by `has_broken` when they return, and a query on a connection
    // that died meanwhile fails that one request, whose connection is then dropped.
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .test_on_check_out(false)
        .connection_timeout(std::time::Duration::from_secs(15))
        .build(Manager::new(url.clone()))
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// The Postgres reader for the short reads of every request (the tenant, the session),
/// **one for the process**, shared by the HTTP workers (a `Reader`: Diesel's connection and a
/// plain client's, opened and dropped together). A read through the pool costs a hop
/// to a blocking thread and back on top of the round trip; here the worker sends the
/// statement and serves other requests until the answer arrives, and the statements of
/// concurrent requests share the connection (pipelined). The queries are the same Diesel
/// queries the blocking path runs (through `diesel_async::RunQueryDsl`, or prepared once
/// from the SQL they write: `Reader::query_opt`).
///
/// One connection for all workers rather than one each (the ninth session): with one each,
/// on 2 cores, the statements of `/` signed in often travelled one by one (each a wake-up of
/// the worker and of its backend: 5.6 system calls and 1.6 context switches a request) and
/// the server spent 75-96 µs of CPU a page. Its driver (the task that writes and reads the
/// socket) runs on the runtime of the worker that opened it (the tenth session): on a
/// thread of its own every statement woke that thread twice (to write, then to hand the
/// answer over), `/` signed in 59.7 against 45.5 µs of server CPU, 17,416 against 22,644
/// pages a second, the two builds in turns. Since the eleventh session the driver is one of
/// the worker's own tasks (its LocalSet, where the HTTP connections' tasks are), not a task
/// of the runtime under it, which runs only between the LocalSet's turns: `/` signed in
/// 30.5-32.5 against 32.0-34.2 µs of server CPU in four comparisons in turns (the
/// workspace's `/` within its noise either way). A worker never blocks (database work goes to
/// the blocking pool), but should the one hosting the driver stop answering, every read
/// waits at most `READ_DEADLINE`: then it reads through the pool and the connection is
/// dropped, the next read opening a new one on a worker that answers (`AppState::on_reader`).
pub struct PgReads {
    config: tokio_postgres::Config,
    conn: std::sync::Mutex<Option<std::sync::Arc<Reader>>>,
    /// Held while a connection is being opened: the requests that find none wait for that
    /// one instead of each opening its own.
    opening: tokio::sync::Mutex<()>,
}

pub use diesel_async::AsyncPgConnection;

/// A request reader: a Diesel connection (diesel-async), and beside it a plain
/// `tokio-postgres` client for the statement of every request, prepared once per connection
/// (`query_opt`). diesel-async writes a statement's SQL again on every run to find its
/// prepared statement (and its client is its own): for the console's session read, `/`
/// signed in, 45.9 against 39.5 µs of server CPU, 22,478 against 25,161 pages a second.
pub struct Reader {
    diesel: AsyncPgConnection,
    plain: tokio_postgres::Client,
    prepared: std::sync::Mutex<rustc_hash::FxHashMap<&'static str, tokio_postgres::Statement>>,
}

impl Reader {
    /// The Diesel connection.
    pub fn diesel(&self) -> &AsyncPgConnection {
        &self.diesel
    }

    /// The row (or none) of the statement `key`, whose SQL `sql` writes (prepared on this
    /// connection on first use, then kept with it), with `params` in the statement's order.
    pub async fn query_opt(
        &self,
        key: &'static str,
        sql: fn() -> String,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<tokio_postgres::Row>, String> {
        let kept = self.lock().get(key).cloned();
        let statement = match kept {
            Some(s) => s,
            None => {
                let s = self
                    .plain
                    .prepare(&sql())
                    .await
                    .map_err(|e| e.to_string())?;
                self.lock().insert(key, s.clone());
                s
            }
        };
        self.plain
            .query_opt(&statement, params)
            .await
            .map_err(|e| e.to_string())
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<&'static str, tokio_postgres::Statement>>
    {
        self.prepared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The longest a read waits on the request reader connection (opening it included) before
/// it reads through the pool instead and the connection is dropped: its answer comes in well
/// under a millisecond, unless the runtime driving it has stopped answering.
pub const READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(1);

/// How the request readers' connections show in `pg_stat_activity` (unless the URL names
/// an application).
pub const READER_APPLICATION_NAME: &str = "online-contact request reads";

/// The setting the request readers' connections start with (`PgReads::new`).
const GENERIC_PLANS: &str = "-c plan_cache_mode=force_generic_plan";

impl PgReads {
    /// For a Postgres URL these connections can serve: not one that requires TLS (the
    /// pooled connections, through libpq, serve every request then).
    pub fn new(url: &DbUrl) -> Option<PgReads> {
        let DbUrl::Postgres(u) = url else {
            return None;
        };
        let mut config: tokio_postgres::Config = u.parse().ok()?;
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            return None;
        }
        if config.get_application_name().is_none() {
            config.application_name(READER_APPLICATION_NAME);
        }
        // Generic plans only: every statement these connections run (the tenant, the
        // session, the workspace home's counts, the log search's bounded reads) has one
        // plan whatever its values, and Postgres otherwise re-planned the log search's
        // keys on every run (its estimate of the generic plan, for arrays of unknown
        // length, stayed above the custom plans': ~0.1 ms of planning a search).
        let options = match config.get_options() {
            Some(o) if !o.trim().is_empty() => format!("{o} {GENERIC_PLANS}"),
            _ => GENERIC_PLANS.to_string(),
        };
        config.options(&options);
        Some(PgReads {
            config,
            conn: Default::default(),
            opening: Default::default(),
        })
    }

    /// The connection, opened on first use or again after `forget`, its driver spawned on
    /// the calling runtime (see `PgReads`).
    pub async fn conn(&self) -> Result<std::sync::Arc<Reader>, String> {
        if let Some(c) = self.lock().as_ref() {
            return Ok(c.clone());
        }
        let _opening = self.opening.lock().await;
        if let Some(c) = self.lock().as_ref() {
            return Ok(c.clone());
        }
        let fail = |e: &dyn std::fmt::Display| format!("cannot connect to the database: {e}");
        let open = async || {
            let (client, connection) = self
                .config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| fail(&e))?;
            // Until the client is dropped or the server closes the connection. On an actix
            // thread (an HTTP worker's), among its own tasks (its LocalSet; see above).
            if actix_web::rt::System::try_current().is_some() {
                actix_web::rt::spawn(connection);
            } else {
                tokio::spawn(connection);
            }
            Ok::<_, String>(client)
        };
        let (diesel, plain) = futures_util::future::try_join(open(), open()).await?;
        let c = std::sync::Arc::new(Reader {
            diesel: AsyncPgConnection::try_from(diesel)
                .await
                .map_err(|e| fail(&e))?,
            plain,
            prepared: Default::default(),
        });
        *self.lock() = Some(c.clone());
        Ok(c)
    }

    /// Drops `failed` (after an error) if it is still the connection, so the next read
    /// opens a new one.
    pub fn forget(&self, failed: &std::sync::Arc<Reader>) {
        let mut kept = self.lock();
        if kept
            .as_ref()
            .is_some_and(|c| std::sync::Arc::ptr_eq(c, failed))
        {
            *kept = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<std::sync::Arc<Reader>>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Applies the pending migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, String> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    applied.map_err(|e| format!("migration failed: {e}"))
}

/// True when the error is a unique-constraint violation (both backends map it the same).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// `column IN (ids)` as one bound value, so a statement holding it stays prepared in
/// Diesel's cache whatever the number of ids (Diesel's own `eq_any` with a list binds one
/// parameter per id on SQLite, and such a statement is prepared anew every time). SQLite
/// reads the ids from a JSON array (`IN (SELECT value FROM json_each(?))`), Postgres binds
/// an array (`= ANY(?)`, what `eq_any` writes there too).
#[derive(Debug, Clone)]
pub struct IdIn<C> {
    column: C,
    ids: Vec<i64>,
    json: String,
}

/// `column IN (ids)`; see `IdIn`.
pub fn id_in<C>(column: C, ids: Vec<i64>) -> IdIn<C> {
    // A list of integers always serializes.
    let json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    IdIn { column, ids, json }
}

// The column may be nullable (a NULL is in no list: the row is not matched).
impl<C> diesel::expression::Expression for IdIn<C>
where
    C: diesel::expression::Expression,
{
    type SqlType = diesel::sql_types::Bool;
}

impl<C, QS> diesel::expression::AppearsOnTable<QS> for IdIn<C> where
    C: diesel::expression::AppearsOnTable<QS>
{
}

impl<C, QS> diesel::expression::SelectableExpression<QS> for IdIn<C> where
    C: diesel::expression::SelectableExpression<QS>
{
}

impl<C, G> diesel::expression::ValidGrouping<G> for IdIn<C>
where
    C: diesel::expression::ValidGrouping<G>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C> diesel::query_builder::QueryId for IdIn<C> {
    type QueryId = ();
    // Keyed by its SQL in the statement cache (the same for any number of ids).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C> IdIn<C> {
    /// The column, `open`, the one bound value, `close`.
    fn walk<'b, DB, ST, T>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
        (open, close): (&'static str, &'static str),
        value: &'b T,
    ) -> diesel::QueryResult<()>
    where
        DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<ST>,
        C: diesel::query_builder::QueryFragment<DB>,
        T: diesel::serialize::ToSql<ST, DB>,
    {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(open);
        out.push_bind_param::<ST, T>(value)?;
        out.push_sql(close);
        Ok(())
    }
}

impl<C> diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for IdIn<C>
where
    C: diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite>,
{
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> diesel::QueryResult<()> {
        self.walk::<_, diesel::sql_types::Text, _>(
            out,
            (" IN (SELECT value FROM json_each(", "))"),
            &self.json,
        )
    }
}

impl<C> diesel::query_builder::QueryFragment<diesel::pg::Pg> for IdIn<C>
where
    C: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(
        &'b self,
        out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.walk::<_, diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(
            out,
            (" = ANY(", ")"),
            &self.ids,
        )
    }
}

/// What a page computed from an org's rows, kept with the version of those rows it was
/// computed from (a counter the database bumps in the same transaction as every change,
/// by trigger). A reader reads the version first and then, only if it moved, the rows: a
/// change made through any instance shows on the next request of every instance. Reading
/// the version before the rows means an entry is never newer-versioned than its data (at
/// worst it is computed again once).
pub struct Versioned<K, V> {
    entries: std::sync::Mutex<std::collections::HashMap<K, (i64, std::sync::Arc<V>)>>,
    capacity: usize,
}

impl<K: std::hash::Hash + Eq, V> Versioned<K, V> {
    /// At most `capacity` entries; when full, all are dropped (they are rebuilt on demand).
    pub fn new(capacity: usize) -> Versioned<K, V> {
        Versioned {
            entries: Default::default(),
            capacity: capacity.max(1),
        }
    }

    /// The value kept for `key` at `version`, if any.
    pub fn get(&self, key: &K, version: i64) -> Option<std::sync::Arc<V>> {
        let m = self.entries.lock().ok()?;
        m.get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, value)| value.clone())
    }

    /// The value kept for `key` at `version`, or else `compute`'s, then kept.
    pub fn get_or<E>(
        &self,
        key: K,
        version: i64,
        compute: impl FnOnce() -> Result<V, E>,
    ) -> Result<std::sync::Arc<V>, E> {
        if let Some(value) = self.get(&key, version) {
            return Ok(value);
        }
        let value = std::sync::Arc::new(compute()?);
        if let Ok(mut m) = self.entries.lock() {
            match m.get(&key) {
                // A reader that began before a change may finish after one that began
                // after it: the newer entry stays.
                Some((kept, _)) if *kept > version => {}
                Some(_) => {
                    m.insert(key, (version, value.clone()));
                }
                None => {
                    if m.len() >= self.capacity {
                        m.clear();
                    }
                    m.insert(key, (version, value.clone()));
                }
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_days_parse_directly() {
        assert_eq!(
            parse_day("2026-02-28"),
            chrono::NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            parse_day("2024-02-29"),
            chrono::NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_day("2026-02-29"), None);
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("2026-1-01"), None);
        assert_eq!(parse_day("2026-01-0x"), None);
        assert_eq!(parse_day(""), None);
    }

    #[test]
    fn stamps_read_as_chrono_reads_them() {
        for text in [
            "2026-12-05 12:03:25",
            "2026-12-05 00:00:00.5",
            "2026-02-28 23:59:59.123456",
            "1999-01-01 01:02:03.123456789",
            "2024-02-29 10:00:00.000001",
        ] {
            let chrono = chrono::NaiveDateTime::parse_from_str(text, "%F %T%.f").ok();
            assert!(chrono.is_some(), "{text}");
            assert_eq!(parse_stamp(text), chrono, "{text}");
        }
        // Anything else is left to Diesel's own reading.
        for text in [
            "2026-12-05T12:03:25",
            "2026-12-05 12:03:25Z",
            "2026-12-05 12:03:25+09:00",
            "2026-12-05 12:03",
            "2026-12-05 12:03:25.",
            "2026-12-05 12:03:25.1234567890",
            "2026-13-05 12:03:25",
            "2025-02-29 12:03:25",
            "2026-12-05 24:00:00",
            "2026-12-05 12:03:60",
            "2026-12-0x 12:03:25",
            "+026-12-05 12:03:25",
            "2461000.5",
            "",
        ] {
            assert_eq!(parse_stamp(text), None, "{text}");
        }
    }

    #[test]
    fn url_schemes() {
        assert_eq!(
            DbUrl::parse("sqlite://./data/x.db"),
            Ok(DbUrl::Sqlite("./data/x.db".into()))
        );
        assert_eq!(
            DbUrl::parse("sqlite:x.db"),
            Ok(DbUrl::Sqlite("x.db".into()))
        );
        assert_eq!(
            DbUrl::parse("/tmp/x.db"),
            Ok(DbUrl::Sqlite("/tmp/x.db".into()))
        );
        assert!(matches!(
            DbUrl::parse("postgres://127.0.0.1/test"),
            Ok(DbUrl::Postgres(_))
        ));
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("").is_err());
    }

    /// Both backends must have the same migrations, by folder name.
    #[test]
    fn migration_folders_match() {
        let names = |dir: &str| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{root}/migrations/sqlite"));
        let pg = names(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, pg);
        for m in &sqlite {
            for f in ["up.sql", "down.sql"] {
                assert!(
                    std::path::Path::new(&format!("{root}/migrations/sqlite/{m}/{f}")).exists()
                );
                assert!(
                    std::path::Path::new(&format!("{root}/migrations/postgres/{m}/{f}")).exists()
                );
            }
        }
    }
}
