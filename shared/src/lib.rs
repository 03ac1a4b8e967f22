//! Everything the certification Lambdas share, in layers whose imports point one way:
//! `domain` ← `validation` ← `store` ← `http`; the wiring (`config`, `app`, `lambda`,
//! `telemetry`, `metrics`, `embedded`) sits on top. Each layer's `mod.rs` lists its files.
//!
//! | module         | concern                                                          |
//! |----------------|------------------------------------------------------------------|
//! | [`domain`]     | the certification, statuses and their rules, clock, ids          |
//! | [`validation`] | request bodies, path ids and query strings, all errors at once   |
//! | [`store`]      | the DynamoDB table and store, the only store implementation      |
//! | [`http`]       | the RFC 9457 problem mapping, guards, responses, views, routes   |
//! | [`config`]     | environment configuration and the AWS SDK configuration          |
//! | [`app`]        | what every handler receives: store, clock, configuration         |
//! | [`lambda`]     | the one Lambda bootstrap for the HTTP functions                  |
//! | [`telemetry`]  | the one tracing set-up                                           |
//! | [`metrics`]    | CloudWatch EMF metrics per invocation, business counts           |
//! | [`embedded`]   | the embedded DynamoDB engine and its client (feature `embedded`) |
//! | [`testing`]    | test helpers (feature `test-support`)                            |
// The model crate's public items are its API for the functions and the local server.
#![warn(missing_docs)]

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod lambda;
pub mod metrics;
pub mod store;
pub mod telemetry;
pub mod validation;

#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "test-support")]
pub mod testing;

pub use app::{App, ReadOnly};
pub use config::Config;
pub use domain::{Certification, Clock, FixedClock, Status, SystemClock};
pub use http::ApiError;
pub use store::{Store, StoreError};
