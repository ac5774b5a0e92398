//! `reconnect`: N clients drop at once; M messages are sent while they are away; all reconnect at
//! once with `since` and must each recover exactly the M missed messages. Time to full recovery.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use hubbub_client::HubClient;
use hubbub_protocol::{ClientFrame, ServerFrame};

use crate::clients::{connect, join_many};
use crate::report::Report;
use crate::target::Target;

pub async fn run(target: &Target, n: usize, missed: usize) -> anyhow::Result<Report> {
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("reconnect").param("clients", n).param("missed", missed);
    let sessions = join_many(&client, "back", n).await?;
    let (publisher_session, mut publisher) = {
        let s = join_many(&client, "sender", 1).await?.remove(0);
        let (c, _) = connect(&client, &s, 0, None).await?;
        (s, c)
    };
    let _ = publisher_session;
    // Everyone connects and remembers where the Lobby stood.
    let opened: Vec<_> = stream::iter(sessions.iter().enumerate().map(|(i, s)| connect(&client, s, i, None)))
        .buffered(64)
        .collect()
        .await;
    let mut positions = Vec::with_capacity(n);
    let mut conns = Vec::with_capacity(n);
    for o in opened {
        let (conn, lobby) = o?;
        let ServerFrame::Subscribed { epoch: Some(epoch), last_offset: Some(offset), .. } = lobby else {
            anyhow::bail!("the Lobby subscription had no position");
        };
        positions.push((epoch, offset));
        conns.push(conn);
    }
    // They all vanish at once; messages keep coming.
    drop(conns);
    for i in 0..missed {
        let r = format!("m{i}");
        publisher
            .send(&ClientFrame::SendMessage {
                r#ref: Some(r.clone()),
                channel: "room:lobby".into(),
                client_message_id: r.clone(),
                body: format!("missed {i}"),
                attachments: None,
                reply_to: None,
            })
            .await?;
        publisher
            .recv_until(
                Duration::from_secs(30),
                |f| matches!(f, ServerFrame::Ack { r#ref, .. } if *r#ref == r),
            )
            .await?;
    }
    // Everyone comes back at once with its position.
    let started = Instant::now();
    let back: Vec<_> =
        stream::iter(sessions.iter().zip(&positions).enumerate().map(|(i, (s, (epoch, offset)))| {
            let since = format!("room:lobby@{epoch}:{offset}");
            let client = &client;
            async move { connect(client, s, i, Some(&since)).await.map(|(c, lobby)| (c, lobby, *offset)) }
        }))
        .buffer_unordered(256)
        .collect()
        .await;
    let took = started.elapsed();
    let mut exact = 0usize;
    let mut recovered = 0usize;
    let mut keep = Vec::with_capacity(n);
    for b in back {
        let (conn, lobby, from) = b?;
        if let ServerFrame::Subscribed { recovered: Some(true), events: Some(events), .. } = lobby {
            recovered += 1;
            let offsets: Vec<i64> = events
                .iter()
                .filter_map(|e| match e {
                    ServerFrame::Message(m) => Some(m.offset),
                    _ => None,
                })
                .collect();
            let want: Vec<i64> = ((from + 1)..=(from + missed as i64)).collect();
            if offsets == want {
                exact += 1;
            }
        }
        keep.push(conn);
    }
    report.metric("recovery_s", (took.as_secs_f64() * 1000.0).round() / 1000.0);
    report.metric("recovered", recovered);
    report.metric("exactly_once", exact);
    report.check("every client recovered exactly the missed messages", exact == n);
    Ok(report)
}
