//! Contract service status, contracts tab: services and their contracts. Only the OWNER
//! and org admins (the `OrgAdmin` extractor); every query is scoped by the tenant's org.

use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::model::{self, Banner, Service};
use super::rules::{self, BANNER_MAX, EDITORS, SEATS_MAX, ServiceInput, VOLUME_MAX};
use super::views::*;
use crate::error::AppError;
use crate::i18n::languages;
use crate::pricing::{KINDS, PriceBook, Selection};
use crate::routes::Urls;
use crate::web::forms::{Msg, Validation, checked};
use crate::web::list::Pager;
use crate::web::{Choice, Ctx, OrgAdmin, choices, ok, render, see_other, unprocessable};

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

async fn service_or_404(ctx: &Ctx, org: i64, service_id: String) -> Result<Service, AppError> {
    ctx.state
        .db(move |c| model::live_service(c, org, &service_id))
        .await?
        .ok_or(AppError::NotFound)
}

fn book(ctx: &Ctx) -> Arc<PriceBook> {
    ctx.state.pricing.clone()
}

/// Rows on one page of the contract list.
pub const PAGE_SIZE: usize = 20;
const SORTS: [&str; 4] = ["", "name", "newest", "cost"];
const STATUSES: [&str; 4] = ["", model::ACTIVE, model::SUSPENDED, model::TERMINATED];

/// Searches (name or service ID, any case), filters by status and sorts the services;
/// unknown values of `status` and `sort` count as "all" and "as created".
pub fn select_services<'a>(mut services: Vec<&'a Service>, q: &ListQuery) -> Vec<&'a Service> {
    let needle = q.q.trim().to_lowercase();
    if !needle.is_empty() {
        services.retain(|s| {
            s.name.to_lowercase().contains(&needle) || s.service_id.to_lowercase().contains(&needle)
        });
    }
    if STATUSES.contains(&q.status.as_str()) && !q.status.is_empty() {
        services.retain(|s| s.status == q.status);
    }
    match q.sort.as_str() {
        "name" => services.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        }),
        "newest" => services.sort_by_key(|s| std::cmp::Reverse(s.id)),
        "cost" => {
            services.sort_by(|a, b| b.monthly_cost.cmp(&a.monthly_cost).then(a.id.cmp(&b.id)))
        }
        _ => {}
    }
    services
}

/// The org's services, kept per version of the org's services (read with the tenant): an
/// unchanged org costs no statement.
pub async fn kept_services(ctx: &OrgAdmin) -> Result<std::sync::Arc<Vec<Service>>, AppError> {
    let org = ctx.org_id();
    ctx.state
        .kept(
            &ctx.state.services,
            org,
            ctx.tenant.services_version,
            move |c| model::services_of(c, org),
        )
        .await
}

pub async fn contracts(
    ctx: OrgAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let all = kept_services(&ctx).await?;
    let total = all.len();
    let selected = select_services(all.iter().collect(), &query);
    let matching = selected.len();
    let focused = selected
        .iter()
        .position(|s| !query.focus.is_empty() && s.service_id.eq_ignore_ascii_case(&query.focus));
    let pager = Pager::new(
        matching,
        PAGE_SIZE,
        &query.page,
        focused,
        Urls.admin_contracts(),
        &[
            ("q", query.q.as_str()),
            ("status", query.status.as_str()),
            ("sort", query.sort.as_str()),
        ],
    );
    let services = pager
        .slice(selected)
        .into_iter()
        .map(|s| ServiceRow {
            cost: s.monthly_cost.map(|c| ctx.money(c)),
            s: s.clone(),
        })
        .collect();
    let statuses = choices(
        STATUSES,
        |v| {
            if v.is_empty() {
                ctx.t("services-all-statuses")
            } else {
                ctx.t(match v {
                    model::ACTIVE => "service-status-active",
                    model::SUSPENDED => "service-status-suspended",
                    _ => "service-status-terminated",
                })
            }
        },
        &query.status,
    );
    let sorts = choices(
        SORTS,
        |v| {
            ctx.t(match v {
                "name" => "services-sort-name",
                "newest" => "services-sort-newest",
                "cost" => "services-sort-cost",
                _ => "services-sort-created",
            })
        },
        &query.sort,
    );
    ok(&ContractsPage {
        ctx: ctx.page(),
        tabs: Tabs {
            current: "contracts",
        },
        services,
        total,
        matching,
        query,
        statuses,
        sorts,
        pager,
    })
}

