//! A domain [`Transition`] as DynamoDB expressions: its guards become the write's condition,
//! its field changes, renewal and list moves the update clauses (with the index attributes
//! that follow status and type), its tally the count moves. No rule is decided here: they
//! are all in `domain::lifecycle`.
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::domain::lifecycle::{Guard, History, Moves, Transition};
use crate::domain::{RenewalEntry, MAX_RENEWAL_HISTORY};
use crate::store::dynamo::attrs::{n, s, status, ts};
use crate::store::dynamo::error::StoreError;
use crate::store::dynamo::expr::{Cond, Expr};
use crate::store::schema::item::{
    active_pk, mentor_status_pk, mentor_type_pk, mentor_type_status_pk, sharded, sort_key, type_status_pk,
};
use crate::store::schema::table::attr;
use crate::store::write::counts::Deltas;
use crate::store::write::version;

/// Adds every guard to `e`'s condition.
pub(crate) fn guard(e: &mut Expr, guards: &[Guard]) {
    for g in guards {
        let c = condition(e, g);
        e.condition(c);
    }
}

fn condition(e: &mut Expr, g: &Guard) -> Cond {
    match g {
        Guard::Exists => e.exists(attr::ID),
        Guard::Absent => e.not_exists(attr::ID),
        Guard::StatusIs(st) => e.eq(attr::STATUS, status(*st)),
        Guard::StatusIsNot(st) => e.ne(attr::STATUS, status(*st)),
        Guard::TypeIs(t) => e.eq(attr::CERT_TYPE, s(t)),
        Guard::ExpiresBefore(t) => e.lt(attr::EXPIRES_AT, ts(*t)),
        Guard::ExpiresNotBefore(t) => e.ge(attr::EXPIRES_AT, ts(*t)),
        Guard::ExpiresAfter(t) => e.gt(attr::EXPIRES_AT, ts(*t)),
        Guard::ExpiresAt(t) => e.eq(attr::EXPIRES_AT, ts(*t)),
        Guard::IssuedBefore(t) => e.lt(attr::ISSUED_AT, ts(*t)),
        Guard::HistoryHasRoom => {
            let none = e.not_exists(attr::RENEWAL_HISTORY);
            none.or(e.size_lt(attr::RENEWAL_HISTORY, n(MAX_RENEWAL_HISTORY)))
        }
        Guard::VersionIs(v) => version::is_exactly(e, *v),
    }
}

/// The update clauses of an existing record's transition at `now`: `updated_at`, the version
/// bump, the fields, the renewal and the index attributes that follow status and type.
pub(crate) fn changes(e: &mut Expr, t: &Transition, now: DateTime<Utc>) -> Result<(), StoreError> {
    let f = &t.fields;
    e.set(attr::UPDATED_AT, ts(now));
    version::bump(e);
    if let Some(at) = f.issued_at {
        e.set(attr::ISSUED_AT, ts(at));
    }
    if let Some(at) = f.expires_at {
        e.set(attr::EXPIRES_AT, ts(at));
        e.set(attr::EXPIRY_KEY, s(sort_key(at, &t.id)));
    }
    if let Some(ct) = &f.cert_type {
        e.set(attr::CERT_TYPE, s(ct));
    }
    match &f.mentor_name {
        Some(Some(name)) => e.set(attr::MENTOR_NAME, s(name)),
        Some(None) => e.remove(attr::MENTOR_NAME),
        None => {}
    }
    if let Some(st) = f.status {
        e.set(attr::STATUS, status(st));
    }
    match &f.status_reason {
        Some(Some(reason)) => e.set(attr::STATUS_REASON, s(reason)),
        Some(None) => e.remove(attr::STATUS_REASON),
        None => {}
    }
    if let Some(r) = &t.renewal {
        let one = e.value(n(1));
        let count = e.path(attr::RENEWAL_COUNT).plus(one);
        e.set_expr(attr::RENEWAL_COUNT, count);
        match &r.history {
            History::Append => {
                let stored = e.if_not_exists(attr::RENEWAL_HISTORY, AttributeValue::L(vec![]));
                let entry = e.value(AttributeValue::L(vec![encode(&r.entry)?]));
                let appended = e.list_append(stored, entry);
                e.set_expr(attr::RENEWAL_HISTORY, appended);
            }
            History::Replace(kept) => {
                let list = kept.iter().map(encode).collect::<Result<_, _>>()?;
                e.set(attr::RENEWAL_HISTORY, AttributeValue::L(list));
            }
        }
        // A renewal starts a new expiry cycle: the expiry scan's reminders start over.
        e.remove(attr::REMINDED_DAYS);
    }
    if let Moves::Moved { from: Some(a), to: Some(b) } = &t.moves {
        if a.status != b.status {
            e.set(attr::STATUS_PK, s(sharded(b.status.as_str(), &t.id)));
            // The sparse active-by-expiry index holds exactly the stored-`active` records.
            if b.status == crate::domain::Status::Active {
                e.set(attr::ACTIVE_PK, s(active_pk(&t.id)));
            } else {
                e.remove(attr::ACTIVE_PK);
            }
        }
        if a.cert_type != b.cert_type {
            e.set(attr::TYPE_PK, s(sharded(&b.cert_type, &t.id)));
            e.set(attr::MENTOR_TYPE_PK, s(mentor_type_pk(&b.mentor_id, &b.cert_type)));
        }
        if a.status != b.status {
            e.set(attr::MENTOR_STATUS_PK, s(mentor_status_pk(&b.mentor_id, b.status)));
        }
        e.set(attr::TYPE_STATUS_PK, s(type_status_pk(&b.cert_type, b.status, &t.id)));
        e.set(attr::MENTOR_TYPE_STATUS_PK, s(mentor_type_status_pk(&b.mentor_id, &b.cert_type, b.status)));
    }
    Ok(())
}

