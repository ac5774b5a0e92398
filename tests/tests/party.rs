//! Party sessions through the real hub: five socket clients play a whole quiz (one drops and comes
//! back mid-question with its score), the party socket's refusals, REST errors and pack import, and
//! a hub restart in the middle of a question.

use std::collections::HashMap;

use hubbub_protocol::{
    Answer, ClientFrame, CreatePartyRequest, ErrorCode, HostAction, PackSummary, PartiesResponse, PartyPhase,
    PartyRole, PartySnapshot, PlayerState, ServerFrame,
};
use hubbub_tests::party::{FAST, answer, command, control, create, join_party, phase, snapshot};
use hubbub_tests::{Connection, TestHub, WAIT, api_error, error_code, join_and_connect};

#[tokio::test]
async fn five_players_play_a_whole_quiz_and_a_dropped_one_keeps_their_seat_and_score() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Quizmaster").await;
    let party = create(&client, &host_session, 3).await;
    let code = party.code.clone();
    assert_eq!(code.len(), 4);
    assert!(party.join_url.ends_with(&format!("/party/{code}")), "{}", party.join_url);
    assert_eq!(party.you.as_ref().map(|y| (y.role, y.is_host)), Some((PartyRole::Host, true)));
    let seen = join_party(&mut host, &code).await;
    assert_eq!(seen.clock.phase, PartyPhase::Lobby);

    let mut sessions = Vec::new();
    let mut players = Vec::new();
    for i in 0..5 {
        let (s, mut c) = join_and_connect(&client, &format!("Player {i}")).await;
        let snap = join_party(&mut c, &code).await;
        assert_eq!(snap.you.as_ref().map(|y| y.role), Some(PartyRole::Player));
        assert_eq!(snap.players.len(), i + 1, "seated in join order");
        command(
            &mut c,
            ClientFrame::PartyReady { r#ref: Some("ready".into()), code: code.clone(), ready: true },
        )
        .await;
        sessions.push(s);
        players.push(c);
    }
    let listed: PartiesResponse = client.get_json(&host_session, "/api/parties").await.unwrap();
    assert_eq!(listed.parties.iter().find(|p| p.code == code).map(|p| p.players), Some(5));
    // Only the host starts.
    players[0].send(&ClientFrame::PartyStart { r#ref: Some("s".into()), code: code.clone() }).await.unwrap();
    assert_eq!(error_code(&mut players[0], "s").await, ErrorCode::NotHost);
    command(&mut host, ClientFrame::PartyStart { r#ref: Some("start".into()), code: code.clone() }).await;

    // Points per player from every reveal, to check against the final standings.
    let mut points: HashMap<i64, i64> = HashMap::new();
    // Q0 (choice, right answer 1): four right, player 4 wrong; player 0 resends and is not locked out.
    for p in &mut players {
        phase(p, PartyPhase::Question, 0).await;
    }
    for (i, p) in players.iter_mut().enumerate() {
        let index = if i == 4 { 0 } else { 1 };
        assert!(!command(p, answer(&code, i, 0, Answer::Choice { index })).await);
    }
    assert!(command(&mut players[0], answer(&code, 0, 0, Answer::Choice { index: 1 })).await, "a duplicate");
    let reveal = phase(&mut host, PartyPhase::Reveal, 0).await;
    let ServerFrame::PhaseTransition { reveal: Some(r), .. } = reveal else { panic!("no reveal") };
    assert_eq!(r.correct_choices, vec![1]);
    assert_eq!(r.distribution, vec![1, 4, 0, 0]);
    for s in &r.scores {
        *points.entry(s.user_id).or_default() += s.points;
    }
    let before = points[&sessions[2].user.id];
    assert!(before > 0);

    // Q1 (true/false, true): player 2's phone sleeps mid-question, then it comes back and answers.
    for p in &mut players {
        phase(p, PartyPhase::Question, 1).await;
    }
    let dropped = players.remove(2);
    drop(dropped);
    let gone = sessions[2].user.id;
    host.recv_until(WAIT, |f| {
        matches!(f, ServerFrame::PlayerConnection { user_id, state: PlayerState::Reconnecting, .. } if *user_id == gone)
    })
    .await
    .expect("the others see the seat held as reconnecting");
    let mut back = hubbub_tests::connect_ready(&client, &sessions[2]).await;
    let snap = join_party(&mut back, &code).await;
    let seat = snap.players.iter().find(|p| p.user_id == gone).unwrap();
    assert_eq!(snap.you.as_ref().map(|y| y.role), Some(PartyRole::Player));
    assert_eq!(seat.score, before, "score intact after the drop");
    assert_eq!(seat.state, PlayerState::Connected);
    assert_eq!((snap.clock.phase, snap.clock.round), (PartyPhase::Question, 1), "back in the same question");
    assert_eq!(snap.players.iter().position(|p| p.user_id == gone), Some(2), "the same seat");
    players.insert(2, back);
    for (i, p) in players.iter_mut().enumerate() {
        command(p, answer(&code, i, 1, Answer::Choice { index: 0 })).await;
    }
    let ServerFrame::PhaseTransition { reveal: Some(r), .. } = phase(&mut host, PartyPhase::Reveal, 1).await
    else {
        panic!("no reveal")
    };
    assert!(r.scores.iter().all(|s| s.correct), "everyone was right, including the returning player");
    for s in &r.scores {
        *points.entry(s.user_id).or_default() += s.points;
    }

    // Q2 (multi, [0, 2]): everyone but player 1 right.
    for p in &mut players {
        phase(p, PartyPhase::Question, 2).await;
    }
    for (i, p) in players.iter_mut().enumerate() {
        let indices = if i == 1 { vec![0] } else { vec![2, 0] };
        command(p, answer(&code, i, 2, Answer::Choices { indices })).await;
    }
    let ServerFrame::PhaseTransition { reveal: Some(r), .. } = phase(&mut host, PartyPhase::Reveal, 2).await
    else {
        panic!("no reveal")
    };
    for s in &r.scores {
        *points.entry(s.user_id).or_default() += s.points;
    }
    let completed = host
        .recv_until(WAIT, |f| matches!(f, ServerFrame::SessionCompleted { .. }))
        .await
        .expect("session_completed");
    let ServerFrame::SessionCompleted { results, .. } = completed else { unreachable!() };
    assert_eq!(results.len(), 5);
    for r in &results {
        assert_eq!(r.score, points[&r.user_id], "{} scored what the reveals added up to", r.display_name);
    }
    assert!(results.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    let p4 = results.iter().find(|r| r.user_id == sessions[4].user.id).unwrap();
    assert!(p4.score < results[0].score, "a wrong answer costs");
    for p in &mut players {
        p.recv_until(WAIT, |f| matches!(f, ServerFrame::SessionCompleted { .. }))
            .await
            .expect("players see it");
    }
}

#[tokio::test]
async fn party_sockets_refuse_unknown_codes_and_kicked_players() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 2).await.code;
    join_party(&mut host, &code).await;
    let guest = client.join("Guest", None).await.unwrap();

    let mut nowhere = client.connect_path(&guest, "/party/QQQQ/ws").await.unwrap();
    assert_eq!(nowhere.expect_close(WAIT).await.unwrap().0, Some(4404));

    // The seed's path socket joins the party and receives its channel.
    let path = format!("/party/{}/ws", code.to_lowercase());
    let token = client.ws_token(&guest).await.unwrap();
    let mut seat =
        Connection::open(&format!("{}&context=lobby", client.ws_path_url(&path, &token))).await.unwrap();
    let snap = snapshot(&mut seat).await;
    assert_eq!(snap.you.map(|y| y.role), Some(PartyRole::Player));
    let bad = Connection::open(&format!("{}&context=kitchen", client.ws_path_url(&path, &token))).await;
    assert!(bad.is_err(), "an unknown context is refused before the upgrade");

    // Kicked: the party socket closes 4403, and the player cannot come back by any door.
    command(&mut host, control(&code, "kick", HostAction::Kick { user_id: guest.user.id })).await;
    let left = seat.recv_until(WAIT, |f| matches!(f, ServerFrame::PlayerLeft { .. })).await.unwrap();
    assert!(matches!(left, ServerFrame::PlayerLeft { reason: hubbub_protocol::LeaveReason::Kicked, .. }));
    assert_eq!(seat.expect_close(WAIT).await.unwrap().0, Some(4403));
    let mut again = client.connect_path(&guest, &path).await.unwrap();
    assert_eq!(again.expect_close(WAIT).await.unwrap().0, Some(4403));
    let mut main = hubbub_tests::connect_ready(&client, &guest).await;
    main.send(&ClientFrame::PartyJoin {
        r#ref: Some("j".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut main, "j").await, ErrorCode::Kicked);
    main.send(&ClientFrame::PartyJoin {
        r#ref: Some("k".into()),
        code: "ZZZZ".into(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    assert_eq!(error_code(&mut main, "k").await, ErrorCode::NoSuchParty);
    // Watchers cannot answer; answers to a closed question are refused with their own code.
    let (_, mut fan) = join_and_connect(&client, "Fan").await;
    command(
        &mut fan,
        ClientFrame::PartyJoin {
            r#ref: Some("w".into()),
            code: code.clone(),
            audience: Some(true),
            remote: None,
        },
    )
    .await;
    fan.send(&answer(&code, 9, 0, Answer::Choice { index: 0 })).await.unwrap();
    assert_eq!(error_code(&mut fan, "a9-0").await, ErrorCode::NotAPlayer);
}

#[tokio::test]
async fn bad_party_and_pack_requests_get_clear_errors_and_imported_packs_play() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let me = client.join("Host", None).await.unwrap();
    let bad = CreatePartyRequest { max_players: Some(0), ..CreatePartyRequest::default() };
    assert_eq!(
        api_error(client.post_json::<_, PartySnapshot>(&me, "/api/parties", &bad).await),
        (400, ErrorCode::InvalidParty)
    );
    let bad = CreatePartyRequest { pack_id: Some("p99".into()), ..CreatePartyRequest::default() };
    assert_eq!(
        api_error(client.post_json::<_, PartySnapshot>(&me, "/api/parties", &bad).await),
        (404, ErrorCode::NotFound)
    );
    assert_eq!(
        api_error(client.get_json::<PartySnapshot>(&me, "/api/parties/QQQQ").await),
        (404, ErrorCode::NoSuchParty)
    );

    let wrong = serde_json::json!({"title": "Bad", "questions": [{"kind": "choice", "prompt": "?", "choices": ["a", "b"], "answer": 5}]});
    let err = api_error(client.post_json::<_, PackSummary>(&me, "/api/quiz/packs", &wrong).await);
    assert_eq!(err, (422, ErrorCode::InvalidPack));
    let good = serde_json::json!({"title": "Tiny", "questions": [{"kind": "number", "prompt": "6 x 7?", "answer": 42}]});
    let pack: PackSummary = client.post_json(&me, "/api/quiz/packs", &good).await.unwrap();
    assert_eq!((pack.title.as_str(), pack.question_count), ("Tiny", 1));
    let req = CreatePartyRequest { pack_id: Some(pack.id.clone()), ..CreatePartyRequest::default() };
    let party: PartySnapshot = client.post_json(&me, "/api/parties", &req).await.unwrap();
    assert_eq!((party.title.as_str(), party.clock.rounds), ("Tiny", 1));
    let qr = reqwest_get(&format!("{}/api/parties/{}/qr.svg", client.base(), party.code)).await;
    assert!(qr.starts_with("<?xml") && qr.contains("<svg"), "{}", &qr[..qr.len().min(80)]);
}

async fn reqwest_get(url: &str) -> String {
    reqwest::get(url).await.unwrap().error_for_status().unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_party_survives_a_hub_restart_mid_question() {
    let mut hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let code = create(&client, &host_session, 2).await.code;
    join_party(&mut host, &code).await;
    let (a_session, mut a) = join_and_connect(&client, "Ann").await;
    let (b_session, mut b) = join_and_connect(&client, "Bo").await;
    for c in [&mut a, &mut b] {
        join_party(c, &code).await;
        command(c, ClientFrame::PartyReady { r#ref: Some("r".into()), code: code.clone(), ready: true })
            .await;
    }
    command(&mut host, ClientFrame::PartyStart { r#ref: Some("go".into()), code: code.clone() }).await;
    let ServerFrame::PhaseTransition { clock, .. } = phase(&mut a, PartyPhase::Question, 0).await else {
        unreachable!()
    };
    command(&mut a, answer(&code, 0, 0, Answer::Choice { index: 1 })).await;

    // The hub stops with everyone still connected: its sockets closing must not move the game on.
    assert!(hub.terminate(), "clean shutdown");
    drop((host, a, b));
    hub.restart();
    let client = hub.client();
    let mut a = hubbub_tests::connect_ready(&client, &a_session).await;
    let snap = join_party(&mut a, &code).await;
    assert_eq!((snap.clock.phase, snap.clock.round), (PartyPhase::Question, 0), "the phase is restored");
    assert_eq!(snap.clock.deadline, clock.deadline, "and its deadline");
    assert_eq!(snap.you.and_then(|y| y.answer), Some(Answer::Choice { index: 1 }), "and Ann's answer");
    assert!(
        command(&mut a, answer(&code, 0, 0, Answer::Choice { index: 1 })).await,
        "a resend is a duplicate"
    );
    let mut b = hubbub_tests::connect_ready(&client, &b_session).await;
    join_party(&mut b, &code).await;
    command(&mut b, answer(&code, 1, 0, Answer::Choice { index: 0 })).await;
    let ServerFrame::PhaseTransition { reveal: Some(r), .. } = phase(&mut a, PartyPhase::Reveal, 0).await
    else {
        panic!("no reveal")
    };
    let ann = r.scores.iter().find(|s| s.user_id == a_session.user.id).unwrap();
    assert!(ann.correct && ann.points >= 500, "Ann's answer from before the restart scored: {ann:?}");
}

#[tokio::test]
async fn party_chat_is_an_ephemeral_room_for_members_only() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let party = create(&client, &host_session, 1).await;
    let (code, room) = (party.code.clone(), party.chat_channel.clone());
    assert_eq!(room, format!("room:_party-{}", code.to_lowercase()));
    join_party(&mut host, &code).await;
    let (ann_session, mut ann) = join_and_connect(&client, "Ann").await;
    ann.send(&ClientFrame::PartyJoin {
        r#ref: Some("j".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    // Joining the party subscribes the party's chat.
    hubbub_tests::expect_all(
        &mut ann,
        &[
            &|f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "j"),
            &|f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == room),
            &|f| matches!(f, ServerFrame::SessionUpdate { .. }),
        ],
    )
    .await;
    let (_, mut outsider) = join_and_connect(&client, "Outsider").await;

    let say = |who: &str, body: &str| ClientFrame::SendMessage {
        r#ref: Some(format!("{who}-say")),
        channel: room.clone(),
        client_message_id: format!("{who}-1"),
        body: body.into(),
        attachments: None,
        reply_to: None,
    };
    command(&mut ann, say("ann", "good luck all")).await;
    host.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.body == "good luck all"))
        .await
        .expect("the host reads the party chat");
    outsider.send(&say("out", "let me in")).await.unwrap();
    assert_eq!(error_code(&mut outsider, "out-say").await, ErrorCode::Forbidden);
    let sub = ClientFrame::Subscribe { r#ref: Some("peek".into()), channel: room.clone(), since: None };
    outsider.send(&sub).await.unwrap();
    assert_eq!(error_code(&mut outsider, "peek").await, ErrorCode::Forbidden);

    // A kicked player loses the chat with the seat.
    let kick = HostAction::Kick { user_id: ann_session.user.id };
    command(&mut host, control(&code, "kick", kick)).await;
    ann.recv_until(WAIT, |f| matches!(f, ServerFrame::Unsubscribed { channel, .. } if *channel == room))
        .await
        .expect("the chat is taken away");
    ann.send(&say("ann2", "still here?")).await.unwrap();
    assert_eq!(error_code(&mut ann, "ann2-say").await, ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_nudged_player_away_from_the_party_finds_it_in_their_inbox() {
    let hub = TestHub::start(FAST);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let party = create(&client, &host_session, 1).await;
    join_party(&mut host, &party.code).await;
    let (bo_session, mut bo) = join_and_connect(&client, "Bo").await;
    // Bo takes a seat from the party page's own socket, then the page closes; the main socket stays.
    let mut page = client.connect_path(&bo_session, &format!("/party/{}/ws", party.code)).await.unwrap();
    snapshot(&mut page).await;
    drop(page);
    let bo_id = bo_session.user.id;
    host.recv_until(WAIT, |f| {
        matches!(f, ServerFrame::PlayerConnection { user_id, state: PlayerState::Reconnecting, .. } if *user_id == bo_id)
    })
    .await
    .unwrap();
    command(&mut host, control(&party.code, "nudge", HostAction::Ping { user_id: None })).await;
    let note = bo.recv_until(WAIT, |f| matches!(f, ServerFrame::Notification { .. })).await.unwrap();
    let ServerFrame::Notification { notification, .. } = note else { unreachable!() };
    assert_eq!(notification.kind, hubbub_protocol::NotificationKind::HostPing);
    assert_eq!(notification.join_url.as_deref(), Some(party.join_url.as_str()));
    // On the party's channel the nudge is a `host_ping` frame instead, and no inbox entry.
    let mut seat = hubbub_tests::connect_ready(&client, &bo_session).await;
    join_party(&mut seat, &party.code).await;
    command(&mut host, control(&party.code, "nudge2", HostAction::Ping { user_id: Some(bo_id) })).await;
    let ping = seat.recv_until(WAIT, |f| matches!(f, ServerFrame::HostPing { .. })).await.unwrap();
    assert!(matches!(ping, ServerFrame::HostPing { from_name, .. } if from_name == "Host"));
}
