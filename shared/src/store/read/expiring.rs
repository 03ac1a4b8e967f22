//! The expiring window (soonest first): effectively active certifications expiring within
//! N days, one page plus the total, read from the sparse `active-by-expiry` index's shards.
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
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
        let window = |lo: AttributeValue| {
            let hi = hi.clone();
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

    /// How many items `q` matches: COUNT Queries, every page (the SDK's paginator).
    async fn count(&self, q: &IndexQuery) -> Result<u64, StoreError> {
        let mut pages = self.query(q)?.select(Select::Count).into_paginator().send();
        let mut total = 0u64;
        while let Some(page) = pages.next().await {
            total += u64::try_from(page.map_err(classify)?.count).unwrap_or(0);
        }
        Ok(total)
    }
}
