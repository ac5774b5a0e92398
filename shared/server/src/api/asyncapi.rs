//! `GET /api/asyncapi.json`: the sockets as an AsyncAPI 3.0 document, built from the protocol's
//! socket list and the frames' own JSON Schemas (one message per frame type, with its doc comment).

use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use hubbub_protocol::{ClientFrame, PROTOCOL_VERSION, SOCKETS, ServerFrame, SocketQuery, Speaks, close};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::openapi::SCHEMAS;

/// The document, made once: it depends only on the binary.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, "no-cache")], axum::Json(document()))
}

/// One frame type: its `type` value, what it is, and its schema.
pub(crate) struct Frame {
    pub name: String,
    pub description: Option<String>,
    pub schema: Value,
}

/// The variants of a frame enum (tagged by `type`), each with its doc comment and schema.
pub(crate) fn frames(root: &Value) -> Vec<Frame> {
    let variants = root.get("oneOf").and_then(Value::as_array).cloned().unwrap_or_default();
    variants
        .into_iter()
        .map(|v| Frame {
            name: v["properties"]["type"]["const"].as_str().unwrap_or_default().to_owned(),
            description: v.get("description").and_then(Value::as_str).map(str::to_owned),
            schema: v,
        })
        .collect()
}

fn build() -> Value {
    // AsyncAPI's own schema format is a superset of JSON Schema draft 7.
    let mut generator =
        SchemaSettings::draft07().with(|s| s.definitions_path = SCHEMAS.into()).into_generator();
    let client = generator.root_schema_for::<ClientFrame>().to_value();
    let server = generator.root_schema_for::<ServerFrame>().to_value();
    let query = generator.root_schema_for::<SocketQuery>().to_value();
    let mut messages = Map::new();
    let mut refs = |side: String, frames: Vec<Frame>| -> Vec<Value> {
        frames
            .into_iter()
            .map(|f| {
                let key = format!("{side}.{}", f.name);
                messages.insert(
                    key.clone(),
                    json!({"name": f.name, "title": f.name, "summary": f.description.unwrap_or_default(),
                           "contentType": "application/json", "payload": strip_schema_keys(f.schema)}),
                );
                json!({"$ref": format!("#/components/messages/{key}")})
            })
            .collect()
    };
    let received = refs("client".into(), frames(&client));
    let sent = refs("server".into(), frames(&server));
    // Each dialect's frames, made once however many sockets speak it.
    let mut dialects: Vec<(&str, Vec<Value>, Vec<Value>)> = Vec::new();
    for socket in SOCKETS {
        if let Speaks::Dialect { dialect, client, server } = socket.speaks
            && !dialects.iter().any(|(d, ..)| *d == dialect)
        {
            let client = client(&mut generator).to_value();
            let server = server(&mut generator).to_value();
            let received = refs(format!("{dialect}.client"), frames(&client));
            let sent = refs(format!("{dialect}.server"), frames(&server));
            dialects.push((dialect, received, sent));
        }
    }
    let close_codes: Vec<Value> =
        close::MEANINGS.iter().map(|(code, meaning)| json!({"code": code, "meaning": meaning})).collect();
    let mut channels = Map::new();
    let mut operations = Map::new();
    for socket in SOCKETS {
        let (received, sent) = match socket.speaks {
            Speaks::Hubbub => (&received, &sent),
            Speaks::Dialect { dialect, .. } => dialects
                .iter()
                .find(|(d, ..)| *d == dialect)
                .map(|(_, r, s)| (r, s))
                .unwrap_or((&received, &sent)),
        };
        let mut channel_messages = Map::new();
        for r in received.iter().chain(sent) {
            let key = r["$ref"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default();
            channel_messages.insert(key.replace('.', "_"), r.clone());
        }
        let parameters: Map<String, Value> = socket
            .params
            .iter()
            .map(|(name, about)| ((*name).to_owned(), json!({"description": about})))
            .collect();
        let mut channel = json!({
            "address": socket.path,
            "title": socket.name,
            "description": socket.summary,
            "messages": channel_messages,
            "bindings": {"ws": {"method": "GET", "query": strip_schema_keys(query.clone()), "bindingVersion": "0.1.0"}},
        });
        if !parameters.is_empty() {
            channel["parameters"] = parameters.into();
        }
        if let Speaks::Dialect { dialect, .. } = socket.speaks {
            channel["x-dialect"] = dialect.into();
        }
        channels.insert(socket.name.to_owned(), channel);
        let channel_ref = json!({"$ref": format!("#/channels/{}", socket.name)});
        let channel_refs = |list: &[Value]| -> Vec<Value> {
            list.iter()
                .map(|r| {
                    let key = r["$ref"].as_str().unwrap_or_default().rsplit('/').next().unwrap_or_default();
                    json!({"$ref": format!("#/channels/{}/messages/{}", socket.name, key.replace('.', "_"))})
                })
                .collect()
        };
        operations.insert(
            format!("{}.receive", socket.name),
            json!({"action": "receive", "channel": channel_ref, "summary": "Commands from the client",
                   "messages": channel_refs(received)}),
        );
        operations.insert(
            format!("{}.send", socket.name),
            json!({"action": "send", "channel": channel_ref, "summary": "Events and answers from the hub",
                   "messages": channel_refs(sent)}),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Hubbub sockets",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The WebSockets of a Hubbub hub (wire protocol version {PROTOCOL_VERSION}). Every frame \
                 is a JSON text message tagged by `type`; a command with `ref` is answered by `ack` or \
                 `error` with the same `ref`. Sockets that speak a dialect (a seed document's API, see \
                 docs/dialects.md) carry that dialect's frames instead. The REST API is in \
                 /api/openapi.json."),
            "license": {"name": "MIT"},
            "x-close-codes": close_codes,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": generator.take_definitions(true), "messages": messages},
    })
}

