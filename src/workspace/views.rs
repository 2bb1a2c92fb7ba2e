//! Askama views of the workspace account pages.

use askama::Template;

use crate::console::orgs::model::{OrgMember, Settings};
use crate::services::members::model::Membership;
use crate::web::forms::FieldErrors;
use crate::web::{Choice, PageCtx};

#[derive(Template)]
#[template(path = "account/home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
    /// The services the member belongs to, with role and permissions.
    pub services: Vec<Membership>,
    /// Tickets in progress assigned to the member; unassigned ones in their services.
    pub in_progress: i64,
    pub unassigned: i64,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub login_id: String,
    pub password: String,
    /// Where to go after signing in (a local path).
    pub next: String,
}

#[derive(Template)]
#[template(path = "account/login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub form: LoginForm,
    pub errors: FieldErrors,
    pub form_error: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    pub login_id: String,
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
pub struct ForgotPage {
    pub ctx: PageCtx,
    pub form: ForgotForm,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub locale: String,
    pub accept_assignments: String,
}

#[derive(Template)]
#[template(path = "account/settings.html")]
pub struct SettingsPage {
    pub ctx: PageCtx,
    pub settings: Settings,
    pub services: Vec<Membership>,
    pub locales: Vec<Choice>,
    pub accept: bool,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/admin.html")]
pub struct AdminPage {
    pub ctx: PageCtx,
    pub tabs: crate::admin::contracts::views::Tabs,
    pub org_name: String,
    pub domain: String,
    pub workspace_url: String,
    pub members: Vec<OrgMember>,
    pub figures: Figures,
}

/// The overview's key figures.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub active: usize,
    pub suspended: usize,
    pub terminated: usize,
    /// The monthly cost of the contracts in force, formatted in the price book's currency.
    pub monthly: String,
    pub members: usize,
    pub admins: usize,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NextQuery {
    pub next: String,
}
