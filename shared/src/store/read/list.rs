//! The filtered list (newest first): one page plus the total, read from the sharded indexes
//! and the count items. The expiring window is in `read/expiring.rs`.
//!
//! Every list index is sorted by a key ending in the id (`<time>#<id>`), so ties need no
//! extra reads and a position in a list is one sort key: a cursor page starts right after
//! it with a key condition (`created_key < after`), at the cost of that page alone. A page
//! merges the index's [`LIST_SHARDS`] shards (`read/merge.rs`); with `mentor_id` it reads
//! one partition keyed by every filter given (`mentor-…-by-created`), so no filter
//! expression drops a non-matching item (the only one left, `expires_at > now` on the
//! stored-`active` partitions, drops the not-yet-flipped items alone).
use chrono::{DateTime, SubsecRound, Utc};
use tracing::instrument;

use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::{s, ts, Item};
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::expr::{Cond, Expr};
use crate::store::dynamo::handle::Store;
use crate::store::read::merge::{IndexQuery, Merged, Order, Stream};
use crate::store::scan::by_expiry::expiry_through;
use crate::store::schema::item::{
    from_item, mentor_status_pk, mentor_type_pk, mentor_type_status_pk, shard_value, sort_key,
};
use crate::store::schema::table::{
    attr, list_shard, IndexSpec, BY_CREATED, BY_MENTOR, BY_MENTOR_STATUS, BY_MENTOR_TYPE, BY_MENTOR_TYPE_STATUS,
    BY_STATUS, BY_TYPE, BY_TYPE_STATUS, LIST_SHARDS,
};
use crate::store::write::counts::CountKey;

/// `page` works while `(page − 1) × limit` is below this (Elasticsearch's default
/// `max_result_window`): an offset page reads the pages before it, so deeper ones must
/// follow `next_cursor`.
pub const MAX_OFFSET: u64 = 10_000;

/// One page of results, the number of matches overall, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// This page's items, in list order.
    pub items: Vec<T>,
    /// Matches over the whole list, not only this page.
    pub total: u64,
    /// The sort key of the page's last item when more items follow; `None` on the last page.
    pub next: Option<String>,
}

/// Which page of a list to read: by number, or after a cursor.
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
    /// Items before the page: `(page - 1) × limit`, or 0 after a cursor.
    pub fn offset(&self) -> u64 {
        match self.after {
            Some(_) => 0,
            None => u64::from(self.page.max(1) - 1) * u64::from(self.limit),
        }
    }
}

/// The list's filters; `None` matches any value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// This mentor's certifications only.
    pub mentor_id: Option<String>,
    /// Of this certification type only.
    pub cert_type: Option<String>,
    /// The effective status.
    pub status: Option<Status>,
}

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
        // `status=active` reads each partition past the not-yet-flipped items it holds.
        let dropped = |shard: Option<u32>| match (filter.status, &due) {
            (Some(Status::Active), Some(due)) => {
                due.iter().filter(|c| shard.is_none_or(|sh| list_shard(&c.id) == sh)).count()
            }
            _ => 0,
        };
        let mut streams = Vec::new();
        match filter.status {
            None => streams.extend(self.partitions(m, t, None, page, false, now)),
            Some(st) => {
                // One partition with `mentor_id` (it holds every shard's), else one per shard.
                let parts = self.partitions(m, t, Some(st), page, st == Status::Active, now);
                let sharded = parts.len() > 1;
                streams.extend(
                    parts.into_iter().zip(0..).map(|(q, shard)| q.reading_past(dropped(sharded.then_some(shard)))),
                );
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
        let mut e = Expr::new();
        let of_mentor = mentor_id.map(|m| e.eq(attr::MENTOR_ID, s(m)));
        let of_type = cert_type.map(|t| e.eq(attr::CERT_TYPE, s(t)));
        if let Some(f) = Cond::all(of_mentor.into_iter().chain(of_type)) {
            e.filter(f);
        }
        let query = self.active_by_expiry(shard, e, |e, key| e.lt(key, expiry_through(now)))?;
        let items: Vec<Item> = query.into_paginator().items().send().try_collect().await.map_err(classify)?;
        items.into_iter().map(from_item).collect()
    }

    /// The list partitions for the filters, each keeping only the items not expired at `now`
    /// when `only_not_expired` (`st` is the stored status). Without `mentor_id`: the
    /// [`LIST_SHARDS`] shards of the index for (`cert_type`, `st`). With it: the one
    /// (unsharded) partition of the mentor index keyed by every filter given, so a page reads
    /// only matching items, whatever else the mentor holds.
    fn partitions(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        st: Option<Status>,
        page: &PageRequest,
        only_not_expired: bool,
        now: DateTime<Utc>,
    ) -> Vec<Stream> {
        let keys: Vec<(IndexSpec, String)> = match (mentor_id, cert_type, st) {
            (Some(m), None, None) => vec![(BY_MENTOR, m.to_owned())],
            (Some(m), Some(t), None) => vec![(BY_MENTOR_TYPE, mentor_type_pk(m, t))],
            (Some(m), None, Some(st)) => vec![(BY_MENTOR_STATUS, mentor_status_pk(m, st))],
            (Some(m), Some(t), Some(st)) => vec![(BY_MENTOR_TYPE_STATUS, mentor_type_status_pk(m, t, st))],
            (None, _, _) => {
                let (index, value) = match (cert_type, st) {
                    (None, None) => (BY_CREATED, "all".to_string()),
                    (Some(t), None) => (BY_TYPE, t.to_string()),
                    (None, Some(st)) => (BY_STATUS, st.as_str().to_string()),
                    (Some(t), Some(st)) => (BY_TYPE_STATUS, format!("{t}#{}", st.as_str())),
                };
                (0..LIST_SHARDS).map(|shard| (index, shard_value(&value, shard))).collect()
            }
        };
        keys.into_iter()
            .map(|(index, partition)| {
                let mut q = IndexQuery::new(index, s(partition), Order::NewestFirst);
                if only_not_expired {
                    let f = not_expired(&mut q.expr, now);
                    q.expr.filter(f);
                }
                after(&mut q, page);
                Stream::index(q)
            })
            .collect()
    }
}

/// The effective-status filter on stored `active` items (`active`: not yet expired).
fn not_expired(e: &mut Expr, now: DateTime<Utc>) -> Cond {
    e.gt(attr::EXPIRES_AT, ts(now))
}

/// Starts a newest-first query right after the cursor's key.
fn after(q: &mut IndexQuery, page: &PageRequest) {
    if let Some(a) = &page.after {
        let before = q.expr.lt(attr::CREATED_KEY, s(a));
        q.expr.key(before);
    }
}
