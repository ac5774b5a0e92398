//! What the admin API lists: open connections, users with their roles and state, rooms with their
//! members and subscribers, bans, announcements and the audit log.

use hubbub_protocol::{
    AdminConnection, AdminRoom, AdminUser, Announcement, AuditEntry, Ban, Channel, ErrorCode, Room,
};

use super::Moderation;
use crate::error::{Outcome, Refusal};
use crate::store::{all_rooms, audit_log, bans, current_announcements, list_users, room_members, room_view};
use crate::time::now_ms;

/// Most entries one page of a list returns.
pub const MAX_PAGE: usize = 500;
/// Members listed per room.
const ROOM_MEMBERS_LISTED: usize = 200;

impl Moderation {
    /// Every open socket.
    pub fn connections(&self) -> Vec<AdminConnection> {
        let policy = self.core().policy();
        self.core()
            .registry()
            .connections()
            .into_iter()
            .map(|c| AdminConnection {
                id: c.id,
                user: c.user.clone(),
                role: policy.role(c.user.id),
                device: c.device.clone(),
                address: c.meta.address.map(|a| a.to_string()).unwrap_or_default(),
                path: c.meta.route.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default(),
                channels: c.channel_names(),
                connected_at: c.meta.connected_at,
                queue_depth: u32::try_from(c.queue_depth()).unwrap_or(u32::MAX),
            })
            .collect()
    }

    /// Users whose name contains `q`, by name (only those online when `online`); and how many match.
    pub async fn users(
        &self,
        q: &str,
        online: bool,
        offset: usize,
        limit: usize,
    ) -> Outcome<(Vec<AdminUser>, u32)> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(Refusal::new(ErrorCode::InvalidFrame, format!("limit is 1 to {MAX_PAGE}")));
        }
        let registry = self.core().registry();
        let only: Option<Vec<i64>> = online.then(|| {
            let mut ids: Vec<i64> =
                registry.connections().iter().filter(|c| c.device.is_some()).map(|c| c.user.id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        let q = q.to_owned();
        let (rows, total) =
            self.core().store().read(move |db| list_users(db, &q, only.as_deref(), offset, limit)).await?;
        let policy = self.core().policy();
        let now = now_ms();
        let users = rows
            .into_iter()
            .map(|(user, role, banned, created_at)| AdminUser {
                connections: u32::try_from(registry.main_connections(user.id).len()).unwrap_or(u32::MAX),
                muted_until: policy.muted_until(user.id, None, now),
                role,
                banned,
                created_at,
                user,
            })
            .collect();
        Ok((users, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    /// A room as an admin sees it (member or not).
    pub(super) async fn room_as_seen(&self, slug: &str) -> Outcome<Room> {
        let channel = Channel::Room(slug.to_owned());
        let slug = slug.to_owned();
        self.core()
            .store()
            .read_channel(&channel, move |db| room_view(db, &slug, 0))
            .await?
            .ok_or_else(|| Refusal::new(ErrorCode::NotFound, "no such room"))
    }

    /// Every room (lasting and ephemeral), with its first members and its subscribers now.
    pub async fn rooms(&self) -> Outcome<Vec<AdminRoom>> {
        let found = self
            .core()
            .store()
            .read_all(|db| {
                let mut out = Vec::new();
                for slug in all_rooms(db)? {
                    if let Some(room) = room_view(db, &slug, 0)? {
                        out.push((room, room_members(db, &slug, ROOM_MEMBERS_LISTED)?));
                    }
                }
                Ok(out)
            })
            .await?;
        let registry = self.core().registry();
        Ok(found
            .into_iter()
            .flatten()
            .map(|(room, members)| AdminRoom {
                subscribers: u32::try_from(registry.subscriber_count(&Channel::Room(room.id.clone())))
                    .unwrap_or(u32::MAX),
                slow_mode_secs: room.slow_mode_secs,
                locked: room.locked,
                members,
                room,
            })
            .collect())
    }

    /// Every ban, newest first.
    pub async fn bans(&self) -> Outcome<Vec<Ban>> {
        Ok(self.core().store().read(bans).await?)
    }

    /// The announcements shown now.
    pub async fn announcements(&self) -> Outcome<Vec<Announcement>> {
        Ok(self.core().store().read(current_announcements).await?)
    }

    /// The audit log, newest first, before entry `before`.
    pub async fn audit_log(&self, before: Option<i64>, limit: usize) -> Outcome<Vec<AuditEntry>> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(Refusal::new(ErrorCode::InvalidFrame, format!("limit is 1 to {MAX_PAGE}")));
        }
        Ok(self.core().store().read(move |db| audit_log(db, before, limit)).await?)
    }
}
