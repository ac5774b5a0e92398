//! Party sessions on the wire: the party snapshot, players, phases, answers, host actions, and the
//! quiz's question packs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a party is in its life. The quiz goes lobby, countdown, then question and reveal for each
/// question, then podium; "play again" returns to the lobby with the same players.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyPhase {
    Lobby,
    Countdown,
    Question,
    Reveal,
    Podium,
}

/// Whether a seated player is here: `reconnecting` while the seat is held in the grace window,
/// `away` after it (in a running game the seat and score are kept; in the lobby the seat is freed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlayerState {
    Connected,
    Reconnecting,
    Away,
}

/// How a member takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// Has a seat: readies up, answers, scores.
    Player,
    /// Watches: sees everything, answers nothing.
    Audience,
    /// Runs the party and is not seated (the big screen, or the host's phone used as a remote).
    Host,
    /// The big screen while the host drives from another device (`party_join` with `remote`): sees
    /// everything, has no seat and no host rights, and is not counted in the audience.
    Screen,
}

/// Where a late joiner's score starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LateScore {
    /// At 0.
    #[default]
    Zero,
    /// At the lowest score of the players already seated.
    Lowest,
}

/// One seated player as everyone sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartyPlayer {
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    pub ready: bool,
    #[ts(type = "number")]
    pub score: i64,
    /// Correct answers in a row, for the streak bonus.
    pub streak: u32,
    pub state: PlayerState,
    /// Whether they have answered the current question.
    pub answered: bool,
    /// Their share of each question's time, in percent: 100 normally, more when the host gave them
    /// extended time (150 = 1.5x). For the host's roster; the big screen need not show it.
    pub time_factor_pct: u32,
}

/// What the host chose when creating the party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartySettings {
    /// The game's id; `quiz` is the one shipped.
    pub game: String,
    pub max_players: u32,
    /// Whether newcomers who find the party full, locked or running may watch.
    pub audience_allowed: bool,
    /// A locked party seats nobody new (returning players keep their seats).
    pub locked: bool,
    /// Questions and reveals have no deadline: the host moves on (`skip`), and a question also closes
    /// once every connected player has answered. Right answers score full points.
    #[serde(default)]
    pub untimed: bool,
    /// Whether newcomers may take a free seat while a game runs (unless locked).
    #[serde(default)]
    pub late_join: bool,
    /// Where a late joiner's score starts.
    #[serde(default)]
    pub late_score: LateScore,
}

/// The clock of the current phase. `deadline` is the hub's clock (ms since the epoch); clients
/// should count down from `remaining_ms`, measured at `server_time`, so their own clock does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PhaseClock {
    pub phase: PartyPhase,
    /// Index of the current question (0-based); 0 in the lobby.
    pub round: u32,
    /// How many questions this game has.
    pub rounds: u32,
    #[ts(type = "number")]
    pub server_time: i64,
    /// When the phase ends; absent for untimed phases (lobby, podium) and while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub deadline: Option<i64>,
    /// Time left in the phase (also while paused); absent for untimed phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub remaining_ms: Option<u64>,
    pub paused: bool,
    /// Question phase only: how long after `deadline` the question stays open for players the host
    /// gave more time (absent when nobody has any). A player's own time left is `remaining_ms +
    /// time_limit_ms * (time_factor_pct - 100) / 100`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub overtime_ms: Option<u64>,
}

/// The kinds of quiz question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Pick one of the choices.
    Choice,
    /// True or false.
    TrueFalse,
    /// Pick every correct choice (all and only those).
    Multi,
    /// Type a number; the closer the better, within the tolerance.
    Number,
}

/// A question as players see it while it is open (no answer in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct QuestionView {
    pub kind: QuestionKind,
    pub prompt: String,
    /// The choices (`choice`, `multi`); `["True", "False"]` for `true_false`; empty for `number`.
    pub choices: Vec<String>,
    /// Time to answer, in ms.
    #[ts(type = "number")]
    pub time_limit_ms: u64,
}

/// An answer. The quiz takes `choice` (one index; also true/false as 0 = true, 1 = false),
/// `choices` (several indices) and `number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    Choice { index: u32 },
    Choices { indices: Vec<u32> },
    Number { value: f64 },
}

/// What one player got for one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RoundScore {
    #[ts(type = "number")]
    pub user_id: i64,
    pub correct: bool,
    #[ts(type = "number")]
    pub points: i64,
    /// Part of `points` that came from the streak bonus.
    #[ts(type = "number")]
    pub streak_bonus: i64,
}

