//! QuizMaster (seed 003) on `/ws/endpoint`: the document's generic socket, `{type, message?, data?}`
//! frames, with the simulation its DevTools page drives.
//!
//! `?token=` is Hubbub's short-lived JWT or the session token (without it, the bearer header or
//! the session cookie, as on Hubbub's sockets); a bad one closes with 4401. The document's
//! development "mock user id as token" is refused like any unknown token: a hub on a LAN has no
//! development mode. The socket greets with `connection_status`, then takes `simulate {data:
//! {steps?, delay_ms?}}` (answered by one `update` per step and a `complete`, from the simulation
//! service, whose bounds and per-user limits answer as `error`) and `cancel`. Anything else, and
//! malformed JSON, is answered with `error`, as the document's endpoint does, and the socket stays
//! open. The connection underneath is a personal one, whose frames this socket does not show.

use axum::extract::ws::{Message, Utf8Bytes};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hubbub_protocol::dialects::quizmaster::{
    ClientFrame as In, CompleteData, ConnectedData, ErrorData, ServerFrame as Frame, UpdateData,
};
use hubbub_protocol::{ErrorCode, ServerFrame, SocketQuery, UserInfo};
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::{Dialect, Out, Refuse, Speak, code_name, frame_type, parse};
use crate::auth::SecretSource;
use crate::error::Refusal;
use crate::hub::Hub;
use crate::simulate::{Run, Simulations, Spec};
use crate::ws::{Credential, Kind, Peer, Upgrade, accept_as};

/// Frames of running simulations waiting for the socket; a simulation waits when it is full.
const SIDE_QUEUE: usize = 16;
const TYPES: &[&str] = &["simulate", "cancel"];

/// `GET /ws/endpoint`.
pub async fn endpoint(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let credential = match q.token.as_deref() {
        Some(token) => Credential::TokenOrSecret(token.to_owned(), SecretSource::Bearer),
        None => Credential::Headers,
    };
    let (side, rx) = mpsc::channel(SIDE_QUEUE);
    let dialect = QuizMaster::new(hub.simulations().clone(), side);
    let speak = Speak::new(dialect, Refuse::Close(|code| code)).with_side(rx);
    accept_as(hub, credential, headers, from, ws, Kind::Personal, None, speak).await
}

/// One QuizMaster socket's state.
pub struct QuizMaster {
    simulations: Simulations,
    me: i64,
    /// Where running simulations send their frames (the socket's side queue).
    side: mpsc::Sender<Message>,
    /// Cancels this socket's simulations: on `cancel`, and when the socket goes (dropped).
    cancel: DropGuard,
    token: CancellationToken,
    started: u64,
}

impl QuizMaster {
    fn new(simulations: Simulations, side: mpsc::Sender<Message>) -> QuizMaster {
        let token = CancellationToken::new();
        QuizMaster { simulations, me: 0, side, cancel: token.clone().drop_guard(), token, started: 0 }
    }

    fn simulate(&mut self, spec: Spec, out: &mut Out) {
        let run = match self.simulations.start(self.me, spec) {
            Ok(run) => run,
            Err(refusal) => return error(out, &refusal),
        };
        self.started += 1;
        tokio::spawn(drive(run, self.started, self.side.clone(), self.token.child_token()));
    }

    fn cancel(&mut self) {
        let fresh = CancellationToken::new();
        self.token = fresh.clone();
        // Dropping the old guard cancels the old token, and with it every simulation running.
        self.cancel = fresh.drop_guard();
    }
}

/// Runs one simulation, sending an `update` per step and a `complete`; stops when cancelled or
/// when the socket is gone.
async fn drive(mut run: Run, id: u64, side: mpsc::Sender<Message>, cancel: CancellationToken) {
    let mut done = 0;
    let cancelled = loop {
        let step = tokio::select! {
            () = cancel.cancelled() => break true,
            step = run.next() => step,
        };
        let Some(step) = step else { break false };
        done = step.step;
        let frame = Frame::Update {
            message: format!("Step {} of {}", step.step, step.total),
            data: UpdateData {
                id,
                step: step.step,
                total: step.total,
                elapsed_ms: step.elapsed_ms,
                progress: step.progress,
            },
        };
        if !send(&side, &frame).await {
            return;
        }
    };
    let message = if cancelled { "Simulation cancelled" } else { "Simulation complete" };
    let data = CompleteData { id, steps: done, total: run.total(), elapsed_ms: run.elapsed_ms(), cancelled };
    send(&side, &Frame::Complete { message: message.to_owned(), data }).await;
}

/// Queues a frame for the socket; false once the socket is gone.
async fn send(side: &mpsc::Sender<Message>, frame: &Frame) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => side.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

fn error(out: &mut Out, refusal: &Refusal) {
    out.send(&Frame::Error {
        message: refusal.message.clone(),
        data: ErrorData { code: code_name(refusal.code), retry_after_ms: refusal.retry_after_ms() },
    });
}

impl Dialect for QuizMaster {
    fn open(&mut self, user: &UserInfo, out: &mut Out) {
        self.me = user.id;
        out.send(&Frame::ConnectionStatus {
            message: "Connected successfully".to_owned(),
            data: ConnectedData { user_id: user.id, display_name: user.display_name.clone() },
        });
    }

    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        match serde_json::from_str::<In>(&text) {
            Ok(In::Simulate { data, .. }) => {
                let data = data.unwrap_or_default();
                self.simulate(Spec { steps: data.steps, delay_ms: data.delay_ms }, out);
            }
            Ok(In::Cancel { .. }) => self.cancel(),
            Err(e) => {
                let refusal = match frame_type(&text) {
                    Some(t) if !TYPES.contains(&t.as_str()) => Refusal::new(
                        ErrorCode::UnknownType,
                        format!("unknown message type {t:?}; this endpoint takes simulate and cancel"),
                    ),
                    Some(t) => Refusal::new(ErrorCode::InvalidFrame, format!("invalid {t} message: {e}")),
                    None if serde_json::from_str::<serde_json::Value>(&text).is_ok() => {
                        Refusal::new(ErrorCode::InvalidFrame, "a message needs a string `type`")
                    }
                    None => Refusal::new(ErrorCode::InvalidJson, format!("not JSON: {e}")),
                };
                error(out, &refusal);
            }
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        // The personal channel underneath is not QuizMaster's; only a refusal is told.
        if let Some(ServerFrame::Error { code, message, .. }) = parse(&frame) {
            error(out, &Refusal::new(code, message));
        }
    }
}
