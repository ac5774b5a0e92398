//! Looking after a hub's data while guests chat: `hubbub backup` holds every message acknowledged
//! before it began, `hubbub restore` puts it back, `hubbub export` writes the rooms as JSON.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{TestHub, WAIT, call, hub_binary, join_and_connect};

/// Runs `hubbub ARGS --data-dir DIR`; whether it succeeded, and what it printed (stdout, stderr).
fn run(args: &[&str], data_dir: &Path) -> (bool, String, String) {
    let out =
        Command::new(hub_binary()).args(args).arg("--data-dir").arg(data_dir).output().expect("run hubbub");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn hubbub(args: &[&str], data_dir: &Path) -> String {
    let (ok, printed, log) = run(args, data_dir);
    assert!(ok, "hubbub {args:?}: {printed}{log}");
    printed
}

fn bodies(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt =
        conn.prepare("SELECT body FROM messages WHERE channel = 'room:lobby' ORDER BY \"offset\"").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_a_guest_chats_holds_every_acknowledged_message_and_restores() {
    let mut hub = TestHub::start(&["--message-rate", "0"]);
    let (ann, mut conn) = join_and_connect(&hub.client(), "Ann").await;
    // Ann sends one message after another, each after the last one's ack, until told to stop.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = tokio::spawn({
        let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
        async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let body = format!("message {n}");
                let frame = ClientFrame::SendMessage {
                    r#ref: Some(n.to_string()),
                    channel: "room:lobby".into(),
                    client_message_id: format!("m{n}"),
                    body: body.clone(),
                    attachments: None,
                    reply_to: None,
                };
                conn.send(&frame).await.unwrap();
                let r = n.to_string();
                conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == r))
                    .await
                    .unwrap();
                acked.lock().unwrap().push(body);
            }
        }
    });
    while acked.lock().unwrap().len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let file = hub.data_dir.parent().unwrap().join(format!("backup-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let before = acked.lock().unwrap().clone();
    let printed = hubbub(&["backup", file.to_str().unwrap()], &hub.data_dir);
    assert!(printed.starts_with("backed up"), "{printed}");
    let during = acked.lock().unwrap().len();
    while acked.lock().unwrap().len() < during + 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    sender.await.unwrap();

    let saved = bodies(&file);
    assert!(
        saved.len() >= before.len(),
        "{} saved, {} acknowledged before the backup",
        saved.len(),
        before.len()
    );
    assert_eq!(saved[..before.len()], before[..], "every message acknowledged before the backup, in order");
    let all = acked.lock().unwrap().clone();
    assert!(all.len() > saved.len(), "messages sent after the backup are not in it");

    // A second backup to the same file is refused; the export reads the running hub.
    let (ok, _, log) = run(&["backup", file.to_str().unwrap()], &hub.data_dir);
    assert!(!ok && log.contains("already exists"), "{log}");
    let export = tempfile::tempdir().unwrap();
    let printed = hubbub(&["export", "--out", export.path().to_str().unwrap()], &hub.data_dir);
    assert!(printed.contains(&format!("{} messages and 0 finished games", all.len())), "{printed}");
    let rooms: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export.path().join("rooms.json")).unwrap()).unwrap();
    assert_eq!(rooms[0]["slug"], "lobby");
    assert_eq!(rooms[0]["messages"], all.len());
    let lobby: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export.path().join("rooms/lobby.json")).unwrap())
            .unwrap();
    assert_eq!(lobby["room"]["name"], "Lobby");
    let exported: Vec<&str> =
        lobby["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(exported, all.iter().map(String::as_str).collect::<Vec<_>>());

    // Restore: refused while the hub runs; then stop, restore, start: the hub serves the backup.
    let (ok, _, log) = run(&["restore", file.to_str().unwrap()], &hub.data_dir);
    assert!(
        !ok && log.contains("another hub is already running"),
        "a running hub's database is not replaced: {log}"
    );
    assert!(hub.terminate());
    let printed = hubbub(&["restore", file.to_str().unwrap()], &hub.data_dir);
    assert!(printed.contains(&format!("{} messages", saved.len())), "{printed}");
    assert!(hub.data_dir.join("hubbub.db.before-restore").is_file());
    hub.restart();
    let (status, page) =
        call(&hub, "GET", "/api/channels/room:lobby/messages?limit=100", Some(&ann.secret), None).await;
    assert_eq!(status, 200, "Ann's session came back with the backup");
    let served: Vec<&str> =
        page["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(
        served.last().copied(),
        saved.last().map(String::as_str),
        "the newest message is the backup's"
    );
    assert_eq!(bodies(&hub.data_dir.join("hubbub.db")), saved);
    let _ = std::fs::remove_file(&file);
}
