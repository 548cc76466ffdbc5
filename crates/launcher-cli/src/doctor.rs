//! `connect-launcher doctor`: launcher-core's checks, printed for a person or, with `--json`, for a
//! script. The command fails (exit status 1) when any check fails; warnings do not fail it.

use anyhow::{bail, Result};
use launcher_core::deps::Deps;
use launcher_core::doctor::{self, Check, Report, Status};

use crate::cli::Doctor;

/// The id column's width: the longest id, `endpoint-test`.
const ID_WIDTH: usize = 13;
/// The status column's width.
const STATUS_WIDTH: usize = 4;

pub async fn doctor(deps: &Deps, args: Doctor) -> Result<()> {
    let report = doctor::run(deps).await;
    if args.json {
        println!("{}", json(&report));
    } else {
        print!("{}", human(&report));
    }
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id.as_str())
        .collect();
    match failed.len() {
        0 => Ok(()),
        1 => bail!("the {} check failed", failed[0]),
        _ => bail!("{} checks failed: {}", failed.len(), failed.join(", ")),
    }
}

/// `{"checks":[{"id","status","summary","fix"}…],"endpoint_test_url":"…"}`; `fix` is `null` when
/// there is nothing to do.
pub fn json(report: &Report) -> serde_json::Value {
    let checks: Vec<serde_json::Value> = report
        .checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id.as_str(),
                "status": c.status.as_str(),
                "summary": c.summary,
                "fix": c.fix,
            })
        })
        .collect();
    serde_json::json!({
        "checks": checks,
        "endpoint_test_url": report.endpoint_test_url.as_str(),
    })
}

fn check_lines(c: &Check) -> String {
    let mut out = format!(
        "{:STATUS_WIDTH$}  {:ID_WIDTH$}  {}\n",
        c.status.as_str(),
        c.id.as_str(),
        c.summary
    );
    if let Some(fix) = &c.fix {
        let label = if c.status == Status::Pass {
            "next"
        } else {
            "fix"
        };
        out.push_str(&format!(
            "{:indent$}{label}: {fix}\n",
            "",
            indent = STATUS_WIDTH + ID_WIDTH + 4
        ));
    }
    out
}

/// One line per check (`pass  network        …`), its fix below it, and a count at the end.
pub fn human(report: &Report) -> String {
    let mut out: String = report.checks.iter().map(check_lines).collect();
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let (failed, warned, passed) = (
        count(Status::Fail),
        count(Status::Warn),
        count(Status::Pass),
    );
    out.push_str(&format!(
        "\n{passed} passed, {warned} {}, {failed} failed\n",
        if warned == 1 { "warning" } else { "warnings" }
    ));
    out
}
