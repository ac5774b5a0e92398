//! Direct conversations over REST: start (a request), list, accept, decline, block.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hubbub_protocol::{
    Channel, DmState, DmThread, DmsResponse, ErrorCode, NotificationKind, ServerFrame, StartDmRequest,
};

use super::ApiError;
use super::rooms::{subscribe_user, unsubscribe_user};
use crate::auth::SessionUser;
use crate::conn::encode;
use crate::hub::Hub;
use crate::notify::publish_notification;
use crate::store::{
    DmAction, DmRefusal, DmRow, NewNotification, act_on_dm, dm_view, dms_for, insert_notification,
    mark_read_about, start_dm,
};
use crate::time::now_ms;

fn refusal(r: DmRefusal) -> ApiError {
    match r {
        DmRefusal::NoSuchUser => ApiError::new(ErrorCode::NotFound, "no such user"),
        DmRefusal::NoSuchThread => ApiError::new(ErrorCode::NotFound, "no such conversation"),
        DmRefusal::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed for this conversation"),
    }
}

/// Sends each participant their view of the conversation.
fn publish(hub: &Hub, views: [(i64, DmThread); 2]) {
    for (user, thread) in views {
        hub.registry.publish(&Channel::User(user), &encode(&ServerFrame::DmUpdate { thread }), None);
    }
}

/// Both participants' views of a conversation.
fn views(db: &rusqlite::Connection, d: &DmRow) -> crate::store::StoreResult<[(i64, DmThread); 2]> {
    Ok([(d.user_a, dm_view(db, d, d.user_a)?), (d.user_b, dm_view(db, d, d.user_b)?)])
}

/// `GET /api/dms`.
pub async fn list(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
) -> Result<Json<DmsResponse>, ApiError> {
    let user = me.user.id;
    Ok(Json(DmsResponse { threads: hub.store.read(move |db| dms_for(db, user)).await? }))
}

/// `POST /api/dms`: asks another user for a conversation. It stays `pending` until they accept; they
/// get a `dm_request` notification and both get `dm_update`.
pub async fn start(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    body: Result<Json<StartDmRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<DmThread>), ApiError> {
    let Json(req) = body.map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let (from, to, name) = (me.user.id, req.user_id, me.user.display_name.clone());
    let (d, views, notified) = hub
        .store
        .write_wait(move |db| {
            let now = now_ms();
            let d = match start_dm(db, from, to, now)? {
                Ok(d) => d,
                Err(r) => return Ok(Err(r)),
            };
            let notified = if d.state == DmState::Pending && d.initiated_by == from {
                let new = NewNotification {
                    user_id: to,
                    kind: NotificationKind::DmRequest,
                    from_user_id: Some(from),
                    text: format!("{name} wants to talk with you"),
                    channel: Some(format!("dm:{}", d.id)),
                    join_url: None,
                };
                Some(insert_notification(db, &new, now)?)
            } else {
                None
            };
            Ok(Ok((d, views(db, &d)?, notified)))
        })
        .await?
        .map_err(refusal)?;
    let channel = Channel::Dm(d.id);
    subscribe_user(&hub, d.user_a, &channel).await;
    subscribe_user(&hub, d.user_b, &channel).await;
    let mine = views.iter().find(|(u, _)| *u == from).map(|(_, t)| t.clone());
    publish(&hub, views);
    if let Some((notification, unread)) = notified {
        publish_notification(&hub, to, notification, unread);
    }
    let mine = mine.ok_or_else(|| ApiError::new(ErrorCode::Internal, "conversation view missing"))?;
    Ok((StatusCode::CREATED, Json(mine)))
}

async fn act(
    hub: Hub,
    me: i64,
    id: Result<Path<i64>, PathRejection>,
    action: DmAction,
) -> Result<Json<DmThread>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::new(ErrorCode::NotFound, "no such conversation"))?;
    let (d, views, answered) = hub
        .store
        .write_wait(move |db| {
            let d = match act_on_dm(db, id, me, action)? {
                Ok(d) => d,
                Err(r) => return Ok(Err(r)),
            };
            // Answering a request settles its inbox entry.
            let answered = if action == DmAction::Block {
                None
            } else {
                Some(mark_read_about(db, me, NotificationKind::DmRequest, &format!("dm:{}", d.id), now_ms())?)
            };
            Ok(Ok((d, views(db, &d)?, answered)))
        })
        .await?
        .map_err(refusal)?;
    if let Some((ids, unread_count)) = answered.filter(|(ids, _)| !ids.is_empty()) {
        let frame = ServerFrame::NotificationsRead { ids: Some(ids), unread_count };
        hub.registry.publish(&Channel::User(me), &encode(&frame), None);
    }
    let channel = Channel::Dm(d.id);
    if d.state == DmState::Accepted {
        subscribe_user(&hub, d.user_a, &channel).await;
        subscribe_user(&hub, d.user_b, &channel).await;
    } else {
        unsubscribe_user(&hub, d.user_a, &channel);
        unsubscribe_user(&hub, d.user_b, &channel);
    }
    let mine = views.iter().find(|(u, _)| *u == me).map(|(_, t)| t.clone());
    publish(&hub, views);
    Ok(Json(mine.ok_or_else(|| ApiError::new(ErrorCode::Internal, "conversation view missing"))?))
}

/// `POST /api/dms/{id}/accept`: the recipient accepts a pending request.
pub async fn accept(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Accept).await
}

/// `POST /api/dms/{id}/decline`: the recipient declines a pending request.
pub async fn decline(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Decline).await
}

/// `POST /api/dms/{id}/block`: either participant ends the conversation for good.
pub async fn block(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<DmThread>, ApiError> {
    act(hub, me.user.id, id, DmAction::Block).await
}
