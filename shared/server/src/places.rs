//! The places service (`Places`): the places of a venue (tables, rooms) that staff define, guests
//! checking in to them (what a place's QR code leads to), and each place's chat: an ephemeral room
//! (in memory, never on disk) open to the guests checked in within `place_chat_window_hours`.
//!
//! A check-in makes the guest a member of the place's room and subscribes their main sockets; the
//! sweep deletes check-ins older than the window and takes their guests out of the room again (each
//! socket is told with `unsubscribed`). The rooms live in memory, so at start [`Places::restore`]
//! makes the guests with a recent check-in members again (their messages are gone, as ephemeral
//! rooms' are).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use hubbub_protocol::{Channel, ErrorCode, Place, PlaceVisit, PlacesResponse, RoomKind};

use rand::Rng;

use crate::auth::same_secret;
use crate::chat::Chat;
use crate::config::QUICK_WINDOW;
use crate::core::Core;
use crate::error::{Outcome, Refusal};
use crate::ratelimit::Budget;
use crate::store::{
    NewAudit, PlaceRefusal, PlaceRow, StoreResult, add_member, audit, create_room_as, delete_check_in_before,
    delete_place, delete_room, expired_check_ins, is_member, latest_check_in, leave_room, list_places, place,
    recent_check_ins, rename_place, room_kind,
};
use crate::time::now_ms;

/// Longest place name, in characters.
pub const MAX_PLACE_NAME: usize = 60;
/// Check-in requests one user may make in [`QUICK_WINDOW`] (scanning again is allowed; a loop is not).
const CHECK_IN_RATE: usize = 20;
/// Expired check-ins the sweep handles at a time.
const SWEEP_BATCH: usize = 500;
const HOUR_MS: i64 = 60 * 60 * 1000;
/// How often expired check-ins are swept.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The slug of place `id`'s chat room.
pub fn room_slug(id: i64) -> String {
    format!("_place-{id}")
}

/// The channel of place `id`'s chat.
pub fn channel(id: i64) -> Channel {
    Channel::Room(room_slug(id))
}

impl From<PlaceRefusal> for Refusal {
    fn from(r: PlaceRefusal) -> Refusal {
        match r {
            PlaceRefusal::NoSuchPlace => Refusal::new(ErrorCode::NoSuchPlace, "no such place"),
            PlaceRefusal::NameTaken => Refusal::new(ErrorCode::InvalidPlace, "another place has that name"),
            PlaceRefusal::TooMany => {
                Refusal::new(ErrorCode::LimitReached, "the hub has its most places; delete one first")
            }
            PlaceRefusal::TooManyCheckIns => Refusal::new(
                ErrorCode::RateLimited,
                "checked in to too many places lately; come back to one of them",
            ),
        }
    }
}

/// Handle to the places service. Clones share everything.
#[derive(Clone)]
pub struct Places {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    /// Puts a checked-in guest's sockets into the place's room, and takes them out.
    chat: Chat,
    /// Check-in requests per user.
    check_ins: Budget,
}

