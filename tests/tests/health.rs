//! What an operator's monitor sees: `/api/status` turns 503 while the store cannot write and back
//! to 200 after; `--log-format json` writes one JSON object per line, with a line per request.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{TestHub, WAIT, hub_binary, join_and_connect, terminate_child};

async fn status(hub: &TestHub) -> (u16, String) {
    let resp = reqwest::get(format!("{}/api/status", hub.url)).await.unwrap();
    let code = resp.status().as_u16();
    let body: hubbub_protocol::StatusResponse = resp.json().await.unwrap();
    (code, body.status)
}

fn send(r: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: "room:lobby".into(),
        client_message_id: format!("cm-{r}"),
        body: "hello".into(),
        attachments: None,
        reply_to: None,
    }
}

#[tokio::test]
async fn status_is_503_while_the_store_cannot_write_and_200_after() {
    let hub = TestHub::start(&[]);
    let (_ann, mut a) = join_and_connect(&hub.client(), "Ann").await;
    assert_eq!(status(&hub).await, (200, "ok".to_owned()));

    // Another process takes the database's write lock and keeps it past the hub's busy timeout.
    let other = rusqlite::Connection::open(hub.data_dir.join("hubbub.db")).unwrap();
    other.busy_timeout(WAIT).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    a.send(&send("1")).await.unwrap();
    let refused = a
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Error { r#ref: Some(r), .. } if r == "1"))
        .await
        .expect("the write fails once the hub gives up waiting for the lock");
    assert!(matches!(refused, ServerFrame::Error { code: hubbub_protocol::ErrorCode::Internal, .. }));
    assert_eq!(status(&hub).await, (503, "store_failing".to_owned()));

    other.execute_batch("COMMIT").unwrap();
    drop(other);
    a.send(&send("2")).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "2")).await.unwrap();
    assert_eq!(status(&hub).await, (200, "ok".to_owned()));
}

#[tokio::test]
async fn json_logs_have_a_line_per_request_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(hub_binary())
        .args(["serve", "--bind", "127.0.0.1:0", "--no-discovery", "--log-format", "json", "--data-dir"])
        .arg(dir.path())
        .env("HUBBUB_LOG", "info,hubbub::http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&log);
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // Keep reading what it prints, as a terminal would.
    std::thread::spawn(move || for _ in stdout.lines() {});
    let Some(url) = first.trim().strip_prefix("listening on ").map(str::to_owned) else {
        let _ = child.wait();
        panic!("the hub did not start: {first:?}\n{:#?}", log.lock().unwrap());
    };
    let resp = reqwest::get(format!("{url}/api/rooms")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    let deadline = std::time::Instant::now() + WAIT;
    let request = loop {
        let lines = log.lock().unwrap().clone();
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect();
        if let Some(line) = parsed.iter().find(|v| v["fields"]["route"] == "/api/rooms") {
            break line.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no request line in {lines:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(request["target"], "hubbub::http");
    assert_eq!(request["level"], "DEBUG");
    assert_eq!(request["fields"]["method"], "GET");
    assert_eq!(request["fields"]["status"], 401);
    assert!(request["fields"]["ms"].as_f64().is_some(), "{request}");
    assert!(terminate_child(child));
    let lines = log.lock().unwrap();
    assert!(lines.iter().any(|l| l.contains("shutting down")), "{lines:#?}");
}
