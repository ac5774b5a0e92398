//! Short-lived WebSocket tokens: HS256 JWTs signed with the hub's own random secret.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// What a token says: which session (and user) it was issued to, and until when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (the JWT spec's `sub` is a string).
    pub sub: String,
    /// The session id.
    pub sid: i64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

/// The hub's signing key and token lifetime.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        // Tokens live for a minute; a clock leeway as long as that would double it.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// How long a new token is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new token for this session.
    pub fn issue(&self, user_id: i64, session_id: i64) -> Result<String, jsonwebtoken::errors::Error> {
        let now = now_ms() / 1000;
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims =
            Claims { sub: user_id.to_string(), sid: session_id, iat: now, exp: now.saturating_add(ttl) };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The token's claims if it is well-formed, signed by this hub and not expired.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(d) => Some(d.claims),
            Err(e) => {
                tracing::debug!(error = %e, "token refused");
                None
            }
        }
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let t = keys.issue(7, 3).unwrap();
        let c = keys.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.sid), ("7", 3));
        let other = TokenKeys::new(b"another secret, another hub.....", Duration::from_secs(60));
        assert!(other.verify(&t).is_none());
        assert!(keys.verify("not.a.token").is_none());
        let expired = TokenKeys::new(b"0123456789abcdef0123456789abcdef", Duration::ZERO);
        let t = expired.issue(7, 3).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(keys.verify(&t).is_none());
    }
}
