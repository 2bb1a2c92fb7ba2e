//! Server-side sessions and the lookups the request context needs (the tenant from its
//! domain, the signed-in account). The cookie carries only a random token; this table keeps
//! its SHA-256, so ending a session (logout, password change or reset, "end session",
//! removal of a member) deletes a row and the session ends in every app instance at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::{random_token, token_hash};
use crate::db::schema::{
    console_members as cm, org_members as om, organizations as o, sessions as s,
};
use crate::db::{DbConn, Stamp, on_backend};
use crate::error::AppError;

/// How often `last_seen_at` is written (each write is a database round trip).
const TOUCH_SECONDS: i64 = 60;

/// Where a session was signed in: the console, or one organization's workspace. A session
/// is only honoured in its own realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    Console,
    Workspace(i64),
}

impl Realm {
    fn name(self) -> &'static str {
        match self {
            Realm::Console => "console",
            Realm::Workspace(_) => "org",
        }
    }

    /// The realm of a request: the workspace of its tenant, else the console.
    pub fn of(tenant: Option<&Tenant>) -> Realm {
        tenant.map_or(Realm::Console, |t| Realm::Workspace(t.org_id))
    }

    fn org(self) -> Option<i64> {
        match self {
            Realm::Console => None,
            Realm::Workspace(org) => Some(org),
        }
    }
}

/// The organization a workspace request is for, from its `Host` header.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub org_id: i64,
    pub public_id: String,
    pub name: String,
    pub domain: String,
    /// The org's time zone (IANA name).
    pub timezone: String,
    /// The version of the org's services, contracts and service members, read with the
    /// tenant: what was computed from those rows is kept per version (`db::Versioned`).
    pub services_version: i64,
    /// The version of the people of the org's permission-change log (they are only added).
    pub people_version: i64,
}

impl Tenant {
    /// The org's time zone (UTC if the stored name is not one).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Tz::UTC)
    }
}

/// The signed-in account as the session and the database agree on it: a console member,
/// or a member of the request's organization.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub locale: String,
    /// Workspace members only.
    pub login_id: String,
    pub is_owner: bool,
    pub is_org_admin: bool,
    /// The server-side session this request belongs to.
    pub session_id: i64,
}

impl User {
    /// May use global management.
    pub fn is_admin(&self) -> bool {
        self.is_owner || self.is_org_admin
    }
}

/// A service shown as a tab in the workspace's top navigation.
#[derive(Debug, Clone)]
pub struct ServiceTab {
    pub service_id: String,
    pub name: String,
    pub kind: String,
    pub has_banner: bool,
    /// `active` or `suspended` (a terminated service has no tab).
    pub status: String,
    /// The member's role in the service (`admin` or `agent`), if they belong to it (the
    /// OWNER and org admins see every live service, member or not).
    pub role: Option<String>,
    /// The member's channel permissions in the service.
    pub phone: bool,
    pub chat: bool,
}

impl ServiceTab {
    /// The member is the service's admin.
    pub fn service_admin(&self) -> bool {
        self.role.as_deref() == Some("admin")
    }

    /// Shown when the service has no banner: its first two letters.
    pub fn initials(&self) -> String {
        self.name
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect()
    }
}

/// The services `user` may use, as tabs: every live service for the OWNER and org admins,
/// the services they belong to for everybody else; in the order they were added.
pub fn service_tabs(c: &mut DbConn, org: i64, user: &User) -> Result<Vec<ServiceTab>, AppError> {
    use crate::db::schema::{service_members as sm, services as sv};
    type Row = (
        String,
        String,
        String,
        bool,
        String,
        Option<bool>,
        Option<bool>,
        Option<String>,
    );
    // Two fixed statements rather than one boxed query, so both stay prepared (this runs
    // on every signed-in workspace page).
    let q = sv::table
        .left_join(
            sm::table.on(sm::service_ref
                .eq(sv::id)
                .and(sm::member_id.eq(user.id))
                .and(sm::org_id.eq(org))),
        )
        .filter(sv::org_id.eq(org))
        .filter(sv::status.ne("terminated"))
        .order(sv::id)
        .select((
            sv::service_id,
            sv::name,
            sv::kind,
            sv::banner_type.is_not_null(),
            sv::status,
            sm::phone.nullable(),
            sm::chat.nullable(),
            sm::role.nullable(),
        ));
    let rows: Vec<Row> = if user.is_admin() {
        on_backend!(c, |c| q.load(c))?
    } else {
        let q = q.filter(sm::id.nullable().is_not_null());
        on_backend!(c, |c| q.load(c))?
    };
    Ok(rows
        .into_iter()
        .map(
            |(service_id, name, kind, has_banner, status, phone, chat, role)| ServiceTab {
                service_id,
                name,
                kind,
                has_banner,
                status,
                phone: phone.unwrap_or(false),
                chat: chat.unwrap_or(false),
                role,
            },
        )
        .collect())
}

