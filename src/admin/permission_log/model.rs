//! Writing and reading log rows. Names and login IDs are stored as they are at the time of
//! the change, so the log still reads right after a rename or a removal. Reading is by
//! keyset (newest first, `(at, id)` below a cursor), never by offset, so page 2,000 of a
//! million rows costs what page 1 does.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::permission_log_people as plp;
use crate::db::schema::permission_log_people_trigrams as plt;
use crate::db::schema::permission_logs as pl;
use crate::db::{DbConn, contains_pattern, id_in};
use crate::error::AppError;
use crate::i18n::{I18n, Lang};

pub const OWNER_CHANGED: &str = "owner-changed";
pub const ORG_ADMIN_GRANTED: &str = "org-admin-granted";
pub const ORG_ADMIN_REVOKED: &str = "org-admin-revoked";
pub const SERVICE_MEMBER_ADDED: &str = "service-member-added";
pub const SERVICE_MEMBER_CHANGED: &str = "service-member-changed";
pub const SERVICE_MEMBER_REMOVED: &str = "service-member-removed";
pub const INVITATION_SENT: &str = "invitation-sent";
pub const INVITATION_RESENT: &str = "invitation-resent";
pub const INVITATION_CANCELLED: &str = "invitation-cancelled";
pub const INVITATION_ACCEPTED: &str = "invitation-accepted";

/// Every action, in the order the search offers them.
pub const ACTIONS: [&str; 10] = [
    OWNER_CHANGED,
    ORG_ADMIN_GRANTED,
    ORG_ADMIN_REVOKED,
    SERVICE_MEMBER_ADDED,
    SERVICE_MEMBER_CHANGED,
    SERVICE_MEMBER_REMOVED,
    INVITATION_SENT,
    INVITATION_RESENT,
    INVITATION_CANCELLED,
    INVITATION_ACCEPTED,
];

/// The organization-level role of a member, as the log words it.
pub const ROLE_OWNER: &str = "owner";
pub const ROLE_ORG_ADMIN: &str = "org-admin";
pub const ROLE_MEMBER: &str = "member";
/// No role at all (before an addition, after a removal).
pub const NONE: &str = "none";
/// Invited, the link not used yet.
pub const INVITED: &str = "invited";

pub fn role(is_owner: bool, is_org_admin: bool) -> &'static str {
    if is_owner {
        ROLE_OWNER
    } else if is_org_admin {
        ROLE_ORG_ADMIN
    } else {
        ROLE_MEMBER
    }
}

/// A service role with its channel permissions, as stored: `agent`, `admin+phone`,
/// `agent+phone+chat`.
pub fn service_value(role: &str, phone: bool, chat: bool) -> String {
    let mut v = role.to_string();
    if phone {
        v.push_str("+phone");
    }
    if chat {
        v.push_str("+chat");
    }
    v
}

/// A stored before/after value in readable words of `lang`: "agent · phone, chat",
/// "org admin", "—" for nothing. Unknown codes are shown as they are.
pub fn readable(i18n: &I18n, lang: Lang, value: &str) -> String {
    let mut parts = value.split('+');
    let head = parts.next().unwrap_or_default();
    let known = [
        NONE,
        INVITED,
        ROLE_MEMBER,
        ROLE_ORG_ADMIN,
        ROLE_OWNER,
        "admin",
        "agent",
    ];
    let role = if known.contains(&head) {
        i18n.t(lang, &format!("perm-value-{head}"))
    } else {
        head.to_string()
    };
    let channels: Vec<String> = parts
        .map(|p| match p {
            "phone" | "chat" => i18n.t(lang, &format!("perm-channel-{p}")),
            other => other.to_string(),
        })
        .collect();
    if channels.is_empty() {
        role
    } else {
        format!("{role} · {}", channels.join(", "))
    }
}

/// Who acted or was acted on, as shown at the time.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    /// The login ID of an org member, the email of a console member.
    pub login: String,
}

impl Person {
    /// A signed-in org member as the log names them (name and login ID).
    pub fn member(u: &crate::web::User) -> Person {
        Person {
            name: u.name.clone(),
            login: u.login_id.clone(),
        }
    }
}

