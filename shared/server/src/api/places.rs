//! Places over REST: staff define them and print their QR codes (`/api/admin/places...`); a guest
//! who scanned one checks in (`POST /api/places/{id}/check-in`) and sees it (`GET /api/places/{id}`).
//! Thin: the rules live in the places service.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hubbub_protocol::{CheckInRequest, ErrorCode, Place, PlaceRequest, PlaceVisit, PlacesResponse};

use super::admin::Staff;
use super::describe::{Auth, Endpoint, Endpoint as E};
use super::parties::qr_svg;
use super::{ApiError, SessionUser};
use crate::hub::Hub;

fn json<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))
}

fn place_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    id.map(|Path(id)| id).map_err(|_| ApiError::new(ErrorCode::NoSuchPlace, "no such place"))
}

/// The places endpoints (under `/api`).
pub(super) fn endpoints() -> Vec<Endpoint> {
    const TAG: &str = "places";
    let id = "the place's id";
    vec![
        E::get("/places/{id}", visit)
            .doc(TAG, "A place and the caller's latest check-in there")
            .param::<i64>("id", id)
            .ok::<PlaceVisit>(),
        E::post("/places/{id}/check-in", check_in)
            .doc(TAG, "Checks in at a place with the key from its QR code; the place's chat opens for `place_chat_window_hours`")
            .param::<i64>("id", id)
            .body::<CheckInRequest>()
            .ok::<PlaceVisit>(),
        E::get("/admin/places", list)
            .doc(TAG, "Staff: every place, with its check-in link")
            .auth(Auth::Staff)
            .ok::<PlacesResponse>(),
        E::post("/admin/places", create)
            .doc(TAG, "Staff: defines a place (a table, a room of the venue)")
            .auth(Auth::Staff)
            .body::<PlaceRequest>()
            .created::<Place>(),
        E::put("/admin/places/{id}", rename)
            .doc(TAG, "Staff: renames a place (its QR code stays valid)")
            .auth(Auth::Staff)
            .param::<i64>("id", id)
            .body::<PlaceRequest>()
            .ok::<Place>(),
        E::delete("/admin/places/{id}", delete)
            .doc(TAG, "Staff: deletes a place with its check-ins and its chat")
            .auth(Auth::Staff)
            .param::<i64>("id", id),
        E::get("/admin/places/{id}/qr.svg", qr)
            .doc(TAG, "Staff: the place's check-in link as a QR code, to print or show")
            .auth(Auth::Staff)
            .param::<i64>("id", id)
            .media("image/svg+xml"),
    ]
}

/// `GET /api/places/{id}`.
async fn visit(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<PlaceVisit>, ApiError> {
    Ok(Json(hub.places().visit(me.user.id, place_id(id)?).await?))
}

/// `POST /api/places/{id}/check-in`.
async fn check_in(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<CheckInRequest>, JsonRejection>,
) -> Result<Json<PlaceVisit>, ApiError> {
    let id = place_id(id)?;
    let req = json(body)?;
    Ok(Json(hub.places().check_in(me.user.id, Some(peer.ip()), id, &req.key).await?))
}

/// `GET /api/admin/places`.
async fn list(State(hub): State<Hub>, _: Staff) -> Result<Json<PlacesResponse>, ApiError> {
    Ok(Json(hub.places().list().await?))
}

/// `POST /api/admin/places`.
async fn create(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    body: Result<Json<PlaceRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Place>), ApiError> {
    let req = json(body)?;
    Ok((StatusCode::CREATED, Json(hub.places().create(actor.id(), &req.name).await?)))
}

/// `PUT /api/admin/places/{id}`.
async fn rename(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<PlaceRequest>, JsonRejection>,
) -> Result<Json<Place>, ApiError> {
    let id = place_id(id)?;
    let req = json(body)?;
    Ok(Json(hub.places().rename(actor.id(), id, &req.name).await?))
}

/// `DELETE /api/admin/places/{id}`.
async fn delete(
    State(hub): State<Hub>,
    Staff(actor): Staff,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    hub.places().delete(actor.id(), place_id(id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/admin/places/{id}/qr.svg`: the check-in link, big and plain for printing.
async fn qr(
    State(hub): State<Hub>,
    _: Staff,
    id: Result<Path<i64>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let place = hub.places().get(place_id(id)?).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], qr_svg(&place.url)?))
}
