//! The DynamoDB store: the only store implementation (local runs and tests use it against
//! an embedded DynamoDB-compatible engine). Every write is conditional (a single request, or
//! one transaction with its count updates and, for a keyed create, its `Idempotency-Key`
//! record), so concurrent requests never lose one another's changes. Builds on the domain and
//! validation layers; the HTTP layer builds on it.
//!
//! | file                   | what lives there                                                                       |
//! |------------------------|----------------------------------------------------------------------------------------|
//! | `schema/table.rs`      | the one table definition: keys, indexes, attribute names (`attr`)                      |
//! | `schema/table_tests.rs`| its unit tests: key attributes, attribute names, shards, partition encodings           |
//! | `schema/upgrade.rs`    | the GSIs a table an older version made lacks, created one at a time                    |
//! | `schema/item.rs`       | a certification as an item: index attributes, sort and shard keys, decoding            |
//! | `dynamo/handle.rs`     | [`Store`]: the client, the table name and the retry backoff                            |
//! | `dynamo/attrs.rs`      | attribute values (`s`, `n`, `ts`, `status`) and the one reader (`get_s`, `get_n`, ...) |
//! | `dynamo/expr.rs`       | `Expr`: every key condition, filter, condition and update, placeholders generated      |
//! | `dynamo/expr_tests.rs` | its unit tests: rendered strings and placeholder maps                                  |
//! | `dynamo/error.rs`      | [`StoreError`], SDK error classification, failed conditions                            |
//! | `dynamo/transact.rs`   | TransactWriteItems outcomes and `TransactionConflict` retries                          |
//! | `dynamo/backoff.rs`    | the wait between retries: exponential backoff with full jitter, injectable sleep       |
//! | `write/records.rs`     | create, get, delete                                                                    |
//! | `write/update.rs`      | PUT: one conditional write planned from a domain transition                            |
//! | `write/transition.rs`  | a domain transition as conditions, update clauses and count moves                      |
//! | `write/version.rs`     | `version` (the ETag): the bump and the `If-Match` condition                            |
//! | `write/idempotency.rs` | `Idempotency-Key` records, written with the certification                              |
//! | `write/counts.rs`      | count items: exact totals kept in each write's transaction, and their reads            |
//! | `read/list.rs`         | the filtered list: merged shards, pages, totals                                        |
//! | `read/expiring.rs`     | the expiring window: soonest first, its total by COUNT Queries                         |
//! | `read/merge.rs`        | a page merged from an index's shards (k-way, by sort key)                              |
//! | `read/budget.rs`       | a page's read budget, and where a page it ends short stops                             |
//! | `read/unflipped.rs`    | the stored-`active` records already past expiry: read whole, or counted               |
//! | `read/past_days.rs`    | the expiry buckets that count the days before today                                    |
//! | `scan/by_expiry.rs`    | the `active-by-expiry` index: window bounds, shard Queries, walks                      |
//! | `scan/expiry.rs`       | the expiry scan's page-at-a-time queries and conditional writes                        |
//! | `scan/expiry_tests.rs` | its tests: reminder bands, pages, conditional writes                                   |
//! | `admin/maintenance.rs` | `migrate` (index attributes for older items) and `recount`                             |
//! | `stream.rs`            | the table's DynamoDB stream through the Streams API (feature `streams`)                |
//!
//! Files name one another by their real path (`crate::store::dynamo::error`), never through
//! the re-exports below: `shared/tests/it/layers.rs` would see a circle through this file.
mod admin;
mod dynamo;
mod read;
mod scan;
mod schema;
#[cfg(feature = "streams")]
pub mod stream;
mod write;

// The module paths other crates and layers name (`shared::store::table::attr`, ...).
pub use admin::maintenance;
pub use dynamo::{backoff, error, handle, transact};
pub use read::list;
pub use scan::expiry;
pub use schema::{item, table, upgrade};
pub use write::{counts, expiry_counts, idempotency, records, update, version};

pub use dynamo::attrs::Item;
pub use dynamo::error::StoreError;
pub use dynamo::handle::Store;
pub use read::list::{ListFilter, Page, PageRequest, MAX_OFFSET};
pub use scan::expiry::ReminderBand;
pub use schema::item::stored_item;
pub use write::version::IfMatch;
