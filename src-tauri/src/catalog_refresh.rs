//! The background catalog refresh: while someone is signed in, the catalog is discovered again
//! when the app starts with a stale cache and then every few hours, so the window and the tray
//! list what IT changed without anyone pressing "Refresh".
//!
//! Promises: when to refresh is `launcher_core::catalog::next_refresh`, a plain function; this
//! task only sleeps until that time on the injected clock (never on a fixed tick) or until the
//! shell rings its bell on sign-in and sign-out, and then starts the same refresh as the window's,
//! which reports through `catalog://progress` and `catalog://changed` (a failure keeps the old
//! catalog and is a warning there). At most one refresh runs at a time, whoever started it.
//!
//! The loop ([`run_with`]) sees the shell only through [`Background`], so a test drives it with a
//! `ManualClock`, whose waits take no time.

use std::sync::Arc;
use std::time::Duration;

use launcher_core::catalog::next_refresh;
use launcher_core::clock::Wait;
use tauri::{AppHandle, Manager};
use tokio::sync::Notify;

use crate::shell::Shell;

/// What the loop needs from the app.
pub trait Background {
    /// Epoch seconds.
    fn now(&self) -> u64;
    /// Who is signed in (start URL, sign-in time), while IdC has not ended the session.
    fn session(&self) -> Option<(String, u64)>;
    /// When the cached catalog was fetched (epoch seconds), if one is usable.
    fn fetched_at(&self) -> Option<u64>;
    /// Starts a refresh; `false` when one is already running.
    fn start_refresh(&self) -> bool;
    /// Waits `by` on the injected clock.
    fn sleep(&self, by: Duration) -> Wait;
}

/// The app, as the loop sees it.
struct App(AppHandle);

impl Background for App {
    fn now(&self) -> u64 {
        self.0.state::<Shell>().now()
    }

    fn session(&self) -> Option<(String, u64)> {
        self.0
            .state::<Shell>()
            .facts()
            .ok()
            .flatten()
            .filter(|f| f.portal_session_ended_at.is_none())
            .map(|f| (f.start_url, f.signed_in_at))
    }

    fn fetched_at(&self) -> Option<u64> {
        self.0.state::<Shell>().cached_fetched_at()
    }

    fn start_refresh(&self) -> bool {
        crate::commands::start_refresh(&self.0)
    }

    fn sleep(&self, by: Duration) -> Wait {
        self.0.state::<Shell>().deps().clock.sleep(by)
    }
}

/// Starts the task.
pub fn spawn(app: AppHandle) {
    let bell = app.state::<Shell>().catalog_bell();
    tauri::async_runtime::spawn(async move { run_with(&App(app), bell).await });
}

