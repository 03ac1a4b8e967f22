//! The stored-`active` records already past expiry that the expiry pass has not flipped yet:
//! they list, filter and count as `expired` (semantics.md, *Status*). Normally they are a
//! minute's expiries (the pass runs every minute), read whole from `active-by-expiry`. When
//! there are more (a stalled scan, thousands expiring at one instant), a list reads only
//! their number, from the expiry counts, and pages past them within its read budget
//! (`read/merge.rs`), so what a list costs does not grow with them (issue 18).
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};

use crate::domain::{Certification, Status};
use crate::store::dynamo::attrs::{s, ts};
use crate::store::dynamo::error::{classify, StoreError};
use crate::store::dynamo::expr::{Cond, Expr};
use crate::store::dynamo::handle::Store;
use crate::store::read::merge::{IndexQuery, Order};
use crate::store::scan::by_expiry::{expiry_from, expiry_through};
use crate::store::schema::item::{from_item, mentor_status_pk, mentor_type_status_pk, shard_value};
use crate::store::schema::table::{attr, BY_EXPIRY, BY_MENTOR_STATUS, BY_MENTOR_TYPE_STATUS, LIST_SHARDS};
use crate::store::write::expiry_counts::Bucket;

/// Items each `active-by-expiry` shard is asked for (evaluated, before the list's filters):
/// fewer past expiry on every shard means the list knows them all. About a quarter of the
/// page, at least 2 and at most 8: a minute's expiries at a million certifications renewed
/// yearly is ~2 in all, so knowing them is the usual case, and with more the read stays
/// within what the page may read (`?status=active&limit=1`: 8 of its 18).
fn known_per_shard(limit: u32) -> i32 {
    i32::try_from(limit.saturating_add(1).div_ceil(LIST_SHARDS).clamp(2, 8)).unwrap_or(8)
}

/// Items each shard's COUNT of today's lapsed records may read before the count falls back
/// to today's expiry counts minus what expires later today (a stall within one day).
const TODAY_PER_SHARD: i32 = 4;

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
    items: Vec<Certification>,
    more_from: Option<DateTime<Utc>>,
    scanned: usize,
}

