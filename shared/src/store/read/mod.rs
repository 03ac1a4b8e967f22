//! The API's reads over the indexes: the filtered list and the expiring window.
mod budget;
pub(crate) mod expiring;
pub mod list;
pub(crate) mod merge;
mod past_days;
mod unflipped;
