//! The DynamoDB store: the only store implementation (local runs and tests use it against
//! an embedded DynamoDB-compatible engine). Every write is conditional (a single request, or
//! one transaction with its count updates and, for a keyed create, its `Idempotency-Key`
//! record), so concurrent requests never lose one another's changes. Builds on the domain and
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
//! | `list.rs`     | the filtered list and the expiring window: merged shards, pages, totals |
//! | `merge.rs`    | a page merged from an index's shards (k-way, by sort key)         |
//! | `counts.rs`   | count items: exact totals kept in each write's transaction        |
//! | `transact.rs` | TransactWriteItems outcomes and `TransactionConflict` retries     |
//! | `maintenance.rs` | `migrate` (index attributes for older items) and `recount`     |
//! | `by_expiry.rs` | the `active-by-expiry` index: window bounds, shard Queries, walks |
//! | `expiry.rs`   | the expiry scan's queries and conditional writes                  |
//! | `version.rs`  | `version` (the ETag): the bump and the `If-Match` condition       |
//! | `idempotency.rs` | `Idempotency-Key` records, written with the certification     |
mod by_expiry;
pub mod counts;
pub mod error;
pub mod expiry;
pub mod handle;
pub mod idempotency;
pub mod item;
pub mod list;
pub mod maintenance;
mod merge;
pub mod records;
pub mod table;
pub mod transact;
pub mod update;
pub mod version;

pub use error::StoreError;
pub use expiry::ReminderBand;
pub use handle::Store;
pub use item::{stored_item, Item};
pub use list::{ListFilter, Page, PageRequest, MAX_OFFSET};
pub use version::IfMatch;
