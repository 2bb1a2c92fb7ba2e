//! Middleware: CSRF and cross-site checks on every non-GET request, the localized error
//! page for every unrendered 4xx/5xx, security headers, request logging and the session.

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use futures_util::StreamExt;

use crate::AppState;
use crate::config::Config;
use crate::error::AppError;
use crate::web::forms::{has_control, has_forbidden_control};
use crate::web::{Rendered, session};

/// Largest form body we buffer (a few 10,000-character fields, percent-encoded).
pub const FORM_LIMIT: usize = 1024 * 1024;

pub fn session_middleware(config: &Config) -> SessionMiddleware<CookieSessionStore> {
    let secure = config.base_url.is_https();
    // The __Host- prefix pins the cookie to this exact host over https.
    let name = if secure {
        "__Host-oc_session"
    } else {
        "oc_session"
    };
    SessionMiddleware::builder(
        CookieSessionStore::default(),
        Key::derive_from(&config.secret_key),
    )
    .cookie_name(name.to_string())
    .cookie_secure(secure)
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_path("/".to_string())
    .cookie_content_security(CookieContentSecurity::Private)
    .build()
}

fn is_safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses non-GET requests that come from another site or carry no valid CSRF token.
/// The token is read from the `X-CSRF-Token` header, the `_csrf` field of a url-encoded
/// body (buffered here and handed on), or the `_csrf` part of a multipart form, which must
/// be its first part (only the first few KiB are read and put back; an upload streams on).
pub async fn csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if is_safe_method(req.method()) || req.path().starts_with("/api/") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let refuse = |req: ServiceRequest, e: AppError| {
        Ok(req.into_response(e.error_response()).map_into_right_body())
    };

    if !same_origin(&req) {
        tracing::warn!(path = req.path(), "cross-site request refused");
        return refuse(req, AppError::Forbidden);
    }
    let expected = req
        .get_session()
        .get::<String>(session::CSRF)
        .ok()
        .flatten();
    let mut submitted = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if submitted.is_none() && content_type.starts_with("application/x-www-form-urlencoded") {
        // `input_guard` (outside this one) has read the body already.
        let buffered = req.extensions().get::<BufferedBody>().map(|b| b.0.clone());
        let body = match buffered {
            Some(b) => b,
            None => match buffer_body(&mut req, FORM_LIMIT).await {
                Ok(b) => b,
                Err(e) => return refuse(req, e),
            },
        };
        submitted = form_field(&body, "_csrf");
    } else if submitted.is_none() && content_type.starts_with("multipart/form-data") {
        submitted = multipart_token(&mut req).await;
    }
    match (expected, submitted) {
        (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        _ => {
            tracing::warn!(path = req.path(), "missing or wrong CSRF token");
            refuse(req, AppError::Forbidden)
        }
    }
}

/// How much of a multipart body is read to find its first part.
const MULTIPART_PEEK: usize = 8 * 1024;

/// The `_csrf` value of a multipart body when it is the first part (the forms put the
/// token first, and browsers send fields in document order). What was read is put back in
/// front of the rest of the stream, so the handler reads the whole body as sent.
async fn multipart_token(req: &mut ServiceRequest) -> Option<String> {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
                .map(|b| b.trim_matches('"').to_string())
        })?;
    let mut payload = req.take_payload();
    let mut head = BytesMut::new();
    let mut token = None;
    while head.len() < MULTIPART_PEEK {
        match payload.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break,
        }
        if let Some(found) = first_part_token(&head, &boundary) {
            token = found;
            break;
        }
    }
    let prefix = head.freeze();
    let stream = futures_util::stream::once(async move { Ok(prefix) }).chain(payload);
    req.set_payload(actix_web::dev::Payload::Stream {
        payload: Box::pin(stream),
    });
    token
}

/// The token in the first part of a multipart body: `None` while more bytes are needed,
/// `Some(None)` when the first part is not a `_csrf` field.
fn first_part_token(buf: &[u8], boundary: &str) -> Option<Option<String>> {
    let start = format!("--{boundary}\r\n");
    if buf.len() < start.len() {
        return if start.as_bytes().starts_with(buf) {
            None
        } else {
            Some(None)
        };
    }
    if !buf.starts_with(start.as_bytes()) {
        return Some(None);
    }
    let rest = &buf[start.len()..];
    let headers_end = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..headers_end]).to_ascii_lowercase();
    let is_csrf = headers.lines().any(|l| {
        l.starts_with("content-disposition:") && l.split(';').any(|p| p.trim() == "name=\"_csrf\"")
    });
    if !is_csrf {
        return Some(None);
    }
    let value = &rest[headers_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    Some(String::from_utf8(value[..end].to_vec()).ok())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads the whole body (at most `limit` bytes) and puts it back for the handler.
async fn buffer_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest)?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();
    let (_, mut pl) = actix_http::h1::Payload::create(true);
    pl.unread_data(body.clone());
    req.set_payload(pl.into());
    Ok(body)
}

