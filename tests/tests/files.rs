//! Files and photos in chat against the real hub: uploads streamed to disk and back, thumbnails,
//! safe downloads, access, size, quota and disk refusals, broken-off uploads, memory that stays
//! bounded for a file far larger than any buffer, and files that go with their last message or
//! their ephemeral room.

use std::path::Path;
use std::time::Duration;

use hubbub_protocol::{Attachment, ClientFrame, CreateRoomRequest, ErrorCode, Room, RoomKind, ServerFrame};
use hubbub_tests::{Connection, HubClient, Session, TestHub, WAIT, error_code, join_and_connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A photo of `w` x `h` pixels as PNG bytes.
fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
    out.into_inner()
}

/// Bytes that look like nothing in particular, different for each seed.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `s` as a query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Uploads `bytes` as `name` to `channel`; the status and the JSON answer.
async fn upload(
    hub: &TestHub,
    who: &Session,
    channel: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/channels/{channel}/files?name={}", hub.url, encode(name)))
        .bearer_auth(&who.secret)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("a JSON answer"))
}

async fn uploaded(
    hub: &TestHub,
    who: &Session,
    channel: &str,
    name: &str,
    ty: &str,
    bytes: Vec<u8>,
) -> Attachment {
    let (status, body) = upload(hub, who, channel, name, ty, bytes).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).expect("an attachment")
}

async fn get(hub: &TestHub, who: &Session, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", hub.url))
        .bearer_auth(&who.secret)
        .send()
        .await
        .expect("get")
}

fn file_path(f: &Attachment) -> String {
    format!("/api/channels/{}/files/{}", f.channel, f.id)
}

fn send(channel: &str, r: &str, body: &str, files: &[i64]) -> ClientFrame {
    ClientFrame::SendMessage {
        r#ref: Some(r.into()),
        channel: channel.into(),
        client_message_id: r.into(),
        body: body.into(),
        attachments: Some(files.to_vec()),
        reply_to: None,
    }
}

/// Sends a message and returns it as the hub fanned it out (the sender is subscribed).
async fn post(
    conn: &mut Connection,
    channel: &str,
    r: &str,
    body: &str,
    files: &[i64],
) -> hubbub_protocol::ChatMessage {
    conn.send(&send(channel, r, body, files)).await.unwrap();
    match conn
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.client_message_id == r))
        .await
        .expect("the message")
    {
        ServerFrame::Message(m) => m,
        _ => unreachable!(),
    }
}