/// The time-zone options, labelled with their UTC offset today ("(UTC+09:00) Asia/Seoul")
/// and sorted by offset, then name; the chosen one selected. The list is built once a day
/// (offsets change with daylight saving time), not on every render.
pub fn timezone_opts(selected: &str) -> Vec<Choice> {
    use chrono::{Offset as _, TimeZone as _};
    type Zones = std::sync::Arc<Vec<(&'static str, String)>>;
    static CACHE: std::sync::Mutex<Option<(chrono::NaiveDate, Zones)>> =
        std::sync::Mutex::new(None);
    let now = chrono::Utc::now().naive_utc();
    let zones: Zones = {
        let mut cache = CACHE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*cache {
            Some((day, z)) if *day == now.date() => z.clone(),
            _ => {
                let mut v: Vec<(i32, &'static str)> = chrono_tz::TZ_VARIANTS
                    .iter()
                    .map(|tz| {
                        let off = tz.offset_from_utc_datetime(&now).fix().local_minus_utc();
                        (off, tz.name())
                    })
                    .collect();
                v.sort_unstable();
                let z: Zones = std::sync::Arc::new(
                    v.into_iter()
                        .map(|(off, name)| {
                            let sign = if off < 0 { '-' } else { '+' };
                            let m = off.unsigned_abs() / 60;
                            (
                                name,
                                format!("(UTC{sign}{:02}:{:02}) {name}", m / 60, m % 60),
                            )
                        })
                        .collect(),
                );
                *cache = Some((now.date(), z.clone()));
                z
            }
        }
    };
    zones
        .iter()
        .map(|(name, label)| Choice {
            value: (*name).to_string(),
            label: label.clone(),
            selected: *name == selected,
        })
        .collect()
}

#[cfg(test)]
mod tz_tests {
    #[test]
    fn zones_carry_their_offset_and_sort_by_it() {
        let z = super::timezone_opts("Asia/Seoul");
        let seoul = z.iter().find(|c| c.value == "Asia/Seoul").unwrap();
        assert_eq!(seoul.label, "(UTC+09:00) Asia/Seoul");
        assert!(seoul.selected);
        assert_eq!(z.iter().filter(|c| c.selected).count(), 1);
        let kolkata = z.iter().find(|c| c.value == "Asia/Kolkata").unwrap();
        assert_eq!(kolkata.label, "(UTC+05:30) Asia/Kolkata");
        let first = z.first().unwrap();
        assert!(first.label.starts_with("(UTC-1"), "{}", first.label);
        assert_eq!(z.len(), chrono_tz::TZ_VARIANTS.len());
    }
}

fn form_view(
    ctx: &Ctx,
    service: Option<Service>,
    input: &ServiceInput,
    v: &Validation,
) -> ServiceFormPage {
    let action = match &service {
        Some(s) => Urls.service_edit(&s.service_id),
        None => Urls.new_service().to_string(),
    };
    let kinds = choices(KINDS, |k| ctx.t(model::kind_key(k)), &input.kind);
    let editors = choices(
        EDITORS,
        |e| {
            ctx.t(if e == "html" {
                "editor-html"
            } else {
                "editor-text"
            })
        },
        &input.editor,
    );
    let timezones = timezone_opts(&input.timezone);
    let languages = languages::all()
        .iter()
        .map(|l| Choice {
            value: l.code.to_string(),
            label: format!("{} ({})", l.label(), l.code),
            selected: input.languages.iter().any(|x| x == l.code),
        })
        .collect();
    ServiceFormPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        tabs: Tabs {
            current: "contracts",
        },
        service,
        action,
        service_name: input.name.clone(),
        service_id: input.service_id.clone(),
        kinds,
        editors,
        timezones,
        languages,
        default_language: input.languages.first().cloned().unwrap_or_default(),
    }
}

pub async fn new_service_page(ctx: OrgAdmin) -> Result<HttpResponse, AppError> {
    let lang = ctx.lang.code().to_string();
    let input = ServiceInput {
        kind: "counseling".into(),
        languages: vec![lang],
        // The org's time zone came with the tenant.
        timezone: ctx.tenant.timezone.clone(),
        editor: "html".into(),
        ..Default::default()
    };
    ok(&form_view(&ctx, None, &input, &Validation::default()))
}

/// Reads the service form (multipart): fields, the chosen languages (the `default_language`
/// one first) and the banner.
async fn read_service_form(
    mp: Multipart,
    v: &mut Validation,
) -> Result<(ServiceInput, Option<Banner>), AppError> {
    let parts = crate::web::multipart::read(mp, BANNER_MAX).await?;
    let mut languages = parts.all("languages");
    let default = parts.get("default_language");
    if let Some(i) = languages.iter().position(|l| *l == default) {
        let d = languages.remove(i);
        languages.insert(0, d);
    }
    let input = ServiceInput {
        kind: parts.get("kind"),
        name: parts.get("name"),
        service_id: parts.get("service_id"),
        languages,
        timezone: parts.get("timezone"),
        editor: parts.get("editor"),
    };
    let banner = match parts.file("banner") {
        Some((_, true)) => {
            v.add("banner", Msg::new("banner-too-large"));
            None
        }
        Some((bytes, false)) => rules::check_banner(bytes, v).map(|content_type| Banner {
            bytes: bytes.to_vec(),
            content_type,
        }),
        None => None,
    };
    Ok((input, banner))
}

pub async fn create_service(ctx: OrgAdmin, mp: Multipart) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let mut v = Validation::default();
    let (mut input, banner) = read_service_form(mp, &mut v).await?;
    rules::check_service(&mut input, &mut v, true, rules::Reading::Forgiving);
    if !v.is_empty() {
        return unprocessable(&form_view(&ctx, None, &input, &v));
    }
    let i = input.clone();
    let Some(service) = ctx
        .state
        .db(move |c| model::create_service(c, org, &i, banner, now()))
        .await?
    else {
        v.add("service_id", Msg::new("service-id-taken"));
        return unprocessable(&form_view(&ctx, None, &input, &v));
    };
    ctx.flash("success", "service-added")?;
    Ok(see_other(&Urls.service_contract(&service.service_id)))
}

