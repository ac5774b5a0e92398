//! The admin API under `/api/admin/`: for hosts' and moderators' sessions, and for scripts with the
//! configured admin token (`Authorization: Bearer <admin_token>`, acting as a host). A guest gets 403
//! on every route. Thin: each handler reads its body and calls the moderation service.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use hubbub_protocol::{
    AdminConnectionsResponse, AdminRenameRequest, AdminRoomsResponse, AdminSettings, AdminUsersResponse,
    AnnounceRequest, Announcement, AnnouncementsResponse, AuditResponse, Ban, BanRequest, BansResponse,
    BroadcastRequest, BroadcastResponse, ClearMessagesResponse, EndSessionsResponse, ErrorCode, KickRequest,
    LockRequest, MuteRequest, Role, RoleResponse, Room, SetPinRequest, SetRoleRequest, SlowModeRequest,
    UnmuteRequest, UserInfo,
};
use serde::Deserialize;

use super::describe::{Auth, Endpoint, Endpoint as E};
use super::{ApiError, Query, SessionUser};
use crate::auth::{SecretSource, same_secret, session_from_headers};
use crate::hub::Hub;
use crate::moderation::Actor;

/// Who is calling the admin API: a host or moderator, or the admin token.
pub struct Staff(pub Actor);

impl FromRequestParts<Hub> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        if let Some(token) = &hub.config().admin_token
            && let Some((given, SecretSource::Bearer)) = session_from_headers(&parts.headers)
            && same_secret(&given, token)
        {
            return Ok(Staff(Actor::Token));
        }
        let SessionUser(record) = SessionUser::from_request_parts(parts, hub).await?;
        Ok(Staff(hub.moderation().actor(record.user)?))
    }
}

/// A JSON body, or the API's `invalid_json` error.
fn body<T>(given: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    given.map(|Json(v)| v).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))
}

