//! Events from the CTI (agent states and calls), from the phone widget and from the
//! after-call rule, and what is read back from them: an agent's current state and last
//! calls, the day's CTI log and "My performance". Figures are always computed from the
//! recorded events, never kept twice.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
use diesel::prelude::*;

use super::model::{self, Settings};
use crate::admin::contracts::model::Service;
use crate::db::schema::{cti_events as ev, org_members as om, tickets as tk};
use crate::db::{DbConn, TxError, is_unique_violation};
use crate::error::AppError;
use crate::i18n::{I18n, Lang};
use crate::services::tickets::model as tickets;

pub const PHONE: &str = "phone";
pub const CHAT: &str = "chat";
/// Agent states the CTI reports.
pub const STATES: [&str; 12] = [
    "ready",
    "after_call",
    "ticket_work",
    "chat_work",
    "transfer",
    "break",
    "meal",
    "training",
    "reporting",
    "meeting",
    "coaching",
    "logout",
];
/// States an agent picks in the phone widget.
pub const WIDGET_STATES: [&str; 7] = [
    "ready",
    "break",
    "meal",
    "training",
    "reporting",
    "meeting",
    "coaching",
];
/// The states "My performance" shows time for, in its order.
pub const PERFORMANCE_STATES: [&str; 10] = [
    "ready",
    "transfer",
    "ticket_work",
    "chat_work",
    "break",
    "meal",
    "training",
    "reporting",
    "meeting",
    "coaching",
];
pub const CHAT_STATES: [&str; 3] = ["ready", "online", "break"];
pub const DIRECTIONS: [&str; 2] = ["in", "out"];
pub const PHASES: [&str; 3] = ["ringing", "answered", "ended"];
/// Most events in one batch.
pub const BATCH_MAX: usize = 100;
const TEXT_MAX: usize = 100;
/// Event IDs the server makes itself start with this; the API refuses them.
const OWN_PREFIX: &str = "oc:";

/// A call's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub direction: &'static str,
    pub phase: &'static str,
    pub customer_number: String,
    pub wait_seconds: i32,
    pub talk_seconds: i32,
    pub cause: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    State(&'static str),
    Call(Call),
}

/// One event as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_id: String,
    pub service_id: String,
    pub at: NaiveDateTime,
    pub cti_id: String,
    pub kind: Kind,
}

const FIELDS: [&str; 11] = [
    "event_id",
    "service_id",
    "at",
    "cti_id",
    "state",
    "direction",
    "phase",
    "customer_number",
    "wait_seconds",
    "talk_seconds",
    "cause",
];

fn pick(list: &'static [&'static str], s: &str) -> Option<&'static str> {
    list.iter().copied().find(|x| *x == s)
}

/// Reads one event of a batch; the error says what is wrong with it (in English, like
/// every API message).
pub fn parse_event(v: &serde_json::Value) -> Result<NewEvent, String> {
    let obj = v.as_object().ok_or("an event is a JSON object")?;
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown property `{k}`"));
    }
    let text = |name: &str, required: bool| -> Result<Option<String>, String> {
        match obj.get(name) {
            None if !required => Ok(None),
            None => Err(format!("`{name}` is required")),
            Some(serde_json::Value::String(s)) => {
                if s.chars().count() > TEXT_MAX || crate::web::forms::has_control(s) {
                    Err(format!(
                        "`{name}` must be at most {TEXT_MAX} characters without control characters"
                    ))
                } else if required && s.is_empty() {
                    Err(format!("`{name}` must not be empty"))
                } else {
                    Ok(Some(s.clone()))
                }
            }
            Some(_) => Err(format!("`{name}` must be a string")),
        }
    };
    let seconds = |name: &str| -> Result<i32, String> {
        match obj.get(name) {
            None => Ok(0),
            Some(n) => n
                .as_i64()
                .filter(|n| (0..=86_400).contains(n))
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| format!("`{name}` must be an integer from 0 to 86400")),
        }
    };
    let event_id = text("event_id", true)?.unwrap_or_default();
    if event_id.starts_with(OWN_PREFIX) {
        return Err(format!("`event_id` must not start with `{OWN_PREFIX}`"));
    }
    let service_id = text("service_id", true)?.unwrap_or_default();
    let cti_id = text("cti_id", true)?.unwrap_or_default();
    let at = text("at", true)?.unwrap_or_default();
    let at = chrono::DateTime::parse_from_rfc3339(&at)
        .map_err(|_| "`at` must be an RFC 3339 date-time".to_string())?
        .naive_utc();
    let call_fields = [
        "direction",
        "phase",
        "customer_number",
        "wait_seconds",
        "talk_seconds",
        "cause",
    ];
    let kind = match obj.get("state") {
        Some(s) => {
            if let Some(f) = call_fields.iter().find(|f| obj.contains_key(**f)) {
                return Err(format!("a state event has no call property (`{f}`)"));
            }
            let s = s
                .as_str()
                .and_then(|s| pick(&STATES, s))
                .ok_or_else(|| format!("`state` must be one of: {}", STATES.join(", ")))?;
            Kind::State(s)
        }
        None => {
            let direction = text("direction", true)?
                .and_then(|d| pick(&DIRECTIONS, &d))
                .ok_or("`direction` must be `in` or `out` (or the event needs a `state`)")?;
            let phase = text("phase", true)?
                .and_then(|p| pick(&PHASES, &p))
                .ok_or("`phase` must be one of: ringing, answered, ended")?;
            Kind::Call(Call {
                direction,
                phase,
                customer_number: text("customer_number", false)?.unwrap_or_default(),
                wait_seconds: seconds("wait_seconds")?,
                talk_seconds: seconds("talk_seconds")?,
                cause: text("cause", false)?.unwrap_or_default(),
            })
        }
    };
    Ok(NewEvent {
        event_id,
        service_id,
        at,
        cti_id,
        kind,
    })
}

