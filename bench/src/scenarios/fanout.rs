//! `fanout`: one room with N subscribers; publishers at R messages/s in all. Deliveries/s,
//! publish-to-deliver latency and the hub's CPU time per delivery, and every subscriber must get
//! every message exactly once. The room is the Lobby (stored: each message is on disk before it is
//! fanned out) or an ephemeral room (kept in memory).

use std::time::Duration;

use hubbub_client::{ConnSender, Connection, HubClient, Session};
use hubbub_protocol::{ClientFrame, CreateRoomRequest, InviteRequest, Room, ServerFrame};

use super::spread::{self, Deliveries, Publish};
use crate::clients::{connect_many, join_many};
use crate::report::Report;
use crate::store_stats::Batches;
use crate::target::Target;

/// Which room the scenario fans out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoomKind {
    /// The Lobby: every message is committed to SQLite before anyone is sent it.
    Stored,
    /// An ephemeral room, made for the run: messages live in memory only.
    Ephemeral,
}

/// What the scenario offers the hub.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub subscribers: usize,
    /// Messages per second, all publishers together.
    pub rate: u64,
    pub seconds: u64,
    pub publishers: usize,
    pub room: RoomKind,
}

/// Makes an ephemeral room and brings everyone into it: `sessions[0]` creates it and invites the
/// others, who join. Returns its channel.
async fn ephemeral_room(client: &HubClient, sessions: &[&Session]) -> anyhow::Result<String> {
    let owner = sessions.first().ok_or_else(|| anyhow::anyhow!("no one to make the room"))?;
    let request = CreateRoomRequest {
        name: "fanout bench".into(),
        topic: None,
        kind: hubbub_protocol::RoomKind::Ephemeral,
    };
    let room: Room = client.post_json(owner, "/api/rooms", &request).await?;
    for session in &sessions[1..] {
        let invite = InviteRequest { user_id: session.user.id };
        client.post_no_content(owner, &format!("/api/rooms/{}/invite", room.id), &invite).await?;
        client
            .post_no_content(session, &format!("/api/rooms/{}/join", room.id), &serde_json::Value::Null)
            .await?;
    }
    Ok(format!("room:{}", room.id))
}

/// Waits until `conn` is subscribed to `channel` (after the Lobby, on connect).
async fn subscribed(conn: &mut Connection, channel: &str) -> anyhow::Result<()> {
    conn.recv_until(
        Duration::from_secs(60),
        |f| matches!(f, ServerFrame::Subscribed { channel: c, .. } if c == channel),
    )
    .await?;
    Ok(())
}

/// A Hubbub publisher: `send_message` on its main socket (the acks are read and dropped).
struct HubPublisher {
    tx: ConnSender,
    channel: String,
    sent: u64,
    _drain: tokio::task::JoinHandle<()>,
}

impl Publish for HubPublisher {
    async fn publish(&mut self, body: String) -> anyhow::Result<()> {
        let frame = ClientFrame::SendMessage {
            r#ref: None,
            channel: self.channel.clone(),
            client_message_id: format!("m{}", self.sent),
            body,
            attachments: None,
            reply_to: None,
        };
        self.sent += 1;
        Ok(self.tx.send(&frame).await?)
    }
}

impl Drop for HubPublisher {
    fn drop(&mut self) {
        self._drain.abort();
    }
}

/// A subscriber's deliveries: the messages of `channel`, keyed by their offset.
fn deliveries(conn: Connection, channel: String) -> Deliveries {
    let (tx, rx) = conn.into_split();
    Box::pin(futures_util::stream::unfold((tx, rx), move |(tx, mut rx)| {
        let channel = channel.clone();
        async move {
            loop {
                match rx.next_frame().await? {
                    ServerFrame::Message(m) if m.channel == channel => {
                        if let Some((sent, _)) = spread::parse_body(&m.body) {
                            return Some(((sent, m.offset.unsigned_abs()), (tx, rx)));
                        }
                    }
                    _ => {}
                }
            }
        }
    }))
}

pub async fn run(target: &Target, load: Load) -> anyhow::Result<Report> {
    let Load { subscribers, rate, seconds, publishers, room } = load;
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("fanout")
        .param("subscribers", subscribers)
        .param("rate_per_s", rate)
        .param("seconds", seconds)
        .param("publishers", publishers)
        .param("room", format!("{room:?}").to_lowercase());
    let sub_sessions = join_many(&client, "sub", subscribers).await?;
    let pub_sessions = join_many(&client, "pub", publishers.max(1)).await?;
    let channel = match room {
        RoomKind::Stored => "room:lobby".to_owned(),
        RoomKind::Ephemeral => {
            let everyone: Vec<&Session> = pub_sessions.iter().chain(&sub_sessions).collect();
            ephemeral_room(&client, &everyone).await?
        }
    };
    let mut subs = connect_many(&client, &sub_sessions).await?;
    let mut pubs = connect_many(&client, &pub_sessions).await?;
    if room == RoomKind::Ephemeral {
        for conn in subs.iter_mut().chain(pubs.iter_mut()) {
            subscribed(conn, &channel).await?;
        }
    }
    let subscribers = subs.into_iter().map(|c| deliveries(c, channel.clone())).collect();
    let publishers = pubs
        .into_iter()
        .map(|conn| {
            let (tx, mut rx) = conn.into_split();
            let drain = tokio::spawn(async move { while rx.next_frame().await.is_some() {} });
            HubPublisher { tx, channel: channel.clone(), sent: 0, _drain: drain }
        })
        .collect();
    // How many commits the messages took (one publisher's go one at a time unless they share).
    let batches_before = Batches::scrape(&target.url).await.ok();
    spread::measure(&mut report, subscribers, publishers, rate, seconds, &|| target.cpu_ms()).await?;
    Batches::report_since(batches_before, &target.url, &mut report).await;
    Ok(report)
}
