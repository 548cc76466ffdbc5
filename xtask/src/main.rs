//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask test` installs what a fresh Debian/Ubuntu machine lacks, then runs the fmt check,
//!   clippy, the build, and every Rust test and the botocore suite inside a private X server, D-Bus
//!   session and unlocked gnome-keyring. `.ci/run` calls it.
//! - `cargo xtask demo` starts the emulator's demo organisation and explains how to use it.
//! - `cargo xtask bench` measures discovery, the warm start and a launch against a generated
//!   organisation and writes `BENCHMARKS.md`.
//! - `cargo xtask dist` builds the desktop app's Debian package and RPM with the Tauri bundler.
//!
//! Promises: `test` exits non-zero when any stage fails and ends its output with one line
//! `N passed, N failed`; nothing here needs more than std and anyhow.

mod bench;
mod demo;
mod deny;
mod dist;
mod fuzz;
mod install;
mod json;
mod pipeline;
mod shell;
mod tally;
mod workspace;

use std::process::ExitCode;

use anyhow::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <command> [flags]

commands:
  test [--no-install] [--quick]
      install missing Debian packages, the Python venv and npm packages, then run
      cargo fmt --check, clippy -D warnings, the build, and inside Xvfb + a private D-Bus
      session + an unlocked gnome-keyring: every Rust test and the botocore suite; then the
      packages: `dist`, the .deb installed with apt (as root or through sudo), both installed
      binaries' --version, the package removed; then `fuzz` (every target 15 s) and `deny`
      --no-install  skip the install step (the dev loop)
      --quick       skip the fmt check, clippy, the packages, fuzzing and cargo deny
  demo
      build and start the emulator's demo organisation (not auto-approving) until Ctrl-C
  bench [--quick]
      build the emulator and connect-launcher in release mode, then measure discovery of
      1,000 accounts at the portal's rate limit, the warm start and a launch, each against a
      floor measured in the same run; print a table and write BENCHMARKS.md. Needs a D-Bus
      session with an unlocked Secret Service (the launcher keeps its session there)
      --quick       100 accounts and 5 runs of each timing instead of 20
  fuzz [--seconds N] [TARGET]
      build the fuzz targets in fuzz/ (cargo fuzz, AddressSanitizer, on stable with
      RUSTC_BOOTSTRAP=1) and run each, or only TARGET, for N seconds (default 15); one
      test per target; a crashing input is left in fuzz/artifacts/TARGET/ (docs/fuzzing.md)
  deny
      cargo deny with deny.toml: licences, bans and sources; then the RustSec advisories when
      the database can be fetched or a copy is in ~/.cargo/advisory-dbs (else skipped, saying so)
  dist [--debug] [--check]
      build the window, connect-launcher and, with the Tauri bundler (tauri-cli 2, installed
      when missing: ~10 minutes once), the Debian package and RPM of the desktop app carrying
      the command too; print where they landed and their sizes
      --debug       a debug build (faster to build, much bigger packages)
      --check       then what `test` checks: install the .deb with apt (as root or through
                    sudo), run both installed binaries, check the files, purge it
";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode> {
    let Some((command, flags)) = args.split_first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let ws = workspace::Workspace::locate()?;
    match command.as_str() {
        "test" => {
            let mut options = pipeline::Options::default();
            for f in flags {
                match f.as_str() {
                    "--no-install" => options.install = false,
                    "--quick" => {
                        options.lint = false;
                        options.packages = false;
                        options.hostile = false;
                    }
                    other => bail!("unknown flag `{other}` for `test`\n\n{USAGE}"),
                }
            }
            pipeline::test(&ws, &options)
        }
        "demo" => {
            if let Some(f) = flags.first() {
                bail!("unknown flag `{f}` for `demo`\n\n{USAGE}");
            }
            demo::demo(&ws)
        }
        "bench" => {
            let mut quick = false;
            for f in flags {
                match f.as_str() {
                    "--quick" => quick = true,
                    other => bail!("unknown flag `{other}` for `bench`\n\n{USAGE}"),
                }
            }
            bench::bench(&ws, bench::Scale::new(quick))
        }
        "dist" => {
            let mut profile = dist::Profile::Release;
            let mut check = false;
            for f in flags {
                match f.as_str() {
                    "--debug" => profile = dist::Profile::Debug,
                    "--check" => check = true,
                    other => bail!("unknown flag `{other}` for `dist`\n\n{USAGE}"),
                }
            }
            let packages = dist::dist(&ws, profile)?;
            if !check {
                return Ok(ExitCode::SUCCESS);
            }
            let checks = dist::check_packages(&packages);
            let failed = checks.iter().filter(|c| c.result.is_err()).count();
            println!("{} passed, {failed} failed", checks.len() - failed);
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "fuzz" => {
            let mut options = fuzz::Options {
                seconds: fuzz::DEFAULT_SECONDS,
                target: None,
            };
            let mut rest = flags.iter();
            while let Some(f) = rest.next() {
                match f.as_str() {
                    "--seconds" => {
                        let n = rest.next().and_then(|n| n.parse().ok());
                        let Some(n) = n.filter(|n| *n > 0) else {
                            bail!("`--seconds` takes a whole number of seconds\n\n{USAGE}");
                        };
                        options.seconds = n;
                    }
                    t if !t.starts_with('-') && options.target.is_none() => {
                        options.target = Some(t.to_owned());
                    }
                    other => bail!("unknown flag `{other}` for `fuzz`\n\n{USAGE}"),
                }
            }
            let counts = fuzz::fuzz(&ws, &options)?;
            Ok(if counts.failed == 0 && counts.passed > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "deny" => {
            if let Some(f) = flags.first() {
                bail!("unknown flag `{f}` for `deny`\n\n{USAGE}");
            }
            let outcome = deny::deny(&ws)?;
            Ok(
                if outcome.policy_passed && outcome.advisories != deny::Advisories::Failed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            )
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}
