//! What every handler receives, wired once per cold start: the store, the clock and the
//! configuration.
use std::sync::Arc;

use crate::config::{dynamodb_client, warm_up, Config, ConfigError};
use crate::domain::{Clock, SystemClock};
use crate::store::Store;

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
        warm_up(&store).await;
        Ok(Self::new(store, Arc::new(SystemClock), config))
    }
}
