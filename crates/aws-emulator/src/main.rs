//! `aws-emulator`: serves the emulated AWS endpoints until stopped, after printing one JSON line
//! that says where they are (`start_url`, `region`, `env`, `urls`, `control`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aws_emulator::{Emulator, FaultRule, Options, Org};
use clap::{Parser, Subcommand};

/// A local emulator of IAM Identity Center, Amazon Connect and AWS sign-in, for Connect Launcher.
#[derive(Debug, Parser)]
#[command(name = "aws-emulator", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve an organisation on 127.0.0.1 and print one JSON line with its endpoints.
    Serve(Serve),
}

#[derive(Debug, clap::Args)]
struct Serve {
    /// Serve the built-in demo organisation (the default).
    #[arg(long, conflicts_with_all = ["org", "generate"])]
    demo: bool,
    /// Serve the organisation in this TOML file.
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    org: Option<PathBuf>,
    /// Serve a generated organisation of this many accounts (for benchmarks).
    #[arg(long, value_name = "ACCOUNTS")]
    generate: Option<usize>,
    /// Approve sign-ins at once, as USER (default: the organisation's first user).
    #[arg(long, value_name = "USER", num_args = 0..=1, default_missing_value = "")]
    auto_approve: Option<String>,
    /// Add this much latency to every API request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// The portal's request limit per second (0 for none).
    #[arg(long, value_name = "RPS", default_value_t = aws_emulator::PORTAL_RATE_LIMIT)]
    rate_limit: f64,
    /// Inject a fault: OPERATION:KIND[:COUNT], KIND one of throttle, 5xx, reset, slow=MILLIS, malformed.
    #[arg(long, value_name = "RULE")]
    fault: Vec<FaultRule>,
    /// Log each request on stderr.
    #[arg(long)]
    verbose: bool,
}

fn main() -> anyhow::Result<()> {
    let Command::Serve(args) = Cli::parse().command;
    if args.verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter("aws_emulator=debug")
            .init();
    }
    let org = match (&args.org, args.generate) {
        (Some(path), _) => Org::from_file(path)?,
        (None, Some(n)) => aws_emulator::generate::organisation(n),
        (None, None) => Org::demo(),
    };
    if let Some(user) = args.auto_approve.as_deref().filter(|u| !u.is_empty()) {
        anyhow::ensure!(
            org.user(user).is_some(),
            "--auto-approve names `{user}`, who is not a user of this organisation; pick one of: {}",
            org.users.iter().map(|u| u.user_name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    let options = Options {
        org,
        auto_approve: args.auto_approve,
        latency: Duration::from_millis(args.latency_ms),
        portal_rate_limit: Some(args.rate_limit).filter(|r| *r > 0.0),
        faults: args.fault,
    };
    let emulator =
        Emulator::start(options).context("cannot start the emulator's listeners on 127.0.0.1")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", emulator.announcement())?;
    out.flush()?;
    drop(out);
    wait_for_signal();
    drop(emulator);
    Ok(())
}

/// Blocks until SIGINT or SIGTERM.
fn wait_for_signal() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a signal runtime");
    rt.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    });
}
