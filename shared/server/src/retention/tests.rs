use std::sync::Arc;

use super::*;
use crate::config::Config;
use crate::store::{Store, StoreOptions, index_new_messages, search};

const NOW: i64 = 1_000 * DAY_MS;

fn core_with(dir: &std::path::Path, retention: crate::config::Retention) -> Core {
    let store = Store::open(dir, &StoreOptions::default()).unwrap();
    let config = Config { data_dir: dir.to_owned(), retention, ..Config::default() };
    Core::new(config, store, Arc::default())
}

/// Two users; a message in the Lobby per day from day 1 to day 9 before NOW (each with a
/// reaction), indexed for search; sessions last used 1, 50 and 400 days ago; inbox entries read
/// 10 and 60 days ago and one unread; parties ended 5 and 90 days ago and one still running.
async fn fill(core: &Core) {
    core.store()
        .write_wait(|db| {
            let ago = |days: i64| NOW - days * DAY_MS;
            db.execute_batch(
                "INSERT INTO users (id, display_name, created_at) VALUES (1, 'Ann', 0), (2, 'Bo', 0);
                 INSERT INTO channels (name, epoch, last_offset, created_at) VALUES ('room:lobby', 'e', 9, 0)
                 ON CONFLICT (name) DO UPDATE SET last_offset = 9;",
            )?;
            for n in 1..=9i64 {
                let id = 10 - n; // the oldest message has the smallest id
                db.execute(
                    "INSERT INTO messages (id, channel, \"offset\", sender_id, client_message_id, body, created_at)
                     VALUES (?1, 'room:lobby', ?1, 1, ?2, ?3, ?4)",
                    rusqlite::params![id, format!("c{id}"), format!("word{id} hello"), ago(n)],
                )?;
                db.execute(
                    "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?1, '👍', 2, ?2)",
                    rusqlite::params![id, ago(n)],
                )?;
            }
            index_new_messages(db)?;
            for (id, days) in [(1, 1), (2, 50), (3, 400)] {
                db.execute(
                    "INSERT INTO sessions (id, user_id, secret_hash, created_at, last_seen_at) VALUES (?1, 1, ?2, 0, ?3)",
                    rusqlite::params![id, vec![id as u8], ago(days)],
                )?;
            }
            for (id, read) in [(1, Some(10)), (2, Some(60)), (3, None)] {
                db.execute(
                    "INSERT INTO notifications (id, user_id, kind, text, created_at, read_at) VALUES (?1, 1, 'ping', 'hi', 0, ?2)",
                    rusqlite::params![id, read.map(ago)],
                )?;
            }
            for (code, finished, days) in [("AAAA", 1, 5), ("BBBB", 1, 90), ("CCCC", 0, 90)] {
                db.execute(
                    "INSERT INTO parties (code, state, finished, created_at, updated_at) VALUES (?1, '{}', ?2, 0, ?3)",
                    rusqlite::params![code, finished, ago(days)],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

async fn count(core: &Core, sql: &'static str) -> i64 {
    core.store().read(move |c| Ok(c.query_row(sql, [], |r| r.get(0))?)).await.unwrap()
}

/// The keys of `table`'s rows (`column`), in order, comma-separated.
async fn keys(core: &Core, column: &'static str, table: &'static str) -> String {
    let sql = format!("SELECT group_concat({column}) FROM (SELECT {column} FROM {table} ORDER BY {column})");
    core.store().read(move |c| Ok(c.query_row(&sql, [], |r| r.get(0))?)).await.unwrap()
}

#[tokio::test]
async fn the_defaults_keep_messages_and_drop_old_sessions_read_notifications_and_parties() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with(dir.path(), crate::config::Retention::default());
    fill(&core).await;
    let retention = Retention::new(core.clone());
    let swept = retention.sweep(NOW).await.unwrap();
    assert_eq!(swept, Swept { messages: 0, sessions: 1, notifications: 1, parties: 1 });
    assert_eq!(count(&core, "SELECT count(*) FROM messages").await, 9, "messages are kept unless told");
    let sessions = keys(&core, "id", "sessions").await;
    assert_eq!(sessions, "1,2", "only the session unused for 400 days goes (the default is 180)");
    let notes = keys(&core, "id", "notifications").await;
    assert_eq!(notes, "1,3", "read 60 days ago goes; read 10 days ago and unread stay");
    let parties = keys(&core, "code", "parties").await;
    assert_eq!(parties, "AAAA,CCCC", "a running party stays whatever its age");
    assert_eq!(retention.sweep(NOW).await.unwrap(), Swept::default(), "a second sweep finds nothing");
}

#[tokio::test]
async fn old_messages_go_in_small_steps_with_their_reactions_and_search_entries() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::config::Retention { messages_days: 4, idle_sessions_days: 30, ..Default::default() };
    let core = core_with(dir.path(), r);
    fill(&core).await;
    // Session 2 (50 days unused) opens a socket before the sweep: it stays.
    let retention = Retention::new(core.clone()).with_batch(2);
    retention.session_used(2);
    let swept = retention.sweep(NOW).await.unwrap();
    assert_eq!(swept.messages, 5, "the messages from 5 to 9 days ago");
    assert_eq!(swept.sessions, 1, "only session 3");
    assert_eq!(count(&core, "SELECT count(*) FROM messages").await, 4);
    assert_eq!(count(&core, "SELECT min(created_at) FROM messages").await, NOW - 4 * DAY_MS);
    assert_eq!(count(&core, "SELECT count(*) FROM reactions").await, 4);
    assert_eq!(count(&core, "SELECT count(*) FROM sessions").await, 2);
    let found = |word: &'static str| {
        core.store().read(move |c| Ok(search(c, word, &["room:lobby".to_owned()], 20)?.len()))
    };
    assert_eq!(found("word9").await.unwrap(), 1, "a kept message is still found");
    assert_eq!(found("word1").await.unwrap(), 0, "a deleted one is gone from the index");
    assert_eq!(found("hello").await.unwrap(), 4);
    let check: String =
        core.store().read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)).await.unwrap();
    assert_eq!(check, "ok");
}
