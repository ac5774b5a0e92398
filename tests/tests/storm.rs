//! A reconnect storm: 1,000 clients drop and come back at once. Presence must stay exact (the right
//! list everywhere, nobody shown offline) and cheap (diffs coalesced per window, not one per client).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use hubbub_protocol::{OnlineUser, ServerFrame};
use hubbub_tests::{Connection, HubClient, Session, TestHub};

const CLIENTS: usize = 1000;
const OBSERVERS: usize = 5;
/// The hub's presence window in this test (the default).
const WINDOW: Duration = Duration::from_millis(100);

/// Applies presence frames of the hub-wide channel to a list; returns whether `frame` was one.
fn apply(list: &mut BTreeSet<i64>, frame: &ServerFrame) -> bool {
    match frame {
        ServerFrame::Subscribed { channel, users: Some(users), .. } if channel == "presence" => {
            *list = users.iter().map(|u: &OnlineUser| u.user_id).collect();
            true
        }
        ServerFrame::PresenceDiff { channel: Some(c), joins, leaves, .. } if c == "presence" => {
            list.extend(joins.iter().map(|u| u.user_id));
            for id in leaves {
                list.remove(id);
            }
            true
        }
        _ => false,
    }
}

/// Reads presence into `list` until it equals `target` (or `patience` runs out, so a wrong list fails the
/// caller's assertion instead of hanging), then until the socket has been quiet for `quiet`. Returns the list, the
/// number of presence frames and of entries they joined (any channel), and whether any hub-wide diff carried a leave. Waiting for the target
/// first keeps a slow, shared machine from ending the read in a pause before the last window is flushed.
async fn settle(
    mut conn: Connection,
    quiet: Duration,
    mut list: BTreeSet<i64>,
    target: &BTreeSet<i64>,
) -> (BTreeSet<i64>, (usize, usize), bool, Connection) {
    let (mut frames, mut entries, mut left) = (0, 0, false);
    let patience = Instant::now() + Duration::from_secs(30);
    loop {
        let wait = if &list == target { quiet } else { patience.saturating_duration_since(Instant::now()) };
        let Ok(frame) = conn.next_frame(wait).await else { break };
        if let ServerFrame::PresenceDiff { joins, .. } = &frame {
            frames += 1;
            entries += joins.len();
        }
        if let ServerFrame::PresenceDiff { channel: Some(c), leaves, .. } = &frame {
            left |= c == "presence" && !leaves.is_empty();
        }
        apply(&mut list, &frame);
    }
    (list, (frames, entries), left, conn)
}

async fn connect_all(client: &HubClient, sessions: &[Session]) -> Vec<Connection> {
    let mut conns = Vec::with_capacity(sessions.len());
    for chunk in sessions.chunks(100) {
        conns.extend(
            join_all(chunk.iter().map(|s| client.connect(s))).await.into_iter().map(|c| c.expect("connect")),
        );
    }
    conns
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_reconnecting_at_once_get_coalesced_exact_presence() {
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open file limit");
    // A grace period long enough that the whole storm fits in it even on a slow, shared machine.
    // Every client listed (not only the first 100 names), so the lists checked are the whole hub.
    // An idle timeout longer than the test: one process reads all 1,005 sockets, the observers not
    // after the storm, the reconnected ones only after it and, on a slow machine, a minute or more
    // behind, so the hub's pings go unanswered past the default 45 s. The hub would rightly drop
    // those sockets and, after the grace period, list their users as gone; clients still reading
    // would then lose the observers (or guests) from their lists.
    let hub = TestHub::start(&[
        "--presence-grace-ms",
        "30000",
        "--presence-list-max",
        "2000",
        "--idle-timeout-secs",
        "3600",
        // A thousand guests from one loopback address: no budget on new users.
        "--join-rate",
        "0",
        "--join-rate-hub",
        "0",
    ]);
    let client = hub.client();
    let mut sessions = Vec::with_capacity(CLIENTS);
    let names: Vec<String> = (0..CLIENTS).map(|i| format!("guest {i}")).collect();
    for chunk in names.chunks(100) {
        let joined = join_all(chunk.iter().map(|name| client.join(name, None))).await;
        sessions.extend(joined.into_iter().map(|s| s.expect("join")));
    }
    let mut observers = Vec::new();
    let mut everyone: BTreeSet<i64> = sessions.iter().map(|s| s.user.id).collect();
    for i in 0..OBSERVERS {
        let s = client.join(&format!("observer {i}"), None).await.unwrap();
        everyone.insert(s.user.id);
        // Read from the first frame: the `subscribed` snapshot is part of the list (the diffs after
        // it do not repeat who was already in it).
        observers.push(client.connect(&s).await.expect("connect"));
    }

    // Everyone connects while the observers read (as live clients do), until presence settles.
    let (conns, settled) = tokio::join!(
        connect_all(&client, &sessions),
        join_all(observers.into_iter().map(|o| settle(
            o,
            Duration::from_millis(800),
            BTreeSet::new(),
            &everyone
        )),)
    );
    let mut observers = Vec::new();
    for (list, _, _, conn) in settled {
        assert_eq!(list, everyone, "an observer's list before the storm");
        observers.push((conn, list));
    }
    assert_eq!(hub.client().status().await.unwrap().connections as usize, CLIENTS + OBSERVERS);

    // The storm: all 1,000 sockets vanish at once (no close frame) and reconnect at once.
    let storm = Instant::now();
    drop(conns);
    let quiet = Duration::from_millis(1500);
    let reconnecting = async {
        let conns = connect_all(&client, &sessions).await;
        (conns, storm.elapsed())
    };
    let ((conns, reconnect_took), watched) = tokio::join!(
        reconnecting,
        join_all(observers.into_iter().map(|(o, list)| settle(o, quiet, list, &everyone)))
    );
    let storm_took = storm.elapsed() - quiet;
    let reconnected = join_all(conns.into_iter().map(|c| settle(c, quiet, BTreeSet::new(), &everyone))).await;

    // Two presence scopes reach an observer (the hub and the Lobby): at most one diff each per
    // window, split into frames of at most 10 entries. Uncoalesced, it would be a frame per client
    // per scope (2,000 or more).
    let windows = (storm_took.as_millis() / WINDOW.as_millis() + 2) as usize;
    for (list, (frames, entries), left, _) in &watched {
        assert_eq!(list, &everyone, "an observer's list after the storm");
        assert!(!left, "nobody went offline: every reconnect came within the grace period");
        let bound = 2 * windows + entries.div_ceil(10);
        assert!(*frames <= bound, "{frames} presence frames for {CLIENTS} reconnects; bound {bound}");
        assert!(*entries <= 4 * CLIENTS, "{entries} entries: each client at most twice per scope");
    }
    for (list, _, _, _) in &reconnected {
        assert_eq!(list, &everyone, "a reconnected client's list");
    }
    let most = watched.iter().map(|w| w.1.0).max().unwrap_or(0);
    println!(
        "storm: {CLIENTS} reconnects in {reconnect_took:?} ({windows} windows); observers got at most \
         {most} presence frames (uncoalesced it would be {} or more)",
        2 * CLIENTS
    );
}
