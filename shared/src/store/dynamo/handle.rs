//! The store handle: the DynamoDB client (built once per cold start), the table name and the
//! retry backoff.
//! The requests are `impl Store` blocks in the files named after what they do.
use aws_sdk_dynamodb::Client;

use crate::store::dynamo::backoff::Backoff;

/// The DynamoDB store: cheap to clone (the client is shared).
#[derive(Clone)]
pub struct Store {
    pub(in crate::store) client: Client,
    pub(in crate::store) table: String,
    /// The wait between retries of cancelled transactions and unprocessed reads.
    pub(in crate::store) backoff: Backoff,
}

impl Store {
    /// A store on `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), backoff: Backoff::standard() }
    }

    /// This store, waiting between retries as `backoff` says (tests: [`Backoff::none`]).
    pub fn with_backoff(self, backoff: Backoff) -> Self {
        Self { backoff, ..self }
    }

    /// The table every request goes to.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// The client (for what the store has no request for: tests, table set-up).
    pub fn client(&self) -> &Client {
        &self.client
    }
}
