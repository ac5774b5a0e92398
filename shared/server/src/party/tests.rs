//! Engine tests on a made-up clock: every transition, timeout, drop and return, host handover, kick,
//! lock, pause, double submit, and a restart in the middle of a question.

use hubbub_protocol::{
    Answer, ErrorCode, HostAction, LeaveReason, PartyPhase, PartyRole, PartySettings, PlayerState,
    ServerFrame, UserInfo,
};

use super::engine::{Out, Party, Timing};
use super::game::Game;
use super::quiz::Quiz;

const T0: i64 = 1_000_000;
const TIMING: Timing = Timing { countdown_ms: 3_000, reveal_ms: 5_000, grace_ms: 10_000, heartbeat_ms: 0 };
const HOST: i64 = 1;

fn user(id: i64) -> UserInfo {
    UserInfo { id, display_name: format!("user {id}") }
}

fn settings(max_players: u32, audience_allowed: bool) -> PartySettings {
    PartySettings {
        game: "quiz".into(),
        max_players,
        audience_allowed,
        locked: false,
        untimed: false,
        late_join: false,
        late_score: hubbub_protocol::LateScore::Zero,
    }
}

/// A party of the sample quiz cut to `rounds` questions, with the host connected and `players` seated
/// (ids 10, 11, ...) and ready.
fn party(rounds: usize, players: i64) -> Party {
    let mut quiz = Quiz::sample();
    quiz.truncate(rounds);
    let mut p = Party::new(
        "ACDE".into(),
        "http://hub/party/ACDE".into(),
        &user(HOST),
        settings(8, true),
        TIMING,
        Game::Quiz(quiz),
        T0,
    );
    p.attach(T0, HOST);
    for id in 10..10 + players {
        p.join(T0, &user(id), false).unwrap();
        p.ready(T0, id, true).unwrap();
    }
    p
}

fn frames(out: &[Out]) -> Vec<&ServerFrame> {
    out.iter()
        .filter_map(|o| match o {
            Out::All(f) | Out::User(_, f) => Some(f),
            Out::Evict(_) => None,
        })
        .collect()
}

fn has(out: &[Out], pred: impl Fn(&ServerFrame) -> bool) -> bool {
    frames(out).into_iter().any(pred)
}

fn phase_of(out: &[Out]) -> Option<PartyPhase> {
    frames(out).into_iter().rev().find_map(|f| match f {
        ServerFrame::PhaseTransition { clock, .. } => Some(clock.phase),
        _ => None,
    })
}

fn score(p: &Party, id: i64) -> i64 {
    p.players.iter().find(|s| s.user_id == id).unwrap().score
}

fn state(p: &Party, id: i64) -> PlayerState {
    p.players.iter().find(|s| s.user_id == id).unwrap().state
}

/// Starts the game and runs the countdown out; returns the time the first question opened.
fn start(p: &mut Party) -> i64 {
    let out = p.start(T0, HOST).unwrap();
    assert!(has(
        &out,
        |f| matches!(f, ServerFrame::SessionStarted { rounds, .. } if *rounds == p.game.rounds())
    ));
    assert_eq!(phase_of(&out), Some(PartyPhase::Countdown));
    let at = T0 + 3_000;
    assert_eq!(p.next_wake(), Some(at));
    assert!(p.tick(at - 1).is_empty(), "nothing before the deadline");
    assert_eq!(phase_of(&p.tick(at)), Some(PartyPhase::Question));
    at
}

