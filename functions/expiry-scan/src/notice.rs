//! The events the scan publishes: what consumers of the `certifications` source receive.
//!
//! Every event leaves the service, so it carries only what a consumer needs to act:
//!
//! | field | `certification.expiring` | `certification.expired` | |
//! |---|---|---|---|
//! | `certification_id` | yes | yes | the record to fetch for anything more |
//! | `mentor_id` | yes | yes | an opaque id, for routing to the mentor |
//! | `cert_type` | yes | yes | |
//! | `expires_at` | yes | yes | with `certification_id`, the dedup key |
//! | `days_until_expiry` | yes | yes (0 or negative) | |
//! | `threshold_days` | yes | no | |
//! | `mentor_name` | only with [`NoticeFields::mentor_name`] | same | personal data: off by default |
//!
//! `mentor_name` is opted in by `EVENTS_INCLUDE_MENTOR_NAME=true` (template parameter
//! `EventsIncludeMentorName`); without it a consumer that needs the name reads the record.
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

/// The optional (personal) fields an event carries; the default carries none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeFields {
    /// `mentor_name` (`null` where unknown).
    pub mentor_name: bool,
}

/// One event. Delivery is at-least-once, so a consumer that must act once per notice
/// deduplicates on `(detail-type, certification_id, expires_at, threshold_days)`: that is
/// unique per notice within an expiry cycle, and a renewal changes `expires_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The scan's `now`: the EventBridge event `time`.
    pub time: DateTime<Utc>,
    /// `{certification_id, mentor_id, cert_type, expires_at, days_until_expiry,
    /// threshold_days?, mentor_name?}`: see the module's table.
    pub detail: Value,
}

impl Notice {
    pub fn new(kind: NoticeKind, c: &Certification, now: DateTime<Utc>, fields: NoticeFields) -> Self {
        let mut detail = json!({
            "certification_id": c.id,
            "mentor_id": c.mentor_id,
            "cert_type": c.cert_type,
            "expires_at": timestamp::format(&c.expires_at),
            "days_until_expiry": days_until_expiry(c.expires_at, now),
        });
        if let NoticeKind::Expiring { threshold_days } = kind {
            detail["threshold_days"] = threshold_days.into();
        }
        if fields.mentor_name {
            detail["mentor_name"] = c.mentor_name.clone().into();
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
        let n = Notice::new(NoticeKind::Expiring { threshold_days: 7 }, &cert(), now, NoticeFields::default());
        assert_eq!(n.kind.detail_type(), "certification.expiring");
        assert_eq!(
            n.detail,
            json!({"certification_id": "cert-001", "mentor_id": "mentor-42",
                   "cert_type": "peer_mentor_level_2", "expires_at": "2026-04-02T09:00:00Z",
                   "days_until_expiry": 7, "threshold_days": 7}),
            "no name unless opted in"
        );
        let named = NoticeFields { mentor_name: true };
        let n = Notice::new(NoticeKind::Expiring { threshold_days: 7 }, &cert(), now, named);
        assert_eq!(n.detail["mentor_name"], "Ada");
        let later = FixedClock::at("2026-04-05T00:00:00Z").now();
        let mut c = cert();
        c.mentor_name = None;
        let n = Notice::new(NoticeKind::Expired, &c, later, named);
        assert_eq!(n.kind.detail_type(), "certification.expired");
        assert_eq!(n.detail["days_until_expiry"], -3);
        assert_eq!(n.detail["mentor_name"], Value::Null);
        assert!(n.detail.get("threshold_days").is_none());
        assert_eq!(n.certification_id(), "cert-001");
    }
}
