//! Exact totals without counting a partition: count items kept in the same
//! `TransactWriteItems` as every write that changes what a list filters on (create, delete,
//! a status or `cert_type` change, the expiry scan's flip).
//!
//! A certification counts under four keys, by its **stored** status: `(status)`,
//! `(cert_type, status)`, `(mentor_id, status)` and `(mentor_id, cert_type, status)`. Every
//! filter combination is a sum of those: without a status filter over the four statuses.
//! The effective status (a stored `active` past `expires_at` is `expired`) is a correction
//! the list makes from the not-yet-flipped items on `active-by-expiry` (see `store::list`).
//!
//! Keys without a mentor are hot (every create adds to `(active)` and `(type, active)`), so
//! each is split into shards: a write adds to a random one, a read sums them all. A
//! transactional write costs 2 write units per item, so one item (one partition, ~1,000
//! units/s) would cap creates near 500/s. The nearer limit is `TransactionConflict`: two
//! transactions holding one shard at once cancel one of them (retried with fresh shards, see
//! `store::transact`). The `active` keys, which every create touches, get
//! [`ACTIVE_COUNT_SHARDS`] (64): at 1,000 creates/s a shard sees ~16 transactions/s, and with
//! a 5 ms hold ~27% of first attempts conflict (16 shards: ~70%; model in
//! `docs/data-model.md`, "Write ceiling"). The other statuses change only by updates, deletes
//! and the scan: [`COUNT_SHARDS`] (16). A total reads at most 64 + 3 × 16 = 112 items: two
//! BatchGetItems, sent together. A mentor's keys are one item each: one mentor is not created
//! 1,000 times a second. More shards can be added at any time (absent items count 0); fewer
//! need a `recount`.
use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem, Update};
use tracing::instrument;

use crate::domain::Status;
use crate::store::dynamo::attrs::{get_n_or, n, require_s, s, Item};
use crate::store::dynamo::error::{built, classify, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::schema::table::attr;
use crate::store::write::expiry_counts::{Bucket, ExpiryKey};

/// Shards of an unmentored key of a stored status other than `active`.
pub const COUNT_SHARDS: u32 = 16;
/// Shards of the unmentored `active` keys, which every create touches.
pub const ACTIVE_COUNT_SHARDS: u32 = 64;
/// The prefix of every count item's id (a certification id never contains `#`).
pub const COUNT_ID_PREFIX: &str = "count#";
/// BatchGetItem's `UnprocessedKeys` are retried this often (with exponential backoff and full
/// jitter between rounds, as the BatchGetItem documentation asks) before the read is a 503.
const MAX_BATCH_GET_ROUNDS: usize = 8;

/// What one count item counts: certifications with this stored status and, where set, this
/// mentor and type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountKey {
    /// One mentor's, or `None` for every mentor.
    pub mentor_id: Option<String>,
    /// One type's, or `None` for every type.
    pub cert_type: Option<String>,
    /// The stored status counted.
    pub status: Status,
}

impl CountKey {
    /// The key for these values (`None`: any).
    pub fn new(mentor_id: Option<&str>, cert_type: Option<&str>, status: Status) -> Self {
        Self { mentor_id: mentor_id.map(str::to_owned), cert_type: cert_type.map(str::to_owned), status }
    }

    /// How many count items this key is split over.
    pub fn shards(&self) -> u32 {
        match (&self.mentor_id, self.status) {
            (Some(_), _) => 1,
            (None, Status::Active) => ACTIVE_COUNT_SHARDS,
            (None, _) => COUNT_SHARDS,
        }
    }

    /// The id of this key's count item `shard`.
    pub fn item_id(&self, shard: u32) -> String {
        let m = self.mentor_id.as_deref().unwrap_or("*");
        let t = self.cert_type.as_deref().unwrap_or("*");
        format!("{COUNT_ID_PREFIX}m={m}#t={t}#s={}#{shard:02}", self.status.as_str())
    }

    /// The key and shard of a count item's id; `None` for any other id.
    pub fn parse(id: &str) -> Option<(CountKey, u32)> {
        let rest = id.strip_prefix(COUNT_ID_PREFIX)?;
        let mut parts = rest.split('#');
        let m = parts.next()?.strip_prefix("m=")?;
        let t = parts.next()?.strip_prefix("t=")?;
        let st = Status::parse(parts.next()?.strip_prefix("s=")?)?;
        let shard = parts.next()?.parse().ok()?;
        let opt = |v: &str| (v != "*").then(|| v.to_owned());
        parts.next().is_none().then(|| (CountKey { mentor_id: opt(m), cert_type: opt(t), status: st }, shard))
    }