/// A root schema's `$schema` and `title` have no place inside a message payload.
fn strip_schema_keys(mut schema: Value) -> Value {
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame type of both directions is a message with its description (the variant's doc
    /// comment) in every channel: a new frame without one fails here.
    #[test]
    fn every_frame_is_described() {
        let doc = document();
        let messages = doc["components"]["messages"].as_object().unwrap();
        let mut generator = SchemaSettings::draft07().into_generator();
        let mut roots = vec![
            ("client".to_owned(), generator.root_schema_for::<ClientFrame>().to_value()),
            ("server".to_owned(), generator.root_schema_for::<ServerFrame>().to_value()),
        ];
        for socket in SOCKETS {
            if let Speaks::Dialect { dialect, client, server } = socket.speaks
                && !roots.iter().any(|(side, _)| side == &format!("{dialect}.client"))
            {
                roots.push((format!("{dialect}.client"), client(&mut generator).to_value()));
                roots.push((format!("{dialect}.server"), server(&mut generator).to_value()));
            }
        }
        let mut per_speaker: std::collections::HashMap<String, usize> = Default::default();
        for (side, root) in roots {
            let frames = frames(&root);
            assert!(!frames.is_empty(), "{side}: found no frames");
            let speaker = side.rsplit_once('.').map_or("hubbub", |(d, _)| d).to_owned();
            *per_speaker.entry(speaker).or_default() += frames.len();
            for f in frames {
                assert!(!f.name.is_empty(), "{side}: a frame without a `type`");
                let description = f.description.unwrap_or_default();
                assert!(description.len() > 10, "{side} frame {} has no description", f.name);
                let message = &messages[&format!("{side}.{}", f.name)];
                assert_eq!(message["summary"], description.as_str());
            }
        }
        for socket in SOCKETS {
            let channel = &doc["channels"][socket.name];
            assert_eq!(channel["address"], socket.path);
            let speaker = match socket.speaks {
                Speaks::Hubbub => "hubbub",
                Speaks::Dialect { dialect, .. } => dialect,
            };
            assert_eq!(
                channel["messages"].as_object().unwrap().len(),
                per_speaker[speaker],
                "{}",
                socket.name
            );
            let in_path = socket.path.matches('{').count();
            assert_eq!(in_path, socket.params.len(), "{}: undescribed path parameters", socket.path);
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let mut refs = Vec::new();
        super::super::openapi::tests::collect_refs(doc, &mut refs);
        for r in refs {
            let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
            assert!(target.is_some(), "{r} does not resolve");
        }
    }
}