/// The enabled organization whose workspace domain is `$domain` (the statement both
/// `tenant_by_domain` and `tenant_by_domain_async` run).
macro_rules! tenant_query {
    ($domain:expr) => {
        o::table
            .filter(o::domain.eq($domain))
            .filter(o::oc_enabled.eq(true))
            .select((
                o::id,
                o::public_id,
                o::oc_name,
                o::domain,
                o::timezone,
                o::services_version,
                o::people_version,
            ))
    };
}

type TenantRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

fn tenant_of(
    (org_id, public_id, name, domain, timezone, services_version, people_version): TenantRow,
) -> Tenant {
    Tenant {
        org_id,
        public_id,
        name: name.unwrap_or_default(),
        domain: domain.unwrap_or_default(),
        timezone,
        services_version,
        people_version,
    }
}

/// The enabled organization whose workspace domain is `domain`.
pub fn tenant_by_domain(c: &mut DbConn, domain: &str) -> Result<Option<Tenant>, AppError> {
    let q = tenant_query!(domain);
    let row: Option<TenantRow> = on_backend!(c, |c| q.first(c)).optional()?;
    Ok(row.map(tenant_of))
}

/// The SQL `first` runs for `query` on Postgres (its one row), for a statement the request
/// reader prepares once (`db::Reader::query_opt`): the query's binds and then the limit are
/// its parameters, in that order.
fn pg_first_sql<Q>(query: Q) -> String
where
    Q: diesel::query_dsl::methods::LimitDsl,
    Q::Output: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    use diesel::query_builder::{QueryBuilder, QueryFragment};
    let q = query.limit(1);
    let mut out = diesel::pg::PgQueryBuilder::default();
    // Writing SQL into a string does not fail.
    let _ = QueryFragment::<diesel::pg::Pg>::to_sql(&q, &mut out, &diesel::pg::Pg);
    out.finish()
}

/// Column `i` of a row read on the request reader's plain client.
fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    i: usize,
) -> Result<T, AppError> {
    row.try_get(i)
        .map_err(|e| AppError::Internal(format!("column {i}: {e}")))
}

fn tenant_sql() -> String {
    pg_first_sql(tenant_query!(""))
}

/// `tenant_by_domain` on the request reader (`db::PgReads`), prepared once.
pub async fn tenant_by_domain_async(
    pg: &crate::db::Reader,
    domain: &str,
) -> Result<Option<Tenant>, AppError> {
    let row = pg
        .query_opt("tenant", tenant_sql, &[&domain, &true, &1_i64])
        .await
        .map_err(AppError::Internal)?;
    row.map(|r| {
        Ok(tenant_of((
            col(&r, 0)?,
            col(&r, 1)?,
            col(&r, 2)?,
            col(&r, 3)?,
            col(&r, 4)?,
            col(&r, 5)?,
            col(&r, 6)?,
        )))
    })
    .transpose()
}

/// Where and from what a session was started (shown in "my sessions").
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

/// Starts a session; returns its token (for the cookie only: the table keeps its hash).
pub fn create(
    c: &mut DbConn,
    realm: Realm,
    account_id: i64,
    client: &Client,
    now: NaiveDateTime,
    absolute: chrono::Duration,
) -> Result<String, AppError> {
    let token = random_token(32);
    let ua: String = client
        .user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    diesel::insert_into(s::table)
        .values((
            s::token_hash.eq(token_hash(&token)),
            s::realm.eq(realm.name()),
            s::org_id.eq(realm.org()),
            s::account_id.eq(account_id),
            s::created_at.eq(now),
            s::last_seen_at.eq(now),
            s::expires_at.eq(now + absolute),
            s::ip.eq(&client.ip),
            s::user_agent.eq(ua),
        ))
        .execute(c)?;
    Ok(token)
}

