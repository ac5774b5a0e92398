//! go-falcon (seed 001): `GET /websocket/connect` with the `WSMessage` envelope, and the
//! `/websocket` REST routes (connections, rooms, broadcast, status).
//!
//! The socket is a main socket: it counts in presence and starts on the user's personal channel
//! (`user:{id}`), every room of the hub the user is a member of (`group:{slug}`: go-falcon's groups
//! are the hub's rooms and their members) and every conversation (`thread:{id}`). Other rooms are
//! joined with `room_joined`: a group or thread by name, or any other name as a custom room, which
//! lives only among the `/websocket/connect` sockets in it (its messages and `custom_event`s are
//! relayed, not stored). Credentials: `Authorization: Bearer` or the `falcon_auth_token` cookie,
//! each a 60 s token from `/api/auth/ws-token` or a session; refused with 401 before the upgrade.

mod admin;
mod rooms;

pub use admin::endpoints;
pub use rooms::Rooms;
use rooms::{Target, room_name, room_of};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::{Message, Utf8Bytes};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hubbub_protocol::dialects::falcon::{MessageType as T, WsMessage};
use hubbub_protocol::{
    ChatMessage, ClientFrame, NotificationKind, OnlineUser, PresenceStatus, ServerFrame, SocketQuery,
    UserInfo,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Dialect, Out, Refs, Refuse, Speak, code_name, parse, rfc3339};
use crate::auth::{SecretSource, cookie};
use crate::hub::Hub;
use crate::time::now_ms;
use crate::ws::{Credential, Peer, Upgrade, accept_as, main_kind};

/// The cookie go-falcon keeps its token in.
pub const COOKIE: &str = "falcon_auth_token";
/// Frames other sockets may queue for one socket (custom rooms) before more are dropped for it.
const SIDE_QUEUE: usize = 64;
/// Display names a socket remembers to tell a rename (`user_profile_update`) from a new entry.
const MAX_NAMES: usize = 4096;

/// `GET /websocket/connect`.
pub async fn connect(
    State(hub): State<Hub>,
    Extension(shared): Extension<super::Shared>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let credential = match (bearer, cookie(&headers, COOKIE)) {
        (Some(token), _) => Credential::TokenOrSecret(token.to_owned(), SecretSource::Bearer),
        (None, Some(token)) => Credential::TokenOrSecret(token.to_owned(), SecretSource::Cookie),
        (None, None) => Credential::of(q.token.as_deref()),
    };
    let (tx, rx) = mpsc::channel(SIDE_QUEUE);
    let falcon = Falcon::new(Arc::clone(&shared.falcon), tx);
    let kind = main_kind(&q, &headers);
    let speak = Speak::new(falcon, Refuse::Http).with_side(rx);
    accept_as(hub, credential, headers, from, ws, kind, None, speak).await
}

/// What a command sent to the hub was for.
#[derive(Debug)]
enum Pending {
    Join(String),
    Send(String),
    Other,
}

/// One `/websocket/connect` socket's translation state.
pub struct Falcon {
    rooms: Arc<Rooms>,
    /// Until `open`: the sender the registry keeps for this socket.
    tx: Option<mpsc::Sender<Message>>,
    id: u64,
    me: Option<UserInfo>,
    /// The hub's rooms this socket is in (slugs), to tell a membership change.
    groups: HashSet<String>,
    /// Display names seen in presence, to tell a rename.
    names: HashMap<i64, String>,
    refs: Refs<Pending>,
    sent: u64,
}

impl Drop for Falcon {
    fn drop(&mut self) {
        if self.id != 0 {
            self.rooms.remove(self.id);
        }
    }
}

impl Falcon {
    fn new(rooms: Arc<Rooms>, tx: mpsc::Sender<Message>) -> Self {
        Falcon {
            rooms,
            tx: Some(tx),
            id: 0,
            me: None,
            groups: HashSet::new(),
            names: HashMap::new(),
            refs: Refs::default(),
            sent: 0,
        }
    }

