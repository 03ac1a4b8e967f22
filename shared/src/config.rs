//! Configuration from the environment, the SDK client (built once per cold start) and
//! JSON tracing. Each Lambda `main` is: tracing, `App::from_env`, `lambda_http::run`.
use std::sync::Arc;

use aws_config::BehaviorVersion;

use crate::clock::{Clock, SystemClock};
use crate::store::Store;

pub const DEFAULT_EXPIRING_SOON_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TABLE_NAME`: required.
    pub table_name: String,
    /// `EXPIRING_SOON_DAYS`: 0 to 3650, default 30.
    pub expiring_soon_days: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("TABLE_NAME is not set")]
    MissingTableName,
    #[error("EXPIRING_SOON_DAYS must be a whole number from 0 to 3650, got {0:?}")]
    BadExpiringSoonDays(String),
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME").filter(|t| !t.is_empty()).ok_or(ConfigError::MissingTableName)?;
        let expiring_soon_days = match lookup("EXPIRING_SOON_DAYS") {
            None => DEFAULT_EXPIRING_SOON_DAYS,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (0..=3650).contains(&n) => n,
                _ => return Err(ConfigError::BadExpiringSoonDays(raw)),
            },
        };
        Ok(Self { table_name, expiring_soon_days })
    }
}

/// The DynamoDB client from the standard AWS configuration chain. aws-config honours
/// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` and the region variables.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

/// What every handler receives: the store, the clock and the configuration.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: Config) -> Self {
        Self { store, clock, config }
    }

    /// Production wiring, once per cold start: environment, SDK client, wall clock.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let store = Store::new(dynamodb_client().await, config.table_name.clone());
        Ok(Self::new(store, Arc::new(SystemClock), config))
    }
}

/// JSON logs on stdout. Inside Lambda the runtime's per-invocation span carries the
/// `requestId`, and every line logged during the invocation includes it. Level from
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else `RUST_LOG`, else info.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into())
        .to_ascii_lowercase();
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info")))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn config_defaults_and_errors() {
        assert_eq!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "certs")])),
            Ok(Config { table_name: "certs".into(), expiring_soon_days: 30 })
        );
        assert_eq!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "certs"), ("EXPIRING_SOON_DAYS", "7")]))
                .unwrap()
                .expiring_soon_days,
            7
        );
        assert_eq!(Config::from_lookup(lookup(&[])), Err(ConfigError::MissingTableName));
        assert_eq!(Config::from_lookup(lookup(&[("TABLE_NAME", "")])), Err(ConfigError::MissingTableName));
        for bad in ["-1", "x", "3651"] {
            assert!(matches!(
                Config::from_lookup(lookup(&[("TABLE_NAME", "t"), ("EXPIRING_SOON_DAYS", bad)])),
                Err(ConfigError::BadExpiringSoonDays(_))
            ));
        }
    }
}
