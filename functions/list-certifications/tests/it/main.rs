//! The crate's integration tests, one binary (each file its own binary linked the AWS SDK
//! and the embedded engine again: 28 binaries made CI 10 min 50 s on 2 cores).
mod cursors;
mod forged;
mod handler;
mod unflipped;
