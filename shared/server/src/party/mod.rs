//! Party sessions: one task per party owns its [`engine::Party`], stores it after every change, and
//! fans its frames out on the `party:{code}` channel.
//!
//! **Invariant:** only a party's own task changes it, one message at a time, so its events leave in
//! the order they happened; a change is stored before its frames and acks go out.

pub mod chat;
pub mod engine;
pub mod game;
pub mod quiz;
mod runtime;
pub mod stored;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hubbub_protocol::{
    CreatePartyRequest, ErrorCode, PartyPhase, PartySettings, PartySnapshot, PartySummary, QuestionPack,
    UserInfo,
};
use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use crate::chat::Chat;
use crate::conn::ConnHandle;
use crate::core::Core;
use crate::notify::Notify;
use crate::reply::Reply;
use crate::store::{get_pack, load_parties, party_code_taken, save_party};
use crate::time::now_ms;
use engine::{Party, Refusal, Timing};
use game::Game;
use quiz::Quiz;

pub use runtime::{Joined, Msg};

/// Letters of party codes: no I, L, O, S, U, V, Z, B (mistaken for 1, 0, 5, 2, 8 or each other).
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTWXY";
/// Letters in a code.
pub const CODE_LEN: usize = 4;
/// Most seats in a party.
pub const MAX_SEATS: u32 = 100;
/// Messages queued for one party's task before senders wait.
const QUEUE: usize = 256;
/// Parties untouched for longer than this are not loaded again after a restart.
const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// What the rest of the hub may read about a party without asking its task.
#[derive(Debug, Clone)]
pub struct Shared {
    pub summary: PartySummary,
    pub banned: Vec<i64>,
    pub created_at: i64,
}

#[derive(Clone)]
struct Handle {
    tx: mpsc::Sender<Msg>,
    shared: Arc<Mutex<Shared>>,
}

/// What a party's task works with: the core, the chat service (the party's room) and the inbox
/// (nudges for players elsewhere).
#[derive(Clone)]
pub(crate) struct Ctx {
    core: Core,
    chat: Chat,
    notify: Notify,
}

/// The party service: every party on the hub, by code.
pub struct Parties {
    ctx: Ctx,
    map: Mutex<HashMap<String, Handle>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fresh random code.
pub fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A party's summary for lists.
pub fn summarize(p: &Party) -> PartySummary {
    PartySummary {
        code: p.code.clone(),
        title: p.game.title().to_owned(),
        game: p.game.id().to_owned(),
        host_name: p.host_name.clone(),
        phase: p.phase,
        players: u32::try_from(p.players.len()).unwrap_or(u32::MAX),
        audience_count: u32::try_from(p.audience.len()).unwrap_or(u32::MAX),
        join_url: p.join_url.clone(),
    }
}

fn timing(core: &Core) -> Timing {
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let config = core.config();
    Timing {
        countdown_ms: ms(config.party_countdown),
        reveal_ms: ms(config.party_reveal),
        grace_ms: ms(config.party_grace),
    }
}

fn shutting_down() -> Refusal {
    Refusal::shutting_down()
}

impl Parties {
    pub fn new(core: Core, chat: Chat, notify: Notify) -> Parties {
        Parties { ctx: Ctx { core, chat, notify }, map: Mutex::default() }
    }

    fn get(&self, code: &str) -> Option<Handle> {
        lock(&self.map).get(&code.to_ascii_uppercase()).cloned()
    }

    /// Whether a party with this code exists.
    pub fn exists(&self, code: &str) -> bool {
        self.get(code).is_some()
    }

    /// Whether `user` was kicked from the party `code`.
    pub fn is_banned(&self, code: &str, user: i64) -> bool {
        self.get(code).is_some_and(|h| lock(&h.shared).banned.contains(&user))
    }

