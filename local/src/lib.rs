//! The certification API on one machine: the seven Lambda handlers behind an axum router that
//! routes as API Gateway does, on an embedded DynamoDB engine (or an external one).
//!
//! | module      | concern                                                           |
//! |-------------|-------------------------------------------------------------------|
//! | [`router`]  | routes from `shared::http::routes`, HTTP request → `lambda_http` request |
//! | [`storage`] | embedded dynoxide (file or memory) or an external DynamoDB; the table |
//! | [`server`]  | `serve`: listen, log, shut down without losing a write            |
//! | [`maintenance`] | `migrate` (index attributes and counts for older data), `recount` |
//! | [`expiry`]  | the expiry scan: `scan` command, `--scan-every`, `POST /_local/expiry-scan` |
pub mod expiry;
pub mod maintenance;
pub mod router;
pub mod server;
pub mod storage;

/// JSON logs on stdout, as the Lambdas write them, with the embedded engine's own
/// per-request lines (a WARN for every conditional-check failure) kept below the server's one
/// line per request. `RUST_LOG` overrides.
pub fn init_tracing() {
    shared::telemetry::init_tracing("dynoxide=error");
}
