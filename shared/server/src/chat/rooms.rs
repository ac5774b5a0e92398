//! Rooms: list, create, join, leave, invite. Joining subscribes the user's open sockets to the room
//! at once; leaving unsubscribes them. Each change is one writer job, and what it tells people
//! (room updates, an invitation's inbox entry) leaves from that job's completion.

use hubbub_protocol::{Channel, CreateRoomRequest, ErrorCode, NotificationKind, Room, RoomKind, ServerFrame};

use std::net::IpAddr;
use std::time::Instant;

use super::Chat;
use crate::conn::encode;
use crate::error::{Outcome, Refusal};
use crate::store::{
    NewNotification, RoomRefusal, StoreResult, create_room, created_room_count, insert_notification, invite,
    join_room, leave_room, room_view, rooms_for,
};
use crate::time::now_ms;

/// Longest room name, in characters.
pub const MAX_ROOM_NAME: usize = 40;
/// Longest room topic, in characters.
pub const MAX_ROOM_TOPIC: usize = 200;

impl Chat {
    /// Tells a user's sockets that a room changed for them.
    fn publish_room(&self, user: i64, room: Room) {
        let frame = encode(&ServerFrame::RoomUpdate { room });
        self.core().registry().publish(&Channel::User(user), &frame, None);
    }

    /// Tells the members of a room who have it open about it (after a host changed its rules): one
    /// `room_update` each, as that member sees it. The others read it in their room list later.
    pub async fn publish_room_to_members(&self, slug: &str) -> Outcome<()> {
        let channel = Channel::Room(slug.to_owned());
        let mut users: Vec<i64> =
            self.core().registry().subscribers(&channel).iter().map(|c| c.user.id).collect();
        users.sort_unstable();
        users.dedup();
        let slug = slug.to_owned();
        let views = self
            .core()
            .store()
            .read_channel(&channel, move |db| {
                let mut out = Vec::with_capacity(users.len());
                for &user in &users {
                    out.extend(room_view(db, &slug, user)?.map(|room| (user, room)));
                }
                Ok(out)
            })
            .await?;
        for (user, room) in views {
            self.publish_room(user, room);
        }
        Ok(())
    }

