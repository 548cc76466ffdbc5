//! Running the external commands the pipeline is made of, echoing each before it runs.
//!
//! Promises: a command that cannot be started is an error naming the program; a command that runs
//! and fails is a `false`, never an error, so the caller decides whether to go on.

use std::process::Command;

use anyhow::{Context, Result};

/// Prints `$ program args…` and runs the command with inherited stdio; `Ok(true)` when it succeeded.
pub fn run(cmd: &mut Command) -> Result<bool> {
    println!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("starting `{}`", describe(cmd)))?;
    Ok(status.success())
}

/// Runs a command quietly; `true` when it could be started and succeeded.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The command as a person would type it (arguments with spaces quoted).
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains([' ', '"', '\'']) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_with_quotes() {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1280x800x24", "it's"]);
        assert_eq!(
            describe(&c),
            r"xvfb-run -a -s '-screen 0 1280x800x24' 'it'\''s'"
        );
    }

    #[test]
    fn failure_is_false_not_error() {
        assert!(!run(&mut Command::new("false")).unwrap());
        assert!(run(&mut Command::new("true")).unwrap());
        assert!(run(&mut Command::new("/nonexistent/program")).is_err());
    }
}