#[test]
fn lobby_to_podium_through_every_phase() {
    let mut p = party(2, 2);
    assert_eq!(p.start(T0, 10).unwrap_err().code, ErrorCode::NotHost);
    let q0 = start(&mut p);
    assert_eq!(p.start(q0, HOST).unwrap_err().code, ErrorCode::WrongPhase);
    // Question 0 (choice, answer 1, 20 s): player 10 right after 2 s, player 11 wrong.
    let (_, out) = p.answer(q0 + 2_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    assert!(
        has(&out, |f| matches!(
            f,
            ServerFrame::ProgressUpdate { answered: 1, eligible: 2, answered_by: Some(10), .. }
        )),
        "progress names who answered"
    );
    let (_, out) = p.answer(q0 + 4_000, 11, 0, Answer::Choice { index: 0 }).unwrap();
    // Everyone connected answered: the reveal comes at once, with scores and the distribution.
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    assert_eq!(score(&p, 10), 950);
    assert_eq!(score(&p, 11), 0);
    assert_eq!(p.last_reveal.as_ref().unwrap().distribution, vec![1, 1, 0, 0]);
    // The reveal runs out: question 1 (true/false, true), which nobody answers in time.
    let q1 = q0 + 4_000 + 5_000;
    assert_eq!(phase_of(&p.tick(q1)), Some(PartyPhase::Question));
    assert_eq!(p.round, 1);
    let limit = i64::try_from(p.game.time_limit_ms(1)).unwrap();
    assert_eq!(phase_of(&p.tick(q1 + limit)), Some(PartyPhase::Reveal));
    assert_eq!(p.players.iter().find(|s| s.user_id == 10).unwrap().streak, 0, "no answer ends a streak");
    let out = p.tick(q1 + limit + 5_000);
    assert_eq!(phase_of(&out), Some(PartyPhase::Podium));
    let results = frames(&out)
        .into_iter()
        .find_map(|f| match f {
            ServerFrame::SessionCompleted { results, .. } => Some(results.clone()),
            _ => None,
        })
        .expect("session_completed");
    assert_eq!(results.iter().map(|r| (r.user_id, r.rank)).collect::<Vec<_>>(), vec![(10, 1), (11, 2)]);
    assert_eq!(p.next_wake(), None, "a finished party sleeps");
    // Play again: same players, fresh scores, not ready.
    p.control(q1 + limit + 6_000, HOST, &HostAction::PlayAgain).unwrap();
    assert_eq!(p.phase, PartyPhase::Lobby);
    assert_eq!(p.players.len(), 2);
    assert!(p.players.iter().all(|s| s.score == 0 && !s.ready));
}

#[test]
fn starting_needs_enough_ready_players() {
    let mut p = party(1, 0);
    p.join(T0, &user(10), false).unwrap();
    assert_eq!(p.start(T0, HOST).unwrap_err().code, ErrorCode::NotEnoughReady);
    p.ready(T0, 10, true).unwrap();
    assert!(p.start(T0, HOST).is_ok());
    assert_eq!(p.ready(T0, 10, false).unwrap_err().code, ErrorCode::WrongPhase);
}

#[test]
fn a_resent_answer_is_a_duplicate_never_a_lock_out() {
    let mut p = party(2, 2);
    let q0 = start(&mut p);
    let (dup, _) = p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    assert!(!dup);
    let (dup, out) = p.answer(q0 + 1_500, 10, 0, Answer::Choice { index: 1 }).unwrap();
    assert!(dup && out.is_empty(), "the resend changes nothing");
    let (dup, _) = p.answer(q0 + 1_600, 10, 0, Answer::Choice { index: 3 }).unwrap();
    assert!(dup, "a different second answer is ignored, the first one counts");
    assert_eq!(p.answer(q0, 11, 0, Answer::Choice { index: 9 }).unwrap_err().code, ErrorCode::InvalidAnswer);
    assert_eq!(p.answer(q0, 11, 1, Answer::Choice { index: 0 }).unwrap_err().code, ErrorCode::WrongPhase);
    assert_eq!(p.answer(q0, 99, 0, Answer::Choice { index: 0 }).unwrap_err().code, ErrorCode::NotAPlayer);
    // Player 11 can still answer after all that.
    p.answer(q0 + 2_000, 11, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(p.phase, PartyPhase::Reveal);
    // A resend that arrives after the question closed is still a duplicate, not an error.
    assert!(p.answer(q0 + 2_100, 10, 0, Answer::Choice { index: 1 }).unwrap().0);
    assert_eq!(score(&p, 10), 975);
}

#[test]
fn a_dropped_player_keeps_seat_and_score_and_does_not_hold_up_the_question() {
    let mut p = party(3, 3);
    let q0 = start(&mut p);
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    // 12 drops: shown reconnecting; then 11 answers, and with 12 not counted everyone has answered.
    let out = p.detach(q0 + 1_500, 12);
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerConnection { user_id: 12, state: PlayerState::Reconnecting, .. }
    )));
    assert_eq!(p.progress(), (1, 2));
    let (_, out) = p.answer(q0 + 2_000, 11, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    // 12 comes back within the grace window: connected, same seat.
    let out = p.attach(q0 + 3_000, 12);
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerConnection { user_id: 12, state: PlayerState::Connected, .. }
    )));
    assert_eq!(p.players.iter().map(|s| s.user_id).collect::<Vec<_>>(), vec![10, 11, 12]);
    // 11 drops for longer than the grace window during the game: away, seat and score kept.
    let score_11 = score(&p, 11);
    p.detach(q0 + 3_000, 11);
    let out = p.tick(q0 + 3_000 + 10_000);
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerConnection { user_id: 11, state: PlayerState::Away, .. }
    )));
    assert_eq!(state(&p, 11), PlayerState::Away);
    assert_eq!(score(&p, 11), score_11);
    // Rejoining (a reload) is no new seat: the same role, and back to connected.
    let (role, out) = p.join(q0 + 20_000, &user(11), false).unwrap();
    assert_eq!(role, PartyRole::Player);
    assert!(out.is_empty());
    p.attach(q0 + 20_000, 11);
    assert_eq!(state(&p, 11), PlayerState::Connected);
    assert_eq!(score(&p, 11), score_11);
}

