//! `local-api engine`: only the embedded DynamoDB engine, with the table created, until
//! Ctrl-C or SIGTERM. It gives the real Lambda binaries (behind `cargo lambda watch` or
//! `sam local start-api`) the same store the local server uses, through
//! `AWS_ENDPOINT_URL_DYNAMODB`. The first log line carries the endpoint as `fields.url`.
use std::net::SocketAddr;

use crate::server::shutdown_signal;
use shared::embedded::ANY_LOOPBACK_PORT;

use crate::storage::{Storage, StorageArgs, StorageError};

#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    /// Address the engine listens on (port 0 picks a free port; the first line says which).
    #[arg(long, value_name = "HOST:PORT", default_value_t = ANY_LOOPBACK_PORT)]
    pub addr: SocketAddr,
}

pub async fn engine(args: &EngineArgs, storage_args: &StorageArgs) -> Result<(), StorageError> {
    let storage = Storage::open_on(storage_args, args.addr).await?;
    let url = storage.endpoint.clone();
    let data = storage.backend.to_string();
    let table = &storage_args.table;
    tracing::info!(%url, %data, %table, "DynamoDB engine on {url} (data: {data}; table {table}); Ctrl-C stops");
    shutdown_signal().await;
    storage.close().await;
    tracing::info!("stopped");
    Ok(())
}
