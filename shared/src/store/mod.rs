//! The DynamoDB store: the only store implementation (local runs and tests use it against
//! an embedded DynamoDB-compatible engine). Every write is a single conditional request
//! (a create with an `Idempotency-Key` one transaction), so concurrent requests never lose
//! one another's changes. Builds on the domain and
//! validation layers; the HTTP layer builds on it.
//!
//! | file          | what lives there                                                  |
//! |---------------|-------------------------------------------------------------------|
//! | `handle.rs`   | [`Store`]: the client and the table name                          |
//! | `table.rs`    | the one table definition: keys, indexes, attribute names          |
//! | `item.rs`     | attribute values and the encoding of a certification as an item  |
//! | `error.rs`    | [`StoreError`], SDK error classification, failed conditions       |
//! | `records.rs`  | create, get, delete                                               |
//! | `update.rs`   | the update planner (PUT: update or renewal, one conditional write) |
//! | `list.rs`     | the filtered list and the expiring window: pages and totals      |
//! | `expiry.rs`   | the expiry scan's queries and conditional writes                  |
//! | `version.rs`  | `version` (the ETag): the bump and the `If-Match` condition       |
//! | `transact.rs` | TransactWriteItems: per-part outcome, bounded conflict retries    |
//! | `idempotency.rs` | `Idempotency-Key` records, written with the certification     |
pub mod error;
pub mod expiry;
pub mod handle;
pub mod idempotency;
pub mod item;
pub mod list;
pub mod records;
pub mod table;
pub mod transact;
pub mod update;
pub mod version;

pub use error::StoreError;
pub use expiry::ReminderBand;
pub use handle::Store;
pub use item::{stored_item, Item};
pub use list::{ListFilter, Page, PageRequest};
pub use version::IfMatch;
