//! Who is asking: the extractor that turns a REST request's session (bearer or cookie) into its user.

use axum::extract::FromRequestParts;
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