/// The admin endpoints, `/admin/...` (under `/api`).
pub(super) fn endpoints() -> Vec<Endpoint> {
    const TAG: &str = "admin";
    let user = "the user's id";
    vec![
        E::get("/admin/connections", connections)
            .doc(TAG, "Every open socket: who, from where, on which path, since when")
            .ok::<AdminConnectionsResponse>(),
        E::get("/admin/users", users)
            .doc(TAG, "Users by name (`q`), online ones only with `online=true`, a page at a time")
            .query::<UsersQuery>()
            .ok::<AdminUsersResponse>(),
        E::post("/admin/users/{id}/kick", kick)
            .doc(TAG, "Closes the user's sockets with 4410; they may come back after the kick cooldown")
            .param::<i64>("id", user)
            .optional_body::<KickRequest>(),
        E::post("/admin/users/{id}/ban", ban)
            .doc(TAG, "Bans the user (and their browser; their address for a while if asked) and ends their sessions")
            .param::<i64>("id", user)
            .optional_body::<BanRequest>()
            .created::<Ban>(),
        E::post("/admin/users/{id}/mute", mute)
            .doc(TAG, "Mutes the user hub-wide or in one room, for some minutes")
            .param::<i64>("id", user)
            .body::<MuteRequest>(),
        E::post("/admin/users/{id}/unmute", unmute)
            .doc(TAG, "Lifts a hub-wide mute, or one room's")
            .param::<i64>("id", user)
            .optional_body::<UnmuteRequest>(),
        E::post("/admin/users/{id}/rename", rename)
            .doc(TAG, "Gives the user another display name")
            .param::<i64>("id", user)
            .body::<AdminRenameRequest>()
            .ok::<UserInfo>(),
        E::post("/admin/users/{id}/role", set_role)
            .doc(TAG, "Makes the user a host, a moderator or a guest")
            .param::<i64>("id", user)
            .body::<SetRoleRequest>()
            .ok::<RoleResponse>(),
        E::post("/admin/users/{id}/clear-messages", clear_messages)
            .doc(TAG, "Deletes every message the user wrote")
            .param::<i64>("id", user)
            .ok::<ClearMessagesResponse>(),
        E::get("/admin/bans", bans).doc(TAG, "Bans in force").ok::<BansResponse>(),
        E::delete("/admin/bans/{id}", unban).doc(TAG, "Lifts a ban").param::<i64>("id", "the banned user's id"),
        E::get("/admin/rooms", rooms).doc(TAG, "Every room with its rules").ok::<AdminRoomsResponse>(),
        E::post("/admin/rooms/{id}/slow-mode", slow_mode)
            .doc(TAG, "Sets a room's slow mode (seconds between a guest's messages; 0 turns it off)")
            .param::<String>("id", "the room's slug")
            .body::<SlowModeRequest>()
            .ok::<Room>(),
        E::post("/admin/rooms/{id}/lock", lock)
            .doc(TAG, "Locks a room (only staff may write) or unlocks it")
            .param::<String>("id", "the room's slug")
            .body::<LockRequest>()
            .ok::<Room>(),
        E::delete("/admin/channels/{channel}/messages/{id}", delete_message)
            .doc(TAG, "Deletes one message; its channel is told with `message_deleted`")
            .param::<String>("channel", "the channel, such as `room:lobby`")
            .param::<i64>("id", "the message's id"),
        E::get("/admin/settings", settings).doc(TAG, "What guests may do").ok::<AdminSettings>(),
        E::put("/admin/settings", set_settings)
            .doc(TAG, "Changes what guests may do")
            .body::<AdminSettings>()
            .ok::<AdminSettings>(),
        E::get("/admin/announcements", announcements)
            .doc(TAG, "Announcements in force")
            .ok::<AnnouncementsResponse>(),
        E::post("/admin/announcements", announce)
            .doc(TAG, "Pins an announcement hub-wide or in one room, with an inbox entry for everyone")
            .body::<AnnounceRequest>()
            .created::<Announcement>(),
        E::delete("/admin/announcements/{id}", clear_announcement)
            .doc(TAG, "Takes an announcement down")
            .param::<i64>("id", "the announcement's id"),
        E::post("/admin/broadcast", broadcast)
            .doc(TAG, "Shows a notice now to everyone, one room, or one user")
            .body::<BroadcastRequest>()
            .ok::<BroadcastResponse>(),
        E::post("/admin/sessions/end", end_sessions)
            .doc(TAG, "Ends every guest session (hosts only); their sockets close with 4412")
            .ok::<EndSessionsResponse>(),
        E::put("/admin/pin", set_pin)
            .doc(TAG, "Sets or removes the hub's PIN (hosts only), optionally ending guest sessions")
            .body::<SetPinRequest>(),
        E::get("/admin/audit", audit)
            .doc(TAG, "The audit log, newest first")
            .query::<AuditQuery>()
            .ok::<AuditResponse>(),
    ]
    .into_iter()
    .map(|e| e.auth(Auth::Staff))
    .collect()
}

