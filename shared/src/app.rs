//! What every handler receives, wired once per cold start: the store, the clock and the
//! configuration.
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{dynamodb_client, warm_up, Config, ConfigError};
use crate::domain::{Certification, Clock, SystemClock};
use crate::store::{ListFilter, Page, PageRequest, Store, StoreError};

/// What every handler receives: the store, the clock and the configuration.
#[derive(Clone)]
pub struct App {
    /// The certification table, through its one client.
    pub store: Store,
    /// Where "now" comes from: [`SystemClock`] in production, a fixed one in tests.
    pub clock: Arc<dyn Clock>,
    /// The environment configuration, read once.
    pub config: Config,
}

impl App {
    /// An app from parts already built (tests, the local server); see [`App::from_env`].
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: Config) -> Self {
        Self { store, clock, config }
    }

    /// The view a handler that only reads works with: the reads of the store, the clock and
    /// the configuration, and no write.
    pub fn read_only(&self) -> ReadOnly<'_> {
        ReadOnly { store: &self.store, clock: self.clock.as_ref(), config: &self.config }
    }

    /// Production wiring, once per cold start: environment, SDK client, wall clock.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let store = Store::new(dynamodb_client().await, config.table_name.clone());
        warm_up(&store).await;
        Ok(Self::new(store, Arc::new(SystemClock), config))
    }
}

/// [`App`] for the read routes (GET): what they may ask of the store, and nothing that writes.
#[derive(Clone, Copy)]
pub struct ReadOnly<'a> {
    store: &'a Store,
    /// The app's [`App::clock`].
    pub clock: &'a dyn Clock,
    /// The app's [`App::config`].
    pub config: &'a Config,
}

impl ReadOnly<'_> {
    /// [`Store::get`].
    pub async fn get(&self, id: &str) -> Result<Option<Certification>, StoreError> {
        self.store.get(id).await
    }

    /// [`Store::list`].
    pub async fn list(
        &self,
        filter: &ListFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        self.store.list(filter, now, page).await
    }

    /// [`Store::expiring`].
    pub async fn expiring(
        &self,
        now: DateTime<Utc>,
        days: u32,
        page: &PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        self.store.expiring(now, days, page).await
    }
}