/// What became of one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// Its `event_id` was seen before: ignored.
    Duplicate,
    Rejected(String),
}

/// Records one event from the CTI with its effects, in one transaction.
pub fn apply(
    c: &mut DbConn,
    i18n: &I18n,
    org: i64,
    e: &NewEvent,
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    let reject = |s: &str| Ok(Outcome::Rejected(s.to_string()));
    let Some(service) = crate::admin::contracts::model::live_service(c, org, &e.service_id)? else {
        return reject("unknown `service_id`");
    };
    if !service.is_active() {
        return reject("the service is suspended");
    }
    let contract = model::cti_contract(c, &service)?;
    if !contract.any() {
        return reject("the service's contract has no phone CTI");
    }
    if let Kind::Call(call) = &e.kind {
        if call.direction == "in" && !contract.inbound {
            return reject("the service's contract has no inbound CTI");
        }
        if call.direction == "out" && !contract.outbound {
            return reject("the service's contract has no outbound CTI");
        }
    }
    let Some(member) = model::member_by_cti_id(c, org, &e.cti_id)? else {
        return reject("unknown `cti_id`");
    };
    if !model::permissions(c, org, service.id, member)?.is_some_and(|(phone, _)| phone) {
        return reject("the agent of this `cti_id` has no phone permission in the service");
    }
    let settings = model::settings(c, service.id)?;
    let who = Agent {
        org,
        service: &service,
        member,
        settings: &settings,
        now,
    };
    let r = c.transaction(|c| {
        let id = who.insert(c, e, PHONE, "api")?;
        if let Kind::Call(call) = &e.kind {
            call_effects(c, i18n, &who, id, e, call)?;
        }
        Ok::<_, TxError>(())
    });
    match r {
        Ok(()) => Ok(Outcome::Accepted),
        // The event ID was recorded before (perhaps by a concurrent resend).
        Err(TxError::Duplicate) => Ok(Outcome::Duplicate),
        Err(TxError::App(err)) => Err(err),
    }
}

/// Whose event it is, and where: the row's context.
struct Agent<'a> {
    org: i64,
    service: &'a Service,
    member: i64,
    settings: &'a Settings,
    now: NaiveDateTime,
}

