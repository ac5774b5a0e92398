//! The party state machine: seats, phases and deadlines, answers, host rights. Pure: every call takes
//! the time (`now`, Unix ms) and returns the frames to send, so tests drive it with a made-up clock.
//! This file holds the state and what clients see of it; `seats.rs` joining, leaving and coming back,
//! `phases.rs` the game's phases, answers and timers (with each player's own time), `control.rs` host
//! actions, `remote.rs` the host's remote link and the big screen.
//!
//! The runtime stores the [`Party`] after every change, as a [`super::stored::StoredParty`] (the
//! engine's types are not a storage format), and a restarted hub loads it back with every member
//! disconnected (see [`Party::restored`]).

use hubbub_protocol::{
    ErrorCode, PartyPhase, PartyPlayer, PartyRole, PartySeat, PartySettings, PartySnapshot, PhaseClock,
    PlayerState, ServerFrame, Standing, UserInfo,
};

use super::game::Game;
use super::quiz::Submitted;
use super::results::GameLog;

mod control;
mod phases;
mod remote;
mod seats;

pub use remote::REMOTE_TTL_MS;

/// The longest a host may extend a phase at once, in ms.
pub const MAX_EXTEND_MS: u64 = 120_000;
/// Most watchers in one party (every list the hub keeps is bounded).
pub const MAX_AUDIENCE: usize = 2_000;
/// When a drop leaves only players who have answered, the question closes this much later unless
/// the dropped player is back by then (a phone reload takes a second or two): ms.
pub const SETTLE_MS: i64 = 3_000;

/// How long the timed phases last (the questions' own limits come from the game).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub countdown_ms: u64,
    pub reveal_ms: u64,
    /// Seat held for a dropped player; host rights held for a dropped host.
    pub grace_ms: u64,
    /// How often a socket in a party is pinged (told to clients; the sockets do the pinging).
    pub heartbeat_ms: u64,
}

/// A seated player.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    pub user_id: i64,
    pub name: String,
    pub ready: bool,
    pub score: i64,
    pub streak: u32,
    pub state: PlayerState,
    /// When the player's last connection closed (while reconnecting).
    pub gone_since: Option<i64>,
    /// Their share of each question's time limit, in percent (100 normally; the host gives more).
    pub time_factor_pct: u32,
}

impl Seat {
    /// A new seat for `user`, connected, with `score`.
    pub fn new(user: &UserInfo, score: i64) -> Seat {
        Seat {
            user_id: user.id,
            name: user.display_name.clone(),
            ready: false,
            score,
            streak: 0,
            state: PlayerState::Connected,
            gone_since: None,
            time_factor_pct: 100,
        }
    }
}

/// Where a frame goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// To every connection on the party's channel.
    All(ServerFrame),
    /// To one user's connections on the party's channel.
    User(i64, ServerFrame),
    /// A kicked user: take their connections off the channel.
    Evict(i64),
}

pub use crate::error::Refusal;

fn refuse<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(code, message))
}

/// One party.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub code: String,
    pub join_url: String,
    pub settings: PartySettings,
    pub timing: Timing,
    pub host_id: i64,
    pub host_name: String,
    /// When the host's last connection closed, if they are gone.
    pub host_gone_since: Option<i64>,
    pub players: Vec<Seat>,
    /// Watchers: id and name.
    pub audience: Vec<(i64, String)>,
    /// The big screen (id and name) while the host drives from another device.
    pub screen: Option<(i64, String)>,
    /// Whether the big screen has a connection on the party (not stored: nobody is after a restart).
    pub screen_connected: bool,
    /// The host's remote link: its token and when it expires. Not stored (a restart cancels it).
    pub remote: Option<(String, i64)>,
    /// Kicked users, who cannot come back.
    pub banned: Vec<i64>,
    pub phase: PartyPhase,
    pub round: u32,
    /// When the current timed phase ends (absent while paused and in untimed phases).
    pub deadline: Option<i64>,
    /// Time left in a paused phase.
    pub paused_remaining: Option<u64>,
    /// Full length of the current timed phase (grows with extensions), for answer times.
    pub phase_ms: u64,
    /// When the current phase began.
    pub phase_started_at: i64,
    /// Answers to the open question.
    pub answers: Vec<Submitted>,
    pub last_reveal: Option<hubbub_protocol::RevealView>,
    pub game: Game,
    pub updated_at: i64,
    /// When to close the open question if every connected player has answered by then (set when a
    /// player drops, so a reload does not cost them the question).
    pub settle_at: Option<i64>,
    /// The latest game's record (answers and reveals per question), kept until the next start.
    pub log: Option<GameLog>,
}

