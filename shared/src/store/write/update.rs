//! PUT: plan with `domain::lifecycle`, write the transition in one conditional request, and
//! plan again from the stored record when a guard did not hold.
//!
//! The first attempt of a PUT that changes neither status, type nor `expires_at` (a name or
//! `issued_at`) is planned without a read: its guards state what it assumed, and a failed
//! condition returns the stored item (`ReturnValuesOnConditionCheckFailure`) for the next
//! plan. Each attempt is atomic, so concurrent PUTs never lose one another and twenty
//! identical renewals count once. A change of status or type moves counts, and a change of
//! `expires_at` moves the expiry counts of an `active` record: the planner asks for the
//! stored record first (one GetItem), and the write and its count moves go as one
//! transaction guarded by what was read.
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::domain::lifecycle::{plan, Change, DomainError, Stored, Transition};
use crate::domain::{Certification, CertificationPatch};
use crate::store::dynamo::attrs::{s, Item};
use crate::store::dynamo::error::{built, classify, StoreError};
use crate::store::dynamo::expr::{Expr, WithExpr};
use crate::store::dynamo::handle::Store;
use crate::store::dynamo::transact::Transacted;
use crate::store::schema::item::from_item;
use crate::store::schema::table::attr;
use crate::store::write::transition::{changes, deltas, guard};
use crate::store::write::version::{self, IfMatch};

/// Bounded retries when a concurrent writer changes what an update's condition assumed. An
/// attempt fails only because another write landed in between (lock-free: someone always
/// progresses); 8 starved about 1 run in 13 of thirty racing renewals, 32 none in 150.
/// Past this the caller gets a 503 with Retry-After, never a lost update.
const MAX_UPDATE_ATTEMPTS: usize = 32;

/// How one attempt ended.
enum Attempt {
    Written(Certification),
    /// A guard did not hold: the record as it is (`None`: there is none).
    Refused(Option<Item>),
}

impl Store {
    /// Updates or renews `id` as `domain::lifecycle` plans it, also requiring `if_match` of
    /// the stored version inside every attempt's condition: a stale tag is
    /// [`StoreError::PreconditionFailed`] and nothing is written. A rule the change breaks
    /// is [`StoreError::Conflict`] (revoked, reactivation past expiry) or
    /// [`StoreError::Invalid`] (`expires_at` not after `issued_at`).
    #[instrument(skip(self, patch, now, if_match))]
    pub async fn update_if(
        &self,
        id: &str,
        patch: &CertificationPatch,
        now: DateTime<Utc>,
        if_match: Option<&IfMatch>,
    ) -> Result<Certification, StoreError> {
        let mut stored: Option<Certification> = None;
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let seen = stored.as_ref().map_or(Stored::Unread, Stored::Found);
            let t = match plan(seen, Change::Update { id, patch, now }) {
                Ok(t) => t,
                Err(DomainError::ReadFirst) => {
                    let old = self.get(id).await?.ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
                    version::precondition(if_match, id, old.version)?;
                    stored = Some(old);
                    continue;
                }
                Err(e) => return Err(StoreError::rejected(id, e)),
            };
            match self.write(&t, now, if_match).await? {
                Attempt::Written(c) => return Ok(c),
                Attempt::Refused(None) => return Err(StoreError::NotFound(id.to_owned())),
                Attempt::Refused(Some(item)) => {
                    let old = from_item(item)?;
                    version::precondition(if_match, id, old.version)?;
                    stored = Some(old);
                }
            }
        }
        Err(StoreError::Unavailable(format!("update of {id} kept racing concurrent writers")))
    }

    /// One attempt: a single UpdateItem, or a transaction when counts (or expiry counts) move.
    async fn write(
        &self,
        t: &Transition,
        now: DateTime<Utc>,
        if_match: Option<&IfMatch>,
    ) -> Result<Attempt, StoreError> {
        let mut e = Expr::new();
        guard(&mut e, &t.guards);
        if let Some(c) = if_match.and_then(|m| version::matches(&mut e, m)) {
            e.condition(c);
        }
        changes(&mut e, t, now)?;
        let deltas = deltas(t);
        if deltas.is_empty() {
            let sent = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(attr::ID, s(&t.id))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .with_expr(&e)?
                .send()
                .await;
            return match sent {
                Ok(out) => match out.attributes {
                    Some(item) => Ok(Attempt::Written(from_item(item)?)),
                    None => Err(StoreError::Internal(format!("update of {} returned no attributes", t.id))),
                },
                Err(err) => match err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(cc)) => {
                        Ok(Attempt::Refused(cc.item().cloned()))
                    }
                    _ => Err(classify(err)),
                },
            };
        }
        let parts = || -> Result<Vec<TransactWriteItem>, StoreError> {
            let update = Update::builder()
                .table_name(&self.table)
                .key(attr::ID, s(&t.id))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                .with_expr(&e)?;
            let mut parts = vec![TransactWriteItem::builder().update(built("an update", update.build())?).build()];
            parts.extend(self.count_updates(&deltas)?);
            Ok(parts)
        };
        match self.transact(parts).await? {
            // A transaction returns no attributes: read the record back (strongly).
            // (Under a race it may show a later write: the body and its ETag still agree.)
            Transacted::Applied => {
                let c = self.get(&t.id).await?.ok_or_else(|| StoreError::NotFound(t.id.clone()))?;
                Ok(Attempt::Written(c))
            }
            Transacted::ConditionFailed { item, .. } => Ok(Attempt::Refused(item)),
        }
    }
}
