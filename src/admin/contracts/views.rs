//! Askama views of the contract, fee and org-info tabs.

use askama::Template;

use super::model::{OrgInfo, Service};
use crate::web::forms::FieldErrors;
use crate::web::list::Pager;
use crate::web::{Choice, PageCtx};

pub use crate::admin::Tabs;

#[derive(Template)]
#[template(path = "contracts/contracts.html")]
pub struct ContractsPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    /// The rows of this page.
    pub services: Vec<ServiceRow>,
    /// Services of the org at all (an empty org says so; an empty search says that).
    pub total: usize,
    /// Services matching the search.
    pub matching: usize,
    pub query: ListQuery,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
    pub pager: Pager,
}

/// The contract list's search, filter, sort and page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub status: String,
    pub sort: String,
    pub page: String,
    /// A service whose row to show: its page is chosen.
    pub focus: String,
}

impl ContractsPage {
    pub fn searching(&self) -> bool {
        !self.query.q.trim().is_empty() || !self.query.status.is_empty()
    }
}

pub struct ServiceRow {
    pub s: Service,
    pub cost: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/service_form.html")]
pub struct ServiceFormPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    /// None: a new service.
    pub service: Option<Service>,
    pub action: String,
    pub service_name: String,
    pub service_id: String,
    pub kinds: Vec<Choice>,
    pub editors: Vec<Choice>,
    pub timezones: Vec<Choice>,
    pub languages: Vec<Choice>,
    pub default_language: String,
    pub errors: FieldErrors,
}

pub struct FeatureRow {
    pub key: String,
    pub label_key: String,
    pub group_key: &'static str,
    pub checked: bool,
    pub volume: String,
    pub included: i64,
    pub seat_price: String,
    pub unit_price: String,
    pub volume_error: Vec<String>,
}

#[derive(Template)]
#[template(path = "contracts/contract.html")]
pub struct ContractPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub service: Service,
    pub features: Vec<FeatureRow>,
    pub seats: String,
    pub estimate: String,
    pub current: Option<(String, String)>,
    pub errors: FieldErrors,
    /// Why the contract could not be saved.
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/terminate.html")]
pub struct TerminatePage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub service: Service,
    pub errors: FieldErrors,
}

pub struct FeeMonth {
    /// `YYYY-MM`: the ids of its cells.
    pub key: String,
    /// As the reader writes a month.
    pub label: String,
    pub estimate: bool,
    pub total: String,
}

/// One service's row of the fee table: its amount in each month shown and their sum.
pub struct FeeRow {
    pub name: String,
    pub service_id: String,
    pub kind_key: &'static str,
    pub amounts: Vec<(String, String)>,
    pub total: String,
    /// The same amounts unformatted (for the exports), and their sum.
    pub values: Vec<i64>,
    pub sum: i64,
}

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub label: String,
    pub value: String,
    pub estimate: bool,
    /// Its month label is drawn (with many months, every few only, so they never overlap).
    pub show_label: bool,
    /// Its value is written above it (when the bars are wide enough for the figure).
    pub show_value: bool,
}

/// A horizontal gridline of the chart and the amount it stands for.
pub struct GridLine {
    pub y: i64,
    pub label: String,
}

pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub baseline: i64,
    pub bars: Vec<Bar>,
    pub grid: Vec<GridLine>,
    /// Every total is zero: no chart, a sentence instead.
    pub all_zero: bool,
    /// A bar is the current month's estimate (the legend names it).
    pub has_estimate: bool,
}

impl FeesPage {
    /// An amount in the currency's unit (e.g. cents to dollars).
    pub fn scale(&self, v: i64) -> f64 {
        v as f64 / 10f64.powi(i32::try_from(self.decimals).unwrap_or(0))
    }
}

#[derive(Template)]
#[template(path = "contracts/fees.html")]
pub struct FeesPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub from: String,
    pub to: String,
    pub scopes: Vec<Choice>,
    pub months: Vec<FeeMonth>,
    pub chart: Chart,
    pub errors: FieldErrors,
    /// The status of the one service in scope.
    pub service_status: Option<&'static str>,
    /// The organization has services at all (else an empty state).
    pub has_services: bool,
    /// Services as rows, months as columns.
    pub rows: Vec<FeeRow>,
    /// The sum of every month shown.
    pub grand_total: String,
    /// `from`, `to` and `scope` of the search shown, for the export links.
    pub export_query: String,
    /// Each month's total, unformatted.
    pub month_sums: Vec<i64>,
    /// Decimal places of the currency (amounts are in its smallest unit).
    pub decimals: u32,
}

#[derive(Template)]
#[template(path = "contracts/org.html")]
pub struct OrgInfoPage {
    /// Only the OWNER changes the two-factor requirement.
    pub is_owner: bool,
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub info: OrgInfo,
    pub workspace_url: String,
    /// The new key, shown in full this once.
    pub new_key: Option<String>,
    pub timezones: Vec<Choice>,
    pub errors: FieldErrors,
}
