//! The real app, end to end: the built `connect-launcher-desktop` under Xvfb, driven through
//! tauri-driver and WebKitWebDriver against an in-process `aws-emulator`. It signs in (the
//! emulator approves at once, and a `$BROWSER` script follows the redirects with curl), sees the
//! catalog, launches an instance (the `$BROWSER` script records the URL it was given), looks at the
//! clocks and settings; then, with the emulator's clock and the app's (the debug-build test hook
//! `CONNECT_LAUNCHER_CLOCK_OFFSET_SECS`) moved hours on, starts the app again, sees the warning
//! banner, re-launches, and ends the shift; it saves a screenshot of each view to
//! `artifacts/desktop-<view>.png`.
//!
//! The app gets its own HOME and XDG folders, keychain service, policy file and endpoints from the
//! environment, so nothing of the person running the test is touched. CI runs it inside
//! `xvfb-run … dbus-run-session …` with an unlocked gnome-keyring; `tauri-driver` (2.1.0) comes
//! from `cargo xtask test`'s install step. Anywhere without them it fails, loudly.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_emulator::{Emulator, Options, Org};
use connect_launcher_desktop_lib::CLOCK_OFFSET_ENV;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;

const HOW_TO_RUN: &str = "this test drives the real app: it needs an X display, a D-Bus session \
with an unlocked keyring, WebKitWebDriver (apt: webkit2gtk-driver) and tauri-driver (cargo install \
tauri-driver --version 2.1.0 --locked), and the window built (cd ui && npm run build) before the \
app; `cargo xtask test` provides all of them";

const USER: &str = "alex.rivera@example.com";
/// acme-staging: alex reaches it through the ConnectAgent permission set.
const STAGING: &str = "0e4c8a2d-6f1b-4d3e-9a7c-5b2e8f1d4c66";
/// acme-prod: alex reaches it through a SAML application.
const PROD: &str = "5a0c1c6e-8b8e-4c39-9d5a-0e7d3f0b1a11";

/// How long tauri-driver may take to listen.
const DRIVER_READY: Duration = Duration::from_secs(20);
/// How long the window may take to show something.
const WINDOW_READY: Duration = Duration::from_secs(30);
/// How long a sign-in plus the first discovery may take.
const SIGNED_IN: Duration = Duration::from_secs(60);
/// How long anything else the window does may take.
const STEP: Duration = Duration::from_secs(20);
/// How far into the shift the second half of the journey is: the AWS sign-in (8 h, estimated)
/// then has 55 minutes left, inside the first lead time.
const HOURS_LATER: Duration = Duration::from_secs(7 * 3600 + 5 * 60);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("src-tauri is in the workspace")
        .to_owned()
}

fn artifacts() -> PathBuf {
    let dir = workspace_root().join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts/");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// tauri-driver: on PATH, else where `cargo install` put it.
fn tauri_driver() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join("tauri-driver").is_file()))
        .unwrap_or(false);
    if on_path {
        return PathBuf::from("tauri-driver");
    }
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

/// `tauri-driver` on a port of its own; stopped (with its WebKitWebDriver) on drop.
struct TauriDriver {
    child: Child,
    port: u16,
}

impl TauriDriver {
    fn start(env: &BTreeMap<String, String>, log: &Path) -> TauriDriver {
        let port = free_port();
        let native_port = free_port();
        let log = std::fs::File::create(log).expect("the driver's log");
        let mut cmd = Command::new(tauri_driver());
        cmd.args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (k, _) in std::env::vars() {
            if k.starts_with("CONNECT_LAUNCHER_") || k.starts_with("AWS_") || k == "BROWSER" {
                cmd.env_remove(k);
            }
        }
        cmd.envs(env);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver ({e}); {HOW_TO_RUN}"));
        let driver = TauriDriver { child, port };
        // Readiness of the WebDriver port, with a bounded deadline.
        let deadline = Instant::now() + DRIVER_READY;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not listen on {port} within {DRIVER_READY:?}; {HOW_TO_RUN}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver too; SIGKILL only if it will not go.
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The `$BROWSER` the app opens: a script that follows the sign-in page's redirects with curl (so
/// the emulator's auto-approved PKCE sign-in completes) and hands every URL it was given to the
/// test through a FIFO.
struct Browser {
    script: PathBuf,
    urls: mpsc::Receiver<String>,
}

impl Browser {
    fn new(dir: &Path) -> Browser {
        let fifo = dir.join("browser.fifo");
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success(), "mkfifo failed");
        let script = dir.join("browser.sh");
        std::fs::write(
            &script,
            format!(
                r#"#!/bin/sh
case "$1" in
  */authorize\?*) curl -sS -L --max-time 60 -o /dev/null "$1" & ;;
esac
timeout 10 sh -c 'printf "%s\n" "$1" > "$2"' sh "$1" '{fifo}'
"#,
                fifo = fifo.display()
            ),
        )
        .expect("the browser script");
        let chmod = Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .expect("chmod");
        assert!(chmod.success());
        let (tx, urls) = mpsc::channel();
        std::thread::spawn(move || loop {
            // Opening blocks until the script writes; each write is one URL, then EOF.
            let Ok(f) = std::fs::File::open(&fifo) else {
                return;
            };
            for line in BufReader::new(f).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Browser { script, urls }
    }

    /// The next URL opened that is not the sign-in page.
    fn next_launch(&self) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let url = self
                .urls
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the app opened no URL within {STEP:?}"));
            if !url.contains("/authorize?") {
                return url;
            }
        }
    }
}

