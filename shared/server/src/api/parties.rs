//! Parties and quiz packs over REST: create, list and look up parties, a QR code of a party's join
//! link, and importing question packs.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hubbub_protocol::{
    CreatePartyRequest, ErrorCode, PackSummary, PacksResponse, PartiesResponse, PartySnapshot, QuestionPack,
};

use super::{ApiError, SessionUser};
use crate::error::Refusal;
use crate::hub::Hub;
use crate::party::quiz::Quiz;
use crate::store::list_packs;

/// `POST /api/parties`: the caller hosts the new party.
pub async fn create(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    body: Result<Json<CreatePartyRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<PartySnapshot>), ApiError> {
    let req = body.map(|Json(v)| v).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.body_text()))?;
    let snapshot = hub.parties().create(&me.user, Some(peer.ip()), req).await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// `GET /api/parties`: parties not yet over.
pub async fn list(State(hub): State<Hub>, SessionUser(_): SessionUser) -> Json<PartiesResponse> {
    Json(PartiesResponse { parties: hub.parties().list() })
}

/// A party code from the path; one that is not even text (`%FF`) names no party.
pub(super) fn party_code(code: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    code.map(|Path(c)| c).map_err(|_| ApiError::new(ErrorCode::NoSuchParty, "no such party"))
}

/// `GET /api/parties/{code}`.
pub async fn get(
    State(hub): State<Hub>,
    SessionUser(me): SessionUser,
    code: Result<Path<String>, PathRejection>,
) -> Result<Json<PartySnapshot>, ApiError> {
    Ok(Json(hub.parties().snapshot(&party_code(code)?, me.user.id).await?))
}

/// `GET /api/parties/{code}/qr.svg`: the join link as a QR code, big and plain for a screen.
pub async fn qr(
    State(hub): State<Hub>,
    code: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let code = party_code(code)?.to_ascii_uppercase();
    if !hub.parties().exists(&code) {
        return Err(ApiError::new(ErrorCode::NoSuchParty, format!("no party has the code {code:?}")));
    }
    let url = format!("{}party/{code}", hub.base_url());
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-cache")], qr_svg(&url)?))
}

/// `text` as a QR code in SVG, big and plain for a screen.
pub(super) fn qr_svg(text: &str) -> Result<String, Refusal> {
    let qr = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| Refusal::internal("drawing a party's QR code", &e))?;
    Ok(qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(320, 320).quiet_zone(true).build())
}

/// `GET /api/quiz/packs`: the sample pack, then imported ones.
pub async fn packs(
    State(hub): State<Hub>,
    SessionUser(_): SessionUser,
) -> Result<Json<PacksResponse>, ApiError> {
    let sample = Quiz::sample();
    let mut packs = vec![PackSummary {
        id: "sample".to_owned(),
        title: sample.title.clone(),
        description: serde_json::from_str::<QuestionPack>(crate::party::quiz::SAMPLE_PACK)
            .ok()
            .and_then(|p| p.description),
        question_count: sample.rounds(),
    }];
    for stored in hub.store().read(list_packs).await? {
        let Ok(pack) = serde_json::from_str::<QuestionPack>(&stored.body) else { continue };
        packs.push(PackSummary {
            id: format!("p{}", stored.id),
            title: stored.title,
            description: pack.description,
            question_count: u32::try_from(pack.questions.len()).unwrap_or(u32::MAX),
        });
    }
    Ok(Json(PacksResponse { packs }))
}

/// `POST /api/quiz/packs`: imports a pack after checking every question (422 `invalid_pack` names
/// the first bad field).
pub async fn import_pack(
    State(hub): State<Hub>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SessionUser(me): SessionUser,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<PackSummary>), ApiError> {
    let body = body.map_err(|e| ApiError::new(ErrorCode::InvalidPack, e.body_text()))?;
    Ok((StatusCode::CREATED, Json(hub.parties().import_pack(me.user.id, Some(peer.ip()), &body).await?)))
}
