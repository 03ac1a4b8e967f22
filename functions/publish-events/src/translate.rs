//! What a change announces: the old and new images, described by the domain's
//! [`Transition::between`], become at most one EventBridge entry (`docs/events.md` is the
//! consumer's description; `docs/events.schema.json` the `detail` schema).
//!
//! **One event per change.** A change that is several things at once is announced once, under
//! the first detail-type that applies, in this order:
//!
//! 1. remove → `certification.deleted`;
//! 2. insert → `certification.created`, or `certification.expired` when it was stored
//!    `expired` (created already past its `expires_at`);
//! 3. status change → `certification.suspended`, `.revoked` or `.expired`; to `active`:
//!    `certification.renewed` when a renewal revived a stored `expired`, else
//!    `certification.reactivated`;
//! 4. a later `expires_at` → `certification.renewed` (`certification.expired` when the record
//!    stays stored `expired`: a renewal already past);
//! 5. any other field a client sees → `certification.updated`;
//! 6. `reminded_days` recorded (set or tightened) and nothing a client sees changed →
//!    `certification.expiring`;
//! 7. nothing a client sees changed (`migrate`'s index attributes, a renewal's removal of
//!    `reminded_days` alone) → nothing.
//!
//! Every event of a modify lists `changed_fields`, so the other things a change did are
//! never lost (a renewal that also renamed the mentor is `certification.renewed` with
//! `changed_fields` `["expires_at", "mentor_name", "renewal_count", "renewal_history"]`).
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use shared::domain::lifecycle::Transition;
use shared::domain::status::days_until_expiry;
use shared::domain::timestamp;
use shared::{Certification, Status};

use crate::change::StreamChange;

/// The EventBridge `source` of every event (the expiry scan's, unchanged).
pub const SOURCE: &str = "certifications";

/// Every detail-type, in the order of the table in `docs/events.md`.
pub const DETAIL_TYPES: [&str; 9] =
    [CREATED, RENEWED, SUSPENDED, REVOKED, REACTIVATED, EXPIRED, EXPIRING, UPDATED, DELETED];
pub const CREATED: &str = "certification.created";
pub const RENEWED: &str = "certification.renewed";
pub const SUSPENDED: &str = "certification.suspended";
pub const REVOKED: &str = "certification.revoked";
pub const REACTIVATED: &str = "certification.reactivated";
pub const EXPIRED: &str = "certification.expired";
pub const EXPIRING: &str = "certification.expiring";
pub const UPDATED: &str = "certification.updated";
pub const DELETED: &str = "certification.deleted";

/// One EventBridge entry: what `PutEvents` sends, and what the local file holds per line.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Always [`SOURCE`].
    pub source: String,
    /// One of [`DETAIL_TYPES`].
    pub detail_type: String,
    /// When the change was committed (the stream record's `ApproximateCreationDateTime`).
    pub time: DateTime<Utc>,
    /// The detail (`docs/events.schema.json`).
    pub detail: Value,
}

impl Event {
    /// The certification the event is about.
    pub fn certification_id(&self) -> &str {
        self.detail["certification_id"].as_str().unwrap_or_default()
    }

    /// `detail.event_id`.
    pub fn event_id(&self) -> &str {
        self.detail["event_id"].as_str().unwrap_or_default()
    }

    /// EventBridge's envelope as a rule target sees its main fields: `source`,
    /// `detail-type`, `time`, `detail` (one JSON line of the local `.local/events.jsonl`).
    pub fn envelope(&self) -> Value {
        json!({
            "source": self.source,
            "detail-type": self.detail_type,
            "time": timestamp::format(&self.time),
            "detail": self.detail,
        })
    }
}