/// The count moves of a transition, and its expiry-count moves.
pub(crate) fn deltas(t: &Transition) -> Deltas {
    let mut d = Deltas::default();
    for (standing, by) in t.tally() {
        d.add(&standing.mentor_id, &standing.cert_type, standing.status, by);
    }
    for (e, by) in t.expiry_tally() {
        d.add_expiry(e.expires_at, &e.mentor_id, &e.cert_type, by);
    }
    d
}

fn encode(r: &RenewalEntry) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(r).map_err(|err| StoreError::Internal(format!("encode a renewal entry: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::{plan, Change, Stored};
    use crate::domain::{Certification, CertificationPatch, NewCertification, Status};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The transaction items of every planned update (every stored status × status asked ×
    /// type change × `expires_at` change): the record, its counts and its expiry counts.
    /// The worst is an `active` record renewed into another year with a type change:
    /// 1 + 4 counts + 24 expiry counts = 29, far below TransactWriteItems' 100.
    #[test]
    fn the_largest_write_is_29_transaction_items() {
        let now = t("2026-03-26T10:00:00Z");
        let new = NewCertification {
            mentor_id: "mentor-1".into(),
            mentor_name: None,
            cert_type: "peer".into(),
            issued_at: t("2025-01-01T00:00:00Z"),
            expires_at: t("2027-03-26T12:00:00Z"),
        };
        let base = Certification::new("cert-a".into(), new, now);
        let expiries = [None, Some("2027-03-27T12:00:00Z"), Some("2028-03-26T12:00:00Z")];
        let mut worst = (0, String::new());
        for stored in [Status::Active, Status::Expired, Status::Suspended] {
            let old = Certification { status: stored, ..base.clone() };
            let asked = std::iter::once(None).chain(Status::ALL.map(Some));
            for status in asked.filter(|s| *s != Some(Status::Expired)) {
                for cert_type in [None, Some("lead".to_owned())] {
                    for expires in expiries {
                        let patch = CertificationPatch {
                            status,
                            cert_type: cert_type.clone(),
                            expires_at: expires.map(t),
                            ..Default::default()
                        };
                        let Ok(tr) = plan(Stored::Found(&old), Change::Update { id: "cert-a", patch: &patch, now })
                        else {
                            continue;
                        };
                        let d = deltas(&tr);
                        let items = 1 + d.iter().count() + d.expiry().count();
                        if items > worst.0 {
                            worst = (items, format!("{stored:?} {patch:?}"));
                        }
                    }
                }
            }
        }
        assert_eq!(worst.0, 29, "{}", worst.1);
        assert!(worst.1.starts_with("Active") && worst.1.contains("lead") && worst.1.contains("2028"), "{}", worst.1);
        // A create: the record, its 4 counts and 12 expiry counts (its idempotency record aside).
        let d = deltas(&plan(Stored::Unread, Change::Create(&base)).unwrap());
        assert_eq!((d.iter().count(), d.expiry().count()), (4, 12));
    }
}
