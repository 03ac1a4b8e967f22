//! The unconditional forms of the store's writes, for tests: every production caller passes
//! its `If-Match` (or `None`) to [`Store::update_if`] and [`Store::delete_if`].
use chrono::{DateTime, Utc};

use crate::domain::{Certification, CertificationPatch};
use crate::store::expiry_counts::Bucket;
use crate::store::{Store, StoreError};

/// `update` and `delete` without `If-Match`.
#[allow(async_fn_in_trait)] // test helpers: never used as `dyn`, never sent across threads by bound
pub trait StoreExt {
    /// [`Store::update_if`] without `If-Match`.
    async fn update(
        &self,
        id: &str,
        patch: &CertificationPatch,
        now: DateTime<Utc>,
    ) -> Result<Certification, StoreError>;
    /// [`Store::delete_if`] without `If-Match`.
    async fn delete(&self, id: &str) -> Result<Certification, StoreError>;
    /// `Store::expiry_sum` (crate-private): the expiry counts of `buckets`, every shard, of
    /// `mentor_id` and of `cert_type` when set (`None`: every mentor, every type).
    async fn expiry_counts_sum(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        buckets: &[Bucket],
    ) -> Result<i64, StoreError>;
}

impl StoreExt for Store {
    async fn update(
        &self,
        id: &str,
        patch: &CertificationPatch,
        now: DateTime<Utc>,
    ) -> Result<Certification, StoreError> {
        self.update_if(id, patch, now, None).await
    }

    async fn delete(&self, id: &str) -> Result<Certification, StoreError> {
        self.delete_if(id, None).await
    }

    async fn expiry_counts_sum(
        &self,
        mentor_id: Option<&str>,
        cert_type: Option<&str>,
        buckets: &[Bucket],
    ) -> Result<i64, StoreError> {
        self.expiry_sum(mentor_id, cert_type, buckets).await
    }
}
