//! Who is asking, and who may join: joining (display names, the PIN, the budget on new users),
//! session secrets, the session extractor for REST, WebSocket tokens, Origin checks.
//!
//! A session is a random 256-bit secret handed to the guest once (body and HttpOnly cookie) and
//! stored only as its SHA-256. WebSocket tokens are short-lived HS256 JWTs naming the session.

mod host_link;
mod join;
mod origin;
mod session;
mod token;

pub use host_link::{HOST_LINK_TTL, HostLinks, host_url, mint_for_data_dir};
pub use join::{JOIN_WINDOW, JoinAttempt, Joined, Joins, same_secret};
pub use origin::{origin_allowed, same_origin_request};
pub use session::{
    DEVICE_COOKIE, SESSION_COOKIE, SecretSource, cleared_session_cookie, cookie, device_cookie, lookup,
    new_secret, session_cookie, session_from_headers,
};
pub use token::{Claims, TokenKeys};
