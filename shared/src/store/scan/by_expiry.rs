//! The sparse `active-by-expiry` index (stored-`active` items by `expiry_key` =
//! `<expires_at>#<id>`, in [`LIST_SHARDS`] shards): the key bounds of a time window, a Query
//! on one shard, and the continuation of a walk across the shards. The expiry scan and the
//! lists (`/expiring`, the effective status) read it through these.
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::domain::{timestamp, Status};
use crate::store::dynamo::attrs::{get_s, s, Item};
use crate::store::dynamo::error::StoreError;
use crate::store::dynamo::expr::{Cond, Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::schema::item::shard_value;
use crate::store::schema::table::{attr, BY_EXPIRY, LIST_SHARDS};

/// The smallest `expiry_key` at `t` or later (`<t>#<id>` sorts after `<t>`).
pub(crate) fn expiry_from(t: DateTime<Utc>) -> AttributeValue {
    s(timestamp::format(&t))
}

/// Above every `expiry_key` at `t` or earlier: `$` sorts right after the `#` that follows
/// the time, and below any later time.
pub(crate) fn expiry_through(t: DateTime<Utc>) -> AttributeValue {
    s(format!("{}$", timestamp::format(&t)))
}

/// Where a paged walk over the `active-by-expiry` shards resumes: the shard and the
/// `LastEvaluatedKey` inside it. Between shards the continuation is a marker item holding
/// only the next shard's `active_pk`, so the callers keep one opaque `Option<Item>`.
pub(crate) fn resume_at(start: Option<Item>) -> (u32, Option<Item>) {
    let Some(item) = start else { return (0, None) };
    let shard = get_s(&item, attr::ACTIVE_PK).and_then(|v| v.rsplit('#').next()?.parse().ok()).unwrap_or(0);
    if item.contains_key(attr::EXPIRY_KEY) {
        (shard, Some(item))
    } else {
        (shard, None)
    }
}

/// The continuation after a page of `shard`.
pub(crate) fn continue_after(shard: u32, out: &QueryOutput) -> Option<Item> {
    match &out.last_evaluated_key {
        Some(k) => Some(k.clone()),
        None if shard + 1 < LIST_SHARDS => {
            Some(Item::from([(attr::ACTIVE_PK.to_owned(), s(shard_value(Status::Active.as_str(), shard + 1)))]))
        }
        None => None,
    }
}

impl Store {
    /// A Query on one shard of the sparse `active-by-expiry` index: the key condition is the
    /// shard's partition and what `range` makes of `expiry_key` (bound it with
    /// [`expiry_from`] and [`expiry_through`]); `e` may hold a filter already. The expiry
    /// scan's pages and the lists read through this.
    pub(crate) fn active_by_expiry(
        &self,
        shard: u32,
        mut e: Expr,
        range: impl FnOnce(&mut Expr, &'static str) -> Cond,
    ) -> Result<QueryFluentBuilder, StoreError> {
        let pk = e.eq(attr::ACTIVE_PK, s(shard_value(Status::Active.as_str(), shard)));
        let range = range(&mut e, attr::EXPIRY_KEY);
        e.key(pk.and(range));
        self.client.query().table_name(&self.table).index_name(BY_EXPIRY.name).with_expr(&e)
    }
}
