//! The fee page: only the OWNER and org admins; every query is scoped by the tenant's org.

use actix_web::{HttpResponse, web};
use chrono::Datelike;

use crate::admin::contracts::billing::{self, month_charge};
use crate::admin::contracts::model::{self, Service};
use crate::admin::contracts::views::*;
use crate::error::AppError;
use crate::pricing::KINDS;
use crate::web::forms::{Msg, Validation};
use crate::web::{Choice, OrgAdmin, ok, unprocessable};
use crate::xlsx::Cell;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FeesQuery {
    pub from: String,
    pub to: String,
    pub scope: String,
}

fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    ((2000..=2100).contains(&y) && (1..=12).contains(&m)).then_some((y, m))
}

/// (year, month)
type Month = (i32, u32);

fn today_in(tz: chrono_tz::Tz) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// The months asked for: `to` defaults to this month, `from` to five months before `to`;
/// None where what was typed is no month.
fn month_range(from: &str, to: &str, today: chrono::NaiveDate) -> (Option<Month>, Option<Month>) {
    let to = if to.trim().is_empty() {
        Some((today.year(), today.month()))
    } else {
        parse_month(to)
    };
    let from = if from.trim().is_empty() {
        to.map(|(y, m)| billing::months_back(y, m, 5))
    } else {
        parse_month(from)
    };
    (from, to)
}

/// How many months one search may span.
pub const FEE_MONTHS_MAX: usize = 36;