fn app_binary() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_connect-launcher-desktop"));
    assert!(bin.is_file(), "{} is missing; {HOW_TO_RUN}", bin.display());
    bin
}

/// Everything the app takes from the environment, pointing into `dir` and at the emulator.
fn app_env(emu: &Emulator, dir: &Path, browser: &Path) -> BTreeMap<String, String> {
    let mut env = emu.env();
    let sub = |name: &str| {
        let p = dir.join(name);
        std::fs::create_dir_all(&p).expect("a folder for the app");
        p.display().to_string()
    };
    env.insert("HOME".into(), sub("home"));
    env.insert("XDG_CONFIG_HOME".into(), sub("config"));
    env.insert("XDG_STATE_HOME".into(), sub("state"));
    env.insert("XDG_CACHE_HOME".into(), sub("cache"));
    env.insert("XDG_DATA_HOME".into(), sub("data"));
    env.insert(
        "CONNECT_LAUNCHER_POLICY_FILE".into(),
        dir.join("policy.toml").display().to_string(),
    );
    env.insert(
        "CONNECT_LAUNCHER_KEYCHAIN_SERVICE".into(),
        format!("connect-launcher-e2e-{}", std::process::id()),
    );
    env.insert("CONNECT_LAUNCHER_LOG".into(), "info".into());
    env.insert("BROWSER".into(), browser.display().to_string());
    env
}

/// Waits until the next frame is painted, so a screenshot shows what the DOM says.
async fn painted(c: &Client) {
    c.execute_async(
        "const done = arguments[arguments.length - 1];\
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .expect("a frame");
}

async fn screenshot(c: &Client, view: &str) {
    painted(c).await;
    let png = c.screenshot().await.expect("a screenshot");
    let path = artifacts().join(format!("desktop-{view}.png"));
    std::fs::write(&path, png).expect("the screenshot file");
}

async fn wait_css(c: &Client, css: &str, within: Duration) -> fantoccini::elements::Element {
    c.wait()
        .at_most(within)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waited {within:?} for `{css}`: {e}"))
}

async fn wait_xpath(c: &Client, xpath: &str, within: Duration) -> fantoccini::elements::Element {
    c.wait()
        .at_most(within)
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("waited {within:?} for `{xpath}`: {e}"))
}

/// What the page's CSP lets a script do: run an injected inline script, call eval, load a remote
/// image.
const CSP_PROBE: &str = r#"
const done = arguments[arguments.length - 1];
const out = {};
window.__probe = "blocked";
const s = document.createElement("script");
s.textContent = "window.__probe = 'ran'";
document.head.appendChild(s);
out.inline = window.__probe;
try { out.eval = String(eval("'ran'")); } catch (e) { out.eval = "blocked"; }
const img = new Image();
img.onload = () => { out.remote = "ran"; done(out); };
img.onerror = () => { out.remote = "blocked"; done(out); };
img.src = arguments[0];
"#;

/// A 1×1 PNG.
const PIXEL_PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Serves [`PIXEL_PNG`] to any request on a loopback port, so that only the CSP can stop the
/// window from loading it; returns its URL.
fn serve_pixel() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the pixel");
    let url = format!(
        "http://{}/pixel.png",
        listener.local_addr().expect("address")
    );
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match std::io::Read::read(&mut stream, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                PIXEL_PNG.len()
            );
            let _ = std::io::Write::write_all(&mut stream, head.as_bytes());
            let _ = std::io::Write::write_all(&mut stream, &PIXEL_PNG);
        }
    });
    url
}

