//! Stored parties: rows written before versions (the `testdata/v0_*.json` fixtures) load into the
//! party they were, every version written now reads back as the same party, and the version-1 and
//! version-2 shapes stay as shipped.

use hubbub_protocol::{
    Answer, NumberCount, PartyPhase, PartyRole, PlayerState, QuestionKind, RevealView, RoundScore,
};

use super::{LoadError, StoredParty, load, save, v0};
use crate::party::engine::{Party, Seat, Timing};
use crate::party::quiz::{Correct, Submitted};

const MID_QUESTION: &str = include_str!("../testdata/v0_mid_question.json");
const PAUSED_REVEAL: &str = include_str!("../testdata/v0_paused_reveal.json");
const PODIUM: &str = include_str!("../testdata/v0_podium.json");
const V0: [&str; 3] = [MID_QUESTION, PAUSED_REVEAL, PODIUM];
/// `MID_QUESTION` as version 1 writes it.
const V1_MID_QUESTION: &str = include_str!("../testdata/v1_mid_question.json");
/// A mid-question party with every field version 2 added, as version 2 writes it.
const V2_MID_QUESTION: &str = include_str!("../testdata/v2_mid_question.json");

const T0: i64 = 1_700_000_000_000;
const TIMING: Timing = Timing { countdown_ms: 3_000, reveal_ms: 5_000, grace_ms: 10_000, heartbeat_ms: 0 };

fn seat(user_id: i64, name: &str, score: i64, streak: u32, state: PlayerState, gone: Option<i64>) -> Seat {
    Seat {
        user_id,
        name: name.to_owned(),
        ready: true,
        score,
        streak,
        state,
        gone_since: gone,
        time_factor_pct: 100,
    }
}

fn score(user_id: i64, correct: bool, points: i64, streak_bonus: i64) -> RoundScore {
    RoundScore { user_id, correct, points, streak_bonus }
}

/// The sample pack's questions as the fixtures hold them: kind, right answer, time limit.
fn sample_questions() -> Vec<(QuestionKind, Correct, u64)> {
    use QuestionKind::{Choice, Multi, Number, TrueFalse};
    let choices = |c: &[u32]| Correct::Choices(c.to_vec());
    vec![
        (Choice, choices(&[1]), 20_000),
        (TrueFalse, choices(&[0]), 20_000),
        (Multi, choices(&[0, 2]), 20_000),
        (Number, Correct::Number { value: 1969.0, tolerance: 2.0 }, 20_000),
        (Choice, choices(&[3]), 15_000),
        (TrueFalse, choices(&[1]), 20_000),
        (Multi, choices(&[0, 2]), 20_000),
        (Number, Correct::Number { value: 88.0, tolerance: 4.0 }, 25_000),
    ]
}

fn questions(p: &Party) -> Vec<(QuestionKind, Correct, u64)> {
    let crate::party::game::Game::Quiz(quiz) = &p.game;
    quiz.questions.iter().map(|q| (q.kind, q.correct.clone(), q.time_limit_ms)).collect()
}

/// The prompts and choices of the fixture's questions, read from its JSON, as the party has them.
fn assert_same_questions(json: &str, p: &Party) {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let crate::party::game::Game::Quiz(quiz) = &p.game;
    assert_eq!(quiz.title, value["game"]["title"]);
    let stored = value["game"]["questions"].as_array().unwrap();
    assert_eq!(quiz.questions.len(), stored.len());
    for (q, s) in quiz.questions.iter().zip(stored) {
        assert_eq!(q.prompt, s["prompt"]);
        assert_eq!(serde_json::json!(q.choices), s["choices"]);
    }
}

#[test]
fn the_version_0_mirror_reads_and_writes_todays_rows_byte_for_byte() {
    for json in V0 {
        let old: v0::Party = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&old).unwrap(), json);
    }
}