/// The loop: refreshes when `next_refresh` says, sleeping until then or until `bell` rings.
pub async fn run_with(app: &impl Background, bell: Arc<Notify>) {
    // Since the app started or this session signed in.
    let mut last_attempt: Option<u64> = None;
    let mut session: Option<(String, u64)> = None;
    loop {
        // Listen for the bell before reading the state, so a sign-in meanwhile is not lost.
        let rung = bell.notified();
        tokio::pin!(rung);
        rung.as_mut().enable();

        let now = app.now();
        // A session IdC already ended cannot discover anything: wait for the next sign-in.
        let who = app.session();
        if who != session {
            last_attempt = None;
            session = who;
        }
        match next_refresh(app.fetched_at(), last_attempt, now, session.is_some()) {
            Some(at) if at <= now => {
                last_attempt = Some(now);
                if !app.start_refresh() {
                    tracing::debug!("a catalog refresh is already running");
                }
            }
            Some(at) => {
                tokio::select! {
                    _ = app.sleep(Duration::from_secs(at - now)) => {}
                    _ = &mut rung => {}
                }
            }
            None => rung.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::UNIX_EPOCH;

    use launcher_core::catalog::{REFRESH_EVERY, RETRY_AFTER, STALE_AT_START};
    use launcher_core::clock::{Clock, ManualClock};
    use tokio::sync::mpsc;

    use super::*;

    const START: u64 = 1_795_000_000;
    const HOUR: u64 = 3600;

    /// An app on a manual clock whose refreshes finish at once (or fail, keeping the old cache),
    /// reporting when each started.
    struct Fake {
        clock: ManualClock,
        session: Mutex<Option<(String, u64)>>,
        fetched_at: Mutex<Option<u64>>,
        refreshes_succeed: bool,
        started: mpsc::UnboundedSender<u64>,
    }

    impl Background for Fake {
        fn now(&self) -> u64 {
            launcher_core::session::epoch(self.clock.now())
        }
        fn session(&self) -> Option<(String, u64)> {
            self.session.lock().unwrap().clone()
        }
        fn fetched_at(&self) -> Option<u64> {
            *self.fetched_at.lock().unwrap()
        }
        fn start_refresh(&self) -> bool {
            let now = self.now();
            if self.refreshes_succeed {
                *self.fetched_at.lock().unwrap() = Some(now);
            }
            let _ = self.started.send(now);
            true
        }
        /// The manual clock's wait (it moves the clock on at once), then a yield, so the test's
        /// side of a single-threaded runtime gets its turn.
        fn sleep(&self, by: Duration) -> Wait {
            let moved = self.clock.sleep(by);
            Box::pin(async move {
                moved.await;
                tokio::task::yield_now().await;
            })
        }
    }

    fn fake(
        fetched_at: Option<u64>,
        signed_in: bool,
        refreshes_succeed: bool,
    ) -> (Arc<Fake>, mpsc::UnboundedReceiver<u64>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let app = Fake {
            clock: ManualClock::new(UNIX_EPOCH + Duration::from_secs(START)),
            session: Mutex::new(signed_in.then(|| ("https://d-1.awsapps.com/start".into(), START))),
            fetched_at: Mutex::new(fetched_at),
            refreshes_succeed,
            started: tx,
        };
        (Arc::new(app), rx)
    }

    /// Runs the loop until it has started `n` refreshes; returns when each started.
    async fn refreshes(
        app: Arc<Fake>,
        bell: Arc<Notify>,
        rx: &mut mpsc::UnboundedReceiver<u64>,
        n: usize,
    ) -> Vec<u64> {
        let task = tokio::spawn({
            let app = app.clone();
            async move { run_with(&*app, bell).await }
        });
        let mut at = Vec::new();
        while at.len() < n {
            at.push(rx.recv().await.expect("the loop runs"));
        }
        task.abort();
        at
    }

    #[tokio::test]
    async fn a_stale_cache_is_refreshed_at_once_then_every_few_hours() {
        let fetched = START - 2 * HOUR;
        assert!(2 * HOUR > STALE_AT_START.as_secs());
        let (app, mut rx) = fake(Some(fetched), true, true);
        let every = REFRESH_EVERY.as_secs();
        assert_eq!(
            refreshes(app, Arc::new(Notify::new()), &mut rx, 3).await,
            [START, START + every, START + 2 * every],
            "at once (stale), then REFRESH_EVERY after each fetch, sleeping on the clock between"
        );
    }

    #[tokio::test]
    async fn a_fresh_cache_waits_and_a_failing_refresh_is_retried_no_sooner_than_retry_after() {
        // Fetched 10 minutes ago: not stale yet, so the first refresh waits until it is.
        let fetched = START - 600;
        let (app, mut rx) = fake(Some(fetched), true, false);
        let at = refreshes(app, Arc::new(Notify::new()), &mut rx, 3).await;
        assert_eq!(at[0], fetched + STALE_AT_START.as_secs());
        // Every refresh fails (the cache keeps its old time): the next waits for the later of
        // REFRESH_EVERY after the fetch and RETRY_AFTER after the try.
        let retry = RETRY_AFTER.as_secs();
        let due = |tried: u64| (fetched + REFRESH_EVERY.as_secs()).max(tried + retry);
        assert_eq!(at[1], due(at[0]));
        assert_eq!(at[2], due(at[1]));
        assert!(at[2] - at[1] >= retry, "never a tight loop: {at:?}");
    }

    #[tokio::test]
    async fn nothing_is_refreshed_until_someone_signs_in_and_rings() {
        let (app, mut rx) = fake(None, false, true);
        let bell = Arc::new(Notify::new());
        let task = tokio::spawn({
            let (app, bell) = (app.clone(), bell.clone());
            async move { run_with(&*app, bell).await }
        });
        // Signed out, the loop waits on the bell alone: no refresh, however long.
        tokio::task::yield_now().await;
        app.clock.advance(Duration::from_secs(24 * HOUR));
        tokio::task::yield_now().await;
        assert!(rx.try_recv().is_err(), "no refresh while signed out");
        // A sign-in rings the bell: nothing cached, so a refresh at once.
        *app.session.lock().unwrap() = Some(("https://d-1.awsapps.com/start".into(), START));
        bell.notify_one();
        assert_eq!(rx.recv().await, Some(START + 24 * HOUR));
        task.abort();
    }
}