/// The answer to a question once it closes, how the room answered, and who scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct RevealView {
    /// The correct choice indices (`choice`, `true_false`, `multi`); empty for `number`.
    pub correct_choices: Vec<u32>,
    /// The correct value of a `number` question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub correct_number: Option<f64>,
    /// How many picked each choice (same order as the choices); empty for `number`.
    pub distribution: Vec<u32>,
    /// The numbers given, with how many gave each, closest first (`number` only): every distinct
    /// value, so a client can draw them on a number line around `correct_number`.
    pub number_answers: Vec<NumberCount>,
    /// How far from `correct_number` still counts as right (`number` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tolerance: Option<f64>,
    pub scores: Vec<RoundScore>,
}

/// How many players answered one number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct NumberCount {
    pub value: f64,
    pub count: u32,
}

/// One line of the leaderboard, best first; equal scores share a rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Standing {
    pub rank: u32,
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    #[ts(type = "number")]
    pub score: i64,
}

/// This connection's own place in the party; only in the snapshot sent to one connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartySeat {
    pub role: PartyRole,
    /// Whether this user holds host rights (the creator, or whoever they passed to).
    pub is_host: bool,
    /// The answer this user gave to the open question, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub answer: Option<Answer>,
}

/// Everything about a party, sent on subscribe and as `session_update` after changes that have no
/// finer event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartySnapshot {
    pub code: String,
    /// The link players open to join (also shown as a QR code).
    pub join_url: String,
    /// The party's chat room (`room:_party-{code}`), for its members only; it is never stored on disk.
    pub chat_channel: String,
    pub title: String,
    pub settings: PartySettings,
    #[ts(type = "number")]
    pub host_id: i64,
    pub host_name: String,
    /// Whether the host is connected (host rights pass on after the grace delay).
    pub host_connected: bool,
    /// The big screen's user (role `screen`), while the host drives from another device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub screen_id: Option<i64>,
    /// How often the hub pings a socket in a party; one silent for a few beats is dropped and its
    /// player shown `reconnecting`.
    pub heartbeat_ms: u32,
    pub clock: PhaseClock,
    /// Players in seat order (join order).
    pub players: Vec<PartyPlayer>,
    pub audience_count: u32,
    /// Ready players needed before the host can start.
    pub min_players: u32,
    /// The open question (question phase) or the last one (reveal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub question: Option<QuestionView>,
    /// The last question's answer and scores (reveal phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reveal: Option<RevealView>,
    /// Answered and eligible counts of the open question.
    pub answered: u32,
    pub eligible: u32,
    /// The standings, best first (after the first question and on the podium).
    pub leaderboard: Vec<Standing>,
    /// The receiving connection's own seat (only in a snapshot sent to one connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub you: Option<PartySeat>,
}

/// What a host can do to a running party (`party_control`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum HostAction {
    /// Remove a player or watcher; they cannot come back to this party.
    Kick {
        #[ts(type = "number")]
        user_id: i64,
    },
    /// Seat nobody new (or open again).
    Lock {
        locked: bool,
    },
    /// End the current timed phase now.
    Skip,
    /// Add time to the current timed phase (at most 120,000 ms at a time).
    Extend {
        #[ts(type = "number")]
        ms: u64,
    },
    Pause,
    Resume,
    /// Give host rights to another member.
    TransferHost {
        #[ts(type = "number")]
        user_id: i64,
    },
    /// Nudge one player, or (without `user_id`) every player who has not answered or readied.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        user_id: Option<i64>,
    },
    /// From the podium, back to the lobby with the same players and fresh scores (players who left
    /// give up their seats).
    PlayAgain,
    /// Give a player more time on every question: `percent` of the time limit, 100 to 300 (100 is
    /// normal, 150 is 1.5x, 200 is 2x).
    TimeFactor {
        #[ts(type = "number")]
        user_id: i64,
        percent: u32,
    },
    /// Change how the party runs; absent fields stay as they are. `untimed` applies from the next
    /// phase.
    Configure {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        untimed: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        late_join: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        late_score: Option<LateScore>,
    },
}

/// Why someone is no longer in a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    Left,
    Kicked,
    /// Gone from the lobby for longer than the grace window.
    TimedOut,
}

/// A question in a pack, as imported (`POST /api/quiz/packs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackQuestion {
    pub kind: QuestionKind,
    pub prompt: String,
    /// Two to six choices for `choice` and `multi`; omitted for `true_false` and `number`.
    #[serde(default)]
    pub choices: Vec<String>,
    /// `choice`: the index of the right choice; `true_false`: true or false; `multi`: an array of
    /// indices; `number`: the value.
    #[ts(type = "number | boolean | number[]")]
    pub answer: serde_json::Value,
    /// `number` only: how far off still counts as right (default 0: exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tolerance: Option<f64>,
    /// Seconds to answer, 5 to 120 (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub time_limit_secs: Option<u32>,
}

/// A question pack: a title and 1 to 100 questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionPack {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub description: Option<String>,
    pub questions: Vec<PackQuestion>,
}
