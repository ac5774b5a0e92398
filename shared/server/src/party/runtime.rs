//! A party's task: takes commands one at a time, fires its timers, stores each change, then sends.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hubbub_protocol::{
    Answer, Channel, HostAction, NotificationKind, PartyResults, RemoteLinkResponse, ServerFrame, close,
};
use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use super::engine::{Out, Party, Refusal};
use super::{Ctx, Shared, lock, summarize};
use crate::conn::{CloseReason, ConnHandle, encode};
use crate::reply::error_frame;
use crate::store::{NewNotification, StoredResults, save_party, save_party_results};
use crate::time::now_ms;

/// How a successful join is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// `party_join`: `ack`.
    Ack,
    /// `subscribe` to `party:{code}`: `subscribed`.
    Subscribed,
    /// The `/party/{code}/ws` socket: no answer; a refusal closes it with 4403.
    PathSocket,
}

/// A message to a party's task.
pub enum Msg {
    Join {
        conn: Arc<ConnHandle>,
        audience: bool,
        /// The token of the host's remote link, when the joiner opened one.
        remote: Option<String>,
        r#ref: Option<String>,
        reply: Joined,
    },
    Leave {
        conn: Arc<ConnHandle>,
        r#ref: Option<String>,
    },
    Ready {
        conn: Arc<ConnHandle>,
        r#ref: Option<String>,
        ready: bool,
    },
    Start {
        conn: Arc<ConnHandle>,
        r#ref: Option<String>,
    },
    Answer {
        conn: Arc<ConnHandle>,
        r#ref: Option<String>,
        round: u32,
        answer: Answer,
    },
    Control {
        conn: Arc<ConnHandle>,
        r#ref: Option<String>,
        action: HostAction,
    },
    /// A connection on the party's channel closed or unsubscribed.
    Detach {
        conn_id: u64,
        user_id: i64,
    },
    Snapshot {
        user: i64,
        reply: oneshot::Sender<hubbub_protocol::PartySnapshot>,
    },
    /// The host asks for a remote link.
    Remote {
        user: i64,
        reply: oneshot::Sender<Result<RemoteLinkResponse, Refusal>>,
    },
    /// The host asks for the latest game's results.
    Results {
        user: i64,
        reply: oneshot::Sender<Result<PartyResults, Refusal>>,
    },
}

struct Actor {
    ctx: Ctx,
    party: Party,
    channel: Channel,
    /// Open connections on the channel, per user.
    conns: HashMap<i64, HashSet<u64>>,
    shared: Arc<Mutex<Shared>>,
}

fn ack(r#ref: Option<String>, duplicate: bool) -> Option<ServerFrame> {
    r#ref.map(|r#ref| ServerFrame::Ack { r#ref, channel: None, message_id: None, offset: None, duplicate })
}

