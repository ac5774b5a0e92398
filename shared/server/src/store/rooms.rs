//! Rooms and their members and invitations; read access to persisted channels is decided here.

use hubbub_protocol::{ErrorCode, Room, RoomKind};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;
use super::messages::{channel_state, ensure_channel, read_mark, unread};
use crate::error::Refusal;

/// The default room; every user is a member and cannot leave it.
pub const LOBBY: &str = "lobby";

/// Why a room operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRefusal {
    NoSuchRoom,
    /// Closed room and no invitation; or leaving the Lobby; or inviting while not a member.
    Forbidden,
    NoSuchUser,
}

impl From<RoomRefusal> for Refusal {
    fn from(r: RoomRefusal) -> Refusal {
        match r {
            RoomRefusal::NoSuchRoom => Refusal::new(ErrorCode::NotFound, "no such room"),
            RoomRefusal::Forbidden => {
                Refusal::new(ErrorCode::Forbidden, "not allowed: the room is invite-only, or it is the Lobby")
            }
            RoomRefusal::NoSuchUser => Refusal::new(ErrorCode::NotFound, "no such user"),
        }
    }
}

fn kind_str(kind: RoomKind) -> &'static str {
    match kind {
        RoomKind::Open => "open",
        RoomKind::Closed => "closed",
        RoomKind::Ephemeral => "ephemeral",
    }
}

fn parse_kind(s: &str) -> RoomKind {
    match s {
        "closed" => RoomKind::Closed,
        "ephemeral" => RoomKind::Ephemeral,
        _ => RoomKind::Open,
    }
}

