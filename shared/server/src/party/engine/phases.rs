//! The game's phases: starting, entering a phase, answers, and the timers (the phase deadline, each
//! player's own extended time on a question, held seats and host rights).

use hubbub_protocol::{Answer, ErrorCode, LeaveReason, PartyPhase, PlayerState, ServerFrame};

use super::{Out, Party, Refusal, refuse};
use crate::party::quiz::Submitted;
use crate::party::results::{GameLog, LogPlayer, RoundRecord};

/// Time factors the host may give, in percent of a question's time.
pub const TIME_FACTORS: std::ops::RangeInclusive<u32> = 100..=300;

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX / 4)
}

/// Appends `next` to `out`, folding a progress update that follows another of the same question into
/// it: the later counts win, and the players both counted are listed.
fn merge_progress(out: &mut Vec<Out>, next: Out) {
    if let (
        Some(Out::All(ServerFrame::ProgressUpdate {
            round,
            answered,
            eligible,
            answered_by,
            answered_ids,
            ..
        })),
        Out::All(ServerFrame::ProgressUpdate {
            round: next_round,
            answered: next_answered,
            eligible: next_eligible,
            answered_by: next_by,
            ..
        }),
    ) = (out.last_mut(), &next)
        && *round == *next_round
    {
        if answered_ids.is_empty() {
            answered_ids.extend(*answered_by);
        }
        answered_ids.extend(*next_by);
        (*answered, *eligible) = (*next_answered, *next_eligible);
        *answered_by = next_by.or(*answered_by);
        return;
    }
    out.push(next);
}