    /// The four keys a certification with these values counts under.
    pub fn keys_of(mentor_id: &str, cert_type: &str, status: Status) -> [CountKey; 4] {
        [
            CountKey::new(None, None, status),
            CountKey::new(None, Some(cert_type), status),
            CountKey::new(Some(mentor_id), None, status),
            CountKey::new(Some(mentor_id), Some(cert_type), status),
        ]
    }
}

/// Adds `by` to `key`'s entry, dropping it when it nets to zero. Only that entry is looked at:
/// `recount` folds every certification in, and re-filtering the whole map each time made it
/// grow with certifications × keys (7 of its 9.5 s at 20k certifications).
fn bump<K: Ord>(map: &mut BTreeMap<K, i64>, key: K, by: i64) {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(mut e) => {
            *e.get_mut() += by;
            if *e.get() == 0 {
                e.remove();
            }
        }
        std::collections::btree_map::Entry::Vacant(e) => {
            if by != 0 {
                e.insert(by);
            }
        }
    }
}

/// Net changes to counts and expiry counts, zero entries dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deltas(BTreeMap<CountKey, i64>, BTreeMap<ExpiryKey, i64>);

impl Deltas {
    /// Adds `by` to the four keys a certification with these values counts under.
    pub fn add(&mut self, mentor_id: &str, cert_type: &str, status: Status, by: i64) {
        for k in CountKey::keys_of(mentor_id, cert_type, status) {
            bump(&mut self.0, k, by);
        }
    }

    /// Adds `by` to the day, month and year expiry buckets of `at` (a stored-`active` expiry
    /// of `mentor_id`'s record of type `cert_type`), global, of the type, of the mentor and of
    /// both: twelve keys.
    pub fn add_expiry(&mut self, at: chrono::DateTime<chrono::Utc>, mentor_id: &str, cert_type: &str, by: i64) {
        for b in Bucket::of(at) {
            for (m, t) in
                [(None, None), (None, Some(cert_type)), (Some(mentor_id), None), (Some(mentor_id), Some(cert_type))]
            {
                bump(&mut self.1, ExpiryKey::new(b, m, t), by);
            }
        }
    }

    /// Nothing changes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty() && self.1.is_empty()
    }

    /// Each expiry count whose value changes, and by how much.
    pub fn expiry(&self) -> impl Iterator<Item = (&ExpiryKey, i64)> {
        self.1.iter().map(|(b, d)| (b, *d))
    }

    /// Each key whose count changes, and by how much.
    pub fn iter(&self) -> impl Iterator<Item = (&CountKey, i64)> {
        self.0.iter().map(|(k, d)| (k, *d))
    }
}

/// A random shard in `0..shards`: a fresh one on every attempt spreads retries too.
fn random_shard(shards: u32) -> u32 {
    (ulid::Ulid::new().random() % u128::from(shards)) as u32
}

