//! The certification API on one machine: the seven Lambda handlers behind an axum router that
//! routes as API Gateway does, on an embedded DynamoDB engine (or an external one).
//!
//! | module      | concern                                                           |
//! |-------------|-------------------------------------------------------------------|
//! | [`auth`]    | `--auth`: the JWT authorizer's rules with a local key           |
//! | [`router`]  | routes from `shared::http::routes`, HTTP request → `lambda_http` request |
//! | [`storage`] | embedded dynoxide (file or memory) or an external DynamoDB; the table |
//! | [`server`]  | `serve`: listen, log, shut down without losing a write            |
//! | [`maintenance`] | `migrate` (index attributes and counts for older data), `recount` |
//! | [`expiry`]  | the expiry scan: `scan` command, `--scan-every`, `POST /_local/expiry-scan` |
//! | [`engine`]  | `engine`: only the embedded DynamoDB engine, for the Lambda binaries |
//! | [`openapi`] | `GET /openapi.yaml`: the API's OpenAPI document                      |
pub mod auth;
pub mod engine;
pub mod expiry;
pub mod maintenance;
pub mod openapi;
pub mod router;
pub mod server;
pub mod storage;
