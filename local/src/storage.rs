//! Where the local server keeps its data: an embedded dynoxide engine (SQLite in a file, or
//! in memory) served on a loopback port inside this process, or an external DynamoDB API.
//! Either way the handlers talk to it through the real SDK client and `shared::Store`.
//!
//! Only the embedded engine gets its table created when missing, and only a database file
//! gets the indexes an older version's table lacks (`shared::store::upgrade`; `migrate`
//! then fills them). On an external endpoint
//! (AWS, DynamoDB Local, moto) a missing table is an error naming it, unless `--create-table`
//! asks for it, so a misspelt `--table` never creates a table in someone's account. The
//! external client signs with the AWS SDK's default chains ([`crate::remote`]).
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::display::DisplayErrorContext;
use shared::embedded::{self, Engine, EngineError, ANY_LOOPBACK_PORT};
use shared::{App, Config, Store, SystemClock};

use crate::remote::{external_client, require_table, RemoteError};

/// The default data file, relative to the working directory (ignored by git).
pub const DEFAULT_DATA_FILE: &str = ".local/certifications.db";
pub const DEFAULT_TABLE: &str = "certifications";

/// Storage flags, shared by every subcommand that needs the table.
#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// SQLite file of the embedded DynamoDB engine; created with its directory when missing.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_DATA_FILE)]
    pub data: PathBuf,
    /// Keep the data in memory only (gone when the server stops). Wins over --endpoint.
    #[arg(long, global = true, conflicts_with = "data")]
    pub memory: bool,
    /// Use an external DynamoDB API (DynamoDB Local, moto, AWS) instead of the embedded engine.
    #[arg(long, global = true, value_name = "URL", env = "AWS_ENDPOINT_URL_DYNAMODB", conflicts_with = "data")]
    pub endpoint: Option<String>,
    /// The table. The embedded engine creates it from the shared definition when missing; on
    /// an external endpoint it must exist (see --create-table).
    #[arg(long, global = true, value_name = "NAME", env = "TABLE_NAME", default_value = DEFAULT_TABLE)]
    pub table: String,
    /// With --endpoint: the region to sign for. Default: the AWS SDK's region chain
    /// (AWS_REGION, AWS_DEFAULT_REGION, the profile's region), then us-east-1 on a loopback
    /// endpoint.
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// With --endpoint: create the table when it is missing (for DynamoDB Local or moto).
    /// Without it a missing table is an error.
    #[arg(long, global = true)]
    pub create_table: bool,
}

/// Which storage a run uses, after flag precedence: `--memory`, then `--endpoint`, then the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    File(PathBuf),
    Memory,
    External(String),
}

impl StorageArgs {
    /// The embedded engine in memory with the default table: what `--memory` gives.
    pub fn memory() -> Self {
        Self {
            data: DEFAULT_DATA_FILE.into(),
            memory: true,
            endpoint: None,
            table: DEFAULT_TABLE.into(),
            region: None,
            create_table: false,
        }
    }

