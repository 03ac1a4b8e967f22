//! The DynamoDB store: the only store implementation (local runs and tests use it against
//! an embedded DynamoDB-compatible engine). Every write is a single conditional request,
//! so concurrent requests never lose one another's changes.
use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, Select};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

use crate::error::FieldError;
use crate::model::{timestamp, Certification, Status};
use crate::table::{attr, ACTIVE_PK_VALUE, BY_CREATED, BY_EXPIRY, BY_MENTOR, KIND_CERTIFICATION};
use crate::validation::CertificationPatch;

pub mod scan;

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("certification {0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The change would leave the stored record invalid.
    #[error("invalid change")]
    Invalid(Vec<FieldError>),
    /// Throttled or unreachable after the SDK's own retries.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// An item that does not decode as a certification.
    #[error("corrupt item: {0}")]
    Corrupt(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// Error codes DynamoDB uses for load and transient faults: worth a 503 and a retry.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
];

pub(crate) fn classify<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => StoreError::Unavailable(text),
        SdkError::ServiceError(s) if s.err().code().is_some_and(|c| RETRYABLE_CODES.contains(&c)) => {
            StoreError::Unavailable(text)
        }
        _ => StoreError::Internal(text),
    }
}

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

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn ts(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(timestamp::format(&t))
}

/// The record plus its index attributes.
fn to_item(c: &Certification) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(c).map_err(|e| StoreError::Internal(format!("encode {}: {e}", c.id)))?;
    item.insert(attr::KIND.into(), s(KIND_CERTIFICATION));
    if c.status == Status::Active {
        item.insert(attr::ACTIVE_PK.into(), s(ACTIVE_PK_VALUE));
    }
    Ok(item)
}

pub fn from_item(item: Item) -> Result<Certification, StoreError> {
    let id = match item.get(attr::ID) {
        Some(AttributeValue::S(id)) => id.clone(),
        _ => "<no id>".into(),
    };
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(format!("item {id}: {e}")))
}

