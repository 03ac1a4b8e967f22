//! One-off maintenance over the whole table (Scans, so never on a request path):
//! `migrate` gives items written by an older version the index attributes this one lists
//! by, and `recount` rebuilds every count item from the certifications, reporting drift.
//! The local server runs both (`local-api migrate`, `local-api recount`); against AWS the
//! same commands take `--endpoint https://dynamodb.<region>.amazonaws.com --table <name>`.
use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use tracing::instrument;

use super::counts::{count_of, CountKey, Deltas};
use super::error::{classify, unless_condition_failed, StoreError};
use super::handle::Store;
use super::item::{from_item, index_attributes, n, s, status, ts, Item};
use super::table::attr;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Certifications seen.
    pub certifications: u64,
    /// Given their index attributes (already current ones are rewritten identically).
    pub updated: u64,
    /// Changed by a concurrent write between the read and the update: run `migrate` again.
    pub raced: u64,
}

/// One count whose stored value differed from the certifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub key: CountKey,
    pub stored: i64,
    pub actual: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecountReport {
    pub certifications: u64,
    /// Distinct count keys checked.
    pub keys: u64,
    /// What was corrected (empty when nothing drifted).
    pub corrected: Vec<Drift>,
}

impl Store {
    /// Every item of the table, page by page, to `each`.
    async fn scan_all(&self, mut each: impl FnMut(Item) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                each(item)?;
            }
            match out.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(()),
            }
        }
    }

    /// Sets the index attributes of every certification from its record and removes the
    /// previous layout's `kind`, each on condition that the fields they derive from are the
    /// ones read. Idempotent: run it until `raced` is 0, then `recount`.
    #[instrument(skip(self))]
    pub async fn migrate(&self) -> Result<MigrateReport, StoreError> {
        let mut certifications = Vec::new();
        self.scan_all(|item| {
            if is_certification(&item) {
                certifications.push(from_item(item)?);
            }
            Ok(())
        })
        .await?;
        let mut report = MigrateReport { certifications: certifications.len() as u64, ..Default::default() };
        for c in certifications {
            let attrs = index_attributes(&c);
            let mut set = Vec::new();
            let mut req = self.client.update_item().table_name(&self.table).key(attr::ID, s(&c.id));
            for (i, (name, value)) in attrs.into_iter().enumerate() {
                set.push(format!("#a{i} = :a{i}"));
                req = req
                    .expression_attribute_names(format!("#a{i}"), name)
                    .expression_attribute_values(format!(":a{i}"), value);
            }
            let mut update = format!("SET {} REMOVE #kind", set.join(", "));
            if c.status != crate::domain::Status::Active {
                update.push_str(", #apk");
                req = req.expression_attribute_names("#apk", attr::ACTIVE_PK);
            }
            let r = req
                .update_expression(update)
                .condition_expression("#st = :st AND #ct = :ct AND #exp = :exp")
                .expression_attribute_names("#kind", attr::LEGACY_KIND)
                .expression_attribute_names("#st", attr::STATUS)
                .expression_attribute_names("#ct", attr::CERT_TYPE)
                .expression_attribute_names("#exp", attr::EXPIRES_AT)
                .expression_attribute_values(":st", status(c.status))
                .expression_attribute_values(":ct", s(&c.cert_type))
                .expression_attribute_values(":exp", ts(c.expires_at))
                .send()
                .await;
            match unless_condition_failed(r)? {
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
        let mut certifications = 0u64;
        self.scan_all(|item| {
            if let Some((key, _)) = item_id(&item).and_then(CountKey::parse) {
                *stored.entry(key).or_default() += count_of(&item)?;
            } else if is_certification(&item) {
                let c = from_item(item)?;
                actual.add(&c.mentor_id, &c.cert_type, c.status, 1);
                certifications += 1;
            }
            Ok(())
        })
        .await?;
        let actual: BTreeMap<CountKey, i64> = actual.iter().map(|(k, d)| (k.clone(), d)).collect();
        let mut keys: Vec<&CountKey> = actual.keys().chain(stored.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut report = RecountReport { certifications, keys: keys.len() as u64, corrected: Vec::new() };
        for key in keys {
            let (have, want) = (stored.get(key).copied().unwrap_or(0), actual.get(key).copied().unwrap_or(0));
            if have == want {
                continue;
            }
            self.client
                .update_item()
                .table_name(&self.table)
                .key(attr::ID, s(key.item_id(0)))
                .update_expression("ADD #n :d")
                .expression_attribute_names("#n", attr::COUNT)
                .expression_attribute_values(":d", n(want - have))
                .send()
                .await
                .map_err(classify)?;
            tracing::warn!(key = %key.item_id(0), stored = have, actual = want, "recount corrected a drifted count");
            report.corrected.push(Drift { key: key.clone(), stored: have, actual: want });
        }
        Ok(report)
    }
}

fn item_id(item: &Item) -> Option<&str> {
    match item.get(attr::ID) {
        Some(AttributeValue::S(id)) => Some(id),
        _ => None,
    }
}

/// Count items and `Idempotency-Key` records have a `#` in their id; no certification has.
fn is_certification(item: &Item) -> bool {
    item_id(item).is_some_and(|id| !id.contains('#'))
}
