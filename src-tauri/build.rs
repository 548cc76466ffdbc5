//! Checks that the window has been built, then runs Tauri's build step with a permission for each
//! of the app's commands, so the capability file must grant each one the window uses by name.

use std::path::Path;

/// The app's commands (must match `generate_handler!` in src/lib.rs; the ACL test checks the
/// capability against this list).
const COMMANDS: &[&str] = &[
    "app_state",
    "sign_in",
    "cancel_sign_in",
    "sign_out",
    "catalog",
    "launch",
    "relaunch",
    "clocks",
    "set_favourite",
    "preferences",
    "set_preferences",
    "window_ready",
];

fn main() {
    let dist = Path::new("../ui/dist");
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-env-changed=TAURI_CONFIG");
    // TAURI_CONFIG may point frontendDist elsewhere (a placeholder for a build without the UI).
    let overridden = std::env::var("TAURI_CONFIG").is_ok_and(|c| c.contains("frontendDist"));
    if !overridden && !dist.join("index.html").is_file() {
        eprintln!(
            "\nerror: the window is not built: {} has no index.html.\n\
             Build it first:  (cd ui && npm ci && npm run build)\n\
             (`cargo xtask test` does this before it builds the workspace.)\n",
            dist.display()
        );
        std::process::exit(1);
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
