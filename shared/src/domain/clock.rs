//! Injected time. Handlers, the store and the expiry scan never call `Utc::now()`
//! themselves, so every time-dependent rule is tested at fixed instants.
use chrono::{DateTime, SubsecRound, Utc};

/// The source of "now" that handlers, the store and the scan are given ([`SystemClock`] or
/// [`FixedClock`]).
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_has_whole_seconds() {
        assert_eq!(SystemClock.now().timestamp_subsec_nanos(), 0);
    }
}