/// Runs a party until the hub shuts down.
pub(super) async fn run(ctx: Ctx, party: Party, mut rx: mpsc::Receiver<Msg>, shared: Arc<Mutex<Shared>>) {
    let channel = Channel::Party(party.code.clone());
    let shutdown = ctx.core.shutdown().clone();
    let mut actor = Actor { ctx, party, channel, conns: HashMap::new(), shared };
    let expired = loop {
        let wait =
            actor.party.next_wake().map(|w| Duration::from_millis(u64::try_from(w - now_ms()).unwrap_or(0)));
        tokio::select! {
            // Shutdown first: the sockets closing then are the hub's doing, not players leaving, and
            // must not move a game on (the party is stored as it was and resumes after a restart).
            biased;
            () = shutdown.cancelled() => break false,
            msg = rx.recv() => match msg {
                Some(Msg::Answer { conn, r#ref, round, answer }) => {
                    // Answers already queued behind this one count as one change: stored once.
                    let (batch, next) = gather((conn, r#ref, round, answer), &mut rx);
                    actor.answers(batch).await;
                    if let Some(next) = next {
                        actor.handle(next).await;
                    }
                }
                Some(msg) => actor.handle(msg).await,
                // The service dropped the party's handle: it ended long enough ago to expire.
                None => break true,
            },
            () = sleep(wait) => {
                let out = actor.party.tick(now_ms());
                actor.commit(out).await;
            }
        }
    };
    if expired {
        actor.expire().await;
    }
}

/// An answer waiting in a party's queue: its connection, `ref`, question and answer.
type Queued = (Arc<ConnHandle>, Option<String>, u32, Answer);

/// Most answers counted as one change.
const ANSWER_BATCH: usize = 256;

/// `first` and the answers queued right behind it (up to [`ANSWER_BATCH`]), and the first other
/// message met, which is handled next.
fn gather(first: Queued, rx: &mut mpsc::Receiver<Msg>) -> (Vec<Queued>, Option<Msg>) {
    let mut batch = vec![first];
    while batch.len() < ANSWER_BATCH {
        match rx.try_recv() {
            Ok(Msg::Answer { conn, r#ref, round, answer }) => batch.push((conn, r#ref, round, answer)),
            Ok(other) => return (batch, Some(other)),
            Err(_) => break,
        }
    }
    (batch, None)
}

async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

impl Actor {
    async fn handle(&mut self, msg: Msg) {
        let now = now_ms();
        match msg {
            Msg::Join { conn, audience, remote, r#ref, reply } => {
                self.join(now, conn, audience, remote, r#ref, reply).await;
            }
            Msg::Leave { conn, r#ref } => {
                let result = self.party.leave(now, conn.user.id);
                if result.is_ok() {
                    self.drop_user(conn.user.id, false).await;
                }
                self.finish(now, &conn, r#ref, result.map(|o| (false, o))).await;
            }
            Msg::Ready { conn, r#ref, ready } => {
                let result = self.party.ready(now, conn.user.id, ready);
                self.finish(now, &conn, r#ref, result.map(|o| (false, o))).await;
            }
            Msg::Start { conn, r#ref } => {
                let result = self.party.start(now, conn.user.id);
                self.finish(now, &conn, r#ref, result.map(|o| (false, o))).await;
            }
            Msg::Answer { conn, r#ref, round, answer } => {
                self.answers(vec![(conn, r#ref, round, answer)]).await;
            }
            Msg::Control { conn, r#ref, action } => {
                let result = self.party.control(now, conn.user.id, &action);
                self.finish(now, &conn, r#ref, result.map(|o| (false, o))).await;
            }
            Msg::Detach { conn_id, user_id } => {
                let Some(set) = self.conns.get_mut(&user_id) else { return };
                if set.remove(&conn_id) && set.is_empty() {
                    self.conns.remove(&user_id);
                    let out = self.party.detach(now, user_id);
                    self.commit(out).await;
                }
            }
            Msg::Snapshot { user, reply } => {
                let _ = reply.send(self.party.snapshot(now, Some(user)));
            }
            Msg::Remote { user, reply } => {
                let token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 18]>());
                let result =
                    self.party.mint_remote(now, user, token.clone()).map(|expires_at| RemoteLinkResponse {
                        url: format!("{}?remote={token}", self.party.join_url),
                        token,
                        expires_at,
                    });
                let _ = reply.send(result);
            }
            Msg::Results { user, reply } => {
                let _ = reply.send(super::results::for_host(&self.party, user));
            }
        }
    }

    async fn join(
        &mut self,
        now: i64,
        conn: Arc<ConnHandle>,
        audience: bool,
        remote: Option<String>,
        r#ref: Option<String>,
        reply: Joined,
    ) {
        let user = conn.user.id;
        let joined = match remote {
            Some(token) => self.party.claim_remote(now, &conn.user, &token),
            None => self.party.join(now, &conn.user, audience).map(|(_, out)| out),
        };
        match joined {
            Err(refusal) => {
                let message = refusal.message.clone();
                conn.send_frame(&error_frame(r#ref, refusal));
                if reply == Joined::PathSocket {
                    conn.close(CloseReason::Send {
                        code: close::FORBIDDEN,
                        reason: Cow::Owned(message),
                        flush: true,
                    });
                }
            }
            Ok(mut out) => {
                super::chat::add(&self.ctx, &self.party.code, user).await;
                self.conns.entry(user).or_default().insert(conn.id);
                // Idempotent: changes only what is not yet marked connected (a new seat, a returning
                // player, a host who took their rights with a remote link).
                out.extend(self.party.attach(now, user));
                self.commit(out).await;
                match reply {
                    Joined::Ack => {
                        if let Some(f) = ack(r#ref, false) {
                            conn.send_frame(&f);
                        }
                    }
                    Joined::Subscribed => {
                        conn.send_frame(&ServerFrame::subscribed(r#ref, self.channel.to_string()));
                    }
                    Joined::PathSocket => {}
                }
                conn.send_frame(&ServerFrame::SessionUpdate {
                    party: Box::new(self.party.snapshot(now, Some(user))),
                });
                // Subscribed after the snapshot, by this task: no event can fall between the two.
                self.ctx.core.registry().subscribe(&self.channel, &conn);
            }
        }
    }

    /// Counts answers as one change: stored once, their frames sent (one progress update for them
    /// all), then each acknowledged (or refused).
    async fn answers(&mut self, batch: Vec<Queued>) {
        let now = now_ms();
        let (replies, answers): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|(conn, r#ref, round, answer)| {
                let user = conn.user.id;
                ((conn, r#ref), (user, round, answer))
            })
            .unzip();
        let (results, mut out) = self.party.answer_many(now, answers);
        out.extend(self.party.tick(now));
        self.commit(out).await;
        for ((conn, r#ref), result) in replies.into_iter().zip(results) {
            match result {
                Ok(duplicate) => {
                    if let Some(f) = ack(r#ref, duplicate) {
                        conn.send_frame(&f);
                    }
                }
                Err(refusal) => {
                    conn.send_frame(&error_frame(r#ref, refusal));
                }
            }
        }
    }

    /// Stores and sends the outcome of a command, then answers it (`ack`, or `error` if refused).
    async fn finish(
        &mut self,
        now: i64,
        conn: &ConnHandle,
        r#ref: Option<String>,
        result: Result<(bool, Vec<Out>), Refusal>,
    ) {
        match result {
            Ok((duplicate, mut out)) => {
                out.extend(self.party.tick(now));
                self.commit(out).await;
                if let Some(f) = ack(r#ref, duplicate) {
                    conn.send_frame(&f);
                }
            }
            Err(refusal) => {
                conn.send_frame(&error_frame(r#ref, refusal));
            }
        }
    }

    /// Stores the party when anything happened, then sends the frames in order.
    async fn commit(&mut self, out: Vec<Out>) {
        if out.is_empty() {
            return;
        }
        self.store().await;
        for o in out {
            match o {
                Out::All(frame) => {
                    self.ctx.core.registry().publish(&self.channel, &encode(&frame), None);
                }
                Out::User(user, frame) => {
                    let bytes = encode(&frame);
                    let mut reached = false;
                    for c in self
                        .ctx
                        .core
                        .registry()
                        .subscribers(&self.channel)
                        .iter()
                        .filter(|c| c.user.id == user)
                    {
                        reached |= c.send(bytes.clone());
                    }
                    if !reached && matches!(frame, ServerFrame::HostPing { .. }) {
                        self.nudge_elsewhere(user).await;
                    }
                }
                Out::Evict(user) => self.drop_user(user, true).await,
            }
        }
        let mut shared = lock(&self.shared);
        shared.summary = summarize(&self.party);
        shared.banned.clone_from(&self.party.banned);
        shared.ended_at =
            if self.party.finished() { shared.ended_at.or(Some(self.party.updated_at)) } else { None };
    }

    /// The party expired: everyone on its channel is told `unsubscribed`, and its room goes.
    async fn expire(&mut self) {
        let registry = self.ctx.core.registry();
        for c in registry.subscribers(&self.channel) {
            registry.unsubscribe(&self.channel, &c);
            c.send_frame(&ServerFrame::Unsubscribed { r#ref: None, channel: self.channel.to_string() });
        }
        self.conns.clear();
        super::chat::drop_room(&self.ctx, &self.party.code).await;
        lock(&self.ctx.retiring).remove(&self.party.code);
    }

    /// A nudged player who has no socket on the party (another page, or the phone asleep) gets a
    /// `host_ping` entry in their inbox, with the party's link.
    async fn nudge_elsewhere(&self, user: i64) {
        let new = NewNotification {
            user_id: user,
            kind: NotificationKind::HostPing,
            from_user_id: Some(self.party.host_id),
            text: format!("{} is waiting for you in party {}", self.party.host_name, self.party.code),
            channel: None,
            join_url: Some(self.party.join_url.clone()),
        };
        if let Err(e) = self.ctx.notify.notify(new).await {
            tracing::warn!(error = %e, "could not store a host ping");
        }
    }

    /// Stores the party, and with it (in the same transaction) the results of a game that has just
    /// finished.
    async fn store(&self) {
        let state = match super::stored::save(&self.party) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "party state failed to serialize");
                return;
            }
        };
        let results = self.finished_results();
        let (code, finished, now) = (self.party.code.clone(), self.party.finished(), self.party.updated_at);
        let job = move |db: &crate::store::Db<'_>| {
            save_party(db, &code, &state, finished, now)?;
            if let Some(r) = &results {
                save_party_results(db, r)?;
            }
            Ok(())
        };
        if let Err(e) = self.ctx.core.store().write_wait(job).await {
            tracing::warn!(error = %e, "could not store a party; it goes on in memory");
        }
    }

    /// The finished game's results as stored for `hubbub export`, while the party is on its podium.
    fn finished_results(&self) -> Option<StoredResults> {
        let log = self.party.log.as_ref().filter(|_| self.party.finished())?;
        let finished_at = log.finished_at?;
        let results = super::results::results(&self.party.code, &self.party.game, log);
        let body = serde_json::to_string(&results)
            .inspect_err(|e| tracing::error!(error = %e, "party results failed to serialize"))
            .ok()?;
        Some(StoredResults {
            code: self.party.code.clone(),
            started_at: log.started_at,
            finished_at,
            host_id: self.party.host_id,
            body,
        })
    }

    /// Takes `user`'s connections off the channel: kicked path sockets close with 4403, the others
    /// are told `unsubscribed`.
    async fn drop_user(&mut self, user: i64, kicked: bool) {
        self.conns.remove(&user);
        super::chat::remove(&self.ctx, &self.party.code, user).await;
        for c in self.ctx.core.registry().subscribers(&self.channel).into_iter().filter(|c| c.user.id == user)
        {
            self.ctx.core.registry().unsubscribe(&self.channel, &c);
            if kicked && c.device.is_none() {
                c.close(CloseReason::Send {
                    code: close::FORBIDDEN,
                    reason: Cow::Borrowed("removed from the party by the host"),
                    flush: true,
                });
            } else {
                c.send_frame(&ServerFrame::Unsubscribed { r#ref: None, channel: self.channel.to_string() });
            }
        }
    }
}
