//! The one URL table: every route of every feature, and the typed place URLs are built
//! from (templates call `ctx.urls.…`, never hand-write a path).

use actix_web::guard::{self, GuardContext};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::admin::company::handlers as company;
use crate::admin::contracts::handlers as contracts;
use crate::admin::cti::handlers as cti;
use crate::admin::fees::handlers as fees;
use crate::admin::migration::handlers as migration;
use crate::admin::org::handlers as org;
use crate::admin::org_admins::handlers as org_admins;
use crate::admin::permission_log::handlers as permission_log;
use crate::api;
use crate::config::BaseUrl;
use crate::console::handlers as console;
use crate::console::orgs::handlers as orgs;
use crate::helpcenter::handlers as hc;
use crate::services::handlers as services;
use crate::services::help_center;
use crate::services::members::handlers as members;
use crate::services::ticket_fields::handlers as ticket_fields;
use crate::services::tickets::handlers as tickets;
use crate::workspace::cti as workspace_cti;
use crate::workspace::handlers as workspace;
use crate::workspace::invite;

/// Paths, in one place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Urls;

impl Urls {
    pub fn home(&self) -> &'static str {
        "/"
    }
    pub fn signup(&self) -> &'static str {
        "/signup"
    }

    pub fn account(&self) -> &'static str {
        "/account"
    }

    pub fn account_certificate(&self) -> &'static str {
        "/account/certificate"
    }
    pub fn login(&self) -> &'static str {
        "/login"
    }
    pub fn logout(&self) -> &'static str {
        "/logout"
    }
    pub fn forgot(&self) -> &'static str {
        "/password/forgot"
    }
    pub fn reset(&self) -> &'static str {
        "/password/reset"
    }
    pub fn change_password(&self) -> &'static str {
        "/account/password"
    }
    pub fn lang(&self) -> &'static str {
        "/lang"
    }
    pub fn console(&self) -> &'static str {
        "/console"
    }
    pub fn payment_methods(&self) -> &'static str {
        "/console/payment-methods"
    }
    pub fn delete_card(&self, id: &i64) -> String {
        format!("/console/payment-methods/{id}/delete")
    }
    pub fn new_org(&self) -> &'static str {
        "/console/orgs/new"
    }
    pub fn org(&self, org_id: &str) -> String {
        format!("/console/orgs/{org_id}")
    }
    pub fn online_contact(&self, org_id: &str) -> String {
        format!("/console/orgs/{org_id}/online-contact")
    }
    pub fn org_members(&self, org_id: &str) -> String {
        format!("/console/orgs/{org_id}/members")
    }
    pub fn make_owner(&self, org_id: &str, member: &i64) -> String {
        format!("/console/orgs/{org_id}/members/{member}/owner")
    }
    pub fn onboarding_done(&self, org_id: &str) -> String {
        format!("/console/orgs/{org_id}/online-contact/done")
    }
    pub fn me_settings(&self) -> &'static str {
        "/me/settings"
    }
    pub fn me_password(&self) -> &'static str {
        "/me/password"
    }
    pub fn me_sessions(&self) -> &'static str {
        "/me/sessions"
    }
    pub fn me_sessions_end_others(&self) -> &'static str {
        "/me/sessions/end-others"
    }
    pub fn account_sessions(&self) -> &'static str {
        "/account/sessions"
    }
    pub fn account_sessions_end_others(&self) -> &'static str {
        "/account/sessions/end-others"
    }
    /// The "my sessions" page of a realm (console or workspace).
    pub fn sessions(&self, workspace: bool) -> &'static str {
        if workspace {
            self.me_sessions()
        } else {
            self.account_sessions()
        }
    }
    pub fn admin(&self) -> &'static str {
        "/admin"
    }
    pub fn admin_contracts(&self) -> &'static str {
        "/admin/contracts"
    }
    pub fn new_service(&self) -> &'static str {
        "/admin/services/new"
    }
    pub fn service_edit(&self, id: &str) -> String {
        format!("/admin/services/{id}/edit")
    }
    pub fn service_contract(&self, id: &str) -> String {
        format!("/admin/services/{id}/contract")
    }
    pub fn service_suspend(&self, id: &str) -> String {
        format!("/admin/services/{id}/suspend")
    }
    pub fn service_status(&self, id: &str) -> String {
        format!("/admin/services/{id}/status")
    }
    pub fn service_terminate(&self, id: &str) -> String {
        format!("/admin/services/{id}/terminate")
    }
    pub fn service_banner(&self, id: &str) -> String {
        format!("/services/{id}/banner")
    }
    pub fn admin_fees(&self) -> &'static str {
        "/admin/fees"
    }
    pub fn admin_fees_csv(&self) -> &'static str {
        "/admin/fees/export.csv"
    }
    pub fn admin_fees_xlsx(&self) -> &'static str {
        "/admin/fees/export.xlsx"
    }
    pub fn admin_org(&self) -> &'static str {
        "/admin/org"
    }
    /// The contract list at one service's row.
    pub fn service_row(&self, service_id: &str) -> String {
        format!("/admin/contracts?focus={service_id}#service-{service_id}")
    }

    pub fn org_key_anchor(&self) -> &'static str {
        "/admin/org#org-key"
    }

    pub fn org_two_factor(&self) -> &'static str {
        "/admin/org/two-factor"
    }

    pub fn org_two_factor_anchor(&self) -> &'static str {
        "/admin/org#two-factor"
    }

    /// Two-factor sign-in settings of the signed-in account.
    pub fn two_factor(&self, workspace: bool) -> &'static str {
        use crate::auth::two_factor_pages::{CONSOLE, WORKSPACE};
        if workspace {
            WORKSPACE.page
        } else {
            CONSOLE.page
        }
    }

    pub fn org_timezone(&self) -> &'static str {
        "/admin/org/timezone"
    }
    pub fn org_api_key(&self) -> &'static str {
        "/admin/org/api-key"
    }
    pub fn admin_org_admins(&self) -> &'static str {
        "/admin/org-admins"
    }
    pub fn remove_org_admin(&self, member: &i64) -> String {
        format!("/admin/org-admins/{member}/remove")
    }
    pub fn invite_member(&self) -> &'static str {
        "/admin/org-admins/invite"
    }
    pub fn resend_invitation(&self, id: &i64) -> String {
        format!("/admin/org-admins/invitations/{id}/resend")
    }
    pub fn cancel_invitation(&self, id: &i64) -> String {
        format!("/admin/org-admins/invitations/{id}/cancel")
    }
    pub fn invite(&self) -> &'static str {
        "/invite"
    }
    pub fn admin_permission_logs(&self) -> &'static str {
        "/admin/permission-logs"
    }
    pub fn admin_permission_logs_csv(&self) -> &'static str {
        "/admin/permission-logs/export.csv"
    }
    pub fn admin_permission_logs_xlsx(&self) -> &'static str {
        "/admin/permission-logs/export.xlsx"
    }
    pub fn service_members(&self, service_id: &str) -> String {
        format!("/services/{service_id}/members")
    }
    pub fn service_member(&self, service_id: &str, member: &i64) -> String {
        format!("/services/{service_id}/members/{member}")
    }
    pub fn service_member_remove(&self, service_id: &str, member: &i64) -> String {
        format!("/services/{service_id}/members/{member}/remove")
    }
    pub fn admin_company_info(&self) -> &'static str {
        "/admin/company-info"
    }
    pub fn company_info_new(&self) -> &'static str {
        "/admin/company-info/new"
    }
    pub fn company_info_edit(&self, id: &i64) -> String {
        format!("/admin/company-info/{id}/edit")
    }
    pub fn company_info_delete(&self, id: &i64) -> String {
        format!("/admin/company-info/{id}/delete")
    }
    pub fn service_home(&self, service_id: &str) -> String {
        format!("/services/{service_id}")
    }
    pub fn service_help_center(&self, service_id: &str) -> String {
        format!("/services/{service_id}/help-center")
    }
    pub fn help_center(&self, service_id: &str) -> String {
        format!("/hc/{service_id}")
    }
    pub fn help_center_lang(&self, service_id: &str, lang: &str) -> String {
        format!("/hc/{service_id}/{lang}")
    }
    pub fn help_center_banner(&self, service_id: &str) -> String {
        format!("/hc/{service_id}/banner")
    }
    pub fn ticket_fields(&self, service_id: &str) -> String {
        format!("/services/{service_id}/ticket-fields")
    }
    pub fn ticket_field(&self, service_id: &str, id: &i64) -> String {
        format!("/services/{service_id}/ticket-fields/{id}")
    }
    pub fn tickets(&self, service_id: &str) -> String {
        format!("/services/{service_id}/tickets")
    }
    pub fn new_ticket(&self, service_id: &str) -> String {
        format!("/services/{service_id}/tickets/new")
    }
    pub fn ticket(&self, service_id: &str, number: &i64) -> String {
        format!("/services/{service_id}/tickets/{number}")
    }
    pub fn ticket_assign(&self, service_id: &str, number: &i64) -> String {
        format!("/services/{service_id}/tickets/{number}/assign")
    }
    pub fn ticket_status(&self, service_id: &str, number: &i64) -> String {
        format!("/services/{service_id}/tickets/{number}/status")
    }
    pub fn admin_data_migrations(&self) -> &'static str {
        "/admin/data-migrations"
    }
    pub fn data_migration_template(&self) -> &'static str {
        "/admin/data-migrations/template"
    }
    pub fn data_migration(&self, id: &i64) -> String {
        format!("/admin/data-migrations/{id}")
    }
    pub fn data_migration_confirm(&self, id: &i64) -> String {
        format!("/admin/data-migrations/{id}/confirm")
    }
    pub fn data_migration_delete(&self, id: &i64) -> String {
        format!("/admin/data-migrations/{id}/delete")
    }
    pub fn admin_cti(&self) -> &'static str {
        "/admin/cti"
    }
    pub fn admin_cti_agents(&self) -> &'static str {
        "/admin/cti/agents"
    }
    pub fn admin_cti_agent(&self, member: &i64) -> String {
        format!("/admin/cti/agents/{member}")
    }
    pub fn admin_cti_service(&self, service_id: &str) -> String {
        format!("/admin/cti/{service_id}")
    }
    pub fn me_agent_state(&self) -> &'static str {
        "/me/agent-state"
    }
    pub fn me_chat_state(&self) -> &'static str {
        "/me/chat-state"
    }
    pub fn me_cti_log(&self) -> &'static str {
        "/me/cti-log"
    }
    pub fn me_cti_log_download(&self) -> &'static str {
        "/me/cti-log/download"
    }
    pub fn me_performance(&self) -> &'static str {
        "/me/performance"
    }
    pub fn asset(&self, name: &str) -> String {
        format!("/static/{name}?v={}", env!("CARGO_PKG_VERSION"))
    }
}

