//! The clocks watcher: a background task that feeds the core's [`Monitor`] the time and the
//! current deadlines, turns what it says into namespaced UI events, desktop notifications and the
//! tray's status, then sleeps until the next moment anything can change.
//!
//! Promises: it sleeps until the monitor's `next_wake` (or the next minute the tray's countdown
//! changes while a clock runs), or until the shell rings its bell because the facts, the
//! launches or the settings (new lead times) changed; with no clock running it sleeps until the
//! bell, never on a fixed tick; it decides nothing about the clocks itself (that is
//! `launcher_core::clocks`).

use std::time::Duration;

use launcher_core::clocks::{self, ClockEvent, Deadline, DeadlineKind, Monitor};
use tauri::{AppHandle, Emitter, Manager};

use crate::ipc::{events, instance_of, ClockExpired, ClockKind, ClockWarning, IpcError, Session};
use crate::notifications;
use crate::shell::Shell;

/// Starts the watcher.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move { run(app).await });
}

/// The Connect session "Re-launch" restarts: the one that ends soonest.
pub fn relaunch_target(now: u64, deadlines: &[Deadline]) -> Option<(String, String)> {
    deadlines
        .iter()
        .filter(|d| d.ends_at > now)
        .filter_map(|d| match &d.kind {
            DeadlineKind::ConnectSession { instance_id, alias } => Some((
                d.ends_at,
                instance_id.clone(),
                alias.clone().unwrap_or_else(|| instance_id.clone()),
            )),
            _ => None,
        })
        .min()
        .map(|(_, id, name)| (id, name))
}

/// When to look again after a tick at `now`.
pub fn next_wake(monitor: &Monitor, now: u64, deadlines: &[Deadline]) -> Option<u64> {
    let tray =
        clocks::nearest(now, deadlines).map(|d| crate::tray::next_label_change(now, d.ends_at));
    monitor
        .next_wake(now, deadlines)
        .into_iter()
        .chain(tray)
        .min()
}

async fn run(app: AppHandle) {
    let shell = app.state::<Shell>();
    let bell = shell.clocks_bell();
    let mut monitor = Monitor::new(shell.lead_minutes());
    loop {
        // Listen for the bell before reading the state, so a change during the tick is not lost.
        let rung = bell.notified();
        tokio::pin!(rung);
        rung.as_mut().enable();

        // The lead times may have changed (preferences saved); what was said is kept.
        monitor.set_lead_minutes(shell.lead_minutes());
        let now = shell.now();
        let deadlines = match shell.deadlines() {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the session's clocks");
                Vec::new()
            }
        };
        for event in monitor.tick(now, &deadlines) {
            announce(&app, &shell, &event, now);
        }
        crate::tray::set_clocks(
            &app,
            clocks::nearest(now, &deadlines),
            relaunch_target(now, &deadlines),
            now,
        );
        match next_wake(&monitor, now, &deadlines) {
            Some(at) => {
                let wait = Duration::from_secs(at.saturating_sub(now).max(1));
                tokio::select! {
                    _ = shell.deps().clock.sleep(wait) => {}
                    _ = &mut rung => {}
                }
            }
            None => rung.await,
        }
    }
}

/// Tells the window, the desktop and (for a refresh failure) the session view about one event.
fn announce(app: &AppHandle, shell: &Shell, event: &ClockEvent, now: u64) {
    let message = clocks::describe_event(event, now);
    let sent = match event {
        ClockEvent::ExpiringSoon {
            deadline,
            lead_minutes,
            ..
        } => app.emit(
            events::CLOCKS_WARNING,
            ClockWarning {
                kind: ClockKind::of(&deadline.kind),
                instance_id: instance_of(&deadline.kind),
                message,
                ends_at: deadline.ends_at,
                lead_minutes: *lead_minutes,
            },
        ),
        ClockEvent::Expired { deadline } => app.emit(
            events::CLOCKS_EXPIRED,
            ClockExpired {
                kind: ClockKind::of(&deadline.kind),
                instance_id: instance_of(&deadline.kind),
                message,
            },
        ),
        ClockEvent::RefreshFailed { .. } => {
            let session = shell
                .facts()
                .ok()
                .flatten()
                .map(|f| Session::new(&f, shell.portal_session_hours()));
            app.emit(events::SESSION_CHANGED, session)
        }
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "cannot tell the window about a clock");
    }
    let alert = notifications::alert_for(event, now);
    let on_relaunch = alert.relaunch.clone().map(|instance_id| {
        let app = app.clone();
        let name = match event {
            ClockEvent::ExpiringSoon { deadline, .. } | ClockEvent::Expired { deadline } => {
                crate::ipc::clock_label(&deadline.kind)
            }
            ClockEvent::RefreshFailed { .. } => instance_id.clone(),
        };
        Box::new(move || crate::commands::relaunch_in_background(&app, instance_id, name))
            as Box<dyn FnOnce() + Send>
    });
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = notifications::show(&alert, on_relaunch) {
            tracing::warn!(error = %e, "cannot show a desktop notification");
        }
    });
}

/// Shows a failure as a desktop notification (for actions that have no window to answer in).
pub fn notify_failure(summary: &str, error: &IpcError) {
    let alert = notifications::Alert {
        summary: summary.to_owned(),
        body: error.message.clone(),
        urgent: false,
        relaunch: None,
    };
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = notifications::show(&alert, None) {
            tracing::warn!(error = %e, "cannot show a desktop notification");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use launcher_core::launches::Launch;

    const NOW: u64 = 1_795_000_000;

    fn launched(instance_id: &str, alias: &str, at: u64) -> Launch {
        Launch {
            instance_id: instance_id.into(),
            alias: Some(alias.into()),
            region: "eu-west-2".into(),
            destination: "ccp".into(),
            launched_at: at,
        }
    }

    #[test]
    fn relaunch_restarts_the_session_that_ends_first() {
        let d = clocks::deadlines(
            None,
            None,
            &[],
            &[
                launched("a", "alpha", NOW - 3600),
                launched("b", "beta", NOW - 7200),
            ],
            None,
        );
        assert_eq!(
            relaunch_target(NOW, &d),
            Some(("b".to_owned(), "beta".to_owned()))
        );
        assert_eq!(relaunch_target(NOW, &[]), None);
    }

    #[test]
    fn it_wakes_for_the_next_warning_or_the_tray_minute_and_sleeps_when_idle() {
        let mut monitor = Monitor::new(vec![60, 15, 5]);
        let d = clocks::deadlines(None, None, &[], &[launched("a", "alpha", NOW - 3600)], None);
        monitor.tick(NOW, &d);
        let ends = NOW - 3600 + clocks::CONNECT_SESSION.as_secs();
        // Eleven hours left: the tray's minute changes long before the first warning.
        assert_eq!(
            next_wake(&monitor, NOW, &d),
            Some(ends - (11 * 60 - 1) * 60)
        );
        assert!(next_wake(&monitor, NOW, &d).unwrap() > NOW);
        let mut idle = Monitor::new(vec![60, 15, 5]);
        idle.tick(NOW, &[]);
        assert_eq!(next_wake(&idle, NOW, &[]), None);
    }
}
