//! Console handlers for payment methods, organizations and the Online Contact onboarding.
//! Every page needs a signed-in console member; an organization is only found among the
//! member's own (another member's answers 404).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::model::{self, Finish, Org, RemoveCard, SetOc};
use super::rules;
use super::views::*;
use crate::error::AppError;
use crate::routes::Urls;
use crate::web::forms::{Msg, Validation, checked, email, required_text};
use crate::web::{ConsoleMember, Ctx, User, ok, render, see_other, unprocessable};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

pub const ORG_NAME_MAX: usize = 50;
pub use super::rules::MEMBER_NAME_MAX;

/// A member without a payment method is sent to add one first.
async fn card_gate(ctx: &Ctx, user: &User) -> Result<Option<HttpResponse>, AppError> {
    let id = user.id;
    if ctx.state.db(move |c| model::has_card(c, id)).await? {
        return Ok(None);
    }
    ctx.flash("info", "payment-needed")?;
    Ok(Some(see_other(Urls.payment_methods())))
}

async fn own_org(ctx: &Ctx, user: &User, public_id: String) -> Result<Org, AppError> {
    let id = user.id;
    ctx.state
        .db(move |c| model::org_of(c, id, &public_id))
        .await?
        .ok_or(AppError::NotFound)
}

/// The signed-in member's organization `public_id` (404 if not theirs) and whether they
/// have a payment method, in one database trip; without one, the early return of the
/// redirect to add it.
macro_rules! gated_org {
    ($ctx:expr, $public_id:expr) => {{
        let (id, public_id) = ($ctx.user.id, $public_id);
        let (org, has_card) = $ctx
            .state
            .db(move |c| {
                let org = model::org_of(c, id, &public_id)?.ok_or(AppError::NotFound)?;
                Ok((org, model::has_card(c, id)?))
            })
            .await?;
        if !has_card {
            $ctx.flash("info", "payment-needed")?;
            return Ok(see_other(Urls.payment_methods()));
        }
        org
    }};
}

macro_rules! gate {
    ($ctx:expr, $user:expr) => {
        if let Some(redirect) = card_gate(&$ctx, &$user).await? {
            return Ok(redirect);
        }
    };
}

pub async fn console(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    gate!(ctx, user);
    let id = user.id;
    let orgs = ctx.state.db(move |c| model::orgs_of(c, id)).await?;
    ok(&ConsolePage {
        ctx: ctx.page(),
        orgs,
    })
}

async fn payment_view(
    ctx: &Ctx,
    user: &User,
    form: CardForm,
    v: &Validation,
) -> Result<PaymentPage, AppError> {
    let id = user.id;
    let cards = ctx.state.db(move |c| model::cards(c, id)).await?;
    Ok(PaymentPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        cards,
        form,
    })
}

pub async fn payment_methods(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    ok(&payment_view(&ctx, &user, CardForm::default(), &Validation::default()).await?)
}

pub async fn add_card(
    ctx: ConsoleMember,
    form: web::Form<CardForm>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let mut form = form.into_inner();
    let mut v = Validation::default();
    let digits = match rules::check_card(&form.card_number) {
        Ok(d) => Some(d),
        Err(m) => {
            v.add("card_number", m);
            None
        }
    };
    let exp = match rules::check_expiry(&form.expiry, now().date()) {
        Ok(e) => Some(e),
        Err(m) => {
            v.add("expiry", m);
            None
        }
    };
    form.holder = required_text(&mut v, "holder", &form.holder, 50);
    let (Some(digits), Some(exp), true) = (digits, exp, v.is_empty()) else {
        return unprocessable(&payment_view(&ctx, &user, form, &v).await?);
    };
    let (id, holder) = (user.id, form.holder.clone());
    ctx.state
        .db(move |c| model::add_card(c, id, &digits, exp, &holder, now()))
        .await?;
    ctx.flash("success", "card-added")?;
    Ok(see_other(Urls.payment_methods()))
}

