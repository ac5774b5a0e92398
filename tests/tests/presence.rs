//! Presence as guests live it: tabs, reconnects, dead peers, rooms, statuses, the REST list.

use std::time::{Duration, Instant};

use hubbub_protocol::{ClientFrame, ErrorCode, OnlineUser, PresenceStatus, ServerFrame};
use hubbub_tests::{Connection, FreezingProxy, TestHub, WAIT, connect_ready, join_and_connect};

/// Reads frames for `dur` and returns the presence diffs of `channel` among them.
async fn diffs_for(conn: &mut Connection, channel: &str, dur: Duration) -> Vec<(Vec<OnlineUser>, Vec<i64>)> {
    let deadline = tokio::time::Instant::now() + dur;
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match conn.next_frame(left).await {
            Ok(ServerFrame::PresenceDiff { channel: Some(c), joins, leaves, .. }) if c == channel => {
                out.push((joins, leaves));
            }
            Ok(_) => {}
            Err(hubbub_tests::ClientError::Timeout(_)) => return out,
            Err(e) => panic!("{e}"),
        }
    }
}

async fn until_diff(conn: &mut Connection, channel: &str, pred: impl Fn(&[OnlineUser], &[i64]) -> bool) {
    conn.recv_until(WAIT, |f| {
        matches!(f, ServerFrame::PresenceDiff { channel: Some(c), joins, leaves, .. } if c == channel && pred(joins, leaves))
    })
    .await
    .expect("the expected presence diff");
}

