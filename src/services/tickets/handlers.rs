//! `/services/{service_id}/tickets`: the list (status, assignee, "mine", text; newest
//! first, 50 a page by keyset), the new-ticket form, and each ticket (edit, assign, move
//! through the statuses). Members of the service only (any role); everybody else 403.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{
    self, Assignee, CHANNELS, Change, Content, Created, Filter, PRIORITIES, STATUSES, Ticket,
};
use crate::admin::contracts::model::Service;
use crate::error::AppError;
use crate::routes::Urls;
use crate::services::ticket_fields::model::{self as fields, Field, Value};
use crate::web::forms::{FieldErrors, Msg, Validation};
use crate::web::{Choice, Member, PageCtx, choices, ok, see_other, unprocessable};

pub const PAGE: i64 = 50;

/// The service, if the signed-in member belongs to it (any role).
async fn member_service(ctx: &Member, service_id: String) -> Result<Service, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let (s, mine) = ctx
        .state
        .db(move |c| crate::services::members::model::viewable_service(c, org, &user, &service_id))
        .await?;
    if mine.is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(s)
}

#[derive(serde::Deserialize, serde::Serialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    /// A member id, `me` or `none`.
    pub assignee: String,
    pub q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub before: String,
}

#[derive(Template)]
#[template(path = "services/tickets.html")]
pub struct ListPage {
    pub ctx: PageCtx,
    pub service: Service,
    pub q: ListQuery,
    pub statuses: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub tickets: Vec<Ticket>,
    pub next: Option<String>,
    pub errors: FieldErrors,
}

impl ListPage {
    pub fn ticket_href(&self, n: &i64) -> String {
        Urls.ticket(&self.service.service_id, n)
    }
}

fn status_choices(ctx: &PageCtx, selected: &str, with_all: bool) -> Vec<Choice> {
    let mut v = Vec::new();
    if with_all {
        v.push(Choice {
            value: String::new(),
            label: ctx.t("ticket-status-all").into_owned(),
            selected: selected.is_empty(),
        });
    }
    v.extend(choices(
        STATUSES,
        |s| ctx.t(&format!("ticket-status-{s}")).into_owned(),
        selected,
    ));
    v
}

