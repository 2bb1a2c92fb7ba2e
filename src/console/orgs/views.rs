//! Askama views of the console's organization pages.

use askama::Template;

use super::model::{Card, Org, OrgMember};
use crate::web::PageCtx;
use crate::web::forms::FieldErrors;

#[derive(Template)]
#[template(path = "orgs/console.html")]
pub struct ConsolePage {
    pub ctx: PageCtx,
    pub orgs: Vec<Org>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct CardForm {
    pub card_number: String,
    pub expiry: String,
    pub holder: String,
}

#[derive(Template)]
#[template(path = "orgs/payment_methods.html")]
pub struct PaymentPage {
    pub ctx: PageCtx,
    pub cards: Vec<Card>,
    pub form: CardForm,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NameForm {
    pub name: String,
}

#[derive(Template)]
#[template(path = "orgs/new.html")]
pub struct NewOrgPage {
    pub ctx: PageCtx,
    pub form: NameForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "orgs/org.html")]
pub struct OrgPage {
    pub ctx: PageCtx,
    pub org: Org,
    pub workspace_url: Option<String>,
    pub members: Vec<OrgMember>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct OcForm {
    pub org_name: String,
    pub domain: String,
}

#[derive(Template)]
#[template(path = "orgs/online_contact.html")]
pub struct OnlineContactPage {
    pub ctx: PageCtx,
    pub org: Org,
    pub form: OcForm,
    pub errors: FieldErrors,
    /// `.{base host}`, shown after the domain field.
    pub host_suffix: String,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub login_id: String,
    pub name: String,
    pub email: String,
    /// Optional.
    pub phone: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "orgs/members.html")]
pub struct MembersPage {
    pub ctx: PageCtx,
    pub org: Org,
    /// This page's rows of the members matching the search.
    pub members: Vec<OrgMember>,
    /// Members of the org at all, and those matching the search.
    pub total: usize,
    pub matching: usize,
    pub query: MembersQuery,
    pub pager: crate::web::list::Pager,
    pub form: MemberForm,
    pub errors: FieldErrors,
    /// Why the flow cannot finish yet.
    pub finish_error: Option<String>,
}

/// The member list's search, page, and a member whose row to show.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MembersQuery {
    pub q: String,
    pub page: String,
    pub focus: String,
}

#[derive(Template)]
#[template(path = "orgs/done.html")]
pub struct DonePage {
    pub ctx: PageCtx,
    pub org: Org,
    pub workspace_url: String,
    pub owner_login_id: String,
}
