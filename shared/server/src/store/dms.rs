//! Direct conversations between two users: requested, accepted, declined or blocked.

use hubbub_protocol::{DmState, DmThread, ErrorCode, UserInfo};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;
use super::messages::{channel_state, ensure_channel, read_mark, unread};
use crate::error::Refusal;

/// One conversation's stored facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmRow {
    pub id: i64,
    pub user_a: i64,
    pub user_b: i64,
    pub initiated_by: i64,
    pub state: DmState,
}

impl DmRow {
    /// Whether `user` is one of the two.
    pub fn has(&self, user: i64) -> bool {
        self.user_a == user || self.user_b == user
    }

    /// The participant who is not `user`.
    pub fn other(&self, user: i64) -> i64 {
        if self.user_a == user { self.user_b } else { self.user_a }
    }

    /// Participants may read a conversation that is pending or accepted.
    pub fn readable_by(&self, user: i64) -> bool {
        self.has(user) && matches!(self.state, DmState::Pending | DmState::Accepted)
    }
}

/// What a participant does to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmAction {
    Accept,
    Decline,
    Block,
}

/// Why a conversation could not be started or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmRefusal {
    NoSuchUser,
    NoSuchThread,
    /// Yourself; blocked; not a participant; or accepting your own request.
    Forbidden,
}

impl From<DmRefusal> for Refusal {
    fn from(r: DmRefusal) -> Refusal {
        match r {
            DmRefusal::NoSuchUser => Refusal::new(ErrorCode::NotFound, "no such user"),
            DmRefusal::NoSuchThread => Refusal::new(ErrorCode::NotFound, "no such conversation"),
            DmRefusal::Forbidden => Refusal::new(ErrorCode::Forbidden, "not allowed for this conversation"),
        }
    }
}

fn state_str(s: DmState) -> &'static str {
    match s {
        DmState::Pending => "pending",
        DmState::Accepted => "accepted",
        DmState::Declined => "declined",
        DmState::Blocked => "blocked",
    }
}

fn parse_state(s: &str) -> DmState {
    match s {
        "accepted" => DmState::Accepted,
        "declined" => DmState::Declined,
        "blocked" => DmState::Blocked,
        _ => DmState::Pending,
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DmRow> {
    Ok(DmRow {
        id: r.get(0)?,
        user_a: r.get(1)?,
        user_b: r.get(2)?,
        initiated_by: r.get(3)?,
        state: parse_state(&r.get::<_, String>(4)?),
    })
}

/// A conversation by id.
pub fn dm(conn: &Connection, id: i64) -> StoreResult<Option<DmRow>> {
    Ok(conn
        .prepare_cached("SELECT id, user_a, user_b, initiated_by, state FROM dms WHERE id = ?1")?
        .query_row([id], row)
        .optional()?)
}

/// `from` asks `to` for a conversation: a new pending one, the existing one, or a declined one asked
/// again. Blocked ones stay blocked.
pub fn start_dm(conn: &Connection, from: i64, to: i64, now: i64) -> StoreResult<Result<DmRow, DmRefusal>> {
    if from == to {
        return Ok(Err(DmRefusal::Forbidden));
    }
    let exists =
        conn.prepare_cached("SELECT 1 FROM users WHERE id = ?1")?.query_row([to], |_| Ok(())).optional()?;
    if exists.is_none() {
        return Ok(Err(DmRefusal::NoSuchUser));
    }
    let (a, b) = (from.min(to), from.max(to));
    let existing = conn
        .prepare_cached(
            "SELECT id, user_a, user_b, initiated_by, state FROM dms WHERE user_a = ?1 AND user_b = ?2",
        )?
        .query_row(params![a, b], row)
        .optional()?;
    match existing {
        Some(d) if d.state == DmState::Blocked => Ok(Err(DmRefusal::Forbidden)),
        Some(d) if d.state == DmState::Declined => {
            conn.prepare_cached("UPDATE dms SET state = 'pending', initiated_by = ?2 WHERE id = ?1")?
                .execute(params![d.id, from])?;
            Ok(Ok(DmRow { state: DmState::Pending, initiated_by: from, ..d }))
        }
        Some(d) => Ok(Ok(d)),
        None => {
            let id: i64 = conn
                .prepare_cached(
                    "INSERT INTO dms (user_a, user_b, initiated_by, state, created_at)
                     VALUES (?1, ?2, ?3, 'pending', ?4) RETURNING id",
                )?
                .query_row(params![a, b, from, now], |r| r.get(0))?;
            ensure_channel(conn, &format!("dm:{id}"), now)?;
            Ok(Ok(DmRow { id, user_a: a, user_b: b, initiated_by: from, state: DmState::Pending }))
        }
    }
}

/// A participant accepts, declines or blocks. Only the recipient accepts or declines a pending request.
pub fn act_on_dm(
    conn: &Connection,
    id: i64,
    actor: i64,
    action: DmAction,
) -> StoreResult<Result<DmRow, DmRefusal>> {
    let Some(d) = dm(conn, id)? else { return Ok(Err(DmRefusal::NoSuchThread)) };
    if !d.has(actor) {
        return Ok(Err(DmRefusal::Forbidden));
    }
    let state = match action {
        DmAction::Block => DmState::Blocked,
        _ if d.state != DmState::Pending || d.initiated_by == actor => return Ok(Err(DmRefusal::Forbidden)),
        DmAction::Accept => DmState::Accepted,
        DmAction::Decline => DmState::Declined,
    };
    conn.prepare_cached("UPDATE dms SET state = ?2 WHERE id = ?1")?.execute(params![id, state_str(state)])?;
    Ok(Ok(DmRow { state, ..d }))
}

/// A conversation as `viewer` sees it.
pub fn dm_view(conn: &Connection, d: &DmRow, viewer: i64) -> StoreResult<DmThread> {
    let other_id = d.other(viewer);
    let name: String = conn
        .prepare_cached("SELECT display_name FROM users WHERE id = ?1")?
        .query_row([other_id], |r| r.get(0))?;
    let channel = format!("dm:{}", d.id);
    Ok(DmThread {
        id: d.id,
        other: UserInfo { id: other_id, display_name: name },
        state: d.state,
        initiated_by: d.initiated_by,
        last_offset: channel_state(conn, &channel)?.map_or(0, |(_, o)| o),
        last_read: read_mark(conn, &channel, viewer)?,
        other_last_read: read_mark(conn, &channel, other_id)?,
        unread: unread(conn, &channel, viewer)?,
        channel,
    })
}

/// Every conversation of `user`, newest first.
pub fn dms_for(conn: &Connection, user: i64) -> StoreResult<Vec<DmThread>> {
    let rows: Vec<DmRow> = conn
        .prepare_cached(
            "SELECT id, user_a, user_b, initiated_by, state FROM dms WHERE user_a = ?1 OR user_b = ?1 ORDER BY id DESC",
        )?
        .query_map([user], row)?
        .collect::<Result<_, _>>()?;
    rows.iter().map(|d| dm_view(conn, d, user)).collect()
}

/// Ids of the conversations `user` may read (subscribed on connect).
pub fn readable_dms(conn: &Connection, user: i64) -> StoreResult<Vec<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM dms WHERE (user_a = ?1 OR user_b = ?1) AND state IN ('pending', 'accepted') ORDER BY id",
        )?
        .query_map([user], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