#[test]
fn in_the_lobby_a_seat_is_freed_after_the_grace_window() {
    let mut p = party(1, 2);
    p.detach(T0 + 100, 11);
    assert_eq!(p.next_wake(), Some(T0 + 100 + 10_000));
    let out = p.tick(T0 + 100 + 10_000);
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerLeft { user_id: 11, reason: LeaveReason::TimedOut, .. }
    )));
    assert_eq!(p.players.len(), 1);
}

#[test]
fn host_rights_pass_to_a_connected_player_after_the_delay() {
    let mut p = party(2, 2);
    let q0 = start(&mut p);
    p.control(q0, HOST, &HostAction::Pause).unwrap();
    p.detach(q0 + 1_000, HOST);
    assert_eq!(p.host_id, HOST, "not before the delay");
    let out = p.tick(q0 + 1_000 + 10_000);
    assert_eq!(p.host_id, 10, "the first connected player in seat order");
    assert!(has(&out, |f| matches!(f, ServerFrame::SessionUpdate { party } if party.host_id == 10)));
    assert!(p.paused_remaining.is_none(), "a handover resumes a paused game, so it cannot get stuck");
    assert!(p.deadline.is_some());
    // The old host coming back is not host again.
    p.attach(q0 + 12_000, HOST);
    assert_eq!(p.host_id, 10);
    assert_eq!(p.control(q0 + 12_000, HOST, &HostAction::Skip).unwrap_err().code, ErrorCode::NotHost);
}

#[test]
fn with_nobody_to_take_over_the_host_keeps_rights_and_the_timers_still_run() {
    let mut p = party(1, 1);
    let q0 = start(&mut p);
    p.detach(q0, HOST);
    p.detach(q0, 10);
    // The settle after a drop, the seat's grace, then the question's deadline: never a busy wake for
    // the host with no successor.
    assert_eq!(p.next_wake(), Some(q0 + super::engine::SETTLE_MS));
    assert!(p.tick(q0 + super::engine::SETTLE_MS).is_empty(), "nobody connected: nothing to close");
    assert_eq!(p.next_wake(), Some(q0 + 10_000));
    p.tick(q0 + 10_000);
    let limit = i64::try_from(p.game.time_limit_ms(0)).unwrap();
    assert_eq!(p.next_wake(), Some(q0 + limit));
    assert_eq!(phase_of(&p.tick(q0 + limit)), Some(PartyPhase::Reveal));
    assert_eq!(p.host_id, HOST);
}

#[test]
fn kicked_players_cannot_come_back() {
    let mut p = party(1, 2);
    let out = p.control(T0, HOST, &HostAction::Kick { user_id: 11 }).unwrap();
    assert!(out.contains(&Out::Evict(11)));
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerLeft { user_id: 11, reason: LeaveReason::Kicked, .. }
    )));
    assert_eq!(p.join(T0, &user(11), false).unwrap_err().code, ErrorCode::Kicked);
    assert_eq!(p.join(T0, &user(11), true).unwrap_err().code, ErrorCode::Kicked);
    assert_eq!(
        p.control(T0, HOST, &HostAction::Kick { user_id: 42 }).unwrap_err().code,
        ErrorCode::NotInParty
    );
    assert_eq!(p.control(T0, 10, &HostAction::Kick { user_id: HOST }).unwrap_err().code, ErrorCode::NotHost);
}

#[test]
fn locked_full_and_started_parties_seat_newcomers_in_the_audience_or_refuse() {
    let mut p = party(1, 1);
    p.control(T0, HOST, &HostAction::Lock { locked: true }).unwrap();
    assert_eq!(p.join(T0, &user(20), false).unwrap().0, PartyRole::Audience);
    p.control(T0, HOST, &HostAction::Lock { locked: false }).unwrap();
    assert_eq!(p.join(T0, &user(21), false).unwrap().0, PartyRole::Player);
    p.settings.max_players = 2;
    assert_eq!(p.join(T0, &user(22), false).unwrap().0, PartyRole::Audience, "full");
    assert_eq!(p.audience.len(), 2);
    // The audience is bounded too.
    p.audience
        .extend((1000..1000 + super::engine::MAX_AUDIENCE as i64 - 2).map(|id| (id, format!("fan {id}"))));
    assert_eq!(p.join(T0, &user(30), true).unwrap_err().code, ErrorCode::PartyFull);
    p.audience.truncate(2);
    p.settings.audience_allowed = false;
    assert_eq!(p.join(T0, &user(23), false).unwrap_err().code, ErrorCode::PartyFull);
    p.settings.max_players = 8;
    start(&mut p);
    let err = p.join(T0 + 3_000, &user(24), false).unwrap_err();
    assert_eq!(err.code, ErrorCode::PartyFull);
    assert!(err.message.contains("started"), "{}", err.message);
    // Watchers cannot answer.
    assert_eq!(
        p.answer(T0 + 3_000, 20, 0, Answer::Choice { index: 1 }).unwrap_err().code,
        ErrorCode::NotAPlayer
    );
}

