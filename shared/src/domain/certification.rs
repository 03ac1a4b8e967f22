//! The certification record as stored, a new certification and a change to one. Field names
//! follow the API contract, published as `openapi.yaml` at the repository root.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{effective_status, Status};
use super::timestamp;

/// One renewal in [`Certification::renewal_history`]: when it was made and the expiry it set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalEntry {
    /// When the renewing write was made (the clock's `now`, whole seconds).
    #[serde(with = "timestamp")]
    pub renewed_at: DateTime<Utc>,
    /// The later `expires_at` the renewal set.
    #[serde(with = "timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// The record as stored. `status` is the *stored* status; clients see
/// [`Certification::effective_status`]. Index attributes (see `store::table`) are added by
/// the store and never appear here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    /// `cert-` + lower-case ULID ([`super::ids::new_certification_id`]); the table key.
    pub id: String,
    /// Whose certification it is: 1 to 128 of `A-Z a-z 0-9 _ . : -`; never changes.
    pub mentor_id: String,
    /// The mentor's display name; `None` where unknown (not stored at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentor_name: Option<String>,
    /// The kind of certification, `^[a-z0-9][a-z0-9_]{0,63}$` (e.g. `peer_mentor_level_2`).
    pub cert_type: String,
    /// The stored status; `active` past `expires_at` until the expiry scan flips it.
    pub status: Status,
    /// Why it was suspended or revoked, when the request said; set by every suspension and
    /// revocation, removed by any other status change. Items written before it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When the certification was issued.
    #[serde(with = "timestamp")]
    pub issued_at: DateTime<Utc>,
    /// When it stops being valid; always later than `issued_at`.
    #[serde(with = "timestamp")]
    pub expires_at: DateTime<Utc>,
    /// Every renewal ever made, including those dropped from `renewal_history`.
    pub renewal_count: u32,
    /// The newest [`MAX_RENEWAL_HISTORY`] renewals, oldest first.
    #[serde(default)]
    pub renewal_history: Vec<RenewalEntry>,
    /// When the record was created (the clock's `now` on POST).
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    /// When the record last changed, the expiry scan's flip to `expired` included.
    #[serde(with = "timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Incremented by every write to the record (its `ETag`); 0 for an item written before
    /// versions existed.
    #[serde(default)]
    pub version: u64,
}

/// The newest renewals a record keeps in `renewal_history` (`renewal_count` counts them all):
/// keeps the largest item far below DynamoDB's 400 KB (see `docs/data-model.md`).
pub const MAX_RENEWAL_HISTORY: usize = 100;

/// What a client asks to create (a validated POST body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertification {
    /// Becomes [`Certification::mentor_id`].
    pub mentor_id: String,
    /// `None` when left out or sent as `null`.
    pub mentor_name: Option<String>,
    /// Becomes [`Certification::cert_type`].
    pub cert_type: String,
    /// Parsed from any RFC 3339 offset, in UTC, fractions of a second dropped.
    pub issued_at: DateTime<Utc>,
    /// As `issued_at`; validated to be later than it.
    pub expires_at: DateTime<Utc>,
}

/// A change to a certification (a validated PUT body): only the fields present are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificationPatch {
    /// The new `issued_at`; `None` keeps the stored one.
    pub issued_at: Option<DateTime<Utc>>,
    /// The new `expires_at`; later than the stored one makes the PUT a renewal.
    pub expires_at: Option<DateTime<Utc>>,
    /// The new `cert_type`; `None` keeps the stored one.
    pub cert_type: Option<String>,
    /// `Some(None)` clears the name (`"mentor_name": null`).
    pub mentor_name: Option<Option<String>>,
    /// Only `active`, `suspended` or `revoked`.
    pub status: Option<Status>,
    /// Only with `status` `suspended` or `revoked` (validated so): the reason stored with it.
    /// `None` (absent or `null`) stores none, removing any earlier one.
    pub status_reason: Option<String>,
}

impl Certification {
    /// A new record: stored `active`, no renewals yet.
    pub fn new(id: String, new: NewCertification, now: DateTime<Utc>) -> Self {
        Self {
            id,
            mentor_id: new.mentor_id,
            mentor_name: new.mentor_name,
            cert_type: new.cert_type,
            status: Status::Active,
            status_reason: None,
            issued_at: new.issued_at,
            expires_at: new.expires_at,
            renewal_count: 0,
            renewal_history: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The status clients see at `now` (see [`super::status::effective_status`]).
    pub fn effective_status(&self, now: DateTime<Utc>) -> Status {
        effective_status(self.status, self.expires_at, now)
    }
}
