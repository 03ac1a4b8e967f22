//! The API's reads over the indexes: the filtered list and the expiring window.
pub(crate) mod expiring;
pub mod list;
pub(crate) mod merge;
mod unflipped;
