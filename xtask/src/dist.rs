//! `cargo xtask dist`: the desktop app's Debian package and RPM, built by the Tauri bundler
//! (tauri-cli 2). Each carries the desktop app `connect-launcher-desktop`, the command
//! `connect-launcher`, a desktop entry, the hicolor icons and the policy example of
//! `docs/policy.md` as `/usr/share/doc/connect-launcher/policy.example.toml`. Also the CI check of
//! the packages: install the `.deb` with apt, run both installed binaries, look at what landed
//! where, remove it, and read the RPM's file list.
//!
//! Promises: a release build with the symbols stripped (cargo profile `dist-release`) unless
//! `--debug`; nothing goes into `/etc` (the policy is IT's file);
//! the packages land in `$CARGO_TARGET_DIR/dist/{release,debug}/` named after the package
//! (`connect-launcher_0.1.0_amd64.deb`), and are the ones this run built (the folders are emptied
//! first); the
//! check removes the package again even when a step in between failed, and says, check by check,
//! what passed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};

use crate::install;
use crate::shell;
use crate::workspace::Workspace;

/// The package's name in dpkg and rpm (the bundler's kebab-case of the product name).
pub const PACKAGE: &str = "connect-launcher";
/// The version both binaries and the packages carry (the workspace's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the example policy goes in the packages.
pub const POLICY_EXAMPLE: &str = "/usr/share/doc/connect-launcher/policy.example.toml";
/// The command's place in the packages.
pub const CLI: &str = "/usr/bin/connect-launcher";
/// The desktop app's place in the packages (the bundler puts the main binary there).
pub const DESKTOP: &str = "/usr/bin/connect-launcher-desktop";
/// The desktop entry (the bundler names it after the product).
pub const DESKTOP_ENTRY: &str = "/usr/share/applications/Connect Launcher.desktop";
/// The icon sizes `tauri.conf.json` lists, filed under `/usr/share/icons/hicolor/{size}/apps/`.
pub const ICON_SIZES: &[&str] = &["32x32", "64x64", "128x128", "256x256", "512x512"];

/// Which build the packages are made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Cargo's profile `dist-release` (Cargo.toml): release with the symbols stripped.
    Release,
    /// The dev profile.
    Debug,
}

impl Profile {
    /// The name of the packages' folder under `$CARGO_TARGET_DIR/dist/`.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Debug => "debug",
        }
    }

    /// The cargo profile's own folder under the target folder.
    fn cargo_dir(self) -> &'static str {
        match self {
            Profile::Release => RELEASE_PROFILE,
            Profile::Debug => "debug",
        }
    }

    /// What `cargo build` takes to build in this profile.
    fn cargo_args(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &["--profile", RELEASE_PROFILE],
            Profile::Debug => &[],
        }
    }
}

/// The cargo profile of the release packages (Cargo.toml: release, stripped).
pub const RELEASE_PROFILE: &str = "dist-release";

/// The packages one run built.
#[derive(Debug, Clone)]
pub struct Packages {
    pub deb: PathBuf,
    pub rpm: PathBuf,
}

impl Packages {
    /// Where `dist` leaves the packages of `profile`, under their conventional names.
    pub fn dir(ws: &Workspace, profile: Profile) -> PathBuf {
        ws.target_dir.join("dist").join(profile.dir())
    }

    /// The packages a previous `dist` left for `profile`, if both are there.
    pub fn existing(ws: &Workspace, profile: Profile) -> Option<Packages> {
        let dir = Packages::dir(ws, profile);
        Some(Packages {
            deb: only_file(&dir, "deb").ok()?,
            rpm: only_file(&dir, "rpm").ok()?,
        })
    }
}

/// The bundler names its files after the product, with a space (`Connect Launcher_0.1.0_amd64.deb`,
/// `Connect Launcher-0.1.0-1.x86_64.rpm`); packages are named after the package
/// (`connect-launcher_0.1.0_amd64.deb`), which a shell command needs no quotes for.
pub fn conventional_name(bundler_name: &str) -> String {
    match bundler_name.strip_prefix(PRODUCT) {
        Some(rest) => format!("{PACKAGE}{rest}"),
        None => bundler_name.to_owned(),
    }
}