/// Asks before removing a card, naming it.
pub async fn delete_card_page(
    ctx: ConsoleMember,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (id, card) = (ctx.user.id, path.into_inner());
    let c = ctx
        .state
        .db(move |c| model::cards(c, id))
        .await?
        .into_iter()
        .find(|c| c.id == card)
        .ok_or(AppError::NotFound)?;
    let label = format!(
        "{} \u{2022}\u{2022}\u{2022}\u{2022} {}",
        ctx.t(c.brand_key()),
        c.last4
    );
    ok(&crate::web::ConfirmPage {
        heading: ctx
            .state
            .i18n
            .t_args(ctx.lang, "card-remove-confirm-title", &[("card", label)]),
        message: ctx.t("card-remove-confirm-text"),
        action: Urls.delete_card(&c.id),
        fields: Vec::new(),
        submit_id: "card-remove-confirm",
        submit_label: ctx.t("card-remove"),
        cancel: Urls.payment_methods().to_string(),
        ctx: ctx.page(),
    })
}

pub async fn delete_card(
    ctx: ConsoleMember,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let (id, card) = (user.id, path.into_inner());
    match ctx
        .state
        .db(move |c| model::remove_card(c, id, card))
        .await?
    {
        RemoveCard::Removed => ctx.flash("success", "card-removed")?,
        RemoveCard::LastInUse => ctx.flash("error", "card-last-in-use")?,
        RemoveCard::NotFound => return Err(AppError::NotFound),
    }
    Ok(see_other(Urls.payment_methods()))
}

pub async fn new_org_page(ctx: ConsoleMember) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    gate!(ctx, user);
    ok(&NewOrgPage {
        ctx: ctx.page(),
        form: NameForm::default(),
        errors: Default::default(),
    })
}

pub async fn create_org(
    ctx: ConsoleMember,
    form: web::Form<NameForm>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    gate!(ctx, user);
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.name = required_text(&mut v, "name", &form.name, ORG_NAME_MAX);
    if !v.is_empty() {
        return unprocessable(&NewOrgPage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            form,
        });
    }
    let (id, name) = (user.id, form.name.clone());
    let public_id = ctx
        .state
        .db(move |c| model::create_org(c, id, &name, now()))
        .await?;
    ctx.flash("success", "org-created")?;
    Ok(see_other(&Urls.org(&public_id)))
}

pub async fn org_page(
    ctx: ConsoleMember,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let org = own_org(&ctx, &user, path.into_inner()).await?;
    let org_id = org.id;
    let members = ctx.state.db(move |c| model::members_of(c, org_id)).await?;
    let workspace_url = match (&org.domain, org.oc_enabled) {
        (Some(d), true) => Some(ctx.state.config.base_url.workspace_origin(d)),
        _ => None,
    };
    ok(&OrgPage {
        ctx: ctx.page(),
        org,
        workspace_url,
        members,
    })
}

fn oc_view(ctx: &Ctx, org: Org, form: OcForm, v: &Validation) -> OnlineContactPage {
    OnlineContactPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        org,
        form,
        host_suffix: ctx.state.config.base_url.workspace_suffix().to_string(),
    }
}

pub async fn online_contact_page(
    ctx: ConsoleMember,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = gated_org!(ctx, path.into_inner());
    let form = OcForm {
        org_name: org.oc_name.clone().unwrap_or_else(|| org.name.clone()),
        domain: org.domain.clone().unwrap_or_default(),
    };
    ok(&oc_view(&ctx, org, form, &Validation::default()))
}