    pub fn backend(&self) -> Backend {
        match (&self.memory, &self.endpoint) {
            (true, _) => Backend::Memory,
            (false, Some(url)) if !url.is_empty() => Backend::External(url.clone()),
            _ => Backend::File(self.data.clone()),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::File(path) => write!(f, "embedded dynoxide, file {}", path.display()),
            Backend::Memory => write!(f, "embedded dynoxide, in memory (lost on exit)"),
            Backend::External(url) => write!(f, "external DynamoDB at {url}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("cannot create or describe table {0}: {1}")]
    Table(String, String),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("bad configuration: {0}")]
    Config(#[from] shared::config::ConfigError),
}

/// The open storage: the [`App`] the handlers run on, and the embedded engine (if any).
pub struct Storage {
    pub app: App,
    pub backend: Backend,
    /// Whether the table was created at start-up.
    pub created_table: bool,
    /// The DynamoDB endpoint the client talks to (the embedded engine's loopback URL).
    pub endpoint: String,
    /// What the client signs with: the table's stream is read with the same.
    pub credentials: SharedCredentialsProvider,
    engine: Option<Engine>,
}

impl Storage {
    /// Opens the backend, starts the embedded engine when there is one, and makes sure the
    /// table exists. `EXPIRING_SOON_DAYS` comes from the environment, as in the Lambdas.
    pub async fn open(args: &StorageArgs) -> Result<Self, StorageError> {
        Self::open_on(args, ANY_LOOPBACK_PORT).await
    }

    /// [`Storage::open`], with the embedded engine (if any) listening on `engine_addr`.
    pub async fn open_on(args: &StorageArgs, engine_addr: SocketAddr) -> Result<Self, StorageError> {
        let table = args.table.clone();
        let config = Config::from_lookup(|k| match k {
            "TABLE_NAME" => Some(table.clone()),
            _ => std::env::var(k).ok(),
        })?;
        let backend = args.backend();
        let (endpoint, engine, (client, credentials)) = match &backend {
            Backend::External(url) => (url.clone(), None, external_client(url, args.region.as_deref()).await?),
            Backend::Memory => started(embedded::open_memory()?, engine_addr).await?,
            Backend::File(path) => started(embedded::open_file(path)?, engine_addr).await?,
        };
        let created_table = match &backend {
            Backend::External(url) if !args.create_table => {
                require_table(&client, &args.table, url).await?;
                false
            }
            _ => shared::store::table::ensure_table(&client, &args.table)
                .await
                .map_err(|e| StorageError::Table(args.table.clone(), DisplayErrorContext(&e).to_string()))?,
        };
        // A database file an older version wrote: the indexes added since (one at a time, as
        // DynamoDB does; `migrate` then fills them). A deployed table gets them from
        // CloudFormation instead (docs/data-model.md, "Upgrading a deployed table").
        if matches!(backend, Backend::File(_)) && !created_table {
            let added = shared::store::upgrade::add_missing_indexes(&client, &args.table)
                .await
                .map_err(|e| StorageError::Table(args.table.clone(), DisplayErrorContext(&e).to_string()))?;
            if !added.is_empty() {
                let hint = "added the indexes this version needs; run `local-api migrate` once to fill them";
                tracing::warn!(table = %args.table, indexes = ?added, "{hint}");
            }
        }
        let app = App::new(Store::new(client, args.table.clone()), Arc::new(SystemClock), config);
        Ok(Self { app, backend, created_table, endpoint, credentials, engine })
    }

    /// A client of the DynamoDB Streams API of this storage, signing as the table's client
    /// does. DynamoDB Local and the embedded engine serve it at their DynamoDB URL; an AWS
    /// endpoint (`dynamodb.REGION.amazonaws.com`) has its own, which the SDK knows by region.
    pub fn streams_client(&self) -> aws_sdk_dynamodbstreams::Client {
        let host =
            self.endpoint.split("://").nth(1).unwrap_or(&self.endpoint).split(['/', ':']).next().unwrap_or_default();
        let aws = host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
        let endpoint = (!aws).then_some(self.endpoint.as_str());
        shared::store::stream::streams_client(self.app.store.client().config(), self.credentials.clone(), endpoint)
    }

    /// Stops the embedded engine once every request to it has finished; its last handle on
    /// the database goes with it, so SQLite closes cleanly.
    pub async fn close(self) {
        drop(self.app);
        if let Some(engine) = self.engine {
            engine.stop().await;
        }
    }
}

/// Starts the embedded engine on `db`, listening on `addr`: its URL, the engine and a client.
type Signed = (Client, SharedCredentialsProvider);

async fn started(db: dynoxide::Database, addr: SocketAddr) -> Result<(String, Option<Engine>, Signed), EngineError> {
    let engine = Engine::start_on(db, addr).await?;
    let url = engine.url().to_owned();
    let client = embedded_client(&url);
    Ok((url, Some(engine), client))
}

/// A client for the embedded engine, which checks no signature: dummy keys, whatever AWS
/// credentials or profile the environment holds; the region from `AWS_REGION` (default
/// us-east-1).
fn embedded_client(url: &str) -> Signed {
    let region = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()).unwrap_or_else(|| "us-east-1".into());
    let credentials =
        SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "local-api-embedded"));
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .endpoint_url(url)
        .credentials_provider(credentials.clone())
        .build();
    (Client::from_conf(config), credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        storage: StorageArgs,
    }

    fn backend(args: &[&str]) -> Result<Backend, clap::Error> {
        Cli::try_parse_from(std::iter::once("local-api").chain(args.iter().copied())).map(|c| c.storage.backend())
    }

    #[test]
    fn flags_choose_the_backend() {
        // The environment may carry AWS_ENDPOINT_URL_DYNAMODB (the suite against another
        // DynamoDB); the default case only holds without it.
        if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_none() {
            assert_eq!(backend(&[]).unwrap(), Backend::File(DEFAULT_DATA_FILE.into()));
            assert_eq!(backend(&["--data", "x/y.db"]).unwrap(), Backend::File("x/y.db".into()));
        }
        assert_eq!(backend(&["--memory"]).unwrap(), Backend::Memory);
        assert_eq!(backend(&["--memory", "--endpoint", "http://127.0.0.1:8000"]).unwrap(), Backend::Memory);
        assert_eq!(
            backend(&["--endpoint", "http://127.0.0.1:8000"]).unwrap(),
            Backend::External("http://127.0.0.1:8000".into())
        );
        assert!(backend(&["--memory", "--data", "x.db"]).is_err());
        assert!(backend(&["--endpoint", "http://127.0.0.1:8000", "--data", "x.db"]).is_err());
    }
}
