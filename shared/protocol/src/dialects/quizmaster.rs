//! QuizMaster (seed 003): one socket, `/ws/endpoint`, whose frames share one envelope
//! `{type, message?, data?}`. The hub runs the simulation the document's DevTools page drives.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a client asks of a simulation (both optional: 5 steps, 500 ms apart).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SimulateData {
    /// 1 to 100.
    #[serde(default)]
    pub steps: Option<u32>,
    /// 0 to 2000.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Starts a simulated operation: `update` per step, then `complete`.
    Simulate {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        data: Option<SimulateData>,
    },
    /// Stops the simulations this socket started; each ends with a `complete` saying so.
    Cancel {
        #[serde(default)]
        message: Option<String>,
    },
}

/// One step of a simulation, as `update`'s `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateData {
    /// Which simulation of this socket (1, 2, ...).
    pub id: u64,
    pub step: u32,
    pub total: u32,
    /// Since the simulation started.
    pub elapsed_ms: u64,
    /// `step / total`, 0 to 1.
    pub progress: f64,
}

/// The end of a simulation, as `complete`'s `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompleteData {
    pub id: u64,
    /// Steps done.
    pub steps: u32,
    pub total: u32,
    pub elapsed_ms: u64,
    /// It was stopped by `cancel` before its last step.
    pub cancelled: bool,
}

/// The greeting's `data`: who the token named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectedData {
    pub user_id: i64,
    pub display_name: String,
}

/// What the hub sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame: "Connected successfully".
    ConnectionStatus { message: String, data: ConnectedData },
    /// A frame could not be handled: malformed JSON, an unknown type, bad numbers, a limit.
    Error { message: String, data: ErrorData },
    /// One step of a simulation done.
    Update { message: String, data: UpdateData },
    /// A simulation ended (every step done, or cancelled).
    Complete { message: String, data: CompleteData },
}

/// `error`'s `data`: Hubbub's error code, and when a limit lifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorData {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}
