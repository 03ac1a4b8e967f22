//! Lists: the filtered list (newest first) and the expiring window (soonest first), one page
//! of each plus the total, read from the sharded indexes.
//!
//! Every list index is sorted by a key ending in the id (`<time>#<id>`), so ties need no
//! extra reads and a position in a list is one sort key: a cursor page starts right after
//! it with a key condition (`created_key < :after`), at the cost of that page alone. A page
//! merges the index's [`LIST_SHARDS`] shards (`store/merge.rs`).
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use tracing::instrument;

use super::by_expiry::{expiry_from, expiry_through};
use super::counts::CountKey;
use super::error::{classify, StoreError};
use super::handle::Store;
use super::item::{from_item, s, shard_value, sort_key, status, ts, Item};
use super::merge::{IndexQuery, Merged, Order, Stream};
use super::table::{attr, BY_CREATED, BY_EXPIRY, BY_MENTOR, BY_STATUS, BY_TYPE, BY_TYPE_STATUS, LIST_SHARDS};
use crate::domain::{Certification, Status};

/// `page` works while `(page − 1) × limit` is below this (Elasticsearch's default
/// `max_result_window`): an offset page reads the pages before it, so deeper ones must
/// follow `next_cursor`.
pub const MAX_OFFSET: u64 = 10_000;

/// One page of results, the number of matches overall, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// The sort key of the page's last item when more items follow; `None` on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// From 1: the page number (reported back; with `after` it is only reported).
    pub page: u32,
    /// From 1.
    pub limit: u32,
    /// Start right after this sort key (a cursor) instead of at an offset.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn offset(&self) -> u64 {
        match self.after {
            Some(_) => 0,
            None => u64::from(self.page.max(1) - 1) * u64::from(self.limit),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub mentor_id: Option<String>,
    pub cert_type: Option<String>,
    /// The effective status.
    pub status: Option<Status>,
}

/// The effective-status filter on stored `active` items (`active`: not yet expired).
const NOT_EXPIRED: &str = "#exp > :now";

impl Store {
    /// The filtered list, newest first, one page of it and the total. The page and the
    /// count items are read at the same time.
    #[instrument(skip(self, now))]
    pub async fn list(
        &self,
        filter: &ListFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        let now = now.trunc_subsecs(0);
        let (m, t) = (filter.mentor_id.as_deref(), filter.cert_type.as_deref());
        let keys: Vec<CountKey> = match filter.status {
            None => Status::ALL.iter().map(|&st| CountKey::new(m, t, st)).collect(),
            Some(st) => vec![CountKey::new(m, t, st)],
        };
        let ((merged, unflipped), stored) =
            futures::future::try_join(self.filtered_page(filter, now, page), self.count_sum(&keys)).await?;
        let total = match filter.status {
            Some(Status::Active) => stored - unflipped,
            Some(Status::Expired) => stored + unflipped,
            _ => stored,
        };
        Ok(Page { items: merged.items, total: u64::try_from(total).unwrap_or(0), next: merged.next })
    }

