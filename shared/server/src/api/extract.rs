//! Extractors of the REST API: who is asking (the session, bearer or cookie), and a query string
//! whose errors keep the API's `{code, message}` contract.

use axum::extract::FromRequestParts;
use axum::extract::rejection::QueryRejection;
use axum::http::request::Parts;
use hubbub_protocol::ErrorCode;

use super::ApiError;
use crate::auth::{lookup, session_from_headers};
use crate::hub::Hub;
use crate::store::SessionRecord;

/// The signed-in user of a REST request (bearer or cookie); 401 otherwise.
#[derive(Debug, Clone)]
pub struct SessionUser(pub SessionRecord);

impl FromRequestParts<Hub> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let unauthenticated =
            || ApiError::new(ErrorCode::Unauthenticated, "no valid session: join the hub first");
        let (secret, _) = session_from_headers(&parts.headers).ok_or_else(unauthenticated)?;
        lookup(hub.store(), &secret).await?.map(SessionUser).ok_or_else(unauthenticated)
    }
}

/// The query string as `T`. A malformed one (`?limit=abc`, a missing required field) is a 400
/// `invalid_frame` whose message names the field, like every other REST error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(query_error(&e)),
        }
    }
}

fn query_error(e: &QueryRejection) -> ApiError {
    ApiError::new(ErrorCode::InvalidFrame, e.body_text())
}
