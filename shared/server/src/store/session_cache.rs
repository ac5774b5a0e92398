//! Sessions looked up recently, so a socket that opens with its session (or a token naming it) does
//! not read the database: a connect storm read one row per socket on a reader thread, a round trip
//! through another thread each time.
//!
//! Exactness comes from the writer: SQLite's update hook on the writer's connection notes every
//! session row deleted and every user renamed (a rename changes what a session shows), and after
//! the batch's commit the writer forgets them here ([`SessionCache::forget`]) before any completion
//! runs. A lookup that read the database remembers its answer only if nothing was forgotten since it
//! started (the cache's epoch), so an answer read just before a commit that ended the session is
//! never kept. A session ended by logout, a revocation, a ban or the retention sweep is therefore
//! refused from the moment its commit is done, as before.

use std::collections::HashMap;
use std::sync::Mutex;

use super::users::SessionRecord;

/// Most sessions remembered; reaching it empties the cache (a new hub fills it again as sockets
/// open), so it costs at most this many entries of memory.
pub const SESSION_CACHE_MAX: usize = 65_536;

/// A row the writer changed that a remembered session may depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// A session row was deleted (logout, revocation, ban, retention).
    Session(i64),
    /// A user was renamed (or deleted): their sessions are read again.
    User(i64),
}

/// A secret's SHA-256, as the sessions table keeps it.
pub type SecretHash = [u8; 32];

#[derive(Debug)]
struct Entry {
    record: SessionRecord,
    /// The secret's hash, once a lookup by secret found the session.
    hash: Option<SecretHash>,
}

/// Kept small on purpose (about 130 bytes a session, the name included): the cache must not make
/// an idle connection cost more.
#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<i64, Entry>,
    by_hash: HashMap<SecretHash, i64>,
    /// Raised by every [`SessionCache::forget`]: a lookup started before it keeps nothing.
    epoch: u64,
}

impl Inner {
    fn remove(&mut self, id: i64) {
        if let Some(Entry { hash: Some(hash), .. }) = self.by_id.remove(&id) {
            self.by_hash.remove(&hash);
        }
    }
}

/// The sessions remembered, by secret hash and by id.
#[derive(Debug, Default)]
pub struct SessionCache {
    inner: Mutex<Inner>,
}

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session whose secret hashes to `hash`, if remembered.
    pub fn by_hash(&self, hash: &SecretHash) -> Option<SessionRecord> {
        let inner = self.lock();
        let id = inner.by_hash.get(hash)?;
        inner.by_id.get(id).map(|e| e.record.clone())
    }

    /// The session `id`, if remembered.
    pub fn by_id(&self, id: i64) -> Option<SessionRecord> {
        self.lock().by_id.get(&id).map(|e| e.record.clone())
    }

    /// Where a lookup starts: pass it to [`SessionCache::remember`] with what the lookup read.
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Remembers a session read from the database (with its secret's hash when the lookup was by
    /// secret), unless something was forgotten since `epoch`.
    pub fn remember(&self, epoch: u64, record: &SessionRecord, hash: Option<SecretHash>) {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        if inner.by_id.len() >= SESSION_CACHE_MAX {
            let epoch = inner.epoch;
            *inner = Inner { epoch, ..Inner::default() };
        }
        let id = record.session_id;
        let hash = hash.or_else(|| inner.by_id.get(&id).and_then(|e| e.hash));
        if let Some(hash) = hash {
            inner.by_hash.insert(hash, id);
        }
        inner.by_id.insert(id, Entry { record: record.clone(), hash });
    }

    /// Forgets what the writer's last batch changed (called after its commit, before its
    /// completions). A batch that changed nothing of it changes nothing here. A renamed user's
    /// sessions (renames are rare and budgeted) are looked for among every session remembered.
    pub fn forget(&self, changed: &[Changed]) {
        if changed.is_empty() {
            return;
        }
        let mut inner = self.lock();
        inner.epoch += 1;
        let users: Vec<i64> = changed
            .iter()
            .filter_map(|c| match c {
                Changed::User(user) => Some(*user),
                Changed::Session(_) => None,
            })
            .collect();
        for change in changed {
            if let Changed::Session(id) = change {
                inner.remove(*id);
            }
        }
        if !users.is_empty() {
            let gone: Vec<i64> = inner
                .by_id
                .iter()
                .filter(|(_, e)| users.contains(&e.record.user.id))
                .map(|(id, _)| *id)
                .collect();
            for id in gone {
                inner.remove(id);
            }
        }
    }

    /// How many sessions are remembered.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }
}