impl Store {
    /// The transaction parts that apply `deltas`: one `ADD` per key and per expiry key, on
    /// a random shard. At most 8 counts (a status and type change) and 24 expiry counts (an
    /// `active` record renewed into another year with a type change: 3 buckets out and 3 in,
    /// global, typed, the mentor's and the mentor's typed), never both at once (both before
    /// and after `active`: no status change, 4 counts), so a write is at most 1 + 4 + 24 = 29
    /// parts (a status change: 1 + 8 + 12; a create with its idempotency record:
    /// 1 + 1 + 4 + 12), far below TransactWriteItems' 100 (`transition.rs` tests the worst).
    pub(crate) fn count_updates(&self, deltas: &Deltas) -> Result<Vec<TransactWriteItem>, StoreError> {
        let counts = deltas.iter().map(|(key, d)| (key.item_id(random_shard(key.shards())), d));
        let expiry = deltas.expiry().map(|(k, d)| (k.item_id(random_shard(k.shards())), d));
        counts
            .chain(expiry)
            .map(|(shard, d)| {
                let mut e = Expr::new();
                e.add(attr::COUNT, n(d));
                let update = Update::builder().table_name(&self.table).key(attr::ID, s(shard)).with_expr(&e)?;
                let update = built("a count update", update.build())?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// The sum of the counts of `keys` (every shard), read strongly consistent so a total
    /// reflects every write already answered. One BatchGetItem per 100 items, sent together.
    #[instrument(skip(self, keys), fields(keys = keys.len()))]
    pub async fn count_sum(&self, keys: &[CountKey]) -> Result<i64, StoreError> {
        let ids: Vec<String> = keys.iter().flat_map(|k| (0..k.shards()).map(move |sh| k.item_id(sh))).collect();
        self.sum_items(&ids).await
    }

    /// The sum of the count items `ids` (strongly consistent): one BatchGetItem per 100,
    /// sent together.
    pub(crate) async fn sum_items(&self, ids: &[String]) -> Result<i64, StoreError> {
        Ok(self.count_values(ids).await?.values().sum())
    }

    /// The value of each count item of `ids` that exists (strongly consistent): one
    /// BatchGetItem per 100 ids, sent together.
    pub(crate) async fn count_values(&self, ids: &[String]) -> Result<HashMap<String, i64>, StoreError> {
        // BatchGetItem takes 100 keys: the chunks go together.
        let chunks = futures::future::try_join_all(ids.chunks(100).map(|chunk| self.count_chunk(chunk))).await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    /// Up to 100 count items' values, retrying what comes back unprocessed.
    async fn count_chunk(&self, ids: &[String]) -> Result<Vec<(String, i64)>, StoreError> {
        let mut values = Vec::new();
        let mut pending: Vec<Item> = ids.iter().map(|id| Item::from([(attr::ID.to_owned(), s(id))])).collect();
        for round in 0.. {
            if pending.is_empty() {
                break;
            }
            if round == MAX_BATCH_GET_ROUNDS {
                return Err(StoreError::Unavailable("count read kept coming back unprocessed".into()));
            }
            if round > 0 {
                // Unprocessed keys mean throttling: back off (`dynamo/backoff.rs`, 2.26 s at most).
                self.backoff.pause(round as u32 - 1).await;
            }
            let request =
                KeysAndAttributes::builder().set_keys(Some(std::mem::take(&mut pending))).consistent_read(true);
            let request = built("a count read", request.build())?;
            let out =
                self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(classify)?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                values.push((require_s(&item, attr::ID, "count item")?.to_owned(), count_of(&item)?));
            }
            if let Some(left) = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                pending = left.keys;
            }
        }
        Ok(values)
    }
}

/// The number in a count item (an item without one counts 0).
pub(crate) fn count_of(item: &Item) -> Result<i64, StoreError> {
    get_n_or(item, attr::COUNT, 0, "count item")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_ids_round_trip_and_only_count_ids_parse() {
        let k = CountKey::new(Some("mentor-42"), None, Status::Suspended);
        assert_eq!(k.item_id(0), "count#m=mentor-42#t=*#s=suspended#00");
        assert_eq!(CountKey::parse(&k.item_id(0)), Some((k, 0)));
        let k = CountKey::new(None, Some("peer"), Status::Active);
        assert_eq!(CountKey::parse(&k.item_id(15)), Some((k, 15)));
        assert_eq!(CountKey::parse("cert-01"), None);
        assert_eq!(CountKey::parse("count#m=*#t=*#s=gone#00"), None);
        // Expiry counts share the prefix, and are no `CountKey`.
        assert!(ExpiryKey::new(Bucket::Year(2027), None, None).item_id(0).starts_with(COUNT_ID_PREFIX));
        assert_eq!(CountKey::parse(&ExpiryKey::new(Bucket::Year(2027), None, None).item_id(0)), None);
    }

    /// A record of `mentor_id` moving from (type, status) `from` to `to`.
    fn moved(mentor_id: &str, from: (&str, Status), to: (&str, Status)) -> Deltas {
        let mut d = Deltas::default();
        d.add(mentor_id, from.0, from.1, -1);
        d.add(mentor_id, to.0, to.1, 1);
        d
    }

    #[test]
    fn a_move_touches_only_keys_whose_count_changes() {
        let d = moved("m", ("t", Status::Active), ("t", Status::Expired));
        assert_eq!(d.iter().count(), 8);
        let d = moved("m", ("t", Status::Active), ("u", Status::Active));
        // (active) and (m, active) are unchanged.
        let keys: Vec<_> = d.iter().map(|(k, d)| (k.item_id(0), d)).collect();
        assert_eq!(
            keys,
            [
                ("count#m=*#t=t#s=active#00".to_string(), -1),
                ("count#m=*#t=u#s=active#00".into(), 1),
                ("count#m=m#t=t#s=active#00".into(), -1),
                ("count#m=m#t=u#s=active#00".into(), 1),
            ]
        );
        assert!(moved("m", ("t", Status::Active), ("t", Status::Active)).is_empty());
    }
}
