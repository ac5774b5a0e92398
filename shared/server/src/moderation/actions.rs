//! What hosts and moderators do to one user: kick, ban and lift bans, mute and unmute, rename,
//! appoint, and clear their messages.

use std::borrow::Cow;

use hubbub_protocol::{Ban, Channel, ErrorCode, Role, Sanction, ServerFrame, UserInfo, close};

use super::{Actor, Moderation};
use crate::conn::CloseReason;
use crate::error::{Outcome, Refusal};
use crate::names::check_display_name;
use crate::store::{
    NameTaken, NewAudit, NewBan, audit, delete_mute, end_sessions_of, insert_ban, last_address, lift_ban,
    messages_by, rename_user, save_mute, set_role,
};
use crate::time::now_ms;

/// Longest reason, announcement or notice, in characters.
pub const MAX_TEXT: usize = 500;
/// Longest mute, and longest address ban, in minutes (a week).
pub const MAX_MINUTES: u32 = 7 * 24 * 60;
/// Most messages one `clear-messages` deletes.
const MAX_CLEAR: usize = 10_000;

/// A reason, announcement or notice: trimmed, at most [`MAX_TEXT`] characters, no control characters.
pub(super) fn check_text(text: &str, what: &str) -> Outcome<String> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Refusal::new(
            ErrorCode::InvalidFrame,
            format!("{what} is at most {MAX_TEXT} characters, without control characters"),
        ));
    }
    Ok(text.to_owned())
}

fn reason(given: Option<&str>) -> Outcome<Option<String>> {
    Ok(given.map(|r| check_text(r, "a reason")).transpose()?.filter(|r| !r.is_empty()))
}

/// A room channel name (`room:{slug}`) that exists, for mutes and announcements.
pub(super) fn room_channel(channel: &str) -> Outcome<(Channel, String)> {
    match channel.parse::<Channel>() {
        Ok(Channel::Room(slug)) => Ok((Channel::Room(slug.clone()), slug)),
        _ => Err(Refusal::new(ErrorCode::NoSuchChannel, "a room channel looks like room:{slug}")),
    }
}

impl Moderation {
    /// Closes every socket of `user` with `code` and `reason`, after what is queued.
    pub(super) fn close_all(&self, user: i64, code: u16, reason: &str) {
        for conn in self.core().registry().connections_of(user) {
            conn.close(CloseReason::Send { code, reason: Cow::Owned(reason.to_owned()), flush: true });
        }
    }