pub async fn edit_service_page(
    ctx: OrgAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    let input = ServiceInput {
        kind: s.kind.clone(),
        name: s.name.clone(),
        service_id: s.service_id.clone(),
        languages: s.languages.clone(),
        timezone: s.timezone.clone(),
        editor: s.editor.clone(),
    };
    ok(&form_view(&ctx, Some(s), &input, &Validation::default()))
}

pub async fn update_service(
    ctx: OrgAdmin,
    path: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    let mut v = Validation::default();
    let (mut input, banner) = read_service_form(mp, &mut v).await?;
    input.kind = s.kind.clone();
    input.service_id = s.service_id.clone();
    rules::check_service(&mut input, &mut v, false, rules::Reading::Forgiving);
    if !v.is_empty() {
        return unprocessable(&form_view(&ctx, Some(s), &input, &v));
    }
    let id = s.id;
    ctx.state
        .db(move |c| model::update_service(c, org, id, &input, banner, now()))
        .await?;
    ctx.flash("success", "service-saved")?;
    Ok(see_other(Urls.admin_contracts()))
}

/// The contract form as submitted: checked features, seats, volumes.
fn parse_selection(
    pb: &PriceBook,
    kind: &str,
    form: &[(String, String)],
    v: &mut Validation,
) -> (Selection, Vec<(String, String)>) {
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, x)| x.as_str())
            .unwrap_or("")
    };
    let seats = rules::count(v, "seats", get("seats"), SEATS_MAX);
    let mut sel = Selection {
        seats,
        features: Default::default(),
    };
    let mut raw = vec![("seats".to_string(), get("seats").to_string())];
    for f in pb.features_of(kind) {
        let field = format!("volume_{f}");
        let value = get(&field).to_string();
        let mut fv = Validation::default();
        let volume = rules::count(&mut fv, "volume", &value, VOLUME_MAX);
        if !fv.is_empty() {
            v.add(
                "volumes",
                Msg::with("count-invalid", &[("max", VOLUME_MAX.to_string())]),
            );
            raw.push((format!("error_{f}"), String::new()));
        }
        if checked(get(f)) {
            sel.features.insert(f.clone(), volume);
        }
        raw.push((field, value));
    }
    (sel, raw)
}

