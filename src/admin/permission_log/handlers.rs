//! `/admin/permission-logs`: search by date-time range (the org's time zone; default the
//! last 7 days), action, name and service, newest first, 50 a page by keyset (`after=`);
//! and the exports of the current filter as CSV and xlsx, both streamed page by page.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::model::{self, ACTIONS, Cursor, Filter, LogRow};
use crate::AppState;
use crate::admin::Tabs;
use crate::admin::contracts::model::Service;
use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use crate::routes::Urls;
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Choice, OrgAdmin, PageCtx, attachment, ok, unprocessable};

/// Rows a page shows.
pub const PAGE: i64 = 50;
/// Rows read from the database at a time by the exports.
const EXPORT_CHUNK: i64 = 2000;
/// Longest name filter.
const NAME_MAX: usize = 100;
/// The `datetime-local` format of the range inputs.
const INPUT_FORMAT: &str = "%Y-%m-%dT%H:%M";

#[derive(serde::Deserialize, serde::Serialize, Default, Clone, Debug)]
#[serde(default)]
pub struct LogQuery {
    /// Absent: 7 days ago; empty: no lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    pub action: String,
    pub name: String,
    pub service: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub after: String,
}

/// One row as the page and the exports show it.
pub struct Shown {
    pub id: i64,
    pub at: String,
    pub action: Arc<str>,
    pub service: Arc<str>,
    pub actor_name: String,
    pub actor_login: String,
    pub target_name: String,
    pub target_login: String,
    pub before: Arc<str>,
    pub after: Arc<str>,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/permission_logs.html")]
pub struct LogPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub q: LogQuery,
    pub from: String,
    pub actions: Vec<Choice>,
    pub services: Vec<Choice>,
    pub rows: Vec<Shown>,
    /// The link to the next page, if there is one.
    pub next: Option<String>,
    /// Whether this is a later page (offer the first one).
    pub paged: bool,
    pub errors: FieldErrors,
    pub timezone: String,
    pub csv: String,
    pub xlsx: String,
}

impl LogPage {
    /// The filter of this page without its cursor (the first page).
    pub fn first_query(&self) -> String {
        query_string(&LogQuery {
            from: Some(self.from.clone()),
            after: String::new(),
            ..self.q.clone()
        })
    }
}

/// A filter read from the query, in the org's time zone.
struct Parsed {
    filter: Filter,
    after: Option<Cursor>,
    /// The `from` input's value (the default filled in).
    from: String,
}

fn local_to_utc(tz: Tz, s: &str) -> Option<NaiveDateTime> {
    let local = NaiveDateTime::parse_from_str(s.trim(), INPUT_FORMAT).ok()?;
    // A time skipped by a DST change reads as the instant after the gap.
    let t = tz.from_local_datetime(&local).earliest().or_else(|| {
        tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
    })?;
    Some(t.naive_utc())
}