/// A request body read whole by `input_guard` (and put back for the handler), so the CSRF
/// check does not read and copy it a second time.
#[derive(Clone)]
struct BufferedBody(Bytes);

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 64 * 1024;
/// Largest body of a batch of CTI events (100 events of the longest kind fit).
pub const EVENTS_JSON_LIMIT: usize = 128 * 1024;
pub const EVENTS_PATH: &str = "/api/v1/cti/events";

/// The Fluent key of an error page's text, when it says more than its status.
#[derive(Clone, Copy)]
pub struct ErrorText(pub &'static str);

/// Refuses control characters where user text enters, before any handler or query sees
/// them (Postgres cannot store NUL, and no field of ours wants them): in the path (404),
/// the query string and url-encoded or API JSON bodies (422). Oversized API JSON is 413.
pub async fn input_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let api = req.path().starts_with("/api/");
    let refuse = |req: ServiceRequest, e: AppError| {
        let mut resp = if api {
            let status = e.status_code();
            let detail = match e {
                AppError::Unprocessable => "text must not contain control characters",
                AppError::PayloadTooLarge => "the JSON body is too large",
                _ => status.canonical_reason().unwrap_or("error"),
            };
            crate::error::problem(status, detail, None)
        } else {
            e.error_response()
        };
        if matches!(e, AppError::Unprocessable) {
            resp.extensions_mut()
                .insert(ErrorText("error-422-control-text"));
        }
        Ok(req.into_response(resp).map_into_right_body())
    };
    let path_bad = percent_encoding::percent_decode_str(req.path()).any(|b| b < 0x20 || b == 0x7f);
    if path_bad {
        return refuse(req, AppError::NotFound);
    }
    let query_bad = url::form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| has_control(&k) || has_control(&v));
    if query_bad {
        return refuse(req, AppError::Unprocessable);
    }
    if !is_safe_method(req.method()) {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            let body = match buffer_body(&mut req, FORM_LIMIT).await {
                Ok(b) => b,
                Err(e) => return refuse(req, e),
            };
            if url::form_urlencoded::parse(&body)
                .any(|(k, v)| has_control(&k) || has_forbidden_control(&v))
            {
                return refuse(req, AppError::Unprocessable);
            }
            req.extensions_mut().insert(BufferedBody(body));
        } else if api && content_type.starts_with("application/json") {
            let limit = if req.path() == EVENTS_PATH {
                EVENTS_JSON_LIMIT
            } else {
                JSON_LIMIT
            };
            let body = match buffer_body(&mut req, limit).await {
                Ok(b) => b,
                Err(e) => return refuse(req, e),
            };
            // Invalid JSON is the handler's to answer (400); valid JSON is checked here.
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                && json_has_control(&v)
            {
                return refuse(req, AppError::Unprocessable);
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn json_has_control(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => has_control(s),
        serde_json::Value::Array(a) => a.iter().any(json_has_control),
        serde_json::Value::Object(o) => {
            o.iter().any(|(k, v)| has_control(k) || json_has_control(v))
        }
        _ => false,
    }
}

/// Sign-in, forgot password and sign-up beyond `OC_THROTTLE_PER_MINUTE` per client
/// address in any minute answer 429, before any password is hashed.
pub async fn client_throttle(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if req.method() == Method::POST
        && crate::web::throttle::is_throttled_path(req.path())
        && let Some(state) = req.app_data::<web::Data<AppState>>()
        && let Some(peer) = req.peer_addr()
        && !state.client_throttle.allow_now(peer.ip())
    {
        tracing::warn!(path = req.path(), "client throttle: too many requests");
        let resp = AppError::TooManyRequests.error_response();
        return Ok(req.into_response(resp).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `Sec-Fetch-Site` must say same-origin (or none: typed by the user); an `Origin` header
/// must be this very origin.
fn same_origin(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return false;
        };
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ours = format!("{}://{}", state.config.base_url.scheme, host);
        return origin.eq_ignore_ascii_case(&ours);
    }
    true
}

/// Every 4xx/5xx that is not a page we rendered on purpose becomes the localized error
/// page (JSON problem details under `/api/` come with the API).
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // No clone of the request may be held across `next.call`: routing needs it unshared.
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if status.as_u16() < 400 || res.response().extensions().contains::<Rendered>() {
        return Ok(res);
    }
    if res.request().path().starts_with("/api/") {
        // The API answers problem details, whatever failed (unknown path, wrong method).
        let is_problem = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        if is_problem {
            return Ok(res);
        }
        let detail = status.canonical_reason().unwrap_or("error");
        let req = res.request().clone();
        return Ok(ServiceResponse::new(
            req,
            crate::error::problem(status, detail, None),
        ));
    }
    let http_req = res.request().clone();
    let Some(state) = http_req.app_data::<web::Data<AppState>>() else {
        return Ok(res);
    };
    let session = http_req.get_session();
    let lang = crate::web::request_lang(&http_req, &session);
    let csrf = session::csrf_token(&session).unwrap_or_default();
    let page = crate::web::PageCtx {
        lang,
        i18n: state.i18n.clone(),
        csrf,
        flash: None,
        user_name: None,
        here: "/".into(),
        urls: crate::routes::Urls,
        // On a workspace host, no console links (sign-up) in the header; the domain stands
        // for the organization (no database lookup on an error path).
        org_name: crate::web::workspace_domain(&http_req, state),
        is_admin: false,
        service_tabs: std::sync::Arc::default(),
        has_counseling: false,
        panel: None,
        cti_log: false,
    };
    let text = res.response().extensions().get::<ErrorText>().map(|t| t.0);
    let view = ErrorPage {
        ctx: page,
        status: status.as_u16(),
        text,
    };
    let resp = match askama::Template::render(&view) {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(status.to_string())
        }
    };
    Ok(ServiceResponse::new(http_req, resp))
}

