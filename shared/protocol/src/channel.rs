//! Channel names: `user:{id}`, `presence`, `room:{id}`, `dm:{id}`, `party:{code}`.

use std::fmt;
use std::str::FromStr;

/// A channel a connection can be subscribed to. Its string form is what frames carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// The personal channel of one user: notifications, pings, DM requests.
    User(i64),
    /// Who is online on this hub, as a snapshot and then diffs.
    Presence,
    /// Who is online on this hub, as a whole list after every change (`online_users_update`).
    OnlineUsers,
    /// A chat room, by its slug (the default room is `lobby`).
    Room(String),
    /// A direct-message thread.
    Dm(i64),
    /// A party session, by its join code.
    Party(String),
}

/// Why a channel name did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadChannel(pub String);

impl fmt::Display for BadChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed channel name {:?}", self.0)
    }
}

impl std::error::Error for BadChannel {}

/// The id of the default room every user belongs to.
pub const LOBBY: &str = "lobby";

impl Channel {
    /// The default room, `room:lobby`.
    pub fn lobby() -> Self {
        Channel::Room(LOBBY.to_owned())
    }

    /// Whether events of this channel are stored with offsets (chat) or only relayed (presence).
    pub fn is_persisted(&self) -> bool {
        matches!(self, Channel::Room(_) | Channel::Dm(_))
    }
}

fn valid_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FromStr for Channel {
    type Err = BadChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadChannel(s.to_owned());
        match s {
            "presence" => return Ok(Channel::Presence),
            "online_users" => return Ok(Channel::OnlineUsers),
            _ => {}
        }
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "user" => id.parse().map(Channel::User).map_err(|_| bad()),
            "dm" => id.parse().map(Channel::Dm).map_err(|_| bad()),
            "room" if valid_slug(id) => Ok(Channel::Room(id.to_owned())),
            "party" if valid_slug(id) => Ok(Channel::Party(id.to_ascii_uppercase())),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::User(id) => write!(f, "user:{id}"),
            Channel::Presence => f.write_str("presence"),
            Channel::OnlineUsers => f.write_str("online_users"),
            Channel::Room(id) => write!(f, "room:{id}"),
            Channel::Dm(id) => write!(f, "dm:{id}"),
            Channel::Party(code) => write!(f, "party:{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in ["user:7", "presence", "online_users", "room:lobby", "dm:12", "party:ABCD"] {
            let c: Channel = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in ["", "room:", "room:a b", "user:x", "nope:1", "presence:1", "room:ä"] {
            assert!(s.parse::<Channel>().is_err(), "{s} should not parse");
        }
    }
}
