//! The notification inbox: one row per entry, per user, with a read mark.

use hubbub_protocol::{Notification, NotificationKind};
use rusqlite::{Connection, params};

use super::StoreResult;

/// Most entries one page of the inbox returns.
pub const INBOX_PAGE: i64 = 100;

/// A notification about to be stored.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub from_user_id: Option<i64>,
    pub text: String,
    pub channel: Option<String>,
    pub join_url: Option<String>,
}

fn kind_str(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention => "mention",
        NotificationKind::Ping => "ping",
        NotificationKind::DmRequest => "dm_request",
        NotificationKind::DmMessage => "dm_message",
        NotificationKind::PartyInvite => "party_invite",
        NotificationKind::HostPing => "host_ping",
        NotificationKind::Announcement => "announcement",
        NotificationKind::RoomInvite => "room_invite",
    }
}

fn parse_kind(s: &str) -> NotificationKind {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or(NotificationKind::Announcement)
}

const SELECT: &str = "SELECT n.id, n.kind, n.from_user_id, u.display_name, n.text, n.channel, n.join_url,
        n.created_at, n.read_at IS NOT NULL
    FROM notifications n LEFT JOIN users u ON u.id = n.from_user_id";

fn row_to_notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: r.get(0)?,
        kind: parse_kind(&r.get::<_, String>(1)?),
        from_user_id: r.get(2)?,
        from_username: r.get(3)?,
        text: r.get(4)?,
        channel: r.get(5)?,
        join_url: r.get(6)?,
        created_at: r.get(7)?,
        read: r.get(8)?,
    })
}

/// How many of a user's entries are unread.
pub fn unread_count(conn: &Connection, user_id: i64) -> StoreResult<u32> {
    let n: i64 = conn
        .prepare_cached("SELECT count(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL")?
        .query_row([user_id], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Stores an entry; returns it as the recipient will see it, and their new unread count.
pub fn insert_notification(
    conn: &Connection,
    n: &NewNotification,
    now: i64,
) -> StoreResult<(Notification, u32)> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO notifications (user_id, kind, from_user_id, text, channel, join_url, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )?
        .query_row(
            params![n.user_id, kind_str(n.kind), n.from_user_id, n.text, n.channel, n.join_url, now],
            |r| r.get(0),
        )?;
    let stored =
        conn.prepare_cached(&format!("{SELECT} WHERE n.id = ?1"))?.query_row([id], row_to_notification)?;
    Ok((stored, unread_count(conn, n.user_id)?))
}

/// A page of a user's inbox, newest first, older than `before` when given.
pub fn list_notifications(
    conn: &Connection,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Notification>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE n.user_id = ?1 AND n.id < ?2 ORDER BY n.id DESC LIMIT ?3"))?
        .query_map(
            params![user_id, before.unwrap_or(i64::MAX), limit.clamp(1, INBOX_PAGE)],
            row_to_notification,
        )?
        .collect::<Result<_, _>>()?)
}

/// Marks the given entries (or all) of a user read; returns the new unread count.
pub fn mark_read(conn: &Connection, user_id: i64, ids: Option<&[i64]>, now: i64) -> StoreResult<u32> {
    match ids {
        None => {
            conn.prepare_cached(
                "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
            )?
            .execute(params![user_id, now])?;
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached(
                "UPDATE notifications SET read_at = ?3 WHERE id = ?1 AND user_id = ?2 AND read_at IS NULL",
            )?;
            for id in ids {
                stmt.execute(params![id, user_id, now])?;
            }
        }
    }
    unread_count(conn, user_id)
}

/// Marks read a user's unread entries of one kind about one channel (a request once answered);
/// returns their ids and the new unread count.
pub fn mark_read_about(
    conn: &Connection,
    user_id: i64,
    kind: NotificationKind,
    channel: &str,
    now: i64,
) -> StoreResult<(Vec<i64>, u32)> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "UPDATE notifications SET read_at = ?4
             WHERE user_id = ?1 AND kind = ?2 AND channel = ?3 AND read_at IS NULL RETURNING id",
        )?
        .query_map(params![user_id, kind_str(kind), channel, now], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok((ids, unread_count(conn, user_id)?))
}

/// Users whose display name (ASCII case-insensitively) is one of `names`, except `exclude`.
pub fn users_named(conn: &Connection, names: &[String], exclude: i64) -> StoreResult<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM users WHERE display_name = ?1 COLLATE NOCASE AND id != ?2 ORDER BY id",
    )?;
    let mut ids = Vec::new();
    for name in names {
        for id in stmt.query_map(params![name, exclude], |r| r.get::<_, i64>(0))? {
            let id = id?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::create_user_with_session;

    #[test]
    fn inbox_counts_lists_and_marks() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        let ann = create_user_with_session(&conn, "Ann", b"a", None, None, 0).unwrap().unwrap().user;
        let bo = create_user_with_session(&conn, "Bo", b"b", None, None, 0).unwrap().unwrap().user;
        let new = |text: &str| NewNotification {
            user_id: bo.id,
            kind: NotificationKind::Ping,
            from_user_id: Some(ann.id),
            text: text.into(),
            channel: None,
            join_url: Some("http://x/".into()),
        };
        let (first, unread) = insert_notification(&conn, &new("one"), 1).unwrap();
        assert_eq!((unread, first.from_username.as_deref(), first.read), (1, Some("Ann"), false));
        let (second, unread) = insert_notification(&conn, &new("two"), 2).unwrap();
        assert_eq!(unread, 2);
        let list = list_notifications(&conn, bo.id, None, 10).unwrap();
        assert_eq!(list.iter().map(|n| n.id).collect::<Vec<_>>(), vec![second.id, first.id]);
        assert_eq!(list_notifications(&conn, bo.id, Some(second.id), 10).unwrap().len(), 1);
        assert!(list_notifications(&conn, ann.id, None, 10).unwrap().is_empty());
        // Someone else's ids change nothing.
        assert_eq!(mark_read(&conn, ann.id, Some(&[first.id]), 3).unwrap(), 0);
        assert_eq!(mark_read(&conn, bo.id, Some(&[first.id]), 3).unwrap(), 1);
        assert_eq!(mark_read(&conn, bo.id, None, 4).unwrap(), 0);
        assert!(list_notifications(&conn, bo.id, None, 10).unwrap().iter().all(|n| n.read));
        assert_eq!(users_named(&conn, &["ANN".into(), "nobody".into()], bo.id).unwrap(), vec![ann.id]);
        assert!(users_named(&conn, &["ann".into()], ann.id).unwrap().is_empty());
    }
}
