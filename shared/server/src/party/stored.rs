//! How a party is stored: [`StoredParty`], the engine's state in a shape the server owns, with its
//! version in it, so that neither a change of the wire types nor one of the engine changes stored
//! data unnoticed. It is the JSON of a party's row (`parties.state`, see `store/parties.rs`); nothing
//! else writes or reads that column.
//!
//! **Versions.** The `v` field names the shape; `"2"` (`v2.rs`) is the one written now. Rows from
//! before versions have no `v`: they are version 0 (`v0.rs`, the engine's own serde of that time),
//! read, upgraded to version 1 and then 2, and never written again; version 1 rows (`v1.rs`) are
//! upgraded to 2 likewise. A version is frozen once shipped. To change the shape, add `v3.rs` beside
//! `v2.rs` and a variant `V3` here; make `From<&Party>` write it and [`StoredParty::load`] read it;
//! turn `v2`'s conversion to the engine into an upgrade to `v3` (`impl From<v2::Party> for
//! v3::Party`); and keep a fixture of every version in `testdata/` that must still load. A row takes
//! the new shape the next time its party is stored.

use serde::{Deserialize, Serialize};

use super::engine::Party;

mod v0;
mod v1;
mod v2;

/// A stored party, tagged with the version of its shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "v")]
pub enum StoredParty {
    #[serde(rename = "1")]
    V1(v1::Party),
    #[serde(rename = "2")]
    V2(v2::Party),
}

/// Why a stored party could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("unreadable: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a party the engine can run: {0}")]
    Invalid(String),
}

impl From<&Party> for StoredParty {
    /// The party in the current version's shape.
    fn from(party: &Party) -> StoredParty {
        StoredParty::V2(v2::Party::from(party))
    }
}

impl StoredParty {
    /// Reads a stored party of any version; one without a `v` is version 0, upgraded here.
    pub fn from_json(json: &str) -> Result<StoredParty, LoadError> {
        let value: serde_json::Value = serde_json::from_str(json)?;
        if value.get("v").is_some() {
            Ok(serde_json::from_value(value)?)
        } else {
            let old: v0::Party = serde_json::from_value(value)?;
            Ok(StoredParty::V1(old.into()))
        }
    }

    /// The JSON to store.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }

    /// The engine's party, upgraded from whatever version was stored.
    pub fn load(self) -> Result<Party, LoadError> {
        match self {
            StoredParty::V1(p) => v2::Party::from(p).load(),
            StoredParty::V2(p) => p.load(),
        }
    }
}

/// A party's JSON to store, in the current version.
pub fn save(party: &Party) -> serde_json::Result<String> {
    StoredParty::from(party).to_json()
}

/// The party stored as `json`, of any version.
pub fn load(json: &str) -> Result<Party, LoadError> {
    StoredParty::from_json(json)?.load()
}

#[cfg(test)]
mod tests;
