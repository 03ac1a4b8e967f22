//! One list page from several sorted sources (an index's shards, plus items read up front):
//! a k-way merge by sort key that reads about what the page needs, and never more than its
//! read budget: a filter that drops many items ends the page short, with a cursor at the
//! point every source has read past, instead of reading on (issue 18).
use std::collections::VecDeque;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::Certification;
use crate::store::dynamo::attrs::{require_s, Item};
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::read::budget::{items_allowed, MAX_ROUNDS};
use crate::store::schema::item::from_item;
use crate::store::schema::table::{attr, IndexSpec};

pub(super) use crate::store::read::budget::Budget;

/// The sort orders the API promises; both are the order of the indexes' sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// `created_at` descending, then `id` descending: `created_key` descending.
    NewestFirst,
    /// `expires_at` ascending, then `id` ascending: `expiry_key` ascending.
    SoonestFirst,
}

impl Order {
    pub(super) fn sort_attr(self) -> &'static str {
        match self {
            Order::NewestFirst => attr::CREATED_KEY,
            Order::SoonestFirst => attr::EXPIRY_KEY,
        }
    }

    /// Whether `a` comes before `b`.
    pub(super) fn before(self, a: &str, b: &str) -> bool {
        match self {
            Order::NewestFirst => a > b,
            Order::SoonestFirst => a < b,
        }
    }
}

/// A Query on one index partition: its key condition (the partition first), optional filter
/// and sort order.
#[derive(Debug, Clone)]
pub(super) struct IndexQuery {
    pub(super) index: &'static str,
    pub(super) expr: Expr,
    pub(super) order: Order,
}

impl IndexQuery {
    /// The partition of `index` whose key is `partition`; more conditions go into `expr`.
    pub(super) fn new(index: IndexSpec, partition: AttributeValue, order: Order) -> Self {
        let mut expr = Expr::new();
        let pk = expr.eq(index.key.partition, partition);
        expr.key(pk);
        Self { index: index.name, expr, order }
    }
}

/// One sorted source of a merged page: an index partition read in batches, or items read
/// up front (the not-yet-flipped expired ones).
pub(super) struct Stream {
    query: Option<IndexQuery>,
    buf: VecDeque<(String, Certification)>,
    start: Option<Item>,
    done: bool,
    /// Items the filter is known to drop: the first Query reads this many more.
    dropped: usize,
    /// The sort key of the last item its Queries evaluated (`LastEvaluatedKey`'s), matched
    /// or dropped: everything before it in list order has been read.
    reached: Option<String>,
    /// Whether its last Query's filter dropped items: its refills then read their share of
    /// what is left of the budget, so dropping streams cost two rounds, not one per item.
    dropping: bool,
}

impl Stream {
    pub(super) fn index(query: IndexQuery) -> Self {
        Self { query: Some(query), buf: VecDeque::new(), start: None, done: false, ..Self::ready(Vec::new()) }
    }

    pub(super) fn ready(items: Vec<(String, Certification)>) -> Self {
        Self { query: None, buf: items.into(), start: None, done: true, dropped: 0, reached: None, dropping: false }
    }

    /// The query's filter drops up to `n` items this stream's partition holds (the list
    /// knows which: the not-yet-flipped ones it read up front). Its first Query reads past
    /// them at once, so they cost items read but no extra round trips: without this, 1,000 of
    /// them among the newest made a `status=active` page 56 Queries instead of 8.
    pub(super) fn reading_past(mut self, n: usize) -> Self {
        self.dropped = n;
        self
    }
}

/// A merged page.
pub(super) struct Merged {
    pub(super) items: Vec<Certification>,
    /// Where the next page starts when more may follow: the last item's sort key, or, on a
    /// page the budget ended short, the point every stream has read past.
    pub(super) next: Option<String>,
    /// Every match, when the page read to the end of the list from its start.
    pub(super) seen_all: Option<u64>,
}

/// A decoded item with its sort key.
fn keyed(item: Item, sort_attr: &str) -> Result<(String, Certification), StoreError> {
    let key = require_s(&item, sort_attr, "an index item")?.to_owned();
    Ok((key, from_item(item)?))
}

