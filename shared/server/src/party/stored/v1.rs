//! Version 1 of a stored party (`"v": "1"`), read and upgraded to version 2 (`v2.rs`), which also
//! uses its unchanged leaf types and their conversions to and from the engine's. Every type here
//! belongs to the server and names its serde fields and variants itself, so neither a wire change
//! nor a renamed engine type changes stored data. Frozen: shipped, and no longer written.

use hubbub_protocol::{Answer as WireAnswer, PartyPhase, PlayerState as WireState, QuestionKind as WireKind};
use serde::{Deserialize, Serialize};

use super::LoadError;
use crate::party::quiz;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub code: String,
    pub join_url: String,
    pub settings: Settings,
    /// As the party had it; a restored party takes the hub's current timing instead.
    pub timing: Timing,
    pub host_id: i64,
    pub host_name: String,
    pub host_gone_since: Option<i64>,
    pub players: Vec<Seat>,
    pub audience: Vec<Watcher>,
    pub banned: Vec<i64>,
    pub phase: Phase,
    pub round: u32,
    pub deadline: Option<i64>,
    pub paused_remaining: Option<u64>,
    pub phase_ms: u64,
    pub answers: Vec<Submitted>,
    pub last_reveal: Option<Reveal>,
    pub game: Game,
    pub updated_at: i64,
    pub settle_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub game: String,
    pub max_players: u32,
    pub audience_allowed: bool,
    pub locked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    pub countdown_ms: u64,
    pub reveal_ms: u64,
    pub grace_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub user_id: i64,
    pub name: String,
    pub ready: bool,
    pub score: i64,
    pub streak: u32,
    pub state: PlayerState,
    pub gone_since: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watcher {
    pub user_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    #[serde(rename = "lobby")]
    Lobby,
    #[serde(rename = "countdown")]
    Countdown,
    #[serde(rename = "question")]
    Question,
    #[serde(rename = "reveal")]
    Reveal,
    #[serde(rename = "podium")]
    Podium,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlayerState {
    #[serde(rename = "connected")]
    Connected,
    #[serde(rename = "reconnecting")]
    Reconnecting,
    #[serde(rename = "away")]
    Away,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub user_id: i64,
    pub answer: Answer,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Answer {
    #[serde(rename = "choice")]
    Choice { index: u32 },
    #[serde(rename = "choices")]
    Choices { indices: Vec<u32> },
    #[serde(rename = "number")]
    Number { value: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reveal {
    pub correct_choices: Vec<u32>,
    pub correct_number: Option<f64>,
    pub distribution: Vec<u32>,
    pub number_answers: Vec<NumberCount>,
    pub scores: Vec<RoundScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberCount {
    pub value: f64,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundScore {
    pub user_id: i64,
    pub correct: bool,
    pub points: i64,
    pub streak_bonus: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "game")]
pub enum Game {
    #[serde(rename = "quiz")]
    Quiz(Quiz),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quiz {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    pub choices: Vec<String>,
    pub correct: Correct,
    pub time_limit_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuestionKind {
    #[serde(rename = "choice")]
    Choice,
    #[serde(rename = "true_false")]
    TrueFalse,
    #[serde(rename = "multi")]
    Multi,
    #[serde(rename = "number")]
    Number,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Correct {
    #[serde(rename = "choices")]
    Choices { indices: Vec<u32> },
    #[serde(rename = "number")]
    Number { value: f64, tolerance: f64 },
}

impl From<PartyPhase> for Phase {
    fn from(p: PartyPhase) -> Phase {
        match p {
            PartyPhase::Lobby => Phase::Lobby,
            PartyPhase::Countdown => Phase::Countdown,
            PartyPhase::Question => Phase::Question,
            PartyPhase::Reveal => Phase::Reveal,
            PartyPhase::Podium => Phase::Podium,
        }
    }
}

impl From<Phase> for PartyPhase {
    fn from(p: Phase) -> PartyPhase {
        match p {
            Phase::Lobby => PartyPhase::Lobby,
            Phase::Countdown => PartyPhase::Countdown,
            Phase::Question => PartyPhase::Question,
            Phase::Reveal => PartyPhase::Reveal,
            Phase::Podium => PartyPhase::Podium,
        }
    }
}

impl From<WireState> for PlayerState {
    fn from(s: WireState) -> PlayerState {
        match s {
            WireState::Connected => PlayerState::Connected,
            WireState::Reconnecting => PlayerState::Reconnecting,
            WireState::Away => PlayerState::Away,
        }
    }
}

impl From<PlayerState> for WireState {
    fn from(s: PlayerState) -> WireState {
        match s {
            PlayerState::Connected => WireState::Connected,
            PlayerState::Reconnecting => WireState::Reconnecting,
            PlayerState::Away => WireState::Away,
        }
    }
}

impl From<&WireAnswer> for Answer {
    fn from(a: &WireAnswer) -> Answer {
        match a {
            WireAnswer::Choice { index } => Answer::Choice { index: *index },
            WireAnswer::Choices { indices } => Answer::Choices { indices: indices.clone() },
            WireAnswer::Number { value } => Answer::Number { value: *value },
        }
    }
}

impl From<Answer> for WireAnswer {
    fn from(a: Answer) -> WireAnswer {
        match a {
            Answer::Choice { index } => WireAnswer::Choice { index },
            Answer::Choices { indices } => WireAnswer::Choices { indices },
            Answer::Number { value } => WireAnswer::Number { value },
        }
    }
}

impl From<&quiz::Quiz> for Quiz {
    fn from(q: &quiz::Quiz) -> Quiz {
        let question = |q: &quiz::Question| Question {
            kind: match q.kind {
                WireKind::Choice => QuestionKind::Choice,
                WireKind::TrueFalse => QuestionKind::TrueFalse,
                WireKind::Multi => QuestionKind::Multi,
                WireKind::Number => QuestionKind::Number,
            },
            prompt: q.prompt.clone(),
            choices: q.choices.clone(),
            correct: match &q.correct {
                quiz::Correct::Choices(indices) => Correct::Choices { indices: indices.clone() },
                quiz::Correct::Number { value, tolerance } => {
                    Correct::Number { value: *value, tolerance: *tolerance }
                }
            },
            time_limit_ms: q.time_limit_ms,
        };
        Quiz { title: q.title.clone(), questions: q.questions.iter().map(question).collect() }
    }
}

impl Quiz {
    /// The engine's quiz. Packs are checked on import, not again here; only what would stop the
    /// engine is refused: no questions, or a choice question without choices to pick.
    pub(super) fn load(self) -> Result<quiz::Quiz, LoadError> {
        if self.questions.is_empty() {
            return Err(LoadError::Invalid("a quiz without questions".to_owned()));
        }
        let mut questions = Vec::with_capacity(self.questions.len());
        for (i, q) in self.questions.into_iter().enumerate() {
            let kind = match q.kind {
                QuestionKind::Choice => WireKind::Choice,
                QuestionKind::TrueFalse => WireKind::TrueFalse,
                QuestionKind::Multi => WireKind::Multi,
                QuestionKind::Number => WireKind::Number,
            };
            if kind != WireKind::Number && q.choices.is_empty() {
                return Err(LoadError::Invalid(format!("question {i} has no choices")));
            }
            let correct = match q.correct {
                Correct::Choices { indices } => quiz::Correct::Choices(indices),
                Correct::Number { value, tolerance } => quiz::Correct::Number { value, tolerance },
            };
            questions.push(quiz::Question {
                kind,
                prompt: q.prompt,
                choices: q.choices,
                correct,
                time_limit_ms: q.time_limit_ms,
            });
        }
        Ok(quiz::Quiz { title: self.title, questions })
    }
}
