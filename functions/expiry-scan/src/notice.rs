//! The events the scan publishes: what consumers of the `certifications` source receive.
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use shared::domain::status::days_until_expiry;
use shared::domain::timestamp;
use shared::Certification;

/// The EventBridge `source` of every event.
pub const SOURCE: &str = "certifications";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// `certification.expiring`: inside a reminder threshold, announced once per threshold
    /// and expiry cycle.
    Expiring { threshold_days: u32 },
    /// `certification.expired`: the scan flipped the stored status to `expired`.
    Expired,
}

impl NoticeKind {
    pub fn detail_type(self) -> &'static str {
        match self {
            NoticeKind::Expiring { .. } => "certification.expiring",
            NoticeKind::Expired => "certification.expired",
        }
    }
}

/// One event. Delivery is at-least-once, so a consumer that must act once per notice
/// deduplicates on `(detail-type, certification_id, expires_at, threshold_days)`: that is
/// unique per notice within an expiry cycle, and a renewal changes `expires_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The scan's `now`: the EventBridge event `time`.
    pub time: DateTime<Utc>,
    /// `{certification_id, mentor_id, mentor_name, cert_type, expires_at, days_until_expiry,
    /// threshold_days?}`; `mentor_name` is `null` where unknown, `threshold_days` only on
    /// `certification.expiring`.
    pub detail: Value,
}

impl Notice {
    pub fn new(kind: NoticeKind, c: &Certification, now: DateTime<Utc>) -> Self {
        let mut detail = json!({
            "certification_id": c.id,
            "mentor_id": c.mentor_id,
            "mentor_name": c.mentor_name,
            "cert_type": c.cert_type,
            "expires_at": timestamp::format(&c.expires_at),
            "days_until_expiry": days_until_expiry(c.expires_at, now),
        });
        if let NoticeKind::Expiring { threshold_days } = kind {
            detail["threshold_days"] = threshold_days.into();
        }
        Self { kind, time: now, detail }
    }

    pub fn certification_id(&self) -> &str {
        self.detail["certification_id"].as_str().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::{Clock, FixedClock};

    fn cert() -> Certification {
        let mut c = shared::testing::certification("cert-001", "2026-04-02T09:00:00Z");
        c.mentor_name = Some("Ada".into());
        c
    }

    #[test]
    fn details_carry_the_documented_fields() {
        let now = FixedClock::at("2026-03-26T10:00:00Z").now();
        let n = Notice::new(NoticeKind::Expiring { threshold_days: 7 }, &cert(), now);
        assert_eq!(n.kind.detail_type(), "certification.expiring");
        assert_eq!(
            n.detail,
            json!({"certification_id": "cert-001", "mentor_id": "mentor-42", "mentor_name": "Ada",
                   "cert_type": "peer_mentor_level_2", "expires_at": "2026-04-02T09:00:00Z",
                   "days_until_expiry": 7, "threshold_days": 7})
        );
        let later = FixedClock::at("2026-04-05T00:00:00Z").now();
        let mut c = cert();
        c.mentor_name = None;
        let n = Notice::new(NoticeKind::Expired, &c, later);
        assert_eq!(n.kind.detail_type(), "certification.expired");
        assert_eq!(n.detail["days_until_expiry"], -3);
        assert_eq!(n.detail["mentor_name"], Value::Null);
        assert!(n.detail.get("threshold_days").is_none());
        assert_eq!(n.certification_id(), "cert-001");
    }
}
