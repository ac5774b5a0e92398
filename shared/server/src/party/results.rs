//! A party's results: the record the engine keeps of a game ([`GameLog`]: who played, and every
//! question's answers and reveal) and what it becomes for the host and for `hubbub export`: the
//! [`PartyResults`] JSON (players, per-question statistics, every player's answer to every question)
//! and its CSV (one row per player and question). Pure; [`stored_results`] reads finished games back
//! from the store.

use std::fmt::Write as _;

use hubbub_protocol::{
    Answer, ErrorCode, PartyResults, QuestionStats, ResultAnswer, ResultPlayer, RevealView,
};

use super::engine::Party;
use super::game::Game;
use super::quiz::Submitted;
use crate::error::Refusal;
use crate::store::{Store, StoreError, StoredResults, list_party_results};

/// Someone seated during a game, with the score they started from (a late joiner may start at the
/// lowest score).
#[derive(Debug, Clone, PartialEq)]
pub struct LogPlayer {
    pub user_id: i64,
    pub name: String,
    pub start_score: i64,
}

/// One question as it closed: the answers given and the reveal (right answer, distribution, points).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundRecord {
    pub round: u32,
    pub answers: Vec<Submitted>,
    pub reveal: RevealView,
}

/// The record of one game, from its start to its podium.
#[derive(Debug, Clone, PartialEq)]
pub struct GameLog {
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub players: Vec<LogPlayer>,
    pub rounds: Vec<RoundRecord>,
}

/// The results of the game recorded in `log`, of the party `code` playing `game`.
pub fn results(code: &str, game: &Game, log: &GameLog) -> PartyResults {
    let name =
        |id: i64| log.players.iter().find(|p| p.user_id == id).map_or_else(String::new, |p| p.name.clone());
    let mut questions = Vec::with_capacity(log.rounds.len());
    let mut answers = Vec::new();
    for r in &log.rounds {
        let view = game.view(r.round);
        let mut correct = 0u32;
        for s in &r.reveal.scores {
            let given = r.answers.iter().find(|a| a.user_id == s.user_id);
            correct += u32::from(s.correct);
            answers.push(ResultAnswer {
                round: r.round,
                user_id: s.user_id,
                display_name: name(s.user_id),
                answer: given.map(|a| a.answer.clone()),
                time_ms: given.map(|a| a.elapsed_ms),
                correct: s.correct,
                points: s.points,
            });
        }
        let answered = u32::try_from(r.answers.len()).unwrap_or(u32::MAX);
        let total: u64 = r.answers.iter().map(|a| a.elapsed_ms).sum();
        questions.push(QuestionStats {
            round: r.round,
            kind: view.as_ref().map_or(hubbub_protocol::QuestionKind::Choice, |v| v.kind),
            prompt: view.as_ref().map_or_else(String::new, |v| v.prompt.clone()),
            choices: view.map(|v| v.choices).unwrap_or_default(),
            correct_choices: r.reveal.correct_choices.clone(),
            correct_number: r.reveal.correct_number,
            tolerance: r.reveal.tolerance,
            players: u32::try_from(r.reveal.scores.len()).unwrap_or(u32::MAX),
            answered,
            correct,
            average_ms: (answered > 0).then(|| total / u64::from(answered)),
            distribution: r.reveal.distribution.clone(),
            number_answers: r.reveal.number_answers.clone(),
        });
    }
    let mut players: Vec<(i64, String, i64)> = log
        .players
        .iter()
        .map(|p| {
            let points: i64 = answers.iter().filter(|a| a.user_id == p.user_id).map(|a| a.points).sum();
            (p.user_id, p.name.clone(), p.start_score + points)
        })
        .collect();
    players.sort_by_key(|(_, _, score)| std::cmp::Reverse(*score));
    let mut ranked: Vec<ResultPlayer> = Vec::with_capacity(players.len());
    for (i, (user_id, display_name, score)) in players.into_iter().enumerate() {
        let rank = match ranked.last() {
            Some(prev) if prev.score == score => prev.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        ranked.push(ResultPlayer { user_id, display_name, score, rank });
    }
    PartyResults {
        code: code.to_owned(),
        title: game.title().to_owned(),
        started_at: log.started_at,
        finished_at: log.finished_at,
        rounds: game.rounds(),
        players: ranked,
        questions,
        answers,
    }
}

/// The latest game's results of `party`, for its host `user` only (`not_host` for anyone else,
/// `not_found` before the first game starts).
pub fn for_host(party: &Party, user: i64) -> Result<PartyResults, Refusal> {
    if party.host_id != user {
        return Err(Refusal::new(ErrorCode::NotHost, "only the party's host can download its results"));
    }
    let log = party
        .log
        .as_ref()
        .ok_or_else(|| Refusal::new(ErrorCode::NotFound, "no game has been played in this party yet"))?;
    Ok(results(&party.code, &party.game, log))
}

/// The CSV header.
pub const CSV_HEADER: &str = "round,question,player_id,player,answer,correct,time_ms,points";

/// The results as CSV (RFC 4180, CRLF line ends): a header and one row per player and question
/// played, in question order. `round` counts from 1; `answer` is the chosen choices' text (joined
/// with `; `) or the number, empty without an answer.
pub fn to_csv(results: &PartyResults) -> String {
    let mut out = String::with_capacity(64 * (results.answers.len() + 1));
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for a in &results.answers {
        let question = results.questions.iter().find(|q| q.round == a.round);
        let prompt = question.map_or("", |q| q.prompt.as_str());
        let answer = a.answer.as_ref().map_or_else(String::new, |given| answer_text(given, question));
        let time = a.time_ms.map_or_else(String::new, |t| t.to_string());
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}\r\n",
            a.round + 1,
            field(prompt),
            a.user_id,
            field(&a.display_name),
            field(&answer),
            a.correct,
            time,
            a.points
        );
    }
    out
}

fn answer_text(given: &Answer, question: Option<&QuestionStats>) -> String {
    let choice =
        |i: u32| question.and_then(|q| q.choices.get(i as usize)).cloned().unwrap_or_else(|| format!("#{i}"));
    match given {
        Answer::Choice { index } => choice(*index),
        Answer::Choices { indices } => indices.iter().map(|i| choice(*i)).collect::<Vec<_>>().join("; "),
        Answer::Number { value } => value.to_string(),
    }
}

/// One CSV field: quoted when it holds a comma, quote or line break; text a spreadsheet would run as
/// a formula (starting `=`, `+`, `-`, `@`, tab or CR) is kept as text with a leading `'`.
fn field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Every finished game stored in the hub's database, oldest first (of the party `code` only, when
/// given): what `hubbub export` writes. Reads through the store's reader threads.
pub async fn stored_results(store: &Store, code: Option<&str>) -> Result<Vec<PartyResults>, StoreError> {
    let code = code.map(str::to_owned);
    store.read(move |db| stored_results_in(db, code.as_deref())).await
}

/// [`stored_results`] for a caller that holds the database open itself (a command run against a data
/// directory, with no hub running).
pub fn stored_results_in(
    db: &rusqlite::Connection,
    code: Option<&str>,
) -> Result<Vec<PartyResults>, StoreError> {
    let code = code.map(str::to_ascii_uppercase);
    let rows = list_party_results(db, code.as_deref())?;
    Ok(rows.iter().filter_map(parse_row).collect())
}

fn parse_row(row: &StoredResults) -> Option<PartyResults> {
    match serde_json::from_str(&row.body) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(code = row.code, error = %e, "stored party results could not be read; skipped");
            None
        }
    }
}

#[cfg(test)]
mod tests;
