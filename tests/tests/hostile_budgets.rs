//! A hostile guest against the hub's budgets, one test per attack, against the real hub process:
//! each flood is refused as documented (`rate_limited` with `retry_after_ms`, or `limit_reached` for a
//! hard cap), never by disconnecting anyone, and a bystander in the same room keeps receiving every
//! message exactly once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hubbub_protocol::{
    Answer, ClientFrame, CreatePartyRequest, CreateRoomRequest, DmThread, ErrorCode, InviteRequest,
    MessagesResponse, PackSummary, PartyPhase, PartySnapshot, Room, RoomKind, RoomsResponse, ServerFrame,
    StartDmRequest,
};
use hubbub_tests::{
    ClientError, Connection, Event, HubClient, Session, TestHub, WAIT, api_error, join_and_connect,
};

/// What the bystander received while watched.
#[derive(Debug, Default)]
struct Seen {
    /// Lobby messages by `client_message_id`, with how many times each arrived.
    messages: HashMap<String, usize>,
    /// Typing frames, per typist.
    typing: HashMap<i64, usize>,
    /// The close, if the hub closed the bystander.
    closed: Option<Option<u16>>,
}

/// Reads a bystander's frames in the background.
struct Watch {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Connection>,
}

fn watch(mut conn: Connection) -> Watch {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let (s, halt) = (Arc::clone(&seen), Arc::clone(&stop));
    let task = tokio::spawn(async move {
        while !halt.load(Ordering::SeqCst) {
            match conn.next_event(Duration::from_millis(50)).await {
                Ok(Event::Frame(ServerFrame::Message(m))) => {
                    *s.lock().unwrap().messages.entry(m.client_message_id).or_default() += 1;
                }
                Ok(Event::Frame(ServerFrame::Typing { user_id, .. })) => {
                    *s.lock().unwrap().typing.entry(user_id).or_default() += 1;
                }
                Ok(Event::Frame(_)) | Err(ClientError::Timeout(_)) => {}
                Ok(Event::Closed { code, .. }) => {
                    s.lock().unwrap().closed = Some(code);
                    break;
                }
                Err(e) => panic!("the bystander's socket failed: {e}"),
            }
        }
        conn
    });
    Watch { seen, stop, task }
}

impl Watch {
    /// Waits until every one of `expected` arrived, a little longer for duplicates, then stops;
    /// checks each arrived exactly once and the bystander is still connected and answering.
    async fn finish(self, expected: &[String]) -> (Connection, Seen) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let done = {
                let seen = self.seen.lock().unwrap();
                seen.closed.is_some() || expected.iter().all(|id| seen.messages.contains_key(id))
            };
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.stop.store(true, Ordering::SeqCst);
        let mut conn = self.task.await.unwrap();
        let seen = std::mem::take(&mut *self.seen.lock().unwrap());
        assert_eq!(seen.closed, None, "the bystander was disconnected");
        for id in expected {
            assert_eq!(seen.messages.get(id), Some(&1), "message {id} reached the bystander once");
        }
        conn.send(&ClientFrame::Ping { r#ref: Some("alive".into()) }).await.unwrap();
        conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Pong { r#ref: Some(r), .. } if r == "alive"))
            .await
            .expect("the bystander's socket still answers");
        (conn, seen)
    }
}

/// Sends `n` lobby messages tagged `tag` and waits for each ack; returns their ids.
async fn say(conn: &mut Connection, tag: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("{tag}-{i}");
        conn.send(&ClientFrame::SendMessage {
            r#ref: Some(id.clone()),
            channel: "room:lobby".into(),
            client_message_id: id.clone(),
            body: format!("still here {i}"),
            attachments: None,
            reply_to: None,
        })
        .await
        .unwrap();
        conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == id)).await.unwrap();
        ids.push(id);
    }
    ids
}

/// The attacker, the bystander (watched) and a third guest who keeps talking.
struct Scene {
    client: HubClient,
    attacker: Session,
    a: Connection,
    bystander: Session,
    watch: Watch,
    cy: Connection,
}

async fn scene(hub: &TestHub) -> Scene {
    let client = hub.client();
    let (attacker, a) = join_and_connect(&client, "Mallory").await;
    let (bystander, b) = join_and_connect(&client, "Bo").await;
    let (_, cy) = join_and_connect(&client, "Cy").await;
    Scene { client, attacker, a, bystander, watch: watch(b), cy }
}

