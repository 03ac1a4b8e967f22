//! The certification record as stored, a new certification and a change to one. Field names
//! follow the API contract (`certifications-api.txt` in the team's contract folder).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{effective_status, Status};
use super::timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalEntry {
    #[serde(with = "timestamp")]
    pub renewed_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub expires_at: DateTime<Utc>,
}

/// The record as stored. `status` is the *stored* status; clients see
/// [`Certification::effective_status`]. Index attributes (see `store::table`) are added by
/// the store and never appear here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    pub id: String,
    pub mentor_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentor_name: Option<String>,
    pub cert_type: String,
    pub status: Status,
    #[serde(with = "timestamp")]
    pub issued_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub expires_at: DateTime<Utc>,
    pub renewal_count: u32,
    #[serde(default)]
    pub renewal_history: Vec<RenewalEntry>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
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
    pub mentor_id: String,
    pub mentor_name: Option<String>,
    pub cert_type: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A change to a certification (a validated PUT body): only the fields present are changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificationPatch {
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub cert_type: Option<String>,
    /// `Some(None)` clears the name (`"mentor_name": null`).
    pub mentor_name: Option<Option<String>>,
    /// Only `active`, `suspended` or `revoked`.
    pub status: Option<Status>,
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
            issued_at: new.issued_at,
            expires_at: new.expires_at,
            renewal_count: 0,
            renewal_history: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    pub fn effective_status(&self, now: DateTime<Utc>) -> Status {
        effective_status(self.status, self.expires_at, now)
    }
}
