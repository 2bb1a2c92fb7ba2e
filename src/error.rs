//! The one application error. Pages: its response carries only a status, and the
//! error-page middleware (`web::middleware::error_pages`) turns every unrendered 4xx/5xx
//! into the localized error page, so actix's own errors (bad form encoding, 404, 405) get
//! the same page. Under `/api/` the same errors are rendered as RFC 9457 problem details
//! ([`problem`]); `AppError::Problem` carries an API answer's own detail and field errors.
//! 5xx are logged here with their source, never shown.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request")]
    BadRequest,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("payload too large")]
    PayloadTooLarge,
    /// Input refused at the boundary (control characters).
    #[error("unprocessable input")]
    Unprocessable,
    #[error("too many requests")]
    TooManyRequests,
    /// Not signed in: see the login page (the location comes back here afterwards).
    #[error("sign-in required")]
    SignIn(String),
    /// An API answer with its own detail (and per-field messages).
    #[error("{status}: {detail}")]
    Problem {
        status: StatusCode,
        detail: String,
        errors: Option<BTreeMap<String, Vec<String>>>,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// Wraps any error as an internal one; its text goes to the log only.
    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }

    /// An API problem with a detail.
    pub fn api(status: StatusCode, detail: impl Into<String>) -> AppError {
        AppError::Problem {
            status,
            detail: detail.into(),
            errors: None,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(e)
    }
}

impl From<actix_session::SessionInsertError> for AppError {
    fn from(e: actix_session::SessionInsertError) -> Self {
        AppError::internal(e)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::SignIn(_) => StatusCode::SEE_OTHER,
            AppError::Problem { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(source) => tracing::error!(%source, "internal error"),
            AppError::SignIn(location) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location.as_str()))
                    .finish();
            }
            AppError::Problem {
                status,
                detail,
                errors,
            } => return problem(*status, detail, errors.as_ref()),
            _ => {}
        }
        HttpResponse::build(self.status_code()).finish()
    }
}

/// The problem-details rendering of an error status (every error under `/api/`).
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
