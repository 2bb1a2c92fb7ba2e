//! Askama views of the contract, fee and org-info tabs.

use askama::Template;

use super::model::{OrgInfo, Service};
use crate::web::forms::FieldErrors;
use crate::web::{Choice, PageCtx};

pub use crate::admin::Tabs;

#[derive(Template)]
#[template(path = "contracts/contracts.html")]
pub struct ContractsPage {
    pub ctx: PageCtx,
    pub tabs: Tabs,
    pub services: Vec<ServiceRow>,
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

pub struct FeeLine {
    pub name: String,
    pub service_id: String,
    pub kind_key: &'static str,
    pub amount: String,
}

pub struct FeeMonth {
    pub label: String,
    pub estimate: bool,
    pub lines: Vec<FeeLine>,
    pub total: String,
}

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub label: String,
    pub value: String,
    pub estimate: bool,
}

pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub baseline: i64,
    pub bars: Vec<Bar>,
    pub max_label: String,
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
