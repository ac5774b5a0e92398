//! Host actions on a party (kick, lock, skip, extend, pause, resume, transfer, nudge, play again,
//! time factors, settings) and how host rights pass from one member to another.

use hubbub_protocol::{ErrorCode, HostAction, LeaveReason, PartyPhase, PlayerState, ServerFrame};

use super::phases::TIME_FACTORS;
use super::{MAX_EXTEND_MS, Out, Party, Refusal, refuse};

impl Party {
    /// A host action.
    pub fn control(&mut self, now: i64, user: i64, action: &HostAction) -> Result<Vec<Out>, Refusal> {
        self.host_only(user)?;
        let mut out = Vec::new();
        match *action {
            HostAction::Kick { user_id } => {
                if user_id == user {
                    return refuse(ErrorCode::InvalidParty, "you cannot kick yourself");
                }
                let was_player = self.players.iter().any(|p| p.user_id == user_id);
                let was_screen = self.screen.as_ref().is_some_and(|(id, _)| *id == user_id);
                let before = self.players.len() + self.audience.len();
                self.players.retain(|p| p.user_id != user_id);
                self.audience.retain(|(id, _)| *id != user_id);
                if was_screen {
                    self.screen = None;
                } else if before == self.players.len() + self.audience.len() {
                    return refuse(ErrorCode::NotInParty, "that user is not in this party");
                }
                self.banned.push(user_id);
                out.push(self.left_frame(user_id, LeaveReason::Kicked));
                out.push(Out::Evict(user_id));
                if was_player {
                    out.extend(self.progress_frame(None));
                    out.extend(self.close_if_all_answered(now));
                }
            }
            HostAction::Lock { locked } => {
                self.settings.locked = locked;
                out.push(self.update(now));
            }
            HostAction::Skip => {
                if !self.running() {
                    return refuse(ErrorCode::WrongPhase, "only a running phase can be skipped");
                }
                self.advance(now, &mut out);
            }
            HostAction::Extend { ms } => {
                if !self.has_timer() {
                    return refuse(ErrorCode::WrongPhase, "only a running timer can be extended");
                }
                if ms == 0 || ms > MAX_EXTEND_MS {
                    return refuse(ErrorCode::InvalidParty, format!("extend by 1 to {MAX_EXTEND_MS} ms"));
                }
                self.phase_ms += ms;
                match (&mut self.paused_remaining, &mut self.deadline) {
                    (Some(left), _) => *left += ms,
                    (None, Some(d)) => *d += i64::try_from(ms).unwrap_or(0),
                    (None, None) => {}
                }
                out.push(self.update(now));
            }
            HostAction::Pause => {
                if !self.has_timer() || self.paused_remaining.is_some() {
                    return refuse(ErrorCode::WrongPhase, "nothing running to pause");
                }
                self.paused_remaining = self.remaining(now);
                self.deadline = None;
                out.push(self.update(now));
            }
            HostAction::Resume => {
                if !self.resume(now) {
                    return refuse(ErrorCode::WrongPhase, "the party is not paused");
                }
                out.push(self.update(now));
            }
            HostAction::TransferHost { user_id } => {
                let Some(name) = self.member_name(user_id) else {
                    return refuse(ErrorCode::NotInParty, "host rights go to a member of the party");
                };
                self.give_host(now, user_id, name);
                out.push(self.update(now));
            }
            HostAction::Ping { user_id } => {
                let targets: Vec<i64> = match user_id {
                    Some(id) if self.role(id).is_some() => vec![id],
                    Some(_) => return refuse(ErrorCode::NotInParty, "that user is not in this party"),
                    None => self.idle_players(),
                };
                for id in targets {
                    out.push(Out::User(
                        id,
                        ServerFrame::HostPing {
                            code: self.code.clone(),
                            from_user_id: user,
                            from_name: self.host_name.clone(),
                            phase: self.phase,
                        },
                    ));
                }
            }
            HostAction::PlayAgain => {
                if self.phase != PartyPhase::Podium {
                    return refuse(ErrorCode::WrongPhase, "play again comes after the podium");
                }
                // Players who left give up their seats; the others keep them, scores back to 0.
                self.players.retain(|p| p.state != PlayerState::Away);
                for p in &mut self.players {
                    p.score = 0;
                    p.streak = 0;
                    p.ready = false;
                }
                self.answers.clear();
                self.last_reveal = None;
                self.enter(now, PartyPhase::Lobby, 0, 0, &mut out);
                out.push(self.update(now));
            }
            HostAction::TimeFactor { user_id, percent } => {
                if !TIME_FACTORS.contains(&percent) {
                    return refuse(
                        ErrorCode::InvalidParty,
                        format!(
                            "a time factor is {} to {} percent",
                            TIME_FACTORS.start(),
                            TIME_FACTORS.end()
                        ),
                    );
                }
                let Some(p) = self.seat_mut(user_id) else {
                    return refuse(ErrorCode::NotAPlayer, "only seated players have a time factor");
                };
                p.time_factor_pct = percent;
                out.push(self.update(now));
            }
            HostAction::Configure { untimed, late_join, late_score } => {
                if let Some(v) = untimed {
                    self.settings.untimed = v;
                }
                if let Some(v) = late_join {
                    self.settings.late_join = v;
                }
                if let Some(v) = late_score {
                    self.settings.late_score = v;
                }
                out.push(self.update(now));
            }
        }
        self.updated_at = now;
        Ok(out)
    }