/// One change.
pub struct Entry<'a> {
    pub org_id: i64,
    pub action: &'static str,
    pub service_ref: Option<i64>,
    pub actor: &'a Person,
    pub target: &'a Person,
    pub before: &'a str,
    pub after: &'a str,
    pub ip: &'a str,
}

/// What the name filter reads: the actor's and the target's names and login IDs,
/// lowercased, separated by a control character no search text can contain.
pub fn search_text(actor: &Person, target: &Person) -> String {
    [&actor.name, &actor.login, &target.name, &target.login]
        .map(|s| s.to_lowercase())
        .join("\u{1f}")
}

/// How a person is found by the name filter: lowercased name and login ID, separated like
/// `search_text`.
fn person_key(p: &Person) -> String {
    format!("{}\u{1f}{}", p.name.to_lowercase(), p.login.to_lowercase())
}

/// The id of `p` among the people the org's log names, added the first time. Safe when two
/// transactions name a new person at once (the insert yields to the other's row).
pub fn person_ref(c: &mut DbConn, org: i64, p: &Person) -> QueryResult<i64> {
    let key = person_key(p);
    let find = |c: &mut DbConn| {
        plp::table
            .filter(plp::org_id.eq(org))
            .filter(plp::search_text.eq(&key))
            .select(plp::id)
            .first::<i64>(c)
            .optional()
    };
    if let Some(id) = find(c)? {
        return Ok(id);
    }
    let insert =
        diesel::insert_into(plp::table).values((plp::org_id.eq(org), plp::search_text.eq(&key)));
    // `ON CONFLICT` is per backend (the multi-backend type has none).
    match c {
        DbConn::Pg(pg) => insert.on_conflict_do_nothing().execute(pg)?,
        DbConn::Sqlite(s) => insert.on_conflict_do_nothing().execute(s)?,
    };
    find(c)?.ok_or(diesel::result::Error::NotFound)
}

/// Appends a row; call it inside the transaction of the change it records.
pub fn record(c: &mut DbConn, e: &Entry<'_>, now: NaiveDateTime) -> QueryResult<()> {
    let actor_ref = person_ref(c, e.org_id, e.actor)?;
    let target_ref = person_ref(c, e.org_id, e.target)?;
    diesel::insert_into(pl::table)
        .values((
            pl::org_id.eq(e.org_id),
            pl::at.eq(now),
            pl::action.eq(e.action),
            pl::service_ref.eq(e.service_ref),
            pl::actor_name.eq(&e.actor.name),
            pl::actor_login.eq(&e.actor.login),
            pl::target_name.eq(&e.target.name),
            pl::target_login.eq(&e.target.login),
            pl::before_value.eq(e.before),
            pl::after_value.eq(e.after),
            pl::ip.eq(e.ip),
            pl::search_text.eq(search_text(e.actor, e.target)),
            pl::actor_ref.eq(actor_ref),
            pl::target_ref.eq(target_ref),
        ))
        .execute(c)?;
    Ok(())
}

/// Who makes a change, from where, when: what every log row of the change shares.
pub struct By<'a> {
    pub actor: &'a Person,
    pub ip: &'a str,
    pub now: NaiveDateTime,
}

impl By<'_> {
    /// Appends the row of one change to `target` (`service_ref` None: the organization);
    /// call it inside the change's transaction.
    pub fn log(
        &self,
        c: &mut DbConn,
        org_id: i64,
        action: &'static str,
        service_ref: Option<i64>,
        target: &Person,
        (before, after): (&str, &str),
    ) -> QueryResult<()> {
        record(
            c,
            &Entry {
                org_id,
                action,
                service_ref,
                actor: self.actor,
                target,
                before,
                after,
                ip: self.ip,
            },
            self.now,
        )
    }
}

/// Runs `f` on the blocking pool with the `By` of a change `user` makes from the request's
/// address, now: the way every handler that changes rights calls its model.
pub async fn acting<T, F>(
    ctx: &crate::web::Ctx,
    user: &crate::web::User,
    f: F,
) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &By<'_>) -> Result<T, AppError> + Send + 'static,
{
    let (actor, ip) = (Person::member(user), ctx.ip());
    ctx.state
        .db(move |c| {
            let by = By {
                actor: &actor,
                ip: &ip,
                now: chrono::Utc::now().naive_utc(),
            };
            f(c, &by)
        })
        .await
}

