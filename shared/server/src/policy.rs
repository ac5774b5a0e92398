//! The hub's rules in memory, which every service consults before it acts: who is host or moderator,
//! who is muted (hub-wide or in a room) and until when, which rooms are locked or in slow mode, what
//! guests may do, and who was kicked a moment ago. The moderation service changes it (after storing
//! the change); chat, parties and joins only read it. Nothing here touches the store or awaits.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use hubbub_protocol::{ErrorCode, Permissions, Role, StaffMember, UserInfo, Who};

use crate::error::{Outcome, Refusal};

/// Something guests may be kept from doing (`Permissions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    CreateRooms,
    HostParties,
    ImportPacks,
}

/// A room's rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoomRules {
    /// One message per this many seconds for guests; 0: off.
    pub slow_mode_secs: u32,
    /// Read-only for guests.
    pub locked: bool,
}

/// Mutes are keyed by user and scope: `""` for hub-wide, else the channel's name.
type MuteKey = (i64, String);

#[derive(Debug, Default)]
struct State {
    /// Hosts and moderators (guests are not listed).
    staff: HashMap<i64, (Role, String)>,
    permissions: Permissions,
    /// When each mute ends, Unix ms.
    mutes: HashMap<MuteKey, i64>,
    rooms: HashMap<String, RoomRules>,
    /// When each guest last sent to a room in slow mode (Unix ms), and that message's
    /// `client_message_id`.
    last_sent: HashMap<(String, i64), (i64, String)>,
    /// When each kicked user may come back, Unix ms.
    kicked: HashMap<i64, i64>,
}

/// The rules, under one short-held lock.
#[derive(Debug, Default)]
pub struct Policy {
    state: RwLock<State>,
}

fn wait(until_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(until_ms.saturating_sub(now_ms)).unwrap_or(0).max(1))
}

impl Policy {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// A user's role.
    pub fn role(&self, user: i64) -> Role {
        self.read().staff.get(&user).map_or(Role::Guest, |(role, _)| *role)
    }

    /// Whether the user is a host or moderator.
    pub fn is_staff(&self, user: i64) -> bool {
        self.role(user).is_staff()
    }

    /// Sets a user's role (as stored).
    pub fn set_role(&self, user: &UserInfo, role: Role) {
        let mut s = self.write();
        if role.is_staff() {
            s.staff.insert(user.id, (role, user.display_name.clone()));
        } else {
            s.staff.remove(&user.id);
        }
    }

    /// A staff member was renamed: their badge keeps up.
    pub fn renamed(&self, user: i64, name: &str) {
        if let Some(entry) = self.write().staff.get_mut(&user) {
            entry.1 = name.to_owned();
        }
    }

    /// Every host and moderator, hosts first, then by name.
    pub fn staff(&self) -> Vec<StaffMember> {
        let mut staff: Vec<StaffMember> = self
            .read()
            .staff
            .iter()
            .map(|(id, (role, name))| StaffMember { user_id: *id, display_name: name.clone(), role: *role })
            .collect();
        staff.sort_by(|a, b| {
            (a.role != Role::Host, &a.display_name).cmp(&(b.role != Role::Host, &b.display_name))
        });
        staff
    }

    /// What guests may do now.
    pub fn permissions(&self) -> Permissions {
        self.read().permissions
    }

    pub fn set_permissions(&self, permissions: Permissions) {
        self.write().permissions = permissions;
    }

    /// Whether `user` may do `act` (staff always may).
    pub fn may(&self, user: i64, act: Act) -> Outcome<()> {
        let s = self.read();
        let who = match act {
            Act::CreateRooms => s.permissions.create_rooms,
            Act::HostParties => s.permissions.host_parties,
            Act::ImportPacks => s.permissions.import_packs,
        };
        if who == Who::Everyone || s.staff.contains_key(&user) {
            return Ok(());
        }
        let what = match act {
            Act::CreateRooms => "create rooms",
            Act::HostParties => "host parties",
            Act::ImportPacks => "import question packs",
        };
        Err(Refusal::new(ErrorCode::Forbidden, format!("on this hub only hosts and moderators may {what}")))
    }

