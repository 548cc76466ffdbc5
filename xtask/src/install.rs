//! Installs what the tests need on a fresh Debian/Ubuntu machine: the Debian packages of the desktop
//! stack, tauri-driver (the desktop app's WebDriver bridge), tauri-cli (the bundler `cargo xtask
//! dist` runs), cargo-fuzz and cargo-deny (the fuzz and deny stages), the botocore suite's Python
//! venv, and the front end's npm packages once `ui/` exists.
//!
//! Promises: every step is skipped when what it installs is already there (so a warm run costs a
//! `dpkg-query` and two file reads); `apt-get update` runs only when a package is missing; apt runs
//! as root, or through sudo when not root; the venv is reinstalled when requirements.txt changes.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::shell;
use crate::workspace::Workspace;

/// Debian packages: the Tauri/WebKitGTK build and runtime, the session stack the tests run in
/// (Xvfb, D-Bus, gnome-keyring, keyutils, a notification daemon), screenshot tools, Chromium for
/// browser tests and python3-venv for the botocore suite. From desktop-toolchain.md §1.
pub const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "curl",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libssl-dev",
    "libxdo-dev",
    "libdbus-1-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "keyutils",
    "notification-daemon",
    "dunst",
    "imagemagick",
    "x11-apps",
    "x11-utils",
    "chromium",
    "python3",
    "python3-venv",
    // `rpm -qpl` reads the RPM `cargo xtask dist` builds (Tauri writes it without rpmbuild).
    "rpm",
];

/// The file in the venv that records which requirements it was installed from.
const VENV_STAMP: &str = "xtask-requirements.txt";

/// Runs every install step.
pub fn all(ws: &Workspace) -> Result<()> {
    debian_packages()?;
    rust_components()?;
    tauri_driver()?;
    tauri_cli()?;
    cargo_tool("cargo-fuzz", "fuzz")?;
    cargo_tool("cargo-deny", "deny")?;
    python_venv(ws)?;
    npm_packages(ws)?;
    Ok(())
}

/// Installs the Debian packages that are missing.
pub fn debian_packages() -> Result<()> {
    let missing = missing_debian_packages(DEBIAN_PACKAGES)?;
    if missing.is_empty() {
        println!("debian packages: all {} present", DEBIAN_PACKAGES.len());
        return Ok(());
    }
    println!("debian packages: installing {}", missing.join(" "));
    if !shell::run(&mut as_root(&["apt-get", "update", "-qq"]))? {
        bail!("apt-get update failed");
    }
    let mut install = as_root(&["apt-get", "install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    if !shell::run(&mut install)? {
        bail!("apt-get install failed for: {}", missing.join(" "));
    }
    Ok(())
}

/// The packages of `wanted` that dpkg does not report as installed.
fn missing_debian_packages(wanted: &[&str]) -> Result<Vec<String>> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${db:Status-Status}\n"])
        .args(wanted)
        .stderr(std::process::Stdio::null())
        .output()
        .context("running dpkg-query (is this a Debian or Ubuntu machine?)")?;
    let listing = String::from_utf8_lossy(&out.stdout);
    Ok(missing_from_listing(wanted, &listing))
}

/// Parses `dpkg-query -W -f '${Package} ${db:Status-Status}\n'` output: a package is present when a
/// line names it (with or without `:arch`) with status `installed`.
fn missing_from_listing(wanted: &[&str], listing: &str) -> Vec<String> {
    let installed: Vec<&str> = listing
        .lines()
        .filter_map(|l| {
            let (name, status) = l.split_once(' ')?;
            (status.trim() == "installed").then(|| name.split(':').next().unwrap_or(name))
        })
        .collect();
    wanted
        .iter()
        .filter(|p| !installed.contains(p))
        .map(|p| p.to_string())
        .collect()
}