#[test]
fn pause_extend_and_skip_move_the_clock() {
    let mut p = party(2, 1);
    let q0 = start(&mut p);
    let limit = p.game.time_limit_ms(0);
    p.control(q0 + 5_000, HOST, &HostAction::Pause).unwrap();
    assert_eq!(p.clock(q0 + 60_000).remaining_ms, Some(limit - 5_000), "time stands still while paused");
    assert_eq!(p.next_wake(), None);
    assert!(p.tick(q0 + 100_000).is_empty());
    p.control(q0 + 100_000, HOST, &HostAction::Extend { ms: 15_000 }).unwrap();
    p.control(q0 + 100_000, HOST, &HostAction::Resume).unwrap();
    assert_eq!(p.clock(q0 + 100_000).remaining_ms, Some(limit - 5_000 + 15_000));
    assert_eq!(p.control(q0, HOST, &HostAction::Resume).unwrap_err().code, ErrorCode::WrongPhase);
    assert_eq!(p.control(q0, HOST, &HostAction::Extend { ms: 0 }).unwrap_err().code, ErrorCode::InvalidParty);
    // An answer's time excludes the pause (5 s before it, 1 s after) and scores against the question's limit.
    p.answer(q0 + 101_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(p.phase, PartyPhase::Reveal);
    assert_eq!(score(&p, 10), (1000.0 * (1.0 - 0.5 * 6_000.0 / limit as f64)).round() as i64);
    let out = p.control(q0 + 102_000, HOST, &HostAction::Skip).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Question));
    assert_eq!(p.round, 1);
}

#[test]
fn the_host_nudges_idle_players_only() {
    let mut p = party(1, 2);
    p.ready(T0, 11, false).unwrap();
    let out = p.control(T0, HOST, &HostAction::Ping { user_id: None }).unwrap();
    let targets: Vec<i64> =
        out.iter().filter_map(|o| if let Out::User(id, _) = o { Some(*id) } else { None }).collect();
    assert_eq!(targets, vec![11]);
}

#[test]
fn a_restart_mid_question_restores_phase_deadline_and_seats() {
    let mut p = party(2, 2);
    let q0 = start(&mut p);
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    let deadline = p.deadline;
    let stored = super::stored::save(&p).unwrap();
    // The hub is down for 2 s, then loads the party back.
    let back = q0 + 3_000;
    let mut r = super::stored::load(&stored).unwrap().restored(back, TIMING);
    assert_eq!(r.phase, PartyPhase::Question);
    assert_eq!(r.deadline, deadline);
    assert!(r.players.iter().all(|s| s.state == PlayerState::Reconnecting));
    assert!(r.host_gone_since.is_some());
    // Player 10's answer survived: a resend is a duplicate; player 11 reconnects and answers.
    r.attach(back, 10);
    assert!(r.answer(back, 10, 0, Answer::Choice { index: 1 }).unwrap().0);
    r.attach(back, 11);
    let (_, out) = r.answer(back + 500, 11, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    assert_eq!(score(&r, 10), 975);
}

#[test]
fn a_reload_while_the_others_have_answered_does_not_cost_the_question() {
    let settle = super::engine::SETTLE_MS;
    let mut p = party(2, 2);
    let q0 = start(&mut p);
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    // 11 reloads: everyone still connected has answered, but the question waits a moment.
    let out = p.detach(q0 + 2_000, 11);
    assert_eq!(phase_of(&out), None, "not closed at once");
    assert_eq!(p.next_wake(), Some(q0 + 2_000 + settle));
    p.attach(q0 + 3_000, 11);
    assert!(p.tick(q0 + 2_000 + settle).is_empty(), "back in time: the question stays open");
    let (_, out) = p.answer(q0 + 5_500, 11, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    // Question 1: 11 drops for good after 10 answered; the question closes once the settle is over.
    let q1 = q0 + 5_500 + 5_000;
    p.tick(q1);
    p.answer(q1 + 1_000, 10, 1, Answer::Choice { index: 0 }).unwrap();
    p.detach(q1 + 2_000, 11);
    assert_eq!(phase_of(&p.tick(q1 + 2_000 + settle)), Some(PartyPhase::Reveal));
}

mod table;