    /// Kick: every socket of the user closes with 4410 and the reason; they may come back after
    /// `kick_cooldown`.
    pub async fn kick(&self, actor: &Actor, target: i64, why: Option<&str>) -> Outcome<()> {
        let user = self.target(actor, target).await?;
        let why = reason(why)?;
        let cooldown = self.core().config().kick_cooldown;
        let detail = why.clone().unwrap_or_default();
        self.audit(NewAudit {
            actor: actor.id(),
            action: "kick",
            target: Some(target),
            detail,
            ..NewAudit::default()
        })
        .await?;
        self.core().policy().kick(target, now_ms() + i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX));
        let text = why.map_or_else(|| "removed by a host".to_owned(), |r| format!("removed by a host: {r}"));
        self.close_all(target, close::KICKED, &text);
        tracing::info!(user_id = target, name = %user.display_name, "kicked");
        Ok(())
    }

    /// Ban: the user's sessions end (their sockets close with 4411), their browsers are refused
    /// from then on, and optionally their last address for a while.
    pub async fn ban(
        &self,
        actor: &Actor,
        target: i64,
        why: Option<&str>,
        address_minutes: Option<u32>,
    ) -> Outcome<Ban> {
        let user = self.target(actor, target).await?;
        let why = reason(why)?;
        if address_minutes.is_some_and(|m| m == 0 || m > MAX_MINUTES) {
            return Err(Refusal::new(
                ErrorCode::InvalidFrame,
                format!("address_minutes is 1 to {MAX_MINUTES}"),
            ));
        }
        let by = actor.id();
        let (job_reason, now) = (why.clone(), now_ms());
        let until = address_minutes.map(|m| now + i64::from(m) * 60_000);
        let id = self
            .core()
            .store()
            .write_wait(move |db| {
                let address = if until.is_some() { last_address(db, target)? } else { None };
                let hashes = end_sessions_of(db, target)?;
                let ban = NewBan {
                    user: target,
                    reason: job_reason.clone(),
                    address_until: address.as_ref().and(until),
                    address,
                    by,
                    hashes,
                };
                let id = insert_ban(db, &ban, now)?;
                let detail = job_reason.clone().unwrap_or_default();
                audit(
                    db,
                    &NewAudit {
                        actor: by,
                        action: "ban",
                        target: Some(target),
                        detail,
                        ..NewAudit::default()
                    },
                    now,
                )?;
                Ok((id, ban.address, ban.address_until))
            })
            .await?;
        let (id, address, address_until) = id;
        self.close_all(
            target,
            close::BANNED,
            &why.as_ref().map_or_else(|| "banned".into(), |r| format!("banned: {r}")),
        );
        tracing::info!(user_id = target, name = %user.display_name, "banned");
        Ok(Ban { id, user, reason: why, address, address_until, created_at: now })
    }

    /// Lifts a ban: the browser and address may join again (as a new guest).
    pub async fn unban(&self, actor: &Actor, ban: i64) -> Outcome<()> {
        let by = actor.id();
        let lifted = self
            .core()
            .store()
            .write_wait(move |db| {
                let user = lift_ban(db, ban)?;
                if user.is_some() {
                    let entry = NewAudit {
                        actor: by,
                        action: "unban",
                        target: user,
                        detail: format!("ban {ban}"),
                        ..NewAudit::default()
                    };
                    audit(db, &entry, now_ms())?;
                }
                Ok(user)
            })
            .await?;
        lifted.map(|_| ()).ok_or_else(|| Refusal::new(ErrorCode::NotFound, "no such ban"))
    }

    /// Mute for `minutes`, hub-wide or in one room: the user reads but cannot send (`muted`).
    pub async fn mute(
        &self,
        actor: &Actor,
        target: i64,
        minutes: u32,
        channel: Option<&str>,
        why: Option<&str>,
    ) -> Outcome<()> {
        self.target(actor, target).await?;
        if minutes == 0 || minutes > MAX_MINUTES {
            return Err(Refusal::new(ErrorCode::InvalidFrame, format!("minutes is 1 to {MAX_MINUTES}")));
        }
        let scope = channel.map(room_channel).transpose()?.map(|(c, _)| c.to_string());
        let why = reason(why)?;
        let until = now_ms() + i64::from(minutes) * 60_000;
        let (by, job_scope) = (actor.id(), scope.clone().unwrap_or_default());
        let detail = format!("{minutes} min{}", why.as_ref().map(|r| format!(": {r}")).unwrap_or_default());
        self.core()
            .store()
            .write_wait(move |db| {
                save_mute(db, target, &job_scope, until)?;
                let channel = Some(job_scope.clone()).filter(|s| !s.is_empty());
                let entry = NewAudit {
                    actor: by,
                    action: "mute",
                    target: Some(target),
                    channel,
                    detail: detail.clone(),
                };
                audit(db, &entry, now_ms())
            })
            .await?;
        self.core().policy().mute(target, scope.as_deref(), until);
        self.tell(
            target,
            &ServerFrame::Moderated {
                sanction: Sanction::Muted,
                by: actor.user(),
                channel: scope,
                until: Some(until),
                reason: why,
            },
        );
        self.publish_state();
        Ok(())
    }

    /// Lifts a mute (hub-wide, or in one room).
    pub async fn unmute(&self, actor: &Actor, target: i64, channel: Option<&str>) -> Outcome<()> {
        self.target(actor, target).await?;
        let scope = channel.map(room_channel).transpose()?.map(|(c, _)| c.to_string());
        let (by, job_scope) = (actor.id(), scope.clone().unwrap_or_default());
        self.core()
            .store()
            .write_wait(move |db| {
                delete_mute(db, target, &job_scope)?;
                let channel = Some(job_scope.clone()).filter(|s| !s.is_empty());
                audit(
                    db,
                    &NewAudit {
                        actor: by,
                        action: "unmute",
                        target: Some(target),
                        channel,
                        ..NewAudit::default()
                    },
                    now_ms(),
                )
            })
            .await?;
        self.core().policy().unmute(target, scope.as_deref());
        self.tell(
            target,
            &ServerFrame::Moderated {
                sanction: Sanction::Unmuted,
                by: actor.user(),
                channel: scope,
                until: None,
                reason: None,
            },
        );
        self.publish_state();
        Ok(())
    }

    /// Renames a user (an offensive name): the same rules as choosing a name, no budget.
    pub async fn rename(&self, actor: &Actor, target: i64, name: &str) -> Outcome<UserInfo> {
        let old = self.target(actor, target).await?;
        let name = check_display_name(name)
            .map_err(|p| Refusal::new(ErrorCode::InvalidDisplayName, p.to_string()))?;
        let (by, new) = (actor.id(), name.clone());
        let detail = format!("{} -> {name}", old.display_name);
        self.core()
            .store()
            .write_wait(move |db| {
                if rename_user(db, target, &new)? == Err(NameTaken) {
                    return Ok(Err(NameTaken));
                }
                audit(
                    db,
                    &NewAudit {
                        actor: by,
                        action: "rename",
                        target: Some(target),
                        detail: detail.clone(),
                        ..NewAudit::default()
                    },
                    now_ms(),
                )?;
                Ok(Ok(()))
            })
            .await?
            .map_err(|NameTaken| {
                Refusal::new(ErrorCode::NameTaken, format!("\u{201c}{name}\u{201d} is taken"))
            })?;
        self.core().presence().rename(target, &name);
        self.core().policy().renamed(target, &name);
        self.tell(
            target,
            &ServerFrame::Moderated {
                sanction: Sanction::Renamed,
                by: actor.user(),
                channel: None,
                until: None,
                reason: Some(name.clone()),
            },
        );
        self.publish_state();
        Ok(UserInfo { id: target, display_name: name })
    }

    /// Appoints a moderator, makes a host, or makes a guest again (hosts only).
    pub async fn set_role(&self, actor: &Actor, target: i64, role: Role) -> Outcome<UserInfo> {
        if actor.role() != Role::Host {
            return Err(Refusal::new(ErrorCode::Forbidden, "only a host may change roles"));
        }
        let user = self.target(actor, target).await?;
        let by = actor.id();
        self.core()
            .store()
            .write_wait(move |db| {
                set_role(db, target, role)?;
                audit(
                    db,
                    &NewAudit {
                        actor: by,
                        action: "set_role",
                        target: Some(target),
                        detail: role.as_str().into(),
                        ..NewAudit::default()
                    },
                    now_ms(),
                )
            })
            .await?;
        self.core().policy().set_role(&user, role);
        self.tell(
            target,
            &ServerFrame::Moderated {
                sanction: Sanction::RoleChanged,
                by: actor.user(),
                channel: None,
                until: None,
                reason: Some(role.as_str().into()),
            },
        );
        self.publish_state();
        Ok(user)
    }

    /// Deletes every message a user wrote (each a `message_deleted` event that names who deleted it).
    pub async fn clear_messages(&self, actor: &Actor, target: i64) -> Outcome<u32> {
        self.target(actor, target).await?;
        let found = self.core().store().read_all(move |db| messages_by(db, target, MAX_CLEAR)).await?;
        let mut deleted = 0u32;
        for (channel, id) in found.into_iter().flatten() {
            match self.inner.chat.remove_message(actor.id(), &channel, id).await {
                Ok(()) => deleted += 1,
                Err(r) if r.code == ErrorCode::NoSuchMessage => {}
                Err(r) => return Err(r),
            }
        }
        self.audit(NewAudit {
            actor: actor.id(),
            action: "clear_messages",
            target: Some(target),
            detail: format!("{deleted} messages"),
            ..NewAudit::default()
        })
        .await?;
        Ok(deleted)
    }
}
