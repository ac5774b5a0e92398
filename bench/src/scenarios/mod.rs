//! One module per scenario.

pub mod chat;
pub mod fanout;
pub mod flood;
pub mod idle;
pub mod party;
pub mod reconnect;
pub mod startup;
