//! The wait between retries of a cancelled transaction (`transact.rs`) and of BatchGetItem's
//! unprocessed keys (`write/counts.rs`): exponential backoff with full jitter (AWS
//! Architecture Blog, "Exponential Backoff And Jitter"): before retry `n` (from 0), a uniformly
//! random wait in `0..=min(cap, base × 2^n)`.
//!
//! The numbers ([`Backoff::standard`]): base 20 ms, cap 1 s. Both retry loops make at most 8
//! attempts, so at most 7 waits: ceilings 20 + 40 + 80 + 160 + 320 + 640 + 1,000 ms = 2.26 s at
//! worst, 1.13 s on average, which leaves more than 7 s of the functions' 10 s timeout for the
//! eight requests themselves (a transaction answers in ~10-30 ms). Full jitter spreads
//! writers that conflicted at one moment over the whole interval, so they rarely meet again.
//!
//! Time is injected: the wait goes through the policy's `sleep`, which is `tokio::time::sleep`
//! in service and a no-op in tests ([`Backoff::none`]), so tests never sleep.
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

type Sleep = Arc<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>;

/// How long to wait before a retry, and how to wait.
#[derive(Clone)]
pub struct Backoff {
    /// The first retry's ceiling.
    pub base: Duration,
    /// No wait exceeds this.
    pub cap: Duration,
    sleep: Sleep,
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backoff").field("base", &self.base).field("cap", &self.cap).finish_non_exhaustive()
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::standard()
    }
}

impl Backoff {
    /// Base 20 ms, cap 1 s, waiting on tokio's timer: at most 2.26 s over 7 retries.
    pub fn standard() -> Self {
        Self::with_sleep(Duration::from_millis(20), Duration::from_secs(1), |d| Box::pin(tokio::time::sleep(d)))
    }

    /// The standard schedule, but every wait returns at once (tests).
    pub fn none() -> Self {
        Self::standard().sleeping_with(|_| Box::pin(std::future::ready(())))
    }

    /// `base` and `cap`, waiting with `sleep`.
    pub fn with_sleep(
        base: Duration,
        cap: Duration,
        sleep: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        Self { base, cap, sleep: Arc::new(sleep) }
    }

    /// This schedule, waiting with `sleep` (tests record the waits this way).
    pub fn sleeping_with(self, sleep: impl Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self { sleep: Arc::new(sleep), ..self }
    }

    /// The largest wait before retry `retry` (from 0): `min(cap, base × 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        self.base.saturating_mul(2u32.saturating_pow(retry.min(31))).min(self.cap)
    }

    /// The wait before retry `retry` for a random draw `random` (any `u128`): uniform in
    /// `0..=ceiling(retry)` to the nanosecond.
    pub fn delay(&self, retry: u32, random: u128) -> Duration {
        let ceiling = self.ceiling(retry).as_nanos();
        let nanos = random % (ceiling + 1);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Waits before retry `retry`, a fresh random draw (80 bits from `ulid`'s OS-seeded generator).
    pub async fn pause(&self, retry: u32) {
        let d = self.delay(retry, ulid::Ulid::new().random());
        (self.sleep)(d).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn the_schedule_doubles_up_to_the_cap_and_fits_the_timeout() {
        let b = Backoff::standard();
        let ceilings: Vec<u128> = (0..9).map(|r| b.ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, [20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        assert_eq!(b.ceiling(u32::MAX), b.cap);
        // Seven waits at most (eight attempts): under a quarter of the 10 s function timeout.
        let worst: Duration = (0..7).map(|r| b.ceiling(r)).sum();
        assert_eq!(worst, Duration::from_millis(2260));
    }

    #[test]
    fn full_jitter_covers_zero_to_the_ceiling() {
        let b = Backoff::standard();
        for retry in 0..10 {
            let ceiling = b.ceiling(retry);
            assert_eq!(b.delay(retry, 0), Duration::ZERO);
            assert_eq!(b.delay(retry, ceiling.as_nanos()), ceiling);
            assert_eq!(b.delay(retry, ceiling.as_nanos() + 1), Duration::ZERO);
            assert_eq!(b.delay(retry, u128::MAX), Duration::from_nanos((u128::MAX % (ceiling.as_nanos() + 1)) as u64));
            for _ in 0..200 {
                assert!(b.delay(retry, ulid::Ulid::new().random()) <= ceiling);
            }
        }
        // Draws spread: 200 draws for the 1 s ceiling fall in both halves.
        let draws: Vec<Duration> = (0..200).map(|_| b.delay(6, ulid::Ulid::new().random())).collect();
        assert!(draws.iter().any(|d| *d < Duration::from_millis(500)));
        assert!(draws.iter().any(|d| *d > Duration::from_millis(500)));
    }

    #[tokio::test]
    async fn pauses_go_through_the_injected_sleep() {
        let waits = Arc::new(Mutex::new(Vec::new()));
        let seen = waits.clone();
        let b = Backoff::standard().sleeping_with(move |d| {
            if let Ok(mut w) = seen.lock() {
                w.push(d);
            }
            Box::pin(std::future::ready(()))
        });
        for retry in 0..7 {
            b.pause(retry).await;
        }
        let waits = waits.lock().unwrap().clone();
        assert_eq!(waits.len(), 7);
        for (retry, w) in waits.iter().enumerate() {
            assert!(*w <= b.ceiling(retry as u32), "{retry}: {w:?}");
        }
        Backoff::none().pause(30).await;
    }
}
