//! Roles and moderation in the database: users' roles, ending sessions, bans (and the browsers they
//! refuse), mutes, announcements, the audit log and the host links already used.

use hubbub_protocol::{Announcement, AuditEntry, Ban, Role, UserInfo};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

fn user_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<UserInfo>> {
    Ok(match (r.get::<_, Option<i64>>(at)?, r.get::<_, Option<String>>(at + 1)?) {
        (Some(id), Some(display_name)) => Some(UserInfo { id, display_name }),
        _ => None,
    })
}

/// A user by id.
pub fn user_info(conn: &Connection, id: i64) -> StoreResult<Option<UserInfo>> {
    Ok(conn
        .prepare_cached("SELECT id, display_name FROM users WHERE id = ?1")?
        .query_row([id], |r| Ok(UserInfo { id: r.get(0)?, display_name: r.get(1)? }))
        .optional()?)
}

/// Stores a user's role; false when there is no such user.
pub fn set_role(conn: &Connection, id: i64, role: Role) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?
        .execute(params![id, role.as_str()])?
        > 0)
}

/// Every host and moderator.
pub fn staff(conn: &Connection) -> StoreResult<Vec<(UserInfo, Role)>> {
    let rows: Vec<(i64, String, String)> = conn
        .prepare_cached("SELECT id, display_name, role FROM users WHERE role != 'guest'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, display_name, role)| Some((UserInfo { id, display_name }, Role::parse(&role)?)))
        .collect())
}

/// One user as the admin API lists them: `(user, role, banned, created_at)`.
pub type UserRow = (UserInfo, Role, bool, i64);

/// Users whose name contains `q` (any case), by name, a page at a time; and how many match in all.
/// `only` keeps just these ids (the users online now), when given.
pub fn list_users(
    conn: &Connection,
    q: &str,
    only: Option<&[i64]>,
    offset: usize,
    limit: usize,
) -> StoreResult<(Vec<UserRow>, usize)> {
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let ids = only.map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()));
    let filter = "display_name LIKE ?1 ESCAPE '\\'
        AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))";
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM users WHERE {filter}"))?
        .query_row(params![pattern, ids], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT id, display_name, role, banned, created_at FROM users WHERE {filter}
             ORDER BY display_name COLLATE NOCASE, id LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(
            params![
                pattern,
                ids,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(0)
            ],
            |r| {
                Ok((
                    UserInfo { id: r.get(0)?, display_name: r.get(1)? },
                    Role::parse(&r.get::<_, String>(2)?).unwrap_or_default(),
                    r.get(3)?,
                    r.get(4)?,
                ))
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok((rows, usize::try_from(total).unwrap_or(0)))
}

/// Ends one session; false when it was already gone.
pub fn end_session(conn: &Connection, session_id: i64) -> StoreResult<bool> {
    Ok(conn.prepare_cached("DELETE FROM sessions WHERE id = ?1")?.execute([session_id])? > 0)
}

/// Ends every session of a user; returns the hashes that identify their browsers (each session's
/// device and secret), for a ban.
pub fn end_sessions_of(conn: &Connection, user: i64) -> StoreResult<Vec<Vec<u8>>> {
    let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = conn
        .prepare_cached("DELETE FROM sessions WHERE user_id = ?1 RETURNING secret_hash, device_hash")?
        .query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows.into_iter().flat_map(|(secret, device)| std::iter::once(secret).chain(device)).collect())
}

/// Ends every guest's sessions; returns the users whose sessions ended.
pub fn end_guest_sessions(conn: &Connection) -> StoreResult<Vec<i64>> {
    let mut users: Vec<i64> = conn
        .prepare_cached(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'guest') RETURNING user_id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// The address a user's newest session was made from.
pub fn last_address(conn: &Connection, user: i64) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT address FROM sessions WHERE user_id = ?1 AND address IS NOT NULL ORDER BY id DESC LIMIT 1")?
        .query_row([user], |r| r.get(0))
        .optional()?)
}

/// What a new ban holds.
#[derive(Debug, Clone)]
pub struct NewBan {
    pub user: i64,
    pub reason: Option<String>,
    pub address: Option<String>,
    pub address_until: Option<i64>,
    pub by: Option<i64>,
    /// The browsers it refuses (device and session hashes).
    pub hashes: Vec<Vec<u8>>,
}

/// Stores a ban and marks the user banned; returns its id.
pub fn insert_ban(conn: &Connection, ban: &NewBan, now: i64) -> StoreResult<i64> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO bans (user_id, reason, address, address_until, by_user, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )?
        .query_row(params![ban.user, ban.reason, ban.address, ban.address_until, ban.by, now], |r| {
            r.get(0)
        })?;
    let mut stmt =
        conn.prepare_cached("INSERT OR REPLACE INTO ban_devices (hash, ban_id) VALUES (?1, ?2)")?;
    for hash in &ban.hashes {
        stmt.execute(params![hash, id])?;
    }
    conn.prepare_cached("UPDATE users SET banned = 1 WHERE id = ?1")?.execute([ban.user])?;
    Ok(id)
}