impl Agent<'_> {
    /// Inserts an event on `channel`; returns its row id. A recorded event ID (unique per
    /// organization) is `TxError::Duplicate`.
    fn insert(
        &self,
        c: &mut DbConn,
        e: &NewEvent,
        channel: &str,
        source: &str,
    ) -> Result<i64, TxError> {
        let (state, call) = match &e.kind {
            Kind::State(s) => (Some(*s), None),
            Kind::Call(c) => (None, Some(c)),
        };
        let insert = diesel::insert_into(ev::table).values((
            ev::org_id.eq(self.org),
            ev::service_ref.eq(self.service.id),
            ev::member_id.eq(self.member),
            ev::event_id.eq(&e.event_id),
            ev::channel.eq(channel),
            ev::at.eq(e.at),
            ev::cti_id.eq(&e.cti_id),
            ev::state.eq(state),
            ev::direction.eq(call.map(|c| c.direction)),
            ev::phase.eq(call.map(|c| c.phase)),
            ev::customer_number.eq(call.map(|c| c.customer_number.as_str())),
            ev::wait_seconds.eq(call.map(|c| c.wait_seconds)),
            ev::talk_seconds.eq(call.map(|c| c.talk_seconds)),
            ev::cause.eq(call.map(|c| c.cause.as_str())),
            ev::source.eq(source),
            ev::logged.eq(channel == PHONE && self.settings.log_monitoring),
            ev::created_at.eq(self.now),
        ));
        match crate::db::insert_returning_id!(c, insert, ev::id) {
            Ok(id) => Ok(id),
            Err(e) if is_unique_violation(&e) => Err(TxError::Duplicate),
            Err(e) => Err(e.into()),
        }
    }
}

/// A call event's effects: it joins its call (the agent's latest call event in the service,
/// same direction, not yet ended), the call gets its ticket when the rules say so, and
/// after `ended` the agent goes to ticket work or is asked to choose a state.
fn call_effects(
    c: &mut DbConn,
    i18n: &I18n,
    who: &Agent<'_>,
    id: i64,
    e: &NewEvent,
    call: &Call,
) -> Result<(), TxError> {
    let (org, service, member, settings, now) =
        (who.org, who.service, who.member, who.settings, who.now);
    /// (call_ref, ticket_id, phase, direction) of the agent's latest call event.
    type Open = (Option<i64>, Option<i64>, Option<String>, Option<String>);
    let open: Option<Open> = ev::table
        .filter(ev::service_ref.eq(service.id))
        .filter(ev::member_id.eq(member))
        .filter(ev::channel.eq(PHONE))
        .filter(ev::call_ref.is_not_null())
        .filter(ev::id.ne(id))
        .filter(ev::at.le(e.at))
        .order((ev::at.desc(), ev::id.desc()))
        .select((ev::call_ref, ev::ticket_id, ev::phase, ev::direction))
        .first(c)
        .optional()?;
    let (call_ref, mut ticket) = match open {
        Some((Some(r), t, Some(phase), Some(dir)))
            if call.phase != "ringing" && phase != "ended" && dir == call.direction =>
        {
            (r, t)
        }
        _ => (id, None),
    };
    let wants_ticket = match call.direction {
        "in" => call.phase == "answered",
        _ => settings.ob_ticket_auto || call.phase == "answered",
    };
    if ticket.is_none() && wants_ticket {
        ticket = Some(call_ticket(c, i18n, org, service, member, call, now)?);
    }
    diesel::update(ev::table.filter(ev::id.eq(id)))
        .set((ev::call_ref.eq(Some(call_ref)), ev::ticket_id.eq(ticket)))
        .execute(c)?;
    if call.phase == "ended" {
        let state = if settings.after_call_batch {
            "ticket_work"
        } else {
            "after_call"
        };
        let after = NewEvent {
            event_id: format!("{OWN_PREFIX}after:{}", e.event_id),
            service_id: e.service_id.clone(),
            at: e.at,
            cti_id: e.cti_id.clone(),
            kind: Kind::State(state),
        };
        who.insert(c, &after, PHONE, "auto")?;
    }
    Ok(())
}

/// A ticket for a call, titled in the agent's language, assigned to the agent when they
/// accept assignments.
fn call_ticket(
    c: &mut DbConn,
    i18n: &I18n,
    org: i64,
    service: &Service,
    member: i64,
    call: &Call,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let locale: String = om::table
        .filter(om::id.eq(member))
        .select(om::locale)
        .first(c)?;
    let lang = Lang::from_code(&locale).unwrap_or(Lang::En);
    let key = if call.direction == "in" {
        "cti-ticket-title-in"
    } else {
        "cti-ticket-title-out"
    };
    let number = if call.customer_number.is_empty() {
        "—".to_string()
    } else {
        call.customer_number.clone()
    };
    let content = tickets::Content {
        title: i18n.t_args(lang, key, &[("number", number)]),
        priority: "normal".into(),
        requester_phone: call.customer_number.clone(),
        channel: "phone".into(),
        ..tickets::Content::default()
    };
    let mut created = tickets::create(c, org, service.id, &content, Some(member), member, now)?;
    if created == tickets::Created::NotAssignable {
        created = tickets::create(c, org, service.id, &content, None, member, now)?;
    }
    let tickets::Created::Number(n) = created else {
        return Err(AppError::internal("call ticket not created"));
    };
    Ok(tk::table
        .filter(tk::service_ref.eq(service.id))
        .filter(tk::number.eq(n))
        .select(tk::id)
        .first(c)?)
}

