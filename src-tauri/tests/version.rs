//! `connect-launcher-desktop --version` answers without a display: the package check and IT's
//! scripts run it on machines with no X server.

use std::process::Command;

#[test]
fn version_needs_no_display() {
    for flag in ["--version", "-V"] {
        let out = Command::new(env!("CARGO_BIN_EXE_connect-launcher-desktop"))
            .arg(flag)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("running connect-launcher-desktop");
        assert!(out.status.success(), "{flag}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("connect-launcher-desktop {}\n", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
}
