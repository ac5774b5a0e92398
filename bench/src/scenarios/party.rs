//! `party`: one quiz party with P players and A watchers, every phone read all the time (so each
//! answers the hub's pings, as a browser does). Players answer every question within a second of it
//! opening; the scenario measures answer-to-ack latency, the time from a phase change (the hub's
//! clock in the frame) to its arrival at every phone, and the time from the last answer to the reveal
//! at every phone. It checks that every answer was acknowledged once, counted once in the reveal, and
//! that the podium's scores are the sums of the reveals' points.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, stream};
use hdrhistogram::Histogram;
use hubbub_client::{Connection, HubClient, Session};
use hubbub_protocol::{
    Answer, ClientFrame, CreatePartyRequest, PartyPhase, PartySnapshot, QuestionKind, ServerFrame, Standing,
};
use tokio::sync::watch;

use crate::clients::{connect, join_many};
use crate::report::{Report, ms};
use crate::target::Target;

/// Players answer within this long of a question opening, spread evenly.
const SPREAD_MS: u64 = 1_000;
/// How long the whole game may take before the scenario gives up.
const GAME_LIMIT: Duration = Duration::from_secs(300);
/// Clients set up at once.
const PARALLEL: usize = 64;

/// Hub flags for a hub the bench starts: short countdown and reveal, so a game takes seconds.
pub fn hub_flags() -> Vec<String> {
    ["--party-reveal-ms", "1000", "--party-countdown-ms", "500"].map(String::from).to_vec()
}

/// What one phone saw.
#[derive(Default)]
struct Seen {
    /// (phase, round) → when it arrived here (bench clock) and its delay from the hub's change (µs).
    phases: HashMap<(PartyPhase, u32), (Instant, u64)>,
    /// round → when this player sent its answer, how long the ack took, and whether it was a duplicate.
    answers: HashMap<u32, (Instant, Duration, bool)>,
    /// The reveals' points and counts of answers, and the final standings (the host's phone).
    reveals: Vec<(u32, hubbub_protocol::RevealView)>,
    podium: Vec<Standing>,
}

fn unix_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

fn answer_for(kind: QuestionKind, choices: usize, i: usize) -> Answer {
    match kind {
        QuestionKind::Choice | QuestionKind::TrueFalse => {
            Answer::Choice { index: (i % choices.max(1)) as u32 }
        }
        QuestionKind::Multi => Answer::Choices { indices: vec![(i % choices.max(1)) as u32] },
        QuestionKind::Number => Answer::Number { value: i as f64 },
    }
}

