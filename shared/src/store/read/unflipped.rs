//! The stored-`active` records already past expiry that the expiry pass has not flipped yet:
//! they list, filter and count as `expired` (semantics.md, *Status*). Normally they are a
//! minute's expiries (the pass runs every minute), read whole from `active-by-expiry`. When
//! there are more (a stalled scan, thousands expiring at one instant), a list reads only
//! their number, from the expiry counts, and pages past them within its read budget
//! (`read/merge.rs`), so what a list costs does not grow with them (issue 18).
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};

use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::{s, Item};
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::expr::{Cond, Expr};
use crate::store::dynamo::handle::Store;
use crate::store::read::merge::{IndexQuery, Order};
use crate::store::read::past_days::through_today;
use crate::store::scan::by_expiry::{expiry_from, expiry_through};
use crate::store::schema::item::{from_item, shard_value};
use crate::store::schema::table::{attr, BY_EXPIRY, LIST_SHARDS};
use crate::store::write::expiry_counts::Bucket;

/// Items each `active-by-expiry` shard is asked for (evaluated, before the list's filters):
/// fewer past expiry on every shard means the list knows them all. About a quarter of the
/// page, at least 2 and at most 8: a minute's expiries at a million certifications renewed
/// yearly is ~2 in all, so knowing them is the usual case, and with more the read stays
/// within what the page may read (`?status=active&limit=1`: 8 of its 18).
fn known_per_shard(limit: u32) -> i32 {
    i32::try_from((limit / LIST_SHARDS).clamp(2, 8)).unwrap_or(8)
}

/// Items each shard's COUNT of today's lapsed records may read before the count falls back
/// to today's expiry count less what expires later today.
const TODAY_PER_SHARD: i32 = 2;

/// What a list knows about the unflipped records matching its filters, and the items it read
/// to know it.
#[derive(Debug)]
pub(super) struct UnflippedRead {
    /// The records, or a bound to count them from.
    pub(super) what: Unflipped,
    /// Items the Queries read.
    pub(super) read: usize,
}

/// The unflipped records matching a list's filters.
#[derive(Debug)]
pub(super) enum Unflipped {
    /// All of them.
    Known(Vec<Certification>),
    /// More than the shards were asked for, none of them known; every one has
    /// `expires_at >= from`.
    Many {
        /// A lower bound of their `expires_at`: the expiry counts are summed from its day.
        from: DateTime<Utc>,
    },
}

/// One shard's answer: the matching items it returned, and where it stopped if it has more.
struct ShardRead {
    shard: u32,
    items: Vec<Certification>,
    more_from: Option<DateTime<Utc>>,
    scanned: usize,
    /// Where it stopped (`LastEvaluatedKey`), to read on from.
    start: Option<Item>,
}

impl Store {
    /// The unflipped records at `now` of the filters (`mentor_id`, `cert_type`). One Query per
    /// shard, each reading at most [`known_per_shard`] items. When there are more: for a page
    /// asked by number (`whole`: it must hold exactly its positions, so it needs them all),
    /// every one, read on; else only a bound to count them from.
    pub(super) async fn unflipped(
        &self,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        limit: u32,
        whole: bool,
    ) -> Result<UnflippedRead, StoreError> {
        let per_shard = known_per_shard(limit);
        let reads = (0..LIST_SHARDS).map(|shard| self.unflipped_in(shard, now, mentor_id, cert_type, per_shard));
        let shards = futures::future::try_join_all(reads).await?;
        let read = shards.iter().map(|r| r.scanned).sum();
        if shards.iter().all(|r| r.more_from.is_none()) {
            let known = shards.into_iter().flat_map(|r| r.items).collect();
            return Ok(UnflippedRead { what: Unflipped::Known(known), read });
        }
        if whole {
            // Each shard reads on from where it stopped.
            let reads = shards.into_iter().map(|r| self.rest_unflipped_in(r, now, mentor_id, cert_type));
            let shards = futures::future::try_join_all(reads).await?;
            let more = shards.iter().map(|(_, n)| n).sum::<usize>();
            let known = shards.into_iter().flat_map(|(items, _)| items).collect();
            return Ok(UnflippedRead { what: Unflipped::Known(known), read: read + more });
        }
        // A shard's first returned item is its earliest match; one that returned none has
        // none before where it stopped. Shards that had no more contributed all theirs.
        let from =
            shards.iter().filter_map(|r| r.items.first().map(|c| c.expires_at).or(r.more_from)).min().unwrap_or(now);
        Ok(UnflippedRead { what: Unflipped::Many { from }, read })
    }

    /// The Query for one shard's stored-`active` records of the filters with `expires_at <= now`.
    fn lapsed_in(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
    ) -> Result<QueryFluentBuilder, StoreError> {
        let mut e = Expr::new();
        filter_by(&mut e, mentor_id, cert_type);
        self.active_by_expiry(shard, e, |e, key| e.lt(key, expiry_through(now)))
    }

