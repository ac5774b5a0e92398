//! Circles' thread socket, `/ws/dms/{thread_id}`: a connection on the conversation's channel.
//!
//! Admitted only for a participant of an accepted thread (4403 otherwise). The hub's `subscribed`
//! becomes `connection_established` and `thread_info` (the other participant is online when one of
//! their sockets is in the thread: a Hubbub client's main socket, or a Circles thread socket); the
//! thread's presence diffs become `presence`. `message {text}` is stored as a message of the
//! conversation (so Hubbub clients see it), `mark_read` marks it read up to the newest message this
//! socket knows of, `typing` is relayed, and `reaction` is Hubbub's reaction toggle (stored, so it
//! shows in Hubbub clients; sending the same one again takes it back, which Circles clients are not
//! told). The thread's history is not replayed: the document has no history frame.

use axum::extract::ws::Utf8Bytes;
use hubbub_protocol::dialects::circles::{DmClientFrame as In, DmServerFrame as Frame, Message, Person};
use hubbub_protocol::{Channel, ClientFrame, DmState, ErrorCode, ServerFrame, UserInfo};

use super::super::{Dialect, Out, parse, rfc3339};
use super::{bad_frame, client_message_id, error, hub_error, now, person, pong};
use crate::hub::Hub;
use crate::ws::Closing;

const TYPES: &[&str] = &["ping", "typing", "message", "mark_read", "reaction"];

/// One thread socket's translation state.
#[derive(Debug)]
pub struct Thread {
    id: i64,
    me: Option<UserInfo>,
    /// The other participant, learned when the socket was admitted.
    other: Option<Person>,
    other_online: bool,
    /// The newest offset of the thread this socket knows of, for `mark_read`.
    newest: i64,
    sent: u64,
}

impl Thread {
    pub fn new(id: i64) -> Thread {
        Thread { id, me: None, other: None, other_online: false, newest: 0, sent: 0 }
    }

    fn channel(&self) -> String {
        Channel::Dm(self.id).to_string()
    }

    fn other_id(&self) -> i64 {
        self.other.as_ref().map_or(0, |p| p.id)
    }

    fn greet(&mut self, online: &[i64], out: &mut Out) {
        let me = self.me.clone().unwrap_or(UserInfo { id: 0, display_name: String::new() });
        self.other_online = online.contains(&self.other_id());
        out.send(&Frame::ConnectionEstablished { thread_id: self.id, user_id: me.id, timestamp: now() });
        let mut participants = vec![person(me.id, &me.display_name)];
        participants.extend(self.other.clone());
        out.send(&Frame::ThreadInfo { participants, other_user_online: self.other_online, timestamp: now() });
    }

    fn presence(&mut self, online: bool, out: &mut Out) {
        if online != self.other_online {
            self.other_online = online;
            out.send(&Frame::Presence { user_id: self.other_id(), online, timestamp: now() });
        }
    }
}

impl Dialect for Thread {
    async fn admit(&mut self, hub: &Hub, user: i64) -> Result<(), Closing> {
        let forbidden = (hubbub_protocol::close::FORBIDDEN, "not a participant of an accepted thread");
        let threads = hub
            .chat()
            .dms(user)
            .await
            .map_err(|_| (hubbub_protocol::close::INTERNAL, "store unavailable"))?;
        let thread = threads.into_iter().find(|t| t.id == self.id).ok_or(forbidden)?;
        if thread.state != DmState::Accepted {
            return Err(forbidden);
        }
        self.other = Some(person(thread.other.id, &thread.other.display_name));
        Ok(())
    }

    fn open(&mut self, user: &UserInfo, _: &mut Out) {
        self.me = Some(user.clone());
    }

    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        let frame = match serde_json::from_str::<In>(&text) {
            Ok(frame) => frame,
            Err(e) => return bad_frame(out, TYPES, &text, &e),
        };
        let channel = self.channel();
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
            In::MarkRead if self.newest == 0 => {
                error(out, ErrorCode::NoSuchMessage, "the thread has no messages yet");
            }
            In::MarkRead => out.command(&ClientFrame::MarkRead {
                r#ref: Some("mark_read".into()),
                channel,
                offset: self.newest,
            }),
            In::Reaction { message_id, reaction } => out.command(&ClientFrame::React {
                r#ref: Some("reaction".into()),
                channel,
                message_id,
                emoji: reaction,
            }),
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        let Some(frame) = parse(&frame) else { return };
        if hub_error(&frame, out) {
            return;
        }
        match frame {
            ServerFrame::Subscribed { users, last_offset, .. } => {
                self.newest = last_offset.unwrap_or(0);
                let online: Vec<i64> = users.unwrap_or_default().iter().map(|u| u.user_id).collect();
                self.greet(&online, out);
            }
            ServerFrame::PresenceDiff { joins, leaves, .. } => {
                let other = self.other_id();
                if joins.iter().any(|u| u.user_id == other) {
                    self.presence(true, out);
                } else if leaves.contains(&other) {
                    self.presence(false, out);
                }
            }
            ServerFrame::Message(m) => {
                self.newest = self.newest.max(m.offset);
                let message = Message {
                    id: m.id,
                    thread_id: Some(self.id),
                    place_id: None,
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
            ServerFrame::Reaction { message_id, emoji, user_id, added: true, offset, .. } => {
                self.newest = self.newest.max(offset);
                out.send(&Frame::Reaction { message_id, user_id, reaction: emoji });
            }
            ServerFrame::ReadReceipt { user_id, .. } => {
                out.send(&Frame::ReadReceipt { user_id, last_read_at: now(), timestamp: now() });
            }
            ServerFrame::Unsubscribed { .. } => {
                out.close(hubbub_protocol::close::FORBIDDEN, "the thread is no longer open to you");
            }
            _ => {}
        }
    }
}
