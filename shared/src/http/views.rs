//! Every JSON shape the API answers with: one certification view, the list page, the
//! delete answer.
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::status::{days_until_expiry, is_expiring_soon};
use crate::domain::{timestamp, Certification, RenewalEntry, Status};

/// Every response that shows a certification. One shape, with the parts that differ per
/// endpoint optional, so field order and formatting cannot drift between endpoints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificationView {
    /// The record's `cert-` id ([`Certification::id`]).
    pub id: String,
    /// Whose certification it is ([`Certification::mentor_id`]).
    pub mentor_id: String,
    /// Always present: `null` where unknown.
    pub mentor_name: Option<String>,
    /// The kind of certification ([`Certification::cert_type`]).
    pub cert_type: String,
    /// The effective status.
    pub status: Status,
    /// Why it was suspended or revoked, when a reason was given; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// [`Certification::issued_at`], as `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(with = "timestamp")]
    pub issued_at: DateTime<Utc>,
    /// [`Certification::expires_at`], as `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(with = "timestamp")]
    pub expires_at: DateTime<Utc>,
    /// Renewals ever made ([`Certification::renewal_count`]).
    pub renewal_count: u32,
    /// The stored history, oldest first; `None` (left out) in list and `/expiring` items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_history: Option<Vec<RenewalEntry>>,
    /// [`Certification::created_at`], as `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    /// [`Certification::updated_at`], as `YYYY-MM-DDTHH:MM:SSZ`.
    #[serde(with = "timestamp")]
    pub updated_at: DateTime<Utc>,
    /// Whole UTC calendar days until `expires_at`, negative once past; only on `/expiring`
    /// and `/status` (else left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_until_expiry: Option<i64>,
    /// Effectively active and expiring within `EXPIRING_SOON_DAYS` days; only on `/status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_expiring_soon: Option<bool>,
}

impl CertificationView {
    /// The whole record: GET, POST, PUT.
    pub fn full(c: Certification, now: DateTime<Utc>) -> Self {
        let status = c.effective_status(now);
        Self {
            id: c.id,
            mentor_id: c.mentor_id,
            mentor_name: c.mentor_name,
            cert_type: c.cert_type,
            status,
            status_reason: c.status_reason,
            issued_at: c.issued_at,
            expires_at: c.expires_at,
            renewal_count: c.renewal_count,
            renewal_history: Some(c.renewal_history),
            created_at: c.created_at,
            updated_at: c.updated_at,
            days_until_expiry: None,
            is_expiring_soon: None,
        }
    }

    /// A list item: the record without `renewal_history`.
    pub fn list_item(c: Certification, now: DateTime<Utc>) -> Self {
        Self { renewal_history: None, ..Self::full(c, now) }
    }

    /// An `/expiring` item: a list item plus `days_until_expiry`.
    pub fn expiring_item(c: Certification, now: DateTime<Utc>) -> Self {
        let days = days_until_expiry(c.expires_at, now);
        Self { days_until_expiry: Some(days), ..Self::list_item(c, now) }
    }

    /// `/status`: the whole record plus `days_until_expiry` and `is_expiring_soon`.
    pub fn status(c: Certification, now: DateTime<Utc>, expiring_soon_days: i64) -> Self {
        let days = days_until_expiry(c.expires_at, now);
        let view = Self::full(c, now);
        Self {
            days_until_expiry: Some(days),
            is_expiring_soon: Some(is_expiring_soon(view.status, days, expiring_soon_days)),
            ..view
        }
    }
}

/// The `pagination` member of a list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pagination {
    /// This page's number, from 1.
    pub page: u32,
    /// Most items a page holds (1 to 100).
    pub limit: u32,
    /// Every match, on every page.
    pub total: u64,
    /// Opens the next page (`?cursor=`); `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `{data, pagination}` for both list endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct PageBody<T> {
    /// This page's items, at most `limit` of them.
    pub data: Vec<T>,
    /// Where this page is in the list, and the next page's cursor.
    pub pagination: Pagination,
}

/// `DELETE` answers with this.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    /// Always `true`: a delete that did not happen answers with a problem instead.
    pub deleted: bool,
    /// The id of the deleted certification.
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Clock, FixedClock};
    use serde_json::json;

    fn cert() -> Certification {
        let t = |s| FixedClock::at(s).now();
        Certification {
            id: "cert-001".into(),
            mentor_id: "mentor-42".into(),
            mentor_name: None,
            cert_type: "peer_mentor_level_2".into(),
            status: Status::Active,
            status_reason: None,
            issued_at: t("2025-09-01T00:00:00Z"),
            expires_at: t("2026-09-01T00:00:00Z"),
            renewal_count: 1,
            renewal_history: vec![RenewalEntry {
                renewed_at: t("2025-09-01T08:14:00Z"),
                expires_at: t("2026-09-01T00:00:00Z"),
            }],
            created_at: t("2025-09-01T08:14:00Z"),
            updated_at: t("2025-09-01T08:14:00Z"),
            version: 1,
        }
    }

    #[test]
    fn full_view_matches_the_contract_example() {
        let now = FixedClock::at("2026-03-26T10:00:00Z").now();
        let v = serde_json::to_value(CertificationView::full(cert(), now)).unwrap();
        assert_eq!(
            v,
            json!({
                "id": "cert-001", "mentor_id": "mentor-42", "mentor_name": null,
                "cert_type": "peer_mentor_level_2", "status": "active",
                "issued_at": "2025-09-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z",
                "renewal_count": 1,
                "renewal_history": [{"renewed_at": "2025-09-01T08:14:00Z", "expires_at": "2026-09-01T00:00:00Z"}],
                "created_at": "2025-09-01T08:14:00Z", "updated_at": "2025-09-01T08:14:00Z"
            })
        );
    }

    #[test]
    fn list_and_expiring_items_omit_history_and_status_adds_derived_fields() {
        let now = FixedClock::at("2026-08-17T00:00:00Z").now();
        let list = serde_json::to_value(CertificationView::list_item(cert(), now)).unwrap();
        assert!(list.get("renewal_history").is_none());
        assert!(list.get("days_until_expiry").is_none());
        let exp = serde_json::to_value(CertificationView::expiring_item(cert(), now)).unwrap();
        assert_eq!(exp["days_until_expiry"], 15);
        assert!(exp.get("renewal_history").is_none());
        let st = serde_json::to_value(CertificationView::status(cert(), now, 30)).unwrap();
        assert_eq!(st["days_until_expiry"], 15);
        assert_eq!(st["is_expiring_soon"], true);
        assert_eq!(st["status"], "active");
        let st = serde_json::to_value(CertificationView::status(cert(), now, 10)).unwrap();
        assert_eq!(st["is_expiring_soon"], false);
    }

    #[test]
    fn views_report_the_effective_status() {
        let after = FixedClock::at("2026-09-01T00:00:00Z").now();
        let v = CertificationView::status(cert(), after, 30);
        assert_eq!(v.status, Status::Expired);
        assert_eq!(v.days_until_expiry, Some(0));
        assert_eq!(v.is_expiring_soon, Some(false));
    }
}