/// Joins the party on `conn` (as a watcher when `audience`), readies a player, then reads until
/// `stop`: records phases, answers each question after its delay (players), waits for the acks.
async fn phone(
    mut conn: Connection,
    code: String,
    player: Option<usize>,
    joined: tokio::sync::mpsc::Sender<()>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Seen> {
    let audience = player.is_none().then_some(true);
    conn.send(&ClientFrame::PartyJoin {
        r#ref: Some("join".into()),
        code: code.clone(),
        audience,
        remote: None,
    })
    .await?;
    if player.is_some() {
        conn.send(&ClientFrame::PartyReady { r#ref: Some("ready".into()), code: code.clone(), ready: true })
            .await?;
    }
    let mut seen = Seen::default();
    let mut due: Option<(Instant, u32, Answer)> = None;
    let mut pending: HashMap<String, (u32, Instant)> = HashMap::new();
    let mut told = false;
    loop {
        let wake = due.as_ref().map(|(at, _, _)| *at);
        let frame = tokio::select! {
            frame = conn.next_frame(GAME_LIMIT) => frame?,
            () = async { tokio::time::sleep_until(wake.unwrap_or_else(Instant::now).into()).await }, if wake.is_some() => {
                if let Some((_, round, answer)) = due.take() {
                    let r#ref = format!("a{round}");
                    pending.insert(r#ref.clone(), (round, Instant::now()));
                    conn.send(&ClientFrame::PartyAnswer { r#ref: Some(r#ref), code: code.clone(), round, answer }).await?;
                }
                continue;
            }
            _ = stop.changed() => break,
        };
        let now = Instant::now();
        match frame {
            ServerFrame::Ack { r#ref, duplicate, .. } => {
                if let Some((round, sent)) = pending.remove(&r#ref) {
                    seen.answers.insert(round, (sent, now - sent, duplicate));
                } else if !told && (r#ref == "ready" || (r#ref == "join" && player.is_none())) {
                    told = true;
                    joined.send(()).await?;
                }
            }
            ServerFrame::Error { r#ref: what, code: c, message, .. } => {
                anyhow::bail!("refused {what:?}: {c:?} {message}");
            }
            ServerFrame::PhaseTransition { clock, question, reveal, .. } => {
                let delay = unix_us().saturating_sub(u64::try_from(clock.server_time).unwrap_or(0) * 1000);
                seen.phases.insert((clock.phase, clock.round), (now, delay));
                if let (Some(i), Some(q)) = (player, question.as_ref()) {
                    let wait = Duration::from_millis((i as u64 * 7_919) % SPREAD_MS);
                    due = Some((now + wait, clock.round, answer_for(q.kind, q.choices.len(), i)));
                }
                if let Some(r) = reveal {
                    seen.reveals.push((clock.round, *r));
                }
            }
            ServerFrame::SessionCompleted { results, .. } => seen.podium = results,
            _ => {}
        }
    }
    Ok(seen)
}

fn record(hist: &mut Histogram<u64>, d: Duration) {
    let _ = hist.record(d.as_nanos() as u64);
}

fn quantiles(report: &mut Report, name: &str, hist: &Histogram<u64>) {
    report.metric(&format!("{name}_p50_ms"), ms(hist.value_at_quantile(0.5)));
    report.metric(&format!("{name}_p99_ms"), ms(hist.value_at_quantile(0.99)));
    report.metric(&format!("{name}_max_ms"), ms(hist.max()));
}

pub async fn run(target: &Target, players: usize, watchers: usize, questions: u32) -> anyhow::Result<Report> {
    let client = HubClient::new(target.url.clone());
    let mut report = Report::new("party")
        .param("players", players)
        .param("watchers", watchers)
        .param("questions", questions);
    let host = client.join("Bench host", None).await?;
    let req = CreatePartyRequest {
        question_count: Some(questions),
        max_players: Some(u32::try_from(players)?),
        ..CreatePartyRequest::default()
    };
    let party: PartySnapshot = client.post_json(&host, "/api/parties", &req).await?;
    let code = party.code.clone();
    let sessions: Vec<Session> = join_many(&client, "player", players).await?;
    let audience: Vec<Session> = join_many(&client, "watcher", watchers).await?;

    let (stop_tx, stop) = watch::channel(false);
    let (joined_tx, mut joined_rx) = tokio::sync::mpsc::channel(players + watchers + 1);
    let (host_conn, _) = connect(&client, &host, 0, None).await?;
    let host_task = tokio::spawn(phone(host_conn, code.clone(), None, joined_tx.clone(), stop.clone()));
    let everyone: Vec<(usize, &Session, Option<usize>)> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1, s, Some(i)))
        .chain(audience.iter().enumerate().map(|(i, s)| (players + 1 + i, s, None)))
        .collect();
    let client = Arc::new(client);
    let opened: Vec<anyhow::Result<Connection>> = stream::iter(everyone.iter().map(|(n, s, _)| {
        let client = Arc::clone(&client);
        async move { Ok(connect(&client, s, *n, None).await?.0) }
    }))
    .buffered(PARALLEL)
    .collect()
    .await;
    let mut tasks = Vec::with_capacity(everyone.len());
    for ((_, _, player), conn) in everyone.iter().zip(opened) {
        tasks.push(tokio::spawn(phone(conn?, code.clone(), *player, joined_tx.clone(), stop.clone())));
    }
    for _ in 0..=players + watchers {
        tokio::time::timeout(GAME_LIMIT, joined_rx.recv()).await?;
    }
    // The host's main socket starts the game (its own phone task only reads).
    let (mut starter, _) = connect(&client, &host, 0, None).await?;
    starter.send(&ClientFrame::PartyStart { r#ref: Some("start".into()), code: code.clone() }).await?;
    starter
        .recv_until(GAME_LIMIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == "start"))
        .await?;
    let started = Instant::now();
    let cpu_before = target.cpu_ms();

    // Wait for the podium at the host's phone by polling the party over REST.
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let snap: PartySnapshot = client.get_json(&host, &format!("/api/parties/{code}")).await?;
        if snap.clock.phase == PartyPhase::Podium || started.elapsed() > GAME_LIMIT {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let (Some(before), Some(after)) = (cpu_before, target.cpu_ms()) {
        // Against the game's wall time: how much of the machine the hub took (the bench's clients,
        // on the same cores, had the rest).
        report.metric("hub_cpu_ms", after.saturating_sub(before));
    }
    let _ = stop_tx.send(true);
    let host_seen = host_task.await??;
    let mut seen = Vec::with_capacity(tasks.len());
    for t in tasks {
        seen.push(t.await??);
    }
    report.metric("game_s", (started.elapsed().as_secs_f64() * 10.0).round() / 10.0);
    summarize(&mut report, &sessions, &seen, &host_seen, players, questions)?;
    Ok(report)
}

fn summarize(
    report: &mut Report,
    sessions: &[Session],
    seen: &[Seen],
    host: &Seen,
    players: usize,
    questions: u32,
) -> anyhow::Result<()> {
    let (mut acks, mut arrivals, mut reveal_after) =
        (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
    let mut once = true;
    for s in &seen[..players] {
        for round in 0..questions {
            match s.answers.get(&round) {
                Some((_, took, false)) => record(&mut acks, *took),
                _ => once = false,
            }
        }
    }
    report.check("every player's answer to every question was acknowledged once", once);
    // The reveal of each question, from the last answer sent to its arrival at each phone.
    let mut every_phase = true;
    for round in 0..questions {
        let last = seen[..players].iter().filter_map(|s| s.answers.get(&round).map(|a| a.0)).max();
        for s in seen {
            match (last, s.phases.get(&(PartyPhase::Reveal, round))) {
                (Some(last), Some((at, _))) => record(&mut reveal_after, at.saturating_duration_since(last)),
                _ => every_phase = false,
            }
        }
    }
    for s in seen {
        every_phase &= s.phases.len() == 2 * questions as usize + 2;
        for (_, delay) in s.phases.values() {
            let _ = arrivals.record(delay * 1000);
        }
    }
    report.check("every phone saw every phase", every_phase);
    // Every answer counted once: each reveal counts P answers and scores P players.
    let counted = host.reveals.len() == questions as usize
        && host.reveals.iter().all(|(_, r)| {
            let given: u32 =
                r.distribution.iter().sum::<u32>() + r.number_answers.iter().map(|n| n.count).sum::<u32>();
            given as usize == players && r.scores.len() == players
        });
    report.check("each reveal counted every player's answer exactly once", counted);
    let mut totals: HashMap<i64, i64> = HashMap::new();
    for (_, r) in &host.reveals {
        for s in &r.scores {
            *totals.entry(s.user_id).or_default() += s.points;
        }
    }
    let podium_adds_up = host.podium.len() == players
        && host.podium.iter().all(|p| totals.get(&p.user_id) == Some(&p.score))
        && sessions.iter().all(|s| totals.contains_key(&s.user.id));
    report.check("the podium's scores are the sums of the reveals' points", podium_adds_up);
    report.metric("answers", acks.len());
    quantiles(report, "answer_ack", &acks);
    report.metric("phase_arrivals", arrivals.len());
    quantiles(report, "phase_arrival", &arrivals);
    quantiles(report, "last_answer_to_reveal", &reveal_after);
    Ok(())
}
