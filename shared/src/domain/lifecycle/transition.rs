//! The types of the lifecycle: what is stored, the change asked, the rule broken, and the
//! [`Transition`] planned (or read back from two stored images).
use chrono::{DateTime, Utc};

use super::expiry::{ActiveExpiry, ExpiryStanding};
use crate::domain::certification::{Certification, CertificationPatch, RenewalEntry};
use crate::domain::status::Status;

/// What the caller knows of the stored record.
#[derive(Debug, Clone, Copy)]
pub enum Stored<'a> {
    /// Not read: the plan guards what it assumes.
    Unread,
    /// Read, and there is none.
    Absent,
    /// Read (strongly consistent) at its current version.
    Found(&'a Certification),
}

/// A change asked of a certification.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// Store this new record (built by [`Certification::new`]).
    Create(&'a Certification),
    /// Apply a validated PUT to the record `id`.
    Update {
        /// The record to change, as the request's path named it.
        id: &'a str,
        /// What to change: only the fields present.
        patch: &'a CertificationPatch,
        /// When: a reactivation needs `expires_at` still ahead of it, a renewal is dated by it.
        now: DateTime<Utc>,
    },
    /// Remove the stored record (planned from [`Stored::Found`]: its counts go with it).
    Delete,
    /// The expiry scan's flip of a due record to `expired`.
    Expire {
        /// When: the record is due once its `expires_at` is not after it.
        now: DateTime<Utc>,
    },
}

/// A rule the change breaks, or what the planner needs first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// No record with that id is stored.
    #[error("no such certification")]
    NotFound,
    /// A create whose id is already stored.
    #[error("the certification already exists")]
    AlreadyExists,
    /// The change moves the record between lists (status or type) or removes it: its counts
    /// depend on the stored record, so plan again with [`Stored::Found`].
    #[error("the stored record is needed to plan this change")]
    ReadFirst,
    /// An update of a stored `revoked` record.
    #[error("revoked; revocation is final")]
    Revoked,
    /// Setting `active` once `expires_at` has passed.
    #[error("expires_at has passed; renew with a later expires_at instead of setting it active")]
    PastExpiry,
    /// Not stored `active` with its `expires_at` passed: nothing for the scan to flip.
    #[error("not due for expiry")]
    NotDue,
    /// The result would break a field rule (a 400 on that field).
    #[error("{field}: {message}")]
    Invalid {
        /// The body field to blame: `issued_at` or `expires_at`.
        field: &'static str,
        /// What is wrong, as the client reads it.
        message: String,
    },
}

/// A record's place in the lists and totals: whose it is, its type and its stored status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Standing {
    /// The record's [`Certification::mentor_id`].
    pub mentor_id: String,
    /// The record's [`Certification::cert_type`].
    pub cert_type: String,
    /// The *stored* status, not the effective one.
    pub status: Status,
}

impl Standing {
    /// The standing of a stored record.
    pub fn of(c: &Certification) -> Self {
        Self { mentor_id: c.mentor_id.clone(), cert_type: c.cert_type.clone(), status: c.status }
    }
}

/// What a write requires of the stored record at the moment it lands: all must hold, or
/// nothing is written (the store makes each one part of the write's condition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// A record with the transition's id is stored.
    Exists,
    /// No record with the transition's id is stored (a create).
    Absent,
    /// Stored `status` is this.
    StatusIs(Status),
    /// Stored `status` is anything but this.
    StatusIsNot(Status),
    /// Stored `cert_type` is this.
    TypeIs(String),
    /// Stored `expires_at` is earlier than this.
    ExpiresBefore(DateTime<Utc>),
    /// Stored `expires_at` is this or later.
    ExpiresNotBefore(DateTime<Utc>),
    /// Stored `expires_at` is later than this.
    ExpiresAfter(DateTime<Utc>),
    /// Stored `expires_at` is exactly this.
    ExpiresAt(DateTime<Utc>),
    /// Stored `issued_at` is earlier than this.
    IssuedBefore(DateTime<Utc>),
    /// `renewal_history` holds fewer than [`crate::domain::MAX_RENEWAL_HISTORY`] entries (so one can be
    /// appended in the write itself).
    HistoryHasRoom,
    /// The stored `version` is exactly this (0: a record written before versions).
    VersionIs(u64),
}

/// How a renewal changes `renewal_history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum History {
    /// Append the entry (guarded by [`Guard::HistoryHasRoom`]).
    Append,
    /// Replace the list with this one: the stored newest entries and the new one (guarded by
    /// [`Guard::VersionIs`], since a list cannot be appended to and trimmed in one write).
    Replace(Vec<RenewalEntry>),
}

/// A renewal: a later `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The stored `expires_at` it replaces, when known.
    pub previous: Option<DateTime<Utc>>,
    /// The renewal to record: `now` and the new `expires_at`.
    pub entry: RenewalEntry,
    /// How `entry` goes into `renewal_history`.
    pub history: History,
}

