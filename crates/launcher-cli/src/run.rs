//! What each command does: settings in, one launcher-core call, a human or JSON answer out.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use launcher_core::config::{Flags, Resolved};
use launcher_core::deps::{Deps, NON_SETTING_ENV};
use launcher_core::endpoints::Endpoints;
use launcher_core::region::Region;
use launcher_core::session::{epoch, Facts, Sessions};
use launcher_core::signin::{self, Flow, SignInOptions, SignInUi};
use launcher_core::start_url::StartUrl;

use crate::cli::{Cli, Command, List, Login, Logout, Open, PolicyCommand, Status, ViaArg};

/// The environment variable that sets the log filter (e.g. `debug`, `launcher_core=trace`).
pub const LOG_ENV: &str = "CONNECT_LAUNCHER_LOG";

/// Logs go to stderr (`warn`, or `debug` with `--verbose`) and to the rotated log file in the
/// state folder (the `log_level` setting, default `info`); [`LOG_ENV`] overrides both. Both pass
/// through the redaction of token-like text.
pub fn init_logging(verbose: bool, setting: Option<&str>, state_dir: &std::path::Path) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let env = std::env::var(LOG_ENV).ok().filter(|f| !f.is_empty());
    let filter = |fallback: &str| {
        tracing_subscriber::EnvFilter::new(env.clone().unwrap_or_else(|| fallback.to_owned()))
    };
    // Colours only on a terminal: a script or IT's log collector reading a pipe gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(|| Redacting(std::io::stderr()))
        .with_ansi(colour)
        .with_target(false)
        .with_filter(filter(if verbose { "debug" } else { "warn" }));
    let file = launcher_core::logs::LogFile::open(&launcher_core::logs::log_dir(state_dir))
        .ok()
        .map(|f| {
            tracing_subscriber::fmt::layer()
                .with_writer(std::sync::Mutex::new(f))
                .with_ansi(false)
                .with_filter(filter(if verbose {
                    "debug"
                } else {
                    setting.unwrap_or("info")
                }))
        });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
}

