//! The rules every `/api` route keeps, in one place: a state-changing request must come from the
//! hub's own pages (or carry a bearer session) and send JSON; and every error answer is the JSON
//! `{code, message}`, even the ones the framework makes (a wrong method, an unreadable path). It
//! also counts each refusal (`hubbub_refusals_total{via="rest"}`) and logs one line per request
//! (target `hubbub::http`, at debug: method, route, status, milliseconds).

use axum::body::HttpBody;
use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hubbub_protocol::ErrorCode;

use super::ApiError;
use crate::auth::{SecretSource, same_origin_request, session_from_headers};
use crate::hub::Hub;

/// Longest framework error text kept as the message of the JSON answer that replaces it.
const MAX_ERROR_TEXT: usize = 4096;

/// Middleware on the `/api` router: refuses cross-site and non-JSON state changes before any
/// handler runs, and turns any error answer that is not JSON into `{code, message}`.
pub async fn guard(State(hub): State<Hub>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let response = match admit(&hub, request).await {
        Ok(request) => json_errors(next.run(request).await).await,
        Err(e) => e.into_response(),
    };
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        hub.core().metrics().refused("rest", &code_name(*code));
    }
    let route = response.extensions().get::<MatchedPath>().map_or("(none)", MatchedPath::as_str);
    tracing::debug!(
        target: "hubbub::http",
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// A state-changing request passes the checks and its body is a JSON object; any other passes.
async fn admit(hub: &Hub, request: Request) -> Result<Request, ApiError> {
    if !changes_state(request.method()) {
        return Ok(request);
    }
    if super::files::is_upload(request.uri().path()) {
        // A file's bytes, of any type and size: only where it comes from is checked here.
        check_origin(hub, &request)?;
        return Ok(request);
    }
    check_request(hub, &request)?;
    object_body(request).await
}

/// Route layer: hands the matched route to [`guard`] (which runs outside the routing) through the
/// response, for its log line.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// An error code's wire name (`rate_limited`).
pub fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The largest body a route reads (axum's own limit for its JSON and byte extractors).
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Every body this API takes is a JSON object: an array would otherwise be read as a struct's
/// fields in order (`[null, null]` for `{"reason": null, ...}`), which no client means to send.
async fn object_body(request: Request) -> Result<Request, ApiError> {
    if !json_content_type(request.headers()) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(ErrorCode::InvalidJson, format!("the request body is larger than {MAX_BODY} bytes"))
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
    })?;
    // `null` is how some clients send "no body" to a route that takes none; the routes that do take
    // one refuse it as they refuse any body of the wrong shape.
    let object_or_null = match bytes.iter().position(|b| !b.is_ascii_whitespace()) {
        None => true,
        Some(start) => bytes[start] == b'{' || bytes[start..].trim_ascii() == b"null",
    };
    if object_or_null {
        Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
    } else {
        Err(ApiError::new(ErrorCode::InvalidJson, "the request body must be a JSON object"))
    }
}

/// The methods that may change something: everything but GET, HEAD and OPTIONS.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn check_request(hub: &Hub, request: &Request) -> Result<(), ApiError> {
    check_origin(hub, request)?;
    let headers = request.headers();
    // No body and no type means "the defaults" where a route's body is optional.
    let nothing = request.body().size_hint().exact() == Some(0) && !headers.contains_key(CONTENT_TYPE);
    if !nothing && !json_content_type(headers) {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the request body must be JSON, sent as Content-Type: application/json",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    Ok(())
}

/// A request with the session cookie must come from the hub's own pages.
fn check_origin(hub: &Hub, request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    // A bearer session is not sent by a browser on its own, so it cannot be forged from another
    // site; a cookie is, so a request without a bearer must come from the hub's own pages. That
    // covers `POST /api/join` without a session too: a foreign page must not be able to replace a
    // guest's cookie with one of its choosing.
    let bearer = matches!(session_from_headers(headers), Some((_, SecretSource::Bearer)));
    if !bearer && !same_origin_request(headers, &hub.config().allowed_origins) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "cross-site request refused: a request with the session cookie must come from this hub's own pages",
        ));
    }
    Ok(())
}

/// Whether the `Content-Type` is `application/json` (any parameters, any case).
fn json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// An error answer made by the framework rather than by a handler (plain text or empty) as the
/// API's JSON error with the same status. Answers that are already JSON, and successes, pass.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || json_content_type(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    tracing::debug!(%status, text, "an error answer that was not JSON was rewritten");
    let code = match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidFrame,
    };
    // A server error's text may describe internals; the status's name says enough.
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut answer = ApiError::new(code, message).with_status(status).into_response();
    if let Some(route) = parts.extensions.get::<MatchedPath>() {
        answer.extensions_mut().insert(route.clone());
    }
    if let Some(allow) = parts.headers.get(ALLOW) {
        answer.headers_mut().insert(ALLOW, allow.clone());
    }
    answer
}

/// The answer to a method a route does not take (`DELETE /api/rooms`, `POST /ws`): 405
/// `method_not_allowed`, with the `Allow` header the router adds.
pub async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    wrong_method(&method, uri.path())
}

/// 405 `method_not_allowed` for `method` on `path`.
pub fn wrong_method(method: &Method, path: &str) -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {path}"))
}