impl Store {
    /// The unflipped records at `now` of the filters (`mentor_id`, `cert_type`). One Query per
    /// shard, each reading at most [`known_per_shard`] items. When there are more: for a page
    /// asked by number (`whole`: it must hold exactly its positions, so it needs them all),
    /// every one, read on; with `mentor_id`, the mentor's stored-`active` records (one
    /// partition: what one mentor holds); else only a bound to count them from.
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
            let reads = (0..LIST_SHARDS).map(|shard| self.all_unflipped_in(shard, now, mentor_id, cert_type));
            let shards = futures::future::try_join_all(reads).await?;
            let more = shards.iter().map(|(_, n)| n).sum::<usize>();
            let known = shards.into_iter().flat_map(|(items, _)| items).collect();
            return Ok(UnflippedRead { what: Unflipped::Known(known), read: read + more });
        }
        if let Some(m) = mentor_id {
            let (known, more) = self.mentor_unflipped(now, m, cert_type).await?;
            return Ok(UnflippedRead { what: Unflipped::Known(known), read: read + more });
        }
        // A shard's first returned item is its earliest match; one that returned none has
        // none before where it stopped. Shards that had no more contributed all theirs.
        let from =
            shards.iter().filter_map(|r| r.items.first().map(|c| c.expires_at).or(r.more_from)).min().unwrap_or(now);
        Ok(UnflippedRead { what: Unflipped::Many { from }, read })
    }

    /// One shard of `active-by-expiry` up to `now`, every page, and the items read.
    async fn all_unflipped_in(
        &self,
        shard: u32,
        now: DateTime<Utc>,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
    ) -> Result<(Vec<Certification>, usize), StoreError> {
        let e = of_filters(mentor_id, cert_type);
        let query = self.active_by_expiry(shard, e, |e, key| e.lt(key, expiry_through(now)))?;
        let mut pages = query.into_paginator().send();
        let (mut items, mut read) = (Vec::new(), 0usize);
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
        let e = of_filters(mentor_id, cert_type);
        let query = self.active_by_expiry(shard, e, |e, key| e.lt(key, expiry_through(now)))?;
        let out = query.limit(per_shard).send().await.map_err(classify)?;
        let items = out.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<_, _>>()?;
        // Where it stopped: the `expires_at` its last evaluated `expiry_key` starts with.
        let more_from = match out.last_evaluated_key {
            None => None,
            Some(k) => Some(
                k.get(attr::EXPIRY_KEY)
                    .and_then(|v| v.as_s().ok())
                    .and_then(|v| DateTime::parse_from_rfc3339(v.split('#').next()?).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(DateTime::UNIX_EPOCH),
            ),
        };
        Ok(ShardRead { items, more_from, scanned: usize::try_from(out.scanned_count).unwrap_or(0) })
    }

    /// A mentor's stored-`active` records (of `cert_type`) already past expiry, and the items
    /// read: one partition of the mentor index, read whole (what one mentor holds).
    async fn mentor_unflipped(
        &self,
        now: DateTime<Utc>,
        mentor_id: &str,
        cert_type: Option<&str>,
    ) -> Result<(Vec<Certification>, usize), StoreError> {
        let (index, partition) = match cert_type {
            Some(t) => (BY_MENTOR_TYPE_STATUS, mentor_type_status_pk(mentor_id, t, Status::Active)),
            None => (BY_MENTOR_STATUS, mentor_status_pk(mentor_id, Status::Active)),
        };
        let mut q = IndexQuery::new(index, s(partition), Order::NewestFirst);
        let lapsed = q.expr.le(attr::EXPIRES_AT, ts(now));
        q.expr.filter(lapsed);
        let mut pages = self.query(&q)?.into_paginator().send();
        let (mut items, mut read) = (Vec::new(), 0usize);
        while let Some(page) = pages.next().await {
            let page = page.map_err(classify)?;
            read += usize::try_from(page.scanned_count).unwrap_or(0);
            for item in page.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
        }
        Ok((items, read))
    }

    /// How many stored-`active` records (of `cert_type`) have `from <= expires_at <= now`:
    /// the expiry counts from `from`'s day to yesterday ([`before_today`]), plus a COUNT of
    /// today's (the unflipped ones alone: a flipped record left the index).
    /// When today holds more than that COUNT may read, today's expiry count minus a COUNT of
    /// what expires later today instead (the edge `/expiring` reads too).
    pub(super) async fn unflipped_count(
        &self,
        now: DateTime<Utc>,
        from: DateTime<Utc>,
        cert_type: Option<&str>,
    ) -> Result<i64, StoreError> {
        let today = now.date_naive();
        let start = today.and_time(NaiveTime::MIN).and_utc();
        let (plus, minus) = before_today(from.date_naive(), today);
        let before = async {
            let (p, m) = futures::future::try_join(
                self.expiry_sum(None, cert_type, &plus),
                self.expiry_sum(None, cert_type, &minus),
            )
            .await?;
            Ok::<i64, StoreError>(p - m)
        };
        let (before, lapsed_today) = futures::future::try_join(
            before,
            self.count_expiring(from.max(start), now, cert_type, Some(TODAY_PER_SHARD)),
        )
        .await?;
        if let Some(n) = lapsed_today {
            return Ok(before + i64::try_from(n).unwrap_or(i64::MAX));
        }
        let end = start + TimeDelta::days(1) - TimeDelta::seconds(1);
        let (today_n, later) = futures::future::try_join(
            self.expiry_sum(None, cert_type, &[Bucket::Day(today)]),
            self.count_expiring(now + TimeDelta::seconds(1), end, cert_type, None),
        )
        .await?;
        let later = later.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        Ok(before + today_n - later)
    }

    /// COUNT of the stored-`active` records (of `cert_type`) with `first <= expires_at <=
    /// last`, over every shard; `None` when a shard had more than `per_shard` to read.
    async fn count_expiring(
        &self,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        cert_type: Option<&str>,
        per_shard: Option<i32>,
    ) -> Result<Option<u64>, StoreError> {
        let (lo, hi): (AttributeValue, AttributeValue) = (expiry_from(first), expiry_through(last));
        let counts = (0..LIST_SHARDS).map(|shard| {
            let mut q = IndexQuery::new(BY_EXPIRY, s(shard_value(Status::Active.as_str(), shard)), Order::SoonestFirst);
            let range = q.expr.between(attr::EXPIRY_KEY, lo.clone(), hi.clone());
            q.expr.key(range);
            if let Some(t) = cert_type {
                let f = q.expr.eq(attr::CERT_TYPE, s(t));
                q.expr.filter(f);
            }
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

/// A filter on the list's `mentor_id` and `cert_type`, for `active-by-expiry` Queries.
fn of_filters(mentor_id: Option<&str>, cert_type: Option<&str>) -> Expr {
    let mut e = Expr::new();
    let of_mentor = mentor_id.map(|m| e.eq(attr::MENTOR_ID, s(m)));
    let of_type = cert_type.map(|t| e.eq(attr::CERT_TYPE, s(t)));
    if let Some(f) = Cond::all(of_mentor.into_iter().chain(of_type)) {
        e.filter(f);
    }
    e
}

/// Expiry buckets whose counts, the first summed less the second, give the stored-`active`
/// records expiring from `from` to the day before `today`. Nothing matching expires before
/// `from` (it is a lower bound of the unflipped ones' expiries), so the range may start at
/// `from`'s year: whole years and months up to this month, then this month's days up to
/// yesterday, or, when fewer, this month's count less its days from today on. At most ~11 +
/// years + 16 buckets, whatever the table holds.
fn before_today(from: NaiveDate, today: NaiveDate) -> (Vec<Bucket>, Vec<Bucket>) {
    let Some(yesterday) = today.pred_opt() else { return (Vec::new(), Vec::new()) };
    if from > yesterday {
        return (Vec::new(), Vec::new());
    }
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let this_month = month_start(today);
    let mut plus = Vec::new();
    let mut first = from;
    if from < this_month {
        if let Some(last) = this_month.pred_opt() {
            let year_start = NaiveDate::from_ymd_opt(from.year(), 1, 1).unwrap_or(from);
            plus = Bucket::covering(year_start, last);
        }
        first = this_month;
    }
    if first > yesterday {
        return (plus, Vec::new());
    }
    let forward: Vec<Bucket> = first.iter_days().take_while(|d| *d <= yesterday).map(Bucket::Day).collect();
    let rest: Vec<Bucket> = today.iter_days().take_while(|d| month_start(*d) == this_month).map(Bucket::Day).collect();
    if rest.len() + 1 < forward.len() {
        plus.push(Bucket::Month(today.year(), today.month()));
        (plus, rest)
    } else {
        plus.extend(forward);
        (plus, Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// How many times `d` is counted: once per bucket of `plus` holding it, less `minus`'s.
    fn net(d: NaiveDate, (plus, minus): &(Vec<Bucket>, Vec<Bucket>)) -> i64 {
        let held = |bs: &Vec<Bucket>| {
            let of = Bucket::of(d.and_hms_opt(12, 0, 0).unwrap().and_utc());
            bs.iter().filter(|b| of.contains(b)).count() as i64
        };
        held(plus) - held(minus)
    }

    #[test]
    fn the_days_before_today_are_counted_once_and_today_on_never() {
        let cases = [
            ("2026-03-26", "2026-03-26", 0),
            ("2026-03-20", "2026-03-26", 6),
            // This month's count less its 6 days from today on, instead of 25 days.
            ("2026-03-01", "2026-03-26", 7),
            ("2025-11-15", "2026-03-26", 3 + 7),
            ("2024-02-29", "2026-01-02", 2 + 1),
        ];
        for (from, today, n) in cases {
            let (from, today) = (day(from), day(today));
            let got = before_today(from, today);
            assert_eq!(got.0.len() + got.1.len(), n, "{from}..{today}: {got:?}");
            let mut d = from - TimeDelta::days(40);
            while d < today + TimeDelta::days(40) {
                let want = if d >= today {
                    Some(0)
                } else if d >= from {
                    Some(1)
                } else {
                    None // before `from` nothing matches, so any count is right
                };
                if let Some(w) = want {
                    assert_eq!(net(d, &got), w, "{from}..{today}: {d}");
                }
                d = d.succ_opt().unwrap();
            }
        }
    }
}
