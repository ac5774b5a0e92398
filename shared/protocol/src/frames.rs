//! WebSocket frames: JSON text, `{"type": "...", ...}`, snake_case and flat.
//!
//! A client command may carry `ref`; the hub answers it with `ack` or `error` carrying the same `ref`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::admin::{HubState, Sanction};
use crate::codes::ErrorCode;
use crate::model::{
    ChatMessage, DmThread, HubInfo, Notification, OnlineUser, PresenceStatus, ReadMark, Room, StreamPosition,
    UserInfo,
};
use crate::party::{
    Answer, HostAction, LeaveReason, PartyPhase, PartyPlayer, PartySnapshot, PhaseClock, PlayerState,
    QuestionView, RevealView, Standing,
};

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Application-level keepalive; answered by `pong`.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
    },
    /// Subscribe to a channel; answered by `subscribed` (with a snapshot) or `error`.
    Subscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        /// Where the client left off; the hub replays what came after it when it can.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        since: Option<StreamPosition>,
    },
    /// Stop receiving a channel's events; answered by `unsubscribed`.
    Unsubscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
    },
    /// Post a chat message; answered by `ack` once it is stored, or `error`.
    SendMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        /// Idempotency key chosen by the client; a resend with the same key is stored once.
        client_message_id: String,
        /// May be empty when the message carries attachments.
        body: String,
        /// Files uploaded to this channel by the sender and not yet attached (`POST
        /// /api/channels/{channel}/files`), at most 10.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number[]")]
        attachments: Option<Vec<i64>>,
        /// The id of a message of the same channel this one answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        reply_to: Option<i64>,
    },
    /// Set the status others see (`online` clears a chosen `away` or `busy`) and the status line.
    SetStatus {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        status: PresenceStatus,
        /// A custom status line, at most 80 characters; absent or empty clears it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        text: Option<String>,
    },
    /// Tell the hub whether this connection's tab is idle or hidden (the automatic `away`).
    SetActivity {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        idle: bool,
    },
    /// Ping an online user, optionally inviting them somewhere with `join_url`.
    PingUser {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        #[ts(type = "number")]
        user_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        join_url: Option<String>,
    },
    /// Change the text of one of your messages; answered by `ack` with the event's offset.
    EditMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        #[ts(type = "number")]
        message_id: i64,
        body: String,
    },
    /// Delete one of your messages; answered by `ack` with the event's offset.
    DeleteMessage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        #[ts(type = "number")]
        message_id: i64,
    },
    /// Add your reaction with `emoji` to a message, or take it back if you had; `ack` with the offset.
    React {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        #[ts(type = "number")]
        message_id: i64,
        emoji: String,
    },
    /// You have read the channel up to `offset`; the hub stores it and sends `read_receipt`.
    MarkRead {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        #[ts(type = "number")]
        offset: i64,
    },
    /// You started (`true`) or stopped typing in a channel. Not stored, not acknowledged; repeat it
    /// every few seconds while typing, as it expires after 10 s.
    Typing { channel: String, typing: bool },
    /// Mark inbox entries read: the listed `ids`, or all of them when `ids` is absent.
    MarkNotificationsRead {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number[]")]
        ids: Option<Vec<i64>>,
    },
    /// Take a seat in a party (or watch, when `audience` is set or no seat is free); answered by
    /// `ack` and a `session_update` snapshot, and the connection then receives `party:{code}`.
    /// Sending it again (after a reconnect, a reload, or leaving by mistake while the game runs)
    /// puts a seated player back in their seat with their score. With `remote` (the token of a
    /// remote link, `POST /api/parties/{code}/remote`) the user takes host rights and the previous
    /// host's devices become the party's `screen`.
    PartyJoin {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        audience: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        remote: Option<String>,
    },
    /// Give up a seat (or stop watching). In the lobby the seat is freed; once the game has started the
    /// seat and score are kept (`away`) and `party_join` brings the player back to them.
    PartyLeave {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
    },
    /// Ready or not, in the lobby.
    PartyReady {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
        ready: bool,
    },
    /// Host only: start the game once enough players are ready.
    PartyStart {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
    },
    /// Answer the open question `round`. One answer counts per player and question: a resend is
    /// acknowledged with `duplicate: true` and changes nothing.
    PartyAnswer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
        round: u32,
        answer: Answer,
    },
    /// Host only: kick, lock, skip, extend, pause, resume, transfer host, ping, play again, time
    /// factor, configure.
    PartyControl {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: String,
        #[serde(flatten)]
        action: HostAction,
    },
}

