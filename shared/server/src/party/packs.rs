//! Question packs: importing one (checked, within its budget) and loading the quiz a new party plays.

use std::net::IpAddr;
use std::time::Instant;

use hubbub_protocol::{ErrorCode, PackSummary, QuestionPack};

use super::Parties;
use super::engine::Refusal;
use super::quiz::Quiz;
use crate::core::Core;
use crate::store::{get_pack, insert_pack};
use crate::time::now_ms;

/// Largest question pack accepted, in bytes.
pub const MAX_PACK_BYTES: usize = 256 * 1024;

impl Parties {
    /// Imports a question pack from `user` (asking from `address`) after checking every question
    /// (`invalid_pack` names the first bad field). Within the import budget (per user, per address
    /// and hub-wide).
    pub async fn import_pack(
        &self,
        user: i64,
        address: Option<IpAddr>,
        body: &[u8],
    ) -> Result<PackSummary, Refusal> {
        self.ctx.core.policy().may(user, crate::policy::Act::ImportPacks)?;
        if body.len() > MAX_PACK_BYTES {
            return Err(Refusal::new(
                ErrorCode::InvalidPack,
                format!("a pack is at most {MAX_PACK_BYTES} bytes"),
            ));
        }
        let pack: QuestionPack = serde_json::from_slice(body)
            .map_err(|e| Refusal::new(ErrorCode::InvalidPack, format!("not a question pack: {e}")))?;
        let quiz = Quiz::from_pack(&pack).map_err(|m| Refusal::new(ErrorCode::InvalidPack, m))?;
        if let Err(wait) = self.imports.check(user, address, Instant::now()) {
            return Err(Refusal::rate_limited("too many pack imports; wait a little", wait));
        }
        let stored =
            serde_json::to_string(&pack).map_err(|e| Refusal::internal("storing a question pack", &e))?;
        let title = quiz.title.clone();
        let id = self
            .ctx
            .core
            .store()
            .write_wait(move |db| insert_pack(db, &title, &stored, user, now_ms()))
            .await?;
        Ok(PackSummary {
            id: format!("p{id}"),
            question_count: quiz.rounds(),
            title: quiz.title,
            description: pack.description,
        })
    }
}

/// The quiz of pack `id`: `sample`, or `p{n}` for an imported one.
pub(super) async fn load_quiz(core: &Core, id: &str) -> Result<Quiz, Refusal> {
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
