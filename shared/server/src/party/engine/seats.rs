//! Taking a seat or watching, connections coming and going, leaving (and coming back), readiness.

use hubbub_protocol::{
    ErrorCode, LateScore, LeaveReason, PartyPhase, PartyRole, PlayerState, ServerFrame, UserInfo,
};

use super::{MAX_AUDIENCE, Out, Party, Refusal, SETTLE_MS, Seat, refuse};
use crate::party::results::LogPlayer;

impl Party {
    /// Whether a newcomer may take a free seat now: in the lobby, or while a game runs when the host
    /// allows late joining.
    fn seats_open(&self) -> bool {
        !self.settings.locked
            && (self.phase == PartyPhase::Lobby || self.settings.late_join && self.running())
    }

    /// Where a late joiner's score starts.
    fn late_start(&self) -> i64 {
        match self.settings.late_score {
            LateScore::Zero => 0,
            LateScore::Lowest => self.players.iter().map(|p| p.score).min().unwrap_or(0),
        }
    }

    /// Joins `user`: a seat if one is free (in the lobby, or late when allowed) and they did not ask
    /// to watch, else the audience when allowed. Someone already in the party keeps their place (a
    /// player who left while the game runs is back in their seat). Returns their role.
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
        if !audience && self.seats_open() && seat_free {
            let late = self.phase != PartyPhase::Lobby;
            let mut seat = Seat::new(user, if late { self.late_start() } else { 0 });
            seat.ready = late;
            if let Some(log) = self.log.as_mut().filter(|_| late) {
                log.players.push(LogPlayer {
                    user_id: user.id,
                    name: user.display_name.clone(),
                    start_score: seat.score,
                });
            }
            self.players.push(seat);
            let player = self.seat(user.id).map(|p| self.public_player(p));
            let frame = ServerFrame::PlayerJoined {
                code: self.code.clone(),
                player,
                audience_count: self.audience_count(),
            };
            let mut out = vec![Out::All(frame)];
            out.extend(self.progress_frame(None));
            return Ok((PartyRole::Player, out));
        }
        if !self.settings.audience_allowed {
            let why = if self.settings.locked {
                "the party is locked"
            } else if self.phase != PartyPhase::Lobby && !self.settings.late_join {
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
        if self.screen.as_ref().is_some_and(|(id, _)| *id == user) {
            self.screen_connected = true;
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
        } else if self.screen.as_ref().is_some_and(|(id, _)| *id == user) {
            self.screen_connected = false;
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

    pub(super) fn left_frame(&self, user: i64, reason: LeaveReason) -> Out {
        Out::All(ServerFrame::PlayerLeft {
            code: self.code.clone(),
            user_id: user,
            reason,
            audience_count: self.audience_count(),
        })
    }

    /// `user` gives up their seat, stops watching, or takes the big screen away. In the lobby a seat is
    /// freed; once a game has started the seat and score are kept (`away`) so that a player who left
    /// by mistake comes back to them with `join`. A leaving host hands over at once when they can.
    pub fn leave(&mut self, now: i64, user: i64) -> Result<Vec<Out>, Refusal> {
        let mut out = Vec::new();
        let code = self.code.clone();
        let lobby = self.phase == PartyPhase::Lobby;
        if let Some(i) = self.players.iter().position(|p| p.user_id == user) {
            if lobby {
                self.players.remove(i);
                out.push(self.left_frame(user, LeaveReason::Left));
            } else {
                let p = &mut self.players[i];
                p.state = PlayerState::Away;
                p.gone_since = None;
                out.push(Out::All(ServerFrame::PlayerConnection {
                    code,
                    user_id: user,
                    state: PlayerState::Away,
                }));
            }
            out.extend(self.progress_frame(None));
            out.extend(self.close_if_all_answered(now));
        } else if let Some(i) = self.audience.iter().position(|(id, _)| *id == user) {
            self.audience.remove(i);
            out.push(self.left_frame(user, LeaveReason::Left));
        } else if self.screen.as_ref().is_some_and(|(id, _)| *id == user) {
            self.screen = None;
            out.push(self.update(now));
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
}