pub async fn list(
    ctx: Member,
    path: web::Path<String>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let service = member_service(&ctx, path.into_inner()).await?;
    let q = q.into_inner();
    let mut v = Validation::default();
    let mut f = Filter::default();
    if !q.status.is_empty() {
        match STATUSES.iter().find(|s| **s == q.status) {
            Some(s) => f.status = Some(s),
            None => v.add("status", Msg::new("choice-required")),
        }
    }
    match q.assignee.as_str() {
        "" => {}
        "me" => f.assignee = Some(Some(ctx.user.id)),
        "none" => f.assignee = Some(None),
        id => match id.parse::<i64>() {
            Ok(id) => f.assignee = Some(Some(id)),
            Err(_) => v.add("assignee", Msg::new("choice-required")),
        },
    }
    let text = q.q.trim();
    if text.chars().count() > 100 {
        v.add("q", Msg::with("field-too-long", &[("max", "100".into())]));
    } else if !text.is_empty() {
        f.text = Some(text.to_string());
    }
    let before = if q.before.is_empty() {
        None
    } else {
        match q.before.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                v.add("before", Msg::new("log-cursor-invalid"));
                None
            }
        }
    };
    let (org, sref, ok_filter) = (ctx.org_id(), service.id, v.is_empty());
    let (mut tickets, members) = ctx
        .state
        .db(move |c| {
            let t = if ok_filter {
                model::list(c, org, sref, &f, before, PAGE + 1)?
            } else {
                Vec::new()
            };
            Ok((t, model::assignable(c, org, sref)?))
        })
        .await?;
    let next = if tickets.len() > PAGE as usize {
        tickets.truncate(PAGE as usize);
        tickets.last().map(|t| {
            let nq = ListQuery {
                before: t.number.to_string(),
                ..q.clone()
            };
            format!(
                "{}?{}",
                Urls.tickets(&service.service_id),
                serde_urlencoded::to_string(&nq).unwrap_or_default()
            )
        })
    } else {
        None
    };
    let page_ctx = ctx.page();
    let statuses = status_choices(&page_ctx, &q.status, true);
    let mut assignees = vec![
        Choice {
            value: String::new(),
            label: ctx.t("ticket-assignee-all"),
            selected: q.assignee.is_empty(),
        },
        Choice {
            value: "me".into(),
            label: ctx.t("ticket-assignee-me"),
            selected: q.assignee == "me",
        },
        Choice {
            value: "none".into(),
            label: ctx.t("ticket-status-unassigned"),
            selected: q.assignee == "none",
        },
    ];
    assignees.extend(members.into_iter().map(|m| Choice {
        selected: q.assignee == m.id.to_string(),
        value: m.id.to_string(),
        label: format!("{} ({})", m.name, m.login_id),
    }));
    let page = ListPage {
        errors: ctx.errors(&v),
        ctx: page_ctx,
        service,
        q,
        statuses,
        assignees,
        tickets,
        next,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

/// The ticket form's values as typed (pairs: a multi select sends one per option).
#[derive(Default, Clone)]
pub struct Typed {
    pub pairs: Vec<(String, String)>,
}

impl Typed {
    pub fn get(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The form of an existing ticket.
    fn of(t: &Ticket, flds: &[Field]) -> Typed {
        let c = &t.content;
        let mut pairs = vec![
            ("title".to_string(), c.title.clone()),
            ("description".into(), c.description.clone()),
            ("priority".into(), c.priority.clone()),
            ("requester_name".into(), c.requester_name.clone()),
            ("requester_email".into(), c.requester_email.clone()),
            ("requester_phone".into(), c.requester_phone.clone()),
            ("channel".into(), c.channel.clone()),
            ("tags".into(), c.tags.join(", ")),
        ];
        for f in flds {
            let name = format!("cf_{}", f.key);
            match c.custom.get(&f.key) {
                Some(Value::Text(s)) => pairs.push((name, s.clone())),
                Some(Value::List(l)) => pairs.extend(l.iter().map(|s| (name.clone(), s.clone()))),
                Some(Value::Flag(true)) => pairs.push((name, "on".into())),
                _ => {}
            }
        }
        Typed { pairs }
    }
}

/// Checks a ticket form against the system rules and the service's active fields. The
/// values of inactive fields are kept as they were (`keep`).
fn check(
    typed: &Typed,
    flds: &[Field],
    keep: &BTreeMap<String, Value>,
    v: &mut Validation,
) -> Content {
    use crate::web::forms::{has_control, required_text};
    let title = required_text(v, "title", &typed.get("title"), model::TITLE_MAX);
    let description = typed.get("description").trim().replace("\r\n", "\n");
    if description.chars().count() > model::DESCRIPTION_MAX {
        v.add(
            "description",
            Msg::with(
                "field-too-long",
                &[("max", model::DESCRIPTION_MAX.to_string())],
            ),
        );
    }
    let pick = |v: &mut Validation, field: &'static str, list: &[&str], default: &str| {
        let s = typed.get(field);
        let s = s.trim();
        if s.is_empty() {
            default.to_string()
        } else if list.contains(&s) {
            s.to_string()
        } else {
            v.add(field, Msg::new("choice-required"));
            s.to_string()
        }
    };
    let priority = pick(v, "priority", &PRIORITIES, "normal");
    let channel = pick(v, "channel", &CHANNELS, "web");
    let requester_name = typed.get("requester_name").trim().to_string();
    if requester_name.chars().count() > model::NAME_MAX {
        v.add(
            "requester_name",
            Msg::with("field-too-long", &[("max", model::NAME_MAX.to_string())]),
        );
    } else if has_control(&requester_name) {
        v.add("requester_name", Msg::new("field-invalid-chars"));
    }
    let email_raw = typed.get("requester_email");
    let requester_email = if email_raw.trim().is_empty() {
        String::new()
    } else {
        crate::web::forms::email(v, "requester_email", &email_raw)
    };
    let requester_phone = crate::console::orgs::rules::check_phone(
        v,
        "requester_phone",
        &typed.get("requester_phone"),
    )
    .unwrap_or_default();
    let tags = match model::parse_tags(&typed.get("tags")) {
        Ok(t) => t,
        Err(m) => {
            v.add("tags", m);
            Vec::new()
        }
    };
    let mut custom = keep.clone();
    for f in flds {
        let name = format!("cf_{}", f.key);
        match f.check(&typed.all(&name)) {
            Ok(Some(val)) => {
                custom.insert(f.key.clone(), val);
            }
            Ok(None) => {
                custom.remove(&f.key);
            }
            Err(m) => v.add_owned(name, m),
        }
    }
    Content {
        title,
        description,
        priority,
        requester_name,
        requester_email,
        requester_phone,
        channel,
        tags,
        custom,
    }
}

#[derive(Template)]
#[template(path = "services/ticket.html")]
pub struct TicketPage {
    pub ctx: PageCtx,
    pub service: Service,
    /// None: the new-ticket form.
    pub ticket: Option<Ticket>,
    pub fields: Vec<Field>,
    pub typed: Typed,
    pub priorities: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub assignees: Vec<Assignee>,
    pub errors: FieldErrors,
    pub me: i64,
    /// A message for the assign form (an assignee who no longer accepts assignments).
    pub assign_error: Option<String>,
}

impl TicketPage {
    pub fn label(&self, f: &Field) -> String {
        f.label(self.ctx.lang)
    }
    pub fn name(&self, f: &Field) -> String {
        format!("cf_{}", f.key)
    }
    pub fn value(&self, f: &Field) -> String {
        self.typed.get(&self.name(f))
    }
    pub fn has(&self, f: &Field, option: &str) -> bool {
        self.typed.all(&self.name(f)).iter().any(|v| v == option)
    }
    pub fn is_checked(&self, f: &Field) -> bool {
        crate::web::forms::checked(&self.value(f))
    }
    pub fn action(&self) -> String {
        match &self.ticket {
            Some(t) => Urls.ticket(&self.service.service_id, &t.number),
            None => Urls.new_ticket(&self.service.service_id),
        }
    }
    /// Whether the signed-in member may take the ticket (accepts assignments here).
    pub fn can_take(&self) -> bool {
        self.assignees.iter().any(|a| a.id == self.me)
    }
    pub fn editable(&self) -> bool {
        self.ticket.as_ref().is_none_or(Ticket::is_open)
    }
    /// The status moves offered from here: (target, label key).
    pub fn moves(&self) -> Vec<(&'static str, String)> {
        let Some(t) = &self.ticket else {
            return Vec::new();
        };
        STATUSES
            .into_iter()
            .filter(|to| model::allowed(&t.status, to))
            .map(|to| (to, format!("ticket-move-{to}")))
            .collect()
    }
    /// The values of the ticket's inactive fields (kept, shown read-only).
    pub fn kept(&self) -> Vec<(String, String)> {
        let Some(t) = &self.ticket else {
            return Vec::new();
        };
        t.content
            .custom
            .iter()
            .filter(|(k, _)| !self.fields.iter().any(|f| &f.key == *k))
            .map(|(k, v)| (k.clone(), v.display()))
            .collect()
    }
}

/// Loads what a ticket page needs: the active fields, the assignable members, the ticket.
async fn ticket_page(
    ctx: &Member,
    service: Service,
    number: Option<i64>,
    typed: Option<Typed>,
    v: &Validation,
    assign_error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let (org, sref) = (ctx.org_id(), service.id);
    let (flds, assignees, ticket) = ctx
        .state
        .db(move |c| {
            let t = match number {
                Some(n) => Some(model::get(c, org, sref, n)?.ok_or(AppError::NotFound)?),
                None => None,
            };
            Ok((
                fields::fields(c, org, sref, false)?,
                model::assignable(c, org, sref)?,
                t,
            ))
        })
        .await?;
    let typed = typed.unwrap_or_else(|| match &ticket {
        Some(t) => Typed::of(t, &flds),
        None => Typed::default(),
    });
    let page_ctx = ctx.page();
    let priorities = choices(
        PRIORITIES,
        |p| page_ctx.t(&format!("ticket-priority-{p}")).into_owned(),
        &{
            let p = typed.get("priority");
            if p.is_empty() { "normal".into() } else { p }
        },
    );
    let channels = choices(
        CHANNELS,
        |ch| page_ctx.t(&format!("ticket-channel-{ch}")).into_owned(),
        &{
            let ch = typed.get("channel");
            if ch.is_empty() { "web".into() } else { ch }
        },
    );
    let page = TicketPage {
        errors: ctx.errors(v),
        ctx: page_ctx,
        service,
        ticket,
        fields: flds,
        typed,
        priorities,
        channels,
        assignees,
        me: ctx.user.id,
        assign_error: assign_error.clone(),
    };
    if v.is_empty() && assign_error.is_none() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

/// The ticket page again, with why the last action was refused.
async fn refused(
    ctx: &Member,
    service: Service,
    number: i64,
    key: &str,
) -> Result<HttpResponse, AppError> {
    let msg = ctx.t(key);
    ticket_page(
        ctx,
        service,
        Some(number),
        None,
        &Validation::default(),
        Some(msg),
    )
    .await
}

pub async fn new_page(ctx: Member, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let s = member_service(&ctx, path.into_inner()).await?;
    ticket_page(&ctx, s, None, None, &Validation::default(), None).await
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// The assignee a form names: `me`, a member id, or nobody.
fn assignee_of(raw: &str, me: i64) -> Result<Option<i64>, ()> {
    match raw.trim() {
        "" => Ok(None),
        "me" => Ok(Some(me)),
        id => id.parse().map(Some).map_err(|_| ()),
    }
}

pub async fn create(
    ctx: Member,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let service = member_service(&ctx, path.into_inner()).await?;
    let typed = Typed {
        pairs: form.into_inner(),
    };
    let (org, sref) = (ctx.org_id(), service.id);
    let flds = ctx
        .state
        .db(move |c| fields::fields(c, org, sref, false))
        .await?;
    let mut v = Validation::default();
    let content = check(&typed, &flds, &BTreeMap::new(), &mut v);
    let assignee = match assignee_of(&typed.get("assignee"), ctx.user.id) {
        Ok(a) => a,
        Err(()) => {
            v.add("assignee", Msg::new("choice-required"));
            None
        }
    };
    if !v.is_empty() {
        return ticket_page(&ctx, service, None, Some(typed), &v, None).await;
    }
    let by = ctx.user.id;
    let r = ctx
        .state
        .db(move |c| model::create(c, org, sref, &content, assignee, by, now()))
        .await?;
    match r {
        Created::Number(n) => {
            ctx.flash("success", "ticket-created")?;
            Ok(see_other(&Urls.ticket(&service.service_id, &n)))
        }
        Created::NotAssignable => {
            v.add("assignee", Msg::new("ticket-not-assignable"));
            ticket_page(&ctx, service, None, Some(typed), &v, None).await
        }
    }
}

pub async fn show(ctx: Member, path: web::Path<(String, i64)>) -> Result<HttpResponse, AppError> {
    let (sid, n) = path.into_inner();
    let s = member_service(&ctx, sid).await?;
    ticket_page(&ctx, s, Some(n), None, &Validation::default(), None).await
}

pub async fn update(
    ctx: Member,
    path: web::Path<(String, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (sid, n) = path.into_inner();
    let service = member_service(&ctx, sid).await?;
    let typed = Typed {
        pairs: form.into_inner(),
    };
    let (org, sref) = (ctx.org_id(), service.id);
    let (flds, ticket) = ctx
        .state
        .db(move |c| {
            Ok((
                fields::fields(c, org, sref, false)?,
                model::get(c, org, sref, n)?,
            ))
        })
        .await?;
    let ticket = ticket.ok_or(AppError::NotFound)?;
    if !ticket.is_open() {
        return refused(&ctx, service, n, "ticket-closed").await;
    }
    // Values of fields no longer active are kept as they were.
    let keep: BTreeMap<String, Value> = ticket
        .content
        .custom
        .iter()
        .filter(|(k, _)| !flds.iter().any(|f| &f.key == *k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut v = Validation::default();
    let content = check(&typed, &flds, &keep, &mut v);
    if !v.is_empty() {
        return ticket_page(&ctx, service, Some(n), Some(typed), &v, None).await;
    }
    if !ctx
        .state
        .db(move |c| model::update(c, org, sref, n, &content, now()))
        .await?
    {
        return Err(AppError::NotFound);
    }
    ctx.flash("success", "ticket-saved")?;
    Ok(see_other(&Urls.ticket(&service.service_id, &n)))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    pub assignee: String,
}

pub async fn assign(
    ctx: Member,
    path: web::Path<(String, i64)>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let (sid, n) = path.into_inner();
    let service = member_service(&ctx, sid).await?;
    let to = assignee_of(&form.assignee, ctx.user.id).map_err(|()| AppError::NotFound)?;
    let (org, sref) = (ctx.org_id(), service.id);
    let r = ctx
        .state
        .db(move |c| model::assign(c, org, sref, n, to, now()))
        .await?;
    match r {
        Change::Done => {
            ctx.flash("success", "ticket-assigned")?;
            Ok(see_other(&Urls.ticket(&service.service_id, &n)))
        }
        Change::NotAssignable => refused(&ctx, service, n, "ticket-not-assignable").await,
        Change::NotNow => refused(&ctx, service, n, "ticket-closed").await,
        Change::NotFound => Err(AppError::NotFound),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    pub status: String,
}

pub async fn set_status(
    ctx: Member,
    path: web::Path<(String, i64)>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let (sid, n) = path.into_inner();
    let service = member_service(&ctx, sid).await?;
    let to = STATUSES
        .into_iter()
        .find(|s| *s == form.status)
        .ok_or(AppError::NotFound)?;
    let (org, sref) = (ctx.org_id(), service.id);
    let r = ctx
        .state
        .db(move |c| model::set_status(c, org, sref, n, to, now()))
        .await?;
    match r {
        Change::Done => {
            ctx.flash("success", "ticket-status-changed")?;
            Ok(see_other(&Urls.ticket(&service.service_id, &n)))
        }
        Change::NotFound => Err(AppError::NotFound),
        _ => refused(&ctx, service, n, "ticket-move-not-now").await,
    }
}
