//! Askama views of the console pages; each embeds the shared `PageCtx`.

use askama::Template;

use crate::web::forms::FieldErrors;
use crate::web::{Choice, PageCtx};

#[derive(Template)]
#[template(path = "console/home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SignupForm {
    pub email: String,
    pub name: String,
    pub password: String,
    pub password_confirm: String,
    pub country: String,
    pub member_type: String,
    pub agree_terms: String,
}

#[derive(Template)]
#[template(path = "console/signup.html")]
pub struct SignupPage {
    pub certificate_max_mb: String,
    pub ctx: PageCtx,
    pub form: SignupForm,
    pub errors: FieldErrors,
    pub countries: Vec<Choice>,
    pub member_types: Vec<Choice>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    /// Where to go after signing in (a local path).
    pub next: String,
}

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub form: LoginForm,
    pub errors: FieldErrors,
    /// A message about the whole form (wrong credentials, locked account).
    pub form_error: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    pub email: String,
}

#[derive(Template)]
#[template(path = "console/forgot.html")]
pub struct ForgotPage {
    pub ctx: PageCtx,
    pub form: ForgotForm,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct LangForm {
    pub lang: String,
    pub next: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NextQuery {
    pub next: String,
}

#[derive(Template)]
#[template(path = "console/account.html")]
pub struct AccountPage {
    pub ctx: PageCtx,
    pub email: String,
    pub name: String,
    pub country: String,
    pub member_type: String,
    pub is_business: bool,
    pub since: String,
    /// The certificate's file name and upload date.
    pub certificate: Option<(String, String)>,
}
