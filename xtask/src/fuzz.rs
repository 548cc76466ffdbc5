//! `cargo xtask fuzz`: builds the fuzz targets in `fuzz/` (cargo fuzz, libFuzzer, AddressSanitizer)
//! and runs each for a few seconds, or one target for as long as asked (docs/fuzzing.md).
//!
//! Promises: it works on the stable toolchain (`RUSTC_BOOTSTRAP=1` admits the `-Z` flags cargo fuzz
//! passes; the sanitizer runtimes ship with stable's rust-std); fuzz builds go to
//! `$CARGO_TARGET_DIR/fuzz`, apart from the workspace's (other flags); what a run discovers goes to
//! `$CARGO_TARGET_DIR/fuzz/corpus/<target>` and the committed seeds in `fuzz/corpus/<target>` are
//! only read; each target is one test, failed when libFuzzer stops on a crash, a failed invariant,
//! a leak or a timeout, and the crashing input is left in `fuzz/artifacts/<target>/` (where cargo
//! fuzz puts it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::shell;
use crate::tally::Counts;
use crate::workspace::Workspace;

/// Seconds each target runs in CI and by default.
pub const DEFAULT_SECONDS: u64 = 15;
/// An input that takes longer than this is a failure (a hang), in seconds.
const PER_INPUT_TIMEOUT_SECS: u64 = 10;
/// libFuzzer's memory limit per process.
const RSS_LIMIT_MB: u64 = 2048;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub seconds: u64,
    /// One target, or all.
    pub target: Option<String>,
}

/// One target's run.
#[derive(Debug, Clone)]
pub struct Run {
    pub target: String,
    pub passed: bool,
    pub execs: Option<u64>,
    pub execs_per_sec: Option<u64>,
}

fn fuzz_dir(ws: &Workspace) -> PathBuf {
    ws.root.join("fuzz")
}

fn fuzz_target_dir(ws: &Workspace) -> PathBuf {
    ws.target_dir.join("fuzz")
}

/// The targets, from `fuzz/fuzz_targets/*.rs`, sorted.
pub fn targets(ws: &Workspace) -> Result<Vec<String>> {
    let dir = fuzz_dir(ws).join("fuzz_targets");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            if let Some(stem) = path.file_stem() {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// `cargo fuzz` with the environment every call needs.
fn cargo_fuzz(ws: &Workspace, args: &[&str]) -> Command {
    let mut c = Command::new("cargo");
    c.arg("fuzz")
        .args(args)
        .arg("--fuzz-dir")
        .arg(fuzz_dir(ws))
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", fuzz_target_dir(ws))
        // Stable rustc takes the `-Z` flags cargo fuzz passes only with this.
        .env("RUSTC_BOOTSTRAP", "1");
    c
}

/// Builds every target (cargo fuzz's default: optimised, debug assertions on, AddressSanitizer).
pub fn build(ws: &Workspace) -> Result<bool> {
    let start = Instant::now();
    let ok = shell::run(&mut cargo_fuzz(ws, &["build"]))?;
    println!("fuzz build: {:.1} s", start.elapsed().as_secs_f64());
    Ok(ok)
}

/// Runs one target for `seconds`.
pub fn run_target(ws: &Workspace, target: &str, seconds: u64) -> Result<Run> {
    let seeds = fuzz_dir(ws).join("corpus").join(target);
    let scratch = fuzz_target_dir(ws).join("corpus").join(target);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let mut cmd = cargo_fuzz(ws, &["run", target]);
    // New inputs go to the first folder (ours, outside git); the seeds are read from the second.
    cmd.arg(&scratch);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--").args([
        format!("-max_total_time={seconds}"),
        format!("-timeout={PER_INPUT_TIMEOUT_SECS}"),
        format!("-rss_limit_mb={RSS_LIMIT_MB}"),
        "-print_final_stats=1".to_owned(),
    ]);
    cmd.stderr(Stdio::piped()).stdout(Stdio::inherit());
    println!("$ {}", shell::describe(&cmd));
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting cargo fuzz run {target}"))?;
    let stderr = child.stderr.take().context("fuzz stderr")?;
    let mut stats = Stats::default();
    let mut out = std::io::stdout();
    for line in BufReader::new(stderr).lines() {
        let line = line.context("reading libFuzzer's output")?;
        stats.line(&line);
        // libFuzzer's progress lines (`#1234 NEW …`), new-function notes and the dictionary it
        // learnt would bury the rest.
        if !line.starts_with(['#', '"', '\t']) {
            writeln!(out, "{line}")?;
        }
    }
    let status = child.wait().context("waiting for cargo fuzz")?;
    Ok(Run {
        target: target.to_owned(),
        passed: status.success(),
        execs: stats.execs,
        execs_per_sec: stats.execs_per_sec,
    })
}

