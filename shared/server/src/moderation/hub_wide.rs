//! What hosts and moderators change for everyone: room rules (slow mode, lock), what guests may do,
//! announcements and notices, and ending sessions.

use std::time::Duration;

use hubbub_protocol::{
    Announcement, Channel, ErrorCode, NotificationKind, Permissions, Room, ServerFrame, close,
};

use super::actions::{check_text, room_channel};
use super::{Actor, Moderation, PERMISSIONS_KEY};
use crate::conn::{CloseReason, encode};
use crate::error::{Outcome, Refusal};
use crate::policy::RoomRules;
use crate::store::{
    NewAudit, NewNotification, announcement_audience, audit, clear_announcement, end_guest_sessions,
    end_session, insert_announcement, insert_notification, set_room_rules,
};
use crate::time::now_ms;

/// Longest slow mode, in seconds.
pub const MAX_SLOW_MODE_SECS: u32 = 3600;

impl Moderation {
    /// Sets a room's slow mode and lock (`None`: keep as it is); every member gets a `room_update`.
    pub async fn set_room_rules(
        &self,
        actor: &Actor,
        slug: &str,
        slow: Option<u32>,
        locked: Option<bool>,
    ) -> Outcome<Room> {
        if slow.is_some_and(|s| s > MAX_SLOW_MODE_SECS) {
            return Err(Refusal::new(
                ErrorCode::InvalidFrame,
                format!("seconds is 0 to {MAX_SLOW_MODE_SECS}"),
            ));
        }
        let channel = format!("room:{slug}");
        let now = self.core().policy().room(&channel);
        let rules = RoomRules {
            slow_mode_secs: slow.unwrap_or(now.slow_mode_secs),
            locked: locked.unwrap_or(now.locked),
        };
        let (by, job_slug, job_channel) = (actor.id(), slug.to_owned(), channel.clone());
        let (action, detail) = match (slow, locked) {
            (Some(s), _) => ("slow_mode", format!("{s} s")),
            (_, l) => ("lock", if l == Some(true) { "locked" } else { "unlocked" }.to_owned()),
        };
        let parsed =
            channel.parse::<Channel>().map_err(|_| Refusal::new(ErrorCode::NotFound, "no such room"))?;
        let found = self
            .core()
            .store()
            .write_wait(move |dbs| {
                let db = dbs.chat(&parsed);
                if !set_room_rules(db, &job_slug, rules.slow_mode_secs, rules.locked)? {
                    return Ok(false);
                }
                let entry = NewAudit {
                    actor: by,
                    action,
                    target: None,
                    channel: Some(job_channel.clone()),
                    detail: detail.clone(),
                };
                audit(dbs.disk, &entry, now_ms())?;
                Ok(true)
            })
            .await?;
        if !found {
            return Err(Refusal::new(ErrorCode::NotFound, "no such room"));
        }
        self.core().policy().set_room(&channel, rules);
        self.inner.chat.publish_room_to_members(slug).await?;
        self.room_as_seen(slug).await
    }

