//! Quipflip (seed 000): `/qf/notifications/ws`, `/qf/users/online/ws`, `/qf/party/{sessionId}/ws`,
//! and the `/qf` REST routes (the socket token, the online list, a ping by name).
//!
//! The notifications and online-users sockets count in presence (a Quipflip user is online while
//! they are open). Credentials are Hubbub's: the 60 s token from `GET /qf/auth/ws-token` in `?token=`, or the session
//! cookie. A missing or bad one closes with 1008, as the document says. Close codes follow what a
//! Quipflip client does with them: 4000 to 4003, 4401 and 4403 stop its reconnecting, so the hub's
//! idle timeout (4000 in Hubbub) becomes 1001 (reconnect), an unknown party 4000 and a logout 1008.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::Utf8Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hubbub_protocol::dialects::quipflip::{
    OnlineUser as QfUser, OnlineUsers, PingUserRequest, PingUserResponse, ServerFrame as QfOut,
};
use hubbub_protocol::{
    Channel, ErrorCode, Notification, NotificationKind, OnlineUser, PresenceStatus, ServerFrame, SocketQuery,
    close,
};

use super::{Dialect, Out, Refuse, Speak, code_name, frame_type, parse, rfc3339};
use crate::api::{ApiError, Auth, Endpoint as E, SessionUser};
use crate::hub::Hub;
use crate::time::now_ms;
use crate::ws::{Credential, Kind, Peer, Upgrade, accept_as, accept_party};

/// Which of the document's sockets this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Socket {
    Notifications,
    OnlineUsers,
    Party,
}

/// One Quipflip socket's translation.
#[derive(Debug)]
pub struct Quipflip {
    socket: Socket,
}

/// Hubbub's close codes as a Quipflip client reads them.
fn close_code(code: u16) -> u16 {
    match code {
        close::UNAUTHENTICATED | close::SESSION_ENDED => 1008,
        close::IDLE_TIMEOUT => close::GOING_AWAY,
        close::NOT_FOUND => 4000,
        close::KICKED | close::BANNED => close::FORBIDDEN,
        other => other,
    }
}

fn speak(socket: Socket) -> Speak<Quipflip> {
    Speak::new(Quipflip { socket }, Refuse::Close(close_code))
}

/// How a Quipflip socket shows in presence: its notifications and online-users sockets count, as a
/// Quipflip user is online while logged in with them open (and may be pinged).
const DEVICE: &str = "Quipflip";

/// `GET /qf/notifications/ws`: the personal channel, as `notification` and `ping`.
pub async fn notifications_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let credential = Credential::of(q.token.as_deref());
    let kind = Kind::Listed { device: DEVICE.into(), channels: Vec::new(), personal: true };
    accept_as(hub, credential, headers, from, ws, kind, None, speak(Socket::Notifications)).await
}

/// `GET /qf/users/online/ws`: `online_users_update` after every change, and pings.
pub async fn online_socket(
    State(hub): State<Hub>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    let credential = Credential::of(q.token.as_deref());
    let kind = Kind::Listed { device: DEVICE.into(), channels: vec![Channel::OnlineUsers], personal: true };
    accept_as(hub, credential, headers, from, ws, kind, None, speak(Socket::OnlineUsers)).await
}

/// `GET /qf/party/{sessionId}/ws?context=`: joins the party whose code is `sessionId`.
pub async fn party_socket(
    State(hub): State<Hub>,
    Path(session): Path<String>,
    Query(q): Query<SocketQuery>,
    headers: HeaderMap,
    from: Peer,
    ws: Upgrade,
) -> Response {
    accept_party(hub, session, q, headers, from, ws, speak(Socket::Party)).await
}

impl Dialect for Quipflip {
    fn inbound(&mut self, text: Utf8Bytes, out: &mut Out) {
        match frame_type(&text).as_deref() {
            Some("ping") => out.send(&QfOut::Pong {}),
            // The party socket also takes Hubbub's party commands (ready, start, answer...), since
            // the document has the client act but names no route for it.
            Some(t) if self.socket == Socket::Party && PARTY_COMMANDS.contains(&t) => out.command_text(text),
            Some(other) => out.send(&QfOut::Error {
                code: "unknown_type".into(),
                message: format!("this socket takes no {other:?} frames; it only sends"),
            }),
            None => out.send(&QfOut::Error {
                code: "invalid_frame".into(),
                message: "a frame is a JSON object with a string \"type\"".into(),
            }),
        }
    }

    fn outbound(&mut self, frame: Utf8Bytes, out: &mut Out) {
        if self.socket == Socket::Party {
            // The party's events already carry the document's names and fields.
            match frame_type(&frame).as_deref() {
                Some(t) if PARTY_FRAMES.contains(&t) => out.send_text(frame),
                Some("error") => {
                    if let Some(ServerFrame::Error { code, message, .. }) = parse(&frame) {
                        out.send(&QfOut::Error { code: code_name(code), message });
                    }
                }
                _ => {}
            }
            return;
        }
        match parse(&frame) {
            Some(ServerFrame::Notification { notification, .. })
                if self.socket == Socket::Notifications && notification.kind != NotificationKind::Ping =>
            {
                out.send(&notification_frame(&notification));
            }
            Some(ServerFrame::Ping { from_username, timestamp, join_url, .. }) => {
                out.send(&QfOut::Ping { from_username, timestamp: rfc3339(timestamp), join_url });
            }
            Some(ServerFrame::OnlineUsersUpdate { users, total_count, timestamp })
                if self.socket == Socket::OnlineUsers =>
            {
                out.send(&QfOut::OnlineUsersUpdate(online_users(&users, total_count, timestamp)));
            }
            Some(ServerFrame::Error { code, message, .. }) => {
                out.send(&QfOut::Error { code: code_name(code), message });
            }
            _ => {}
        }
    }