    /// The rooms `user` is in or could join, on disk and in memory.
    pub async fn rooms(&self, user: i64) -> Outcome<Vec<Room>> {
        let found = self.core().store().read_all(move |db| rooms_for(db, user)).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Creates a room whose first member is `user` (asking from `address`); an open room is
    /// announced to everyone. Within the room budget (per user and per address) and the hub's cap.
    pub async fn create_room(
        &self,
        user: i64,
        address: Option<IpAddr>,
        req: CreateRoomRequest,
    ) -> Outcome<Room> {
        self.core().policy().may(user, crate::policy::Act::CreateRooms)?;
        let name = req.name.trim().to_owned();
        let topic = req.topic.unwrap_or_default().trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_ROOM_NAME || name.chars().any(char::is_control) {
            return Err(Refusal::new(
                ErrorCode::InvalidRoom,
                format!("a room name is 1 to {MAX_ROOM_NAME} characters"),
            ));
        }
        if topic.chars().count() > MAX_ROOM_TOPIC || topic.chars().any(char::is_control) {
            return Err(Refusal::new(
                ErrorCode::InvalidRoom,
                format!("a topic is at most {MAX_ROOM_TOPIC} characters"),
            ));
        }
        if let Err(wait) = self.inner.rooms.check(user, address, Instant::now()) {
            return Err(Refusal::rate_limited("too many new rooms; wait a little", wait));
        }
        let max_rooms = self.core().config().max_rooms;
        let (kind, chat) = (req.kind, self.clone());
        let room = self
            .core()
            .store()
            .write_and(
                move |dbs| {
                    let rooms = created_room_count(dbs.disk)? + created_room_count(dbs.memory)?;
                    if max_rooms > 0 && rooms >= max_rooms {
                        return Ok(Err(Refusal::new(
                            ErrorCode::LimitReached,
                            format!("the hub has {rooms} rooms, its most; join one of them"),
                        )));
                    }
                    let db = if kind == RoomKind::Ephemeral { dbs.memory } else { dbs.disk };
                    let slug = create_room(db, &name, &topic, kind, user, now_ms())?;
                    Ok(Ok(room_view(db, &slug, user)?))
                },
                move |room| {
                    let Ok(Some(room)) = room else { return };
                    chat.publish_room(user, room.clone());
                    if room.kind == RoomKind::Open {
                        // Everyone else can join it: tell them, with the view of a non-member.
                        let theirs = Room { member: false, last_read: 0, unread: 0, ..room.clone() };
                        let frame = encode(&ServerFrame::RoomUpdate { room: theirs });
                        chat.core().registry().publish_to_users(&frame, user);
                    }
                },
            )
            .await??
            .ok_or_else(|| Refusal::internal("creating a room", &"the new room vanished"))?;
        let channel = room.channel.parse().unwrap_or_else(|_| Channel::lobby());
        self.subscribe_user(user, &channel).await;
        Ok(room)
    }

    /// Joins or leaves a room in one writer job, tells the user's sockets from its completion, and
    /// returns the room as the user now sees it.
    async fn change_membership(
        &self,
        slug: &str,
        user: i64,
        change: fn(&rusqlite::Connection, &str, i64) -> StoreResult<Result<(), RoomRefusal>>,
    ) -> Outcome<Room> {
        let (s, chat) = (slug.to_owned(), self.clone());
        self.core()
            .store()
            .write_and(
                move |dbs| {
                    let db = dbs.room(&s);
                    match change(db, &s, user)? {
                        Ok(()) => Ok(Ok(room_view(db, &s, user)?)),
                        Err(r) => Ok(Err(r)),
                    }
                },
                move |changed| {
                    if let Ok(Some(room)) = changed {
                        chat.publish_room(user, room.clone());
                    }
                },
            )
            .await??
            .ok_or_else(|| RoomRefusal::NoSuchRoom.into())
    }

    /// Joins an open room, or a closed one `user` was invited to.
    pub async fn join_room(&self, user: i64, slug: String) -> Outcome<Room> {
        let room = self.change_membership(&slug, user, |db, s, u| join_room(db, s, u, now_ms())).await?;
        self.subscribe_user(user, &Channel::Room(slug)).await;
        Ok(room)
    }

    /// Leaves a room (not the Lobby).
    pub async fn leave_room(&self, user: i64, slug: String) -> Outcome<Room> {
        let room = self.change_membership(&slug, user, leave_room).await?;
        self.unsubscribe_user(user, &Channel::Room(slug));
        Ok(room)
    }

    /// A member invites someone: they get the room and a `room_invite` notification, sent from the
    /// completion of the job that stored it. Within the invitation budget (per user and address).
    pub async fn invite(
        &self,
        by: i64,
        by_name: String,
        address: Option<IpAddr>,
        slug: String,
        to: i64,
    ) -> Outcome<()> {
        if let Err(wait) = self.inner.invites.check(by, address, Instant::now()) {
            return Err(Refusal::rate_limited("too many invitations; wait a little", wait));
        }
        let chat = self.clone();
        self.core()
            .store()
            .write_and(
                move |dbs| {
                    let now = now_ms();
                    let db = dbs.room(&slug);
                    if let Err(r) = invite(db, &slug, by, to, now)? {
                        return Ok(Err(Refusal::from(r)));
                    }
                    let room = room_view(db, &slug, to)?;
                    let new = NewNotification {
                        user_id: to,
                        kind: NotificationKind::RoomInvite,
                        from_user_id: Some(by),
                        text: format!(
                            "{by_name} invited you to {}",
                            room.as_ref().map_or(slug.as_str(), |r| &r.name)
                        ),
                        channel: Some(format!("room:{slug}")),
                        join_url: None,
                    };
                    Ok(Ok((room, insert_notification(dbs, &new, now)?)))
                },
                move |invited| {
                    if let Ok((room, (notification, unread))) = invited {
                        if let Some(room) = room {
                            chat.publish_room(to, room.clone());
                        }
                        chat.notify().publish((to, notification.clone(), *unread));
                    }
                },
            )
            .await?
            .map(|_| ())
    }
}
