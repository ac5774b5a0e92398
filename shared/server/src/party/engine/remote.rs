//! The host's remote: a one-time link that gives host rights to the device that opens it (the host's
//! phone), while the host's current devices become the party's big screen (`screen`: sees
//! everything, no seat, no host controls).

use hubbub_protocol::{ErrorCode, ServerFrame, UserInfo};

use super::{Out, Party, Refusal, refuse};
use crate::auth::same_secret;

/// How long a remote link works, in ms.
pub const REMOTE_TTL_MS: i64 = 10 * 60 * 1000;

impl Party {
    /// The host asks for a remote link: `token` (made by the caller, random) replaces any earlier
    /// one. Returns when it expires.
    pub fn mint_remote(&mut self, now: i64, user: i64, token: String) -> Result<i64, Refusal> {
        self.host_only(user)?;
        let expires_at = now + REMOTE_TTL_MS;
        self.remote = Some((token, expires_at));
        Ok(expires_at)
    }

    /// `user` opened the host's remote link `token`: they take host rights, and the previous host's
    /// devices become the big screen (unless that host has a seat: then they simply play on). The
    /// link works once. Opened by the host themself, it changes nothing.
    pub fn claim_remote(&mut self, now: i64, user: &UserInfo, token: &str) -> Result<Vec<Out>, Refusal> {
        if self.banned.contains(&user.id) {
            return refuse(ErrorCode::Kicked, "the host removed you from this party");
        }
        let valid = self.remote.as_ref().is_some_and(|(t, at)| now < *at && same_secret(t, token));
        if !valid {
            return refuse(ErrorCode::InvalidParty, "this remote link has expired or was already used");
        }
        self.remote = None;
        self.updated_at = now;
        let old = self.host_id;
        if old == user.id {
            return Ok(Vec::new());
        }
        self.audience.retain(|(id, _)| *id != user.id);
        let old_seated = self.seat(old).is_some();
        let old_connected = self.host_gone_since.is_none();
        self.screen = (!old_seated).then(|| (old, self.host_name.clone()));
        self.screen_connected = !old_seated && old_connected;
        self.host_id = user.id;
        self.host_name = user.display_name.clone();
        // Attached by the caller once the remote's connection is on the party.
        self.host_gone_since = Some(now);
        let mut out = vec![self.update(now)];
        out.push(Out::User(
            old,
            ServerFrame::SessionUpdate { party: Box::new(self.snapshot(now, Some(old))) },
        ));
        Ok(out)
    }
}
