//! Version 0 of a stored party, read only: the shape the engine's own `Serialize` gave a party
//! before stored parties had versions (no `v` field), mirrored field for field so rows written then
//! still load. Frozen: this is what those rows hold, whatever the engine and the wire types become.

use serde::Deserialize;
#[cfg(test)]
use serde::Serialize;

use super::v1;

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Party {
    pub code: String,
    pub join_url: String,
    pub settings: Settings,
    pub timing: Timing,
    pub host_id: i64,
    pub host_name: String,
    pub host_gone_since: Option<i64>,
    pub players: Vec<Seat>,
    pub audience: Vec<(i64, String)>,
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
    #[serde(default)]
    pub settle_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Settings {
    pub game: String,
    pub max_players: u32,
    pub audience_allowed: bool,
    pub locked: bool,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Timing {
    pub countdown_ms: u64,
    pub reveal_ms: u64,
    pub grace_ms: u64,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Seat {
    pub user_id: i64,
    pub name: String,
    pub ready: bool,
    pub score: i64,
    pub streak: u32,
    pub state: PlayerState,
    pub gone_since: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
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

#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub enum PlayerState {
    #[serde(rename = "connected")]
    Connected,
    #[serde(rename = "reconnecting")]
    Reconnecting,
    #[serde(rename = "away")]
    Away,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Submitted {
    pub user_id: i64,
    pub answer: Answer,
    pub elapsed_ms: u64,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(tag = "kind")]
pub enum Answer {
    #[serde(rename = "choice")]
    Choice { index: u32 },
    #[serde(rename = "choices")]
    Choices { indices: Vec<u32> },
    #[serde(rename = "number")]
    Number { value: f64 },
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Reveal {
    pub correct_choices: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct_number: Option<f64>,
    pub distribution: Vec<u32>,
    pub number_answers: Vec<NumberCount>,
    pub scores: Vec<RoundScore>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct NumberCount {
    pub value: f64,
    pub count: u32,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct RoundScore {
    pub user_id: i64,
    pub correct: bool,
    pub points: i64,
    pub streak_bonus: i64,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(tag = "game")]
pub enum Game {
    #[serde(rename = "quiz")]
    Quiz(Quiz),
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Quiz {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    pub choices: Vec<String>,
    pub correct: Correct,
    pub time_limit_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
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

/// Externally tagged with the variant names, as the engine's `Correct` was.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(Serialize))]
pub enum Correct {
    Choices(Vec<u32>),
    Number { value: f64, tolerance: f64 },
}

/// Version 0 to version 1: the same data; the audience's pairs become named fields and the right
/// answer is tagged like the others.
impl From<Party> for v1::Party {
    fn from(p: Party) -> v1::Party {
        v1::Party {
            code: p.code,
            join_url: p.join_url,
            settings: v1::Settings {
                game: p.settings.game,
                max_players: p.settings.max_players,
                audience_allowed: p.settings.audience_allowed,
                locked: p.settings.locked,
            },
            timing: v1::Timing {
                countdown_ms: p.timing.countdown_ms,
                reveal_ms: p.timing.reveal_ms,
                grace_ms: p.timing.grace_ms,
            },
            host_id: p.host_id,
            host_name: p.host_name,
            host_gone_since: p.host_gone_since,
            players: p.players.into_iter().map(seat).collect(),
            audience: p.audience.into_iter().map(|(user_id, name)| v1::Watcher { user_id, name }).collect(),
            banned: p.banned,
            phase: phase(p.phase),
            round: p.round,
            deadline: p.deadline,
            paused_remaining: p.paused_remaining,
            phase_ms: p.phase_ms,
            answers: p.answers.into_iter().map(submitted).collect(),
            last_reveal: p.last_reveal.map(reveal),
            game: match p.game {
                Game::Quiz(q) => v1::Game::Quiz(quiz(q)),
            },
            updated_at: p.updated_at,
            settle_at: p.settle_at,
        }
    }
}

fn seat(s: Seat) -> v1::Seat {
    v1::Seat {
        user_id: s.user_id,
        name: s.name,
        ready: s.ready,
        score: s.score,
        streak: s.streak,
        state: match s.state {
            PlayerState::Connected => v1::PlayerState::Connected,
            PlayerState::Reconnecting => v1::PlayerState::Reconnecting,
            PlayerState::Away => v1::PlayerState::Away,
        },
        gone_since: s.gone_since,
    }
}

fn phase(p: Phase) -> v1::Phase {
    match p {
        Phase::Lobby => v1::Phase::Lobby,
        Phase::Countdown => v1::Phase::Countdown,
        Phase::Question => v1::Phase::Question,
        Phase::Reveal => v1::Phase::Reveal,
        Phase::Podium => v1::Phase::Podium,
    }
}

fn submitted(s: Submitted) -> v1::Submitted {
    let answer = match s.answer {
        Answer::Choice { index } => v1::Answer::Choice { index },
        Answer::Choices { indices } => v1::Answer::Choices { indices },
        Answer::Number { value } => v1::Answer::Number { value },
    };
    v1::Submitted { user_id: s.user_id, answer, elapsed_ms: s.elapsed_ms }
}

fn reveal(r: Reveal) -> v1::Reveal {
    v1::Reveal {
        correct_choices: r.correct_choices,
        correct_number: r.correct_number,
        distribution: r.distribution,
        number_answers: r
            .number_answers
            .into_iter()
            .map(|n| v1::NumberCount { value: n.value, count: n.count })
            .collect(),
        scores: r
            .scores
            .into_iter()
            .map(|s| v1::RoundScore {
                user_id: s.user_id,
                correct: s.correct,
                points: s.points,
                streak_bonus: s.streak_bonus,
            })
            .collect(),
    }
}

fn quiz(q: Quiz) -> v1::Quiz {
    let question = |q: Question| v1::Question {
        kind: match q.kind {
            QuestionKind::Choice => v1::QuestionKind::Choice,
            QuestionKind::TrueFalse => v1::QuestionKind::TrueFalse,
            QuestionKind::Multi => v1::QuestionKind::Multi,
            QuestionKind::Number => v1::QuestionKind::Number,
        },
        prompt: q.prompt,
        choices: q.choices,
        correct: match q.correct {
            Correct::Choices(indices) => v1::Correct::Choices { indices },
            Correct::Number { value, tolerance } => v1::Correct::Number { value, tolerance },
        },
        time_limit_ms: q.time_limit_ms,
    };
    v1::Quiz { title: q.title, questions: q.questions.into_iter().map(question).collect() }
}
