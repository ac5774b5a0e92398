//! Who may read and write a chat channel, and the checks a message passes before it is stored.

use hubbub_protocol::{Channel, DmState, ErrorCode, MAX_ATTACHMENTS};
use rusqlite::Connection;

use crate::error::{Outcome, Refusal};
use crate::store::{StoreResult, dm, is_member, room_kind};

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest `client_message_id`, in bytes.
pub const MAX_CLIENT_MESSAGE_ID: usize = 64;

/// Whether `user` may read `channel` (subscribe, page history, search, see typing).
pub fn can_read(db: &Connection, channel: &Channel, user: i64) -> StoreResult<Outcome<()>> {
    let no_such = || Err(Refusal::new(ErrorCode::NoSuchChannel, format!("no such channel: {channel}")));
    Ok(match channel {
        Channel::Room(slug) => match room_kind(db, slug)? {
            None => no_such(),
            Some(_) if is_member(db, slug, user)? => Ok(()),
            Some(_) => Err(Refusal::new(ErrorCode::Forbidden, format!("join {channel} first"))),
        },
        Channel::Dm(id) => match dm(db, *id)? {
            None => no_such(),
            Some(d) if d.readable_by(user) => Ok(()),
            Some(_) => {
                Err(Refusal::new(ErrorCode::Forbidden, "only its two participants can read a conversation"))
            }
        },
        _ => no_such(),
    })
}

/// Whether `user` may post to `channel`: read access, and a conversation must be accepted.
pub fn can_write(db: &Connection, channel: &Channel, user: i64) -> StoreResult<Outcome<()>> {
    if let Err(refusal) = can_read(db, channel, user)? {
        return Ok(Err(refusal));
    }
    if let Channel::Dm(id) = channel
        && dm(db, *id)?.is_some_and(|d| d.state != DmState::Accepted)
    {
        return Ok(Err(Refusal::new(ErrorCode::DmNotAccepted, "the other participant has not accepted yet")));
    }
    Ok(Ok(()))
}

/// A new message's id, body and attachments: the body may be empty only when files are attached.
pub fn check_message(client_message_id: &str, body: &str, attachments: &[i64]) -> Outcome<()> {
    if client_message_id.is_empty()
        || client_message_id.len() > MAX_CLIENT_MESSAGE_ID
        || client_message_id.chars().any(char::is_control)
    {
        return Err(Refusal::new(
            ErrorCode::InvalidClientMessageId,
            format!(
                "client_message_id must be 1 to {MAX_CLIENT_MESSAGE_ID} bytes with no control characters"
            ),
        ));
    }
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(Refusal::new(
            ErrorCode::InvalidFrame,
            format!("a message carries at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    if body.trim().is_empty() && !attachments.is_empty() {
        return Ok(());
    }
    check_body(body)
}

/// A message body: not blank, at most [`MAX_BODY_CHARS`] characters.
pub fn check_body(body: &str) -> Outcome<()> {
    if body.trim().is_empty() {
        return Err(Refusal::new(ErrorCode::MessageEmpty, "message is empty"));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(Refusal::new(
            ErrorCode::MessageTooLong,
            format!("message is {chars} characters; the limit is {MAX_BODY_CHARS}"),
        ));
    }
    Ok(())
}

/// A channel that holds chat: a room or a direct conversation.
pub fn chat_channel(name: &str) -> Outcome<Channel> {
    match name.parse::<Channel>() {
        Ok(c @ (Channel::Room(_) | Channel::Dm(_))) => Ok(c),
        _ => Err(Refusal::new(ErrorCode::NoSuchChannel, format!("{name:?} is not a chat channel"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_checks_have_their_own_codes() {
        assert!(check_message("c1", "hello", &[]).is_ok());
        assert_eq!(check_message("", "x", &[]).unwrap_err().code, ErrorCode::InvalidClientMessageId);
        assert_eq!(
            check_message(&"c".repeat(65), "x", &[]).unwrap_err().code,
            ErrorCode::InvalidClientMessageId
        );
        assert_eq!(check_message("c", "  \n ", &[]).unwrap_err().code, ErrorCode::MessageEmpty);
        assert_eq!(check_message("c", &"é".repeat(4001), &[]).unwrap_err().code, ErrorCode::MessageTooLong);
        assert!(check_message("c", &"é".repeat(4000), &[]).is_ok());
        assert!(check_message("c", " ", &[3]).is_ok(), "files alone make a message");
        assert_eq!(check_message("c", "x", &[1; 11]).unwrap_err().code, ErrorCode::InvalidFrame);
        assert!(chat_channel("dm:4").is_ok());
        assert_eq!(chat_channel("presence").unwrap_err().code, ErrorCode::NoSuchChannel);
    }
}
