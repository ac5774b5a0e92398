//! The party state machine: seats, phases and deadlines, answers, host rights. Pure: every call takes
//! the time (`now`, Unix ms) and returns the frames to send, so tests drive it with a made-up clock.
//!
//! The runtime stores the [`Party`] after every change, as a [`super::stored::StoredParty`] (the
//! engine's types are not a storage format), and a restarted hub loads it back with every member
//! disconnected (see [`Party::restored`]).

use hubbub_protocol::{
    Answer, ErrorCode, LeaveReason, PartyPhase, PartyPlayer, PartyRole, PartySeat, PartySettings,
    PartySnapshot, PhaseClock, PlayerState, ServerFrame, Standing, UserInfo,
};

use super::game::Game;
use super::quiz::Submitted;

mod control;

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
    /// Answers to the open question.
    pub answers: Vec<Submitted>,
    pub last_reveal: Option<hubbub_protocol::RevealView>,
    pub game: Game,
    pub updated_at: i64,
    /// When to close the open question if every connected player has answered by then (set when a
    /// player drops, so a reload does not cost them the question).
    pub settle_at: Option<i64>,
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
            banned: Vec::new(),
            phase: PartyPhase::Lobby,
            round: 0,
            deadline: None,
            paused_remaining: None,
            phase_ms: 0,
            answers: Vec::new(),
            last_reveal: None,
            game,
            updated_at: now,
            settle_at: None,
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
        if self.host_gone_since.is_none() {
            self.host_gone_since = Some(now);
        }
        self
    }

    /// Whether the game is over (podium).
    pub fn finished(&self) -> bool {
        self.phase == PartyPhase::Podium
    }

    fn seat(&self, user: i64) -> Option<&Seat> {
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
        } else if self.audience.iter().any(|(id, _)| *id == user) {
            Some(PartyRole::Audience)
        } else {
            None
        }
    }

    fn timed(&self) -> bool {
        matches!(self.phase, PartyPhase::Countdown | PartyPhase::Question | PartyPhase::Reveal)
    }

    fn remaining(&self, now: i64) -> Option<u64> {
        if !self.timed() {
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
            deadline: if self.timed() { self.deadline } else { None },
            remaining_ms: self.remaining(now),
            paused: self.paused_remaining.is_some(),
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

    /// Joins `user`: a seat if one is free in the lobby and they did not ask to watch, else the audience
    /// when allowed. Someone already in the party keeps their place. Returns their role.
    pub fn join(
        &mut self,
        now: i64,
        user: &UserInfo,
        audience: bool,
    ) -> Result<(PartyRole, Vec<Out>), Refusal> {
        if self.banned.contains(&user.id) {
            return refuse(ErrorCode::Kicked, "the host removed you from this party");
        }
        if let Some(role) = self.role(user.id) {
            return Ok((role, Vec::new()));
        }
        self.updated_at = now;
        let seat_free = self.players.len() < self.settings.max_players as usize;
        if !audience && self.phase == PartyPhase::Lobby && !self.settings.locked && seat_free {
            let seat = Seat {
                user_id: user.id,
                name: user.display_name.clone(),
                ready: false,
                score: 0,
                streak: 0,
                state: PlayerState::Connected,
                gone_since: None,
            };
            self.players.push(seat);
            let player = self.seat(user.id).map(|p| self.public_player(p));
            let frame = ServerFrame::PlayerJoined {
                code: self.code.clone(),
                player,
                audience_count: self.audience_count(),
            };
            return Ok((PartyRole::Player, vec![Out::All(frame)]));
        }
        if !self.settings.audience_allowed {
            let why = if self.settings.locked {
                "the party is locked"
            } else if self.phase != PartyPhase::Lobby {
                "the game has started"
            } else if audience {
                "this party has no audience"
            } else {
                "every seat is taken"
            };
            return refuse(ErrorCode::PartyFull, format!("{why}, and this party allows no audience"));
        }
        if self.audience.len() >= MAX_AUDIENCE {
            return refuse(
                ErrorCode::PartyFull,
                format!("no free seat, and the audience is full ({MAX_AUDIENCE})"),
            );
        }
        self.audience.push((user.id, user.display_name.clone()));
        let frame = ServerFrame::PlayerJoined {
            code: self.code.clone(),
            player: None,
            audience_count: self.audience_count(),
        };
        Ok((PartyRole::Audience, vec![Out::All(frame)]))
    }

    /// `user`'s first connection to the party opened (or reopened).
    pub fn attach(&mut self, now: i64, user: i64) -> Vec<Out> {
        let mut out = Vec::new();
        if let Some(p) = self.seat_mut(user)
            && p.state != PlayerState::Connected
        {
            p.state = PlayerState::Connected;
            p.gone_since = None;
            out.push(Out::All(ServerFrame::PlayerConnection {
                code: self.code.clone(),
                user_id: user,
                state: PlayerState::Connected,
            }));
            out.extend(self.progress_frame(None));
        }
        if self.host_id == user && self.host_gone_since.is_some() {
            self.host_gone_since = None;
            out.push(self.update(now));
        }
        if !out.is_empty() {
            self.updated_at = now;
        }
        out
    }

    /// `user`'s last connection to the party closed.
    pub fn detach(&mut self, now: i64, user: i64) -> Vec<Out> {
        let mut out = Vec::new();
        let code = self.code.clone();
        if let Some(p) = self.seat_mut(user) {
            if p.state == PlayerState::Connected {
                p.state = PlayerState::Reconnecting;
                p.gone_since = Some(now);
                out.push(Out::All(ServerFrame::PlayerConnection {
                    code,
                    user_id: user,
                    state: PlayerState::Reconnecting,
                }));
                out.extend(self.progress_frame(None));
                if self.phase == PartyPhase::Question {
                    self.settle_at = Some(now + SETTLE_MS);
                }
            }
        } else if let Some(i) = self.audience.iter().position(|(id, _)| *id == user) {
            self.audience.remove(i);
            out.push(self.left_frame(user, LeaveReason::Left));
        }
        if self.host_id == user && self.host_gone_since.is_none() {
            self.host_gone_since = Some(now);
            out.push(self.update(now));
        }
        if !out.is_empty() {
            self.updated_at = now;
        }
        out
    }

    fn left_frame(&self, user: i64, reason: LeaveReason) -> Out {
        Out::All(ServerFrame::PlayerLeft {
            code: self.code.clone(),
            user_id: user,
            reason,
            audience_count: self.audience_count(),
        })
    }

    /// `user` gives up their seat or stops watching. A leaving host hands over at once when they can.
    pub fn leave(&mut self, now: i64, user: i64) -> Result<Vec<Out>, Refusal> {
        let mut out = Vec::new();
        if let Some(i) = self.players.iter().position(|p| p.user_id == user) {
            self.players.remove(i);
            out.push(self.left_frame(user, LeaveReason::Left));
            out.extend(self.progress_frame(None));
            out.extend(self.close_if_all_answered(now));
        } else if let Some(i) = self.audience.iter().position(|(id, _)| *id == user) {
            self.audience.remove(i);
            out.push(self.left_frame(user, LeaveReason::Left));
        } else if self.host_id != user {
            return refuse(ErrorCode::NotInParty, "you are not in this party");
        }
        if self.host_id == user {
            self.host_gone_since = Some(now);
            self.hand_over(now, &mut out);
        }
        self.updated_at = now;
        Ok(out)
    }

    /// A player readies up (or not) in the lobby.
    pub fn ready(&mut self, now: i64, user: i64, ready: bool) -> Result<Vec<Out>, Refusal> {
        if self.phase != PartyPhase::Lobby {
            return refuse(ErrorCode::WrongPhase, "ready only counts in the lobby");
        }
        let code = self.code.clone();
        let Some(p) = self.seat_mut(user) else {
            return refuse(ErrorCode::NotAPlayer, "only seated players ready up");
        };
        if p.ready == ready {
            return Ok(Vec::new());
        }
        p.ready = ready;
        self.updated_at = now;
        Ok(vec![Out::All(ServerFrame::PlayerReady { code, user_id: user, ready })])
    }

    fn host_only(&self, user: i64) -> Result<(), Refusal> {
        if self.host_id == user { Ok(()) } else { refuse(ErrorCode::NotHost, "only the host can do that") }
    }

    /// The host starts the game: scores reset, countdown.
    pub fn start(&mut self, now: i64, user: i64) -> Result<Vec<Out>, Refusal> {
        self.host_only(user)?;
        if self.phase != PartyPhase::Lobby {
            return refuse(ErrorCode::WrongPhase, "the game is already running");
        }
        let ready = self.players.iter().filter(|p| p.ready).count();
        let min = self.game.min_players() as usize;
        if ready < min {
            return refuse(
                ErrorCode::NotEnoughReady,
                format!("{ready} of the {min} ready players this game needs are ready"),
            );
        }
        for p in &mut self.players {
            p.score = 0;
            p.streak = 0;
        }
        let mut out = vec![Out::All(ServerFrame::SessionStarted {
            code: self.code.clone(),
            rounds: self.game.rounds(),
            server_time: now,
        })];
        self.enter(now, PartyPhase::Countdown, 0, self.timing.countdown_ms, &mut out);
        Ok(out)
    }

    fn enter(&mut self, now: i64, phase: PartyPhase, round: u32, ms: u64, out: &mut Vec<Out>) {
        self.phase = phase;
        self.round = round;
        self.paused_remaining = None;
        self.settle_at = None;
        self.phase_ms = ms;
        self.deadline = self.timed().then(|| now + i64::try_from(ms).unwrap_or(i64::MAX / 2));
        self.updated_at = now;
        let question = (phase == PartyPhase::Question).then(|| self.game.view(round)).flatten().map(Box::new);
        let reveal = (phase == PartyPhase::Reveal).then(|| self.last_reveal.clone()).flatten().map(Box::new);
        let leaderboard = if matches!(phase, PartyPhase::Reveal | PartyPhase::Podium) {
            self.leaderboard()
        } else {
            Vec::new()
        };
        out.push(Out::All(ServerFrame::PhaseTransition {
            code: self.code.clone(),
            clock: self.clock(now),
            question,
            reveal,
            leaderboard,
        }));
        if phase == PartyPhase::Question {
            out.extend(self.progress_frame(None));
        }
        if phase == PartyPhase::Podium {
            out.push(Out::All(ServerFrame::SessionCompleted {
                code: self.code.clone(),
                results: self.leaderboard(),
            }));
        }
    }

    /// How far the open question is; `who` is the player whose answer it counts.
    fn progress_frame(&self, who: Option<i64>) -> Option<Out> {
        (self.phase == PartyPhase::Question).then(|| {
            let (answered, eligible) = self.progress();
            Out::All(ServerFrame::ProgressUpdate {
                code: self.code.clone(),
                round: self.round,
                answered,
                eligible,
                answered_by: who,
            })
        })
    }

    /// Ends the current timed phase and enters the next.
    fn advance(&mut self, now: i64, out: &mut Vec<Out>) {
        match self.phase {
            PartyPhase::Countdown => {
                self.answers.clear();
                let ms = self.game.time_limit_ms(0);
                self.enter(now, PartyPhase::Question, 0, ms, out);
            }
            PartyPhase::Question => {
                let seated: Vec<(i64, u32)> = self.players.iter().map(|p| (p.user_id, p.streak)).collect();
                let (reveal, streaks) = self.game.score(self.round, &self.answers, &seated);
                for s in &reveal.scores {
                    if let Some(p) = self.seat_mut(s.user_id) {
                        p.score += s.points;
                    }
                }
                for (user, streak) in streaks {
                    if let Some(p) = self.seat_mut(user) {
                        p.streak = streak;
                    }
                }
                self.last_reveal = Some(reveal);
                self.enter(now, PartyPhase::Reveal, self.round, self.timing.reveal_ms, out);
            }
            PartyPhase::Reveal if self.round + 1 < self.game.rounds() => {
                self.answers.clear();
                let next = self.round + 1;
                let ms = self.game.time_limit_ms(next);
                self.enter(now, PartyPhase::Question, next, ms, out);
            }
            PartyPhase::Reveal => self.enter(now, PartyPhase::Podium, self.round, 0, out),
            PartyPhase::Lobby | PartyPhase::Podium => {}
        }
    }

    /// Closes the open question early once every connected player has answered.
    fn close_if_all_answered(&mut self, now: i64) -> Vec<Out> {
        let mut out = Vec::new();
        let (answered, eligible) = self.progress();
        if self.phase == PartyPhase::Question && eligible > 0 && answered == eligible {
            self.advance(now, &mut out);
        }
        out
    }

    /// A player answers question `round`. The first answer counts; a resend returns `Ok(true)` (a
    /// duplicate) and changes nothing.
    pub fn answer(
        &mut self,
        now: i64,
        user: i64,
        round: u32,
        answer: Answer,
    ) -> Result<(bool, Vec<Out>), Refusal> {
        if self.seat(user).is_none() {
            return refuse(ErrorCode::NotAPlayer, "only seated players answer");
        }
        if self.answers.iter().any(|a| a.user_id == user) && self.round == round {
            return Ok((true, Vec::new()));
        }
        if self.phase != PartyPhase::Question || self.round != round {
            return refuse(ErrorCode::WrongPhase, format!("question {} is not open", round + 1));
        }
        self.game.check(round, &answer).map_err(|m| Refusal::new(ErrorCode::InvalidAnswer, m))?;
        let left = self.remaining(now).unwrap_or(0);
        let elapsed_ms = self.phase_ms.saturating_sub(left);
        self.answers.push(Submitted { user_id: user, answer, elapsed_ms });
        self.updated_at = now;
        let mut out: Vec<Out> = self.progress_frame(Some(user)).into_iter().collect();
        out.extend(self.close_if_all_answered(now));
        Ok((false, out))
    }

    /// When the next timer fires: the phase deadline, a held seat's or the host's grace.
    pub fn next_wake(&self) -> Option<i64> {
        let grace = i64::try_from(self.timing.grace_ms).unwrap_or(0);
        let seats = self.players.iter().filter_map(|p| p.gone_since.map(|g| g + grace));
        // Host rights wait for a connected player to pass to; without one there is nothing to wake for.
        let successor =
            self.players.iter().any(|p| p.state == PlayerState::Connected && p.user_id != self.host_id);
        let host = self.host_gone_since.filter(|_| successor).map(|g| g + grace);
        seats.chain(host).chain(self.deadline).chain(self.settle_at).min()
    }

    /// Fires every timer due at `now`.
    pub fn tick(&mut self, now: i64) -> Vec<Out> {
        let mut out = Vec::new();
        if self.settle_at.is_some_and(|t| t <= now) {
            self.settle_at = None;
            out.extend(self.close_if_all_answered(now));
        }
        if self.deadline.is_some_and(|d| d <= now) {
            self.advance(now, &mut out);
        }
        let grace = i64::try_from(self.timing.grace_ms).unwrap_or(0);
        let expired: Vec<i64> = self
            .players
            .iter()
            .filter(|p| p.gone_since.is_some_and(|g| g + grace <= now))
            .map(|p| p.user_id)
            .collect();
        for user in expired {
            if self.phase == PartyPhase::Lobby {
                self.players.retain(|p| p.user_id != user);
                out.push(self.left_frame(user, LeaveReason::TimedOut));
            } else if let Some(p) = self.seat_mut(user) {
                p.state = PlayerState::Away;
                p.gone_since = None;
                out.push(Out::All(ServerFrame::PlayerConnection {
                    code: self.code.clone(),
                    user_id: user,
                    state: PlayerState::Away,
                }));
            }
        }
        if self.host_gone_since.is_some_and(|g| g + grace <= now) {
            self.hand_over(now, &mut out);
        }
        if !out.is_empty() {
            self.updated_at = now;
        }
        out
    }
}
