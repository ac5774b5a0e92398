//! The REST routes as one table of endpoints, each a handler with its description: the router and
//! the OpenAPI document (`openapi.rs`) are both built from it, so no route is served undescribed.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::hub::Hub;

/// Makes the schema of one type, registering the types it refers to with the generator.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

fn root_schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.root_schema_for::<T>()
}

/// Who may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone who can reach the hub.
    Open,
    /// A guest's session: the `hubbub_session` cookie from the hub's own pages, or `Authorization:
    /// Bearer <session>`.
    Session,
    /// A host's or moderator's session, or the operator's admin token as a bearer.
    Staff,
}

/// What a successful answer carries.
#[derive(Clone, Copy)]
pub enum Success {
    /// JSON of this schema, with this status.
    Json(u16, SchemaFn),
    /// No body (204): what an endpoint answers unless it says otherwise.
    NoContent,
    /// A body of another media type (an SVG image), described in words.
    Media(&'static str),
}

/// A path parameter: its name (as written in the path), its type's schema and what it is.
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub schema: SchemaFn,
    pub description: &'static str,
}

/// One method on one path, with everything the document says about it.
pub struct Endpoint {
    pub method: Method,
    /// The path under `/api`, in the router's syntax (`/rooms/{id}/join`), which is OpenAPI's too;
    /// a dialect's endpoint (served outside `/api`) gives its whole path.
    pub path: &'static str,
    /// What the path is under: `/api`, or nothing for a dialect's endpoint.
    pub prefix: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub auth: Auth,
    pub params: Vec<Param>,
    /// A struct whose fields are the query parameters.
    pub query: Option<SchemaFn>,
    /// The JSON body, and whether it may be left out (then the defaults apply).
    pub body: Option<(SchemaFn, bool)>,
    /// The body is raw bytes of any media type (an upload), not JSON.
    pub binary_body: bool,
    pub success: Success,
    /// Another success status with the same body (`POST /api/join`: 201 for a new user, 200 else).
    pub also: Option<u16>,
    router: MethodRouter<Hub>,
}

impl Endpoint {
    fn new<H, T>(method: Method, filter: MethodFilter, path: &'static str, handler: H) -> Endpoint
    where
        H: Handler<T, Hub>,
        T: 'static,
    {
        Endpoint {
            method,
            path,
            prefix: "/api",
            summary: "",
            tag: "",
            auth: Auth::Session,
            params: Vec::new(),
            query: None,
            body: None,
            binary_body: false,
            success: Success::NoContent,
            also: None,
            router: on(filter, handler),
        }
    }

    pub fn get<H: Handler<T, Hub>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
        Endpoint::new(Method::GET, MethodFilter::GET, path, handler)
    }

    pub fn post<H: Handler<T, Hub>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
        Endpoint::new(Method::POST, MethodFilter::POST, path, handler)
    }

    pub fn put<H: Handler<T, Hub>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
        Endpoint::new(Method::PUT, MethodFilter::PUT, path, handler)
    }

    pub fn delete<H: Handler<T, Hub>, T: 'static>(path: &'static str, handler: H) -> Endpoint {
        Endpoint::new(Method::DELETE, MethodFilter::DELETE, path, handler)
    }

    /// One line saying what the endpoint does, and the group it is listed under.
    pub fn doc(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.tag = tag;
        self.summary = summary;
        self
    }

    /// Served at its own path, outside `/api` (a dialect's REST route).
    pub fn outside_api(mut self) -> Self {
        self.prefix = "";
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    pub fn param<P: JsonSchema>(mut self, name: &'static str, description: &'static str) -> Self {
        self.params.push(Param { name, schema: schema_of::<P>, description });
        self
    }

    pub fn query<Q: JsonSchema>(mut self) -> Self {
        self.query = Some(root_schema_of::<Q>);
        self
    }

    pub fn body<B: JsonSchema>(mut self) -> Self {
        self.body = Some((schema_of::<B>, false));
        self
    }

    /// A body that may be left out (no `Content-Type`, nothing sent) for the defaults.
    pub fn optional_body<B: JsonSchema>(mut self) -> Self {
        self.body = Some((schema_of::<B>, true));
        self
    }

    /// The body is a file's raw bytes, of any media type.
    pub fn binary_body(mut self) -> Self {
        self.binary_body = true;
        self
    }

    /// 200 with this JSON.
    pub fn ok<R: JsonSchema>(self) -> Self {
        self.answers::<R>(200)
    }

    /// 201 with this JSON.
    pub fn created<R: JsonSchema>(self) -> Self {
        self.answers::<R>(201)
    }

    pub fn answers<R: JsonSchema>(mut self, status: u16) -> Self {
        self.success = Success::Json(status, schema_of::<R>);
        self
    }

    pub fn also(mut self, status: u16) -> Self {
        self.also = Some(status);
        self
    }

    pub fn media(mut self, media_type: &'static str) -> Self {
        self.success = Success::Media(media_type);
        self
    }
}

/// The router of a table: endpoints on one path share its method router.
pub fn router(endpoints: Vec<Endpoint>) -> axum::Router<Hub> {
    let mut by_path: Vec<(&'static str, MethodRouter<Hub>)> = Vec::new();
    for e in endpoints {
        match by_path.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, r)) => *r = std::mem::take(r).merge(e.router),
            None => by_path.push((e.path, e.router)),
        }
    }
    by_path.into_iter().fold(axum::Router::new(), |router, (path, methods)| router.route(path, methods))
}