fn parse(
    q: &LogQuery,
    tz: Tz,
    services: &[Service],
    now: NaiveDateTime,
    v: &mut Validation,
) -> Parsed {
    let from = q.from.clone().unwrap_or_else(|| {
        tz.from_utc_datetime(&(now - chrono::Duration::days(7)))
            .format(INPUT_FORMAT)
            .to_string()
    });
    let mut f = Filter::default();
    if !from.trim().is_empty() {
        match local_to_utc(tz, &from) {
            Some(t) => f.from = Some(t),
            None => v.add("from", Msg::new("log-datetime-invalid")),
        }
    }
    if !q.to.trim().is_empty() {
        match local_to_utc(tz, &q.to) {
            // The whole minute named is included.
            Some(t) => f.to = Some(t + chrono::Duration::microseconds(59_999_999)),
            None => v.add("to", Msg::new("log-datetime-invalid")),
        }
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a > b
    {
        v.add("to", Msg::new("log-range-reversed"));
    }
    if !q.action.is_empty() {
        match ACTIONS.iter().find(|a| **a == q.action) {
            Some(a) => f.action = Some(a),
            None => v.add("action", Msg::new("log-action-invalid")),
        }
    }
    let name = q.name.trim();
    if name.chars().count() > NAME_MAX {
        v.add(
            "name",
            Msg::with("field-too-long", &[("max", NAME_MAX.to_string())]),
        );
    } else if !name.is_empty() {
        f.name = Some(name.to_string());
    }
    if !q.service.is_empty() {
        match services
            .iter()
            .find(|s| s.service_id.eq_ignore_ascii_case(&q.service))
        {
            Some(s) => f.service_ref = Some(s.id),
            None => v.add("service", Msg::new("log-service-invalid")),
        }
    }
    let after = if q.after.is_empty() {
        None
    } else {
        let k = Cursor::decode(&q.after);
        if k.is_none() {
            v.add("after", Msg::new("log-cursor-invalid"));
        }
        k
    };
    Parsed {
        filter: f,
        after,
        from,
    }
}

/// The words of services, actions and before/after values, each formatted once per page or
/// chunk (a page of 50 rows has a handful of distinct values) and shared by the rows that
/// show them. Looked up by a linear search: no key is built or hashed for a row.
#[derive(Default)]
struct Words {
    services: Vec<(Option<i64>, Arc<str>)>,
    actions: Vec<(String, Arc<str>)>,
    values: Vec<(String, Arc<str>)>,
}

fn word<K: PartialEq<Q>, Q: ?Sized>(
    kept: &mut Vec<(K, Arc<str>)>,
    key: &Q,
    own: impl FnOnce() -> K,
    make: impl FnOnce() -> String,
) -> Arc<str> {
    if let Some((_, w)) = kept.iter().find(|(k, _)| k == key) {
        return w.clone();
    }
    let w: Arc<str> = make().into();
    kept.push((own(), w.clone()));
    w
}

/// `YYYY-MM-DD HH:MM:SS`, written directly (chrono parses its format string on every call:
/// 3 % of this page's CPU with 50 rows, measured with perf).
fn local_time(t: chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    // `n`'s last `width` decimal digits, zero-padded.
    fn digits(s: &mut String, n: u32, width: u32) {
        for place in (0..width).rev() {
            s.push(char::from_digit((n / 10_u32.pow(place)) % 10, 10).unwrap_or('0'));
        }
    }
    let mut s = String::with_capacity(19);
    digits(&mut s, u32::try_from(t.year()).unwrap_or(0), 4);
    for (sep, n) in [
        ('-', t.month()),
        ('-', t.day()),
        (' ', t.hour()),
        (':', t.minute()),
        (':', t.second()),
    ] {
        s.push(sep);
        digits(&mut s, n, 2);
    }
    s
}

/// Shows a row in `lang` and the org's time zone.
fn show(
    r: LogRow,
    tz: Tz,
    services: &[Service],
    i18n: &I18n,
    lang: Lang,
    words: &mut Words,
) -> Shown {
    let service = word(
        &mut words.services,
        &r.service_ref,
        || r.service_ref,
        || match r.service_ref {
            None => i18n.t(lang, "log-scope-org"),
            Some(id) => services
                .iter()
                .find(|s| s.id == id)
                .map(|s| format!("{} ({})", s.name, s.service_id))
                .unwrap_or_else(|| "—".into()),
        },
    );
    let action = word(
        &mut words.actions,
        r.action.as_str(),
        || r.action.clone(),
        || i18n.t(lang, &format!("log-action-{}", r.action)),
    );
    let before = word(
        &mut words.values,
        r.before.as_str(),
        || r.before.clone(),
        || model::readable(i18n, lang, &r.before),
    );
    let after = word(
        &mut words.values,
        r.after.as_str(),
        || r.after.clone(),
        || model::readable(i18n, lang, &r.after),
    );
    Shown {
        id: r.id,
        at: local_time(tz.from_utc_datetime(&r.at).naive_local()),
        action,
        service,
        actor_name: r.actor_name,
        actor_login: r.actor_login,
        target_name: r.target_name,
        target_login: r.target_login,
        before,
        after,
        ip: r.ip,
    }
}

/// The people a name matched, kept per the version of the org's people (read with the
/// tenant).
fn kept_people(ctx: &OrgAdmin) -> model::KeptPeople {
    model::KeptPeople {
        kept: ctx.state.log_people.clone(),
        version: ctx.tenant.people_version,
    }
}

/// The org's time zone (read with the tenant) and services (for the picker and the names in
/// rows; kept per version of the org's services).
async fn org_context(ctx: &OrgAdmin) -> Result<(Tz, Arc<Vec<Service>>), AppError> {
    let services = crate::admin::contracts::handlers::kept_services(ctx).await?;
    Ok((ctx.tenant.tz(), services))
}

fn query_string(q: &LogQuery) -> String {
    serde_urlencoded::to_string(q).unwrap_or_default()
}

/// The rows of a page. When the search is known to read little: on SQLite on this thread,
/// on Postgres on the request reader connection (the hop to the blocking pool and back
/// costs about as much as such a search; a reader that fails is dropped and the pool
/// answers). When it may read long (a name and action over a long range may read many
/// rows): on the blocking pool.
async fn rows(
    ctx: &OrgAdmin,
    filter: Filter,
    after: Option<Cursor>,
    people: model::KeptPeople,
) -> Result<Vec<LogRow>, AppError> {
    // A page's search: its rows and one more (whether there is a next page).
    fn page_search<'a>(
        org: i64,
        filter: &'a Filter,
        after: Option<Cursor>,
        people: &'a model::KeptPeople,
    ) -> model::Search<'a> {
        model::Search {
            org,
            filter,
            after,
            limit: PAGE + 1,
            people,
        }
    }
    let org = ctx.org_id();
    let search = page_search(org, &filter, after, &people);
    let short = if ctx.state.pg_reads.is_some() {
        ctx.state
            .on_reader(async |pg| Ok(model::search_short_async(pg.diesel(), &search).await?))
            .await?
            .flatten()
    } else {
        ctx.state
            .db_inline(|c| Ok(model::search_short(c, &search)?))
            .ok()
            .transpose()?
            .flatten()
    };
    if let Some(rows) = short {
        return Ok(rows);
    }
    ctx.state
        .db(move |c| {
            Ok(model::search(
                c,
                &page_search(org, &filter, after, &people),
            )?)
        })
        .await
}

