//! `GET /api/openapi.json`: the REST API as an OpenAPI 3.1 document, built from the endpoint table
//! (`describe.rs`) and the wire types' own JSON Schemas, so it cannot drift from what is served.

use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use hubbub_protocol::{ApiError as ApiErrorBody, PROTOCOL_VERSION};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::describe::{Auth, Endpoint, Success};
use crate::auth::SESSION_COOKIE;

/// Where every named schema is kept, in both documents.
pub(super) const SCHEMAS: &str = "/components/schemas";

/// The document, made once: it depends only on the binary.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| build(&super::all_endpoints()))
}

pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, "no-cache")], axum::Json(document()))
}

pub(super) fn build(endpoints: &[Endpoint]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = SCHEMAS.into())
        .for_deserialize()
        .into_generator();
    let error = generator.subschema_for::<ApiErrorBody>();
    let mut paths = Map::new();
    for e in endpoints {
        let mut op = Map::new();
        op.insert("operationId".into(), operation_id(e).into());
        op.insert("summary".into(), e.summary.into());
        op.insert("tags".into(), json!([e.tag]));
        let mut parameters: Vec<Value> = e
            .params
            .iter()
            .map(|p| {
                json!({"name": p.name, "in": "path", "required": true, "description": p.description,
                       "schema": (p.schema)(&mut generator)})
            })
            .collect();
        if let Some(query) = e.query {
            parameters.extend(query_parameters(&(query)(&mut generator)));
        }
        if !parameters.is_empty() {
            op.insert("parameters".into(), parameters.into());
        }
        if let Some((body, optional)) = e.body {
            op.insert(
                "requestBody".into(),
                json!({"required": !optional,
                       "content": {"application/json": {"schema": (body)(&mut generator)}}}),
            );
        }
        if e.binary_body {
            op.insert(
                "requestBody".into(),
                json!({"required": true, "description": "The file's bytes, of any media type",
                       "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}),
            );
        }
        let mut responses = Map::new();
        match e.success {
            Success::Json(status, schema) => {
                let content = json!({"application/json": {"schema": (schema)(&mut generator)}});
                for s in std::iter::once(status).chain(e.also) {
                    responses.insert(s.to_string(), json!({"description": "Done", "content": content}));
                }
            }
            Success::NoContent => {
                responses.insert("204".into(), json!({"description": "Done; no body"}));
            }
            Success::Media(media) => {
                responses.insert("200".into(), json!({"description": "Done", "content": {media: {}}}));
            }
        }
        responses.insert(
            "default".into(),
            json!({"description": "Refused: a status that fits the code, and `{code, message}` \
                                   (`retry_after_ms` and `Retry-After` with 429)",
                   "content": {"application/json": {"schema": error}}}),
        );
        op.insert("responses".into(), responses.into());
        op.insert("security".into(), security(e.auth));
        let path = paths.entry(format!("{}{}", e.prefix, e.path)).or_insert_with(|| json!({}));
        path[e.method.as_str().to_ascii_lowercase()] = op.into();
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Hubbub REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!(
                "The REST API of a Hubbub hub (wire protocol version {PROTOCOL_VERSION}). The sockets \
                 are described in /api/asyncapi.json, and both in docs/protocol.md. A state-changing \
                 request with the session cookie must come from the hub's own pages; send a bearer \
                 session from anywhere else."),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "components": {
            "schemas": generator.take_definitions(true),
            "securitySchemes": {
                "session": {"type": "http", "scheme": "bearer",
                            "description": "The `session` that `POST /api/join` answers with"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                                  "description": "Set by `POST /api/join`"},
                "adminToken": {"type": "http", "scheme": "bearer",
                               "description": "The operator's `admin_token` setting; acts as a host"},
            },
        },
    })
}

/// `post_rooms_id_join` for `POST /rooms/{id}/join`.
fn operation_id(e: &Endpoint) -> String {
    let mut id = e.method.as_str().to_ascii_lowercase();
    for word in e.path.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        id.push('_');
        id.push_str(word);
    }
    id
}

fn security(auth: Auth) -> Value {
    match auth {
        Auth::Open => json!([]),
        Auth::Session => json!([{"session": []}, {"sessionCookie": []}]),
        Auth::Staff => json!([{"session": []}, {"sessionCookie": []}, {"adminToken": []}]),
    }
}

/// One query parameter per field of the query struct's schema. A parameter is a string on the
/// wire, never `null`: an optional field is simply left out.
fn query_parameters(schema: &schemars::Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property.as_object_mut().and_then(|p| p.remove("description"));
            if let Some(Value::Array(types)) = property.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    property["type"] = types[0].clone();
                }
            }
            let mut parameter = json!({"name": name, "in": "query",
                                       "required": required.contains(&name.as_str()), "schema": property});
            if let Some(d) = description {
                parameter["description"] = d;
            }
            parameter
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Every route is described: a summary, a group, each `{parameter}` of its path, and a body
    /// schema wherever it answers JSON.
    #[test]
    fn every_endpoint_is_described() {
        let endpoints = super::super::endpoints();
        assert!(endpoints.len() > 40, "the table lists every route; found {}", endpoints.len());
        for e in &endpoints {
            let name = format!("{} /api{}", e.method, e.path);
            assert!(e.summary.len() > 10, "{name} has no summary");
            assert!(!e.tag.is_empty(), "{name} has no group");
            let in_path: Vec<&str> =
                e.path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(p, _)| p)).collect();
            let documented: Vec<&str> = e.params.iter().map(|p| p.name).collect();
            assert_eq!(in_path, documented, "{name}: path parameters and their descriptions differ");
            assert!(e.params.iter().all(|p| !p.description.is_empty()), "{name}: a parameter is undescribed");
        }
        let doc = document();
        let ops: usize =
            doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(ops, endpoints.len(), "one operation per endpoint");
    }

    /// Every `$ref` in the document points at a schema the document holds, and every schema has
    /// its description (the wire type's doc comment).
    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut refs = Vec::new();
        collect_refs(doc, &mut refs);
        assert!(refs.len() > 50);
        for r in refs {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("odd $ref {r}"));
            assert!(schemas.contains_key(name), "{r} does not resolve");
        }
        for (name, schema) in schemas {
            assert!(schema.get("description").is_some(), "schema {name} has no description (doc comment)");
        }
    }

    #[test]
    fn query_parameters_are_strings_not_nulls() {
        let doc = document();
        let search = &doc["paths"]["/api/search"]["get"]["parameters"];
        let q = search.as_array().unwrap().iter().find(|p| p["name"] == "q").unwrap();
        assert_eq!(q["required"], true);
        assert_eq!(q["schema"]["type"], "string");
        let channel = search.as_array().unwrap().iter().find(|p| p["name"] == "channel").unwrap();
        assert_eq!(channel["required"], false);
        assert_eq!(channel["schema"]["type"], "string");
    }

    pub(crate) fn collect_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
