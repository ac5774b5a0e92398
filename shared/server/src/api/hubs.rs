//! Other hubs on the LAN (`/api/hubs`), as this hub's mDNS browser found and confirmed them.

use axum::Json;
use axum::extract::State;
use hubbub_protocol::HubsResponse;

use crate::hub::Hub;

/// Public, like `/api/info`: the hubs listed announce themselves to the whole network anyway, and a
/// guest's join screen may offer them before joining.
pub async fn hubs(State(hub): State<Hub>) -> Json<HubsResponse> {
    Json(hub.discovery().response())
}
