//! The store handle: the DynamoDB client (built once per cold start) and the table name.
//! The requests are `impl Store` blocks in the files named after what they do.
use aws_sdk_dynamodb::Client;

#[derive(Clone)]
pub struct Store {
    pub(super) client: Client,
    pub(super) table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}