/// Renames as rows the update hook sees: it does not say which columns an UPDATE changed, and a
/// status or role change must not make the writer look through every session remembered. A
/// temporary trigger on the writer's connection inserts the renamed user's id into a temporary
/// table (and empties it again at once).
pub const RENAMES: &str = "
    CREATE TEMP TABLE IF NOT EXISTS renamed_users (id INTEGER PRIMARY KEY);
    CREATE TEMP TRIGGER IF NOT EXISTS note_rename AFTER UPDATE OF display_name ON main.users
    WHEN old.display_name IS NOT new.display_name
    BEGIN
        INSERT INTO renamed_users (id) VALUES (new.id);
        DELETE FROM renamed_users;
    END;";

/// What SQLite's update hook reports, as the changes the cache cares about: a deleted session, a
/// renamed (see [`RENAMES`]) or deleted user.
pub fn changed(action: rusqlite::hooks::Action, table: &str, rowid: i64) -> Option<Changed> {
    use rusqlite::hooks::Action;
    match (table, action) {
        ("sessions", Action::SQLITE_DELETE) => Some(Changed::Session(rowid)),
        ("renamed_users", Action::SQLITE_INSERT) | ("users", Action::SQLITE_DELETE) => {
            Some(Changed::User(rowid))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use hubbub_protocol::UserInfo;

    use super::*;

    fn h(i: i64) -> SecretHash {
        let mut hash = [0; 32];
        hash[..8].copy_from_slice(&i.to_le_bytes());
        hash
    }

    fn record(session: i64, user: i64) -> SessionRecord {
        SessionRecord { session_id: session, user: UserInfo { id: user, display_name: format!("u{user}") } }
    }

    #[test]
    fn an_ended_session_or_a_changed_user_is_forgotten() {
        let cache = SessionCache::default();
        let e = cache.epoch();
        cache.remember(e, &record(1, 10), Some(h(1)));
        cache.remember(e, &record(2, 10), Some(h(2)));
        cache.remember(e, &record(3, 11), None);
        assert_eq!(cache.by_hash(&h(1)).map(|r| r.session_id), Some(1));
        assert_eq!(cache.by_id(3).map(|r| r.user.id), Some(11));
        cache.forget(&[Changed::Session(1)]);
        assert!(cache.by_hash(&h(1)).is_none() && cache.by_id(1).is_none());
        assert!(cache.by_hash(&h(2)).is_some());
        cache.forget(&[Changed::User(10), Changed::User(99)]);
        assert!(cache.by_hash(&h(2)).is_none());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_lookup_that_started_before_a_forget_keeps_nothing() {
        let cache = SessionCache::default();
        let before = cache.epoch();
        cache.forget(&[Changed::Session(1)]);
        cache.remember(before, &record(1, 10), Some(h(1)));
        assert!(cache.by_hash(&h(1)).is_none(), "read before the session ended: not kept");
        cache.remember(cache.epoch(), &record(1, 10), Some(h(1)));
        assert!(cache.by_hash(&h(1)).is_some());
        // A lookup by id keeps the hash a lookup by secret found.
        cache.remember(cache.epoch(), &record(1, 10), None);
        assert!(cache.by_hash(&h(1)).is_some());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = SessionCache::default();
        for i in 0..=i64::try_from(SESSION_CACHE_MAX).unwrap() {
            cache.remember(cache.epoch(), &record(i, i), Some(h(i)));
        }
        assert!(cache.len() <= SESSION_CACHE_MAX);
        assert!(cache.by_id(i64::try_from(SESSION_CACHE_MAX).unwrap()).is_some(), "the newest is kept");
    }
}
