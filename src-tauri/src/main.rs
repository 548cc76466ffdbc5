//! `connect-launcher-desktop`: the desktop app. Everything lives in the library, so tests can
//! reach the notification and IPC code without a window.
//!
//! `--version` (or `-V`) prints the version and exits before Tauri starts, so IT's scripts and the
//! package check can ask it on a machine without a display.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "--version" || a == "-V")
    {
        println!("connect-launcher-desktop {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    connect_launcher_desktop_lib::run();
}
