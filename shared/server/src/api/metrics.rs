//! `GET /metrics`: the hub's series in the Prometheus text format (OpenMetrics). Open to a scraper
//! on the hub's own machine (a loopback peer); from anywhere else it needs the admin token
//! (`Authorization: Bearer`) or a host's or moderator's session, like the admin API.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::ApiError;
use super::admin::Staff;
use crate::hub::Hub;

/// Whether a peer may scrape without credentials: only one on the hub's own machine.
fn open_to(peer: Option<IpAddr>) -> bool {
    peer.is_some_and(|ip| ip.to_canonical().is_loopback())
}

/// The caller may read the metrics: a loopback peer, or staff.
pub struct Scraper;

impl FromRequestParts<Hub> for Scraper {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        if open_to(peer) {
            return Ok(Scraper);
        }
        Staff::from_request_parts(parts, hub).await.map(|_| Scraper)
    }
}

pub async fn metrics(State(hub): State<Hub>, scraper: Result<Scraper, ApiError>) -> Response {
    if let Err(e) = scraper {
        hub.core().metrics().refused("rest", &super::guard::code_name(e.code));
        return e.into_response();
    }
    let parties = hub.parties().list();
    let players = parties.iter().map(|p| p.players as usize).sum();
    let body = hub.core().metrics().render((parties.len(), players));
    ([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// A request from `peer`, as the listener hands it to the router.
    fn from(peer: &str, method: &str, path: &str, bearer: Option<&str>, body: Option<&str>) -> Request<Body> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(secret) = bearer {
            req = req.header("authorization", format!("Bearer {secret}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let mut req = req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        req
    }

    async fn answer(hub: &Hub, req: Request<Body>) -> (StatusCode, String) {
        let resp = crate::router(hub.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
    }

    /// The guard as the router runs it, for a peer on the LAN (which a test on one machine cannot
    /// be over TCP): nothing without credentials, 403 for a guest, the series for the admin token;
    /// a loopback peer needs nothing.
    #[tokio::test]
    async fn a_lan_peer_needs_the_admin_token_or_staff() {
        let dir = tempfile::tempdir().unwrap();
        let token = "a-long-enough-admin-token";
        let config = crate::Config {
            data_dir: dir.path().to_owned(),
            admin_token: Some(token.into()),
            discovery: false,
            ..crate::Config::default()
        };
        let hub = Hub::open(config).await.unwrap();
        let lan = "192.168.1.20:40000";
        let (status, body) = answer(&hub, from(lan, "GET", "/metrics", None, None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains(r#""code":"unauthenticated""#), "{body}");
        let (status, body) =
            answer(&hub, from(lan, "POST", "/api/join", None, Some(r#"{"display_name":"Gus"}"#))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let joined: hubbub_protocol::JoinResponse = serde_json::from_str(&body).unwrap();
        let (status, body) = answer(&hub, from(lan, "GET", "/metrics", Some(&joined.session), None)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains(r#""code":"forbidden""#), "{body}");
        let (status, body) = answer(&hub, from(lan, "GET", "/metrics", Some(token), None)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(r#"hubbub_refusals_total{code="unauthenticated",via="rest"} 1"#), "{body}");
        assert!(body.contains(r#"hubbub_refusals_total{code="forbidden",via="rest"} 1"#), "{body}");
        let (status, _) = answer(&hub, from("127.0.0.1:40000", "GET", "/metrics", None, None)).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn only_loopback_peers_scrape_without_credentials() {
        assert!(open_to(Some("127.0.0.1".parse().unwrap())));
        assert!(open_to(Some("::1".parse().unwrap())));
        assert!(open_to(Some("::ffff:127.0.0.1".parse().unwrap())));
        assert!(!open_to(Some("192.168.1.20".parse().unwrap())));
        assert!(!open_to(Some("::ffff:10.0.0.2".parse().unwrap())));
        assert!(!open_to(None));
    }
}
