//! One module per scenario.

pub mod chat;
pub mod fanout;
pub mod flood;
pub mod idle;
pub mod nchan;
pub mod party;
pub mod reconnect;
pub mod spread;
pub mod startup;