/// Records a state the member chose in the widget (phone: their CTI ID; chat: no CTI),
/// taking effect at `now`.
pub fn record_state(
    c: &mut DbConn,
    org: i64,
    service: &Service,
    member: i64,
    channel: &str,
    state: &'static str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let cti_id = if channel == PHONE {
        model::cti_id_of(c, org, member)?.unwrap_or_default()
    } else {
        String::new()
    };
    let settings = model::settings(c, service.id)?;
    let e = NewEvent {
        event_id: format!("{OWN_PREFIX}w:{}", crate::auth::random_token(16)),
        service_id: service.service_id.clone(),
        at: now,
        cti_id,
        kind: Kind::State(state),
    };
    let who = Agent {
        org,
        service,
        member,
        settings: &settings,
        now,
    };
    match who.insert(c, &e, channel, "widget") {
        // (a random 128-bit ID meeting itself would be nothing to record twice)
        Ok(_) | Err(TxError::Duplicate) => Ok(()),
        Err(TxError::App(err)) => Err(err),
    }
}

/// The member's latest state on a channel of the service, and since when.
pub fn current_state(
    c: &mut DbConn,
    service_ref: i64,
    member: i64,
    channel: &str,
) -> Result<Option<(String, NaiveDateTime)>, AppError> {
    let r: Option<(Option<String>, NaiveDateTime)> = ev::table
        .filter(ev::service_ref.eq(service_ref))
        .filter(ev::member_id.eq(member))
        .filter(ev::channel.eq(channel))
        .filter(ev::state.is_not_null())
        .order((ev::at.desc(), ev::id.desc()))
        .select((ev::state, ev::at))
        .first(c)
        .optional()?;
    Ok(r.and_then(|(s, at)| s.map(|s| (s, at))))
}

/// A call as the widget lists it: its latest event.
#[derive(Debug, Clone)]
pub struct CallRow {
    pub at: NaiveDateTime,
    pub direction: String,
    pub phase: String,
    pub customer_number: String,
    pub talk_seconds: i32,
}

/// The member's last `n` call events in the service, newest first.
pub fn last_calls(
    c: &mut DbConn,
    service_ref: i64,
    member: i64,
    n: i64,
) -> Result<Vec<CallRow>, AppError> {
    type R = (
        NaiveDateTime,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i32>,
    );
    let rows: Vec<R> = ev::table
        .filter(ev::service_ref.eq(service_ref))
        .filter(ev::member_id.eq(member))
        .filter(ev::channel.eq(PHONE))
        .filter(ev::direction.is_not_null())
        .order((ev::at.desc(), ev::id.desc()))
        .limit(n)
        .select((
            ev::at,
            ev::direction,
            ev::phase,
            ev::customer_number,
            ev::talk_seconds,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| CallRow {
            at: r.0,
            direction: r.1.unwrap_or_default(),
            phase: r.2.unwrap_or_default(),
            customer_number: r.3.unwrap_or_default(),
            talk_seconds: r.4.unwrap_or_default(),
        })
        .collect())
}

/// The UTC bounds of a calendar day in a time zone: [start, end).
pub fn day_bounds(tz: chrono_tz::Tz, day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let at = |d: NaiveDate| {
        let local = d.and_time(chrono::NaiveTime::MIN);
        tz.from_local_datetime(&local)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(local)
    };
    let next = day.succ_opt().unwrap_or(day);
    (at(day), at(next))
}

/// Seconds spent in each state within [start, end): each state lasts until the next one
/// (`before` is the state in force at `start`); the last one until `end`.
pub fn durations(
    before: Option<&str>,
    events: &[(NaiveDateTime, String)],
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut cur: Option<(&str, NaiveDateTime)> = before.map(|s| (s, start));
    for (at, s) in events {
        let at = (*at).clamp(start, end);
        if let Some((st, since)) = cur {
            *out.entry(st.to_string()).or_insert(0) += (at - since).num_seconds().max(0);
        }
        cur = Some((s.as_str(), at));
    }
    if let Some((st, since)) = cur {
        *out.entry(st.to_string()).or_insert(0) += (end - since).num_seconds().max(0);
    }
    out
}

