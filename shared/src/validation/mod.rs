//! Strict input parsing: request bodies, path ids and query strings. Builds on the domain
//! only; reports through its own [`ValidationError`].
//!
//! | file       | what lives there                                             |
//! |------------|--------------------------------------------------------------|
//! | `rules.rs` | one check per field and its message; path ids; timestamps    |
//! | `body.rs`  | POST and PUT bodies, every error at once; the body size limit |
//! | `query.rs` | query strings: known names once each, typed values           |
//! | `json.rs`  | JSON bodies without duplicate keys; canonical JSON text      |
//! | `error.rs` | [`FieldError`], [`ValidationError`]                          |
pub mod body;
pub mod error;
pub mod json;
pub mod query;
pub mod rules;

pub use body::{parse_create, parse_update, MAX_BODY_BYTES};
pub use error::{FieldError, ValidationError};
pub use query::Query;
pub use rules::{is_cert_type, is_mentor_id, is_valid_path_id, parse_timestamp, CERT_TYPE_RULE, MENTOR_ID_RULE};
