//! The crate's integration tests, one binary (see expiry-scan's for why). `metrics.rs` is its
//! own binary: the metrics recorder is process-global.
mod batch;
mod schema;
mod support;
mod translate;
