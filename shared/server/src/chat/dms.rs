//! Direct conversations: start (a request), list, accept, decline, block. Both participants'
//! views and any inbox change leave from the completion of the job that made them.

use std::net::IpAddr;
use std::time::Instant;

use hubbub_protocol::{Channel, DmState, DmThread, NotificationKind, ServerFrame};

use super::Chat;
use crate::conn::encode;
use crate::error::{Outcome, Refusal};
use crate::store::{
    DmAction, DmRow, NewNotification, StoreResult, act_on_dm, dm_view, dms_for, insert_notification,
    mark_read_about, start_dm,
};
use crate::time::now_ms;

/// Both participants' views of a conversation.
fn views(db: &rusqlite::Connection, d: &DmRow) -> StoreResult<[(i64, DmThread); 2]> {
    Ok([(d.user_a, dm_view(db, d, d.user_a)?), (d.user_b, dm_view(db, d, d.user_b)?)])
}

/// `me`'s view among both.
fn mine(views: &[(i64, DmThread); 2], me: i64) -> Outcome<DmThread> {
    views
        .iter()
        .find(|(u, _)| *u == me)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| Refusal::internal("a conversation", &"conversation view missing"))
}

impl Chat {
    /// Sends each participant their view of the conversation.
    fn publish_views(&self, views: &[(i64, DmThread); 2]) {
        for (user, thread) in views {
            let frame = encode(&ServerFrame::DmUpdate { thread: thread.clone() });
            self.core().registry().publish(&Channel::User(*user), &frame, None);
        }
    }

    /// The conversations `user` takes part in.
    pub async fn dms(&self, user: i64) -> Outcome<Vec<DmThread>> {
        Ok(self.core().store().read(move |db| dms_for(db, user)).await?)
    }

    /// Asks another user for a conversation. It stays `pending` until they accept; they get a
    /// `dm_request` notification and both get `dm_update`. Within the request budget (per user and
    /// per address).
    pub async fn start_dm(
        &self,
        from: i64,
        from_name: String,
        address: Option<IpAddr>,
        to: i64,
    ) -> Outcome<DmThread> {
        if let Err(wait) = self.inner.dm_requests.check(from, address, Instant::now()) {
            return Err(Refusal::rate_limited("too many conversation requests; wait a little", wait));
        }
        let chat = self.clone();
        let (d, views) = self
            .core()
            .store()
            .write_and(
                move |db| {
                    let now = now_ms();
                    let d = match start_dm(db, from, to, now)? {
                        Ok(d) => d,
                        Err(r) => return Ok(Err(Refusal::from(r))),
                    };
                    let notified = if d.state == DmState::Pending && d.initiated_by == from {
                        let new = NewNotification {
                            user_id: to,
                            kind: NotificationKind::DmRequest,
                            from_user_id: Some(from),
                            text: format!("{from_name} wants to talk with you"),
                            channel: Some(format!("dm:{}", d.id)),
                            join_url: None,
                        };
                        Some(insert_notification(db, &new, now)?)
                    } else {
                        None
                    };
                    Ok(Ok((d, views(db, &d)?, notified)))
                },
                move |started| {
                    if let Ok((_, views, notified)) = started {
                        chat.publish_views(views);
                        if let Some((notification, unread)) = notified {
                            chat.notify().publish((to, notification.clone(), *unread));
                        }
                    }
                },
            )
            .await?
            .map(|(d, views, _)| (d, views))?;
        let channel = Channel::Dm(d.id);
        self.subscribe_user(d.user_a, &channel).await;
        self.subscribe_user(d.user_b, &channel).await;
        mine(&views, from)
    }

    /// Accepts, declines or blocks a conversation as `me`.
    pub async fn act_on_dm(&self, me: i64, id: i64, action: DmAction) -> Outcome<DmThread> {
        let chat = self.clone();
        let (d, views) = self
            .core()
            .store()
            .write_and(
                move |db| {
                    let d = match act_on_dm(db, id, me, action)? {
                        Ok(d) => d,
                        Err(r) => return Ok(Err(Refusal::from(r))),
                    };
                    // Answering a request settles its inbox entry.
                    let answered = if action == DmAction::Block {
                        None
                    } else {
                        let about = format!("dm:{}", d.id);
                        Some(mark_read_about(db, me, NotificationKind::DmRequest, &about, now_ms())?)
                    };
                    Ok(Ok((d, views(db, &d)?, answered)))
                },
                move |acted| {
                    if let Ok((_, views, answered)) = acted {
                        if let Some((ids, unread_count)) =
                            answered.as_ref().filter(|(ids, _)| !ids.is_empty())
                        {
                            chat.notify().publish_read(me, Some(ids.clone()), *unread_count);
                        }
                        chat.publish_views(views);
                    }
                },
            )
            .await?
            .map(|(d, views, _)| (d, views))?;
        let channel = Channel::Dm(d.id);
        if d.state == DmState::Accepted {
            self.subscribe_user(d.user_a, &channel).await;
            self.subscribe_user(d.user_b, &channel).await;
        } else {
            self.unsubscribe_user(d.user_a, &channel);
            self.unsubscribe_user(d.user_b, &channel);
        }
        mine(&views, me)
    }
}
