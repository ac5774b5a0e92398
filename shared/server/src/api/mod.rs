//! The REST API under `/api/`: JSON in and out, errors as `{"code", "message"}` with a fitting status.

mod admin;
mod asyncapi;
mod describe;
mod dms;
mod error;
mod extract;
mod files;
mod guard;
mod history;
mod hubs;
mod join;
mod metrics;
mod notifications;
mod openapi;
mod parties;
mod party_host;
mod places;
mod rooms;
mod status;

pub use admin::Staff;
pub use describe::{Auth, Endpoint};
pub use error::ApiError;
pub use extract::{Query, SessionUser};
pub use files::Uncompressed;
pub use guard::{method_not_allowed, wrong_method};
pub use join::ws_token;
pub use metrics::metrics;

use axum::Router;
use hubbub_protocol::{
    Attachment, CreatePartyRequest, CreateRoomRequest, DmThread, DmsResponse, ErrorCode, HostClaimRequest,
    HubInfo, HubsResponse, InviteRequest, JoinRequest, JoinResponse, MarkReadRequest, MarkReadResponse,
    MeResponse, MessagesResponse, NotificationsResponse, OnlineUsersResponse, PackSummary, PacksResponse,
    PartiesResponse, PartyResults, PartySnapshot, PingRequest, PingResponse, QuestionPack,
    RemoteLinkResponse, RoleResponse, Room, RoomsResponse, SessionResponse, StartDmRequest, StatusResponse,
    WsTokenResponse,
};

use crate::hub::Hub;
use describe::Endpoint as E;

