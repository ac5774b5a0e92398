//! Origin checks for cookie-authenticated sockets (cross-site WebSocket hijacking) and for
//! state-changing REST requests (cross-site request forgery).

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// The `Sec-Fetch-Site` request header (Fetch Metadata), sent by current browsers on every request.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Whether a state-changing request that does not carry a bearer session may act with the
/// browser's cookie. With `Origin`, it must pass [`origin_allowed`]. Without it (browsers send
/// `Origin` on every cross-site POST, and current ones on same-origin POSTs too), the request is let
/// through only when `Sec-Fetch-Site` is absent (not a browser, or an old one), `same-origin` or
/// `none` (the user typed it): a browser that says `same-site` or `cross-site` is refused, since
/// another service on the hub's own address is "same-site" too.
pub fn same_origin_request(headers: &HeaderMap, allowed: &[String]) -> bool {
    if headers.contains_key(ORIGIN) {
        return origin_allowed(headers, allowed);
    }
    match headers.get(SEC_FETCH_SITE).map(|v| v.to_str()) {
        None => true,
        Some(Ok(site)) => site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"),
        Some(Err(_)) => false,
    }
}

/// Whether a request carrying the session cookie may open a socket. Browsers always send
/// `Origin`; it must be the hub's own (same host and port as `Host`) or one configured as allowed.
/// Requests without `Origin` come from non-browser clients, which cannot be hijacked this way.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host =
        origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).unwrap_or("");
    !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_listed_origins_pass() {
        assert!(origin_allowed(&headers(Some("http://192.168.1.5:7470"), "192.168.1.5:7470"), &[]));
        assert!(origin_allowed(&headers(None, "x:1"), &[]));
        assert!(!origin_allowed(&headers(Some("http://evil.example"), "192.168.1.5:7470"), &[]));
        assert!(!origin_allowed(&headers(Some("http://192.168.1.5:7471"), "192.168.1.5:7470"), &[]));
        assert!(origin_allowed(
            &headers(Some("tauri://localhost"), "127.0.0.1:7470"),
            &["tauri://localhost".to_owned()]
        ));
    }

    #[test]
    fn state_changes_need_the_hubs_origin_or_a_same_origin_fetch() {
        let host = "192.168.1.5:7470";
        assert!(same_origin_request(&headers(Some("http://192.168.1.5:7470"), host), &[]));
        assert!(!same_origin_request(&headers(Some("http://evil.example"), host), &[]));
        assert!(!same_origin_request(&headers(Some("null"), host), &[]));
        assert!(!same_origin_request(&headers(Some("http://192.168.1.5:8080"), host), &[]));
        assert!(same_origin_request(&headers(None, host), &[]), "not a browser");
        for (site, ok) in [("same-origin", true), ("none", true), ("same-site", false), ("cross-site", false)]
        {
            let mut h = headers(None, host);
            h.insert(SEC_FETCH_SITE, site.parse().unwrap());
            assert_eq!(same_origin_request(&h, &[]), ok, "{site}");
        }
    }
}
