//! One-off maintenance over the whole table (Scans, so never on a request path):
//! `migrate` gives items written by an older version the index attributes this one lists
//! by, and `recount` rebuilds every count item (and expiry count) from the certifications,
//! reporting drift.
//! The local server runs both (`local-api migrate`, `local-api recount`); against AWS the
//! same commands take `--endpoint https://dynamodb.<region>.amazonaws.com --table <name>`.
use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use tracing::instrument;

use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::{get_s, n, s, status, ts, Item};
use crate::store::dynamo::error::{classify, unless_condition_failed, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::schema::item::{from_item, index_attributes};
use crate::store::schema::table::attr;
use crate::store::write::counts::{count_of, CountKey, Deltas};
use crate::store::write::expiry_counts::ExpiryKey;

/// What `migrate` did, per certification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Certifications seen.
    pub certifications: u64,
    /// Already carrying exactly their index attributes: not written.
    pub current: u64,
    /// Given their index attributes.
    pub updated: u64,
    /// Changed by a concurrent write between the read and the update: run `migrate` again.
    pub raced: u64,
}

/// One count whose stored value differed from the certifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The count.
    pub key: CountKey,
    /// What its count items summed to.
    pub stored: i64,
    /// What the certifications add up to (now stored).
    pub actual: i64,
}

/// One expiry count (a bucket: global, of one type, of one mentor, or of one mentor's type)
/// whose stored value differed from the certifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryDrift {
    /// The expiry count.
    pub key: ExpiryKey,
    /// What its count items summed to.
    pub stored: i64,
    /// What the stored-`active` certifications add up to (now stored).
    pub actual: i64,
}

/// What `recount` checked and corrected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecountReport {
    /// Certifications seen.
    pub certifications: u64,
    /// Distinct count keys checked.
    pub keys: u64,
    /// What was corrected (empty when nothing drifted).
    pub corrected: Vec<Drift>,
    /// Distinct expiry counts checked (buckets: global, typed, the mentors' and their typed).
    pub buckets: u64,
    /// The expiry counts corrected (empty when nothing drifted).
    pub expiry_corrected: Vec<ExpiryDrift>,
}

impl Store {
    /// Every item of the table, to `each` (a consistent Scan, every page: the SDK's paginator).
    async fn scan_all(&self, mut each: impl FnMut(Item) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let scan = self.client.scan().table_name(&self.table).consistent_read(true);
        let mut items = scan.into_paginator().items().send();
        while let Some(item) = items.next().await {
            each(item.map_err(classify)?)?;
        }
        Ok(())
    }

    /// Sets the index attributes of every certification from its record and removes the
    /// previous layout's `kind` (and a stale `active_pk`), each on condition that the fields
    /// they derive from are the ones read. An item that already has exactly its attributes
    /// is left alone (`current`), so a second run writes nothing. Idempotent: run it until
    /// `raced` is 0, then `recount`.
    #[instrument(skip(self))]
    pub async fn migrate(&self) -> Result<MigrateReport, StoreError> {
        let mut report = MigrateReport::default();
        let mut stale = Vec::new();
        self.scan_all(|item| {
            if is_certification(&item) {
                let c = from_item(item.clone())?;
                report.certifications += 1;
                if is_current(&item, &c) {
                    report.current += 1;
                } else {
                    stale.push(c);
                }
            }
            Ok(())
        })
        .await?;
        for c in stale {
            let mut e = Expr::new();
            for (name, value) in index_attributes(&c) {
                e.set(&name, value);
            }
            e.remove(attr::LEGACY_KIND);
            if c.status != Status::Active {
                e.remove(attr::ACTIVE_PK);
            }
            let same = e.eq(attr::STATUS, status(c.status)).and(e.eq(attr::CERT_TYPE, s(&c.cert_type)));
            let same = same.and(e.eq(attr::EXPIRES_AT, ts(c.expires_at)));
            e.condition(same);
            let update = self.client.update_item().table_name(&self.table).key(attr::ID, s(&c.id));
            match unless_condition_failed(update.with_expr(&e)?.send().await)? {
                Some(_) => report.updated += 1,
                None => report.raced += 1,
            }
        }
        Ok(report)
    }