/// The product name in tauri.conf.json, which the bundler names its files after.
const PRODUCT: &str = "Connect Launcher";

/// Builds the window, the command and the packages; prints where they landed and their sizes.
pub fn dist(ws: &Workspace, profile: Profile) -> Result<Packages> {
    let started = Instant::now();
    install::tauri_cli()?;
    install::npm_packages(ws)?;
    let mut ui = Command::new("npm");
    ui.args(["run", "build"])
        .current_dir(ws.ui_dir())
        .env("NO_COLOR", "1");
    ensure!(shell::run(&mut ui)?, "`npm run build` in ui/ failed");

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cli = Command::new(&cargo);
    cli.arg("build")
        .args(profile.cargo_args())
        .args(["-p", "launcher-cli"])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    ensure!(shell::run(&mut cli)?, "building connect-launcher failed");
    let cli_bin = ws
        .target_dir
        .join(profile.cargo_dir())
        .join("connect-launcher");

    // What the bundler adds to both packages besides the app, desktop entry and icons: absolute
    // paths, so they go in a `--config` override (the target folder varies; tauri.conf.json's
    // paths are relative to itself).
    let staging = ws.target_dir.join("dist");
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let policy_md = ws.root.join("docs").join("policy.md");
    let doc = std::fs::read_to_string(&policy_md)
        .with_context(|| format!("reading {}", policy_md.display()))?;
    let example = policy_example(&doc).with_context(|| {
        format!(
            "{} has no ```toml block under \"## Complete example\"",
            policy_md.display()
        )
    })?;
    let example_path = staging.join("policy.example.toml");
    std::fs::write(&example_path, example)
        .with_context(|| format!("writing {}", example_path.display()))?;
    let files = [(CLI, cli_bin), (POLICY_EXAMPLE, example_path)];
    let config = staging.join(format!("tauri.{}.json", profile.dir()));
    std::fs::write(&config, bundle_override(&files))
        .with_context(|| format!("writing {}", config.display()))?;

    let bundle = ws.target_dir.join(profile.cargo_dir()).join("bundle");
    let out = Packages::dir(ws, profile);
    for dir in [bundle.join("deb"), bundle.join("rpm"), out.clone()] {
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("emptying {}", dir.display()))
            }
            _ => {}
        }
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut tauri = Command::new(&cargo);
    tauri.args(["tauri", "build", "--ci", "--bundles", "deb,rpm"]);
    if profile == Profile::Debug {
        tauri.arg("--debug");
    }
    tauri.arg("--config").arg(&config);
    if profile == Profile::Release {
        // Cargo's arguments, after `--`: the bundler then looks for the app in that profile's folder.
        tauri.arg("--").args(profile.cargo_args());
    }
    tauri
        .current_dir(ws.root.join("src-tauri"))
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    ensure!(shell::run(&mut tauri)?, "`cargo tauri build` failed");

    let moved = |kind: &str| -> Result<PathBuf> {
        let built = only_file(&bundle.join(kind), kind)?;
        let name = conventional_name(&built.file_name().unwrap_or_default().to_string_lossy());
        let dest = out.join(name);
        std::fs::rename(&built, &dest)
            .with_context(|| format!("moving {} to {}", built.display(), dest.display()))?;
        Ok(dest)
    };
    let packages = Packages {
        deb: moved("deb")?,
        rpm: moved("rpm")?,
    };
    println!(
        "\npackages ({} build, {:.0} s):",
        profile.dir(),
        started.elapsed().as_secs_f64()
    );
    for p in [&packages.deb, &packages.rpm] {
        println!("  {}  {}", megabytes(file_size(p)?), p.display());
    }
    println!(
        "install with: sudo apt install {}   (Fedora, RHEL: sudo dnf install {})",
        packages.deb.display(),
        packages.rpm.display()
    );
    Ok(packages)
}

/// The size of a file in bytes.
pub fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len())
}

/// Bytes as megabytes (10^6 bytes), with the exact count.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.2} MB ({bytes} bytes)", bytes as f64 / 1e6)
}

/// The one file ending in `.{ext}` in `dir`.
fn only_file(dir: &Path, ext: &str) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!("the bundler left no .{ext} in {}", dir.display()),
        n => bail!("{n} .{ext} files in {}: expected one", dir.display()),
    }
}