/// What reading a session leaves to write: nothing, a refreshed `last_seen_at`, or the
/// removal of a session that has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionWrite {
    Touch(i64),
    Delete(i64),
}

impl SessionWrite {
    /// Applies the write (at most once a minute per session, or once per ended session).
    pub fn apply(self, c: &mut DbConn, now: NaiveDateTime) -> Result<(), AppError> {
        match self {
            SessionWrite::Touch(sid) => touch(c, sid, now),
            SessionWrite::Delete(sid) => {
                diesel::delete(s::table.filter(s::id.eq(sid))).execute(c)?;
                Ok(())
            }
        }
    }
}

/// A console session with its account, by token hash (the statement of `read` and
/// `console_read_async` in the console).
macro_rules! console_session_query {
    ($hash:expr) => {
        s::table
            .inner_join(cm::table.on(cm::id.eq(s::account_id)))
            .filter(s::token_hash.eq($hash))
            .filter(s::realm.eq(Realm::Console.name()))
            .select((
                s::id,
                s::last_seen_at,
                s::expires_at,
                (cm::id, cm::name, cm::email, cm::locale),
            ))
    };
}

/// The workspace sessions (of any org) with their members, by token hash: the rows of
/// `workspace_session_query` before the org is known.
macro_rules! workspace_sessions_by_hash {
    ($hash:expr) => {
        s::table
            .inner_join(
                om::table.on(om::id
                    .eq(s::account_id)
                    .and(om::org_id.nullable().eq(s::org_id))),
            )
            .filter(s::token_hash.eq($hash))
            .filter(s::realm.eq(Realm::Workspace(0).name()))
    };
}

/// What a workspace session read selects after its org: the session and its member.
macro_rules! workspace_session_columns {
    () => {
        (
            s::id,
            s::last_seen_at,
            s::expires_at,
            (
                om::id,
                om::name,
                om::email,
                om::locale,
                om::login_id,
                om::is_owner,
                om::is_org_admin,
            ),
        )
    };
}

/// A workspace session of `$org` with its member, by token hash.
macro_rules! workspace_session_query {
    ($hash:expr, $org:expr) => {
        workspace_sessions_by_hash!($hash)
            .filter(s::org_id.eq($org))
            .select(workspace_session_columns!())
    };
}

// Its times read by `Stamp` (on SQLite without chrono's format parser: this runs on every
// signed-in request).
type ConsoleSessionRow = (i64, Stamp, Stamp, (i64, String, String, String));
type WorkspaceSessionRow = (i64, Stamp, Stamp, OrgUserRow);

/// A session row found: its id, last use, end, and account.
type Found = (i64, NaiveDateTime, NaiveDateTime, User);

fn console_found(
    (sid, Stamp(seen), Stamp(exp), (id, name, email, locale)): ConsoleSessionRow,
) -> Found {
    let user = User {
        id,
        name,
        email,
        locale,
        login_id: String::new(),
        is_owner: false,
        is_org_admin: false,
        session_id: sid,
    };
    (sid, seen, exp, user)
}

fn workspace_found((sid, Stamp(seen), Stamp(exp), r): WorkspaceSessionRow) -> Found {
    let user = User {
        id: r.0,
        name: r.1,
        email: r.2,
        locale: r.3,
        login_id: r.4,
        is_owner: r.5,
        is_org_admin: r.6,
        session_id: sid,
    };
    (sid, seen, exp, user)
}