pub async fn online_contact(
    ctx: ConsoleMember,
    path: web::Path<String>,
    form: web::Form<OcForm>,
) -> Result<HttpResponse, AppError> {
    let org = gated_org!(ctx, path.into_inner());
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.org_name = required_text(&mut v, "org_name", &form.org_name, ORG_NAME_MAX);
    form.domain = form.domain.trim().to_ascii_lowercase();
    v.add_all("domain", rules::check_domain(&form.domain));
    if !v.is_empty() {
        return unprocessable(&oc_view(&ctx, org, form, &v));
    }
    let (org_id, name, domain) = (org.id, form.org_name.clone(), form.domain.clone());
    match ctx
        .state
        .db(move |c| model::set_online_contact(c, org_id, &name, &domain))
        .await?
    {
        SetOc::Saved => Ok(see_other(&Urls.org_members(&org.public_id))),
        SetOc::NameTaken => {
            v.add("org_name", Msg::new("org-name-taken"));
            unprocessable(&oc_view(&ctx, org, form, &v))
        }
        SetOc::DomainTaken => {
            v.add("domain", Msg::new("domain-taken"));
            unprocessable(&oc_view(&ctx, org, form, &v))
        }
    }
}

/// Members shown a page at a time.
const MEMBERS_PAGE: usize = 50;

async fn members_view(
    ctx: &Ctx,
    org: Org,
    query: MembersQuery,
    form: MemberForm,
    v: &Validation,
    finish_error: Option<&'static str>,
) -> Result<MembersPage, AppError> {
    let org_id = org.id;
    let all = ctx.state.db(move |c| model::members_of(c, org_id)).await?;
    let total = all.len();
    let needle = query.q.trim().to_lowercase();
    let matching: Vec<model::OrgMember> = all
        .into_iter()
        .filter(|m| {
            needle.is_empty()
                || [&m.login_id, &m.name, &m.email]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&needle))
        })
        .collect();
    let focused = matching
        .iter()
        .position(|m| !query.focus.is_empty() && m.login_id == query.focus);
    let pager = crate::web::list::Pager::new(
        matching.len(),
        MEMBERS_PAGE,
        &query.page,
        focused,
        &Urls.org_members(&org.public_id),
        &[("q", query.q.trim())],
    );
    Ok(MembersPage {
        errors: ctx.errors(v),
        finish_error: finish_error.map(|k| ctx.t(k)),
        ctx: ctx.page(),
        org,
        matching: matching.len(),
        members: pager.slice(matching),
        total,
        query,
        pager,
        form,
    })
}

/// The member steps need the org name and domain first.
fn needs_domain(org: &Org) -> Option<HttpResponse> {
    org.domain
        .is_none()
        .then(|| see_other(&Urls.online_contact(&org.public_id)))
}

pub async fn members_page(
    ctx: ConsoleMember,
    path: web::Path<String>,
    query: web::Query<MembersQuery>,
) -> Result<HttpResponse, AppError> {
    let org = gated_org!(ctx, path.into_inner());
    if let Some(r) = needs_domain(&org) {
        return Ok(r);
    }
    ok(&members_view(
        &ctx,
        org,
        query.into_inner(),
        MemberForm::default(),
        &Validation::default(),
        None,
    )
    .await?)
}

pub async fn add_member(
    ctx: ConsoleMember,
    path: web::Path<String>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let org = gated_org!(ctx, path.into_inner());
    if let Some(r) = needs_domain(&org) {
        return Ok(r);
    }
    let mut form = form.into_inner();
    let mut v = Validation::default();
    form.login_id = form.login_id.trim().to_string();
    v.add_all("login_id", rules::check_login_id(&form.login_id));
    form.name = required_text(&mut v, "name", &form.name, MEMBER_NAME_MAX);
    form.email = email(&mut v, "email", &form.email);
    let phone = rules::check_phone(&mut v, "phone", &form.phone);
    if !v.is_empty() {
        return unprocessable(
            &members_view(&ctx, org, MembersQuery::default(), form, &v, None).await?,
        );
    }
    let new = model::NewOrgMember {
        login_id: form.login_id.clone(),
        name: form.name.clone(),
        email: form.email.clone(),
        phone,
        owner: checked(&form.owner),
        locale: ctx.lang.code().to_string(),
    };
    let org_id = org.id;
    let (actor, ip) = (console_actor(&user), ctx.ip());
    if !ctx
        .state
        .db(move |c| model::add_member(c, org_id, &new, &actor, &ip, now()))
        .await?
    {
        v.add("login_id", Msg::new("login-id-taken"));
        return unprocessable(
            &members_view(&ctx, org, MembersQuery::default(), form, &v, None).await?,
        );
    }
    ctx.flash("success", "member-added")?;
    // Back on the page holding the new member's row, scrolled to it.
    let login: String = url::form_urlencoded::byte_serialize(form.login_id.as_bytes()).collect();
    Ok(see_other(&format!(
        "{}?focus={login}#member-{login}",
        Urls.org_members(&org.public_id)
    )))
}

