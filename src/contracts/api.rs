//! Open API v1, authenticated by the org key (`X-OC-Org-Key`). JSON in and out; errors
//! are RFC 9457 problem details, never an HTML page. A key only ever reaches its own
//! organization's services.

use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;

use super::model::{self, Service};
use super::rules::{self, ServiceInput};
use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::forms::Validation;

pub const KEY_HEADER: &str = "x-oc-org-key";
pub const OPENAPI: &str = include_str!("openapi.json");

/// A problem-details error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            errors: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = e.status_code();
        if let AppError::Internal(source) = &e {
            tracing::error!(%source, "internal error (api)");
        }
        ApiError::new(status, status.canonical_reason().unwrap_or("error"))
    }
}

/// The JSON body of a problem.
pub fn problem(
    status: StatusCode,
    detail: &str,
    errors: Option<&BTreeMap<String, Vec<String>>>,
) -> HttpResponse {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(errors), Some(obj)) = (errors, body.as_object_mut()) {
        obj.insert("errors".into(), serde_json::json!(errors));
    }
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        problem(self.status, &self.detail, self.errors.as_ref())
    }
}

/// Bad JSON answers 400 with a problem, not actix's text.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|e, _| {
            ApiError::new(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")).into()
        })
}

/// The organization of the request's org key.
pub struct ApiOrg(pub i64);

impl FromRequest for ApiOrg {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req
            .headers()
            .get(KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let unauthorized = || {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "a valid X-OC-Org-Key header is required",
                )
            };
            let (Some(key), Some(state)) = (key, state) else {
                return Err(unauthorized());
            };
            let org = state.db(move |c| model::org_by_key(c, &key)).await?;
            org.map(ApiOrg).ok_or_else(unauthorized)
        })
    }
}

type ApiResult = Result<HttpResponse, ApiError>;

fn invalid(state: &AppState, v: &Validation, fields: &[&'static str]) -> ApiError {
    let errors = v.localize(&state.i18n, Lang::En);
    let map: BTreeMap<String, Vec<String>> = fields
        .iter()
        .filter(|f| errors.has(f))
        .map(|f| (f.to_string(), errors.of(f).to_vec()))
        .collect();
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        detail: "the service could not be accepted".into(),
        errors: Some(map),
    }
}

const FIELDS: [&str; 7] = [
    "kind",
    "name",
    "service_id",
    "languages",
    "timezone",
    "editor",
    "status",
];

async fn find(state: &AppState, org: i64, service_id: String) -> Result<Service, ApiError> {
    state
        .db(move |c| model::live_service(c, org, &service_id))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no such service"))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

pub async fn list(state: web::Data<AppState>, org: ApiOrg) -> ApiResult {
    let org = org.0;
    let services = state.db(move |c| model::services_of(c, org)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "services": services })))
}

pub async fn create(
    state: web::Data<AppState>,
    org: ApiOrg,
    body: web::Json<ServiceInput>,
) -> ApiResult {
    let org = org.0;
    let mut input = body.into_inner();
    let mut v = Validation::default();
    rules::check_service(&mut input, &mut v, true);
    if !v.is_empty() {
        return Err(invalid(&state, &v, &FIELDS));
    }
    let i = input.clone();
    let created = state
        .db(move |c| model::create_service(c, org, &i, None, chrono::Utc::now().naive_utc()))
        .await?;
    let Some(s) = created else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a service with this service_id already exists",
        ));
    };
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/services/{}", s.service_id)))
        .json(s))
}

pub async fn get(state: web::Data<AppState>, org: ApiOrg, path: web::Path<String>) -> ApiResult {
    Ok(HttpResponse::Ok().json(find(&state, org.0, path.into_inner()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct UpdateBody {
    pub name: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub editor: String,
    /// `active` or `suspended`; absent leaves it.
    pub status: Option<String>,
}

pub async fn update(
    state: web::Data<AppState>,
    org: ApiOrg,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> ApiResult {
    let org = org.0;
    let s = find(&state, org, path.into_inner()).await?;
    let body = body.into_inner();
    let mut input = ServiceInput {
        kind: s.kind.clone(),
        service_id: s.service_id.clone(),
        name: body.name,
        languages: body.languages,
        timezone: body.timezone,
        editor: body.editor,
    };
    let mut v = Validation::default();
    rules::check_service(&mut input, &mut v, false);
    let status = match body.status.as_deref() {
        None => None,
        Some(model::ACTIVE) => Some(model::ACTIVE),
        Some(model::SUSPENDED) => Some(model::SUSPENDED),
        Some(_) => {
            v.add("status", crate::web::forms::Msg::new("choice-required"));
            None
        }
    };
    if !v.is_empty() {
        return Err(invalid(&state, &v, &FIELDS));
    }
    let (id, sid) = (s.id, s.service_id.clone());
    state
        .db(move |c| {
            let now = chrono::Utc::now().naive_utc();
            model::update_service(c, org, id, &input, None, now)?;
            if let Some(st) = status {
                model::set_status(c, org, id, st, now)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(find(&state, org, sid).await?))
}

/// Terminates, with the same rule as the page: only a suspended service.
pub async fn delete(state: web::Data<AppState>, org: ApiOrg, path: web::Path<String>) -> ApiResult {
    let org = org.0;
    let s = find(&state, org, path.into_inner()).await?;
    let (id, day) = (s.id, s.today());
    let done = state
        .db(move |c| model::terminate(c, org, id, day, chrono::Utc::now().naive_utc()))
        .await?;
    if !done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "only a suspended service can be terminated",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}
