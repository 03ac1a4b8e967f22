//! The embedded DynamoDB engine (feature `embedded`): dynoxide on SQLite, in a file or in
//! memory, served on a loopback port inside this process, and a DynamoDB client for any
//! endpoint. The local server and the tests both start their engine here; either way the
//! code under test talks to it through the real SDK client.
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use aws_sdk_dynamodb::config::{Credentials, Region, SharedCredentialsProvider};
use aws_sdk_dynamodb::Client;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the engine listens unless told otherwise: a free loopback port.
pub const ANY_LOOPBACK_PORT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
/// The engine finishes its last requests within milliseconds; this only bounds a stuck one.
const STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why the embedded engine could not open its database or start serving it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The directory of the database file could not be created.
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    /// The database path is not UTF-8, which dynoxide needs.
    #[error("the data path {0} is not valid UTF-8")]
    NonUtf8Path(PathBuf),
    /// dynoxide refused the database: where (a path, or `in memory`) and its message.
    #[error("cannot open the database {0}: {1}")]
    Open(String, String),
    /// The listening address could not be bound (or read back).
    #[error("cannot listen on {0} for the embedded engine: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// A database kept in memory only.
pub fn open_memory() -> Result<dynoxide::Database, EngineError> {
    dynoxide::Database::memory().map_err(|e| EngineError::Open("in memory".into(), e.to_string()))
}

/// A database in the SQLite file `path`, created with its directory when missing.
pub fn open_file(path: &Path) -> Result<dynoxide::Database, EngineError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| EngineError::DataDir(dir.to_owned(), e))?;
    }
    let text = path.to_str().ok_or_else(|| EngineError::NonUtf8Path(path.to_owned()))?;
    dynoxide::Database::new(text).map_err(|e| EngineError::Open(text.to_owned(), e.to_string()))
}

/// A running engine. [`Engine::stop`] (or dropping it) stops it once every request to it has
/// finished; its last handle on the database goes with it, so SQLite closes cleanly.
pub struct Engine {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

impl Engine {
    /// Serves `db` on a free loopback port.
    pub async fn start(db: dynoxide::Database) -> Result<Self, EngineError> {
        Self::start_on(db, ANY_LOOPBACK_PORT).await
    }

    /// Serves `db` on `addr`.
    pub async fn start_on(db: dynoxide::Database, addr: SocketAddr) -> Result<Self, EngineError> {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| EngineError::Bind(addr, e))?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| EngineError::Bind(addr, e))?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(dynoxide::server::serve_with_shutdown(listener, db, async move {
            let _ = stopped.await;
        }));
        Ok(Self { url, stop: Some(stop), task: Some(task) })
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the engine and waits (bounded) for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            match tokio::time::timeout(STOP_TIMEOUT, task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!(error = %e, "embedded DynamoDB engine stopped with an error"),
                Ok(Err(e)) => tracing::warn!(error = %e, "embedded DynamoDB engine task failed"),
                Err(_) => tracing::warn!("embedded DynamoDB engine still busy after {STOP_TIMEOUT:?}; leaving it"),
            }
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The client configuration for `endpoint`: the region from `AWS_REGION` (default
/// us-east-1), and dummy credentials unless real ones are in the environment (an AWS table).
pub async fn client_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(endpoint)
        .credentials_provider(credentials().await)
}

/// The environment's credentials when it has real ones (an endpoint that checks them), else
/// dummy keys (the embedded engine checks none).
async fn credentials() -> SharedCredentialsProvider {
    let real_credentials = std::env::var("AWS_ACCESS_KEY_ID").is_ok() || std::env::var("AWS_PROFILE").is_ok();
    let provider = match real_credentials {
        true => aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await.credentials_provider(),
        false => None,
    };
    provider.unwrap_or_else(|| SharedCredentialsProvider::new(Credentials::new("test", "test", None, None, "embedded")))
}

/// A DynamoDB Streams client for `endpoint` (the engine serves the Streams API at its DynamoDB
/// URL, as DynamoDB Local does), signing as [`client_config`] does; for
/// [`crate::store::stream::TableStream`].
pub async fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let dynamo = client_config(endpoint).await.build();
    crate::store::stream::streams_client(&dynamo, credentials().await, Some(endpoint))
}

/// A DynamoDB client for `endpoint` (see [`client_config`]).
pub async fn client(endpoint: &str) -> Client {
    Client::from_conf(client_config(endpoint).await.build())
}
