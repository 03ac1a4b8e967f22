//! The certification statuses and the rules derived from them at an instant: the effective
//! status a client sees, days until expiry, and "expiring soon".
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A certification's status, as stored or as a client sees it ([`effective_status`]); lower-case
/// on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Valid; seen as `expired` once `expires_at` has passed.
    Active,
    /// Past `expires_at`: stored by the expiry scan only, never set by a client; a renewal
    /// makes it `active` again.
    Expired,
    /// Set aside by a client; can be reinstated to `active`.
    Suspended,
    /// Withdrawn for good: the record can no longer be updated.
    Revoked,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 4] = [Status::Active, Status::Expired, Status::Suspended, Status::Revoked];

    /// The wire and table spelling: `active`, `expired`, `suspended`, `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Suspended => "suspended",
            Status::Revoked => "revoked",
        }
    }

    /// The status spelt exactly as [`Status::as_str`] does; `None` for anything else.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// The status a client sees: a stored `active` whose expiry has passed is `expired`,
/// whether or not the expiry scan has run yet.
pub fn effective_status(stored: Status, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Status {
    if stored == Status::Active && expires_at <= now {
        Status::Expired
    } else {
        stored
    }
}

/// Whole UTC calendar days from today to the expiry date; negative once expired.
pub fn days_until_expiry(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (expires_at.date_naive() - now.date_naive()).num_days()
}

/// Effectively active and expiring within `soon_days` days (inclusive).
pub fn is_expiring_soon(effective: Status, days_until_expiry: i64, soon_days: i64) -> bool {
    effective == Status::Active && (0..=soon_days).contains(&days_until_expiry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock::{Clock, FixedClock};

    fn t(s: &str) -> DateTime<Utc> {
        FixedClock::at(s).now()
    }

    #[test]
    fn contract_days_until_expiry_examples() {
        let now = t("2026-03-26T10:05:00Z");
        assert_eq!(days_until_expiry(t("2027-03-26T00:00:00Z"), now), 365);
        assert_eq!(days_until_expiry(t("2026-04-10T00:00:00Z"), now), 15);
    }

    #[test]
    fn days_until_expiry_counts_calendar_days_and_goes_negative() {
        // One second before midnight to just after it is one calendar day.
        assert_eq!(days_until_expiry(t("2026-03-27T00:00:01Z"), t("2026-03-26T23:59:59Z")), 1);
        assert_eq!(days_until_expiry(t("2026-03-26T23:59:59Z"), t("2026-03-26T00:00:00Z")), 0);
        assert_eq!(days_until_expiry(t("2026-03-20T00:00:00Z"), t("2026-03-26T00:00:00Z")), -6);
    }

    #[test]
    fn effective_status_at_fixed_instants() {
        let exp = t("2026-09-01T00:00:00Z");
        assert_eq!(effective_status(Status::Active, exp, t("2026-08-31T23:59:59Z")), Status::Active);
        // At the expiry instant itself the certification is already expired.
        assert_eq!(effective_status(Status::Active, exp, exp), Status::Expired);
        assert_eq!(effective_status(Status::Active, exp, t("2027-01-01T00:00:00Z")), Status::Expired);
        // Only `active` decays; the other stored states are reported as stored.
        for s in [Status::Suspended, Status::Revoked, Status::Expired] {
            assert_eq!(effective_status(s, exp, t("2026-01-01T00:00:00Z")), s);
            assert_eq!(effective_status(s, exp, t("2027-01-01T00:00:00Z")), s);
        }
    }

    #[test]
    fn expiring_soon_is_inclusive_and_needs_active() {
        assert!(is_expiring_soon(Status::Active, 0, 30));
        assert!(is_expiring_soon(Status::Active, 30, 30));
        assert!(!is_expiring_soon(Status::Active, 31, 30));
        assert!(!is_expiring_soon(Status::Active, -1, 30));
        assert!(!is_expiring_soon(Status::Suspended, 5, 30));
    }
}