    /// One page of the filtered list, and how many stored-`active` items of the filter are
    /// already past expiry (0 unless the status filter makes them matter).
    async fn filtered_page(
        &self,
        filter: &ListFilter,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<(Merged, i64), StoreError> {
        let (m, t) = (filter.mentor_id.as_deref(), filter.cert_type.as_deref());
        // The stored-`active` items already past expiry count as `expired`: read them (a
        // handful, the ones the expiry scan has not flipped yet) when the status matters.
        let due = match filter.status {
            Some(Status::Active | Status::Expired) => Some(self.due_unflipped(now, m, t).await?),
            _ => None,
        };
        let mut streams = Vec::new();
        match (m, filter.status) {
            (Some(m), _) => streams.push(Stream::index(self.mentor_query(m, t, filter.status, now, page))),
            (None, None) => streams.extend(self.partitions(t, None, page, None, now)),
            (None, Some(st)) => {
                let stored_filter = (st == Status::Active).then_some(NOT_EXPIRED);
                streams.extend(self.partitions(t, Some(st), page, stored_filter, now));
                if st == Status::Expired {
                    let mut items: Vec<(String, Certification)> = due
                        .iter()
                        .flatten()
                        .map(|c| (sort_key(c.created_at, &c.id), c.clone()))
                        .filter(|(k, _)| page.after.as_deref().is_none_or(|a| k.as_str() < a))
                        .collect();
                    items.sort_by(|a, b| b.0.cmp(&a.0));
                    streams.push(Stream::ready(items));
                }
            }
        }
        let merged = self.merge(streams, Order::NewestFirst, page.offset(), page.limit, page.after.as_deref()).await?;
        Ok((merged, due.map_or(0, |d| d.len() as i64)))
    }

    /// Effectively active certifications with `now < expires_at <= now + days`, soonest
    /// first. Reads only the window from the sparse `active-by-expiry` index.
    #[instrument(skip(self, now))]
    pub async fn expiring(
        &self,
        now: DateTime<Utc>,
        days: u32,
        page: &PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        let now = now.trunc_subsecs(0);
        // Whole-second timestamps: `expires_at > now` is `expires_at >= now + 1s`.
        let lo = expiry_from(now + TimeDelta::seconds(1));
        let hi = expiry_through(now + TimeDelta::days(i64::from(days)));
        let window = |lo: AttributeValue| {
            let hi = hi.clone();
            (0..LIST_SHARDS).map(move |shard| IndexQuery {
                index: BY_EXPIRY.name,
                key_condition: "#pk = :pk AND #sk BETWEEN :lo AND :hi".into(),
                filter: None,
                names: HashMap::from([
                    ("#pk".to_string(), attr::ACTIVE_PK.to_string()),
                    ("#sk".to_string(), attr::EXPIRY_KEY.to_string()),
                ]),
                values: HashMap::from([
                    (":pk".to_string(), s(shard_value(Status::Active.as_str(), shard))),
                    (":lo".to_string(), lo.clone()),
                    (":hi".to_string(), hi.clone()),
                ]),
                order: Order::SoonestFirst,
            })
        };
        // After a cursor the window starts at its key (inclusive: the merge drops the key).
        let from = match &page.after {
            Some(a) if lo.as_s().is_ok_and(|lo| a.as_str() > lo.as_str()) => s(a),
            _ => lo.clone(),
        };
        let streams = window(from).map(Stream::index).collect();
        let merged = self.merge(streams, Order::SoonestFirst, page.offset(), page.limit, page.after.as_deref()).await?;
        // The window's size has no count item: COUNT Queries over it (they read the window),
        // unless this page already read to its end.
        let total = match merged.seen_all {
            Some(n) => n,
            None => {
                let counts = futures::future::join_all(window(lo).map(|q| async move { self.count(&q).await })).await;
                counts.into_iter().sum::<Result<u64, StoreError>>()?
            }
        };
        Ok(Page { items: merged.items, total, next: merged.next })
    }

    /// The stored-`active` certifications with `expires_at <= now` (the expiry scan has not
    /// flipped them yet), optionally of one mentor and type. As many as expire between two
    /// scan runs, whatever the table's size. The index's shards are read at the same time.
    async fn due_unflipped(
        &self,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
    ) -> Result<Vec<Certification>, StoreError> {
        let shards = (0..LIST_SHARDS).map(|shard| self.due_unflipped_in(shard, now, mentor_id, cert_type));
        Ok(futures::future::try_join_all(shards).await?.into_iter().flatten().collect())
    }

    /// [`Store::due_unflipped`] on one shard of `active-by-expiry`, every page.
    async fn due_unflipped_in(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
    ) -> Result<Vec<Certification>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .active_by_expiry(shard, "#exp < :now")
                .expression_attribute_values(":now", expiry_through(now))
                .set_exclusive_start_key(start.take());
            let mut filters = Vec::new();
            if let Some(m) = mentor_id {
                q = q.expression_attribute_names("#m", attr::MENTOR_ID).expression_attribute_values(":m", s(m));
                filters.push("#m = :m");
            }
            if let Some(t) = cert_type {
                q = q.expression_attribute_names("#ct", attr::CERT_TYPE).expression_attribute_values(":ct", s(t));
                filters.push("#ct = :ct");
            }
            if !filters.is_empty() {
                q = q.filter_expression(filters.join(" AND "));
            }
            let page = q.send().await.map_err(classify)?;
            for item in page.items.unwrap_or_default() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok(out),
            }
        }
    }

    /// One mentor's partition, with the other filters as a filter expression (a mentor has
    /// few certifications, so what it reads past stays small).
    fn mentor_query(
        &self,
        mentor_id: &str,
        cert_type: Option<&str>,
        st: Option<Status>,
        now: DateTime<Utc>,
        page: &PageRequest,
    ) -> IndexQuery {
        let mut names = HashMap::from([("#pk".to_string(), attr::MENTOR_ID.to_string())]);
        let mut values = Item::from([(":pk".to_string(), s(mentor_id))]);
        let mut filters = Vec::new();
        if let Some(ct) = cert_type {
            names.insert("#ct".into(), attr::CERT_TYPE.into());
            values.insert(":ct".into(), s(ct));
            filters.push("#ct = :ct");
        }
        if let Some(st) = st {
            names.insert("#st".into(), attr::STATUS.into());
            values.insert(":st".into(), status(st));
            // Effective status: a stored `active` past its expiry counts as `expired`.
            let expiry = match st {
                Status::Active => Some("#st = :st AND #exp > :now"),
                Status::Expired => Some("(#st = :st OR (#st = :active AND #exp <= :now))"),
                Status::Suspended | Status::Revoked => None,
            };
            match expiry {
                Some(f) => {
                    names.insert("#exp".into(), attr::EXPIRES_AT.into());
                    values.insert(":now".into(), ts(now));
                    if st == Status::Expired {
                        values.insert(":active".into(), status(Status::Active));
                    }
                    filters.push(f);
                }
                None => filters.push("#st = :st"),
            }
        }
        let mut q = IndexQuery {
            index: BY_MENTOR.name,
            key_condition: "#pk = :pk".into(),
            filter: (!filters.is_empty()).then(|| filters.join(" AND ")),
            names,
            values,
            order: Order::NewestFirst,
        };
        after(&mut q, page);
        q
    }

    /// The shards of the list partition for (`cert_type`, stored `status`), each with an
    /// optional filter on `expires_at` against `:now`.
    fn partitions(
        &self,
        cert_type: Option<&str>,
        st: Option<Status>,
        page: &PageRequest,
        filter: Option<&'static str>,
        now: DateTime<Utc>,
    ) -> Vec<Stream> {
        let (index, value) = match (cert_type, st) {
            (None, None) => (BY_CREATED, "all".to_string()),
            (Some(t), None) => (BY_TYPE, t.to_string()),
            (None, Some(st)) => (BY_STATUS, st.as_str().to_string()),
            (Some(t), Some(st)) => (BY_TYPE_STATUS, format!("{t}#{}", st.as_str())),
        };
        (0..LIST_SHARDS)
            .map(|shard| {
                let mut q = IndexQuery {
                    index: index.name,
                    key_condition: "#pk = :pk".into(),
                    filter: filter.map(str::to_owned),
                    names: HashMap::from([("#pk".to_string(), index.key.partition.to_string())]),
                    values: Item::from([(":pk".to_string(), s(shard_value(&value, shard)))]),
                    order: Order::NewestFirst,
                };
                if filter.is_some() {
                    q.names.insert("#exp".into(), attr::EXPIRES_AT.into());
                    q.values.insert(":now".into(), ts(now));
                }
                after(&mut q, page);
                Stream::index(q)
            })
            .collect()
    }

    async fn count(&self, q: &IndexQuery) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .query(q)
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            total += u64::try_from(out.count).unwrap_or(0);
            match out.last_evaluated_key {
                None => return Ok(total),
                Some(k) => start = Some(k),
            }
        }
    }
}

/// Starts a newest-first query right after the cursor's key.
fn after(q: &mut IndexQuery, page: &PageRequest) {
    if let Some(a) = &page.after {
        q.key_condition.push_str(" AND #sk < :after");
        q.names.insert("#sk".into(), attr::CREATED_KEY.into());
        q.values.insert(":after".into(), s(a));
    }
}
