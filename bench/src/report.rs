//! What a scenario reports: its parameters, its measurements, and whether its checks held.

use serde::Serialize;
use serde_json::{Map, Value};

/// One scenario's result.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub params: Map<String, Value>,
    pub metrics: Map<String, Value>,
    /// Whether the correctness checks (counts, exactly-once) held.
    pub correct: bool,
}

impl Report {
    pub fn new(scenario: &'static str) -> Report {
        let mut params = Map::new();
        if crate::pin::hub_pinned() {
            params.insert(
                "pinned".into(),
                Value::String(format!(
                    "server on core {}, load on core {}",
                    crate::pin::HUB_CPU,
                    crate::pin::BENCH_CPU
                )),
            );
        }
        if crate::clients::auth() == crate::clients::Auth::Bearer {
            params.insert("auth".into(), Value::String("bearer".into()));
        }
        Report { scenario, params, metrics: Map::new(), correct: true }
    }

    pub fn param(mut self, key: &str, value: impl Into<Value>) -> Report {
        self.params.insert(key.to_owned(), value.into());
        self
    }

    pub fn metric(&mut self, key: &str, value: impl Into<Value>) {
        self.metrics.insert(key.to_owned(), value.into());
    }

    /// Records a correctness check; a failed one makes the run fail.
    pub fn check(&mut self, what: &str, ok: bool) {
        if !ok {
            self.correct = false;
            self.metrics.insert(format!("FAILED {what}"), Value::Bool(false));
        }
    }

    pub fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string(self).unwrap_or_default());
            return;
        }
        let params: Vec<String> = self.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("{:<10} {}  correct={}", self.scenario, params.join(" "), self.correct);
        for (k, v) in &self.metrics {
            println!("    {k:<28} {v}");
        }
    }
}

/// Milliseconds with two decimals, from nanoseconds.
pub fn ms(nanos: u64) -> f64 {
    (nanos as f64 / 10_000.0).round() / 100.0
}
