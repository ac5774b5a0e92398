//! Campfire (seed 002) on `/ws`, beside Hubbub's main socket.
//!
//! Telling the two apart needs nothing from the client but what its document says: Campfire presents
//! its *session* token, Hubbub a 60 s JWT. A `?token=` without a JWT's three parts, or a
//! `session_token` cookie, is Campfire; a JWT in `?token=` or the `hubbub_session` cookie is
//! Hubbub. `Authorization: Bearer <session>` is valid in both: the socket starts as Hubbub's and
//! turns Campfire if its first frame is a Campfire frame (until then the peer gets Hubbub's greeting,
//! which a Campfire client ignores as frames of unknown types).
//!
//! The socket is a main socket (it counts in presence and starts on the user's rooms). `JoinRoom`
//! subscribes a room and is what a Campfire client receives messages, typing and presence of;
//! `UpdateLastSeen` marks read up to a message this socket has seen. Ids are opaque strings: a room
//! is its slug (`dm:4` for a conversation), a user and a message their decimal id.

use std::collections::{BTreeSet, HashMap, VecDeque};

use axum::extract::ws::Utf8Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hubbub_protocol::dialects::campfire::{ClientFrame as Cf, Message as CfMessage, ServerFrame as CfOut};
use hubbub_protocol::{Channel, ChatMessage, ClientFrame, ErrorCode, ServerFrame, SocketQuery};

use super::{Dialect, Out, Refs, Refuse, Speak, code_name, frame_type, parse, rfc3339};
use crate::auth::{SecretSource, cookie};
use crate::hub::Hub;
use crate::ws::{Credential, Peer, Upgrade, accept_as, looks_like_jwt, main_kind};

/// The cookie Campfire keeps its session token in.
pub const COOKIE: &str = "session_token";
/// Most rooms one socket joins at once.
const MAX_JOINED: usize = 256;
/// Message ids remembered per socket for `UpdateLastSeen`.
const MAX_SEEN: usize = 2048;

/// `GET /ws`: Campfire when the credential says so (see the module's doc), else Hubbub's main socket.
pub async fn main_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let bearer =
        headers.get(axum::http::header::AUTHORIZATION).is_some_and(|v| v.as_bytes().starts_with(b"Bearer "));
    // Campfire refuses bad credentials before the upgrade (401). Where a bad credential could as
    // well be a Hubbub client's (a `?token=` that is neither a token nor a session, a bearer), the
    // refusal is Hubbub's: the upgrade, then 4401.
    let as_hubbub = Refuse::Close(|code| code);
    let (credential, mode, refuse) = match (q.token.as_deref(), cookie(&headers, COOKIE)) {
        (Some(token), _) if !looks_like_jwt(token) => {
            (Credential::Secret(token.to_owned(), SecretSource::Bearer), Mode::Campfire, as_hubbub)
        }
        (None, Some(secret)) => {
            (Credential::Secret(secret.to_owned(), SecretSource::Cookie), Mode::Campfire, Refuse::Http)
        }
        (None, None) if bearer => (Credential::Headers, Mode::Undecided, as_hubbub),
        _ => return crate::ws::main_socket(State(hub), Query(q), headers, from, ws).await,
    };
    let kind = main_kind(&q, &headers);
    accept_as(hub, credential, headers, from, ws, kind, None, Speak::new(Campfire::new(mode), refuse)).await
}

/// Whether the socket speaks Campfire yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A bearer socket before its first frame: Hubbub's frames pass through.
    Undecided,
    /// A Hubbub client: everything passes through.
    Hubbub,
    Campfire,
}

/// What a command sent to the hub was for.
#[derive(Debug)]
enum Pending {
    Create,
    LastSeen,
    Join(String),
    Leave,
}

/// One Campfire socket: whether it speaks Campfire yet, and once it does its translation state
/// (held apart, so a bearer socket that turns out to be Hubbub's carries only the mode).
#[derive(Debug)]
pub struct Campfire {
    mode: Mode,
    translation: Option<Box<Translation>>,
}

