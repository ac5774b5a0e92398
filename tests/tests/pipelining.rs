//! One client's commands in flight at once: a burst of sends, reactions and read marks written
//! without waiting for acks is answered in order, delivered in order, and on disk once acked.

use std::collections::HashMap;

use hubbub_protocol::{ClientFrame, CreateRoomRequest, ErrorCode, Room, RoomKind, ServerFrame};
use hubbub_tests::{Connection, TestHub, WAIT, join_and_connect};

const BURST: usize = 500;
/// Where the burst resends an earlier `client_message_id`, reacts, sends to a room Ann is not in,
/// marks the lobby read, and sends to a channel that does not parse.
const DUP_AT: usize = 120;
const REACT_AT: usize = 150;
const OUTSIDE_AT: usize = 200;
const MARK_AT: usize = 250;
const BAD_AT: usize = 300;
/// The message the duplicate repeats.
const REPEATED: usize = 50;

fn send(r: &str, channel: &str, cmid: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: channel.into(),
        client_message_id: cmid.into(),
        body: body.into(),
        attachments: None,
        reply_to: None,
    }
}

/// What answers a command of the burst.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Ack { duplicate: bool },
    Error(ErrorCode),
}

/// What the other members see of a command of the burst, in channel order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Message(String),
    Reaction,
    Receipt,
}

/// The burst: each command, with the answer it should get and what others should see of it.
fn burst(first_id: i64) -> Vec<(ClientFrame, Answer, Option<Seen>)> {
    (0..BURST)
        .map(|i| {
            let r = format!("r{i}");
            let ack = Answer::Ack { duplicate: false };
            match i {
                DUP_AT => (
                    send(&r, "room:lobby", &format!("m{REPEATED}"), "again"),
                    Answer::Ack { duplicate: true },
                    None,
                ),
                REACT_AT => (
                    ClientFrame::React {
                        r#ref: Some(r),
                        channel: "room:lobby".into(),
                        message_id: first_id,
                        emoji: "🎉".into(),
                    },
                    ack,
                    Some(Seen::Reaction),
                ),
                OUTSIDE_AT => {
                    (send(&r, "room:staff", &r, "not a member"), Answer::Error(ErrorCode::Forbidden), None)
                }
                MARK_AT => (
                    ClientFrame::MarkRead { r#ref: Some(r), channel: "room:lobby".into(), offset: 1 },
                    ack,
                    Some(Seen::Receipt),
                ),
                BAD_AT => (send(&r, "nowhere", &r, "lost"), Answer::Error(ErrorCode::NoSuchChannel), None),
                _ => {
                    let body = format!("burst {i}");
                    (send(&r, "room:lobby", &format!("m{i}"), &body), ack, Some(Seen::Message(body)))
                }
            }
        })
        .collect()
}

/// Reads what a member sees of the lobby until the burst's last message, checking offsets rise.
async fn lobby_events(conn: &mut Connection, last: &str) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let frame = conn.next_frame(WAIT).await.expect("the burst's events");
        let (item, at) = match frame {
            ServerFrame::Message(m) if m.channel == "room:lobby" => (Seen::Message(m.body), m.offset),
            ServerFrame::Reaction { channel, offset, .. } if channel == "room:lobby" => {
                (Seen::Reaction, offset)
            }
            ServerFrame::ReadReceipt { channel, .. } if channel == "room:lobby" => (Seen::Receipt, offset),
            _ => continue,
        };
        assert!(at >= offset, "offset {at} after {offset}");
        offset = at;
        let done = item == Seen::Message(last.to_owned());
        seen.push(item);
        if done {
            return seen;
        }
    }
}

#[tokio::test]
async fn a_burst_without_waiting_for_acks_is_answered_and_delivered_in_order_and_stored() {
    let hub = TestHub::start(&["--message-rate", "0"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;
    let (cy, mut c) = join_and_connect(&client, "Cy").await;
    let staff = CreateRoomRequest { name: "Staff".into(), topic: None, kind: RoomKind::Closed };
    let _: Room = client.post_json(&cy, "/api/rooms", &staff).await.expect("a closed room");

    // A message to react to, acked before the burst.
    a.send(&send("first", "room:lobby", "first", "first")).await.unwrap();
    let Ok(ServerFrame::Ack { message_id: Some(first_id), .. }) =
        a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await
    else {
        panic!("the first message is acked")
    };

    let commands = burst(first_id);
    for (frame, _, _) in &commands {
        a.send(frame).await.unwrap();
    }
    a.send(&ClientFrame::Ping { r#ref: Some("after".into()) }).await.unwrap();

    // Every command is answered once, in the order sent, and the pong after all of them.
    let mut answers = Vec::new();
    let mut ids: HashMap<String, i64> = HashMap::new();
    loop {
        match a.next_frame(WAIT).await.expect("the answers") {
            ServerFrame::Ack { r#ref, message_id, duplicate, .. } => {
                if let Some(id) = message_id {
                    ids.entry(r#ref.clone()).or_insert(id);
                }
                answers.push((r#ref, Answer::Ack { duplicate }));
            }
            ServerFrame::Error { r#ref: Some(r#ref), code, .. } => answers.push((r#ref, Answer::Error(code))),
            ServerFrame::Pong { r#ref: Some(r), .. } if r == "after" => break,
            _ => {}
        }
    }
    let expected: Vec<(String, Answer)> =
        commands.iter().enumerate().map(|(i, (_, answer, _))| (format!("r{i}"), answer.clone())).collect();
    assert_eq!(answers, expected);
    assert_eq!(
        ids[&format!("r{DUP_AT}")],
        ids[&format!("r{REPEATED}")],
        "the duplicate is acked with the message it repeats"
    );

    // Every member sees each message once, in the order sent, with the reaction and the read
    // receipt in their places.
    let seen: Vec<Seen> = std::iter::once(Seen::Message("first".into()))
        .chain(commands.iter().filter_map(|(_, _, seen)| seen.clone()))
        .collect();
    let last = format!("burst {}", BURST - 1);
    assert_eq!(lobby_events(&mut b, &last).await, seen, "Bo");
    assert_eq!(lobby_events(&mut c, &last).await, seen, "Cy");

    // Every acknowledged message is in the database file, as sent.
    let db = rusqlite::Connection::open_with_flags(
        hub.data_dir.join("hubbub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stored = db.prepare("SELECT body FROM messages WHERE id = ?1 AND sender_id = ?2").unwrap();
    for (i, (frame, _, _)) in commands.iter().enumerate() {
        let ClientFrame::SendMessage { body, channel, .. } = frame else { continue };
        if channel != "room:lobby" || i == DUP_AT {
            continue;
        }
        let id = ids[&format!("r{i}")];
        let on_disk: String =
            stored.query_row((id, ann.user.id), |r| r.get(0)).expect("an acked message on disk");
        assert_eq!(&on_disk, body);
    }
    let count: i64 = db
        .query_row("SELECT count(*) FROM messages WHERE sender_id = ?1", [ann.user.id], |r| r.get(0))
        .unwrap();
    assert_eq!(
        count,
        i64::try_from(BURST - 5 + 1).unwrap(),
        "the first message and the burst's sends, once each"
    );
}
