//! Party commands: join, leave, ready, start, answer, host controls; and subscribing to a party's
//! channel. Each goes to the party's own task, which answers it.

use std::sync::Arc;

use hubbub_protocol::ClientFrame;

use crate::conn::ConnHandle;
use crate::hub::Hub;
use crate::party::{Joined, Msg};
use crate::reply::Reply;

/// Handles a party command.
pub(super) async fn handle(hub: &Hub, conn: &Arc<ConnHandle>, frame: ClientFrame) {
    let c = Arc::clone(conn);
    let (code, r#ref, msg) = match frame {
        ClientFrame::PartyJoin { r#ref, code, audience, remote } => {
            let audience = audience.unwrap_or(false);
            let msg = Msg::Join { conn: c, audience, remote, r#ref: r#ref.clone(), reply: Joined::Ack };
            (code, r#ref, msg)
        }
        ClientFrame::PartyLeave { r#ref, code } => (code, r#ref.clone(), Msg::Leave { conn: c, r#ref }),
        ClientFrame::PartyReady { r#ref, code, ready } => {
            (code, r#ref.clone(), Msg::Ready { conn: c, r#ref, ready })
        }
        ClientFrame::PartyStart { r#ref, code } => (code, r#ref.clone(), Msg::Start { conn: c, r#ref }),
        ClientFrame::PartyAnswer { r#ref, code, round, answer } => {
            (code, r#ref.clone(), Msg::Answer { conn: c, r#ref, round, answer })
        }
        ClientFrame::PartyControl { r#ref, code, action } => {
            (code, r#ref.clone(), Msg::Control { conn: c, r#ref, action })
        }
        other => return tracing::error!(?other, "not a party command"),
    };
    hub.parties().command(conn, r#ref, &code, msg).await;
}

/// Subscribing to `party:{code}` joins the party (a seat, or the audience) and answers `subscribed`.
pub(super) async fn subscribe(hub: &Hub, mut reply: Reply, code: &str) {
    let r#ref = reply.take_ref();
    let conn = reply.conn();
    let msg = Msg::Join {
        conn: Arc::clone(conn),
        audience: false,
        remote: None,
        r#ref: r#ref.clone(),
        reply: Joined::Subscribed,
    };
    hub.parties().command(conn, r#ref, code, msg).await;
}
