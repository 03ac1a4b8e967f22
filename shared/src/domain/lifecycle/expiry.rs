//! A record's place in the expiry counts ([`ExpiryStanding`]) before and after a change
//! ([`ActiveExpiry`]): what [`super::Transition::expiry_tally`] moves.
use chrono::{DateTime, Utc};

use crate::domain::certification::Certification;
use crate::domain::status::Status;

/// Where a stored-`active` record counts in the expiry counts: the global buckets follow its
/// `expires_at`, the typed ones also its `cert_type`, the mentor's ones also its `mentor_id`
/// (which never changes, but is carried so the store needs nothing else).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpiryStanding {
    /// The record's `expires_at`: its day, month and year buckets.
    pub expires_at: DateTime<Utc>,
    /// The record's [`Certification::cert_type`].
    pub cert_type: String,
    /// The record's [`Certification::mentor_id`].
    pub mentor_id: String,
}

impl ExpiryStanding {
    /// The expiry standing of `c`'s fields, whatever its status.
    pub fn of(c: &Certification) -> Self {
        Self { expires_at: c.expires_at, cert_type: c.cert_type.clone(), mentor_id: c.mentor_id.clone() }
    }
}

/// Where a record is stored `active` before and after a change (`None`: not stored `active`,
/// or absent). What moves in the expiry counts: a type change of an `active` record moves
/// its typed buckets even when `expires_at` stays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActiveExpiry {
    /// Before the change.
    pub before: Option<ExpiryStanding>,
    /// After the change.
    pub after: Option<ExpiryStanding>,
}

impl ActiveExpiry {
    /// The expiry standing of a stored record (`None`: absent or not `active`).
    pub fn of(c: Option<&Certification>) -> Option<ExpiryStanding> {
        c.filter(|c| c.status == Status::Active).map(ExpiryStanding::of)
    }
}