    /// Parties not yet over, newest first.
    pub fn list(&self) -> Vec<PartySummary> {
        let mut all: Vec<Shared> = lock(&self.map).values().map(|h| lock(&h.shared).clone()).collect();
        all.retain(|s| s.summary.phase != PartyPhase::Podium);
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.summary.code.cmp(&b.summary.code)));
        all.into_iter().map(|s| s.summary).collect()
    }

    /// Queues a message for the party `code`; `Err` if there is no such party (or it has stopped).
    pub async fn send(&self, code: &str, msg: Msg) -> Result<(), Refusal> {
        let handle = self
            .get(code)
            .ok_or_else(|| Refusal::new(ErrorCode::NoSuchParty, format!("no party has the code {code:?}")))?;
        handle.tx.send(msg).await.map_err(|_| shutting_down())
    }

    /// The party's snapshot as `user` sees it (REST).
    pub async fn snapshot(&self, code: &str, user: i64) -> Result<PartySnapshot, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.send(code, Msg::Snapshot { user, reply: tx }).await?;
        rx.await.map_err(|_| shutting_down())
    }

    fn start(&self, party: Party) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let shared = Arc::new(Mutex::new(Shared {
            summary: summarize(&party),
            banned: party.banned.clone(),
            created_at: party.updated_at,
        }));
        lock(&self.map).insert(party.code.clone(), Handle { tx, shared: Arc::clone(&shared) });
        self.ctx.core.tasks().spawn(runtime::run(self.ctx.clone(), party, rx, shared));
    }

    /// Loads the parties a previous run left (touched in the last day), every member disconnected.
    pub async fn restore(&self) {
        let since = now_ms() - KEEP_MS;
        let stored = match self.ctx.core.store().read(move |db| load_parties(db, since)).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not load stored parties");
                return;
            }
        };
        let now = now_ms();
        for (code, state) in stored {
            match stored::load(&state) {
                Ok(party) => {
                    tracing::info!(code, phase = ?party.phase, "party restored");
                    chat::ensure_room(&self.ctx, &code, party.host_id).await;
                    for id in party.players.iter().map(|p| p.user_id).filter(|id| *id != party.host_id) {
                        chat::add(&self.ctx, &code, id).await;
                    }
                    self.start(party.restored(now, timing(&self.ctx.core)));
                }
                Err(e) => tracing::warn!(code, error = %e, "a stored party could not be read; skipped"),
            }
        }
    }

    /// Creates a party hosted by `host` and starts its task; returns the host's snapshot.
    pub async fn create(&self, host: &UserInfo, req: CreatePartyRequest) -> Result<PartySnapshot, Refusal> {
        let invalid = |m: &str| Refusal::new(ErrorCode::InvalidParty, m);
        let game_id = req.game.as_deref().unwrap_or("quiz");
        if game_id != "quiz" {
            return Err(invalid("unknown game; the hub has \"quiz\""));
        }
        let max_players = req.max_players.unwrap_or(20);
        if !(1..=MAX_SEATS).contains(&max_players) {
            return Err(invalid("max_players must be 1 to 100"));
        }
        let mut quiz = load_quiz(&self.ctx.core, req.pack_id.as_deref().unwrap_or("sample")).await?;
        if let Some(n) = req.question_count {
            if n == 0 {
                return Err(invalid("question_count must be at least 1"));
            }
            quiz.truncate(n as usize);
        }
        let code = self.fresh_code().await?;
        let join_url = format!("{}party/{code}", self.ctx.core.base_url());
        let settings = PartySettings {
            game: game_id.to_owned(),
            max_players,
            audience_allowed: req.audience_allowed.unwrap_or(true),
            locked: req.locked.unwrap_or(false),
        };
        let now = now_ms();
        let party =
            Party::new(code.clone(), join_url, host, settings, timing(&self.ctx.core), Game::Quiz(quiz), now);
        let state = stored::save(&party).map_err(|e| Refusal::internal("storing a new party", &e))?;
        let code2 = code.clone();
        self.ctx.core.store().write_wait(move |db| save_party(db, &code2, &state, false, now)).await?;
        chat::ensure_room(&self.ctx, &code, host.id).await;
        chat::add(&self.ctx, &code, host.id).await;
        let snapshot = party.snapshot(now, Some(host.id));
        self.start(party);
        tracing::info!(code, host = host.id, "party created");
        Ok(snapshot)
    }

    async fn fresh_code(&self) -> Result<String, Refusal> {
        for _ in 0..64 {
            let code = random_code();
            if self.exists(&code) {
                continue;
            }
            let c = code.clone();
            if !self.ctx.core.store().read(move |db| party_code_taken(db, &c)).await? {
                return Ok(code);
            }
        }
        Err(Refusal::new(ErrorCode::Unavailable, "no free party code; try again"))
    }
}

/// The quiz of pack `id`: `sample`, or `p{n}` for an imported one.
async fn load_quiz(core: &Core, id: &str) -> Result<Quiz, Refusal> {
    if id == "sample" {
        return Ok(Quiz::sample());
    }
    let missing = || Refusal::new(ErrorCode::NotFound, format!("no question pack {id:?}"));
    let n: i64 = id.strip_prefix('p').and_then(|n| n.parse().ok()).ok_or_else(missing)?;
    let stored = core.store().read(move |db| get_pack(db, n)).await?;
    let pack: QuestionPack = serde_json::from_str(&stored.ok_or_else(missing)?.body)
        .map_err(|e| Refusal::internal("reading a stored pack", &e))?;
    Quiz::from_pack(&pack).map_err(|m| Refusal::new(ErrorCode::InvalidPack, m))
}

impl Parties {
    /// Sends a party command from a connection, answering `error` itself when the party is unknown.
    pub async fn command(&self, conn: &Arc<ConnHandle>, r#ref: Option<String>, code: &str, msg: Msg) {
        if let Err(refusal) = self.send(code, msg).await {
            Reply::new(conn, r#ref).refuse(refusal);
        }
    }

    /// A connection on the party's channel closed or unsubscribed.
    pub async fn detach(&self, code: &str, conn: &ConnHandle) {
        let _ = self.send(code, Msg::Detach { conn_id: conn.id, user_id: conn.user.id }).await;
    }
}

#[cfg(test)]
mod tests;
