//! WebSocket close codes and the error codes carried by `error` frames and REST error bodies.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Close codes the hub uses. A browser can read all of them from `CloseEvent.code`.
pub mod close {
    /// Normal closure (the client or the hub ended the session on purpose).
    pub const NORMAL: u16 = 1000;
    /// The hub is shutting down; reconnect with backoff.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the WebSocket protocol.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A frame was larger than the hub accepts.
    pub const TOO_BIG: u16 = 1009;
    /// The hub hit an internal error.
    pub const INTERNAL: u16 = 1011;
    /// Nothing was heard from the peer within the idle timeout (no frame, no pong).
    pub const IDLE_TIMEOUT: u16 = 4000;
    /// The client did not read its frames fast enough and its bounded queue filled up.
    pub const TOO_SLOW: u16 = 4008;
    /// Missing, invalid or expired credentials. Fetch a new token once, then stop.
    pub const UNAUTHENTICATED: u16 = 4401;
    /// Authenticated, but not allowed here. Do not reconnect.
    pub const FORBIDDEN: u16 = 4403;
    /// No such channel or party.
    pub const NOT_FOUND: u16 = 4404;
    /// A host or moderator removed this user: every socket of theirs closes with it (the reason
    /// says why). They may come back after `kick_cooldown` (60 s by default).
    pub const KICKED: u16 = 4410;
    /// A host or moderator banned this user: their sessions are ended. Do not reconnect.
    pub const BANNED: u16 = 4411;
    /// The session was ended (logout, or a host ended every guest session): join again.
    pub const SESSION_ENDED: u16 = 4412;
    /// Too many requests; back off before reconnecting.
    pub const RATE_LIMITED: u16 = 4429;

    /// Every close code above with what a client should make of it, for the AsyncAPI document.
    pub const MEANINGS: &[(u16, &str)] = &[
        (NORMAL, "normal closure: the client or the hub ended the session on purpose"),
        (GOING_AWAY, "the hub is shutting down; reconnect with backoff"),
        (PROTOCOL_ERROR, "the peer broke the WebSocket protocol"),
        (INVALID_PAYLOAD, "a text frame was not valid UTF-8"),
        (TOO_BIG, "a frame was larger than the hub accepts"),
        (INTERNAL, "the hub hit an internal error"),
        (IDLE_TIMEOUT, "nothing was heard from the peer within the idle timeout"),
        (TOO_SLOW, "the client did not read fast enough and its bounded queue filled up"),
        (UNAUTHENTICATED, "missing, invalid or expired credentials: fetch a new token once, then stop"),
        (FORBIDDEN, "authenticated, but not allowed here: do not reconnect"),
        (NOT_FOUND, "no such channel or party"),
        (KICKED, "removed by a host or moderator; may come back after the kick cooldown"),
        (BANNED, "banned by a host or moderator: do not reconnect"),
        (SESSION_ENDED, "the session was ended (logout, or a host ended guest sessions): join again"),
        (RATE_LIMITED, "too many requests: back off before reconnecting"),
    ];
}

