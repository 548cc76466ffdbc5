//! When to try a failed AWS call again, and how long to wait first: capped exponential backoff with
//! full jitter (each wait a uniformly random time between zero and `min(cap, base × 2^attempt)`),
//! as the AWS SDKs' standard retry mode does.
//!
//! Promises: the decision ([`next_delay`]) is a pure function of the policy, the attempts so far,
//! the kind of failure and a jitter value the caller draws; permanent failures are never retried;
//! a call is given at most [`MAX_ATTEMPTS`] tries when the service or the network fails and at most
//! [`MAX_THROTTLED_ATTEMPTS`] when the service only asks us to slow down (throttling means "come
//! back later", not "broken"); no single wait is longer than [`MAX_DELAY`]. Waits use tokio's
//! timer, so tests run them in paused time.

use std::future::Future;
use std::time::Duration;

/// Tries of one call when the service fails (5xx), the connection breaks or the answer is cut off.
pub const MAX_ATTEMPTS: u32 = 5;
/// Tries of one call when the service keeps throttling (429) before we give up on it.
pub const MAX_THROTTLED_ATTEMPTS: u32 = 20;
/// The first backoff ceiling; it doubles with every retry.
pub const BASE_DELAY: Duration = Duration::from_millis(100);
/// No wait is longer than this.
pub const MAX_DELAY: Duration = Duration::from_secs(5);
/// The largest exponent used, so the doubling cannot overflow.
const MAX_EXPONENT: u32 = 16;

/// What kind of failure a call met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The service asked us to slow down (HTTP 429, `TooManyRequestsException`, `ThrottlingException`).
    Throttled,
    /// A failure that may go away: a 5xx, a broken or refused connection, a truncated answer.
    Transient,
    /// Trying again cannot help.
    Permanent,
}

/// How a caller retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub max_throttled_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: MAX_ATTEMPTS,
            max_throttled_attempts: MAX_THROTTLED_ATTEMPTS,
            base: BASE_DELAY,
            cap: MAX_DELAY,
        }
    }
}

/// The attempts made so far, counting the one that just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Every attempt.
    pub total: u32,
    /// Attempts that failed with something other than throttling.
    pub failed: u32,
}

/// The full-jitter wait before retry number `retry` (0 for the first retry): `jitter` (in `[0, 1)`)
/// times `min(cap, base × 2^retry)`.
pub fn full_jitter(retry: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let ceiling = base
        .saturating_mul(1u32 << retry.min(MAX_EXPONENT))
        .min(cap);
    ceiling.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Whether to try again after a failure and how long to wait first; `None` to give up.
pub fn next_delay(
    policy: &RetryPolicy,
    attempts: Attempts,
    failure: Failure,
    jitter: f64,
) -> Option<Duration> {
    let allowed = match failure {
        Failure::Permanent => return None,
        Failure::Transient => attempts.failed < policy.max_attempts,
        Failure::Throttled => attempts.total < policy.max_throttled_attempts,
    };
    allowed.then(|| {
        full_jitter(
            attempts.total.saturating_sub(1),
            policy.base,
            policy.cap,
            jitter,
        )
    })
}

/// Runs `op` until it succeeds, fails permanently, or the policy gives up; returns the last error.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    classify: impl Fn(&E) -> Failure,
    mut op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempts = Attempts::default();
    loop {
        let error = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let failure = classify(&error);
        attempts.total += 1;
        if failure != Failure::Throttled {
            attempts.failed += 1;
        }
        match next_delay(policy, attempts, failure, rand::random::<f64>()) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn full_jitter_doubles_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        assert_eq!(
            full_jitter(0, base, cap, 0.999_999),
            Duration::from_millis(100).mul_f64(0.999_999)
        );
        assert_eq!(full_jitter(3, base, cap, 0.5), Duration::from_millis(400));
        assert_eq!(full_jitter(10, base, cap, 0.5), Duration::from_millis(2500));
        assert_eq!(full_jitter(u32::MAX, base, cap, 1.0), cap);
        assert_eq!(full_jitter(2, base, cap, 0.0), Duration::ZERO);
    }

    #[test]
    fn throttling_gets_more_tries_than_faults_and_permanent_none() {
        let p = RetryPolicy::default();
        let at = |total, failed| Attempts { total, failed };
        assert_eq!(next_delay(&p, at(1, 1), Failure::Permanent, 0.5), None);
        assert!(next_delay(&p, at(4, 4), Failure::Transient, 0.5).is_some());
        assert_eq!(next_delay(&p, at(5, 5), Failure::Transient, 0.5), None);
        assert!(next_delay(
            &p,
            at(MAX_THROTTLED_ATTEMPTS - 1, 0),
            Failure::Throttled,
            0.5
        )
        .is_some());
        assert_eq!(
            next_delay(&p, at(MAX_THROTTLED_ATTEMPTS, 0), Failure::Throttled, 0.5),
            None
        );
        // Throttles in between do not use up the fault budget.
        assert!(next_delay(&p, at(12, 2), Failure::Transient, 0.5).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success_in_paused_time() {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let result: Result<u32, &str> = retry(
            &RetryPolicy::default(),
            |_| Failure::Throttled,
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                if n < 4 {
                    Err("throttled")
                } else {
                    Ok(n)
                }
            },
        )
        .await;
        assert_eq!(result, Ok(4));
        // Three waits, each at most 100, 200 and 400 ms.
        assert!(
            started.elapsed() <= Duration::from_millis(700),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_with_the_last_error() {
        let calls = AtomicU32::new(0);
        let result: Result<(), String> = retry(
            &RetryPolicy::default(),
            |_| Failure::Transient,
            || async {
                Err(format!(
                    "fault {}",
                    calls.fetch_add(1, Ordering::SeqCst) + 1
                ))
            },
        )
        .await;
        assert_eq!(result, Err(format!("fault {MAX_ATTEMPTS}")));
        let calls = AtomicU32::new(0);
        let result: Result<(), &str> = retry(
            &RetryPolicy::default(),
            |_| Failure::Permanent,
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("denied")
            },
        )
        .await;
        assert_eq!((result, calls.load(Ordering::SeqCst)), (Err("denied"), 1));
    }
}
