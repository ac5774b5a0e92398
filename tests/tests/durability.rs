//! Durability: the hub is killed with SIGKILL while several clients send; after a restart every
//! acknowledged message is there exactly once, and resending the unacknowledged ones (as the web
//! client's outbox does) stores each of them once too.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubbub_protocol::{ClientFrame, MessagesResponse, ServerFrame};
use hubbub_tests::{Connection, HubClient, Session, TestHub, WAIT, join_and_connect};

const SENDERS: usize = 4;
/// Messages a sender keeps in flight (sent, not yet acknowledged).
const WINDOW: usize = 16;

fn msg(cmid: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(cmid.into()),
        channel: "room:lobby".into(),
        client_message_id: cmid.into(),
        body: format!("payload of {cmid}"),
        attachments: None,
        reply_to: None,
    }
}

/// Sends numbered messages with a window of unacknowledged ones until the socket dies; records every
/// sent id and every acknowledged id with its offset.
async fn sustain(
    mut conn: Connection,
    who: usize,
    sent: Arc<Mutex<Vec<String>>>,
    acked: Arc<Mutex<HashMap<String, i64>>>,
) {
    let mut next = 0usize;
    let mut in_flight = 0usize;
    loop {
        while in_flight < WINDOW {
            let cmid = format!("s{who}-{next}");
            sent.lock().unwrap().push(cmid.clone());
            if conn.send(&msg(&cmid)).await.is_err() {
                return;
            }
            next += 1;
            in_flight += 1;
        }
        match conn.next_frame(WAIT).await {
            Ok(ServerFrame::Ack { r#ref, offset: Some(o), .. }) => {
                acked.lock().unwrap().insert(r#ref, o);
                in_flight -= 1;
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

async fn all_messages(client: &HubClient, s: &Session) -> Vec<hubbub_protocol::ChatMessage> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page: MessagesResponse = client
            .get_json(s, &format!("/api/channels/room:lobby/messages?after={after}&limit=100"))
            .await
            .unwrap();
        after = page.messages.last().map_or(after, |m| m.offset);
        all.extend(page.messages);
        if !page.more {
            return all;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_survives_sigkill_exactly_once() {
    let mut hub = TestHub::start_process(&["--message-rate", "0"]);
    let client = hub.client();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let acked = Arc::new(Mutex::new(HashMap::new()));
    let mut sessions = Vec::new();
    let mut tasks = Vec::new();
    for who in 0..SENDERS {
        let (s, conn) = join_and_connect(&client, &format!("sender {who}")).await;
        sessions.push(s);
        tasks.push(tokio::spawn(sustain(conn, who, Arc::clone(&sent), Arc::clone(&acked))));
    }
    // Let them build up a sustained load, then pull the plug.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hub.kill();
    for t in tasks {
        t.await.unwrap();
    }
    let acked: HashMap<String, i64> = acked.lock().unwrap().clone();
    let sent: Vec<String> = sent.lock().unwrap().clone();
    assert!(acked.len() > 100, "only {} messages were acknowledged before the kill", acked.len());

    hub.restart();
    let client = hub.client();
    let stored = all_messages(&client, &sessions[0]).await;
    let mut by_cmid: BTreeMap<(i64, String), usize> = BTreeMap::new();
    for m in &stored {
        *by_cmid.entry((m.sender_id, m.client_message_id.clone())).or_default() += 1;
    }
    assert!(by_cmid.values().all(|n| *n == 1), "no message is stored twice");
    let offsets: Vec<i64> = stored.iter().map(|m| m.offset).collect();
    assert_eq!(offsets, (1..=stored.len() as i64).collect::<Vec<_>>(), "offsets have no holes");
    let stored_offsets: HashMap<&str, i64> =
        stored.iter().map(|m| (m.client_message_id.as_str(), m.offset)).collect();
    for (cmid, offset) in &acked {
        assert_eq!(
            stored_offsets.get(cmid.as_str()),
            Some(offset),
            "acknowledged {cmid} is stored at its offset"
        );
    }

    // Resend everything that was sent but not acknowledged, like the web client's outbox.
    let unacked: Vec<&String> = sent.iter().filter(|c| !acked.contains_key(*c)).collect();
    let mut conns = Vec::new();
    for s in &sessions {
        conns.push(hubbub_tests::connect_ready(&client, s).await);
    }
    for cmid in &unacked {
        let who: usize = cmid[1..cmid.find('-').unwrap()].parse().unwrap();
        let conn = &mut conns[who];
        conn.send(&msg(cmid)).await.unwrap();
        let frame = conn
            .recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == *cmid))
            .await
            .unwrap();
        let ServerFrame::Ack { duplicate, .. } = frame else { unreachable!() };
        assert_eq!(
            duplicate,
            stored_offsets.contains_key(cmid.as_str()),
            "{cmid}: committed before the kill or not"
        );
    }
    let after = all_messages(&client, &sessions[0]).await;
    assert_eq!(after.len(), sent.len(), "every message sent is stored exactly once");
    println!(
        "durability: {} sent, {} acknowledged before SIGKILL, {} committed but unacknowledged",
        sent.len(),
        acked.len(),
        stored.len() - acked.len()
    );
}