/// What the search asks for. Times are UTC.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub action: Option<&'static str>,
    /// Contained in the actor's or the target's name or login ID (any case).
    pub name: Option<String>,
    pub service_ref: Option<i64>,
}

/// Where a page ends: the `(at, id)` of its last row. Written in links as
/// `{unix nanoseconds}.{id}` (SQLite keeps the nanoseconds it was given; a cursor that
/// dropped them would not equal its own row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: NaiveDateTime,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let ns = self.at.and_utc().timestamp_nanos_opt().unwrap_or(i64::MAX);
        format!("{ns}.{}", self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (at, id) = s.split_once('.')?;
        let at = chrono::DateTime::from_timestamp_nanos(at.parse().ok()?).naive_utc();
        let id = id.parse().ok()?;
        Some(Cursor { at, id })
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct LogRow {
    pub id: i64,
    #[diesel(deserialize_as = crate::db::Stamp)]
    pub at: NaiveDateTime,
    pub action: String,
    pub service_ref: Option<i64>,
    pub actor_name: String,
    pub actor_login: String,
    pub target_name: String,
    pub target_login: String,
    pub before: String,
    pub after: String,
    pub ip: String,
}

/// A name that matches more people than this is searched by scanning the range instead:
/// so many people match that 50 rows are found near the range's end anyway.
const PEOPLE_MAX: i64 = 100;

/// The columns of a `LogRow`.
macro_rules! log_columns {
    () => {
        (
            pl::id,
            pl::at,
            pl::action,
            pl::service_ref,
            pl::actor_name,
            pl::actor_login,
            pl::target_name,
            pl::target_login,
            pl::before_value,
            pl::after_value,
            pl::ip,
        )
    };
}

/// The query of `search` for one backend (the multi-backend type has no `UNION`). By
/// `Way::People`, the rows are those whose actor or target is one of them, in two statements:
/// the `(at, id)` of every such row in range, read from the `(org_id, actor_ref, at, id)`
/// and `(org_id, target_ref, at, id)` indexes alone (a shape both planners answer from
/// those indexes even without statistics), the newest `limit` of them picked here, then
/// those rows by id. As one statement (`id IN (union)` ordered and limited) the database
/// fetched and sorted every matching row in range, whole, to return 50 of them: twice the
/// time on a million-row log, measured with the bench's `?name=member12`.
macro_rules! search_on {
    ($load:ident, $conn:expr, $db:ty, $search:expr, $way:expr, $keys_max:expr) => {{
        let s: &Search<'_> = $search;
        let (org, f, after, limit) = (s.org, s.filter, s.after, s.limit);
        let keys_max: Option<i64> = $keys_max;
        // The org, the range, the cursor, the action and the service: on the rows
        // themselves, or (by people) on the two key lists.
        macro_rules! scoped {
            ($q:expr) => {{
                let mut q = $q.filter(pl::org_id.eq(org));
                if let Some(a) = f.action {
                    q = q.filter(pl::action.eq(a));
                }
                if let Some(s) = f.service_ref {
                    q = q.filter(pl::service_ref.eq(s));
                }
                if let Some(from) = f.from {
                    q = q.filter(pl::at.ge(from));
                }
                if let Some(to) = f.to {
                    q = q.filter(pl::at.le(to));
                }
                if let Some(k) = after {
                    q = q
                        .filter(pl::at.le(k.at))
                        .filter(pl::at.lt(k.at).or(pl::at.eq(k.at).and(pl::id.lt(k.id))));
                }
                q
            }};
        }
        let pattern = match $way {
            Way::Nobody => return Ok(Some(Vec::new())),
            Way::Range => None,
            Way::Pattern(p) => Some(p),
            Way::People(ids) => {
                let by_actor = scoped!(
                    pl::table
                        .filter(id_in(pl::actor_ref, ids.clone()))
                        .select((pl::at, pl::id))
                        .into_boxed::<$db>()
                );
                let by_target = scoped!(
                    pl::table
                        .filter(id_in(pl::target_ref, ids))
                        .select((pl::at, pl::id))
                        .into_boxed::<$db>()
                );
                let keys = $load!(
                    $conn,
                    by_actor
                        .union_all(by_target)
                        .limit(keys_max.map_or(i64::MAX, |m| m + 1)),
                    (crate::db::Stamp, i64)
                );
                if keys_max.is_some_and(|m| keys.len() as i64 > m) {
                    return Ok(None);
                }
                let ids = newest(keys, limit);
                if ids.is_empty() {
                    return Ok(Some(Vec::new()));
                }
                // By id only: `org_id + 0` (still checked, the ids are the org's anyway) keeps
                // SQLite, without statistics, from walking the org's rows by an `org_id` index
                // rather than fetching the few ids (96 ms instead of µs).
                let mut rows = $load!(
                    $conn,
                    pl::table
                        .filter((pl::org_id + 0_i64).eq(org))
                        .filter(id_in(pl::id, ids))
                        .select(log_columns!()),
                    LogRow
                );
                rows.sort_unstable_by_key(|r| std::cmp::Reverse((r.at, r.id)));
                return Ok(Some(rows));
            }
        };
        // Bounded: the newest rows of the range by `(org_id, at, id)`. With a filter on the
        // rows, as many rows may be read as the range holds.
        if keys_max.is_some()
            && (pattern.is_some() || f.action.is_some() || f.service_ref.is_some())
        {
            return Ok(None);
        }
        let mut q = scoped!(pl::table.into_boxed::<$db>());
        if let Some(p) = pattern {
            q = q.filter(pl::search_text.like(p).escape('\\'));
        }
        Ok(Some($load!(
            $conn,
            q.order((pl::at.desc(), pl::id.desc()))
                .limit(limit)
                .select(log_columns!()),
            LogRow
        )))
    }};
}

/// Runs a query of `search_on!` on a connection of Diesel's.
macro_rules! load_sync {
    ($conn:expr, $q:expr, $t:ty) => {
        $q.load::<$t>($conn)?
    };
}

/// Runs a query of `search_on!` on the request reader connection (`db::PgReads`).
macro_rules! load_async {
    ($conn:expr, $q:expr, $t:ty) => {
        diesel_async::RunQueryDsl::load::<$t>($q, &mut &*$conn).await?
    };
}

/// The ids of the newest `limit` of `keys` (`(at, id)`, in any order; a row whose actor and
/// target both matched comes twice and counts once), newest first.
fn newest(mut keys: Vec<(crate::db::Stamp, i64)>, limit: i64) -> Vec<i64> {
    keys.sort_unstable_by_key(|k| std::cmp::Reverse((k.0.0, k.1)));
    keys.dedup_by_key(|k| k.1);
    keys.truncate(usize::try_from(limit).unwrap_or(0));
    keys.into_iter().map(|k| k.1).collect()
}

diesel::infix_operator!(FtsMatch, " MATCH ", backend: diesel::sqlite::Sqlite);

/// The org's people whose text contains `needle` (lowercased; `pattern` is its
/// `contains_pattern`): at most `PEOPLE_MAX + 1` of them.
fn matching_people(c: &mut DbConn, org: i64, needle: &str, pattern: &str) -> QueryResult<Vec<i64>> {
    use diesel::IntoSql;
    use diesel::sql_types::Text;
    match c {
        // On SQLite a text of 3 or more characters is looked up in the trigram index
        // (migration 17) as a phrase. `org_id + 0` keeps SQLite from walking all the org's
        // people by the (org_id, search_text) index rather than fetching the few the
        // trigram index found; LIKE checks each of them (the index folds case its own way).
        DbConn::Sqlite(s) if needle.chars().count() >= 3 => {
            let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
            let found = plt::table
                .filter(FtsMatch::new(plt::search_text, phrase.into_sql::<Text>()))
                .select(plt::rowid);
            plp::table
                .filter((plp::org_id + 0_i64).eq(org))
                .filter(plp::id.eq_any(found))
                .filter(plp::search_text.like(pattern).escape('\\'))
                .select(plp::id)
                .limit(PEOPLE_MAX + 1)
                .load(s)
        }
        // Postgres answers the same LIKE from its pg_trgm index when that pays.
        _ => plp::table
            .filter(plp::org_id.eq(org))
            .filter(plp::search_text.like(pattern).escape('\\'))
            .select(plp::id)
            .limit(PEOPLE_MAX + 1)
            .load(c),
    }
}

/// The people a name matched, kept per (org, lowercased name) and the version of the org's
/// people (`Tenant::people_version`).
#[derive(Clone)]
pub struct KeptPeople {
    pub kept: std::sync::Arc<crate::db::Versioned<(i64, String), Vec<i64>>>,
    pub version: i64,
}

/// What one page (or export chunk) of the search asks for: up to `limit` rows of `org`
/// matching `filter`, newest first, after `after`; `people` keeps what names matched.
pub struct Search<'a> {
    pub org: i64,
    pub filter: &'a Filter,
    pub after: Option<Cursor>,
    pub limit: i64,
    pub people: &'a KeptPeople,
}

