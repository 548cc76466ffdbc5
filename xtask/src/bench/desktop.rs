//! The desktop rows of `cargo xtask bench`: the release `connect-launcher-desktop`, signed in with
//! a cached catalog, against `blank-window` (bench/blank-window: a blank Tauri window built with the
//! same `tauri` and features), both under the current X display (Xvfb in CI).
//!
//! Three figures, each taken from both apps in the same run, started alternately:
//! - start-up: process spawn to the `first view painted` line on stderr (the window's signal,
//!   after its first real view has painted; see src-tauri/src/first_paint.rs);
//! - idle memory: after the signal and a settling time, RSS and PSS summed over the process and
//!   every descendant (WebKitGTK's web and network processes);
//! - idle wake-ups: the context switches of every thread in the tree over a minute of idling, from
//!   half a minute after the first paint, with the keyboard focus moved off the window (`x11`), as
//!   an agent's launcher sits behind the contact-centre panel for hours; the first seconds after
//!   the focus moved (start-up's one-off work: JavaScriptCore's first full collection and its
//!   sweeping) and the same interval with the window still focused are shown beside it (WebKitGTK
//!   renders continuously while a text field in a focused window has the caret).
//!
//! Promises: every process started is killed, with its descendants, before the next starts; a
//! start that never signals is an error naming the app, with its stderr.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::{median, ratio, Row, Sandbox, Scale};

/// The line both apps print when their first view has painted.
pub const PAINTED: &str = "first view painted";
/// Targets from issue 7.
pub const START_TARGET: f64 = 1.5;
pub const MEMORY_TARGET: f64 = 1.3;
/// A thread of ours may wake at most this often while idle (per second).
pub const WAKE_LIMIT: f64 = 1.0;
/// How long a start may take before it counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// After the signal, before memory and wake-ups are read: late start-up work (WebKit's caches,
/// the app's first clocks tick) is over by then.
pub const SETTLE: Duration = Duration::from_secs(3);
/// The first idle intervals over which wake-ups are counted (once with the window focused, once
/// not): what the first seconds after start-up cost.
pub const IDLE: Duration = Duration::from_secs(10);
/// The idle interval the target is judged on starts this long after the first paint: start-up's
/// one-off work is over by then (JavaScriptCore's first full collection of the page's heap, timed
/// by JSC some 10-20 s after the page stops allocating, and its incremental sweeping).
pub const LONG_IDLE_FROM: Duration = Duration::from_secs(30);
/// The idle interval the target is judged on: a whole minute, so once-a-minute work (the window's
/// countdown tick, the tray's minute) is in it exactly once, as in every minute of a day's idling.
pub const LONG_IDLE: Duration = Duration::from_secs(60);
/// After the focus moves off the window, before wake-ups are counted again.
const UNFOCUS_SETTLE: Duration = Duration::from_secs(1);

/// One app's figures.
#[derive(Debug, Clone, Default)]
struct Figures {
    /// Start-up times in ms, in run order (the first is the first start after the build).
    starts: Vec<f64>,
    rss_kib: u64,
    pss_kib: u64,
    processes: usize,
    /// With the window unfocused, over [`LONG_IDLE`] from [`LONG_IDLE_FROM`] (what counts).
    wakes: Wakes,
    /// With the window unfocused, the first [`IDLE`] after the focus moved.
    first: Wakes,
    /// The tree's wake-ups per second while the window still had the focus.
    focused_total: f64,
}

/// Wake-ups over the idle interval.
#[derive(Debug, Clone, Default)]
pub struct Wakes {
    /// Whole tree, per second.
    pub total: f64,
    /// `process/thread` → wake-ups per second, for every thread over [`WAKE_LIMIT`].
    pub busy: BTreeMap<String, f64>,
}

