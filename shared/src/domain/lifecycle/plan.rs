//! [`plan`]: the rules of each change (see the module above for the list).
use chrono::{DateTime, Utc};

use super::expiry::{ActiveExpiry, ExpiryStanding};
use super::transition::{
    Change, DomainError, FieldChanges, Guard, History, Moves, Renewal, Standing, Stored, Transition,
};
use crate::domain::certification::{Certification, CertificationPatch, RenewalEntry, MAX_RENEWAL_HISTORY};
use crate::domain::status::Status;
use crate::domain::timestamp;

/// The transition `change` makes of `stored`, or the rule it breaks.
pub fn plan(stored: Stored<'_>, change: Change<'_>) -> Result<Transition, DomainError> {
    match change {
        Change::Create(c) => create(stored, c),
        Change::Update { id, patch, now } => update(stored, id, patch, now),
        Change::Delete => match stored {
            Stored::Unread => Err(DomainError::ReadFirst),
            Stored::Absent => Err(DomainError::NotFound),
            Stored::Found(old) => Ok(Transition {
                id: old.id.clone(),
                // Every change of status or type bumps the version: the counts taken off are
                // the ones the record still stands under.
                guards: vec![Guard::Exists, Guard::VersionIs(old.version)],
                fields: FieldChanges::default(),
                renewal: None,
                moves: Moves::Moved { from: Some(Standing::of(old)), to: None },
                expiry: ActiveExpiry { before: ActiveExpiry::of(Some(old)), after: None },
            }),
        },
        Change::Expire { now } => expire(stored, now),
    }
}

fn create(stored: Stored<'_>, c: &Certification) -> Result<Transition, DomainError> {
    if let Stored::Found(_) = stored {
        return Err(DomainError::AlreadyExists);
    }
    // Created already past its expires_at: stored `expired` (`fields.status`), never `active`
    // and due, so the scan never has to flip (and announce) it.
    let expired = c.status == Status::Active && c.expires_at <= c.created_at;
    let status = if expired { Status::Expired } else { c.status };
    Ok(Transition {
        id: c.id.clone(),
        guards: vec![Guard::Absent],
        fields: FieldChanges { status: expired.then_some(Status::Expired), ..Default::default() },
        renewal: None,
        moves: Moves::Moved { from: None, to: Some(Standing { status, ..Standing::of(c) }) },
        expiry: ActiveExpiry { before: None, after: (status == Status::Active).then(|| ExpiryStanding::of(c)) },
    })
}

fn expire(stored: Stored<'_>, now: DateTime<Utc>) -> Result<Transition, DomainError> {
    let c = match stored {
        Stored::Unread => return Err(DomainError::ReadFirst),
        Stored::Absent => return Err(DomainError::NotFound),
        Stored::Found(c) => c,
    };
    if c.status != Status::Active || c.expires_at > now {
        return Err(DomainError::NotDue);
    }
    let to = Standing { status: Status::Expired, ..Standing::of(c) };
    Ok(Transition {
        id: c.id.clone(),
        // Still as the scan read it: a renewal or type change racing the scan wins.
        guards: vec![
            Guard::StatusIs(Status::Active),
            Guard::ExpiresAt(c.expires_at),
            Guard::TypeIs(c.cert_type.clone()),
        ],
        fields: FieldChanges { status: Some(Status::Expired), ..Default::default() },
        renewal: None,
        moves: Moves::Moved { from: Some(Standing::of(c)), to: Some(to) },
        expiry: ActiveExpiry { before: ActiveExpiry::of(Some(c)), after: None },
    })
}