    /// What guests may do, changed (hosts and moderators see it in `hub_state` at once).
    pub async fn set_permissions(&self, actor: &Actor, permissions: Permissions) -> Outcome<Permissions> {
        let json = serde_json::to_vec(&permissions).unwrap_or_default();
        let by = actor.id();
        let detail = String::from_utf8_lossy(&json).into_owned();
        self.core()
            .store()
            .write_wait(move |db| {
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    rusqlite::params![PERMISSIONS_KEY, json],
                )?;
                audit(db, &NewAudit { actor: by, action: "settings", detail: detail.clone(), ..NewAudit::default() }, now_ms())
            })
            .await?;
        self.core().policy().set_permissions(permissions);
        self.publish_state();
        Ok(permissions)
    }

    /// An announcement to everyone or one room: a banner (in `hub_state`) and an inbox entry for
    /// everyone it is for. It replaces the current one of the same scope.
    pub async fn announce(&self, actor: &Actor, text: &str, channel: Option<&str>) -> Outcome<Announcement> {
        let text = check_text(text, "an announcement")?;
        if text.is_empty() {
            return Err(Refusal::new(ErrorCode::InvalidFrame, "an announcement needs some text"));
        }
        let room = channel.map(room_channel).transpose()?;
        if let Some((room_channel, _)) = &room
            && room_channel.to_string().starts_with("room:_")
        {
            return Err(Refusal::new(
                ErrorCode::InvalidFrame,
                "announcements are for lasting rooms, not ephemeral ones",
            ));
        }
        let (by, notify) = (actor.id(), self.inner.notify.clone());
        let scope = room.as_ref().map(|(c, _)| c.to_string());
        let slug = room.map(|(_, s)| s);
        let (announcement, stored) = self
            .core()
            .store()
            .write_and(
                move |db| {
                    let now = now_ms();
                    if let Some(slug) = &slug
                        && crate::store::room_kind(db, slug)?.is_none()
                    {
                        return Ok(Err(Refusal::new(ErrorCode::NotFound, "no such room")));
                    }
                    let a = insert_announcement(db, scope.as_deref(), &text, by, now)?;
                    let mut stored = Vec::new();
                    for user in announcement_audience(db, slug.as_deref())? {
                        let n = NewNotification {
                            user_id: user,
                            kind: NotificationKind::Announcement,
                            from_user_id: by,
                            text: text.clone(),
                            channel: scope.clone(),
                            join_url: None,
                        };
                        let (entry, unread) = insert_notification(db, &n, now)?;
                        stored.push((user, entry, unread));
                    }
                    audit(
                        db,
                        &NewAudit {
                            actor: by,
                            action: "announce",
                            channel: scope.clone(),
                            detail: text.clone(),
                            ..NewAudit::default()
                        },
                        now,
                    )?;
                    Ok(Ok((a, stored)))
                },
                // Inbox entries leave from the writer, after the commit, like every other.
                move |outcome: &Outcome<_>| {
                    if let Ok((_, stored)) = outcome {
                        for entry in stored {
                            notify.publish(entry.clone());
                        }
                    }
                },
            )
            .await??;
        tracing::info!(inboxes = stored.len(), "announced");
        self.publish_state();
        Ok(announcement)
    }

    /// Clears an announcement's banner (its inbox entries stay).
    pub async fn clear_announcement(&self, actor: &Actor, id: i64) -> Outcome<()> {
        let by = actor.id();
        let cleared = self
            .core()
            .store()
            .write_wait(move |db| {
                let cleared = clear_announcement(db, id, now_ms())?;
                if cleared {
                    audit(
                        db,
                        &NewAudit {
                            actor: by,
                            action: "clear_announcement",
                            detail: format!("announcement {id}"),
                            ..NewAudit::default()
                        },
                        now_ms(),
                    )?;
                }
                Ok(cleared)
            })
            .await?;
        if !cleared {
            return Err(Refusal::new(ErrorCode::NotFound, "no such current announcement"));
        }
        self.publish_state();
        Ok(())
    }

    /// A `notice` frame to a channel's subscribers, one user's sockets, or every main socket;
    /// returns how many sockets it was queued on.
    pub async fn broadcast(
        &self,
        actor: &Actor,
        text: &str,
        channel: Option<&str>,
        user: Option<i64>,
    ) -> Outcome<u32> {
        let text = check_text(text, "a notice")?;
        if text.is_empty() {
            return Err(Refusal::new(ErrorCode::InvalidFrame, "a notice needs some text"));
        }
        let registry = self.core().registry();
        let (delivered, target, scope) = match (channel, user) {
            (Some(_), Some(_)) => {
                return Err(Refusal::new(ErrorCode::InvalidFrame, "give a channel or a user_id, not both"));
            }
            (Some(c), None) => {
                let parsed = c
                    .parse::<Channel>()
                    .map_err(|_| Refusal::new(ErrorCode::NoSuchChannel, "no such channel"))?;
                let frame = encode(&ServerFrame::Notice {
                    text: text.clone(),
                    by: actor.user(),
                    channel: Some(c.to_owned()),
                });
                (registry.publish(&parsed, &frame, None), None, Some(c.to_owned()))
            }
            (None, Some(id)) => {
                let frame =
                    encode(&ServerFrame::Notice { text: text.clone(), by: actor.user(), channel: None });
                let conns = registry.connections_of(id);
                (conns.iter().filter(|c| c.send(frame.clone())).count(), Some(id), None)
            }
            (None, None) => {
                let frame =
                    encode(&ServerFrame::Notice { text: text.clone(), by: actor.user(), channel: None });
                let conns = registry.connections();
                (
                    conns.iter().filter(|c| c.device.is_some()).filter(|c| c.send(frame.clone())).count(),
                    None,
                    None,
                )
            }
        };
        self.audit(NewAudit { actor: actor.id(), action: "broadcast", target, channel: scope, detail: text })
            .await?;
        Ok(u32::try_from(delivered).unwrap_or(u32::MAX))
    }

    /// Ends every guest's sessions (a new class, a new party): their sockets close with 4412.
    pub async fn end_guest_sessions(&self, actor: &Actor, why: &'static str) -> Outcome<u32> {
        let by = actor.id();
        let users = self
            .core()
            .store()
            .write_wait(move |db| {
                let users = end_guest_sessions(db)?;
                audit(
                    db,
                    &NewAudit {
                        actor: by,
                        action: "end_sessions",
                        detail: format!("{} guests: {why}", users.len()),
                        ..NewAudit::default()
                    },
                    now_ms(),
                )?;
                Ok(users)
            })
            .await?;
        for user in &users {
            self.close_all(*user, close::SESSION_ENDED, "a host ended every guest session: join again");
        }
        Ok(u32::try_from(users.len()).unwrap_or(u32::MAX))
    }

    /// Logs a session out: it ends, and its sockets close with 4412.
    pub async fn logout(&self, session_id: i64) -> Outcome<()> {
        self.core().store().write_wait(move |db| end_session(db, session_id)).await?;
        for conn in
            self.core().registry().connections().into_iter().filter(|c| c.meta.session_id == session_id)
        {
            conn.close(CloseReason::Send {
                code: close::SESSION_ENDED,
                reason: "logged out".into(),
                flush: true,
            });
        }
        Ok(())
    }

    /// How long a kicked user must still wait before their sockets are let in.
    pub fn kicked_for(&self, user: i64) -> Option<Duration> {
        self.core().policy().kicked_for(user, now_ms())
    }

    /// Records a PIN change in the audit log.
    pub async fn audit_pin(&self, actor: &Actor, set: bool) -> Outcome<()> {
        let detail = if set { "PIN set" } else { "PIN cleared" };
        self.audit(NewAudit {
            actor: actor.id(),
            action: "set_pin",
            detail: detail.into(),
            ..NewAudit::default()
        })
        .await
    }
}
