//! The party at the table, through the real hub over real sockets: a phone that goes silent is shown
//! reconnecting on the host's roster (the party heartbeat), leaving by mistake and coming back to
//! the seat and score, kicked players staying out, late joining in both modes, a player with double
//! time answering after the base deadline, an untimed game, the host's remote link and big screen,
//! and the results the host downloads (CSV and JSON, 403 for anyone else, kept across a restart).

use std::time::Duration;

use hubbub_client::HubClient;
use hubbub_protocol::{
    Answer, ClientFrame, CreatePartyRequest, ErrorCode, HostAction, LateScore, PartyPhase, PartyResults,
    PartyRole, PlayerState, RemoteLinkResponse, ServerFrame,
};
use hubbub_tests::party::{FAST, answer, command, control, create, create_with, join_party, phase, snapshot};
use hubbub_tests::{
    Connection, FreezingProxy, Session, TestHub, WAIT, api_error, error_code, join_and_connect,
};

async fn ready(conn: &mut Connection, code: &str) {
    command(conn, ClientFrame::PartyReady { r#ref: Some("ready".into()), code: code.into(), ready: true })
        .await;
}

async fn start(host: &mut Connection, code: &str) {
    command(host, ClientFrame::PartyStart { r#ref: Some("start".into()), code: code.into() }).await;
}

/// Joins each of `names` to the hub and seats them in the party, ready: their sessions and sockets.
async fn seat<const N: usize>(
    client: &HubClient,
    code: &str,
    names: [&str; N],
) -> [(Session, Connection); N] {
    let mut seated = Vec::with_capacity(N);
    for name in names {
        let (session, mut conn) = join_and_connect(client, name).await;
        join_party(&mut conn, code).await;
        ready(&mut conn, code).await;
        seated.push((session, conn));
    }
    seated.try_into().unwrap_or_else(|_| unreachable!("N players were seated"))
}

/// Waits for `user`'s seat to be shown in `state`.
async fn seat_state(conn: &mut Connection, user: i64, state: PlayerState) {
    conn.recv_until(WAIT, |f| {
        matches!(f, ServerFrame::PlayerConnection { user_id, state: s, .. } if *user_id == user && *s == state)
    })
    .await
    .unwrap_or_else(|e| panic!("{user} never shown {state:?}: {e}"));
}

/// A GET with `who`'s session: status, headers and body text.
async fn get(hub: &TestHub, who: &Session, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", hub.url))
        .bearer_auth(&who.secret)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

#[tokio::test]
async fn a_silent_phone_is_shown_reconnecting_within_the_party_heartbeat() {
    // The chat heartbeat and idle timeout are long: only the party's can notice the silence.
    let hub = TestHub::start(&[
        "--heartbeat-secs",
        "300",
        "--idle-timeout-secs",
        "600",
        "--party-heartbeat-ms",
        "300",
        "--party-idle-timeout-ms",
        "1000",
    ]);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let party = create(&client, &host_session, 2).await;
    let code = party.code.clone();
    assert_eq!(party.heartbeat_ms, 300, "clients are told the party heartbeat");
    join_party(&mut host, &code).await;

    let ann = client.join("Ann", None).await.unwrap();
    let proxy = FreezingProxy::start(hub.url.trim_start_matches("http://").parse().unwrap()).await;
    let token = client.ws_token(&ann).await.unwrap();
    let mut phone = Connection::open(&format!("ws://{}/ws?token={token}", proxy.addr)).await.unwrap();
    join_party(&mut phone, &code).await;
    // A cheap probe for the client: ping is answered by pong with the same ref.
    phone.send(&ClientFrame::Ping { r#ref: Some("probe".into()) }).await.unwrap();
    phone
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { r#ref: Some(r), .. } if r == "probe"))
        .await
        .unwrap();
    // The phone keeps answering pings while it reads; a second of it changes nothing.
    let quiet =
        phone.recv_until(Duration::from_millis(1_500), |f| matches!(f, ServerFrame::Error { .. })).await;
    assert!(quiet.is_err(), "a live phone is not dropped: {quiet:?}");

    proxy.freeze();
    seat_state(&mut host, ann.user.id, PlayerState::Reconnecting).await;
    let snap = client
        .get_json::<hubbub_protocol::PartySnapshot>(&host_session, &format!("/api/parties/{code}"))
        .await;
    let seat = snap.unwrap().players.into_iter().find(|p| p.user_id == ann.user.id).expect("seat kept");
    assert_eq!(seat.state, PlayerState::Reconnecting);
}

#[tokio::test]
async fn leaving_a_running_game_by_mistake_keeps_seat_and_score_and_kicked_players_stay_out() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 3).await.code;
    join_party(&mut host, &code).await;
    let [(ann_s, mut ann), (bo_s, mut bo)] = seat(&client, &code, ["Ann", "Bo"]).await;
    start(&mut host, &code).await;
    phase(&mut ann, PartyPhase::Question, 0).await;
    command(&mut ann, answer(&code, 0, 0, Answer::Choice { index: 1 })).await;
    command(&mut bo, answer(&code, 1, 0, Answer::Choice { index: 0 })).await;
    phase(&mut ann, PartyPhase::Reveal, 0).await;
    let score = |s: &hubbub_protocol::PartySnapshot, id: i64| {
        s.players.iter().find(|p| p.user_id == id).map(|p| p.score)
    };

    // Ann leaves: away on the host's roster, her sockets off the party.
    command(&mut ann, ClientFrame::PartyLeave { r#ref: Some("leave".into()), code: code.clone() }).await;
    seat_state(&mut host, ann_s.user.id, PlayerState::Away).await;
    let before = client
        .get_json::<hubbub_protocol::PartySnapshot>(&host_session, &format!("/api/parties/{code}"))
        .await
        .unwrap();
    let points = score(&before, ann_s.user.id).expect("seat kept");
    assert!(points > 0);
    // She comes back: the same seat and score, a player again, connected.
    let back = join_party(&mut ann, &code).await;
    assert_eq!(back.you.as_ref().map(|y| y.role), Some(PartyRole::Player));
    assert_eq!(score(&back, ann_s.user.id), Some(points));
    assert_eq!(back.players.iter().map(|p| p.user_id).collect::<Vec<_>>(), [ann_s.user.id, bo_s.user.id]);
    seat_state(&mut host, ann_s.user.id, PlayerState::Connected).await;
    // And plays on.
    phase(&mut ann, PartyPhase::Question, 1).await;
    command(&mut ann, answer(&code, 0, 1, Answer::Choice { index: 0 })).await;

    // Bo is kicked: joining again is refused.
    command(&mut host, control(&code, "kick", HostAction::Kick { user_id: bo_s.user.id })).await;
    bo.send(&ClientFrame::PartyJoin {
        r#ref: Some("again".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut bo, "again").await, ErrorCode::Kicked);
}

#[tokio::test]
async fn late_joiners_take_a_seat_when_the_host_allows_at_zero_or_the_lowest_score() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 3).await.code;
    join_party(&mut host, &code).await;
    let [(_, mut ann), (_, mut bo)] = seat(&client, &code, ["Ann", "Bo"]).await;
    start(&mut host, &code).await;
    phase(&mut ann, PartyPhase::Question, 0).await;
    // Not allowed yet: a newcomer watches.
    let (_, mut cy) = join_and_connect(&client, "Cy").await;
    assert_eq!(join_party(&mut cy, &code).await.you.map(|y| y.role), Some(PartyRole::Audience));
    // Allowed, from zero: a seat, and the open question to answer.
    let allow = HostAction::Configure { untimed: None, late_join: Some(true), late_score: None };
    command(&mut host, control(&code, "late", allow)).await;
    let (dee_s, mut dee) = join_and_connect(&client, "Dee").await;
    let snap = join_party(&mut dee, &code).await;
    assert_eq!(snap.you.map(|y| y.role), Some(PartyRole::Player));
    assert!(snap.settings.late_join);
    command(&mut dee, answer(&code, 3, 0, Answer::Choice { index: 1 })).await;
    command(&mut ann, answer(&code, 0, 0, Answer::Choice { index: 1 })).await;
    command(&mut bo, answer(&code, 1, 0, Answer::Choice { index: 1 })).await;
    let reveal = phase(&mut host, PartyPhase::Reveal, 0).await;
    let ServerFrame::PhaseTransition { reveal: Some(reveal), leaderboard, .. } = reveal else {
        panic!("no reveal")
    };
    assert!(reveal.scores.iter().any(|s| s.user_id == dee_s.user.id && s.correct), "the late answer counted");
    let lowest = leaderboard.iter().map(|l| l.score).min().unwrap();
    assert!(lowest > 0);
    // From the lowest score.
    let lowest_mode =
        HostAction::Configure { untimed: None, late_join: None, late_score: Some(LateScore::Lowest) };
    command(&mut host, control(&code, "lowest", lowest_mode)).await;
    let (eve_s, mut eve) = join_and_connect(&client, "Eve").await;
    let snap = join_party(&mut eve, &code).await;
    assert_eq!(snap.players.iter().find(|p| p.user_id == eve_s.user.id).map(|p| p.score), Some(lowest));
}

#[tokio::test]
async fn a_player_with_double_time_answers_after_the_base_deadline() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let pack = serde_json::json!({"title": "Quick", "questions": [
        {"kind": "choice", "prompt": "Pick B", "choices": ["A", "B"], "answer": 1, "time_limit_secs": 5}]});
    let pack: hubbub_protocol::PackSummary =
        client.post_json(&host_session, "/api/quiz/packs", &pack).await.unwrap();
    let req = CreatePartyRequest { pack_id: Some(pack.id), ..CreatePartyRequest::default() };
    let code = create_with(&client, &host_session, req).await.code;
    join_party(&mut host, &code).await;
    let [(_, mut ann), (bo_s, mut bo)] = seat(&client, &code, ["Ann", "Bo"]).await;
    let twice = HostAction::TimeFactor { user_id: bo_s.user.id, percent: 200 };
    command(&mut host, control(&code, "2x", twice)).await;
    start(&mut host, &code).await;
    let open = phase(&mut bo, PartyPhase::Question, 0).await;
    let ServerFrame::PhaseTransition { clock, question: Some(q), .. } = open else { panic!("no question") };
    assert_eq!(clock.overtime_ms, Some(q.time_limit_ms), "open a whole limit longer for Bo");
    // Past the base deadline (by the hub's own count of what is left), every phone reading (and so
    // answering the hub's pings) meanwhile.
    let wait = Duration::from_millis(clock.remaining_ms.unwrap() + 300);
    let never = |_: &ServerFrame| false;
    let _ =
        tokio::join!(host.recv_until(wait, never), ann.recv_until(wait, never), bo.recv_until(wait, never));
    ann.send(&answer(&code, 0, 0, Answer::Choice { index: 1 })).await.unwrap();
    assert_eq!(error_code(&mut ann, "a0-0").await, ErrorCode::WrongPhase, "Ann's time is up");
    command(&mut bo, answer(&code, 1, 0, Answer::Choice { index: 1 })).await;
    let reveal = phase(&mut host, PartyPhase::Reveal, 0).await;
    let ServerFrame::PhaseTransition { reveal: Some(reveal), .. } = reveal else { panic!("no reveal") };
    let bo_score = reveal.scores.iter().find(|s| s.user_id == bo_s.user.id).unwrap();
    assert!(bo_score.correct && bo_score.points > 500, "{bo_score:?}: scored against his own time");
}

#[tokio::test]
async fn an_untimed_game_moves_on_when_the_host_says() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let req =
        CreatePartyRequest { question_count: Some(2), untimed: Some(true), ..CreatePartyRequest::default() };
    let party = create_with(&client, &host_session, req).await;
    assert!(party.settings.untimed);
    let code = party.code;
    join_party(&mut host, &code).await;
    let [(_, mut ann), (_, _bo)] = seat(&client, &code, ["Ann", "Bo"]).await;
    start(&mut host, &code).await;
    let open = phase(&mut ann, PartyPhase::Question, 0).await;
    let ServerFrame::PhaseTransition { clock, .. } = open else { panic!() };
    assert_eq!((clock.deadline, clock.remaining_ms), (None, None), "no timer");
    command(&mut ann, answer(&code, 0, 0, Answer::Choice { index: 1 })).await;
    // The host closes the question; Ann's right answer scores in full however long she took.
    // (The host's own reveal comes before the ack of the skip, so Ann's phone is watched.)
    command(&mut host, control(&code, "skip", HostAction::Skip)).await;
    let reveal = phase(&mut ann, PartyPhase::Reveal, 0).await;
    let ServerFrame::PhaseTransition { clock, reveal: Some(reveal), .. } = reveal else { panic!() };
    assert_eq!(clock.deadline, None, "the reveal waits too");
    assert_eq!(reveal.scores.iter().map(|s| s.points).collect::<Vec<_>>(), [1000, 0]);
    command(&mut host, control(&code, "next", HostAction::Skip)).await;
    phase(&mut ann, PartyPhase::Question, 1).await;
}

#[tokio::test]
async fn a_remote_link_lets_the_host_drive_from_a_phone_while_the_big_screen_shows_the_show() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut screen) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 1).await.code;
    join_party(&mut screen, &code).await;
    let [(ann_s, _ann)] = seat(&client, &code, ["Ann"]).await;
    let path = format!("/api/parties/{code}/remote");
    let refused = client.post_json::<_, RemoteLinkResponse>(&ann_s, &path, &serde_json::json!({})).await;
    assert_eq!(api_error(refused), (403, ErrorCode::NotHost));
    let (status, _, _) = get(&hub, &ann_s, &format!("{path}.svg")).await;
    assert_eq!(status, 403);
    let (status, headers, svg) = get(&hub, &host_session, &format!("{path}.svg")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    assert!(svg.contains("<svg") && headers.contains_key("x-remote-expires-at"));
    let shown = headers["x-remote-url"].to_str().unwrap().to_owned();
    assert!(shown.contains(&format!("/party/{code}?remote=")), "{shown}");
    let link: RemoteLinkResponse =
        client.post_json(&host_session, &path, &serde_json::json!({})).await.unwrap();
    assert!(link.url.ends_with(&format!("/party/{code}?remote={}", link.token)), "{}", link.url);

    // The host's phone (another browser) opens the link.
    let (phone_s, mut phone) = join_and_connect(&client, "Host phone").await;
    let join = ClientFrame::PartyJoin {
        r#ref: Some("remote".into()),
        code: code.clone(),
        audience: None,
        remote: Some(link.token.clone()),
    };
    command(&mut phone, join).await;
    let mine = snapshot(&mut phone).await;
    assert_eq!(mine.you.map(|y| (y.role, y.is_host)), Some((PartyRole::Host, true)));
    let big = snapshot(&mut screen).await;
    assert_eq!(big.you.map(|y| (y.role, y.is_host)), Some((PartyRole::Screen, false)));
    assert_eq!((big.host_id, big.screen_id), (phone_s.user.id, Some(host_session.user.id)));
    // Used once.
    let (_, mut other) = join_and_connect(&client, "Other").await;
    let again = ClientFrame::PartyJoin {
        r#ref: Some("r2".into()),
        code: code.clone(),
        audience: None,
        remote: Some(link.token),
    };
    other.send(&again).await.unwrap();
    assert_eq!(error_code(&mut other, "r2").await, ErrorCode::InvalidParty);
    // The screen has no controls; the phone drives, and the screen sees the show.
    screen.send(&ClientFrame::PartyStart { r#ref: Some("s".into()), code: code.clone() }).await.unwrap();
    assert_eq!(error_code(&mut screen, "s").await, ErrorCode::NotHost);
    start(&mut phone, &code).await;
    phase(&mut screen, PartyPhase::Question, 0).await;
}

#[tokio::test]
async fn the_host_downloads_results_that_match_the_game_and_others_get_403() {
    let mut hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 2).await.code;
    join_party(&mut host, &code).await;
    let path = format!("/api/parties/{code}/results.csv");
    let (status, _, body) = get(&hub, &host_session, &path).await;
    assert_eq!(status, 404, "no game yet: {body}");
    let [(ann_s, mut ann), (bo_s, mut bo)] = seat(&client, &code, ["Ann, \"the\" ace", "Bo"]).await;
    start(&mut host, &code).await;
    // Q0 (choice, right 1): Ann right, Bo wrong. Q1 (true/false, right 0 = true): only Bo answers, right.
    phase(&mut ann, PartyPhase::Question, 0).await;
    command(&mut ann, answer(&code, 0, 0, Answer::Choice { index: 1 })).await;
    command(&mut bo, answer(&code, 1, 0, Answer::Choice { index: 2 })).await;
    phase(&mut bo, PartyPhase::Question, 1).await;
    command(&mut bo, answer(&code, 1, 1, Answer::Choice { index: 0 })).await;
    command(&mut host, control(&code, "skip", HostAction::Skip)).await;
    let podium = ann.recv_until(WAIT, |f| matches!(f, ServerFrame::SessionCompleted { .. })).await.unwrap();
    let ServerFrame::SessionCompleted { results: standings, .. } = podium else { panic!() };

    let (status, headers, csv) = get(&hub, &host_session, &path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"].to_str().unwrap(), "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"party-{code}-results.csv\"")
    );
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(split_csv).collect();
    assert_eq!(csv.lines().next(), Some("round,question,player_id,player,answer,correct,time_ms,points"));
    let cells = |r: &Vec<String>| (r[0].clone(), r[2].clone(), r[3].clone(), r[4].clone(), r[5].clone());
    let (a, b) = (ann_s.user.id.to_string(), bo_s.user.id.to_string());
    assert_eq!(
        rows.iter().map(cells).collect::<Vec<_>>(),
        [
            ("1".into(), a.clone(), "Ann, \"the\" ace".into(), "Mercury".into(), "true".into()),
            ("1".into(), b.clone(), "Bo".into(), "Mars".into(), "false".into()),
            ("2".into(), a, "Ann, \"the\" ace".into(), String::new(), "false".into()),
            ("2".into(), b, "Bo".into(), "True".into(), "true".into()),
        ]
    );
    assert!(rows[2][6].is_empty() && rows[2][7] == "0", "no answer: no time, no points");
    let total = |id: i64| -> i64 {
        rows.iter().filter(|r| r[2] == id.to_string()).map(|r| r[7].parse::<i64>().unwrap()).sum()
    };
    for s in &standings {
        assert_eq!(total(s.user_id), s.score, "the rows add up to the podium");
    }

    let json_path = format!("/api/parties/{code}/results");
    let (status, headers, json) = get(&hub, &host_session, &json_path).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "application/json"));
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let results: PartyResults = serde_json::from_str(&json).unwrap();
    assert_eq!(
        results.questions.iter().map(|q| (q.answered, q.correct)).collect::<Vec<_>>(),
        [(2, 1), (1, 1)]
    );
    assert_eq!(
        results.players.iter().map(|p| (p.user_id, p.score)).collect::<Vec<_>>(),
        standings.iter().map(|s| (s.user_id, s.score)).collect::<Vec<_>>()
    );

    // Nobody else may download them.
    for (who, p) in [(&ann_s, &path), (&bo_s, &json_path)] {
        let (status, _, body) = get(&hub, who, p).await;
        assert_eq!(status, 403);
        assert!(body.contains("\"not_host\""), "{body}");
    }
    // They are kept with the party across a restart, and the finished game is stored on its own:
    // `hubbub export`, run as an operator runs it on the stopped hub's directory, writes the same CSV
    // and the JSON beside it.
    assert!(hub.terminate(), "clean shutdown");
    drop((host, ann, bo));
    let out = tempfile::tempdir().unwrap();
    let exported = std::process::Command::new(hubbub_tests::hub_binary())
        .args(["export", "--data-dir"])
        .arg(&hub.data_dir)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert!(String::from_utf8_lossy(&exported.stdout).contains("1 finished game"));
    let files: Vec<_> =
        std::fs::read_dir(out.path().join("parties")).unwrap().map(|e| e.unwrap().path()).collect();
    let csv_file = files.iter().find(|p| p.extension().is_some_and(|e| e == "csv")).expect("a CSV");
    assert!(csv_file.file_name().unwrap().to_str().unwrap().starts_with(&format!("{code}-")));
    assert_eq!(std::fs::read_to_string(csv_file).unwrap(), csv, "the exported CSV is the download's");
    let json_file = csv_file.with_extension("json");
    let game: PartyResults = serde_json::from_str(&std::fs::read_to_string(json_file).unwrap()).unwrap();
    assert_eq!((&game.answers, &game.players), (&results.answers, &results.players));
    assert!(game.finished_at.is_some());
    hub.restart();
    let (status, _, again) = get(&hub, &host_session, &path).await;
    assert_eq!((status, again), (200, csv));
}

/// One CSV line's fields (quoted fields may hold commas and doubled quotes; none here spans lines).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}
