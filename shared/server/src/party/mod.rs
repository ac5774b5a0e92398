//! Party sessions: one task per party owns its [`engine::Party`], stores it after every change, and
//! fans its frames out on the `party:{code}` channel.
//!
//! **Invariant:** only a party's own task changes it, one message at a time, so its events leave in
//! the order they happened; a change is stored before its frames and acks go out.

pub mod chat;
pub mod engine;
pub mod game;
mod packs;
pub mod quiz;
pub mod results;
mod runtime;
pub mod stored;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hubbub_protocol::{
    CreatePartyRequest, ErrorCode, PartyPhase, PartyResults, PartySettings, PartySnapshot, PartySummary,
    RemoteLinkResponse, UserInfo,
};
use rand::Rng;
use tokio::sync::{mpsc, oneshot};

use crate::chat::Chat;
use crate::config::CREATE_WINDOW;
use crate::conn::ConnHandle;
use crate::core::Core;
use crate::notify::Notify;
use crate::ratelimit::Budget;
use crate::reply::Reply;
use crate::store::{CodeReuse, claim_party_code, load_parties, party_code_taken};
use crate::time::now_ms;
use engine::{Party, Refusal, Timing};
use game::Game;

pub use packs::MAX_PACK_BYTES;
pub use runtime::{Joined, Msg};

/// Letters of party codes: no I, L, O, S, U, V, Z, B (mistaken for 1, 0, 5, 2, 8 or each other).
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTWXY";
/// Letters in a code.
pub const CODE_LEN: usize = 4;
/// Most seats in a party (a hall of players; the audience has its own cap).
pub const MAX_SEATS: u32 = 500;
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
    /// Who created it (counted against their live parties until it ends).
    pub created_by: i64,
    /// When it reached the podium (Unix ms); it expires `party_expiry` later.
    pub ended_at: Option<i64>,
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
    /// Codes of expired parties whose tasks are still cleaning up (their rooms): not free yet.
    retiring: Arc<Mutex<std::collections::HashSet<String>>>,
}

/// The party service: every party on the hub, by code.
pub struct Parties {
    ctx: Ctx,
    map: Mutex<HashMap<String, Handle>>,
    /// Parties created, per user and per address.
    creates: Budget,
    /// Question packs imported, per user, per address and on the whole hub.
    imports: Budget,
    /// Where new codes come from ([`random_code`]; tests choose their own).
    codes: Mutex<fn() -> String>,
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
        heartbeat_ms: ms(config.party_heartbeat),
    }
}

fn shutting_down() -> Refusal {
    Refusal::shutting_down()
}

impl Parties {
    pub fn new(core: Core, chat: Chat, notify: Notify) -> Parties {
        let c = core.config();
        let creates = Budget::per_user(c.party_rate, CREATE_WINDOW)
            .and_per_address(c.party_rate_per_address, CREATE_WINDOW);
        let imports = Budget::per_user(c.pack_rate, CREATE_WINDOW)
            .and_per_address(c.pack_rate_per_address, CREATE_WINDOW)
            .and_hub_wide(c.pack_rate_hub, CREATE_WINDOW);
        let codes = Mutex::new(random_code as fn() -> String);
        let ctx = Ctx { core, chat, notify, retiring: Arc::default() };
        Parties { ctx, map: Mutex::default(), creates, imports, codes }
    }

    fn expiry_ms(&self) -> i64 {
        i64::try_from(self.ctx.core.config().party_expiry.as_millis()).unwrap_or(i64::MAX)
    }

    /// When stored codes may be used again, as of `now` (Unix ms).
    fn code_reuse(&self, now: i64) -> CodeReuse {
        CodeReuse { ended_before: now.saturating_sub(self.expiry_ms()), forgotten_before: now - KEEP_MS }
    }