fn update(
    stored: Stored<'_>,
    id: &str,
    patch: &CertificationPatch,
    now: DateTime<Utc>,
) -> Result<Transition, DomainError> {
    let reactivation = patch.status == Some(Status::Active);
    if reactivation && patch.expires_at.is_some_and(|e| e <= now) {
        return Err(DomainError::PastExpiry);
    }
    let old = match stored {
        Stored::Absent => return Err(DomainError::NotFound),
        // A status or type change moves counts, and so does any `expires_at` (the expiry
        // counts of a stored `active` move with it; a passed one also makes it `expired`):
        // those are planned from the stored record.
        Stored::Unread if patch.status.is_some() || patch.cert_type.is_some() || patch.expires_at.is_some() => {
            return Err(DomainError::ReadFirst)
        }
        Stored::Unread => None,
        Stored::Found(old) => Some(old),
    };
    if let Some(old) = old {
        if old.status == Status::Revoked {
            return Err(DomainError::Revoked);
        }
        if reactivation && patch.expires_at.is_none() && old.expires_at <= now {
            return Err(DomainError::PastExpiry);
        }
        let issued = patch.issued_at.unwrap_or(old.issued_at);
        let expires = patch.expires_at.unwrap_or(old.expires_at);
        if expires <= issued {
            return Err(match patch.expires_at {
                Some(_) => DomainError::Invalid {
                    field: "expires_at",
                    message: format!("must be later than issued_at ({})", timestamp::format(&issued)),
                },
                None => DomainError::Invalid {
                    field: "issued_at",
                    message: format!("must be earlier than expires_at ({})", timestamp::format(&expires)),
                },
            });
        }
    }
    // Unread, a PUT with `expires_at` is taken for a renewal of a record not stored `expired`
    // (the guards say so); if it was not, the record comes back and the plan is redone.
    let renewal_to = patch.expires_at.filter(|e| old.is_none_or(|o| *e > o.expires_at));
    let prior_expired = old.is_some_and(|o| o.status == Status::Expired);

    let mut guards = vec![Guard::Exists, Guard::StatusIsNot(Status::Revoked)];
    if reactivation && patch.expires_at.is_none() {
        // Only while the stored expires_at is still ahead: checked by the write itself, so
        // a racing scan cannot slip an expiry in between.
        guards.push(Guard::ExpiresAfter(now));
    }
    if let Some(e) = patch.expires_at {
        guards.push(if renewal_to.is_some() { Guard::ExpiresBefore(e) } else { Guard::ExpiresNotBefore(e) });
    }
    // The result keeps expires_at > issued_at when only one of them changes.
    match (patch.issued_at, patch.expires_at) {
        (Some(i), None) => guards.push(Guard::ExpiresAfter(i)),
        (None, Some(e)) => guards.push(Guard::IssuedBefore(e)),
        _ => {}
    }
    let renewal = renewal_to.map(|to| {
        let entry = RenewalEntry { renewed_at: now, expires_at: to };
        let history = match old {
            Some(o) if o.renewal_history.len() >= MAX_RENEWAL_HISTORY => {
                guards.push(Guard::VersionIs(o.version));
                let skip = (o.renewal_history.len() + 1).saturating_sub(MAX_RENEWAL_HISTORY);
                History::Replace(o.renewal_history.iter().skip(skip).cloned().chain([entry.clone()]).collect())
            }
            _ => {
                guards.push(Guard::HistoryHasRoom);
                History::Append
            }
        };
        if patch.status.is_none() {
            // A renewal turns a stored `expired` back to `active`, and nothing else.
            guards.push(if prior_expired {
                Guard::StatusIs(Status::Expired)
            } else {
                Guard::StatusIsNot(Status::Expired)
            });
        }
        Renewal { previous: old.map(|o| o.expires_at), entry, history }
    });
    // A renewal revives a stored `expired` only to a future `expires_at`.
    let revived = renewal.is_some() && prior_expired && renewal_to.is_some_and(|e| e > now);
    let mut status = patch.status.or(revived.then_some(Status::Active));
    // No write leaves a record stored `active` past its `expires_at`: it is stored `expired`
    // now (announced once, by this write; the scan then has nothing to flip), so the set of
    // due records the scan has not flipped never grows by a request.
    let stays_active = status.or(old.map(|o| o.status)) == Some(Status::Active);
    let expires = patch.expires_at.or(old.map(|o| o.expires_at));
    if stays_active && expires.is_some_and(|e| e <= now) {
        status = Some(Status::Expired);
    }
    let moves = match old {
        None => Moves::Unchanged,
        Some(o) => {
            // The counts move from what was read: the write holds only while it still is.
            guards.push(Guard::StatusIs(o.status));
            guards.push(Guard::TypeIs(o.cert_type.clone()));
            let to = Standing {
                mentor_id: o.mentor_id.clone(),
                cert_type: patch.cert_type.clone().unwrap_or_else(|| o.cert_type.clone()),
                status: status.unwrap_or(o.status),
            };
            let from = Standing::of(o);
            if from == to {
                Moves::Unchanged
            } else {
                Moves::Moved { from: Some(from), to: Some(to) }
            }
        }
    };
    // Unread (no status, type or expires_at asked), nothing moves in the expiry counts.
    let expiry = match old {
        None => ActiveExpiry::default(),
        Some(o) => {
            let after_status = status.unwrap_or(o.status);
            // The typed buckets follow the type: a type change of an `active` record moves
            // them even when `expires_at` stays. The mentor never changes.
            let after = (after_status == Status::Active).then(|| ExpiryStanding {
                expires_at: patch.expires_at.unwrap_or(o.expires_at),
                cert_type: patch.cert_type.clone().unwrap_or_else(|| o.cert_type.clone()),
                mentor_id: o.mentor_id.clone(),
            });
            let expiry = ActiveExpiry { before: ActiveExpiry::of(Some(o)), after };
            if expiry.before != expiry.after {
                // The buckets moved are the ones the read record stands in: only while it does
                // (its type is guarded with the counts, `TypeIs`).
                guards.push(Guard::ExpiresAt(o.expires_at));
            }
            expiry
        }
    };
    let fields = FieldChanges {
        issued_at: patch.issued_at,
        expires_at: patch.expires_at,
        cert_type: patch.cert_type.clone(),
        mentor_name: patch.mentor_name.clone(),
        status,
        status_reason: status.map(|st| reason_for(st, patch)),
    };
    Ok(Transition { id: id.to_owned(), guards, fields, renewal, moves, expiry })
}

/// The reason stored with status `st`: the request's, for a suspension or revocation; none
/// for any other status (a reactivation, a renewal's revival, an expiry), which removes it.
fn reason_for(st: Status, patch: &CertificationPatch) -> Option<String> {
    matches!(st, Status::Suspended | Status::Revoked).then(|| patch.status_reason.clone()).flatten()
}