    /// Mutes `user` until `until` (Unix ms), hub-wide (`channel` `None`) or in one room.
    pub fn mute(&self, user: i64, channel: Option<&str>, until: i64) {
        self.write().mutes.insert((user, channel.unwrap_or("").to_owned()), until);
    }

    /// Lifts a mute; returns whether there was one.
    pub fn unmute(&self, user: i64, channel: Option<&str>) -> bool {
        self.write().mutes.remove(&(user, channel.unwrap_or("").to_owned())).is_some()
    }

    /// When `user`'s mute in this scope ends, if it has not yet.
    pub fn muted_until(&self, user: i64, channel: Option<&str>, now_ms: i64) -> Option<i64> {
        let key = (user, channel.unwrap_or("").to_owned());
        self.read().mutes.get(&key).copied().filter(|until| *until > now_ms)
    }

    /// `user`'s mutes in single rooms that have not ended: `(channel, until)`, by channel.
    pub fn room_mutes(&self, user: i64, now_ms: i64) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = self
            .read()
            .mutes
            .iter()
            .filter(|((u, scope), until)| *u == user && !scope.is_empty() && **until > now_ms)
            .map(|((_, scope), until)| (scope.clone(), *until))
            .collect();
        out.sort();
        out
    }

    /// A room's rules now.
    pub fn room(&self, channel: &str) -> RoomRules {
        self.read().rooms.get(channel).copied().unwrap_or_default()
    }

    /// Sets a room's rules (as stored).
    pub fn set_room(&self, channel: &str, rules: RoomRules) {
        let mut s = self.write();
        if rules == RoomRules::default() {
            s.rooms.remove(channel);
        } else {
            s.rooms.insert(channel.to_owned(), rules);
        }
    }

    /// Whether `user` may write to `channel` now (edit, react): not muted there or hub-wide, and the
    /// room is not locked. Staff always may.
    pub fn may_write(&self, user: i64, channel: &str, now_ms: i64) -> Outcome<()> {
        let s = self.read();
        if s.staff.contains_key(&user) {
            return Ok(());
        }
        for scope in ["", channel] {
            if let Some(until) = s.mutes.get(&(user, scope.to_owned())).copied().filter(|u| *u > now_ms) {
                let where_ = if scope.is_empty() { "on this hub" } else { "in this room" };
                return Err(Refusal {
                    code: ErrorCode::Muted,
                    message: format!("a host or moderator muted you {where_}: you can read but not send"),
                    retry_after: Some(wait(until, now_ms)),
                });
            }
        }
        if s.rooms.get(channel).is_some_and(|r| r.locked) {
            return Err(Refusal::new(
                ErrorCode::RoomLocked,
                "this room is locked: only hosts and moderators can write",
            ));
        }
        Ok(())
    }

    /// Whether `user` may send the message `client_message_id` to `channel` now under slow mode;
    /// counts it when it may. The message last counted is always allowed again: a client's resend,
    /// or the writer running its batch again, is the same message, not a new one.
    pub fn slow_mode(&self, user: i64, channel: &str, client_message_id: &str, now_ms: i64) -> Outcome<()> {
        let secs = self.room(channel).slow_mode_secs;
        if secs == 0 || self.is_staff(user) {
            return Ok(());
        }
        let mut s = self.write();
        let key = (channel.to_owned(), user);
        let next = match s.last_sent.get(&key) {
            Some((_, id)) if id == client_message_id => return Ok(()),
            Some((last, _)) => last + i64::from(secs) * 1000,
            None => i64::MIN,
        };
        if next > now_ms {
            return Err(Refusal {
                code: ErrorCode::SlowMode,
                message: format!("this room is in slow mode: one message every {secs} s"),
                retry_after: Some(wait(next, now_ms)),
            });
        }
        s.last_sent.insert(key, (now_ms, client_message_id.to_owned()));
        Ok(())
    }

    /// Keeps a kicked user out until `until` (Unix ms).
    pub fn kick(&self, user: i64, until: i64) {
        self.write().kicked.insert(user, until);
    }

    /// How long a kicked user must still wait, if they must.
    pub fn kicked_for(&self, user: i64, now_ms: i64) -> Option<Duration> {
        self.read().kicked.get(&user).filter(|until| **until > now_ms).map(|until| wait(*until, now_ms))
    }

    /// Forgets ended mutes, kicks and slow-mode marks (from the hub's periodic sweep).
    pub fn sweep(&self, now_ms: i64) {
        let mut s = self.write();
        s.mutes.retain(|_, until| *until > now_ms);
        s.kicked.retain(|_, until| *until > now_ms);
        let rooms = std::mem::take(&mut s.rooms);
        s.last_sent.retain(|(channel, _), (last, _)| {
            rooms.get(channel).is_some_and(|r| *last + i64::from(r.slow_mode_secs) * 1000 > now_ms)
        });
        s.rooms = rooms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> UserInfo {
        UserInfo { id, display_name: format!("u{id}") }
    }

    #[test]
    fn mutes_locks_and_slow_mode_refuse_guests_with_their_codes_and_spare_staff() {
        let p = Policy::default();
        p.set_role(&user(1), Role::Moderator);
        p.mute(2, None, 10_000);
        let r = p.may_write(2, "room:lobby", 4_000).unwrap_err();
        assert_eq!((r.code, r.retry_after), (ErrorCode::Muted, Some(Duration::from_secs(6))));
        assert!(p.may_write(2, "room:lobby", 10_000).is_ok(), "the mute has ended");
        p.mute(3, Some("room:a"), 10_000);
        assert_eq!(p.may_write(3, "room:a", 0).unwrap_err().code, ErrorCode::Muted);
        assert!(p.may_write(3, "room:b", 0).is_ok(), "a room's mute is that room's");
        assert_eq!(p.room_mutes(3, 0), vec![("room:a".to_owned(), 10_000)]);
        assert!(p.room_mutes(3, 10_000).is_empty() && p.room_mutes(2, 0).is_empty());
        assert!(p.unmute(3, Some("room:a")) && p.may_write(3, "room:a", 0).is_ok());

        p.set_room("room:a", RoomRules { slow_mode_secs: 5, locked: false });
        assert!(p.slow_mode(4, "room:a", "m1", 0).is_ok());
        assert!(p.slow_mode(4, "room:a", "m1", 1_000).is_ok(), "the same message again");
        let r = p.slow_mode(4, "room:a", "m2", 2_000).unwrap_err();
        assert_eq!((r.code, r.retry_after), (ErrorCode::SlowMode, Some(Duration::from_secs(3))));
        assert!(p.slow_mode(4, "room:a", "m2", 5_000).is_ok());
        assert!(p.slow_mode(4, "room:b", "m3", 5_000).is_ok(), "another room has no slow mode");
        assert!(
            p.slow_mode(1, "room:a", "s1", 5_001).is_ok() && p.slow_mode(1, "room:a", "s2", 5_002).is_ok()
        );

        p.set_room("room:a", RoomRules { slow_mode_secs: 0, locked: true });
        assert_eq!(p.may_write(4, "room:a", 0).unwrap_err().code, ErrorCode::RoomLocked);
        assert!(p.may_write(1, "room:a", 0).is_ok(), "staff write in locked rooms");
        p.set_room("room:a", RoomRules::default());
        assert!(p.may_write(4, "room:a", 0).is_ok());

        p.set_permissions(Permissions { host_parties: Who::Staff, ..Permissions::default() });
        assert_eq!(p.may(4, Act::HostParties).unwrap_err().code, ErrorCode::Forbidden);
        assert!(p.may(1, Act::HostParties).is_ok() && p.may(4, Act::CreateRooms).is_ok());

        p.kick(4, 60_000);
        assert_eq!(p.kicked_for(4, 30_000), Some(Duration::from_secs(30)));
        p.sweep(60_000);
        assert_eq!(p.kicked_for(4, 0), None, "swept once over");
        p.set_role(&user(1), Role::Guest);
        assert!(p.staff().is_empty());
    }
}
