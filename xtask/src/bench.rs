//! `cargo xtask bench`: builds the emulator and `connect-launcher` in release mode, measures
//! discovery at scale, the warm start and a launch against a generated organisation, and the
//! desktop app's start-up, idle memory and idle wake-ups against a blank Tauri window
//! (`desktop`), prints a table and writes `BENCHMARKS.md` at the repository root.
//!
//! Every figure is a ratio to a floor measured in the same run (absolute times on a shared machine
//! drift): discovery's wall time over the portal's rate-limit floor, the warm `list` over a
//! `--version` run, a launch over one `curl` of the emulator.
//!
//! Promises: the launcher runs in a private home, state, config and keychain service (removed, and
//! signed out, at the end); the address `open --print` prints signs in and is only checked to be
//! non-empty, never printed or written; the command fails when any launcher call fails or discovery
//! misses an instance, while a missed target is reported, not an error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};

use crate::json::Json;
use crate::shell;
use crate::workspace::Workspace;

mod package;

mod desktop;
mod x11;

/// The portal's request rate the emulator enforces, as AWS does (requests per second).
const PORTAL_RPS: f64 = 20.0;
/// Latency added to every API request during discovery.
const DISCOVERY_LATENCY_MS: u64 = 25;
/// One account in this many hosts a Connect instance in a generated organisation.
const CONNECT_EVERY: usize = 40;
/// Targets from issue 7.
const DISCOVERY_TARGET: f64 = 1.15;
const WARM_START_TARGET_MS: f64 = 50.0;
const LAUNCH_TARGET: f64 = 1.5;

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub accounts: usize,
    pub runs: usize,
    pub quick: bool,
}

