//! The web client, embedded in the binary: hashed assets cached for a year, an SPA fallback to
//! `index.html`, ETags for revalidation.

use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hubbub_protocol::ErrorCode;
use rust_embed::Embed;

use crate::api::ApiError;

/// The web client `build.rs` chose (`HUBBUB_UI_DIR`): `ui/dist`, built from `ui/` when it is
/// missing or stale; a prebuilt one given as `HUBBUB_UI_DIST`; or a placeholder page.
#[derive(Embed)]
#[folder = "$HUBBUB_UI_DIR"]
struct Assets;

/// Serves `uri` from the embedded files; paths that are not files get `index.html` (client routing).
/// Only GET and HEAD: any other method is a 405 JSON error, never the page.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return ApiError::new(ErrorCode::NotFound, "no such API route").into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        let mut answer = crate::api::wrong_method(&method, uri.path()).into_response();
        answer.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return answer;
    }
    let (path, file) = match Assets::get(path) {
        Some(file) if !path.is_empty() => (path, file),
        _ if looks_like_file(path) => {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
        _ => match Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => {
                return (StatusCode::SERVICE_UNAVAILABLE, "the web client was not built into this hub")
                    .into_response();
            }
        },
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut h = HeaderMap::new();
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(CONTENT_TYPE, v);
    }
    (h, file.data).into_response()
}

fn looks_like_file(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
