//! Desktop notifications for the clocks: what a [`ClockEvent`] says in a notification (a short
//! summary, the core's own words as the body, how urgent, whether it offers "Re-launch"), and
//! showing it through `notify-rust` (the session bus's `org.freedesktop.Notifications` on Linux,
//! the system's own elsewhere).
//!
//! Promises: [`alert_for`] is a plain function of the event and the time; the body is always the
//! core's [`clocks::describe_event`]; "Re-launch" is offered only for a Connect session, and only
//! where the notification server says it supports actions; [`show`] blocks on the bus for a
//! moment, so callers off the main thread call it (the watcher uses a blocking task).

use launcher_core::clocks::{self, ClockEvent, Deadline, DeadlineKind};

/// The app's name as notification servers show it.
pub const APP_NAME: &str = "Connect Launcher";
/// The icon name notifications ask for (what the desktop packages install).
pub const ICON_NAME: &str = "connect-launcher-desktop";
/// The action that re-launches a Connect instance.
pub const RELAUNCH_ACTION: &str = "relaunch";
/// Its label.
pub const RELAUNCH_LABEL: &str = "Re-launch";
/// At or under this many minutes left, a warning is urgent (stays until dismissed).
pub const URGENT_MINUTES: u64 = 5;

const SECS_PER_MINUTE: u64 = 60;

/// One notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub summary: String,
    pub body: String,
    pub urgent: bool,
    /// The Connect instance "Re-launch" restarts, when the alert offers it.
    pub relaunch: Option<String>,
}

/// What runs out, as a summary's subject ("Connect session").
fn subject(deadline: &Deadline) -> &'static str {
    match deadline.kind {
        DeadlineKind::ConnectSession { .. } => "Connect session",
        DeadlineKind::PortalSession => "AWS sign-in",
        DeadlineKind::AccessToken => "Access to AWS",
        DeadlineKind::RoleCredentials { .. } => "AWS role credentials",
        DeadlineKind::ClientRegistration => "Launcher registration",
    }
}

/// Whole minutes left, rounded up, so "ends in 15 min" is never an overstatement of what is left
/// by more than a minute and never says 0.
fn minutes_left(left_secs: u64) -> u64 {
    left_secs.div_ceil(SECS_PER_MINUTE).max(1)
}

/// "15 min", "1 h", "2 h 5 min".
pub fn short_span(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn connect_instance(deadline: &Deadline) -> Option<String> {
    match &deadline.kind {
        DeadlineKind::ConnectSession { instance_id, .. } => Some(instance_id.clone()),
        _ => None,
    }
}

/// The notification for a clock event at `now` (epoch seconds).
pub fn alert_for(event: &ClockEvent, now: u64) -> Alert {
    let body = clocks::describe_event(event, now);
    match event {
        ClockEvent::ExpiringSoon {
            deadline,
            left_secs,
            ..
        } => {
            let minutes = minutes_left(*left_secs);
            let verb = if deadline.estimated {
                "may end in about"
            } else {
                "ends in"
            };
            Alert {
                summary: format!("{} {verb} {}", subject(deadline), short_span(minutes)),
                body,
                urgent: minutes <= URGENT_MINUTES,
                relaunch: connect_instance(deadline),
            }
        }
        ClockEvent::Expired { deadline } => Alert {
            summary: format!("{} has ended", subject(deadline)),
            body,
            urgent: true,
            relaunch: connect_instance(deadline),
        },
        ClockEvent::RefreshFailed { .. } => Alert {
            summary: "Renewing your AWS sign-in failed".to_owned(),
            body,
            urgent: false,
            relaunch: None,
        },
    }
}

/// A failure to show a notification (no notification server, no session bus).
pub type ShowError = notify_rust::error::Error;

/// Shows the alert. When it offers "Re-launch" and `on_relaunch` is given, the action is added if
/// the server supports actions, and a thread waits for the person's answer and calls
/// `on_relaunch` if they chose it.
pub fn show(
    alert: &Alert,
    on_relaunch: Option<Box<dyn FnOnce() + Send + 'static>>,
) -> Result<(), ShowError> {
    let mut n = notify_rust::Notification::new();
    n.appname(APP_NAME)
        .summary(&alert.summary)
        .body(&alert.body)
        .icon(ICON_NAME);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        use notify_rust::{Timeout, Urgency};
        if alert.urgent {
            n.urgency(Urgency::Critical).timeout(Timeout::Never);
        } else {
            n.urgency(Urgency::Normal);
        }
        let offer = alert.relaunch.is_some()
            && on_relaunch.is_some()
            && notify_rust::get_capabilities()
                .is_ok_and(|caps| caps.iter().any(|c| c == "actions"));
        if offer {
            n.action(RELAUNCH_ACTION, RELAUNCH_LABEL);
        }
        let handle = n.show()?;
        if let (true, Some(then)) = (offer, on_relaunch) {
            std::thread::spawn(move || {
                handle.wait_for_action(|action| {
                    if action == RELAUNCH_ACTION {
                        then();
                    }
                })
            });
        }
        Ok(())
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = on_relaunch;
        n.show().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launcher_core::clocks::Monitor;
    use launcher_core::launches::Launch;

    const NOW: u64 = 1_795_000_000;

    fn connect_launched(at: u64) -> Vec<Deadline> {
        clocks::deadlines(
            None,
            None,
            &[],
            &[Launch {
                instance_id: "i-123".into(),
                alias: Some("acme-prod".into()),
                region: "eu-west-2".into(),
                destination: "ccp".into(),
                launched_at: at,
            }],
            None,
        )
    }

    #[test]
    fn a_connect_warning_names_the_time_left_and_offers_relaunch() {
        let ends_at = NOW + 15 * 60;
        let deadlines = connect_launched(ends_at - clocks::CONNECT_SESSION.as_secs());
        let mut monitor = Monitor::new(vec![60, 15, 5]);
        let events = monitor.tick(NOW, &deadlines);
        assert_eq!(events.len(), 1, "{events:?}");
        let alert = alert_for(&events[0], NOW);
        assert_eq!(alert.summary, "Connect session ends in 15 min");
        assert!(alert.body.contains("acme-prod"), "{}", alert.body);
        assert_eq!(alert.relaunch.as_deref(), Some("i-123"));
        assert!(!alert.urgent);
    }

    #[test]
    fn the_last_minutes_and_the_end_are_urgent() {
        let deadlines = connect_launched(NOW + 4 * 60 + 1 - clocks::CONNECT_SESSION.as_secs());
        let events = Monitor::new(vec![5]).tick(NOW, &deadlines);
        let alert = alert_for(&events[0], NOW);
        assert_eq!(alert.summary, "Connect session ends in 5 min");
        assert!(alert.urgent);
        let later = NOW + 10 * 60;
        let mut monitor = Monitor::new(vec![5]);
        monitor.tick(NOW, &deadlines);
        let events = monitor.tick(later, &deadlines);
        let alert = alert_for(&events[0], later);
        assert_eq!(alert.summary, "Connect session has ended");
        assert!(alert.urgent);
    }

    #[test]
    fn spans_are_short() {
        assert_eq!(short_span(1), "1 min");
        assert_eq!(short_span(60), "1 h");
        assert_eq!(short_span(125), "2 h 5 min");
        assert_eq!(minutes_left(0), 1);
        assert_eq!(minutes_left(14 * 60 + 1), 15);
    }
}