/// The record's fields a write sets (besides `updated_at` and `version`, which every write to
/// the record sets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldChanges {
    /// The `issued_at` to set; `None` leaves it.
    pub issued_at: Option<DateTime<Utc>>,
    /// The `expires_at` to set; `None` leaves it.
    pub expires_at: Option<DateTime<Utc>>,
    /// The `cert_type` to set; `None` leaves it.
    pub cert_type: Option<String>,
    /// `Some(None)` removes the name.
    pub mentor_name: Option<Option<String>>,
    /// The stored status to set (asked for, `active` again after a renewal, or `expired` by
    /// the scan); `None` leaves it.
    pub status: Option<Status>,
    /// `Some(Some(reason))` stores the reason, `Some(None)` removes it: set with every status
    /// a write sets (a reason only for `suspended` and `revoked`); `None` leaves it.
    pub status_reason: Option<Option<String>>,
}

/// Where a record stands before and after: what moves in the lists and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moves {
    /// Neither status nor type changes (guarded when the record was not read).
    Unchanged,
    /// `None` before: created; `None` after: deleted.
    Moved {
        /// Where the record stood before the change.
        from: Option<Standing>,
        /// Where it stands after the change.
        to: Option<Standing>,
    },
}

/// One planned change of one record: what it requires, what it writes, what it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The record written: its `cert-` id, the table key.
    pub id: String,
    /// What the stored record must satisfy when the write lands; empty from
    /// [`Transition::between`].
    pub guards: Vec<Guard>,
    /// The fields the write sets.
    pub fields: FieldChanges,
    /// `Some` when the change is a renewal (a later `expires_at`).
    pub renewal: Option<Renewal>,
    /// What moves in the lists and totals.
    pub moves: Moves,
    /// What moves in the expiry counts (a record entering or leaving stored `active`, or an
    /// `active` record's `expires_at` changing).
    pub expiry: ActiveExpiry,
}

impl Transition {
    /// Status before → after, when it changes.
    pub fn status_change(&self) -> Option<(Option<Status>, Option<Status>)> {
        match &self.moves {
            Moves::Moved { from, to } => {
                let (a, b) = (from.as_ref().map(|s| s.status), to.as_ref().map(|s| s.status));
                (a != b).then_some((a, b))
            }
            Moves::Unchanged => None,
        }
    }

    /// Type before → after, when an existing record's type changes.
    pub fn type_change(&self) -> Option<(&str, &str)> {
        match &self.moves {
            Moves::Moved { from: Some(a), to: Some(b) } if a.cert_type != b.cert_type => {
                Some((&a.cert_type, &b.cert_type))
            }
            _ => None,
        }
    }

    /// The count moves: −1 under where the record stood, +1 under where it stands (nothing
    /// when those are equal).
    pub fn tally(&self) -> Vec<(Standing, i64)> {
        match &self.moves {
            Moves::Moved { from, to } if from != to => {
                from.iter().map(|s| (s.clone(), -1)).chain(to.iter().map(|s| (s.clone(), 1))).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The expiry-count moves: −1 where the record was stored `active` (its `expires_at`,
    /// type and mentor), +1 where it is stored `active` after (nothing when those are equal).
    /// The store adds each to the global, typed, mentor's and mentor's typed buckets: a type
    /// change alone nets to nothing in the global and mentor's ones.
    pub fn expiry_tally(&self) -> Vec<(ExpiryStanding, i64)> {
        let ActiveExpiry { before, after } = &self.expiry;
        if before == after {
            return Vec::new();
        }
        before.iter().map(|e| (e.clone(), -1)).chain(after.iter().map(|e| (e.clone(), 1))).collect()
    }

    /// The change from stored image `old` to `new` (either absent), as the table's stream
    /// reports it: no guards, since it was already written. A later `expires_at` is a
    /// renewal.
    pub fn between(old: Option<&Certification>, new: Option<&Certification>) -> Option<Transition> {
        let id = new.or(old)?.id.clone();
        let mut fields = FieldChanges::default();
        let mut renewal = None;
        if let (Some(o), Some(n)) = (old, new) {
            let differs = |a: DateTime<Utc>, b: DateTime<Utc>| (a != b).then_some(b);
            fields.issued_at = differs(o.issued_at, n.issued_at);
            fields.expires_at = differs(o.expires_at, n.expires_at);
            fields.cert_type = (o.cert_type != n.cert_type).then(|| n.cert_type.clone());
            fields.mentor_name = (o.mentor_name != n.mentor_name).then(|| n.mentor_name.clone());
            fields.status = (o.status != n.status).then_some(n.status);
            fields.status_reason = (o.status_reason != n.status_reason).then(|| n.status_reason.clone());
            if n.expires_at > o.expires_at {
                let entry = n
                    .renewal_history
                    .last()
                    .cloned()
                    .unwrap_or(RenewalEntry { renewed_at: n.updated_at, expires_at: n.expires_at });
                renewal = Some(Renewal { previous: Some(o.expires_at), entry, history: History::Append });
            }
        }
        let moves = Moves::Moved { from: old.map(Standing::of), to: new.map(Standing::of) };
        let expiry = ActiveExpiry { before: ActiveExpiry::of(old), after: ActiveExpiry::of(new) };
        Some(Transition { id, guards: Vec::new(), fields, renewal, moves, expiry })
    }
}
