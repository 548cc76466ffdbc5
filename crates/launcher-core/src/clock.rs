//! The one place that reads the wall clock.
//!
//! Promises: production code asks a [`Clock`] for the time and never calls `SystemTime::now`
//! itself; tests hand in a [`ManualClock`] and move time by hand, so no test sleeps.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A future that finishes after a wait.
pub type Wait = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A source of the current wall-clock time, and of waiting.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// Waits `by` (really, for the system clock; a test clock just moves on).
    fn sleep(&self, by: Duration) -> Wait {
        Box::pin(tokio::time::sleep(by))
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    /// Puts the clock at `to` (which may be earlier than now, to test clock skew).
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the clock forward instead of waiting, so waits in tests take no time.
    fn sleep(&self, by: Duration) -> Wait {
        self.advance(by);
        Box::pin(std::future::ready(()))
    }
}

/// Another clock moved forward by a fixed amount: what a test of the built app uses to be hours
/// into a shift without waiting for them (the desktop shell builds one only in debug builds).
#[derive(Debug, Clone)]
pub struct OffsetClock {
    pub inner: Arc<dyn Clock>,
    pub ahead: Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> SystemTime {
        self.inner.now() + self.ahead
    }

    fn sleep(&self, by: Duration) -> Wait {
        self.inner.sleep(by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START_SECS: u64 = 1_795_000_000;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(START_SECS);
        let clock = ManualClock::new(start);
        let shared = clock.clone();
        assert_eq!(shared.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(shared.now(), start + Duration::from_secs(90));
        shared.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn an_offset_clock_is_ahead_of_its_clock_by_the_offset() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(START_SECS);
        let inner = ManualClock::new(start);
        let ahead = OffsetClock {
            inner: Arc::new(inner.clone()),
            ahead: Duration::from_secs(7 * 3600),
        };
        assert_eq!(ahead.now(), start + Duration::from_secs(7 * 3600));
        inner.advance(Duration::from_secs(60));
        assert_eq!(ahead.now(), start + Duration::from_secs(7 * 3600 + 60));
    }
}
