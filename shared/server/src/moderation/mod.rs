//! The moderation service (`Moderation`): roles (host links, appointing moderators), what hosts and
//! moderators do to guests (kick, ban, mute, rename, delete, clear), room rules (slow mode, lock),
//! what guests may do, announcements and notices, ending sessions, the audit log, and what the admin
//! API lists. Every change is stored (with its audit line) before the in-memory rules
//! (`crate::policy`) change and before anyone is told.
//!
//! Who may act: hosts and moderators (and the admin token, which acts as a host). A moderator may
//! not act on a host or another moderator; nobody acts on themselves; only hosts change roles.

mod actions;
mod hub_wide;
mod lists;

use std::sync::Arc;

use hubbub_protocol::{Announcement, Channel, ErrorCode, HubState, Permissions, Role, ServerFrame, UserInfo};

use crate::auth::HostLinks;
use crate::chat::Chat;
use crate::conn::{ConnHandle, encode};
use crate::core::Core;
use crate::error::{Outcome, Refusal};
use crate::notify::Notify;
use crate::policy::RoomRules;
use crate::store::{NewAudit, audit, current_announcements, meta_get_or_init, mutes, room_rules, staff};
use crate::time::now_ms;

/// The metadata key of what guests may do (JSON).
const PERMISSIONS_KEY: &str = "permissions";

/// Who is acting.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A host or moderator, signed in.
    User { user: UserInfo, role: Role },
    /// A script with the configured admin token: acts as a host.
    Token,
}

impl Actor {
    /// The acting user's id (none for the admin token).
    pub fn id(&self) -> Option<i64> {
        match self {
            Actor::User { user, .. } => Some(user.id),
            Actor::Token => None,
        }
    }

    fn role(&self) -> Role {
        match self {
            Actor::User { role, .. } => *role,
            Actor::Token => Role::Host,
        }
    }

    fn user(&self) -> Option<UserInfo> {
        match self {
            Actor::User { user, .. } => Some(user.clone()),
            Actor::Token => None,
        }
    }
}

/// Handle to the moderation service. Clones share everything.
#[derive(Clone)]
pub struct Moderation {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    chat: Chat,
    notify: Notify,
    links: HostLinks,
    /// The announcements shown now, as stored (read again after every change), so greeting a new
    /// socket costs no read.
    announcements: std::sync::RwLock<Vec<Announcement>>,
}

impl Moderation {
    /// The service, with the rules read back from the store into the core's policy.
    pub async fn open(core: Core, chat: Chat, notify: Notify) -> crate::store::StoreResult<Moderation> {
        let (key, permissions, staff, mutes, rooms, announcements) = core
            .store()
            .write_wait(|db| {
                let key = meta_get_or_init(db, crate::store::HOST_KEY, || {
                    rand::Rng::random::<[u8; 32]>(&mut rand::rng()).to_vec()
                })?;
                let permissions = meta_get_or_init(db, PERMISSIONS_KEY, || b"{}".to_vec())?;
                Ok((
                    key,
                    permissions,
                    staff(db)?,
                    mutes(db, now_ms())?,
                    room_rules(db)?,
                    current_announcements(db)?,
                ))
            })
            .await?;
        let policy = core.policy();
        policy.set_permissions(serde_json::from_slice(&permissions).unwrap_or_default());
        for (user, role) in staff {
            policy.set_role(&user, role);
        }
        for (user, scope, until) in mutes {
            policy.mute(user, Some(scope.as_str()).filter(|s| !s.is_empty()), until);
        }
        for (slug, slow_mode_secs, locked) in rooms {
            policy.set_room(&format!("room:{slug}"), RoomRules { slow_mode_secs, locked });
        }
        let links = HostLinks::new(&key);
        let announcements = std::sync::RwLock::new(announcements);
        Ok(Moderation { inner: Arc::new(Inner { core, chat, notify, links, announcements }) })
    }

    fn core(&self) -> &Core {
        &self.inner.core
    }

    /// A new one-time host link token.
    pub fn mint_host_token(&self) -> String {
        self.inner.links.mint()
    }

    /// Whether a host link's token is one of this hub's and has not expired (it may still be used).
    pub fn check_host_token(&self, token: &str) -> Outcome<String> {
        self.inner.links.verify(token).ok_or_else(|| {
            Refusal::new(
                ErrorCode::Forbidden,
                "this host link is not valid: it may have expired; ask for a new one",
            )
        })
    }