/// Every `/api` endpoint but the admin ones, with its description.
fn endpoints() -> Vec<Endpoint> {
    use Auth::Open;
    let (hub_tag, chat, people, party) = ("hub", "chat", "people", "parties");
    let mut all = vec![
        E::post("/join", join::join)
            .doc(people, "Joins the hub with a display name (201 for a new user, 200 when the session's user is renamed); sets the session cookie")
            .auth(Open)
            .body::<JoinRequest>()
            .created::<JoinResponse>()
            .also(200),
        E::get("/me", join::me).doc(people, "The session's user and role").ok::<MeResponse>(),
        E::get("/session", join::session)
            .doc(people, "The session's user and role, or `null` without a session (never 401)")
            .auth(Open)
            .ok::<SessionResponse>(),
        E::post("/logout", join::logout)
            .doc(people, "Ends this session: its sockets close with 4412 and the cookie is cleared"),
        E::post("/host/claim", join::claim_host)
            .doc(people, "Makes the signed-in user a host with a host link's one-time token")
            .body::<HostClaimRequest>()
            .ok::<RoleResponse>(),
        E::get("/auth/ws-token", join::ws_token)
            .doc(people, "A short-lived token for `GET /ws?token=`")
            .ok::<WsTokenResponse>(),
        E::get("/status", status::status)
            .doc(hub_tag, "Health, uptime and open connections; 503 with the same body while the hub shuts down or its database does not take writes")
            .auth(Open)
            .ok::<StatusResponse>()
            .also(503),
        E::get("/info", status::info)
            .doc(hub_tag, "The hub's id, name, version and join URLs")
            .auth(Open)
            .ok::<HubInfo>(),
        E::get("/users/online", status::online_users)
            .doc(people, "Who is online, by name, a page at a time")
            .query::<status::OnlineQuery>()
            .ok::<OnlineUsersResponse>(),
        E::get("/hubs", hubs::hubs)
            .doc(hub_tag, "Other hubs found on the LAN over mDNS")
            .auth(Open)
            .ok::<HubsResponse>(),
        E::post("/users/{id}/ping", notifications::ping)
            .doc(people, "Pings an online user: a notification in their inbox")
            .param::<i64>("id", "the user to ping")
            .optional_body::<PingRequest>()
            .ok::<PingResponse>(),
        E::get("/notifications", notifications::list)
            .doc(people, "The inbox, newest first, and the unread count")
            .query::<notifications::Page>()
            .ok::<NotificationsResponse>(),
        E::post("/notifications/read", notifications::mark_read)
            .doc(people, "Marks inbox entries read (some, or all)")
            .optional_body::<MarkReadRequest>()
            .ok::<MarkReadResponse>(),
        E::get("/rooms", rooms::list).doc(chat, "The rooms the user can see").ok::<RoomsResponse>(),
        E::post("/rooms", rooms::create)
            .doc(chat, "Creates a room (stored or ephemeral, open or invitation-only)")
            .body::<CreateRoomRequest>()
            .created::<Room>(),
        E::post("/rooms/{id}/join", rooms::join)
            .doc(chat, "Joins an open room (or one the user is invited to)")
            .param::<String>("id", "the room's slug")
            .ok::<Room>(),
        E::post("/rooms/{id}/leave", rooms::leave)
            .doc(chat, "Leaves a room")
            .param::<String>("id", "the room's slug")
            .ok::<Room>(),
        E::post("/rooms/{id}/invite", rooms::invite_user)
            .doc(chat, "Invites a user into a room")
            .param::<String>("id", "the room's slug")
            .body::<InviteRequest>(),
        E::get("/dms", dms::list).doc(chat, "The user's conversations").ok::<DmsResponse>(),
        E::post("/dms", dms::start)
            .doc(chat, "Asks another user for a conversation (or returns the one they share)")
            .body::<StartDmRequest>()
            .created::<DmThread>(),
        E::post("/dms/{id}/accept", dms::accept)
            .doc(chat, "Accepts a conversation request")
            .param::<i64>("id", "the conversation's id")
            .ok::<DmThread>(),
        E::post("/dms/{id}/decline", dms::decline)
            .doc(chat, "Declines a conversation request")
            .param::<i64>("id", "the conversation's id")
            .ok::<DmThread>(),
        E::post("/dms/{id}/block", dms::block)
            .doc(chat, "Blocks the other user of a conversation")
            .param::<i64>("id", "the conversation's id")
            .ok::<DmThread>(),
        E::get("/channels/{channel}/messages", history::messages)
            .doc(chat, "A page of a channel's messages before or after an offset")
            .param::<String>("channel", "the channel, such as `room:lobby` or `dm:4`")
            .query::<history::PageQuery>()
            .ok::<MessagesResponse>(),
        E::post("/channels/{channel}/files", files::upload)
            .doc(chat, "Uploads a file or photo to a channel you may write to: the body is the file's bytes (any `Content-Type`), streamed to disk; attach it to a message (`send_message` with `attachments`) within the hour")
            .param::<String>("channel", "the channel, such as `room:lobby` or `dm:4`")
            .query::<files::UploadQuery>()
            .binary_body()
            .created::<Attachment>(),
        E::get("/channels/{channel}/files/{id}", files::download)
            .doc(chat, "A file's bytes, for readers of its channel (`Range` supported); only photos, audio and video recognised from their bytes are inline, anything else is an attachment")
            .param::<String>("channel", "the channel, such as `room:lobby` or `dm:4`")
            .param::<i64>("id", "the file's id")
            .query::<files::DownloadQuery>()
            .media("*/*"),
        E::get("/channels/{channel}/files/{id}/thumbnail", files::thumbnail)
            .doc(chat, "A photo's thumbnail (JPEG, at most 480 pixels a side), for readers of its channel")
            .param::<String>("channel", "the channel, such as `room:lobby` or `dm:4`")
            .param::<i64>("id", "the file's id")
            .media("image/jpeg"),
        E::get("/search", history::search)
            .doc(chat, "Messages matching every word of `q`, newest first, from channels the user can read")
            .query::<history::SearchQuery>()
            .ok::<MessagesResponse>(),
        E::get("/parties", parties::list).doc(party, "Parties not yet over").ok::<PartiesResponse>(),
        E::post("/parties", parties::create)
            .doc(party, "Creates a party; the caller hosts it")
            .body::<CreatePartyRequest>()
            .created::<PartySnapshot>(),
        E::get("/parties/{code}", parties::get)
            .doc(party, "A party as the caller sees it")
            .param::<String>("code", "the party's join code")
            .ok::<PartySnapshot>(),
        E::get("/parties/{code}/qr.svg", parties::qr)
            .doc(party, "The party's join link as a QR code")
            .auth(Open)
            .param::<String>("code", "the party's join code")
            .media("image/svg+xml"),
        E::post("/parties/{code}/remote", party_host::remote)
            .doc(party, "Host only: a one-time link that makes the device opening it the host (a remote) and the host's devices the big screen")
            .param::<String>("code", "the party's join code")
            .ok::<RemoteLinkResponse>(),
        E::get("/parties/{code}/remote.svg", party_host::remote_qr)
            .doc(party, "Host only: a new remote link as a QR code (the link in `X-Remote-Url`, its end in `X-Remote-Expires-At`)")
            .param::<String>("code", "the party's join code")
            .media("image/svg+xml"),
        E::get("/parties/{code}/results", party_host::results_json)
            .doc(party, "Host only: the latest game's results, to download")
            .param::<String>("code", "the party's join code")
            .ok::<PartyResults>(),
        E::get("/parties/{code}/results.csv", party_host::results_csv)
            .doc(party, "Host only: the latest game's results as CSV, one row per player and question")
            .param::<String>("code", "the party's join code")
            .media("text/csv"),
        E::get("/quiz/packs", parties::packs)
            .doc(party, "Question packs: the sample pack, then imported ones")
            .ok::<PacksResponse>(),
        E::post("/quiz/packs", parties::import_pack)
            .doc(party, "Imports a question pack after checking every question (422 names the first bad field)")
            .body::<QuestionPack>()
            .created::<PackSummary>(),
        E::get("/openapi.json", openapi::serve)
            .doc(hub_tag, "This document: the REST API as OpenAPI 3.1")
            .auth(Open)
            .media("application/json"),
        E::get("/asyncapi.json", asyncapi::serve)
            .doc(hub_tag, "The sockets and their frames as AsyncAPI 3.0")
            .auth(Open)
            .media("application/json"),
    ];
    all.extend(admin::endpoints());
    all.extend(places::endpoints());
    all
}

