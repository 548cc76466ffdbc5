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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run::run(cli, deps)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("connect-launcher: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
