//! The hub's one refusal type: why a request or command was not done, as a stable code and a message
//! for people. Every service returns it; `api/error.rs` renders it for REST and `reply.rs` for sockets.
//!
//! An internal failure (a store error, a bug) is logged here with a short id, and the client gets
//! that id, never the failure's text: internals stay in the hub's log.

use std::time::Duration;

use hubbub_protocol::ErrorCode;
use rand::Rng;

/// A refusal: a stable machine `code` and a `message` for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited`: when the same request can succeed again.
    pub retry_after: Option<Duration>,
}

/// What a service call gives back: the value, or why not.
pub type Outcome<T> = Result<T, Refusal>;

impl Refusal {
    /// A refusal with its code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal { code, message: message.into(), retry_after: None }
    }

    /// Over a budget: `rate_limited`, and how long until the same request can succeed.
    pub fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Refusal {
        Refusal { code: ErrorCode::RateLimited, message: message.into(), retry_after: Some(retry_after) }
    }

    /// `retry_after` in whole milliseconds (at least 1), as the wire carries it.
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1))
    }

    /// An internal failure: logged with a fresh id (and `context`), answered with only that id.
    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> Refusal {
        let id = error_id();
        tracing::error!(error_id = %id, error = %error, "{context}");
        Refusal::new(ErrorCode::Internal, format!("internal error {id}; the hub's log has the details"))
    }

    /// The hub is shutting down and takes no more work.
    pub fn shutting_down() -> Refusal {
        Refusal::new(ErrorCode::Unavailable, "the hub is shutting down")
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// Eight hex digits that tie a client's error to the hub's log line.
fn error_id() -> String {
    format!("{:08x}", rand::rng().random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_send_an_id_and_never_the_text() {
        let r = Refusal::internal("test", &"sqlite: disk I/O error at /secret/path");
        assert_eq!(r.code, ErrorCode::Internal);
        assert!(!r.message.contains("sqlite"), "{}", r.message);
        assert!(!r.message.contains("/secret"), "{}", r.message);
        let id = r.message.split_whitespace().nth(2).unwrap().trim_end_matches(';');
        assert_eq!(id.len(), 8);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    }
}