impl ClientFrame {
    /// The `type` names a client may send, for telling an unknown type from a malformed frame.
    pub const TYPES: &'static [&'static str] = &[
        "ping",
        "subscribe",
        "unsubscribe",
        "send_message",
        "set_status",
        "set_activity",
        "ping_user",
        "mark_notifications_read",
        "edit_message",
        "delete_message",
        "react",
        "mark_read",
        "typing",
        "party_join",
        "party_leave",
        "party_ready",
        "party_start",
        "party_answer",
        "party_control",
    ];

    /// The frame's `ref`, if any.
    pub fn reference(&self) -> Option<&str> {
        match self {
            ClientFrame::Ping { r#ref }
            | ClientFrame::Subscribe { r#ref, .. }
            | ClientFrame::Unsubscribe { r#ref, .. }
            | ClientFrame::SendMessage { r#ref, .. }
            | ClientFrame::SetStatus { r#ref, .. }
            | ClientFrame::SetActivity { r#ref, .. }
            | ClientFrame::PingUser { r#ref, .. }
            | ClientFrame::MarkNotificationsRead { r#ref, .. }
            | ClientFrame::EditMessage { r#ref, .. }
            | ClientFrame::DeleteMessage { r#ref, .. }
            | ClientFrame::React { r#ref, .. }
            | ClientFrame::MarkRead { r#ref, .. }
            | ClientFrame::PartyJoin { r#ref, .. }
            | ClientFrame::PartyLeave { r#ref, .. }
            | ClientFrame::PartyReady { r#ref, .. }
            | ClientFrame::PartyStart { r#ref, .. }
            | ClientFrame::PartyAnswer { r#ref, .. }
            | ClientFrame::PartyControl { r#ref, .. } => r#ref.as_deref(),
            ClientFrame::Typing { .. } => None,
        }
    }
}

/// A frame sent by the hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame on every connection.
    ConnectionEstablished {
        /// Id of this connection, unique within the hub's run.
        #[ts(type = "number")]
        connection_id: u64,
        user: UserInfo,
        hub: HubInfo,
        /// Unix time in milliseconds on the hub.
        #[ts(type = "number")]
        server_time: i64,
        /// How often the hub pings; it drops the connection after a few missed beats.
        heartbeat_ms: u32,
        /// Channels the hub subscribed this connection to; a `subscribed` frame follows for each.
        channels: Vec<String>,
    },
    /// Answer to `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        #[ts(type = "number")]
        server_time: i64,
    },
    /// A command succeeded. For `send_message` it carries the stored message's id and offset.
    Ack {
        r#ref: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        channel: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        message_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        offset: Option<i64>,
        /// True when the command repeated an earlier one (same `client_message_id`) and changed nothing.
        #[serde(default)]
        duplicate: bool,
    },
    /// A command failed, or a frame could not be understood. The connection stays open.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        code: ErrorCode,
        message: String,
        /// With `rate_limited`: how long to wait before the same request can succeed. Added in
        /// protocol 1 without a version bump: older clients ignore it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        retry_after_ms: Option<u64>,
    },
    /// The connection now receives a channel's events; carries the channel's snapshot.
    Subscribed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
        /// Persisted channels: the history epoch; offsets are comparable only within one epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        epoch: Option<String>,
        /// Persisted channels: the offset of the newest event at subscribe time (0 when empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        last_offset: Option<i64>,
        /// Persisted channels: true when `messages` holds exactly what followed `since`;
        /// false when it is a fresh snapshot of the newest messages instead.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        recovered: Option<bool>,
        /// Persisted channels, fresh snapshot (`recovered` absent or false): the newest messages as
        /// they are now, in offset order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        messages: Option<Vec<ChatMessage>>,
        /// Persisted channels, catch-up (`recovered: true`): every event after `since`, in offset
        /// order, as the frames a live subscriber got (`message`, `message_edited`,
        /// `message_deleted`, `reaction`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        events: Option<Vec<ServerFrame>>,
        /// `presence`: who is online now. A room: its members online now (room presence). The
        /// list holds the first `presence_list_max` users by name (100 by default), so on a large
        /// hub it is a part of everyone; `total` says how many there are.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        users: Option<Vec<OnlineUser>>,
        /// Presence scopes: how many users are in the scope, listed or not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        total: Option<u32>,
        /// `user:{id}`: how many inbox entries are unread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        unread_notifications: Option<u32>,
        /// Persisted channels: this user's read mark.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        last_read: Option<i64>,
        /// Persisted channels: messages from others after `last_read`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        unread: Option<u32>,
        /// Persisted channels: every member's read mark (read receipts).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        read_marks: Option<Vec<ReadMark>>,
    },
    /// The connection no longer receives a channel's events.
    Unsubscribed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        r#ref: Option<String>,
        channel: String,
    },
    /// A new chat message in a subscribed channel.
    Message(ChatMessage),
    /// Changes to who is online since the last snapshot or diff, coalesced over a short window.
    /// Entries are whole states, so applying a diff twice changes nothing.
    PresenceDiff {
        /// `presence` for the whole hub, or a room (`room:lobby`) for that room's presence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        channel: Option<String>,
        /// Users who came into the list (came online, or moved into the first
        /// `presence_list_max` by name), or whose entry changed.
        joins: Vec<OnlineUser>,
        /// Ids of users who left the list: they went offline, or (on a large hub) other names now
        /// come before theirs.
        #[ts(type = "number[]")]
        leaves: Vec<i64>,
        /// How many users are in the scope now, listed or not; present when it changed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        total: Option<u32>,
    },
    /// A message was edited (an event with its own offset).
    MessageEdited {
        channel: String,
        #[ts(type = "number")]
        offset: i64,
        #[ts(type = "number")]
        message_id: i64,
        body: String,
        #[ts(type = "number")]
        edited_at: i64,
    },
    /// A message was deleted (an event with its own offset).
    MessageDeleted {
        channel: String,
        #[ts(type = "number")]
        offset: i64,
        #[ts(type = "number")]
        message_id: i64,
        #[ts(type = "number")]
        deleted_at: i64,
        /// Who deleted it, when that was a host or moderator and not its author.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        deleted_by: Option<i64>,
    },
    /// A reaction was added or taken back (an event with its own offset).
    Reaction {
        channel: String,
        #[ts(type = "number")]
        offset: i64,
        #[ts(type = "number")]
        message_id: i64,
        emoji: String,
        #[ts(type = "number")]
        user_id: i64,
        added: bool,
    },
    /// A member read the channel up to `offset` (not an event: no offset of its own).
    ReadReceipt {
        channel: String,
        #[ts(type = "number")]
        user_id: i64,
        #[ts(type = "number")]
        offset: i64,
    },
    /// Someone started or stopped typing (sent to the others in the channel).
    Typing {
        channel: String,
        #[ts(type = "number")]
        user_id: i64,
        display_name: String,
        typing: bool,
    },
    /// On `user:{id}`: a room you are in, or were invited to, changed (joined, left, renamed).
    RoomUpdate { room: Room },
    /// On `user:{id}`: a direct conversation changed (requested, accepted, declined, blocked).
    DmUpdate { thread: DmThread },
    /// `online_users` channel and `/users/online/ws`: the whole online list, after every change.
    OnlineUsersUpdate {
        users: Vec<OnlineUser>,
        total_count: u32,
        #[ts(type = "number")]
        timestamp: i64,
    },
    /// A new inbox entry, on the user's personal channel.
    Notification { notification: Notification, unread_count: u32 },
    /// Inbox entries were marked read (on any of the user's devices).
    NotificationsRead {
        /// The entries marked; absent when all were.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number[]")]
        ids: Option<Vec<i64>>,
        unread_count: u32,
    },
    /// Someone pinged you (seed-compatible shape); a `notification` with the inbox entry follows.
    Ping {
        #[ts(type = "number")]
        from_user_id: i64,
        from_username: String,
        #[ts(type = "number")]
        timestamp: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        join_url: Option<String>,
    },
    /// A party's whole state: after joining or subscribing (with `you`), and after changes that have
    /// no finer event (settings, lock, host, pause, play again).
    SessionUpdate { party: Box<PartySnapshot> },
    /// A party entered a phase. Count down from `clock.remaining_ms`.
    PhaseTransition {
        code: String,
        clock: PhaseClock,
        /// The question now open (question phase).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        question: Option<Box<QuestionView>>,
        /// The closed question's answer and scores (reveal phase).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        reveal: Option<Box<RevealView>>,
        /// Standings (reveal and podium; empty otherwise).
        #[serde(default)]
        leaderboard: Vec<Standing>,
    },
    /// Someone took a seat (`player` set) or came to watch (`audience_count` changed).
    PlayerJoined {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        player: Option<PartyPlayer>,
        audience_count: u32,
    },
    /// Someone left a seat or stopped watching.
    PlayerLeft {
        code: String,
        #[ts(type = "number")]
        user_id: i64,
        reason: LeaveReason,
        audience_count: u32,
    },
    /// A player readied up or not.
    PlayerReady {
        code: String,
        #[ts(type = "number")]
        user_id: i64,
        ready: bool,
    },
    /// A seated player dropped (`reconnecting`, seat held), gave up the grace window (`away`), or
    /// came back (`connected`).
    PlayerConnection {
        code: String,
        #[ts(type = "number")]
        user_id: i64,
        state: PlayerState,
    },
    /// How many of the connected players have answered the open question.
    ProgressUpdate {
        code: String,
        round: u32,
        answered: u32,
        eligible: u32,
        /// The player whose answer this update counts (absent when a player came or went); when it
        /// counts several, the last of `answered_ids`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        answered_by: Option<i64>,
        /// Every player whose answer this update counts, when answers arriving together are counted
        /// in one update (a crowd answering at once); absent when it counts one or none.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[ts(optional, type = "number[]")]
        answered_ids: Vec<i64>,
    },
    /// The host started the game; a countdown follows.
    SessionStarted {
        code: String,
        rounds: u32,
        #[ts(type = "number")]
        server_time: i64,
    },
    /// The game is over: final standings (the podium is the top three).
    SessionCompleted { code: String, results: Vec<Standing> },
    /// The host nudges you.
    HostPing {
        code: String,
        #[ts(type = "number")]
        from_user_id: i64,
        from_name: String,
        phase: PartyPhase,
    },
    /// The hub's rules as this user sees them (role, staff, permissions, announcements, mute):
    /// sent after `connection_established` on the main socket, and again whenever a part changes.
    HubState { state: HubState },
    /// A host or moderator did something to you (a mute, a rename, a new role).
    Moderated {
        sanction: Sanction,
        /// Who did it; absent when an admin token did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        by: Option<UserInfo>,
        /// The room it applies to; absent: hub-wide.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        channel: Option<String>,
        /// When it ends (a mute), Unix ms.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        until: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        reason: Option<String>,
    },
    /// A host's notice for the people on a channel, one user, or everyone (`POST
    /// /api/admin/broadcast`): shown once, not stored.
    Notice {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        by: Option<UserInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        channel: Option<String>,
    },
}

impl ServerFrame {
    /// A `subscribed` frame with no snapshot (the channel's events follow, or its state comes in
    /// frames of its own).
    pub fn subscribed(r#ref: Option<String>, channel: String) -> Self {
        ServerFrame::Subscribed {
            r#ref,
            channel,
            epoch: None,
            last_offset: None,
            recovered: None,
            messages: None,
            events: None,
            users: None,
            total: None,
            unread_notifications: None,
            last_read: None,
            unread: None,
            read_marks: None,
        }
    }

    /// An `error` frame.
    pub fn error(r#ref: Option<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        ServerFrame::Error { r#ref, code, message: message.into(), retry_after_ms: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_from_documented_json() {
        let f: ClientFrame = serde_json::from_str(
            r#"{"type":"send_message","ref":"r1","channel":"room:lobby","client_message_id":"c1","body":"hi"}"#,
        )
        .unwrap();
        assert_eq!(f.reference(), Some("r1"));
        let f: ClientFrame = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(f, ClientFrame::Ping { r#ref: None });
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"party_control","code":"ACDE","action":"kick","user_id":4}"#)
                .unwrap();
        assert_eq!(
            f,
            ClientFrame::PartyControl {
                r#ref: None,
                code: "ACDE".into(),
                action: crate::party::HostAction::Kick { user_id: 4 }
            }
        );
        for t in ClientFrame::TYPES {
            let v = serde_json::json!({"type": t});
            // Every listed type is recognised (it may still miss fields).
            let err = serde_json::from_value::<ClientFrame>(v).err().map(|e| e.to_string());
            assert!(err.as_ref().is_none_or(|e| !e.contains("unknown variant")), "{t}: {err:?}");
        }
    }

    #[test]
    fn server_frames_are_flat() {
        let f = ServerFrame::Message(ChatMessage {
            id: 1,
            channel: "room:lobby".into(),
            offset: 1,
            sender_id: 2,
            sender_name: "Ann".into(),
            client_message_id: "c".into(),
            body: "hi".into(),
            created_at: 0,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
            reactions: None,
            attachments: None,
            reply_to: None,
        });
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(v["body"], "hi");
        let e = ServerFrame::error(Some("x".into()), ErrorCode::InvalidJson, "bad");
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"error","ref":"x","code":"invalid_json","message":"bad"}"#
        );
    }
}