/// Every ban, newest first.
pub fn bans(conn: &Connection) -> StoreResult<Vec<Ban>> {
    Ok(conn
        .prepare_cached(
            "SELECT b.id, b.user_id, u.display_name, b.reason, b.address, b.address_until, b.created_at
             FROM bans b JOIN users u ON u.id = b.user_id ORDER BY b.id DESC",
        )?
        .query_map([], |r| {
            Ok(Ban {
                id: r.get(0)?,
                user: UserInfo { id: r.get(1)?, display_name: r.get(2)? },
                reason: r.get(3)?,
                address: r.get(4)?,
                address_until: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Lifts a ban; returns the user it was on (no longer banned once no other ban names them).
pub fn lift_ban(conn: &Connection, id: i64) -> StoreResult<Option<i64>> {
    conn.prepare_cached("DELETE FROM ban_devices WHERE ban_id = ?1")?.execute([id])?;
    let user: Option<i64> = conn
        .prepare_cached("DELETE FROM bans WHERE id = ?1 RETURNING user_id")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(user) = user {
        conn.prepare_cached(
            "UPDATE users SET banned = EXISTS (SELECT 1 FROM bans WHERE user_id = ?1) WHERE id = ?1",
        )?
        .execute([user])?;
    }
    Ok(user)
}

/// Whether a browser (any of its hashes) or an address is banned now.
pub fn is_banned(conn: &Connection, hashes: &[Vec<u8>], address: &str, now: i64) -> StoreResult<bool> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM ban_devices WHERE hash = ?1")?;
    for hash in hashes {
        if stmt.query_row([hash], |_| Ok(())).optional()?.is_some() {
            return Ok(true);
        }
    }
    Ok(conn
        .prepare_cached("SELECT 1 FROM bans WHERE address = ?1 AND address_until > ?2 LIMIT 1")?
        .query_row(params![address, now], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a mute (`""`: hub-wide).
pub fn save_mute(conn: &Connection, user: i64, scope: &str, until: i64) -> StoreResult<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO mutes (user_id, channel, until) VALUES (?1, ?2, ?3)")?
        .execute(params![user, scope, until])?;
    Ok(())
}

/// Lifts a mute.
pub fn delete_mute(conn: &Connection, user: i64, scope: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM mutes WHERE user_id = ?1 AND channel = ?2")?
        .execute(params![user, scope])?;
    Ok(())
}

/// The mutes that have not ended: `(user, scope, until)`.
pub fn mutes(conn: &Connection, now: i64) -> StoreResult<Vec<(i64, String, i64)>> {
    Ok(conn
        .prepare_cached("SELECT user_id, channel, until FROM mutes WHERE until > ?1")?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?)
}

const SELECT_ANNOUNCEMENT: &str = "SELECT a.id, a.text, a.channel, a.by_user, u.display_name, a.created_at
    FROM announcements a LEFT JOIN users u ON u.id = a.by_user";

fn row_to_announcement(r: &rusqlite::Row<'_>) -> rusqlite::Result<Announcement> {
    Ok(Announcement {
        id: r.get(0)?,
        text: r.get(1)?,
        channel: r.get(2)?,
        by: user_row(r, 3)?,
        created_at: r.get(5)?,
    })
}

/// Stores an announcement; the one it replaces (same scope) is cleared.
pub fn insert_announcement(
    conn: &Connection,
    channel: Option<&str>,
    text: &str,
    by: Option<i64>,
    now: i64,
) -> StoreResult<Announcement> {
    conn.prepare_cached(
        "UPDATE announcements SET cleared_at = ?2 WHERE channel IS ?1 AND cleared_at IS NULL",
    )?
    .execute(params![channel, now])?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO announcements (channel, text, by_user, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        )?
        .query_row(params![channel, text, by, now], |r| r.get(0))?;
    Ok(conn
        .prepare_cached(&format!("{SELECT_ANNOUNCEMENT} WHERE a.id = ?1"))?
        .query_row([id], row_to_announcement)?)
}

/// The announcements not cleared, newest first.
pub fn current_announcements(conn: &Connection) -> StoreResult<Vec<Announcement>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT_ANNOUNCEMENT} WHERE a.cleared_at IS NULL ORDER BY a.id DESC"))?
        .query_map([], row_to_announcement)?
        .collect::<Result<_, _>>()?)
}

/// Clears an announcement; false when there is no current one with that id.
pub fn clear_announcement(conn: &Connection, id: i64, now: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("UPDATE announcements SET cleared_at = ?2 WHERE id = ?1 AND cleared_at IS NULL")?
        .execute(params![id, now])?
        > 0)
}

/// The users an announcement's inbox entry is for: everyone, or a room's members.
pub fn announcement_audience(conn: &Connection, room: Option<&str>) -> StoreResult<Vec<i64>> {
    let (sql, slug) = match room {
        None => ("SELECT id FROM users WHERE banned = 0 AND ?1 IS NULL", None),
        Some(slug) => ("SELECT user_id FROM room_members WHERE room = ?1", Some(slug)),
    };
    Ok(conn.prepare_cached(sql)?.query_map([slug], |r| r.get(0))?.collect::<Result<_, _>>()?)
}

/// One line of the audit log, as the moderation service writes it.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub actor: Option<i64>,
    pub action: &'static str,
    pub target: Option<i64>,
    pub channel: Option<String>,
    pub detail: String,
}

/// Appends to the audit log.
pub fn audit(conn: &Connection, entry: &NewAudit, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, target, channel, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![now, entry.actor, entry.action, entry.target, entry.channel, entry.detail])?;
    Ok(())
}

/// The audit log, newest first: entries before id `before` (all when `None`), at most `limit`.
pub fn audit_log(conn: &Connection, before: Option<i64>, limit: usize) -> StoreResult<Vec<AuditEntry>> {
    Ok(conn
        .prepare_cached(
            "SELECT l.id, l.at, l.actor, a.display_name, l.action, l.target, t.display_name, l.channel, l.detail
             FROM audit_log l LEFT JOIN users a ON a.id = l.actor LEFT JOIN users t ON t.id = l.target
             WHERE l.id < ?1 ORDER BY l.id DESC LIMIT ?2",
        )?
        .query_map(params![before.unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: user_row(r, 2)?,
                action: r.get(4)?,
                target: user_row(r, 5)?,
                channel: r.get(7)?,
                detail: r.get(8)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Marks a host link's nonce used; false when it already was.
pub fn use_host_link(conn: &Connection, nonce: &[u8], now: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("INSERT OR IGNORE INTO host_links_used (nonce, used_at) VALUES (?1, ?2)")?
        .execute(params![nonce, now])?
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::users::create_user_with_session;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn a_ban_refuses_the_browser_and_the_address_until_lifted() {
        let conn = db();
        let troll = create_user_with_session(&conn, "Troll", b"secret", Some(b"device"), Some("10.0.0.9"), 0)
            .unwrap()
            .unwrap();
        assert_eq!(last_address(&conn, troll.user.id).unwrap().as_deref(), Some("10.0.0.9"));
        let hashes = end_sessions_of(&conn, troll.user.id).unwrap();
        assert_eq!(hashes, vec![b"secret".to_vec(), b"device".to_vec()]);
        let ban = NewBan {
            user: troll.user.id,
            reason: Some("spam".into()),
            address: Some("10.0.0.9".into()),
            address_until: Some(1_000),
            by: None,
            hashes,
        };
        let id = insert_ban(&conn, &ban, 0).unwrap();
        assert!(is_banned(&conn, &[b"device".to_vec()], "10.0.0.1", 5_000).unwrap(), "the same browser");
        assert!(is_banned(&conn, &[], "10.0.0.9", 500).unwrap(), "the address, for a while");
        assert!(!is_banned(&conn, &[], "10.0.0.9", 1_000).unwrap(), "the address ban ended");
        assert!(!is_banned(&conn, &[b"other".to_vec()], "10.0.0.1", 0).unwrap());
        assert_eq!(bans(&conn).unwrap()[0].reason.as_deref(), Some("spam"));
        assert!(list_users(&conn, "trol", None, 0, 10).unwrap().0[0].2, "marked banned");
        assert_eq!(lift_ban(&conn, id).unwrap(), Some(troll.user.id));
        assert!(!is_banned(&conn, &[b"device".to_vec()], "10.0.0.9", 500).unwrap());
        assert!(!list_users(&conn, "", None, 0, 10).unwrap().0[0].2, "no longer banned");
        assert_eq!(lift_ban(&conn, id).unwrap(), None, "already lifted");
    }

    #[test]
    fn announcements_replace_their_scope_and_the_audit_log_pages_newest_first() {
        let conn = db();
        let a = insert_announcement(&conn, None, "one", None, 1).unwrap();
        let b = insert_announcement(&conn, Some("room:x"), "room", None, 2).unwrap();
        let c = insert_announcement(&conn, None, "two", None, 3).unwrap();
        let current: Vec<i64> = current_announcements(&conn).unwrap().iter().map(|a| a.id).collect();
        assert_eq!(current, vec![c.id, b.id], "the second hub-wide one replaced the first");
        assert!(!clear_announcement(&conn, a.id, 4).unwrap());
        assert!(clear_announcement(&conn, c.id, 4).unwrap());
        for (i, action) in ["kick", "ban", "mute"].into_iter().enumerate() {
            audit(&conn, &NewAudit { action, detail: format!("#{i}"), ..NewAudit::default() }, 10).unwrap();
        }
        let page = audit_log(&conn, None, 2).unwrap();
        assert_eq!(page.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["mute", "ban"]);
        let rest = audit_log(&conn, Some(page[1].id), 10).unwrap();
        assert_eq!(rest.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["kick"]);
        assert!(use_host_link(&conn, b"n1", 0).unwrap() && !use_host_link(&conn, b"n1", 1).unwrap());
    }
}
