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
use crate::store::dynamo::attrs::{s, ts};
use crate::store::dynamo::error::StoreError;
use crate::store::dynamo::handle::Store;
use crate::store::read::merge::{Budget, IndexQuery, Merged, Order, Stream};
use crate::store::read::unflipped::Unflipped;
use crate::store::schema::item::{mentor_status_pk, mentor_type_pk, mentor_type_status_pk, shard_value, sort_key};
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
    /// The caller asked for this page by number (`page` given): it holds exactly positions
    /// `offset..offset + limit`, whatever that reads. Otherwise (a cursor page, or the first
    /// page with neither `page` nor `cursor`) a page may end short of `limit`, with a cursor,
    /// where its read budget runs out (a stalled expiry scan: `store/read/merge.rs`).
    pub numbered: bool,
}

impl PageRequest {
    /// The first page, as a cursor walk starts it (it may end short).
    pub fn first(limit: u32) -> Self {
        Self { page: 1, limit, after: None, numbered: false }
    }

    /// Whether it must hold exactly its positions: asked by number, or past the first page
    /// without a cursor.
    pub fn exact(&self) -> bool {
        self.after.is_none() && (self.numbered || self.page > 1)
    }

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
        let merge =
            |streams, b| self.merge(streams, Order::NewestFirst, page.offset(), page.limit, page.after.as_deref(), b);
        let Some(st @ (Status::Active | Status::Expired)) = filter.status else {
            let streams = self.partitions(m, t, filter.status, page, Lapsed::Either, now);
            return Ok((merge(streams, None).await?, 0));
        };
        // The stored-`active` items already past expiry count as `expired`.
        let exact = page.exact();
        let lapsed = self.unflipped(now, m, t, page.limit, exact).await?;
        match lapsed.what {
            Unflipped::Known(due) => {
                let mut streams = Vec::new();
                if st == Status::Active {
                    // Each partition's first Query reads past the lapsed items it holds.
                    let parts = self.partitions(m, t, Some(Status::Active), page, Lapsed::Not, now);
                    let sharded = parts.len() > 1;
                    let dropped = |shard: u32| due.iter().filter(|c| !sharded || list_shard(&c.id) == shard).count();
                    streams.extend(parts.into_iter().zip(0..).map(|(q, shard)| q.reading_past(dropped(shard))));
                } else {
                    streams.extend(self.partitions(m, t, Some(Status::Expired), page, Lapsed::Either, now));
                    let mut items: Vec<(String, Certification)> = due
                        .iter()
                        .map(|c| (sort_key(c.created_at, &c.id), c.clone()))
                        .filter(|(k, _)| page.after.as_deref().is_none_or(|a| k.as_str() < a))
                        .collect();
                    items.sort_by(|a, b| b.0.cmp(&a.0));
                    streams.push(Stream::ready(items));
                }
                let b = (!exact).then_some(Budget { spent: lapsed.read, queries: None });
                Ok((merge(streams, b).await?, due.len() as i64))
            }
            Unflipped::Many { from } => {
                // Too many to read: `active` pages past them, `expired` reads them from the
                // stored-`active` partitions, both within the page's read budget; their
                // number comes from the expiry counts.
                let mut streams = self.partitions(m, t, Some(Status::Active), page, Lapsed::from(st), now);
                if st == Status::Expired {
                    streams.extend(self.partitions(m, t, Some(Status::Expired), page, Lapsed::Either, now));
                }
                // At most 8 page Queries: one round of the 8 `status=expired` streams, two of
                // the 4 `active` ones.
                let b = Some(Budget { spent: lapsed.read, queries: Some(2 * LIST_SHARDS as usize) });
                futures::future::try_join(merge(streams, b), self.unflipped_count(now, from, (m, t))).await
            }
        }
    }

    /// The list partitions for the filters, keeping the items `lapsed` says by their expiry
    /// at `now` (`st` is the stored status). Without `mentor_id`: the
    /// [`LIST_SHARDS`] shards of the index for (`cert_type`, `st`). With it: the one
    /// (unsharded) partition of the mentor index keyed by every filter given, so a page reads
    /// only matching items, whatever else the mentor holds.
    fn partitions(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        st: Option<Status>,
        page: &PageRequest,
        lapsed: Lapsed,
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
                let keep = match lapsed {
                    Lapsed::Either => None,
                    Lapsed::Not => Some(q.expr.gt(attr::EXPIRES_AT, ts(now))),
                    Lapsed::Only => Some(q.expr.le(attr::EXPIRES_AT, ts(now))),
                };
                if let Some(f) = keep {
                    q.expr.filter(f);
                }
                after(&mut q, page);
                Stream::index(q)
            })
            .collect()
    }
}

/// Which stored items a partition keeps by their `expires_at` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lapsed {
    /// All of them.
    Either,
    /// Not yet expired: effectively `active` when stored `active`.
    Not,
    /// Already expired: effectively `expired` when stored `active`.
    Only,
}

impl From<Status> for Lapsed {
    /// What a stored-`active` partition keeps for an effective status filter.
    fn from(st: Status) -> Self {
        if st == Status::Expired {
            Lapsed::Only
        } else {
            Lapsed::Not
        }
    }
}

/// Starts a newest-first query right after the cursor's key.
fn after(q: &mut IndexQuery, page: &PageRequest) {
    if let Some(a) = &page.after {
        let before = q.expr.lt(attr::CREATED_KEY, s(a));
        q.expr.key(before);
    }
}
