//! `cargo xtask test`: install, the window's build (`npm run build` in ui/), fmt check, clippy,
//! build, then the desktop session (every Rust test and the botocore suite under Xvfb, a private
//! D-Bus session and an unlocked gnome-keyring), then the packages (`cargo xtask dist`, the `.deb`
//! installed with apt, both installed binaries run, the package removed).
//!
//! Promises: every stage runs even when an earlier one failed, except the session, which needs a
//! build; the output ends with a summary whose last line is `N passed, N failed` (tests passed, and
//! tests failed plus stages that failed without a failing test to show for it); the exit status is
//! non-zero when that failed count is, or when no test passed at all.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::deny;
use crate::dist;
use crate::fuzz;
use crate::install;
use crate::shell;
use crate::tally::{Counts, Event, Tally};
use crate::workspace::Workspace;

/// The X screen the session's Xvfb provides.
const XVFB_SCREEN: &str = "-screen 0 1280x800x24";

/// The stages session.sh runs, in order.
const SESSION_STAGES: &[&str] = &["desktop", "cargo-test", "botocore"];

#[derive(Debug, Clone)]
pub struct Options {
    /// Run the install step.
    pub install: bool,
    /// Run the fmt check and clippy.
    pub lint: bool,
    /// Build, install and remove the packages.
    pub packages: bool,
    /// Fuzz every target briefly and run cargo deny.
    pub hostile: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            install: true,
            lint: true,
            packages: true,
            hostile: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Skipped(&'static str),
}

#[derive(Debug, Clone)]
struct StageResult {
    name: String,
    outcome: Outcome,
    counts: Option<Counts>,
    elapsed: Duration,
}

impl StageResult {
    fn new(name: &str, outcome: Outcome, elapsed: Duration) -> StageResult {
        StageResult {
            name: name.to_owned(),
            outcome,
            counts: None,
            elapsed,
        }
    }
}

pub fn test(ws: &Workspace, options: &Options) -> Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cargo_cmd = |args: &[&str]| {
        let mut c = Command::new(&cargo);
        c.args(args)
            .current_dir(&ws.root)
            .env("CARGO_TARGET_DIR", &ws.target_dir);
        c
    };
    let mut results = Vec::new();

    if options.install {
        banner("install");
        let start = Instant::now();
        let outcome = match install::all(ws) {
            Ok(()) => Outcome::Passed,
            Err(e) => {
                println!("install failed: {e:#}");
                Outcome::Failed
            }
        };
        results.push(StageResult::new("install", outcome, start.elapsed()));
    } else {
        results.push(StageResult::new(
            "install",
            Outcome::Skipped("--no-install"),
            Duration::ZERO,
        ));
    }

    // The window (ui/dist), which the desktop app embeds when it compiles: before clippy and the
    // build, whose src-tauri build script stops without it.
    if ws.ui_dir().join("package.json").exists() {
        let npm = |args: &[&str]| {
            let mut c = Command::new("npm");
            // Plain text in logs: Vite and Vitest colour their output even into a pipe.
            c.args(args).current_dir(ws.ui_dir()).env("NO_COLOR", "1");
            c
        };
        results.push(step("ui", &mut npm(&["run", "build"]))?);
        // The window's own checks: types, logic (Vitest), and the built window in Debian's
        // Chromium with the shell mocked (views, keyboard, axe-core, CSP).
        results.push(step("ui-check", &mut npm(&["run", "check"]))?);
        results.push(step("ui-unit", &mut npm(&["test"]))?);
        let mut browser = Command::new("node");
        browser
            .arg("tests/browser/run.mjs")
            .current_dir(ws.ui_dir());
        results.push(step("ui-browser", &mut browser)?);
    }