#[test]
fn a_party_stored_mid_question_before_versions_loads_as_it_was() {
    let p = load(MID_QUESTION).unwrap();
    assert_eq!((p.code.as_str(), p.join_url.as_str()), ("KWXY", "http://192.168.1.20:7300/party/KWXY"));
    assert_eq!(
        (p.settings.game.as_str(), p.settings.max_players, p.settings.audience_allowed, p.settings.locked),
        ("quiz", 6, true, true)
    );
    assert_eq!(p.timing, TIMING);
    assert_eq!((p.host_id, p.host_name.as_str(), p.host_gone_since), (1, "Host \"Hal\"", None));
    assert_eq!(
        p.players,
        vec![
            seat(10, "Ann", 4181, 4, PlayerState::Connected, None),
            seat(11, "Bo", 1913, 1, PlayerState::Reconnecting, Some(T0 + 70_500)),
            seat(12, "Zoë 🎉", 0, 0, PlayerState::Connected, None),
        ]
    );
    assert_eq!(p.audience, vec![(20, "Eve".to_owned()), (22, "Gus".to_owned())]);
    assert_eq!(p.banned, vec![13, 21]);
    assert_eq!((p.phase, p.round), (PartyPhase::Question, 4));
    assert_eq!((p.deadline, p.paused_remaining, p.phase_ms), (Some(T0 + 88_500), None, 20_000));
    assert_eq!(
        p.answers,
        vec![Submitted {
            user_id: 10,
            answer: Answer::Choice { index: 3 },
            elapsed_ms: 1_200,
            scored_ms: 1_200
        }]
    );
    assert_eq!(
        p.last_reveal,
        Some(RevealView {
            correct_choices: vec![],
            correct_number: Some(1969.0),
            distribution: vec![],
            number_answers: vec![
                NumberCount { value: 1969.0, count: 1 },
                NumberCount { value: 1970.0, count: 1 },
                NumberCount { value: 1500.5, count: 1 },
            ],
            tolerance: None,
            scores: vec![score(10, true, 1031, 300), score(11, true, 950, 0), score(12, false, 0, 0)],
        })
    );
    assert_eq!(questions(&p), sample_questions());
    assert_same_questions(MID_QUESTION, &p);
    assert_eq!((p.updated_at, p.settle_at), (T0 + 70_800, Some(T0 + 73_500)));
    assert_eq!(p.next_wake(), Some(T0 + 73_500), "the settle comes first");

    // What Ann's phone is shown.
    let now = T0 + 75_000;
    let s = p.snapshot(now, Some(10));
    assert_eq!((s.title.as_str(), s.host_connected, s.audience_count), ("Hubbub sampler", true, 2));
    assert_eq!((s.clock.phase, s.clock.round, s.clock.rounds), (PartyPhase::Question, 4, 8));
    assert_eq!(
        (s.clock.deadline, s.clock.remaining_ms, s.clock.paused),
        (Some(T0 + 88_500), Some(13_500), false)
    );
    assert_eq!(
        s.players.iter().map(|p| (p.user_id, p.answered)).collect::<Vec<_>>(),
        [(10, true), (11, false), (12, false)]
    );
    assert_eq!((s.answered, s.eligible), (1, 2));
    let question = s.question.unwrap();
    assert_eq!(
        (question.kind, question.choices.len(), question.time_limit_ms),
        (QuestionKind::Choice, 4, 15_000)
    );
    assert_eq!(s.reveal, None);
    assert_eq!(
        s.leaderboard.iter().map(|l| (l.rank, l.user_id, l.score)).collect::<Vec<_>>(),
        [(1, 10, 4181), (2, 11, 1913), (3, 12, 0)]
    );
    let you = s.you.unwrap();
    assert_eq!(
        (you.role, you.is_host, you.answer),
        (PartyRole::Player, false, Some(Answer::Choice { index: 3 }))
    );
}

#[test]
fn a_party_stored_mid_question_before_versions_plays_on_after_a_restart() {
    let back = T0 + 80_000;
    let mut p = load(MID_QUESTION).unwrap().restored(back, TIMING);
    assert!(p.players.iter().all(|s| s.state == PlayerState::Reconnecting));
    p.attach(back, 10);
    assert!(p.answer(back, 10, 4, Answer::Choice { index: 3 }).unwrap().0, "Ann's answer was kept");
    p.attach(back, 11);
    p.attach(back, 12);
    p.answer(back + 1_000, 11, 4, Answer::Choice { index: 3 }).unwrap();
    p.answer(back + 2_000, 12, 4, Answer::Choice { index: 0 }).unwrap();
    assert_eq!(p.phase, PartyPhase::Reveal);
    let points: Vec<i64> = p.last_reveal.unwrap().scores.iter().map(|s| s.points).collect();
    // Ann: 1.2 s of the question's 15 s and a fifth right answer in a row; Bo: 12.5 s (the host's
    // extension gave more time, not more points) and a second in a row.
    assert_eq!(points, vec![960 + 400, 583 + 100, 0]);
}

