//! The one URL table: every route of every feature, and the typed place URLs are built
//! from (templates call `ctx.urls.…`, never hand-write a path).

use actix_web::guard::{self, GuardContext};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::account::handlers as account;
use crate::config::BaseUrl;
use crate::console::handlers as console;
use crate::contracts::api;
use crate::contracts::handlers as contracts;
use crate::orgs::handlers as orgs;

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
    pub fn admin_org(&self) -> &'static str {
        "/admin/org"
    }
    pub fn org_timezone(&self) -> &'static str {
        "/admin/org/timezone"
    }
    pub fn org_api_key(&self) -> &'static str {
        "/admin/org/api-key"
    }
    pub fn asset(&self, name: &str) -> String {
        format!("/static/{name}?v={}", env!("CARGO_PKG_VERSION"))
    }
}

/// Every route. The workspace routes answer on `{domain}.{base host}` only (the guard),
/// the console routes on every other host; health and static files on both.
pub fn configure(cfg: &mut web::ServiceConfig, base: &BaseUrl) {
    let ws_base = base.clone();
    let is_workspace = move |ctx: &GuardContext| {
        ctx.head()
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| ws_base.workspace_domain(h))
            .is_some()
    };
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/{name}", web::get().to(asset))
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(api::openapi))
                .route("/services", web::get().to(api::list))
                .route("/services", web::post().to(api::create))
                .route("/services/{service_id}", web::get().to(api::get))
                .route("/services/{service_id}", web::put().to(api::update))
                .route("/services/{service_id}", web::delete().to(api::delete)),
        )
        .route("/lang", web::post().to(console::set_lang))
        .service(
            web::scope("")
                .guard(guard::fn_guard(is_workspace.clone()))
                .route("/", web::get().to(account::home))
                .route("/login", web::get().to(account::login_page))
                .route("/login", web::post().to(account::login))
                .route("/logout", web::post().to(account::logout))
                .route("/password/forgot", web::get().to(account::forgot_page))
                .route("/password/forgot", web::post().to(account::forgot))
                .route("/password/reset", web::get().to(account::reset_page))
                .route("/password/reset", web::post().to(account::reset))
                .route("/me/settings", web::get().to(account::settings_page))
                .route("/me/settings", web::post().to(account::save_settings))
                .route("/me/password", web::get().to(account::password_page))
                .route("/me/password", web::post().to(account::change_password))
                .route("/admin", web::get().to(account::admin))
                .route("/admin/contracts", web::get().to(contracts::contracts))
                .route(
                    "/admin/services/new",
                    web::get().to(contracts::new_service_page),
                )
                .route(
                    "/admin/services/new",
                    web::post().to(contracts::create_service),
                )
                .route(
                    "/admin/services/{service_id}/edit",
                    web::get().to(contracts::edit_service_page),
                )
                .route(
                    "/admin/services/{service_id}/edit",
                    web::post().to(contracts::update_service),
                )
                .route(
                    "/admin/services/{service_id}/contract",
                    web::get().to(contracts::contract_page),
                )
                .route(
                    "/admin/services/{service_id}/contract",
                    web::post().to(contracts::save_contract),
                )
                .route(
                    "/admin/services/{service_id}/status",
                    web::post().to(contracts::set_status),
                )
                .route(
                    "/admin/services/{service_id}/terminate",
                    web::get().to(contracts::terminate_page),
                )
                .route(
                    "/admin/services/{service_id}/terminate",
                    web::post().to(contracts::terminate),
                )
                .route("/admin/fees", web::get().to(contracts::fees))
                .route("/admin/org", web::get().to(contracts::org_page))
                .route("/admin/org/api-key", web::post().to(contracts::rotate_key))
                .route(
                    "/admin/org/timezone",
                    web::post().to(contracts::save_timezone),
                )
                .route(
                    "/services/{service_id}/banner",
                    web::get().to(contracts::banner),
                )
                .default_service(web::to(not_found)),
        )
        .service(
            web::scope("")
                .guard(guard::Not(guard::fn_guard(is_workspace)))
                .route("/", web::get().to(console::home))
                .route("/signup", web::get().to(console::signup_page))
                .route("/signup", web::post().to(console::signup))
                .route("/login", web::get().to(console::login_page))
                .route("/login", web::post().to(console::login))
                .route("/logout", web::post().to(console::logout))
                .route("/password/forgot", web::get().to(console::forgot_page))
                .route("/password/forgot", web::post().to(console::forgot))
                .route("/password/reset", web::get().to(console::reset_page))
                .route("/password/reset", web::post().to(console::reset))
                .route(
                    "/account/password",
                    web::get().to(console::change_password_page),
                )
                .route(
                    "/account/password",
                    web::post().to(console::change_password),
                )
                .route("/console", web::get().to(orgs::console))
                .route(
                    "/console/payment-methods",
                    web::get().to(orgs::payment_methods),
                )
                .route("/console/payment-methods", web::post().to(orgs::add_card))
                .route(
                    "/console/payment-methods/{id}/delete",
                    web::post().to(orgs::delete_card),
                )
                .route("/console/orgs/new", web::get().to(orgs::new_org_page))
                .route("/console/orgs/new", web::post().to(orgs::create_org))
                .route("/console/orgs/{org_id}", web::get().to(orgs::org_page))
                .route(
                    "/console/orgs/{org_id}/online-contact",
                    web::get().to(orgs::online_contact_page),
                )
                .route(
                    "/console/orgs/{org_id}/online-contact",
                    web::post().to(orgs::online_contact),
                )
                .route(
                    "/console/orgs/{org_id}/members",
                    web::get().to(orgs::members_page),
                )
                .route(
                    "/console/orgs/{org_id}/members",
                    web::post().to(orgs::add_member),
                )
                .route(
                    "/console/orgs/{org_id}/members/{member_id}/owner",
                    web::post().to(orgs::make_owner),
                )
                .route(
                    "/console/orgs/{org_id}/online-contact/done",
                    web::get().to(orgs::done),
                )
                .route(
                    "/console/orgs/{org_id}/online-contact/done",
                    web::post().to(orgs::finish),
                ),
        );
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