impl Campfire {
    fn new(mode: Mode) -> Self {
        let translation = (mode == Mode::Campfire).then(Box::default);
        Campfire { mode, translation }
    }
}

/// A Campfire socket's translation state.
#[derive(Debug, Default)]
struct Translation {
    /// Rooms joined with `JoinRoom` (channel names), with who of each is online.
    joined: HashMap<String, BTreeSet<i64>>,
    /// Message ids this socket delivered, with their channel and offset, newest last.
    seen: HashMap<i64, (String, i64)>,
    seen_order: VecDeque<i64>,
    refs: Refs<Pending>,
}

impl Translation {
    fn remember(&mut self, m: &ChatMessage) {
        if self.seen.insert(m.id, (m.channel.clone(), m.offset)).is_none() {
            self.seen_order.push_back(m.id);
            if self.seen_order.len() > MAX_SEEN
                && let Some(old) = self.seen_order.pop_front()
            {
                self.seen.remove(&old);
            }
        }
    }

    fn message(&mut self, m: &ChatMessage, out: &mut Out) {
        self.remember(m);
        out.send(&CfOut::NewMessage {
            message: CfMessage {
                id: m.id.to_string(),
                room_id: room_id(&m.channel),
                creator_id: m.sender_id.to_string(),
                content: m.body.clone(),
                client_message_id: m.client_message_id.clone(),
                created_at: rfc3339(m.created_at),
            },
        });
    }

    fn presence(&self, channel: &str, out: &mut Out) {
        if let Some(online) = self.joined.get(channel) {
            out.send(&CfOut::PresenceUpdate {
                room_id: room_id(channel),
                online_users: online.iter().map(ToString::to_string).collect(),
            });
        }
    }

