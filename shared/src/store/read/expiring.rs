//! The expiring window (soonest first): effectively active certifications expiring within
//! N days, one page plus the total: the page from the sparse `active-by-expiry` index's
//! shards, the total from the expiry counts (`write::expiry_counts`) and two edge-day COUNTs.
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound, TimeDelta, Utc};
use tracing::instrument;

use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::s;
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::handle::Store;
use crate::store::read::list::{Page, PageRequest};
use crate::store::read::merge::{IndexQuery, Order, Stream};
use crate::store::scan::by_expiry::{expiry_from, expiry_through};
use crate::store::schema::item::shard_value;
use crate::store::schema::table::{attr, BY_EXPIRY, LIST_SHARDS};
use crate::store::write::expiry_counts::{Bucket, ExpiryKey};

impl Store {
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
        let window = |lo: AttributeValue, hi: AttributeValue| {
            (0..LIST_SHARDS).map(move |shard| {
                let mut q =
                    IndexQuery::new(BY_EXPIRY, s(shard_value(Status::Active.as_str(), shard)), Order::SoonestFirst);
                let range = q.expr.between(attr::EXPIRY_KEY, lo.clone(), hi.clone());
                q.expr.key(range);
                q
            })
        };
        // After a cursor the window starts at its key (inclusive: the merge drops the key).
        let from = match &page.after {
            Some(a) if lo.as_s().is_ok_and(|lo| a.as_str() > lo.as_str()) => s(a),
            _ => lo.clone(),
        };
        let streams = window(from, hi).map(Stream::index).collect();
        let merged =
            self.merge(streams, Order::SoonestFirst, page.offset(), page.limit, page.after.as_deref(), None).await?;
        // The total (unless this page already read to the window's end): the expiry counts of
        // the whole days, months and years inside the window, and COUNT Queries over only its
        // two partial edge days (each bounded by one day's expiries).
        let total = match merged.seen_all {
            Some(n) => n,
            None => {
                self.window_total(now + TimeDelta::seconds(1), now + TimeDelta::days(i64::from(days)), &window).await?
            }
        };
        Ok(Page { items: merged.items, total, next: merged.next })
    }

    /// Stored-`active` certifications with `first <= expires_at <= last` (whole seconds).
    async fn window_total<W, I>(&self, first: DateTime<Utc>, last: DateTime<Utc>, window: &W) -> Result<u64, StoreError>
    where
        W: Fn(AttributeValue, AttributeValue) -> I,
        I: Iterator<Item = IndexQuery>,
    {
        let (d0, d1) = (first.date_naive(), last.date_naive());
        let end_of = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc() + TimeDelta::days(1) - TimeDelta::seconds(1);
        let start_of = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
        // The edges: one range when the window is inside one day.
        let edges = if d0 == d1 { vec![(first, last)] } else { vec![(first, end_of(d0)), (start_of(d1), last)] };
        let counted = edges.into_iter().flat_map(|(a, b)| window(expiry_from(a), expiry_through(b)));
        let counts = futures::future::join_all(counted.map(|q| async move { self.count(&q).await }));
        let inner = match (d0.succ_opt(), d1.pred_opt()) {
            (Some(a), Some(b)) if d0 != d1 => Bucket::covering(a, b),
            _ => Vec::new(),
        };
        let (counts, whole) = futures::future::join(counts, self.expiry_sum(None, None, &inner)).await;
        let edges = counts.into_iter().sum::<Result<u64, StoreError>>()?;
        // A sum below zero can only be drift (see `recount`): it counts as none.
        Ok(edges + u64::try_from(whole?).unwrap_or(0))
    }

    /// Sum of the expiry counts of `buckets` (every shard), of the records of `mentor_id` and
    /// `cert_type` (`None`: any). Strongly consistent.
    pub(crate) async fn expiry_sum(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        buckets: &[Bucket],
    ) -> Result<i64, StoreError> {
        Ok(self.expiry_sums(mentor_id, cert_type, &[buckets]).await?.iter().sum())
    }

    /// [`Store::expiry_sum`] of each group of buckets, all read together (one BatchGetItem per
    /// 100 count items in all, not per group).
    pub(crate) async fn expiry_sums(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        groups: &[&[Bucket]],
    ) -> Result<Vec<i64>, StoreError> {
        let ids: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|b| ExpiryKey::new(*b, mentor_id, cert_type))
                    .flat_map(|k| (0..k.shards()).map(move |sh| k.item_id(sh)))
                    .collect()
            })
            .collect();
        // A bucket may be in two groups; BatchGetItem refuses a key twice.
        let mut all: Vec<String> = ids.iter().flatten().cloned().collect();
        all.sort_unstable();
        all.dedup();
        let values = self.count_values(&all).await?;
        Ok(ids.iter().map(|g| g.iter().filter_map(|id| values.get(id)).sum()).collect())
    }

    /// How many items `q` matches: COUNT Queries, every page (the SDK's paginator).
    pub(super) async fn count(&self, q: &IndexQuery) -> Result<u64, StoreError> {
        let mut pages = self.query(q)?.select(Select::Count).into_paginator().send();
        let mut total = 0u64;
        while let Some(page) = pages.next().await {
            total += u64::try_from(page.map_err(classify)?.count).unwrap_or(0);
        }
        Ok(total)
    }
}