/// A REST refusal's status, code and `retry_after_ms`.
fn refusal<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, ErrorCode, Option<u64>) {
    match r {
        Err(ClientError::Api { status, body }) => (status, body.code, body.retry_after_ms),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Asserts a REST flood: the first `budget` calls succeed, the rest are 429 `rate_limited` with a
/// positive `retry_after_ms`.
fn assert_budget<T: std::fmt::Debug>(results: Vec<Result<T, ClientError>>, budget: usize, what: &str) {
    let mut results = results.into_iter();
    for (i, r) in results.by_ref().take(budget).enumerate() {
        assert!(r.is_ok(), "{what} {i} is within the budget: {r:?}");
    }
    let mut refused = 0;
    for r in results {
        let (status, code, retry) = refusal(r);
        assert_eq!((status, code), (429, ErrorCode::RateLimited), "{what} beyond the budget");
        assert!(retry.is_some_and(|ms| ms > 0), "{what}: retry_after_ms {retry:?}");
        refused += 1;
    }
    assert!(refused > 0, "{what}: the flood went beyond the budget");
}

/// The answer to a socket command: `Ok` for its ack, else its error's code and `retry_after_ms`.
async fn answer(conn: &mut Connection, r#ref: &str) -> Result<(), (ErrorCode, Option<u64>)> {
    let reply = conn
        .recv_until(WAIT, |f| {
            matches!(f, ServerFrame::Ack { r#ref: x, .. } | ServerFrame::Error { r#ref: Some(x), .. } if x == r#ref)
        })
        .await
        .unwrap();
    match reply {
        ServerFrame::Ack { .. } => Ok(()),
        ServerFrame::Error { code, retry_after_ms, .. } => Err((code, retry_after_ms)),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_typing_flood_reaches_a_bystander_once_per_window() {
    let hub = TestHub::start_process(&["--typing-window-ms", "1000"]);
    let Scene { attacker, a, watch, mut cy, .. } = scene(&hub).await;
    let started = Instant::now();
    // 4,000 toggles in bursts over about two seconds.
    let flood = tokio::spawn(async move {
        let mut a = a;
        for burst in 0..20 {
            for i in 0..200 {
                let typing = (burst * 200 + i) % 2 == 0;
                a.send(&ClientFrame::Typing { channel: "room:lobby".into(), typing }).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        a
    });
    let mut ids = Vec::new();
    while !flood.is_finished() {
        ids.extend(say(&mut cy, &format!("during-{}", ids.len()), 1).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let _a = flood.await.unwrap();
    // The last change is relayed when its window ends.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ids.extend(say(&mut cy, "after", 3).await);
    let (_, seen) = watch.finish(&ids).await;
    let elapsed = started.elapsed();
    let frames = seen.typing.get(&attacker.user.id).copied().unwrap_or(0);
    let bound = usize::try_from(elapsed.as_secs()).unwrap() + 1;
    assert!(frames >= 1, "the typist's state reached the bystander");
    assert!(frames <= bound, "{frames} typing frames from 4,000 toggles in {elapsed:?} (at most {bound})");
}

#[tokio::test]
async fn a_room_flood_is_refused_per_user_and_per_address_and_lists_stay_small() {
    let hub = TestHub::start_process(&["--room-rate", "10", "--room-rate-per-address", "15"]);
    let Scene { client, attacker, watch, mut cy, bystander, .. } = scene(&hub).await;
    let room = |i: usize| CreateRoomRequest { name: format!("spam {i}"), topic: None, kind: RoomKind::Open };
    let mut results = Vec::new();
    for i in 0..30 {
        results.push(client.post_json::<_, Room>(&attacker, "/api/rooms", &room(i)).await);
    }
    assert_budget(results, 10, "room");
    // A second user from the same address gets only what is left of the address's budget.
    let sock_puppet = client.join("Mallory 2", None).await.unwrap();
    let mut results = Vec::new();
    for i in 30..40 {
        results.push(client.post_json::<_, Room>(&sock_puppet, "/api/rooms", &room(i)).await);
    }
    assert_budget(results, 5, "room from the same address");
    let ids = say(&mut cy, "rooms", 3).await;
    watch.finish(&ids).await;
    let list: RoomsResponse = client.get_json(&bystander, "/api/rooms").await.unwrap();
    assert_eq!(list.rooms.len(), 1 + 15, "the Lobby and the budget's rooms, no more");
}

/// A fast quiz: 1 question, short phases.
const FAST: &[&str] = &["--party-reveal-ms", "200", "--party-countdown-ms", "100"];

#[tokio::test]
async fn a_party_flood_is_capped_per_user_and_refused_per_address() {
    let mut args = FAST.to_vec();
    args.extend(["--party-live-per-user", "2", "--party-rate-per-address", "4"]);
    let hub = TestHub::start_process(&args);
    let Scene { client, attacker, watch, mut cy, .. } = scene(&hub).await;
    let party = CreatePartyRequest::default();
    for _ in 0..2 {
        let _: PartySnapshot = client.post_json(&attacker, "/api/parties", &party).await.unwrap();
    }
    let third = refusal(client.post_json::<_, PartySnapshot>(&attacker, "/api/parties", &party).await);
    assert_eq!((third.0, third.1), (409, ErrorCode::LimitReached), "two live parties per user");
    // More users from the same address: the address's budget (4) runs out.
    let puppet = client.join("Mallory 2", None).await.unwrap();
    let mut results = Vec::new();
    for _ in 0..4 {
        results.push(client.post_json::<_, PartySnapshot>(&puppet, "/api/parties", &party).await);
    }
    let puppet2 = client.join("Mallory 3", None).await.unwrap();
    let r = client.post_json::<_, PartySnapshot>(&puppet2, "/api/parties", &party).await;
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(
        (api_error(results.pop().unwrap()).1, api_error(results.pop().unwrap()).1),
        (ErrorCode::LimitReached, ErrorCode::LimitReached),
        "the puppet's own live cap"
    );
    let (status, code, retry) = refusal(r);
    assert_eq!((status, code), (429, ErrorCode::RateLimited), "the address's budget");
    assert!(retry.is_some_and(|ms| ms > 0));
    let ids = say(&mut cy, "parties", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn a_pack_import_flood_is_refused_after_the_budget() {
    let hub = TestHub::start_process(&["--pack-rate", "5"]);
    let Scene { client, attacker, watch, mut cy, .. } = scene(&hub).await;
    let pack = serde_json::json!({"title": "Tiny", "questions": [{"kind": "number", "prompt": "6 x 7?", "answer": 42}]});
    let mut results = Vec::new();
    for _ in 0..12 {
        results.push(client.post_json::<_, PackSummary>(&attacker, "/api/quiz/packs", &pack).await);
    }
    assert_budget(results, 5, "pack import");
    let ids = say(&mut cy, "packs", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn an_invitation_flood_is_refused_after_the_budget() {
    let hub = TestHub::start_process(&["--invite-rate", "5"]);
    let Scene { client, attacker, watch, mut cy, bystander, .. } = scene(&hub).await;
    let req = CreateRoomRequest { name: "secret".into(), topic: None, kind: RoomKind::Closed };
    let room: Room = client.post_json(&attacker, "/api/rooms", &req).await.unwrap();
    let path = format!("/api/rooms/{}/invite", room.id);
    let mut results = Vec::new();
    for _ in 0..15 {
        let invite = InviteRequest { user_id: bystander.user.id };
        results.push(client.post_no_content(&attacker, &path, &invite).await);
    }
    assert_budget(results, 5, "invitation");
    let ids = say(&mut cy, "invites", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn a_conversation_request_flood_is_refused_after_the_budget() {
    let hub = TestHub::start_process(&["--dm-request-rate", "3"]);
    let Scene { client, attacker, watch, mut cy, .. } = scene(&hub).await;
    let mut results = Vec::new();
    for i in 0..10 {
        let target = client.join(&format!("Target {i}"), None).await.unwrap();
        let req = StartDmRequest { user_id: target.user.id };
        results.push(client.post_json::<_, DmThread>(&attacker, "/api/dms", &req).await);
    }
    assert_budget(results, 3, "conversation request");
    let ids = say(&mut cy, "dms", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn a_reaction_flood_is_refused_and_distinct_reactions_are_capped() {
    let hub = TestHub::start_process(&["--reaction-max-distinct", "5", "--reaction-rate", "30"]);
    let Scene { mut a, watch, mut cy, .. } = scene(&hub).await;
    say(&mut cy, "target", 1).await;
    let message_id = match a
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.client_message_id == "target-0"))
        .await
        .unwrap()
    {
        ServerFrame::Message(m) => m.id,
        _ => unreachable!(),
    };
    let react = |r: String, emoji: &str| ClientFrame::React {
        r#ref: Some(r),
        channel: "room:lobby".into(),
        message_id,
        emoji: emoji.into(),
    };
    for i in 0..5 {
        a.send(&react(format!("e{i}"), &format!("e{i}"))).await.unwrap();
        assert_eq!(answer(&mut a, &format!("e{i}")).await, Ok(()));
    }
    a.send(&react("e5".into(), "e5")).await.unwrap();
    let (code, _) = answer(&mut a, "e5").await.unwrap_err();
    assert_eq!(code, ErrorCode::LimitReached, "a sixth distinct reaction");
    // 6 of the 30 spent; the rest of the flood toggles an existing one.
    let (mut acked, mut limited) = (0, 0);
    for i in 0..40 {
        let r = format!("t{i}");
        a.send(&react(r.clone(), "e0")).await.unwrap();
        match answer(&mut a, &r).await {
            Ok(()) => acked += 1,
            Err((ErrorCode::RateLimited, Some(ms))) if ms > 0 => limited += 1,
            Err(other) => panic!("toggle {i}: {other:?}"),
        }
    }
    assert_eq!((acked, limited), (24, 16));
    let ids = say(&mut cy, "reactions", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn a_search_flood_is_refused_after_the_budget() {
    let hub = TestHub::start_process(&["--search-rate", "20"]);
    let Scene { client, attacker, watch, mut cy, .. } = scene(&hub).await;
    let mut results = Vec::new();
    for _ in 0..30 {
        results.push(client.get_json::<MessagesResponse>(&attacker, "/api/search?q=still").await);
    }
    assert_budget(results, 20, "search");
    let ids = say(&mut cy, "search", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn a_status_flood_is_refused_after_the_budget() {
    let hub = TestHub::start_process(&["--status-rate", "30"]);
    let Scene { mut a, watch, mut cy, .. } = scene(&hub).await;
    let (mut acked, mut limited) = (0, 0);
    for i in 0..50 {
        let r = format!("s{i}");
        a.send(&ClientFrame::SetActivity { r#ref: Some(r.clone()), idle: i % 2 == 0 }).await.unwrap();
        match answer(&mut a, &r).await {
            Ok(()) => acked += 1,
            Err((ErrorCode::RateLimited, Some(ms))) if ms > 0 => limited += 1,
            Err(other) => panic!("activity {i}: {other:?}"),
        }
    }
    assert_eq!((acked, limited), (30, 20));
    let ids = say(&mut cy, "status", 3).await;
    watch.finish(&ids).await;
}

#[tokio::test]
async fn an_ended_party_expires_and_is_gone() {
    let mut args = FAST.to_vec();
    args.extend(["--party-expiry-secs", "1"]);
    let hub = TestHub::start_process(&args);
    let Scene { client, attacker, mut a, watch, mut cy, bystander } = scene(&hub).await;
    let req = CreatePartyRequest { question_count: Some(1), ..CreatePartyRequest::default() };
    let party: PartySnapshot = client.post_json(&attacker, "/api/parties", &req).await.unwrap();
    let code = party.code;
    // The host and one player, one question, answered, to the podium.
    a.send(&ClientFrame::PartyJoin {
        r#ref: Some("join".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    assert_eq!(answer(&mut a, "join").await, Ok(()));
    let (_, mut pat) = join_and_connect(&client, "Pat").await;
    pat.send(&ClientFrame::PartyJoin {
        r#ref: Some("join".into()),
        code: code.clone(),
        audience: None,
        remote: None,
    })
    .await
    .unwrap();
    assert_eq!(answer(&mut pat, "join").await, Ok(()));
    pat.send(&ClientFrame::PartyReady { r#ref: Some("ready".into()), code: code.clone(), ready: true })
        .await
        .unwrap();
    assert_eq!(answer(&mut pat, "ready").await, Ok(()));
    a.send(&ClientFrame::PartyStart { r#ref: Some("go".into()), code: code.clone() }).await.unwrap();
    assert_eq!(answer(&mut a, "go").await, Ok(()));
    let question = |f: &ServerFrame| matches!(f, ServerFrame::PhaseTransition { clock, .. } if clock.phase == PartyPhase::Question);
    pat.recv_until(WAIT, question).await.unwrap();
    let r = ClientFrame::PartyAnswer {
        r#ref: Some("ans".into()),
        code: code.clone(),
        round: 0,
        answer: Answer::Choice { index: 1 },
    };
    pat.send(&r).await.unwrap();
    assert_eq!(answer(&mut pat, "ans").await, Ok(()));
    let podium = |f: &ServerFrame| matches!(f, ServerFrame::PhaseTransition { clock, .. } if clock.phase == PartyPhase::Podium);
    a.recv_until(WAIT, podium).await.unwrap();
    // Expired within a sweep (every 5 s) after its second: gone, its channel left.
    let path = format!("/api/parties/{code}");
    a.recv_until(
        Duration::from_secs(15),
        |f| matches!(f, ServerFrame::Unsubscribed { channel, .. } if *channel == format!("party:{code}")),
    )
    .await
    .expect("the party's channel is left when it expires");
    assert_eq!(
        api_error(client.get_json::<PartySnapshot>(&bystander, &path).await),
        (404, ErrorCode::NoSuchParty)
    );
    // Its host may start another at once.
    let _: PartySnapshot = client.post_json(&attacker, "/api/parties", &req).await.unwrap();
    let ids = say(&mut cy, "expiry", 3).await;
    watch.finish(&ids).await;
}
