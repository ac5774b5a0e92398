//! Engine tests for the party at the table, on the made-up clock: leaving and coming back, late
//! joining, extended and untimed time, the host's remote and the big screen, and the game's record.

use hubbub_protocol::{
    Answer, ErrorCode, HostAction, LateScore, PartyPhase, PartyRole, PlayerState, ServerFrame,
};

use super::{HOST, T0, TIMING, frames, has, party, phase_of, score, start, state, user};
use crate::party::results;

#[test]
fn a_player_who_leaves_a_running_game_comes_back_to_seat_and_score() {
    let mut p = party(3, 2);
    let q0 = start(&mut p);
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    p.answer(q0 + 1_000, 11, 0, Answer::Choice { index: 0 }).unwrap();
    let points = score(&p, 10);
    assert!(points > 0);
    // 10 taps "leave" during the reveal: seat kept, shown away, not freed.
    let out = p.leave(q0 + 2_000, 10).unwrap();
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerConnection { user_id: 10, state: PlayerState::Away, .. }
    )));
    assert!(!has(&out, |f| matches!(f, ServerFrame::PlayerLeft { .. })));
    assert_eq!(state(&p, 10), PlayerState::Away);
    // The next question does not wait for them.
    let q1 = q0 + 1_000 + TIMING.reveal_ms as i64;
    p.tick(q1);
    assert_eq!(p.progress(), (0, 1));
    // They join again: a player, same seat, same score, connected.
    let (role, out) = p.join(q1 + 500, &user(10), false).unwrap();
    assert_eq!(role, PartyRole::Player);
    assert!(out.is_empty());
    let out = p.attach(q1 + 500, 10);
    assert!(has(&out, |f| matches!(
        f,
        ServerFrame::PlayerConnection { user_id: 10, state: PlayerState::Connected, .. }
    )));
    assert_eq!(score(&p, 10), points);
    assert_eq!(p.players.iter().map(|s| s.user_id).collect::<Vec<_>>(), vec![10, 11]);
    p.answer(q1 + 600, 10, 1, Answer::Choice { index: 0 }).unwrap();
    // Kicked is different: gone for good.
    p.control(q1 + 700, HOST, &HostAction::Kick { user_id: 11 }).unwrap();
    assert_eq!(p.join(q1 + 800, &user(11), false).unwrap_err().code, ErrorCode::Kicked);
}

#[test]
fn leaving_the_lobby_frees_the_seat_and_play_again_frees_the_seats_of_those_who_left() {
    let mut p = party(1, 3);
    let out = p.leave(T0, 12).unwrap();
    assert!(has(&out, |f| matches!(f, ServerFrame::PlayerLeft { user_id: 12, .. })));
    assert_eq!(p.players.len(), 2);
    let q0 = start(&mut p);
    p.leave(q0 + 100, 11).unwrap();
    p.answer(q0 + 200, 10, 0, Answer::Choice { index: 1 }).unwrap();
    let end = q0 + 200 + TIMING.reveal_ms as i64;
    assert_eq!(phase_of(&p.tick(end)), Some(PartyPhase::Podium));
    p.control(end + 1, HOST, &HostAction::PlayAgain).unwrap();
    assert_eq!(p.players.iter().map(|s| s.user_id).collect::<Vec<_>>(), vec![10]);
}

#[test]
fn late_joiners_take_a_seat_only_when_allowed_at_zero_or_the_lowest_score() {
    let mut p = party(3, 2);
    let q0 = start(&mut p);
    // Not allowed: the newcomer watches.
    assert_eq!(p.join(q0, &user(20), false).unwrap().0, PartyRole::Audience);
    p.control(q0, HOST, &HostAction::Configure { untimed: None, late_join: Some(true), late_score: None })
        .unwrap();
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    // A late joiner may answer the open question; they start at 0.
    let (role, out) = p.join(q0 + 1_500, &user(21), false).unwrap();
    assert_eq!(role, PartyRole::Player);
    assert!(has(
        &out,
        |f| matches!(f, ServerFrame::PlayerJoined { player: Some(pl), .. } if pl.user_id == 21)
    ));
    assert_eq!(score(&p, 21), 0);
    p.answer(q0 + 2_000, 21, 0, Answer::Choice { index: 1 }).unwrap();
    p.answer(q0 + 2_000, 11, 0, Answer::Choice { index: 0 }).unwrap();
    assert_eq!(p.phase, PartyPhase::Reveal);
    assert!(score(&p, 21) > 0, "their answer counted");
    // From now on late joiners start at the lowest score of those seated.
    p.control(
        q0 + 2_100,
        HOST,
        &HostAction::Configure { untimed: None, late_join: None, late_score: Some(LateScore::Lowest) },
    )
    .unwrap();
    let lowest = p.players.iter().map(|s| s.score).min().unwrap();
    p.join(q0 + 2_200, &user(22), false).unwrap();
    assert_eq!(score(&p, 22), lowest);
    // Every late joiner is in the game's record with the score they started from.
    let log = p.log.as_ref().unwrap();
    assert_eq!(
        log.players.iter().map(|l| (l.user_id, l.start_score)).collect::<Vec<_>>(),
        vec![(10, 0), (11, 0), (21, 0), (22, lowest)]
    );
    // A locked party seats nobody late.
    p.control(q0 + 2_300, HOST, &HostAction::Lock { locked: true }).unwrap();
    assert_eq!(p.join(q0 + 2_400, &user(23), false).unwrap().0, PartyRole::Audience);
}

