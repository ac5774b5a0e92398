//! Direct conversations over REST: start (a request), list, accept, decline, block. The rules live
//! in the chat service.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use hubbub_protocol::{DmThread, DmsResponse, ErrorCode, StartDmRequest};

use super::{ApiError, SessionUser};
use crate::hub::Hub;
use crate::store::DmAction;

/// `GET /api/dms`.
pub async fn list(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
) -> Result<Json<DmsResponse>, ApiError> {
    Ok(Json(DmsResponse { threads: hub.chat().dms(me.user.id).await? }))
}

/// `POST /api/dms`: asks another user for a conversation. It stays `pending` until they accept; they
/// get a `dm_request` notification and both get `dm_update`.
pub async fn start(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    body: Result<Json<StartDmRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<DmThread>), ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let name = me.user.display_name.clone();
    let thread = hub.chat().start_dm(me.user.id, name, Some(peer.ip()), req.user_id).await?;
    Ok((StatusCode::CREATED, Json(thread)))
}

async fn act(
    hub: Hub,
    me: i64,
    id: Result<Path<i64>, PathRejection>,
    action: DmAction,
) -> Result<Json<DmThread>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::new(ErrorCode::NotFound, "no such conversation"))?;
    Ok(Json(hub.chat().act_on_dm(me, id, action).await?))
}

/// `POST /api/dms/{id}/accept`: the recipient accepts a pending request.
pub async fn accept(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Accept).await
}

/// `POST /api/dms/{id}/decline`: the recipient declines a pending request.
pub async fn decline(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Decline).await
}

/// `POST /api/dms/{id}/block`: either participant ends the conversation for good.
pub async fn block(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Block).await
}