    fn resume(&mut self, now: i64) -> bool {
        let Some(left) = self.paused_remaining.take() else { return false };
        self.deadline = Some(now + i64::try_from(left).unwrap_or(0));
        true
    }

    /// Players the host may nudge: not ready (lobby) or not answered (question).
    fn idle_players(&self) -> Vec<i64> {
        self.players
            .iter()
            .filter(|p| match self.phase {
                PartyPhase::Lobby => !p.ready,
                PartyPhase::Question => !self.answers.iter().any(|a| a.user_id == p.user_id),
                _ => false,
            })
            .map(|p| p.user_id)
            .collect()
    }

    fn member_name(&self, user: i64) -> Option<String> {
        self.seat(user)
            .map(|p| p.name.clone())
            .or_else(|| self.audience.iter().find(|(id, _)| *id == user).map(|(_, n)| n.clone()))
            .or_else(|| self.screen.as_ref().filter(|(id, _)| *id == user).map(|(_, n)| n.clone()))
    }

    /// Gives host rights to `user`. A connected host who had no seat stays on as audience; a paused
    /// game resumes, so a handover never leaves the party stuck.
    fn give_host(&mut self, now: i64, user: i64, name: String) {
        let old = self.host_id;
        let old_watches = self.seat(old).is_some() || self.audience.iter().any(|(id, _)| *id == old);
        if !old_watches && self.host_gone_since.is_none() {
            self.audience.push((old, self.host_name.clone()));
        }
        self.audience.retain(|(id, _)| *id != user);
        let mut connected = self.seat(user).is_none_or(|p| p.state == PlayerState::Connected);
        if self.screen.as_ref().is_some_and(|(id, _)| *id == user) {
            connected = self.screen_connected;
            self.screen = None;
            self.screen_connected = false;
        }
        self.host_id = user;
        self.host_name = name;
        self.host_gone_since = if connected { None } else { Some(now) };
        self.resume(now);
    }

    /// Who host rights would pass to now: the big screen's user when connected (the host who handed
    /// their rights to a remote), else the first connected player.
    pub(super) fn successor(&self) -> Option<(i64, String)> {
        self.screen.clone().filter(|_| self.screen_connected).or_else(|| {
            self.players
                .iter()
                .find(|p| p.state == PlayerState::Connected && p.user_id != self.host_id)
                .map(|p| (p.user_id, p.name.clone()))
        })
    }

    /// Passes host rights to [`Party::successor`], if there is one.
    pub(super) fn hand_over(&mut self, now: i64, out: &mut Vec<Out>) {
        if let Some((id, name)) = self.successor() {
            self.give_host(now, id, name);
            out.push(self.update(now));
        }
    }
}