/// libFuzzer's `-print_final_stats` figures.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Stats {
    execs: Option<u64>,
    execs_per_sec: Option<u64>,
}

impl Stats {
    fn line(&mut self, line: &str) {
        let value = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(v) = value("stat::number_of_executed_units:") {
            self.execs = Some(v);
        } else if let Some(v) = value("stat::average_exec_per_sec:") {
            self.execs_per_sec = Some(v);
        }
    }
}

/// Builds, runs the chosen targets, prints a table; the counts are one test per target (a failed
/// build fails every target).
pub fn fuzz(ws: &Workspace, options: &Options) -> Result<Counts> {
    let all = targets(ws)?;
    let chosen: Vec<String> = match &options.target {
        Some(t) if all.contains(t) => vec![t.clone()],
        Some(t) => bail!("no fuzz target `{t}`; the targets are: {}", all.join(", ")),
        None => all,
    };
    if !build(ws)? {
        println!(
            "the fuzz build failed (is cargo-fuzz installed? `cargo install cargo-fuzz --locked`)"
        );
        return Ok(Counts {
            passed: 0,
            failed: chosen.len() as u64,
        });
    }
    let mut runs = Vec::new();
    for target in &chosen {
        println!("\n--> fuzz {target} for {} s", options.seconds);
        runs.push(run_target(ws, target, options.seconds)?);
    }
    Ok(report(&runs, &fuzz_dir(ws)))
}

fn report(runs: &[Run], fuzz_dir: &Path) -> Counts {
    println!(
        "\n  {:<20} {:>12} {:>10}  result",
        "target", "execs", "execs/s"
    );
    let mut counts = Counts::default();
    for r in runs {
        let n = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        let result = if r.passed {
            counts.passed += 1;
            "ok".to_owned()
        } else {
            counts.failed += 1;
            format!(
                "FAILED (input in {})",
                fuzz_dir.join("artifacts").join(&r.target).display()
            )
        };
        println!(
            "  {:<20} {:>12} {:>10}  {result}",
            r.target,
            n(r.execs),
            n(r.execs_per_sec)
        );
    }
    println!("fuzz: {} passed, {} failed", counts.passed, counts.failed);
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_final_stats() {
        let mut s = Stats::default();
        for l in [
            "#4096\tpulse  cov: 10 ft: 12 corp: 3/20b exec/s: 2048 rss: 40Mb",
            "stat::number_of_executed_units: 123456",
            "stat::average_exec_per_sec:     8230",
            "stat::new_units_added:          7",
        ] {
            s.line(l);
        }
        assert_eq!(
            s,
            Stats {
                execs: Some(123_456),
                execs_per_sec: Some(8230)
            }
        );
    }

    #[test]
    fn each_target_counts_once() {
        let run = |target: &str, passed| Run {
            target: target.into(),
            passed,
            execs: None,
            execs_per_sec: Some(1),
        };
        let counts = report(
            &[run("a", true), run("b", false), run("c", true)],
            Path::new("fuzz"),
        );
        assert_eq!(
            counts,
            Counts {
                passed: 2,
                failed: 1
            }
        );
    }
}
