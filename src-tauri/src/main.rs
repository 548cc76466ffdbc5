//! `connect-launcher-desktop`: the desktop app. Everything lives in the library, so tests can
//! reach the notification and IPC code without a window.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    connect_launcher_desktop_lib::run();
}