#[test]
fn lowest_start_is_the_lowest_seated_score() {
    let mut p = party(2, 2);
    p.settings.late_join = true;
    p.settings.late_score = LateScore::Lowest;
    let q0 = start(&mut p);
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    p.answer(q0 + 3_000, 11, 0, Answer::Choice { index: 1 }).unwrap();
    let (a, b) = (score(&p, 10), score(&p, 11));
    assert!(a > b && b > 0);
    p.join(q0 + 3_100, &user(30), false).unwrap();
    assert_eq!(score(&p, 30), b);
}

#[test]
fn a_player_with_double_time_answers_after_the_base_deadline_and_others_cannot() {
    let mut p = party(2, 3);
    assert_eq!(
        p.control(T0, HOST, &HostAction::TimeFactor { user_id: 12, percent: 400 }).unwrap_err().code,
        ErrorCode::InvalidParty
    );
    assert_eq!(
        p.control(T0, 10, &HostAction::TimeFactor { user_id: 12, percent: 200 }).unwrap_err().code,
        ErrorCode::NotHost
    );
    p.control(T0, HOST, &HostAction::TimeFactor { user_id: 12, percent: 200 }).unwrap();
    assert_eq!(p.snapshot(T0, None).players[2].time_factor_pct, 200);
    let q0 = start(&mut p);
    let limit = p.game.time_limit_ms(0) as i64;
    assert_eq!(p.clock(q0).overtime_ms, Some(limit as u64), "the question stays open a whole limit longer");
    assert_eq!(p.clock(q0).deadline, Some(q0 + limit), "the base deadline is everyone else's");
    p.answer(q0 + 1_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    // The base deadline passes: not closed, 12 still has time; 11 has none.
    assert_eq!(p.next_wake(), Some(q0 + 2 * limit));
    assert!(p.tick(q0 + limit).is_empty());
    assert_eq!(p.phase, PartyPhase::Question);
    let late = p.answer(q0 + limit + 1, 11, 0, Answer::Choice { index: 1 }).unwrap_err();
    assert_eq!(late.code, ErrorCode::WrongPhase);
    // 12 answers at 1.5 limits: right, scored at 75 % of their own time.
    let (_, out) = p.answer(q0 + limit * 3 / 2, 12, 0, Answer::Choice { index: 1 }).unwrap();
    assert_eq!(phase_of(&out), None, "11 has not answered, but their time is over: closes at the next tick");
    assert_eq!(p.overtime_ms(), None, "nobody with more time is still thinking");
    let out = p.tick(q0 + limit * 3 / 2);
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    assert_eq!(score(&p, 12), 625, "1000 x (1 - 0.5 x 0.75)");
    let rec = &p.log.as_ref().unwrap().rounds[0];
    let a12 = rec.answers.iter().find(|a| a.user_id == 12).unwrap();
    assert_eq!((a12.elapsed_ms, a12.scored_ms), (limit as u64 * 3 / 2, limit as u64 * 3 / 4));
}

#[test]
fn an_untimed_game_waits_for_the_host() {
    let mut p = party(2, 2);
    p.control(T0, HOST, &HostAction::Configure { untimed: Some(true), late_join: None, late_score: None })
        .unwrap();
    let q0 = start(&mut p);
    let clock = p.clock(q0);
    assert_eq!(
        (clock.phase, clock.deadline, clock.remaining_ms, clock.paused),
        (PartyPhase::Question, None, None, false)
    );
    assert_eq!(p.next_wake(), None, "no timer runs");
    assert!(p.tick(q0 + 10 * 60_000).is_empty());
    assert_eq!(p.control(q0, HOST, &HostAction::Pause).unwrap_err().code, ErrorCode::WrongPhase);
    assert_eq!(
        p.control(q0, HOST, &HostAction::Extend { ms: 1_000 }).unwrap_err().code,
        ErrorCode::WrongPhase
    );
    // An answer after ten minutes still scores full points.
    p.answer(q0 + 10 * 60_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    // The host moves on; the reveal waits for the host too.
    let out = p.control(q0 + 10 * 60_000 + 1, HOST, &HostAction::Skip).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
    assert_eq!(score(&p, 10), 1000);
    assert_eq!(p.clock(q0).deadline, None);
    assert!(p.tick(q0 + 20 * 60_000).is_empty());
    let out = p.control(q0 + 20 * 60_000, HOST, &HostAction::Skip).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Question));
    // A question also closes once everyone connected has answered.
    p.answer(q0 + 20 * 60_000 + 5, 10, 1, Answer::Choice { index: 0 }).unwrap();
    let (_, out) = p.answer(q0 + 20 * 60_000 + 9, 11, 1, Answer::Choice { index: 0 }).unwrap();
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
}