/// How the rows are found.
enum Way {
    /// The name matched nobody.
    Nobody,
    /// Through the `(at, id)` keys of the people the name matched.
    People(Vec<i64>),
    /// By the name's pattern on the rows (it matched more than `PEOPLE_MAX` people).
    Pattern(String),
    /// No name: the range alone.
    Range,
}

impl Way {
    /// The way for a name (lowercased) that matched `ids`.
    fn by_name(needle: &str, ids: &[i64]) -> Way {
        if ids.is_empty() {
            Way::Nobody
        } else if ids.len() as i64 > PEOPLE_MAX {
            Way::Pattern(contains_pattern(needle))
        } else {
            Way::People(ids.to_vec())
        }
    }
}

impl Search<'_> {
    /// The way to the rows without a lookup: None when the name's people are not kept yet.
    fn kept_way(&self) -> Option<Way> {
        let Some(name) = &self.filter.name else {
            return Some(Way::Range);
        };
        let needle = name.to_lowercase();
        let ids = self
            .people
            .kept
            .get(&(self.org, needle.clone()), self.people.version)?;
        Some(Way::by_name(&needle, &ids))
    }
}

/// The rows `s` asks for. A name is first looked up among the org's people (a few thousand
/// short strings), or found among the people kept for it while no one was added.
pub fn search(c: &mut DbConn, s: &Search<'_>) -> QueryResult<Vec<LogRow>> {
    let way = match &s.filter.name {
        None => Way::Range,
        Some(name) => {
            let needle = name.to_lowercase();
            let pattern = contains_pattern(&needle);
            let ids = s
                .people
                .kept
                .get_or((s.org, needle.clone()), s.people.version, || {
                    matching_people(c, s.org, &needle, &pattern)
                })?;
            Way::by_name(&needle, &ids)
        }
    };
    Ok(search_by(c, s, way, None)?.unwrap_or_default())
}

