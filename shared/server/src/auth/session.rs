//! Sessions: new secrets, the cookie, where a request carries its secret, and looking it up.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

use crate::store::{SessionRecord, Store, StoreResult, hash_secret};

/// Name of the HttpOnly cookie that carries the session secret.
pub const SESSION_COOKIE: &str = "hubbub_session";

/// Name of the HttpOnly cookie that names the browser (so a ban holds when its user joins again
/// under a new name).
pub const DEVICE_COOKIE: &str = "hubbub_device";

/// The `Set-Cookie` value for a browser's device id: HttpOnly, SameSite=Lax, for a year.
pub fn device_cookie(device: &str) -> String {
    format!("{DEVICE_COOKIE}={device}; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000")
}

/// The `Set-Cookie` value that removes the session cookie (logging out).
pub fn cleared_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0")
}

/// A cookie's value from a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v)
}

/// A new random 256-bit session secret, URL-safe base64.
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 32]>())
}

/// The `Set-Cookie` value for a session: HttpOnly, SameSite=Lax, for a year.
pub fn session_cookie(secret: &str) -> String {
    format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000")
}

/// Where a request's session secret came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    Bearer,
    Cookie,
}

/// The session secret in a request: `Authorization: Bearer` first, then the cookie.
pub fn session_from_headers(headers: &HeaderMap) -> Option<(String, SecretSource)> {
    if let Some(v) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(secret) = v.strip_prefix("Bearer ").map(str::trim).filter(|s| !s.is_empty())
    {
        return Some((secret.to_owned(), SecretSource::Bearer));
    }
    cookie(headers, SESSION_COOKIE).map(|v| (v.to_owned(), SecretSource::Cookie))
}

/// Looks a session secret up (in the store's session cache, else in the database).
pub async fn lookup(store: &Store, secret: &str) -> StoreResult<Option<SessionRecord>> {
    store.session_by_hash(hash_secret(secret)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_wins_over_cookie_and_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; hubbub_session=abc; b=2".parse().unwrap());
        assert_eq!(session_from_headers(&h), Some(("abc".into(), SecretSource::Cookie)));
        h.insert(AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(session_from_headers(&h), Some(("xyz".into(), SecretSource::Bearer)));
        assert_ne!(new_secret(), new_secret());
        assert_eq!(new_secret().len(), 43);
    }
}