/// A command run as root: directly when we are root, else through sudo; noninteractive for apt.
pub fn as_root(args: &[&str]) -> Command {
    let mut c = if is_root() {
        Command::new("env")
    } else {
        let mut c = Command::new("sudo");
        c.arg("env");
        c
    };
    c.arg("DEBIAN_FRONTEND=noninteractive").args(args);
    c
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// rustfmt and clippy, through rustup when they are missing.
fn rust_components() -> Result<()> {
    let has = |sub: &str| shell::succeeds(Command::new("cargo").args([sub, "--version"]));
    let missing: Vec<&str> = [("fmt", "rustfmt"), ("clippy", "clippy")]
        .into_iter()
        .filter(|(sub, _)| !has(sub))
        .map(|(_, component)| component)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !shell::run(
        Command::new("rustup")
            .args(["component", "add"])
            .args(&missing),
    )? {
        bail!("could not add the rust components {}", missing.join(" "));
    }
    Ok(())
}

/// The tauri-driver the desktop end-to-end test drives the app through. Pinned: the registry's
/// newest is a 3.0 alpha (desktop-toolchain.md §3).
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// `cargo install tauri-driver` at [`TAURI_DRIVER_VERSION`], unless that version is on PATH.
fn tauri_driver() -> Result<()> {
    let installed = Command::new("cargo")
        .args(["install", "--list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let on_path = shell::succeeds(Command::new("tauri-driver").arg("--help"));
    if on_path && has_tauri_driver(&installed) {
        println!("tauri-driver: {TAURI_DRIVER_VERSION} present");
        return Ok(());
    }
    let mut install = Command::new("cargo");
    install.args([
        "install",
        "tauri-driver",
        "--version",
        TAURI_DRIVER_VERSION,
        "--locked",
    ]);
    if !shell::run(&mut install)? {
        bail!("cargo install tauri-driver --version {TAURI_DRIVER_VERSION} failed");
    }
    Ok(())
}

/// Whether `cargo install --list` shows tauri-driver at [`TAURI_DRIVER_VERSION`].
fn has_tauri_driver(listing: &str) -> bool {
    listing
        .lines()
        .any(|l| l.starts_with(&format!("tauri-driver v{TAURI_DRIVER_VERSION}:")))
}

/// The tauri-cli major version `cargo xtask dist` needs: the registry's newest are 3.0 alphas.
pub const TAURI_CLI_VERSION: &str = "^2";

/// `cargo install tauri-cli --version ^2` unless `cargo tauri --version` already says 2.x. Built
/// in cargo's own temporary target folder, not the shared one: ~630 crates in release mode that no
/// other build reuses.
pub fn tauri_cli() -> Result<()> {
    let version = Command::new("cargo")
        .args(["tauri", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if is_tauri_cli_2(&version) {
        println!("tauri-cli: {version} present");
        return Ok(());
    }
    println!("tauri-cli: installing {TAURI_CLI_VERSION} (a release build: about 10 minutes, once)");
    let mut install = Command::new("cargo");
    install
        .args([
            "install",
            "tauri-cli",
            "--version",
            TAURI_CLI_VERSION,
            "--locked",
        ])
        .env_remove("CARGO_TARGET_DIR");
    if !shell::run(&mut install)? {
        bail!("cargo install tauri-cli --version {TAURI_CLI_VERSION} failed");
    }
    Ok(())
}

/// Whether `cargo tauri --version` printed a 2.x version (`tauri-cli 2.12.4`).
fn is_tauri_cli_2(version: &str) -> bool {
    version
        .strip_prefix("tauri-cli ")
        .is_some_and(|v| v.starts_with("2."))
}

/// `cargo install {krate} --locked` (from crates.io, built here) unless `cargo {sub} --version`
/// answers: cargo-fuzz for `cargo xtask fuzz` (about 70 s to build), cargo-deny for `cargo xtask
/// deny` (a few minutes). Built in cargo's own temporary folder, not the shared target folder.
fn cargo_tool(krate: &str, sub: &str) -> Result<()> {
    if shell::succeeds(Command::new("cargo").args([sub, "--version"])) {
        println!("{krate}: present");
        return Ok(());
    }
    let start = std::time::Instant::now();
    let mut install = Command::new("cargo");
    install
        .args(["install", krate, "--locked"])
        .env_remove("CARGO_TARGET_DIR");
    if !shell::run(&mut install)? {
        bail!("cargo install {krate} --locked failed");
    }
    println!(
        "{krate}: installed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The botocore suite's venv, created and filled from tests/botocore/requirements.txt.
pub fn python_venv(ws: &Workspace) -> Result<()> {
    let requirements_path = ws.botocore_suite().join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path)
        .with_context(|| format!("reading {}", requirements_path.display()))?;
    let venv = ws.py_venv();
    let stamp = venv.join(VENV_STAMP);
    let python = ws.venv_python();
    if python.exists()
        && std::fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str())
    {
        println!("python venv: up to date at {}", venv.display());
        return Ok(());
    }
    if !python.exists() {
        std::fs::create_dir_all(&ws.target_dir)
            .with_context(|| format!("creating {}", ws.target_dir.display()))?;
        if !shell::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))? {
            bail!("python3 -m venv failed (install python3-venv)");
        }
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "-r",
    ])
    .arg(&requirements_path);
    if !shell::run(&mut pip)? {
        bail!("pip install -r {} failed", requirements_path.display());
    }
    std::fs::write(&stamp, requirements).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

/// `npm ci` in each npm project (`ui/`, `tests/browser/`) that has a package.json and whose
/// node_modules is missing or older than its lock file.
pub fn npm_packages(ws: &Workspace) -> Result<()> {
    for dir in [ws.ui_dir(), ws.browser_tests_dir()] {
        npm_project(&dir)?;
    }
    Ok(())
}

fn npm_project(dir: &Path) -> Result<()> {
    if !dir.join("package.json").exists() {
        return Ok(());
    }
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules").join(".package-lock.json");
    if installed.exists() && !newer(&lock, &installed) {
        println!("npm packages: up to date in {}", dir.display());
        return Ok(());
    }
    let verb = if lock.exists() { "ci" } else { "install" };
    let mut npm = Command::new("npm");
    npm.args([verb, "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir);
    if !shell::run(&mut npm)? {
        bail!("npm {verb} failed in {}", dir.display());
    }
    Ok(())
}

/// Whether `a` was modified after `b` (false when either is missing).
fn newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(a), Some(b)) if a > b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_missing_packages() {
        let listing = "xvfb installed\nlibssl-dev:amd64 installed\ndunst config-files\n";
        assert_eq!(
            missing_from_listing(&["xvfb", "libssl-dev", "dunst", "keyutils"], listing),
            vec!["dunst".to_owned(), "keyutils".to_owned()]
        );
    }

    #[test]
    fn finds_the_pinned_tauri_driver() {
        let listing =
            "aws-emulator v0.1.0 (/w):\n    aws-emulator\ntauri-driver v2.1.0:\n    tauri-driver\n";
        assert!(has_tauri_driver(listing));
        assert!(!has_tauri_driver(
            "tauri-driver v3.0.0-alpha.1:\n    tauri-driver\n"
        ));
        assert!(!has_tauri_driver(""));
    }

    #[test]
    fn tauri_cli_must_be_2() {
        assert!(is_tauri_cli_2("tauri-cli 2.12.4"));
        assert!(!is_tauri_cli_2("tauri-cli 3.0.0-alpha.5"));
        assert!(!is_tauri_cli_2("tauri-cli 1.6.0"));
        assert!(!is_tauri_cli_2(""));
    }

    #[test]
    fn package_list_has_the_session_stack() {
        for p in [
            "xvfb",
            "dbus",
            "gnome-keyring",
            "libsecret-tools",
            "keyutils",
            "dunst",
            "python3-venv",
        ] {
            assert!(DEBIAN_PACKAGES.contains(&p), "{p}");
        }
    }
}