/// The most `(at, id)` keys of matched people a short search reads.
const SHORT_KEYS: i64 = 1000;

/// `search` if it is known to read little, fit for a request's own thread: None (nothing
/// read, or at most `SHORT_KEYS` keys) when it could read long: a name whose people are not
/// kept yet, more than `SHORT_KEYS` rows of them in range, or a filter checked on the rows
/// themselves (an action, a service, a name matching too many people), which may read
/// the whole range to find 50.
pub fn search_short(c: &mut DbConn, s: &Search<'_>) -> QueryResult<Option<Vec<LogRow>>> {
    match s.kept_way() {
        Some(way) => search_by(c, s, way, Some(SHORT_KEYS)),
        None => Ok(None),
    }
}

/// `search_short` on Postgres on the request reader connection (`db::PgReads`): the same
/// statements, without the trip to the blocking pool. Only for searches known to read
/// little, like the request's context: the connection is shared by every request.
pub async fn search_short_async(
    pg: &crate::db::AsyncPgConnection,
    s: &Search<'_>,
) -> QueryResult<Option<Vec<LogRow>>> {
    match s.kept_way() {
        Some(way) => search_on!(load_async, pg, diesel::pg::Pg, s, way, Some(SHORT_KEYS)),
        None => Ok(None),
    }
}

