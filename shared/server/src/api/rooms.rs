//! Rooms over REST: list, create, join, leave, invite. The rules live in the chat service.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use hubbub_protocol::{CreateRoomRequest, ErrorCode, InviteRequest, Room, RoomsResponse};

use super::{ApiError, SessionUser};
use crate::hub::Hub;

fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))
}

fn room_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such room"))
}

/// `GET /api/rooms`.
pub async fn list(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
) -> Result<Json<RoomsResponse>, ApiError> {
    Ok(Json(RoomsResponse { rooms: hub.chat().rooms(me.user.id).await? }))
}

/// `POST /api/rooms`: the creator is the first member.
pub async fn create(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    body: Result<Json<CreateRoomRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Room>), ApiError> {
    let req = json(body)?;
    Ok((StatusCode::CREATED, Json(hub.chat().create_room(me.user.id, Some(peer.ip()), req).await?)))
}

/// `POST /api/rooms/{id}/join`: open rooms, or closed ones you were invited to.
pub async fn join(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Room>, ApiError> {
    let room = hub.chat().join_room(me.user.id, room_id(id)?).await?;
    // A room's announcement is in `hub_state`, which the user's sockets got before they were in it.
    hub.moderation().joined_room(me.user.id, &room.channel);
    Ok(Json(room))
}

/// `POST /api/rooms/{id}/leave` (not the Lobby).
pub async fn leave(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Room>, ApiError> {
    Ok(Json(hub.chat().leave_room(me.user.id, room_id(id)?).await?))
}

/// `POST /api/rooms/{id}/invite`: a member invites someone; they get a `room_invite` notification.
pub async fn invite_user(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let slug = room_id(id)?;
    let req = json(body)?;
    let name = me.user.display_name.clone();
    hub.chat().invite(me.user.id, name, Some(peer.ip()), slug, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