/// The complete example of `docs/policy.md`: the first ```toml block after "## Complete example".
pub fn policy_example(doc: &str) -> Option<String> {
    let (_, after) = doc.split_once("\n## Complete example")?;
    let (_, block) = after.split_once("```toml\n")?;
    let (body, _) = block.split_once("\n```")?;
    Some(format!("{body}\n"))
}

/// The `--config` override that adds `files` (path in the package, source) to both packages.
pub fn bundle_override(files: &[(&str, PathBuf)]) -> String {
    let map = files
        .iter()
        .map(|(dest, src)| {
            format!(
                "{}: {}",
                json_string(dest),
                json_string(&src.to_string_lossy())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{{\"bundle\": {{\"linux\": {{\"deb\": {{\"files\": {{{map}}}}}, \"rpm\": {{\"files\": {{{map}}}}}}}}}}}\n"
    )
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One check of the packages: its name, and what went wrong if it failed.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub result: std::result::Result<(), String>,
}

impl Check {
    fn new(name: &'static str, result: std::result::Result<(), String>) -> Check {
        match &result {
            Ok(()) => println!("ok    {name}"),
            Err(why) => println!("FAIL  {name}: {why}"),
        }
        Check { name, result }
    }
}

/// Reads the RPM, installs the `.deb` with apt, runs both installed binaries, checks where the
/// files landed, removes the package and checks the binaries went with it.
pub fn check_packages(packages: &Packages) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(Check::new("deb size", deb_size(&packages.deb)));
    checks.push(Check::new("rpm contents", rpm_contents(&packages.rpm)));
    checks.push(Check::new("deb control", deb_control(&packages.deb)));
    // apt wants a path that starts with `/` or `./` to take it for a file.
    let deb = packages.deb.to_string_lossy().into_owned();
    let installed = run_ok(&mut install::as_root(&[
        "apt-get", "install", "-y", "-qq", &deb,
    ]));
    let was_installed = installed.is_ok();
    checks.push(Check::new("apt-get install ./…deb", installed.map(drop)));
    if was_installed {
        checks.push(Check::new("dpkg -L: files in place", installed_files()));
        checks.push(Check::new(
            "connect-launcher --version",
            version(CLI, "connect-launcher"),
        ));
        checks.push(Check::new(
            "connect-launcher-desktop --version (no display)",
            version(DESKTOP, "connect-launcher-desktop"),
        ));
        checks.push(Check::new("desktop entry", desktop_entry()));
        checks.push(Check::new(
            "policy check of the installed example",
            run_ok(Command::new(CLI).args(["policy", "check", POLICY_EXAMPLE])).map(drop),
        ));
    }
    // Remove whatever part of it got installed, even after a failed step.
    let removed = run_ok(&mut install::as_root(&[
        "apt-get", "purge", "-y", "-qq", PACKAGE,
    ]));
    checks.push(Check::new(
        "apt-get purge: binaries gone",
        removed.map(drop).and_then(|()| {
            let left: Vec<&str> = [CLI, DESKTOP, POLICY_EXAMPLE, DESKTOP_ENTRY]
                .into_iter()
                .filter(|p| Path::new(p).exists())
                .collect();
            match left.is_empty() && !dpkg_installed() {
                true => Ok(()),
                false => Err(format!("still on the machine after purge: {left:?}")),
            }
        }),
    ));
    checks
}

/// Issue 7's target for the `.deb`, in bytes (15 MB).
pub const DEB_TARGET_BYTES: u64 = 15_000_000;

fn deb_size(deb: &Path) -> std::result::Result<(), String> {
    let size = file_size(deb).map_err(|e| format!("{e:#}"))?;
    println!("      {}: {}", deb.display(), megabytes(size));
    match size {
        0 => Err("empty".into()),
        s if s >= DEB_TARGET_BYTES => Err(format!(
            "{} is over the target of {}",
            megabytes(s),
            megabytes(DEB_TARGET_BYTES)
        )),
        _ => Ok(()),
    }
}

/// Runs a command, capturing its output; an error with its stderr when it fails.
fn run_ok(cmd: &mut Command) -> std::result::Result<Output, String> {
    println!("$ {}", shell::describe(cmd));
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", shell::describe(cmd)))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "`{}` exited with {}: {}",
            shell::describe(cmd),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files both packages must hold, as `dpkg -L` and `rpm -qpl` list them.
fn expected_files() -> Vec<String> {
    let mut files: Vec<String> = [CLI, DESKTOP, DESKTOP_ENTRY, POLICY_EXAMPLE]
        .iter()
        .map(|s| s.to_string())
        .collect();
    files.extend(
        ICON_SIZES.iter().map(|size| {
            format!("/usr/share/icons/hicolor/{size}/apps/connect-launcher-desktop.png")
        }),
    );
    files
}

/// What of `expected` a listing of one path per line lacks, and what it puts under /etc.
pub fn listing_problems(listing: &str, expected: &[String]) -> Vec<String> {
    let lines: Vec<&str> = listing.lines().map(str::trim).collect();
    let mut problems: Vec<String> = expected
        .iter()
        .filter(|f| !lines.contains(&f.as_str()))
        .map(|f| format!("missing {f}"))
        .collect();
    problems.extend(
        lines
            .iter()
            .filter(|l| l.starts_with("/etc"))
            .map(|l| format!("installs {l} (the policy in /etc is IT's file)")),
    );
    problems
}

fn rpm_contents(rpm: &Path) -> std::result::Result<(), String> {
    if !shell::succeeds(Command::new("rpm").arg("--version")) {
        let size = file_size(rpm).map_err(|e| format!("{e:#}"))?;
        println!("      `rpm` is not installed: only checked that the RPM is not empty");
        return if size > 0 {
            Ok(())
        } else {
            Err("empty".into())
        };
    }
    let listing = run_ok(Command::new("rpm").arg("-qpl").arg(rpm))?;
    let problems = listing_problems(&stdout(&listing), &expected_files());
    let requires = run_ok(Command::new("rpm").args(["-qp", "--requires"]).arg(rpm))?;
    println!(
        "      requires: {}",
        stdout(&requires).lines().collect::<Vec<_>>().join(", ")
    );
    // The mode of the command: the bundler copies modes from the files it packs.
    let verbose = run_ok(Command::new("rpm").arg("-qplv").arg(rpm))?;
    let cli_line = stdout(&verbose)
        .lines()
        .find(|l| l.ends_with(&format!(" {CLI}")))
        .map(str::to_owned)
        .unwrap_or_default();
    let mut problems = problems;
    if !cli_line.starts_with("-rwxr-xr-x") {
        problems.push(format!("{CLI} is not 0755: `{cli_line}`"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn deb_control(deb: &Path) -> std::result::Result<(), String> {
    let out = run_ok(Command::new("dpkg-deb").arg("--field").arg(deb))?;
    let control = stdout(&out);
    for line in control.lines() {
        println!("      {line}");
    }
    let field = |name: &str| {
        control
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or("")
            .to_owned()
    };
    let mut problems = Vec::new();
    if field("Package") != PACKAGE {
        problems.push(format!("Package is `{}`", field("Package")));
    }
    if field("Version") != VERSION {
        problems.push(format!("Version is `{}`", field("Version")));
    }
    let depends = field("Depends");
    for dep in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
    ] {
        if !depends
            .split(", ")
            .any(|d| d.split(' ').next() == Some(dep))
        {
            problems.push(format!("Depends lacks {dep}: `{depends}`"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn installed_files() -> std::result::Result<(), String> {
    let out = run_ok(Command::new("dpkg").args(["-L", PACKAGE]))?;
    let problems = listing_problems(&stdout(&out), &expected_files());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// `{bin} --version` with no display prints `{name} {VERSION}`.
fn version(bin: &str, name: &str) -> std::result::Result<(), String> {
    let out = run_ok(
        Command::new(bin)
            .arg("--version")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY"),
    )?;
    let printed = stdout(&out);
    println!("      {}", printed.trim());
    if printed.trim() == format!("{name} {VERSION}") {
        Ok(())
    } else {
        Err(format!("printed `{}`", printed.trim()))
    }
}

fn desktop_entry() -> std::result::Result<(), String> {
    let entry =
        std::fs::read_to_string(DESKTOP_ENTRY).map_err(|e| format!("{DESKTOP_ENTRY}: {e}"))?;
    let problems = desktop_entry_problems(&entry);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// What a desktop entry lacks to start the app from a menu with its icon.
pub fn desktop_entry_problems(entry: &str) -> Vec<String> {
    let value = |key: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::trim)
    };
    let mut problems = Vec::new();
    for (key, want) in [
        ("Type", "Application"),
        ("Exec", "connect-launcher-desktop"),
        ("Icon", "connect-launcher-desktop"),
        ("Name", "Connect Launcher"),
    ] {
        if value(key) != Some(want) {
            problems.push(format!("{key} is {:?}, not {want:?}", value(key)));
        }
    }
    if value("Categories").is_none_or(str::is_empty) {
        problems.push("no Categories".into());
    }
    problems
}

/// Whether dpkg reports the package as installed.
fn dpkg_installed() -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status}", PACKAGE])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "installed")
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_the_documented_one() {
        let doc = include_str!("../../docs/policy.md");
        let example = policy_example(doc).expect("an example");
        assert!(
            example.starts_with("# /etc/connect-launcher/policy.toml"),
            "{example}"
        );
        assert!(example.contains("start_url = "));
        assert!(!example.contains("```"));
        assert!(policy_example("# Policy\n\nno example here\n").is_none());
    }

    #[test]
    fn the_override_is_json_for_both_packages() {
        let text = bundle_override(&[
            (CLI, PathBuf::from("/t/release/connect-launcher")),
            (POLICY_EXAMPLE, PathBuf::from("/t/a \"quoted\"\\dir/p.toml")),
        ]);
        let json = crate::json::Json::parse(&text).expect("valid JSON");
        for kind in ["deb", "rpm"] {
            let files = json
                .get("bundle")
                .and_then(|b| b.get("linux"))
                .and_then(|l| l.get(kind))
                .and_then(|k| k.get("files"))
                .expect(kind);
            assert_eq!(
                files.get(CLI).and_then(|v| v.as_str()),
                Some("/t/release/connect-launcher")
            );
            assert_eq!(
                files.get(POLICY_EXAMPLE).and_then(|v| v.as_str()),
                Some("/t/a \"quoted\"\\dir/p.toml")
            );
        }
    }

    #[test]
    fn listings_must_hold_every_file_and_nothing_in_etc() {
        let expected = expected_files();
        let full = expected.join("\n") + "\n/usr/share/doc/connect-launcher\n";
        assert!(listing_problems(&full, &expected).is_empty());
        let problems = listing_problems(
            &(full.replace(&format!("{CLI}\n"), "") + "/etc/connect-launcher/policy.toml\n"),
            &expected,
        );
        assert_eq!(
            problems,
            vec![
                format!("missing {CLI}"),
                "installs /etc/connect-launcher/policy.toml (the policy in /etc is IT's file)"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn desktop_entries_are_checked() {
        let good = "[Desktop Entry]\nCategories=Office;\nExec=connect-launcher-desktop\n\
                    Icon=connect-launcher-desktop\nName=Connect Launcher\nTerminal=false\n\
                    Type=Application\n";
        assert!(desktop_entry_problems(good).is_empty());
        let bad = good
            .replace("Categories=Office;\n", "")
            .replace("Exec=connect-launcher-desktop", "Exec=connect-launcher");
        assert_eq!(
            desktop_entry_problems(&bad),
            vec![
                "Exec is Some(\"connect-launcher\"), not \"connect-launcher-desktop\"".to_owned(),
                "no Categories".to_owned()
            ]
        );
    }

    #[test]
    fn packages_are_named_after_the_package() {
        assert_eq!(
            conventional_name("Connect Launcher_0.1.0_amd64.deb"),
            "connect-launcher_0.1.0_amd64.deb"
        );
        assert_eq!(
            conventional_name("Connect Launcher-0.1.0-1.x86_64.rpm"),
            "connect-launcher-0.1.0-1.x86_64.rpm"
        );
        assert_eq!(conventional_name("other.deb"), "other.deb");
    }

    #[test]
    fn sizes_in_megabytes() {
        assert_eq!(megabytes(3_145_728), "3.15 MB (3145728 bytes)");
    }
}