/// Asks before moving the OWNER, naming the member.
pub async fn make_owner_page(
    ctx: ConsoleMember,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let (public_id, member_id) = path.into_inner();
    let org = own_org(&ctx, &user, public_id).await?;
    let org_id = org.id;
    let m = ctx
        .state
        .db(move |c| model::members_of(c, org_id))
        .await?
        .into_iter()
        .find(|m| m.id == member_id && !m.is_owner)
        .ok_or(AppError::NotFound)?;
    let who = format!("{} ({})", m.name, m.login_id);
    ok(&crate::web::ConfirmPage {
        heading: ctx
            .state
            .i18n
            .t_args(ctx.lang, "owner-confirm-title", &[("name", who)]),
        message: ctx.t("owner-confirm-text"),
        action: Urls.make_owner(&org.public_id, &m.id),
        fields: Vec::new(),
        submit_id: "make-owner-confirm",
        submit_label: ctx.t("member-make-owner"),
        cancel: Urls.org_members(&org.public_id),
        ctx: ctx.page(),
    })
}

pub async fn make_owner(
    ctx: ConsoleMember,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let (public_id, member_id) = path.into_inner();
    let org = own_org(&ctx, &user, public_id).await?;
    let org_id = org.id;
    let (actor, ip) = (console_actor(&user), ctx.ip());
    if !ctx
        .state
        .db(move |c| model::make_owner(c, org_id, member_id, &actor, &ip, now()))
        .await?
    {
        return Err(AppError::NotFound);
    }
    ctx.flash("success", "owner-changed")?;
    Ok(see_other(&Urls.org_members(&org.public_id)))
}

pub async fn finish(ctx: ConsoleMember, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let org = gated_org!(ctx, path.into_inner());
    let org_id = org.id;
    match ctx
        .state
        .db(move |c| model::finish(c, org_id, now()))
        .await?
    {
        Finish::Done => Ok(see_other(&Urls.onboarding_done(&org.public_id))),
        Finish::NoDomain => Ok(see_other(&Urls.online_contact(&org.public_id))),
        Finish::NoOwner => {
            let page = members_view(
                &ctx,
                org,
                MembersQuery::default(),
                MemberForm::default(),
                &Validation::default(),
                Some("owner-required"),
            )
            .await?;
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

pub async fn done(ctx: ConsoleMember, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let user = ctx.user.clone();
    let org = own_org(&ctx, &user, path.into_inner()).await?;
    let (Some(domain), true) = (org.domain.clone(), org.oc_enabled) else {
        return Ok(see_other(&Urls.org_members(&org.public_id)));
    };
    let org_id = org.id;
    let owner_login_id = ctx
        .state
        .db(move |c| model::owner_login_id(c, org_id))
        .await?
        .unwrap_or_default();
    let workspace_url = ctx.state.config.base_url.workspace_origin(&domain);
    ok(&DonePage {
        ctx: ctx.page(),
        org,
        workspace_url,
        owner_login_id,
    })
}

/// A console member as the permission-change log names them (by email).
fn console_actor(user: &User) -> crate::admin::permission_log::model::Person {
    crate::admin::permission_log::model::Person {
        name: user.name.clone(),
        login: user.email.clone(),
    }
}
