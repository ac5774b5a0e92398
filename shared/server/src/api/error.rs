//! The REST rendering of a refusal: a status that fits its code and the JSON `{code, message}`.
//! Internals are logged where the refusal is made (see `crate::error`), never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hubbub_protocol::{ApiError as ApiErrorBody, ErrorCode};

use crate::error::Refusal;
use crate::store::StoreError;

/// An error answer of the REST API.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited`: sent as `retry_after_ms` and as `Retry-After` (seconds, rounded up).
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    /// An error with the status that fits its code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        let status = match code {
            ErrorCode::InvalidJson
            | ErrorCode::InvalidFrame
            | ErrorCode::InvalidDisplayName
            | ErrorCode::MessageEmpty
            | ErrorCode::MessageTooLong
            | ErrorCode::InvalidClientMessageId
            | ErrorCode::InvalidStatus
            | ErrorCode::InvalidJoinUrl
            | ErrorCode::InvalidRoom
            | ErrorCode::InvalidPlace
            | ErrorCode::InvalidEmoji
            | ErrorCode::InvalidReply
            | ErrorCode::InvalidAnswer
            | ErrorCode::InvalidParty
            | ErrorCode::UnknownType => StatusCode::BAD_REQUEST,
            ErrorCode::PinRequired | ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::WrongPin
            | ErrorCode::Forbidden
            | ErrorCode::Muted
            | ErrorCode::RoomLocked
            | ErrorCode::Banned => StatusCode::FORBIDDEN,
            ErrorCode::NoSuchChannel | ErrorCode::NotSubscribed | ErrorCode::NotFound => {
                StatusCode::NOT_FOUND
            }
            ErrorCode::UserOffline
            | ErrorCode::NameTaken
            | ErrorCode::DmNotAccepted
            | ErrorCode::PartyFull
            | ErrorCode::WrongPhase
            | ErrorCode::NotEnoughReady
            | ErrorCode::LimitReached => StatusCode::CONFLICT,
            ErrorCode::Kicked | ErrorCode::NotHost | ErrorCode::NotInParty | ErrorCode::NotAPlayer => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::NoSuchParty | ErrorCode::NoSuchPlace => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::InvalidPack => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NoSuchMessage | ErrorCode::NoSuchFile => StatusCode::NOT_FOUND,
            ErrorCode::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::QuotaExceeded | ErrorCode::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::RateLimited | ErrorCode::SlowMode => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError { status, code, message: message.into(), retry_after_ms: None }
    }

    /// The same error with another status, for the few answers whose status says more than the
    /// code's usual one (415 for a body that is not JSON).
    pub fn with_status(self, status: StatusCode) -> ApiError {
        ApiError { status, ..self }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let retry_after_ms = r.retry_after_ms();
        ApiError { retry_after_ms, ..ApiError::new(r.code, r.message) }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Refusal::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ApiErrorBody { code: self.code, message: self.message, retry_after_ms: self.retry_after_ms };
        let code = self.code;
        let mut response = (self.status, Json(body)).into_response();
        // For the guard, which counts refusals by code.
        response.extensions_mut().insert(code);
        if let Some(ms) = self.retry_after_ms {
            let secs = ms.div_ceil(1000).to_string();
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}