/// The endpoints served outside `/api` (the dialects'), given once by [`routes`]: described in
/// the same OpenAPI document.
static OUTSIDE: std::sync::OnceLock<fn() -> Vec<Endpoint>> = std::sync::OnceLock::new();

/// Every endpoint the OpenAPI document describes: `/api`'s and those served outside it.
fn all_endpoints() -> Vec<Endpoint> {
    let mut all = endpoints();
    all.extend(OUTSIDE.get().map(|outside| outside()).unwrap_or_default());
    all
}

/// The `/api` routes, and `outside`'s routes at their own paths, behind the guard that refuses
/// cross-site and non-JSON state changes and keeps every error answer JSON. The OpenAPI document
/// describes both.
pub fn routes(hub: &Hub, outside: fn() -> Vec<Endpoint>) -> Router<Hub> {
    let _ = OUTSIDE.set(outside);
    let guarded = |router: Router<Hub>| {
        router
            .method_not_allowed_fallback(method_not_allowed)
            .route_layer(axum::middleware::from_fn(guard::note_route))
    };
    let api = guarded(describe::router(endpoints()))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such API route") })
        .layer(axum::middleware::from_fn_with_state(hub.clone(), guard::guard));
    let others = guarded(describe::router(outside()))
        .layer(axum::middleware::from_fn_with_state(hub.clone(), guard::guard));
    Router::new().nest("/api", api).merge(others)
}

/// The OpenAPI document of `endpoints` alone, for checking a dialect's descriptions.
pub fn openapi_of(endpoints: &[Endpoint]) -> serde_json::Value {
    openapi::build(endpoints)
}