async fn first_hours(c: &Client, emu: &Emulator, browser: &Browser) {
    // The window's content runs under the strict CSP.
    let start_url = wait_css(c, "#start-url", WINDOW_READY).await;
    let probe = c
        .execute_async(CSP_PROBE, vec![serve_pixel().into()])
        .await
        .expect("the CSP probe");
    assert_eq!(
        probe,
        serde_json::json!({"inline": "blocked", "eval": "blocked", "remote": "blocked"}),
        "the CSP must stop inline scripts, eval and remote content"
    );

    // Sign in.
    start_url.clear().await.expect("clear");
    start_url.send_keys(&emu.start_url()).await.expect("type");
    let region = wait_css(c, "#region", STEP).await;
    region.clear().await.expect("clear");
    region.send_keys(emu.region()).await.expect("type");
    screenshot(c, "signin").await;
    wait_css(c, "form button[type=submit]", STEP)
        .await
        .click()
        .await
        .expect("click Sign in");

    // The catalog: both of alex's instances, discovered from the emulator.
    wait_css(c, &format!("li.entry[data-id='{STAGING}']"), SIGNED_IN).await;
    wait_css(c, &format!("li.entry[data-id='{PROD}']"), STEP).await;
    let who = wait_xpath(c, &format!("//*[contains(., '{USER}')]"), STEP).await;
    assert!(who.text().await.expect("text").contains(USER));
    // acme-prod, known only through its SAML application, goes by the application's name.
    let prod_name = wait_css(c, &format!("li.entry[data-id='{PROD}'] .name"), STEP).await;
    assert_eq!(
        prod_name.text().await.expect("text"),
        "Amazon Connect - acme-prod"
    );
    screenshot(c, "catalog").await;
    // A favourite is kept (checked after the app starts again).
    wait_css(
        c,
        &format!("li.entry[data-id='{PROD}'] button[data-col='fav']"),
        STEP,
    )
    .await
    .click()
    .await
    .expect("click the star");
    wait_css(
        c,
        &format!("li.entry[data-id='{PROD}'] button[data-col='fav'][aria-pressed='true']"),
        STEP,
    )
    .await;

    // Launch acme-staging (a permission set): the console federation login URL, on the emulator.
    wait_css(
        c,
        &format!("li.entry[data-id='{STAGING}'] button[data-col='launch']"),
        STEP,
    )
    .await
    .click()
    .await
    .expect("click Launch");
    wait_xpath(
        c,
        "//p[contains(@class, 'status') and contains(., 'Opened')]",
        STEP,
    )
    .await;
    let opened = browser.next_launch();
    let web = emu.env()["CONNECT_LAUNCHER_WEB_ENDPOINT_URL"].clone();
    let federation = format!(
        "{}/signin.aws.amazon.com/federation?",
        web.trim_end_matches('/')
    );
    // Only the start is shown on failure: the rest carries a (emulated) sign-in token.
    let shown: String = opened.chars().take(federation.len() + 20).collect();
    assert!(opened.starts_with(&federation), "opened {shown}…");
    assert!(opened.contains("Action=login"), "opened {shown}…");
    assert!(
        opened.contains(STAGING),
        "the destination names the instance"
    );
    screenshot(c, "launched").await;

    // The clocks: Connect's 12 hours for acme-staging, counted from the launch.
    wait_xpath(c, "//nav//button[contains(., 'Session clocks')]", STEP)
        .await
        .click()
        .await
        .expect("click Session clocks");
    wait_css(c, "li.clock[data-kind='connect-session']", STEP).await;
    screenshot(c, "clocks").await;

    wait_xpath(c, "//nav//button[contains(., 'Settings')]", STEP)
        .await
        .click()
        .await
        .expect("click Settings");
    wait_xpath(c, "//h1[contains(., 'Settings')]", STEP).await;
    screenshot(c, "settings").await;
}