pub async fn fees(ctx: OrgAdmin, q: web::Query<FeesQuery>) -> Result<HttpResponse, AppError> {
    let (page, valid) = build(&ctx, q.into_inner()).await?;
    if valid {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

/// The fee page for a search, and whether the search was valid.
async fn build(ctx: &OrgAdmin, q: FeesQuery) -> Result<(FeesPage, bool), AppError> {
    let org = ctx.org_id();
    // The org's calendar and the version of its services came with the tenant; every
    // service's billing input from the first month shown is kept per that version, so an
    // unchanged org costs no statement here.
    let tz = ctx.tenant.tz();
    let today = today_in(tz);
    let (from, to) = month_range(&q.from, &q.to, today);
    let since = from
        .and_then(|(y, m)| chrono::NaiveDate::from_ymd_opt(y, m, 1))
        .unwrap_or(today);
    let inputs = ctx
        .state
        .kept(
            &ctx.state.billing,
            (org, since),
            ctx.tenant.services_version,
            move |c| model::billing_inputs(c, org, since),
        )
        .await?;
    let this_month = (today.year(), today.month());
    let mut v = Validation::default();
    if to.is_none() {
        v.add("to", Msg::new("month-invalid"));
    }
    if from.is_none() {
        v.add("from", Msg::new("month-invalid"));
    }
    let range = match (from, to) {
        (Some(f), Some(t)) if f > t => {
            v.add("to", Msg::new("month-range-order"));
            Vec::new()
        }
        (Some(f), Some(t)) => {
            let r = billing::months(f, t);
            if r.len() > FEE_MONTHS_MAX {
                v.add(
                    "to",
                    Msg::with(
                        "month-range-too-long",
                        &[("max", FEE_MONTHS_MAX.to_string())],
                    ),
                );
                Vec::new()
            } else {
                r
            }
        }
        _ => Vec::new(),
    };
    let scope = if q.scope.is_empty() {
        "all".to_string()
    } else {
        q.scope.clone()
    };
    let in_scope = |s: &Service| match scope.split_once(':') {
        _ if scope == "all" => true,
        Some(("kind", k)) => s.kind == k,
        Some(("service", id)) => s.service_id == id,
        _ => false,
    };
    let valid_scope = scope == "all"
        || KINDS.iter().any(|k| scope == format!("kind:{k}"))
        || inputs
            .iter()
            .any(|(s, _)| scope == format!("service:{}", s.service_id));
    if !valid_scope {
        v.add("scope", Msg::new("choice-required"));
    }
    let pb = ctx.state.pricing.clone();
    let chosen: Vec<&(Service, billing::ServiceBilling)> = if valid_scope {
        inputs.iter().filter(|(s, _)| in_scope(s)).collect()
    } else {
        Vec::new()
    };
    let mut months = Vec::new();
    let mut totals = Vec::new();
    // Each month's amounts, per chosen service (for the table's rows).
    let mut raw: Vec<Vec<i64>> = Vec::new();
    if v.is_empty() {
        for (y, m) in &range {
            let estimate = (*y, *m) == this_month;
            let through = estimate.then_some(today);
            let mut total = 0i64;
            let mut amounts = Vec::with_capacity(chosen.len());
            for (_, b) in &chosen {
                let amount = month_charge(b, *y, *m, through);
                amounts.push(amount);
                total += amount;
            }
            raw.push(amounts);
            let label = ctx.month(*y, *m);
            totals.push((label.clone(), total, estimate));
            months.push(FeeMonth {
                key: format!("{y}-{m:02}"),
                label,
                estimate,
                total: ctx.money(total),
            });
        }
    }
    // The same figures as one table: a row per service, a column per month.
    let rows: Vec<FeeRow> = chosen
        .iter()
        .enumerate()
        .map(|(i, (s, _))| {
            let values: Vec<i64> = raw
                .iter()
                .map(|amounts| amounts.get(i).copied().unwrap_or(0))
                .collect();
            let sum: i64 = values.iter().sum();
            let amounts = months
                .iter()
                .zip(&values)
                .map(|(m, a)| (m.key.clone(), ctx.money(*a)))
                .collect();
            FeeRow {
                name: s.name.clone(),
                service_id: s.service_id.clone(),
                kind_key: s.kind_key(),
                amounts,
                total: ctx.money(sum),
                values,
                sum,
            }
        })
        .collect();
    let grand_total = ctx.money(totals.iter().map(|t| t.1).sum());
    let chart = chart(&|v| ctx.money(v), &totals);
    let service_status = match scope.split_once(':') {
        Some(("service", id)) => chosen
            .iter()
            .find(|(s, _)| s.service_id == id)
            .map(|(s, _)| s.status_key()),
        _ => None,
    };
    let mut scopes = vec![Choice {
        value: "all".into(),
        label: ctx.t("fees-scope-all"),
        selected: scope == "all",
    }];
    for k in KINDS {
        let value = format!("kind:{k}");
        scopes.push(Choice {
            label: ctx.t(model::kind_key(k)),
            selected: scope == value,
            value,
        });
    }
    for (s, _) in inputs.iter() {
        let value = format!("service:{}", s.service_id);
        scopes.push(Choice {
            label: format!("{} ({})", s.name, s.service_id),
            selected: scope == value,
            value,
        });
    }
    let fmt = |m: Option<(i32, u32)>, raw: &str| {
        m.map(|(y, mm)| format!("{y}-{mm:02}"))
            .unwrap_or_else(|| raw.to_string())
    };
    let export_query = {
        let mut e = url::form_urlencoded::Serializer::new(String::new());
        e.append_pair("from", &fmt(from, &q.from));
        e.append_pair("to", &fmt(to, &q.to));
        e.append_pair("scope", &scope);
        e.finish()
    };
    let page = FeesPage {
        has_services: !inputs.is_empty(),
        export_query,
        month_sums: totals.iter().map(|t| t.1).collect(),
        decimals: pb.decimals,
        rows,
        grand_total,
        from: fmt(from, &q.from),
        to: fmt(to, &q.to),
        errors: ctx.errors(&v),
        ctx: ctx.page(),
        tabs: Tabs { current: "fees" },
        scopes,
        months,
        chart,
        service_status,
    };
    Ok((page, v.is_empty()))
}

/// The cells of the fee table as shown (amounts as numbers): a header row, a row per
/// service, and the totals row.
fn export_rows(ctx: &OrgAdmin, page: &FeesPage) -> Vec<Vec<Cell>> {
    let mut head = vec![
        Cell::Text(ctx.t("service-name")),
        Cell::Text(ctx.t("service-id")),
        Cell::Text(ctx.t("service-kind")),
    ];
    head.extend(page.months.iter().map(|m| Cell::Text(m.key.clone())));
    head.push(Cell::Text(ctx.t("fees-total")));
    let mut out = vec![head];
    let money = |v: i64| Cell::Number(page.scale(v));
    for r in &page.rows {
        let mut row = vec![
            Cell::Text(r.name.clone()),
            Cell::Text(r.service_id.clone()),
            Cell::Text(ctx.t(r.kind_key)),
        ];
        row.extend(r.values.iter().map(|v| money(*v)));
        row.push(money(r.sum));
        out.push(row);
    }
    let mut total = vec![Cell::Text(ctx.t("fees-total")), Cell::Empty, Cell::Empty];
    total.extend(page.month_sums.iter().map(|v| money(*v)));
    total.push(money(page.month_sums.iter().sum()));
    out.push(total);
    out
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.clone(),
        Cell::Number(n) => n.to_string(),
        Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// The fee table as CSV (UTF-8 with a BOM, so spreadsheet programs read Hangul and kana).
pub async fn export_csv(ctx: OrgAdmin, q: web::Query<FeesQuery>) -> Result<HttpResponse, AppError> {
    let (page, valid) = build(&ctx, q.into_inner()).await?;
    if !valid {
        return unprocessable(&page);
    }
    let mut body = "\u{feff}".to_string();
    for row in export_rows(&ctx, &page) {
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        body.push_str(&crate::xlsx::csv_line(&cells));
    }
    Ok(crate::web::attachment("fees.csv", "text/csv; charset=utf-8").body(body))
}

/// The fee table as xlsx (amounts as numbers, header frozen).
pub async fn export_xlsx(
    ctx: OrgAdmin,
    q: web::Query<FeesQuery>,
) -> Result<HttpResponse, AppError> {
    let (page, valid) = build(&ctx, q.into_inner()).await?;
    if !valid {
        return unprocessable(&page);
    }
    let mut rows = export_rows(&ctx, &page);
    let head: Vec<String> = rows.remove(0).iter().map(cell_text).collect();
    let name: String = ctx.t("tab-fees").chars().take(31).collect();
    let sheet = web::block(move || -> Result<crate::xlsx::Sheet, String> {
        let widths = vec![20.0; head.len()];
        let mut sheet =
            crate::xlsx::Sheet::new(&name, &head, &widths).map_err(|e| e.to_string())?;
        for r in &rows {
            sheet.typed_row(r).map_err(|e| e.to_string())?;
        }
        Ok(sheet)
    })
    .await?
    .map_err(AppError::internal)?;
    sheet.respond("fees.xlsx").await
}

/// Bar geometry of the monthly totals, for the SVG in the template: gridlines at round
/// amounts with their figures, a value over each bar while bars are wide enough for it,
/// and at most 12 month labels.
fn chart(money: &dyn Fn(i64) -> String, totals: &[(String, i64, bool)]) -> Chart {
    let (width, height, top, baseline, left) = (720i64, 260i64, 24i64, 220i64, 96i64);
    let top_value = totals.iter().map(|t| t.1).max().unwrap_or(0);
    let (step, lines) = grid_step(top_value.max(1));
    let max = (step * lines).max(1);
    let n = i64::try_from(totals.len()).unwrap_or(1).max(1);
    // At most 12 month labels: with more months, every `every`-th one.
    let every = totals.len().div_ceil(12).max(1);
    let slot = (width - left - 10) / n;
    let w = (slot * 6 / 10).max(4);
    // A figure needs about 80 units; narrower bars leave their values to the table.
    let values_fit = slot >= 88;
    let bars = totals
        .iter()
        .enumerate()
        .map(|(i, (label, value, estimate))| {
            let h = (baseline - top) * value / max;
            let x = left + slot * i64::try_from(i).unwrap_or(0) + (slot - w) / 2;
            Bar {
                x,
                y: baseline - h,
                w,
                h,
                label: label.clone(),
                value: money(*value),
                estimate: *estimate,
                show_label: i % every == 0,
                show_value: values_fit,
            }
        })
        .collect();
    let grid = (1..=lines)
        .map(|k| GridLine {
            y: baseline - (baseline - top) * k / lines,
            label: money(step * k),
        })
        .collect();
    Chart {
        width,
        height,
        baseline,
        has_estimate: totals.iter().any(|t| t.2),
        all_zero: top_value == 0,
        bars,
        grid,
    }
}

/// A round step (1, 2 or 5 times a power of ten) and how many steps (3 to 5) reach
/// `max` or beyond.
fn grid_step(max: i64) -> (i64, i64) {
    let mut magnitude = 1i64;
    while magnitude.saturating_mul(10) <= max / 4 {
        magnitude = magnitude.saturating_mul(10);
    }
    for unit in [1, 2, 5, 10] {
        let step = magnitude.saturating_mul(unit);
        let lines = (max + step - 1) / step;
        if lines <= 5 {
            return (step, lines.max(1));
        }
    }
    (magnitude.saturating_mul(10), 4)
}