pub async fn page(ctx: OrgAdmin, q: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let now = chrono::Utc::now().naive_utc();
    // The org's time zone and services come without a statement (see `org_context`).
    let (tz, services) = org_context(&ctx).await?;
    let mut v = Validation::default();
    let p = parse(&q, tz, &services, now, &mut v);
    let rows = if v.is_empty() {
        rows(&ctx, p.filter.clone(), p.after, kept_people(&ctx)).await?
    } else {
        Vec::new()
    };
    let more = rows.len() > PAGE as usize;
    let mut rows = rows;
    rows.truncate(PAGE as usize);
    // The filter as applied (the default `from` made explicit), for links.
    let applied = LogQuery {
        from: Some(p.from.clone()),
        after: String::new(),
        ..q.clone()
    };
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "{}?{}",
            Urls.admin_permission_logs(),
            query_string(&LogQuery {
                after: Cursor {
                    at: last.at,
                    id: last.id,
                }
                .encode(),
                ..applied.clone()
            })
        )),
        _ => None,
    };
    let (i18n, lang) = (ctx.state.i18n.clone(), ctx.lang);
    let mut words = Words::default();
    let shown: Vec<Shown> = rows
        .into_iter()
        .map(|r| show(r, tz, &services, &i18n, lang, &mut words))
        .collect();
    let qs = query_string(&applied);
    let mut actions = vec![Choice {
        value: String::new(),
        label: ctx.t("log-action-all"),
        selected: q.action.is_empty(),
    }];
    actions.extend(ACTIONS.iter().map(|a| Choice {
        value: (*a).to_string(),
        label: ctx.t(&format!("log-action-{a}")),
        selected: q.action == *a,
    }));
    let mut service_choices = vec![Choice {
        value: String::new(),
        label: ctx.t("log-service-all"),
        selected: q.service.is_empty(),
    }];
    service_choices.extend(services.iter().map(|s| Choice {
        value: s.service_id.clone(),
        label: format!("{} ({})", s.name, s.service_id),
        selected: s.service_id.eq_ignore_ascii_case(&q.service),
    }));
    let page = LogPage {
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        tabs: Tabs {
            current: "permission-log",
        },
        paged: p.after.is_some(),
        from: p.from,
        q,
        actions,
        services: service_choices,
        rows: shown,
        next,
        timezone: tz.name().to_string(),
        csv: format!("{}?{qs}", Urls.admin_permission_logs_csv()),
        xlsx: format!("{}?{qs}", Urls.admin_permission_logs_xlsx()),
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

/// The column headers of the exports, in `lang`.
fn headers(i18n: &I18n, lang: Lang, tz: Tz) -> Vec<String> {
    vec![
        format!("{} ({})", i18n.t(lang, "log-col-at"), tz.name()),
        i18n.t(lang, "log-col-action"),
        i18n.t(lang, "log-col-service"),
        i18n.t(lang, "log-col-actor-name"),
        i18n.t(lang, "log-col-actor-login"),
        i18n.t(lang, "log-col-target-name"),
        i18n.t(lang, "log-col-target-login"),
        i18n.t(lang, "log-col-before"),
        i18n.t(lang, "log-col-after"),
        i18n.t(lang, "log-col-ip"),
    ]
}

fn cells(s: Shown) -> [String; 10] {
    [
        s.at,
        s.action.to_string(),
        s.service.to_string(),
        s.actor_name,
        s.actor_login,
        s.target_name,
        s.target_login,
        s.before.to_string(),
        s.after.to_string(),
        s.ip,
    ]
}

/// The filter of an export request; a bad filter is the page's 422 with its messages.
async fn export_filter(
    ctx: &OrgAdmin,
    q: &LogQuery,
) -> Result<Result<(Filter, Tz, Arc<Vec<Service>>), HttpResponse>, AppError> {
    let (tz, services) = org_context(ctx).await?;
    let mut v = Validation::default();
    let p = parse(q, tz, &services, chrono::Utc::now().naive_utc(), &mut v);
    if !v.is_empty() {
        return Ok(Err(HttpResponse::UnprocessableEntity()
            .content_type("text/plain; charset=utf-8")
            .body(ctx.t("log-export-bad-filter"))));
    }
    Ok(Ok((p.filter, tz, services)))
}

/// Where the export stands between two chunks.
struct ExportState {
    state: web::Data<AppState>,
    org: i64,
    filter: Filter,
    after: Option<Cursor>,
    done: bool,
    /// Where the people the name matched are kept (found once, for every chunk).
    people: model::KeptPeople,
    /// How rows are shown (shared with the blocking threads that format them).
    view: Arc<RowView>,
}

/// What showing a row needs: the reader's language, the org's time zone and services.
struct RowView {
    i18n: Arc<I18n>,
    lang: Lang,
    tz: Tz,
    services: Arc<Vec<Service>>,
}

impl ExportState {
    fn new(ctx: &OrgAdmin, filter: Filter, tz: Tz, services: Arc<Vec<Service>>) -> ExportState {
        ExportState {
            state: ctx.state.clone(),
            org: ctx.org_id(),
            filter,
            after: None,
            done: false,
            people: kept_people(ctx),
            view: Arc::new(RowView {
                i18n: ctx.state.i18n.clone(),
                lang: ctx.lang,
                tz,
                services,
            }),
        }
    }
}

/// Reads the next chunk of rows, shown as cells (None when done); the rows are read and
/// formatted on the blocking pool, not on the async workers.
async fn next_chunk(s: &mut ExportState) -> Result<Option<Vec<[String; 10]>>, AppError> {
    if s.done {
        return Ok(None);
    }
    let (org, f, after, view) = (s.org, s.filter.clone(), s.after, s.view.clone());
    let people = s.people.clone();
    let (last, shown) = s
        .state
        .db(move |c| {
            let rows = model::search(
                c,
                &model::Search {
                    org,
                    filter: &f,
                    after,
                    limit: EXPORT_CHUNK,
                    people: &people,
                },
            )?;
            let last = rows.last().map(|r| Cursor { at: r.at, id: r.id });
            let mut words = Words::default();
            let shown: Vec<[String; 10]> = rows
                .into_iter()
                .map(|r| {
                    cells(show(
                        r,
                        view.tz,
                        &view.services,
                        &view.i18n,
                        view.lang,
                        &mut words,
                    ))
                })
                .collect();
            Ok((last, shown))
        })
        .await?;
    if (shown.len() as i64) < EXPORT_CHUNK {
        s.done = true;
    }
    match last {
        Some(k) => {
            s.after = Some(k);
            Ok(Some(shown))
        }
        None => Ok(None),
    }
}

/// CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Korean and Japanese
/// right), produced chunk by chunk while it is sent.
pub async fn export_csv(ctx: OrgAdmin, q: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let (filter, tz, services) = match export_filter(&ctx, &q).await? {
        Ok(x) => x,
        Err(resp) => return Ok(resp),
    };
    let head = format!(
        "\u{feff}{}",
        crate::xlsx::csv_line(&headers(&ctx.state.i18n, ctx.lang, tz))
    );
    let st = ExportState::new(&ctx, filter, tz, services);
    let first =
        futures_util::stream::once(async move { Ok::<_, AppError>(web::Bytes::from(head)) });
    let body = futures_util::stream::unfold(st, move |mut st| async move {
        match next_chunk(&mut st).await {
            Ok(Some(rows)) => {
                let mut out = String::with_capacity(rows.len() * 160);
                for r in &rows {
                    out.push_str(&crate::xlsx::csv_line(r));
                }
                Some((Ok(web::Bytes::from(out)), st))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "permission log CSV export stopped");
                st.done = true;
                Some((Err(e), st))
            }
        }
    });
    use futures_util::StreamExt as _;
    Ok(attachment("permission-logs.csv", "text/csv; charset=utf-8").streaming(first.chain(body)))
}