    fn my_id(&self) -> i64 {
        self.me.as_ref().map_or(0, |u| u.id)
    }

    /// An envelope from the hub, stamped now with an id of this socket's.
    fn envelope(&mut self, r#type: T, room: Option<String>, data: Value) -> WsMessage {
        self.sent += 1;
        WsMessage {
            r#type,
            room,
            from: None,
            to: None,
            data,
            timestamp: Some(rfc3339(now_ms()).into()),
            id: Some(format!("c{}-{}", self.id, self.sent)),
        }
    }

    fn send(&mut self, out: &mut Out, r#type: T, room: Option<String>, data: Value) {
        let envelope = self.envelope(r#type, room, data);
        out.send(&envelope);
    }

    fn error(&mut self, out: &mut Out, room: Option<String>, code: &str, message: impl Into<String>) {
        self.send(out, T::Error, room, json!({"code": code, "message": message.into()}));
    }

    fn joined(&mut self, out: &mut Out, room: String) {
        if let Err(e) = self.rooms.join(self.id, &room) {
            return self.error(out, Some(room), "too_many_rooms", e);
        }
        self.send(out, T::RoomJoined, Some(room.clone()), json!({"room": room}));
    }

    fn client_frame(&mut self, text: &str, out: &mut Out) {
        let frame = match serde_json::from_str::<WsMessage>(text) {
            Ok(frame) => frame,
            Err(e) => return self.error(out, None, "invalid_message", format!("not a WSMessage: {e}")),
        };
        let room = frame.room.clone();
        let target = room.as_deref().and_then(Target::parse);
        let action = frame.data.get("action").and_then(Value::as_str);
        match (frame.r#type, target) {
            (T::Heartbeat, _) => self.send(out, T::Heartbeat, None, json!({"status": "ok"})),
            (T::Presence, _) => {
                let status = match frame.data.get("status").and_then(Value::as_str) {
                    Some("away") => PresenceStatus::Away,
                    Some("busy") => PresenceStatus::Busy,
                    Some("online") | None => PresenceStatus::Online,
                    Some(other) => {
                        return self.error(out, None, "invalid_status", format!("no status {other:?}"));
                    }
                };
                let r#ref = Some(self.refs.open(Pending::Other));
                out.command(&ClientFrame::SetStatus { r#ref, status, text: None });
            }
            (T::RoomJoined, Some(target)) => self.join(target, out),
            (T::RoomUpdate, Some(target)) if action == Some("join") => self.join(target, out),
            (T::RoomLeft, Some(target)) => self.leave(&target, out),
            (T::RoomUpdate, Some(target)) if action == Some("leave") => self.leave(&target, out),
            (T::Message, Some(target)) => self.message(&target, &frame, out),
            (T::CustomEvent, Some(target)) => {
                let name = room_name(&target);
                if !self.rooms.is_in(self.id, &name) {
                    return self.error(out, Some(name), "not_in_room", "join the room first");
                }
                let mut event = self.envelope(T::CustomEvent, Some(name.clone()), frame.data);
                event.from = Some(format!("c{}", self.id));
                self.rooms.relay(&name, Some(self.id), &event);
            }
            (T::RoomJoined | T::RoomLeft | T::RoomUpdate | T::Message | T::CustomEvent, None) => {
                self.error(
                    out,
                    room,
                    "invalid_room",
                    "a valid `room` is needed: user:{id}, group:{id}, thread:{id} or a name",
                );
            }
            (other, _) => {
                let name = serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_owned));
                self.error(
                    out,
                    room,
                    "unsupported_type",
                    format!("a client cannot send {:?}", name.unwrap_or_default()),
                );
            }
        }
    }

    fn join(&mut self, target: Target, out: &mut Out) {
        let name = room_name(&target);
        match target {
            Target::User(id) if id == self.my_id() => self.joined(out, name),
            Target::User(_) => self.error(out, Some(name), "forbidden", "that is another user's room"),
            Target::Custom(_) => self.joined(out, name),
            group_or_thread => {
                let Some(channel) = group_or_thread.channel() else {
                    return self.error(out, Some(name), "invalid_room", "no such room");
                };
                let r#ref = Some(self.refs.open(Pending::Join(name)));
                out.command(&ClientFrame::Subscribe { r#ref, channel, since: None });
            }
        }
    }

    fn leave(&mut self, target: &Target, out: &mut Out) {
        let name = room_name(target);
        if !self.rooms.leave(self.id, &name) {
            return self.error(out, Some(name), "not_in_room", "not in that room");
        }
        if let Some(channel) = target.channel() {
            let r#ref = Some(self.refs.open(Pending::Other));
            out.command(&ClientFrame::Unsubscribe { r#ref, channel });
        }
        self.send(out, T::RoomLeft, Some(name.clone()), json!({"room": name}));
    }

    fn message(&mut self, target: &Target, frame: &WsMessage, out: &mut Out) {
        let name = room_name(target);
        let text = match &frame.data {
            Value::String(s) => Some(s.clone()),
            data => ["text", "content", "message"]
                .iter()
                .find_map(|k| data.get(*k).and_then(Value::as_str).map(str::to_owned)),
        };
        match (target.channel(), text) {
            (_, None) => self.error(out, Some(name), "invalid_message", "a message needs `data.text`"),
            (Some(channel), Some(body)) => {
                self.sent += 1;
                let client_message_id =
                    frame.id.clone().unwrap_or_else(|| format!("falcon-{}-{}", self.id, self.sent));
                let r#ref = Some(self.refs.open(Pending::Send(name)));
                out.command(&ClientFrame::SendMessage {
                    r#ref,
                    channel,
                    client_message_id,
                    body,
                    attachments: None,
                    reply_to: None,
                });
            }
            (None, Some(_)) if !self.rooms.is_in(self.id, &name) => {
                self.error(out, Some(name), "not_in_room", "join the room first");
            }
            (None, Some(text)) => {
                let me = self.me.clone();
                let mut relayed = self.envelope(T::Message, Some(name.clone()), frame.data.clone());
                relayed.from = Some(self.my_id().to_string());
                if let (Some(me), Value::Object(data)) = (me, &mut relayed.data) {
                    data.insert("text".into(), text.into());
                    data.insert("sender".into(), me.display_name.into());
                    data.insert("sender_id".into(), me.id.into());
                }
                self.rooms.relay(&name, None, &relayed);
            }
        }
    }

    fn chat_message(&mut self, m: &ChatMessage, out: &mut Out) {
        let data = json!({
            "id": m.id, "text": m.body, "sender": m.sender_name, "sender_id": m.sender_id,
            "client_message_id": m.client_message_id, "created_at": rfc3339(m.created_at),
        });
        let mut envelope = self.envelope(T::Message, Some(room_of(&m.channel)), data);
        envelope.from = Some(m.sender_id.to_string());
        envelope.id = Some(m.id.to_string());
        envelope.timestamp = Some(rfc3339(m.created_at).into());
        out.send(&envelope);
    }

    fn presence(&mut self, users: Vec<OnlineUser>, leaves: Vec<i64>, out: &mut Out) {
        for u in users {
            let renamed = self.names.get(&u.user_id).is_some_and(|old| *old != u.display_name);
            if renamed {
                let data = json!({"user_id": u.user_id, "profile": {"character_name": u.display_name, "display_name": u.display_name}});
                self.send(out, T::UserProfileUpdate, None, data);
            }
            if self.names.len() < MAX_NAMES || self.names.contains_key(&u.user_id) {
                self.names.insert(u.user_id, u.display_name.clone());
            }
            let data = json!({"user_id": u.user_id, "display_name": u.display_name, "status": status_name(u.status)});
            self.send(out, T::Presence, None, data);
        }
        for id in leaves {
            self.names.remove(&id);
            self.send(out, T::Presence, None, json!({"user_id": id, "status": "offline"}));
        }
    }

    fn hub_frame(&mut self, frame: ServerFrame, out: &mut Out) {
        match frame {
            ServerFrame::Message(m) => self.chat_message(&m, out),
            ServerFrame::Subscribed { r#ref, channel, users, .. } => {
                let pending = self.refs.take(r#ref.as_deref());
                if channel == "presence" {
                    let users = users.unwrap_or_default();
                    for u in &users {
                        self.names.insert(u.user_id, u.display_name.clone());
                    }
                    let list: Vec<Value> = users
                        .iter()
                        .map(|u| json!({"user_id": u.user_id, "display_name": u.display_name, "status": status_name(u.status)}))
                        .collect();
                    return self.send(out, T::Presence, None, json!({"users": list}));
                }
                if let Some(slug) = channel.strip_prefix("room:") {
                    self.groups.insert(slug.to_owned());
                }
                match pending {
                    Some(Pending::Join(name)) => self.joined(out, name),
                    // The hub put the socket in the channel itself (on connect, or a new membership):
                    // told once.
                    _ if self.rooms.is_in(self.id, &room_of(&channel)) => {}
                    _ => self.joined(out, room_of(&channel)),
                }
            }
            ServerFrame::PresenceDiff { channel, joins, leaves, .. }
                if channel.as_deref().is_none_or(|c| c == "presence") =>
            {
                self.presence(joins, leaves, out);
            }
            ServerFrame::RoomUpdate { room } => {
                let was = self.groups.contains(&room.id);
                if room.member != was {
                    let data = json!({"user_id": self.my_id().to_string(), "group_id": room.id, "group_name": room.name, "joined": room.member});
                    self.send(out, T::GroupMembershipChange, None, data);
                    let name = format!("group:{}", room.id);
                    if room.member {
                        self.groups.insert(room.id.clone());
                        if !self.rooms.is_in(self.id, &name) {
                            self.joined(out, name);
                        }
                    } else {
                        self.groups.remove(&room.id);
                        self.rooms.leave(self.id, &name);
                        self.send(out, T::RoomLeft, Some(name.clone()), json!({"room": name}));
                    }
                }
            }
            ServerFrame::Notice { text, by, channel } => {
                let data = json!({"message": text, "by": by.map(|u| u.display_name), "room": channel.as_deref().map(room_of)});
                self.send(out, T::SystemNotification, None, data);
            }
            ServerFrame::Notification { notification: n, .. } => {
                if n.kind == NotificationKind::Announcement {
                    return self.send(out, T::SystemNotification, None, json!({"message": n.text}));
                }
                let data = json!({"id": n.id, "kind": n.kind, "text": n.text, "from_username": n.from_username,
                                  "join_url": n.join_url, "created_at": rfc3339(n.created_at)});
                let room = Some(format!("user:{}", self.my_id()));
                self.send(out, T::Notification, room, data);
            }
            ServerFrame::Error { r#ref, code, message, .. } => {
                let room = match self.refs.take(r#ref.as_deref()) {
                    Some(Pending::Join(room) | Pending::Send(room)) => Some(room),
                    _ => None,
                };
                self.error(out, room, &code_name(code), message);
            }
            ServerFrame::Ack { r#ref, .. } => {
                self.refs.take(Some(&r#ref));
            }
            _ => {}
        }
    }
}

fn status_name(status: PresenceStatus) -> &'static str {
    match status {
        PresenceStatus::Online => "online",
        PresenceStatus::Away => "away",
        PresenceStatus::Busy => "busy",
    }
}

impl Dialect for Falcon {
    fn open(&mut self, user: &UserInfo, _: &mut Out) {
        self.me = Some(user.clone());
        if let Some(tx) = self.tx.take() {
            self.id = self.rooms.register(user.clone(), tx);
        }
    }

    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        self.client_frame(&text, out);
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        if let Some(frame) = parse(&frame) {
            self.hub_frame(frame, out);
        }
    }
}