/// The items of one page the expiry scan reads. An item that does not decode is logged
/// and skipped, so one bad item cannot stall every later expiry and reminder; the request
/// paths, by contrast, fail loudly on it (500) since they would otherwise answer wrongly.
pub(crate) fn decode_scan_page(items: Option<Vec<Item>>) -> Vec<Certification> {
    let decoded = items.unwrap_or_default().into_iter().map(from_item);
    decoded
        .filter_map(|r| r.map_err(|e| tracing::error!(error = %e, "expiry scan skipped an undecodable item")).ok())
        .collect()
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
/// Bounded retries when a concurrent writer changes what an update's condition assumed. An
/// attempt fails only because another write landed in between (lock-free: someone always
/// progresses); 8 starved about 1 run in 13 of thirty racing renewals, 32 none in 150.
/// Past this the caller gets a 503 with Retry-After, never a lost update.
const MAX_UPDATE_ATTEMPTS: usize = 32;

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// PutItem, conditional on the id being new.
    pub async fn create(&self, c: &Certification) -> Result<(), StoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(c)?))
            .condition_expression("attribute_not_exists(#id)")
            .expression_attribute_names("#id", attr::ID)
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::Conflict(format!("a certification with id '{}' already exists", c.id)))
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// GetItem (strongly consistent, so a client reads its own writes).
    pub async fn get(&self, id: &str) -> Result<Option<Certification>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(from_item).transpose()
    }

    /// DeleteItem, conditional on existence; returns the removed record.
    pub async fn delete(&self, id: &str) -> Result<Certification, StoreError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .condition_expression("attribute_exists(#id)")
            .expression_attribute_names("#id", attr::ID)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match r {
            Ok(out) => match out.attributes {
                Some(old) => from_item(old),
                None => Err(StoreError::Internal(format!("delete of {id} returned no attributes"))),
            },
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Err(StoreError::NotFound(id.to_owned()))
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// Update or renew in one conditional UpdateItem.
    ///
    /// Whether the PUT is a renewal (new `expires_at` later than the stored one) is part of
    /// the condition, so it is decided atomically against the stored value. The first
    /// attempt guesses from the body; if the guess was wrong the failed condition returns
    /// the stored item (`ReturnValuesOnConditionCheckFailure`), and the next attempt is
    /// built from it. Each attempt is atomic, so concurrent PUTs never lose one another and
    /// twenty identical renewals count once. Usually this is one request.
    pub async fn update(
        &self,
        id: &str,
        patch: &CertificationPatch,
        now: DateTime<Utc>,
    ) -> Result<Certification, StoreError> {
        let mut plan = UpdatePlan { renewal: patch.expires_at.is_some(), prior_expired: false };
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let r = self.update_request(id, patch, now, plan).send().await;
            let err = match r {
                Ok(out) => {
                    return match out.attributes {
                        Some(item) => from_item(item),
                        None => Err(StoreError::Internal(format!("update of {id} returned no attributes"))),
                    }
                }
                Err(e) => e,
            };
            let old = match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(cc)) => cc.item().cloned(),
                _ => return Err(classify(err)),
            };
            let Some(old) = old else { return Err(StoreError::NotFound(id.to_owned())) };
            let old = from_item(old)?;
            if old.status == Status::Revoked {
                return Err(StoreError::Conflict(format!("certification '{id}' is revoked; revocation is final")));
            }
            let issued = patch.issued_at.unwrap_or(old.issued_at);
            let expires = patch.expires_at.unwrap_or(old.expires_at);
            if expires <= issued {
                let (field, message) = if patch.expires_at.is_some() {
                    ("expires_at", format!("must be later than issued_at ({})", timestamp::format(&issued)))
                } else {
                    ("issued_at", format!("must be earlier than expires_at ({})", timestamp::format(&expires)))
                };
                return Err(StoreError::Invalid(vec![FieldError::new(field, message)]));
            }
            plan = UpdatePlan {
                renewal: patch.expires_at.is_some_and(|e| e > old.expires_at),
                prior_expired: old.status == Status::Expired,
            };
        }
        Err(StoreError::Unavailable(format!("update of {id} kept racing concurrent writers")))
    }

    fn update_request(
        &self,
        id: &str,
        patch: &CertificationPatch,
        now: DateTime<Utc>,
        plan: UpdatePlan,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let mut set = vec!["#updated_at = :now"];
        let mut remove = Vec::new();
        let mut cond = vec!["attribute_exists(#id)", "#status <> :revoked"];
        let mut values: Item = HashMap::from([(":now".into(), ts(now)), (":revoked".into(), s("revoked"))]);

        if let Some(t) = patch.issued_at {
            set.push("#issued_at = :iss");
            values.insert(":iss".into(), ts(t));
        }
        if let Some(t) = patch.expires_at {
            set.push("#expires_at = :exp");
            values.insert(":exp".into(), ts(t));
            cond.push(if plan.renewal { "#expires_at < :exp" } else { "#expires_at >= :exp" });
        }
        // The result must keep expires_at > issued_at when only one of them changes.
        match (patch.issued_at, patch.expires_at) {
            (Some(_), None) => cond.push("#expires_at > :iss"),
            (None, Some(_)) => cond.push("#issued_at < :exp"),
            _ => {}
        }
        if let Some(ct) = &patch.cert_type {
            set.push("#cert_type = :ct");
            values.insert(":ct".into(), s(ct));
        }
        match &patch.mentor_name {
            Some(Some(name)) => {
                set.push("#mentor_name = :mn");
                values.insert(":mn".into(), s(name));
            }
            Some(None) => remove.push("#mentor_name"),
            None => {}
        }
        if plan.renewal {
            set.push("#renewal_count = #renewal_count + :one");
            set.push("#renewal_history = list_append(if_not_exists(#renewal_history, :empty), :entry)");
            values.insert(":one".into(), AttributeValue::N("1".into()));
            values.insert(":empty".into(), AttributeValue::L(vec![]));
            // A renewal always carries the new expires_at (plan.renewal implies it).
            let entry = HashMap::from([
                ("renewed_at".to_string(), ts(now)),
                ("expires_at".to_string(), ts(patch.expires_at.unwrap_or(now))),
            ]);
            values.insert(":entry".into(), AttributeValue::L(vec![AttributeValue::M(entry)]));
            // A renewal starts a new expiry cycle: the expiry scan's reminders start over.
            remove.push("#reminded_days");
            if patch.status.is_none() {
                // A renewal turns a stored `expired` back to `active`, and nothing else.
                values.insert(":expired".into(), s("expired"));
                cond.push(if plan.prior_expired { "#status = :expired" } else { "#status <> :expired" });
            }
        }
        let new_status = patch.status.or((plan.renewal && plan.prior_expired).then_some(Status::Active));
        if let Some(st) = new_status {
            set.push("#status = :st");
            values.insert(":st".into(), s(st.as_str()));
            // Keep the sparse by-expiry index in step with the stored status.
            if st == Status::Active {
                set.push("#active_pk = :apk");
                values.insert(":apk".into(), s(ACTIVE_PK_VALUE));
            } else {
                remove.push("#active_pk");
            }
        }

        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let cond = cond.join(" AND ");
        let all = [&expr, &cond].map(|e| e.as_str()).concat();
        let names: HashMap<String, String> =
            UPDATE_NAMES.iter().filter(|(p, _)| all.contains(p)).map(|(p, n)| (p.to_string(), n.to_string())).collect();
        self.client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(id))
            .update_expression(expr)
            .condition_expression(cond)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// The filtered list, newest first, one page of it and the total.
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
            names.insert("#ct".into(), "cert_type".into());
            values.insert(":ct".into(), s(ct));
            filters.push("#ct = :ct");
        }
        if let Some(st) = filter.status {
            names.insert("#st".into(), attr::STATUS.into());
            values.insert(":st".into(), s(st.as_str()));
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
                        values.insert(":active".into(), s("active"));
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

    /// Stored-`active` certifications with `expires_at <= now`, oldest expiry first, one
    /// DynamoDB page at a time (`start` is the previous page's `LastEvaluatedKey`). This is
    /// what the expiry scan reads: it grows with the due items, not with the table.
    pub async fn due_for_expiry(
        &self,
        now: DateTime<Utc>,
        page_size: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Certification>, Option<Item>), StoreError> {
        let out = self
            .active_by_expiry("#exp <= :now")
            .expression_attribute_values(":now", ts(now.trunc_subsecs(0)))
            .set_exclusive_start_key(start)
            .limit(page_size)
            .send()
            .await
            .map_err(classify)?;
        Ok((decode_scan_page(out.items), out.last_evaluated_key))
    }

    /// A Query on the stored-`active` partition of the sparse `by-expiry` index, with
    /// `range_condition` on `#exp` (`expires_at`) added to the key condition. The expiry scan's
    /// due and reminder pages both read through this.
    pub(crate) fn active_by_expiry(
        &self,
        range_condition: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(BY_EXPIRY.name)
            .key_condition_expression(format!("#pk = :pk AND {range_condition}"))
            .expression_attribute_names("#pk", attr::ACTIVE_PK)
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_values(":pk", s(ACTIVE_PK_VALUE))
    }

    /// Flips one certification to `expired`, on condition that it is still stored
    /// `active` with the `expires_at` the scan read: a renewal racing the scan wins.
    /// Returns `false` when the condition failed (renewed, changed or deleted meanwhile).
    pub async fn mark_expired(&self, c: &Certification, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(attr::ID, s(&c.id))
            .update_expression("SET #st = :expired, #upd = :now REMOVE #apk")
            .condition_expression("#st = :active AND #exp = :seen")
            .expression_attribute_names("#st", attr::STATUS)
            .expression_attribute_names("#upd", "updated_at")
            .expression_attribute_names("#apk", attr::ACTIVE_PK)
            .expression_attribute_names("#exp", attr::EXPIRES_AT)
            .expression_attribute_values(":expired", s("expired"))
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":now", ts(now))
            .expression_attribute_values(":seen", ts(c.expires_at))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(classify(e)),
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

    fn query(&self, q: &IndexQuery) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
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

/// What the current UpdateItem attempt assumes about the stored record.
#[derive(Debug, Clone, Copy)]
struct UpdatePlan {
    /// The new `expires_at` is later than the stored one.
    renewal: bool,
    /// The stored status is `expired` (only consulted for a renewal).
    prior_expired: bool,
}

/// Placeholders of the update expressions; only those an expression uses are sent
/// (DynamoDB rejects unused names).
const UPDATE_NAMES: &[(&str, &str)] = &[
    ("#id", attr::ID),
    ("#status", attr::STATUS),
    ("#updated_at", "updated_at"),
    ("#issued_at", attr::ISSUED_AT),
    ("#expires_at", attr::EXPIRES_AT),
    ("#cert_type", "cert_type"),
    ("#mentor_name", "mentor_name"),
    ("#renewal_count", "renewal_count"),
    ("#renewal_history", "renewal_history"),
    ("#active_pk", attr::ACTIVE_PK),
    ("#reminded_days", attr::REMINDED_DAYS),
];