impl Scale {
    pub fn new(quick: bool) -> Scale {
        if quick {
            Scale {
                accounts: 100,
                runs: 5,
                quick,
            }
        } else {
            Scale {
                accounts: 1000,
                runs: 20,
                quick,
            }
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub measured: String,
    pub floor: String,
    pub ratio: f64,
    pub target: String,
    pub met: bool,
}

pub fn bench(ws: &Workspace, scale: Scale) -> Result<ExitCode> {
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(&cargo);
    build
        .args([
            "build",
            "--release",
            "-p",
            "aws-emulator",
            "-p",
            "launcher-cli",
        ])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    // The desktop app as the package builds it (tauri-cli adds `custom-protocol`: the window served
    // from the embedded assets), and its baseline the same way.
    let mut build_desktop = Command::new(&cargo);
    build_desktop
        .args([
            "build",
            "--release",
            "--features",
            "tauri/custom-protocol",
            "-p",
            "connect-launcher-desktop",
            "-p",
            "blank-window",
        ])
        .current_dir(&ws.root)
        .env("CARGO_TARGET_DIR", &ws.target_dir);
    // The desktop app embeds the window: build it first, so the app benched is this tree's.
    let mut window = Command::new("npm");
    window
        .args(["run", "build"])
        .current_dir(ws.root.join("ui"));
    if !shell::run(&mut window)? {
        bail!("building the window (npm run build in ui/) failed");
    }
    if !shell::run(&mut build)? || !shell::run(&mut build_desktop)? {
        bail!("the release build failed");
    }
    let release = ws.target_dir.join("release");
    let emulator_bin = release.join("aws-emulator");
    let launcher_bin = release.join("connect-launcher");
    let desktop_bin = release.join("connect-launcher-desktop");
    let blank_bin = release.join("blank-window");

    let accounts = scale.accounts.to_string();
    let emu = Emulator::start(
        &emulator_bin,
        &[
            "serve",
            "--generate",
            &accounts,
            "--latency-ms",
            &DISCOVERY_LATENCY_MS.to_string(),
            "--rate-limit",
            &PORTAL_RPS.to_string(),
            "--auto-approve",
        ],
    )?;
    let sandbox = Sandbox::new(ws, &launcher_bin, &emu)?;
    let result = measure(&sandbox, &emu, scale).and_then(|mut rows| {
        rows.extend(desktop::measure(&sandbox, &desktop_bin, &blank_bin, scale)?);
        Ok(rows)
    });
    sandbox.sign_out();
    drop(sandbox);
    drop(emu);
    let mut rows = result?;
    rows.extend(package::measure(ws, scale)?);

    let table = markdown_table(&rows);
    println!("\n{table}");
    let machine = Machine::read();
    let took = started.elapsed();
    std::fs::write(
        ws.root.join("BENCHMARKS.md"),
        report(&rows, &machine, scale),
    )
    .context("writing BENCHMARKS.md")?;
    let missed = rows.iter().filter(|r| !r.met).count();
    println!(
        "wrote BENCHMARKS.md; {} of {} targets met; the benchmark took {:.0} s",
        rows.len() - missed,
        rows.len(),
        took.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Signs in, then measures the three figures.
fn measure(sb: &Sandbox, emu: &Emulator, scale: Scale) -> Result<Vec<Row>> {
    println!(
        "signing in to the generated organisation ({} accounts)",
        scale.accounts
    );
    let out = sb.run(&[
        "login",
        "--start-url",
        &emu.field("start_url")?,
        "--region",
        &emu.field("region")?,
        "--timeout",
        "120",
    ])?;
    ensure!(
        out.status.success(),
        "`connect-launcher login` failed:\n{}",
        text(&out.stderr)
    );

    // 1. Discovery at scale.
    println!("discovery: cold `list --refresh --json`");
    let before = emu.stats()?;
    let t = Instant::now();
    let out = sb.run(&["list", "--refresh", "--json"])?;
    let wall = t.elapsed();
    let after = emu.stats()?;
    ensure!(
        out.status.success(),
        "`connect-launcher list --refresh` failed:\n{}",
        text(&out.stderr)
    );
    let warnings: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("warning:"))
        .collect();
    ensure!(
        warnings.is_empty(),
        "discovery had failed calls:\n{}",
        warnings.join("\n")
    );
    let listed = Json::parse(text(&out.stdout).trim()).context("reading `list --json`")?;
    check_catalog(&listed, scale.accounts)?;
    let requests = after.portal_requests - before.portal_requests;
    let throttled = after.throttled - before.throttled;
    ensure!(
        requests - throttled >= scale.accounts as u64,
        "discovery made {} admitted portal requests for {} accounts: not every account's roles were listed",
        requests - throttled,
        scale.accounts
    );
    let floor = discovery_floor(requests - throttled, PORTAL_RPS);
    let discovery_ratio = ratio(wall.as_secs_f64(), floor.as_secs_f64());
    let discovery = Row {
        name: format!(
            "Discovery, {} accounts (cold `list --refresh`)",
            scale.accounts
        ),
        measured: format!(
            "{:.2} s; {} portal requests ({} throttled), no failed call",
            wall.as_secs_f64(),
            requests,
            throttled
        ),
        floor: format!(
            "{:.2} s = {} admitted requests ÷ {} /s",
            floor.as_secs_f64(),
            requests - throttled,
            PORTAL_RPS
        ),
        ratio: discovery_ratio,
        target: format!("≤ {DISCOVERY_TARGET}"),
        met: discovery_ratio <= DISCOVERY_TARGET,
    };
    println!("{}: {:.3}", discovery.name, discovery.ratio);

    // 2. Warm start: the saved list, against the process-start floor.
    println!(
        "warm start: `list` × {} and `--version` × {}",
        scale.runs, scale.runs
    );
    let list_ms = median_ms(scale.runs, || {
        let out = sb.run(&["list"])?;
        ensure!(
            out.status.success() && !out.stdout.is_empty(),
            "`connect-launcher list` failed:\n{}",
            text(&out.stderr)
        );
        Ok(())
    })?;
    let version_ms = median_ms(scale.runs, || {
        let out = sb.run(&["--version"])?;
        ensure!(out.status.success(), "`connect-launcher --version` failed");
        Ok(())
    })?;
    let warm = Row {
        name: "Warm start (`list` from the saved list)".into(),
        measured: format!("{list_ms:.1} ms (median of {})", scale.runs),
        floor: format!("{version_ms:.1} ms (`--version`, median of {})", scale.runs),
        ratio: ratio(list_ms, version_ms),
        target: format!("< {WARM_START_TARGET_MS} ms"),
        met: list_ms < WARM_START_TARGET_MS,
    };

    // 3. Launch with warm role credentials, the API latency off.
    emu.post("/latency?ms=0")?;
    let instance = "gen-cc-0000";
    let open_args = ["open", instance, "--via", "permission-set", "--print"];
    let open_once = || {
        let out = sb.run(&open_args)?;
        // The address signs in: only check that there is one.
        ensure!(
            out.status.success() && !text(&out.stdout).trim().is_empty(),
            "`connect-launcher open {instance} --print` failed:\n{}",
            text(&out.stderr)
        );
        Ok(())
    };
    println!("launch: `open {instance} --print` once to warm the role credentials");
    open_once()?;
    println!(
        "launch: `open --print` × {0} and `curl` of the emulator × {0}",
        scale.runs
    );
    let open_ms = median_ms(scale.runs, open_once)?;
    let health = format!("{}/health", emu.field("control")?);
    let curl_ms = median_ms(scale.runs, || {
        let ok = shell::succeeds(Command::new("curl").args(["-sf", "-o", "/dev/null", &health]));
        ensure!(ok, "`curl {health}` failed");
        Ok(())
    })?;
    let rtt_ms = median_ms(scale.runs.max(50), || emu.get("/health").map(drop))?;
    // For scale: the first launch of a login session, whose kernel session keyring is still
    // empty (`keyctl session -` gives each run a new one), reads the role's credentials from the
    // Secret Service instead.
    let mut first_of_session = vec!["session", "-"];
    let launcher = sb.launcher.to_string_lossy().into_owned();
    first_of_session.push(&launcher);
    first_of_session.extend(open_args);
    let first_ms = median_ms(scale.runs, || {
        let out = sb
            .command_for(Path::new("keyctl"), &first_of_session)
            .output()
            .context("starting keyctl (Debian's keyutils)")?;
        ensure!(
            out.status.success() && !text(&out.stdout).trim().is_empty(),
            "`keyctl session - connect-launcher open {instance} --print` failed:\n{}",
            text(&out.stderr)
        );
        Ok(())
    })?;
    let launch_ratio = ratio(open_ms, curl_ms);
    let launch = Row {
        name: "Launch (`open --print`, warm role credentials)".into(),
        measured: format!(
            "{open_ms:.1} ms (median of {0}; the first launch of a login session, read from the Secret Service: {first_ms:.1} ms)",
            scale.runs
        ),
        floor: format!(
            "{curl_ms:.1} ms (`curl` of the emulator, median of {}; the request alone, in process: {rtt_ms:.2} ms)",
            scale.runs
        ),
        ratio: launch_ratio,
        target: format!("≤ {LAUNCH_TARGET}"),
        met: launch_ratio <= LAUNCH_TARGET,
    };
    Ok(vec![discovery, warm, launch])
}

/// Every instance of the generated organisation is listed, with both ways in.
fn check_catalog(listed: &Json, accounts: usize) -> Result<()> {
    let Json::Array(entries) = listed else {
        bail!("`list --json` is not an array");
    };
    let expected = accounts.div_ceil(CONNECT_EVERY);
    ensure!(
        entries.len() == expected,
        "discovery listed {} instances, the organisation has {expected}",
        entries.len()
    );
    for e in entries {
        let kinds: Vec<&str> = match e.get("launch_methods") {
            Some(Json::Array(m)) => m
                .iter()
                .filter_map(|m| m.get("kind").and_then(Json::as_str))
                .collect(),
            _ => Vec::new(),
        };
        ensure!(
            kinds.contains(&"permission_set") && kinds.contains(&"saml_application"),
            "instance {:?} is listed without both ways in: {kinds:?}",
            e.get("instance_id").and_then(Json::as_str)
        );
    }
    Ok(())
}

/// The least time `requests` portal requests take at `rps` requests a second.
pub fn discovery_floor(requests: u64, rps: f64) -> Duration {
    Duration::from_secs_f64(requests as f64 / rps)
}

/// `measured / floor`, or infinity when the floor is zero.
pub fn ratio(measured: f64, floor: f64) -> f64 {
    if floor > 0.0 {
        measured / floor
    } else {
        f64::INFINITY
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Runs `f` `runs` times and returns the median wall time in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    median(&times).context("no runs")
}

/// The table, as Markdown (also readable on a terminal).
pub fn markdown_table(rows: &[Row]) -> String {
    let mut s = String::from("| Benchmark | Measured | Floor | Ratio | Target | Met |\n");
    s += "|---|---|---|---:|---|---|\n";
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {:.2} | {} | {} |\n",
            r.name.replace('|', "\\|"),
            r.measured.replace('|', "\\|"),
            r.floor.replace('|', "\\|"),
            r.ratio,
            r.target,
            if r.met { "yes" } else { "**no**" }
        );
    }
    s
}

/// What the numbers were measured on.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    pub rustc: String,
    pub date: String,
}

impl Machine {
    fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let stdout = |cmd: &mut Command| {
            cmd.output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| text(&o.stdout).trim().to_owned())
                .unwrap_or_else(|| "unknown".into())
        };
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model: proc_field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".into()),
            memory: proc_field(&meminfo, "MemTotal")
                .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<f64>().ok())
                .map_or_else(
                    || "unknown".into(),
                    |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0),
                ),
            rustc: stdout(Command::new(rustc).arg("--version")),
            date: stdout(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
        }
    }
}

