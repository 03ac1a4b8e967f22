//! Injected time. Handlers, the store and the expiry scan never call `Utc::now()`
//! themselves, so every time-dependent rule is tested at fixed instants.
use chrono::{DateTime, SubsecRound, Utc};

use crate::model::Status;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to whole seconds like every stored timestamp.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }
}

/// A clock stopped at one instant, for tests and for replaying a scan.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl FixedClock {
    /// Parses an RFC 3339 instant; panics on a bad literal, so only for tests.
    pub fn at(rfc3339: &str) -> Self {
        Self(
            DateTime::parse_from_rfc3339(rfc3339)
                .expect("FixedClock::at takes a valid RFC 3339 literal")
                .with_timezone(&Utc),
        )
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
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

    #[test]
    fn system_clock_has_whole_seconds() {
        assert_eq!(SystemClock.now().timestamp_subsec_nanos(), 0);
    }
}