    fn campfire_frame(&mut self, text: &str, out: &mut Out) {
        let frame = match serde_json::from_str::<Cf>(text) {
            Ok(frame) => frame,
            Err(e) => {
                let message = match frame_type(text) {
                    Some(t) if !Cf::TYPES.contains(&t.as_str()) => format!("Unknown message type: {t}"),
                    Some(t) => format!("Invalid {t} message: {e}"),
                    None => format!("Invalid message format: {e}"),
                };
                return error(out, "INVALID_MESSAGE_FORMAT", message);
            }
        };
        match frame {
            Cf::CreateMessage { room_id, content, client_message_id } => {
                let Some(channel) = channel_of(&room_id) else { return no_room(out, &room_id) };
                let r#ref = Some(self.refs.open(Pending::Create));
                out.command(&ClientFrame::SendMessage {
                    r#ref,
                    channel,
                    client_message_id,
                    body: content,
                    attachments: None,
                    reply_to: None,
                });
            }
            Cf::UpdateLastSeen { message_id } => {
                let seen = message_id.parse::<i64>().ok().and_then(|id| self.seen.get(&id)).cloned();
                let Some((channel, offset)) = seen else {
                    return error(
                        out,
                        "MESSAGE_NOT_FOUND",
                        format!("No message {message_id:?} was sent on this connection"),
                    );
                };
                let r#ref = Some(self.refs.open(Pending::LastSeen));
                out.command(&ClientFrame::MarkRead { r#ref, channel, offset });
            }
            Cf::JoinRoom { room_id } => {
                let Some(channel) = channel_of(&room_id) else { return no_room(out, &room_id) };
                if self.joined.len() >= MAX_JOINED && !self.joined.contains_key(&channel) {
                    return error(
                        out,
                        "TOO_MANY_ROOMS",
                        format!("A connection joins at most {MAX_JOINED} rooms"),
                    );
                }
                let r#ref = Some(self.refs.open(Pending::Join(channel.clone())));
                out.command(&ClientFrame::Subscribe { r#ref, channel, since: None });
            }
            Cf::LeaveRoom { room_id } => {
                let Some(channel) = channel_of(&room_id) else { return no_room(out, &room_id) };
                if self.joined.remove(&channel).is_none() {
                    return error(out, "NOT_IN_ROOM", format!("Not in room {room_id}"));
                }
                let r#ref = Some(self.refs.open(Pending::Leave));
                out.command(&ClientFrame::Unsubscribe { r#ref, channel });
            }
            Cf::StartTyping { room_id } | Cf::StopTyping { room_id } if channel_of(&room_id).is_none() => {
                no_room(out, &room_id);
            }
            Cf::StartTyping { room_id } => {
                out.command(&ClientFrame::Typing {
                    channel: channel_of(&room_id).unwrap_or_default(),
                    typing: true,
                });
            }
            Cf::StopTyping { room_id } => {
                out.command(&ClientFrame::Typing {
                    channel: channel_of(&room_id).unwrap_or_default(),
                    typing: false,
                });
            }
        }
    }

    fn hub_frame(&mut self, frame: ServerFrame, out: &mut Out) {
        match frame {
            ServerFrame::Message(m) if self.joined.contains_key(&m.channel) => self.message(&m, out),
            ServerFrame::Subscribed { r#ref, channel, users, messages, last_read, .. } => {
                let Some(Pending::Join(joining)) = self.refs.take(r#ref.as_deref()) else { return };
                let online = users.unwrap_or_default().iter().map(|u| u.user_id).collect();
                self.joined.insert(joining.clone(), online);
                // Missed messages: what came after the user's read mark, oldest first.
                let read = last_read.unwrap_or(0);
                for m in
                    messages.unwrap_or_default().iter().filter(|m| m.offset > read && m.deleted_at.is_none())
                {
                    self.message(m, out);
                }
                self.presence(&channel, out);
            }
            ServerFrame::PresenceDiff { channel: Some(channel), joins, leaves, .. } => {
                let Some(online) = self.joined.get_mut(&channel) else { return };
                let room = room_id(&channel);
                let mut changed = false;
                for user in joins {
                    if online.insert(user.user_id) {
                        changed = true;
                        out.send(&CfOut::UserJoined {
                            user_id: user.user_id.to_string(),
                            room_id: room.clone(),
                        });
                    }
                }
                for id in leaves {
                    if online.remove(&id) {
                        changed = true;
                        out.send(&CfOut::UserLeft { user_id: id.to_string(), room_id: room.clone() });
                    }
                }
                if changed {
                    self.presence(&channel, out);
                }
            }
            ServerFrame::Typing { channel, user_id, typing, .. } if self.joined.contains_key(&channel) => {
                let (user_id, room_id) = (user_id.to_string(), room_id(&channel));
                out.send(&if typing {
                    CfOut::TypingStart { user_id, room_id }
                } else {
                    CfOut::TypingStop { user_id, room_id }
                });
            }
            ServerFrame::Ack { r#ref, .. } => {
                self.refs.take(Some(&r#ref));
            }
            ServerFrame::Unsubscribed { r#ref, .. } => {
                self.refs.take(r#ref.as_deref());
            }
            ServerFrame::Error { r#ref, code, message, .. } => {
                let code = match (self.refs.take(r#ref.as_deref()), code) {
                    (Some(Pending::Create), _) => {
                        return error(
                            out,
                            "MESSAGE_CREATION_FAILED",
                            format!("Failed to create message: {message}"),
                        );
                    }
                    (Some(Pending::Join(_)), ErrorCode::NoSuchChannel) => "ROOM_NOT_FOUND".to_owned(),
                    (Some(Pending::Join(_)), ErrorCode::Forbidden) => "ROOM_ACCESS_DENIED".to_owned(),
                    (Some(Pending::LastSeen), _) => "UPDATE_LAST_SEEN_FAILED".to_owned(),
                    (_, code) => code_name(code).to_uppercase(),
                };
                error(out, &code, message);
            }
            _ => {}
        }
    }
}

impl Dialect for Campfire {
    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        if self.mode == Mode::Undecided {
            let campfire = frame_type(&text).is_some_and(|t| Cf::TYPES.contains(&t.as_str()));
            self.mode = if campfire { Mode::Campfire } else { Mode::Hubbub };
        }
        match (self.mode, &mut self.translation) {
            (Mode::Campfire, Some(t)) => t.campfire_frame(&text, out),
            (Mode::Campfire, None) => {
                let mut t = Box::<Translation>::default();
                t.campfire_frame(&text, out);
                self.translation = Some(t);
            }
            (Mode::Undecided | Mode::Hubbub, _) => out.command_text(text),
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        match &mut self.translation {
            Some(t) if self.mode == Mode::Campfire => {
                if let Some(frame) = parse(&frame) {
                    t.hub_frame(frame, out);
                }
            }
            _ => out.send_text(frame),
        }
    }

    fn passthrough(&self) -> bool {
        self.mode == Mode::Hubbub
    }
}

/// The Hubbub channel a Campfire `room_id` names: a room's slug, or a channel (`dm:4`, `room:x`).
fn channel_of(room_id: &str) -> Option<String> {
    let name = if room_id.contains(':') { room_id.to_owned() } else { format!("room:{room_id}") };
    match name.parse::<Channel>() {
        Ok(c @ (Channel::Room(_) | Channel::Dm(_))) => Some(c.to_string()),
        _ => None,
    }
}

/// The Campfire `room_id` of a channel: a room's slug, a conversation's channel name.
fn room_id(channel: &str) -> String {
    channel.strip_prefix("room:").unwrap_or(channel).to_owned()
}

fn error(out: &mut Out, code: &str, message: impl Into<String>) {
    out.send(&CfOut::Error { message: message.into(), code: code.to_owned() });
}

fn no_room(out: &mut Out, room_id: &str) {
    error(out, "ROOM_NOT_FOUND", format!("No room {room_id:?}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubbub_protocol::UserInfo;

    #[test]
    fn room_ids_are_slugs_or_channels() {
        assert_eq!(channel_of("lobby").as_deref(), Some("room:lobby"));
        assert_eq!(channel_of("dm:4").as_deref(), Some("dm:4"));
        assert_eq!(channel_of("user:4"), None);
        assert_eq!(channel_of(""), None);
        assert_eq!(room_id("room:lobby"), "lobby");
        assert_eq!(room_id("dm:4"), "dm:4");
    }

    #[test]
    fn a_bearer_socket_turns_campfire_only_on_a_campfire_first_frame() {
        let user = UserInfo { id: 1, display_name: "Ann".into() };
        let mut hubbub = Campfire::new(Mode::Undecided);
        let mut out = Out::default();
        hubbub.open(&user, &mut out);
        assert!(!hubbub.passthrough());
        hubbub.inbound(r#"{"type":"ping"}"#.into(), &mut out);
        hubbub.inbound(r#"{"type":"JoinRoom","room_id":"lobby"}"#.into(), &mut out);
        assert_eq!(hubbub.mode, Mode::Hubbub);
        assert!(hubbub.passthrough() && hubbub.translation.is_none());
        assert_eq!(out.queued_for_peer(), 0);
        let mut campfire = Campfire::new(Mode::Undecided);
        campfire.inbound(r#"{"type":"Dance"}"#.into(), &mut out);
        assert_eq!(campfire.mode, Mode::Hubbub);
        let mut campfire = Campfire::new(Mode::Undecided);
        campfire.inbound(r#"{"type":"StartTyping","room_id":"lobby"}"#.into(), &mut out);
        assert_eq!(campfire.mode, Mode::Campfire);
        assert!(!campfire.passthrough() && campfire.translation.is_some());
    }
}
