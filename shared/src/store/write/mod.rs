//! Writes to certifications and what travels with them: counts, versions, idempotency keys.
pub mod counts;
pub mod expiry_counts;
pub mod idempotency;
pub mod records;
pub(crate) mod transition;
pub mod update;
pub mod version;