#[test]
fn a_paused_reveal_stored_before_versions_loads_as_it_was() {
    let p = load(PAUSED_REVEAL).unwrap();
    assert!(!p.settings.locked);
    assert_eq!((p.host_id, p.host_name.as_str(), p.host_gone_since), (20, "Eve", Some(T0 + 76_000)));
    assert_eq!(p.audience, vec![(1, "Host \"Hal\"".to_owned())]);
    assert_eq!(p.banned, vec![13, 21]);
    assert_eq!(
        p.players,
        vec![
            seat(10, "Ann", 3150, 3, PlayerState::Connected, None),
            seat(11, "Bo", 963, 0, PlayerState::Connected, None),
            seat(12, "Zoë 🎉", 0, 0, PlayerState::Away, None),
        ]
    );
    assert_eq!((p.phase, p.round), (PartyPhase::Reveal, 2));
    assert_eq!((p.deadline, p.paused_remaining, p.phase_ms), (None, Some(4_800), 5_000));
    assert_eq!(
        p.answers,
        vec![
            Submitted {
                user_id: 10,
                answer: Answer::Choices { indices: vec![2, 0] },
                elapsed_ms: 3_000,
                scored_ms: 3_000
            },
            Submitted {
                user_id: 12,
                answer: Answer::Choices { indices: vec![0] },
                elapsed_ms: 6_000,
                scored_ms: 6_000
            },
        ]
    );
    let reveal = RevealView {
        correct_choices: vec![0, 2],
        correct_number: None,
        distribution: vec![2, 0, 1, 0],
        number_answers: vec![],
        tolerance: None,
        scores: vec![score(10, true, 1125, 200), score(11, false, 0, 0), score(12, false, 0, 0)],
    };
    assert_eq!(p.last_reveal.as_ref(), Some(&reveal));
    assert_eq!(questions(&p), sample_questions());
    assert_same_questions(PAUSED_REVEAL, &p);
    assert_eq!((p.updated_at, p.settle_at), (T0 + 76_000, None));
    assert_eq!(p.next_wake(), Some(T0 + 86_000), "paused: only the host's grace runs");

    let s = p.snapshot(T0 + 80_000, None);
    assert_eq!(
        (s.clock.phase, s.clock.deadline, s.clock.remaining_ms, s.clock.paused),
        (PartyPhase::Reveal, None, Some(4_800), true)
    );
    assert!(!s.host_connected);
    assert_eq!(s.reveal, Some(reveal));
    assert_eq!(s.question.map(|q| q.kind), Some(QuestionKind::Multi));
    assert_eq!(s.you, None);
}

#[test]
fn a_finished_party_stored_before_versions_loads_as_it_was() {
    let p = load(PODIUM).unwrap();
    assert!(p.finished());
    assert_eq!((p.code.as_str(), p.settings.max_players, p.settings.audience_allowed), ("ACDE", 2, false));
    assert_eq!((p.host_id, p.host_gone_since), (1, Some(T0 + 30_000)));
    assert_eq!(p.players, vec![seat(10, "Ann", 975, 0, PlayerState::Connected, None)]);
    assert!(p.audience.is_empty() && p.banned.is_empty());
    assert_eq!((p.round, p.deadline, p.paused_remaining, p.phase_ms, p.settle_at), (1, None, None, 0, None));
    assert_eq!(
        p.answers,
        vec![Submitted {
            user_id: 10,
            answer: Answer::Choice { index: 1 },
            elapsed_ms: 10_000,
            scored_ms: 10_000
        }]
    );
    assert_eq!(
        p.last_reveal.as_ref().map(|r| (&r.correct_choices, &r.distribution)),
        Some((&vec![0], &vec![0, 1]))
    );
    assert_eq!(questions(&p), sample_questions()[..2]);
    assert_same_questions(PODIUM, &p);
    assert_eq!(p.next_wake(), Some(T0 + 40_000), "host rights pass to Ann after the grace");
    let s = p.snapshot(T0 + 40_000, Some(1));
    assert_eq!(
        s.leaderboard.iter().map(|l| (l.rank, l.user_id, l.score)).collect::<Vec<_>>(),
        [(1, 10, 975)]
    );
    assert_eq!(s.you.map(|y| (y.role, y.is_host)), Some((PartyRole::Host, true)));
}

