//! Open API v1, authenticated by the org key (`X-OC-Org-Key`). JSON in and out; errors
//! are RFC 9457 problem details, never an HTML page. A key only ever reaches its own
//! organization's services.

use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use diesel::Connection;
use futures_util::future::LocalBoxFuture;

use crate::AppState;
use crate::admin::contracts::model::{self, Service};
use crate::admin::contracts::rules::{self, ServiceInput};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::forms::Validation;

pub const KEY_HEADER: &str = "x-oc-org-key";
/// The OpenAPI document as written; the known language codes and time-zone names are
/// filled in from the server's own tables (`document`).
pub const OPENAPI: &str = include_str!("openapi.json");

/// The OpenAPI document served: `OPENAPI` with the enums of `Language` and `TimeZone`
/// taken from the tables the server checks against, so the two cannot drift.
pub fn document() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc: serde_json::Value = match serde_json::from_str(OPENAPI) {
            Ok(d) => d,
            Err(_) => return OPENAPI.to_string(),
        };
        let languages: Vec<&str> = crate::i18n::languages::all()
            .iter()
            .map(|l| l.code)
            .collect();
        let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
        let schemas = &mut doc["components"]["schemas"];
        schemas["Language"]["enum"] = serde_json::json!(languages);
        schemas["TimeZone"]["enum"] = serde_json::json!(zones);
        doc.to_string()
    })
}

pub use crate::web::middleware::{EVENTS_JSON_LIMIT, JSON_LIMIT};

/// Bad JSON answers 400 with a problem, not actix's text; an oversized body 413. (The
/// input guard holds every other API body to `JSON_LIMIT` before this one is read.)
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(EVENTS_JSON_LIMIT)
        .error_handler(|e, _| {
            use actix_web::error::JsonPayloadError as J;
            match e {
                J::Overflow { .. } | J::OverflowKnownLength { .. } => AppError::api(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the JSON body is too large".to_string(),
                )
                .into(),
                e => {
                    AppError::api(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")).into()
                }
            }
        })
}

/// The organization of the request's org key.
pub struct ApiOrg(pub i64);

impl FromRequest for ApiOrg {
    type Error = AppError;
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
                AppError::api(
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

type ApiResult = Result<HttpResponse, AppError>;

fn invalid(state: &AppState, v: &Validation, fields: &[&'static str]) -> AppError {
    let errors = v.localize(&state.i18n, Lang::En);
    let map: BTreeMap<String, Vec<String>> = fields
        .iter()
        .filter(|f| errors.has(f))
        .map(|f| (f.to_string(), errors.of(f).to_vec()))
        .collect();
    AppError::Problem {
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

async fn find(state: &AppState, org: i64, service_id: String) -> Result<Service, AppError> {
    state
        .db(move |c| model::live_service(c, org, &service_id))
        .await?
        .ok_or_else(|| AppError::api(StatusCode::NOT_FOUND, "no such service"))
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// A method the document does not list for a path: 405 with `Allow` naming those it does.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let pattern = req.match_pattern().unwrap_or_default();
    let path = pattern.strip_prefix("/api/v1").unwrap_or(&pattern);
    let allow: Vec<String> = crate::routes::API_ROUTES
        .iter()
        .filter(|(_, p)| *p == path)
        .map(|(m, _)| m.to_ascii_uppercase())
        .collect();
    let mut r = crate::error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "this method is not allowed on this path",
        None,
    );
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow.join(", ")) {
        r.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    r
}

/// Paths under `/api/v1` that name nothing: a problem, never an HTML page.
pub async fn not_found() -> HttpResponse {
    crate::error::problem(StatusCode::NOT_FOUND, "no such resource", None)
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
    rules::check_service(&mut input, &mut v, true, rules::Reading::Exact);
    if !v.is_empty() {
        return Err(invalid(&state, &v, &FIELDS));
    }
    let i = input.clone();
    let created = state
        .db(move |c| model::create_service(c, org, &i, None, chrono::Utc::now().naive_utc()))
        .await?;
    let Some(s) = created else {
        return Err(AppError::api(
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
#[serde(default, deny_unknown_fields)]
pub struct UpdateBody {
    pub name: String,
    pub languages: Vec<String>,
    pub timezone: String,
    pub editor: String,
    /// `active` or `suspended`; absent leaves it (null is no status: refused).
    #[serde(deserialize_with = "present_string")]
    pub status: Option<String>,
}

/// An optional property that, when present, must be a string (not null).
fn present_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Some)
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
    let mut v = Validation::default();
    let mut input = ServiceInput {
        kind: s.kind.clone(),
        service_id: s.service_id.clone(),
        name: body.name,
        languages: body.languages,
        timezone: body.timezone,
        editor: body.editor,
    };
    rules::check_service(&mut input, &mut v, false, rules::Reading::Exact);
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
            // Basic info and status together, or neither.
            c.transaction(|c| {
                model::update_service(c, org, id, &input, None, now)?;
                if let Some(st) = status {
                    model::set_status(c, org, id, st, now)?;
                }
                Ok::<_, AppError>(())
            })
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
        return Err(AppError::api(
            StatusCode::CONFLICT,
            "only a suspended service can be terminated",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A batch of CTI events (`POST /api/v1/cti/events`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    pub events: Vec<serde_json::Value>,
}

/// Records a batch of events from the CTI. Each event stands alone: the valid ones are
/// kept, a resent `event_id` is ignored, and the refused ones are named in a 422 problem
/// (`errors` keyed by `events[i]`, with `accepted` and `duplicates` counts beside them).
pub async fn cti_events(
    state: web::Data<AppState>,
    org: ApiOrg,
    body: web::Json<EventBatch>,
) -> ApiResult {
    use crate::admin::cti::events::{self, Outcome};
    let org = org.0;
    let batch = body.into_inner().events;
    if batch.is_empty() || batch.len() > events::BATCH_MAX {
        return Err(AppError::api(
            StatusCode::BAD_REQUEST,
            format!("`events` must hold 1 to {} events", events::BATCH_MAX),
        ));
    }
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut parsed = Vec::with_capacity(batch.len());
    for (i, v) in batch.iter().enumerate() {
        match events::parse_event(v) {
            Ok(e) => parsed.push((i, e)),
            Err(m) => {
                errors.insert(format!("events[{i}]"), vec![m]);
            }
        }
    }
    let i18n = state.i18n.clone();
    let outcomes = state
        .db(move |c| {
            let now = chrono::Utc::now().naive_utc();
            let mut out = Vec::with_capacity(parsed.len());
            for (i, e) in &parsed {
                out.push((*i, events::apply(c, &i18n, org, e, now)?));
            }
            Ok(out)
        })
        .await?;
    let (mut accepted, mut duplicates) = (0, 0);
    for (i, o) in outcomes {
        match o {
            Outcome::Accepted => accepted += 1,
            Outcome::Duplicate => duplicates += 1,
            Outcome::Rejected(m) => {
                errors.insert(format!("events[{i}]"), vec![m]);
            }
        }
    }
    if errors.is_empty() {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "accepted": accepted,
            "duplicates": duplicates,
        })));
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": format!("{} of {} events were refused; the others were kept", errors.len(), batch.len()),
        "errors": errors,
        "accepted": accepted,
        "duplicates": duplicates,
    });
    Ok(HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string()))
}