/// Time per state on a channel within [start, end).
fn state_times(
    c: &mut DbConn,
    service_ref: i64,
    member: i64,
    channel: &str,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<BTreeMap<String, i64>, AppError> {
    let base = || {
        ev::table
            .filter(ev::service_ref.eq(service_ref))
            .filter(ev::member_id.eq(member))
            .filter(ev::channel.eq(channel))
            .filter(ev::state.is_not_null())
    };
    let before: Option<Option<String>> = base()
        .filter(ev::at.lt(start))
        .order((ev::at.desc(), ev::id.desc()))
        .select(ev::state)
        .first(c)
        .optional()?;
    let rows: Vec<(NaiveDateTime, Option<String>)> = base()
        .filter(ev::at.ge(start))
        .filter(ev::at.lt(end))
        .order((ev::at.asc(), ev::id.asc()))
        .select((ev::at, ev::state))
        .load(c)?;
    let events: Vec<(NaiveDateTime, String)> = rows
        .into_iter()
        .filter_map(|(at, s)| s.map(|s| (at, s)))
        .collect();
    Ok(durations(before.flatten().as_deref(), &events, start, end))
}

/// "My performance": today's real-time cumulative figures of a member in a service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Performance {
    pub day: Option<NaiveDate>,
    pub unassigned: i64,
    pub in_progress: i64,
    pub solved: i64,
    pub closed: i64,
    pub ib_calls: i64,
    pub ib_seconds: i64,
    pub ob_calls: i64,
    pub ob_seconds: i64,
    pub phone: BTreeMap<String, i64>,
    pub chat: BTreeMap<String, i64>,
}

/// Today (in the service's time zone) up to `now`.
pub fn performance(
    c: &mut DbConn,
    org: i64,
    service: &Service,
    member: i64,
    now: NaiveDateTime,
) -> Result<Performance, AppError> {
    let tz = service.tz();
    let day = tz.from_utc_datetime(&now).date_naive();
    let (start, end) = day_bounds(tz, day);
    let end = end.min(now).max(start);
    let count = |c: &mut DbConn, status: &str, mine: bool, today: bool| -> QueryResult<i64> {
        let mut q = tk::table
            .filter(tk::org_id.eq(org))
            .filter(tk::service_ref.eq(service.id))
            .filter(tk::status.eq(status.to_string()))
            .into_boxed::<crate::db::Backend>();
        if mine {
            q = q.filter(tk::assignee_id.eq(member));
        }
        if today {
            q = q
                .filter(tk::updated_at.ge(start))
                .filter(tk::updated_at.lt(end));
        }
        q.count().get_result(c)
    };
    let mut p = Performance {
        day: Some(day),
        unassigned: count(c, tickets::UNASSIGNED, false, false)?,
        in_progress: count(c, tickets::IN_PROGRESS, true, false)?,
        solved: count(c, tickets::SOLVED, true, true)?,
        closed: count(c, tickets::CLOSED, true, true)?,
        ..Performance::default()
    };
    let calls: Vec<(Option<String>, Option<i32>)> = ev::table
        .filter(ev::service_ref.eq(service.id))
        .filter(ev::member_id.eq(member))
        .filter(ev::channel.eq(PHONE))
        .filter(ev::phase.eq("ended"))
        .filter(ev::at.ge(start))
        .filter(ev::at.lt(end))
        .select((ev::direction, ev::talk_seconds))
        .load(c)?;
    for (dir, talk) in calls {
        let talk = i64::from(talk.unwrap_or(0));
        if dir.as_deref() == Some("in") {
            p.ib_calls += 1;
            p.ib_seconds += talk;
        } else {
            p.ob_calls += 1;
            p.ob_seconds += talk;
        }
    }
    p.phone = state_times(c, service.id, member, PHONE, start, end)?;
    p.chat = state_times(c, service.id, member, CHAT, start, end)?;
    Ok(p)
}

/// One row of the CTI log.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub name: String,
    pub login_id: String,
    pub cti_id: String,
    pub state: Option<String>,
    pub direction: Option<String>,
    pub phase: Option<String>,
    pub customer_number: Option<String>,
    pub wait_seconds: Option<i32>,
    pub talk_seconds: Option<i32>,
    pub cause: Option<String>,
}

