//! Everything the certification Lambdas share, one module per concern:
//!
//! | module       | concern                                                        |
//! |--------------|----------------------------------------------------------------|
//! | [`model`]    | the stored record and every JSON response shape                |
//! | [`validation`] | request bodies, path ids and query strings, all errors at once |
//! | [`clock`]    | injected time, and the values derived from it                  |
//! | [`ids`]      | `cert-` + lower-case ULID                                      |
//! | [`table`]    | the one DynamoDB table definition (keys, GSIs, billing)        |
//! | [`store`]    | the DynamoDB store, the only store implementation              |
//! | [`error`]    | one error type, mapped once to RFC 9457 problem+json           |
//! | [`http`]     | request guards and JSON responses for `lambda_http`            |
//! | [`routes`]   | the seven routes and the function serving each                |
//! | [`config`]   | environment configuration, SDK client, tracing set-up          |
//! | [`metrics`]  | CloudWatch EMF metrics per invocation, business counts         |
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod routes;
pub mod store;
pub mod table;
pub mod validation;

#[cfg(feature = "test-support")]
pub mod testing;

pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{App, Config};
pub use error::ApiError;
pub use model::{Certification, Status};
pub use store::{Store, StoreError};
