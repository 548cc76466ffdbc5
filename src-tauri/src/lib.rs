//! Connect Launcher's desktop shell: a thin Tauri 2 layer over launcher-core. It builds the state
//! once at start-up, answers the window's commands (`ui/IPC.md`), keeps a tray icon, watches
//! the session clocks to warn with desktop notifications, and refreshes the catalog in the
//! background while someone is signed in.
//!
//! Promises: launcher-core knows nothing of Tauri; the window never reaches AWS, the network, the
//! file system or a browser itself (its capability grants only the app's commands and events); the
//! window's content is the embedded `ui/dist` under a strict CSP, never remote; one copy of the app
//! runs at a time (a second start shows the first's window); closing the window hides it, so the
//! clocks keep watching, and "Quit" in the tray ends the app.

pub mod catalog_refresh;
pub mod commands;
pub mod first_paint;
pub mod ipc;
pub mod notifications;
pub mod shell;
pub mod tray;
pub mod watch;

use launcher_core::deps::Deps;
use tauri::{AppHandle, Manager, WindowEvent};

/// The main window's label (the capability names it).
pub const MAIN_WINDOW: &str = "main";
/// The log filter variable (as the CLI's).
pub const LOG_ENV: &str = "CONNECT_LAUNCHER_LOG";

/// Shows, unminimises and focuses the main window.
pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

fn init_logging(level: Option<&str>) {
    let filter = std::env::var(LOG_ENV)
        .ok()
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| level.unwrap_or("warn").to_owned());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}

/// A test hook, read only in debug builds: this many seconds are added to the app's clock, so the
/// desktop end-to-end test can be hours into a shift (with the emulator's clock moved as far)
/// without waiting. Release builds ignore it.
pub const CLOCK_OFFSET_ENV: &str = "CONNECT_LAUNCHER_CLOCK_OFFSET_SECS";

/// The clock moved by [`CLOCK_OFFSET_ENV`], in debug builds only.
#[cfg(debug_assertions)]
fn with_test_clock(mut deps: Deps) -> Deps {
    let Some(raw) = deps.env.get(CLOCK_OFFSET_ENV).filter(|v| !v.is_empty()) else {
        return deps;
    };
    match raw.trim().parse::<u64>() {
        Ok(secs) => {
            eprintln!("connect-launcher-desktop: test hook: the clock runs {secs} s ahead");
            deps.clock = std::sync::Arc::new(launcher_core::clock::OffsetClock {
                inner: deps.clock.clone(),
                ahead: std::time::Duration::from_secs(secs),
            });
        }
        Err(_) => eprintln!(
            "connect-launcher-desktop: ignoring {CLOCK_OFFSET_ENV}={raw}: not a number of seconds"
        ),
    }
    deps
}

#[cfg(not(debug_assertions))]
fn with_test_clock(deps: Deps) -> Deps {
    deps
}

/// What waits until the window has painted its first view (or was shown anyway): the tray, the
/// clocks watcher and the background catalog refresh, so none of them delays the window's first
/// commands. Runs once, on the main thread (the tray is a GTK object).
pub fn after_first_paint(app: &AppHandle) {
    let shell = app.state::<shell::Shell>();
    let entries = match shell.facts() {
        Ok(Some(_)) => shell.cached_entries(),
        _ => Vec::new(),
    };
    if let Err(e) = tray::create(app, &entries, &shell.favourites()) {
        // A desktop without a tray still has the window and the notifications.
        tracing::warn!(error = %e, "cannot create the tray icon");
    }
    // Started after the tray, so its first tick puts the time left there (before the tray
    // exists, `tray::set_clocks` has nothing to update).
    watch::spawn(app.clone());
    catalog_refresh::spawn(app.clone());
    tracing::debug!("after first paint: tray, clocks watcher and catalog refresh started");
}

/// Runs the app until "Quit".
pub fn run() {
    let deps = match Deps::production() {
        Ok(d) => with_test_clock(d),
        Err(e) => {
            eprintln!("connect-launcher-desktop: {e}");
            std::process::exit(1);
        }
    };
    let level = deps
        .settings(Default::default())
        .ok()
        .map(|r| r.settings.log_level.as_str());
    init_logging(level);
    // The plugins start inside the async runtime, so the single-instance plugin's D-Bus connection
    // (zbus, built with its `tokio` feature for this) runs its work there; otherwise zbus starts a
    // `blocking` pool thread that never exits and wakes twice a second for the app's whole life.
    // Only while building: a sync command on the main thread must not be inside the runtime.
    let runtime = tauri::async_runtime::handle();
    let entered = runtime.inner().enter();
    let app = tauri::Builder::default()
        // First, so that a second copy hands over before it builds anything.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main_window(app)
        }))
        // The window starts hidden and is shown when its first view has painted (`first_paint`),
        // so its saved visibility is not restored.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        // Tauri has created the window when this runs on the main thread, and the window's first
        // command waits for it: only what the commands need is built here; the rest waits for
        // the first paint (`after_first_paint`).
        .setup(move |app| {
            tracing::debug!("setup: start");
            app.manage(shell::Shell::new(deps));
            app.manage(first_paint::FirstPaint::default());
            first_paint::spawn_fallback(app.handle().clone());
            tracing::debug!("setup: done");
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == MAIN_WINDOW {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::sign_in,
            commands::cancel_sign_in,
            commands::sign_out,
            commands::catalog,
            commands::launch,
            commands::relaunch,
            commands::clocks,
            commands::set_favourite,
            commands::preferences,
            commands::set_preferences,
            commands::window_ready,
        ])
        .build(tauri::generate_context!());
    drop(entered);
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("connect-launcher-desktop: cannot start: {e}");
            std::process::exit(1);
        }
    }
}
