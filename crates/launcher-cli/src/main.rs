//! `connect-launcher`: the command-line face of launcher-core.

mod cli;
mod doctor;
mod run;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let deps = match launcher_core::deps::Deps::production() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("connect-launcher: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // The `log_level` setting, when the settings can be read (a broken file is reported later).
    let level = deps
        .settings(Default::default())
        .ok()
        .map(|r| r.settings.log_level.as_str());
    run::init_logging(cli.verbose, level, &deps.dirs.state);
    // One thread: a command's concurrency is waiting on the network, and starting (and at exit
    // stopping) worker threads cost a warm launch ~1 ms of its ~7 (`cargo xtask bench`, issue 7).
    // Slow blocking work (the trusted roots, the launch record's flush) goes to the blocking pool;
    // nothing waits synchronously on another task, so one thread cannot deadlock.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run::run(cli, deps)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connect-launcher: {}", message(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each once: most of our errors already quote their cause (`cannot
/// write …: Operation not permitted; make the folder … writable`), so a cause whose text is
/// already said is not repeated at the end.
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_quoted_are_not_repeated() {
        let io = std::io::Error::other("Operation not permitted (os error 1)");
        let quoted = anyhow::Error::new(io).context(
            "cannot write /x/facts.json: Operation not permitted (os error 1); make the folder /x writable",
        );
        assert_eq!(
            message(&quoted),
            "cannot write /x/facts.json: Operation not permitted (os error 1); make the folder /x writable"
        );
        let io = std::io::Error::other("disk on fire");
        let unquoted = anyhow::Error::new(io).context("cannot save");
        assert_eq!(message(&unquoted), "cannot save: disk on fire");
    }
}