impl Places {
    pub fn new(core: Core, chat: Chat) -> Places {
        let check_ins = Budget::per_user(CHECK_IN_RATE, QUICK_WINDOW);
        Places { inner: Arc::new(Inner { core, chat, check_ins }) }
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    /// How long a check-in admits its guest, in hours.
    pub fn window_hours(&self) -> u32 {
        self.core().config().place_chat_window_hours
    }

    fn window_ms(&self) -> i64 {
        i64::from(self.window_hours()) * HOUR_MS
    }

    /// A place as staff see it (`with_key`: its URL is the check-in link) or as guests do.
    fn view(&self, row: PlaceRow, with_key: bool) -> Place {
        let page = format!("{}place/{}", self.core().base_url(), row.id);
        Place {
            url: if with_key { format!("{page}?key={}", row.key) } else { page },
            channel: channel(row.id).to_string(),
            id: row.id,
            name: row.name,
            created_at: row.created_at,
        }
    }

    /// Every place, for staff.
    pub async fn list(&self) -> Outcome<PlacesResponse> {
        let rows = self.core().store().read(list_places).await?;
        Ok(PlacesResponse {
            places: rows.into_iter().map(|r| self.view(r, true)).collect(),
            window_hours: self.window_hours(),
        })
    }

    /// One place as staff see it, with its check-in link (for its QR code).
    pub async fn get(&self, id: i64) -> Outcome<Place> {
        let row = self.core().store().read(move |c| place(c, id)).await?;
        Ok(self.view(row.ok_or(PlaceRefusal::NoSuchPlace)?, true))
    }

    /// Defines a place (staff only; the front door checks).
    pub async fn create(&self, by: Option<i64>, name: &str) -> Outcome<Place> {
        let (name, name_key) = checked_name(name)?;
        let max = self.core().config().max_places;
        let key: String = rand::rng().random::<[u8; 12]>().iter().map(|b| format!("{b:02x}")).collect();
        let row = self
            .core()
            .store()
            .write_wait(move |db| {
                let row = crate::store::create_place(db.disk, &name, &name_key, &key, by, now_ms(), max)?;
                if let Ok(row) = &row {
                    ensure_room(db.memory, row.id, &row.name, row.created_at)?;
                    audited(db.disk, by, "place_create", row.id, &row.name)?;
                }
                Ok(row)
            })
            .await??;
        Ok(self.view(row, true))
    }

    /// Renames a place (staff `by`); its chat room keeps its members and messages.
    pub async fn rename(&self, by: Option<i64>, id: i64, name: &str) -> Outcome<Place> {
        let (name, key) = checked_name(name)?;
        let row = self
            .core()
            .store()
            .write_wait(move |db| {
                let row = rename_place(db.disk, id, &name, &key)?;
                if let Ok(row) = &row {
                    audited(db.disk, by, "place_rename", row.id, &row.name)?;
                }
                Ok(row)
            })
            .await??;
        Ok(self.view(row, true))
    }

    /// Deletes a place (staff `by`) with its check-ins and its chat: every socket in the chat is
    /// taken out of it.
    pub async fn delete(&self, by: Option<i64>, id: i64) -> Outcome<()> {
        let slug = room_slug(id);
        let existed = self
            .core()
            .store()
            .write_wait(move |db| {
                let name = place(db.disk, id)?.map(|p| p.name).unwrap_or_default();
                let existed = delete_place(db.disk, id)?;
                if existed {
                    audited(db.disk, by, "place_delete", id, &name)?;
                }
                if room_kind(db.memory, &slug)?.is_some() {
                    delete_room(db.memory, &slug)?;
                }
                Ok(existed)
            })
            .await?;
        if !existed {
            return Err(PlaceRefusal::NoSuchPlace.into());
        }
        let room = channel(id);
        let mut users: Vec<i64> =
            self.core().registry().subscribers(&room).iter().map(|c| c.user.id).collect();
        users.sort_unstable();
        users.dedup();
        for user in users {
            self.inner.chat.unsubscribe_user(user, &room);
        }
        Ok(())
    }

    /// `user`'s latest check-in at place `id` and what it admits them to.
    pub async fn visit(&self, user: i64, id: i64) -> Outcome<PlaceVisit> {
        let (row, at) =
            self.core().store().read(move |c| Ok((place(c, id)?, latest_check_in(c, id, user)?))).await?;
        let place = self.view(row.ok_or(PlaceRefusal::NoSuchPlace)?, false);
        Ok(PlaceVisit {
            place,
            checked_in_at: at,
            admitted_until: at.map(|at| at + self.window_ms()),
            window_hours: self.window_hours(),
        })
    }

    /// Checks `user` in at place `id` with the key its QR code carries: recorded, made a member of
    /// the place's chat, and every open main socket of theirs subscribed to it.
    pub async fn check_in(
        &self,
        user: i64,
        address: Option<IpAddr>,
        id: i64,
        key: &str,
    ) -> Outcome<PlaceVisit> {
        self.inner
            .check_ins
            .check(user, address, Instant::now())
            .map_err(|wait| Refusal::rate_limited("too many check-ins; wait a little", wait))?;
        let (window, max) = (self.window_ms(), self.core().config().place_check_ins);
        let key = key.to_owned();
        self.core()
            .store()
            .write_wait(move |db| {
                let now = now_ms();
                let Some(row) = place(db.disk, id)? else { return Ok(Err(PlaceRefusal::NoSuchPlace.into())) };
                if !same_secret(&key, &row.key) {
                    return Ok(Err(Refusal::new(
                        ErrorCode::Forbidden,
                        "that is not this place's check-in link; scan the QR code at the place",
                    )));
                }
                if let Err(refusal) = crate::store::check_in(db.disk, id, user, now, now - window, max)? {
                    return Ok(Err(refusal.into()));
                }
                ensure_member(db.memory, id, &row.name, user, now)?;
                Ok(Ok(()))
            })
            .await??;
        self.inner.chat.subscribe_user(user, &channel(id)).await;
        self.visit(user, id).await
    }

    /// Lets `user` into place `id`'s chat if they checked in within the window (making them a
    /// member again after a restart emptied the room): the channel, or `forbidden`.
    pub async fn admit(&self, user: i64, id: i64) -> Outcome<Channel> {
        let since = now_ms() - self.window_ms();
        self.core()
            .store()
            .write_wait(move |db| {
                let Some(row) = place(db.disk, id)? else { return Ok(Err(PlaceRefusal::NoSuchPlace.into())) };
                match latest_check_in(db.disk, id, user)? {
                    Some(at) if at >= since => {
                        ensure_member(db.memory, id, &row.name, user, now_ms())?;
                        Ok(Ok(()))
                    }
                    _ => Ok(Err(Refusal::new(
                        ErrorCode::Forbidden,
                        "check in at this place first (scan its QR code); a check-in admits you for a while",
                    ))),
                }
            })
            .await??;
        Ok(channel(id))
    }

    /// Puts the guests checked in within the window back into their places' chats (the rooms live
    /// in memory, so a restart emptied them). Run once at start, before sockets connect.
    pub async fn restore(&self) {
        let since = now_ms() - self.window_ms();
        let done = self
            .core()
            .store()
            .write_wait(move |db| {
                for row in list_places(db.disk)? {
                    ensure_room(db.memory, row.id, &row.name, row.created_at)?;
                }
                let recent = recent_check_ins(db.disk, since)?;
                for (id, name, user) in &recent {
                    ensure_member(db.memory, *id, name, *user, now_ms())?;
                }
                Ok(recent.len())
            })
            .await;
        match done {
            Ok(n) => tracing::debug!(check_ins = n, "places' chats restored"),
            Err(e) => tracing::warn!(error = %e, "could not restore the places' chats"),
        }
    }

    /// Deletes check-ins older than the window and takes their guests out of the places' chats.
    pub async fn sweep(&self) -> Outcome<usize> {
        let before = now_ms() - self.window_ms();
        let expired = self.core().store().read(move |c| expired_check_ins(c, before, SWEEP_BATCH)).await?;
        let mut done = 0;
        for (id, user) in expired {
            let slug = room_slug(id);
            let gone = self
                .core()
                .store()
                .write_wait(move |db| {
                    let gone = delete_check_in_before(db.disk, id, user, before)?;
                    if gone && room_kind(db.memory, &slug)?.is_some() {
                        let _ = leave_room(db.memory, &slug, user)?;
                    }
                    Ok(gone)
                })
                .await?;
            if gone {
                self.inner.chat.unsubscribe_user(user, &channel(id));
                done += 1;
            }
        }
        Ok(done)
    }
}

/// The audit line of a staff action on place `id`, in the same transaction as the change.
fn audited(
    disk: &rusqlite::Connection,
    by: Option<i64>,
    action: &'static str,
    id: i64,
    name: &str,
) -> StoreResult<()> {
    let entry = NewAudit {
        actor: by,
        action,
        target: None,
        channel: Some(channel(id).to_string()),
        detail: name.to_owned(),
    };
    audit(disk, &entry, now_ms())
}

/// Creates place `id`'s room (in memory) if it does not exist: the place is new, or the hub started.
fn ensure_room(
    memory: &rusqlite::Connection,
    id: i64,
    name: &str,
    now: i64,
) -> crate::store::StoreResult<()> {
    let slug = room_slug(id);
    if room_kind(memory, &slug)?.is_none() {
        // Nobody's room: the place belongs to the venue, not to the staff member who defined it.
        create_room_as(memory, &slug, name, "", RoomKind::Ephemeral, 0, now)?;
        let _ = leave_room(memory, &slug, 0)?;
    }
    Ok(())
}

/// Makes `user` a member of the place's room (creating it if a restart lost it).
fn ensure_member(
    memory: &rusqlite::Connection,
    id: i64,
    name: &str,
    user: i64,
    now: i64,
) -> crate::store::StoreResult<()> {
    ensure_room(memory, id, name, now)?;
    let slug = room_slug(id);
    if !is_member(memory, &slug, user)? {
        add_member(memory, &slug, user, now)?;
    }
    Ok(())
}

/// A place name trimmed and checked, with its key (folded to lower case) that makes names unique.
fn checked_name(name: &str) -> Outcome<(String, String)> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_PLACE_NAME || name.chars().any(char::is_control) {
        return Err(Refusal::new(
            ErrorCode::InvalidPlace,
            format!("a place's name is 1 to {MAX_PLACE_NAME} characters, with no control characters"),
        ));
    }
    Ok((name.to_owned(), name.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_checked_and_keyed() {
        assert_eq!(checked_name("  Table 4 ").unwrap(), ("Table 4".to_owned(), "table 4".to_owned()));
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(61)] {
            assert_eq!(checked_name(bad).unwrap_err().code, ErrorCode::InvalidPlace, "{bad:?}");
        }
        assert!(checked_name(&"é".repeat(60)).is_ok());
    }
}
