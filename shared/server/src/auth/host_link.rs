//! Host links: one-time tokens that make whoever opens them a host. `hubbub serve` prints one at
//! start, `hubbub host-link` prints a new one for a data directory (a hub may be running on it), and
//! the desktop app makes its own. A token is an HS256 JWT signed with the hub's `host_key` (kept in
//! its database, apart from the WebSocket tokens' key), naming a random nonce; the moderation
//! service records the nonce when the link is used, so it works once.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// How long a host link works.
pub const HOST_LINK_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Serialize, Deserialize)]
struct HostClaims {
    /// Always `"host"`, so no other token of the hub's can pass for one.
    purpose: String,
    /// The nonce that makes the link one-time.
    jti: String,
    /// Expires at, Unix seconds.
    exp: i64,
}

/// Signs and checks host links.
pub struct HostLinks {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for HostLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostLinks")
    }
}

impl HostLinks {
    pub fn new(key: &[u8]) -> HostLinks {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        HostLinks {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
        }
    }

    /// A new token, valid for [`HOST_LINK_TTL`].
    pub fn mint(&self) -> String {
        let claims = HostClaims {
            purpose: "host".into(),
            jti: URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 16]>()),
            exp: now_ms() / 1000 + i64::try_from(HOST_LINK_TTL.as_secs()).unwrap_or(i64::MAX),
        };
        // Signing HS256 with a key we hold cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// The nonce of a valid, unexpired host token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<String> {
        let data = jsonwebtoken::decode::<HostClaims>(token.trim(), &self.decoding, &self.validation).ok()?;
        (data.claims.purpose == "host").then_some(data.claims.jti)
    }
}

/// The link a host opens: the hub's page with the token.
pub fn host_url(base_url: &str, token: &str) -> String {
    format!("{}/?host={token}", base_url.trim_end_matches('/'))
}

/// A new host token for the hub whose data directory this is, whether or not it is running: reads
/// (or makes) its host key in the database. For `hubbub host-link`.
pub fn mint_for_data_dir(data_dir: &Path) -> Result<String, String> {
    let path = crate::store::db_path(data_dir);
    if !path.exists() {
        return Err(format!(
            "no hub has run on {} yet: start `hubbub serve` there first (it prints a host link)",
            data_dir.display()
        ));
    }
    let key = crate::store::host_key_from_file(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(HostLinks::new(&key).mint())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_token_is_checked_by_its_own_key_and_purpose() {
        let links = HostLinks::new(b"one key");
        let token = links.mint();
        let nonce = links.verify(&token).expect("valid");
        assert_eq!(nonce.len(), 22);
        assert_ne!(links.verify(&links.mint()), Some(nonce), "every link has its own nonce");
        assert_eq!(HostLinks::new(b"another key").verify(&token), None);
        assert_eq!(links.verify("not a token"), None);
        let ws_like = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "1", "sid": 1, "exp": now_ms() / 1000 + 60}),
            &EncodingKey::from_secret(b"one key"),
        )
        .unwrap();
        assert_eq!(links.verify(&ws_like), None, "a token for something else is no host link");
        assert_eq!(host_url("http://10.0.0.2:8080/", "T"), "http://10.0.0.2:8080/?host=T");
    }
}