/// Stable machine code of an error, in `error` frames and in REST error bodies (`{"code","message"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A frame or a request body was not valid JSON.
    InvalidJson,
    /// A frame's `type` is not one the hub knows.
    UnknownType,
    /// A frame has a known `type` but missing or mistyped fields.
    InvalidFrame,
    /// A display name is empty, too long, or contains invisible or formatting characters.
    InvalidDisplayName,
    /// The display name is another user's: the same but for case, or a look-alike (TR39 confusable).
    NameTaken,
    /// The hub needs a PIN to join and none was given.
    PinRequired,
    /// The PIN given does not match.
    WrongPin,
    /// No valid session or token.
    Unauthenticated,
    /// The user may not do this.
    Forbidden,
    /// The channel name is malformed or the channel does not exist.
    NoSuchChannel,
    /// A command names a channel the connection is not subscribed to.
    NotSubscribed,
    /// A message body is empty after trimming.
    MessageEmpty,
    /// A message body is longer than the hub accepts.
    MessageTooLong,
    /// `client_message_id` is missing, empty or too long.
    InvalidClientMessageId,
    /// A status line is too long or contains control characters.
    InvalidStatus,
    /// A `join_url` is not an http(s) URL of at most 512 characters.
    InvalidJoinUrl,
    /// The user to ping is not online.
    UserOffline,
    /// No message with that id in that channel.
    NoSuchMessage,
    /// A reply's `reply_to` names no live message of the channel it is sent to.
    InvalidReply,
    /// A room name is empty, too long or has control characters; or the name is taken.
    InvalidRoom,
    /// An emoji is empty or longer than 16 bytes.
    InvalidEmoji,
    /// The direct conversation is not accepted yet (or was declined or blocked).
    DmNotAccepted,
    /// Too many requests in a short time; `retry_after_ms` says when to try again.
    RateLimited,
    /// A hard cap is reached (distinct reactions on a message, live parties, rooms on the hub):
    /// retrying soon will not help until something is removed or ends.
    LimitReached,
    /// No party has that code.
    NoSuchParty,
    /// The host removed you from this party; you cannot rejoin it.
    Kicked,
    /// Every seat is taken (or the party is locked or running) and it allows no audience.
    PartyFull,
    /// Only the party's host may do that.
    NotHost,
    /// Join the party first (`party_join`).
    NotInParty,
    /// Only seated players may do that; watchers cannot answer.
    NotAPlayer,
    /// Not possible in the party's current phase (or for that question).
    WrongPhase,
    /// Fewer players are ready than the game needs.
    NotEnoughReady,
    /// The answer does not fit the question (wrong kind or index out of range).
    InvalidAnswer,
    /// Bad party settings or host action.
    InvalidParty,
    /// The question pack does not follow the schema; the message says where.
    InvalidPack,
    /// A host or moderator muted you, hub-wide or in this room; `retry_after_ms` says when it ends.
    Muted,
    /// The room is in slow mode: one message per some seconds; `retry_after_ms` says when.
    SlowMode,
    /// The room is locked: read-only for guests.
    RoomLocked,
    /// You (this browser, or this address for a while) are banned from the hub.
    Banned,
    /// No place has that id.
    NoSuchPlace,
    /// A place's name is empty, too long, has control characters, or is another place's.
    InvalidPlace,
    /// No file with that id in that channel (never uploaded, expired, or its message deleted), or an
    /// attachment that is not the sender's own unattached upload to this channel.
    NoSuchFile,
    /// The file is larger than the hub's `file_max_mb`.
    FileTooLarge,
    /// The upload would take the user past their `file_quota_mb` of stored files.
    QuotaExceeded,
    /// The hub's disk is too full to take the file (it keeps `file_min_free_mb` free).
    StorageFull,
    /// The route does not exist.
    NotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// The hub is overloaded or shutting down; retry later.
    Unavailable,
    /// Something failed inside the hub; details are in its log, not here.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `"invalid_json"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::UnknownType => "unknown_type",
            Self::InvalidFrame => "invalid_frame",
            Self::InvalidDisplayName => "invalid_display_name",
            Self::NameTaken => "name_taken",
            Self::PinRequired => "pin_required",
            Self::WrongPin => "wrong_pin",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NoSuchChannel => "no_such_channel",
            Self::NotSubscribed => "not_subscribed",
            Self::MessageEmpty => "message_empty",
            Self::MessageTooLong => "message_too_long",
            Self::InvalidClientMessageId => "invalid_client_message_id",
            Self::InvalidStatus => "invalid_status",
            Self::InvalidJoinUrl => "invalid_join_url",
            Self::UserOffline => "user_offline",
            Self::NoSuchMessage => "no_such_message",
            Self::InvalidReply => "invalid_reply",
            Self::InvalidRoom => "invalid_room",
            Self::InvalidEmoji => "invalid_emoji",
            Self::DmNotAccepted => "dm_not_accepted",
            Self::RateLimited => "rate_limited",
            Self::LimitReached => "limit_reached",
            Self::NoSuchParty => "no_such_party",
            Self::Kicked => "kicked",
            Self::PartyFull => "party_full",
            Self::NotHost => "not_host",
            Self::NotInParty => "not_in_party",
            Self::NotAPlayer => "not_a_player",
            Self::WrongPhase => "wrong_phase",
            Self::NotEnoughReady => "not_enough_ready",
            Self::InvalidAnswer => "invalid_answer",
            Self::InvalidParty => "invalid_party",
            Self::InvalidPack => "invalid_pack",
            Self::Muted => "muted",
            Self::SlowMode => "slow_mode",
            Self::RoomLocked => "room_locked",
            Self::Banned => "banned",
            Self::NoSuchPlace => "no_such_place",
            Self::InvalidPlace => "invalid_place",
            Self::NoSuchFile => "no_such_file",
            Self::FileTooLarge => "file_too_large",
            Self::QuotaExceeded => "quota_exceeded",
            Self::StorageFull => "storage_full",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::UnknownType,
            ErrorCode::InvalidFrame,
            ErrorCode::InvalidDisplayName,
            ErrorCode::NameTaken,
            ErrorCode::PinRequired,
            ErrorCode::WrongPin,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::NoSuchChannel,
            ErrorCode::NotSubscribed,
            ErrorCode::MessageEmpty,
            ErrorCode::MessageTooLong,
            ErrorCode::InvalidClientMessageId,
            ErrorCode::InvalidStatus,
            ErrorCode::InvalidJoinUrl,
            ErrorCode::UserOffline,
            ErrorCode::NoSuchMessage,
            ErrorCode::InvalidReply,
            ErrorCode::InvalidRoom,
            ErrorCode::InvalidEmoji,
            ErrorCode::DmNotAccepted,
            ErrorCode::RateLimited,
            ErrorCode::LimitReached,
            ErrorCode::NoSuchParty,
            ErrorCode::Kicked,
            ErrorCode::PartyFull,
            ErrorCode::NotHost,
            ErrorCode::NotInParty,
            ErrorCode::NotAPlayer,
            ErrorCode::WrongPhase,
            ErrorCode::NotEnoughReady,
            ErrorCode::InvalidAnswer,
            ErrorCode::InvalidParty,
            ErrorCode::InvalidPack,
            ErrorCode::Muted,
            ErrorCode::SlowMode,
            ErrorCode::RoomLocked,
            ErrorCode::Banned,
            ErrorCode::NoSuchPlace,
            ErrorCode::InvalidPlace,
            ErrorCode::NotFound,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
