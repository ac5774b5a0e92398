//! Version 2 of a stored party (`"v": "2"`), the one written now: version 1 and what a party keeps
//! for the party features after it: each player's time factor, the untimed and late-joining settings, the big
//! screen, when the phase began, the time an answer scores, a number reveal's tolerance, and the
//! record of the latest game. Leaf types that did not change are version 1's own (frozen too).
//! Frozen once shipped: a change of shape is a version 3 beside it (see the parent module).

use hubbub_protocol::{
    LateScore as WireLateScore, NumberCount as WireNumberCount, PartySettings, RevealView,
    RoundScore as WireRoundScore,
};
use serde::{Deserialize, Serialize};

use super::LoadError;
use super::v1::{self, Answer, Game, NumberCount, Phase, PlayerState, RoundScore, Timing, Watcher};
use crate::party::engine;
use crate::party::game;
use crate::party::quiz;
use crate::party::results;

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
    pub screen: Option<Watcher>,
    pub banned: Vec<i64>,
    pub phase: Phase,
    pub round: u32,
    pub deadline: Option<i64>,
    pub paused_remaining: Option<u64>,
    pub phase_ms: u64,
    pub phase_started_at: i64,
    pub answers: Vec<Submitted>,
    pub last_reveal: Option<Reveal>,
    pub game: Game,
    pub updated_at: i64,
    pub settle_at: Option<i64>,
    pub log: Option<GameLog>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub game: String,
    pub max_players: u32,
    pub audience_allowed: bool,
    pub locked: bool,
    pub untimed: bool,
    pub late_join: bool,
    pub late_score: LateScore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LateScore {
    #[serde(rename = "zero")]
    Zero,
    #[serde(rename = "lowest")]
    Lowest,
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
    pub time_factor_pct: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub user_id: i64,
    pub answer: Answer,
    pub elapsed_ms: u64,
    pub scored_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reveal {
    pub correct_choices: Vec<u32>,
    pub correct_number: Option<f64>,
    pub distribution: Vec<u32>,
    pub number_answers: Vec<NumberCount>,
    pub tolerance: Option<f64>,
    pub scores: Vec<RoundScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameLog {
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub players: Vec<LogPlayer>,
    pub rounds: Vec<RoundRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPlayer {
    pub user_id: i64,
    pub name: String,
    pub start_score: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    pub round: u32,
    pub answers: Vec<Submitted>,
    pub reveal: Reveal,
}

/// Version 1 to version 2: normal time for everyone, timed, no late joining, no screen; an answer
/// scores the time it took; the phase began when the party was last stored; no record of the game
/// (version 1 kept none).
impl From<v1::Party> for Party {
    fn from(p: v1::Party) -> Party {
        let submitted = |a: v1::Submitted| Submitted {
            user_id: a.user_id,
            answer: a.answer,
            elapsed_ms: a.elapsed_ms,
            scored_ms: a.elapsed_ms,
        };
        Party {
            code: p.code,
            join_url: p.join_url,
            settings: Settings {
                game: p.settings.game,
                max_players: p.settings.max_players,
                audience_allowed: p.settings.audience_allowed,
                locked: p.settings.locked,
                untimed: false,
                late_join: false,
                late_score: LateScore::Zero,
            },
            timing: p.timing,
            host_id: p.host_id,
            host_name: p.host_name,
            host_gone_since: p.host_gone_since,
            players: p
                .players
                .into_iter()
                .map(|s| Seat {
                    user_id: s.user_id,
                    name: s.name,
                    ready: s.ready,
                    score: s.score,
                    streak: s.streak,
                    state: s.state,
                    gone_since: s.gone_since,
                    time_factor_pct: 100,
                })
                .collect(),
            audience: p.audience,
            screen: None,
            banned: p.banned,
            phase: p.phase,
            round: p.round,
            deadline: p.deadline,
            paused_remaining: p.paused_remaining,
            phase_ms: p.phase_ms,
            phase_started_at: p.updated_at,
            answers: p.answers.into_iter().map(submitted).collect(),
            last_reveal: p.last_reveal.map(|r| Reveal {
                correct_choices: r.correct_choices,
                correct_number: r.correct_number,
                distribution: r.distribution,
                number_answers: r.number_answers,
                tolerance: None,
                scores: r.scores,
            }),
            game: p.game,
            updated_at: p.updated_at,
            settle_at: p.settle_at,
            log: None,
        }
    }
}

fn submitted_from(a: &quiz::Submitted) -> Submitted {
    Submitted {
        user_id: a.user_id,
        answer: (&a.answer).into(),
        elapsed_ms: a.elapsed_ms,
        scored_ms: a.scored_ms,
    }
}

fn submitted_to(a: Submitted) -> quiz::Submitted {
    quiz::Submitted {
        user_id: a.user_id,
        answer: a.answer.into(),
        elapsed_ms: a.elapsed_ms,
        scored_ms: a.scored_ms,
    }
}

impl From<&engine::Party> for Party {
    fn from(p: &engine::Party) -> Party {
        Party {
            code: p.code.clone(),
            join_url: p.join_url.clone(),
            settings: Settings {
                game: p.settings.game.clone(),
                max_players: p.settings.max_players,
                audience_allowed: p.settings.audience_allowed,
                locked: p.settings.locked,
                untimed: p.settings.untimed,
                late_join: p.settings.late_join,
                late_score: match p.settings.late_score {
                    WireLateScore::Zero => LateScore::Zero,
                    WireLateScore::Lowest => LateScore::Lowest,
                },
            },
            timing: Timing {
                countdown_ms: p.timing.countdown_ms,
                reveal_ms: p.timing.reveal_ms,
                grace_ms: p.timing.grace_ms,
            },
            host_id: p.host_id,
            host_name: p.host_name.clone(),
            host_gone_since: p.host_gone_since,
            players: p
                .players
                .iter()
                .map(|s| Seat {
                    user_id: s.user_id,
                    name: s.name.clone(),
                    ready: s.ready,
                    score: s.score,
                    streak: s.streak,
                    state: s.state.into(),
                    gone_since: s.gone_since,
                    time_factor_pct: s.time_factor_pct,
                })
                .collect(),
            audience: p
                .audience
                .iter()
                .map(|(id, name)| Watcher { user_id: *id, name: name.clone() })
                .collect(),
            screen: p.screen.as_ref().map(|(id, name)| Watcher { user_id: *id, name: name.clone() }),
            banned: p.banned.clone(),
            phase: p.phase.into(),
            round: p.round,
            deadline: p.deadline,
            paused_remaining: p.paused_remaining,
            phase_ms: p.phase_ms,
            phase_started_at: p.phase_started_at,
            answers: p.answers.iter().map(submitted_from).collect(),
            last_reveal: p.last_reveal.as_ref().map(Reveal::from),
            game: match &p.game {
                game::Game::Quiz(q) => Game::Quiz(q.into()),
            },
            updated_at: p.updated_at,
            settle_at: p.settle_at,
            log: p.log.as_ref().map(|l| GameLog {
                started_at: l.started_at,
                finished_at: l.finished_at,
                players: l
                    .players
                    .iter()
                    .map(|p| LogPlayer {
                        user_id: p.user_id,
                        name: p.name.clone(),
                        start_score: p.start_score,
                    })
                    .collect(),
                rounds: l
                    .rounds
                    .iter()
                    .map(|r| RoundRecord {
                        round: r.round,
                        answers: r.answers.iter().map(submitted_from).collect(),
                        reveal: Reveal::from(&r.reveal),
                    })
                    .collect(),
            }),
        }
    }
}

impl Party {
    /// The engine's party, once the stored state is known to be one the engine can run.
    pub fn load(self) -> Result<engine::Party, LoadError> {
        let game = match self.game {
            Game::Quiz(q) => game::Game::Quiz(q.load()?),
        };
        let rounds = game.rounds();
        if self.round >= rounds {
            return Err(LoadError::Invalid(format!("round {} of a {rounds}-question game", self.round)));
        }
        Ok(engine::Party {
            code: self.code,
            join_url: self.join_url,
            settings: PartySettings {
                game: self.settings.game,
                max_players: self.settings.max_players,
                audience_allowed: self.settings.audience_allowed,
                locked: self.settings.locked,
                untimed: self.settings.untimed,
                late_join: self.settings.late_join,
                late_score: match self.settings.late_score {
                    LateScore::Zero => WireLateScore::Zero,
                    LateScore::Lowest => WireLateScore::Lowest,
                },
            },
            timing: engine::Timing {
                countdown_ms: self.timing.countdown_ms,
                reveal_ms: self.timing.reveal_ms,
                grace_ms: self.timing.grace_ms,
                heartbeat_ms: 0,
            },
            host_id: self.host_id,
            host_name: self.host_name,
            host_gone_since: self.host_gone_since,
            players: self
                .players
                .into_iter()
                .map(|s| engine::Seat {
                    user_id: s.user_id,
                    name: s.name,
                    ready: s.ready,
                    score: s.score,
                    streak: s.streak,
                    state: s.state.into(),
                    gone_since: s.gone_since,
                    time_factor_pct: s.time_factor_pct,
                })
                .collect(),
            audience: self.audience.into_iter().map(|w| (w.user_id, w.name)).collect(),
            screen: self.screen.map(|w| (w.user_id, w.name)),
            screen_connected: false,
            remote: None,
            banned: self.banned,
            phase: self.phase.into(),
            round: self.round,
            deadline: self.deadline,
            paused_remaining: self.paused_remaining,
            phase_ms: self.phase_ms,
            phase_started_at: self.phase_started_at,
            answers: self.answers.into_iter().map(submitted_to).collect(),
            last_reveal: self.last_reveal.map(RevealView::from),
            game,
            updated_at: self.updated_at,
            settle_at: self.settle_at,
            log: self.log.map(|l| results::GameLog {
                started_at: l.started_at,
                finished_at: l.finished_at,
                players: l
                    .players
                    .into_iter()
                    .map(|p| results::LogPlayer {
                        user_id: p.user_id,
                        name: p.name,
                        start_score: p.start_score,
                    })
                    .collect(),
                rounds: l
                    .rounds
                    .into_iter()
                    .map(|r| results::RoundRecord {
                        round: r.round,
                        answers: r.answers.into_iter().map(submitted_to).collect(),
                        reveal: r.reveal.into(),
                    })
                    .collect(),
            }),
        })
    }
}

impl From<&RevealView> for Reveal {
    fn from(r: &RevealView) -> Reveal {
        Reveal {
            correct_choices: r.correct_choices.clone(),
            correct_number: r.correct_number,
            distribution: r.distribution.clone(),
            number_answers: r
                .number_answers
                .iter()
                .map(|n| NumberCount { value: n.value, count: n.count })
                .collect(),
            tolerance: r.tolerance,
            scores: r
                .scores
                .iter()
                .map(|s| RoundScore {
                    user_id: s.user_id,
                    correct: s.correct,
                    points: s.points,
                    streak_bonus: s.streak_bonus,
                })
                .collect(),
        }
    }
}

impl From<Reveal> for RevealView {
    fn from(r: Reveal) -> RevealView {
        RevealView {
            correct_choices: r.correct_choices,
            correct_number: r.correct_number,
            distribution: r.distribution,
            number_answers: r
                .number_answers
                .into_iter()
                .map(|n| WireNumberCount { value: n.value, count: n.count })
                .collect(),
            tolerance: r.tolerance,
            scores: r
                .scores
                .into_iter()
                .map(|s| WireRoundScore {
                    user_id: s.user_id,
                    correct: s.correct,
                    points: s.points,
                    streak_bonus: s.streak_bonus,
                })
                .collect(),
        }
    }
}