/// Declares one table of routes: a `const` listing (method, pattern) and a function that
/// adds them to a scope, from the same lines, so the two cannot drift apart.
macro_rules! route_table {
    ($add:ident, $list:ident: $( $m:ident $p:literal => $h:expr ; )*) => {
        /// (method, pattern) of each route of this table.
        pub const $list: &[(&str, &str)] = &[ $( (stringify!($m), $p) ),* ];
        fn $add(scope: actix_web::Scope) -> actix_web::Scope {
            scope $( .route($p, web::$m().to($h)) )*
        }
    };
    (cfg $add:ident, $list:ident: $( $m:ident $p:literal => $h:expr ; )*) => {
        /// (method, pattern) of each route of this table.
        pub const $list: &[(&str, &str)] = &[ $( (stringify!($m), $p) ),* ];
        fn $add(cfg: &mut web::ServiceConfig) {
            $( cfg.route($p, web::$m().to($h)); )*
        }
    };
}

route_table! { api_routes, API_ROUTES:
    get "/openapi.json" => api::openapi;
    get "/services" => api::list;
    post "/services" => api::create;
    get "/services/{service_id}" => api::get;
    put "/services/{service_id}" => api::update;
    delete "/services/{service_id}" => api::delete;
    post "/cti/events" => api::cti_events;
}