/// What a read session means now: its account while live, and the write it leaves.
fn settle(
    found: Option<Found>,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> (Option<User>, Option<SessionWrite>) {
    let Some((sid, seen, expires, user)) = found else {
        return (None, None);
    };
    if expires <= now || now - seen > idle {
        return (None, Some(SessionWrite::Delete(sid)));
    }
    let write = ((now - seen).num_seconds() >= TOUCH_SECONDS).then_some(SessionWrite::Touch(sid));
    (Some(user), write)
}

/// A token no session can have (none is empty or that long): no statement for it.
fn impossible(token: &str) -> bool {
    token.is_empty() || token.len() > 100
}

/// The account of a live session of `realm`: the session must exist, be of this realm,
/// have been used within `idle` and not be past its absolute end. One statement reads the
/// session with its account. Reads only: the write it leaves — deleting an ended session,
/// refreshing `last_seen_at` at most once a minute — is the caller's to apply
/// (`SessionWrite::apply`), so the read can run where a write must not wait.
pub fn read(
    c: &mut DbConn,
    realm: Realm,
    token: &str,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> Result<(Option<User>, Option<SessionWrite>), AppError> {
    if impossible(token) {
        return Ok((None, None));
    }
    let hash = token_hash(token);
    let found = match realm {
        Realm::Console => {
            let q = console_session_query!(&hash);
            on_backend!(c, |c| q.first::<ConsoleSessionRow>(c))
                .optional()?
                .map(console_found)
        }
        Realm::Workspace(org) => {
            let q = workspace_session_query!(&hash, org);
            on_backend!(c, |c| q.first::<WorkspaceSessionRow>(c))
                .optional()?
                .map(workspace_found)
        }
    };
    Ok(settle(found, now, idle))
}

fn console_session_sql() -> String {
    pg_first_sql(console_session_query!(""))
}

fn workspace_session_sql() -> String {
    pg_first_sql(workspace_sessions_by_hash!("").select((s::org_id, workspace_session_columns!())))
}

/// A workspace session row read on the plain client: its org, then `WorkspaceSessionRow`.
fn workspace_row(r: &tokio_postgres::Row) -> Result<(Option<i64>, WorkspaceSessionRow), AppError> {
    Ok((
        col(r, 0)?,
        (
            col(r, 1)?,
            Stamp(col(r, 2)?),
            Stamp(col(r, 3)?),
            (
                col(r, 4)?,
                col(r, 5)?,
                col(r, 6)?,
                col(r, 7)?,
                col(r, 8)?,
                col(r, 9)?,
                col(r, 10)?,
            ),
        ),
    ))
}

/// `read` of a console session on the request reader (`db::PgReads`): the same statement,
/// prepared once on the reader's plain client (`db::Reader::query_opt`). A workspace
/// request's session is read with its tenant (`tenant_and_read_async`).
pub async fn console_read_async(
    pg: &crate::db::Reader,
    token: &str,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> Result<(Option<User>, Option<SessionWrite>), AppError> {
    if impossible(token) {
        return Ok((None, None));
    }
    let hash = token_hash(token);
    let found = pg
        .query_opt(
            "console session",
            console_session_sql,
            &[&hash, &Realm::Console.name(), &1_i64],
        )
        .await
        .map_err(AppError::Internal)?
        .map(|r| -> Result<Found, AppError> {
            Ok(console_found((
                col(&r, 0)?,
                Stamp(col(&r, 1)?),
                Stamp(col(&r, 2)?),
                (col(&r, 3)?, col(&r, 4)?, col(&r, 5)?, col(&r, 6)?),
            )))
        })
        .transpose()?;
    Ok(settle(found, now, idle))
}

/// The tenant of `domain` and the account of a live workspace session of it, on the request
/// reader (`db::PgReads`) in **one round trip**: the two statements, each prepared once on
/// the reader's plain client, are sent together (the client pipelines the queries that are
/// awaited together), the session's read without its org, which is checked here (a session
/// of another org, or of the console, is no session here: the same rule as `read`'s).
pub async fn tenant_and_read_async(
    pg: &crate::db::Reader,
    domain: &str,
    token: &str,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> Result<(Option<Tenant>, Option<User>, Option<SessionWrite>), AppError> {
    if impossible(token) {
        return Ok((tenant_by_domain_async(pg, domain).await?, None, None));
    }
    let hash = token_hash(token);
    let realm = Realm::Workspace(0).name();
    let session = async {
        pg.query_opt(
            "workspace session by hash",
            workspace_session_sql,
            &[&hash, &realm, &1_i64],
        )
        .await
        .map_err(AppError::Internal)?
        .map(|r| workspace_row(&r))
        .transpose()
    };
    let (tenant, session) =
        futures_util::future::try_join(tenant_by_domain_async(pg, domain), session).await?;
    let found = match (&tenant, session) {
        (Some(t), Some((org, row))) if org == Some(t.org_id) => Some(workspace_found(row)),
        _ => None,
    };
    let (user, write) = settle(found, now, idle);
    Ok((tenant, user, write))
}

type OrgUserRow = (i64, String, String, String, String, bool, bool);

/// Records that the session was used. Once a minute every parallel request of a session
/// gets here together; only one writes. On Postgres the others skip the locked row instead
/// of queueing behind it, and the write does not wait for its WAL flush (a last-seen time
/// lost in a crash costs nothing), which had made pages wait up to a second under load.
fn touch(c: &mut DbConn, sid: i64, now: NaiveDateTime) -> Result<(), AppError> {
    use diesel::sql_types::{BigInt, Timestamp};
    let stale = now - chrono::Duration::seconds(TOUCH_SECONDS);
    match c {
        DbConn::Pg(pg) => pg.transaction(|pg| {
            diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(pg)?;
            diesel::sql_query(
                "UPDATE sessions SET last_seen_at = $1 WHERE id = \
                 (SELECT id FROM sessions WHERE id = $2 AND last_seen_at <= $3 \
                  FOR UPDATE SKIP LOCKED)",
            )
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(sid)
            .bind::<Timestamp, _>(stale)
            .execute(pg)
        })?,
        // One writer at a time, and WAL commits do not flush: the plain conditional update.
        DbConn::Sqlite(_) => diesel::update(
            s::table
                .filter(s::id.eq(sid))
                .filter(s::last_seen_at.le(stale)),
        )
        .set(s::last_seen_at.eq(now))
        .execute(c)?,
    };
    Ok(())
}

/// One session as "my sessions" lists it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: String,
    pub user_agent: String,
}

type OfRealm = diesel::dsl::Filter<s::table, diesel::dsl::Eq<s::realm, &'static str>>;
type OfAccount = diesel::dsl::Filter<OfRealm, diesel::dsl::Eq<s::account_id, i64>>;

/// The sessions of one account of a realm.
fn of_account(realm: Realm, account_id: i64) -> OfAccount {
    s::table
        .filter(s::realm.eq(realm.name()))
        .filter(s::account_id.eq(account_id))
}

/// The account's live sessions, most recently used first.
pub fn list(
    c: &mut DbConn,
    realm: Realm,
    account_id: i64,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> Result<Vec<SessionInfo>, AppError> {
    let rows: Vec<(
        i64,
        Option<i64>,
        NaiveDateTime,
        NaiveDateTime,
        String,
        String,
    )> = of_account(realm, account_id)
        .filter(s::expires_at.gt(now))
        .filter(s::last_seen_at.gt(now - idle))
        .order((s::last_seen_at.desc(), s::id.desc()))
        .select((
            s::id,
            s::org_id,
            s::created_at,
            s::last_seen_at,
            s::ip,
            s::user_agent,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.1 == realm.org())
        .map(|r| SessionInfo {
            id: r.0,
            created_at: r.2,
            last_seen_at: r.3,
            ip: r.4,
            user_agent: r.5,
        })
        .collect())
}

/// Ends one session of the account (never another account's); false when there was none.
pub fn end(c: &mut DbConn, realm: Realm, account_id: i64, id: i64) -> Result<bool, AppError> {
    let n = diesel::delete(of_account(realm, account_id).filter(s::id.eq(id))).execute(c)?;
    Ok(n == 1)
}

/// Ends every session of the account but `keep` (None: all of them); returns how many.
pub fn end_all(
    c: &mut DbConn,
    realm: Realm,
    account_id: i64,
    keep: Option<i64>,
) -> Result<usize, AppError> {
    let n = match keep {
        Some(k) => diesel::delete(of_account(realm, account_id).filter(s::id.ne(k))).execute(c)?,
        None => diesel::delete(of_account(realm, account_id)).execute(c)?,
    };
    Ok(n)
}

/// Ends the session a cookie token names (logout).
pub fn end_by_token(c: &mut DbConn, token: &str) -> Result<(), AppError> {
    diesel::delete(s::table.filter(s::token_hash.eq(token_hash(token)))).execute(c)?;
    Ok(())
}

/// Deletes sessions past their idle or absolute end (housekeeping).
pub fn purge_expired(
    c: &mut DbConn,
    now: NaiveDateTime,
    idle: chrono::Duration,
) -> Result<usize, AppError> {
    Ok(
        diesel::delete(s::table.filter(s::expires_at.le(now).or(s::last_seen_at.le(now - idle))))
            .execute(c)?,
    )
}