#[test]
fn a_remote_link_gives_host_rights_to_the_phone_and_makes_the_old_host_the_screen() {
    let mut p = party(2, 2);
    assert_eq!(p.mint_remote(T0, 10, "t".into()).unwrap_err().code, ErrorCode::NotHost);
    let expires = p.mint_remote(T0, HOST, "old".into()).unwrap();
    assert_eq!(expires, T0 + crate::party::engine::REMOTE_TTL_MS);
    p.mint_remote(T0, HOST, "secret".into()).unwrap();
    let phone = hubbub_protocol::UserInfo { id: 5, display_name: "Host phone".into() };
    assert_eq!(p.claim_remote(T0, &phone, "old").unwrap_err().code, ErrorCode::InvalidParty, "replaced");
    let out = p.claim_remote(T0 + 1, &phone, "secret").unwrap();
    assert_eq!(p.host_id, 5);
    assert_eq!(p.screen, Some((HOST, "user 1".to_owned())));
    assert_eq!(p.role(HOST), Some(PartyRole::Screen));
    // The old host's devices learn they are the screen; everyone learns who hosts.
    let to_screen = frames(&out).into_iter().any(|f| {
        matches!(f, ServerFrame::SessionUpdate { party } if party.you.as_ref().is_some_and(|y| y.role == PartyRole::Screen && !y.is_host))
    });
    assert!(to_screen);
    assert!(has(
        &out,
        |f| matches!(f, ServerFrame::SessionUpdate { party } if party.host_id == 5 && party.screen_id == Some(HOST))
    ));
    assert_eq!(
        p.claim_remote(T0 + 2, &user(6), "secret").unwrap_err().code,
        ErrorCode::InvalidParty,
        "used once"
    );
    // The screen has no host controls; the phone has them.
    assert_eq!(p.start(T0 + 3, HOST).unwrap_err().code, ErrorCode::NotHost);
    p.attach(T0 + 3, 5);
    assert!(p.start(T0 + 3, 5).is_ok());
    // The phone goes quiet past the grace: rights go back to the screen, not to a player.
    p.detach(T0 + 4, 5);
    let out = p.tick(T0 + 4 + TIMING.grace_ms as i64);
    assert_eq!(p.host_id, HOST);
    assert!(p.screen.is_none());
    assert!(has(&out, |f| matches!(f, ServerFrame::SessionUpdate { party } if party.host_id == HOST)));
}

#[test]
fn a_remote_link_expires() {
    let mut p = party(1, 1);
    p.mint_remote(T0, HOST, "s".into()).unwrap();
    let late = T0 + crate::party::engine::REMOTE_TTL_MS;
    assert_eq!(p.claim_remote(late, &user(5), "s").unwrap_err().code, ErrorCode::InvalidParty);
    assert_eq!(p.host_id, HOST);
}

