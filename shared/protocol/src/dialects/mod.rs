//! The frames of the dialects: the real-time APIs of the seed documents, served as each document
//! writes them beside Hubbub's own protocol (`docs/dialects.md`). The hub's `dialects` front door
//! translates them to and from [`crate::ClientFrame`] and [`crate::ServerFrame`]; these types are
//! what the AsyncAPI document describes for the dialects' sockets.

pub mod campfire;
pub mod circles;
pub mod falcon;
pub mod quipflip;
pub mod quizmaster;
