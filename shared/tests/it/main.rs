//! The crate's integration tests, one binary (each file its own binary linked the AWS SDK
//! and the embedded engine again: 28 binaries made CI 10 min 50 s on 2 cores).
mod backoff;
mod expiring_totals;
mod layers;
mod mentor_lists;
mod openapi;
mod seeding;
mod stalled;
mod store;
mod template;
mod totals;
mod writes;
// `no_ca_certs.rs` stays its own binary: it changes the process environment
// (`AWS_ENDPOINT_URL_DYNAMODB`, `SSL_CERT_FILE`), which every test here reads.
