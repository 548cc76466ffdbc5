//! The background catalog refresh: while someone is signed in, the catalog is discovered again
//! when the app starts with a stale cache and then every few hours, so the window and the tray
//! list what IT changed without anyone pressing "Refresh".
//!
//! Promises: when to refresh is `launcher_core::catalog::next_refresh`, a plain function; this
//! task only sleeps until that time (never on a fixed tick) or until the shell rings its bell on
//! sign-in and sign-out, and then starts the same refresh as the window's, which reports through
//! `catalog://progress` and `catalog://changed` (a failure keeps the old catalog and is a warning
//! there). At most one refresh runs at a time, whoever started it.

use std::time::Duration;

use launcher_core::catalog::next_refresh;
use tauri::{AppHandle, Manager};

use crate::shell::Shell;

/// Starts the task.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move { run(app).await });
}

async fn run(app: AppHandle) {
    let shell = app.state::<Shell>();
    let bell = shell.catalog_bell();
    // Since the app started or this session signed in.
    let mut last_attempt: Option<u64> = None;
    let mut session: Option<(String, u64)> = None;
    loop {
        // Listen for the bell before reading the state, so a sign-in meanwhile is not lost.
        let rung = bell.notified();
        tokio::pin!(rung);
        rung.as_mut().enable();

        let now = shell.now();
        // A session IdC already ended cannot discover anything: wait for the next sign-in.
        let who = shell
            .facts()
            .ok()
            .flatten()
            .filter(|f| f.portal_session_ended_at.is_none())
            .map(|f| (f.start_url, f.signed_in_at));
        if who != session {
            last_attempt = None;
            session = who;
        }
        match next_refresh(
            shell.cached_fetched_at(),
            last_attempt,
            now,
            session.is_some(),
        ) {
            Some(at) if at <= now => {
                last_attempt = Some(now);
                if !crate::commands::start_refresh(&app) {
                    tracing::debug!("a catalog refresh is already running");
                }
            }
            Some(at) => {
                tokio::select! {
                    _ = shell.deps().clock.sleep(Duration::from_secs(at - now)) => {}
                    _ = &mut rung => {}
                }
            }
            None => rung.await,
        }
    }
}