/// xlsx: written in constant memory to a temporary file on a blocking thread, reading the
/// rows chunk by chunk, then sent from the file.
pub async fn export_xlsx(ctx: OrgAdmin, q: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let (filter, tz, services) = match export_filter(&ctx, &q).await? {
        Ok(x) => x,
        Err(resp) => return Ok(resp),
    };
    let heads = headers(&ctx.state.i18n, ctx.lang, tz);
    let mut st = ExportState::new(&ctx, filter, tz, services);
    let sheet_name = ctx.t("menu-permission-log");
    let mut sheet = web::block(move || {
        crate::xlsx::Sheet::new(
            &sheet_name.chars().take(31).collect::<String>(),
            &heads,
            &[20.0, 18.0, 22.0, 14.0, 14.0, 14.0, 14.0, 22.0, 22.0, 16.0],
        )
    })
    .await?
    .map_err(AppError::internal)?;
    while let Some(shown) = next_chunk(&mut st).await? {
        sheet = web::block(move || {
            for r in &shown {
                sheet.row(r)?;
            }
            Ok::<_, rust_xlsxwriter::XlsxError>(sheet)
        })
        .await?
        .map_err(AppError::internal)?;
        if !sheet.has_room() {
            break;
        }
    }
    sheet.respond("permission-logs.xlsx").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_read_like_chrono_formats_them() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 7)
            .unwrap()
            .and_hms_opt(4, 5, 9)
            .unwrap();
        assert_eq!(local_time(t), t.format("%Y-%m-%d %H:%M:%S").to_string());
    }

    #[test]
    fn range_is_read_in_the_org_time_zone() {
        let seoul: Tz = "Asia/Seoul".parse().unwrap();
        let t = local_to_utc(seoul, "2026-06-01T09:00").unwrap();
        assert_eq!(t.to_string(), "2026-06-01 00:00:00");
        assert!(local_to_utc(seoul, "2026-06-01").is_none());
        assert!(local_to_utc(seoul, "yesterday").is_none());
        // A time in the spring-forward gap reads as the hour after.
        let ny: Tz = "America/New_York".parse().unwrap();
        assert!(local_to_utc(ny, "2026-03-08T02:30").is_some());
    }

    #[test]
    fn bad_filters_are_named() {
        let now = chrono::Utc::now().naive_utc();
        let mut v = Validation::default();
        let q = LogQuery {
            from: Some("2026-06-02T00:00".into()),
            to: "2026-06-01T00:00".into(),
            action: "drop-table".into(),
            service: "nope".into(),
            after: "x".into(),
            ..Default::default()
        };
        parse(&q, Tz::UTC, &[], now, &mut v);
        for f in ["to", "action", "service", "after"] {
            assert!(v.has(f), "{f}");
        }
        let mut v = Validation::default();
        let p = parse(&LogQuery::default(), Tz::UTC, &[], now, &mut v);
        assert!(v.is_empty());
        let from = p.filter.from.unwrap();
        assert!((now - from - chrono::Duration::days(7)).num_minutes().abs() <= 1);
        assert_eq!(p.filter.to, None);
    }
}
