//! `hubbub export`: the hub's data as files an operator can keep, read or load elsewhere, from one
//! snapshot of the database (taken beside a running hub, which it never blocks).
//!
//! One function per kind, each writing under the output directory: [`rooms`] writes `rooms.json`
//! (every persisted room, the Lobby first) and `rooms/<slug>.json` (the room and all its messages,
//! in order, deleted ones with their `deleted_at`). Direct conversations are private and not
//! exported. [`parties`] writes each finished game's results as `parties/<CODE>-<started_at>.csv`
//! (players by questions: answer, time, points; the same CSV the host downloads) and `.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::store::{ExportSource, ExportedRoom};

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Summary {
    pub rooms: usize,
    pub messages: usize,
    pub games: usize,
    pub files: Vec<PathBuf>,
}

/// Exports every kind from `data_dir` into `out` (created if missing).
pub fn run(data_dir: &Path, out: &Path) -> anyhow::Result<Summary> {
    let source =
        ExportSource::open(data_dir).with_context(|| format!("cannot read {}", data_dir.display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut summary = Summary::default();
    rooms(&source, out, &mut summary)?;
    parties(&source, out, &mut summary)?;
    Ok(summary)
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::new(File::create(path).with_context(|| format!("cannot write {}", path.display()))?))
}

/// A slug as a file name: only the characters slugs are made of; anything else becomes `_`.
fn file_name(slug: &str) -> String {
    slug.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `rooms.json` and one `rooms/<slug>.json` per room, written a page of messages at a time.
pub fn rooms(source: &ExportSource, out: &Path, summary: &mut Summary) -> anyhow::Result<()> {
    let list = source.rooms()?;
    let index = out.join("rooms.json");
    let mut w = create(&index)?;
    serde_json::to_writer_pretty(&mut w, &list)?;
    w.flush()?;
    summary.files.push(index);
    let dir = out.join("rooms");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for room in &list {
        let path = dir.join(format!("{}.json", file_name(&room.slug)));
        summary.messages += room_file(source, room, &path)?;
        summary.files.push(path);
    }
    summary.rooms += list.len();
    Ok(())
}

/// `{"room": {...}, "messages": [...]}` for one room; returns how many messages it holds.
fn room_file(source: &ExportSource, room: &ExportedRoom, path: &Path) -> anyhow::Result<usize> {
    #[derive(Serialize)]
    struct Head<'a> {
        room: &'a ExportedRoom,
    }
    let mut w = create(path)?;
    let head = serde_json::to_string(&Head { room })?;
    // The head without its closing brace, then the messages array streamed after it.
    write!(w, "{},\"messages\":[", head.strip_suffix('}').unwrap_or(&head))?;
    let mut count = 0;
    let mut failed = None;
    source.messages(&format!("room:{}", room.slug), |page| {
        for message in page {
            let written = (if count > 0 { w.write_all(b",\n") } else { w.write_all(b"\n") })
                .map_err(anyhow::Error::from)
                .and_then(|()| serde_json::to_writer(&mut w, &message).map_err(anyhow::Error::from));
            if let Err(e) = written {
                failed.get_or_insert(e);
            }
            count += 1;
        }
    })?;
    if let Some(e) = failed {
        return Err(e.context(format!("cannot write {}", path.display())));
    }
    w.write_all(b"\n]}\n")?;
    w.flush()?;
    Ok(count)
}

/// `parties/<CODE>-<started_at>.csv` and `.json` for each finished game, from its stored results.
pub fn parties(source: &ExportSource, out: &Path, summary: &mut Summary) -> anyhow::Result<()> {
    let games = crate::party::results::stored_results_in(source.connection(), None)?;
    let dir = out.join("parties");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for game in games.iter().filter(|g| g.finished_at.is_some()) {
        let stem = format!("{}-{}", file_name(&game.code), game.started_at);
        let csv = dir.join(format!("{stem}.csv"));
        std::fs::write(&csv, crate::party::results::to_csv(game))
            .with_context(|| format!("cannot write {}", csv.display()))?;
        let json = dir.join(format!("{stem}.json"));
        let mut w = create(&json)?;
        serde_json::to_writer_pretty(&mut w, game)?;
        w.flush()?;
        summary.files.extend([csv, json]);
        summary.games += 1;
    }
    Ok(())
}
