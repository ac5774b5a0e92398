//! A party's chat: an ephemeral room (in memory, never on disk) whose members are the party's members.
//! Joining the party adds you and subscribes your main sockets; leaving or being kicked removes you.

use hubbub_protocol::{Channel, RoomKind};

use super::Ctx;
use crate::store::{add_member, create_room_as, delete_room, leave_room, room_kind};
use crate::time::now_ms;

/// The slug of party `code`'s chat room.
pub fn room_slug(code: &str) -> String {
    format!("_party-{}", code.to_ascii_lowercase())
}

/// The channel of party `code`'s chat.
pub fn channel(code: &str) -> Channel {
    Channel::Room(room_slug(code))
}

/// Creates the party's room if it does not exist (a new party, or the first use after a restart).
pub(super) async fn ensure_room(ctx: &Ctx, code: &str, host: i64) {
    let (slug, name) = (room_slug(code), format!("Party {code}"));
    let done = ctx
        .core
        .store()
        .write_wait(move |dbs| {
            if room_kind(dbs.memory, &slug)?.is_none() {
                create_room_as(dbs.memory, &slug, &name, "", RoomKind::Ephemeral, host, now_ms())?;
            }
            Ok(())
        })
        .await;
    if let Err(e) = done {
        tracing::warn!(error = %e, code, "could not create a party's chat room");
    }
}

/// Makes `user` a member of the party's room and subscribes their main sockets to it.
pub(super) async fn add(ctx: &Ctx, code: &str, user: i64) {
    let slug = room_slug(code);
    if let Err(e) =
        ctx.core.store().write_wait(move |dbs| add_member(dbs.memory, &slug, user, now_ms())).await
    {
        tracing::warn!(error = %e, code, "could not add a member to a party's chat");
        return;
    }
    ctx.chat.subscribe_user(user, &channel(code)).await;
}

/// Takes `user` out of the party's room and unsubscribes their sockets.
pub(super) async fn remove(ctx: &Ctx, code: &str, user: i64) {
    let slug = room_slug(code);
    if let Err(e) = ctx.core.store().write_wait(move |dbs| leave_room(dbs.memory, &slug, user)).await {
        tracing::warn!(error = %e, code, "could not remove a member from a party's chat");
    }
    ctx.chat.unsubscribe_user(user, &channel(code));
}

/// Removes the party's room (its party expired): every member's sockets leave it, then it is deleted
/// with its messages, so a later party with the same code starts with an empty room.
pub(super) async fn drop_room(ctx: &Ctx, code: &str) {
    let room = channel(code);
    let mut users: Vec<i64> = ctx.core.registry().subscribers(&room).iter().map(|c| c.user.id).collect();
    users.sort_unstable();
    users.dedup();
    for user in users {
        ctx.chat.unsubscribe_user(user, &room);
    }
    let slug = room_slug(code);
    if let Err(e) = ctx.core.store().write_wait(move |dbs| delete_room(dbs.memory, &slug)).await {
        tracing::warn!(error = %e, code, "could not remove an expired party's chat room");
    }
}
