//! Origin checks for cookie-authenticated sockets (cross-site WebSocket hijacking).

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

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
}
