//! The one URL table: every route of every feature, and the typed place URLs are built
//! from (templates call `ctx.urls.…`, never hand-write a path).

use actix_web::{HttpResponse, web};

use crate::console::handlers as console;

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
    pub fn asset(&self, name: &str) -> String {
        format!("/static/{name}?v={}", env!("CARGO_PKG_VERSION"))
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/{name}", web::get().to(asset))
        .route("/lang", web::post().to(console::set_lang))
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
        );
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