    /// Drops the parties that ended more than `party_expiry` ago (their tasks stop, their rooms
    /// go, their codes are free again) and forgets stale budget entries.
    pub fn sweep(&self, now: Instant) {
        self.creates.prune(now);
        self.imports.prune(now);
        let cutoff = now_ms().saturating_sub(self.expiry_ms());
        let expired: Vec<String> = {
            let mut map = lock(&self.map);
            let gone: Vec<String> = map
                .iter()
                .filter(|(_, h)| lock(&h.shared).ended_at.is_some_and(|at| at <= cutoff))
                .map(|(code, _)| code.clone())
                .collect();
            // Dropping a handle closes its task's queue: the task cleans up and ends, then frees
            // the code.
            let mut retiring = lock(&self.ctx.retiring);
            for code in &gone {
                map.remove(code);
                retiring.insert(code.clone());
            }
            gone
        };
        for code in expired {
            tracing::info!(code, "ended party expired; its code is free again");
        }
    }

    fn get(&self, code: &str) -> Option<Handle> {
        lock(&self.map).get(&code.to_ascii_uppercase()).cloned()
    }

    /// Whether a party with this code exists (or has just expired and is still cleaning up).
    pub fn exists(&self, code: &str) -> bool {
        self.get(code).is_some() || lock(&self.ctx.retiring).contains(&code.to_ascii_uppercase())
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

    /// A new remote link for the host `user` of party `code` (any earlier one stops working).
    pub async fn remote_link(&self, code: &str, user: i64) -> Result<RemoteLinkResponse, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.send(code, Msg::Remote { user, reply: tx }).await?;
        rx.await.map_err(|_| shutting_down())?
    }

