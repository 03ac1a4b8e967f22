//! The expiry scan's reads and writes on the `active-by-expiry` index.
pub(crate) mod by_expiry;
pub mod expiry;
