//! online-contact: the organization console of a contact center, as one server-rendered
//! web application. `app(state)` builds the actix `App`; `main.rs` and the tests use it.

pub mod account;
pub mod auth;
pub mod config;
pub mod console;
pub mod contracts;
pub mod db;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod orgs;
pub mod routes;
pub mod web;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web as aw};

use crate::config::Config;
use crate::db::{DbConn, Pool};
use crate::error::AppError;

/// Shared application state (one per process, cloned cheaply through `web::Data`).
pub struct AppState {
    pub config: Config,
    pub pool: Pool,
    pub i18n: Arc<i18n::I18n>,
    pub hasher: auth::Hasher,
    pub pricing: Arc<contracts::pricing::PriceBook>,
}

impl AppState {
    /// Opens the database, applies migrations and loads the translations.
    pub fn new(config: Config) -> Result<AppState, String> {
        let pool = db::build_pool(&config.database_url, 10)?;
        let mut conn = pool
            .get()
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        db::run_migrations(&mut conn)?;
        drop(conn);
        let i18n = Arc::new(i18n::I18n::load()?);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let hasher = auth::Hasher::new(config.bcrypt_cost, cores)?;
        let pricing = config.pricing.clone();
        Ok(AppState {
            config,
            pool,
            i18n,
            hasher,
            pricing,
        })
    }

    /// Runs database work on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        aw::block(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            f(&mut conn)
        })
        .await?
    }
}

/// The whole application. Middleware order, outermost first: request log, security
/// headers, session, error pages, CSRF.
pub fn app(
    state: aw::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let session = web::middleware::session_middleware(&state.config);
    let base = state.config.base_url.clone();
    App::new()
        .app_data(state)
        .app_data(aw::FormConfig::default().limit(web::middleware::FORM_LIMIT))
        .app_data(contracts::api::json_config())
        .configure(|cfg| routes::configure(cfg, &base))
        .wrap(from_fn(web::middleware::csrf))
        .wrap(from_fn(web::middleware::error_pages))
        .wrap(session)
        .wrap(from_fn(web::middleware::security_headers))
        .wrap(from_fn(web::middleware::request_log))
}