/// The desktop rows, or an error when an app cannot start or never signals.
pub fn measure(sb: &Sandbox, app: &Path, blank: &Path, scale: Scale) -> Result<Vec<Row>> {
    if std::env::var_os("DISPLAY").is_none() {
        bail!("the desktop benchmark needs an X display: run it under `xvfb-run -a -s \"-screen 0 1280x800x24\"`");
    }
    let runs = scale.runs;
    let mut ours = Figures::default();
    let mut base = Figures::default();
    // Run 0 is the first start after the build; the last run also measures the idle app.
    for run in 0..=runs {
        let idle = run == runs;
        println!(
            "desktop: start {} of {} (app, then blank window){}",
            run + 1,
            runs + 1,
            if idle {
                ", then idle memory and wake-ups"
            } else {
                ""
            }
        );
        one_run(sb, app, "connect-launcher-desktop", idle, &mut ours)?;
        one_run(sb, blank, "blank-window", idle, &mut base)?;
    }
    Ok(rows(&ours, &base, runs))
}

fn one_run(sb: &Sandbox, bin: &Path, name: &str, idle: bool, into: &mut Figures) -> Result<()> {
    let mut cmd = sb.command_for(bin, &[]);
    // Only the signal is logged (the app logs it at debug level), so logging costs nothing else.
    cmd.env(
        "CONNECT_LAUNCHER_LOG",
        "warn,connect_launcher_desktop_lib::first_paint=debug",
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let result = watch(&mut child, name, t, idle, into);
    kill_tree(&mut child);
    result
}

fn watch(child: &mut Child, name: &str, t: Instant, idle: bool, into: &mut Figures) -> Result<()> {
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().context("the app's stderr")?;
    // Drains stderr to the end, so the app never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let left = START_TIMEOUT.saturating_sub(t.elapsed());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(PAINTED) => break,
            Ok(line) => seen.push(line),
            Err(_) => bail!(
                "{name} did not report its first paint within {} s; its stderr:\n{}",
                START_TIMEOUT.as_secs(),
                seen.join("\n")
            ),
        }
    }
    into.starts.push(t.elapsed().as_secs_f64() * 1000.0);
    if !idle {
        return Ok(());
    }
    let painted = Instant::now();
    std::thread::sleep(SETTLE);
    let root = child.id();
    let pids = tree(root);
    into.processes = pids.len();
    for &pid in &pids {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        into.rss_kib += kib(&status, "VmRSS");
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        into.pss_kib += kib(&rollup, "Pss");
    }
    let before = switches(&tree(root));
    std::thread::sleep(IDLE);
    let after = switches(&tree(root));
    into.focused_total = wake_rates(&before, &after, IDLE).total;
    // The agent clicks into the contact-centre panel; the launcher waits behind it.
    super::x11::unfocus_all().context("moving the keyboard focus off the window")?;
    std::thread::sleep(UNFOCUS_SETTLE);
    let before = switches(&tree(root));
    std::thread::sleep(IDLE);
    let after = switches(&tree(root));
    into.first = wake_rates(&before, &after, IDLE);
    std::thread::sleep(LONG_IDLE_FROM.saturating_sub(painted.elapsed()));
    let before = switches(&tree(root));
    std::thread::sleep(LONG_IDLE);
    let after = switches(&tree(root));
    into.wakes = wake_rates(&before, &after, LONG_IDLE);
    Ok(())
}

/// `key:   123 kB` in a `/proc` file, in KiB (0 when absent).
pub fn kib(text: &str, key: &str) -> u64 {
    super::proc_field(text, key)
        .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The parent pid from the text of `/proc/PID/stat` (the command name may hold spaces and
/// parentheses, so fields are counted from the last `)`).
pub fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `root` and every descendant, from `/proc`.
fn tree(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .as_deref()
                .and_then(parent_of)
            {
                parents.push((pid, ppid));
            }
        }
    }
    descendants(root, &parents)
}

/// `root` and its descendants in a list of (pid, parent pid).
pub fn descendants(root: u32, parents: &[(u32, u32)]) -> Vec<u32> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(
            parents
                .iter()
                .filter(|(pid, ppid)| *ppid == p && *pid != p)
                .map(|(pid, _)| *pid),
        );
        i += 1;
    }
    out
}

/// (pid, tid) → (`process/thread` name, context switches so far), for every thread of `pids`.
type Switches = BTreeMap<(u32, u32), (String, u64)>;

