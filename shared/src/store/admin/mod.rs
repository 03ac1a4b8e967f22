//! One-off maintenance over the whole table (never on a request path).
pub mod maintenance;
