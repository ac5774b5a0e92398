//! Chat commands: send, edit, delete, react, mark read, typing.

use std::sync::Arc;

use hubbub_protocol::ClientFrame;

use crate::chat::Change;
use crate::conn::ConnHandle;
use crate::hub::Hub;
use crate::reply::Reply;

/// Handles a chat command.
pub(super) async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, frame: ClientFrame) {
    let chat = hub.chat();
    match frame {
        ClientFrame::SendMessage { r#ref, channel, client_message_id, body, attachments, reply_to } => {
            let files = attachments.unwrap_or_default();
            chat.send(Reply::new(conn, r#ref), &channel, client_message_id, body, files, reply_to).await;
        }
        ClientFrame::EditMessage { r#ref, channel, message_id, body } => {
            chat.modify(Reply::new(conn, r#ref), &channel, message_id, Change::Edit(body)).await;
        }
        ClientFrame::DeleteMessage { r#ref, channel, message_id } => {
            chat.modify(Reply::new(conn, r#ref), &channel, message_id, Change::Delete).await;
        }
        ClientFrame::React { r#ref, channel, message_id, emoji } => {
            chat.modify(Reply::new(conn, r#ref), &channel, message_id, Change::React(emoji)).await;
        }
        ClientFrame::MarkRead { r#ref, channel, offset } => {
            chat.mark_read(Reply::new(conn, r#ref), &channel, offset).await;
        }
        // Typing has no `ref`: only a refusal is answered.
        ClientFrame::Typing { channel, typing } => {
            if let Err(refusal) = chat.typing(conn, &channel, typing) {
                Reply::new(conn, None).refuse(refusal);
            }
        }
        other => tracing::error!(?other, "not a chat command"),
    }
}
