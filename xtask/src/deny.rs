//! `cargo xtask deny`: `cargo deny` over the workspace with `deny.toml`: licences, bans (banned
//! crates, crates we keep to one version, duplicate versions reported) and sources, then the RustSec
//! advisories when the advisory database can be had.
//!
//! Promises: licences, bans and sources are checked on every run, with no network; the advisory
//! database is a git repository on GitHub, so the advisories check runs only after `cargo deny
//! fetch db` succeeds, or, offline, against a copy already in `$CARGO_HOME/advisory-dbs` (say so when it
//! is used); when neither is there the check is skipped with a message saying how to run it, never
//! reported as passed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use crate::shell;
use crate::workspace::Workspace;

/// What the advisories check came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advisories {
    Passed,
    Failed,
    /// No database: why.
    Skipped(&'static str),
}

/// The outcome of `cargo xtask deny`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Licences, bans and sources.
    pub policy_passed: bool,
    pub advisories: Advisories,
}

fn cargo_deny(ws: &Workspace, args: &[&str]) -> Command {
    let mut c = Command::new("cargo");
    c.arg("deny")
        .arg("--manifest-path")
        .arg(ws.root.join("Cargo.toml"))
        .args(args)
        .current_dir(&ws.root);
    c
}

/// Where cargo deny keeps advisory databases by default.
fn advisory_dbs() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("advisory-dbs"))
}

/// Whether a database copy is there (a folder inside the advisory-dbs folder).
fn has_local_db() -> bool {
    advisory_dbs()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .is_some_and(|mut entries| {
            entries.any(|e| e.is_ok_and(|e| e.path().join("crates").is_dir()))
        })
}

pub fn deny(ws: &Workspace) -> Result<Outcome> {
    let policy_passed = shell::run(&mut cargo_deny(
        ws,
        &["check", "--show-stats", "licenses", "bans", "sources"],
    ))?;
    let advisories = if shell::run(&mut cargo_deny(ws, &["fetch", "db"]))? {
        run_advisories(ws)?
    } else if has_local_db() {
        println!(
            "could not fetch the RustSec advisory database; checking against the copy in {} (it may be out of date)",
            advisory_dbs().unwrap_or_default().display()
        );
        run_advisories(ws)?
    } else {
        println!(
            "advisories NOT checked: the RustSec advisory database (https://github.com/rustsec/advisory-db) \
             could not be fetched and there is no copy in {}. On a machine that reaches GitHub run \
             `cargo deny fetch db` (or `cargo xtask deny`), or copy that folder here.",
            advisory_dbs().unwrap_or_default().display()
        );
        Advisories::Skipped("no advisory database")
    };
    Ok(Outcome {
        policy_passed,
        advisories,
    })
}

fn run_advisories(ws: &Workspace) -> Result<Advisories> {
    let ok = shell::run(&mut cargo_deny(
        ws,
        &["check", "--disable-fetch", "advisories"],
    ))?;
    Ok(if ok {
        Advisories::Passed
    } else {
        Advisories::Failed
    })
}