    fn close_code(&self, code: u16) -> u16 {
        close_code(code)
    }
}

/// Hubbub's party commands, which the party socket passes on as they are.
const PARTY_COMMANDS: &[&str] =
    &["party_join", "party_leave", "party_ready", "party_start", "party_answer", "party_control"];

/// The party frames a Quipflip client gets, unchanged.
const PARTY_FRAMES: &[&str] = &[
    "phase_transition",
    "player_joined",
    "player_left",
    "player_ready",
    "progress_update",
    "session_started",
    "session_completed",
    "session_update",
    "host_ping",
    "player_connection",
];

/// An inbox entry as Quipflip's `notification`. A ping's entry is left out: the `ping` frame before
/// it says the same.
fn notification_frame(n: &Notification) -> QfOut {
    let (kind, action, role) = match n.kind {
        NotificationKind::Mention => ("mention", "mentioned you", "mentioned"),
        NotificationKind::Ping => ("ping", "pinged you", "recipient"),
        NotificationKind::DmRequest => ("dm_request", "wants to talk with you", "recipient"),
        NotificationKind::DmMessage => ("dm_message", "sent you a message", "recipient"),
        NotificationKind::PartyInvite => ("party_invite", "invited you to a party", "invitee"),
        NotificationKind::HostPing => ("host_ping", "nudged you", "player"),
        NotificationKind::Announcement => ("announcement", "announced", "recipient"),
        NotificationKind::RoomInvite => ("room_invite", "invited you to a room", "invitee"),
    };
    QfOut::Notification {
        notification_type: kind.into(),
        actor_username: n.from_username.clone().unwrap_or_default(),
        action: action.into(),
        recipient_role: role.into(),
        phrase_text: n.text.clone(),
        timestamp: rfc3339(n.created_at),
    }
}

fn online_users(users: &[OnlineUser], total_count: u32, timestamp: i64) -> OnlineUsers {
    let users = users
        .iter()
        .map(|u| QfUser {
            user_id: u.user_id,
            username: u.display_name.clone(),
            status: match u.status {
                PresenceStatus::Online => "online",
                PresenceStatus::Away => "away",
                PresenceStatus::Busy => "busy",
            }
            .into(),
            online_since: rfc3339(u.since),
        })
        .collect();
    OnlineUsers { users, total_count, timestamp: rfc3339(timestamp) }
}

/// Most users `GET /qf/users/online` lists (the socket lists as many as presence does).
const ONLINE_PAGE: usize = 1000;

/// `GET /qf/users/online`: the same list as the socket's `online_users_update`, for polling.
pub async fn online(State(hub): State<Hub>, _user: SessionUser) -> Json<OnlineUsers> {
    let (users, _, total) = hub.presence().page("", 0, hub.presence().list_max().min(ONLINE_PAGE));
    Json(online_users(&users, u32::try_from(total).unwrap_or(u32::MAX), now_ms()))
}

/// `POST /qf/users/online/ping` (`pingOnlineUser(username)`): pings an online user by name.
pub async fn ping(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    req: Result<Json<PingUserRequest>, JsonRejection>,
) -> Result<Json<PingUserResponse>, ApiError> {
    let Json(req) = req.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let wanted = req.username.trim();
    if wanted.is_empty() || wanted.chars().count() > 100 {
        return Err(ApiError::new(ErrorCode::InvalidFrame, "username must be 1 to 100 characters"));
    }
    let (candidates, ..) = hub.presence().page(wanted, 0, ONLINE_PAGE);
    let folded = wanted.to_lowercase();
    let Some(user) = candidates.into_iter().find(|u| u.display_name.to_lowercase() == folded) else {
        return Err(ApiError::new(ErrorCode::UserOffline, format!("nobody named {wanted:?} is online")));
    };
    hub.notify().ping(&me.user, user.user_id, req.join_url).await?;
    Ok(Json(PingUserResponse { success: true, username: user.display_name }))
}

/// Quipflip's REST routes.
pub fn endpoints() -> Vec<E> {
    let tag = "quipflip";
    vec![
        E::get("/qf/auth/ws-token", crate::api::ws_token)
            .doc(tag, "Quipflip: a 60 s token for the `/qf` sockets' `?token=` (as `GET /api/auth/ws-token`)")
            .outside_api()
            .ok::<hubbub_protocol::WsTokenResponse>(),
        E::get("/qf/users/online", online)
            .doc(tag, "Quipflip: who is online, for polling while the socket is down")
            .outside_api()
            .ok::<OnlineUsers>(),
        E::post("/qf/users/online/ping", ping)
            .doc(tag, "Quipflip: `pingOnlineUser(username)`, a ping by display name; 409 when nobody of that name is online")
            .outside_api()
            .auth(Auth::Session)
            .body::<PingUserRequest>()
            .ok::<PingUserResponse>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hubs_closes_mean_to_a_quipflip_client_what_they_mean_to_the_hub() {
        assert_eq!(close_code(close::UNAUTHENTICATED), 1008);
        assert_eq!(close_code(close::SESSION_ENDED), 1008);
        // 4000 tells a Quipflip client to stop; an idle peer should come back.
        assert_eq!(close_code(close::IDLE_TIMEOUT), close::GOING_AWAY);
        assert_eq!(close_code(close::NOT_FOUND), 4000);
        assert_eq!(close_code(close::TOO_SLOW), close::TOO_SLOW);
    }
}