impl Party {
    /// A new party in its lobby, hosted by `host`.
    pub fn new(
        code: String,
        join_url: String,
        host: &UserInfo,
        settings: PartySettings,
        timing: Timing,
        game: Game,
        now: i64,
    ) -> Party {
        Party {
            code,
            join_url,
            settings,
            timing,
            host_id: host.id,
            host_name: host.display_name.clone(),
            host_gone_since: Some(now),
            players: Vec::new(),
            audience: Vec::new(),
            screen: None,
            screen_connected: false,
            remote: None,
            banned: Vec::new(),
            phase: PartyPhase::Lobby,
            round: 0,
            deadline: None,
            paused_remaining: None,
            phase_ms: 0,
            phase_started_at: now,
            answers: Vec::new(),
            last_reveal: None,
            game,
            updated_at: now,
            settle_at: None,
            log: None,
        }
    }

    /// The party as loaded after a hub restart: nobody is connected, so every seat and the host's
    /// rights start their grace window now; the phase and its deadline are as stored.
    pub fn restored(mut self, now: i64, timing: Timing) -> Party {
        self.timing = timing;
        for p in &mut self.players {
            if p.state == PlayerState::Connected {
                p.state = PlayerState::Reconnecting;
                p.gone_since = Some(now);
            }
        }
        self.audience.clear();
        self.screen_connected = false;
        self.remote = None;
        if self.host_gone_since.is_none() {
            self.host_gone_since = Some(now);
        }
        self
    }

    /// Whether the game is over (podium).
    pub fn finished(&self) -> bool {
        self.phase == PartyPhase::Podium
    }

    /// The seat of `user`, if they have one.
    pub fn seat(&self, user: i64) -> Option<&Seat> {
        self.players.iter().find(|p| p.user_id == user)
    }

    fn seat_mut(&mut self, user: i64) -> Option<&mut Seat> {
        self.players.iter_mut().find(|p| p.user_id == user)
    }

    /// The role `user` has now, if any.
    pub fn role(&self, user: i64) -> Option<PartyRole> {
        if self.seat(user).is_some() {
            Some(PartyRole::Player)
        } else if self.host_id == user {
            Some(PartyRole::Host)
        } else if self.screen.as_ref().is_some_and(|(id, _)| *id == user) {
            Some(PartyRole::Screen)
        } else if self.audience.iter().any(|(id, _)| *id == user) {
            Some(PartyRole::Audience)
        } else {
            None
        }
    }

    /// Whether a game phase is under way (countdown, question, reveal), timed or not.
    fn running(&self) -> bool {
        matches!(self.phase, PartyPhase::Countdown | PartyPhase::Question | PartyPhase::Reveal)
    }

    /// Whether the current phase has a timer (running or paused); an untimed game's questions and
    /// reveals have none.
    fn has_timer(&self) -> bool {
        self.running() && (self.deadline.is_some() || self.paused_remaining.is_some())
    }

    fn remaining(&self, now: i64) -> Option<u64> {
        if !self.running() {
            return None;
        }
        self.paused_remaining.or_else(|| self.deadline.map(|d| u64::try_from(d - now).unwrap_or(0)))
    }

    /// The phase clock as clients see it.
    pub fn clock(&self, now: i64) -> PhaseClock {
        PhaseClock {
            phase: self.phase,
            round: self.round,
            rounds: self.game.rounds(),
            server_time: now,
            deadline: if self.running() { self.deadline } else { None },
            remaining_ms: self.remaining(now),
            paused: self.paused_remaining.is_some(),
            overtime_ms: self.overtime_ms(),
        }
    }