#[derive(askama::Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub ctx: crate::web::PageCtx,
    pub status: u16,
    /// A more specific text than the status's own.
    pub text: Option<&'static str>,
}

impl ErrorPage {
    pub fn title_key(&self) -> &'static str {
        match self.status {
            400 => "error-400-title",
            403 => "error-403-title",
            404 => "error-404-title",
            405 => "error-405-title",
            413 => "error-413-title",
            422 => "error-422-title",
            429 => "error-429-title",
            s if s >= 500 => "error-500-title",
            _ => "error-other-title",
        }
    }

    pub fn text_key(&self) -> &'static str {
        if let Some(t) = self.text {
            return t;
        }
        match self.status {
            400 => "error-400-text",
            403 => "error-403-text",
            404 => "error-404-text",
            405 => "error-405-text",
            413 => "error-413-text",
            422 => "error-422-text",
            429 => "error-429-text",
            s if s >= 500 => "error-500-text",
            _ => "error-other-text",
        }
    }
}

/// Security headers on every response.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.base_url.is_https());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    // Names and values built at compile time: a name given as `&str` is parsed again
    // (lower-cased, validated) on every lookup.
    const COOP: header::HeaderName = header::HeaderName::from_static("cross-origin-opener-policy");
    let set =
        |h: &mut actix_web::http::header::HeaderMap, k: header::HeaderName, v: &'static str| {
            if !h.contains_key(&k) {
                h.insert(k, HeaderValue::from_static(v));
            }
        };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, COOP, "same-origin");
    if https {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// One log line per request: method, path (never the query: it may hold a token), status,
/// microseconds. Its target is `request` (short lines; `OC_LOG=info,request=off` drops
/// them), the duration an integer (cheaper to write than a float at 100k lines a second).
/// Requests in flight in this process (every server it runs), from the request log's view:
/// the bcrypt threads pause between slices of a hash while any page is being served.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many requests this process is serving now.
pub fn requests_in_flight() -> usize {
    IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Counts one in `count` until dropped (answered, failed or abandoned alike): a request in
/// flight here, a caller waiting for its hash in `auth::Hasher`.
pub struct Counted<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Counted<'a> {
    pub fn enter(count: &'a std::sync::atomic::AtomicUsize) -> Counted<'a> {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Counted(count)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Counts a request in flight until dropped.
pub fn in_flight() -> Counted<'static> {
    Counted::enter(&IN_FLIGHT)
}

pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let _in_flight = in_flight();
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let res = next.call(req).await;
    let us = start.elapsed().as_micros() as u64;
    match &res {
        Ok(r) if r.status() == StatusCode::INTERNAL_SERVER_ERROR => {
            tracing::error!(target: "request", %method, %path, status = r.status().as_u16(), us)
        }
        Ok(r) => {
            tracing::info!(target: "request", %method, %path, status = r.status().as_u16(), us)
        }
        Err(e) => tracing::error!(target: "request", %method, %path, error = %e, us, "failed"),
    }
    res
}

#[cfg(test)]
mod tests {
    use super::first_part_token;

    #[test]
    fn the_first_multipart_part_gives_the_token_whatever_the_chunks() {
        let body = b"--XB\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nT0K3N\r\n--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XB--\r\n";
        // Every cut before the end of the first part asks for more; after it, the token.
        let decided = (1..=body.len())
            .find(|n| first_part_token(&body[..*n], "XB").is_some())
            .unwrap_or(0);
        assert_eq!(
            first_part_token(&body[..decided], "XB"),
            Some(Some("T0K3N".to_string()))
        );
        let other = b"--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XB--\r\n";
        assert_eq!(first_part_token(other, "XB"), Some(None));
        assert_eq!(first_part_token(b"garbage", "XB"), Some(None));
        assert_eq!(first_part_token(b"--X", "XB"), None);
    }
}
