//! The command line, as clap parses it. Nothing here runs anything: `run` does.

use clap::{Args, Parser, Subcommand};

/// Open Amazon Connect through your IAM Identity Center start URL.
#[derive(Debug, Parser)]
#[command(name = "connect-launcher", version, about, long_about = None)]
pub struct Cli {
    /// Log what happens on stderr (the level comes from CONNECT_LAUNCHER_LOG when set, e.g. `trace`).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in through the start URL and keep the session in the OS keychain.
    Login(Login),
    /// Show who is signed in and when each session clock runs out.
    Status(Status),
    /// Sign out: end the IAM Identity Center session and remove it from this computer.
    Logout(Logout),
    /// List the Amazon Connect instances you may open.
    List(List),
    /// Open an Amazon Connect instance in your browser.
    Open(Open),
    /// Work with the managed policy file (for IT).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check this computer: settings, keychain, session clocks, clock skew, network, browser.
    Doctor(Doctor),
}

#[derive(Debug, Args)]
pub struct Doctor {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct List {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
    /// Discover anew instead of showing the saved list.
    #[arg(long)]
    pub refresh: bool,
}

/// How to launch, when an instance can be opened more than one way.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ViaArg {
    Saml,
    PermissionSet,
}

#[derive(Debug, Args)]
pub struct Open {
    /// The instance: its alias, its instance id, or its SAML application's name.
    pub name: String,
    /// The page: ccp, ccp-chat, agent-workspace, admin, a path such as /ccp-v2/softphone, or an approved https origin.
    #[arg(long, short, value_name = "DESTINATION")]
    pub destination: Option<String>,
    /// The browser command to open it with (overridden by $BROWSER; overrides the instance's `browser`).
    #[arg(long, value_name = "COMMAND")]
    pub browser: Option<String>,
    /// Print the address instead of opening it (it signs you in: treat it as a password).
    #[arg(long)]
    pub print: bool,
    /// Open it this way when the instance has several.
    #[arg(long, value_enum)]
    pub via: Option<ViaArg>,
    /// Sign out of the console session of the instance opened before (switching instances).
    #[arg(long)]
    pub switch: bool,
    /// Log out of Connect first, then sign in again, so Connect's 12 hours start over (do it
    /// between contacts: the CCP is signed out for a moment).
    #[arg(long, conflicts_with_all = ["print", "switch"])]
    pub relaunch: bool,
}

#[derive(Debug, Args)]
pub struct Login {
    /// The access portal's start URL, e.g. https://d-1234567890.awsapps.com/start.
    #[arg(long, value_name = "URL")]
    pub start_url: Option<String>,
    /// The IAM Identity Center region, e.g. us-east-1.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Sign in with a code confirmed in any browser (for remote or locked-down desktops).
    #[arg(long)]
    pub device_code: bool,
    /// Print the sign-in address instead of opening a browser.
    #[arg(long)]
    pub print: bool,
    /// The browser command to open (overridden by $BROWSER).
    #[arg(long, value_name = "COMMAND")]
    pub browser: Option<String>,
    /// Sign in anew even when the AWS CLI already has a valid session for this start URL.
    #[arg(long)]
    pub fresh: bool,
    /// Also write the session to ~/.aws/sso/cache so `aws` commands share it.
    #[arg(long)]
    pub export_aws_cli_cache: bool,
    /// How long to wait for the browser sign-in, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct Status {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Logout {
    /// End of shift on a shared PC: also log out of every Connect instance opened this shift and
    /// forget everything this user left here (registration, instance list, launch history).
    #[arg(long)]
    pub everywhere: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file before deploying it: exits non-zero and names the line and column of
    /// the problem when it is not valid.
    Check {
        /// The policy file.
        file: std::path::PathBuf,
    },
}