    fn public_player(&self, p: &Seat) -> PartyPlayer {
        PartyPlayer {
            user_id: p.user_id,
            display_name: p.name.clone(),
            ready: p.ready,
            score: p.score,
            streak: p.streak,
            state: p.state,
            answered: self.phase == PartyPhase::Question
                && self.answers.iter().any(|a| a.user_id == p.user_id),
            time_factor_pct: p.time_factor_pct,
        }
    }

    /// Standings, best first; equal scores share a rank.
    pub fn leaderboard(&self) -> Vec<Standing> {
        let mut sorted: Vec<&Seat> = self.players.iter().collect();
        sorted.sort_by_key(|p| std::cmp::Reverse(p.score));
        let mut out: Vec<Standing> = Vec::with_capacity(sorted.len());
        for (i, p) in sorted.iter().enumerate() {
            let rank = match out.last() {
                Some(prev) if prev.score == p.score => prev.rank,
                _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
            };
            out.push(Standing { rank, user_id: p.user_id, display_name: p.name.clone(), score: p.score });
        }
        out
    }

    /// (answered, eligible): eligible players are the connected ones.
    pub fn progress(&self) -> (u32, u32) {
        let connected = self.players.iter().filter(|p| p.state == PlayerState::Connected);
        let (mut answered, mut eligible) = (0u32, 0u32);
        for p in connected {
            eligible += 1;
            if self.answers.iter().any(|a| a.user_id == p.user_id) {
                answered += 1;
            }
        }
        (answered, eligible)
    }

    /// The whole state; `you` is the receiving user's seat when it goes to one connection.
    pub fn snapshot(&self, now: i64, you: Option<i64>) -> PartySnapshot {
        let (answered, eligible) = self.progress();
        let question = matches!(self.phase, PartyPhase::Question | PartyPhase::Reveal)
            .then(|| self.game.view(self.round))
            .flatten();
        PartySnapshot {
            code: self.code.clone(),
            join_url: self.join_url.clone(),
            chat_channel: super::chat::channel(&self.code).to_string(),
            title: self.game.title().to_owned(),
            settings: self.settings.clone(),
            host_id: self.host_id,
            host_name: self.host_name.clone(),
            host_connected: self.host_gone_since.is_none(),
            screen_id: self.screen.as_ref().map(|(id, _)| *id),
            heartbeat_ms: u32::try_from(self.timing.heartbeat_ms).unwrap_or(u32::MAX),
            clock: self.clock(now),
            players: self.players.iter().map(|p| self.public_player(p)).collect(),
            audience_count: self.audience_count(),
            min_players: self.game.min_players(),
            question,
            reveal: if self.phase == PartyPhase::Reveal { self.last_reveal.clone() } else { None },
            answered,
            eligible,
            leaderboard: if self.round > 0
                || self.phase != PartyPhase::Lobby && self.phase != PartyPhase::Countdown
            {
                self.leaderboard()
            } else {
                Vec::new()
            },
            you: you.and_then(|u| self.seat_of(u)),
        }
    }

    fn seat_of(&self, user: i64) -> Option<PartySeat> {
        let role = self.role(user)?;
        let answer = (self.phase == PartyPhase::Question)
            .then(|| self.answers.iter().find(|a| a.user_id == user).map(|a| a.answer.clone()))
            .flatten();
        Some(PartySeat { role, is_host: self.host_id == user, answer })
    }

    fn update(&self, now: i64) -> Out {
        Out::All(ServerFrame::SessionUpdate { party: Box::new(self.snapshot(now, None)) })
    }

    fn audience_count(&self) -> u32 {
        u32::try_from(self.audience.len()).unwrap_or(u32::MAX)
    }

    fn host_only(&self, user: i64) -> Result<(), Refusal> {
        if self.host_id == user { Ok(()) } else { refuse(ErrorCode::NotHost, "only the host can do that") }
    }
}
