//! The files service with the rest of the hub's deleting: the retention sweep and the expiry of
//! uploads never attached free the bytes no row refers to any more, and only those.

use std::sync::Arc;

use super::*;
use crate::config::Config;
use crate::retention::Retention;
use crate::store::{Store, StoreOptions};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[tokio::test]
async fn old_messages_and_unattached_uploads_take_their_bytes_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &StoreOptions::default()).unwrap();
    let retention = crate::config::Retention { messages_days: 4, ..Default::default() };
    let config = Config { data_dir: dir.path().to_owned(), retention, ..Config::default() };
    let core = Core::new(config, store, Arc::default());
    let files = Files::open(core.clone()).unwrap();
    let now = now_ms();
    let shas = ["a".repeat(64), "b".repeat(64), "c".repeat(64)];
    let rows = shas.clone();
    core.store()
        .write_wait(move |db| {
            db.execute_batch(
                "INSERT INTO users (id, display_name, created_at) VALUES (1, 'Ann', 0);
                 INSERT INTO channels (name, epoch, last_offset, created_at) VALUES ('room:lobby', 'e', 2, 0)
                 ON CONFLICT (name) DO UPDATE SET last_offset = 2;",
            )?;
            // Message 1 is 9 days old (past retention), message 2 a day old.
            for (id, age) in [(1, 9 * DAY_MS), (2, DAY_MS)] {
                db.execute(
                    "INSERT INTO messages (id, channel, \"offset\", sender_id, client_message_id, body, created_at)
                     VALUES (?1, 'room:lobby', ?1, 1, ?1, 'x', ?2)",
                    rusqlite::params![id, now - age],
                )?;
            }
            // A file on each, and one never attached, uploaded two hours ago.
            for (sha, message, age) in [(&rows[0], Some(1), DAY_MS), (&rows[1], Some(2), DAY_MS), (&rows[2], None, 2 * 3_600_000)] {
                let new = NewFile {
                    channel: "room:lobby".into(),
                    uploader: 1,
                    name: "f".into(),
                    content_type: "application/octet-stream".into(),
                    size: 1,
                    sha256: sha.clone(),
                    inline: false,
                    width: None,
                    height: None,
                    thumbnail: false,
                    created_at: now - age,
                };
                let id = insert_file(db, &new)?;
                if let Some(m) = message {
                    crate::store::attach_files(db, m, &[id])?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    let area = files.inner.layout.disk.clone();
    for sha in &shas {
        std::fs::write(area.blob(sha), b"x").unwrap();
    }

    Retention::new(core.clone()).sweep(now).await.unwrap();
    files.sweep(true).await.unwrap();
    let kept: Vec<bool> = shas.iter().map(|sha| area.blob(sha).exists()).collect();
    assert_eq!(
        kept,
        [false, true, false],
        "the old message's file and the unattached one go; the other stays"
    );
}
