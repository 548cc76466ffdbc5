//! A client-side limit on how many requests per second go to one host, shared by every concurrent
//! call to it, that slows down when the host throttles and speeds up again as calls succeed (the
//! idea of the AWS SDKs' "adaptive" retry mode, kept simple).
//!
//! Promises: requests are spaced at least `1 / rate` seconds apart (no bursts), whatever the number
//! of concurrent callers; a throttle divides the rate by [`THROTTLE_DIVISOR`], at most once per
//! [`THROTTLE_COOLDOWN`] (requests already in flight all meet the same overload) and never below
//! [`MIN_RATE_FRACTION`] of the maximum; every success adds [`RECOVERY_STEP`] back, up to the
//! maximum;
//! [`shared`] gives every caller in the process the same limiter for the same origin. The
//! decisions are pure functions ([`schedule`], [`slowed`], [`recovered`]); time is tokio's
//! monotonic clock, so tests run in paused time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The slowest any limiter goes, in requests per second.
pub const MIN_RATE: f64 = 1.0;
/// The slowest a throttled limiter goes, as a fraction of its maximum rate.
pub const MIN_RATE_FRACTION: f64 = 0.25;
/// A throttle divides the current rate by this.
pub const THROTTLE_DIVISOR: f64 = 2.0;
/// After a cut, further throttles leave the rate alone for this long.
pub const THROTTLE_COOLDOWN: Duration = Duration::from_secs(1);
/// Requests per second added back after each success.
pub const RECOVERY_STEP: f64 = 1.0;

/// When the next request may go: the later of now and the first free slot; and the slot after it.
pub fn schedule(now: Instant, next_free: Option<Instant>, rate: f64) -> (Instant, Instant) {
    let slot = next_free.map_or(now, |free| free.max(now));
    (
        slot,
        slot + Duration::from_secs_f64(1.0 / rate.max(MIN_RATE)),
    )
}

/// The rate after a throttle, never below `floor`.
pub fn slowed(rate: f64, floor: f64) -> f64 {
    (rate / THROTTLE_DIVISOR).max(floor)
}

/// Whether a throttle at `now` may cut the rate, given the last cut.
pub fn may_cut(now: Instant, last_cut: Option<Instant>) -> bool {
    last_cut.is_none_or(|last| now.duration_since(last) >= THROTTLE_COOLDOWN)
}

/// The rate after a success.
pub fn recovered(rate: f64, max: f64) -> f64 {
    (rate + RECOVERY_STEP).min(max)
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_free: Option<Instant>,
    last_cut: Option<Instant>,
}

/// One host's limiter.
#[derive(Debug)]
pub struct RateLimiter {
    max_rate: f64,
    state: Mutex<State>,
}

impl RateLimiter {
    /// A limiter allowing `max_rate` requests per second.
    pub fn new(max_rate: f64) -> RateLimiter {
        let max_rate = max_rate.max(MIN_RATE);
        RateLimiter {
            max_rate,
            state: Mutex::new(State {
                rate: max_rate,
                next_free: None,
                last_cut: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for this caller's slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.state();
            let (slot, next) = schedule(Instant::now(), s.next_free, s.rate);
            s.next_free = Some(next);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// The host throttled a request: slow down.
    pub fn throttled(&self) {
        let now = Instant::now();
        let mut s = self.state();
        if may_cut(now, s.last_cut) {
            s.rate = slowed(s.rate, (self.max_rate * MIN_RATE_FRACTION).max(MIN_RATE));
            s.last_cut = Some(now);
        }
    }

    /// A request succeeded: speed up towards the maximum.
    pub fn succeeded(&self) {
        let mut s = self.state();
        s.rate = recovered(s.rate, self.max_rate);
    }

    /// The current rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.state().rate
    }
}

/// The process's limiter for `origin` (scheme, host and port), made at `max_rate` on first use.
pub fn shared(origin: &str, max_rate: f64) -> Arc<RateLimiter> {
    static LIMITERS: OnceLock<Mutex<HashMap<String, Arc<RateLimiter>>>> = OnceLock::new();
    let map = LIMITERS.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(origin.to_owned())
        .or_insert_with(|| Arc::new(RateLimiter::new(max_rate)))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f64 = 20.0;

    #[test]
    fn slots_are_spaced_and_never_in_the_past() {
        let now = Instant::now();
        let (slot, next) = schedule(now, None, RATE);
        assert_eq!((slot, next), (now, now + Duration::from_millis(50)));
        let (slot, _) = schedule(now, Some(now - Duration::from_secs(1)), RATE);
        assert_eq!(slot, now);
        let later = now + Duration::from_millis(200);
        assert_eq!(schedule(now, Some(later), RATE).0, later);
    }

    #[test]
    fn throttles_halve_and_successes_recover() {
        assert_eq!(slowed(20.0, 5.0), 10.0);
        assert_eq!(slowed(8.0, 5.0), 5.0);
        assert_eq!(recovered(10.0, 20.0), 11.0);
        assert_eq!(recovered(19.9, 20.0), 20.0);
        let now = Instant::now();
        assert!(may_cut(now, None));
        assert!(!may_cut(now, Some(now - THROTTLE_COOLDOWN / 2)));
        assert!(may_cut(now, Some(now - THROTTLE_COOLDOWN)));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_rate() {
        let limiter = Arc::new(RateLimiter::new(RATE));
        let started = Instant::now();
        let tasks: Vec<_> = (0..41)
            .map(|_| {
                let l = limiter.clone();
                tokio::spawn(async move {
                    l.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        // 41 requests at 20/s: the last goes two seconds after the first.
        assert_eq!(
            times.last().unwrap().duration_since(started),
            Duration::from_secs(2)
        );
        assert!(times
            .windows(2)
            .all(|w| w[1] - w[0] >= Duration::from_millis(50)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_slows_the_next_requests() {
        let limiter = RateLimiter::new(RATE);
        limiter.acquire().await;
        limiter.throttled();
        limiter.throttled(); // within the cooldown: no second cut
        assert_eq!(limiter.rate(), RATE / THROTTLE_DIVISOR);
        let started = Instant::now();
        limiter.acquire().await; // the slot booked at the old rate
        limiter.acquire().await;
        assert_eq!(started.elapsed(), Duration::from_millis(150));
        limiter.succeeded();
        assert_eq!(limiter.rate(), RATE / THROTTLE_DIVISOR + RECOVERY_STEP);
        for _ in 0..4 {
            tokio::time::advance(THROTTLE_COOLDOWN).await;
            limiter.throttled();
        }
        assert_eq!(
            limiter.rate(),
            RATE * MIN_RATE_FRACTION,
            "never below the floor"
        );
    }

    #[test]
    fn one_limiter_per_origin() {
        let a = shared("https://portal.sso.eu-west-9.test", RATE);
        let b = shared("https://portal.sso.eu-west-9.test", 1.0);
        let c = shared("https://portal.sso.eu-west-8.test", RATE);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