route_table! { workspace_routes, WORKSPACE_ROUTES:
    get "/" => workspace::home;
    get "/login" => workspace::login_page;
    post "/login" => workspace::login;
    post "/logout" => workspace::logout;
    get "/password/forgot" => workspace::forgot_page;
    post "/password/forgot" => workspace::forgot;
    get "/password/reset" => workspace::reset_page;
    post "/password/reset" => workspace::reset;
    get "/me/settings" => workspace::settings_page;
    post "/me/settings" => workspace::save_settings;
    get "/me/password" => workspace::password_page;
    post "/me/password" => workspace::change_password;
    get "/me/sessions" => workspace::sessions_page;
    get "/me/2fa" => workspace::two_factor_page;
    post "/me/2fa" => workspace::two_factor_enable;
    post "/me/2fa/disable" => workspace::two_factor_disable;
    post "/me/2fa/recovery-codes" => workspace::two_factor_codes;
    get "/login/2fa" => workspace::second_step_page;
    post "/login/2fa" => workspace::second_step;
    post "/me/sessions/end-others" => workspace::end_other_sessions;
    post "/me/sessions/{id}/end" => workspace::end_session;
    get "/admin" => workspace::admin;
    get "/admin/contracts" => contracts::contracts;
    get "/admin/services/new" => contracts::new_service_page;
    post "/admin/services/new" => contracts::create_service;
    get "/admin/services/{service_id}/edit" => contracts::edit_service_page;
    post "/admin/services/{service_id}/edit" => contracts::update_service;
    get "/admin/services/{service_id}/contract" => contracts::contract_page;
    post "/admin/services/{service_id}/contract" => contracts::save_contract;
    get "/admin/services/{service_id}/suspend" => contracts::suspend_page;
    post "/admin/services/{service_id}/status" => contracts::set_status;
    get "/admin/services/{service_id}/terminate" => contracts::terminate_page;
    post "/admin/services/{service_id}/terminate" => contracts::terminate;
    get "/admin/fees" => fees::fees;
    get "/admin/fees/export.csv" => fees::export_csv;
    get "/admin/fees/export.xlsx" => fees::export_xlsx;
    get "/admin/org" => org::org_page;
    post "/admin/org/api-key" => org::rotate_key;
    post "/admin/org/timezone" => org::save_timezone;
    post "/admin/org/two-factor" => org::save_two_factor;
    get "/admin/org-admins" => org_admins::page;
    post "/admin/org-admins" => org_admins::add;
    post "/admin/org-admins/{member_id}/remove" => org_admins::remove;
    post "/admin/org-admins/invite" => org_admins::invite;
    post "/admin/org-admins/invitations/{id}/resend" => org_admins::resend;
    post "/admin/org-admins/invitations/{id}/cancel" => org_admins::cancel;
    get "/invite" => invite::page;
    post "/invite" => invite::accept;
    get "/admin/permission-logs" => permission_log::page;
    get "/admin/permission-logs/export.csv" => permission_log::export_csv;
    get "/admin/permission-logs/export.xlsx" => permission_log::export_xlsx;
    get "/admin/data-migrations" => migration::list;
    post "/admin/data-migrations" => migration::upload_file;
    get "/admin/data-migrations/template" => migration::template;
    get "/admin/data-migrations/{id}" => migration::show;
    post "/admin/data-migrations/{id}/confirm" => migration::confirm;
    post "/admin/data-migrations/{id}/delete" => migration::delete;
    get "/admin/cti" => cti::list;
    get "/admin/cti/agents" => cti::agents;
    post "/admin/cti/agents/{member_id}" => cti::save_agent;
    get "/admin/cti/{service_id}" => cti::settings_page;
    post "/admin/cti/{service_id}" => cti::save_settings;
    post "/me/agent-state" => workspace_cti::agent_state;
    post "/me/chat-state" => workspace_cti::chat_state;
    get "/me/cti-log" => workspace_cti::cti_log_page;
    get "/me/cti-log/download" => workspace_cti::cti_log_download;
    get "/me/performance" => workspace_cti::performance;
    get "/admin/company-info" => company::list;
    get "/admin/company-info/new" => company::new_page;
    post "/admin/company-info/new" => company::create;
    get "/admin/company-info/{id}/edit" => company::edit_page;
    post "/admin/company-info/{id}/edit" => company::update;
    post "/admin/company-info/{id}/delete" => company::delete;
    get "/services/{service_id}" => services::home;
    get "/services/{service_id}/help-center" => help_center::page;
    post "/services/{service_id}/help-center" => help_center::apply;
    get "/hc/{service_id}" => hc::root;
    get "/hc/{service_id}/banner" => hc::banner;
    get "/hc/{service_id}/{lang}" => hc::home;
    get "/hc/{service_id}/{lang}/terms" => hc::terms;
    get "/hc/{service_id}/{lang}/privacy" => hc::privacy;
    get "/services/{service_id}/banner" => services::banner;
    get "/services/{service_id}/ticket-fields" => ticket_fields::page;
    post "/services/{service_id}/ticket-fields" => ticket_fields::create;
    get "/services/{service_id}/ticket-fields/{id}" => ticket_fields::edit_page;
    post "/services/{service_id}/ticket-fields/{id}" => ticket_fields::update;
    get "/services/{service_id}/tickets" => tickets::list;
    get "/services/{service_id}/tickets/new" => tickets::new_page;
    post "/services/{service_id}/tickets/new" => tickets::create;
    get "/services/{service_id}/tickets/{number}" => tickets::show;
    post "/services/{service_id}/tickets/{number}" => tickets::update;
    post "/services/{service_id}/tickets/{number}/assign" => tickets::assign;
    post "/services/{service_id}/tickets/{number}/status" => tickets::set_status;
    get "/services/{service_id}/members" => members::page;
    post "/services/{service_id}/members" => members::add;
    post "/services/{service_id}/members/{member_id}" => members::change;
    post "/services/{service_id}/members/{member_id}/remove" => members::remove;
}

