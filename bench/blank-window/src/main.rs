//! `blank-window`: the baseline of the desktop benchmark (`cargo xtask bench`). A Tauri window with
//! nothing in it, built by the same toolchain with the same `tauri` crate and features as
//! `connect-launcher-desktop`, so that the app's start-up time and memory can be divided by what
//! Tauri and WebKitGTK cost on their own.
//!
//! Promises: it starts hidden like the app, and when its page has painted it shows the window and
//! prints the same readiness line as the app (`first view painted`, on stderr), which is what the
//! benchmark waits for.

use tauri::WebviewWindow;

/// The window's signal: print the line the benchmark waits for, and show the window.
#[tauri::command]
fn window_ready(window: WebviewWindow) {
    eprintln!("first view painted");
    let _ = window.show();
    let _ = window.set_focus();
}

fn main() {
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![window_ready])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("blank-window: cannot start: {e}");
            std::process::exit(1);
        }
    }
}