#[tokio::test]
async fn tabs_count_as_one_user_and_the_rest_list_agrees() {
    let hub = TestHub::start(&["--presence-grace-ms", "300"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, b1) = join_and_connect(&client, "Bo").await;
    until_diff(&mut a, "presence", |j, _| j.iter().any(|u| u.user_id == bo.user.id)).await;
    let b2 = connect_ready(&client, &bo).await;
    until_diff(&mut a, "presence", |j, _| j.iter().any(|u| u.user_id == bo.user.id && u.connections == 2))
        .await;
    let online = client.online_users(&ann).await.unwrap();
    assert_eq!(online.total_count, 2);
    let entry = online.users.iter().find(|u| u.user_id == bo.user.id).unwrap();
    assert_eq!((entry.connections, entry.devices.len()), (2, 2));
    assert_eq!(client.status().await.unwrap().connections, 3);

    // Closing one tab keeps Bo online with one device; closing both makes him leave after the grace.
    b1.close().await.unwrap();
    until_diff(&mut a, "presence", |j, _| j.iter().any(|u| u.user_id == bo.user.id && u.connections == 1))
        .await;
    assert_eq!(client.online_users(&ann).await.unwrap().total_count, 2);
    b2.close().await.unwrap();
    until_diff(&mut a, "presence", |_, l| l.contains(&bo.user.id)).await;
    assert_eq!(client.online_users(&ann).await.unwrap().total_count, 1);
}

#[tokio::test]
async fn a_reconnect_within_the_grace_period_never_shows_offline() {
    let hub = TestHub::start(&["--presence-grace-ms", "3000"]);
    let client = hub.client();
    let (_ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, b) = join_and_connect(&client, "Bo").await;
    until_diff(&mut a, "presence", |j, _| j.iter().any(|u| u.user_id == bo.user.id)).await;
    b.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _b = connect_ready(&client, &bo).await;
    // Well past the grace period of the first connection: no leave for Bo, ever.
    let seen = diffs_for(&mut a, "presence", Duration::from_millis(4000)).await;
    assert!(seen.iter().all(|(_, leaves)| !leaves.contains(&bo.user.id)), "{seen:?}");
    assert!(
        seen.iter().any(|(joins, _)| joins.iter().any(|u| u.user_id == bo.user.id)),
        "the new device shows"
    );
}

#[tokio::test]
async fn a_half_open_connection_is_removed_within_idle_timeout_plus_grace() {
    let hub =
        TestHub::start(&["--heartbeat-secs", "1", "--idle-timeout-secs", "2", "--presence-grace-ms", "500"]);
    let client = hub.client();
    let (_ann, mut a) = join_and_connect(&client, "Ann").await;
    let bo = client.join("Bo", None).await.unwrap();
    let proxy = FreezingProxy::start(hub.url.trim_start_matches("http://").parse().unwrap()).await;
    let token = client.ws_token(&bo).await.unwrap();
    let mut b = Connection::open(&format!("ws://{}/ws?token={token}", proxy.addr)).await.unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    until_diff(&mut a, "presence", |j, _| j.iter().any(|u| u.user_id == bo.user.id)).await;

    let frozen_at = Instant::now();
    proxy.freeze();
    // Keep reading in a task so Bo's frozen socket stays unanswered while Ann answers her pings.
    until_diff(&mut a, "presence", |_, l| l.contains(&bo.user.id)).await;
    let took = frozen_at.elapsed();
    // Documented bound: idle timeout (2 s) + grace (0.5 s) + one presence window, plus scheduling slack.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(took >= Duration::from_millis(2000), "not before the idle timeout: {took:?}");
    drop(b);
}

#[tokio::test]
async fn room_presence_is_a_snapshot_then_diffs_on_the_room() {
    let hub = TestHub::start(&["--presence-grace-ms", "200"]);
    let client = hub.client();
    let ann = client.join("Ann", None).await.unwrap();
    let mut a = connect_ready(&client, &ann).await;
    let bo = client.join("Bo", None).await.unwrap();
    let mut b = client.connect(&bo).await.unwrap();
    let frame = b
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "room:lobby"))
        .await
        .unwrap();
    let ServerFrame::Subscribed { users: Some(users), .. } = frame else { panic!("room snapshot") };
    let mut ids: Vec<i64> = users.iter().map(|u| u.user_id).collect();
    ids.sort();
    assert_eq!(ids, vec![ann.user.id, bo.user.id]);
    until_diff(&mut a, "room:lobby", |j, _| j.iter().any(|u| u.user_id == bo.user.id)).await;

    b.send(&ClientFrame::Unsubscribe { r#ref: Some("u".into()), channel: "room:lobby".into() })
        .await
        .unwrap();
    until_diff(&mut a, "room:lobby", |_, l| l.contains(&bo.user.id)).await;
    let online = client.online_users(&ann).await.unwrap();
    assert!(online.users.iter().any(|u| u.user_id == bo.user.id), "still online on the hub");
}

#[tokio::test]
async fn chosen_status_and_idle_tabs_show_to_others() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (_ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    b.send(&ClientFrame::SetStatus {
        r#ref: Some("s".into()),
        status: PresenceStatus::Busy,
        text: Some(" at the snack table ".into()),
    })
    .await
    .unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "s")).await.unwrap();
    until_diff(&mut a, "presence", |j, _| {
        j.iter().any(|u| {
            u.user_id == bo.user.id
                && u.status == PresenceStatus::Busy
                && u.status_text.as_deref() == Some("at the snack table")
        })
    })
    .await;
    b.send(&ClientFrame::SetStatus { r#ref: None, status: PresenceStatus::Online, text: None })
        .await
        .unwrap();
    b.send(&ClientFrame::SetActivity { r#ref: None, idle: true }).await.unwrap();
    until_diff(&mut a, "presence", |j, _| {
        j.iter()
            .any(|u| u.user_id == bo.user.id && u.status == PresenceStatus::Away && u.status_text.is_none())
    })
    .await;
    b.send(&ClientFrame::SetActivity { r#ref: None, idle: false }).await.unwrap();
    until_diff(&mut a, "presence", |j, _| {
        j.iter().any(|u| u.user_id == bo.user.id && u.status == PresenceStatus::Online)
    })
    .await;

    b.send(&ClientFrame::SetStatus {
        r#ref: Some("bad".into()),
        status: PresenceStatus::Away,
        text: Some("x".repeat(81)),
    })
    .await
    .unwrap();
    let err = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(err, ServerFrame::Error { code: ErrorCode::InvalidStatus, .. }), "{err:?}");
    b.send_text(r#"{"type":"set_status","status":"sleepy"}"#).await.unwrap();
    let err = b.recv_until(WAIT, |f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(err, ServerFrame::Error { code: ErrorCode::InvalidFrame, .. }), "{err:?}");
}

#[tokio::test]
async fn a_restarted_hub_starts_with_nobody_online() {
    // A process, so the restart follows a crash (SIGKILL), which leaves no chance to tidy up presence.
    let mut hub = TestHub::start_process(&[]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    let (_bo, _b) = join_and_connect(&client, "Bo").await;
    assert_eq!(client.online_users(&ann).await.unwrap().total_count, 2);
    hub.kill();
    hub.restart();
    let client = hub.client();
    assert_eq!(client.online_users(&ann).await.unwrap().total_count, 0, "no ghosts from the last run");
}

#[tokio::test]
async fn a_chosen_status_is_kept_across_going_offline_and_restarts() {
    let mut hub = TestHub::start(&["--presence-grace-ms", "100"]);
    let client = hub.client();
    let (bo, mut b) = join_and_connect(&client, "Bo").await;
    b.send(&ClientFrame::SetStatus {
        r#ref: Some("s".into()),
        status: PresenceStatus::Busy,
        text: Some("gaming".into()),
    })
    .await
    .unwrap();
    b.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "s")).await.unwrap();
    b.close().await.unwrap();
    hub.terminate();
    hub.restart();
    let client = hub.client();
    let _b = connect_ready(&client, &bo).await;
    let me =
        client.online_users(&bo).await.unwrap().users.into_iter().find(|u| u.user_id == bo.user.id).unwrap();
    assert_eq!((me.status, me.status_text.as_deref()), (PresenceStatus::Busy, Some("gaming")));
}

/// A hub larger than its presence list: each socket gets the first names and the total, the list
/// stays exact as people come and go, and REST search finds everyone else.
#[tokio::test]
async fn a_large_hub_lists_the_first_names_with_the_total_and_search_finds_the_rest() {
    let hub = TestHub::start(&["--presence-list-max", "3", "--presence-grace-ms", "200"]);
    let client = hub.client();
    let mut guests = Vec::new();
    for name in ["Dora", "Eli", "Cleo", "Finn", "Gus"] {
        guests.push(join_and_connect(&client, name).await);
    }
    let me = client.join("Zoe", None).await.unwrap();
    let mut watcher = client.connect(&me).await.unwrap();
    let ServerFrame::Subscribed { users: Some(users), total, .. } = watcher
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if channel == "presence"))
        .await
        .unwrap()
    else {
        unreachable!()
    };
    let listed: Vec<String> = users.into_iter().map(|u| u.display_name).collect();
    assert_eq!((listed.clone(), total), (vec!["Cleo".to_owned(), "Dora".into(), "Eli".into()], Some(6)));

    // An earlier name arrives: it joins the list, Eli leaves the list but not the hub.
    let (_abe, _a) = join_and_connect(&client, "abe").await;
    until_diff(&mut watcher, "presence", |j, l| {
        j.iter().any(|u| u.display_name == "abe") && l.contains(&guests[1].0.user.id)
    })
    .await;
    let online = client.online_users(&me).await.unwrap();
    assert_eq!(
        (online.total_count, online.matched, online.users.len()),
        (7, 7, 3),
        "a page is the list's size"
    );
    assert_eq!(online.next_offset, Some(3));

    // Search reaches past the end of the list, any case; pages go on from next_offset.
    let found: hubbub_protocol::OnlineUsersResponse =
        client.get_json(&me, "/api/users/online?q=FIN").await.unwrap();
    assert_eq!((found.matched, found.users[0].display_name.as_str()), (1, "Finn"));
    let rest: hubbub_protocol::OnlineUsersResponse =
        client.get_json(&me, "/api/users/online?offset=3&limit=10").await.unwrap();
    let names: Vec<&str> = rest.users.iter().map(|u| u.display_name.as_str()).collect();
    assert_eq!((names, rest.next_offset), (vec!["Eli", "Finn", "Gus", "Zoe"], None));
    for bad in ["limit=0", "limit=5000", "offset=-1", "limit=x"] {
        let err = client
            .get_json::<hubbub_protocol::OnlineUsersResponse>(&me, &format!("/api/users/online?{bad}"))
            .await;
        assert_eq!(hubbub_tests::api_error(err), (400, ErrorCode::InvalidFrame), "{bad}");
    }

    // Someone past the end leaves: the list stands, the total follows (at most a second later).
    let (gus, gus_conn) = guests.pop().unwrap();
    gus_conn.close().await.unwrap();
    let frame = watcher
        .recv_until(Duration::from_secs(5), |f| matches!(f, ServerFrame::PresenceDiff { total: Some(6), .. }))
        .await
        .expect("the new total");
    let ServerFrame::PresenceDiff { leaves, .. } = frame else { unreachable!() };
    assert!(!leaves.contains(&gus.user.id), "Gus was never listed");
}