async fn delete(conn: &mut Connection, channel: &str, r: &str, message_id: i64) {
    let frame = ClientFrame::DeleteMessage { r#ref: Some(r.into()), channel: channel.into(), message_id };
    conn.send(&frame).await.unwrap();
    conn.recv_until(WAIT, |f| matches!(f, ServerFrame::Ack { r#ref, .. } if r#ref == r)).await.expect("ack");
}

/// The names in a directory (none when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().filter_map(|e| e.file_name().into_string().ok()).collect())
        .unwrap_or_default()
}

/// Waits until `check` holds (the sweep runs every few seconds), failing after a generous while.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_photo_goes_up_and_comes_back_whole_with_a_thumbnail_and_safe_headers() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (bo, mut b) = join_and_connect(&client, "Bo").await;

    // The client claims HTML; the bytes say PNG, and the bytes win.
    let photo = png(1600, 900, 1);
    let file = uploaded(&hub, &ann, "room:lobby", "../holiday.png", "text/html", photo.clone()).await;
    assert_eq!(
        (file.name.as_str(), file.content_type.as_str(), file.inline, file.thumbnail),
        ("holiday.png", "image/png", true, true)
    );
    assert_eq!((file.width, file.height, file.size), (Some(1600), Some(900), photo.len() as i64));

    // Unattached, it is its uploader's alone.
    assert_eq!(get(&hub, &bo, &file_path(&file)).await.status().as_u16(), 404);
    assert_eq!(get(&hub, &ann, &file_path(&file)).await.status().as_u16(), 200);

    // A message of only a photo reaches the room with it.
    let sent = post(&mut a, "room:lobby", "p1", "", &[file.id]).await;
    assert_eq!(sent.attachments.as_deref(), Some(std::slice::from_ref(&file)));
    let seen = match b
        .recv_until(WAIT, |f| matches!(f, ServerFrame::Message(m) if m.client_message_id == "p1"))
        .await
        .unwrap()
    {
        ServerFrame::Message(m) => m,
        _ => unreachable!(),
    };
    assert_eq!(seen.attachments, sent.attachments);

    // Bo downloads the original: the same bytes, its type, inline, and every safety header.
    let resp = get(&hub, &bo, &file_path(&file)).await;
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline; filename=\"holiday.png\""));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert!(h.get("content-encoding").is_none(), "file bytes are sent as they are");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), photo.as_slice());

    // A download button asks for an attachment.
    let resp = get(&hub, &bo, &format!("{}?download=true", file_path(&file))).await;
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));

    // A range, for a download that resumes.
    let resp = reqwest::Client::new()
        .get(format!("{}{}", hub.url, file_path(&file)))
        .bearer_auth(&bo.secret)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &photo[10..20]);

    // The thumbnail is a small JPEG of the same shape.
    let resp = get(&hub, &bo, &format!("{}/thumbnail", file_path(&file))).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&resp.bytes().await.unwrap()).expect("a JPEG");
    assert_eq!((thumb.width(), thumb.height()), (480, 270));

    // History carries the attachment too.
    let page: hubbub_protocol::MessagesResponse =
        client.get_json(&bo, "/api/channels/room:lobby/messages").await.unwrap();
    let m = page.messages.iter().find(|m| m.client_message_id == "p1").expect("in history");
    assert_eq!(m.attachments, sent.attachments);

    // The same bytes again are stored once.
    let again = uploaded(&hub, &bo, "room:lobby", "copy.png", "image/png", photo.clone()).await;
    assert_ne!(again.id, file.id);
    assert_eq!(entries(&hub.data_dir.join("files/blobs")).len(), 1, "content-addressed");

    // `/metrics` counts both uploads and their bytes.
    let metrics = reqwest::get(format!("{}/metrics", hub.url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hubbub_uploads_total 2\n"), "{metrics}");
    assert!(metrics.contains(&format!("hubbub_upload_bytes_total {}\n", 2 * photo.len())), "{metrics}");
}

#[tokio::test]
async fn what_a_browser_would_run_is_only_ever_an_attachment() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let html = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let mut ids = Vec::new();
    for (name, ty, bytes) in [
        ("x.svg", "image/svg+xml", svg),
        ("x.html", "text/html", html),
        ("fake.png", "image/png", b"<html>".to_vec()),
    ] {
        let f = uploaded(&hub, &ann, "room:lobby", name, ty, bytes.clone()).await;
        assert!(!f.inline && !f.thumbnail, "{name}: {f:?}");
        ids.push(f.id);
        let resp = get(&hub, &ann, &file_path(&f)).await;
        let h = resp.headers();
        assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment;"), "{name}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-security-policy"].to_str().unwrap().contains("sandbox"));
        assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice(), "{name}");
    }
    let m = post(&mut a, "room:lobby", "three", "three files", &ids).await;
    assert_eq!(m.attachments.map(|l| l.len()), Some(3));

    // `hubbub export` lists a message's files with it.
    drop(a);
    let mut hub = hub;
    assert!(hub.terminate(), "clean shutdown");
    let out = tempfile::tempdir().unwrap();
    let exported = std::process::Command::new(hubbub_tests::hub_binary())
        .args(["export", "--data-dir"])
        .arg(&hub.data_dir)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let lobby: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("rooms/lobby.json")).unwrap()).unwrap();
    let sent = lobby["messages"].as_array().unwrap().iter().find(|m| m["body"] == "three files").unwrap();
    let names: Vec<&str> =
        sent["attachments"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["x.svg", "x.html", "fake.png"]);
}

