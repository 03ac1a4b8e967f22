//! Lists: the filtered list (newest first) and the expiring window (soonest first), one
//! page of each plus the total, read from the indexes.
use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::Select;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use tracing::instrument;

use super::error::{classify, StoreError};
use super::handle::Store;
use super::item::{from_item, s, status, ts, Item};
use super::table::{attr, ACTIVE_PK_VALUE, BY_CREATED, BY_EXPIRY, BY_MENTOR, KIND_CERTIFICATION};
use crate::domain::{Certification, Status};

/// One page of results and the number of matches overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// From 1.
    pub page: u32,
    /// From 1.
    pub limit: u32,
}

impl PageRequest {
    fn offset(self) -> usize {
        (self.page as usize - 1) * self.limit as usize
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub mentor_id: Option<String>,
    pub cert_type: Option<String>,
    /// The effective status.
    pub status: Option<Status>,
}

/// The sort orders the API promises. Index order gives the first key; the id breaks ties.
#[derive(Debug, Clone, Copy)]
enum Order {
    /// `created_at` descending, then `id` descending.
    NewestFirst,
    /// `expires_at` ascending, then `id` ascending.
    SoonestFirst,
}

impl Order {
    fn group(self, c: &Certification) -> DateTime<Utc> {
        match self {
            Order::NewestFirst => c.created_at,
            Order::SoonestFirst => c.expires_at,
        }
    }

    fn sort(self, items: &mut [Certification]) {
        match self {
            Order::NewestFirst => items.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id))),
            Order::SoonestFirst => items.sort_by(|a, b| (a.expires_at, &a.id).cmp(&(b.expires_at, &b.id))),
        }
    }
}

/// A Query on one index: key condition, optional filter and their placeholders.
struct IndexQuery {
    index: &'static str,
    key_condition: String,
    filter: Option<String>,
    names: HashMap<String, String>,
    values: Item,
    order: Order,
}

/// Most items one Query request is asked to evaluate while collecting a filtered page.
const FILTERED_READ_BATCH: usize = 200;

impl Store {
    /// The filtered list, newest first, one page of it and the total.
    #[instrument(skip(self, now))]
    pub async fn list(
        &self,
        filter: &ListFilter,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        let mut names = HashMap::new();
        let mut values = Item::new();
        let (index, key_condition) = match &filter.mentor_id {
            Some(m) => {
                names.insert("#pk".into(), attr::MENTOR_ID.into());
                values.insert(":pk".into(), s(m));
                (BY_MENTOR.name, "#pk = :pk")
            }
            None => {
                names.insert("#pk".into(), attr::KIND.into());
                values.insert(":pk".into(), s(KIND_CERTIFICATION));
                (BY_CREATED.name, "#pk = :pk")
            }
        };
        let mut filters = Vec::new();
        if let Some(ct) = &filter.cert_type {
            names.insert("#ct".into(), attr::CERT_TYPE.into());
            values.insert(":ct".into(), s(ct));
            filters.push("#ct = :ct");
        }
        if let Some(st) = filter.status {
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
                    values.insert(":now".into(), ts(now.trunc_subsecs(0)));
                    if st == Status::Expired {
                        values.insert(":active".into(), status(Status::Active));
                    }
                    filters.push(f);
                }
                None => filters.push("#st = :st"),
            }
        }
        let q = IndexQuery {
            index,
            key_condition: key_condition.into(),
            filter: (!filters.is_empty()).then(|| filters.join(" AND ")),
            names,
            values,
            order: Order::NewestFirst,
        };
        self.page(&q, page).await
    }

    /// Effectively active certifications with `now < expires_at <= now + days`, soonest
    /// first. Reads only the window from the sparse `by-expiry` index.
    #[instrument(skip(self, now))]
    pub async fn expiring(
        &self,
        now: DateTime<Utc>,
        days: u32,
        page: PageRequest,
    ) -> Result<Page<Certification>, StoreError> {
        let now = now.trunc_subsecs(0);
        // Whole-second timestamps: `expires_at > now` is `expires_at >= now + 1s`.
        let lo = now + TimeDelta::seconds(1);
        let hi = now + TimeDelta::days(i64::from(days));
        self.page(&self.expiry_window(lo, hi, Order::SoonestFirst), page).await
    }

    fn expiry_window(&self, lo: DateTime<Utc>, hi: DateTime<Utc>, order: Order) -> IndexQuery {
        IndexQuery {
            index: BY_EXPIRY.name,
            key_condition: "#pk = :pk AND #exp BETWEEN :lo AND :hi".into(),
            filter: None,
            names: HashMap::from([
                ("#pk".to_string(), attr::ACTIVE_PK.to_string()),
                ("#exp".to_string(), attr::EXPIRES_AT.to_string()),
            ]),
            values: HashMap::from([
                (":pk".to_string(), s(ACTIVE_PK_VALUE)),
                (":lo".to_string(), ts(lo)),
                (":hi".to_string(), ts(hi)),
            ]),
            order,
        }
    }

    /// One ordered page plus the total. Reads the index from its start to the end of the
    /// page (and to the end of the tie group at the page's edge, so ties on the index sort
    /// key can be ordered by id); `total` is a COUNT query, skipped when the read already
    /// reached the end of the matches.
    async fn page(&self, q: &IndexQuery, page: PageRequest) -> Result<Page<Certification>, StoreError> {
        let page = PageRequest { page: page.page.max(1), limit: page.limit.max(1) };
        let offset = page.offset();
        let end = offset + page.limit as usize;
        let mut items: Vec<Certification> = Vec::new();
        let mut start: Option<Item> = None;
        let exhausted = loop {
            let mut want = (end + 1).saturating_sub(items.len()).max(1);
            if q.filter.is_some() {
                want = want.max(FILTERED_READ_BATCH);
            }
            let out = self
                .query(q)
                .limit(want.min(i32::MAX as usize) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            match out.last_evaluated_key {
                None => break true,
                Some(k) => start = Some(k),
            }
            if items.len() > end && q.order.group(&items[end - 1]) != q.order.group(&items[items.len() - 1]) {
                break false;
            }
        };
        let total = if exhausted { items.len() as u64 } else { self.count(q).await? };
        q.order.sort(&mut items);
        let items = items.into_iter().skip(offset).take(page.limit as usize).collect();
        Ok(Page { items, total })
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

    fn query(&self, q: &IndexQuery) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(q.index)
            .key_condition_expression(&q.key_condition)
            .set_filter_expression(q.filter.clone())
            .set_expression_attribute_names(Some(q.names.clone()))
            .set_expression_attribute_values(Some(q.values.clone()))
            .scan_index_forward(matches!(q.order, Order::SoonestFirst))
    }
}