    /// Makes `user` a host with a host link's token (once per token).
    pub async fn claim_host(&self, user: &UserInfo, token: &str) -> Outcome<Role> {
        let nonce = self.check_host_token(token)?;
        let id = user.id;
        let used = self
            .core()
            .store()
            .write_wait(move |db| {
                if !crate::store::use_host_link(db, nonce.as_bytes(), now_ms())? {
                    return Ok(false);
                }
                crate::store::set_role(db, id, Role::Host)?;
                let entry = NewAudit {
                    actor: Some(id),
                    action: "claim_host",
                    target: Some(id),
                    ..NewAudit::default()
                };
                audit(db, &entry, now_ms())?;
                Ok(true)
            })
            .await?;
        if !used {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "this host link was already used; ask for a new one",
            ));
        }
        self.core().policy().set_role(user, Role::Host);
        tracing::info!(user_id = id, "a host link made a host");
        self.publish_state();
        Ok(Role::Host)
    }

    /// The actor for a signed-in user: a host or moderator, else `forbidden`.
    pub fn actor(&self, user: UserInfo) -> Outcome<Actor> {
        let role = self.core().policy().role(user.id);
        if !role.is_staff() {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                "only the hub's hosts and moderators may do this",
            ));
        }
        Ok(Actor::User { user, role })
    }

    /// The user `target`, if `actor` may act on them: not themselves, and a moderator not on staff.
    async fn target(&self, actor: &Actor, target: i64) -> Outcome<UserInfo> {
        if actor.id() == Some(target) {
            return Err(Refusal::new(ErrorCode::Forbidden, "you cannot do this to yourself"));
        }
        let user = self
            .core()
            .store()
            .read(move |db| crate::store::user_info(db, target))
            .await?
            .ok_or_else(|| Refusal::new(ErrorCode::NotFound, "no such user"))?;
        // Roles are kept in the policy, as stored.
        if actor.role() != Role::Host && self.core().policy().is_staff(target) {
            return Err(Refusal::new(ErrorCode::Forbidden, "only a host may act on a host or moderator"));
        }
        Ok(user)
    }

    /// Stores an audit line (for actions whose change is already stored elsewhere).
    async fn audit(&self, entry: NewAudit) -> Outcome<()> {
        self.core().store().write_wait(move |db| audit(db, &entry, now_ms())).await?;
        Ok(())
    }

    /// The hub's rules as `user` sees them, on a connection subscribed to `channels`.
    fn state_for(
        &self,
        user: i64,
        channels: &[String],
        announcements: &[hubbub_protocol::Announcement],
    ) -> HubState {
        let policy = self.core().policy();
        HubState {
            role: policy.role(user),
            staff: policy.staff(),
            permissions: policy.permissions(),
            announcements: announcements
                .iter()
                .filter(|a| a.channel.as_ref().is_none_or(|c| channels.contains(c)))
                .cloned()
                .collect(),
            muted_until: policy.muted_until(user, None, now_ms()),
            room_mutes: policy
                .room_mutes(user, now_ms())
                .into_iter()
                .map(|(channel, until)| hubbub_protocol::RoomMute { channel, until })
                .collect(),
        }
    }

    /// Sends a new main socket its `hub_state`; `channels` are those it is about to be subscribed to.
    pub fn greet(&self, conn: &ConnHandle, channels: &[Channel]) {
        let channels: Vec<String> = channels.iter().map(ToString::to_string).collect();
        let announcements = self.inner.announcements.read().unwrap_or_else(|p| p.into_inner()).clone();
        let state = self.state_for(conn.user.id, &channels, &announcements);
        conn.send_frame(&ServerFrame::HubState { state });
    }

    /// `user` joined the room `channel` (and their sockets are in it now): when the room has an
    /// announcement, their sockets get a `hub_state` that shows it.
    pub fn joined_room(&self, user: i64, channel: &str) {
        let announcements = self.inner.announcements.read().unwrap_or_else(|p| p.into_inner()).clone();
        if !announcements.iter().any(|a| a.channel.as_deref() == Some(channel)) {
            return;
        }
        for conn in self.core().registry().main_connections(user) {
            let state = self.state_for(user, &conn.channel_names(), &announcements);
            conn.send_frame(&ServerFrame::HubState { state });
        }
    }

    /// Sends every main socket its `hub_state` again (after any change to it).
    pub fn publish_state(&self) {
        let this = self.clone();
        self.core().tasks().spawn(async move {
            let announcements = match this.core().store().read(current_announcements).await {
                Ok(now) => {
                    *this.inner.announcements.write().unwrap_or_else(|p| p.into_inner()) = now.clone();
                    now
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the announcements");
                    this.inner.announcements.read().unwrap_or_else(|p| p.into_inner()).clone()
                }
            };
            for conn in this.core().registry().connections().into_iter().filter(|c| c.device.is_some()) {
                let state = this.state_for(conn.user.id, &conn.channel_names(), &announcements);
                conn.send_frame(&ServerFrame::HubState { state });
            }
        });
    }

    /// Sends one user's main sockets a frame.
    fn tell(&self, user: i64, frame: &ServerFrame) {
        self.core().registry().publish(&Channel::User(user), &encode(frame), None);
    }

    /// What guests may do now.
    pub fn permissions(&self) -> Permissions {
        self.core().policy().permissions()
    }
}