/// A slug for a room name: lowercase ASCII letters and digits joined by dashes, made unique.
fn free_slug(conn: &Connection, name: &str, prefix: &str) -> StoreResult<String> {
    let mut base = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            base.push(c);
        } else if !base.ends_with('-') && !base.is_empty() {
            base.push('-');
        }
    }
    let mut base: String = base.trim_end_matches('-').chars().take(40).collect();
    if base.is_empty() {
        base.push_str("room");
    }
    // `_party-{code}` is a party's chat room (`party::chat`): an ephemeral room named "Party XYZW"
    // must not take the slug the party XYZW will want.
    if !prefix.is_empty() && (base == "party" || base.starts_with("party-")) {
        base.insert_str(0, "room-");
    }
    let base = format!("{prefix}{base}");
    let mut candidate = base.clone();
    let mut n = 2;
    while room_kind(conn, &candidate)?.is_some() {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// How many rooms guests created in this database: all but the Lobby and parties' rooms.
pub fn created_room_count(conn: &Connection) -> StoreResult<usize> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM rooms WHERE slug != 'lobby' AND slug NOT GLOB '_party-*'")?
        .query_row([], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// A room's kind, or `None` if there is no such room.
pub fn room_kind(conn: &Connection, slug: &str) -> StoreResult<Option<RoomKind>> {
    Ok(conn
        .prepare_cached("SELECT kind FROM rooms WHERE slug = ?1")?
        .query_row([slug], |r| r.get::<_, String>(0))
        .optional()?
        .map(|k| parse_kind(&k)))
}

/// Whether `user` is a member of the room.
pub fn is_member(conn: &Connection, slug: &str, user: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM room_members WHERE room = ?1 AND user_id = ?2")?
        .query_row(params![slug, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Creates a room with `creator` as its first member; returns its slug. Ephemeral rooms get slugs
/// that start with [`super::EPHEMERAL_PREFIX`] and belong in the in-memory database.
pub fn create_room(
    conn: &Connection,
    name: &str,
    topic: &str,
    kind: RoomKind,
    creator: i64,
    now: i64,
) -> StoreResult<String> {
    let prefix =
        if kind == RoomKind::Ephemeral { super::EPHEMERAL_PREFIX.to_string() } else { String::new() };
    let slug = free_slug(conn, name, &prefix)?;
    create_room_as(conn, &slug, name, topic, kind, creator, now)?;
    Ok(slug)
}

/// Creates a room under a chosen slug (a party's chat), with `creator` as its first member.
pub fn create_room_as(
    conn: &Connection,
    slug: &str,
    name: &str,
    topic: &str,
    kind: RoomKind,
    creator: i64,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO rooms (slug, name, topic, kind, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![slug, name, topic, kind_str(kind), creator, now])?;
    add_member(conn, slug, creator, now)?;
    ensure_channel(conn, &format!("room:{slug}"), now)?;
    Ok(())
}

/// Adds a member (nothing if they already are one).
pub fn add_member(conn: &Connection, slug: &str, user: i64, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO room_members (room, user_id, joined_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![slug, user, now])?;
    conn.prepare_cached("DELETE FROM room_invites WHERE room = ?1 AND user_id = ?2")?
        .execute(params![slug, user])?;
    Ok(())
}

/// `user` joins: any open room, or a closed one they were invited to.
pub fn join_room(conn: &Connection, slug: &str, user: i64, now: i64) -> StoreResult<Result<(), RoomRefusal>> {
    let Some(kind) = room_kind(conn, slug)? else { return Ok(Err(RoomRefusal::NoSuchRoom)) };
    if kind != RoomKind::Open && !is_member(conn, slug, user)? {
        let invited = conn
            .prepare_cached("SELECT 1 FROM room_invites WHERE room = ?1 AND user_id = ?2")?
            .query_row(params![slug, user], |_| Ok(()))
            .optional()?
            .is_some();
        if !invited {
            return Ok(Err(RoomRefusal::Forbidden));
        }
    }
    add_member(conn, slug, user, now)?;
    Ok(Ok(()))
}

/// `user` leaves a room (never the Lobby).
pub fn leave_room(conn: &Connection, slug: &str, user: i64) -> StoreResult<Result<(), RoomRefusal>> {
    if room_kind(conn, slug)?.is_none() {
        return Ok(Err(RoomRefusal::NoSuchRoom));
    }
    if slug == LOBBY {
        return Ok(Err(RoomRefusal::Forbidden));
    }
    conn.prepare_cached("DELETE FROM room_members WHERE room = ?1 AND user_id = ?2")?
        .execute(params![slug, user])?;
    Ok(Ok(()))
}

/// Removes a room with its members, invitations, messages, reactions and read marks (a party's
/// room when the party expires).
pub fn delete_room(conn: &Connection, slug: &str) -> StoreResult<()> {
    let channel = format!("room:{slug}");
    for sql in [
        "DELETE FROM reactions WHERE message_id IN (SELECT id FROM messages WHERE channel = ?1)",
        "DELETE FROM events WHERE channel = ?1",
        "DELETE FROM messages WHERE channel = ?1",
        "DELETE FROM read_marks WHERE channel = ?1",
        "DELETE FROM channels WHERE name = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([&channel])?;
    }
    for sql in [
        "DELETE FROM room_members WHERE room = ?1",
        "DELETE FROM room_invites WHERE room = ?1",
        "DELETE FROM rooms WHERE slug = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([slug])?;
    }
    Ok(())
}

/// A member invites `user` into a room.
pub fn invite(
    conn: &Connection,
    slug: &str,
    by: i64,
    user: i64,
    now: i64,
) -> StoreResult<Result<(), RoomRefusal>> {
    if room_kind(conn, slug)?.is_none() {
        return Ok(Err(RoomRefusal::NoSuchRoom));
    }
    if !is_member(conn, slug, by)? {
        return Ok(Err(RoomRefusal::Forbidden));
    }
    let exists =
        conn.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?.query_row([user], |_| Ok(())).optional()?;
    if exists.is_none() {
        return Ok(Err(RoomRefusal::NoSuchUser));
    }
    if !is_member(conn, slug, user)? {
        conn.prepare_cached(
            "INSERT INTO room_invites (room, user_id, invited_by, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![slug, user, by, now])?;
    }
    Ok(Ok(()))
}

/// A room as `user` sees it.
pub fn room_view(conn: &Connection, slug: &str, user: i64) -> StoreResult<Option<Room>> {
    let row = conn
        .prepare_cached(
            "SELECT name, topic, kind, (SELECT count(*) FROM room_members WHERE room = ?1), slow_mode_secs, locked
             FROM rooms WHERE slug = ?1",
        )?
        .query_row([slug], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?),
                (r.get::<_, u32>(4)?, r.get::<_, bool>(5)?),
            ))
        })
        .optional()?;
    let Some(((name, topic, kind, members), (slow_mode_secs, locked))) = row else { return Ok(None) };
    let channel = format!("room:{slug}");
    let last_offset = channel_state(conn, &channel)?.map_or(0, |(_, o)| o);
    let member = is_member(conn, slug, user)?;
    Ok(Some(Room {
        id: slug.to_owned(),
        name,
        topic,
        kind: parse_kind(&kind),
        member_count: u32::try_from(members).unwrap_or(u32::MAX),
        member,
        last_offset,
        last_read: if member { read_mark(conn, &channel, user)? } else { 0 },
        unread: if member { unread(conn, &channel, user)? } else { 0 },
        channel,
        slow_mode_secs,
        locked,
    }))
}

/// The rooms `user` is in, invited to, or could join (open ones), by name.
pub fn rooms_for(conn: &Connection, user: i64) -> StoreResult<Vec<Room>> {
    let slugs: Vec<String> = conn
        .prepare_cached(
            "SELECT slug FROM rooms WHERE kind = 'open'
                OR slug IN (SELECT room FROM room_members WHERE user_id = ?1)
                OR slug IN (SELECT room FROM room_invites WHERE user_id = ?1)
             ORDER BY slug != 'lobby', name COLLATE NOCASE",
        )?
        .query_map([user], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut rooms = Vec::with_capacity(slugs.len());
    for slug in slugs {
        rooms.extend(room_view(conn, &slug, user)?);
    }
    Ok(rooms)
}

/// The slugs of the rooms `user` is a member of (subscribed on connect).
pub fn member_rooms(conn: &Connection, user: i64) -> StoreResult<Vec<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT room FROM room_members WHERE user_id = ?1 ORDER BY room != 'lobby', joined_at",
        )?
        .query_map([user], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Sets a room's slow mode and lock; false when there is no such room.
pub fn set_room_rules(conn: &Connection, slug: &str, slow_mode_secs: u32, locked: bool) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE rooms SET slow_mode_secs = ?2, locked = ?3 WHERE slug = ?1")?
        .execute(params![slug, slow_mode_secs, locked])?
        > 0)
}

/// Every room with a slow mode or a lock: `(slug, slow_mode_secs, locked)`.
pub fn room_rules(conn: &Connection) -> StoreResult<Vec<(String, u32, bool)>> {
    Ok(conn
        .prepare_cached("SELECT slug, slow_mode_secs, locked FROM rooms WHERE slow_mode_secs > 0 OR locked")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
}

/// The first `limit` members of a room, by name.
pub fn room_members(
    conn: &Connection,
    slug: &str,
    limit: usize,
) -> StoreResult<Vec<hubbub_protocol::UserInfo>> {
    Ok(conn
        .prepare_cached(
            "SELECT u.id, u.display_name FROM room_members m JOIN users u ON u.id = m.user_id
             WHERE m.room = ?1 ORDER BY u.display_name COLLATE NOCASE LIMIT ?2",
        )?
        .query_map(params![slug, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(hubbub_protocol::UserInfo { id: r.get(0)?, display_name: r.get(1)? })
        })?
        .collect::<Result<_, _>>()?)
}

/// Every room's slug, by name (the Lobby first).
pub fn all_rooms(conn: &Connection) -> StoreResult<Vec<String>> {
    Ok(conn
        .prepare_cached("SELECT slug FROM rooms ORDER BY slug != 'lobby', name COLLATE NOCASE")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