#[test]
fn what_is_written_is_version_2_and_reads_back_as_the_same_party() {
    for json in V0.into_iter().chain([V1_MID_QUESTION]) {
        let p = load(json).unwrap();
        let written = save(&p).unwrap();
        assert!(written.starts_with(r#"{"v":"2","#), "{written}");
        let stored = StoredParty::from_json(&written).unwrap();
        assert_eq!(stored, StoredParty::from(&p));
        let back = stored.load().unwrap();
        assert_eq!(back, p);
        assert_eq!(back.snapshot(T0 + 75_000, Some(10)), p.snapshot(T0 + 75_000, Some(10)));
        assert_eq!(save(&back).unwrap(), written);
    }
}

#[test]
fn version_1_keeps_its_shape_and_upgrades_to_the_party_it_was() {
    let stored = StoredParty::from_json(V1_MID_QUESTION).unwrap();
    assert!(matches!(stored, StoredParty::V1(_)));
    assert_eq!(stored.to_json().unwrap(), V1_MID_QUESTION.trim_end(), "read and written back as shipped");
    let p = load(V1_MID_QUESTION).unwrap();
    assert_eq!(p, load(MID_QUESTION).unwrap(), "the same party as its version 0 row");
    assert!(p.players.iter().all(|s| s.time_factor_pct == 100));
    assert!(!p.settings.untimed && !p.settings.late_join && p.screen.is_none() && p.log.is_none());
    let scored: Vec<(u64, u64)> = p.answers.iter().map(|a| (a.elapsed_ms, a.scored_ms)).collect();
    assert_eq!(scored, [(1_200, 1_200)], "an answer from before time factors scores the time it took");
}

/// The mid-question party with everything version 2 added: a time factor, the settings, a big
/// screen, and the game's record so far.
fn with_version_2_fields() -> Party {
    let mut p = load(MID_QUESTION).unwrap();
    p.players[1].time_factor_pct = 200;
    p.settings.late_join = true;
    p.settings.late_score = hubbub_protocol::LateScore::Lowest;
    p.screen = Some((1, "Screen".to_owned()));
    p.answers[0].scored_ms = 600;
    p.log = Some(crate::party::results::GameLog {
        started_at: T0,
        finished_at: None,
        players: p
            .players
            .iter()
            .map(|s| crate::party::results::LogPlayer {
                user_id: s.user_id,
                name: s.name.clone(),
                start_score: 0,
            })
            .collect(),
        rounds: vec![crate::party::results::RoundRecord {
            round: 3,
            answers: vec![Submitted {
                user_id: 10,
                answer: Answer::Number { value: 1970.0 },
                elapsed_ms: 4_000,
                scored_ms: 2_000,
            }],
            reveal: RevealView {
                correct_choices: vec![],
                correct_number: Some(1969.0),
                distribution: vec![],
                number_answers: vec![NumberCount { value: 1970.0, count: 1 }],
                tolerance: Some(2.0),
                scores: vec![score(10, true, 713, 300), score(11, false, 0, 0)],
            },
        }],
    });
    p
}

#[test]
fn version_2_keeps_its_shape() {
    let p = with_version_2_fields();
    let written = save(&p).unwrap();
    if std::env::var_os("UPDATE_PARTY_FIXTURES").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/party/testdata/v2_mid_question.json");
        std::fs::write(path, format!("{written}\n")).unwrap();
    }
    assert_eq!(written, V2_MID_QUESTION.trim_end());
    assert_eq!(load(V2_MID_QUESTION).unwrap(), p);
}

#[test]
fn unknown_versions_and_states_the_engine_cannot_run_are_refused() {
    let mut v1: serde_json::Value = serde_json::from_str(V1_MID_QUESTION).unwrap();
    v1["v"] = "3".into();
    let err = load(&v1.to_string()).unwrap_err();
    assert!(matches!(err, LoadError::Json(_)) && err.to_string().contains("unknown variant `3`"), "{err}");
    v1["v"] = "1".into();
    v1["round"] = 8.into();
    assert!(matches!(load(&v1.to_string()), Err(LoadError::Invalid(_))));
    v1["round"] = 0.into();
    v1["game"]["questions"] = serde_json::json!([]);
    assert!(matches!(load(&v1.to_string()), Err(LoadError::Invalid(_))));
    assert!(matches!(load("{\"code\":\"KWXY\"}"), Err(LoadError::Json(_))));
}
