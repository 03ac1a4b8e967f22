//! The certification API on one machine: the seven Lambda handlers behind an axum router that
//! routes as API Gateway does, on an embedded DynamoDB engine (or an external one).
//!
//! | module      | concern                                                           |
//! |-------------|-------------------------------------------------------------------|
//! | [`auth`]    | `--auth`: the JWT authorizer's rules with a local key           |
//! | [`router`]  | routes from `shared::routes`, HTTP request → `lambda_http` request |
//! | [`storage`] | embedded dynoxide (file or memory) or an external DynamoDB; the table |
//! | [`server`]  | `serve`: listen, log, shut down without losing a write            |
//! | [`scan`]    | the expiry scan: `scan` command, `--scan-every`, `POST /_local/expiry-scan` |
pub mod auth;
pub mod router;
pub mod scan;
pub mod server;
pub mod storage;

/// JSON logs on stdout, as the Lambdas write them (`shared::config::init_tracing`), with the
/// embedded engine's own per-request lines (a WARN for every conditional-check failure) kept
/// below the server's one line per request. `RUST_LOG` overrides.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,dynoxide=error".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info")))
        .try_init();
}
