//! Reads the desktop session's output as it streams past: which stages ran, how each ended, and how
//! many tests passed and failed in each, from cargo test's `test result:` lines and pytest's closing
//! line.
//!
//! Promises: a stage that exits non-zero counts as failed even when no test line said so; lines
//! outside a stage, or of another runner's format, are ignored.

/// Tests passed and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// One stage of the session, as framed by `xtask-session:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStage {
    pub name: String,
    /// `None` while running, or when the session died before the stage ended.
    pub exit: Option<i32>,
    pub counts: Counts,
}

/// The marker session.sh prints around each stage.
const MARKER: &str = "xtask-session: ";

/// What a line meant for the stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Begin,
    End,
}

/// Accumulates stages from output lines.
#[derive(Debug, Default)]
pub struct Tally {
    pub stages: Vec<SessionStage>,
}

impl Tally {
    /// Takes one line of output; says whether it began or ended a stage.
    pub fn line(&mut self, line: &str) -> Option<Event> {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix(MARKER) {
            if let Some(name) = rest.strip_prefix("begin ") {
                self.stages.push(SessionStage {
                    name: name.to_owned(),
                    exit: None,
                    counts: Counts::default(),
                });
                return Some(Event::Begin);
            }
            let (name, rc) = rest.split_once(" exit ")?;
            let stage = self
                .stages
                .iter_mut()
                .rev()
                .find(|s| s.name == name && s.exit.is_none())?;
            stage.exit = Some(rc.trim().parse().unwrap_or(-1));
            return Some(Event::End);
        }
        let current = self.stages.last_mut().filter(|s| s.exit.is_none())?;
        if let Some(c) = cargo_test_result(line).or_else(|| pytest_summary(line)) {
            current.counts += c;
        }
        None
    }
}

/// `test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s`
pub fn cargo_test_result(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_, rest) = rest.split_once(". ")?;
    let mut counts = Counts::default();
    for part in rest.split("; ") {
        let (n, word) = part.trim().split_once(' ')?;
        match word {
            "passed" => counts.passed = n.parse().ok()?,
            "failed" => counts.failed = n.parse().ok()?,
            _ => {}
        }
    }
    Some(counts)
}

/// pytest's closing line, e.g. `3 failed, 40 passed, 1 error in 2.31s` (possibly framed by `=`s);
/// errors count as failures.
pub fn pytest_summary(line: &str) -> Option<Counts> {
    let line = line.trim().trim_matches('=').trim();
    let (head, tail) = line.rsplit_once(" in ")?;
    let secs = tail.split_whitespace().next()?.strip_suffix('s')?;
    secs.parse::<f64>().ok()?;
    let mut counts = Counts::default();
    for part in head.split(", ") {
        let (n, word) = part.trim().split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        match word {
            "passed" => counts.passed += n,
            "failed" | "error" | "errors" => counts.failed += n,
            "skipped" | "deselected" | "xfailed" | "xpassed" | "warning" | "warnings" | "rerun" => {
            }
            _ => return None,
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cargo_test_lines() {
        assert_eq!(
            cargo_test_result("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"),
            Some(Counts { passed: 12, failed: 0 })
        );
        assert_eq!(
            cargo_test_result("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s"),
            Some(Counts { passed: 3, failed: 2 })
        );
        assert_eq!(cargo_test_result("running 3 tests"), None);
    }

    #[test]
    fn reads_pytest_lines() {
        assert_eq!(
            pytest_summary("40 passed in 2.31s"),
            Some(Counts {
                passed: 40,
                failed: 0
            })
        );
        assert_eq!(
            pytest_summary("3 failed, 40 passed, 1 error in 2.31s"),
            Some(Counts {
                passed: 40,
                failed: 4
            })
        );
        assert_eq!(
            pytest_summary("==== 1 failed, 2 passed, 1 warning in 0.50s (0:00:00) ===="),
            Some(Counts {
                passed: 2,
                failed: 1
            })
        );
        assert_eq!(pytest_summary("no tests ran in 0.01s"), None);
        assert_eq!(pytest_summary("waited in 2s"), None);
    }

    #[test]
    fn attributes_lines_to_stages() {
        let mut t = Tally::default();
        for l in [
            "test result: ok. 9 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "xtask-session: begin cargo-test",
            "test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "xtask-session: cargo-test exit 101",
            "xtask-session: begin botocore",
            "7 passed in 1.00s",
        ] {
            let _ = t.line(l);
        }
        assert_eq!(
            t.stages,
            vec![
                SessionStage {
                    name: "cargo-test".into(),
                    exit: Some(101),
                    counts: Counts {
                        passed: 6,
                        failed: 1
                    }
                },
                SessionStage {
                    name: "botocore".into(),
                    exit: None,
                    counts: Counts {
                        passed: 7,
                        failed: 0
                    }
                },
            ]
        );
    }
}