/// The next `limit` logged events of the service within [start, end) after row `after`.
pub fn log_rows(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    (start, end): (NaiveDateTime, NaiveDateTime),
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> Result<Vec<LogRow>, AppError> {
    type R = (
        (i64, NaiveDateTime, String, String, String, Option<String>),
        (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i32>,
            Option<i32>,
            Option<String>,
        ),
    );
    let mut q = ev::table
        .inner_join(om::table)
        .filter(ev::org_id.eq(org))
        .filter(ev::service_ref.eq(service_ref))
        .filter(ev::logged.eq(true))
        .filter(ev::at.ge(start))
        .filter(ev::at.lt(end))
        .into_boxed::<crate::db::Backend>();
    if let Some((at, id)) = after {
        q = q.filter(ev::at.gt(at).or(ev::at.eq(at).and(ev::id.gt(id))));
    }
    let rows: Vec<R> = q
        .order((ev::at.asc(), ev::id.asc()))
        .limit(limit)
        .select((
            (
                ev::id,
                ev::at,
                om::name,
                om::login_id,
                ev::cti_id,
                ev::state,
            ),
            (
                ev::direction,
                ev::phase,
                ev::customer_number,
                ev::wait_seconds,
                ev::talk_seconds,
                ev::cause,
            ),
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|((id, at, name, login_id, cti_id, state), r)| LogRow {
            id,
            at,
            name,
            login_id,
            cti_id,
            state,
            direction: r.0,
            phase: r.1,
            customer_number: r.2,
            wait_seconds: r.3,
            talk_seconds: r.4,
            cause: r.5,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn events_parse_strictly() {
        let ok = serde_json::json!({"event_id": "e1", "service_id": "care", "at": "2026-12-04T09:00:00+09:00", "cti_id": "kim", "state": "ready"});
        let e = parse_event(&ok).unwrap();
        assert_eq!(e.at, t("2026-12-04 00:00:00"));
        assert_eq!(e.kind, Kind::State("ready"));
        let call = serde_json::json!({"event_id": "e2", "service_id": "care", "at": "2026-12-04T00:00:00Z", "cti_id": "kim", "direction": "in", "phase": "ended", "talk_seconds": 65, "customer_number": "010-1234-5678"});
        let Kind::Call(c) = parse_event(&call).unwrap().kind else {
            panic!("a call")
        };
        assert_eq!((c.direction, c.phase, c.talk_seconds), ("in", "ended", 65));
        for (bad, why) in [
            (serde_json::json!([]), "object"),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "yesterday", "cti_id": "k", "state": "ready"}),
                "RFC 3339",
            ),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "state": "nap"}),
                "`state`",
            ),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "state": "ready", "phase": "ended"}),
                "call property",
            ),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "direction": "in", "phase": "ended", "talk_seconds": -1}),
                "talk_seconds",
            ),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k"}),
                "direction",
            ),
            (
                serde_json::json!({"event_id": "oc:x", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "state": "ready"}),
                "oc:",
            ),
            (
                serde_json::json!({"service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "state": "ready"}),
                "event_id",
            ),
            (
                serde_json::json!({"event_id": "e", "service_id": "s", "at": "2026-12-04T00:00:00Z", "cti_id": "k", "state": "ready", "x": 1}),
                "unknown property",
            ),
        ] {
            let err = parse_event(&bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_split_at_the_day_bounds() {
        let (start, end) = (t("2026-12-04 00:00:00"), t("2026-12-05 00:00:00"));
        // In break since the day before; ready at 01:00; meal at 23:30 until the end.
        let d = durations(
            Some("break"),
            &[
                (t("2026-12-04 01:00:00"), "ready".into()),
                (t("2026-12-04 23:30:00"), "meal".into()),
            ],
            start,
            end,
        );
        assert_eq!(d["break"], 3600);
        assert_eq!(d["ready"], 22 * 3600 + 1800);
        assert_eq!(d["meal"], 1800);
        assert_eq!(d.values().sum::<i64>(), 86_400);
        assert!(durations(None, &[], start, end).is_empty());
    }

    #[test]
    fn day_bounds_follow_the_zone() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let (s, e) = day_bounds(chrono_tz::Asia::Seoul, day);
        assert_eq!(s, t("2026-12-03 15:00:00"));
        assert_eq!(e, t("2026-12-04 15:00:00"));
    }
}