route_table! { console_routes, CONSOLE_ROUTES:
    get "/" => console::home;
    get "/signup" => console::signup_page;
    post "/signup" => console::signup;
    get "/login" => console::login_page;
    post "/login" => console::login;
    post "/logout" => console::logout;
    get "/password/forgot" => console::forgot_page;
    post "/password/forgot" => console::forgot;
    get "/password/reset" => console::reset_page;
    post "/password/reset" => console::reset;
    get "/account/password" => console::change_password_page;
    post "/account/password" => console::change_password;
    get "/account" => console::account_page;
    get "/account/certificate" => console::certificate;
    get "/account/sessions" => console::sessions_page;
    get "/account/2fa" => console::two_factor_page;
    post "/account/2fa" => console::two_factor_enable;
    post "/account/2fa/disable" => console::two_factor_disable;
    post "/account/2fa/recovery-codes" => console::two_factor_codes;
    get "/login/2fa" => console::second_step_page;
    post "/login/2fa" => console::second_step;
    post "/account/sessions/end-others" => console::end_other_sessions;
    post "/account/sessions/{id}/end" => console::end_session;
    get "/console" => orgs::console;
    get "/console/payment-methods" => orgs::payment_methods;
    post "/console/payment-methods" => orgs::add_card;
    get "/console/payment-methods/{id}/delete" => orgs::delete_card_page;
    post "/console/payment-methods/{id}/delete" => orgs::delete_card;
    get "/console/orgs/new" => orgs::new_org_page;
    post "/console/orgs/new" => orgs::create_org;
    get "/console/orgs/{org_id}" => orgs::org_page;
    get "/console/orgs/{org_id}/online-contact" => orgs::online_contact_page;
    post "/console/orgs/{org_id}/online-contact" => orgs::online_contact;
    get "/console/orgs/{org_id}/members" => orgs::members_page;
    post "/console/orgs/{org_id}/members" => orgs::add_member;
    get "/console/orgs/{org_id}/members/{member_id}/owner" => orgs::make_owner_page;
    post "/console/orgs/{org_id}/members/{member_id}/owner" => orgs::make_owner;
    get "/console/orgs/{org_id}/online-contact/done" => orgs::done;
    post "/console/orgs/{org_id}/online-contact/done" => orgs::finish;
}