impl Store {
    /// Merges sorted streams into one page: skips the offset, keeps `limit` items, and peeks
    /// one more to know whether a next page exists. Each stream is first asked for its share
    /// of what the page needs plus one; a stream that runs dry while it may still hold the
    /// next item is asked for all that is still needed, so it is refilled at most about once.
    /// Reads: about the page (plus the offset) plus a few items per stream; a first or cursor
    /// page never more than its [`Budget`] allows (then it ends short, see [`Merged::next`]).
    pub(super) async fn merge(
        &self,
        mut streams: Vec<Stream>,
        order: Order,
        offset: u64,
        limit: u32,
        after: Option<&str>,
        b: Option<Budget>,
    ) -> Result<Merged, StoreError> {
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = limit.max(1) as usize;
        let need = skip.saturating_add(limit).saturating_add(1);
        let k = streams.len().max(1);
        let dropped: usize = streams.iter().map(|s| s.dropped).sum();
        let allowed = items_allowed(need, streams.len(), dropped, b);
        let budget = allowed.map(|(_, all)| all);
        // The first round asks each stream for its share of the page, within the budget.
        let mut batch = need.div_ceil(k) + 1;
        if let Some((core, _)) = allowed {
            batch = batch.min((core / k).max(1));
        }
        let (mut taken, mut out, mut last, mut more) = (0usize, Vec::new(), None, false);
        let (mut scanned, mut kept, mut rounds, mut queries, mut frontier) = (0usize, 0usize, 0usize, 0usize, None);
        loop {
            let dry: Vec<usize> =
                (0..streams.len()).filter(|&i| streams[i].buf.is_empty() && !streams[i].done).collect();
            if !dry.is_empty() {
                if let Some(budget) = budget {
                    let left = budget.saturating_sub(scanned);
                    // Rounds are capped only once a filter has dropped items: an unfiltered page
                    // whose shards are unbalanced may take a third.
                    let capped = match b.and_then(|b| b.queries) {
                        Some(max) => queries + dry.len() > max,
                        None => rounds >= MAX_ROUNDS && scanned > kept,
                    };
                    if capped || left < dry.len() {
                        // Out of budget: stop where every stream still open has read past.
                        frontier = reached_by_all(&streams, order);
                        if frontier.is_some() {
                            break;
                        }
                    }
                }
                let share = budget.map_or(0, |b| b.saturating_sub(scanned) / dry.len());
                let (read, matched) = self.refill(&mut streams, &dry, batch, share, order, after).await?;
                (scanned, kept) = (scanned + read, kept + matched);
                (rounds, queries) = (rounds + 1, queries + dry.len());
                batch = need.saturating_sub(taken).max(1);
                continue;
            }
            let best = next_best(&streams, order);
            let Some(best) = best else { break };
            if taken == skip + limit {
                more = true;
                break;
            }
            if let Some((key, c)) = streams[best].buf.pop_front() {
                if taken >= skip {
                    out.push(c);
                    last = Some(key);
                }
                taken += 1;
            }
        }
        if let Some(f) = frontier {
            // What the streams hold up to the frontier (itself included: the next page starts
            // after it) is in its final order.
            while let Some(best) = next_best(&streams, order).filter(|&b| !order.before(&f, &streams[b].buf[0].0)) {
                if taken == skip + limit {
                    return Ok(Merged { items: out, next: last, seen_all: None });
                }
                if let Some((key, c)) = streams[best].buf.pop_front() {
                    out.push(c);
                    last = Some(key);
                    taken += 1;
                }
            }
            // A short page (possibly empty): the next one starts where every stream has read
            // past, so nothing is skipped or read twice into a page.
            return Ok(Merged { items: out, next: Some(f), seen_all: None });
        }
        let seen_all = (!more && after.is_none()).then_some(taken as u64);
        Ok(Merged { items: out, next: if more { last } else { None }, seen_all })
    }

    /// One Query for each of the `dry` streams, sent together: `batch` items each, or
    /// `share` (of what is left of the budget) for a stream whose filter dropped items last
    /// time. Returns the items read and the items the filters kept.
    async fn refill(
        &self,
        streams: &mut [Stream],
        dry: &[usize],
        batch: usize,
        share: usize,
        order: Order,
        after: Option<&str>,
    ) -> Result<(usize, usize), StoreError> {
        let mut requests = Vec::with_capacity(dry.len());
        for &i in dry {
            // A dry stream is never a ready one (those start done), so each has a query.
            let Some(q) = streams[i].query.as_ref() else { continue };
            let want = if streams[i].dropping { share.max(1) } else { batch };
            let limit = i32::try_from(want.saturating_add(std::mem::take(&mut streams[i].dropped))).unwrap_or(i32::MAX);
            let request = self.query(q)?.limit(limit).set_exclusive_start_key(streams[i].start.clone());
            requests.push(async move { (i, request.send().await) });
        }
        let (mut scanned, mut kept) = (0usize, 0usize);
        for (i, out) in futures::future::join_all(requests).await {
            let out = out.map_err(classify)?;
            scanned += usize::try_from(out.scanned_count).unwrap_or(0);
            kept += usize::try_from(out.count).unwrap_or(0);
            streams[i].dropping = out.scanned_count > out.count;
            streams[i].reached = out
                .last_evaluated_key
                .as_ref()
                .and_then(|k| k.get(order.sort_attr()))
                .and_then(|v| v.as_s().ok())
                .cloned();
            for item in out.items.unwrap_or_default() {
                let (key, c) = keyed(item, order.sort_attr())?;
                // A cursor's own key opens the expiring window (BETWEEN is inclusive).
                if after != Some(key.as_str()) {
                    streams[i].buf.push_back((key, c));
                }
            }
            streams[i].start = out.last_evaluated_key;
            streams[i].done = streams[i].start.is_none();
        }
        Ok((scanned, kept))
    }

    pub(super) fn query(&self, q: &IndexQuery) -> Result<QueryFluentBuilder, StoreError> {
        let query = self.client.query().table_name(&self.table).index_name(q.index);
        Ok(query.with_expr(&q.expr)?.scan_index_forward(matches!(q.order, Order::SoonestFirst)))
    }
}

/// The stream whose next item comes first in list order, if any holds one.
fn next_best(streams: &[Stream], order: Order) -> Option<usize> {
    (0..streams.len()).filter(|&i| !streams[i].buf.is_empty()).reduce(|a, b| {
        if order.before(&streams[b].buf[0].0, &streams[a].buf[0].0) {
            b
        } else {
            a
        }
    })
}

/// The point every stream not yet done has read past: the least advanced one's last
/// evaluated key (items before it are all read, buffered or dropped; a stream's unread ones
/// all come after it). `None` if one has not said where it is: the page cannot stop there.
fn reached_by_all(streams: &[Stream], order: Order) -> Option<String> {
    let mut at: Option<&String> = None;
    for s in streams.iter().filter(|s| !s.done) {
        let r = s.reached.as_ref()?;
        // The least advanced stream is the one whose position comes first in list order.
        if at.is_none_or(|a| order.before(r, a)) {
            at = Some(r);
        }
    }
    at.cloned()
}