async fn connections(State(hub): State<Hub>, _: Staff) -> Json<AdminConnectionsResponse> {
    Json(AdminConnectionsResponse { connections: hub.moderation().connections() })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct UsersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    online: bool,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

async fn users(
    State(hub): State<Hub>,
    _: Staff,
    Query(q): Query<UsersQuery>,
) -> Result<Json<AdminUsersResponse>, ApiError> {
    let (users, total) = hub.moderation().users(&q.q, q.online, q.offset, q.limit.unwrap_or(100)).await?;
    Ok(Json(AdminUsersResponse { users, total }))
}

async fn kick(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<KickRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let req = optional(req)?;
    hub.moderation().kick(&actor, id, req.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An optional body: none (no `Content-Type`, nothing sent) means the defaults.
fn optional<T: Default>(given: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match given {
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        other => body(other),
    }
}

async fn ban(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<BanRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req = optional(req)?;
    let ban = hub.moderation().ban(&actor, id, req.reason.as_deref(), req.address_minutes).await?;
    Ok((StatusCode::CREATED, Json(ban)))
}

async fn unban(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    hub.moderation().unban(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bans(State(hub): State<Hub>, _: Staff) -> Result<Json<BansResponse>, ApiError> {
    Ok(Json(BansResponse { bans: hub.moderation().bans().await? }))
}

async fn mute(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<MuteRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let req = body(req)?;
    hub.moderation().mute(&actor, id, req.minutes, req.channel.as_deref(), req.reason.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unmute(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<UnmuteRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let req = optional(req)?;
    hub.moderation().unmute(&actor, id, req.channel.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rename(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<AdminRenameRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req = body(req)?;
    Ok(Json(hub.moderation().rename(&actor, id, &req.display_name).await?))
}

async fn set_role(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
    req: Result<Json<SetRoleRequest>, JsonRejection>,
) -> Result<Json<RoleResponse>, ApiError> {
    let req = body(req)?;
    let user = hub.moderation().set_role(&actor, id, req.role).await?;
    Ok(Json(RoleResponse { user, role: req.role }))
}

async fn clear_messages(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
) -> Result<Json<ClearMessagesResponse>, ApiError> {
    Ok(Json(ClearMessagesResponse { deleted: hub.moderation().clear_messages(&actor, id).await? }))
}

async fn rooms(State(hub): State<Hub>, _: Staff) -> Result<Json<AdminRoomsResponse>, ApiError> {
    Ok(Json(AdminRoomsResponse { rooms: hub.moderation().rooms().await? }))
}

async fn slow_mode(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(slug): Path<String>,
    req: Result<Json<SlowModeRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req = body(req)?;
    Ok(Json(hub.moderation().set_room_rules(&actor, &slug, Some(req.seconds), None).await?))
}

async fn lock(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(slug): Path<String>,
    req: Result<Json<LockRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req = body(req)?;
    Ok(Json(hub.moderation().set_room_rules(&actor, &slug, None, Some(req.locked)).await?))
}

async fn delete_message(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path((channel, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    hub.chat().remove_message(actor.id(), &channel, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn settings(State(hub): State<Hub>, _: Staff) -> Json<AdminSettings> {
    Json(AdminSettings { permissions: hub.moderation().permissions() })
}

async fn set_settings(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    req: Result<Json<AdminSettings>, JsonRejection>,
) -> Result<Json<AdminSettings>, ApiError> {
    let req = body(req)?;
    let permissions = hub.moderation().set_permissions(&actor, req.permissions).await?;
    Ok(Json(AdminSettings { permissions }))
}

async fn announcements(State(hub): State<Hub>, _: Staff) -> Result<Json<AnnouncementsResponse>, ApiError> {
    Ok(Json(AnnouncementsResponse { announcements: hub.moderation().announcements().await? }))
}

async fn announce(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    req: Result<Json<AnnounceRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req = body(req)?;
    let a = hub.moderation().announce(&actor, &req.text, req.channel.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

async fn clear_announcement(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    hub.moderation().clear_announcement(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn broadcast(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    req: Result<Json<BroadcastRequest>, JsonRejection>,
) -> Result<Json<BroadcastResponse>, ApiError> {
    let req = body(req)?;
    let delivered =
        hub.moderation().broadcast(&actor, &req.text, req.channel.as_deref(), req.user_id).await?;
    Ok(Json(BroadcastResponse { delivered }))
}

async fn end_sessions(
    State(hub): State<Hub>,
    Staff(actor): Staff,
) -> Result<Json<EndSessionsResponse>, ApiError> {
    host_only(&actor)?;
    let ended = hub.moderation().end_guest_sessions(&actor, "ended by a host").await?;
    Ok(Json(EndSessionsResponse { ended }))
}

async fn set_pin(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    req: Result<Json<SetPinRequest>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    host_only(&actor)?;
    let req = body(req)?;
    hub.set_pin(req.pin.as_deref()).map_err(|e| ApiError::new(ErrorCode::InvalidFrame, e.to_string()))?;
    hub.moderation().audit_pin(&actor, hub.pin().is_some()).await?;
    if req.end_guest_sessions {
        hub.moderation().end_guest_sessions(&actor, "the PIN changed").await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Ending sessions and the PIN are the host's: a moderator gets 403.
fn host_only(actor: &Actor) -> Result<(), ApiError> {
    match actor {
        Actor::User { role, .. } if *role != Role::Host => {
            Err(ApiError::new(ErrorCode::Forbidden, "only a host may do this"))
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<usize>,
}

async fn audit(
    State(hub): State<Hub>,
    _: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditResponse>, ApiError> {
    let entries = hub.moderation().audit_log(q.before, q.limit.unwrap_or(100)).await?;
    Ok(Json(AuditResponse { entries }))
}