/// The rows of `s` found `way` on either backend's own connection, reading at most
/// `keys_max` keys of matched people (None past it).
fn search_by(
    c: &mut DbConn,
    s: &Search<'_>,
    way: Way,
    keys_max: Option<i64>,
) -> QueryResult<Option<Vec<LogRow>>> {
    match c {
        DbConn::Sqlite(sq) => search_on!(load_sync, sq, diesel::sqlite::Sqlite, s, way, keys_max),
        DbConn::Pg(pg) => search_on!(load_sync, pg, diesel::pg::Pg, s, way, keys_max),
    }
}

/// Adds `n` generated rows to `org` over the last three years (demo data for the bench),
/// in transactions of a few thousand rows.
pub fn seed(c: &mut DbConn, org: i64, n: usize, now: NaiveDateTime) -> QueryResult<()> {
    const BATCH: usize = 2000;
    let span = 3 * 365 * 24 * 3600_i64;
    let actor = |i: usize| Person {
        name: format!("Actor {}", i % 97),
        login: format!("actor{}", i % 97),
    };
    let target = |i: usize| Person {
        name: format!("Member {}", i % 1009),
        login: format!("member{}", i % 1009),
    };
    let actor_refs = (0..97)
        .map(|i| person_ref(c, org, &actor(i)))
        .collect::<QueryResult<Vec<i64>>>()?;
    let target_refs = (0..1009)
        .map(|i| person_ref(c, org, &target(i)))
        .collect::<QueryResult<Vec<i64>>>()?;
    let mut done = 0;
    while done < n {
        let end = (done + BATCH).min(n);
        c.transaction(|c| {
            let rows: Vec<_> = (done..end)
                .map(|i| {
                    // Oldest first, evenly spread, so ids and times rise together.
                    let back = span - (span * i as i64) / n.max(1) as i64;
                    let at = now - chrono::Duration::seconds(back);
                    let action = ACTIONS[i % ACTIONS.len()];
                    let (actor, target) = (actor(i), target(i));
                    (
                        pl::org_id.eq(org),
                        pl::at.eq(at),
                        pl::action.eq(action),
                        pl::service_ref.eq(None::<i64>),
                        pl::search_text.eq(search_text(&actor, &target)),
                        pl::actor_ref.eq(actor_refs[i % 97]),
                        pl::target_ref.eq(target_refs[i % 1009]),
                        pl::actor_name.eq(actor.name),
                        pl::actor_login.eq(actor.login),
                        pl::target_name.eq(target.name),
                        pl::target_login.eq(target.login),
                        pl::before_value.eq("agent+phone"),
                        pl::after_value.eq("admin+phone+chat"),
                        pl::ip.eq("192.0.2.1"),
                    )
                })
                .collect();
            // Postgres allows 65,535 bound parameters a statement: 14 a row.
            for chunk in rows.chunks(500) {
                let insert = diesel::insert_into(pl::table).values(chunk.to_vec());
                // Multi-row inserts are per backend (the multi-backend type has none).
                match c {
                    DbConn::Pg(pg) => insert.execute(pg)?,
                    DbConn::Sqlite(s) => insert.execute(s)?,
                };
            }
            QueryResult::Ok(())
        })?;
        done = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let at = chrono::DateTime::from_timestamp_nanos(1_765_000_000_123_456_789).naive_utc();
        let k = Cursor { at, id: 42 };
        assert_eq!(Cursor::decode(&k.encode()), Some(k));
        assert_eq!(Cursor::decode("x.1"), None);
        assert_eq!(Cursor::decode("12"), None);
        assert_eq!(Cursor::decode(""), None);
    }

    #[test]
    fn service_values_and_words() {
        assert_eq!(service_value("agent", true, false), "agent+phone");
        assert_eq!(service_value("admin", true, true), "admin+phone+chat");
        assert_eq!(service_value("agent", false, false), "agent");
        let i18n = I18n::load().unwrap();
        assert_eq!(
            readable(&i18n, Lang::En, "agent+phone"),
            "Agent · Phone".to_string()
        );
        assert_eq!(
            readable(&i18n, Lang::En, "admin+phone+chat"),
            "Admin · Phone, Chat".to_string()
        );
        assert_eq!(readable(&i18n, Lang::En, "weird"), "weird");
    }
}
