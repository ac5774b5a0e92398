//! go-falcon's REST routes: the public `GET /websocket/status`, and the staff-only
//! `/websocket/connections`, `/websocket/rooms` and `/websocket/broadcast` (a host's or moderator's
//! session, or the admin token, as `/api/admin/*`).

use axum::extract::State;
use axum::{Extension, Json};
use hubbub_protocol::dialects::falcon::{
    BroadcastRequest, BroadcastResponse, Connection, Connections, MessageType as T, RoomInfo,
    Rooms as RoomsBody, Status, WsMessage,
};
use hubbub_protocol::{Channel, ErrorCode};
use serde_json::{Value, json};

use super::rooms::{Target, room_of};
use crate::api::{ApiError, Auth, Endpoint as E, Staff};
use crate::dialects::{Shared, rfc3339};
use crate::hub::Hub;
use crate::time::now_ms;

/// `GET /websocket/status`: public health.
pub async fn status(State(hub): State<Hub>, Extension(shared): Extension<Shared>) -> Json<Status> {
    let (sockets, rooms) = shared.falcon.counts();
    Json(Status {
        status: if hub.shutting_down() { "shutting_down" } else { "healthy" }.into(),
        connections: u32::try_from(hub.connection_count()).unwrap_or(u32::MAX),
        falcon_connections: sockets,
        rooms,
        timestamp: rfc3339(now_ms()),
    })
}

/// `GET /websocket/connections`: every open socket of the hub.
pub async fn connections(State(hub): State<Hub>, _staff: Staff) -> Json<Connections> {
    let connections: Vec<Connection> = hub
        .core()
        .registry()
        .connections()
        .iter()
        .map(|c| Connection {
            id: c.id.to_string(),
            user_id: c.user.id,
            username: c.user.display_name.clone(),
            path: c.route().to_owned(),
            connected_at: rfc3339(c.meta.connected_at),
            rooms: c.channel_names().iter().map(|n| room_of(n)).collect(),
        })
        .collect();
    let total = u32::try_from(connections.len()).unwrap_or(u32::MAX);
    Json(Connections { connections, total })
}

/// `GET /websocket/rooms`: the rooms `/websocket/connect` sockets are in.
pub async fn rooms(Extension(shared): Extension<Shared>, _staff: Staff) -> Json<RoomsBody> {
    let rooms: Vec<RoomInfo> = shared
        .falcon
        .list()
        .into_iter()
        .map(|(room, connections)| {
            let kind = match Target::parse(&room) {
                Some(Target::User(_)) => "user",
                Some(Target::Group(_)) => "group",
                Some(Target::Thread(_)) => "thread",
                _ => "custom",
            };
            RoomInfo { room, kind: kind.into(), connections }
        })
        .collect();
    let total = u32::try_from(rooms.len()).unwrap_or(u32::MAX);
    Json(RoomsBody { rooms, total })
}

/// `POST /websocket/broadcast`: a `system_notification` to everyone (every protocol's clients get
/// the hub's notice) or to a group's people, or a frame to a custom room's sockets.
pub async fn broadcast(
    State(hub): State<Hub>,
    Extension(shared): Extension<Shared>,
    Staff(actor): Staff,
    Json(req): Json<BroadcastRequest>,
) -> Result<Json<BroadcastResponse>, ApiError> {
    let text = req.message.clone().or_else(|| match &req.data {
        Value::String(s) => Some(s.clone()),
        data => data.get("message").and_then(Value::as_str).map(str::to_owned),
    });
    let kind = req.r#type.unwrap_or(T::SystemNotification);
    if !matches!(kind, T::SystemNotification | T::CustomEvent) {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "type is system_notification or custom_event"));
    }
    let target = match req.room.as_deref() {
        None => None,
        Some(room) => Some(
            Target::parse(room).ok_or_else(|| ApiError::new(ErrorCode::InvalidFrame, "not a room name"))?,
        ),
    };
    let delivered = match (target, kind) {
        (Some(Target::Custom(room)), kind) => {
            let envelope = WsMessage {
                r#type: kind,
                room: Some(room.clone()),
                from: None,
                to: None,
                data: if req.data.is_null() { json!({"message": text}) } else { req.data },
                timestamp: Some(rfc3339(now_ms()).into()),
                id: None,
            };
            shared.falcon.relay(&room, None, &envelope)
        }
        (_, T::CustomEvent) => {
            return Err(ApiError::new(ErrorCode::InvalidFrame, "a custom_event goes to a custom room"));
        }
        (target, _) => {
            let text = text
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidFrame, "a broadcast needs `data.message`"))?;
            let channel = match &target {
                None => None,
                Some(t @ (Target::Group(_) | Target::Thread(_))) => t.channel(),
                Some(Target::User(id)) => Some(Channel::User(*id).to_string()),
                Some(Target::Custom(_)) => None,
            };
            let user = match target {
                Some(Target::User(id)) => Some(id),
                _ => None,
            };
            let channel = if user.is_some() { None } else { channel };
            hub.moderation().broadcast(&actor, &text, channel.as_deref(), user).await?
        }
    };
    Ok(Json(BroadcastResponse { delivered }))
}

/// go-falcon's REST routes.
pub fn endpoints() -> Vec<E> {
    let tag = "go-falcon";
    vec![
        E::get("/websocket/status", status)
            .doc(tag, "go-falcon: public health: open sockets and rooms")
            .outside_api()
            .auth(Auth::Open)
            .ok::<Status>(),
        E::get("/websocket/connections", connections)
            .doc(tag, "go-falcon: every open socket of the hub, with its user and rooms (staff only)")
            .outside_api()
            .auth(Auth::Staff)
            .ok::<Connections>(),
        E::get("/websocket/rooms", rooms)
            .doc(tag, "go-falcon: the rooms `/websocket/connect` sockets are in, with how many (staff only)")
            .outside_api()
            .auth(Auth::Staff)
            .ok::<RoomsBody>(),
        E::post("/websocket/broadcast", broadcast)
            .doc(tag, "go-falcon: a `system_notification` to everyone or a room, or a frame to a custom room (staff only)")
            .outside_api()
            .auth(Auth::Staff)
            .body::<BroadcastRequest>()
            .ok::<BroadcastResponse>(),
    ]
}
