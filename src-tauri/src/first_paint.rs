//! The window's first paint: the main window starts hidden (`tauri.conf.json`), and the window
//! calls `window_ready` once its first real view has painted (`ui/src/lib/first_paint.ts`); the
//! shell then shows it, so nobody sees a blank or half-built window. The same moment is logged at
//! debug level (`first view painted`), which the desktop benchmark (`cargo xtask bench`) waits for.
//!
//! Promises: the window is shown by this module once, whichever comes first of the window's
//! signal or [`SHOW_ANYWAY_AFTER`] after start-up (a window that cannot run its script is still
//! shown, with whatever it has); the fallback is one sleep, never a repeating timer; what waits
//! for the first paint (`crate::after_first_paint`: the tray, the clocks watcher, the background
//! catalog refresh) starts once, right after the window is shown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager};

use crate::shell::Shell;

/// How long the window may take to report its first paint before it is shown anyway.
pub const SHOW_ANYWAY_AFTER: Duration = Duration::from_secs(5);

/// The line the benchmark waits for (on stderr, at debug level).
pub const PAINTED: &str = "first view painted";

/// Whether the main window has been shown for the first time.
#[derive(Debug, Default)]
pub struct FirstPaint {
    shown: AtomicBool,
}

impl FirstPaint {
    /// True the first time only.
    pub fn claim(&self) -> bool {
        !self.shown.swap(true, Ordering::SeqCst)
    }
}

/// The window's signal: logs the moment and shows the window (the first time).
pub fn painted(app: &AppHandle) {
    tracing::debug!("{PAINTED}");
    if app.state::<FirstPaint>().claim() {
        shown(app);
    }
}

/// Shows the window, then (as the next turn of the main loop, so the window maps first) starts
/// what waited for the first paint.
fn shown(app: &AppHandle) {
    crate::show_main_window(app);
    let later = app.clone();
    if let Err(e) = app.run_on_main_thread(move || crate::after_first_paint(&later)) {
        tracing::warn!(error = %e, "cannot start the tray and the clocks watcher");
    }
}

/// Shows the window after [`SHOW_ANYWAY_AFTER`] unless the window reported its paint first.
pub fn spawn_fallback(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let sleep = app.state::<Shell>().deps().clock.sleep(SHOW_ANYWAY_AFTER);
        sleep.await;
        if app.state::<FirstPaint>().claim() {
            tracing::warn!(
                "the window did not report its first paint within {} s; showing it anyway",
                SHOW_ANYWAY_AFTER.as_secs()
            );
            shown(&app);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_shown_by_the_first_claim_only() {
        let f = FirstPaint::default();
        assert!(f.claim());
        assert!(!f.claim());
        assert!(!f.claim());
    }
}