    /// The results of party `code`'s latest game, for its host `user` only.
    pub async fn results(&self, code: &str, user: i64) -> Result<PartyResults, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.send(code, Msg::Results { user, reply: tx }).await?;
        rx.await.map_err(|_| shutting_down())?
    }

    fn start(&self, party: Party) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let shared = Arc::new(Mutex::new(Shared {
            summary: summarize(&party),
            banned: party.banned.clone(),
            created_at: party.updated_at,
            created_by: party.host_id,
            ended_at: party.finished().then_some(party.updated_at),
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
        let ended_before = now.saturating_sub(self.expiry_ms());
        for (code, state) in stored {
            match stored::load(&state) {
                Ok(party) if party.finished() && party.updated_at < ended_before => {
                    tracing::debug!(code, "ended party expired; not restored");
                }
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

    /// Refuses a new party from `host` when they already have their most live parties, or the hub
    /// has its most.
    fn check_live(&self, host: i64) -> Result<(), Refusal> {
        let config = self.ctx.core.config();
        let (mine, all) = lock(&self.map).values().fold((0, 0), |(mine, all), h| {
            let s = lock(&h.shared);
            if s.summary.phase == PartyPhase::Podium {
                (mine, all)
            } else {
                (mine + usize::from(s.created_by == host), all + 1)
            }
        });
        let (per_user, hub) = (config.party_live_per_user, config.party_max_live);
        if per_user > 0 && mine >= per_user {
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                format!("you already have {mine} parties going (the most is {per_user}); end one first"),
            ));
        }
        if hub > 0 && all >= hub {
            return Err(Refusal::new(
                ErrorCode::LimitReached,
                format!("the hub has {all} parties going, its most; join one or wait for one to end"),
            ));
        }
        Ok(())
    }

    /// Creates a party hosted by `host` (asking from `address`) and starts its task; returns the
    /// host's snapshot. Within the live-party caps and the creation budget.
    pub async fn create(
        &self,
        host: &UserInfo,
        address: Option<IpAddr>,
        req: CreatePartyRequest,
    ) -> Result<PartySnapshot, Refusal> {
        self.ctx.core.policy().may(host.id, crate::policy::Act::HostParties)?;
        let invalid = |m: &str| Refusal::new(ErrorCode::InvalidParty, m);
        let game_id = req.game.as_deref().unwrap_or("quiz");
        if game_id != "quiz" {
            return Err(invalid("unknown game; the hub has \"quiz\""));
        }
        let max_players = req.max_players.unwrap_or(20);
        if !(1..=MAX_SEATS).contains(&max_players) {
            return Err(invalid(&format!("max_players must be 1 to {MAX_SEATS}")));
        }
        let mut quiz = packs::load_quiz(&self.ctx.core, req.pack_id.as_deref().unwrap_or("sample")).await?;
        if let Some(n) = req.question_count {
            if n == 0 {
                return Err(invalid("question_count must be at least 1"));
            }
            quiz.truncate(n as usize);
        }
        self.check_live(host.id)?;
        if let Err(wait) = self.creates.check(host.id, address, Instant::now()) {
            return Err(Refusal::rate_limited("too many new parties; wait a little", wait));
        }
        let settings = PartySettings {
            game: game_id.to_owned(),
            max_players,
            audience_allowed: req.audience_allowed.unwrap_or(true),
            locked: req.locked.unwrap_or(false),
            untimed: req.untimed.unwrap_or(false),
            late_join: req.late_join.unwrap_or(false),
            late_score: req.late_score.unwrap_or_default(),
        };
        let party = self.store_new(host, settings, Game::Quiz(quiz)).await?;
        let (code, now) = (party.code.clone(), party.updated_at);
        chat::ensure_room(&self.ctx, &code, host.id).await;
        chat::add(&self.ctx, &code, host.id).await;
        let snapshot = party.snapshot(now, Some(host.id));
        self.start(party);
        tracing::info!(code, host = host.id, "party created");
        Ok(snapshot)
    }

    /// A new party under a free code (see [`CodeReuse`]), stored. The code is checked in memory
    /// and on disk, then claimed in one writer job, so two new parties never share one.
    async fn store_new(
        &self,
        host: &UserInfo,
        settings: PartySettings,
        game: Game,
    ) -> Result<Party, Refusal> {
        for _ in 0..64 {
            let code = (lock(&self.codes))();
            if self.exists(&code) {
                continue;
            }
            let (c, reuse) = (code.clone(), self.code_reuse(now_ms()));
            if self.ctx.core.store().read(move |db| party_code_taken(db, &c, reuse)).await? {
                continue;
            }
            let join_url = format!("{}party/{code}", self.ctx.core.base_url());
            let now = now_ms();
            let party = Party::new(
                code.clone(),
                join_url,
                host,
                settings.clone(),
                timing(&self.ctx.core),
                game.clone(),
                now,
            );
            let state = stored::save(&party).map_err(|e| Refusal::internal("storing a new party", &e))?;
            let reuse = self.code_reuse(now);
            let claimed = self
                .ctx
                .core
                .store()
                .write_wait(move |db| claim_party_code(db, &code, &state, reuse, now))
                .await?;
            if claimed {
                return Ok(party);
            }
        }
        Err(Refusal::new(ErrorCode::Unavailable, "no free party code; try again"))
    }
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

#[cfg(test)]
mod expiry_tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{Store, StoreOptions, save_party};

    #[tokio::test]
    async fn an_ended_party_expires_and_its_code_is_used_again() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            data_dir: dir.path().to_owned(),
            discovery: false,
            party_expiry: Duration::from_secs(60),
            ..crate::config::Config::default()
        };
        let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
        let core = Core::new(config, store, std::sync::Arc::default());
        let notify = Notify::new(core.clone());
        let chat = Chat::new(core.clone(), notify.clone());
        let parties = &Parties::new(core.clone(), chat, notify);
        *lock(&parties.codes) = || "ACDE".to_owned();
        let host = UserInfo { id: 1, display_name: "Host".into() };
        let req = || CreatePartyRequest { question_count: Some(1), ..CreatePartyRequest::default() };
        assert_eq!(parties.create(&host, None, req()).await.unwrap().code, "ACDE");
        let refused = parties.create(&host, None, req()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Unavailable, "a live party keeps its code");

        // The party ended (podium) two minutes ago.
        let ended = now_ms() - 120_000;
        {
            let handle = parties.get("ACDE").unwrap();
            let mut shared = lock(&handle.shared);
            shared.summary.phase = PartyPhase::Podium;
            shared.ended_at = Some(ended);
        }
        core.store().write_wait(move |db| save_party(db, "ACDE", "{}", true, ended)).await.unwrap();
        assert!(parties.exists("ACDE"), "an ended party stays until it expires");
        parties.sweep(Instant::now());
        assert!(parties.get("ACDE").is_none(), "expired: dropped");
        for _ in 0..500 {
            if !parties.exists("ACDE") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!parties.exists("ACDE"), "its task cleaned up");
        let again = parties.create(&host, None, req()).await.unwrap();
        assert_eq!(again.code, "ACDE", "and its code is free again");
    }
}