/// The value of `key` in a `/proc` file of `key: value` lines.
pub fn proc_field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

/// The whole of `BENCHMARKS.md`.
pub fn report(rows: &[Row], m: &Machine, scale: Scale) -> String {
    let command = if scale.quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    };
    format!(
        "# Benchmarks\n\n\
         Written by `{command}` on {date}. Every figure is a ratio to a floor measured in the same \
         run, because absolute times on a shared machine drift; the warm start is also held to an \
         absolute target.\n\n\
         {table}\n\
         ## The machine\n\n\
         - {cpus} CPUs ({model}), {memory} of memory\n\
         - {rustc}, release builds\n\n\
         ## What is measured\n\n\
         - **Discovery**: `aws-emulator serve --generate {accounts} --latency-ms {latency} \
         --rate-limit {rps} --auto-approve` (one account in {every} hosts a Connect instance, with a \
         permission set and a SAML application for it). After `connect-launcher login`, the wall \
         time of a cold `connect-launcher list --refresh --json` is divided by the floor: the \
         portal requests it made that the rate limit admitted, read from the emulator's \
         `GET /_emulator/stats` before and after, divided by {rps} requests a second. (The \
         emulator's token bucket starts full with one second of burst, so a ratio a little under 1 \
         is possible at small scale.) \"No failed call\" means the command succeeded, printed no \
         warning, listed every instance with both ways in, and made at least one portal request per \
         account.\n\
         - **Warm start**: the median wall time of `connect-launcher list` (the saved list; process \
         start to exit, output read through a pipe) over {runs} runs, against the median of \
         `connect-launcher --version` over {runs} runs, the cost of starting the process at all.\n\
         - **Launch**: `connect-launcher open gen-cc-0000 --via permission-set --print` run once to \
         warm the role credentials (kept in the keychain and, for their remaining life, in the \
         kernel's session keyring, where a launch reads them with no D-Bus round trip), then the \
         median of {runs} runs, with the \
         emulator's API latency set to 0 through `POST /_emulator/latency?ms=0`. The floor is the \
         median of {runs} runs of `curl -sf {{control}}/health`: a process that makes one round trip \
         to the emulator, which is all a launch with warm credentials should need (one `getSigninToken`). \
         The round trip alone, timed inside xtask over a fresh TCP connection, is shown for scale, \
         and so is the first launch of a login session (each run under `keyctl session -`, a new \
         and empty session keyring, so the credentials come from the Secret Service over an \
         encrypted D-Bus session, and `keyctl` itself adds a process start). \
         The address `--print` gives signs in: it is checked to be non-empty and never printed.\n\
         - **Desktop**: the release `connect-launcher-desktop` (built as the package builds it, with \
         `tauri/custom-protocol`), signed in with the catalog above \
         cached, against `blank-window` (`bench/blank-window`: a blank Tauri window built by the same \
         toolchain with the same `tauri` crate and features in the same `cargo build`), both in the same \
         sandbox under the X display (Xvfb). Both start their window hidden and show it when the page \
         reports its first paint (rendered, then two animation frames) through the `window_ready` \
         command, printing `first view painted`; for the app that is the catalog with its entries. \
         Start-up is process spawn to that line. The two are started alternately {runs_plus} times \
         each, every process tree killed before the next start; the first start after the build is \
         shown apart, the ratio is the median of the other {runs}. \"Cold\" is a start of a process \
         that is not running: the page cache is warm (dropping it needs root and would time the disk, \
         not the app). After the last start and {settle} s of settling, memory is summed over the \
         process and its descendants (WebKitGTK's web and network processes): RSS, the ratio, as the \
         target is stated (a shared library counts once per process, in both apps alike), and PSS \
         (shared pages split among the processes that share them, nearer to what the app costs). \
         Then, for {idle} s with the window focused and again for {idle} s after the keyboard focus \
         is moved off every window (an X11 `SetInputFocus(None)`: the launcher behind the \
         contact-centre panel, where it idles all day), the voluntary and involuntary context \
         switches of every thread in the tree (`/proc/PID/task/TID/status`) are counted, by \
         `process/thread` name (the app's own process is `app`, a thread named like its process \
         `main`). Then, with the focus still off, the same count over {long_idle} s from {long_from} s \
         after the first paint: that minute is the row and decides the target, as an agent's \
         launcher idles for hours and every minute of that is like it (once-a-minute work, the \
         window's countdown tick and the tray's minute, falls in it once). The first {idle} s \
         unfocused are shown beside it, because they are what the first seconds cost: there \
         WebKit's web process still does one-off start-up work (measured with `JSC_logGC=1`: \
         JavaScriptCore's first full collection of the page's heap, some 15 s after the first \
         paint, then its incremental sweeping, about 1.5 s of main-thread wake-ups; the blank \
         window's smaller heap has its own at other moments), so a thread busy there only is not an \
         idle cost. The focused total is shown for scale (WebKitGTK renders continuously while a \
         focused window has a text field with the caret, as the catalog's search box on start, \
         whatever GTK's cursor-blink setting). The target is met when no thread wakes more than once \
         a second over the minute unless the blank window has the same thread as busy: WebKit's and \
         GTK's own threads are the baseline. Every repaint of the window counts (under Xvfb a \
         repaint wakes Mesa's llvmpipe threads, Skia's GPU worker and the compositor hundreds of \
         times), so an idle window must not change what it shows. The ratio there is the tree's \
         total wake-ups over the blank window's, for scale.\n\n\
         Each launcher call runs in a private home, state and config directory and its own keychain \
         service, signed out and removed at the end.\n\n\
         {package}\n\
         ## Reproduce\n\n\
         ```sh\n\
         # The launcher keeps its session in the Secret Service: run inside a D-Bus session with an\n\
         # unlocked keyring (a desktop session already has one).\n\
         # The desktop rows need an X display: xvfb-run -a -s \"-screen 0 1280x800x24\" in front.\n\
         dbus-run-session -- bash -c 'export XDG_DATA_HOME=$(mktemp -d); \
         eval \"$(printf %s pw | gnome-keyring-daemon --unlock --components=secrets)\"; \
         cargo xtask bench'    # or --quick: {quick_accounts} accounts, {quick_runs} runs\n\
         ```\n",
        date = m.date,
        package = package::EXPLANATION,
        table = markdown_table(rows),
        cpus = m.cpus,
        model = m.cpu_model,
        memory = m.memory,
        rustc = m.rustc,
        accounts = scale.accounts,
        latency = DISCOVERY_LATENCY_MS,
        rps = PORTAL_RPS,
        every = CONNECT_EVERY,
        runs = scale.runs,
        runs_plus = scale.runs + 1,
        settle = desktop::SETTLE.as_secs(),
        idle = desktop::IDLE.as_secs(),
        long_idle = desktop::LONG_IDLE.as_secs(),
        long_from = desktop::LONG_IDLE_FROM.as_secs(),
        quick_accounts = Scale::new(true).accounts,
        quick_runs = Scale::new(true).runs,
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The emulator's counters from `GET /_emulator/stats`.
#[derive(Debug, Clone, Copy)]
struct Stats {
    portal_requests: u64,
    throttled: u64,
}

/// A running `aws-emulator serve`, killed on drop.
struct Emulator {
    child: Child,
    announcement: Json,
    /// `host:port` of the web listener, which carries the control API.
    web: String,
}

impl Emulator {
    fn start(bin: &Path, args: &[&str]) -> Result<Emulator> {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut first = String::new();
        BufReader::new(child.stdout.take().context("emulator stdout")?)
            .read_line(&mut first)
            .context("reading the emulator's announcement")?;
        let announcement = match Json::parse(first.trim()) {
            Ok(a) => a,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e).with_context(|| format!("the emulator announced `{first}`"));
            }
        };
        let mut emu = Emulator {
            child,
            announcement,
            web: String::new(),
        };
        let control = emu.field("control")?;
        emu.web = control
            .strip_prefix("http://")
            .and_then(|r| r.split('/').next())
            .with_context(|| format!("the control URL `{control}` is not http://host:port/…"))?
            .to_owned();
        Ok(emu)
    }

    fn field(&self, key: &str) -> Result<String> {
        self.announcement
            .get(key)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .with_context(|| format!("the emulator's announcement has no `{key}`"))
    }

    fn env(&self) -> Vec<(String, String)> {
        self.announcement
            .get("env")
            .map(Json::members)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()
    }

    /// `GET /_emulator{path}`: the body of a 200.
    fn get(&self, path: &str) -> Result<String> {
        http(&self.web, "GET", &format!("/_emulator{path}"))
    }

    fn post(&self, path: &str) -> Result<String> {
        http(&self.web, "POST", &format!("/_emulator{path}"))
    }

    fn stats(&self) -> Result<Stats> {
        let body = self.get("/stats")?;
        let v = Json::parse(&body).with_context(|| format!("reading /_emulator/stats: {body}"))?;
        let n = |k: &str| match v.get(k) {
            Some(Json::Number(n)) => Ok(*n as u64),
            _ => bail!("/_emulator/stats has no number `{k}`: {body}"),
        };
        Ok(Stats {
            portal_requests: n("portal_requests")?,
            throttled: n("throttled")?,
        })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange on a fresh connection; the body of a 200 response.
fn http(host: &str, method: &str, path: &str) -> Result<String> {
    let mut s = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let (status, body) = parse_response(&text(&raw))?;
    ensure!(status == 200, "{method} {path}: HTTP {status}: {body}");
    Ok(body)
}

/// (status, body) of a whole HTTP/1.1 response with a `Content-Length` or a chunked body.
pub fn parse_response(raw: &str) -> Result<(u16, String)> {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .context("an HTTP response without a blank line after its head")?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("an HTTP response without a status")?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .replace(' ', "")
            .starts_with("transfer-encoding:chunked")
    });
    if !chunked {
        return Ok((status, body.to_owned()));
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest.split_once("\r\n").context("a cut chunked body")?;
        let n = usize::from_str_radix(size.trim(), 16).context("a bad chunk size")?;
        if n == 0 {
            return Ok((status, out));
        }
        out.push_str(after.get(..n).context("a cut chunk")?);
        rest = after.get(n + 2..).context("a cut chunk")?;
    }
}

