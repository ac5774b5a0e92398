//! A party's results after (or during) a game: `GET /api/parties/{code}/results` (JSON) and
//! `results.csv`, and what `hubbub export` writes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::party::{Answer, NumberCount, QuestionKind};

/// The results of one game of a party: who played, how each question went, and every player's
/// answer to every question played.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PartyResults {
    pub code: String,
    pub title: String,
    /// When the host started the game (Unix ms).
    #[ts(type = "number")]
    pub started_at: i64,
    /// When it reached the podium; absent while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub finished_at: Option<i64>,
    /// Questions in the game (played or not).
    pub rounds: u32,
    /// Everyone seated during the game, best first; equal scores share a rank.
    pub players: Vec<ResultPlayer>,
    /// The questions played so far, in order.
    pub questions: Vec<QuestionStats>,
    /// One entry per player seated at a question's close and question played.
    pub answers: Vec<ResultAnswer>,
}

/// A player's final (or current) standing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ResultPlayer {
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    #[ts(type = "number")]
    pub score: i64,
    pub rank: u32,
}

/// How one question went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct QuestionStats {
    /// 0-based.
    pub round: u32,
    pub kind: QuestionKind,
    pub prompt: String,
    pub choices: Vec<String>,
    pub correct_choices: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub correct_number: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tolerance: Option<f64>,
    /// Players seated when it closed.
    pub players: u32,
    /// Of them, how many answered, and how many were right.
    pub answered: u32,
    pub correct: u32,
    /// Mean time to answer of those who answered, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub average_ms: Option<u64>,
    /// How many picked each choice; empty for `number`.
    pub distribution: Vec<u32>,
    /// The numbers given, closest first (`number` only).
    pub number_answers: Vec<NumberCount>,
}

/// One player's answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
pub struct ResultAnswer {
    pub round: u32,
    #[ts(type = "number")]
    pub user_id: i64,
    pub display_name: String,
    /// Absent when they did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub answer: Option<Answer>,
    /// Time taken, in ms (absent without an answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub time_ms: Option<u64>,
    pub correct: bool,
    #[ts(type = "number")]
    pub points: i64,
}
