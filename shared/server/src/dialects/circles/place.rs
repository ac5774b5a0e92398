//! Circles' place chat, `/ws/places/{place_id}/chat`: a connection on the place's ephemeral room.
//!
//! Admitted when the places service finds a check-in by the user at the place within
//! `place_chat_window_hours` (4403 otherwise, and for a place that does not exist); the hub's
//! `subscribed` becomes `connection_established {place_id, user_id, window_hours}`. `message {text}`
//! goes to everyone in the place's chat (kept in memory only, like every ephemeral room, and gone
//! when the hub restarts), `typing` is relayed. When the check-in expires or the place is deleted,
//! the hub takes the socket out of the chat and it closes with 4403.

use axum::extract::ws::Utf8Bytes;
use hubbub_protocol::dialects::circles::{Message, PlaceClientFrame as In, PlaceServerFrame as Frame};
use hubbub_protocol::{ClientFrame, ErrorCode, ServerFrame, UserInfo, close};

use super::super::{Dialect, Out, parse, rfc3339};
use super::{bad_frame, client_message_id, hub_error, now, person, pong};
use crate::hub::Hub;
use crate::ws::Closing;

const TYPES: &[&str] = &["ping", "typing", "message"];

/// One place chat socket's translation state.
#[derive(Debug)]
pub struct Attendee {
    place: i64,
    window_hours: u32,
    me: i64,
    sent: u64,
}

impl Attendee {
    pub fn new(place: i64, window_hours: u32) -> Attendee {
        Attendee { place, window_hours, me: 0, sent: 0 }
    }
}

impl Dialect for Attendee {
    async fn admit(&mut self, hub: &Hub, user: i64) -> Result<(), Closing> {
        match hub.places().admit(user, self.place).await {
            Ok(_) => Ok(()),
            Err(r) if matches!(r.code, ErrorCode::Internal | ErrorCode::Unavailable) => {
                Err((close::INTERNAL, "store unavailable"))
            }
            Err(_) => Err((close::FORBIDDEN, "no recent check-in at this place")),
        }
    }

    fn open(&mut self, user: &UserInfo, _: &mut Out) {
        self.me = user.id;
    }

    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        let frame = match serde_json::from_str::<In>(&text) {
            Ok(frame) => frame,
            Err(e) => return bad_frame(out, TYPES, &text, &e),
        };
        let channel = crate::places::channel(self.place).to_string();
        match frame {
            In::Ping => pong(out),
            In::Typing { typing } => out.command(&ClientFrame::Typing { channel, typing }),
            In::Message { text } => out.command(&ClientFrame::SendMessage {
                r#ref: Some("message".into()),
                channel,
                client_message_id: client_message_id(&mut self.sent),
                body: text,
                attachments: None,
                reply_to: None,
            }),
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        let Some(frame) = parse(&frame) else { return };
        if hub_error(&frame, out) {
            return;
        }
        match frame {
            ServerFrame::Subscribed { .. } => out.send(&Frame::ConnectionEstablished {
                place_id: self.place,
                user_id: self.me,
                window_hours: self.window_hours,
            }),
            ServerFrame::Message(m) => {
                let message = Message {
                    id: m.id,
                    thread_id: None,
                    place_id: Some(self.place),
                    sender_id: m.sender_id,
                    text: m.body.clone(),
                    created_at: rfc3339(m.created_at),
                    sender_info: person(m.sender_id, &m.sender_name),
                };
                out.send(&Frame::Message { message, timestamp: now() });
            }
            ServerFrame::Typing { user_id, typing, .. } => {
                out.send(&Frame::Typing { user_id, typing, timestamp: now() });
            }
            ServerFrame::Unsubscribed { .. } => out.close(close::FORBIDDEN, "your check-in here has expired"),
            _ => {}
        }
    }
}
