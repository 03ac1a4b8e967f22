//! The store handle: the DynamoDB client (built once per cold start) and the table name.
//! The requests are `impl Store` blocks in the files named after what they do.
use aws_sdk_dynamodb::Client;

/// The DynamoDB store: cheap to clone (the client is shared).
#[derive(Clone)]
pub struct Store {
    pub(in crate::store) client: Client,
    pub(in crate::store) table: String,
}

impl Store {
    /// A store on `table` through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
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
