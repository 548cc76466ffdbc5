//! A clock crossing a lead time reaches a real notification server: the core's monitor is fed
//! virtual time, the shell turns its event into a notification and shows it, and `dbus-monitor`
//! on the session bus records the `Notify` call with the expected summary, body and action.
//!
//! CI runs this inside `dbus-run-session` under Xvfb, where D-Bus starts dunst on the first
//! `Notify`; anywhere without a session bus and a notification server it fails, loudly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use connect_launcher_desktop_lib::notifications::{self, RELAUNCH_ACTION, RELAUNCH_LABEL};
use launcher_core::clocks::{self, ClockEvent, Monitor, CONNECT_SESSION};
use launcher_core::launches::Launch;

const HOW_TO_RUN: &str = "this test needs a D-Bus session bus with a notification server; run \
it the way CI does: xvfb-run -a dbus-run-session -- cargo test -p connect-launcher-desktop \
--test notification_bus (dunst is started by D-Bus)";

/// How long the bus may take to answer (dunst starts on the first call).
const BUS_DEADLINE: Duration = Duration::from_secs(20);

/// `dbus-monitor` watching `Notify` calls; killed on drop.
struct NotifyMonitor {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl NotifyMonitor {
    fn start() -> NotifyMonitor {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "{HOW_TO_RUN}"
        );
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start dbus-monitor ({e}); {HOW_TO_RUN}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let monitor = NotifyMonitor { child, lines };
        // dbus-monitor has become a monitor once the bus took its name back (`NameLost`).
        monitor.wait_for(|l| l.contains("member=NameLost"), "dbus-monitor to attach");
        monitor
    }

    /// Reads lines until `wanted` matches one; returns every line read. Bounded by
    /// [`BUS_DEADLINE`].
    fn wait_for(&self, wanted: impl Fn(&str) -> bool, what: &str) -> Vec<String> {
        let deadline = Instant::now() + BUS_DEADLINE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = wanted(&line);
                    seen.push(line);
                    if hit {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "waited {BUS_DEADLINE:?} for {what}; saw:\n{}\n{HOW_TO_RUN}",
                    seen.join("\n")
                ),
            }
        }
    }

    /// The lines of the next `Notify` call, up to its timeout argument (the last one).
    fn next_notify(&self) -> Vec<String> {
        self.wait_for(|l| l.contains("member=Notify"), "a Notify call");
        self.wait_for(
            |l| l.trim_start().starts_with("int32 "),
            "the end of the Notify call",
        )
    }
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const NOW: u64 = 1_795_000_000;
const MINUTE: u64 = 60;

#[test]
fn a_clock_crossing_a_lead_time_arrives_on_the_bus() {
    let monitor = NotifyMonitor::start();

    // acme-prod was launched so that Connect's 12 hours end 20 minutes from NOW.
    let ends_at = NOW + 20 * MINUTE;
    let launches = [Launch {
        instance_id: "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11".into(),
        alias: Some("acme-prod".into()),
        region: "us-east-1".into(),
        destination: "ccp".into(),
        launched_at: ends_at - CONNECT_SESSION.as_secs(),
    }];
    let deadlines = clocks::deadlines(None, None, &[], &launches, None);
    let mut clock_monitor = Monitor::new(vec![15, 5]);
    assert_eq!(
        clock_monitor.tick(NOW, &deadlines),
        [],
        "nothing is due yet"
    );
    let wake = clock_monitor
        .next_wake(NOW, &deadlines)
        .expect("a warning is ahead");
    assert_eq!(wake, ends_at - 15 * MINUTE);

    // Virtual time: the watcher wakes exactly when the 15-minute lead is crossed.
    let events = clock_monitor.tick(wake, &deadlines);
    let [event @ ClockEvent::ExpiringSoon {
        lead_minutes: 15, ..
    }] = events.as_slice()
    else {
        panic!("expected one 15-minute warning, got {events:?}");
    };
    let alert = notifications::alert_for(event, wake);
    assert_eq!(alert.summary, "Connect session ends in 15 min");
    notifications::show(&alert, Some(Box::new(|| {})))
        .unwrap_or_else(|e| panic!("cannot show the notification ({e}); {HOW_TO_RUN}"));

    let call = monitor.next_notify().join("\n");
    assert!(call.contains(r#"string "Connect Launcher""#), "{call}");
    assert!(
        call.contains(r#"string "Connect session ends in 15 min""#),
        "{call}"
    );
    assert!(
        call.contains("acme-prod"),
        "the body names the instance: {call}"
    );
    // dunst supports actions, so "Re-launch" is offered.
    assert!(
        call.contains(&format!(r#"string "{RELAUNCH_ACTION}""#))
            && call.contains(&format!(r#"string "{RELAUNCH_LABEL}""#)),
        "{call}"
    );

    // Five minutes before the end, the next warning is urgent and arrives too.
    let five = ends_at - 5 * MINUTE;
    assert_eq!(clock_monitor.next_wake(wake, &deadlines), Some(five));
    let events = clock_monitor.tick(five, &deadlines);
    let alert = notifications::alert_for(&events[0], five);
    assert_eq!(alert.summary, "Connect session ends in 5 min");
    assert!(alert.urgent);
    notifications::show(&alert, None).expect("shown");
    let call = monitor.next_notify().join("\n");
    assert!(
        call.contains(r#"string "Connect session ends in 5 min""#),
        "{call}"
    );
    assert!(
        call.contains("byte 2"),
        "critical urgency is sent as the urgency hint 2: {call}"
    );
    assert!(
        !call.contains(&format!(r#"string "{RELAUNCH_ACTION}""#)),
        "no action without a handler: {call}"
    );
}