impl Party {
    /// The host starts the game: scores reset, countdown, and a new record of the game.
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
        self.log = Some(GameLog {
            started_at: now,
            finished_at: None,
            players: self
                .players
                .iter()
                .map(|p| LogPlayer { user_id: p.user_id, name: p.name.clone(), start_score: 0 })
                .collect(),
            rounds: Vec::new(),
        });
        let mut out = vec![Out::All(ServerFrame::SessionStarted {
            code: self.code.clone(),
            rounds: self.game.rounds(),
            server_time: now,
        })];
        self.enter(now, PartyPhase::Countdown, 0, self.timing.countdown_ms, &mut out);
        Ok(out)
    }

    pub(super) fn enter(&mut self, now: i64, phase: PartyPhase, round: u32, len: u64, out: &mut Vec<Out>) {
        self.phase = phase;
        self.round = round;
        self.paused_remaining = None;
        self.settle_at = None;
        self.phase_ms = len;
        self.phase_started_at = now;
        let untimed = self.settings.untimed && matches!(phase, PartyPhase::Question | PartyPhase::Reveal);
        self.deadline = (self.running() && !untimed).then(|| now + ms(len));
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
            if let Some(log) = &mut self.log {
                log.finished_at = Some(now);
            }
            out.push(Out::All(ServerFrame::SessionCompleted {
                code: self.code.clone(),
                results: self.leaderboard(),
            }));
        }
    }

    /// How far the open question is; `who` is the player whose answer it counts.
    pub(super) fn progress_frame(&self, who: Option<i64>) -> Option<Out> {
        (self.phase == PartyPhase::Question).then(|| {
            let (answered, eligible) = self.progress();
            Out::All(ServerFrame::ProgressUpdate {
                code: self.code.clone(),
                round: self.round,
                answered,
                eligible,
                answered_by: who,
                answered_ids: Vec::new(),
            })
        })
    }

    /// Ends the current phase and enters the next.
    pub(super) fn advance(&mut self, now: i64, out: &mut Vec<Out>) {
        match self.phase {
            PartyPhase::Countdown => {
                self.answers.clear();
                let len = self.game.time_limit_ms(0);
                self.enter(now, PartyPhase::Question, 0, len, out);
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
                if let Some(log) = &mut self.log {
                    log.rounds.push(RoundRecord {
                        round: self.round,
                        answers: self.answers.clone(),
                        reveal: reveal.clone(),
                    });
                }
                self.last_reveal = Some(reveal);
                self.enter(now, PartyPhase::Reveal, self.round, self.timing.reveal_ms, out);
            }
            PartyPhase::Reveal if self.round + 1 < self.game.rounds() => {
                self.answers.clear();
                let next = self.round + 1;
                let len = self.game.time_limit_ms(next);
                self.enter(now, PartyPhase::Question, next, len, out);
            }
            PartyPhase::Reveal => self.enter(now, PartyPhase::Podium, self.round, 0, out),
            PartyPhase::Lobby | PartyPhase::Podium => {}
        }
    }

    /// Closes the open question early once every connected player has answered.
    pub(super) fn close_if_all_answered(&mut self, now: i64) -> Vec<Out> {
        let mut out = Vec::new();
        let (answered, eligible) = self.progress();
        if self.phase == PartyPhase::Question && eligible > 0 && answered == eligible {
            self.advance(now, &mut out);
        }
        out
    }

    /// The extra time `user` has on the open question beyond its deadline, in ms (their time
    /// factor over 100 % of the question's limit).
    pub fn bonus_ms(&self, user: i64) -> u64 {
        let pct = self.seat(user).map_or(100, |p| p.time_factor_pct);
        self.game.time_limit_ms(self.round) * u64::from(pct.saturating_sub(100)) / 100
    }

    /// How long the open question stays open past its deadline for players with more time who have
    /// not answered yet (none for players who left).
    pub fn overtime_ms(&self) -> Option<u64> {
        if self.phase != PartyPhase::Question || !self.has_timer() {
            return None;
        }
        self.players
            .iter()
            .filter(|p| p.state != PlayerState::Away && !self.answers.iter().any(|a| a.user_id == p.user_id))
            .map(|p| self.bonus_ms(p.user_id))
            .max()
            .filter(|b| *b > 0)
    }

    /// When the current phase ends: its deadline, later for a question while a player with more
    /// time may still answer.
    fn phase_end(&self) -> Option<i64> {
        self.deadline.map(|d| d + ms(self.overtime_ms().unwrap_or(0)))
    }

    /// A player answers question `round`. The first answer counts; a resend returns `Ok(true)` (a
    /// duplicate) and changes nothing. A player whose own time is up is refused.
    pub fn answer(
        &mut self,
        now: i64,
        user: i64,
        round: u32,
        answer: Answer,
    ) -> Result<(bool, Vec<Out>), Refusal> {
        let Some(seat) = self.seat(user) else {
            return refuse(ErrorCode::NotAPlayer, "only seated players answer");
        };
        let factor = seat.time_factor_pct;
        if self.answers.iter().any(|a| a.user_id == user) && self.round == round {
            return Ok((true, Vec::new()));
        }
        if self.phase != PartyPhase::Question || self.round != round {
            return refuse(ErrorCode::WrongPhase, format!("question {} is not open", round + 1));
        }
        if self.deadline.is_some_and(|d| now > d + ms(self.bonus_ms(user))) {
            return refuse(ErrorCode::WrongPhase, format!("your time for question {} is up", round + 1));
        }
        self.game.check(round, &answer).map_err(|m| Refusal::new(ErrorCode::InvalidAnswer, m))?;
        let elapsed_ms = match (self.paused_remaining, self.deadline) {
            (Some(left), _) => self.phase_ms.saturating_sub(left),
            (None, Some(d)) => u64::try_from(ms(self.phase_ms) - (d - now)).unwrap_or(0),
            (None, None) => u64::try_from(now - self.phase_started_at).unwrap_or(0),
        };
        // Speed counts against the player's own time; an untimed game does not hurry anyone.
        let scored_ms = if self.has_timer() { elapsed_ms * 100 / u64::from(factor.max(100)) } else { 0 };
        self.answers.push(Submitted { user_id: user, answer, elapsed_ms, scored_ms });
        self.updated_at = now;
        let mut out: Vec<Out> = self.progress_frame(Some(user)).into_iter().collect();
        out.extend(self.close_if_all_answered(now));
        Ok((false, out))
    }

    /// Answers that arrived together, in order, as one change: each gets its own outcome, and the
    /// progress updates they cause are merged into one (`answered_ids`), so a crowd answering at
    /// once costs every phone one frame per batch rather than one per answer.
    pub fn answer_many(
        &mut self,
        now: i64,
        answers: Vec<(i64, u32, Answer)>,
    ) -> (Vec<Result<bool, Refusal>>, Vec<Out>) {
        let mut results = Vec::with_capacity(answers.len());
        let mut out: Vec<Out> = Vec::new();
        for (user, round, answer) in answers {
            match self.answer(now, user, round, answer) {
                Ok((duplicate, o)) => {
                    results.push(Ok(duplicate));
                    for o in o {
                        merge_progress(&mut out, o);
                    }
                }
                Err(refusal) => results.push(Err(refusal)),
            }
        }
        (results, out)
    }

    /// When the next timer fires: the phase's end, a held seat's or the host's grace.
    pub fn next_wake(&self) -> Option<i64> {
        let grace = ms(self.timing.grace_ms);
        let seats = self.players.iter().filter_map(|p| p.gone_since.map(|g| g + grace));
        // Host rights wait for someone connected to pass to; without one there is nothing to wake for.
        let host = self.host_gone_since.filter(|_| self.successor().is_some()).map(|g| g + grace);
        seats.chain(host).chain(self.phase_end()).chain(self.settle_at).min()
    }

    /// Fires every timer due at `now`.
    pub fn tick(&mut self, now: i64) -> Vec<Out> {
        let mut out = Vec::new();
        if self.settle_at.is_some_and(|t| t <= now) {
            self.settle_at = None;
            out.extend(self.close_if_all_answered(now));
        }
        if self.phase_end().is_some_and(|d| d <= now) {
            self.advance(now, &mut out);
        }
        let grace = ms(self.timing.grace_ms);
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