#[tokio::test]
async fn only_readers_of_the_channel_fetch_a_file_and_attachments_must_be_your_own() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let (cy, mut c) = join_and_connect(&client, "Cy").await;
    let req = CreateRoomRequest { name: "Secret".into(), topic: None, kind: RoomKind::Closed };
    let room: Room = client.post_json(&ann, "/api/rooms", &req).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == room.channel))
        .await
        .unwrap();
    let file = uploaded(&hub, &ann, &room.channel, "plan.txt", "text/plain", b"the plan".to_vec()).await;
    post(&mut a, &room.channel, "m1", "here", &[file.id]).await;

    let resp = get(&hub, &cy, &file_path(&file)).await;
    assert_eq!(resp.status().as_u16(), 403, "not a member");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "forbidden");
    assert_eq!(get(&hub, &cy, &format!("{}/thumbnail", file_path(&file))).await.status().as_u16(), 403);
    let (status, body) = upload(&hub, &cy, &room.channel, "x.txt", "text/plain", b"x".to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "no uploads where you cannot write"
    );
    assert_eq!(
        get(&hub, &ann, &format!("/api/channels/{}/files/999", room.channel)).await.status().as_u16(),
        404
    );
    assert_eq!(
        get(&hub, &ann, &format!("/api/channels/{}/files/abc", room.channel)).await.status().as_u16(),
        404
    );
    let other = format!("/api/channels/room:lobby/files/{}", file.id);
    assert_eq!(get(&hub, &ann, &other).await.status().as_u16(), 404, "a file belongs to its channel");
    let anon = reqwest::get(format!("{}{}", hub.url, file_path(&file))).await.unwrap();
    assert_eq!(anon.status().as_u16(), 401);

    // Cy cannot attach Ann's file, nor an upload to another channel, nor one already sent.
    let mine = uploaded(&hub, &cy, "room:lobby", "mine.txt", "text/plain", b"mine".to_vec()).await;
    c.send(&send("room:lobby", "steal", "", &[file.id])).await.unwrap();
    assert_eq!(error_code(&mut c, "steal").await, ErrorCode::NoSuchFile);
    post(&mut c, "room:lobby", "ok", "", &[mine.id]).await;
    c.send(&send("room:lobby", "twice", "again", &[mine.id])).await.unwrap();
    assert_eq!(error_code(&mut c, "twice").await, ErrorCode::NoSuchFile);

    // A conversation's files are its two participants' alone, and only once it is accepted.
    let (dee, _d) = join_and_connect(&client, "Dee").await;
    let thread: hubbub_protocol::DmThread = client
        .post_json(&ann, "/api/dms", &hubbub_protocol::StartDmRequest { user_id: cy.user.id })
        .await
        .unwrap();
    let (status, body) = upload(&hub, &ann, &thread.channel, "early.txt", "text/plain", b"e".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("dm_not_accepted")), "{body}");
    let _: hubbub_protocol::DmThread =
        client.post_json(&cy, &format!("/api/dms/{}/accept", thread.id), &()).await.unwrap();
    let private =
        uploaded(&hub, &ann, &thread.channel, "private.txt", "text/plain", b"just us".to_vec()).await;
    a.recv_until(
        WAIT,
        |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == thread.channel),
    )
    .await
    .unwrap();
    post(&mut a, &thread.channel, "dm1", "for you", &[private.id]).await;
    assert_eq!(get(&hub, &cy, &file_path(&private)).await.bytes().await.unwrap().as_ref(), b"just us");
    assert_eq!(get(&hub, &dee, &file_path(&private)).await.status().as_u16(), 403);

    // A cookie upload from another site's page is refused before its body is read.
    let resp = reqwest::Client::new()
        .post(format!("{}/api/channels/room:lobby/files?name=x.txt", hub.url))
        .header("cookie", format!("hubbub_session={}", cy.secret))
        .header("origin", "http://evil.example")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
}

#[tokio::test]
async fn size_quota_and_disk_refusals_have_their_codes_and_leave_nothing() {
    let hub = TestHub::start(&["--file-max-mb", "1", "--file-quota-mb", "2"]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    const MIB: usize = 1024 * 1024;

    let (status, body) =
        upload(&hub, &ann, "room:lobby", "big.bin", "application/zip", noise(MIB + 1, 1)).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("file_too_large")), "{body}");

    // Without a Content-Length, the hub counts as the bytes come and stops at the cap.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..3).map(|i| Ok(noise(MIB / 2, 10 + i))).collect();
    let (status, code) = raw_upload_chunked(&hub, &ann, chunks).await;
    assert_eq!((status, code.as_deref()), (413, Some("file_too_large")));

    uploaded(&hub, &ann, "room:lobby", "one.bin", "application/octet-stream", noise(MIB, 2)).await;
    uploaded(&hub, &ann, "room:lobby", "two.bin", "application/octet-stream", noise(MIB - 10, 3)).await;
    let (status, body) =
        upload(&hub, &ann, "room:lobby", "three.bin", "application/octet-stream", noise(100, 4)).await;
    assert_eq!((status, body["code"].as_str()), (507, Some("quota_exceeded")), "{body}");
    assert_eq!(entries(&hub.data_dir.join("files/blobs")).len(), 2);
    eventually("no partial upload is left", || entries(&hub.data_dir.join("files/tmp")).is_empty()).await;

    // A hub that must keep more free than any disk has takes nothing.
    let full = TestHub::start(&["--file-min-free-mb", "1000000000"]);
    let (bo, _b) = join_and_connect(&full.client(), "Bo").await;
    let (status, body) = upload(&full, &bo, "room:lobby", "a.txt", "text/plain", b"a".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (507, Some("storage_full")), "{body}");
}

