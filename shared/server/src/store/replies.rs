//! Replies: the quote a reply carries of the message it answers (its author and the start of its
//! text, or that it was deleted), and the check that a new reply answers a live message of its
//! channel. Messages store the id they answer (`messages.reply_to`); the quote is read with them.

use hubbub_protocol::{ErrorCode, ReplyQuote};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;
use crate::error::Refusal;

/// How many characters of the message answered a reply quotes.
pub const QUOTE_CHARS: usize = 100;

/// The quote of the message `id`, from its author, the first `QUOTE_CHARS + 1` characters of its
/// text and its deletion time (all `None` once the message is gone altogether).
pub(super) fn quote(
    id: i64,
    sender: Option<(i64, String)>,
    head: Option<String>,
    deleted_at: Option<i64>,
) -> ReplyQuote {
    let (sender_id, sender_name) = sender.unwrap_or_default();
    let deleted = deleted_at.is_some() || head.is_none();
    let head = if deleted { String::new() } else { head.unwrap_or_default() };
    let excerpt = match head.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", head[..cut].trim_end()),
        None => head,
    };
    ReplyQuote { message_id: id, sender_id, sender_name, excerpt, deleted }
}

/// The quote of message `id` of `channel` for a new reply, or why it cannot be answered.
pub fn reply_quote(conn: &Connection, channel: &str, id: i64) -> StoreResult<Result<ReplyQuote, Refusal>> {
    let row = conn
        .prepare_cached(
            "SELECT r.sender_id, u.display_name, substr(r.body, 1, 101), r.deleted_at
             FROM messages r JOIN users u ON u.id = r.sender_id WHERE r.channel = ?1 AND r.id = ?2",
        )?
        .query_row(params![channel, id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .optional()?;
    Ok(match row {
        None => Err(Refusal::new(ErrorCode::InvalidReply, "the message you reply to is not in this channel")),
        Some((.., Some(_))) => {
            Err(Refusal::new(ErrorCode::InvalidReply, "the message you reply to was deleted"))
        }
        Some((sender_id, name, head, None)) => Ok(quote(id, Some((sender_id, name)), Some(head), None)),
    })
}