fn contract_view(
    ctx: &Ctx,
    service: Service,
    sel: &Selection,
    raw: &[(String, String)],
    v: &Validation,
    form_error: Option<&'static str>,
    current: Option<model::ContractRow>,
) -> ContractPage {
    let pb = book(ctx);
    let get = |k: &str| raw.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone());
    let errors = ctx.errors(v);
    let features = pb
        .features_of(&service.kind)
        .iter()
        .map(|f| {
            let price = pb.features.get(f);
            let bad = raw.iter().any(|(n, _)| *n == format!("error_{f}"));
            FeatureRow {
                key: f.clone(),
                label_key: format!("feature-{}", f.replace('_', "-")),
                group_key: match price.map(|p| p.group.as_str()) {
                    Some("ticket") => "feature-group-ticket",
                    Some("chat") => "feature-group-chat",
                    _ => "feature-group-additional",
                },
                checked: sel.features.contains_key(f),
                volume: get(&format!("volume_{f}")).unwrap_or_else(|| {
                    sel.features
                        .get(f)
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                }),
                included: price.map(|p| p.included).unwrap_or(0),
                seat_price: ctx.money(price.map(|p| p.seat_price).unwrap_or(0)),
                unit_price: ctx.money(price.map(|p| p.unit_price).unwrap_or(0)),
                volume_error: if bad {
                    errors.of("volumes").to_vec()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let estimate = ctx.money(pb.monthly_cost(&service.kind, sel));
    ContractPage {
        seats: get("seats").unwrap_or_else(|| sel.seats.to_string()),
        current: current.map(|c| (ctx.day(&c.effective_date), ctx.money(c.monthly_cost))),
        form_error: form_error.map(|k| ctx.t(k)),
        errors,
        ctx: ctx.page(),
        tabs: Tabs {
            current: "contracts",
        },
        service,
        features,
        estimate,
    }
}

pub async fn contract_page(
    ctx: OrgAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    let id = s.id;
    let current = ctx.state.db(move |c| model::latest_contract(c, id)).await?;
    let sel = current
        .as_ref()
        .map(|c| c.selection.clone())
        .unwrap_or_default();
    ok(&contract_view(
        &ctx,
        s,
        &sel,
        &[],
        &Validation::default(),
        None,
        current,
    ))
}

/// The contract form again, with the contract in force read only now that it is needed.
async fn contract_again(
    ctx: &Ctx,
    s: Service,
    form: (&Selection, &[(String, String)]),
    v: &Validation,
    form_error: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = s.id;
    let current = ctx.state.db(move |c| model::latest_contract(c, id)).await?;
    render(
        &contract_view(ctx, s, form.0, form.1, v, form_error, current),
        status,
    )
}

pub async fn save_contract(
    ctx: OrgAdmin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    let pb = book(&ctx);
    let mut v = Validation::default();
    let (sel, raw) = parse_selection(&pb, &s.kind, &form, &mut v);
    let action = form
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, x)| x.as_str())
        .unwrap_or("");
    if v.is_empty() && action == "contract" {
        if sel.features.is_empty() {
            v.add("features", Msg::new("contract-needs-feature"));
        }
        if sel.seats < 1 {
            v.add("seats", Msg::new("contract-needs-seats"));
        }
    }
    if !v.is_empty() {
        return contract_again(
            &ctx,
            s,
            (&sel, &raw),
            &v,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if action != "contract" {
        // "Estimate": the same page with the cost of what was chosen.
        return contract_again(&ctx, s, (&sel, &raw), &v, None, StatusCode::OK).await;
    }
    let cost = pb.monthly_cost(&s.kind, &sel);
    let (id, day, by, sel2) = (s.id, s.today(), user.id, sel.clone());
    if !ctx
        .state
        .db(move |c| model::add_contract(c, id, day, &sel2, cost, by, now()))
        .await?
    {
        return contract_again(
            &ctx,
            s,
            (&sel, &raw),
            &v,
            Some("contract-once-per-day"),
            StatusCode::CONFLICT,
        )
        .await;
    }
    ctx.flash("success", "contract-saved")?;
    Ok(see_other(Urls.admin_contracts()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    pub status: String,
}

pub async fn set_status(
    ctx: OrgAdmin,
    path: web::Path<String>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    let status = match form.status.as_str() {
        model::ACTIVE => model::ACTIVE,
        model::SUSPENDED => model::SUSPENDED,
        _ => return Err(AppError::BadRequest),
    };
    let id = s.id;
    ctx.state
        .db(move |c| model::set_status(c, org, id, status, now()))
        .await?;
    ctx.flash(
        "success",
        if status == model::ACTIVE {
            "service-resumed"
        } else {
            "service-suspended"
        },
    )?;
    // Back to the service's row, not the top of a long list.
    Ok(see_other(&Urls.service_row(&s.service_id)))
}

/// Asks before suspending, naming the service (resuming needs no question).
pub async fn suspend_page(
    ctx: OrgAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    if !s.is_active() {
        return Ok(see_other(&Urls.service_row(&s.service_id)));
    }
    let i18n = &ctx.state.i18n;
    let name = format!("{} ({})", s.name, s.service_id);
    ok(&crate::web::ConfirmPage {
        heading: i18n.t_args(ctx.lang, "suspend-confirm-title", &[("name", name)]),
        message: ctx.t("suspend-confirm-text"),
        action: Urls.service_status(&s.service_id),
        fields: vec![("status", SUSPENDED_STATUS.to_string())],
        submit_id: "suspend-confirm",
        submit_label: ctx.t("service-suspend"),
        cancel: Urls.service_row(&s.service_id),
        ctx: ctx.page(),
    })
}

const SUSPENDED_STATUS: &str = model::SUSPENDED;

pub async fn terminate_page(
    ctx: OrgAdmin,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    if !s.is_suspended() {
        ctx.flash("error", "terminate-needs-suspend")?;
        return Ok(see_other(Urls.admin_contracts()));
    }
    ok(&TerminatePage {
        ctx: ctx.page(),
        tabs: Tabs {
            current: "contracts",
        },
        service: s,
        errors: Default::default(),
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    pub confirm: String,
}

pub async fn terminate(
    ctx: OrgAdmin,
    path: web::Path<String>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let org = ctx.org_id();
    let s = service_or_404(&ctx, org, path.into_inner()).await?;
    if !checked(&form.confirm) {
        let mut v = Validation::default();
        v.add("confirm", Msg::new("confirm-required"));
        return unprocessable(&TerminatePage {
            errors: ctx.errors(&v),
            ctx: ctx.page(),
            tabs: Tabs {
                current: "contracts",
            },
            service: s,
        });
    }
    let (id, day) = (s.id, s.today());
    if !ctx
        .state
        .db(move |c| model::terminate(c, org, id, day, now()))
        .await?
    {
        ctx.flash("error", "terminate-needs-suspend")?;
        return Ok(see_other(Urls.admin_contracts()));
    }
    ctx.flash("success", "service-terminated")?;
    Ok(see_other(Urls.admin_contracts()))
}
