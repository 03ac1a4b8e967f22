//! The test table's DynamoDB stream: what each write announces, read without sleeping.
use super::TestDb;
use crate::store::stream::{Start, TableStream};

impl TestDb {
    /// A reader of this table's stream from its first record (the table is the test's own,
    /// so that is every write of the test but what [`TestDb::put_stored`] seeded on the
    /// embedded engine). Panics where the endpoint serves no Streams API.
    pub async fn stream(&self) -> TableStream {
        let client = crate::embedded::streams_client(&self.endpoint).await;
        TableStream::open(&self.client, client, &self.table, Start::TrimHorizon).await.expect("the test table's stream")
    }
}