    /// Rebuilds every count from the certifications: for each key whose stored sum differs,
    /// adds the difference to its shard 0 and reports it. Exact when no write runs
    /// meanwhile; a write during the scan can leave its own change out, so run it quiet (or
    /// twice: a second run reporting nothing proves the counts exact).
    #[instrument(skip(self))]
    pub async fn recount(&self) -> Result<RecountReport, StoreError> {
        let mut actual = Deltas::default();
        let mut stored: BTreeMap<CountKey, i64> = BTreeMap::new();
        let mut stored_expiry: BTreeMap<ExpiryKey, i64> = BTreeMap::new();
        let mut certifications = 0u64;
        self.scan_all(|item| {
            if let Some((key, _)) = item_id(&item).and_then(CountKey::parse) {
                *stored.entry(key).or_default() += count_of(&item)?;
            } else if let Some((key, _)) = item_id(&item).and_then(ExpiryKey::parse) {
                *stored_expiry.entry(key).or_default() += count_of(&item)?;
            } else if is_certification(&item) {
                let c = from_item(item)?;
                actual.add(&c.mentor_id, &c.cert_type, c.status, 1);
                if c.status == Status::Active {
                    actual.add_expiry(c.expires_at, &c.mentor_id, &c.cert_type, 1);
                }
                certifications += 1;
            }
            Ok(())
        })
        .await?;
        let actual_expiry: BTreeMap<ExpiryKey, i64> = actual.expiry().map(|(k, d)| (k.clone(), d)).collect();
        let actual: BTreeMap<CountKey, i64> = actual.iter().map(|(k, d)| (k.clone(), d)).collect();
        let mut keys: Vec<&CountKey> = actual.keys().chain(stored.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut report = RecountReport { certifications, keys: keys.len() as u64, ..Default::default() };
        // Every correction is an independent ADD of the difference, so their order does not
        // matter: sent 16 at a time (ten years of expiry buckets are thousands of them).
        let mut writes: Vec<(String, i64)> = Vec::new();
        for key in keys {
            let (have, want) = (stored.get(key).copied().unwrap_or(0), actual.get(key).copied().unwrap_or(0));
            if have != want {
                tracing::warn!(key = %key.item_id(0), stored = have, actual = want, "recount corrected a drifted count");
                writes.push((key.item_id(0), want - have));
                report.corrected.push(Drift { key: key.clone(), stored: have, actual: want });
            }
        }
        let mut expiry_keys: Vec<&ExpiryKey> = actual_expiry.keys().chain(stored_expiry.keys()).collect();
        expiry_keys.sort();
        expiry_keys.dedup();
        report.buckets = expiry_keys.len() as u64;
        for key in expiry_keys {
            let have = stored_expiry.get(key).copied().unwrap_or(0);
            let want = actual_expiry.get(key).copied().unwrap_or(0);
            if have != want {
                tracing::warn!(key = %key.item_id(0), stored = have, actual = want, "recount corrected an expiry count");
                writes.push((key.item_id(0), want - have));
                report.expiry_corrected.push(ExpiryDrift { key: key.clone(), stored: have, actual: want });
            }
        }
        let adds = writes.into_iter().map(|(id, by)| async move {
            let mut e = Expr::new();
            e.add(attr::COUNT, n(by));
            let update = self.client.update_item().table_name(&self.table).key(attr::ID, s(id));
            update.with_expr(&e)?.send().await.map_err(classify).map(|_| ())
        });
        futures::stream::iter(adds).buffer_unordered(16).try_collect::<Vec<()>>().await?;
        Ok(report)
    }
}

fn item_id(item: &Item) -> Option<&str> {
    get_s(item, attr::ID)
}

/// Count items and `Idempotency-Key` records have a `#` in their id; no certification has.
fn is_certification(item: &Item) -> bool {
    item_id(item).is_some_and(|id| !id.contains('#'))
}

/// Whether `item` (decoded as `c`) already has exactly the index attributes `migrate` would
/// set, and neither the legacy `kind` nor, when not active, an `active_pk`.
fn is_current(item: &Item, c: &Certification) -> bool {
    let stale_active = c.status != Status::Active && item.contains_key(attr::ACTIVE_PK);
    !stale_active
        && !item.contains_key(attr::LEGACY_KIND)
        && index_attributes(c).iter().all(|(name, value)| item.get(name) == Some(value))
}
