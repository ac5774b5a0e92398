//! Renders every wire type as TypeScript, for the web client's `ui/src/lib/protocol.ts`.
//!
//! The file is checked in; the test below fails when it no longer matches these types. Regenerate it
//! with `UPDATE_PROTOCOL_TS=1 cargo test -p hubbub-protocol`.

use ts_rs::{Config, TS};

use crate::admin::*;
use crate::codes::ErrorCode;
use crate::files::Attachment;
use crate::frames::{ClientFrame, ServerFrame};
use crate::model::*;
use crate::party::*;
use crate::places::*;
use crate::rest::*;
use crate::results::*;

/// Where the generated file lives, relative to the workspace root.
pub const TS_PATH: &str = "ui/src/lib/protocol.ts";

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

/// The whole TypeScript module: close codes, then one declaration per wire type.
pub fn render() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from shared/protocol by `UPDATE_PROTOCOL_TS=1 cargo test -p hubbub-protocol`.\n\
         // Do not edit: a test fails when this file and the Rust types disagree.\n\n",
    );
    out.push_str(&format!("export const PROTOCOL_VERSION = {};\n\n", crate::PROTOCOL_VERSION));
    out.push_str("export const CloseCode = {\n");
    for (name, code) in close_codes() {
        out.push_str(&format!("  {name}: {code},\n"));
    }
    out.push_str("} as const;\n\n");
    for d in [
        decl::<ErrorCode>(&cfg),
        decl::<UserInfo>(&cfg),
        decl::<HubInfo>(&cfg),
        decl::<ReactionSummary>(&cfg),
        decl::<Attachment>(&cfg),
        decl::<ReplyQuote>(&cfg),
        decl::<ChatMessage>(&cfg),
        decl::<RoomKind>(&cfg),
        decl::<Room>(&cfg),
        decl::<DmState>(&cfg),
        decl::<DmThread>(&cfg),
        decl::<ReadMark>(&cfg),
        decl::<PresenceStatus>(&cfg),
        decl::<DevicePresence>(&cfg),
        decl::<OnlineUser>(&cfg),
        decl::<NotificationKind>(&cfg),
        decl::<Notification>(&cfg),
        decl::<StreamPosition>(&cfg),
        decl::<PartyPhase>(&cfg),
        decl::<PlayerState>(&cfg),
        decl::<PartyRole>(&cfg),
        decl::<LateScore>(&cfg),
        decl::<PartyPlayer>(&cfg),
        decl::<PartySettings>(&cfg),
        decl::<PhaseClock>(&cfg),
        decl::<QuestionKind>(&cfg),
        decl::<QuestionView>(&cfg),
        decl::<Answer>(&cfg),
        decl::<RoundScore>(&cfg),
        decl::<RevealView>(&cfg),
        decl::<NumberCount>(&cfg),
        decl::<Standing>(&cfg),
        decl::<PartySeat>(&cfg),
        decl::<PartySnapshot>(&cfg),
        decl::<HostAction>(&cfg),
        decl::<LeaveReason>(&cfg),
        decl::<PackQuestion>(&cfg),
        decl::<QuestionPack>(&cfg),
        decl::<Role>(&cfg),
        decl::<Who>(&cfg),
        decl::<Permissions>(&cfg),
        decl::<StaffMember>(&cfg),
        decl::<Announcement>(&cfg),
        decl::<RoomMute>(&cfg),
        decl::<HubState>(&cfg),
        decl::<Sanction>(&cfg),
        decl::<ClientFrame>(&cfg),
        decl::<ServerFrame>(&cfg),
        decl::<ApiError>(&cfg),
        decl::<JoinRequest>(&cfg),
        decl::<JoinResponse>(&cfg),
        decl::<MeResponse>(&cfg),
        decl::<SessionResponse>(&cfg),
        decl::<WsTokenResponse>(&cfg),
        decl::<StatusResponse>(&cfg),
        decl::<OnlineUsersResponse>(&cfg),
        decl::<NotificationsResponse>(&cfg),
        decl::<MarkReadRequest>(&cfg),
        decl::<MarkReadResponse>(&cfg),
        decl::<PingRequest>(&cfg),
        decl::<PingResponse>(&cfg),
        decl::<CreateRoomRequest>(&cfg),
        decl::<RoomsResponse>(&cfg),
        decl::<InviteRequest>(&cfg),
        decl::<StartDmRequest>(&cfg),
        decl::<DmsResponse>(&cfg),
        decl::<MessagesResponse>(&cfg),
        decl::<CreatePartyRequest>(&cfg),
        decl::<PartySummary>(&cfg),
        decl::<PartiesResponse>(&cfg),
        decl::<RemoteLinkResponse>(&cfg),
        decl::<Place>(&cfg),
        decl::<PlaceRequest>(&cfg),
        decl::<PlacesResponse>(&cfg),
        decl::<PlaceVisit>(&cfg),
        decl::<CheckInRequest>(&cfg),
        decl::<PartyResults>(&cfg),
        decl::<ResultPlayer>(&cfg),
        decl::<QuestionStats>(&cfg),
        decl::<ResultAnswer>(&cfg),
        decl::<PackSummary>(&cfg),
        decl::<PacksResponse>(&cfg),
        decl::<DiscoveredHub>(&cfg),
        decl::<MdnsState>(&cfg),
        decl::<HubsResponse>(&cfg),
        decl::<HostClaimRequest>(&cfg),
        decl::<RoleResponse>(&cfg),
        decl::<AdminConnection>(&cfg),
        decl::<AdminConnectionsResponse>(&cfg),
        decl::<AdminUser>(&cfg),
        decl::<AdminUsersResponse>(&cfg),
        decl::<AdminRoom>(&cfg),
        decl::<AdminRoomsResponse>(&cfg),
        decl::<KickRequest>(&cfg),
        decl::<BanRequest>(&cfg),
        decl::<MuteRequest>(&cfg),
        decl::<UnmuteRequest>(&cfg),
        decl::<AdminRenameRequest>(&cfg),
        decl::<SetRoleRequest>(&cfg),
        decl::<ClearMessagesResponse>(&cfg),
        decl::<Ban>(&cfg),
        decl::<BansResponse>(&cfg),
        decl::<SlowModeRequest>(&cfg),
        decl::<LockRequest>(&cfg),
        decl::<AdminSettings>(&cfg),
        decl::<AnnounceRequest>(&cfg),
        decl::<AnnouncementsResponse>(&cfg),
        decl::<BroadcastRequest>(&cfg),
        decl::<BroadcastResponse>(&cfg),
        decl::<EndSessionsResponse>(&cfg),
        decl::<SetPinRequest>(&cfg),
        decl::<AuditEntry>(&cfg),
        decl::<AuditResponse>(&cfg),
    ] {
        out.push_str(&d);
        out.push('\n');
    }
    out
}

fn close_codes() -> [(&'static str, u16); 14] {
    use crate::codes::close::*;
    [
        ("NORMAL", NORMAL),
        ("GOING_AWAY", GOING_AWAY),
        ("PROTOCOL_ERROR", PROTOCOL_ERROR),
        ("TOO_BIG", TOO_BIG),
        ("INTERNAL", INTERNAL),
        ("IDLE_TIMEOUT", IDLE_TIMEOUT),
        ("TOO_SLOW", TOO_SLOW),
        ("UNAUTHENTICATED", UNAUTHENTICATED),
        ("FORBIDDEN", FORBIDDEN),
        ("NOT_FOUND", NOT_FOUND),
        ("KICKED", KICKED),
        ("BANNED", BANNED),
        ("SESSION_ENDED", SESSION_ENDED),
        ("RATE_LIMITED", RATE_LIMITED),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn checked_in_typescript_matches_the_rust_types() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(super::TS_PATH);
        let want = super::render();
        if std::env::var_os("UPDATE_PROTOCOL_TS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale; regenerate it with `UPDATE_PROTOCOL_TS=1 cargo test -p hubbub-protocol`",
            path.display()
        );
    }
}
