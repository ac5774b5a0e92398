//! `/metrics` on a real hub: guests connect, chat, get refused; a scrape shows each series moved
//! by exactly what they did.

use hubbub_protocol::{ClientFrame, ServerFrame};
use hubbub_tests::{Connection, TestHub, WAIT, call, join_and_connect};

async fn scrape(hub: &TestHub) -> String {
    let resp = reqwest::get(format!("{}/metrics", hub.url)).await.expect("scrape");
    assert_eq!(resp.status().as_u16(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    resp.text().await.unwrap()
}

/// The value of one series (`name{labels}` exactly as written), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap_or_else(|_| panic!("{series}: {v}")))
}

fn send(r: &str, body: &str) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: "room:lobby".into(),
        client_message_id: format!("cm-{r}"),
        body: body.into(),
        attachments: None,
        reply_to: None,
    }
}

/// Scrapes until `series` has `want` (a socket's end reaches the hub a moment after the client's).
async fn settles(hub: &TestHub, series: &str, want: f64) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = scrape(hub).await;
        if value(&text, series) == want || tokio::time::Instant::now() > deadline {
            assert_eq!(value(&text, series), want, "{series}\n{text}");
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn until_ack(conn: &mut Connection, r: &str) {
    conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == r)).await.unwrap();
}

#[tokio::test]
async fn a_scrape_counts_connections_frames_deliveries_refusals_and_the_writer() {
    let hub = TestHub::start(&["--message-rate", "3"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (_bo, mut b) = join_and_connect(&client, "Bo").await;
    // Bo's arrival reaches Ann through a presence flush; after it, nothing moves until they chat.
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::PresenceDiff { joins, .. } if joins.iter().any(|u| u.display_name == "Bo")))
        .await
        .unwrap();
    let before = scrape(&hub).await;
    assert_eq!(value(&before, r#"hubbub_connections_open{path="/ws"}"#), 2.0);
    assert_eq!(value(&before, r#"hubbub_connections_total{path="/ws"}"#), 2.0);
    assert!(value(&before, "hubbub_presence_flushes_total") >= 1.0);

    for r in ["1", "2", "3"] {
        a.send(&send(r, "hello")).await.unwrap();
        until_ack(&mut a, r).await;
    }
    a.send(&send("4", "one too many")).await.unwrap();
    assert_eq!(hubbub_tests::error_code(&mut a, "4").await, hubbub_protocol::ErrorCode::RateLimited);
    // Ann read her own copies while she waited for the acks; Bo reads his.
    for _ in 0..3 {
        b.recv_until(WAIT, |f| matches!(f, ServerFrame::Message(_))).await.unwrap();
    }
    let after = scrape(&hub).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(moved(r#"hubbub_frames_in_total{type="send_message"}"#), 4.0);
    assert_eq!(moved(r#"hubbub_frames_out_total{type="ack"}"#), 3.0);
    assert_eq!(moved(r#"hubbub_frames_out_total{type="message"}"#), 6.0, "three messages to two sockets");
    assert_eq!(moved(r#"hubbub_frames_out_total{type="error"}"#), 1.0);
    assert_eq!(moved("hubbub_deliveries_total"), 6.0, "each message fanned out to both sockets");
    assert_eq!(moved(r#"hubbub_refusals_total{code="rate_limited",via="socket"}"#), 1.0);
    assert!(moved("hubbub_store_batch_jobs_sum") >= 3.0, "each message is a write job");
    assert!(moved("hubbub_store_batch_jobs_count") >= 1.0);
    assert_eq!(moved("hubbub_store_batch_jobs_count"), moved("hubbub_store_commit_seconds_count"));
    assert_eq!(value(&after, "hubbub_store_commit_failures_total"), 0.0);
    assert!(value(&after, "process_resident_memory_bytes") > 1e6);
    assert!(value(&after, "process_open_fds") >= 3.0);
    assert!(value(&after, "process_max_fds") >= value(&after, "process_open_fds"));

    // Refusals at the door: a socket without credentials, a REST call without a session.
    let mut stranger = Connection::open(&client.ws_url("not-a-token")).await.unwrap();
    assert_eq!(stranger.expect_close(WAIT).await.unwrap().0, Some(4401));
    let (status, _) = call(&hub, "GET", "/api/notifications", None, None).await;
    assert_eq!(status, 401);
    // Bo leaves; a party opens.
    b.close().await.unwrap();
    let (status, _) =
        call(&hub, "POST", "/api/parties", Some(&ann.secret), Some(serde_json::json!({}))).await;
    assert_eq!(status, 201);
    let last = settles(&hub, r#"hubbub_connections_open{path="/ws"}"#, 1.0).await;
    let moved = |series: &str| value(&last, series) - value(&after, series);
    assert_eq!(moved(r#"hubbub_closes_total{code="peer"}"#), 1.0);
    assert_eq!(moved(r#"hubbub_closes_total{code="4401"}"#), 1.0);
    assert_eq!(moved(r#"hubbub_refusals_total{code="unauthenticated",via="upgrade"}"#), 1.0);
    assert_eq!(moved(r#"hubbub_refusals_total{code="unauthenticated",via="rest"}"#), 1.0);
    assert_eq!(value(&last, "hubbub_parties_live"), 1.0);
}
