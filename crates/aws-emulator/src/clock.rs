//! The emulator's clock: wall time plus an offset that tests move forward, so that tokens, role
//! credentials and sessions expire without anyone waiting.
//!
//! Promises: time never goes backwards through [`Clock::advance`]; every expiry in the emulator is
//! computed from [`Clock::now`], never from the system clock directly.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A shared, movable clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The emulated current time.
    pub fn now(&self) -> SystemTime {
        let off = self.offset_ms.load(Ordering::SeqCst);
        SystemTime::now() + Duration::from_millis(off.max(0) as u64)
    }

    /// Seconds since the epoch, emulated.
    pub fn epoch_secs(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
    }

    /// Milliseconds since the epoch, emulated.
    pub fn epoch_millis(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// How far the clock has been moved from wall time.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst).max(0) as u64)
    }
}

/// Formats an instant as ISO 8601 UTC with whole seconds (`2026-11-28T13:24:00Z`).
pub fn iso8601(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dt.format(&time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// Formats an instant as an HTTP date (`Sat, 28 Nov 2026 13:24:00 GMT`).
pub fn http_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dt.format(&time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now() {
        let c = Clock::default();
        let before = c.epoch_secs();
        c.advance(Duration::from_secs(3600));
        assert!(c.epoch_secs() >= before + 3600);
    }

    #[test]
    fn formats() {
        let t = UNIX_EPOCH + Duration::from_secs(1_764_336_240);
        assert_eq!(iso8601(t), "2025-11-28T13:24:00Z");
        assert_eq!(http_date(t), "Fri, 28 Nov 2025 13:24:00 GMT");
    }
}
