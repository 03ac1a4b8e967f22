//! The certification API on one machine: the seven Lambda handlers behind an axum router that
//! routes as API Gateway does, on an embedded DynamoDB engine (or an external one).
//!
//! | module          | concern                                                                |
//! |-----------------|------------------------------------------------------------------------|
//! | [`routes`]      | the route table from `shared::http::routes`, with API Gateway's precedence |
//! | [`handlers`]    | the seven function crates' handlers, by function name                  |
//! | [`auth`]        | `--auth`: the JWT authorizer's rules with a local key, and its hook     |
//! | [`apigw_event`] | HTTP request → the `lambda_http` request API Gateway's payload 2.0 event becomes |
//! | [`body_limit`]  | request bodies, read to one byte past the limit                        |
//! | [`access_log`]  | one log line per request, with its request id                          |
//! | [`response`]    | Lambda response → HTTP response, problem+json errors                   |
//! | [`storage`]     | embedded dynoxide (file or memory) or an external DynamoDB; the table  |
//! | [`remote`]      | an external endpoint: its client (SDK chains, then the AWS CLI), its table must exist |
//! | [`aws_cli`]     | credentials from `aws configure export-credentials` (SSO, credential_process) |
//! | [`server`]      | `serve`: listen, log, shut down without losing a write                 |
//! | [`maintenance`] | `migrate` (index attributes and counts for older data), `recount`      |
//! | [`expiry`]      | the expiry scan: `scan` command, `--scan-every`, `POST /_local/expiry-scan` |
//! | [`events`]      | the table's stream → the publisher's translation → `.local/events.jsonl` |
//! | [`engine`]      | `engine`: only the embedded DynamoDB engine, for the Lambda binaries   |
//! | [`openapi`]     | `GET /openapi.yaml`: the API's OpenAPI document                        |
pub mod access_log;
pub mod apigw_event;
pub mod auth;
pub mod aws_cli;
pub mod body_limit;
pub mod engine;
pub mod events;
pub mod expiry;
pub mod handlers;
pub mod maintenance;
pub mod openapi;
pub mod remote;
pub mod response;
pub mod routes;
pub mod server;
pub mod storage;
