//! Helpers for party tests: create a party, send a party command and wait for its answer, read the
//! snapshot sent to one connection, wait for a phase.

use hubbub_client::{Connection, HubClient, Session};
use hubbub_protocol::{
    Answer, ClientFrame, CreatePartyRequest, HostAction, PartyPhase, PartySnapshot, ServerFrame,
};

use crate::WAIT;

/// Short phases so a game runs in a second or two.
pub const FAST: &[&str] =
    &["--party-reveal-ms", "300", "--party-countdown-ms", "200", "--party-grace-ms", "20000"];

/// Creates a party of the sample pack's first `questions` questions, hosted by `host`.
pub async fn create(client: &HubClient, host: &Session, questions: u32) -> PartySnapshot {
    let req = CreatePartyRequest { question_count: Some(questions), ..CreatePartyRequest::default() };
    create_with(client, host, req).await
}

/// Creates a party as `req` asks, hosted by `host`.
pub async fn create_with(client: &HubClient, host: &Session, req: CreatePartyRequest) -> PartySnapshot {
    client.post_json(host, "/api/parties", &req).await.expect("create a party")
}

/// Sends `frame` and waits for its `ack`; returns whether the hub called it a duplicate. Panics on
/// an `error`.
pub async fn command(conn: &mut Connection, frame: ClientFrame) -> bool {
    let r#ref = frame.reference().expect("a ref").to_owned();
    conn.send(&frame).await.unwrap();
    let reply = conn
        .recv_until(WAIT, |f| {
            matches!(f, ServerFrame::Ack { r#ref: x, .. } | ServerFrame::Error { r#ref: Some(x), .. } if *x == r#ref)
        })
        .await
        .unwrap();
    match reply {
        ServerFrame::Ack { duplicate, .. } => duplicate,
        other => panic!("{} refused: {other:?}", r#ref),
    }
}

/// Joins the party on the main socket; returns the snapshot sent to this connection.
pub async fn join_party(conn: &mut Connection, code: &str) -> PartySnapshot {
    let r#ref = format!("join-{code}");
    command(
        conn,
        ClientFrame::PartyJoin { r#ref: Some(r#ref), code: code.into(), audience: None, remote: None },
    )
    .await;
    snapshot(conn).await
}

/// The next snapshot sent to this connection alone (with `you`).
pub async fn snapshot(conn: &mut Connection) -> PartySnapshot {
    match conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::SessionUpdate { party } if party.you.is_some()))
        .await
    {
        Ok(ServerFrame::SessionUpdate { party }) => *party,
        other => panic!("no snapshot: {other:?}"),
    }
}

/// Waits for the phase `phase` of question `round`.
pub async fn phase(conn: &mut Connection, phase: PartyPhase, round: u32) -> ServerFrame {
    conn.recv_until(WAIT, |f| {
        matches!(f, ServerFrame::PhaseTransition { clock, .. } if clock.phase == phase && clock.round == round)
    })
    .await
    .unwrap_or_else(|e| panic!("no {phase:?} {round}: {e}"))
}

/// Player `who`'s answer to question `round`.
pub fn answer(code: &str, who: usize, round: u32, answer: Answer) -> ClientFrame {
    ClientFrame::PartyAnswer { r#ref: Some(format!("a{who}-{round}")), code: code.into(), round, answer }
}

/// A host action.
pub fn control(code: &str, r#ref: &str, action: HostAction) -> ClientFrame {
    ClientFrame::PartyControl { r#ref: Some(r#ref.into()), code: code.into(), action }
}
