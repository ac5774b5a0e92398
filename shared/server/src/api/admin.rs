//! The admin API under `/api/admin/`: for hosts' and moderators' sessions, and for scripts with the
//! configured admin token (`Authorization: Bearer <admin_token>`, acting as a host). A guest gets 403
//! on every route. Thin: each handler reads its body and calls the moderation service.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use axum::{Router, response::IntoResponse};
use hubbub_protocol::{
    AdminConnectionsResponse, AdminRenameRequest, AdminRoomsResponse, AdminSettings, AdminUsersResponse,
    AnnounceRequest, AnnouncementsResponse, AuditResponse, BanRequest, BansResponse, BroadcastRequest,
    BroadcastResponse, ClearMessagesResponse, EndSessionsResponse, ErrorCode, KickRequest, LockRequest,
    MuteRequest, Role, RoleResponse, SetPinRequest, SetRoleRequest, SlowModeRequest, UnmuteRequest,
};
use serde::Deserialize;

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

/// The admin routes, `/admin/...` (under `/api`).
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/admin/connections", get(connections))
        .route("/admin/users", get(users))
        .route("/admin/users/{id}/kick", post(kick))
        .route("/admin/users/{id}/ban", post(ban))
        .route("/admin/users/{id}/mute", post(mute))
        .route("/admin/users/{id}/unmute", post(unmute))
        .route("/admin/users/{id}/rename", post(rename))
        .route("/admin/users/{id}/role", post(set_role))
        .route("/admin/users/{id}/clear-messages", post(clear_messages))
        .route("/admin/bans", get(bans))
        .route("/admin/bans/{id}", delete(unban))
        .route("/admin/rooms", get(rooms))
        .route("/admin/rooms/{id}/slow-mode", post(slow_mode))
        .route("/admin/rooms/{id}/lock", post(lock))
        .route("/admin/channels/{channel}/messages/{id}", delete(delete_message))
        .route("/admin/settings", get(settings).put(set_settings))
        .route("/admin/announcements", get(announcements).post(announce))
        .route("/admin/announcements/{id}", delete(clear_announcement))
        .route("/admin/broadcast", post(broadcast))
        .route("/admin/sessions/end", post(end_sessions))
        .route("/admin/pin", axum::routing::put(set_pin))
        .route("/admin/audit", get(audit))
}

async fn connections(State(hub): State<Hub>, _: Staff) -> Json<AdminConnectionsResponse> {
    Json(AdminConnectionsResponse { connections: hub.moderation().connections() })
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
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