    /// A shard's first read and the rest of it up to `now`, every page, and the items the
    /// rest read.
    async fn rest_unflipped_in(
        &self,
        first: ShardRead,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
    ) -> Result<(Vec<Certification>, usize), StoreError> {
        let (mut items, mut read) = (first.items, 0usize);
        if first.start.is_none() {
            return Ok((items, read));
        }
        let query = self.lapsed_in(first.shard, now, mentor_id, cert_type)?;
        let mut pages = query.set_exclusive_start_key(first.start).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            read += usize::try_from(page.scanned_count).unwrap_or(0);
            for item in page.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
        }
        Ok((items, read))
    }

    /// One shard of `active-by-expiry` up to `now`, at most `per_shard` items evaluated.
    async fn unflipped_in(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        per_shard: i32,
    ) -> Result<ShardRead, StoreError> {
        let out = self.lapsed_in(shard, now, mentor_id, cert_type)?.limit(per_shard).send().await.map_err(classify)?;
        let items = out.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<_, _>>()?;
        // Where it stopped: the `expires_at` its last evaluated `expiry_key` starts with.
        // (A key it cannot read bounds nothing: the epoch, so every bucket since counts.)
        let more_from = out.last_evaluated_key.as_ref().map(|k| {
            k.get(attr::EXPIRY_KEY)
                .and_then(|v| v.as_s().ok())
                .and_then(|v| DateTime::parse_from_rfc3339(v.split('#').next()?).ok())
                .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc))
        });
        let scanned = usize::try_from(out.scanned_count).unwrap_or(0);
        Ok(ShardRead { shard, items, more_from, scanned, start: out.last_evaluated_key })
    }

    /// How many stored-`active` records of the filters have `from <= expires_at <= now`.
    /// When they all lapsed today (`from` is today: a short stall, or many expiring at one
    /// instant), a COUNT of them, if it may read them all (≤ [`TODAY_PER_SHARD`] a shard).
    /// Otherwise the expiry counts from `from`'s day through today ([`through_today`]), less
    /// a COUNT of what expires later today (the edge `/expiring` reads too), read together.
    pub(super) async fn unflipped_count(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        (mentor_id, cert_type): (Option<&str>, Option<&str>),
    ) -> Result<i64, StoreError> {
        let today = now.date_naive();
        let start = today.and_time(NaiveTime::MIN).and_utc();
        let filters = (mentor_id, cert_type);
        if from >= start {
            if let Some(n) = self.count_expiring(from, now, filters, Some(TODAY_PER_SHARD)).await? {
                return Ok(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        let buckets = through_today(from.date_naive(), today);
        let adds: Vec<Bucket> = buckets.iter().filter(|(_, w)| *w > 0).map(|(b, _)| *b).collect();
        let takes: Vec<Bucket> = buckets.iter().filter(|(_, w)| *w < 0).map(|(b, _)| *b).collect();
        let end = start + TimeDelta::days(1) - TimeDelta::seconds(1);
        let (sums, later) = futures::future::try_join(
            self.expiry_sums(mentor_id, cert_type, &[&adds, &takes]),
            self.count_expiring(now + TimeDelta::seconds(1), end, filters, None),
        )
        .await?;
        let later = later.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        match sums.as_slice() {
            [a, t] => Ok(a - t - later),
            _ => Err(StoreError::Internal("expiry sums: one per group".into())),
        }
    }

    /// COUNT of the stored-`active` records (of the filters) with `first <= expires_at <=
    /// last`, over every shard; `None` when a shard had more than `per_shard` to read.
    async fn count_expiring(
        &self,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        (mentor_id, cert_type): (Option<&str>, Option<&str>),
        per_shard: Option<i32>,
    ) -> Result<Option<u64>, StoreError> {
        let (lo, hi): (AttributeValue, AttributeValue) = (expiry_from(first), expiry_through(last));
        let counts = (0..LIST_SHARDS).map(|shard| {
            let mut q = IndexQuery::new(BY_EXPIRY, s(shard_value(Status::Active.as_str(), shard)), Order::SoonestFirst);
            let range = q.expr.between(attr::EXPIRY_KEY, lo.clone(), hi.clone());
            q.expr.key(range);
            filter_by(&mut q.expr, mentor_id, cert_type);
            async move {
                match per_shard {
                    None => self.count(&q).await.map(Some),
                    Some(limit) => {
                        let out = self.query(&q)?.select(Select::Count).limit(limit).send().await.map_err(classify)?;
                        Ok(out.last_evaluated_key.is_none().then(|| u64::try_from(out.count).unwrap_or(0)))
                    }
                }
            }
        });
        let counts = futures::future::try_join_all(counts).await?;
        Ok(counts.into_iter().sum())
    }
}

/// Adds the list's `mentor_id` and `cert_type` (those given) to `e`'s filter.
fn filter_by(e: &mut Expr, mentor_id: Option<&str>, cert_type: Option<&str>) {
    let of_mentor = mentor_id.map(|m| e.eq(attr::MENTOR_ID, s(m)));
    let of_type = cert_type.map(|t| e.eq(attr::CERT_TYPE, s(t)));
    if let Some(f) = Cond::all(of_mentor.into_iter().chain(of_type)) {
        e.filter(f);
    }
}
