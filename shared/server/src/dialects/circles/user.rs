//! Circles' user-wide socket, `/ws/user/{user_id}`: the user's notifications.
//!
//! A connection on the user's personal channel (4401 unless `{user_id}` is the token's user) that
//! also subscribes the user's accepted conversations as it opens (at most [`MAX_THREADS`], the most
//! recent first). A message from the other participant becomes `dm_message`, a reaction by them
//! `reaction`, and a conversation request in the inbox `dm_request`. A conversation accepted while
//! the socket is open is followed from then on. A message that answers another is `dm_reply`
//! (with `reply_to_id`), and one that carries files or photos `dm_media` (a reply with files is a
//! `dm_reply`, as its answer is what the document names first).

use axum::extract::ws::Utf8Bytes;
use hubbub_protocol::dialects::circles::{Media, UserClientFrame as In, UserServerFrame as Frame};
use hubbub_protocol::{Channel, ClientFrame, DmState, NotificationKind, ServerFrame, UserInfo};

use super::super::{Dialect, Out, parse};
use super::{bad_frame, hub_error, now, pong};
use crate::hub::Hub;
use crate::ws::Closing;

/// What a new message in thread `thread_id` is to the user socket: a reply, media, or a message.
fn message_notification(thread_id: i64, m: &hubbub_protocol::ChatMessage) -> Frame {
    let (message_id, from_user, text, timestamp) = (m.id, m.sender_id, m.body.clone(), now());
    if let Some(quote) = &m.reply_to {
        return Frame::DmReply {
            thread_id,
            message_id,
            reply_to_id: quote.message_id,
            from_user,
            text,
            timestamp,
        };
    }
    match m.attachments.as_deref() {
        Some(files) if !files.is_empty() => Frame::DmMedia {
            thread_id,
            message_id,
            from_user,
            text,
            media: files
                .iter()
                .map(|f| Media {
                    id: f.id,
                    name: f.name.clone(),
                    content_type: f.content_type.clone(),
                    size: f.size,
                    url: format!("/api/channels/{}/files/{}", f.channel, f.id),
                })
                .collect(),
            timestamp,
        },
        _ => Frame::DmMessage { thread_id, message_id, from_user, text, timestamp },
    }
}

/// Conversations one user socket follows.
pub const MAX_THREADS: usize = 200;
const TYPES: &[&str] = &["ping"];

/// One user socket's translation state.
#[derive(Debug, Default)]
pub struct Notices {
    me: i64,
    /// The accepted conversations to follow, learned when the socket was admitted.
    threads: Vec<i64>,
}

fn thread_of(channel: &str) -> Option<i64> {
    match channel.parse::<Channel>() {
        Ok(Channel::Dm(id)) => Some(id),
        _ => None,
    }
}

impl Dialect for Notices {
    async fn admit(&mut self, hub: &Hub, user: i64) -> Result<(), Closing> {
        // Another user's id is refused by the socket's kind; a store failure must not hide it.
        if let Ok(threads) = hub.chat().dms(user).await {
            self.threads = threads
                .iter()
                .filter(|t| t.state == DmState::Accepted)
                .map(|t| t.id)
                .take(MAX_THREADS)
                .collect();
        }
        Ok(())
    }

    fn open(&mut self, user: &UserInfo, out: &mut Out) {
        self.me = user.id;
        for id in &self.threads {
            out.command(&ClientFrame::Subscribe {
                r#ref: None,
                channel: Channel::Dm(*id).to_string(),
                since: None,
            });
        }
    }

    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        match serde_json::from_str::<In>(&text) {
            Ok(In::Ping) => pong(out),
            Err(e) => bad_frame(out, TYPES, &text, &e),
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        let Some(frame) = parse(&frame) else { return };
        if hub_error(&frame, out) {
            return;
        }
        match frame {
            ServerFrame::ConnectionEstablished { .. } => {
                out.send(&Frame::ConnectionEstablished { user_id: self.me, timestamp: now() });
            }
            ServerFrame::Message(m) if m.sender_id != self.me => {
                if let Some(thread_id) = thread_of(&m.channel) {
                    out.send(&message_notification(thread_id, &m));
                }
            }
            ServerFrame::Reaction { channel, message_id, emoji, user_id, added: true, .. }
                if user_id != self.me =>
            {
                if let Some(thread_id) = thread_of(&channel) {
                    out.send(&Frame::Reaction {
                        thread_id,
                        message_id,
                        emoji,
                        from_user: user_id,
                        timestamp: now(),
                    });
                }
            }
            ServerFrame::DmUpdate { thread }
                if thread.state == DmState::Accepted
                    && !self.threads.contains(&thread.id)
                    && self.threads.len() < MAX_THREADS =>
            {
                self.threads.push(thread.id);
                out.command(&ClientFrame::Subscribe { r#ref: None, channel: thread.channel, since: None });
            }
            ServerFrame::Notification { notification, .. }
                if notification.kind == NotificationKind::DmRequest =>
            {
                let thread_id = notification.channel.as_deref().and_then(thread_of);
                if let (Some(thread_id), Some(from_user)) = (thread_id, notification.from_user_id) {
                    out.send(&Frame::DmRequest { thread_id, from_user, timestamp: now() });
                }
            }
            _ => {}
        }
    }
}
