//! Rooms over REST: list, create, join, leave, invite. Joining subscribes the user's open sockets to
//! the room at once (server-side subscriptions); leaving unsubscribes them.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hubbub_protocol::{
    Channel, CreateRoomRequest, ErrorCode, InviteRequest, NotificationKind, Room, RoomKind, RoomsResponse,
    ServerFrame,
};

use super::ApiError;
use crate::auth::SessionUser;
use crate::conn::encode;
use crate::hub::Hub;
use crate::notify::publish_notification;
use crate::store::{
    NewNotification, RoomRefusal, create_room, insert_notification, invite, join_room, leave_room, room_view,
    rooms_for,
};
use crate::time::now_ms;

/// Longest room name, in characters.
pub const MAX_ROOM_NAME: usize = 40;
/// Longest room topic, in characters.
pub const MAX_ROOM_TOPIC: usize = 200;

fn refusal(r: RoomRefusal) -> ApiError {
    match r {
        RoomRefusal::NoSuchRoom => ApiError::new(ErrorCode::NotFound, "no such room"),
        RoomRefusal::Forbidden => {
            ApiError::new(ErrorCode::Forbidden, "not allowed: the room is invite-only, or it is the Lobby")
        }
        RoomRefusal::NoSuchUser => ApiError::new(ErrorCode::NotFound, "no such user"),
    }
}

fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))
}

fn room_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such room"))
}

/// Subscribes every open main socket of `user` to `channel` (those already in it stay as they are).
pub async fn subscribe_user(hub: &Hub, user: i64, channel: &Channel) {
    for conn in
        hub.registry.main_connections(user).into_iter().filter(|c| !hub.registry.is_subscribed(channel, c.id))
    {
        crate::chat::subscribe(hub, &conn, channel.clone(), None, None).await;
    }
}

/// Unsubscribes every socket of `user` from `channel`, and tells each one.
pub fn unsubscribe_user(hub: &Hub, user: i64, channel: &Channel) {
    for conn in hub.registry.subscribers(channel).into_iter().filter(|c| c.user.id == user) {
        if hub.registry.unsubscribe(channel, &conn) {
            hub.presence.leave_room(channel, &conn);
            conn.send_frame(&ServerFrame::Unsubscribed { r#ref: None, channel: channel.to_string() });
        }
    }
}

/// Tells a user's sockets that a room changed for them.
fn publish_room(hub: &Hub, user: i64, room: Room) {
    hub.registry.publish(&Channel::User(user), &encode(&ServerFrame::RoomUpdate { room }), None);
}

/// `GET /api/rooms`.
pub async fn list(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
) -> Result<Json<RoomsResponse>, ApiError> {
    let user = me.user.id;
    let mut rooms = hub.store.read(move |db| rooms_for(db, user)).await?;
    // Ephemeral rooms live in the writer's memory.
    if hub.ephemeral_rooms.load(std::sync::atomic::Ordering::Relaxed) {
        rooms.extend(hub.store.write_wait(move |dbs| rooms_for(dbs.memory, user)).await?);
    }
    Ok(Json(RoomsResponse { rooms }))
}

/// `POST /api/rooms`: the creator is the first member.
pub async fn create(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    body: Result<Json<CreateRoomRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Room>), ApiError> {
    let req = json(body)?;
    let name = req.name.trim().to_owned();
    let topic = req.topic.unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_ROOM_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidRoom,
            format!("a room name is 1 to {MAX_ROOM_NAME} characters"),
        ));
    }
    if topic.chars().count() > MAX_ROOM_TOPIC || topic.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidRoom,
            format!("a topic is at most {MAX_ROOM_TOPIC} characters"),
        ));
    }
    let user = me.user.id;
    if req.kind == RoomKind::Ephemeral {
        hub.ephemeral_rooms.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let room = hub
        .store
        .write_wait(move |dbs| {
            let db = if req.kind == RoomKind::Ephemeral { dbs.memory } else { dbs.disk };
            let slug = create_room(db, &name, &topic, req.kind, user, now_ms())?;
            room_view(db, &slug, user)
        })
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the new room vanished"))?;
    subscribe_user(&hub, user, &room.channel.parse().unwrap_or_else(|_| Channel::lobby())).await;
    publish_room(&hub, user, room.clone());
    if room.kind == RoomKind::Open {
        // Everyone else can join it: tell them, with the view of a non-member.
        let theirs = Room { member: false, last_read: 0, unread: 0, ..room.clone() };
        hub.registry.publish_to_users(&encode(&ServerFrame::RoomUpdate { room: theirs }), user);
    }
    Ok((StatusCode::CREATED, Json(room)))
}

/// Joins or leaves a room in one writer job, and returns the room as the user now sees it.
async fn change_membership(
    hub: &Hub,
    slug: &str,
    user: i64,
    change: fn(&rusqlite::Connection, &str, i64) -> crate::store::StoreResult<Result<(), RoomRefusal>>,
) -> Result<Room, ApiError> {
    let s = slug.to_owned();
    hub.store
        .write_wait(move |dbs| {
            let db = dbs.room(&s);
            match change(db, &s, user)? {
                Ok(()) => Ok(Ok(room_view(db, &s, user)?)),
                Err(r) => Ok(Err(r)),
            }
        })
        .await?
        .map_err(refusal)?
        .ok_or_else(|| refusal(RoomRefusal::NoSuchRoom))
}

/// `POST /api/rooms/{id}/join`: open rooms, or closed ones you were invited to.
pub async fn join(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Room>, ApiError> {
    let slug = room_id(id)?;
    let user = me.user.id;
    let room = change_membership(&hub, &slug, user, |db, s, u| join_room(db, s, u, now_ms())).await?;
    subscribe_user(&hub, user, &Channel::Room(slug)).await;
    publish_room(&hub, user, room.clone());
    Ok(Json(room))
}

/// `POST /api/rooms/{id}/leave` (not the Lobby).
pub async fn leave(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Room>, ApiError> {
    let slug = room_id(id)?;
    let user = me.user.id;
    let room = change_membership(&hub, &slug, user, leave_room).await?;
    unsubscribe_user(&hub, user, &Channel::Room(slug));
    publish_room(&hub, user, room.clone());
    Ok(Json(room))
}

/// `POST /api/rooms/{id}/invite`: a member invites someone; they get a `room_invite` notification.
pub async fn invite_user(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<InviteRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let slug = room_id(id)?;
    let req = json(body)?;
    let (by, to, by_name) = (me.user.id, req.user_id, me.user.display_name.clone());
    let invited = hub
        .store
        .write_wait(move |dbs| {
            let now = now_ms();
            let db = dbs.room(&slug);
            if let Err(r) = invite(db, &slug, by, to, now)? {
                return Ok(Err(r));
            }
            let room = room_view(db, &slug, to)?;
            let new = NewNotification {
                user_id: to,
                kind: NotificationKind::RoomInvite,
                from_user_id: Some(by),
                text: format!(
                    "{by_name} invited you to {}",
                    room.as_ref().map_or(slug.as_str(), |r| &r.name)
                ),
                channel: Some(format!("room:{slug}")),
                join_url: None,
            };
            Ok(Ok((room, insert_notification(dbs, &new, now)?)))
        })
        .await?
        .map_err(refusal)?;
    let (room, (notification, unread)) = invited;
    if let Some(room) = room {
        publish_room(&hub, to, room);
    }
    publish_notification(&hub, to, notification, unread);
    Ok(StatusCode::NO_CONTENT)
}