route_table! { cfg common_routes, COMMON_ROUTES:
    get "/healthz" => healthz;
    get "/static/{name}" => asset;
    post "/lang" => console::set_lang;
}

/// Every route. The workspace routes answer on `{domain}.{base host}` only (the guard),
/// the console routes on every other host; health, static files and the API on both.
pub fn configure(cfg: &mut web::ServiceConfig, base: &BaseUrl) {
    let ws_base = base.clone();
    let is_workspace = move |ctx: &GuardContext| {
        ctx.head()
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| ws_base.workspace_label(h))
            .is_some()
    };
    common_routes(cfg);
    // Every API path also answers the methods it does not have: 405 with `Allow`.
    let mut api = api_routes(web::scope("/api/v1"));
    let mut paths: Vec<&str> = API_ROUTES.iter().map(|(_, p)| *p).collect();
    paths.sort_unstable();
    paths.dedup();
    for p in paths {
        api = api.route(p, web::route().to(crate::api::method_not_allowed));
    }
    cfg.service(api.default_service(web::to(crate::api::not_found)))
        .service(
            workspace_routes(web::scope("").guard(guard::fn_guard(is_workspace.clone())))
                .default_service(web::to(not_found)),
        )
        .service(console_routes(
            web::scope("").guard(guard::Not(guard::fn_guard(is_workspace))),
        ));
}