    if options.lint {
        let mut fmt = cargo_cmd(&["fmt", "--all", "--check"]);
        if !std::io::stdout().is_terminal() {
            // rustfmt colours its diff even into a pipe or a CI log.
            fmt.args(["--", "--color=never"]);
        }
        results.push(step("fmt", &mut fmt)?);
        results.push(step(
            "clippy",
            &mut cargo_cmd(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?);
    } else {
        results.push(StageResult::new(
            "fmt",
            Outcome::Skipped("--quick"),
            Duration::ZERO,
        ));
        results.push(StageResult::new(
            "clippy",
            Outcome::Skipped("--quick"),
            Duration::ZERO,
        ));
    }

    let build = step(
        "build",
        &mut cargo_cmd(&["build", "--workspace", "--all-targets"]),
    )?;
    let built = build.outcome == Outcome::Passed;
    results.push(build);

    if built {
        results.extend(session(ws, &cargo)?);
    } else {
        for s in SESSION_STAGES {
            results.push(StageResult::new(
                s,
                Outcome::Skipped("the build failed"),
                Duration::ZERO,
            ));
        }
    }

    results.push(if !options.packages {
        StageResult::new("packages", Outcome::Skipped("--quick"), Duration::ZERO)
    } else if !built {
        StageResult::new(
            "packages",
            Outcome::Skipped("the build failed"),
            Duration::ZERO,
        )
    } else {
        packages(ws)
    });

    if options.hostile {
        results.extend(hostile_input(ws)?);
    } else {
        for name in HOSTILE_STAGES {
            results.push(StageResult::new(
                name,
                Outcome::Skipped("--quick"),
                Duration::ZERO,
            ));
        }
    }

    let (passed, failed) = summary(&results);
    Ok(if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn banner(name: &str) {
    println!("\n==> {name}");
}

/// Runs one command as a stage.
fn step(name: &str, cmd: &mut Command) -> Result<StageResult> {
    banner(name);
    let start = Instant::now();
    let outcome = if shell::run(cmd)? {
        Outcome::Passed
    } else {
        Outcome::Failed
    };
    Ok(StageResult::new(name, outcome, start.elapsed()))
}

/// A throwaway home for the XDG directories (keyring, caches, configs), removed on drop.
#[derive(Debug)]
struct ThrowawayHome(PathBuf);

impl ThrowawayHome {
    fn create() -> Result<ThrowawayHome> {
        let out = Command::new("mktemp")
            .args(["-d", "-t", "connect-launcher-session.XXXXXX"])
            .output()
            .context("running mktemp")?;
        anyhow::ensure!(out.status.success(), "mktemp -d failed");
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let home = ThrowawayHome(dir);
        for sub in ["data", "cache", "config", "state"] {
            std::fs::create_dir_all(home.0.join(sub))?;
        }
        Ok(home)
    }
}

impl Drop for ThrowawayHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs session.sh inside Xvfb + dbus-run-session + a fresh session keyring, echoing and tallying its
/// output.
fn session(ws: &Workspace, cargo: &std::ffi::OsStr) -> Result<Vec<StageResult>> {
    banner("desktop session: every Rust test and the botocore suite");
    let home = ThrowawayHome::create()?;
    let mut cmd = Command::new("xvfb-run");
    cmd.args([
        "-a",
        "-s",
        XVFB_SCREEN,
        "dbus-run-session",
        "--",
        "keyctl",
        "session",
        "-",
        "bash",
    ])
    .arg(ws.session_script())
    .current_dir(&ws.root)
    .env("CARGO", cargo)
    .env("CARGO_TARGET_DIR", &ws.target_dir)
    .env("XTASK_PYTHON", ws.venv_python())
    .env("AWS_EMULATOR_BIN", ws.emulator_bin())
    .env("XTASK_THROWAWAY_HOME", &home.0)
    .env("XDG_DATA_HOME", home.0.join("data"))
    .env("XDG_CACHE_HOME", home.0.join("cache"))
    .env("XDG_CONFIG_HOME", home.0.join("config"))
    .env("XDG_STATE_HOME", home.0.join("state"))
    .stdin(Stdio::null())
    .stdout(Stdio::piped());
    println!("$ {}", shell::describe(&cmd));
    let start = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            println!("could not start xvfb-run: {e} (run without --no-install to install it)");
            return Ok(vec![StageResult::new(
                "session",
                Outcome::Failed,
                start.elapsed(),
            )]);
        }
    };
    let mut tally = Tally::default();
    let mut timings: Vec<(Instant, Option<Duration>)> = Vec::new();
    let stdout = child.stdout.take().context("session stdout")?;
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the session's output")?;
        writeln!(out, "{line}")?;
        out.flush()?;
        match tally.line(&line) {
            Some(Event::Begin) => timings.push((Instant::now(), None)),
            Some(Event::End) => {
                if let Some(t) = timings.iter_mut().rev().find(|t| t.1.is_none()) {
                    t.1 = Some(t.0.elapsed());
                }
            }
            None => {}
        }
    }
    let status = child.wait().context("waiting for the session")?;
    drop(home);

    let mut results = Vec::new();
    for (i, s) in tally.stages.iter().enumerate() {
        let outcome = if s.exit == Some(0) {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        let elapsed = timings.get(i).and_then(|t| t.1).unwrap_or_default();
        let counts = (s.name != "desktop").then_some(s.counts);
        results.push(StageResult {
            name: s.name.clone(),
            outcome,
            counts,
            elapsed,
        });
    }
    for name in SESSION_STAGES {
        if !tally.stages.iter().any(|s| s.name == *name) {
            println!("the session ended before stage `{name}` ran");
            results.push(StageResult::new(name, Outcome::Failed, Duration::ZERO));
        }
    }
    if !status.success() && results.iter().all(|r| r.outcome == Outcome::Passed) {
        println!("the session exited with {status} although every stage passed");
        results.push(StageResult::new(
            "session",
            Outcome::Failed,
            start.elapsed(),
        ));
    }
    Ok(results)
}

/// `cargo xtask dist` (a release build), then the packages' checks, each counted as a test.
fn packages(ws: &Workspace) -> StageResult {
    banner("packages: cargo xtask dist, then install, run and remove the .deb");
    let start = Instant::now();
    let checks = match dist::dist(ws, dist::Profile::Release) {
        Ok(built) => dist::check_packages(&built),
        Err(e) => {
            println!("cargo xtask dist failed: {e:#}");
            return StageResult::new("packages", Outcome::Failed, start.elapsed());
        }
    };
    let failed = checks.iter().filter(|c| c.result.is_err()).count() as u64;
    for c in checks.iter().filter(|c| c.result.is_err()) {
        println!("packages: failed: {}", c.name);
    }
    StageResult {
        name: "packages".into(),
        outcome: if failed == 0 {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        counts: Some(Counts {
            passed: checks.len() as u64 - failed,
            failed,
        }),
        elapsed: start.elapsed(),
    }
}

/// The stages of [`hostile_input`].
const HOSTILE_STAGES: [&str; 3] = ["fuzz", "deny", "advisories"];

/// Every fuzz target for [`fuzz::DEFAULT_SECONDS`] (one test each), then cargo deny: licences,
/// bans and sources as one stage, the advisories as another (skipped without a database).
fn hostile_input(ws: &Workspace) -> Result<Vec<StageResult>> {
    banner("fuzz");
    let start = Instant::now();
    let options = fuzz::Options {
        seconds: fuzz::DEFAULT_SECONDS,
        target: None,
    };
    let fuzzed = match fuzz::fuzz(ws, &options) {
        Ok(counts) => StageResult {
            name: "fuzz".to_owned(),
            outcome: if counts.failed == 0 && counts.passed > 0 {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            counts: Some(counts),
            elapsed: start.elapsed(),
        },
        Err(e) => {
            println!("fuzz: {e:#}");
            StageResult::new("fuzz", Outcome::Failed, start.elapsed())
        }
    };

    banner("deny");
    let start = Instant::now();
    let (policy, advisories) = match deny::deny(ws) {
        Ok(o) => (
            if o.policy_passed {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            match o.advisories {
                deny::Advisories::Passed => Outcome::Passed,
                deny::Advisories::Failed => Outcome::Failed,
                deny::Advisories::Skipped(why) => Outcome::Skipped(why),
            },
        ),
        Err(e) => {
            println!("cargo deny: {e:#} (install it: `cargo install cargo-deny --locked`)");
            (Outcome::Failed, Outcome::Skipped("cargo deny did not run"))
        }
    };
    let elapsed = start.elapsed();
    Ok(vec![
        fuzzed,
        StageResult::new("deny", policy, elapsed),
        StageResult::new("advisories", advisories, Duration::ZERO),
    ])
}

/// Prints the summary and returns (passed, failed) as the last line states them.
fn summary(results: &[StageResult]) -> (u64, u64) {
    banner("summary");
    let mut total = Counts::default();
    let mut failed_stages = 0;
    for r in results {
        let outcome = match r.outcome {
            Outcome::Passed => "passed".to_owned(),
            Outcome::Failed => "FAILED".to_owned(),
            Outcome::Skipped(why) => format!("skipped ({why})"),
        };
        let counts = r
            .counts
            .map(|c| format!("  {} passed, {} failed", c.passed, c.failed))
            .unwrap_or_default();
        println!(
            "  {:<12} {:<24} {:>7.1} s{}",
            r.name,
            outcome,
            r.elapsed.as_secs_f64(),
            counts
        );
        let counted = r.counts.unwrap_or_default();
        total += counted;
        if r.outcome == Outcome::Failed && counted.failed == 0 {
            failed_stages += 1;
        }
    }
    if failed_stages > 0 {
        println!("  ({failed_stages} failed stage(s) without a failing test are counted as failures below)");
    }
    let failed = total.failed + failed_stages;
    println!("{} passed, {} failed", total.passed, failed);
    (total.passed, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, outcome: Outcome, counts: Option<Counts>) -> StageResult {
        StageResult {
            name: name.into(),
            outcome,
            counts,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn failed_stages_count_once() {
        let results = [
            r("fmt", Outcome::Failed, None),
            r("build", Outcome::Passed, None),
            r(
                "cargo-test",
                Outcome::Failed,
                Some(Counts {
                    passed: 10,
                    failed: 2,
                }),
            ),
            r(
                "botocore",
                Outcome::Passed,
                Some(Counts {
                    passed: 5,
                    failed: 0,
                }),
            ),
            r("clippy", Outcome::Skipped("--quick"), None),
        ];
        assert_eq!(summary(&results), (15, 3));
    }

    #[test]
    fn a_crashed_runner_is_a_failure() {
        let results = [r("botocore", Outcome::Failed, Some(Counts::default()))];
        assert_eq!(summary(&results), (0, 1));
    }
}
