//! Quipflip (seed 000): snake_case frames tagged by `type` on `/qf/notifications/ws`,
//! `/qf/users/online/ws` and `/qf/party/{sessionId}/ws`, and the `/qf` REST routes. Timestamps are
//! RFC 3339 strings in UTC.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::party::{
    LeaveReason, PartyPhase, PartyPlayer, PartySnapshot, PhaseClock, PlayerState, QuestionView, RevealView,
    Standing,
};

/// A frame a Quipflip client may send (the document gives clients nothing to send; the hub answers a
/// keepalive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Application keepalive; answered by `pong`.
    Ping {},
}

/// An online user as Quipflip lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OnlineUser {
    pub user_id: i64,
    /// The display name: what `POST /qf/users/online/ping` takes.
    pub username: String,
    /// `online`, `away` or `busy`.
    pub status: String,
    /// When the user came online (RFC 3339).
    pub online_since: String,
}

/// The body of `online_users_update` and of `GET /qf/users/online`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OnlineUsers {
    pub users: Vec<OnlineUser>,
    pub total_count: u32,
    /// RFC 3339.
    pub timestamp: String,
}

/// `POST /qf/users/online/ping`: ping an online user by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PingUserRequest {
    /// The user's display name (case does not matter).
    pub username: String,
    /// An http(s) link to invite them to, e.g. a party's join URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
}

/// Answer to `POST /qf/users/online/ping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PingUserResponse {
    pub success: bool,
    /// Who was pinged, as the hub spells the name.
    pub username: String,
}

/// A frame the hub sends on a Quipflip socket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// `/qf/notifications/ws`: a new inbox entry (a mention, a conversation request, an invitation,
    /// a host's nudge or announcement).
    Notification {
        /// What happened: `mention`, `dm_request`, `dm_message`, `party_invite`, `host_ping`,
        /// `announcement`, `room_invite`.
        notification_type: String,
        /// Who caused it (empty when nobody did, as for an announcement).
        actor_username: String,
        /// What they did, in words (`mentioned you`).
        action: String,
        /// What the recipient is to it: `mentioned`, `invitee`, `recipient`.
        recipient_role: String,
        /// The text it is about (the message that mentioned you, the announcement).
        phrase_text: String,
        /// RFC 3339.
        timestamp: String,
    },
    /// `/qf/notifications/ws` and `/qf/users/online/ws`: someone pinged you, perhaps inviting you.
    Ping {
        from_username: String,
        /// RFC 3339.
        timestamp: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        join_url: Option<String>,
    },
    /// `/qf/users/online/ws`: everyone online, after every change.
    OnlineUsersUpdate(OnlineUsers),
    /// Answer to `ping`.
    Pong {},
    /// A frame could not be handled (the socket stays open).
    Error { code: String, message: String },
    /// Party: the whole party, after joining and after changes with no finer event.
    SessionUpdate { party: Box<PartySnapshot> },
    /// Party: a new phase began; count down from `clock.remaining_ms`.
    PhaseTransition {
        code: String,
        clock: PhaseClock,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<Box<QuestionView>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reveal: Option<Box<RevealView>>,
        #[serde(default)]
        leaderboard: Vec<Standing>,
    },
    /// Party: someone took a seat or came to watch.
    PlayerJoined {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player: Option<PartyPlayer>,
        audience_count: u32,
    },
    /// Party: someone left a seat or stopped watching.
    PlayerLeft { code: String, user_id: i64, reason: LeaveReason, audience_count: u32 },
    /// Party: a player readied up or not.
    PlayerReady { code: String, user_id: i64, ready: bool },
    /// Party: how many have answered the open question.
    ProgressUpdate { code: String, round: u32, answered: u32, eligible: u32 },
    /// Party: the host started the game.
    SessionStarted { code: String, rounds: u32, server_time: i64 },
    /// Party: the game is over, with the final standings.
    SessionCompleted { code: String, results: Vec<Standing> },
    /// Party: the host nudges you.
    HostPing { code: String, from_user_id: i64, from_name: String, phase: PartyPhase },
    /// Party: a seated player dropped, gave up, or came back.
    PlayerConnection { code: String, user_id: i64, state: PlayerState },
}