#[test]
fn the_game_record_gives_results_that_match_the_game_played() {
    let mut p = party(2, 2);
    let q0 = start(&mut p);
    p.answer(q0 + 2_000, 10, 0, Answer::Choice { index: 1 }).unwrap();
    p.answer(q0 + 4_000, 11, 0, Answer::Choice { index: 0 }).unwrap();
    let q1 = q0 + 4_000 + TIMING.reveal_ms as i64;
    p.tick(q1);
    p.answer(q1 + 1_000, 11, 1, Answer::Choice { index: 0 }).unwrap();
    let limit = p.game.time_limit_ms(1) as i64;
    p.tick(q1 + limit);
    p.tick(q1 + limit + TIMING.reveal_ms as i64);
    assert_eq!(p.phase, PartyPhase::Podium);
    assert_eq!(results::for_host(&p, 10).unwrap_err().code, ErrorCode::NotHost);
    let r = results::for_host(&p, HOST).unwrap();
    assert_eq!(r.finished_at, Some(q1 + limit + TIMING.reveal_ms as i64));
    assert_eq!(r.questions.len(), 2);
    assert_eq!(
        (r.questions[0].answered, r.questions[0].correct, r.questions[0].average_ms),
        (2, 1, Some(3_000))
    );
    assert_eq!((r.questions[1].answered, r.questions[1].correct, r.questions[1].players), (1, 1, 2));
    let rows: Vec<(u32, i64, Option<u64>, i64)> =
        r.answers.iter().map(|a| (a.round, a.user_id, a.time_ms, a.points)).collect();
    assert_eq!(
        rows,
        vec![(0, 10, Some(2_000), 950), (0, 11, Some(4_000), 0), (1, 10, None, 0), (1, 11, Some(1_000), 975)]
    );
    let standings: Vec<(i64, i64, u32)> = r.players.iter().map(|p| (p.user_id, p.score, p.rank)).collect();
    assert_eq!(standings, vec![(11, 975, 1), (10, 950, 2)]);
    assert_eq!(
        standings.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
        p.leaderboard().iter().map(|l| (l.user_id, l.score)).collect::<Vec<_>>()
    );
    let csv = results::to_csv(&r);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines[0], results::CSV_HEADER);
    assert_eq!(lines.len(), 1 + 4 + 1, "a row per player and question, then the final line end");
    assert_eq!(lines[1], "1,Which planet is closest to the Sun?,10,user 10,Mercury,true,2000,950");
    assert!(lines[3].ends_with(",10,user 10,,false,,0"), "{}", lines[3]);
    // The record stays after play again, until the next start.
    p.control(q1 + limit + 6_000, HOST, &HostAction::PlayAgain).unwrap();
    assert_eq!(results::for_host(&p, HOST).unwrap(), r);
}

#[test]
fn answers_arriving_together_are_one_change_with_one_progress_update() {
    let mut p = party(1, 4);
    let q0 = start(&mut p);
    let batch = vec![
        (10, 0, Answer::Choice { index: 1 }),
        (11, 0, Answer::Choice { index: 9 }),
        (12, 0, Answer::Choice { index: 0 }),
        (10, 0, Answer::Choice { index: 2 }),
        (99, 0, Answer::Choice { index: 0 }),
    ];
    let (results, out) = p.answer_many(q0 + 1_000, batch);
    let codes: Vec<Result<bool, ErrorCode>> = results.into_iter().map(|r| r.map_err(|e| e.code)).collect();
    assert_eq!(
        codes,
        [Ok(false), Err(ErrorCode::InvalidAnswer), Ok(false), Ok(true), Err(ErrorCode::NotAPlayer)]
    );
    let progress: Vec<&ServerFrame> =
        frames(&out).into_iter().filter(|f| matches!(f, ServerFrame::ProgressUpdate { .. })).collect();
    assert_eq!(progress.len(), 1, "{progress:?}");
    assert!(matches!(
        progress[0],
        ServerFrame::ProgressUpdate { answered: 2, eligible: 4, answered_by: Some(12), answered_ids, .. }
            if *answered_ids == [10, 12]
    ));
    // The last two answers close the question: the progress update comes before the reveal.
    let (_, out) = p.answer_many(
        q0 + 2_000,
        vec![(11, 0, Answer::Choice { index: 1 }), (13, 0, Answer::Choice { index: 1 })],
    );
    let kinds: Vec<&str> = frames(&out)
        .into_iter()
        .map(|f| match f {
            ServerFrame::ProgressUpdate { .. } => "progress",
            ServerFrame::PhaseTransition { .. } => "phase",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.first(), Some(&"progress"));
    assert_eq!(kinds.iter().filter(|k| **k == "progress").count(), 1);
    assert_eq!(phase_of(&out), Some(PartyPhase::Reveal));
}