/// A private home, state, config and keychain service for the launcher, with a `$BROWSER` that
/// follows redirects with curl (and so completes an auto-approved sign-in).
struct Sandbox {
    dir: PathBuf,
    launcher: PathBuf,
    service: String,
    emulator_env: Vec<(String, String)>,
}

impl Sandbox {
    fn new(ws: &Workspace, launcher: &Path, emu: &Emulator) -> Result<Sandbox> {
        let dir = ws
            .target_dir
            .join("tmp")
            .join(format!("bench-{}", std::process::id()));
        for d in ["home", "state", "config", "data"] {
            std::fs::create_dir_all(dir.join(d))
                .with_context(|| format!("creating {}", dir.join(d).display()))?;
        }
        let script = dir.join("browser.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\ncurl -sSL -c '{jar}' -b '{jar}' -o /dev/null \"$1\"\n",
                jar = dir.join("cookies.txt").display()
            ),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(Sandbox {
            service: format!("connect-launcher-bench-{}", std::process::id()),
            launcher: launcher.to_owned(),
            emulator_env: emu.env(),
            dir,
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_for(&self.launcher, args)
    }

    /// `program` (the launcher, or the desktop app and its baseline) in the sandbox.
    fn command_for(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args).env_clear().stdin(Stdio::null());
        for keep in [
            "PATH",
            "DBUS_SESSION_BUS_ADDRESS",
            "DISPLAY",
            "XAUTHORITY",
            "XDG_RUNTIME_DIR",
            "LANG",
        ] {
            if let Some(v) = std::env::var_os(keep) {
                c.env(keep, v);
            }
        }
        c.env("HOME", self.dir.join("home"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("CONNECT_LAUNCHER_KEYCHAIN_SERVICE", &self.service)
            .env("CONNECT_LAUNCHER_POLICY_FILE", self.dir.join("policy.toml"))
            .env("BROWSER", self.dir.join("browser.sh"))
            .envs(self.emulator_env.iter().map(|(k, v)| (k, v)));
        c
    }

    fn run(&self, args: &[&str]) -> Result<Output> {
        self.command(args)
            .output()
            .with_context(|| format!("starting {}", self.launcher.display()))
    }

    /// Signs out (which removes the keychain entries); best effort.
    fn sign_out(&self) {
        let _ = self.run(&["logout", "--everywhere"]);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_none() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.5]), Some(7.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratio_and_floor() {
        assert_eq!(ratio(3.0, 2.0), 1.5);
        assert_eq!(ratio(1.0, 0.0), f64::INFINITY);
        assert_eq!(discovery_floor(1040, 20.0), Duration::from_secs(52));
        assert_eq!(discovery_floor(0, 20.0), Duration::ZERO);
    }

    #[test]
    fn table_is_markdown() {
        let rows = vec![
            Row {
                name: "Discovery".into(),
                measured: "53.1 s".into(),
                floor: "52.0 s".into(),
                ratio: 1.0211,
                target: "≤ 1.15".into(),
                met: true,
            },
            Row {
                name: "Launch | warm".into(),
                measured: "9.0 ms".into(),
                floor: "3.0 ms".into(),
                ratio: 3.0,
                target: "≤ 1.5".into(),
                met: false,
            },
        ];
        assert_eq!(
            markdown_table(&rows),
            "| Benchmark | Measured | Floor | Ratio | Target | Met |\n\
             |---|---|---|---:|---|---|\n\
             | Discovery | 53.1 s | 52.0 s | 1.02 | ≤ 1.15 | yes |\n\
             | Launch \\| warm | 9.0 ms | 3.0 ms | 3.00 | ≤ 1.5 | **no** |\n"
        );
    }

    #[test]
    fn report_names_the_machine_and_how_to_reproduce() {
        let m = Machine {
            cpus: 2,
            cpu_model: "Test CPU".into(),
            memory: "7.8 GiB".into(),
            rustc: "rustc 1.90.0".into(),
            date: "2026-11-28 16:00 UTC".into(),
        };
        let r = report(&[], &m, Scale::new(true));
        assert!(r.starts_with("# Benchmarks\n"), "{r}");
        assert!(
            r.contains("`cargo xtask bench --quick` on 2026-11-28 16:00 UTC"),
            "{r}"
        );
        assert!(
            r.contains("- 2 CPUs (Test CPU), 7.8 GiB of memory\n"),
            "{r}"
        );
        assert!(r.contains("rustc 1.90.0"), "{r}");
        assert!(
            r.contains("--generate 100 --latency-ms 25 --rate-limit 20"),
            "{r}"
        );
        assert!(r.contains("dbus-run-session"), "{r}");
        assert!(r.contains("`blank-window`"), "{r}");
        assert!(r.contains("xvfb-run"), "{r}");
    }

    #[test]
    fn reads_proc_fields() {
        let meminfo = "MemTotal:        8049180 kB\nMemFree:  100 kB\n";
        assert_eq!(
            proc_field(meminfo, "MemTotal").as_deref(),
            Some("8049180 kB")
        );
        assert_eq!(proc_field(meminfo, "Nope"), None);
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = "HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"ok\":true}";
        assert_eq!(
            parse_response(plain).unwrap(),
            (200, "{\"ok\":true}".into())
        );
        let chunked = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (400, "{\"a\":1}".into()));
        assert!(parse_response("garbage").is_err());
    }

    #[test]
    fn catalog_check_wants_every_instance_with_both_ways_in() {
        let both = r#"{"instance_id":"i","launch_methods":[{"kind":"saml_application"},{"kind":"permission_set"}]}"#;
        let one = r#"{"instance_id":"j","launch_methods":[{"kind":"permission_set"}]}"#;
        let list = |items: &[&str]| Json::parse(&format!("[{}]", items.join(","))).unwrap();
        assert!(check_catalog(&list(&[both, both, both]), 100).is_ok());
        assert!(check_catalog(&list(&[both, both]), 100).is_err());
        assert!(check_catalog(&list(&[both, both, one]), 100).is_err());
    }
}