/// Unknown paths on a workspace host; the tenant is resolved first, so an unknown domain
/// is a 404 as well.
async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Static files are embedded: the binary is all an instance needs.
async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, ctype): (&'static [u8], &str) = match name.as_str() {
        "app.css" => (
            include_bytes!("../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_bytes!("../static/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_bytes!("../static/favicon.svg"), "image/svg+xml"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("cache-control", "public, max-age=86400"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use actix_web::dev::ResourceDef;

    use super::*;

    /// Whether some route of the tables answers `path` (the query left out).
    fn routed(path: &str) -> bool {
        let path = path.split('?').next().unwrap_or(path);
        let tables = [COMMON_ROUTES, WORKSPACE_ROUTES, CONSOLE_ROUTES];
        tables
            .iter()
            .flat_map(|t| t.iter())
            .any(|(_, p)| ResourceDef::new(*p).is_match(path))
            || API_ROUTES
                .iter()
                .any(|(_, p)| ResourceDef::new(format!("/api/v1{p}")).is_match(path))
    }

    /// Every path `Urls` builds is answered by a route of the table (a renamed route
    /// cannot leave links pointing nowhere).
    #[test]
    fn every_url_is_routed() {
        let u = Urls;
        let owned = [
            u.delete_card(&7),
            u.org("o1"),
            u.online_contact("o1"),
            u.org_members("o1"),
            u.make_owner("o1", &3),
            u.onboarding_done("o1"),
            u.service_edit("care"),
            u.service_contract("care"),
            u.service_status("care"),
            u.service_suspend("care"),
            u.service_terminate("care"),
            u.service_banner("care"),
            u.asset("app.css"),
            u.remove_org_admin(&4),
            u.resend_invitation(&2),
            u.cancel_invitation(&2),
            u.service_members("care"),
            u.service_member("care", &3),
            u.service_member_remove("care", &3),
            u.company_info_edit(&5),
            u.company_info_delete(&5),
            u.service_home("care"),
            u.service_help_center("care"),
            u.help_center("care"),
            u.help_center_lang("care", "ko"),
            u.help_center_banner("care"),
            u.ticket_fields("care"),
            u.ticket_field("care", &2),
            u.tickets("care"),
            u.new_ticket("care"),
            u.ticket("care", &12),
            u.ticket_assign("care", &12),
            u.ticket_status("care", &12),
            u.data_migration(&3),
            u.data_migration_confirm(&3),
            u.data_migration_delete(&3),
            u.admin_cti_agent(&3),
            u.admin_cti_service("care"),
        ];
        let fixed = [
            u.home(),
            u.signup(),
            u.login(),
            u.logout(),
            u.forgot(),
            u.reset(),
            u.change_password(),
            u.lang(),
            u.console(),
            u.payment_methods(),
            u.new_org(),
            u.me_settings(),
            u.me_password(),
            u.me_sessions(),
            u.me_sessions_end_others(),
            u.account_sessions(),
            u.account_sessions_end_others(),
            u.sessions(true),
            u.sessions(false),
            u.admin(),
            u.admin_contracts(),
            u.new_service(),
            u.admin_fees(),
            u.admin_fees_csv(),
            u.admin_fees_xlsx(),
            u.admin_org(),
            u.org_timezone(),
            u.org_api_key(),
            u.admin_org_admins(),
            u.invite_member(),
            u.invite(),
            u.admin_permission_logs(),
            u.admin_permission_logs_csv(),
            u.admin_permission_logs_xlsx(),
            u.admin_company_info(),
            u.company_info_new(),
            u.admin_data_migrations(),
            u.data_migration_template(),
            u.admin_cti(),
            u.admin_cti_agents(),
            u.me_agent_state(),
            u.me_chat_state(),
            u.me_cti_log(),
            u.me_cti_log_download(),
            u.me_performance(),
        ];
        for p in owned.iter().map(String::as_str).chain(fixed) {
            assert!(routed(p), "no route answers {p}");
        }
        // The check itself can fail.
        assert!(!routed("/admin/nowhere"));
        // And the session-end paths `SessionsPage` builds.
        assert!(routed(&format!("{}/{}/end", u.me_sessions(), 5)));
        assert!(routed(&format!("{}/{}/end", u.account_sessions(), 5)));
    }

    /// No pattern is listed twice for one method (a copy-paste slip would shadow a route).
    #[test]
    fn routes_are_unique() {
        for t in [COMMON_ROUTES, WORKSPACE_ROUTES, CONSOLE_ROUTES, API_ROUTES] {
            let mut seen = std::collections::HashSet::new();
            for r in t {
                assert!(seen.insert(*r), "{r:?} twice");
            }
        }
    }
}