/// The context switches of every thread of `pids` (the first is the app's own process, named
/// `app`, so the two apps' threads compare by name; a thread named as its process is `main`).
fn switches(pids: &[u32]) -> Switches {
    let mut out = Switches::new();
    for (i, &pid) in pids.iter().enumerate() {
        let own = comm(&format!("/proc/{pid}/comm"));
        let process = if i == 0 {
            "app".to_owned()
        } else {
            own.clone()
        };
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))
                .unwrap_or_default();
            let n = count(&status, "voluntary_ctxt_switches")
                + count(&status, "nonvoluntary_ctxt_switches");
            let mut thread = comm(&format!("/proc/{pid}/task/{tid}/comm"));
            if thread == own {
                thread = "main".into();
            }
            out.insert((pid, tid), (format!("{process}/{thread}"), n));
        }
    }
    out
}

fn comm(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "?".into())
}

fn count(status: &str, key: &str) -> u64 {
    super::proc_field(status, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Wake-ups per second between two snapshots: the tree's total, and each thread over
/// [`WAKE_LIMIT`] by name (threads of one name in one process added up; a thread born in the
/// interval counts from zero).
pub fn wake_rates(before: &Switches, after: &Switches, over: Duration) -> Wakes {
    let secs = over.as_secs_f64();
    let mut by_name: BTreeMap<String, f64> = BTreeMap::new();
    let mut total = 0.0;
    for (key, (name, n)) in after {
        let was = before.get(key).map_or(0, |(_, b)| *b);
        let rate = n.saturating_sub(was) as f64 / secs;
        total += rate;
        *by_name.entry(name.clone()).or_default() += rate;
    }
    Wakes {
        total,
        busy: by_name
            .into_iter()
            .filter(|(_, r)| *r > WAKE_LIMIT)
            .collect(),
    }
}

/// The threads busier than [`WAKE_LIMIT`] in the app and not (as busy) in the blank window.
pub fn ours_only(app: &Wakes, blank: &Wakes) -> BTreeMap<String, f64> {
    app.busy
        .iter()
        .filter(|(name, rate)| {
            blank
                .busy
                .get(*name)
                .is_none_or(|b| **rate > b * 1.5 + WAKE_LIMIT)
        })
        .map(|(n, r)| (n.clone(), *r))
        .collect()
}

/// Kills the process and its descendants (WebKit's helpers), then reaps it.
fn kill_tree(child: &mut Child) {
    let pids = tree(child.id());
    let mut kill = Command::new("kill");
    kill.arg("-KILL").args(pids.iter().map(u32::to_string));
    let _ = crate::shell::succeeds(&mut kill);
    let _ = child.wait();
}

/// The busiest threads first, at most five named.
pub fn list(busy: &BTreeMap<String, f64>) -> String {
    if busy.is_empty() {
        return "none".into();
    }
    let mut by_rate: Vec<(&String, &f64)> = busy.iter().collect();
    by_rate.sort_by(|a, b| b.1.total_cmp(a.1).then(a.0.cmp(b.0)));
    let mut out = by_rate
        .iter()
        .take(5)
        .map(|(n, r)| format!("{n} {r:.1}/s"))
        .collect::<Vec<_>>()
        .join(", ");
    if by_rate.len() > 5 {
        out += &format!(" and {} more", by_rate.len() - 5);
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn rows(ours: &Figures, base: &Figures, runs: usize) -> Vec<Row> {
    let later = |f: &Figures| median(f.starts.get(1..).unwrap_or_default()).unwrap_or(f64::NAN);
    let first = |f: &Figures| f.starts.first().copied().unwrap_or(f64::NAN);
    let (app_ms, blank_ms) = (later(ours), later(base));
    let start_ratio = ratio(app_ms, blank_ms);
    let start = Row {
        name: "Desktop start to first painted catalog".into(),
        measured: format!(
            "{app_ms:.0} ms (median of {runs}; first start after the build {:.0} ms)",
            first(ours)
        ),
        floor: format!(
            "{blank_ms:.0} ms (blank Tauri window, median of {runs}; first {:.0} ms)",
            first(base)
        ),
        ratio: start_ratio,
        target: format!("≤ {START_TARGET}"),
        met: start_ratio <= START_TARGET,
    };
    let memory_ratio = ratio(ours.rss_kib as f64, base.rss_kib as f64);
    let memory = Row {
        name: "Desktop idle memory (RSS over the process tree)".into(),
        measured: format!(
            "{} in {} processes (PSS {}, ratio {:.2})",
            mib(ours.rss_kib),
            ours.processes,
            mib(ours.pss_kib),
            ratio(ours.pss_kib as f64, base.pss_kib as f64)
        ),
        floor: format!(
            "{} in {} processes (PSS {})",
            mib(base.rss_kib),
            base.processes,
            mib(base.pss_kib)
        ),
        ratio: memory_ratio,
        target: format!("≤ {MEMORY_TARGET}"),
        met: memory_ratio <= MEMORY_TARGET,
    };
    let extra = ours_only(&ours.wakes, &base.wakes);
    let first_extra = ours_only(&ours.first, &base.first);
    let wakes = Row {
        name: format!(
            "Desktop idle wake-ups ({} s from {} s after the first paint, window unfocused)",
            LONG_IDLE.as_secs(),
            LONG_IDLE_FROM.as_secs()
        ),
        measured: format!(
            "{:.1}/s over the tree; threads of ours over {WAKE_LIMIT}/s (busier than in the blank window): {}{}. First {} s unfocused: {:.1}/s, ours over {WAKE_LIMIT}/s: {}; focused: {:.1}/s",
            ours.wakes.total,
            list(&extra),
            match ours.wakes.busy.len() - extra.len() {
                0 => String::new(),
                n => format!("; {n} more over {WAKE_LIMIT}/s, as busy in the blank window"),
            },
            IDLE.as_secs(),
            ours.first.total,
            list(&first_extra),
            ours.focused_total,
        ),
        floor: format!(
            "{:.1}/s (blank window, threads over {WAKE_LIMIT}/s: {}). First {} s unfocused: {:.1}/s, over {WAKE_LIMIT}/s: {}; focused: {:.1}/s",
            base.wakes.total,
            list(&base.wakes.busy),
            IDLE.as_secs(),
            base.first.total,
            list(&base.first.busy),
            base.focused_total,
        ),
        ratio: ratio(ours.wakes.total, base.wakes.total),
        target: format!("no thread of ours over {WAKE_LIMIT}/s"),
        met: extra.is_empty(),
    };
    vec![start, memory, wakes]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parent_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(parent_of("42 (Web Content) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("43 (a) b)) R 1 43"), Some(1));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn a_tree_is_the_root_and_every_descendant_only() {
        let parents = [(10, 1), (11, 10), (12, 11), (13, 1), (14, 10), (1, 0)];
        let mut got = descendants(10, &parents);
        got.sort();
        assert_eq!(got, vec![10, 11, 12, 14]);
        assert_eq!(descendants(99, &parents), vec![99]);
    }

    #[test]
    fn reads_kib() {
        assert_eq!(kib("Name: x\nVmRSS:\t  123456 kB\n", "VmRSS"), 123456);
        assert_eq!(kib("Rss: 5 kB\nPss:  77 kB\n", "Pss"), 77);
        assert_eq!(kib("", "Pss"), 0);
    }

    fn snapshot(items: &[((u32, u32), &str, u64)]) -> Switches {
        items
            .iter()
            .map(|(k, n, c)| (*k, (n.to_string(), *c)))
            .collect()
    }

    #[test]
    fn wake_rates_name_the_threads_over_once_a_second() {
        let before = snapshot(&[((1, 1), "app/main", 100), ((1, 2), "app/tokio", 50)]);
        let after = snapshot(&[
            ((1, 1), "app/main", 105),
            ((1, 2), "app/tokio", 80),
            ((1, 3), "app/new", 4),
        ]);
        let w = wake_rates(&before, &after, Duration::from_secs(10));
        assert!((w.total - 3.9).abs() < 1e-9, "{w:?}");
        assert_eq!(w.busy.keys().collect::<Vec<_>>(), vec!["app/tokio"]);
        assert!((w.busy["app/tokio"] - 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_list_names_the_five_busiest() {
        let busy: BTreeMap<String, f64> = [
            ("a", 2.0),
            ("b", 9.0),
            ("c", 3.0),
            ("d", 4.0),
            ("e", 5.0),
            ("f", 6.0),
            ("g", 7.0),
        ]
        .iter()
        .map(|(n, r)| (n.to_string(), *r))
        .collect();
        assert_eq!(
            list(&busy),
            "b 9.0/s, g 7.0/s, f 6.0/s, e 5.0/s, d 4.0/s and 2 more"
        );
        assert_eq!(list(&BTreeMap::new()), "none");
    }

    #[test]
    fn the_wake_up_row_names_only_our_threads_and_fails_on_them() {
        let figures = |total: f64, busy: &[(&str, f64)]| Figures {
            starts: vec![1.0, 1.0],
            wakes: Wakes {
                total,
                busy: busy.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
            },
            ..Figures::default()
        };
        let base = figures(3.0, &[("WebKitWebProces/main", 2.0)]);
        let quiet = figures(4.0, &[("WebKitWebProces/main", 2.5)]);
        let row = rows(&quiet, &base, 1).remove(2);
        assert!(row.met, "{row:?}");
        assert!(
            row.measured
                .contains("(busier than in the blank window): none; 1 more"),
            "{row:?}"
        );
        let busy = figures(40.0, &[("WebKitWebProces/main", 2.5), ("app/tokio", 30.0)]);
        let row = rows(&busy, &base, 1).remove(2);
        assert!(!row.met, "{row:?}");
        assert!(
            row.measured.contains("window): app/tokio 30.0/s; 1 more"),
            "{row:?}"
        );
    }

    #[test]
    fn the_first_seconds_are_reported_but_the_minute_of_idling_decides() {
        let wakes = |total: f64, busy: &[(&str, f64)]| Wakes {
            total,
            busy: busy.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
        };
        let figures = |first: Wakes, long: Wakes| Figures {
            starts: vec![1.0, 1.0],
            first,
            wakes: long,
            ..Figures::default()
        };
        let base = figures(wakes(0.5, &[]), wakes(0.4, &[]));
        // Start-up's one-off collection in the first seconds, quiet over the minute: met.
        let settles = figures(
            wakes(3.3, &[("WebKitWebProces/main", 1.8)]),
            wakes(0.5, &[]),
        );
        let row = rows(&settles, &base, 1).remove(2);
        assert!(row.met, "{row:?}");
        assert!(
            row.measured
                .contains("First 10 s unfocused: 3.3/s, ours over 1/s: WebKitWebProces/main 1.8/s"),
            "{row:?}"
        );
        assert!(
            row.name.contains("60 s from 30 s after the first paint"),
            "{row:?}"
        );
        // Quiet at first, busy over the minute (a once-a-minute repaint): not met.
        let repaints = figures(
            wakes(0.5, &[]),
            wakes(6.0, &[("WebKitWebProces/llvmpipe-0", 1.4)]),
        );
        let row = rows(&repaints, &base, 1).remove(2);
        assert!(!row.met, "{row:?}");
        assert!(
            row.measured
                .contains("window): WebKitWebProces/llvmpipe-0 1.4/s."),
            "{row:?}"
        );
    }

    #[test]
    fn only_threads_busier_than_in_the_blank_window_are_ours() {
        let wakes = |items: &[(&str, f64)]| Wakes {
            total: 0.0,
            busy: items.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
        };
        let app = wakes(&[
            ("WebKitWebProcess/main", 3.0),
            ("app/tokio", 2.0),
            ("app/gdbus", 40.0),
        ]);
        let blank = wakes(&[("WebKitWebProcess/main", 2.5), ("app/gdbus", 5.0)]);
        let extra = ours_only(&app, &blank);
        assert_eq!(
            extra.keys().collect::<Vec<_>>(),
            vec!["app/gdbus", "app/tokio"]
        );
    }
}
