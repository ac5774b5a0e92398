//! The label values the per-frame series are made with: every client and server frame type, and
//! the close codes. Each list is sorted, for people reading it; a test checks that they name
//! every frame type the protocol has.

/// Client frame types, with `binary` (a binary frame) and `invalid` (text that did not parse).
pub const CLIENT_FRAMES: &[&str] = &[
    "binary",
    "delete_message",
    "edit_message",
    "invalid",
    "mark_notifications_read",
    "mark_read",
    "party_answer",
    "party_control",
    "party_join",
    "party_leave",
    "party_ready",
    "party_start",
    "ping",
    "ping_user",
    "react",
    "send_message",
    "set_activity",
    "set_status",
    "subscribe",
    "typing",
    "unsubscribe",
];

/// Server frame types.
pub const SERVER_FRAMES: &[&str] = &[
    "ack",
    "connection_established",
    "dm_update",
    "error",
    "host_ping",
    "hub_state",
    "message",
    "message_deleted",
    "message_edited",
    "moderated",
    "notice",
    "notification",
    "notifications_read",
    "online_users_update",
    "phase_transition",
    "ping",
    "player_connection",
    "player_joined",
    "player_left",
    "player_ready",
    "pong",
    "presence_diff",
    "progress_update",
    "reaction",
    "read_receipt",
    "room_update",
    "session_completed",
    "session_started",
    "session_update",
    "subscribed",
    "typing",
    "unsubscribed",
];

/// The close codes the hub sends, with their label.
pub const CLOSE_CODES: &[(u16, &str)] = &[
    (1000, "1000"),
    (1001, "1001"),
    (1002, "1002"),
    (1007, "1007"),
    (1009, "1009"),
    (1011, "1011"),
    (4000, "4000"),
    (4008, "4008"),
    (4401, "4401"),
    (4403, "4403"),
    (4404, "4404"),
    (4410, "4410"),
    (4411, "4411"),
    (4412, "4412"),
    (4429, "4429"),
];

/// The labels of the close series: each code's, and `peer` for a connection the client ended
/// (sorted, as [`CLOSE_CODES`] is and digits sort before letters).
pub(super) const CLOSE_LABELS: &[&str] = &[
    "1000", "1001", "1002", "1007", "1009", "1011", "4000", "4008", "4401", "4403", "4404", "4410", "4411",
    "4412", "4429", "peer",
];

/// The label of a close: its code's, `peer` for none, `other` for a code not listed.
pub(super) fn close_label(code: Option<u16>) -> &'static str {
    match code {
        None => "peer",
        Some(code) => CLOSE_CODES.iter().find(|(c, _)| *c == code).map_or("other", |(_, label)| label),
    }
}

/// The `code` of an encoded `error` frame. A quote inside a string value is escaped, so the first
/// `"code":"` is the key.
pub(super) fn error_code(frame: &str) -> &str {
    frame
        .split_once(r#""code":""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map_or("other", |(code, _)| code)
}

/// The type of an encoded server frame: the hub's frames are JSON objects whose first key is
/// `type` (serde writes an enum's tag first), so this reads it without parsing the rest.
pub fn frame_type(frame: &str) -> &str {
    frame.strip_prefix(r#"{"type":""#).and_then(|rest| rest.split_once('"')).map_or("", |(kind, _)| kind)
}