/// The EventBridge entries a change announces, in order: none or one (see the module's
/// rule). `detail.event_id` is the stream record's `eventID`, so a redelivered record
/// announces the same id; were a change ever to announce more than one, the second and
/// later would carry `#1`, `#2`, ... after it.
pub fn events_of(change: &StreamChange, include_mentor_name: bool) -> Vec<Event> {
    let Some(kind) = classify(change) else { return Vec::new() };
    let Some(c) = change.new.as_ref().or(change.old.as_ref()) else { return Vec::new() };
    let mut d = Map::new();
    d.insert("event_id".into(), change.event_id.clone().into());
    d.insert("certification_id".into(), c.id.clone().into());
    // A delete is a write too: one past the last stored version, so it orders after it.
    let version = if change.new.is_some() { c.version } else { c.version + 1 };
    d.insert("version".into(), version.into());
    d.insert("occurred_at".into(), timestamp::format(&change.at).into());
    d.insert("mentor_id".into(), c.mentor_id.clone().into());
    d.insert("cert_type".into(), c.cert_type.clone().into());
    d.insert("status".into(), c.status.as_str().into());
    d.insert("expires_at".into(), timestamp::format(&c.expires_at).into());
    if include_mentor_name {
        d.insert("mentor_name".into(), c.mentor_name.clone().into());
    }
    let old_status = change.old.as_ref().map(|o| o.status.as_str());
    match kind {
        Kind::Created => {
            d.insert("issued_at".into(), timestamp::format(&c.issued_at).into());
        }
        Kind::Renewed => {
            let previous = change.old.as_ref().map(|o| timestamp::format(&o.expires_at));
            d.insert("previous_expires_at".into(), previous.into());
            d.insert("renewal_count".into(), c.renewal_count.into());
        }
        Kind::Suspended | Kind::Revoked => {
            d.insert("previous_status".into(), old_status.into());
            d.insert("status_reason".into(), c.status_reason.clone().into());
        }
        Kind::Reactivated | Kind::Expired => {
            d.insert("previous_status".into(), old_status.into());
        }
        Kind::Expiring(threshold) => {
            d.insert("threshold_days".into(), threshold.into());
            d.insert("days_until_expiry".into(), days_until_expiry(c.expires_at, change.at).into());
        }
        Kind::Updated | Kind::Deleted => {}
    }
    if let (Some(o), Some(n)) = (&change.old, &change.new) {
        d.insert("changed_fields".into(), changed_fields(o, n).into());
    }
    vec![Event { source: SOURCE.into(), detail_type: kind.detail_type().into(), time: change.at, detail: d.into() }]
}

/// What a change is, by the module's precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Renewed,
    Suspended,
    Revoked,
    Reactivated,
    Expired,
    Expiring(u32),
    Updated,
    Deleted,
}

impl Kind {
    fn detail_type(self) -> &'static str {
        match self {
            Kind::Created => CREATED,
            Kind::Renewed => RENEWED,
            Kind::Suspended => SUSPENDED,
            Kind::Revoked => REVOKED,
            Kind::Reactivated => REACTIVATED,
            Kind::Expired => EXPIRED,
            Kind::Expiring(_) => EXPIRING,
            Kind::Updated => UPDATED,
            Kind::Deleted => DELETED,
        }
    }
}

fn classify(change: &StreamChange) -> Option<Kind> {
    let t = Transition::between(change.old.as_ref(), change.new.as_ref())?;
    let (old, new) = match (&change.old, &change.new) {
        (_, None) => return Some(Kind::Deleted),
        (None, Some(n)) => return Some(if n.status == Status::Expired { Kind::Expired } else { Kind::Created }),
        (Some(o), Some(n)) => (o, n),
    };
    if let Some((_, Some(to))) = t.status_change() {
        return Some(match to {
            Status::Suspended => Kind::Suspended,
            Status::Revoked => Kind::Revoked,
            Status::Expired => Kind::Expired,
            Status::Active if t.renewal.is_some() && old.status == Status::Expired => Kind::Renewed,
            Status::Active => Kind::Reactivated,
        });
    }
    if t.renewal.is_some() {
        // A renewal already past leaves a stored `expired` as it was: announced as expired.
        return Some(if new.status == Status::Expired { Kind::Expired } else { Kind::Renewed });
    }
    if !changed_fields(old, new).is_empty() {
        return Some(Kind::Updated);
    }
    // The scan's reminder record: set, or tightened to a smaller threshold.
    match (change.old_reminded_days, change.new_reminded_days) {
        (before, Some(now)) if before != Some(now) => Some(Kind::Expiring(now)),
        _ => None,
    }
}

/// The contract's record fields that differ, by name, sorted. `updated_at` and `version`
/// change with every write and are left out: they are not what changed.
pub fn changed_fields(old: &Certification, new: &Certification) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            out.push(name);
        }
    };
    check("cert_type", old.cert_type != new.cert_type);
    check("expires_at", old.expires_at != new.expires_at);
    check("issued_at", old.issued_at != new.issued_at);
    check("mentor_id", old.mentor_id != new.mentor_id);
    check("mentor_name", old.mentor_name != new.mentor_name);
    check("renewal_count", old.renewal_count != new.renewal_count);
    check("renewal_history", old.renewal_history != new.renewal_history);
    check("status", old.status != new.status);
    check("status_reason", old.status_reason != new.status_reason);
    out
}