/// The same shift [`HOURS_LATER`] on: the app started again with its clock moved as far as the
/// emulator's (the debug-build test hook), warns before the AWS sign-in runs out, re-launches
/// acme-staging, and ends the shift.
async fn hours_later(c: &Client, emu: &Emulator, browser: &Browser) {
    let web = emu.env()["CONNECT_LAUNCHER_WEB_ENDPOINT_URL"].clone();
    // Past the first lead time (60 min) of the AWS sign-in's estimated 8 h: the banner.
    let title = wait_css(c, "section.banner #banner-title", WINDOW_READY).await;
    assert_eq!(
        title.text().await.expect("text"),
        "Session ending soon",
        "a warning, not an expiry"
    );
    let banner = wait_css(c, "section.banner", STEP).await;
    let said = banner.text().await.expect("text");
    assert!(said.contains("Sign in again"), "{said}");
    // The favourite starred before the restart is still one.
    wait_css(
        c,
        &format!("li.entry[data-id='{PROD}'] button[data-col='fav'][aria-pressed='true']"),
        STEP,
    )
    .await;
    screenshot(c, "banner").await;

    // Re-launch acme-staging from the clocks: Connect's logout page, then (after a moment for the
    // logout to be sent) a fresh federation behind the console's sign-out.
    wait_xpath(c, "//nav//button[contains(., 'Session clocks')]", STEP)
        .await
        .click()
        .await
        .expect("click Session clocks");
    wait_css(
        c,
        "li.clock[data-kind='connect-session'] .action button",
        STEP,
    )
    .await
    .click()
    .await
    .expect("click Re-launch now");
    let connect_logout = browser.next_launch();
    assert_eq!(
        connect_logout,
        format!(
            "{}/acme-staging.my.connect.aws/logout",
            web.trim_end_matches('/')
        ),
        "Connect's own logout comes first"
    );
    let relaunched = browser.next_launch();
    let logout_first = format!(
        "{}/signin.aws.amazon.com/oauth?Action=logout&redirect_uri=",
        web.trim_end_matches('/')
    );
    let shown: String = relaunched.chars().take(logout_first.len() + 20).collect();
    assert!(relaunched.starts_with(&logout_first), "opened {shown}…");
    wait_xpath(
        c,
        "//p[contains(@class, 'status') and contains(., 'Re-launched')]",
        STEP,
    )
    .await;

    // End the shift: back to the sign-in form, the session gone from this computer.
    wait_css(c, "button.end-shift", STEP)
        .await
        .click()
        .await
        .expect("click End shift");
    wait_css(c, "dialog[open] button.danger", STEP)
        .await
        .click()
        .await
        .expect("confirm End shift");
    wait_css(c, "#start-url", STEP).await;
    screenshot(c, "ended").await;
    // Connect's own logout page for the instance launched this shift was opened.
    let logout = browser.next_launch();
    assert_eq!(
        logout,
        format!(
            "{}/acme-staging.my.connect.aws/logout",
            web.trim_end_matches('/')
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_signs_in_lists_launches_and_ends_the_shift() {
    let emu = Emulator::start(Options::new(Org::demo()).auto_approve(USER)).expect("the emulator");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let browser = Browser::new(dir.path());
    let env = app_env(&emu, dir.path(), &browser.script);
    let driver = TauriDriver::start(&env, &artifacts().join("desktop-tauri-driver.log"));
    let client = connect(&driver).await;

    let outcome = std::panic::AssertUnwindSafe(first_hours(&client, &emu, &browser))
        .catch_unwind()
        .await;
    finish(client, outcome).await;
    drop(driver);

    // Hours later: both clocks moved on, the app started again.
    emu.clock().advance(HOURS_LATER);
    let mut later = env.clone();
    later.insert(CLOCK_OFFSET_ENV.into(), HOURS_LATER.as_secs().to_string());
    let driver = TauriDriver::start(&later, &artifacts().join("desktop-tauri-driver-later.log"));
    let client = connect(&driver).await;
    let outcome = std::panic::AssertUnwindSafe(hours_later(&client, &emu, &browser))
        .catch_unwind()
        .await;
    finish(client, outcome).await;
    drop(driver);
    let facts = dir.path().join("state/connect-launcher/session.json");
    assert!(!facts.exists(), "End shift removes the session's facts");
}

/// A WebDriver session with the app.
async fn connect(driver: &TauriDriver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app_binary() }),
    );
    caps.insert("browserName".into(), "wry".into());
    ClientBuilder::rustls()
        .expect("a TLS config")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|e| panic!("cannot start a WebDriver session ({e}); {HOW_TO_RUN}"))
}

/// Ends the WebDriver session (which closes the app), with a screenshot of what the window showed
/// if the part failed, and then fails the test the same way.
async fn finish(client: Client, outcome: std::thread::Result<()>) {
    if outcome.is_err() {
        if let Ok(png) = client.screenshot().await {
            let _ = std::fs::write(artifacts().join("desktop-failure.png"), png);
        }
    }
    let _ = client.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
