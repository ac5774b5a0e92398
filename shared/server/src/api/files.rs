//! Files and photos over REST: the upload (the raw bytes as the body, streamed to disk) and the
//! downloads of a file and of a photo's thumbnail (with `Range`, from `tower-http`'s `ServeFile`).
//! Every download says how a browser may treat it: only inert image, audio and video types (as
//! sniffed from their bytes) are inline; anything else is an attachment, and every answer carries
//! `nosniff` and a sandboxing Content-Security-Policy. The rules live in the files service.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{Attachment, ErrorCode};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::{ApiError, Query, SessionUser};
use crate::files::{Upload, disposition};
use crate::hub::Hub;

/// What a downloaded file may do in a browser that opens it: nothing (no script, no plugin, no
/// form, no same-origin access), only show itself.
const SANDBOX: &str =
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/// Marks an answer the compression layer must pass as it is (file bytes: already compressed, or
/// too large to compress on the fly, and served with `Range`).
#[derive(Debug, Clone, Copy)]
pub struct Uncompressed;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct UploadQuery {
    /// The file's name, as the uploader's device has it (directories are dropped).
    name: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DownloadQuery {
    /// `true`: as an attachment, even a photo (for a "download" button).
    download: Option<bool>,
}

/// Whether a request is an upload (`POST /api/channels/{channel}/files`), whose body is the file's
/// bytes of any type rather than JSON: the guard checks only where it comes from.
pub fn is_upload(path: &str) -> bool {
    let path = path.strip_prefix("/api").unwrap_or(path);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["channels", channel, "files"] if !channel.is_empty())
}

fn channel_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(c)| c).map_err(|_| ApiError::new(ErrorCode::NoSuchChannel, "no such channel"))
}

fn file_of(path: Result<Path<(String, String)>, PathRejection>) -> Result<(String, i64), ApiError> {
    let no_such = || ApiError::new(ErrorCode::NoSuchFile, "no such file in this channel");
    let Path((channel, id)) = path.map_err(|_| no_such())?;
    Ok((channel, id.parse().map_err(|_| no_such())?))
}

/// `POST /api/channels/{channel}/files?name=`: the body is the file. 201 with the file, to attach to
/// a message (`send_message` with `attachments`) within the hour.
pub async fn upload(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    channel: Result<Path<String>, PathRejection>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let channel = channel_of(channel)?;
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let up = Upload {
        user: me.user.id,
        address: Some(peer.ip()),
        channel: &channel,
        name: &q.name,
        claimed_type: header(CONTENT_TYPE),
        length: header(CONTENT_LENGTH).and_then(|v| v.parse().ok()),
    };
    let file = hub.files().upload(up, body.into_data_stream()).await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// `GET /api/channels/{channel}/files/{id}`: the file's bytes.
pub async fn download(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    path: Result<Path<(String, String)>, PathRejection>,
    Query(q): Query<DownloadQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let (channel, id) = file_of(path)?;
    let found = hub.files().locate(me.user.id, &channel, id, false).await?;
    let inline = found.file.inline && q.download != Some(true);
    serve(request, &found.path, &found.file.content_type, &disposition(&found.file.name, inline)).await
}

/// `GET /api/channels/{channel}/files/{id}/thumbnail`: a photo's thumbnail (JPEG).
pub async fn thumbnail(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let (channel, id) = file_of(path)?;
    let found = hub.files().locate(me.user.id, &channel, id, true).await?;
    let name = format!("{}.thumbnail.jpg", found.file.name);
    serve(request, &found.path, "image/jpeg", &disposition(&name, true)).await
}

/// Serves the file at `path` (conditional and `Range` requests included) with these headers.
async fn serve(
    request: Request,
    path: &std::path::Path,
    content_type: &str,
    disposition: &str,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    let request = Request::from_parts(parts, Body::empty());
    let Ok(response) = ServeFile::new(path).oneshot(request).await;
    if response.status() == StatusCode::NOT_FOUND {
        // Its row is there but its bytes went (deleted a moment ago): the same as never there.
        return Err(ApiError::new(ErrorCode::NoSuchFile, "no such file in this channel"));
    }
    let mut response = response.map(Body::new).into_response();
    let success = response.status().is_success();
    let h = response.headers_mut();
    let value =
        |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    if success {
        h.insert(CONTENT_TYPE, value(content_type));
    }
    h.insert(CONTENT_DISPOSITION, value(disposition));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(SANDBOX));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response.extensions_mut().insert(Uncompressed);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_upload_route_is_an_upload() {
        assert!(is_upload("/api/channels/room:lobby/files"));
        assert!(is_upload("/channels/dm:3/files/"));
        assert!(!is_upload("/api/channels/room:lobby/files/3"));
        assert!(!is_upload("/api/channels//files"));
        assert!(!is_upload("/api/rooms"));
    }
}