/// An upload with a chunked body (no `Content-Length`): the status and error code.
async fn raw_upload_chunked(
    hub: &TestHub,
    who: &Session,
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> (u16, Option<String>) {
    let mut s = connect(hub).await;
    let head = format!(
        "POST /api/channels/room:lobby/files?name=c.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        who.secret
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for chunk in chunks.into_iter().flatten() {
        let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
        if s.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    read_answer(&mut s).await
}

async fn connect(hub: &TestHub) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(hub.url.trim_start_matches("http://")).await.expect("connect")
}

/// Reads an HTTP answer's status and its JSON error code, if any.
async fn read_answer(s: &mut tokio::net::TcpStream) -> (u16, Option<String>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(WAIT, s.read(&mut chunk)).await.expect("an answer").unwrap_or(0);
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if n == 0 || (text.contains("\r\n\r\n") && text.contains('}')) {
            let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let code = text.split("\"code\":\"").nth(1).and_then(|r| r.split('"').next()).map(str::to_owned);
            return (status, code);
        }
    }
}

#[tokio::test]
async fn an_upload_broken_off_leaves_nothing_servable_and_nothing_counted() {
    let hub = TestHub::start(&["--file-max-mb", "4", "--file-quota-mb", "4"]);
    let client = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    const MIB: usize = 1024 * 1024;
    let whole = noise(4 * MIB, 7);
    {
        // Wi-Fi drops after the first MiB of four.
        let mut s = connect(&hub).await;
        let head = format!(
            "POST /api/channels/room:lobby/files?name=clip.mp4 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: video/mp4\r\nContent-Length: {}\r\n\r\n",
            ann.secret,
            whole.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&whole[..MIB]).await.unwrap();
        s.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eventually("the partial upload is removed", || entries(&hub.data_dir.join("files/tmp")).is_empty()).await;
    assert!(entries(&hub.data_dir.join("files/blobs")).is_empty(), "nothing was put in place");
    assert_eq!(get(&hub, &ann, "/api/channels/room:lobby/files/1").await.status().as_u16(), 404);
    // Starting again works, and the whole quota is still there: the broken upload counted nothing.
    let f = uploaded(&hub, &ann, "room:lobby", "clip.mp4", "video/mp4", whole.clone()).await;
    assert_eq!(f.size, whole.len() as i64);
    assert_eq!(get(&hub, &ann, &file_path(&f)).await.bytes().await.unwrap().len(), whole.len());
}

/// The hub process's peak resident memory, from `/proc`.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the hub's /proc status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number")
}

#[tokio::test]
async fn a_file_far_larger_than_any_buffer_streams_through_in_bounded_memory() {
    let mut hub = TestHub::start_process(&["--file-max-mb", "512", "--file-quota-mb", "0"]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let pid = hub.pid().expect("a process");
    const MIB: usize = 1024 * 1024;
    const SIZE: usize = 256 * MIB;
    let before = peak_rss_kib(pid);

    let mut s = connect(&hub).await;
    let head = format!(
        "POST /api/channels/room:lobby/files?name=backup.tar HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/x-tar\r\nContent-Length: {SIZE}\r\n\r\n",
        ann.secret
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let block = noise(MIB, 9);
    for i in 0..SIZE / MIB {
        let mut b = block.clone();
        b[..8].copy_from_slice(&(i as u64).to_le_bytes());
        s.write_all(&b).await.unwrap();
    }
    let (status, _) = read_answer(&mut s).await;
    assert_eq!(status, 201);
    let after_upload = peak_rss_kib(pid);

    let page: hubbub_protocol::MessagesResponse =
        client.get_json(&ann, "/api/channels/room:lobby/messages").await.unwrap();
    assert!(page.messages.is_empty());
    let blobs = entries(&hub.data_dir.join("files/blobs"));
    assert_eq!(blobs.len(), 1);
    let id = 1;
    post(&mut a, "room:lobby", "big", "the backup", &[id]).await;
    let mut resp = get(&hub, &ann, &format!("/api/channels/room:lobby/files/{id}")).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut got = 0usize;
    while let Some(chunk) = resp.chunk().await.unwrap() {
        got += chunk.len();
    }
    assert_eq!(got, SIZE);
    let after_download = peak_rss_kib(pid);
    let grew = after_download.saturating_sub(before) / 1024;
    eprintln!(
        "peak resident memory: {} MiB before, {} MiB after a 256 MiB upload, {} MiB after its download",
        before / 1024,
        after_upload / 1024,
        after_download / 1024
    );
    assert!(grew < 64, "the hub's peak memory grew {grew} MiB moving a 256 MiB file");
    hub.terminate();
}

#[tokio::test]
async fn a_file_goes_when_its_last_message_does() {
    let hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let bytes = noise(50_000, 5);
    let first = uploaded(&hub, &ann, "room:lobby", "a.bin", "application/octet-stream", bytes.clone()).await;
    let second = uploaded(&hub, &ann, "room:lobby", "b.bin", "application/octet-stream", bytes.clone()).await;
    let m1 = post(&mut a, "room:lobby", "m1", "one", &[first.id]).await;
    let m2 = post(&mut a, "room:lobby", "m2", "two", &[second.id]).await;
    let blobs = hub.data_dir.join("files/blobs");
    assert_eq!(entries(&blobs).len(), 1);

    delete(&mut a, "room:lobby", "d1", m1.id).await;
    assert_eq!(get(&hub, &ann, &file_path(&first)).await.status().as_u16(), 404, "its message is gone");
    assert_eq!(get(&hub, &ann, &file_path(&second)).await.bytes().await.unwrap().as_ref(), bytes.as_slice());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(entries(&blobs).len(), 1, "another message still holds the same bytes");

    delete(&mut a, "room:lobby", "d2", m2.id).await;
    eventually("the bytes are unlinked", || entries(&blobs).is_empty()).await;
    assert_eq!(get(&hub, &ann, &file_path(&second)).await.status().as_u16(), 404);
}

#[tokio::test]
async fn an_ephemeral_rooms_files_stay_out_of_the_database_and_go_with_the_room() {
    let mut hub = TestHub::start(&[]);
    let client = hub.client();
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    let req = CreateRoomRequest { name: "Pop-up".into(), topic: None, kind: RoomKind::Ephemeral };
    let room: Room = client.post_json(&ann, "/api/rooms", &req).await.unwrap();
    a.recv_until(WAIT, |f| matches!(f, ServerFrame::Subscribed { channel, .. } if *channel == room.channel))
        .await
        .unwrap();
    let photo = png(300, 200, 3);
    let file = uploaded(&hub, &ann, &room.channel, "p.png", "image/png", photo.clone()).await;
    post(&mut a, &room.channel, "e1", "", &[file.id]).await;
    assert_eq!(get(&hub, &ann, &file_path(&file)).await.bytes().await.unwrap().as_ref(), photo.as_slice());
    let ephemeral = hub.data_dir.join("files/ephemeral/blobs");
    assert_eq!(entries(&ephemeral).len(), 1);
    assert!(entries(&hub.data_dir.join("files/blobs")).is_empty(), "not beside the stored rooms' files");

    // A deleted message's file goes here too.
    let gone =
        uploaded(&hub, &ann, &room.channel, "gone.bin", "application/octet-stream", noise(1000, 8)).await;
    let m = post(&mut a, &room.channel, "e2", "", &[gone.id]).await;
    assert_eq!(entries(&ephemeral).len(), 2);
    delete(&mut a, &room.channel, "d2", m.id).await;
    eventually("the deleted message's file is unlinked", || entries(&ephemeral).len() == 1).await;
    assert_eq!(get(&hub, &ann, &file_path(&gone)).await.status().as_u16(), 404);
    drop(a);

    // The room lives while the hub runs; so do its files.
    assert!(hub.terminate(), "a graceful stop");
    hub.restart();
    let db = rusqlite::Connection::open(hub.data_dir.join("hubbub.db")).unwrap();
    let rows: i64 = db.query_row("SELECT count(*) FROM files", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0, "nothing of an ephemeral room's files is in the database");
    assert!(entries(&ephemeral).is_empty(), "the room ended with the hub, and its files with it");
    assert!(entries(&hub.data_dir.join("files/ephemeral/thumbs")).is_empty());
}

/// Starts an upload of 1000 bytes that sends its head and 10 bytes, then waits.
async fn hanging_upload(hub: &TestHub, who: &Session, name: &str) -> tokio::net::TcpStream {
    let mut s = connect(hub).await;
    let head = format!(
        "POST /api/channels/room:lobby/files?name={name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n",
        who.secret
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[0u8; 10]).await.unwrap();
    s
}

#[tokio::test]
async fn uploads_in_flight_are_bounded_per_user() {
    let hub = TestHub::start(&["--upload-concurrent", "1"]);
    let client: HubClient = hub.client();
    let (ann, _a) = join_and_connect(&client, "Ann").await;
    // Two uploads hang mid-body: whichever took the one slot waits for its bytes, the other is
    // refused at once.
    let mut first = hanging_upload(&hub, &ann, "one.bin").await;
    let mut second = hanging_upload(&hub, &ann, "two.bin").await;
    let (refused, mut open) = tokio::select! {
        answer = read_answer(&mut first) => (answer, second),
        answer = read_answer(&mut second) => (answer, first),
    };
    assert_eq!(refused, (429, Some("rate_limited".to_owned())), "a second upload in flight is refused");
    open.write_all(&[0u8; 990]).await.unwrap();
    assert_eq!(read_answer(&mut open).await.0, 201, "the one in flight completes");
    let (status, _) = upload(&hub, &ann, "room:lobby", "c.txt", "text/plain", b"c".to_vec()).await;
    assert_eq!(status, 201, "the slot came back");
}

#[tokio::test]
async fn a_party_rooms_files_go_when_the_party_ends_and_expires() {
    use hubbub_protocol::{HostAction, PartyPhase};
    use hubbub_tests::party::{command, control, create, join_party, phase};
    let hub = TestHub::start(&[
        "--party-reveal-ms",
        "300",
        "--party-countdown-ms",
        "200",
        "--party-expiry-secs",
        "1",
    ]);
    let client = hub.client();
    let (host_session, mut host) = join_and_connect(&client, "Host").await;
    let party = create(&client, &host_session, 1).await;
    let code = party.code.clone();
    join_party(&mut host, &code).await;
    let (ann, mut a) = join_and_connect(&client, "Ann").await;
    join_party(&mut a, &code).await;
    command(&mut a, ClientFrame::PartyReady { r#ref: Some("ready".into()), code: code.clone(), ready: true })
        .await;

    // A photo in the party's chat, stored apart from the stored rooms' files.
    let photo = uploaded(&hub, &ann, &party.chat_channel, "team.png", "image/png", png(200, 200, 9)).await;
    post(&mut a, &party.chat_channel, "pic", "our team", &[photo.id]).await;
    let ephemeral = hub.data_dir.join("files/ephemeral");
    assert_eq!(entries(&ephemeral.join("blobs")).len(), 1);
    assert_eq!(entries(&ephemeral.join("thumbs")).len(), 1);

    // The one question is skipped; the podium ends the party, which expires a second later with its room.
    command(&mut host, ClientFrame::PartyStart { r#ref: Some("start".into()), code: code.clone() }).await;
    phase(&mut host, PartyPhase::Question, 0).await;
    command(&mut host, control(&code, "skip", HostAction::Skip)).await;
    eventually("the party room's photo and thumbnail are unlinked", || {
        entries(&ephemeral.join("blobs")).is_empty() && entries(&ephemeral.join("thumbs")).is_empty()
    })
    .await;
    assert_ne!(get(&hub, &ann, &file_path(&photo)).await.status().as_u16(), 200);
}

#[tokio::test]
async fn uploads_count_against_the_upload_budget() {
    let hub = TestHub::start(&["--upload-rate", "2"]);
    let (ann, _a) = join_and_connect(&hub.client(), "Ann").await;
    for n in 0..2 {
        let (status, _) = upload(&hub, &ann, "room:lobby", "n.txt", "text/plain", vec![b'0' + n]).await;
        assert_eq!(status, 201);
    }
    let (status, body) = upload(&hub, &ann, "room:lobby", "n.txt", "text/plain", b"3".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(body["retry_after_ms"].as_u64().is_some_and(|ms| ms > 0), "{body}");
    // Another guest has their own budget.
    let (bo, _b) = join_and_connect(&hub.client(), "Bo").await;
    assert_eq!(upload(&hub, &bo, "room:lobby", "b.txt", "text/plain", b"b".to_vec()).await.0, 201);
}
