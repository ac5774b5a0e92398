//! Places of a venue (tables, rooms) that guests check in to by scanning a QR code, and the
//! bodies of their `/api/` routes. A place's chat is an ephemeral room open to guests checked in
//! within the hub's window.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One place, as staff and checked-in guests see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct Place {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    /// When it was defined (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// The web client's page for the place. For staff it is the check-in link, what the place's QR
    /// code holds (`{hub}/place/{id}?key={key}`); guests get it without the key.
    pub url: String,
    /// The place's chat channel (`room:_place-{id}`), readable while checked in.
    pub channel: String,
}

/// `POST /api/admin/places` and `PUT /api/admin/places/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PlaceRequest {
    /// 1 to 60 characters, no control characters; unique on the hub (ignoring case).
    pub name: String,
}

/// `POST /api/places/{id}/check-in`: the key from the place's QR code, which proves the guest scanned
/// it (place ids alone are easy to guess).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct CheckInRequest {
    pub key: String,
}

/// `GET /api/admin/places`: every place, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PlacesResponse {
    pub places: Vec<Place>,
    /// How long a check-in admits its guest to the place's chat, in hours.
    pub window_hours: u32,
}

/// `GET /api/places/{id}` and `POST /api/places/{id}/check-in`: the place and the caller's latest
/// check-in there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
pub struct PlaceVisit {
    pub place: Place,
    /// The caller's latest check-in (Unix ms), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub checked_in_at: Option<i64>,
    /// Until when that check-in admits the caller to the chat (Unix ms); in the past when expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub admitted_until: Option<i64>,
    pub window_hours: u32,
}
