//! The DynamoDB plumbing every request shares: the handle, attribute values, the expression
//! builder, error classification and transactions.
pub mod attrs;
pub mod backoff;
pub mod error;
pub mod expr;
pub mod handle;
pub mod transact;
