//! What only a party's host asks for over REST: a remote link (to drive the party from a phone while
//! the big screen shows only the show) and the results of the latest game, as JSON or CSV, to
//! download. Anyone else gets 403 `not_host`.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{PartyResults, RemoteLinkResponse};

use super::parties::{party_code, qr_svg};
use super::{ApiError, SessionUser};
use crate::hub::Hub;
use crate::party::results::to_csv;

/// `POST /api/parties/{code}/remote`: a one-time link that makes the device opening it the host;
/// any earlier link stops working.
pub async fn remote(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    code: Result<Path<String>, PathRejection>,
) -> Result<Json<RemoteLinkResponse>, ApiError> {
    Ok(Json(hub.parties().remote_link(&party_code(code)?, me.user.id).await?))
}

/// `GET /api/parties/{code}/remote.svg`: a new remote link (as the POST), as a QR code for the big
/// screen; `X-Remote-Url` is the link itself (to print under the code) and `X-Remote-Expires-At`
/// when it stops working.
pub async fn remote_qr(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let link = hub.parties().remote_link(&party_code(code)?, me.user.id).await?;
    let svg = qr_svg(&link.url)?;
    let url = HeaderValue::from_str(&link.url)
        .map_err(|e| crate::error::Refusal::internal("putting a remote link in a header", &e))?;
    let headers = [
        (header::HeaderName::from_static("x-remote-url"), url),
        (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::HeaderName::from_static("x-remote-expires-at"), HeaderValue::from(link.expires_at)),
    ];
    Ok((headers, svg).into_response())
}

async fn results_of(
    hub: &Hub,
    me: i64,
    code: Result<Path<String>, PathRejection>,
) -> Result<PartyResults, ApiError> {
    Ok(hub.parties().results(&party_code(code)?, me).await?)
}

fn download(content_type: &'static str, code: &str, ext: &str, body: String) -> Response {
    // Codes are letters only; the name needs no quoting beyond the quotes.
    let name = format!("attachment; filename=\"party-{code}-results.{ext}\"");
    let disposition = HeaderValue::from_str(&name).unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (headers, body).into_response()
}

/// `GET /api/parties/{code}/results`: the latest game's results as JSON, to download.
pub async fn results_json(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let results = results_of(&hub, me.user.id, code).await?;
    let body = serde_json::to_string_pretty(&results)
        .map_err(|e| crate::error::Refusal::internal("writing party results", &e))?;
    Ok(download("application/json", &results.code, "json", body))
}

/// `GET /api/parties/{code}/results.csv`: the same as CSV, one row per player and question.
pub async fn results_csv(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let results = results_of(&hub, me.user.id, code).await?;
    Ok(download("text/csv; charset=utf-8", &results.code, "csv", to_csv(&results)))
}
