//! What an uploaded file is: its type sniffed from its first bytes (the uploader's claim is only a
//! fallback and never makes a file inline), whether a browser may show it from the hub's origin,
//! a file name safe to store and to send back in `Content-Disposition`.

/// Types a browser only displays (never runs), recognised from the bytes: the only files served
/// inline. SVG, HTML, XML, PDF and everything else are downloads.
const INLINE: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
    "audio/mpeg",
    "audio/ogg",
    "audio/x-wav",
    "audio/x-flac",
    "audio/m4a",
    "video/mp4",
    "video/webm",
    "video/quicktime",
];

/// Images the hub decodes for a thumbnail.
const THUMBNAILED: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Longest stored file name, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

/// The bytes [`sniff`] looks at.
pub const HEAD_BYTES: usize = 8192;

/// A file's type and what the hub does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub content_type: String,
    pub inline: bool,
    pub thumbnail: bool,
}

/// The type of a file from its first bytes (`head`), else from the uploader's claim, else from
/// the name's extension.
pub fn sniff(head: &[u8], claimed: Option<&str>, name: &str) -> Kind {
    if let Some(found) = infer::get(head) {
        let t = found.mime_type();
        return Kind {
            content_type: t.to_owned(),
            inline: INLINE.contains(&t),
            thumbnail: THUMBNAILED.contains(&t),
        };
    }
    let content_type = claimed
        .and_then(media_type)
        .or_else(|| mime_guess::from_path(name).first().map(|m| m.essence_str().to_owned()))
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    Kind { content_type, inline: false, thumbnail: false }
}

/// A `type/subtype` (parameters dropped, lower case), or `None` when it is not one.
fn media_type(claimed: &str) -> Option<String> {
    let essence = claimed.split(';').next()?.trim().to_ascii_lowercase();
    let token =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    let (kind, sub) = essence.split_once('/')?;
    (essence.len() <= 100 && token(kind) && token(sub)).then_some(essence)
}

/// Characters that reorder or hide text (a name such as `photo\u{202e}gpj.exe` shows as
/// `photoexe.jpg`).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// The name to keep: its last path component, without control or reordering characters, trimmed,
/// at most [`MAX_NAME_BYTES`]; `file` when nothing is left.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !invisible(*c)).collect();
    let mut out = String::new();
    for c in cleaned.trim().chars() {
        if out.len() + c.len_utf8() > MAX_NAME_BYTES {
            break;
        }
        out.push(c);
    }
    let out = out.trim().trim_start_matches('.').to_owned();
    if out.is_empty() { "file".to_owned() } else { out }
}

/// `Content-Disposition` for `name`: `inline` or `attachment`, with an ASCII fallback name and the
/// exact one as RFC 8187 `filename*`.
pub fn disposition(name: &str, inline: bool) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let how = if inline { "inline" } else { "attachment" };
    format!("{how}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

    #[test]
    fn only_sniffed_inert_types_are_inline() {
        let png = sniff(PNG, Some("text/html"), "x.html");
        assert_eq!((png.content_type.as_str(), png.inline, png.thumbnail), ("image/png", true, true));
        let svg = sniff(
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>1</script></svg>",
            Some("image/svg+xml"),
            "a.svg",
        );
        assert!(!svg.inline, "{svg:?}");
        let html = sniff(b"<html><script>alert(1)</script>", Some("image/png"), "a.png");
        assert!(!html.inline, "a claim never makes a file inline: {html:?}");
        let pdf = sniff(b"%PDF-1.7\n", None, "a.pdf");
        assert_eq!((pdf.content_type.as_str(), pdf.inline), ("application/pdf", false));
        assert_eq!(sniff(b"hello", Some("text/plain; charset=utf-8"), "a").content_type, "text/plain");
        assert_eq!(sniff(b"hello", Some("bad type"), "notes.txt").content_type, "text/plain");
        assert_eq!(sniff(b"hello", None, "noext").content_type, "application/octet-stream");
    }

    #[test]
    fn names_lose_paths_and_hidden_characters() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_name("photo\u{202e}gpj.exe"), "photogpj.exe");
        assert_eq!(clean_name("  \u{0}  "), "file");
        assert_eq!(clean_name(".hidden"), "hidden");
        assert!(clean_name(&"é".repeat(300)).len() <= MAX_NAME_BYTES);
    }

    #[test]
    fn disposition_quotes_nothing_it_should_not() {
        assert_eq!(disposition("a b.png", true), "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png");
        let d = disposition("é\"x.html", false);
        assert!(d.starts_with("attachment; filename=\"__x.html\""), "{d}");
        assert!(d.ends_with("filename*=UTF-8''%C3%A9%22x.html"), "{d}");
    }
}
