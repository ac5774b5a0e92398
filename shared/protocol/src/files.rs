//! Files and photos in chat: what an upload answers and what a message carries of each attachment.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Most attachments one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// A file uploaded to a channel, as a message carries it (and as `POST
/// /api/channels/{channel}/files` answers). Its bytes are at `GET
/// /api/channels/{channel}/files/{id}`, and an image's thumbnail at `.../files/{id}/thumbnail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Attachment {
    /// The file's id, unique within its channel's database.
    #[ts(type = "number")]
    pub id: i64,
    /// The channel it was uploaded to (and may only be attached in).
    pub channel: String,
    /// The file name the uploader gave (no directories).
    pub name: String,
    /// Bytes.
    #[ts(type = "number")]
    pub size: i64,
    /// The media type: sniffed from the bytes when the hub recognises them, otherwise the
    /// uploader's claim (or `application/octet-stream`).
    pub content_type: String,
    /// Whether a browser may show it inline (an image, audio or video type on the hub's short
    /// allow-list, recognised from its bytes); anything else is only ever downloaded.
    pub inline: bool,
    /// An image's size in pixels, when the hub could read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub height: Option<u32>,
    /// Whether the hub made a thumbnail (images it could decode within its limits).
    pub thumbnail: bool,
}
