//! `cargo xtask demo`: builds the emulator and the desktop app, starts the emulator's demo
//! organisation (sign-ins wait for approval, as in real life), opens the desktop app pointed at it
//! (when there is a display), and explains how to point the AWS CLI, botocore or connect-launcher
//! at it.
//!
//! Promises: prints the emulator's JSON announcement verbatim, then the start URL, region, users
//! and the `export` lines to paste; runs until Ctrl-C, and the emulator stops with it (it gets the
//! same SIGINT, and its stdin closes when xtask exits).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context, Result};

use crate::json::Json;
use crate::shell;
use crate::workspace::Workspace;

pub fn demo(ws: &Workspace) -> Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--package",
            "aws-emulator",
            "--bin",
            "aws-emulator",
        ])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    if !shell::run(&mut build)? {
        bail!("building aws-emulator failed");
    }
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    let desktop_built = has_display && build_desktop(ws)?;

    let bin = ws.emulator_bin();
    let mut child = Command::new(&bin)
        .args(["serve", "--demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("emulator stdout")?).lines();
    let Some(first) = lines
        .next()
        .transpose()
        .context("reading the emulator's announcement")?
    else {
        let status = child.wait()?;
        bail!("the emulator exited ({status}) before announcing where it listens");
    };
    let announcement =
        Json::parse(&first).with_context(|| format!("the emulator announced `{first}`"))?;
    println!("{first}");
    let fixture = std::fs::read_to_string(ws.demo_fixture()).unwrap_or_default();
    print!("{}", how_to(&announcement, &fixture));
    std::io::stdout().flush()?;

    let _app = if desktop_built {
        Some(start_desktop(ws, &announcement)?)
    } else {
        if !has_display {
            println!("No display here, so the desktop app was not started; use `connect-launcher` with the exports above.");
        }
        None
    };

    // Keep echoing whatever else the emulator prints; stdin stays open until we exit.
    let _stdin = child.stdin.take();
    for line in lines {
        println!("{}", line?);
    }
    let status = child.wait()?;
    println!("the emulator stopped ({status})");
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Builds the window (ui/dist) and the desktop app; false (with a message) when it cannot.
fn build_desktop(ws: &Workspace) -> Result<bool> {
    let ui = ws.ui_dir();
    if !ui.join("node_modules").exists() {
        let mut ci = Command::new("npm");
        ci.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&ui);
        if !shell::run(&mut ci)? {
            println!("npm ci failed in ui/; starting the emulator without the desktop app");
            return Ok(false);
        }
    }
    let mut npm = Command::new("npm");
    npm.args(["run", "build"]).current_dir(&ui);
    if !shell::run(&mut npm)? {
        println!("building the window (npm run build in ui/) failed; starting the emulator without the desktop app");
        return Ok(false);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--package", "connect-launcher-desktop"])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    shell::run(&mut build)
}

/// Kills the desktop app when the demo ends.
struct App(std::process::Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the desktop app against the emulator, in a demo home of its own (settings, state and
/// keychain entries apart from a real installation), with the start URL and region prefilled.
fn start_desktop(ws: &Workspace, announcement: &Json) -> Result<App> {
    let home = ws.target_dir.join("demo-home");
    std::fs::create_dir_all(&home)?;
    let field = |k: &str| {
        announcement
            .get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let policy = home.join("policy.toml");
    std::fs::write(
        &policy,
        format!("# Written by `cargo xtask demo`: the demo organisation's start URL and region.\nstart_url = \"{}\"\nregion = \"{}\"\n", field("start_url"), field("region")),
    )?;
    let bin = ws.target_dir.join("debug").join(if cfg!(windows) {
        "connect-launcher-desktop.exe"
    } else {
        "connect-launcher-desktop"
    });
    let mut app = Command::new(&bin);
    app.env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("CONNECT_LAUNCHER_POLICY_FILE", &policy)
        .env("CONNECT_LAUNCHER_KEYCHAIN_SERVICE", "connect-launcher-demo");
    for (k, v) in announcement
        .get("env")
        .map(Json::members)
        .unwrap_or_default()
    {
        app.env(k, v.as_str().unwrap_or_default());
    }
    let child = app
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    println!(
        "The desktop app is open, pointed at the demo organisation (its settings live in {}).",
        home.display()
    );
    Ok(App(child))
}

/// The friendly explanation printed under the announcement.
fn how_to(announcement: &Json, fixture: &str) -> String {
    let field = |k: &str| {
        announcement
            .get(k)
            .and_then(Json::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let start_url = field("start_url");
    let region = field("region");
    let control = field("control");
    let users = fixture_users(fixture);
    let first_user = users
        .first()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| "USER".to_owned());
    let mut s = String::new();
    s += "\nThe demo organisation is running. Ctrl-C stops it.\n\n";
    s += &format!("  start URL  {start_url}\n  region     {region}\n  users\n");
    for (name, display) in &users {
        s += &format!("    {name:<28} {display}\n");
    }
    let who: Vec<&str> = fixture
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    if !who.is_empty() {
        s += "\n";
        for l in who {
            s += &format!("  {l}\n");
        }
    }
    s += "\nPoint the AWS CLI, botocore or connect-launcher at it (paste into a shell):\n\n";
    for (k, v) in announcement
        .get("env")
        .map(Json::members)
        .unwrap_or_default()
    {
        s += &format!("  export {k}={}\n", v.as_str().unwrap_or_default());
    }
    s += &format!(
        "\nSign-ins wait for approval, as in real life: open the verification link the client shows\n\
         and approve in the browser, or approve from another shell:\n\n  \
         curl -X POST '{control}/approve?user_code=XXXX-XXXX&user={first_user}'\n\n\
         or approve every sign-in at once as one user:\n\n  \
         curl -X POST '{control}/auto-approve?user={first_user}'\n\n\
         Move the emulated clock (expire tokens and sessions) with:\n\n  \
         curl -X POST '{control}/clock/advance?seconds=3600'\n\n"
    );
    s
}

/// (user name, display name) of every `[[users]]` entry of an org fixture, in order.
fn fixture_users(toml: &str) -> Vec<(String, String)> {
    let mut users = Vec::new();
    let mut in_user = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_user = line == "[[users]]";
            if in_user {
                users.push((String::new(), String::new()));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match (in_user, key.trim(), users.last_mut()) {
            (true, "user_name", Some(u)) => u.0 = value,
            (true, "display_name", Some(u)) => u.1 = value,
            _ => {}
        }
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = r#"# alex.rivera   agent
[directory]
id = "d-1"

[[users]]
user_name = "alex@example.com"
display_name = "Alex"

[[accounts]]
id = "111122223333"
name = "Prod"

[[users]]
display_name = "Sam"
user_name = "sam@example.com"
"#;

    #[test]
    fn reads_users_from_the_fixture() {
        assert_eq!(
            fixture_users(FIXTURE),
            vec![
                ("alex@example.com".into(), "Alex".into()),
                ("sam@example.com".into(), "Sam".into())
            ]
        );
    }

    #[test]
    fn how_to_has_the_exports_and_control_urls() {
        let a = Json::parse(
            r#"{"start_url":"https://d-1.awsapps.com/start","region":"us-east-1","env":{"AWS_ENDPOINT_URL_SSO":"http://127.0.0.1:4001"},"control":"http://127.0.0.1:4004/_emulator"}"#,
        )
        .unwrap();
        let text = how_to(&a, FIXTURE);
        assert!(
            text.contains("  export AWS_ENDPOINT_URL_SSO=http://127.0.0.1:4001\n"),
            "{text}"
        );
        assert!(
            text.contains("start URL  https://d-1.awsapps.com/start"),
            "{text}"
        );
        assert!(text.contains(
            "'http://127.0.0.1:4004/_emulator/approve?user_code=XXXX-XXXX&user=alex@example.com'"
        ));
        assert!(text.contains("  alex.rivera   agent\n"), "{text}");
    }
}