/// A writer that redacts token-like text before it reaches the terminal.
struct Redacting<W>(W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let clean = launcher_core::redaction::redact(&String::from_utf8_lossy(buf));
        self.0.write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

pub async fn run(cli: Cli, deps: Deps) -> Result<()> {
    for var in deps
        .env
        .keys()
        .filter(|k| k.starts_with("CONNECT_LAUNCHER_"))
    {
        let known = launcher_core::config::Key::from_env_var(var).is_some()
            || NON_SETTING_ENV.contains(&var.as_str());
        if !known {
            eprintln!("connect-launcher: warning: {var} is not a setting this version knows; check its spelling");
        }
    }
    match cli.command {
        Command::Login(args) => login(&deps, args).await,
        Command::Status(args) => status(&deps, args),
        Command::Logout(args) => logout(&deps, args).await,
        Command::List(args) => list(&deps, args).await,
        Command::Open(args) => open(&deps, args).await,
        Command::Policy(PolicyCommand::Check { file }) => policy_check(&file),
        Command::Doctor(args) => crate::doctor::doctor(&deps, args).await,
    }
}

/// Tells the person at the terminal what to do during sign-in (on stderr, so stdout stays clean).
struct TerminalUi {
    print: bool,
}

impl SignInUi for TerminalUi {
    fn visit(&self, url: &url::Url, opened: bool) {
        if opened {
            eprintln!("Opening your browser to sign in. If it does not open, visit this address:\n  {url}");
        } else if self.print {
            eprintln!("Open this address in a browser to sign in:");
            println!("{url}");
        }
    }

    fn device_code(&self, user_code: &str, verification_uri: &str) {
        eprintln!("To sign in, confirm this code in a browser:\n\n    {user_code}\n\nat {verification_uri}\n");
    }

    fn reused_aws_cli_session(&self, path: &std::path::Path) {
        eprintln!("Using the AWS CLI's valid session for this start URL ({}); run `connect-launcher login --fresh` to sign in anew.", path.display());
    }
}

fn settings(deps: &Deps, flags: Flags) -> Result<Resolved> {
    Ok(deps.settings(flags)?)
}

/// The start URL and region: from the settings, else from the AWS CLI's config.
fn target(deps: &Deps, resolved: &Resolved) -> Result<(StartUrl, Region)> {
    let s = &resolved.settings;
    if let Some(url) = &s.start_url {
        let region = s
            .region
            .or_else(|| url.region_hint())
            .context("the IAM Identity Center region is not set; add --region (for example --region us-east-1), the region your administrator gave with the start URL")?;
        return Ok((url.clone(), region));
    }
    let config_path = launcher_core::aws_config_import::aws_config_path(&deps.dirs.home);
    let text = std::fs::read_to_string(&config_path).unwrap_or_default();
    let scan = launcher_core::aws_config_import::scan(&text);
    match scan.candidates.as_slice() {
        [one] => {
            let url = StartUrl::parse(&one.start_url, false).with_context(|| format!("the start URL in {}", config_path.display()))?;
            let region = match s.region {
                Some(r) => r,
                None => Region::parse(&one.region).with_context(|| format!("the sso_region in {}", config_path.display()))?,
            };
            eprintln!("Using the start URL {} from {}.", url.as_str(), config_path.display());
            Ok((url, region))
        }
        [] => bail!(
            "no start URL is set; give it once with --start-url (it looks like https://d-1234567890.awsapps.com/start) and --region, and it is remembered"
        ),
        many => {
            let list: Vec<String> = many.iter().map(|c| format!("  --start-url {} --region {}", c.start_url, c.region)).collect();
            bail!("{} has several IAM Identity Center start URLs; pick one:\n{}", config_path.display(), list.join("\n"))
        }
    }
}

/// Remembers the start URL and region in the user's settings file, when they are not set there
/// or by policy, so nobody types them twice.
fn remember(deps: &Deps, resolved: &Resolved, url: &StartUrl, region: Region) -> Result<()> {
    use launcher_core::config::{Key, Source};
    let unset = |k: Key| matches!(resolved.source(k), Source::Default | Source::Flag(_));
    let mut lines = String::new();
    if unset(Key::StartUrl) && !resolved.is_locked(Key::StartUrl) {
        lines.push_str(&format!("start_url = {}\n", toml_string(url.as_str())));
    }
    if unset(Key::Region) && !resolved.is_locked(Key::Region) {
        lines.push_str(&format!("region = {}\n", toml_string(region.as_str())));
    }
    if lines.is_empty() {
        return Ok(());
    }
    let path = deps.dirs.user_settings();
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let kept: String = old
        .lines()
        .filter(|l| {
            let k = l.split('=').next().unwrap_or("").trim();
            k.is_empty() || !lines.contains(&format!("{k} = "))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    launcher_core::session::write_atomic(&path, format!("{lines}{kept}").as_bytes())?;
    Ok(())
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

async fn login(deps: &Deps, args: Login) -> Result<()> {
    let flags = Flags {
        start_url: args.start_url.clone(),
        region: args.region.clone(),
        use_device_code: args.device_code.then_some(true),
        browser: args.browser.clone(),
        log_level: None,
    };
    let resolved = settings(deps, flags)?;
    let (start_url, region) = target(deps, &resolved)?;
    let endpoints = Endpoints::resolve(region, &deps.env)?;
    let mut deps = deps.clone();
    if let Some(browser) = &resolved.settings.browser {
        let env_browser = deps.env.get("BROWSER").cloned().filter(|b| !b.is_empty());
        deps.opener = std::sync::Arc::new(launcher_core::browser::SystemBrowser {
            env_browser,
            configured: Some(browser.clone()),
        });
    }
    let opts = SignInOptions {
        flow: if resolved.settings.use_device_code {
            Flow::DeviceCode
        } else {
            Flow::Browser
        },
        print: args.print,
        fresh: args.fresh,
        wait: Duration::from_secs(args.timeout),
        export_aws_cli_cache: args.export_aws_cli_cache || resolved.settings.export_aws_cli_cache,
    };
    let facts = signin::sign_in(
        &deps,
        &endpoints,
        &start_url,
        region,
        &opts,
        &TerminalUi { print: args.print },
    )
    .await?;
    remember(&deps, &resolved, &start_url, region)?;
    let (end, estimated) = facts.portal_session_end(resolved.settings.portal_session_hours);
    eprintln!(
        "Signed in{} to {} ({}). The session renews itself until the portal session ends{} at {}.",
        facts
            .user
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default(),
        facts.start_url,
        facts.region,
        if estimated { ", about" } else { "" },
        clock_time(end),
    );
    if let Some(path) = &facts.exported_cli_cache {
        eprintln!(
            "The AWS CLI shares this session through {}.",
            path.display()
        );
    }
    Ok(())
}

/// `2026-11-28 13:40 UTC`.
fn clock_time(epoch_secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch_secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}

fn rfc3339(epoch_secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch_secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `2 h 5 min` (or `45 s`).
fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn relative(now: u64, at: u64) -> String {
    if at >= now {
        format!("in {}", span(at - now))
    } else {
        format!("{} ago", span(now - at))
    }
}

fn status(deps: &Deps, args: Status) -> Result<()> {
    let configured_hours = deps
        .settings(Flags::default())
        .ok()
        .and_then(|r| r.settings.portal_session_hours);
    let facts = Sessions::new(deps).facts()?;
    let now = epoch(deps.clock.now());
    if args.json {
        println!("{}", status_json(facts.as_ref(), now, configured_hours));
        return Ok(());
    }
    let Some(f) = facts else {
        println!("Not signed in. Sign in with `connect-launcher login`.");
        return Ok(());
    };
    let (end, estimated) = f.portal_session_end(configured_hours);
    println!(
        "Signed in{}",
        f.user
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default()
    );
    println!("  start URL       {}", f.start_url);
    println!("  region          {}", f.region);
    println!(
        "  signed in       {} ({})",
        clock_time(f.signed_in_at),
        relative(now, f.signed_in_at)
    );
    let renews = if f.refreshable && f.portal_session_ended_at.is_none() {
        "renews itself; "
    } else {
        ""
    };
    println!(
        "  access token    {renews}valid until {} ({})",
        clock_time(f.access_expires_at),
        relative(now, f.access_expires_at)
    );
    let note = if f.portal_session_ended_at.is_some() {
        " (IAM Identity Center ended it: sign in again)"
    } else if estimated {
        " (estimated from AWS's default of 8 h; IT can set the real length in the policy)"
    } else {
        ""
    };
    println!(
        "  portal session  ends {} ({}){note}",
        clock_time(end),
        relative(now, end)
    );
    Ok(())
}

fn status_json(
    facts: Option<&Facts>,
    now: u64,
    configured_hours: Option<u32>,
) -> serde_json::Value {
    let Some(f) = facts else {
        return serde_json::json!({"signed_in": false});
    };
    let (end, estimated) = f.portal_session_end(configured_hours);
    serde_json::json!({
        "signed_in": true,
        "user": f.user,
        "start_url": f.start_url,
        "region": f.region,
        "origin": f.origin,
        "signed_in_at": rfc3339(f.signed_in_at),
        "access_token_expires_at": rfc3339(f.access_expires_at),
        "access_token_seconds_left": f.access_expires_at.saturating_sub(now),
        "refreshable": f.refreshable && f.portal_session_ended_at.is_none(),
        "portal_session_ends_at": rfc3339(end),
        "portal_session_end_estimated": estimated,
        "portal_session_ended": f.portal_session_ended_at.is_some(),
        "aws_cli_cache": f.exported_cli_cache,
    })
}

async fn logout(deps: &Deps, args: Logout) -> Result<()> {
    use launcher_core::session::SessionError;
    // A damaged session file must not stop a sign-out, least of all the end of a shift.
    let (facts, damaged) = match Sessions::new(deps).facts() {
        Ok(facts) => (facts, None),
        Err(SessionError::Corrupt { path, .. }) => (None, Some(path)),
        Err(e) => return Err(e.into()),
    };
    if facts.is_none() && damaged.is_none() && !args.everywhere {
        eprintln!("Not signed in; nothing to do.");
        return Ok(());
    }
    // The session's region; without a session, the configured one (for the Connect logouts).
    let region = match &facts {
        Some(f) => {
            Region::parse(&f.region).context("the stored session names an unknown region")?
        }
        None => deps
            .settings(Flags::default())
            .ok()
            .and_then(|r| r.settings.region)
            .unwrap_or_else(|| Region::parse("us-east-1").expect("a known region")),
    };
    let endpoints = Endpoints::resolve(region, &deps.env)?;
    if let Some(path) = &damaged {
        eprintln!(
            "The session file {} was damaged: it and the session's keys are removed.",
            path.display()
        );
    }
    if !args.everywhere {
        signin::sign_out(deps, &endpoints, false).await?;
        if let Some(f) = &facts {
            eprintln!(
                "Signed out of {}; the session is removed from this computer.",
                f.start_url
            );
        } else {
            eprintln!("Sign in again with `connect-launcher login`.");
        }
        return Ok(());
    }
    let report = launcher_core::end_shift::end_shift(deps, &endpoints).await?;
    for name in &report.logged_out {
        eprintln!("Logged out of Amazon Connect on {name} (your browser shows its logout page).");
    }
    for name in &report.not_logged_out {
        eprintln!("Could not log out of {name} for you (its web address is unknown): in its Contact Control Panel choose Log out, then close the tab. IT can give its address in the managed policy (alias under its [instances.<instance id>] pin) so that ending the shift does this.");
    }
    match &facts {
        Some(f) => eprintln!(
            "Shift ended: signed out of {}, and the session, its keys and your list of instances are removed from this computer.",
            f.start_url
        ),
        None if damaged.is_some() => eprintln!(
            "Shift ended: what the damaged session left (its keys, launches, favourites and list of instances) is removed from this computer."
        ),
        None => eprintln!(
            "Shift ended: nobody was signed in; what the last session left (its keys, launches, favourites and list of instances) is removed from this computer."
        ),
    }
    Ok(())
}

/// The signed-in session's endpoints and the settings, or "sign in first".
fn signed_in(deps: &Deps, flags: Flags) -> Result<(Facts, Endpoints, Resolved)> {
    let resolved = settings(deps, flags)?;
    let facts = Sessions::new(deps)
        .facts()?
        .context("you are not signed in; sign in with `connect-launcher login`")?;
    let region = Region::parse(&facts.region)
        .context("the stored session names an unknown region; sign in again")?;
    Ok((facts, Endpoints::resolve(region, &deps.env)?, resolved))
}

/// Discovers the catalog anew, showing progress on stderr when it takes a while.
async fn refresh_catalog(
    deps: &Deps,
    endpoints: &Endpoints,
    resolved: &Resolved,
) -> Result<launcher_core::catalog::Catalog> {
    use launcher_core::catalog::Stage;
    let progress = |p: launcher_core::catalog::Progress| {
        if p.total >= PROGRESS_THRESHOLD
            && (p.done == p.total || p.done.is_multiple_of(PROGRESS_THRESHOLD))
        {
            let stage = match p.stage {
                Stage::Applications => "applications",
                Stage::Accounts => "accounts",
                Stage::Instances => "instances",
            };
            eprintln!("  {stage}: {}/{}", p.done, p.total);
        }
    };
    Ok(launcher_core::discovery::refresh(deps, endpoints, &resolved.settings, &progress).await?)
}

/// Progress is shown for stages with at least this many steps.
const PROGRESS_THRESHOLD: usize = 50;

/// The saved catalog, or a fresh one when there is none (or `refresh`).
async fn catalog(
    deps: &Deps,
    endpoints: &Endpoints,
    resolved: &Resolved,
    refresh: bool,
) -> Result<launcher_core::catalog::Catalog> {
    use launcher_core::catalog::CacheRead;
    if !refresh {
        match launcher_core::discovery::cached(deps) {
            CacheRead::Loaded(c) => return Ok(c),
            CacheRead::Ignored { warning } => eprintln!("connect-launcher: warning: {warning}"),
            CacheRead::Missing => {}
        }
    }
    refresh_catalog(deps, endpoints, resolved).await
}

fn methods_text(e: &launcher_core::catalog::CatalogEntry) -> String {
    use launcher_core::catalog::LaunchMethod;
    e.launch_methods
        .iter()
        .map(|m| match m {
            LaunchMethod::SamlApplication { name, .. } => format!("SAML app \"{name}\""),
            LaunchMethod::PermissionSet {
                account_id,
                role_name,
            } => match e.account_name.as_deref() {
                Some(name) if e.account_id.as_ref() == Some(account_id) => {
                    format!("{role_name} in {name} ({account_id})")
                }
                _ => format!("{role_name} in {account_id}"),
            },
            LaunchMethod::Pinned { .. } => "pinned by IT".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn list(deps: &Deps, args: List) -> Result<()> {
    let (_, endpoints, resolved) = signed_in(deps, Flags::default())?;
    let catalog = catalog(deps, &endpoints, &resolved, args.refresh).await?;
    if args.json {
        let entries: Vec<serde_json::Value> = catalog
            .entries
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).expect("entries serialise");
                v["domain"] = serde_json::json!(format!("{:?}", e.domain).to_lowercase());
                v
            })
            .collect();
        println!("{}", serde_json::Value::Array(entries));
    } else if catalog.entries.is_empty() {
        println!("No Amazon Connect instances found for this sign-in.");
    } else {
        let width = catalog
            .entries
            .iter()
            .map(|e| e.alias.as_deref().unwrap_or("-").len())
            .max()
            .unwrap_or(5)
            .max(5);
        println!(
            "{:width$}  {:36}  {:14}  HOW",
            "ALIAS", "INSTANCE ID", "REGION"
        );
        for e in &catalog.entries {
            println!(
                "{:width$}  {:36}  {:14}  {}",
                e.alias.as_deref().unwrap_or("-"),
                e.instance_id,
                e.region,
                methods_text(e)
            );
        }
        println!("\nOpen one with `connect-launcher open NAME`: its alias, instance id, or (part of) its application's name.");
    }
    let age = launcher_core::discovery::age(deps, &catalog);
    if !args.refresh && age.as_secs() >= 60 {
        eprintln!(
            "(saved {} ago; `connect-launcher list --refresh` to look again)",
            span(age.as_secs())
        );
    }
    for w in &catalog.warnings {
        eprintln!("connect-launcher: warning: {w}");
    }
    Ok(())
}

async fn open(deps: &Deps, args: Open) -> Result<()> {
    use launcher_core::launch::{self, LaunchRequest, Via};
    let flags = Flags {
        browser: args.browser.clone(),
        ..Flags::default()
    };
    let (facts, endpoints, resolved) = signed_in(deps, flags)?;
    let mut catalog = catalog(deps, &endpoints, &resolved, false).await?;
    if launch::find(&catalog.entries, &args.name).is_empty() {
        // Perhaps it is new since the list was saved.
        catalog = refresh_catalog(deps, &endpoints, &resolved).await?;
    }
    let found = launch::find(&catalog.entries, &args.name);
    let entry = match found.as_slice() {
        [one] => *one,
        [] => {
            let names: Vec<String> = catalog.entries.iter().map(launch::entry_name).collect();
            bail!(
                "no instance called `{}`; you may open: {}",
                args.name,
                if names.is_empty() {
                    "none (see `connect-launcher list`)".to_owned()
                } else {
                    names.join(", ")
                }
            )
        }
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|e| {
                    format!(
                        "  {}  ({}, {})",
                        e.instance_id,
                        launch::entry_name(e),
                        e.region
                    )
                })
                .collect();
            bail!(
                "`{}` matches several instances; name one by its instance id:\n{}",
                args.name,
                list.join("\n")
            )
        }
    };
    let start_url =
        StartUrl::parse(&facts.start_url, true).context("the stored session's start URL")?;
    // An ended sign-in launches nothing, even with role credentials still in the keychain.
    if launcher_core::session::refresh_decision(&facts, epoch(deps.clock.now()))
        == launcher_core::session::RefreshDecision::SignInAgain
    {
        return Err(launcher_core::session::SessionError::SignInAgain.into());
    }
    // The access token is read (and refreshed) only if the role's credentials are not kept.
    let token = launch::SessionToken {
        deps,
        endpoints: &endpoints,
    };
    let request = LaunchRequest {
        destination: args.destination.clone(),
        via: args.via.map(|v| match v {
            ViaArg::Saml => Via::SamlApplication,
            ViaArg::PermissionSet => Via::PermissionSet,
        }),
        switch_console_session: args.switch,
        ..LaunchRequest::for_entry(&resolved.settings, entry)
    };
    let mut browser_deps = deps.clone();
    let browser = launch::browser_for(
        &resolved,
        entry,
        deps.env.get("BROWSER").map(String::as_str),
    );
    if browser.configured.is_some() {
        browser_deps.opener = std::sync::Arc::new(browser);
    }
    if args.relaunch {
        let prepared = launch::relaunch(
            &browser_deps,
            &endpoints,
            &start_url,
            &token,
            entry,
            &request,
        )
        .await?;
        for note in &prepared.notes {
            eprintln!("note: {note}");
        }
        eprintln!(
            "Opened Amazon Connect's logout for {name}, then a fresh sign-in ({}) in your browser: its 12 hours start again now.",
            prepared.destination,
            name = launch::entry_name(entry),
        );
        return Ok(());
    }
    let prepared = launch::prepare(deps, &endpoints, &start_url, &token, entry, &request).await?;
    for note in &prepared.notes {
        eprintln!("note: {note}");
    }
    launch::open(&browser_deps, entry, &prepared, args.print)?;
    if args.print {
        println!("{}", prepared.url.expose());
        eprintln!("This address signs you in: open it soon (it works once, for 15 minutes) and share it with no one.");
    } else {
        eprintln!(
            "Opening {} ({}) in your browser.",
            launch::entry_name(entry),
            prepared.destination
        );
    }
    Ok(())
}

fn policy_check(path: &std::path::Path) -> Result<()> {
    let file = launcher_core::config::SourceFile::read(path)?.with_context(|| {
        format!(
            "there is no file at {}; give the path of the policy to check",
            path.display()
        )
    })?;
    launcher_core::policy::check(&file)?;
    println!("{} is a valid Connect Launcher policy.", path.display());
    Ok(())
}
